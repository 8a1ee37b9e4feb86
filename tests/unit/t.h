/*
 * t - the unit test harness. A test file lists its cases in a table and
 * ends with T_MAIN(cases), or with T_MAIN_TABLE(rows, fn, cases) where
 * scenarios of one shape are rows of data that one function runs (each row
 * a case). Each case passes when every T_CHECK in it holds;
 * a failing check prints file:line and the expression. The program prints
 * one line per case and a closing "N passed, N failed" that tests/run.sh adds
 * up.
 *
 * Helpers make a private temporary directory per test program, so tests
 * never touch each other's files or anything outside it.
 */
#ifndef DANEROLL_T_H
#define DANEROLL_T_H

#include <stddef.h>
#include <sys/types.h>

struct t_case {
	const char	*name;
	void		(*fn)(void);
};

int	t_check(int ok, const char *expr, const char *file, int line);
int	t_check_str(const char *got, const char *want, const char *expr,
	    const char *file, int line);
int	t_check_int(long long got, long long want, const char *expr,
	    const char *file, int line);
int	t_run(const struct t_case *, size_t n, int argc, char **argv);
/*
 * Tests as data: first one case per row of rows (nrows of size bytes,
 * each starting with its name as a const char *), each run by row_fn,
 * then the n cases. With T_COUNT=1 each case's number of checks goes to
 * stderr, and the total.
 */
int	t_run_table(const void *rows, size_t size, size_t nrows,
	    void (*row_fn)(const void *), const struct t_case *cases,
	    size_t n, int argc, char **argv);

/* A fresh directory for this program, removed at exit unless T_KEEP=1. */
const char *t_tmpdir(void);
/* t_tmpdir() + "/" + name, in a static rotating buffer. */
const char *t_path(const char *name);
/* Writes a file (mode 0600) under t_tmpdir(); returns its path. */
const char *t_write(const char *name, const char *content);
/* Reads a whole file; caller frees; NULL if absent or unreadable (a
 * directory). */
char	*t_read(const char *path);
/* The same with its length in *lenp (if not NULL): binary files too. */
char	*t_read_len(const char *path, size_t *lenp);
/* 1 if the file at path holds exactly want. */
int	 t_holds(const char *path, const char *want);
/* Entries in dir other than "." and "..", only the hidden ones (a leading
 * '.': temp files) if hidden; -1 if it cannot be read. */
int	 t_dir_count(const char *dir, int hidden);
/* SIGKILLs and reaps a child the test forked (a fake server); nothing if
 * *pid <= 0; sets *pid to 0, so a second call is harmless. */
void	 t_kill(pid_t *pid);
/* Seconds on the monotonic clock, for timing a call. */
double	 t_now_s(void);
/* Counts log lines at or above WARN that contain needle since t_log_reset. */
void	 t_log_capture(void);
void	 t_log_reset(void);
int	 t_log_has(const char *needle);
const char *t_log_text(void);

#define T_CHECK(e)	t_check(!!(e), #e, __FILE__, __LINE__)
#define T_STR(g, w)	t_check_str((g), (w), #g, __FILE__, __LINE__)
#define T_INT(g, w)	t_check_int((long long)(g), (long long)(w), #g, \
			    __FILE__, __LINE__)
#define T_NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define T_MAIN_TABLE(rows, row_fn, cases) \
	int main(int argc, char **argv) { \
		return t_run_table(rows, sizeof(rows[0]), T_NELEM(rows), \
		    row_fn, cases, T_NELEM(cases), argc, argv); \
	}
#define T_MAIN(cases) \
	int main(int argc, char **argv) { \
		return t_run(cases, sizeof(cases) / sizeof(cases[0]), \
		    argc, argv); \
	}

#endif
