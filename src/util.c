/*
 * util - allocation, growable buffers, durations, clocks, hex, host names
 * and the one loop that writes a whole buffer to a descriptor.
 * See include/util.h for the contract.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

const char *
outcome_str(enum outcome o)
{
	switch (o) {
	case OUT_OK:		return "ok";
	case OUT_PENDING:	return "pending";
	case OUT_TEMPFAIL:	return "tempfail";
	case OUT_PERMFAIL:	return "permfail";
	}
	return "unknown";
}

enum outcome
outcome_parse(const char *s)
{
	enum outcome o;

	for (o = OUT_OK; s != NULL && o <= OUT_PERMFAIL; o++)
		if (strcmp(s, outcome_str(o)) == 0)
			return o;
	return OUT_OK;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		abort();
	return p;
}

void *
xgrow(void *p, size_t n, size_t size)
{
	/* Capacities 8, 16, 32, ...: a new block exactly when n reaches one. */
	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return p;
	if (n > SIZE_MAX / 2 / size)
		abort();
	return xrealloc(p, (n != 0 ? n * 2 : 8) * size);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		abort();
	va_end(ap);
	return p;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0 && b->data != NULL)
		return;	/* memcpy from NULL is undefined, even for 0 bytes */
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_add(b, p, (size_t)n);
	free(p);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int64_t
util_parse_duration(const char *s)
{
	int64_t total = 0;
	int any = 0;

	if (s == NULL)
		return -1;
	while (*s != '\0') {
		char *end;
		long long v;
		int64_t mult;

		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno != 0 || v < 0 || v > 100LL * 365 * 86400)
			return -1;
		switch (*end) {
		case 's': mult = 1; end++; break;
		case 'm': mult = 60; end++; break;
		case 'h': mult = 3600; end++; break;
		case 'd': mult = 86400; end++; break;
		case 'w': mult = 7 * 86400; end++; break;
		case '\0': case ' ': case '\t': mult = 1; break;
		default: return -1;
		}
		total += v * mult;
		if (total > 100LL * 365 * 86400)
			return -1;
		s = end;
		any = 1;
	}
	return any ? total : -1;
}

const char *
util_fmt_duration(int64_t secs, char *out, size_t outlen)
{
	static const struct { int64_t n; char c; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' }
	};
	size_t i, used = 0;
	int parts = 0;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (secs < 0) {
		snprintf(out, outlen, "-");
		used = 1;
		secs = -secs;
	}
	if (secs == 0) {
		snprintf(out + used, outlen - used, "0s");
		return out;
	}
	/* Two most significant units are enough for a human. */
	for (i = 0; i < 4 && parts < 2 && used < outlen; i++) {
		if (secs >= units[i].n) {
			int n = snprintf(out + used, outlen - used, "%" PRId64 "%c",
			    secs / units[i].n, units[i].c);
			if (n < 0)
				break;
			used += (size_t)n;
			secs %= units[i].n;
			parts++;
		} else if (parts > 0)
			break;
	}
	return out;
}

/* Two digits of v at p. */
static void
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * Every status, plan and log line formats times: gmtime_r and strftime
 * cost 2,600 instructions a time, most of status --json over a fleet.
 * Years 1970 to 9999 are reckoned here instead (days to a civil date,
 * as in Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms"),
 * the same text; a later year, or a short buffer, goes through strftime.
 */
const char *
util_fmt_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;
	unsigned doe, yoe, doy, mp, m, d, y, sec;
	int64_t days;

	if (t <= 0) {
		snprintf(out, outlen, "-");
		return out;
	}
	if ((int64_t)t >= INT64_C(253402300800) || outlen < 21) {
		gmtime_r(&t, &tm);
		strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return out;
	}
	days = (int64_t)t / 86400;
	sec = (unsigned)((int64_t)t % 86400);
	/* From 0000-03-01: 400-year eras of 146,097 days. */
	days += 719468;
	doe = (unsigned)(days % 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = (unsigned)(days / 146097) * 400 + yoe + (m <= 2);
	put2(out, y / 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, sec / 3600);
	out[13] = ':';
	put2(out + 14, sec / 60 % 60);
	out[16] = ':';
	put2(out + 17, sec % 60);
	out[19] = 'Z';
	out[20] = '\0';
	return out;
}

void
util_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_unhex(const char *s, unsigned char *out, size_t outmax)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		if ((v = util_hexval((unsigned char)*s)) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= outmax)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	return (int)n;
}

int
util_valid_hostname(const char *s)
{
	size_t len = 0, label = 0;
	int prev = '.';

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++, len++) {
		int c = (unsigned char)*s;

		if (c == '.') {
			if (label == 0 || prev == '-')
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (c == '-' && label == 0)
				return 0;
			if (++label > 63)
				return 0;
		} else
			return 0;
		prev = c;
	}
	return len <= 253 && prev != '-';
}

int
util_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;	/* no progress: do not spin */
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The test seams: NULL in daneroll, which never sets them. */
static time_t	(*clock_hook)(void);
static void	(*boot_hook)(struct boot_clock *);

void
util_set_clock(time_t (*fn)(void))
{
	clock_hook = fn;
}

void
util_set_boot_clock(void (*fn)(struct boot_clock *))
{
	boot_hook = fn;
}

time_t
util_now(void)
{
	if (clock_hook != NULL)
		return clock_hook();
	return time(NULL);
}

int64_t
util_mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Milliseconds, rounded up: a time that proves "served since" must not
 * be earlier than the proof. Under a faked wall clock (seconds apart
 * from the real one), that clock's whole seconds.
 */
int64_t
util_now_ms(void)
{
	struct timespec ts;
	time_t now = util_now();
	int64_t ms;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    ts.tv_sec < now - 1 || ts.tv_sec > now + 1)
		return (int64_t)now * 1000;
	ms = (int64_t)ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000;
	return ms > (int64_t)now * 1000 ? ms : (int64_t)now * 1000;
}

time_t
util_ms_to_s_ceil(int64_t ms)
{
	return (time_t)(ms > 0 ? (ms + 999) / 1000 : 0);
}

/* The boot's id, read once: a process does not outlive its boot, and a
 * run over a fleet asks for it once a host. "" until read. */
static const char *
boot_id(void)
{
	static char id[sizeof(((struct boot_clock *)0)->id)];
	FILE *f;

	if (id[0] == '\0' &&
	    (f = fopen("/proc/sys/kernel/random/boot_id", "r")) != NULL) {
		if (fgets(id, sizeof(id), f) != NULL)
			id[strcspn(id, "\n")] = '\0';
		else
			id[0] = '\0';
		fclose(f);
	}
	return id;
}

void
util_boot_clock(struct boot_clock *b)
{
	struct timespec ts;

	memset(b, 0, sizeof(*b));
	if (boot_hook != NULL) {
		boot_hook(b);
		return;
	}
	/* The kernel's boot clock would contradict a faked wall clock. */
	if (clock_hook != NULL)
		return;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return;
	snprintf(b->id, sizeof(b->id), "%s", boot_id());
	b->known = b->id[0] != '\0';
	b->secs = b->known ? (int64_t)ts.tv_sec : 0;
}
