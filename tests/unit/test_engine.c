/*
 * Unit tests: the engine over test doubles (tests/unit/fakes.c), with the
 * independent prober counting safety violations: whole rollovers for both
 * schemes, the deploy guard, refusals, rollback, failures and back-off,
 * first contact, dry run, and a SIGKILL at every side-effect point followed
 * by runs until stable.
 *
 * Most scenarios share one shape (a world, what happens to it, a run,
 * what must hold): they are rows of the table rows[], run by row_run().
 * Those that step the engine through several phases stay functions.
 */
#include <dirent.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conf.h"
#include "engine.h"
#include "fakes.h"
#include "fsutil.h"
#include "intake.h"
#include "plan.h"
#include "store.h"
#include "t.h"
#include "t_engine.h"
#include "view.h"

#define T0	1800000000
#define DAY	86400

static struct conf	*conf;
static int		 pin_by_file;	/* issuer_cert instead of issuer_spki */
static const char	*host_extra = "";	/* more lines for the host */
static struct store	*st;
static struct engine	 eng;
static char		 dir[512];
static struct buf	 conf_text;	/* the last setup's configuration */

static void
teardown(void)
{
	t_engine_close(&st, &conf);
}

/* A fresh world: config, state, one host; returns the host. */
static const struct conf_host *
setup(const char *name, const char *scheme, const char *algs, int deployed)
{
	static int n;
	struct buf c = { 0 };
	char spki[65], path[600];
	const char *cfg;

	teardown();
	t_engine_world(dir, sizeof(dir), "w", ++n, T0);
	fake_ca_spki(spki);
	t_engine_conf_head(&c, dir);
	buf_printf(&c, "[host %s]\nscheme = %s\nalgorithms = %s\n"
	    "combined_file = %s/live/%s-%%a.pem\npublisher = dns\n"
	    "acme_hook = /bin/true\nreload = /bin/true\n", name, scheme, algs,
	    dir, name);
	if (strcmp(scheme, "current+issuer") == 0 && pin_by_file) {
		snprintf(path, sizeof(path), "%s/ca.pem", dir);
		if (fake_ca_write(path) != 0)
			return NULL;
		buf_printf(&c, "issuer_cert = %s\n", path);
	} else if (strcmp(scheme, "current+issuer") == 0)
		buf_printf(&c, "issuer_spki = %s\n", spki);
	buf_printf(&c, "%s", host_extra);
	snprintf(path, sizeof(path), "w%d.conf", n);
	cfg = t_write(path, c.data);
	buf_free(&conf_text);
	conf_text = c;
	if ((conf = conf_load(cfg)) == NULL)
		return NULL;
	if (store_open(conf->state_dir, 0, &st) != OUT_OK)
		return NULL;
	t_engine_bind(&eng, conf, st, &fake_backends);
	if (deployed)
		t_engine_deploy_initial(&conf->hosts[0]);
	return &conf->hosts[0];
}

/*
 * The operator edits the file: the last setup's configuration with more
 * lines for its host, loaded over the same state and DNS. NULL if it does
 * not load.
 */
static const struct conf_host *
reconfigure(const char *more)
{
	static int n;
	struct buf c = { 0 };
	struct conf *nc;
	char path[64];

	buf_printf(&c, "%s%s", conf_text.data, more);
	snprintf(path, sizeof(path), "re%d.conf", ++n);
	nc = conf_load(t_write(path, c.data));
	buf_free(&c);
	if (nc == NULL)
		return NULL;
	conf_free(conf);
	conf = nc;
	eng.conf = conf;
	return &conf->hosts[0];
}

