/*
 * exec - runs external programs (ACME hooks, reload commands, DNS provider
 * scripts) the only way daneroll does: fork + execve with an argument vector,
 * a fixed small environment, no shell, a timeout, and bounded captured
 * output.
 *
 * The child's environment is exactly PATH=/usr/sbin:/usr/bin:/sbin:/bin,
 * LANG=C plus the caller's extra "NAME=value" entries; nothing of daneroll's
 * own environment leaks through. stdin is the given data (or /dev/null).
 * stdout and stderr are captured together, up to max_output bytes (the rest
 * is read and dropped, and a warning names the limit): a program writing
 * without end costs max_output bytes of memory until its timeout. At the timeout the child's process group gets
 * SIGTERM, then SIGKILL 5 s later; timeout_secs <= 0 means no time limit.
 * An extra_env entry named PATH or LANG replaces the fixed one.
 */
#ifndef DANEROLL_EXEC_H
#define DANEROLL_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct exec_result {
	int		 exit_code;	/* 0..255; -1 when killed or not run */
	int		 signal;	/* the signal that ended it, or 0 */
	int		 timed_out;
	int		 output_cut;	/* more than max_output came */
	struct buf	 output;	/* caller frees with buf_free */
};

/*
 * OUT_OK: ran and exited 0. OUT_TEMPFAIL: non-zero exit, signal or
 * timeout. OUT_PERMFAIL: could not be run at all (no such file, not
 * executable). Logged, naming argv[0] and the exit status; the output is
 * left in res for the caller to record.
 */
enum outcome	exec_run(char *const argv[], char *const extra_env[],
		    const char *stdin_data, int64_t timeout_secs,
		    size_t max_output, struct exec_result *res);
/*
 * Could execve run the program at path? NULL if it is a regular file
 * that this process may execute; else why not, as a phrase that follows
 * the path ("does not exist", "is not executable", ...; static). Nothing
 * is run: config check and doctor ask before the first run needs it.
 */
const char	*exec_program_problem(const char *path);
/* "/usr/sbin/postfix reload" style rendering for messages; caller frees. */
char		*exec_argv_str(char *const argv[]);
/*
 * How the run in res ended, as a phrase to follow the command in a
 * message: "timed out", "was killed by signal 9", "exited 1" or "could
 * not be run"; written into buf, which is returned.
 */
const char	*exec_result_str(const struct exec_result *res, char *buf,
		    size_t len);

#endif
