/*
 * exec - runs an external program with fork + execve: no shell, a fixed
 * environment, a timeout, bounded output. See include/exec.h.
 *
 * The child gets its own process group, so a timeout kills the program and
 * everything it started. It tells the parent why execve failed through a
 * close-on-exec status pipe: EOF there means the program is running, an
 * errno means it never ran (OUT_PERMFAIL) - so a program that exits 127
 * by itself is not mistaken for a missing one.
 *
 * The parent feeds stdin and reads the merged stdout/stderr in one poll
 * loop, so neither side can block the other. SIGPIPE is blocked while it
 * writes (a child need not read its stdin) and any SIGPIPE this raised is
 * consumed before the old mask is restored.
 *
 * The caller owns res->output (buf_free) whatever the outcome; the rest of
 * res is overwritten on every call.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "log.h"
#include "util.h"

#define EXEC_KILL_GRACE_MS	5000	/* SIGTERM -> SIGKILL */
#define EXEC_REAP_GRACE_MS	5000	/* SIGKILL -> give up waiting */
#define EXEC_STDIN_CHUNK	65536
#define EXEC_LOOP_READS		16	/* 8 KiB reads per poll wake-up */
#define EXEC_DRAIN_READS	256	/* after exit: more than a pipe holds */

static char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
static char env_lang[] = "LANG=C";

/* What the child reports on the status pipe when it cannot execve. */
struct exec_failure {
	int	 in_exec;	/* 0: failed while setting up, 1: execve */
	int	 err;
};

/*
 * The child's environment: the fixed entries, then the caller's; an extra
 * entry with the name of a fixed one replaces it. NULL (logged) if an
 * entry is not NAME=value. The strings are borrowed; free only the array.
 */
static char **
make_env(char *const extra[])
{
	char **env = NULL, **ret = NULL;
	size_t n = 0, k = 0, i, j;

	while (extra != NULL && extra[n] != NULL)
		n++;
	env = xcalloc(n + 3, sizeof(*env));
	env[k++] = env_path;
	env[k++] = env_lang;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(extra[i], '=');
		size_t namelen;

		/* Never log the entry: its value may be a credential. */
		if (eq == NULL || eq == extra[i]) {
			log_err("exec: environment entry %zu is not NAME=value",
			    i + 1);
			goto out;
		}
		namelen = (size_t)(eq - extra[i]) + 1;
		for (j = 0; j < k; j++)
			if (strncmp(env[j], extra[i], namelen) == 0)
				break;
		env[j] = extra[i];
		if (j == k)
			k++;
	}
	env[k] = NULL;
	ret = env;
	env = NULL;
out:
	free(env);
	return ret;
}

