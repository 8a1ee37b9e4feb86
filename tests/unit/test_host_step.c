/*
 * Unit tests: the host step, as a table of (slots as stored, their facts)
 * -> (which slots act alone, the one host-wide publish or observe and who
 * shares it, what to record, drop and report). machine_step's own rows are
 * test_machine's; these rows are about what the host makes of them.
 */
#include <string.h>

#include "host_step.h"
#include "t.h"
#include "t_machine.h"

/* Rows override a few fields of a common base (STEADY) on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

/* A slot at rest in standby until renewal, 30 days before its expiry. */
#define AT_REST { SLOT_STANDBY, NOW + 30 * DAY, { STEADY } }
/* The next key not yet in DNS: a publish. */
#define TO_PUBLISH { SLOT_PUBLISHING, 0, { .has_current = 1, .has_next = 1, \
	.deployed = DK_CURRENT, .cert_not_after = NOW + 80 * DAY } }
/* Published, not yet served by every address: an observation. */
#define TO_OBSERVE { SLOT_PUBLISHING, 0, \
	{ STEADY, .guard = AGE_WAIT_PROPAGATION } }
/* Renewal due: an issue, the slot's own action. */
#define TO_ISSUE { SLOT_STANDBY, NOW + 30 * DAY, \
	{ STEADY, .cert_not_after = NOW + 29 * DAY } }

struct row {
	const char		*name;
	int			 n;
	struct host_slot	 slots[HOST_STEP_MAX_SLOTS];
	/* What the host makes of the steps. */
	enum slot_action	 shared;
	unsigned		 sharing, local, record, lost_next, backoff;
	unsigned		 critical;
	enum alert_level	 alert;
	int			 busy, stuck, due;
};

static const struct row rows[] = {
	{ "two slots at rest: nothing due", 2, { AT_REST, AT_REST },
	  ACT_NONE, 0, 0, 0, 0, 0, 0, ALERT_NONE, 0, 0, 0 },
	{ "no slot: nothing due", 0, { AT_REST },
	  ACT_NONE, 0, 0, 0, 0, 0, 0, ALERT_NONE, 0, 0, 0 },
	{ "at rest with a wake not stored yet: recorded", 2,
	  { AT_REST, { SLOT_STANDBY, 0, { STEADY } } },
	  ACT_NONE, 0, 0, 2, 0, 0, 0, ALERT_NONE, 0, 0, 1 },
	{ "state moved on without an action: recorded", 1,
	  { { SLOT_AGEING, NOW + 30 * DAY, { STEADY } } },
	  ACT_NONE, 0, 0, 1, 0, 0, 0, ALERT_NONE, 0, 0, 1 },
	{ "one slot publishes, one observes: one publish for both", 2,
	  { TO_OBSERVE, TO_PUBLISH },
	  ACT_PUBLISH, 3, 0, 0, 0, 0, 0, ALERT_NONE, 1, 0, 1 },
	{ "both observe: one observation", 2, { TO_OBSERVE, TO_OBSERVE },
	  ACT_OBSERVE, 3, 0, 0, 0, 0, 0, ALERT_NONE, 1, 0, 1 },
	{ "the slot at rest takes no part in the publish", 2,
	  { AT_REST, TO_PUBLISH },
	  ACT_PUBLISH, 2, 0, 0, 0, 0, 0, ALERT_NONE, 1, 0, 1 },
	{ "a slot's own action beside another's observation", 2,
	  { TO_ISSUE, TO_OBSERVE },
	  ACT_OBSERVE, 2, 1, 0, 0, 0, 0, ALERT_NONE, 1, 0, 1 },
	{ "renewal due on one slot: its own action, no shared one", 2,
	  { AT_REST, TO_ISSUE },
	  ACT_NONE, 0, 2, 0, 0, 0, 0, ALERT_NONE, 1, 0, 1 },
	{ "record gone from DNS while deploying: critical, stuck", 2,
	  { AT_REST, { SLOT_DEPLOYING, 0, { STEADY, .chain_staged = 1,
	    .guard = AGE_NEVER } } },
	  ACT_NONE, 0, 0, 0, 0, 0, 2, ALERT_CRITICAL, 1, 1, 1 },
	{ "next key's file gone at rest: discarded", 2,
	  { AT_REST, { SLOT_STANDBY, NOW + 30 * DAY, { STEADY,
	    .next_lost = 1 } } },
	  ACT_NONE, 0, 0, 0, 2, 0, 0, ALERT_NONE, 0, 0, 1 },
	{ "next key's file gone while it is deployed: kept", 1,
	  { { SLOT_DEPLOYING, 0, { STEADY, .chain_staged = 1,
	    .deployed = DK_NEXT, .next_lost = 1 } } },
	  ACT_NONE, 0, 1, 0, 0, 0, 0, ALERT_NONE, 1, 0, 1 },
	{ "backing off: the failure is reported, nothing run", 2,
	  { { SLOT_ISSUING, NOW + 600, { STEADY, .cert_not_after =
	    NOW + 29 * DAY, .failures = 2, .retry_at = NOW + 600 } },
	    TO_OBSERVE },
	  ACT_OBSERVE, 2, 0, 0, 0, 1, 0, ALERT_NONE, 1, 0, 1 },
	{ "a back-off that has ended: the action again", 1,
	  { { SLOT_ISSUING, NOW, { STEADY, .cert_not_after =
	    NOW + 29 * DAY, .failures = 2, .retry_at = NOW } } },
	  ACT_NONE, 0, 1, 0, 0, 0, 0, ALERT_NONE, 1, 0, 1 },
};