/* How many times needle was logged since t_log_reset(). */
static int
log_count(const char *needle)
{
	const char *p = t_log_text();
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* In the log since t_log_reset(): a deploy, and no publish before it. */
static int
deployed_unpublished(void)
{
	const char *t = t_log_text();
	const char *d = strstr(t, "deploying -> verifying");
	const char *p = strstr(t, " published ");

	return d != NULL && (p == NULL || p > d);
}

/* The host's slot for alg as stored (t_engine_slot): 1, or 0. */
static int
slot_get(const struct conf_host *h, enum key_alg alg, struct store_slot *s)
{
	return t_engine_slot(st, h->name, alg, s);
}

/* The state of a slot as stored (SLOT_STATE_COUNT: none). */
static enum slot_state
state_of(const struct conf_host *h, enum key_alg alg)
{
	return t_engine_state(st, h->name, alg);
}

/* Runs this file's engine as a timer would (t_engine_until_stable). */
static int
run_until_stable(const struct conf_host *h, int limit)
{
	return t_engine_until_stable(&eng, h, limit);
}

/* The host's id in the store (checked); 0 if it has none. */
static int64_t
host_id(const struct conf_host *h)
{
	int64_t hid = 0;

	T_INT(store_host_get(st, h->name, 0, 0, &hid, NULL), 1);
	return hid;
}

/* One run of the host, the log captured from its start. */
static void
run_logged(const struct conf_host *h, struct engine_result *r)
{
	t_log_reset();
	engine_host(&eng, h, r);
}

/* So far: n deploys, and the prober never saw a chain the DNS fails. */
static void
safe_deploys(int n)
{
	T_INT(fake.deploys, n);
	T_INT(fake.violations, 0);
}

/* Runs until stable (checked), then safe_deploys(n). */
static void
settles(const struct conf_host *h, int n)
{
	T_CHECK(run_until_stable(h, 40) > 0);
	safe_deploys(n);
}

/* Every publish fails from now on: runs (at most) never get the host
 * stable (checked). */
static void
publish_fails(const struct conf_host *h, int runs)
{
	fake.publish_outcome = OUT_TEMPFAIL;
	T_CHECK(run_until_stable(h, runs) < 0);
}

/* The publisher mended, a day on: runs until stable (checked). */
static void
publish_mended(const struct conf_host *h)
{
	fake.publish_outcome = OUT_OK;
	fake_clock(fake_now() + DAY);
	T_CHECK(run_until_stable(h, 40) > 0);
}

/* An ECDSA current+next host whose deployed certificate is adopted, not
 * run yet (checked); NULL if it could not be set up. */
static const struct conf_host *
adopted_host(const char *name)
{
	const struct conf_host *h = setup(name, "current+next", "ecdsa-p256",
	    1);

	T_CHECK(h != NULL);
	return h;
}

/* The common start: an ECDSA current+next host adopted and run until
 * stable (both checked); NULL if it could not be set up. */
static const struct conf_host *
standby_host(const char *name)
{
	const struct conf_host *h = adopted_host(name);

	if (h != NULL)
		T_CHECK(run_until_stable(h, 40) > 0);
	return h;
}

/* A current+issuer ECDSA host with the lines extra, adopted and run until
 * stable (both checked); NULL if it could not be set up. */
static const struct conf_host *
issuer_host(const char *name, const char *extra)
{
	const struct conf_host *h;

	host_extra = extra;
	h = setup(name, "current+issuer", "ecdsa-p256", 1);
	host_extra = "";
	if (!T_CHECK(h != NULL))
		return NULL;
	T_CHECK(run_until_stable(h, 40) > 0);
	return h;
}

/* Runs a minute apart until the host is stuck, at most 20 times: how
 * many ran, the last one's result in *r. */
static int
run_until_stuck(const struct conf_host *h, struct engine_result *r)
{
	int runs;

	memset(r, 0, sizeof(*r));
	for (runs = 0; runs < 20 && !r->stuck; runs++) {
		engine_host(&eng, h, r);
		fake_clock(fake_now() + 60);
	}
	return runs;
}

/*
 * An issuer_pin = root host run until stable; then intermediate 2 under
 * a new root 2 issues (its chain sends the root if send_root), and
 * renewal is due, the log reset. The SPKIs of the first CA, root 2 and
 * intermediate 2; the host, or NULL (checked).
 */
static const struct conf_host *
root_2_issues(const char *name, int send_root, char first[65],
    char root2[65], char int2[65])
{
	const struct conf_host *h = issuer_host(name, "issuer_pin = root\n");

	if (h == NULL)
		return NULL;
	fake_ca_spki(first);
	fake_ca_change_under("daneroll test root 2",
	    "daneroll test intermediate 2");
	fake.send_root = send_root;
	fake_root_spki(root2);
	fake_ca_spki(int2);
	fake_clock(T0 + 61 * DAY);
	t_log_reset();
	return h;
}

/*
 * A new intermediate under the pinned root, renewal due 122 days on:
 * deployed (the second deploy) with no publish before it; its SPKI into
 * int3.
 */
static void
intermediate_3_goes_live(const struct conf_host *h, char int3[65])
{
	fake_ca_change_under(NULL, "daneroll test intermediate 3");
	fake_ca_spki(int3);
	fake_clock(T0 + 122 * DAY);
	t_log_reset();
	T_CHECK(run_until_stable(h, 60) > 0);
	T_CHECK(deployed_unpublished());
	T_INT(fake.deploys, 2);
}

/* Runs a second at a time until the ECDSA slot is in state (at most
 * limit runs); each(h) after every run, if not NULL. 1 if it got there. */
static int
step_until(const struct conf_host *h, enum slot_state state, int limit,
    void (*each)(const struct conf_host *))
{
	struct engine_result r;
	int i;

	for (i = 0; i < limit && state_of(h, KEY_ALG_ECDSA_P256) != state;
	    i++) {
		engine_host(&eng, h, &r);
		if (each != NULL)
			each(h);
		fake_clock(fake_now() + 1);
	}
	return state_of(h, KEY_ALG_ECDSA_P256) == state;
}

/* Forces a roll and runs, a second at a time, until the ECDSA slot's
 * following next record is served everywhere and ageing: 1 if it is. */
static int
roll_until_ageing(const struct conf_host *h, int64_t hid)
{
	if (store_host_force(st, hid, 1) != 0)
		return 0;
	return step_until(h, SLOT_AGEING, 40, NULL);
}

/* The SPKI of a slot's key in role as stored ("" if none). */
static void
spki_of(const struct conf_host *h, enum key_alg alg, const char *role,
    char out[65])
{
	struct store_key k;

	out[0] = '\0';
	if (t_engine_key(st, h->name, alg, role, &k))
		memcpy(out, k.spki, 65);
	store_key_free(&k);
}

static int
served_has(const char *owner, const char *spki)
{
	return t_engine_served(owner, spki);
}

/* 1 if the fake DNS serves exactly set at owner. */
static int
rrset_is(const char *owner, const struct tlsa_set *set)
{
	struct tlsa_set now;
	int same;

	fake_served(owner, &now);
	same = tlsa_set_equal(set, &now);
	tlsa_set_free(&now);
	return same;
}

struct event_count {
	const char	*needle;
	int		 n;
};

static void
count_event(time_t at, const char *slot, const char *old_state,
    const char *new_state, const char *reason, void *arg)
{
	struct event_count *a = arg;

	(void)at;
	(void)slot;
	(void)old_state;
	(void)new_state;
	if (reason != NULL && strstr(reason, a->needle) != NULL)
		a->n++;
}

/* Counts the host's events whose reason holds needle. */
static int
events_with(const char *host, const char *needle)
{
	struct event_count a = { needle, 0 };

	(void)store_events(st, host, 100, count_event, &a);
	return a.n;
}

/* certbot's --deploy-hook, as the engine sees it. */
static enum outcome
intake(const struct conf_host *h, const char *lineage)
{
	struct intake_files f;
	enum outcome o;

	setenv("RENEWED_LINEAGE", lineage, 1);
	setenv("RENEWED_DOMAINS", h->name, 1);
	if (intake_from_client(0, NULL, &f) != 0)
		return OUT_PERMFAIL;
	unsetenv("RENEWED_LINEAGE");
	unsetenv("RENEWED_DOMAINS");
	o = intake_stage(conf, st, &fake_backends, intake_host(conf, f.domain),
	    &f, fake_now());
	intake_files_free(&f);
	return o;
}

/* What an ACME client hands over in DIR/lineage. */
enum hand {
	HAND_NONE = 0,
	HAND_FRESH,		/* a renewal with a fresh key (certbot's
				   default) */
	HAND_NEXT_KEY,		/* a client told to reuse daneroll's next key */
	HAND_MISMATCH,		/* the chain of one renewal, another's key */
};

/* The ECDSA slot's next key into *k (checked; the caller frees it). */
static void
next_key_get(const struct conf_host *h, struct store_key *k)
{
	struct store_slot s;

	memset(k, 0, sizeof(*k));
	T_CHECK(slot_get(h, KEY_ALG_ECDSA_P256, &s));
	T_INT(store_key_get(st, s.id, "next", k), 1);
	store_slot_free(&s);
}

/* The client's files made (checked) and taken in by the acme-hook: the
 * outcome. */
static enum outcome
hand_over(const struct conf_host *h, enum hand kind)
{
	char lineage[600], other[600], a[700], b[700];
	struct store_key k = { 0 };

	snprintf(lineage, sizeof(lineage), "%s/lineage", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	mkdir(lineage, 0700);
	if (kind == HAND_NEXT_KEY)
		next_key_get(h, &k);
	T_INT(fake_client_cert(lineage, h->name, KEY_ALG_ECDSA_P256, k.path),
	    0);
	store_key_free(&k);
	if (kind == HAND_MISMATCH) {
		mkdir(other, 0700);
		T_INT(fake_client_cert(other, h->name, KEY_ALG_ECDSA_P256,
		    NULL), 0);
		snprintf(a, sizeof(a), "%s/privkey.pem", other);
		snprintf(b, sizeof(b), "%s/privkey.pem", lineage);
		T_INT(rename(a, b), 0);
	}
	return intake(h, lineage);
}

/*
 * The scenarios that share one shape, as data: a world (host, scheme,
 * fakes' knobs), optionally run until stable and checked, then what
 * happens to it (the clock moves on, twists, a fault), one action of the
 * engine, and what must hold after it. row_run() is the one runner. A
 * field left out is 0: no twist, no fault, one run until stable, and
 * nothing checked but what the lists name.
 */

/* What happens to the world before the action, in this order. */
enum twist {
	TW_ROLL		= 1 << 0,	/* a forced roll, then... */
	TW_AGEING	= 1 << 1,	/* ...runs a second apart until ageing */
	TW_FORCE	= 1 << 2,	/* a forced roll */
	TW_FOREIGN	= 1 << 3,	/* a key put live behind our back,
					   valid .foreign_days */
	TW_LOSE_NEXT	= 1 << 4,	/* the next key's file deleted */
	TW_DISCARD_NEXT	= 1 << 5,	/* the next key discarded in the store */
	TW_MTA_STALE	= 1 << 6,	/* the MTA serves FILE.stale instead */
	TW_BAD_CHAIN	= 1 << 7,	/* the file holds .bad_chain */
};				/* then .hand is handed over */

enum action {
	ACT_SETTLE = 0,		/* runs until stable (checked) */
	ACT_ONCE,		/* one run */
	ACT_TWICE,		/* one run, and another an hour later */
	ACT_HELD,		/* .runs runs 5 s apart, none deploys
				   (checked), then until stable */
};

/*
 * .settled, .expect and .then are lists of checks, one a word:
 *   state=S rsa=S	the ECDSA (RSA) slot's state, "none" if no slot
 *   deploys=N		a fake's counter (also publishes, issues,
 *			rollbacks, probes, violations); += counts from
 *			the action's start, >N at least N+1
 *   outcome=O alert=A	the last run's result; stuck; critical_algs=all
 *   served=K,K !served=K  the RRset holds (not) the SPKI of each K: cur
 *			and next as stored now, cur0 and next0 as before
 *			the clock moved, ca the issuing CA
 *   cur=K cur!=K	the current key is (not) K
 *   rrset=same		the RRset is what it was before the clock moved
 *   logfile		the log names the ECDSA combined file
 */
struct row {
	const char	*name;
	const char	*host;
	const char	*scheme;	/* NULL: current+next */
	const char	*algs;		/* NULL: ecdsa-p256 */
	int		 pin_by_file;	/* issuer_cert instead of issuer_spki */
	int		 bare;		/* nothing deployed before daneroll */
	int		 lag, observe_secs, no_probe;	/* the fakes' knobs */
	int		 dry_run, no_backend;	/* the engine's */
	int		 settle;	/* runs until stable first (checked), */
	int		 settle_day;	/* at T0 + settle_day days */
	const char	*settled;	/* checks then */
	int		 day;		/* the clock to T0 + day days... */
	int		 days_on;	/* ...or this many days on (or back) */
	unsigned	 twist;		/* enum twist */
	int		 foreign_days;
	const char	*bad_chain;
	enum hand	 hand;		/* taken in, with this outcome: */
	enum outcome	 hand_out;
	int		*fault;		/* set just before the action */
	enum action	 act;
	int		 runs;		/* ACT_HELD */
	int		 limit;		/* ACT_SETTLE's runs (0: 40) */
	const char	*expect;	/* checks after the action */
	const char	*log[2];	/* logged since the clock moved */
	const char	*event;		/* one event's reason holds it */
	int		 then_secs;	/* then the fault mended, the clock
					   this far on, runs until stable
					   (checked), and: */
	const char	*then;
};

/* What a row's checks look at. */
struct seen {
	const struct conf_host	*h;
	struct engine_result	 r;
	struct fake_world	 base;		/* at the action's start */
	struct tlsa_set		 before;	/* served when the clock moved */
	char			 cur0[65], next0[65];
	char			*file;		/* the ECDSA combined file */
};

static const struct {
	const char	*name;
	size_t		 off;
} counters[] = {
	{ "deploys", offsetof(struct fake_world, deploys) },
	{ "publishes", offsetof(struct fake_world, publishes) },
	{ "issues", offsetof(struct fake_world, issues) },
	{ "rollbacks", offsetof(struct fake_world, rollbacks) },
	{ "probes", offsetof(struct fake_world, probes) },
	{ "violations", offsetof(struct fake_world, violations) },
};

static const char *
state_name(const struct conf_host *h, enum key_alg alg)
{
	enum slot_state s = state_of(h, alg);

	return s == SLOT_STATE_COUNT ? "none" : slot_state_str(s);
}

/* The SPKI a check names (see struct row) into out; "" if unknown. */
static void
spki_named(const struct seen *w, const char *k, size_t len, char out[65])
{
	out[0] = '\0';
	if (len == 3 && strncmp(k, "cur", 3) == 0)
		spki_of(w->h, KEY_ALG_ECDSA_P256, "current", out);
	else if (len == 4 && strncmp(k, "next", 4) == 0)
		spki_of(w->h, KEY_ALG_ECDSA_P256, "next", out);
	else if (len == 4 && strncmp(k, "cur0", 4) == 0)
		memcpy(out, w->cur0, 65);
	else if (len == 5 && strncmp(k, "next0", 5) == 0)
		memcpy(out, w->next0, 65);
	else if (len == 2 && strncmp(k, "ca", 2) == 0)
		fake_ca_spki(out);
}

/* served=K,K or !served=K: one check for each K. */
static void
check_served(const struct seen *w, const char *tok, const char *list,
    int want)
{
	char spki[65];
	size_t n;

	for (; *list != '\0'; list += n + (list[n] == ',')) {
		n = strcspn(list, ",");
		spki_named(w, list, n, spki);
		t_check(spki[0] != '\0' && served_has(w->h->owner, spki) ==
		    want, tok, __FILE__, __LINE__);
	}
}

/* 1 if tok is a counter check (see struct row), made. */
static int
check_counter(const struct seen *w, const char *tok)
{
	size_t i, k = strcspn(tok, "+=>");
	const char *v = tok + k;
	long long got, base;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		if (strlen(counters[i].name) != k ||
		    strncmp(tok, counters[i].name, k) != 0)
			continue;
		got = *(const int *)(const void *)((const char *)&fake +
		    counters[i].off);
		base = *(const int *)(const void *)((const char *)&w->base +
		    counters[i].off);
		if (v[0] == '>')
			t_check(got > atoll(v + 1), tok, __FILE__, __LINE__);
		else if (v[0] == '+')
			t_check_int(got, base + atoll(v + 2), tok, __FILE__,
			    __LINE__);
		else
			t_check_int(got, atoll(v + 1), tok, __FILE__, __LINE__);
		return 1;
	}
	return 0;
}

/* One check of a row's list; an unknown word fails. */
static void
check_one(const struct seen *w, const char *tok)
{
	const char *v = strchr(tok, '=');
	char a[65], b[65];

	v = v != NULL ? v + 1 : "";
	if (check_counter(w, tok))
		return;
	if (strncmp(tok, "state=", 6) == 0)
		t_check_str(state_name(w->h, KEY_ALG_ECDSA_P256), v, tok,
		    __FILE__, __LINE__);
	else if (strncmp(tok, "rsa=", 4) == 0)
		t_check_str(state_name(w->h, KEY_ALG_RSA2048), v, tok,
		    __FILE__, __LINE__);
	else if (strncmp(tok, "outcome=", 8) == 0)
		t_check_str(outcome_str(w->r.outcome), v, tok, __FILE__,
		    __LINE__);
	else if (strncmp(tok, "alert=", 6) == 0)
		t_check_str(alert_level_str(w->r.alert), v, tok, __FILE__,
		    __LINE__);
	else if (strcmp(tok, "stuck") == 0)
		t_check(w->r.stuck, tok, __FILE__, __LINE__);
	else if (strcmp(tok, "critical_algs=all") == 0)
		t_check_int(w->r.critical_algs, ~0u, tok, __FILE__, __LINE__);
	else if (strncmp(tok, "served=", 7) == 0)
		check_served(w, tok, v, 1);
	else if (strncmp(tok, "!served=", 8) == 0)
		check_served(w, tok, v, 0);
	else if (strncmp(tok, "cur=", 4) == 0 || strncmp(tok, "cur!=", 5) == 0) {
		spki_named(w, "cur", 3, a);
		spki_named(w, v, strlen(v), b);
		t_check(a[0] != '\0' && b[0] != '\0' &&
		    (strcmp(a, b) == 0) == (tok[3] == '='), tok, __FILE__,
		    __LINE__);
	} else if (strcmp(tok, "rrset=same") == 0)
		t_check(rrset_is(w->h->owner, &w->before), tok, __FILE__,
		    __LINE__);
	else if (strcmp(tok, "logfile") == 0)
		t_check(t_log_has(w->file), tok, __FILE__, __LINE__);
	else
		t_check(0, tok, __FILE__, __LINE__);
}

/* Every check of a list (NULL: none). */
static void
check_all(const struct seen *w, const char *list)
{
	char *copy, *tok, *save = NULL;

	if (list == NULL)
		return;
	copy = xstrdup(list);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		check_one(w, tok);
	free(copy);
}

/* A key put live at path behind daneroll's back, valid days (the outage
 * staged on purpose: not the prober's to count). */
static void
put_live(const struct conf_host *h, const char *path, int days)
{
	int no_probe = fake.no_probe;

	fake.no_probe = 1;
	fake_deploy_initial(path, h->name, KEY_ALG_ECDSA_P256, days);
	fake.no_probe = no_probe;
}

/* The ECDSA slot's next key: its file deleted, or its role discarded in
 * the store (checked). */
static void
drop_next(const struct conf_host *h, int unlink_file)
{
	struct store_key k;

	next_key_get(h, &k);
	if (unlink_file)
		T_INT(unlink(k.path), 0);
	else
		T_INT(store_key_set_role(st, k.id, "discarded", fake_now()),
		    0);
	store_key_free(&k);
}

/* The row's twists, in the order enum twist lists them. */
static void
twist(const struct row *row, struct seen *w)
{
	char stale[700];

	if (row->twist & TW_ROLL)
		T_INT(store_host_force(st, host_id(w->h), 1), 0);
	if (row->twist & TW_AGEING)
		T_CHECK(step_until(w->h, SLOT_AGEING, 60, NULL));
	if (row->twist & TW_FORCE)
		T_INT(store_host_force(st, host_id(w->h), 1), 0);
	if (row->twist & TW_FOREIGN)
		put_live(w->h, w->file, row->foreign_days);
	if (row->twist & TW_LOSE_NEXT)
		drop_next(w->h, 1);
	if (row->twist & TW_DISCARD_NEXT)
		drop_next(w->h, 0);
	if (row->twist & TW_MTA_STALE) {
		snprintf(stale, sizeof(stale), "%s.stale", w->file);
		fake.mta_stale = 1;
		fake_deploy_initial(stale, w->h->name, KEY_ALG_ECDSA_P256, 90);
	}
	if (row->twist & TW_BAD_CHAIN) {
		fake.no_probe = 1;	/* the file is not what the MTA serves */
		T_INT(fs_write_atomic(w->file, row->bad_chain,
		    strlen(row->bad_chain), 0600, (uid_t)-1, (gid_t)-1), 0);
		fake.no_probe = row->no_probe;
	}
	if (row->hand != HAND_NONE)
		T_INT(hand_over(w->h, row->hand), row->hand_out);
}

/* The engine's action. */
static void
act(const struct row *row, struct seen *w)
{
	int i;

	w->base = fake;
	switch (row->act) {
	case ACT_SETTLE:
		T_CHECK(run_until_stable(w->h, row->limit ? row->limit : 40) >
		    0);
		break;
	case ACT_TWICE:
		engine_host(&eng, w->h, &w->r);
		fake_clock(fake_now() + 3600);
		/* FALLTHROUGH */
	case ACT_ONCE:
		engine_host(&eng, w->h, &w->r);
		break;
	case ACT_HELD:
		for (i = 0; i < row->runs; i++) {
			engine_host(&eng, w->h, &w->r);
			T_INT(fake.deploys, w->base.deploys);
			fake_clock(fake_now() + 5);
		}
		T_CHECK(run_until_stable(w->h, 40) > 0);
		break;
	}
}

static void
row_run(const void *arg)
{
	static const struct backends none = { NULL, NULL, NULL, NULL, NULL };
	const struct row *row = arg;
	struct seen w;
	size_t i;

	memset(&w, 0, sizeof(w));
	pin_by_file = row->pin_by_file;
	w.h = setup(row->host, row->scheme ? row->scheme : "current+next",
	    row->algs ? row->algs : "ecdsa-p256", !row->bare);
	pin_by_file = 0;
	if (!T_CHECK(w.h != NULL))
		return;
	w.file = conf_path_for(w.h->files.combined_file, KEY_ALG_ECDSA_P256);
	fake.lag = row->lag;
	fake.observe_secs = row->observe_secs;
	eng.dry_run = row->dry_run;
	if (row->no_backend)
		eng.be = &none;
	if (row->settle_day != 0)
		fake_clock(T0 + row->settle_day * DAY);
	if (row->settle)
		T_CHECK(run_until_stable(w.h, 40) > 0);
	check_all(&w, row->settled);
	spki_of(w.h, KEY_ALG_ECDSA_P256, "current", w.cur0);
	spki_of(w.h, KEY_ALG_ECDSA_P256, "next", w.next0);
	fake_served(w.h->owner, &w.before);
	if (row->day != 0)
		fake_clock(T0 + row->day * DAY);
	if (row->days_on != 0)
		fake_clock(fake_now() + row->days_on * DAY);
	fake.no_probe = row->no_probe;
	t_log_reset();		/* the log checks look from here on */
	twist(row, &w);
	if (row->fault != NULL)
		*row->fault = 1;
	act(row, &w);
	check_all(&w, row->expect);
	for (i = 0; i < 2; i++)
		if (row->log[i] != NULL)
			t_check(t_log_has(row->log[i]), row->log[i], __FILE__,
			    __LINE__);
	if (row->event != NULL)
		T_INT(events_with(w.h->name, row->event), 1);
	if (row->then != NULL) {
		if (row->fault != NULL)
			*row->fault = 0;
		fake_clock(fake_now() + row->then_secs);
		T_CHECK(run_until_stable(w.h, 40) > 0);
		check_all(&w, row->then);
	}
	tlsa_set_free(&w.before);
	free(w.file);
}

/* What a served chain that cannot be parsed leaves: nothing changed, a
 * critical alert that names the file, stuck. */
#define UNKNOWN_CHAIN	"publishes+=0 issues+=0 deploys+=0 alert=critical " \
			"critical_algs=all stuck rrset=same logfile"

static const struct row rows[] = {
	{ "adopt, then a full current+next rollover, two algorithms",
	  .host = "mx1.example.org", .algs = "rsa2048 ecdsa-p256", .lag = 2,
	  .settle = 1,
	  /* Both slots' records went out in one update. */
	  .settled = "rsa=standby state=standby publishes=1 served=cur,next "
	  "deploys=0",
	  /* Sixty days on, renewal is due: one full rollover that puts the
	   * pre-published key live, retires the old one and publishes the
	   * following next key. */
	  .day = 61, .expect = "state=standby deploys=2 cur=next0 "
	  "!served=cur0 served=cur,next violations=0" },
	{ "bootstrap a host with nothing deployed",
	  .host = "mx2.example.org", .bare = 1,
	  .expect = "state=standby deploys=1 served=cur violations=0" },
	{ "current+issuer cycle",
	  .host = "mx3.example.org", .scheme = "current+issuer", .settle = 1,
	  .settled = "state=standby served=ca,cur",	/* the 2 1 1 pin */
	  .day = 61, .expect = "cur!=cur0 served=cur,ca !served=cur0 "
	  "deploys=1 violations=0" },
	{ "current+issuer cycle, CA pinned by issuer_cert",
	  .host = "mx3.example.org", .scheme = "current+issuer",
	  .pin_by_file = 1, .settle = 1,
	  .settled = "state=standby served=ca,cur",
	  .day = 61, .expect = "cur!=cur0 served=cur,ca !served=cur0 "
	  "deploys=1 violations=0" },
	/* The root pinned by issuer_cert while the ACME CA sends no CA
	 * certificate (pebble, Let's Encrypt): the deployer appends the
	 * pinned CA, so the deploy guard must judge the chain as it will be
	 * served, not find "no published record matches". */
	{ "current+issuer: the CA sends no CA certificate",
	  .host = "mx3b.example.org", .scheme = "current+issuer",
	  .pin_by_file = 1, .settle = 1, .day = 61,
	  .fault = &fake.issue_leaf_only,
	  .expect = "state=standby cur!=cur0 deploys=1 violations=0" },
	/* Renewal already due at first sight: issue may come early, but no
	 * deploy before the next record is served and aged. */
	{ "deploy guard holds the certificate until aged",
	  .host = "mx4.example.org", .lag = 3, .day = 70, .act = ACT_HELD,
	  .runs = 6, .expect = "deploys=1 violations=0" },
	/* The hook is fixed: the retry goes through. */
	{ "certificate for another key is refused",
	  .host = "mx5.example.org", .settle = 1, .day = 61,
	  .fault = &fake.issue_wrong_key, .act = ACT_ONCE,
	  .expect = "deploys=0 outcome=permfail state=issuing",
	  .log = { "for another key than the pre-published next key; "
	  "refused" },
	  .then_secs = 3600, .then = "deploys=1 violations=0" },
	/* The live check fails: the old chain is live again, both records
	 * stay published. */
	{ "failed verification rolls back and stops",
	  .host = "mx6.example.org", .settle = 1, .day = 61,
	  .fault = &fake.verify_fails,
	  .expect = "state=failed rollbacks=1 served=cur0,next0 "
	  "violations=0",
	  .log = { "rolled back after a failed live check" } },
	/* Deployed, but the server goes on presenting the old chain (a
	 * reload that did not take): the old chain matches the RRset as it
	 * stands, so only a check against the RRset that PROMOTE leaves
	 * behind sees it. It must roll back and keep the old record. */
	{ "deployed but the old chain still served: rolls back, keeps the "
	  "old record",
	  .host = "mx12.example.org", .settle = 1, .day = 61,
	  .fault = &fake.mta_stale,
	  .expect = "state=failed rollbacks=1 served=cur0,next0 "
	  "violations=0",
	  .log = { "rolled back after a failed live check" } },
	/* Observations that take 30 s, longer than the margin (10 s), with
	 * the new RRset showing only at their end: ageing counts from the
	 * end of the observation that proved it served. A roll, then another
	 * as soon as the following next key's record is proved served: it
	 * deploys at the very end of ageing. */
	/* The clock went back after records were published: nothing
	 * unsafe, and the run says why the host waits. Right again, the
	 * rollover runs. */
	{ "the clock went back: nothing deployed, and said",
	  .host = "mx13.example.org", .settle = 1, .settle_day = 10,
	  .days_on = -10, .act = ACT_ONCE, .log = { "the clock went back" },
	  .expect = "deploys=0 violations=0",
	  .then_secs = 61 * DAY, .then = "deploys=1 violations=0" },
	{ "slow observations: ageing counts from their end",
	  .host = "mx24.example.org", .observe_secs = 30, .lag = 1,
	  .settle = 1, .twist = TW_ROLL | TW_AGEING | TW_FORCE,
	  .expect = "deploys=2 violations=0" },
	/* The first check races the reload. */
	{ "a live check racing the MTA's reload is retried, not rolled back",
	  .host = "mx16.example.org", .settle = 1, .day = 61,
	  .fault = &fake.verify_fail_once,
	  .expect = "rollbacks=0 state=standby cur=next0 violations=0",
	  .log = { "checking again before rolling back" } },
	/* The renewal replaces the foreign key in the same run (the
	 * pre-published next key), but says so and keeps it as an event. */
	{ "a foreign key when a renewal is due: said, and kept as an event",
	  .host = "mx21.example.org", .settle = 1, .day = 61,
	  .twist = TW_FOREIGN, .foreign_days = 10,
	  .expect = "deploys=1 violations=0",
	  .log = { "now holds a key daneroll did not publish",
	  "a key daneroll did not publish; DANE senders" },
	  .event = "now holds a key daneroll did not publish" },
	/* Discarded, a new next key is published and aged, and the renewal
	 * goes through with it. */
	{ "a next key file deleted: replaced, then the renewal",
	  .host = "mx23.example.org", .settle = 1, .day = 61,
	  .twist = TW_LOSE_NEXT, .log = { "is missing (3 1 1" },
	  .event = "discarded; a new next key replaces it",
	  .expect = "deploys=1 cur!=next0 served=cur !served=next0 "
	  "state=standby violations=0" },
	/* The last line of defence: an RRset that a served chain fails is
	 * never published. A key is put live behind our back, then the
	 * unused next key is lost, so the machine wants another. */
	{ "no RRset is published that a served chain fails",
	  .host = "mx15.example.org", .settle = 1,
	  .twist = TW_FOREIGN | TW_DISCARD_NEXT, .foreign_days = 90,
	  .act = ACT_ONCE, .log = { "refusing to publish" },
	  .expect = "publishes+=0 outcome=permfail rrset=same" },
	/* Fail closed (issue 12): a served chain whose file exists but cannot
	 * be parsed is unknown, never "nothing deployed" (at first contact
	 * that once published the next key's record alone; mid-life a forced
	 * roll would deploy over it). No publish, issue or deploy, a critical
	 * alert naming the file, and run --wait would stop. */
	{ "a served chain that cannot be parsed: unknown, nothing changes",
	  .host = "mx30.example.org", .twist = TW_BAD_CHAIN,
	  .bad_chain = "garbage\n", .act = ACT_TWICE,
	  .expect = UNKNOWN_CHAIN, .log = { "unknown" } },
	{ "a served chain that cannot be parsed: unknown, nothing changes "
	  "(empty, mid-life)",
	  .host = "mx31.example.org", .settle = 1,
	  .twist = TW_FORCE | TW_BAD_CHAIN, .bad_chain = "", .act = ACT_TWICE,
	  .expect = UNKNOWN_CHAIN, .log = { "unknown" } },
	{ "a served chain that cannot be parsed: unknown, nothing changes "
	  "(truncated)",
	  .host = "mx30.example.org", .twist = TW_BAD_CHAIN,
	  .bad_chain = "-----BEGIN CERTIFICATE-----\nMIIB\n",
	  .act = ACT_TWICE, .expect = UNKNOWN_CHAIN, .log = { "unknown" } },
	/* The publish guard's live half (issue 12): the files hold nothing,
	 * but the MTA serves a chain that the next key's record published
	 * alone would fail. */
	{ "no files, but a chain served live that the RRset would fail: "
	  "nothing published",
	  .host = "mx32.example.org", .bare = 1, .twist = TW_MTA_STALE,
	  .act = ACT_ONCE,
	  .log = { "refusing to publish: a chain served live" },
	  .expect = "publishes+=0 probes>0 outcome=permfail violations=0" },
	/* The files hold the current key, the MTA serves another chain:
	 * learned live, it fails the RRset a new next key would bring. */
	{ "files fine, but the MTA serves another chain: nothing published",
	  .host = "mx37.example.org", .settle = 1, .no_probe = 1,
	  .twist = TW_MTA_STALE | TW_DISCARD_NEXT, .act = ACT_ONCE,
	  .log = { "refusing to publish: a chain served live" },
	  .expect = "publishes+=0 outcome=permfail" },
	{ "acme-hook: a certificate for the next key",
	  .host = "mx13.example.org", .settle = 1, .hand = HAND_NEXT_KEY,
	  .expect = "deploys=1 issues=0 cur=next0 violations=0" },
	{ "acme-hook: key and chain that do not match are refused",
	  .host = "mx14.example.org", .settle = 1, .hand = HAND_MISMATCH,
	  .hand_out = OUT_PERMFAIL, .log = { "is for another key than" },
	  .limit = 10,
	  .expect = "deploys=0 publishes=1" },	/* only at adoption */
	{ "dry run changes nothing",
	  .host = "mx8.example.org", .dry_run = 1, .act = ACT_ONCE,
	  .expect = "publishes=0 deploys=0 issues=0 state=none",
	  .log = { "would adopt" } },
	{ "missing backend stops safe",
	  .host = "mx9.example.org", .no_backend = 1, .act = ACT_ONCE,
	  .expect = "outcome=permfail publishes=0",
	  .log = { "no rfc2136 backend in this build" } },
	/* A forced roll right after a rollover: the retired key's record
	 * ages out while the new chain is checked live. The previous set
	 * the deploy kept holds the current key then; a rollback needs it. */
	{ "a rollback still finds the previous set when a retired key "
	  "ages out meanwhile",
	  .host = "mx43.example.org", .settle = 1, .days_on = 61,
	  .twist = TW_AGEING | TW_FORCE, .fault = &fake.verify_fails,
	  .limit = 60,
	  .expect = "state=failed rollbacks=1 served=cur violations=0" },
};

/* What was written to f, from its start; caller frees. */
static char *
slurp_stream(FILE *f)
{
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;

	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	return b.data;
}

/*
 * Issue 18: the CA changes between two renewals (Let's Encrypt picks
 * among several intermediates; an ACME server may change its root).
 * Followed: the new CA's "2 1 1" is published and aged before its chain
 * goes live, with the prober at zero; the configured pin stays. A second
 * change retires the first followed CA once its chain is gone.
 */
static void
test_issuer_ca_change_followed(void)
{
	const struct conf_host *h = setup("mx33.example.org",
	    "current+issuer", "ecdsa-p256", 1);
	char first[65], second[65], third[65], *text;
	struct engine_result r;
	FILE *f;
	int i;

	if (!T_CHECK(h != NULL))
		return;
	T_CHECK(run_until_stable(h, 40) > 0);
	fake_ca_spki(first);
	fake_ca_change("daneroll test CA 2");
	fake_ca_spki(second);
	fake_clock(T0 + 61 * DAY);
	t_log_reset();
	/* Issued, held: plan shows the new CA's record to come. */
	for (i = 0; i < 10 && fake.issues == 0; i++) {
		engine_host(&eng, h, &r);
		fake_clock(fake_now() + 1);
	}
	if ((f = tmpfile()) != NULL) {
		char line[200];

		snprintf(line, sizeof(line), "CA change under way: the next "
		    "certificate comes from /CN=daneroll test CA 2");
		T_INT(plan_host(st, conf, &fake_backends, h, fake_now(), f,
		    NULL), 0);
		text = slurp_stream(f);
		if (!T_CHECK(text != NULL && strstr(text, line) != NULL))
			printf("    plan:\n%s", text ? text : "");
		free(text);
		fclose(f);
	}
	T_CHECK(run_until_stable(h, 60) > 0);
	T_INT(state_of(h, KEY_ALG_ECDSA_P256), SLOT_STANDBY);
	T_INT(fake.deploys, 1);
	T_CHECK(t_log_has("a CA no pin names"));
	T_CHECK(served_has(h->owner, second));
	T_CHECK(served_has(h->owner, first));	/* configured: stays */
	fake_ca_change("daneroll test CA 3");
	fake_ca_spki(third);
	fake_clock(T0 + 122 * DAY);
	T_CHECK(run_until_stable(h, 60) > 0);
	T_INT(fake.deploys, 2);
	T_CHECK(served_has(h->owner, third));
	T_CHECK(!served_has(h->owner, second));	/* followed, then retired */
	T_CHECK(served_has(h->owner, first));
	T_INT(fake.violations, 0);
}

/* issuer_follow = no: strict pinning. Nothing is deployed, one critical
 * alert, and the slot is one that waiting cannot move on. */
static void
test_issuer_ca_change_strict(void)
{
	const struct conf_host *h;
	struct engine_result r;
	char second[65];

	if ((h = issuer_host("mx34.example.org",
	    "issuer_follow = no\n")) == NULL)
		return;
	fake_ca_change("daneroll test CA 2");
	fake_ca_spki(second);
	fake_clock(T0 + 61 * DAY);
	t_log_reset();
	(void)run_until_stuck(h, &r);
	T_CHECK(r.stuck);
	T_INT(r.alert, ALERT_CRITICAL);
	/* The alert names the CA and what to do, not a bare mismatch. */
	T_CHECK(t_log_has("comes from /CN=daneroll test CA 2, which no "
	    "issuer_spki or issuer_cert pins, and issuer_follow = no"));
	T_CHECK(!t_log_has("matches no published record"));
	T_INT(fake.deploys, 0);
	T_CHECK(!served_has(h->owner, second));
	T_INT(fake.violations, 0);
}

/*
 * issuer_pin = root, and the new CA's chain does not send its root (ACME
 * CAs send leaf + intermediate): following would publish a "2 1 1" no
 * served certificate matches, so the chain is held with one critical
 * alert naming the root, nothing published for it, and the run stuck.
 * The operator adds the root with issuer_cert: it is published (a pin),
 * aged, appended to the chain, deployed. A new intermediate under that
 * root then goes live with no DNS change before it.
 */
static void
test_issuer_pin_root_held(void)
{
	const struct conf_host *h;
	struct engine_result r;
	char root2[65], int2[65], int3[65], first[65], more[700];
	const char *held = "issuer_pin = root, but the chain does not send "
	    "its root /CN=daneroll test root 2";
	int runs;

	if ((h = root_2_issues("mx35.example.org", 0, first, root2,
	    int2)) == NULL)
		return;
	runs = run_until_stuck(h, &r);
	T_CHECK(fake.issues == 1 && r.stuck);
	T_INT(r.alert, ALERT_CRITICAL);
	/* Said once a run, with what to do. */
	if (!T_INT(log_count(held), runs))
		printf("    log:\n%s", t_log_text());
	T_CHECK(t_log_has("add the root's certificate with issuer_cert"));
	T_INT(fake.deploys, 0);
	T_CHECK(!served_has(h->owner, int2) && !served_has(h->owner, root2));
	T_CHECK(served_has(h->owner, first));

	/* The fix the alert names. */
	snprintf(more, sizeof(more), "issuer_cert = %s/root2.pem\n", dir);
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/root2.pem", dir);
		T_INT(fake_root_write(path), 0);
	}
	if (!T_CHECK((h = reconfigure(more)) != NULL))
		return;
	t_log_reset();
	T_CHECK(run_until_stable(h, 60) > 0);
	T_INT(state_of(h, KEY_ALG_ECDSA_P256), SLOT_STANDBY);
	T_INT(fake.deploys, 1);
	T_CHECK(!t_log_has(held));
	T_CHECK(served_has(h->owner, root2) && !served_has(h->owner, int2));

	/* A new intermediate under the pinned root: no wait at all. */
	intermediate_3_goes_live(h, int3);
	T_CHECK(!served_has(h->owner, int3) && served_has(h->owner, root2));
	T_CHECK(!t_log_has("a CA no pin names"));
	T_INT(fake.violations, 0);
}

