/*
 * Unit tests: ageing_safe_at, the deploy guard's arithmetic, as a table of
 * RRset histories.
 */
#include <stdio.h>

#include "ageing.h"
#include "t.h"

#define T0	1800000000

/* exists, matches, ttl, neg_ttl, propagated_ms; q in seconds */
#define MS(q)		((int64_t)(q) * 1000)
#define NONE(neg, q)	{ 0, 0, 0, (neg), MS(q) }
#define OLD(ttl, q)	{ 1, 0, (ttl), 300, MS(q) }
#define HAS(ttl, q)	{ 1, 1, (ttl), 300, MS(q) }
/* A resolver may hold an RRset up to a second past its TTL. */
#define R		1

/* A verdict's name, for the message of a failing row. */
static const char *
verdict_str(enum ageing_verdict a)
{
	switch (a) {
	case AGE_SAFE:			return "safe";
	case AGE_WAIT_PROPAGATION:	return "waiting for propagation";
	case AGE_NEVER:			return "not published";
	}
	return "unknown";
}

struct row {
	const char		*name;
	struct rrset_version	 v[4];
	int			 n;
	int64_t			 margin;
	enum ageing_verdict	 want;
	time_t			 want_at;
};

static const struct row rows[] = {
	{ "adopted: the only version matches",
	  { HAS(3600, T0) }, 1, 60, AGE_SAFE, T0 },
	{ "new RRset: TTL plus negative TTL plus margin",
	  { NONE(300, 0), HAS(3600, T0) }, 2, 60, AGE_SAFE,
	  T0 + 3600 + 300 + 60 + R },
	{ "next added to an RRset without it",
	  { OLD(3600, T0 - 999), HAS(3600, T0) }, 2, 60, AGE_SAFE,
	  T0 + 3600 + 60 + R },
	{ "TTL lowered: the old, longer TTL counts",
	  { OLD(86400, T0 - 5), HAS(300, T0) }, 2, 0, AGE_SAFE,
	  T0 + 86400 + R },
	{ "TTL raised: the new, longer TTL counts",
	  { OLD(300, T0 - 5), HAS(3600, T0) }, 2, 0, AGE_SAFE,
	  T0 + 3600 + R },
	{ "not yet on every address",
	  { OLD(3600, T0 - 5), HAS(3600, 0) }, 2, 60,
	  AGE_WAIT_PROPAGATION, 0 },
	{ "newest version does not hold the record",
	  { HAS(3600, T0 - 5), OLD(3600, T0) }, 2, 60, AGE_NEVER, 0 },
	{ "record removed and re-added: clock restarts",
	  { HAS(3600, T0 - 9000), OLD(3600, T0 - 5000), HAS(3600, T0) }, 3,
	  0, AGE_SAFE, T0 + 3600 + R },
	{ "later versions keep the record: clock from first match",
	  { OLD(3600, T0 - 9000), HAS(3600, T0 - 5000), HAS(3600, T0) }, 3,
	  0, AGE_SAFE, T0 },
	{ "later version keeping it still propagating",
	  { OLD(3600, T0 - 9000), HAS(3600, T0 - 5000), HAS(3600, 0) }, 3,
	  0, AGE_WAIT_PROPAGATION, 0 },
	{ "a failed publish in between hands the clock on",
	  { OLD(3600, T0 - 9000), HAS(3600, 0), HAS(3600, T0) }, 3, 0,
	  AGE_SAFE, T0 + 3600 + R },
	{ "a failed publish of a longer TTL still counts",
	  { OLD(300, T0 - 9000), HAS(7200, 0), HAS(300, T0) }, 3, 0,
	  AGE_SAFE, T0 + 7200 + R },
	{ "no versions at all", { HAS(0, 0) }, 0, 0, AGE_NEVER, 0 },
	/* Issue 12: served everywhere at T0.380 with TTL 10 and margin 0
	 * was deployed at T0 + 10 (0.38 s early) and a warm resolver's
	 * copy, expiring in whole seconds, outlived that. */
	{ "sub-second: rounded up, plus the resolver's second",
	  { OLD(10, T0 - 50), { 1, 1, 10, 300, MS(T0) + 380 } }, 2, 0,
	  AGE_SAFE, T0 + 12 },
	{ "on the second: the resolver's second, not more",
	  { OLD(10, T0 - 50), HAS(10, T0) }, 2, 0, AGE_SAFE, T0 + 11 },
	{ "the newest version alone: its own time, rounded up",
	  { { 1, 1, 10, 300, MS(T0) + 1 } }, 1, 0, AGE_SAFE, T0 + 1 },
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		time_t at = 0;
		enum ageing_verdict v = ageing_safe_at(r->v, r->n, r->margin,
		    &at);

		if (v != AGE_SAFE)
			at = 0;
		if (!T_CHECK(v == r->want && at == r->want_at))
			printf("    row \"%s\": got %s at %+lld, want %s at "
			    "%+lld\n", r->name, verdict_str(v),
			    at ? (long long)(at - T0) : 0LL,
			    verdict_str(r->want),
			    r->want_at ? (long long)(r->want_at - T0) : 0LL);
	}
}

/* A "served everywhere" time dated by the boot clock: only within the
 * boot that recorded it, only later, and not for a second's rounding. */
static void
test_boot_dated(void)
{
	const time_t rec = T0 + 100, now = T0 + 100 + 86400 + 30;

	/* Set a day forward: 30 s passed on the boot clock, read in whole
	 * seconds as the wall clock is: up to two seconds later, to be
	 * safe. */
	T_INT(ageing_boot_dated(rec, "b1", 500, "b1", 530, now), now - 30 +
	    AGEING_BOOT_ROUNDING);
	/* Another boot, or none recorded or known: the record. */
	T_INT(ageing_boot_dated(rec, "b1", 500, "b2", 530, now), rec);
	T_INT(ageing_boot_dated(rec, "", 500, "b1", 530, now), rec);
	T_INT(ageing_boot_dated(rec, NULL, 500, "b1", 530, now), rec);
	T_INT(ageing_boot_dated(rec, "b1", 500, NULL, 530, now), rec);
	/* Clocks that agree, within the slack: the record. */
	T_INT(ageing_boot_dated(rec, "b1", 500, "b1", 500 + 86430 -
	    AGEING_CLOCK_SLACK, now), rec);
	/* Set back (the wall clock shows less time than passed): never
	 * earlier than the record. */
	T_INT(ageing_boot_dated(rec, "b1", 500, "b1", 500 + 3 * 86400, now),
	    rec);
	/* A boot clock behind the record (impossible in one boot), or no
	 * record: as they are. */
	T_INT(ageing_boot_dated(rec, "b1", 500, "b1", 400, now), rec);
	T_INT(ageing_boot_dated(0, "b1", 500, "b1", 530, now), 0);
}

static const struct t_case cases[] = {
	{ "safe_at table", test_table },
	{ "served-everywhere times dated by the boot clock", test_boot_dated },
};
T_MAIN(cases)
