/* Unit tests: exec (execve, fixed environment, timeout, output cap). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "log.h"
#include "t.h"
#include "util.h"

/* Exit status and output of simple runs, as a table. */
static void
test_table(void)
{
	static const struct {
		const char	*argv[4];
		const char	*stdin_data;
		enum outcome	 want;
		int		 exit_code, sig;
		const char	*output, *msg;
	} rows[] = {
		{ { "/bin/echo", "hello", "world" }, NULL, OUT_OK, 0, 0,
		  "hello world\n", NULL },
		{ { "/bin/sh", "-c", "exit 3" }, NULL, OUT_TEMPFAIL, 3, 0,
		  "", "/bin/sh exited 3" },
		/* 127 from the program is not "could not run it". */
		{ { "/bin/sh", "-c", "exit 127" }, NULL, OUT_TEMPFAIL, 127, 0,
		  "", "/bin/sh exited 127" },
		{ { "/bin/sh", "-c", "echo out; echo err >&2; kill -9 $$" },
		  NULL, OUT_TEMPFAIL, -1, 9, "out\nerr\n",
		  "/bin/sh killed by signal 9" },
		{ { "/bin/cat" }, "line 1\nline 2\n", OUT_OK, 0, 0,
		  "line 1\nline 2\n", NULL },
		/* No stdin data: /dev/null, so cat ends at once. */
		{ { "/bin/cat" }, NULL, OUT_OK, 0, 0, "", NULL },
		{ { "echo", "relative" }, NULL, OUT_PERMFAIL, -1, 0, "",
		  "cannot run echo: not an absolute path" },
		{ { "/nonexistent/daneroll-hook" }, NULL, OUT_PERMFAIL, -1, 0,
		  "", "cannot run /nonexistent/daneroll-hook: No such file" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct exec_result res;
		enum outcome o;

		t_log_reset();
		o = exec_run((char *const *)rows[i].argv, NULL,
		    rows[i].stdin_data, 10, 4096, &res);
		if (!T_INT(o, rows[i].want))
			printf("    row %zu: %s\n", i, t_log_text());
		T_INT(res.exit_code, rows[i].exit_code);
		T_INT(res.signal, rows[i].sig);
		T_INT(res.timed_out, 0);
		T_STR(res.output.data, rows[i].output);
		if (rows[i].msg != NULL)
			T_CHECK(t_log_has(rows[i].msg));
		else
			T_STR(log_last_error(), "");
		buf_free(&res.output);
	}
}

/* Not executable (even root needs an x bit): could not run, not a retry. */
static void
test_not_executable(void)
{
	const char *p = t_write("not-a-program", "#!/bin/sh\necho hi\n");
	char *argv[] = { (char *)p, NULL };
	struct exec_result res;
	char want[600];

	snprintf(want, sizeof(want), "cannot run %s: Permission denied", p);
	T_INT(exec_run(argv, NULL, NULL, 10, 4096, &res), OUT_PERMFAIL);
	T_CHECK(t_log_has(want));
	T_STR(res.output.data, "");
	buf_free(&res.output);
}

/*
 * Runs against the clock, as rows (each a case of its own): the outcome,
 * how long it took (seconds, at least min_s, under max_s), how it ended,
 * what output was kept (its start, and its length) and what was logged.
 */
static const struct timed {
	const char	*name;
	const char	*argv[4];
	int		 timeout;	/* seconds */
	size_t		 cap;		/* output kept */
	enum outcome	 want;
	double		 min_s, max_s;
	int		 timed_out, sig, cut;
	const char	*output;	/* its start */
	size_t		 len;
	const char	*msg;		/* logged, or NULL */
} timed[] = {
	/* Dies on SIGTERM. */
	{ "timeout: SIGTERM", { "/bin/sleep", "30" }, 1, 4096,
	  OUT_TEMPFAIL, 0, 1 + 2, 1, SIGTERM, 0, "", 0,
	  "/bin/sleep timed out after 1s" },
	/* Ignores SIGTERM (and so does its child): needs the SIGKILL. */
	{ "timeout: SIGKILL within 5 s of the SIGTERM",
	  { "/bin/sh", "-c", "trap '' TERM; /bin/sleep 30; echo survived" },
	  1, 4096, OUT_TEMPFAIL, 1 + 5 - 0.5, 1 + 6, 1, SIGKILL, 0, "", 0,
	  "/bin/sh timed out after 1s" },
	/* A program that never stops writing still meets its timeout. */
	{ "endless output meets the timeout", { "/usr/bin/yes", "daneroll" },
	  1, 100, OUT_TEMPFAIL, 0, 1 + 2, 1, SIGTERM, 1,
	  "daneroll\ndaneroll\n", 100, "/usr/bin/yes timed out after 1s" },
	/* A daemon the program leaves behind holding stdout does not stall
	 * us. */
	{ "background child holding stdout",
	  { "/bin/sh", "-c", "/bin/sleep 3 & echo started" }, 20, 4096,
	  OUT_OK, 0, 2, 0, 0, 0, "started\n", 8, NULL },
};

static void
run_timed(const void *v)
{
	const struct timed *r = v;
	struct exec_result res;
	double t0 = t_now_s(), el;

	T_INT(exec_run((char *const *)r->argv, NULL, NULL, r->timeout, r->cap,
	    &res), r->want);
	el = t_now_s() - t0;
	if (r->min_s > 0)
		T_CHECK(el >= r->min_s);
	if (!T_CHECK(el < r->max_s))
		printf("    took %.1f s\n", el);
	T_INT(res.timed_out, r->timed_out);
	T_INT(res.signal, r->sig);
	T_INT(res.output_cut, r->cut);
	T_INT(res.output.len, r->len);
	T_CHECK(strncmp(res.output.data, r->output, strlen(r->output)) == 0);
	if (r->msg != NULL)
		T_CHECK(t_log_has(r->msg));
	buf_free(&res.output);
}

/* The whole process group goes on timeout, not only the direct child. */
static void
test_timeout_kills_group(void)
{
	char *argv[] = { "/bin/sh", "-c", "/bin/sleep 30 & echo $!; wait",
	    NULL };
	struct exec_result res;
	char path[64], *stat = NULL;
	long pid;
	int i, gone = 0;

	T_INT(exec_run(argv, NULL, NULL, 1, 4096, &res), OUT_TEMPFAIL);
	pid = strtol(res.output.data, NULL, 10);
	T_CHECK(pid > 1);
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	/* Gone, or a zombie waiting for init to reap it. */
	for (i = 0; i < 100 && !gone; i++) {
		free(stat);
		stat = t_read(path);
		gone = stat == NULL || strstr(stat, ") Z ") != NULL;
		if (!gone)
			usleep(20000);
	}
	T_CHECK(gone);
	free(stat);
	buf_free(&res.output);
}

static void
test_output_cap(void)
{
	/* 588895 bytes of output; we keep 1000 and drain the rest. */
	char *argv[] = { "/usr/bin/seq", "1", "100000", NULL };
	struct exec_result res;

	t_log_reset();
	T_INT(exec_run(argv, NULL, NULL, 10, 1000, &res), OUT_OK);
	T_INT(res.output.len, 1000);
	T_INT(res.output_cut, 1);
	T_CHECK(t_log_has("/usr/bin/seq: output cut at 1000 bytes"));
	T_CHECK(strncmp(res.output.data, "1\n2\n3\n", 6) == 0);
	T_INT(strlen(res.output.data), 1000);
	buf_free(&res.output);

	/* Exactly the cap is not cut. */
	argv[2] = "3";
	T_INT(exec_run(argv, NULL, NULL, 10, 6, &res), OUT_OK);
	T_STR(res.output.data, "1\n2\n3\n");
	T_INT(res.output_cut, 0);
	buf_free(&res.output);
}

static void
test_env(void)
{
	char *argv[] = { "/usr/bin/env", NULL };
	char *extra[] = { "DANEROLL_HOST=mx1.example.org", "LANG=C.UTF-8",
	    NULL };
	char *bad[] = { "NOEQUALS", NULL };
	struct exec_result res;

	setenv("SECRET_TEST_VAR", "must-not-leak", 1);
	T_INT(exec_run(argv, NULL, NULL, 10, 4096, &res), OUT_OK);
	T_STR(res.output.data, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "LANG=C\n");
	buf_free(&res.output);

	T_INT(exec_run(argv, extra, NULL, 10, 4096, &res), OUT_OK);
	T_STR(res.output.data, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "LANG=C.UTF-8\nDANEROLL_HOST=mx1.example.org\n");
	T_CHECK(strstr(res.output.data, "SECRET_TEST_VAR") == NULL);
	buf_free(&res.output);

	t_log_reset();
	T_INT(exec_run(argv, bad, NULL, 10, 4096, &res), OUT_PERMFAIL);
	T_CHECK(t_log_has("not NAME=value"));
	T_CHECK(!t_log_has("NOEQUALS"));
	buf_free(&res.output);
	unsetenv("SECRET_TEST_VAR");
}

/* Shell metacharacters reach the program as they are. */
static void
test_no_shell(void)
{
	char arg[600], want[610];
	char *argv[] = { "/bin/echo", arg, NULL };
	struct exec_result res;

	snprintf(arg, sizeof(arg), "$(touch %s);rm `touch %s` | > %s *",
	    t_path("pwned1"), t_path("pwned2"), t_path("pwned3"));
	snprintf(want, sizeof(want), "%s\n", arg);
	T_INT(exec_run(argv, NULL, NULL, 10, 4096, &res), OUT_OK);
	T_STR(res.output.data, want);
	T_CHECK(access(t_path("pwned1"), F_OK) != 0);
	T_CHECK(access(t_path("pwned2"), F_OK) != 0);
	T_CHECK(access(t_path("pwned3"), F_OK) != 0);
	buf_free(&res.output);
}

/* Big stdin both ways, and a program that never reads its stdin. */
static void
test_stdin(void)
{
	char *cat[] = { "/bin/cat", NULL };
	char *tru[] = { "/bin/true", NULL };
	size_t n = 1 << 20, i;
	char *data = xmalloc(n + 1);
	struct exec_result res;

	for (i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	data[n] = '\0';
	T_INT(exec_run(cat, NULL, data, 10, 2 * n, &res), OUT_OK);
	T_INT(res.output.len, n);
	T_CHECK(res.output.len == n && memcmp(res.output.data, data, n) == 0);
	buf_free(&res.output);

	/* EPIPE, not a SIGPIPE that kills us. */
	T_INT(exec_run(tru, NULL, data, 10, 4096, &res), OUT_OK);
	buf_free(&res.output);
	free(data);
}

/* Our descriptors (database, locks) are not inherited. */
static void
test_fds_closed(void)
{
	char *argv[] = { "/bin/ls", "/proc/self/fd", NULL };
	struct exec_result res;
	int fd = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC on purpose */
	int high = dup2(fd, 100);

	T_CHECK(fd >= 0 && high == 100);
	T_INT(exec_run(argv, NULL, NULL, 10, 4096, &res), OUT_OK);
	/* 0-2 and the directory ls itself opened to list. */
	T_STR(res.output.data, "0\n1\n2\n3\n");
	buf_free(&res.output);
	close(fd);
	close(high);
}

static void
test_argv_str(void)
{
	static const struct {
		const char	*argv[4];
		const char	*want;
	} rows[] = {
		{ { "/usr/sbin/postfix", "reload" }, "/usr/sbin/postfix reload" },
		{ { "/bin/echo", "two words", "" }, "/bin/echo 'two words' ''" },
		{ { "/x", "it's", "$HOME" }, "/x 'it'\\''s' '$HOME'" },
		{ { "/x", "a\nb" }, "/x 'a\\x0ab'" },
		{ { NULL }, "" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *s = exec_argv_str((char *const *)rows[i].argv);

		T_STR(s, rows[i].want);
		free(s);
	}
}

static const struct t_case cases[] = {
	{ "exit codes, output, stdin, refusals", test_table },
	{ "not executable", test_not_executable },
	{ "timeout kills the process group", test_timeout_kills_group },
	{ "output capped, rest drained", test_output_cap },
	{ "environment is fixed plus extras", test_env },
	{ "no shell: metacharacters literal", test_no_shell },
	{ "stdin large and unread", test_stdin },
	{ "descriptors not inherited", test_fds_closed },
	{ "argv rendering", test_argv_str },
};
T_MAIN_TABLE(timed, run_timed, cases)