/*
 * issuer_pin = root with a CA that sends its root: the root's "2 1 1" is
 * followed (published and aged before the deploy), not the
 * intermediate's. It stays while chains from that root are served, so a
 * later renewal under another intermediate of the same root needs no DNS
 * change before its deploy.
 */
static void
test_issuer_pin_root_followed(void)
{
	const struct conf_host *h;
	char root2[65], int2[65], int3[65], first[65];

	if ((h = root_2_issues("mx36.example.org", 1, first, root2,
	    int2)) == NULL)
		return;
	T_CHECK(run_until_stable(h, 60) > 0);
	T_INT(state_of(h, KEY_ALG_ECDSA_P256), SLOT_STANDBY);
	T_INT(fake.deploys, 1);
	T_CHECK(t_log_has("a CA no pin names (/CN=daneroll test root 2)"));
	T_CHECK(served_has(h->owner, root2));
	T_CHECK(!served_has(h->owner, int2));
	T_CHECK(served_has(h->owner, first));	/* configured: stays */

	intermediate_3_goes_live(h, int3);
	T_CHECK(!t_log_has("a CA no pin names"));
	T_CHECK(served_has(h->owner, root2) && !served_has(h->owner, int3));
	T_INT(fake.violations, 0);
}

static void
test_forced_roll_while_ageing(void)
{
	const struct conf_host *h;
	struct engine_result r;
	char first[65], cur[65];
	int64_t hid;
	int i, forced = 0;

	if ((h = standby_host("mx10.example.org")) == NULL)
		return;
	spki_of(h, KEY_ALG_ECDSA_P256, "current", first);
	fake_clock(T0 + 61 * DAY);
	/* Roll once; the moment the following next key's record is out
	 * and ageing, the operator forces another roll. A deploy before it
	 * has aged would meet resolvers that cache the RRset without it. */
	for (i = 0; i < 80; i++) {
		engine_host(&eng, h, &r);
		spki_of(h, KEY_ALG_ECDSA_P256, "current", cur);
		if (!forced && strcmp(cur, first) != 0 &&
		    state_of(h, KEY_ALG_ECDSA_P256) == SLOT_AGEING) {
			hid = host_id(h);
			T_INT(store_host_force(st, hid, 1), 0);
			forced = 1;
			/* Act at once, inside the ageing window. */
			fake_clock(fake_now() + 1);
			continue;
		}
		if (forced && !r.busy)
			break;
		fake_clock(r.wake_at > fake_now() ? r.wake_at :
		    fake_now() + 5);
	}
	T_CHECK(forced);
	safe_deploys(2);
}

