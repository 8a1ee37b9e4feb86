/*
 * machine - the slot state machine. See include/machine.h.
 *
 * The order of the checks in prepare() is the product's safety argument,
 * read top to bottom: know the live key, have a next key, publish, wait
 * for every address, wait past the TTL, then (and only then) issue and
 * deploy; after a deploy, nothing retires until the live check passed.
 */
#include <string.h>

#include "machine.h"

static const char *const state_names[SLOT_STATE_COUNT] = {
	"new", "publishing", "ageing", "standby", "issuing", "deploying",
	"verifying", "rollback", "failed"
};

static const char *const action_names[ACT_ACTION_COUNT] = {
	"none", "adopt", "generate", "publish", "observe", "issue", "deploy",
	"verify", "promote", "rollback"
};

const char *
slot_state_str(enum slot_state s)
{
	return (unsigned)s < SLOT_STATE_COUNT ? state_names[s] : "unknown";
}

int
slot_state_parse(const char *name, enum slot_state *out)
{
	int i;

	for (i = 0; i < SLOT_STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum slot_state)i;
			return 0;
		}
	return -1;
}

const char *
slot_action_str(enum slot_action a)
{
	return (unsigned)a < ACT_ACTION_COUNT ? action_names[a] : "unknown";
}

const char *
alert_level_str(enum alert_level a)
{
	switch (a) {
	case ALERT_NONE:	return "ok";
	case ALERT_WARNING:	return "warning";
	case ALERT_CRITICAL:	return "critical";
	}
	return "unknown";
}

time_t
machine_due_at(const struct slot_facts *f, const struct slot_policy *p)
{
	time_t due;

	if (!f->has_current || f->cert_not_after == 0 || f->force_roll)
		return 0;
	due = f->cert_not_after - (time_t)p->renew_before;
	if (p->rotate_after > 0 && f->current_since > 0 &&
	    f->current_since + (time_t)p->rotate_after < due)
		due = f->current_since + (time_t)p->rotate_after;
	return due;
}

int
machine_next_lost(enum slot_state s, const struct slot_facts *f)
{
	return f->has_next && f->next_lost && s != SLOT_DEPLOYING &&
	    s != SLOT_VERIFYING && s != SLOT_ROLLBACK && f->deployed != DK_NEXT;
}

int
machine_stuck(const struct slot_step *r)
{
	return r->alert == ALERT_CRITICAL && r->action == ACT_NONE &&
	    r->wake_at == 0;
}

static struct slot_step
step(enum slot_state s, enum slot_action a, time_t wake, const char *why)
{
	struct slot_step r;

	memset(&r, 0, sizeof(r));
	r.state = s;
	r.action = a;
	r.wake_at = wake;
	r.reason = why;
	return r;
}

