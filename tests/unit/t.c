/*
 * t - unit test harness implementation. See t.h.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "t.h"
#include "util.h"

static int	 case_failed;
static long	 checks_made;	/* T_CHECK, T_INT, T_STR evaluated */
static char	 tmpdir[256];
static struct buf logged;

int
t_check(int ok, const char *expr, const char *file, int line)
{
	checks_made++;
	if (!ok) {
		printf("    FAIL %s:%d: %s\n", file, line, expr);
		case_failed = 1;
	}
	return ok;
}

int
t_check_str(const char *got, const char *want, const char *expr,
    const char *file, int line)
{
	int ok = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	checks_made++;
	if (!ok) {
		printf("    FAIL %s:%d: %s\n      got:  %s\n      want: %s\n",
		    file, line, expr, got ? got : "(null)",
		    want ? want : "(null)");
		case_failed = 1;
	}
	return ok;
}

int
t_check_int(long long got, long long want, const char *expr,
    const char *file, int line)
{
	checks_made++;
	if (got != want) {
		printf("    FAIL %s:%d: %s = %lld, want %lld\n", file, line,
		    expr, got, want);
		case_failed = 1;
		return 0;
	}
	return 1;
}

static void
cleanup(void)
{
	const char *keep = getenv("T_KEEP");
	char *argv[] = { "rm", "-rf", tmpdir, NULL };
	pid_t pid;

	if (tmpdir[0] == '\0' || (keep != NULL && strcmp(keep, "1") == 0))
		return;
	/* No shell: rm with an argument vector. */
	if ((pid = fork()) == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	if (pid > 0) {
		int st;

		(void)waitpid(pid, &st, 0);
	}
}

const char *
t_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/daneroll-t.XXXXXX",
		    base ? base : "/tmp");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			abort();
		}
		atexit(cleanup);
	}
	return tmpdir;
}

const char *
t_path(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *p = bufs[next++ % 8];

	snprintf(p, 512, "%s/%s", t_tmpdir(), name);
	return p;
}

const char *
t_write(const char *name, const char *content)
{
	const char *path = t_path(name);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		abort();
	}
	fputs(content, f);
	fclose(f);
	(void)chmod(path, 0600);
	return path;
}

char *
t_read_len(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "r");
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	/* A directory opens but cannot be read: it is no file. */
	if (ferror(f)) {
		fclose(f);
		free(b.data);
		return NULL;
	}
	fclose(f);
	if (lenp != NULL)
		*lenp = b.len;
	if (b.data == NULL)
		return xstrdup("");
	return b.data;
}

char *
t_read(const char *path)
{
	return t_read_len(path, NULL);
}

int
t_holds(const char *path, const char *want)
{
	char *got = t_read(path);
	int ok = got != NULL && want != NULL && strcmp(got, want) == 0;

	free(got);
	return ok;
}

int
t_dir_count(const char *dir, int hidden)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0 &&
		    (!hidden || e->d_name[0] == '.'))
			n++;
	closedir(d);
	return n;
}

void
t_kill(pid_t *pid)
{
	int st;

	if (*pid > 0) {
		(void)kill(*pid, SIGKILL);
		(void)waitpid(*pid, &st, 0);
	}
	*pid = 0;
}

double
t_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sink(enum log_level lvl, const char *line, void *arg)
{
	(void)arg;
	(void)lvl;
	buf_puts(&logged, line);
	buf_puts(&logged, "\n");
}

void
t_log_capture(void)
{
	log_set_sink(sink, NULL);
}

void
t_log_reset(void)
{
	buf_free(&logged);
	log_clear_error();
}

int
t_log_has(const char *needle)
{
	return logged.data != NULL && strstr(logged.data, needle) != NULL;
}

const char *
t_log_text(void)
{
	return logged.data ? logged.data : "";
}

/* One case: its name, then ok or not ok (with the log if it failed);
 * with T_COUNT=1 the checks it made, on stderr. 1 if it passed. */
static int
run_case(const char *name, void (*fn)(void), void (*row_fn)(const void *),
    const void *row)
{
	long before = checks_made;

	case_failed = 0;
	t_log_reset();
	if (fn != NULL)
		fn();
	else
		row_fn(row);
	if (getenv("T_COUNT") != NULL)
		fprintf(stderr, "%ld checks - %s\n", checks_made - before,
		    name);
	if (case_failed) {
		printf("not ok - %s\n", name);
		if (getenv("T_VERBOSE") == NULL && logged.data != NULL)
			printf("    log:\n%s", logged.data);
		return 0;
	}
	printf("ok - %s\n", name);
	return 1;
}

int
t_run_table(const void *rows, size_t size, size_t nrows,
    void (*row_fn)(const void *), const struct t_case *cases, size_t n,
    int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	const char *p = rows;
	int passed = 0, failed = 0;
	size_t i;

	/* Keep test output terse: messages go to the capture sink only. */
	log_init(getenv("T_VERBOSE") ? 2 : -2, 0);
	t_log_capture();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < nrows + n; i++) {
		/* No arithmetic on a NULL table (t_run has none). */
		const void *row = i < nrows ? p + i * size : NULL;
		const char *name = i < nrows ? *(const char *const *)row :
		    cases[i - nrows].name;

		if (only != NULL && strcmp(only, name) != 0)
			continue;
		if (i < nrows ? run_case(name, NULL, row_fn, row) :
		    run_case(name, cases[i - nrows].fn, NULL, NULL))
			passed++;
		else
			failed++;
	}
	if (getenv("T_COUNT") != NULL)
		fprintf(stderr, "%ld checks made\n", checks_made);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

int
t_run(const struct t_case *cases, size_t n, int argc, char **argv)
{
	return t_run_table(NULL, 0, 0, NULL, cases, n, argc, argv);
}