/* The clock was ahead when a record was published, then put right: the
 * run re-dates the record to now, and the rollover waits the TTL from
 * then, not until the date the wrong clock wrote. */
static void
test_clock_was_ahead(void)
{
	const struct conf_host *h;
	struct engine_result r;
	int64_t hid;
	time_t real;
	int deploys;

	if ((h = standby_host("mx19.example.org")) == NULL)
		return;
	hid = host_id(h);
	/* The wall clock runs 29 days ahead of real time (the prober's): a
	 * roll deploys the aged next key and publishes the following one
	 * "29 days from now". */
	fake_skew(29 * DAY);
	fake_clock(T0 + 30 * DAY);
	T_INT(store_host_force(st, hid, 1), 0);
	T_CHECK(run_until_stable(h, 40) > 0);
	deploys = fake.deploys;
	/* Put right (NTP); an operator's roll right away. */
	real = fake_now() - 29 * DAY;
	fake_skew(0);
	fake_clock(real + 60);
	T_INT(store_host_force(st, hid, 1), 0);
	run_logged(h, &r);
	T_CHECK(t_log_has("the clock went back, or was ahead then"));
	T_CHECK(t_log_has("re-dated to now"));
	T_INT(fake.deploys, deploys);		/* ageing starts again now */
	T_CHECK(run_until_stable(h, 40) > 0);
	T_INT(fake.deploys, deploys + 1);
	T_CHECK(fake_now() < real + 3600);	/* TTL 60 + margin 10 */
	T_INT(fake.violations, 0);
	/* Said once: the next run finds nothing ahead. */
	run_logged(h, &r);
	T_CHECK(!t_log_has("re-dated"));
}

