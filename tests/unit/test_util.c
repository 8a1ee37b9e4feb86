/* Unit tests: util (durations, hex, host names, clocks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fakes.h"
#include "t.h"
#include "util.h"

static void
test_duration(void)
{
	static const struct { const char *in; long long want; } rows[] = {
		{ "90", 90 }, { "30s", 30 }, { "5m", 300 }, { "12h", 43200 },
		{ "30d", 2592000 }, { "2w", 1209600 }, { "1d 12h", 129600 },
		{ "", -1 }, { "x", -1 }, { "5y", -1 }, { "-3", -1 },
		{ "99999999999d", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		T_INT(util_parse_duration(rows[i].in), rows[i].want);
}

static void
test_fmt_duration(void)
{
	char b[32];

	T_STR(util_fmt_duration(0, b, sizeof(b)), "0s");
	T_STR(util_fmt_duration(45, b, sizeof(b)), "45s");
	T_STR(util_fmt_duration(3660, b, sizeof(b)), "1h1m");
	T_STR(util_fmt_duration(86400 + 7200 + 5, b, sizeof(b)), "1d2h");
}

static void
test_hex(void)
{
	unsigned char raw[4] = { 0xde, 0xad, 0x0b, 0xef }, back[4];
	char hex[9];

	util_hex(raw, 4, hex);
	T_STR(hex, "dead0bef");
	T_INT(util_unhex("DE AD 0b ef", back, sizeof(back)), 4);
	T_CHECK(memcmp(raw, back, 4) == 0);
	T_INT(util_unhex("abc", back, sizeof(back)), -1);
	T_INT(util_unhex("zz", back, sizeof(back)), -1);
	T_INT(util_unhex("0102030405", back, sizeof(back)), -1);
}

static void
test_hostname(void)
{
	T_CHECK(util_valid_hostname("mx1.example.org"));
	T_CHECK(util_valid_hostname("_25._tcp.mx1.example.org"));
	T_CHECK(!util_valid_hostname(""));
	T_CHECK(!util_valid_hostname("a..b"));
	T_CHECK(!util_valid_hostname("-a.b"));
	T_CHECK(!util_valid_hostname("a;rm -rf /"));
	T_CHECK(!util_valid_hostname("a\nb"));
	T_CHECK(!util_valid_hostname("../etc"));
}

static time_t
at_1000(void)
{
	return 1000;
}

/* The clocks move only through the injection points: the environment the
 * test build reads (tests/tools/test_main.c) changes nothing here. */
static void
test_clock_seams(void)
{
	struct boot_clock b;
	time_t t0 = time(NULL);

	setenv("DANEROLL_NOW", "1000", 1);
	setenv("DANEROLL_TEST_BOOT", "x:5", 1);
	T_CHECK(util_now() >= t0 && util_now() <= time(NULL));
	util_boot_clock(&b);
	T_CHECK(strcmp(b.id, "x") != 0);

	util_set_clock(at_1000);
	T_INT(util_now(), 1000);
	util_boot_clock(&b);
	T_INT(b.known, 0);	/* the kernel's would contradict it */
	fake_boot_fixed("x", 5);
	util_boot_clock(&b);
	T_INT(b.known, 1);
	T_STR(b.id, "x");
	T_INT(b.secs, 5);

	util_set_clock(NULL);
	util_set_boot_clock(NULL);
	T_CHECK(util_now() >= t0 && util_now() <= time(NULL));
	unsetenv("DANEROLL_NOW");
	unsetenv("DANEROLL_TEST_BOOT");
}

/* strftime's text for t, the formatter before util_fmt_time reckoned
 * dates itself. */
static const char *
fmt_libc(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

/* The text of every day from 1970 to 2400 (leap days, the century
 * rules) at a second that moves through the day, of the last seconds
 * reckoned and of the first ones handed to strftime, is libc's. */
static void
test_fmt_time(void)
{
	static const struct {
		time_t		 t;
		const char	*want;
	} fixed[] = {
		{ 1, "1970-01-01T00:00:01Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 1796589065, "2026-12-06T20:31:05Z" },
		{ 4107542399LL, "2100-02-28T23:59:59Z" },
		{ 4107542400LL, "2100-03-01T00:00:00Z" },
		{ 253402300799LL, "9999-12-31T23:59:59Z" },
		{ 253402300800LL, "10000-01-01T00:00:00Z" },
		{ 0, "-" },
		{ -86400, "-" },
	};
	char got[40], want[40];
	size_t i;
	time_t t;
	int bad = 0;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		T_STR(util_fmt_time(fixed[i].t, got, sizeof(got)),
		    fixed[i].want);
	for (t = 0; t < 13569465600LL && bad < 5; t += 86400) {
		time_t s = t + (t / 86400 * 7919) % 86400;

		if (s > 0 && !T_STR(util_fmt_time(s, got, sizeof(got)),
		    fmt_libc(s, want, sizeof(want))))
			bad++;
	}
	for (t = 253402300800LL - 100000; t < 253402300800LL + 100000 &&
	    bad < 5; t += 997)
		if (!T_STR(util_fmt_time(t, got, sizeof(got)),
		    fmt_libc(t, want, sizeof(want))))
			bad++;
}

static const struct t_case cases[] = {
	{ "duration parse", test_duration },
	{ "duration format", test_fmt_duration },
	{ "hex", test_hex },
	{ "time format: ISO 8601 UTC, as strftime", test_fmt_time },
	{ "hostname", test_hostname },
	{ "clock seams", test_clock_seams },
};
T_MAIN(cases)
