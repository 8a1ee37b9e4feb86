/*
 * host_step - one host's step over all its slots. See include/host_step.h.
 */
#include <string.h>

#include "host_step.h"

void
host_step(const struct host_slot *slots, int n, time_t now,
    const struct slot_policy *pol, struct host_step *out)
{
	int i, publish = 0;

	memset(out, 0, sizeof(*out));
	if (n > HOST_STEP_MAX_SLOTS)
		n = HOST_STEP_MAX_SLOTS;
	out->nslots = n;
	for (i = 0; i < n; i++) {
		const struct host_slot *s = &slots[i];
		struct slot_step *st = &out->step[i];
		unsigned bit = 1u << i;

		*st = machine_step(s->state, &s->facts, now, pol);
		if (st->alert > out->alert)
			out->alert = st->alert;
		if (st->alert == ALERT_CRITICAL)
			out->critical |= bit;
		if (machine_stuck(st))
			out->stuck = 1;
		if (st->state != SLOT_STANDBY && st->state != SLOT_FAILED)
			out->busy = 1;
		if (machine_next_lost(s->state, &s->facts))
			out->lost_next |= bit;
		if (s->facts.retry_at > now)
			out->backoff |= bit;
		switch (st->action) {
		case ACT_NONE:
			if (st->state != s->state || st->wake_at != s->wake_at)
				out->record |= bit;
			break;
		case ACT_PUBLISH:
			publish = 1;
			/* FALLTHROUGH */
		case ACT_OBSERVE:
			out->sharing |= bit;
			break;
		default:
			out->local |= bit;
			break;
		}
	}
	if (out->sharing != 0)
		out->shared = publish ? ACT_PUBLISH : ACT_OBSERVE;
}

int
host_step_due(const struct host_step *hs)
{
	return hs->local != 0 || hs->sharing != 0 || hs->record != 0 ||
	    hs->lost_next != 0 || hs->backoff != 0 || hs->alert != ALERT_NONE;
}
