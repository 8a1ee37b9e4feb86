/* Unit tests: util (durations, hex, host names). */
#include <string.h>

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

static const struct t_case cases[] = {
	{ "duration parse", test_duration },
	{ "duration format", test_fmt_duration },
	{ "hex", test_hex },
	{ "hostname", test_hostname },
};
T_MAIN(cases)