/* The wall clock is set a day forward right after the following next
 * key's record was served everywhere: the TTL has not passed in real
 * time, and within one boot the boot clock says so. No deploy until it
 * has; the prober (real time) sees no resolver hold a set that misses. */
static void
test_clock_set_forward(void)
{
	const struct conf_host *h = adopted_host("mx23.example.org");
	struct engine_result r;
	int64_t hid;
	int deploys;

	if (h == NULL)
		return;
	fake_boot_clock(1);
	T_CHECK(run_until_stable(h, 40) > 0);
	hid = host_id(h);
	/* A roll: the aged next key goes live, the following one is
	 * published and served everywhere just now. */
	T_CHECK(roll_until_ageing(h, hid));
	deploys = fake.deploys;
	fake_skew(DAY);
	fake_clock(fake_now() + DAY);
	T_INT(store_host_force(st, hid, 1), 0);
	run_logged(h, &r);
	T_CHECK(t_log_has("ran 1d ahead of the boot clock"));
	T_INT(fake.deploys, deploys);
	T_CHECK(r.busy && r.wake_at > fake_now());
	settles(h, deploys + 1);
	/* Aged since by either clock: not said again. */
	run_logged(h, &r);
	T_CHECK(!t_log_has("ahead of the boot clock"));
}

