/*
 * machine - the rollover state machine of one key slot (one algorithm of
 * one MX host), as one pure function: no I/O, no clock, no globals.
 *
 * machine_step(state, facts, now, policy) returns the state the slot is in
 * while the returned action is carried out, the action, and when to look
 * again. The engine derives the facts from the store and the files, runs the
 * action through a backend, and steps again with the new facts; `plan` runs
 * the same function over facts advanced by machine_simulate(). Because the
 * state is re-derived from facts at every step, a run killed at any point
 * resumes correctly: a repeated action is idempotent.
 *
 * The safety invariant lives in two facts the engine computes with
 * ageing_safe_at(): nothing is deployed before the guard says SAFE, and the
 * old record is retired (PROMOTE) only after VERIFY proved the new chain
 * live on every address.
 */
#ifndef DANEROLL_MACHINE_H
#define DANEROLL_MACHINE_H

#include <stdint.h>
#include <time.h>

#include "ageing.h"
#include "conf.h"

enum slot_state {
	SLOT_NEW = 0,		/* first sight: adopt what is live, or bootstrap */
	SLOT_PUBLISHING,	/* wanted RRset being published, propagating */
	SLOT_AGEING,		/* served everywhere; old RRsets may be cached */
	SLOT_STANDBY,		/* current live, next aged: nothing due */
	SLOT_ISSUING,		/* renewal due: certificate for the next key */
	SLOT_DEPLOYING,		/* chain staged: deploy guard, then deploy */
	SLOT_VERIFYING,		/* deployed: live check on every address */
	SLOT_ROLLBACK,		/* live check failed: previous set restored */
	SLOT_FAILED,		/* stopped safe: an operator must look */
	SLOT_STATE_COUNT
};

enum slot_action {
	ACT_NONE = 0,		/* nothing before wake_at */
	ACT_ADOPT,		/* the deployed key becomes current */
	ACT_GENERATE,		/* create the next key */
	ACT_PUBLISH,		/* make DNS serve the host's wanted RRset */
	ACT_OBSERVE,		/* query every authoritative address */
	ACT_ISSUE,		/* CSR for the next key -> chain, checked, staged */
	ACT_DEPLOY,		/* install next key + chain atomically, reload */
	ACT_VERIFY,		/* live DANE check of every address */
	ACT_PROMOTE,		/* next becomes current, old current retires */
	ACT_ROLLBACK,		/* restore the previous set, reload */
	ACT_ACTION_COUNT
};

/* Which key the configured files hold. */
enum deployed_key {
	DK_NONE = 0,		/* no usable key + certificate deployed */
	DK_CURRENT,
	DK_NEXT,
	DK_UNKNOWN,		/* a key the store does not know (adopt it) */
	DK_UNREADABLE		/* the served files cannot be read or parsed:
				 * what is served is unknown, not "none" */
};

enum verify_fact {
	VF_UNKNOWN = 0,		/* not verified since the last deploy */
	VF_OK,
	VF_FAILED,		/* a chain was served that the RRset rejects */
	VF_RELOAD_PENDING	/* a deploy or rollback began and did not
				 * finish: the files may have changed
				 * without the reload that serves them */
};

enum alert_level {
	ALERT_NONE = 0,
	ALERT_WARNING,
	ALERT_CRITICAL
};

struct slot_facts {
	int			has_current;
	int			has_next;
	int			next_lost;	/* its key file is gone */
	enum deployed_key	deployed;
	time_t			cert_not_after;	/* deployed leaf, 0: unknown */
	time_t			current_since;	/* current key in office since */
	int			force_roll;	/* operator asked for a roll */
	int			published;	/* DNS was sent the wanted RRset */
	/* Deploy guard for what would be deployed next (the next key's
	 * record, the pinned CA, or the staged chain itself). */
	enum ageing_verdict	guard;
	time_t			guard_at;	/* AGE_SAFE: from this time;
						 * machine_simulate, while
						 * WAIT_PROPAGATION: what the
						 * versions before the newest
						 * allow (0: it must age) */
	int			chain_staged;	/* issued chain checked and stored */
	/* Why the staged chain may never go live as configured (no pin
	 * vouches for it and following cannot or may not), or NULL. */
	const char		*hold_reason;
	enum verify_fact	verified;	/* of the deployed key */
	int			failures;	/* consecutive, of the last action */
	time_t			retry_at;	/* back-off: nothing before */
};

struct slot_policy {
	enum conf_scheme	scheme;
	int64_t			renew_before;
	int64_t			rotate_after;	/* 0: off */
	int64_t			expiry_alert;
	int			verify_attempts; /* tempfails before rollback */
	int64_t			cert_lifetime;	/* plan's estimate of a new cert */
};

struct slot_step {
	enum slot_state		state;
	enum slot_action	action;
	time_t			wake_at;	/* ACT_NONE: look again then (0: never) */
	const char		*reason;	/* static text, for logs and plan */
	enum alert_level	alert;
	const char		*alert_reason;	/* static, or the facts'
						 * hold_reason */
};

struct slot_step machine_step(enum slot_state, const struct slot_facts *,
		    time_t now, const struct slot_policy *);

/* Waiting cannot change this step, only the operator can: a critical
 * alert with nothing to do and no time to wake (run --wait stops). */
int		 machine_stuck(const struct slot_step *);
/*
 * 1 when a next key whose file is gone must be discarded (a new one then
 * replaces it): it can never be deployed, and nothing serves it, so its
 * record may go. Not while a deploy, its check or a rollback is under way,
 * nor when the deployed files hold that key.
 */
int		 machine_next_lost(enum slot_state, const struct slot_facts *);

/* When renewal is due (0: no certificate, due at once). */
time_t		 machine_due_at(const struct slot_facts *,
		    const struct slot_policy *);

/*
 * For plan: the facts as they would be once action succeeded at now, with
 * DNS taking prop_delay to reach every address and ttl/neg_ttl/margin to
 * age. Pure; tested against machine_step in the table tests.
 */
void		 machine_simulate(enum slot_action, struct slot_facts *,
		    time_t now, int64_t prop_delay, int64_t ttl,
		    int64_t neg_ttl, int64_t margin,
		    const struct slot_policy *);

const char	*slot_state_str(enum slot_state);
int		 slot_state_parse(const char *, enum slot_state *);
const char	*slot_action_str(enum slot_action);
const char	*alert_level_str(enum alert_level);

#endif
