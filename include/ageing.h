/*
 * ageing - when may a chain go live? The pure core of the safety invariant.
 *
 * An owner name's TLSA RRset passes through versions v0, v1, ... vn; v0 may
 * be "no RRset" (NXDOMAIN/NODATA, negatively cached). A validating resolver
 * may hold version vi until every authoritative address serves a later
 * version (at q[i+1], the moment the last address first matched it), plus
 * the TTL it was cached with. A chain may be served from time t only if it
 * matches every version a resolver may still hold at t:
 *
 *   safe_at = max over the versions vi (i < n) the chain does NOT match of
 *             q[i+1] + max(ttl[i], ttl[i+1]) + (neg_ttl if vi had no RRset)
 *             + 1 s + margin
 *
 * and never while the newest version vn does not match, or while a later
 * version that follows a non-matching one has not reached every address.
 *
 * The physics does not depend on margin (the operator's slack): q is kept
 * in milliseconds, taken at the end of the observation that proved it and
 * rounded up; resolvers keep cache expiry in whole seconds, so a cached
 * RRset may outlive its TTL by up to a second (the 1 s above); and the
 * result is rounded up to the second, so that "now >= safe_at" with now
 * in whole seconds (rounded down) is never early.
 * No I/O: callers fill the history from the store.
 */
#ifndef DANEROLL_AGEING_H
#define DANEROLL_AGEING_H

#include <stdint.h>
#include <time.h>

struct rrset_version {
	int	 exists;	/* 0: NXDOMAIN/NODATA (negatively cached) */
	int	 matches;	/* the chain in question matches this version */
	int64_t	 ttl;		/* TTL of the records (0 if !exists) */
	int64_t	 neg_ttl;	/* SOA negative TTL of the zone */
	int64_t	 propagated_ms;	/* every address serves it, in ms since
				 * the epoch, rounded up; 0: not yet */
};

/* How long past its TTL a resolver may still serve a cached RRset. */
#define AGEING_RESOLVER_SLACK_MS	1000

enum ageing_verdict {
	AGE_SAFE = 0,		/* safe from *at on (may be in the past) */
	AGE_WAIT_PROPAGATION,	/* a version it depends on is not served everywhere */
	AGE_NEVER		/* the newest version does not match the chain */
};

/* Versions oldest first; n >= 1. Sets *at for AGE_SAFE. */
enum ageing_verdict ageing_safe_at(const struct rrset_version *, int n,
		    int64_t margin, time_t *at);

/*
 * A recorded "served everywhere" time as the boot clock dates it: within
 * the boot that recorded it, now less the boot clock's elapsed seconds,
 * if that is later than the wall clock's record by more than
 * AGEING_CLOCK_SLACK (the wall clock jumped forward since: counting on it
 * would shorten ageing), plus AGEING_BOOT_ROUNDING: the clocks are read
 * in whole seconds, so the difference is rounded toward safety (found by
 * test_model, seed 0x92162b8aa2d91233: a deploy 0.4 s early after a
 * jump). Otherwise, or in another boot, the record as it is. Never
 * earlier than the record.
 */
#define AGEING_CLOCK_SLACK	2
#define AGEING_BOOT_ROUNDING	2
time_t		 ageing_boot_dated(time_t recorded_at, const char *boot_id,
		    int64_t boot_s, const char *now_boot_id, int64_t now_boot_s,
		    time_t now);

#endif
