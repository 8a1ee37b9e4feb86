/*
 * util - small helpers shared by every module: allocation, strings,
 * durations and the tri-state outcome that every side effect returns.
 *
 * Allocation failure aborts (there is no useful recovery, and SQLite's
 * journal keeps the state consistent across an abort). Every string
 * returned by a util_ function is owned by the caller and freed with free().
 */
#ifndef DANEROLL_UTIL_H
#define DANEROLL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The result of any step that touches the world. */
enum outcome {
	OUT_OK = 0,	/* done */
	OUT_PENDING,	/* not done yet, nothing wrong: try again later */
	OUT_TEMPFAIL,	/* failed, may succeed later: back off and retry */
	OUT_PERMFAIL	/* failed, will not succeed without a human */
};
const char	*outcome_str(enum outcome);
/* The outcome outcome_str named; OUT_OK for NULL or anything else. */
enum outcome	 outcome_parse(const char *);

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
/* Room for element n of array p of n elements of size each, growing by
 * doubling (so n appends cost O(n), not O(n^2) of copies): every append
 * to such an array must go through it. */
void	*xgrow(void *p, size_t n, size_t size);
char	*xstrdup(const char *);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Growable byte buffer; data is always NUL-terminated. */
struct buf {
	char	*data;
	size_t	 len, cap;
};
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_free(struct buf *);

/* Parses "90", "30s", "5m", "12h", "30d", "2w" into seconds; -1 if bad. */
int64_t	 util_parse_duration(const char *);
/* Formats seconds as "1d2h", "45s"... into the caller's buffer. */
const char *util_fmt_duration(int64_t, char *, size_t);
/* Formats a time as ISO 8601 UTC "2026-11-28T19:30:00Z". */
const char *util_fmt_time(time_t, char *, size_t);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void	 util_hex(const unsigned char *, size_t, char *out);
/* Parses hex (whitespace allowed between digits); returns length or -1. */
int	 util_unhex(const char *, unsigned char *out, size_t outmax);
/* The value of one hex digit (either case), or -1 for any other char. */
int	 util_hexval(int c);

/* True if s is a syntactically valid DNS host name (LDH labels, dots). */
int	 util_valid_hostname(const char *);

/*
 * Writes all n octets of p to fd, again after EINTR: 0, or -1 with errno
 * set. A socket is written with MSG_NOSIGNAL, so a peer that is gone is
 * an error (EPIPE) here, not a SIGPIPE that ends the process.
 */
int	 util_write_all(int fd, const void *p, size_t n);

/* The time daneroll believes it is: time(NULL), unless a test set a clock. */
time_t	 util_now(void);
/* The same clock in milliseconds since the epoch, rounded up. */
int64_t	 util_now_ms(void);
/* Milliseconds to whole seconds, rounded up (0 stays 0). */
time_t	 util_ms_to_s_ceil(int64_t ms);
/* CLOCK_MONOTONIC in milliseconds: for timeouts, which no one's setting
 * the clock may stretch or cut; never a test's clock. */
int64_t	 util_mono_ms(void);

/*
 * The boot clock: which boot this is, and CLOCK_BOOTTIME in seconds, a
 * clock no one sets. Unknown (known = 0) where it cannot be read, and
 * under a test's clock (util_set_clock), which it would contradict,
 * unless the test set a boot clock too.
 */
struct boot_clock {
	int	 known;
	char	 id[40];
	int64_t	 secs;
};
void	 util_boot_clock(struct boot_clock *);

/*
 * Test seams. daneroll never sets them: only the test build's main
 * (tests/tools/test_main.c, from DANEROLL_NOW and DANEROLL_TEST_BOOT) and
 * the unit tests do, so no environment can fake the clocks that guard
 * the safety invariant. util_set_clock makes util_now() return fn();
 * util_set_boot_clock makes util_boot_clock() return what fn fills in
 * (a zeroed struct; left so, the boot clock is unknown). NULL: the real
 * clock again.
 */
void	 util_set_clock(time_t (*fn)(void));
void	 util_set_boot_clock(void (*fn)(struct boot_clock *));

#endif