/* Everything before a deploy: the states NEW .. DEPLOYING. */
static struct slot_step
prepare(enum slot_state s, const struct slot_facts *f, time_t now,
    const struct slot_policy *p)
{
	time_t due = machine_due_at(f, p);
	int renewing = s == SLOT_ISSUING || s == SLOT_DEPLOYING;
	int want_next;

	if (!f->has_current && f->deployed == DK_UNKNOWN)
		return step(SLOT_NEW, ACT_ADOPT, 0,
		    "adopting the deployed key as the current key");
	/* A deploy cut short before its reload is done again below, under
	 * the same guard as the first time: the DNS may have changed while
	 * daneroll was down, and the reload is what makes the chain live. */
	if (s == SLOT_DEPLOYING && f->deployed == DK_NEXT &&
	    f->verified != VF_RELOAD_PENDING)
		return step(SLOT_VERIFYING, ACT_VERIFY, 0,
		    "deployed; checking every address live");

	/* current+next keeps a published spare at all times; current+issuer
	 * makes the new key only when a certificate is wanted for it. */
	want_next = p->scheme == SCHEME_CURRENT_NEXT || !f->has_current ||
	    renewing || now >= due;
	if (!f->has_next && want_next)
		return step(renewing || p->scheme == SCHEME_CURRENT_ISSUER ?
		    SLOT_ISSUING : SLOT_PUBLISHING, ACT_GENERATE, 0,
		    "generating the next key");
	if (!f->published)
		return step(SLOT_PUBLISHING, ACT_PUBLISH, 0,
		    "publishing the wanted TLSA RRset");
	if (f->guard == AGE_WAIT_PROPAGATION)
		return step(s == SLOT_NEW || s == SLOT_STANDBY ?
		    SLOT_PUBLISHING : s, ACT_OBSERVE, 0,
		    "waiting until every authoritative address serves the "
		    "RRset");
	if (f->hold_reason != NULL || f->guard == AGE_NEVER) {
		struct slot_step r = step(s, ACT_NONE, 0,
		    f->hold_reason != NULL ? "the staged certificate is "
		    "held: nothing configured may vouch for its chain" :
		    "what would be deployed matches no published record");

		/* The engine publishes what it deploys; this means the
		 * chain or the DNS changed under us, or the chain comes from
		 * a CA nothing configured may vouch for: stop, say why. */
		r.alert = ALERT_CRITICAL;
		r.alert_reason = f->hold_reason != NULL ? f->hold_reason :
		    r.reason;
		return r;
	}

	if (f->chain_staged) {
		if (now < f->guard_at)
			return step(SLOT_DEPLOYING, ACT_NONE, f->guard_at,
			    "certificate held until its record has aged "
			    "past the TTL");
		return step(SLOT_DEPLOYING, ACT_DEPLOY, 0,
		    "record served everywhere for longer than the TTL: "
		    "deploying");
	}
	if (now < f->guard_at)
		return step(renewing ? s : SLOT_AGEING, ACT_NONE, f->guard_at,
		    "served everywhere; waiting past the TTL");
	if (renewing || !f->has_current)
		return step(SLOT_ISSUING, ACT_ISSUE, 0,
		    !f->has_current ? "requesting the first certificate" :
		    "requesting a certificate for the next key");
	if (now >= due)
		return step(SLOT_ISSUING, f->has_next ? ACT_ISSUE :
		    ACT_GENERATE, 0, f->force_roll ? "rollover forced" :
		    "renewal due");
	return step(SLOT_STANDBY, ACT_NONE, due, "nothing due");
}

static struct slot_step
verifying(const struct slot_facts *f, time_t now,
    const struct slot_policy *p)
{
	if (f->deployed != DK_NEXT || f->verified == VF_RELOAD_PENDING)
		/* The files changed under us, or were never reloaded:
		 * deploy again (guarded). */
		return prepare(SLOT_DEPLOYING, f, now, p);
	if (f->verified == VF_OK)
		return step(SLOT_PUBLISHING, ACT_PROMOTE, 0,
		    "verified on every address; retiring the old key");
	if (f->verified == VF_FAILED || f->failures >= p->verify_attempts)
		return step(SLOT_ROLLBACK, ACT_ROLLBACK, 0,
		    "live check failed: restoring the previous set");
	return step(SLOT_VERIFYING, ACT_VERIFY, 0,
	    "checking every address live");
}

static struct slot_step
rolling_back(const struct slot_facts *f, const struct slot_policy *p)
{
	struct slot_step r;

	/*
	 * The rollback is begun with the reload mark set and clears it
	 * when it returns: once it has, the files hold the previous set,
	 * whatever key that is (one the ACME client put there, say).
	 * Restoring again would restore the same set, and reload the MTA
	 * once a step: what is restored is checked live instead.
	 */
	if (f->verified == VF_RELOAD_PENDING)
		return step(SLOT_ROLLBACK, ACT_ROLLBACK, 0, "a rollback was "
		    "cut short: restoring again, so that the reload runs");
	if (f->verified == VF_UNKNOWN && f->failures < p->verify_attempts)
		return step(SLOT_ROLLBACK, ACT_VERIFY, 0,
		    f->deployed == DK_CURRENT ? "checking the restored set "
		    "live" : "checking the restored set live (it does not "
		    "hold the current key)");
	r = step(SLOT_FAILED, ACT_NONE, 0, f->verified == VF_OK ?
	    "rolled back after a failed live check; both records stay "
	    "published" :
	    "rolled back, and the restored set fails the live check too");
	r.alert = ALERT_CRITICAL;
	r.alert_reason = r.reason;
	return r;
}

