/*
 * t_engine - the world the engine's unit tests share (test_engine,
 * test_adopt, test_issue, test_plan_run) over the test doubles of fakes.c:
 * a fresh directory with the fakes reset to it, the configuration's common
 * [global] and [publisher dns] sections, an engine bound to a configuration
 * and a store, the host's initial chains deployed, a run as a timer would
 * make it, what the fake DNS serves, and a host's slots and keys as
 * stored.
 *
 * Static inline so each test program keeps its own globals and passes them
 * in; nothing here owns what it is given.
 */
#ifndef DANEROLL_T_ENGINE_H
#define DANEROLL_T_ENGINE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "engine.h"
#include "fakes.h"
#include "store.h"
#include "tlsa.h"
#include "t.h"
#include "util.h"

/*
 * A fresh world: t_tmpdir()/PREFIXn into dir (with live/ below it), the
 * fakes reset to it and the clock at t0.
 */
static inline void
t_engine_world(char *dir, size_t len, const char *prefix, int n, time_t t0)
{
	char path[700];

	snprintf(dir, len, "%s/%s%d", t_tmpdir(), prefix, n);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/live", dir);
	mkdir(path, 0700);
	fake_reset(dir);
	fake_clock(t0);
}

/* The [global] and [publisher dns] sections every engine test starts with,
 * appended to c: state and the TSIG key file under dir. */
static inline void
t_engine_conf_head(struct buf *c, const char *dir)
{
	buf_printf(c, "[global]\nstate_dir = %s/state\nttl = 60\n"
	    "margin = 10\nretry_min = 30s\nretry_max = 10m\n\n"
	    "[publisher dns]\ntype = rfc2136\ntsig_key_file = %s/tsig.key\n\n",
	    dir, dir);
}

/* Closes *st and frees *conf, leaving both NULL. */
static inline void
t_engine_close(struct store **st, struct conf **conf)
{
	store_close(*st);
	conf_free(*conf);
	*st = NULL;
	*conf = NULL;
}

/* An engine over conf, st and the backends be, nothing else set. */
static inline void
t_engine_bind(struct engine *eng, struct conf *conf, struct store *st,
    const struct backends *be)
{
	memset(eng, 0, sizeof(*eng));
	eng->conf = conf;
	eng->store = st;
	eng->be = be;
}

/* Deploys a 90-day initial chain for each of h's algorithms, as if the
 * host had run before daneroll. */
static inline void
t_engine_deploy_initial(const struct conf_host *h)
{
	int a;

	for (a = 0; a < KEY_ALG_COUNT; a++) {
		char *p;

		if (!(h->algs & (1u << a)))
			continue;
		p = conf_path_for(h->files.combined_file, (enum key_alg)a);
		fake_deploy_initial(p, h->name, (enum key_alg)a, 90);
		free(p);
	}
}

/*
 * Runs the engine as a timer would: run, then jump the clock to the
 * wake-up time, until every slot is standby (or failed) and not busy, or
 * until limit runs. The number of runs, or -1.
 */
static inline int
t_engine_until_stable(struct engine *eng, const struct conf_host *h,
    int limit)
{
	struct engine_result r;
	int runs;

	for (runs = 0; runs < limit; runs++) {
		engine_host(eng, h, &r);
		if (!r.busy)
			return runs + 1;
		fake_clock(r.wake_at > fake_now() ? r.wake_at :
		    fake_now() + 5);
	}
	return -1;
}

/* 1 if the fake DNS serves a record for spki (not "") at owner. */
static inline int
t_engine_served(const char *owner, const char *spki)
{
	struct tlsa_set set;
	char *text;
	int has;

	fake_served(owner, &set);
	text = tlsa_set_format(&set);
	has = spki[0] != '\0' && strstr(text, spki) != NULL;
	free(text);
	tlsa_set_free(&set);
	return has;
}

/* The slot for alg of the host named host as stored, into *s (zeroed
 * first; the caller frees it): 1, or 0 if there is none. */
static inline int
t_engine_slot(struct store *st, const char *host, enum key_alg alg,
    struct store_slot *s)
{
	int64_t hid;

	memset(s, 0, sizeof(*s));
	return store_host_get(st, host, 0, 0, &hid, NULL) == 1 &&
	    store_slot_get(st, hid, alg, 0, 0, s) == 1;
}

/* That slot's state; SLOT_STATE_COUNT if there is none. */
static inline enum slot_state
t_engine_state(struct store *st, const char *host, enum key_alg alg)
{
	struct store_slot s;
	enum slot_state r = SLOT_STATE_COUNT;

	if (t_engine_slot(st, host, alg, &s))
		r = s.state;
	store_slot_free(&s);
	return r;
}

/* That slot's key in role ("current", "next" ...) into *k (zeroed first;
 * the caller frees it): 1, or 0 if there is none. */
static inline int
t_engine_key(struct store *st, const char *host, enum key_alg alg,
    const char *role, struct store_key *k)
{
	struct store_slot s;
	int found;

	memset(k, 0, sizeof(*k));
	found = t_engine_slot(st, host, alg, &s) &&
	    store_key_get(st, s.id, role, k) == 1;
	store_slot_free(&s);
	return found;
}

#endif
