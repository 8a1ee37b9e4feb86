/*
 * Unit tests: the slot state machine, as a table of (state, facts, time)
 * -> (state, action, wake time), and whole simulated rollovers checked for
 * the safety ordering.
 */
#include <stdio.h>
#include <string.h>

#include "machine.h"
#include "t.h"
#include "t_machine.h"

/* Rows override a few fields of a common base (STEADY) on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

static const struct slot_policy issuer_policy = {
	.scheme = SCHEME_CURRENT_ISSUER, .renew_before = 30 * DAY,
	.rotate_after = 0, .expiry_alert = 14 * DAY, .verify_attempts = 3,
	.cert_lifetime = 90 * DAY,
};

struct row {
	const char		*name;
	enum conf_scheme	 scheme;
	enum slot_state		 state;
	struct slot_facts	 f;
	enum slot_state		 want_state;
	enum slot_action	 want_action;
	time_t			 want_wake;
	enum alert_level	 want_alert;
};

static const struct row rows[] = {
	/* First sight. */
	{ "adopt a host that serves a certificate", SCHEME_CURRENT_NEXT,
	  SLOT_NEW, { .deployed = DK_UNKNOWN, .cert_not_after = NOW + 80 * DAY },
	  SLOT_NEW, ACT_ADOPT, 0, ALERT_NONE },
	{ "adopted: create the next key", SCHEME_CURRENT_NEXT, SLOT_NEW,
	  { .has_current = 1, .deployed = DK_CURRENT,
	    .cert_not_after = NOW + 80 * DAY },
	  SLOT_PUBLISHING, ACT_GENERATE, 0, ALERT_NONE },
	{ "bootstrap with nothing deployed", SCHEME_CURRENT_NEXT, SLOT_NEW,
	  { .deployed = DK_NONE },
	  SLOT_PUBLISHING, ACT_GENERATE, 0, ALERT_NONE },
	{ "bootstrap: publish the first key", SCHEME_CURRENT_NEXT,
	  SLOT_PUBLISHING, { .has_next = 1 },
	  SLOT_PUBLISHING, ACT_PUBLISH, 0, ALERT_NONE },
	{ "bootstrap: aged, first certificate", SCHEME_CURRENT_NEXT,
	  SLOT_AGEING, { .has_next = 1, .published = 1, .guard = AGE_SAFE,
	    .guard_at = NOW },
	  SLOT_ISSUING, ACT_ISSUE, 0, ALERT_NONE },
	/* Publish, propagate, age. */
	{ "next key not yet in DNS", SCHEME_CURRENT_NEXT, SLOT_PUBLISHING,
	  { .has_current = 1, .has_next = 1, .deployed = DK_CURRENT,
	    .cert_not_after = NOW + 80 * DAY },
	  SLOT_PUBLISHING, ACT_PUBLISH, 0, ALERT_NONE },
	{ "published, not on every address", SCHEME_CURRENT_NEXT,
	  SLOT_PUBLISHING, { STEADY, .guard = AGE_WAIT_PROPAGATION },
	  SLOT_PUBLISHING, ACT_OBSERVE, 0, ALERT_NONE },
	{ "served everywhere, ageing past the TTL", SCHEME_CURRENT_NEXT,
	  SLOT_PUBLISHING, { STEADY, .guard_at = NOW + 3600 },
	  SLOT_AGEING, ACT_NONE, NOW + 3600, ALERT_NONE },
	{ "aged: standby until renewal", SCHEME_CURRENT_NEXT, SLOT_AGEING,
	  { STEADY }, SLOT_STANDBY, ACT_NONE, NOW + 30 * DAY, ALERT_NONE },
	{ "steady state", SCHEME_CURRENT_NEXT, SLOT_STANDBY, { STEADY },
	  SLOT_STANDBY, ACT_NONE, NOW + 30 * DAY, ALERT_NONE },
	/* Renewal due, three ways. */
	{ "renewal due by expiry", SCHEME_CURRENT_NEXT, SLOT_STANDBY,
	  { STEADY, .cert_not_after = NOW + 29 * DAY },
	  SLOT_ISSUING, ACT_ISSUE, 0, ALERT_NONE },
	{ "old key, rotate_after off: no roll", SCHEME_CURRENT_NEXT, SLOT_STANDBY,
	  { STEADY, .current_since = NOW - 400 * DAY },
	  SLOT_STANDBY, ACT_NONE, NOW + 30 * DAY, ALERT_NONE },
	{ "forced roll", SCHEME_CURRENT_NEXT, SLOT_STANDBY,
	  { STEADY, .force_roll = 1 },
	  SLOT_ISSUING, ACT_ISSUE, 0, ALERT_NONE },
	{ "due, but the next record is still ageing", SCHEME_CURRENT_NEXT,
	  SLOT_AGEING, { STEADY, .cert_not_after = NOW + DAY * 20,
	    .guard_at = NOW + 60 },
	  SLOT_AGEING, ACT_NONE, NOW + 60, ALERT_NONE },
	/* Issue, guard, deploy. */
	{ "issuing", SCHEME_CURRENT_NEXT, SLOT_ISSUING,
	  { STEADY, .cert_not_after = NOW + 20 * DAY },
	  SLOT_ISSUING, ACT_ISSUE, 0, ALERT_NONE },
	{ "issued: deploy guard met", SCHEME_CURRENT_NEXT, SLOT_ISSUING,
	  { STEADY, .chain_staged = 1 },
	  SLOT_DEPLOYING, ACT_DEPLOY, 0, ALERT_NONE },
	{ "deploy guard not met: hold the certificate", SCHEME_CURRENT_NEXT,
	  SLOT_DEPLOYING, { STEADY, .chain_staged = 1, .guard_at = NOW + 5 },
	  SLOT_DEPLOYING, ACT_NONE, NOW + 5, ALERT_NONE },
	{ "deploy guard: record not everywhere", SCHEME_CURRENT_NEXT,
	  SLOT_DEPLOYING, { STEADY, .chain_staged = 1,
	    .guard = AGE_WAIT_PROPAGATION },
	  SLOT_DEPLOYING, ACT_OBSERVE, 0, ALERT_NONE },
	{ "deploy guard: record gone from DNS", SCHEME_CURRENT_NEXT,
	  SLOT_DEPLOYING, { STEADY, .chain_staged = 1, .guard = AGE_NEVER },
	  SLOT_DEPLOYING, ACT_NONE, 0, ALERT_CRITICAL },
	{ "deploy guard: wanted RRset changed", SCHEME_CURRENT_NEXT,
	  SLOT_DEPLOYING, { STEADY, .chain_staged = 1, .published = 0 },
	  SLOT_PUBLISHING, ACT_PUBLISH, 0, ALERT_NONE },
	{ "deployed: verify", SCHEME_CURRENT_NEXT, SLOT_DEPLOYING,
	  { STEADY, .chain_staged = 1, .deployed = DK_NEXT },
	  SLOT_VERIFYING, ACT_VERIFY, 0, ALERT_NONE },
	{ "deploy cut short after the files, before the reload: again",
	  SCHEME_CURRENT_NEXT, SLOT_DEPLOYING, { STEADY, .chain_staged = 1,
	    .deployed = DK_NEXT, .verified = VF_RELOAD_PENDING },
	  SLOT_DEPLOYING, ACT_DEPLOY, 0, ALERT_NONE },
	{ "deploy cut short, then the next record left DNS: no reload",
	  SCHEME_CURRENT_NEXT, SLOT_DEPLOYING, { STEADY, .chain_staged = 1,
	    .deployed = DK_NEXT, .verified = VF_RELOAD_PENDING,
	    .guard = AGE_NEVER },
	  SLOT_DEPLOYING, ACT_NONE, 0, ALERT_CRITICAL },
	{ "deploy cut short, the RRset changed since: wait out its TTL",
	  SCHEME_CURRENT_NEXT, SLOT_DEPLOYING, { STEADY, .chain_staged = 1,
	    .deployed = DK_NEXT, .verified = VF_RELOAD_PENDING,
	    .guard_at = NOW + 600 },
	  SLOT_DEPLOYING, ACT_NONE, NOW + 600, ALERT_NONE },
	{ "deploy cut short before the files: deploy (guarded)",
	  SCHEME_CURRENT_NEXT, SLOT_DEPLOYING, { STEADY, .chain_staged = 1,
	    .verified = VF_RELOAD_PENDING },
	  SLOT_DEPLOYING, ACT_DEPLOY, 0, ALERT_NONE },
	{ "verifying with a reload pending: deploy again, no verify",
	  SCHEME_CURRENT_NEXT, SLOT_VERIFYING, { STEADY, .chain_staged = 1,
	    .deployed = DK_NEXT, .verified = VF_RELOAD_PENDING },
	  SLOT_DEPLOYING, ACT_DEPLOY, 0, ALERT_NONE },
	/* Verify, promote, retire. */
	{ "verify pending", SCHEME_CURRENT_NEXT, SLOT_VERIFYING,
	  { STEADY, .chain_staged = 1, .deployed = DK_NEXT },
	  SLOT_VERIFYING, ACT_VERIFY, 0, ALERT_NONE },
	{ "verified: promote and retire", SCHEME_CURRENT_NEXT,
	  SLOT_VERIFYING, { STEADY, .chain_staged = 1, .deployed = DK_NEXT,
	    .verified = VF_OK },
	  SLOT_PUBLISHING, ACT_PROMOTE, 0, ALERT_NONE },
	{ "promoted: following next key", SCHEME_CURRENT_NEXT,
	  SLOT_PUBLISHING, { STEADY, .has_next = 0, .published = 0 },
	  SLOT_PUBLISHING, ACT_GENERATE, 0, ALERT_NONE },
	{ "retire old and publish new next in one update",
	  SCHEME_CURRENT_NEXT, SLOT_PUBLISHING, { STEADY, .published = 0 },
	  SLOT_PUBLISHING, ACT_PUBLISH, 0, ALERT_NONE },
	{ "verifying, but files changed under us", SCHEME_CURRENT_NEXT,
	  SLOT_VERIFYING, { STEADY, .chain_staged = 1 },
	  SLOT_DEPLOYING, ACT_DEPLOY, 0, ALERT_NONE },
	/* Rollback. */
	{ "verification failed: roll back", SCHEME_CURRENT_NEXT,
	  SLOT_VERIFYING, { STEADY, .chain_staged = 1, .deployed = DK_NEXT,
	    .verified = VF_FAILED },
	  SLOT_ROLLBACK, ACT_ROLLBACK, 0, ALERT_NONE },
	{ "verification unreachable 3 times: roll back", SCHEME_CURRENT_NEXT,
	  SLOT_VERIFYING, { STEADY, .chain_staged = 1, .deployed = DK_NEXT,
	    .failures = 3, .retry_at = NOW - 1 },
	  SLOT_ROLLBACK, ACT_ROLLBACK, 0, ALERT_WARNING },
	{ "rolled back: verify the restored set", SCHEME_CURRENT_NEXT,
	  SLOT_ROLLBACK, { STEADY, .chain_staged = 1 },
	  SLOT_ROLLBACK, ACT_VERIFY, 0, ALERT_NONE },
	{ "rollback cut short before the reload: again", SCHEME_CURRENT_NEXT,
	  SLOT_ROLLBACK, { STEADY, .chain_staged = 1,
	    .verified = VF_RELOAD_PENDING },
	  SLOT_ROLLBACK, ACT_ROLLBACK, 0, ALERT_NONE },
	/* A rollback that returned restored what was there before; doing
	 * it again would restore the same set (the model caught a run that
	 * reloaded the MTA 64 times): what it restored is checked. */
	{ "rolled back to the next key: check it, not again",
	  SCHEME_CURRENT_NEXT, SLOT_ROLLBACK,
	  { STEADY, .chain_staged = 1, .deployed = DK_NEXT },
	  SLOT_ROLLBACK, ACT_VERIFY, 0, ALERT_NONE },
	{ "rolled back to a key nobody published: check it, critical",
	  SCHEME_CURRENT_NEXT, SLOT_ROLLBACK,
	  { STEADY, .chain_staged = 1, .deployed = DK_UNKNOWN },
	  SLOT_ROLLBACK, ACT_VERIFY, 0, ALERT_CRITICAL },
	{ "rolled back to the next key, which fails too: stop",
	  SCHEME_CURRENT_NEXT, SLOT_ROLLBACK,
	  { STEADY, .chain_staged = 1, .deployed = DK_NEXT,
	    .verified = VF_FAILED },
	  SLOT_FAILED, ACT_NONE, 0, ALERT_CRITICAL },
	{ "rolled back and verified: stop with alert", SCHEME_CURRENT_NEXT,
	  SLOT_ROLLBACK, { STEADY, .chain_staged = 1, .verified = VF_OK },
	  SLOT_FAILED, ACT_NONE, 0, ALERT_CRITICAL },
	{ "a key nobody published went live: critical", SCHEME_CURRENT_NEXT,
	  SLOT_STANDBY, { STEADY, .deployed = DK_UNKNOWN },
	  SLOT_STANDBY, ACT_NONE, NOW + 30 * DAY, ALERT_CRITICAL },
	{ "failed stays failed", SCHEME_CURRENT_NEXT, SLOT_FAILED,
	  { STEADY }, SLOT_FAILED, ACT_NONE, 0, ALERT_CRITICAL },
	/* Failures of a step: back off, alert as expiry nears. */
	{ "back off after a failed step", SCHEME_CURRENT_NEXT,
	  SLOT_ISSUING, { STEADY, .cert_not_after = NOW + 20 * DAY,
	    .failures = 1, .retry_at = NOW + 300 },
	  SLOT_ISSUING, ACT_NONE, NOW + 300, ALERT_NONE },
	{ "retry after back-off", SCHEME_CURRENT_NEXT, SLOT_ISSUING,
	  { STEADY, .cert_not_after = NOW + 20 * DAY, .failures = 1,
	    .retry_at = NOW },
	  SLOT_ISSUING, ACT_ISSUE, 0, ALERT_NONE },
	{ "issue keeps failing near expiry: warning", SCHEME_CURRENT_NEXT,
	  SLOT_ISSUING, { STEADY, .cert_not_after = NOW + 10 * DAY,
	    .failures = 5, .retry_at = NOW + 600 },
	  SLOT_ISSUING, ACT_NONE, NOW + 600, ALERT_WARNING },
	{ "expired certificate: critical", SCHEME_CURRENT_NEXT, SLOT_ISSUING,
	  { STEADY, .cert_not_after = NOW - 1, .failures = 1,
	    .retry_at = NOW + 600 },
	  SLOT_ISSUING, ACT_NONE, NOW + 600, ALERT_CRITICAL },
	{ "publish failed: back off", SCHEME_CURRENT_NEXT, SLOT_PUBLISHING,
	  { STEADY, .published = 0, .failures = 2, .retry_at = NOW + 600 },
	  SLOT_PUBLISHING, ACT_NONE, NOW + 600, ALERT_NONE },
	/* current+issuer. */
	{ "issuer: adopted, publish current + CA", SCHEME_CURRENT_ISSUER,
	  SLOT_NEW, { .has_current = 1, .deployed = DK_CURRENT,
	    .cert_not_after = NOW + 80 * DAY },
	  SLOT_PUBLISHING, ACT_PUBLISH, 0, ALERT_NONE },
	{ "issuer: steady without a next key", SCHEME_CURRENT_ISSUER,
	  SLOT_STANDBY, { STEADY, .has_next = 0 },
	  SLOT_STANDBY, ACT_NONE, NOW + 30 * DAY, ALERT_NONE },
	{ "issuer: due, make the new key", SCHEME_CURRENT_ISSUER,
	  SLOT_STANDBY, { STEADY, .has_next = 0,
	    .cert_not_after = NOW + 20 * DAY },
	  SLOT_ISSUING, ACT_GENERATE, 0, ALERT_NONE },
	{ "issuer: issue under an aged CA record", SCHEME_CURRENT_ISSUER,
	  SLOT_ISSUING, { STEADY, .cert_not_after = NOW + 20 * DAY },
	  SLOT_ISSUING, ACT_ISSUE, 0, ALERT_NONE },
	{ "issuer: new CA record still ageing", SCHEME_CURRENT_ISSUER,
	  SLOT_DEPLOYING, { STEADY, .chain_staged = 1, .guard_at = NOW + 99 },
	  SLOT_DEPLOYING, ACT_NONE, NOW + 99, ALERT_NONE },
	{ "issuer: chain from an unpinned CA", SCHEME_CURRENT_ISSUER,
	  SLOT_DEPLOYING, { STEADY, .chain_staged = 1, .guard = AGE_NEVER },
	  SLOT_DEPLOYING, ACT_NONE, 0, ALERT_CRITICAL },
	{ "issuer: no pin can vouch, following cannot: held",
	  SCHEME_CURRENT_ISSUER, SLOT_DEPLOYING, { STEADY, .chain_staged = 1,
	    .hold_reason = "issuer_pin = root, but the chain does not send "
	    "its root" },
	  SLOT_DEPLOYING, ACT_NONE, 0, ALERT_CRITICAL },
	{ "issuer: held, the wanted RRset goes out first", SCHEME_CURRENT_ISSUER,
	  SLOT_DEPLOYING, { STEADY, .chain_staged = 1, .published = 0,
	    .hold_reason = "held" },
	  SLOT_PUBLISHING, ACT_PUBLISH, 0, ALERT_NONE },
	{ "issuer: CA changed in config, publish it", SCHEME_CURRENT_ISSUER,
	  SLOT_STANDBY, { STEADY, .has_next = 0, .published = 0 },
	  SLOT_PUBLISHING, ACT_PUBLISH, 0, ALERT_NONE },
	{ "issuer: promoted, replace the 3 1 1", SCHEME_CURRENT_ISSUER,
	  SLOT_PUBLISHING, { STEADY, .has_next = 0, .published = 0 },
	  SLOT_PUBLISHING, ACT_PUBLISH, 0, ALERT_NONE },
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		const struct slot_policy *p = r->scheme == SCHEME_CURRENT_NEXT ?
		    &next_policy : &issuer_policy;
		struct slot_step s = machine_step(r->state, &r->f, NOW, p);
		int ok = s.state == r->want_state &&
		    s.action == r->want_action && s.wake_at == r->want_wake &&
		    s.alert == r->want_alert;

		if (!T_CHECK(ok))
			printf("    row \"%s\": got %s/%s wake %+lld alert %s; "
			    "want %s/%s wake %+lld alert %s\n", r->name,
			    slot_state_str(s.state), slot_action_str(s.action),
			    s.wake_at ? (long long)(s.wake_at - NOW) : 0LL,
			    alert_level_str(s.alert),
			    slot_state_str(r->want_state),
			    slot_action_str(r->want_action),
			    r->want_wake ? (long long)(r->want_wake - NOW) : 0LL,
			    alert_level_str(r->want_alert));
		T_CHECK(s.reason != NULL && *s.reason != '\0');
		/* A hold is said as such, not as a generic mismatch. */
		if (r->f.hold_reason != NULL && s.alert == ALERT_CRITICAL)
			T_CHECK(s.alert_reason == r->f.hold_reason);
	}
}

