/*
 * t_machine - what the state machine's table tests share (test_machine,
 * test_host_step): a fixed now, the current+next policy, and STEADY, a
 * slot at rest (current live, next published and aged, certificate
 * fresh) that rows override a few fields of.
 */
#ifndef DANEROLL_T_MACHINE_H
#define DANEROLL_T_MACHINE_H

#include "machine.h"

#define NOW	1800000000
#define DAY	86400

static const struct slot_policy next_policy = {
	.scheme = SCHEME_CURRENT_NEXT, .renew_before = 30 * DAY,
	.rotate_after = 0, .expiry_alert = 14 * DAY, .verify_attempts = 3,
	.cert_lifetime = 90 * DAY,
};

#define STEADY .has_current = 1, .has_next = 1, .deployed = DK_CURRENT, \
	.cert_not_after = NOW + 60 * DAY, .current_since = NOW - 30 * DAY, \
	.published = 1, .guard = AGE_SAFE, .guard_at = NOW - DAY

#endif
