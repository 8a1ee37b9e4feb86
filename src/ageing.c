/*
 * ageing - the deploy guard's arithmetic. See include/ageing.h.
 */
#include <string.h>

#include "ageing.h"

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

enum ageing_verdict
ageing_safe_at(const struct rrset_version *v, int n, int64_t margin,
    time_t *at)
{
	int64_t safe = 0;	/* ms */
	int i;

	if (n < 1 || !v[n - 1].exists || !v[n - 1].matches)
		return AGE_NEVER;
	for (i = 0; i < n - 1; i++) {
		int64_t wait = v[i].ttl;	/* seconds */
		int64_t gone = 0;		/* ms */
		int j;

		if (v[i].exists && v[i].matches)
			continue;
		/*
		 * vi does not match: resolvers may hold it until a later
		 * version reached every address (authoritative servers only
		 * move forward), plus its lifetime in a cache. A later
		 * version that never propagated (a publish that failed or
		 * was superseded) hands the clock on to the next one.
		 */
		for (j = i + 1; j < n && gone == 0; j++) {
			wait = max64(wait, v[j].ttl);
			gone = v[j].propagated_ms;
		}
		if (gone == 0)
			return AGE_WAIT_PROPAGATION;
		wait += margin;
		if (!v[i].exists)
			wait += v[i].neg_ttl;
		safe = max64(safe, gone + wait * 1000 +
		    AGEING_RESOLVER_SLACK_MS);
	}
	/* The newest version itself must be served everywhere. */
	if (v[n - 1].propagated_ms == 0)
		return AGE_WAIT_PROPAGATION;
	safe = max64(safe, v[n - 1].propagated_ms);
	/* Up to the second: callers compare with whole seconds. */
	*at = (time_t)((safe + 999) / 1000);
	return AGE_SAFE;
}

time_t
ageing_boot_dated(time_t recorded_at, const char *boot_id, int64_t boot_s,
    const char *now_boot_id, int64_t now_boot_s, time_t now)
{
	time_t by_boot;

	if (recorded_at == 0 || boot_id == NULL || *boot_id == '\0' ||
	    now_boot_id == NULL || strcmp(boot_id, now_boot_id) != 0 ||
	    now_boot_s < boot_s)
		return recorded_at;
	by_boot = now - (time_t)(now_boot_s - boot_s);
	if (by_boot <= recorded_at + AGEING_CLOCK_SLACK)
		return recorded_at;
	/* now and the two boot readings are whole seconds, each up to one
	 * short: the time they give may be up to two seconds early. */
	return by_boot + AGEING_BOOT_ROUNDING;
}
