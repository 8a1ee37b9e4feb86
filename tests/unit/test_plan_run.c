/*
 * Unit tests: plan equals run (issue 12, item 7). `plan` feeds machine_step
 * simulated facts (machine_simulate); `run` feeds it the facts the engine
 * finds. For each scenario below, the host's plan (plan_host, JSON) is taken,
 * then the engine is run over the fakes as a timer runs it (the clock jumped
 * to each wake time), and each slot's executed actions must be the plan's,
 * in the plan's order, each within one poll interval (OBSERVE_POLL) of the
 * plan's time once the plan's assumed propagation delay (an observe step's
 * `propagation`) is replaced by the one the run took; and the slot must come
 * to rest when the plan says it looks again.
 *
 * The executed actions come from the engine's on_action hook; the fakes'
 * counters check that publishes, issues, deploys and verifies reached the
 * world as often as the hook says. Publish and observe are host-wide: they
 * count in every slot (the scenarios keep the slots in step). SHOW=1
 * prints every slot's plan and run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "conf.h"
#include "engine.h"
#include "fakes.h"
#include "plan.h"
#include "store.h"
#include "t.h"
#include "t_engine.h"

#define T0		1800000000
#define DAY		86400
#define POLL		5	/* the engine's OBSERVE_POLL */
#define MAX_DONE	512
#define MAX_STEPS	64

/* When the compared plan is taken. */
enum moment {
	AT_FIRST_RUN,		/* before anything ran */
	AT_FORCED_ROLL,		/* at rest, then `roll` (store_host_force) */
	AT_RENEWAL_DUE		/* at rest, then 61 days on: renewal due */
};

static const struct scenario {
	const char	*name;
	const char	*scheme;
	const char	*algs;
	int		 deployed;	/* a certificate before the first run */
	enum moment	 when;
	int		 lag;		/* fake.lag during the compared run */
	int		 neg_ttl;	/* the zone's negative TTL (0: 5 s) */
	int64_t		 ttl;		/* ttl from the compared run on
					 * (0: 60 s throughout) */
} scenarios[] = {
	{ "fresh host, deployed cert adopted", "current+next", "ecdsa-p256",
	  1, AT_FIRST_RUN, 0, 0, 0 },
	{ "bootstrap, nothing deployed", "current+next", "ecdsa-p256",
	  0, AT_FIRST_RUN, 0, 0, 0 },
	{ "bootstrap, a zone with a long negative TTL", "current+next",
	  "ecdsa-p256", 0, AT_FIRST_RUN, 0, 300, 0 },
	{ "current+next at rest, forced roll", "current+next", "ecdsa-p256",
	  1, AT_FORCED_ROLL, 0, 0, 0 },
	{ "TTL lowered at rest, then a forced roll", "current+next",
	  "ecdsa-p256", 1, AT_FORCED_ROLL, 0, 0, 20 },
	{ "current+next, renewal due", "current+next", "ecdsa-p256",
	  1, AT_RENEWAL_DUE, 0, 0, 0 },
	{ "current+issuer, first run", "current+issuer", "ecdsa-p256",
	  1, AT_FIRST_RUN, 0, 0, 0 },
	{ "current+issuer, renewal due", "current+issuer", "ecdsa-p256",
	  1, AT_RENEWAL_DUE, 0, 0, 0 },
	{ "lagging secondary, first run", "current+next", "ecdsa-p256",
	  1, AT_FIRST_RUN, 3, 0, 0 },
	{ "lagging secondary, bootstrap", "current+next", "ecdsa-p256",
	  0, AT_FIRST_RUN, 2, 0, 0 },
	{ "lagging secondary, forced roll", "current+next", "ecdsa-p256",
	  1, AT_FORCED_ROLL, 4, 0, 0 },
	{ "both algorithms, first run", "current+next",
	  "rsa2048 ecdsa-p256", 1, AT_FIRST_RUN, 1, 0, 0 },
	{ "both algorithms, renewal due", "current+next",
	  "rsa2048 ecdsa-p256", 1, AT_RENEWAL_DUE, 2, 0, 0 },
	{ "both algorithms, current+issuer forced roll", "current+issuer",
	  "rsa2048 ecdsa-p256", 1, AT_FORCED_ROLL, 1, 0, 0 },
};

static struct conf	*conf;
static struct store	*st;
static struct engine	 eng;

/* What the run did, in order, from the engine's on_action hook. */
static struct done {
	enum slot_action	 action;	/* ACT_NONE: a new wait */
	int			 alg;		/* -1: host-wide */
	time_t			 at;		/* a wait: when it ends */
} done[MAX_DONE];
static int ndone;

static void
record(enum slot_action a, int alg, time_t now, time_t until)
{
	if (ndone < MAX_DONE)
		done[ndone++] = (struct done){ a, alg,
		    a == ACT_NONE ? until : now };
}