static void
row_run(const void *arg)
{
	const struct row *r = arg;
	struct host_step hs;
	int i;

	host_step(r->slots, r->n, NOW, &next_policy, &hs);
	T_INT(hs.nslots, r->n);
	T_INT(hs.shared, r->shared);
	T_INT(hs.sharing, r->sharing);
	T_INT(hs.local, r->local);
	T_INT(hs.record, r->record);
	T_INT(hs.lost_next, r->lost_next);
	T_INT(hs.backoff, r->backoff);
	T_INT(hs.critical, r->critical);
	T_INT(hs.alert, r->alert);
	T_INT(hs.busy, r->busy);
	T_INT(hs.stuck, r->stuck);
	T_INT(host_step_due(&hs), r->due);
	/* Each slot's step is machine_step's, unchanged. */
	for (i = 0; i < r->n; i++) {
		struct slot_step st = machine_step(r->slots[i].state,
		    &r->slots[i].facts, NOW, &next_policy);

		T_INT(hs.step[i].state, st.state);
		T_INT(hs.step[i].action, st.action);
		T_INT(hs.step[i].wake_at, st.wake_at);
	}
}

/* Every slot the step names is one of the n given, however many. */
static void
masks_within_slots(void)
{
	struct host_slot s[HOST_STEP_MAX_SLOTS + 2];
	struct host_step hs;
	const struct host_slot pub = TO_PUBLISH;
	int i;

	for (i = 0; i < HOST_STEP_MAX_SLOTS + 2; i++)
		s[i] = pub;
	host_step(s, HOST_STEP_MAX_SLOTS + 2, NOW, &next_policy, &hs);
	T_INT(hs.nslots, HOST_STEP_MAX_SLOTS);
	T_INT(hs.sharing, (1u << HOST_STEP_MAX_SLOTS) - 1);
	host_step(s, 1, NOW, &next_policy, &hs);
	T_INT(hs.sharing, 1);
	T_INT(hs.shared, ACT_PUBLISH);
}

static const struct t_case cases[] = {
	{ "the masks name only the slots given", masks_within_slots },
};

T_MAIN_TABLE(rows, row_run, cases)