/*
 * Runs the machine over simulated facts until nothing is due for a long
 * time, appending the actions to trace. Checks the invariant on the way:
 * a deploy only at or after guard_at with guard SAFE, a promote only after
 * a successful verify of the deployed next key.
 */
static int
simulate(enum slot_state s, struct slot_facts f, const struct slot_policy *p,
    time_t now, time_t until, char *trace, size_t tracelen, int fail_verify)
{
	int steps = 0, violations = 0;

	trace[0] = '\0';
	while (now < until && steps++ < 100) {
		struct slot_step st = machine_step(s, &f, now, p);

		s = st.state;
		if (st.action == ACT_NONE) {
			if (st.wake_at == 0 || st.wake_at > until)
				break;
			now = st.wake_at > now ? st.wake_at : now + 1;
			continue;
		}
		if (st.action == ACT_DEPLOY && (f.guard != AGE_SAFE ||
		    now < f.guard_at || !f.published))
			violations++;
		if (st.action == ACT_PROMOTE && (f.verified != VF_OK ||
		    f.deployed != DK_NEXT))
			violations++;
		if (*trace != '\0')
			strncat(trace, " ", tracelen - strlen(trace) - 1);
		strncat(trace, slot_action_str(st.action),
		    tracelen - strlen(trace) - 1);
		if (st.action == ACT_VERIFY && fail_verify &&
		    f.deployed == DK_NEXT) {
			f.verified = VF_FAILED;
			continue;
		}
		machine_simulate(st.action, &f, now, 2, 3600, 300, 60, p);
	}
	return violations;
}