static void
report_failure(int fd, int in_exec, int err)
{
	struct exec_failure f;
	ssize_t n;

	f.in_exec = in_exec;
	f.err = err;
	do
		n = write(fd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
}

/*
 * The child between fork and execve: only async-signal-safe calls, and
 * _exit, never exit (that would run the parent's atexit handlers).
 */
static void __attribute__((noreturn))
child_exec(char *const argv[], char *const envp[], int in_fd, int out_fd,
    int status_fd, int open_max)
{
	struct sigaction sa;
	sigset_t none;
	int sig, fd;

	(void)setpgid(0, 0);
	/* Start the program with default signal handling and no mask. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Lift every descriptor above 2 so the dup2s cannot clobber one. */
	if ((in_fd = fcntl(in_fd, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (out_fd = fcntl(out_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		goto fail;
	if ((fd = fcntl(status_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		goto fail;
	status_fd = fd;
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		goto fail;
	if (status_fd != 3) {
		if (dup3(status_fd, 3, O_CLOEXEC) < 0)
			goto fail;
		status_fd = 3;
	}
	/* Nothing of ours (database, lock files, sockets) leaks through. */
	if (close_range(4, ~0U, 0) < 0)
		for (fd = 4; fd < open_max; fd++)
			(void)close(fd);
	execve(argv[0], argv, envp);
	report_failure(status_fd, 1, errno);
	_exit(127);
fail:
	report_failure(status_fd, 0, errno);
	_exit(127);
}

/*
 * Reads what is there from *fd, at most reads times (a program that never
 * stops writing must not keep us from its timeout), keeping at most max
 * bytes in out.
 */
static void
read_output(int *fd, struct buf *out, size_t max, int reads, int *cut)
{
	char chunk[8192];
	ssize_t n;

	for (;;) {
		if (reads-- <= 0)
			return;
		n = read(*fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		/* Past the cap the output is read and dropped. */
		if ((size_t)n > max - out->len)
			*cut = 1;
		if (out->len < max)
			buf_add(out, chunk, (size_t)n < max - out->len ?
			    (size_t)n : max - out->len);
	}
	/* EOF or a read error: either way, nothing more will come. */
	(void)close(*fd);
	*fd = -1;
}

/* Writes the next piece of stdin; closes *fd when done or unwanted. */
static void
write_input(int *fd, const char *data, size_t len, size_t *off)
{
	size_t want = len - *off;
	ssize_t n;

	if (want > EXEC_STDIN_CHUNK)
		want = EXEC_STDIN_CHUNK;
	do
		n = write(*fd, data + *off, want);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n > 0)
		*off += (size_t)n;
	/* EPIPE: the program did not want its stdin, which is its right. */
	if (n < 0 || *off == len) {
		(void)close(*fd);
		*fd = -1;
	}
}

/*
 * Feeds stdin, collects output and reaps pid, enforcing the timeout.
 * Returns 0 with *wstatus set once the child is reaped; -1 (logged) if it
 * could not be waited for, *unkillable set if it survived SIGKILL.
 */
static int
supervise(const char *name, pid_t pid, int *in_fd, int *out_fd,
    const char *in_data, int64_t timeout_secs, size_t max_output,
    struct exec_result *res, int *wstatus, int *unkillable)
{
	int64_t deadline, kill_at = INT64_MAX, give_up_at = INT64_MAX;
	size_t in_len = in_data != NULL ? strlen(in_data) : 0, in_off = 0;
	int rc = -1;

	deadline = timeout_secs > 0 && timeout_secs < INT64_MAX / 2000 ?
	    util_mono_ms() + timeout_secs * 1000 : INT64_MAX;
	if (*in_fd >= 0 && in_len == 0) {
		(void)close(*in_fd);
		*in_fd = -1;
	}
	for (;;) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int in_i = -1, out_i = -1;
		int64_t now, next, wait_ms;
		pid_t r;

		r = waitpid(pid, wstatus, WNOHANG);
		if (r < 0 && errno != EINTR) {
			log_err("%s: waitpid: %s", name, strerror(errno));
			goto out;
		}
		if (r == pid) {
			/*
			 * What it wrote is in the pipe now. Do not wait for
			 * EOF: a daemon it started may hold the pipe open.
			 */
			if (*out_fd >= 0)
				read_output(out_fd, &res->output, max_output,
				    EXEC_DRAIN_READS, &res->output_cut);
			break;
		}
		now = util_mono_ms();
		if (now >= deadline && !res->timed_out) {
			res->timed_out = 1;
			(void)kill(-pid, SIGTERM);
			kill_at = now + EXEC_KILL_GRACE_MS;
		}
		if (now >= kill_at && give_up_at == INT64_MAX) {
			(void)kill(-pid, SIGKILL);
			give_up_at = now + EXEC_REAP_GRACE_MS;
		}
		if (now >= give_up_at) {
			log_err("%s: still running after SIGKILL (pid %ld); "
			    "not waiting for it", name, (long)pid);
			*unkillable = 1;
			goto out;
		}
		/* Wake for the next deadline, and now and then for waitpid. */
		next = res->timed_out ? INT64_MAX : deadline;
		if (kill_at < next && give_up_at == INT64_MAX)
			next = kill_at;
		if (give_up_at < next)
			next = give_up_at;
		wait_ms = *out_fd >= 0 ? 100 : 10;
		if (next - now < wait_ms)
			wait_ms = next - now;
		if (*in_fd >= 0) {
			pfd[n].fd = *in_fd;
			pfd[n].events = POLLOUT;
			in_i = (int)n++;
		}
		if (*out_fd >= 0) {
			pfd[n].fd = *out_fd;
			pfd[n].events = POLLIN;
			out_i = (int)n++;
		}
		if (poll(pfd, n, (int)wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: poll: %s", name, strerror(errno));
			goto out;
		}
		if (out_i >= 0 && pfd[out_i].revents != 0)
			read_output(out_fd, &res->output, max_output,
			    EXEC_LOOP_READS, &res->output_cut);
		if (in_i >= 0 && pfd[in_i].revents != 0)
			write_input(in_fd, in_data, in_len, &in_off);
	}
	rc = 0;
out:
	return rc;
}

/* Blocks SIGPIPE; *had_pending tells whether one was already waiting. */
static void
sigpipe_block(sigset_t *saved, int *had_pending)
{
	sigset_t set, pending;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &set, saved);
	(void)sigemptyset(&pending);
	(void)sigpending(&pending);
	*had_pending = sigismember(&pending, SIGPIPE) == 1;
}

/* Consumes a SIGPIPE our writes raised, then restores the mask. */
static void
sigpipe_restore(const sigset_t *saved, int had_pending)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set, pending;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGPIPE);
	(void)sigemptyset(&pending);
	(void)sigpending(&pending);
	if (!had_pending && sigismember(&pending, SIGPIPE) == 1)
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			continue;
	(void)sigprocmask(SIG_SETMASK, saved, NULL);
}

/* The output and status pipes, and the child's stdin: a pipe when there
 * is stdin_data, /dev/null otherwise. The caller closes what is open,
 * even on failure. 0 or -1. */
static int
open_pipes(const char *name, const char *stdin_data, int in_pipe[2],
    int out_pipe[2], int st_pipe[2], int *child_in)
{
	if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(st_pipe, O_CLOEXEC) < 0) {
		log_err("%s: pipe: %s", name, strerror(errno));
		return -1;
	}
	if (stdin_data != NULL) {
		if (pipe2(in_pipe, O_CLOEXEC) < 0) {
			log_err("%s: pipe: %s", name, strerror(errno));
			return -1;
		}
		*child_in = in_pipe[0];
	} else if ((*child_in = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		log_err("/dev/null: %s", strerror(errno));
		return -1;
	}
	/* The poll loop must never block on either pipe. */
	if (fcntl(out_pipe[0], F_SETFL, O_NONBLOCK) < 0 ||
	    (in_pipe[1] >= 0 && fcntl(in_pipe[1], F_SETFL, O_NONBLOCK) < 0)) {
		log_err("%s: fcntl: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Reads the status pipe. EOF: execve succeeded (1). A record: it never
 * ran (0); the child is then reaped, and *ret is OUT_PERMFAIL when execve
 * itself failed (the program is missing or not executable).
 */
static int
child_started(const char *name, int st_fd, pid_t pid, int *wstatus,
    enum outcome *ret)
{
	struct exec_failure fail;
	ssize_t n;

	do
		n = read(st_fd, &fail, sizeof(fail));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 1;
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		continue;
	if (n != (ssize_t)sizeof(fail)) {
		log_err("cannot run %s: lost the child's status",
		    name);
	} else if (fail.in_exec) {
		log_err("cannot run %s: %s", name, strerror(fail.err));
		*ret = OUT_PERMFAIL;
	} else
		log_err("cannot run %s: setting up the child: %s",
		    name, strerror(fail.err));
	return 0;
}

/* How the reaped program ended (wstatus) into res, logged; OUT_OK only
 * for an exit 0 in time. */
static enum outcome
judge_exit(const char *name, pid_t pid, int wstatus, int64_t timeout_secs,
    size_t max_output, struct exec_result *res)
{
	char dur[32];
	enum outcome ret = OUT_TEMPFAIL;

	if (WIFEXITED(wstatus))
		res->exit_code = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		res->signal = WTERMSIG(wstatus);

	if (res->timed_out) {
		/* Whatever it left behind in its group goes too. */
		(void)kill(-pid, SIGKILL);
		log_err("%s timed out after %s", name,
		    util_fmt_duration(timeout_secs, dur, sizeof(dur)));
	} else if (res->signal != 0)
		log_err("%s killed by signal %d (%s)", name, res->signal,
		    strsignal(res->signal));
	else if (res->exit_code != 0)
		log_err("%s exited %d", name, res->exit_code);
	else {
		log_debug("%s exited 0", name);
		ret = OUT_OK;
	}
	if (res->output_cut)
		log_warn("%s: output cut at %zu bytes, the rest read and "
		    "dropped", name, max_output);
	return ret;
}

/* Closes fd unless it is -1 (never opened, or already closed). */
static void
close_open(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}

enum outcome
exec_run(char *const argv[], char *const extra_env[], const char *stdin_data,
    int64_t timeout_secs, size_t max_output, struct exec_result *res)
{
	sigset_t saved_mask;
	char **envp = NULL;
	const char *name;
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 };
	int st_pipe[2] = { -1, -1 }, child_in = -1;
	int masked = 0, had_pending = 0, reaped = 0, unkillable = 0;
	int wstatus = 0, open_max;
	long lmax;
	pid_t pid = -1;
	enum outcome ret = OUT_PERMFAIL;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	buf_add(&res->output, "", 0);	/* output.data is never NULL */
	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/') {
		log_err("cannot run %s: not an absolute path",
		    argv != NULL && argv[0] != NULL ? argv[0] : "(nothing)");
		goto out;
	}
	name = argv[0];
	if ((envp = make_env(extra_env)) == NULL)
		goto out;
	lmax = sysconf(_SC_OPEN_MAX);
	open_max = lmax > 0 && lmax < INT_MAX ? (int)lmax : 1024;

	ret = OUT_TEMPFAIL;	/* from here on, failures are the system's */
	if (open_pipes(name, stdin_data, in_pipe, out_pipe, st_pipe,
	    &child_in) < 0)
		goto out;

	sigpipe_block(&saved_mask, &had_pending);
	masked = 1;
	if ((pid = fork()) < 0) {
		log_err("%s: fork: %s", name, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(argv, envp, child_in, out_pipe[1], st_pipe[1],
		    open_max);
	/* Also from here, so kill(-pid) cannot race the child's setpgid. */
	(void)setpgid(pid, pid);
	(void)close(child_in);
	if (in_pipe[0] == child_in)
		in_pipe[0] = -1;
	child_in = -1;
	(void)close(out_pipe[1]);
	out_pipe[1] = -1;
	(void)close(st_pipe[1]);
	st_pipe[1] = -1;

	if (!child_started(name, st_pipe[0], pid, &wstatus, &ret)) {
		reaped = 1;
		goto out;
	}
	if (supervise(name, pid, &in_pipe[1], &out_pipe[0], stdin_data,
	    timeout_secs, max_output, res, &wstatus, &unkillable) < 0)
		goto out;
	reaped = 1;
	ret = judge_exit(name, pid, wstatus, timeout_secs, max_output, res);
out:
	if (pid > 0 && !reaped && !unkillable) {
		(void)kill(-pid, SIGKILL);
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			continue;
	}
	if (masked)
		sigpipe_restore(&saved_mask, had_pending);
	close_open(child_in);
	if (in_pipe[0] != child_in)
		close_open(in_pipe[0]);
	close_open(in_pipe[1]);
	close_open(out_pipe[0]);
	close_open(out_pipe[1]);
	close_open(st_pipe[0]);
	close_open(st_pipe[1]);
	free(envp);
	return ret;
}

/* Bytes a POSIX shell would take literally without quotes. */
static int
shell_safe(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789@%+=:,./_-", *s) == NULL)
			return 0;
	return 1;
}

const char *
exec_program_problem(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? "does not exist" :
		    errno == EACCES ? "cannot be reached (permission denied "
		    "on a directory above it)" : "cannot be examined";
	if (!S_ISREG(st.st_mode))
		return "is not a regular file";
	/* As root, access() says yes if any execute bit is set: as execve. */
	if (access(path, X_OK) != 0)
		return "is not executable (chmod +x)";
	return NULL;
}

char *
exec_argv_str(char *const argv[])
{
	struct buf b = { 0 };
	size_t i;
	const char *p;

	buf_add(&b, "", 0);
	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		if (i > 0)
			buf_puts(&b, " ");
		if (shell_safe(argv[i])) {
			buf_puts(&b, argv[i]);
			continue;
		}
		buf_puts(&b, "'");
		for (p = argv[i]; *p != '\0'; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '\'')
				buf_puts(&b, "'\\''");
			else if (c < 0x20 || c == 0x7f)
				/* Keep a message on one line. */
				buf_printf(&b, "\\x%02x", c);
			else
				buf_add(&b, p, 1);
		}
		buf_puts(&b, "'");
	}
	return b.data;
}

const char *
exec_result_str(const struct exec_result *res, char *buf, size_t len)
{
	if (res->timed_out)
		snprintf(buf, len, "timed out");
	else if (res->signal != 0)
		snprintf(buf, len, "was killed by signal %d", res->signal);
	else if (res->exit_code >= 0)
		snprintf(buf, len, "exited %d", res->exit_code);
	else
		snprintf(buf, len, "could not be run");
	return buf;
}