static void
test_publish_failure_backs_off(void)
{
	const struct conf_host *h;
	struct engine_result r;
	struct tlsa_set before;

	if ((h = standby_host("mx7.example.org")) == NULL)
		return;
	/* At rest: a run with nothing failed, nothing critical. */
	engine_host(&eng, h, &r);
	T_INT(r.failed_algs, 0);
	T_INT(r.critical_algs, 0);
	fake_served(h->owner, &before);
	fake_clock(T0 + 61 * DAY);
	publish_fails(h, 5);
	engine_host(&eng, h, &r);
	T_CHECK(r.wake_at > fake_now());	/* backing off */
	/* A run during the back-off reports the failure: not a success. */
	T_INT(r.failed_algs, 1u << KEY_ALG_ECDSA_P256);
	/* Deployed, verified, but the old record was not removed. */
	T_CHECK(rrset_is(h->owner, &before));
	publish_mended(h);
	T_INT(state_of(h, KEY_ALG_ECDSA_P256), SLOT_STANDBY);
	tlsa_set_free(&before);
	T_INT(fake.violations, 0);
}

/* One update serves both algorithms' slots: each records its cause, not
 * the other slot's "failed 1 time" line. */
static void
test_publish_failure_cause_per_slot(void)
{
	const struct conf_host *h = setup("mx20.example.org", "current+next",
	    "rsa2048,ecdsa-p256", 1);
	struct engine_result r;
	struct store_slot s = { 0 };
	unsigned a;

	if (!T_CHECK(h != NULL))
		return;
	fake.publish_outcome = OUT_TEMPFAIL;
	engine_host(&eng, h, &r);
	/* Both slots failed in this run: neither is a success (schema/006). */
	T_INT(r.failed_algs, h->algs);
	T_INT(r.critical_algs, 0);
	for (a = 0; a < KEY_ALG_COUNT; a++) {
		if (!(h->algs & (1u << a)))
			continue;
		if (T_CHECK(slot_get(h, (enum key_alg)a, &s)))
			T_CHECK(s.last_error != NULL && strstr(s.last_error,
			    "fake publisher: update of _25._tcp.mx20.example.org "
			    "refused") != NULL);
		store_slot_free(&s);
	}
	fake.publish_outcome = OUT_OK;
}