/* Whole cycles from a state until a time, as the traces of actions. */
static const struct cycle {
	enum slot_state			 from;
	struct slot_facts		 f;
	const struct slot_policy	*p;
	time_t				 until;
	int				 fail_verify;
	const char			*trace;
} cycles[] = {
	/* Two full rollovers in 100 days of 90-day certificates. */
	{ SLOT_NEW, { .deployed = DK_UNKNOWN,
	  .cert_not_after = NOW + 40 * DAY }, &next_policy, NOW + 100 * DAY, 0,
	  "adopt generate publish observe "
	  "issue deploy verify promote generate publish observe "
	  "issue deploy verify promote generate publish observe" },
	{ SLOT_NEW, { .deployed = DK_NONE }, &next_policy, NOW + DAY, 0,
	  "generate publish observe issue deploy verify promote "
	  "generate publish observe" },
	{ SLOT_NEW, { .deployed = DK_UNKNOWN,
	  .cert_not_after = NOW + 40 * DAY }, &issuer_policy, NOW + 20 * DAY, 0,
	  "adopt publish observe generate "
	  "issue deploy verify promote publish observe" },
	{ SLOT_STANDBY, { STEADY, .cert_not_after = NOW + 10 * DAY },
	  &next_policy, NOW + DAY, 1, "issue deploy verify rollback verify" },
};