struct slot_step
machine_step(enum slot_state s, const struct slot_facts *f, time_t now,
    const struct slot_policy *p)
{
	struct slot_step r;

	if (s == SLOT_FAILED) {
		r = step(SLOT_FAILED, ACT_NONE, 0,
		    "stopped; fix the cause, then `daneroll roll --resume`");
		r.alert = ALERT_CRITICAL;
		r.alert_reason = r.reason;
		return r;
	}
	if (f->deployed == DK_UNREADABLE) {
		/* Fail closed: a chain that cannot be read may be served
		 * all the same; no record may leave, no key go live. */
		r = step(s, ACT_NONE, 0, "the served certificate cannot be "
		    "read: what is served is unknown, so nothing changes "
		    "until it can be read");
		r.alert = ALERT_CRITICAL;
		r.alert_reason = r.reason;
		return r;
	}
	if (f->retry_at > now)
		r = step(s, ACT_NONE, f->retry_at,
		    "backing off after a failure");
	else if (s == SLOT_VERIFYING)
		r = verifying(f, now, p);
	else if (s == SLOT_ROLLBACK)
		r = rolling_back(f, p);
	else
		r = prepare(s, f, now, p);

	/* Alerts a monitor must see, whatever the step. */
	if (f->has_current && f->deployed == DK_UNKNOWN) {
		/* The classic DANE outage: something (an ACME client
		 * renewing with a fresh key) put a key live that no
		 * published record vouches for. */
		r.alert = ALERT_CRITICAL;
		r.alert_reason = "the served files hold a key daneroll did "
		    "not publish; DANE senders cannot authenticate it: "
		    "`daneroll roll` of this host deploys the pre-published next "
		    "key";
	}
	if (r.alert == ALERT_NONE && f->cert_not_after != 0 &&
	    f->deployed != DK_NONE) {
		if (now >= f->cert_not_after) {
			r.alert = ALERT_CRITICAL;
			r.alert_reason = "the deployed certificate has expired";
		} else if (f->cert_not_after - now <= p->expiry_alert) {
			r.alert = ALERT_WARNING;
			r.alert_reason = "the deployed certificate expires "
			    "soon and is not renewed yet";
		}
	}
	if (r.alert == ALERT_NONE && f->failures >= 3) {
		r.alert = ALERT_WARNING;
		r.alert_reason = "the last step failed repeatedly";
	}
	return r;
}

void
machine_simulate(enum slot_action a, struct slot_facts *f, time_t now,
    int64_t prop_delay, int64_t ttl, int64_t neg_ttl, int64_t margin,
    const struct slot_policy *p)
{
	f->failures = 0;
	f->retry_at = 0;
	switch (a) {
	case ACT_NONE:
		break;
	case ACT_ADOPT:
		f->has_current = 1;
		f->deployed = DK_CURRENT;
		f->current_since = now;
		f->published = 0;
		break;
	case ACT_GENERATE:
		f->has_next = 1;
		if (p->scheme == SCHEME_CURRENT_NEXT) {
			/* Deployed next: a key no published RRset holds. */
			f->published = 0;
			f->guard = AGE_NEVER;
			f->guard_at = 0;
		}
		break;
	case ACT_PUBLISH:
		/*
		 * The RRset replaced ages out only if what is deployed next
		 * does not match it (AGE_NEVER). If it does (current+issuer:
		 * every RRset holds the pinned CA), the versions that still
		 * age are those before it: their time, kept in guard_at.
		 */
		if (f->guard == AGE_NEVER)
			f->guard_at = 0;
		f->published = 1;
		f->guard = AGE_WAIT_PROPAGATION;
		break;
	case ACT_OBSERVE: {
		time_t served = now + (time_t)prop_delay;

		if (f->guard_at == 0)
			f->guard_at = served + (time_t)(ttl + neg_ttl +
			    margin) + AGEING_RESOLVER_SLACK_MS / 1000;
		else if (f->guard_at < served)
			f->guard_at = served;
		f->guard = AGE_SAFE;
		break;
	}
	case ACT_ISSUE:
		f->chain_staged = 1;
		break;
	case ACT_DEPLOY:
		f->deployed = DK_NEXT;
		f->verified = VF_UNKNOWN;
		break;
	case ACT_VERIFY:
		f->verified = VF_OK;
		break;
	case ACT_PROMOTE:
		f->has_current = 1;
		f->has_next = 0;
		f->deployed = DK_CURRENT;
		f->chain_staged = 0;
		f->hold_reason = NULL;
		f->verified = VF_UNKNOWN;
		f->current_since = now;
		f->cert_not_after = now + (time_t)p->cert_lifetime;
		f->force_roll = 0;
		f->published = 0;
		break;
	case ACT_ROLLBACK:
		f->deployed = DK_CURRENT;
		f->verified = VF_UNKNOWN;
		break;
	case ACT_ACTION_COUNT:
		break;
	}
}
