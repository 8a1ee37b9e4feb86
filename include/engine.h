/*
 * engine - carries out the state machine for hosts: reads a view, steps
 * every slot, runs the chosen action through a backend, records it, and
 * steps again until nothing more can happen now. It never sleeps through a
 * TTL: the time to look again is stored and returned.
 *
 * What to do is decided by host_step (pure, include/host_step.h); the
 * engine only loads the facts, carries the step out and stores what came
 * of it. Every side effect is written to the store before it starts and
 * completed after it ends, in separate transactions, so a run killed at
 * any point resumes and converges on the next run (each action is
 * idempotent).
 */
#ifndef DANEROLL_ENGINE_H
#define DANEROLL_ENGINE_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "backend.h"
#include "conf.h"
#include "machine.h"
#include "store.h"

struct engine {
	const struct conf	*conf;
	struct store		*store;
	const struct backends	*be;
	int			 dry_run;	/* run -n: decide, change nothing */
	/* Tests: called at every named side-effect point (may _exit). */
	void			(*crash_point)(const char *point);
	/* Tests: told of every action as it is carried out, with the
	 * slot's algorithm (-1: publish and observe, host-wide), and of
	 * every new wait (ACT_NONE, until: its end, 0: none). */
	void			(*on_action)(enum slot_action, int alg,
				    time_t now, time_t until);
};

struct engine_result {
	time_t			 wake_at;	/* earliest time work is due; 0 none */
	int64_t			 wake_ms;	/* the same to the ms (wake_at is
						 * it rounded up): a poll for
						 * propagation comes twice a
						 * second */
	int			 busy;		/* some slot is mid-rollover */
	enum alert_level	 alert;		/* worst alert raised */
	enum outcome		 outcome;	/* worst outcome of an action */
	int			 stuck;		/* a slot only the operator can
						 * move on (machine_stuck) */
	/* What wake_at waits for, for run --wait's countdown: the slot's
	 * algorithm (-1: the host's RRset) and why (static text). */
	int			 wake_alg;
	const char		*wake_reason;
	/* Slots by algorithm bit: a step failed or a back-off was reported
	 * (~0u: the host could not be handled at all); a critical alert. */
	unsigned		 failed_algs;
	unsigned		 critical_algs;
};

/*
 * Does the host need engine_host now? A read-only look, without the lock:
 * 0 when every slot waits (nothing due, nothing to record, no back-off or
 * alert to report), with res filled as engine_host would fill it (busy,
 * wake_at, wake_ms); else 1. A run skips an idle host entirely: no lock
 * file is touched and nothing is written.
 */
int	engine_due(struct engine *, const struct conf_host *, time_t now,
	    struct engine_result *);

/* Advances one host as far as possible now. Caller holds its lock. */
void	engine_host(struct engine *, const struct conf_host *,
	    struct engine_result *);

/*
 * Checks a chain before anything may use it: its leaf is key's, it is well
 * formed, unexpired, and covers the host and its aliases. 1 if acceptable,
 * else 0 (logged, naming path and key_name).
 */
int	engine_chain_acceptable(const struct conf_host *, enum key_alg,
	    STACK_OF(X509) *chain, EVP_PKEY *key, const char *key_name,
	    const char *path, time_t now);

/* Back-off after the nth consecutive failure. */
int64_t	engine_backoff(const struct conf_timing *, int failures);

#endif