static void
test_rekeyed_behind_our_back(void)
{
	const struct conf_host *h;
	struct engine_result r;
	struct tlsa_set before;
	char *p;

	if ((h = standby_host("mx11.example.org")) == NULL)
		return;
	fake_served(h->owner, &before);
	/* An ACME client renews in place with a fresh key. */
	p = conf_path_for(h->files.combined_file, KEY_ALG_ECDSA_P256);
	fake_clock(fake_now() + 600);
	put_live(h, p, 90);
	free(p);
	run_logged(h, &r);
	T_INT(r.alert, ALERT_CRITICAL);
	T_CHECK(t_log_has("a key daneroll did not publish"));
	/* Nothing changes by itself: no RRset the served key fails. */
	fake_clock(fake_now() + 600);
	engine_host(&eng, h, &r);
	T_CHECK(rrset_is(h->owner, &before));
	T_INT(fake.deploys, 0);
	/* The remedy the alert names: a roll puts the pre-published, aged
	 * next key live, and the outage ends without a new one. */
	{
		int64_t hid;
		char cur[65];

		hid = host_id(h);
		T_INT(store_host_force(st, hid, 1), 0);
		fake.violations = 0;
		T_CHECK(run_until_stable(h, 40) > 0);
		T_INT(fake.deploys, 1);
		spki_of(h, KEY_ALG_ECDSA_P256, "current", cur);
		T_CHECK(served_has(h->owner, cur));
		T_INT(fake.violations, 0);
		engine_host(&eng, h, &r);
		T_INT(r.alert, ALERT_NONE);
	}
	tlsa_set_free(&before);
}

/* A hand-over ends a back-off: the next key's record is published by
 * the same acme-hook call, not after retry_at. */
static void
test_intake_ends_backoff(void)
{
	const struct conf_host *h;
	char next[65];
	struct store_slot s = { 0 };
	struct engine_result r;

	if ((h = standby_host("mx22.example.org")) == NULL)
		return;
	fake_clock(T0 + 61 * DAY);
	/* An issue failed a while ago (say, no acme_hook): backing off. */
	T_CHECK(slot_get(h, KEY_ALG_ECDSA_P256, &s));
	T_INT(store_slot_set_failure(st, &s, 2, fake_now() + 500, OUT_TEMPFAIL,
	    "issue failed (permfail): no acme_hook", fake_now()), 0);
	store_slot_free(&s);
	engine_host(&eng, h, &r);
	T_CHECK(r.wake_at >= fake_now() + 400);	/* backing off */
	T_INT(hand_over(h, HAND_FRESH), OUT_OK);
	T_CHECK(slot_get(h, KEY_ALG_ECDSA_P256, &s));
	T_INT(s.retry_at, 0);
	store_slot_free(&s);
	engine_host(&eng, h, &r);
	spki_of(h, KEY_ALG_ECDSA_P256, "next", next);
	T_CHECK(served_has(h->owner, next));
	T_INT(fake.violations, 0);
}

static void
test_intake_rekeyed_is_held(void)
{
	const struct conf_host *h;
	char cur[65], next[65];
	struct engine_result r;
	int i;

	if ((h = standby_host("mx12.example.org")) == NULL)
		return;
	/* certbot renews with a fresh key, as it does by default. */
	fake_clock(T0 + 61 * DAY);
	fake.lag = 2;
	T_INT(hand_over(h, HAND_FRESH), OUT_OK);
	spki_of(h, KEY_ALG_ECDSA_P256, "next", next);
	/* Held: published, observed, but not live until aged. */
	for (i = 0; i < 4; i++) {
		engine_host(&eng, h, &r);
		T_INT(fake.deploys, 0);
		fake_clock(fake_now() + 5);
	}
	T_CHECK(served_has(h->owner, next));
	T_CHECK(run_until_stable(h, 40) > 0);
	T_INT(fake.deploys, 1);
	T_INT(fake.issues, 0);		/* the client's certificate was used */
	spki_of(h, KEY_ALG_ECDSA_P256, "current", cur);
	T_STR(cur, next);
	T_INT(fake.violations, 0);
}

/*
 * Exit codes a timer can alert on (issues 12 and 16): a temporary failure
 * is TEMPFAIL, also in the runs that only back off; once it has lasted
 * longer than tempfail_limit (1 day) it needs the operator (PERMFAIL,
 * exit 69). A success ends the streak.
 */
static void
test_tempfail_lasting(void)
{
	const struct conf_host *h;
	struct engine_result r;
	time_t start;

	if ((h = standby_host("mx35.example.org")) == NULL)
		return;
	fake_clock(T0 + 61 * DAY);
	publish_fails(h, 5);
	start = fake_now();
	engine_host(&eng, h, &r);		/* within the back-off */
	T_INT(r.outcome, OUT_TEMPFAIL);
	fake_clock(start + 12 * 3600);
	engine_host(&eng, h, &r);
	T_INT(r.outcome, OUT_TEMPFAIL);
	fake_clock(start + DAY + 3600);
	run_logged(h, &r);
	T_INT(r.outcome, OUT_PERMFAIL);
	T_CHECK(t_log_has("longer than tempfail_limit"));
	publish_mended(h);
	engine_host(&eng, h, &r);
	T_INT(r.outcome, OUT_OK);
	T_INT(fake.violations, 0);
}

/*
 * engine_due (issue 15): a host at rest needs no lock and no write; one
 * with anything to do, report or record does, including one that is only
 * ageing (its wake time is kept for run --wait).
 */
static void
test_due(void)
{
	const struct conf_host *h = adopted_host("mx36.example.org");
	struct engine_result r;
	int64_t hid;

	if (h == NULL)
		return;
	T_INT(engine_due(&eng, h, fake_now(), &r), 1);	/* first contact */
	T_CHECK(run_until_stable(h, 40) > 0);
	T_INT(engine_due(&eng, h, fake_now(), &r), 0);
	T_INT(r.busy, 0);
	T_CHECK(r.wake_at > fake_now());		/* the renewal */
	hid = host_id(h);
	T_INT(store_host_force(st, hid, 1), 0);
	T_INT(engine_due(&eng, h, fake_now(), &r), 1);	/* a forced roll */
	T_INT(store_host_force(st, hid, 0), 0);
	fake_clock(T0 + 61 * DAY);
	T_INT(engine_due(&eng, h, fake_now(), &r), 1);	/* renewal due */
	publish_fails(h, 5);
	T_INT(engine_due(&eng, h, fake_now(), &r), 1);	/* back-off: said */
	publish_mended(h);
	T_INT(engine_due(&eng, h, fake_now(), &r), 0);
	T_INT(fake.violations, 0);
}

/* Crash tests: SIGKILL-like _exit at a named point, then resume. */
static const char *crash_at;

static void
crash_hook(const char *point)
{
	if (crash_at != NULL && strcmp(point, crash_at) == 0)
		_exit(137);
}

static int
integrity_ok(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int ok = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "PRAGMA integrity_check;",
	    -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ok;
}

static void
test_crash_points(void)
{
	static const char *points[] = {
		"generate:before-write", "generate:after-write",
		"publish:before-send", "publish:after-send",
		"issue:before-hook", "issue:after-hook", "deploy:before",
		"deploy:after", "promote:after",
	};
	size_t i;

	for (i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		const struct conf_host *h = setup("mxc.example.org",
		    "current+next", "ecdsa-p256", 1);
		char db[600], cur[65], next[65];
		pid_t pid;
		int status = 0;

		if (!T_CHECK(h != NULL))
			return;
		T_CHECK(run_until_stable(h, 40) > 0);
		fake_clock(T0 + 61 * DAY);
		/* The child's fake DNS and deploys die with it: the parent
		 * must replay what it did from the files and the store. */
		fflush(stdout);
		if ((pid = fork()) == 0) {
			crash_at = points[i];
			eng.crash_point = crash_hook;
			store_close(st);
			st = NULL;
			if (store_open(conf->state_dir, 0, &eng.store) != OUT_OK)
				_exit(3);
			(void)run_until_stable(h, 40);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (!T_CHECK(WIFEXITED(status) &&
		    WEXITSTATUS(status) == 137))
			printf("    crash point %s not reached\n", points[i]);
		snprintf(db, sizeof(db), "%s/%s", conf->state_dir,
		    STORE_DB_NAME);
		T_CHECK(integrity_ok(db));
		T_CHECK(run_until_stable(h, 60) > 0);
		if (!T_CHECK(state_of(h, KEY_ALG_ECDSA_P256) == SLOT_STANDBY))
			printf("    after crash at %s\n", points[i]);
		spki_of(h, KEY_ALG_ECDSA_P256, "current", cur);
		spki_of(h, KEY_ALG_ECDSA_P256, "next", next);
		T_CHECK(cur[0] != '\0' && next[0] != '\0');
		T_CHECK(served_has(h->owner, cur) &&
		    served_has(h->owner, next));
		if (!T_INT(fake.violations, 0))
			printf("    after crash at %s: %s\n", points[i],
			    fake.last_violation);
	}
}

/* Files in the host's key directory whose names end in suffix. */
static int
key_files(const struct conf_host *h, const char *suffix)
{
	char path[700];
	struct dirent *d;
	DIR *dp;
	size_t ls = strlen(suffix);
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", conf->key_dir, h->name);
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL) {
		size_t l = strlen(d->d_name);

		if (d->d_name[0] != '.' && l >= ls &&
		    strcmp(d->d_name + l - ls, suffix) == 0)
			n++;
	}
	closedir(dp);
	return n;
}