/*
 * One step as the plan or the run has it: an action at its time, or a wait
 * (ACT_NONE) until its end; an observe spans at..last (the polls until
 * every address served the RRset).
 */
struct act {
	enum slot_action	 action;
	time_t			 at, last;
	int64_t			 propagation;	/* plan, observe: assumed */
	int			 rest;		/* plan: the final step */
};

static void
teardown(void)
{
	t_engine_close(&st, &conf);
}

/* A fresh world for the scenario; returns its host. */
static const struct conf_host *
setup(const struct scenario *sc, int n)
{
	struct buf c = { 0 };
	char spki[65], dir[512], path[600];
	const char *cfg;

	teardown();
	t_engine_world(dir, sizeof(dir), "w", n, T0);
	fake_ca_spki(spki);
	t_engine_conf_head(&c, dir);
	buf_printf(&c, "[host mx%d.example.org]\nscheme = %s\nalgorithms = %s\n"
	    "combined_file = %s/live/%%a.pem\npublisher = dns\n"
	    "acme_hook = /bin/true\nreload = /bin/true\n", n, sc->scheme,
	    sc->algs, dir);
	if (strcmp(sc->scheme, "current+issuer") == 0)
		buf_printf(&c, "issuer_spki = %s\n", spki);
	snprintf(path, sizeof(path), "w%d.conf", n);
	cfg = t_write(path, c.data);
	buf_free(&c);
	if ((conf = conf_load(cfg)) == NULL)
		return NULL;
	if (store_open(conf->state_dir, 0, &st) != OUT_OK)
		return NULL;
	t_engine_bind(&eng, conf, st, &fake_backends);
	eng.on_action = record;
	if (sc->deployed)
		t_engine_deploy_initial(&conf->hosts[0]);
	return &conf->hosts[0];
}

/* Runs as a timer does until the host rests; its last wake time, or -1. */
static time_t
run_timer(const struct conf_host *h)
{
	struct engine_result r;
	int runs;

	for (runs = 0; runs < 100; runs++) {
		engine_host(&eng, h, &r);
		if (!r.busy)
			return r.wake_at;
		fake_clock(r.wake_at > fake_now() ? r.wake_at :
		    fake_now() + POLL);
	}
	return -1;
}

/* The plan's steps of one slot. */
static int
planned(json_t *slot, struct act *out)
{
	json_t *steps = json_object_get(slot, "steps"), *s;
	size_t i;
	int n = 0;

	json_array_foreach(steps, i, s) {
		const char *a = json_string_value(json_object_get(s, "action"));
		int k, wait = strcmp(a, "wait") == 0 || strcmp(a, "none") == 0;

		for (k = 0; k < ACT_ACTION_COUNT && !wait; k++)
			if (strcmp(a, slot_action_str((enum slot_action)k)) == 0)
				break;
		if (n == MAX_STEPS)
			break;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].action = wait ? ACT_NONE : (enum slot_action)k;
		out[n].at = out[n].last = (time_t)json_integer_value(
		    json_object_get(s, wait ? "until_unix" : "at_unix"));
		out[n].propagation = json_integer_value(json_object_get(s,
		    "propagation"));
		out[n].rest = strcmp(a, "none") == 0;
		n++;
	}
	return n;
}

/* What the run did for one slot: its own steps and the host-wide ones,
 * successive observes as one. */
static int
executed(int alg, struct act *out)
{
	int i, n = 0;

	for (i = 0; i < ndone && n < MAX_STEPS; i++) {
		if (done[i].alg != alg && done[i].alg != -1)
			continue;
		if (done[i].action == ACT_OBSERVE && n > 0 &&
		    out[n - 1].action == ACT_OBSERVE) {
			out[n - 1].last = done[i].at;
			continue;
		}
		memset(&out[n], 0, sizeof(out[n]));
		out[n].action = done[i].action;
		out[n].at = out[n].last = done[i].at;
		n++;
	}
	return n;
}

static const char *
step_str(const struct act *a)
{
	return a->action == ACT_NONE ? "wait" : slot_action_str(a->action);
}

static void
print_acts(const char *what, const struct act *a, int n, time_t t0)
{
	int i;

	printf("    %s:", what);
	for (i = 0; i < n; i++)
		printf(" %s@%+lld", step_str(&a[i]),
		    (long long)(a[i].at - t0));
	printf("\n");
}

static int
count(int alg, enum slot_action a)
{
	int i, n = 0;

	for (i = 0; i < ndone; i++)
		n += done[i].action == a && (alg < 0 || done[i].alg == alg);
	return n;
}

/*
 * Plan, run, compare. The plan assumes a propagation delay; the run takes
 * its own (lag polls). From each observe on, the plan's times are moved by
 * the difference, so that only a disagreement of the two remains; the
 * resting time (the next renewal) moves with the certificate's issue.
 */