static void
run_cycle(const struct cycle *c)
{
	char trace[512];

	T_INT(simulate(c->from, c->f, c->p, NOW, c->until, trace,
	    sizeof(trace), c->fail_verify), 0);
	T_STR(trace, c->trace);
}

/* Each row its own case, so a failure names the cycle. */
#define CYCLE_CASE(fn, i)	static void fn(void) { run_cycle(&cycles[i]); }
CYCLE_CASE(test_cycle_current_next, 0)
CYCLE_CASE(test_cycle_bootstrap, 1)
CYCLE_CASE(test_cycle_issuer, 2)
CYCLE_CASE(test_cycle_rollback, 3)

static void
test_due(void)
{
	struct slot_facts f = { STEADY };
	struct slot_policy p = next_policy;

	T_INT(machine_due_at(&f, &p), NOW + 30 * DAY);
	p.rotate_after = 40 * DAY;	/* in office 30 days: 10 more */
	T_INT(machine_due_at(&f, &p), NOW + 10 * DAY);
	f.force_roll = 1;
	T_INT(machine_due_at(&f, &p), 0);
}

/* When a next key whose file is gone is given up: a table. */
static void
test_next_lost(void)
{
	static const struct {
		enum slot_state		 state;
		int			 has_next, next_lost;
		enum deployed_key	 deployed;
		int			 want;
	} lost[] = {
		{ SLOT_STANDBY, 1, 1, DK_CURRENT, 1 },
		{ SLOT_PUBLISHING, 1, 1, DK_NONE, 1 },
		{ SLOT_ISSUING, 1, 1, DK_CURRENT, 1 },
		{ SLOT_FAILED, 1, 1, DK_CURRENT, 1 },
		{ SLOT_STANDBY, 1, 0, DK_CURRENT, 0 },	/* the file is there */
		{ SLOT_STANDBY, 0, 1, DK_CURRENT, 0 },	/* no next key */
		{ SLOT_STANDBY, 1, 1, DK_NEXT, 0 },	/* it is live */
		{ SLOT_DEPLOYING, 1, 1, DK_CURRENT, 0 },
		{ SLOT_VERIFYING, 1, 1, DK_CURRENT, 0 },
		{ SLOT_ROLLBACK, 1, 1, DK_CURRENT, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
		struct slot_facts f;

		memset(&f, 0, sizeof(f));
		f.has_current = 1;
		f.has_next = lost[i].has_next;
		f.next_lost = lost[i].next_lost;
		f.deployed = lost[i].deployed;
		if (!T_INT(machine_next_lost(lost[i].state, &f), lost[i].want))
			printf("    row %zu (%s)\n", i,
			    slot_state_str(lost[i].state));
	}
}

static void
test_names(void)
{
	enum slot_state s;
	int i;

	for (i = 0; i < SLOT_STATE_COUNT; i++) {
		T_CHECK(slot_state_parse(slot_state_str((enum slot_state)i),
		    &s) == 0 && s == (enum slot_state)i);
	}
	T_INT(slot_state_parse("bogus", &s), -1);
	T_STR(slot_action_str(ACT_PROMOTE), "promote");
}

static const struct t_case cases[] = {
	{ "transition table", test_table },
	{ "cycle current+next from adoption", test_cycle_current_next },
	{ "cycle bootstrap with nothing deployed", test_cycle_bootstrap },
	{ "cycle current+issuer", test_cycle_issuer },
	{ "cycle with failed verification", test_cycle_rollback },
	{ "renewal due time", test_due },
	{ "a next key whose file is gone", test_next_lost },
	{ "state names", test_names },
};
T_MAIN(cases)