/* Private keys the store says the ECDSA slot keeps. */
static int
keys_kept(const struct conf_host *h)
{
	struct store_slot s;
	int n = -1;

	if (slot_get(h, KEY_ALG_ECDSA_P256, &s))
		(void)store_keys_kept(st, s.id, &n);
	store_slot_free(&s);
	return n;
}

/* The key file the store has for a role of the ECDSA slot ("" if none). */
static void
key_path_of(const struct conf_host *h, const char *role, char *out,
    size_t len)
{
	struct store_key k;

	out[0] = '\0';
	if (t_engine_key(st, h->name, KEY_ALG_ECDSA_P256, role, &k))
		snprintf(out, len, "%s", k.path);
	store_key_free(&k);
}

/* The files retire_rounds() watches: the key that retires, .prev. */
static char watched_key[600], watched_prev[720];
static int watched_missing;

static void
watch_retiring(const struct conf_host *h)
{
	(void)h;
	if (!fs_exists(watched_key) || !fs_exists(watched_prev))
		watched_missing++;
}

static void
watch_current(const struct conf_host *h)
{
	(void)h;
	if (!fs_exists(watched_key))
		watched_missing++;
}

/*
 * Retired keys leave the disk once their record has aged out of every
 * cache, and not a second before: three rollovers, stepped a second at a
 * time, with the retired key's file and the deployed set's .prev watched
 * at every step. keep: keep_retired.
 */
static void
retire_rounds(const char *name, int keep)
{
	char extra[64], live[700];
	char *retired = watched_key, *prev = watched_prev;
	const struct conf_host *h;
	int round;

	snprintf(extra, sizeof(extra), "keep_retired = %d\n", keep);
	host_extra = extra;
	h = setup(name, "current+next", "ecdsa-p256", 1);
	host_extra = "";
	if (!T_CHECK(h != NULL))
		return;
	snprintf(live, sizeof(live), "%s/live/%s-ecdsa-p256.pem", dir, name);
	snprintf(prev, sizeof(watched_prev), "%s.prev", live);
	T_CHECK(run_until_stable(h, 40) > 0);
	T_INT(keys_kept(h), 2);		/* adopted current, next */
	for (round = 1; round <= 3; round++) {
		key_path_of(h, "current", retired, sizeof(watched_key));
		fake_clock(fake_now() + 61 * DAY);
		/* Up to the promote: the current key may be rolled back
		 * to, so it and the .prev the deploy makes stay. */
		watched_missing = 0;
		T_CHECK(step_until(h, SLOT_AGEING, 60, watch_current));
		T_INT(watched_missing, 0);
		T_CHECK(fs_exists(prev));
		/* While the record that vouched for it ages out of caches,
		 * it stays, a second at a time: the run that ends the wait
		 * is the first to find it gone (keep 0). */
		T_CHECK(step_until(h, SLOT_STANDBY, 400, watch_retiring));
		T_INT(watched_missing, keep == 0 ? 1 : 0);
		T_CHECK(fs_exists(live));	/* an adopted key's path */
		if (round > 1 && keep == 0)
			T_CHECK(!fs_exists(retired));
		T_CHECK(fs_exists(prev) == (keep > 0));
	}
	/* current + next, and the retired ones kept by request. */
	T_INT(key_files(h, ".key"), 2 + keep);
	T_INT(keys_kept(h), 2 + keep);
	/* The CSR and chains issued for deleted keys went with them. */
	T_INT(key_files(h, ".csr"), 1 + keep);
	T_INT(fake.violations, 0);
}

static void
test_retired_keys_deleted(void)
{
	retire_rounds("mx40.example.org", 0);
}

static void
test_retired_keys_kept(void)
{
	retire_rounds("mx41.example.org", 2);
}

/* Nothing is known of DNS (every publish fails): no key is deleted. */
static void
test_retired_kept_while_dns_unknown(void)
{
	const struct conf_host *h;
	char retired[600];
	struct engine_result r;
	int i;

	if ((h = standby_host("mx42.example.org")) == NULL)
		return;
	fake_clock(fake_now() + 61 * DAY);
	T_CHECK(run_until_stable(h, 40) > 0);	/* the adopted key retired */
	key_path_of(h, "current", retired, sizeof(retired));
	fake_clock(fake_now() + 61 * DAY);
	fake.lag = 1000000;	/* the new RRset never reaches every address */
	for (i = 0; i < 40; i++) {
		engine_host(&eng, h, &r);
		fake_clock(fake_now() + 60);
	}
	T_INT(state_of(h, KEY_ALG_ECDSA_P256), SLOT_PUBLISHING);
	T_CHECK(fs_exists(retired));
	fake_clock(fake_now() + 30 * DAY);
	engine_host(&eng, h, &r);
	T_CHECK(fs_exists(retired));
	T_INT(fake.violations, 0);
}

/* run --wait names what it waits for: the engine says which slot and why. */
static void
test_wake_reason(void)
{
	const struct conf_host *h = adopted_host("mx44.example.org");
	struct engine_result r;

	if (h == NULL)
		return;
	fake.lag = 3;
	engine_host(&eng, h, &r);
	/* A fresh change is polled for every half second (issue 15, P1):
	 * its ageing counts from the poll that sees it served. */
	T_INT(r.wake_ms, (int64_t)fake_now() * 1000 + 500);
	T_INT(r.wake_at, fake_now() + 1);
	T_INT(r.wake_alg, -1);		/* the host's RRset, propagating */
	T_STR(r.wake_reason, "waiting until every authoritative address "
	    "serves the RRset");
	T_CHECK(step_until(h, SLOT_AGEING, 40, NULL));
	engine_host(&eng, h, &r);
	T_INT(r.wake_alg, KEY_ALG_ECDSA_P256);
	T_STR(r.wake_reason, "served everywhere; waiting past the TTL");
	T_INT(r.wake_ms, (int64_t)r.wake_at * 1000);	/* on the second */
	fake_clock(fake_now() + 61 * DAY);
	publish_fails(h, 3);
	engine_host(&eng, h, &r);
	T_STR(r.wake_reason != NULL ? r.wake_reason : "(none)",
	    "backing off after a failure");
	T_INT(fake.violations, 0);
}

static void
test_cleanup(void)
{
	teardown();
	buf_free(&conf_text);
	T_CHECK(1);
}

static const struct t_case cases[] = {
	{ "a host at rest is not due: no lock, no write", test_due },
	{ "a temporary failure past tempfail_limit needs the operator",
	  test_tempfail_lasting },
	{ "current+issuer: a CA change followed, twice (issuer_follow)",
	  test_issuer_ca_change_followed },
	{ "current+issuer: a CA change under strict pinning stops, stuck",
	  test_issuer_ca_change_strict },
	{ "current+issuer: issuer_pin = root, the root not sent: held, "
	  "then pinned by issuer_cert", test_issuer_pin_root_held },
	{ "current+issuer: issuer_pin = root, the root sent: followed",
	  test_issuer_pin_root_followed },
	{ "forced roll while the next record ages waits for it",
	  test_forced_roll_while_ageing },
	{ "the clock was ahead: re-dated, rolls after the TTL",
	    test_clock_was_ahead },
	{ "the clock set forward: ageing counts on the boot clock",
	  test_clock_set_forward },
	{ "publish failure: each slot records the cause",
	    test_publish_failure_cause_per_slot },
	{ "publish failure backs off, removes nothing",
	  test_publish_failure_backs_off },
	{ "a key put live behind our back raises a critical alert",
	  test_rekeyed_behind_our_back },
	{ "acme-hook: a hand-over ends a back-off", test_intake_ends_backoff },
	{ "acme-hook: a re-keyed certificate is held until aged",
	  test_intake_rekeyed_is_held },
	{ "retired keys and .prev deleted once their record aged out",
	  test_retired_keys_deleted },
	{ "keep_retired keeps the newest retired keys and .prev",
	  test_retired_keys_kept },
	{ "a retired key stays while its record's fate is unknown",
	  test_retired_kept_while_dns_unknown },
	{ "the wake time says which slot waits, and why",
	  test_wake_reason },
	{ "crash at every side-effect point, then converge",
	  test_crash_points },
	{ "cleanup", test_cleanup },
};
T_MAIN_TABLE(rows, row_run, cases)