static void
plan_then_run(const struct scenario *sc, int n)
{
	const struct conf_host *h = setup(sc, n);
	struct act want[MAX_STEPS], got[MAX_STEPS];
	json_t *plans = NULL, *slots, *slot;
	int publishes, issues, deploys, verifies;
	time_t t0;
	size_t si;
	int64_t hid;

	if (!T_CHECK(h != NULL))
		return;
	fake.neg_ttl = sc->neg_ttl;
	if (sc->when != AT_FIRST_RUN) {
		if (!T_CHECK(run_timer(h) > 0))
			return;
		if (sc->when == AT_FORCED_ROLL)
			T_CHECK(store_host_get(st, h->name, 0, 0, &hid,
			    NULL) == 1 && store_host_force(st, hid, 1) == 0);
		else
			fake_clock(T0 + 61 * DAY);
	}
	if (sc->ttl > 0)
		conf->hosts[0].timing.ttl = sc->ttl;
	fake.lag = sc->lag;
	ndone = 0;
	publishes = fake.publishes;
	issues = fake.issues;
	deploys = fake.deploys;
	verifies = fake.verifies;
	t0 = fake_now();
	plans = json_array();
	if (!T_CHECK(plan_host(st, conf, &fake_backends, h, t0, NULL,
	    plans) == 0))
		goto done;
	T_CHECK(run_timer(h) > 0);

	/* What the hook says reached the world. */
	T_INT(count(-1, ACT_PUBLISH), fake.publishes - publishes);
	T_INT(count(-1, ACT_ISSUE), fake.issues - issues);
	T_INT(count(-1, ACT_DEPLOY), fake.deploys - deploys);
	T_INT(count(-1, ACT_VERIFY), fake.verifies - verifies);
	T_INT(fake.violations, 0);

	slots = json_object_get(json_array_get(plans, 0), "slots");
	T_CHECK(json_array_size(slots) > 0);
	json_array_foreach(slots, si, slot) {
		const char *name = json_string_value(json_object_get(slot,
		    "algorithm"));
		enum key_alg alg;
		int np, ne, i, ok = 1;
		time_t shift = 0, cert_shift = 0;

		if (!T_CHECK(key_alg_parse(name, &alg) == 0))
			continue;
		np = planned(slot, want);
		ne = executed((int)alg, got);
		ok &= T_CHECK(np > 0 && want[np - 1].rest);
		ok &= T_INT(ne, np);
		for (i = 0; i < np && i < ne; i++) {
			time_t expect = want[i].at + (want[i].rest ?
			    cert_shift : shift);

			ok &= T_STR(step_str(&got[i]), step_str(&want[i]));
			if (!T_CHECK(got[i].at >= expect - POLL &&
			    got[i].at <= expect + POLL)) {
				ok = 0;
				printf("    %s step %d, %s: planned at %+lld, "
				    "run at %+lld\n", name, i,
				    step_str(&want[i]),
				    (long long)(expect - t0),
				    (long long)(got[i].at - t0));
			}
			if (want[i].action == ACT_OBSERVE)
				shift = got[i].last - (want[i].at +
				    (time_t)want[i].propagation);
			/* The next renewal counts from the new certificate. */
			if (want[i].action == ACT_ISSUE)
				cert_shift = shift;
		}
		if (!ok || getenv("SHOW")) {
			printf("    %s (%s, %s):\n", sc->name, sc->scheme, name);
			print_acts("plan", want, np, t0);
			print_acts("run ", got, ne, t0);
		}
	}
done:
	json_decref(plans);
}

/* One case per scenario, so that each is reported by name. */
#define CASE(i)							\
	static void case_##i(void)				\
	{							\
		plan_then_run(&scenarios[i], i);		\
	}
CASE(0) CASE(1) CASE(2) CASE(3) CASE(4) CASE(5)
CASE(6) CASE(7) CASE(8) CASE(9) CASE(10) CASE(11) CASE(12) CASE(13)

static void
test_cleanup(void)
{
	teardown();
	T_CHECK(1);
}

static void (*const case_fn[])(void) = {
	case_0, case_1, case_2, case_3, case_4, case_5, case_6, case_7,
	case_8, case_9, case_10, case_11, case_12, case_13
};

int
main(int argc, char **argv)
{
	enum { N = sizeof(scenarios) / sizeof(scenarios[0]) };
	struct t_case cases[N + 1];
	size_t i;

	_Static_assert(sizeof(case_fn) / sizeof(case_fn[0]) == N,
	    "one case per scenario");
	for (i = 0; i < N; i++)
		cases[i] = (struct t_case){ scenarios[i].name, case_fn[i] };
	cases[N] = (struct t_case){ "cleanup", test_cleanup };
	return t_run(cases, N + 1, argc, argv);
}
