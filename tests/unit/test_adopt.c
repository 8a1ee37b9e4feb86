/*
 * Unit tests: `adopt-next` over the fakes (tests/unit/fakes.c), the
 * independent prober counting safety violations. An operator's next key,
 * published before daneroll ever ran (danectl's current + next), is
 * adopted at first contact: its record stays served from before the
 * adoption until it is the current key, and the deploy waits until the
 * RRset before the operator's publish aged out. Every refusal changes
 * nothing: no row, no key file, no record.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "conf.h"
#include "engine.h"
#include "fakes.h"
#include "key.h"
#include "store.h"
#include "t.h"
#include "t_engine.h"
#include "tlsa.h"

#define T0	1800000000
#define DAY	86400
#define HOST	"mx1.example.org"
#define OWNER	"_25._tcp." HOST

static struct conf	*conf;
static struct store	*st;
static struct engine	 eng;
static char		 dir[512];

static void
teardown(void)
{
	t_engine_close(&st, &conf);
}

/* A fresh world with HOST serving an ECDSA chain; the host, or NULL. */
static const struct conf_host *
setup_with(const char *more)
{
	static int n;
	struct buf text = { 0 };
	char path[64];

	teardown();
	t_engine_world(dir, sizeof(dir), "w", ++n, T0);
	t_engine_conf_head(&text, dir);
	buf_printf(&text, "[host " HOST "]\nalgorithms = ecdsa-p256\n"
	    "combined_file = %s/live/%%a.pem\npublisher = dns\n"
	    "acme_hook = /bin/true\nreload = /bin/true\n%s", dir, more);
	snprintf(path, sizeof(path), "w%d.conf", n);
	conf = conf_load(t_write(path, text.data));
	buf_free(&text);
	if (conf == NULL || store_open(conf->state_dir, 0, &st) != OUT_OK)
		return NULL;
	t_engine_bind(&eng, conf, st, &fake_backends);
	t_engine_deploy_initial(&conf->hosts[0]);
	return &conf->hosts[0];
}

static const struct conf_host *
setup(void)
{
	return setup_with("");
}

/* An operator's key file (mode 0600) of alg; its "3 1 1" hex in spki. */
static const char *
operator_key(const char *name, enum key_alg alg, char spki[65])
{
	static char path[700];
	EVP_PKEY *k = key_generate(alg);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (k == NULL || key_write_new(path, k, 0600, (uid_t)-1,
	    (gid_t)-1) != 0 || key_spki_hex(k, spki) != 0)
		path[0] = '\0';
	EVP_PKEY_free(k);
	return path;
}

/* The served key's "3 1 1" hex. */
static void
served_spki(char spki[65])
{
	char *live = conf_path_for(conf->hosts[0].files.combined_file,
	    KEY_ALG_ECDSA_P256);
	EVP_PKEY *k = key_load_unchecked(live);

	if (k == NULL || key_spki_hex(k, spki) != 0)
		spki[0] = '\0';
	EVP_PKEY_free(k);
	free(live);
}

/* The operator publishes these 3 1 1 records at OWNER, TTL 60 s (as
 * danectl's user does by hand); served at once. */
static void
operator_publish(const char *a, const char *b)
{
	const struct backend_publisher *p = backend_publisher_for(
	    &fake_backends, "rfc2136");
	struct tlsa_set want = { 0 }, prev = { 0 };
	struct tlsa_rr rr;
	struct publish_req req;
	const char *spkis[2] = { a, b };
	char text[80];
	int i;

	for (i = 0; i < 2; i++) {
		if (spkis[i] == NULL)
			continue;
		snprintf(text, sizeof(text), "3 1 1 %s", spkis[i]);
		if (tlsa_parse(text, &rr) == 0) {
			tlsa_set_add(&want, &rr);
			tlsa_rr_free(&rr);
		}
	}
	req.owner = OWNER;
	req.ttl = 60;
	req.prev = &prev;
	req.want = &want;
	fake.lag = 0;
	(void)p->replace(conf, conf->hosts[0].publisher, &req);
	tlsa_set_free(&want);
}

static int
served_at(const char *owner, const char *spki)
{
	return t_engine_served(owner, spki);
}

static int
served_has(const char *spki)
{
	return served_at(OWNER, spki);
}

/* The slot's key of role, as stored ("" if none); *path too if asked. */
static void
key_of(const char *role, char spki[65], char **path)
{
	struct store_key k;

	spki[0] = '\0';
	if (t_engine_key(st, HOST, KEY_ALG_ECDSA_P256, role, &k)) {
		memcpy(spki, k.spki, 65);
		if (path != NULL)
			*path = strdup(k.path);
	}
	store_key_free(&k);
}

/* Files in the host's key directory (-1: none). */
static int
key_files(void)
{
	char path[700];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/state/keys/" HOST, dir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Runs the host, the clock moved to each wake-up, until it has nothing
 * left to do (at most limit runs). */
static void
settle(const struct conf_host *h, int limit)
{
	struct engine_result r;
	int i;

	for (i = 0; i < limit; i++) {
		engine_host(&eng, h, &r);
		if (!r.busy)
			break;
		fake_clock(r.wake_at > fake_now() ? r.wake_at : fake_now() + 1);
	}
}

static int
host_known(void)
{
	int64_t hid = 0;

	return store_host_get(st, HOST, 0, 0, &hid, NULL) == 1 && hid != 0;
}

/*
 * danectl's state: current + next published for months, then adopted
 * before daneroll's first run, and a rollover forced at once. The record
 * stays served at every step until it is current; nothing is published
 * by daneroll before the promote; no chain is ever live that a cacheable
 * RRset fails.
 */
static void
test_first_contact_then_roll(void)
{
	const struct conf_host *h = setup();
	char cur[65], next[65], got[65], got2[65];
	const char *file;
	struct engine_result r;
	char *path = NULL;
	struct stat sb;
	int i, kept = 1, steps = 0;

	if (!T_CHECK(h != NULL))
		return;
	served_spki(cur);
	file = operator_key("next.key", KEY_ALG_ECDSA_P256, next);
	operator_publish(cur, next);
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), ADOPT_OK);
	key_of("next", got, &path);
	T_STR(got, next);
	/* A copy of its own, 0600, under the key directory. */
	T_CHECK(path != NULL && strstr(path, "/state/keys/" HOST "/") != NULL &&
	    stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	free(path);
	/* Again: a no-op. */
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), ADOPT_OK);
	T_INT(key_files(), 1);

	T_CHECK(store_host_force(st, 1, 1) == 0);
	for (i = 0; i < 200; i++) {
		engine_host(&eng, h, &r);
		steps++;
		key_of("current", got, NULL);
		if (strcmp(got, next) == 0)
			break;
		kept &= served_has(next);
		fake_clock(fake_now() + 1);
	}
	T_CHECK(kept);			/* never withdrawn before the promote */
	T_STR(got, next);		/* the adopted key is current */
	T_INT(fake.deploys, 1);
	T_INT(fake.violations, 0);
	/* Ageing counted from its first sight, not from the unknown past:
	 * at TTL 60 s + margin 10 s, no deploy in the first minute. */
	T_CHECK(steps > 60);
	/* After the promote, the old key retires and a new next follows. */
	for (i = 0; i < 200 && r.busy; i++) {
		fake_clock(r.wake_at > fake_now() ? r.wake_at : fake_now() + 1);
		engine_host(&eng, h, &r);
	}
	key_of("next", got2, NULL);
	T_CHECK(got2[0] != '\0' && strcmp(got2, next) != 0);
	T_CHECK(served_has(next) && served_has(got2) && !served_has(cur));
	T_INT(fake.violations, 0);
}

/*
 * The deploy guard's reason: without "unknown before", a record the
 * operator published a second before the first contact would count as
 * served forever, and the deploy would come while resolvers still hold
 * the RRset without it. The prober sees that as a violation.
 */
static void
test_fresh_record_ages_first(void)
{
	const struct conf_host *h = setup();
	char cur[65], next[65], got[65];
	struct engine_result r;
	const char *file;
	int i;

	if (!T_CHECK(h != NULL))
		return;
	served_spki(cur);
	operator_publish(cur, NULL);		/* months ago */
	fake_clock(T0 + 30 * DAY);
	file = operator_key("next.key", KEY_ALG_ECDSA_P256, next);
	operator_publish(cur, next);		/* a second ago */
	fake_clock(fake_now() + 1);
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), ADOPT_OK);
	T_CHECK(store_host_force(st, 1, 1) == 0);
	for (i = 0; i < 300; i++) {
		engine_host(&eng, h, &r);
		key_of("current", got, NULL);
		if (strcmp(got, next) == 0)
			break;
		fake_clock(fake_now() + 1);
	}
	T_STR(got, next);
	T_INT(fake.violations, 0);
}

/* An adopted key not yet in DNS: published with the current one, then
 * the usual cycle. */
static void
test_unpublished_key_adopted(void)
{
	const struct conf_host *h = setup();
	char next[65], got[65];
	const char *file;

	if (!T_CHECK(h != NULL))
		return;
	file = operator_key("staged.key", KEY_ALG_ECDSA_P256, next);
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), ADOPT_OK);
	settle(h, 50);
	T_CHECK(served_has(next));
	key_of("next", got, NULL);
	T_STR(got, next);
	T_INT(fake.violations, 0);
}

/* Every refusal: its code, and nothing in the store or the key dir. */
static void
test_refusals_change_nothing(void)
{
	const struct conf_host *h = setup();
	char cur[65], rsa[65], other[65], next[65], got[65];
	const char *file;
	char path[700], *live;
	int i;

	if (!T_CHECK(h != NULL))
		return;
	t_log_capture();
	/* No such file. */
	snprintf(path, sizeof(path), "%s/missing.key", dir);
	T_INT(adopt_next(conf, st, h, path, -1, fake_now()), ADOPT_NOINPUT);
	/* Garbage. */
	snprintf(path, sizeof(path), "%s/garbage.key", dir);
	{
		FILE *f = fopen(path, "w");

		T_CHECK(f != NULL && fputs("not a key\n", f) >= 0 &&
		    fclose(f) == 0);
	}
	(void)chmod(path, 0600);
	T_INT(adopt_next(conf, st, h, path, -1, fake_now()), ADOPT_DATAERR);
	/* An RSA key for a host that rolls ECDSA only. */
	file = operator_key("rsa.key", KEY_ALG_RSA2048, rsa);
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), ADOPT_DATAERR);
	T_CHECK(t_log_has("rolls no key of this algorithm"));
	/* --algorithm that the key is not. */
	file = operator_key("ec.key", KEY_ALG_ECDSA_P256, other);
	T_INT(adopt_next(conf, st, h, file, KEY_ALG_RSA2048, fake_now()),
	    ADOPT_DATAERR);
	/* Readable by others: refused, a private key must be ours. */
	(void)chmod(file, 0644);
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), ADOPT_DATAERR);
	(void)chmod(file, 0600);
	/* The key served now. */
	served_spki(cur);
	live = conf_path_for(h->files.combined_file, KEY_ALG_ECDSA_P256);
	{
		EVP_PKEY *k = key_load_unchecked(live);

		snprintf(path, sizeof(path), "%s/current.key", dir);
		T_CHECK(k != NULL && key_write_new(path, k, 0600, (uid_t)-1,
		    (gid_t)-1) == 0);
		EVP_PKEY_free(k);
	}
	free(live);
	T_INT(adopt_next(conf, st, h, path, -1, fake_now()), ADOPT_DATAERR);
	T_CHECK(t_log_has("is the current key"));
	/* Nothing of it all in the store or the key directory. */
	T_CHECK(!host_known());
	T_INT(key_files(), -1);

	/* daneroll's own next key, published: another one is refused. */
	settle(h, 50);
	key_of("next", next, NULL);
	T_CHECK(next[0] != '\0' && served_has(next));
	i = key_files();
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), ADOPT_REFUSED);
	T_CHECK(t_log_has("its record was published"));
	key_of("next", got, NULL);
	T_STR(got, next);
	T_INT(key_files(), i);
	T_INT(fake.violations, 0);
}

/* An operator's key adopted as next over the one daneroll made: want is
 * adopt_next's answer; the next key is then the operator's (ADOPT_OK) or
 * still daneroll's. */
static void
adopt_over_next(const struct conf_host *h, enum adopt_result want)
{
	char mine[65], first[65], got[65];
	const char *file;

	key_of("next", first, NULL);
	T_CHECK(first[0] != '\0');
	file = operator_key("mine.key", KEY_ALG_ECDSA_P256, mine);
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), want);
	key_of("next", got, NULL);
	T_STR(got, want == ADOPT_OK ? mine : first);
}

/* A next key whose publish may have gone out (its version was recorded
 * before the send failed) stays; one that never reached DNS (the run
 * stopped before any version was recorded) gives way, discarded in the
 * same transaction. */
static void
test_next_replaced_only_if_unsent(void)
{
	const struct conf_host *h = setup();
	struct backends no_observer = fake_backends;
	struct engine_result r;

	if (!T_CHECK(h != NULL))
		return;
	/* No observer: the run generates the next key, then stops before
	 * first contact with DNS records anything. */
	no_observer.observer = NULL;
	eng.be = &no_observer;
	engine_host(&eng, h, &r);
	eng.be = &fake_backends;
	adopt_over_next(h, ADOPT_OK);

	/* Now a publish that fails after its version was recorded. */
	h = setup();
	if (!T_CHECK(h != NULL))
		return;
	fake.publish_outcome = OUT_TEMPFAIL;
	engine_host(&eng, h, &r);
	fake.publish_outcome = OUT_OK;
	adopt_over_next(h, ADOPT_REFUSED);
	T_INT(fake.violations, 0);
}

/*
 * One key pair for SMTP, submissions and submission, under two names:
 * six owner names, each published and proven like an alias's, and a
 * rollover whose adopted record every one of them keeps until it is the
 * current key; the prober judges every owner.
 */
static void
test_ports_roll(void)
{
	static const char *const owners[] = {
		"_25._tcp." HOST, "_465._tcp." HOST, "_587._tcp." HOST,
		"_25._tcp.mail.example.org", "_465._tcp.mail.example.org",
		"_587._tcp.mail.example.org",
	};
	const struct conf_host *h = setup_with("port = 25 465 587\n"
	    "alias = mail.example.org\n");
	char cur[65], next[65], got[65], following[65];
	struct engine_result r;
	const char *file;
	int i, j, kept = 1;

	if (!T_CHECK(h != NULL) || !T_INT(h->nowners, 6))
		return;
	served_spki(cur);
	file = operator_key("next.key", KEY_ALG_ECDSA_P256, next);
	T_INT(adopt_next(conf, st, h, file, -1, fake_now()), ADOPT_OK);
	settle(h, 60);
	for (j = 0; j < 6; j++)
		T_CHECK(served_at(owners[j], cur) && served_at(owners[j], next));
	T_CHECK(store_host_force(st, 1, 1) == 0);
	for (i = 0; i < 300; i++) {
		engine_host(&eng, h, &r);
		key_of("current", got, NULL);
		for (j = 0; j < 6; j++)
			kept &= served_at(owners[j], next);
		if (strcmp(got, next) == 0 && !r.busy)
			break;
		fake_clock(r.wake_at > fake_now() ? r.wake_at : fake_now() + 1);
	}
	T_CHECK(kept);
	T_STR(got, next);
	key_of("next", following, NULL);
	for (j = 0; j < 6; j++)
		T_CHECK(!served_at(owners[j], cur) &&
		    served_at(owners[j], following));
	T_INT(fake.violations, 0);
}

static void
test_cleanup(void)
{
	teardown();
	T_CHECK(1);
}

static const struct t_case cases[] = {
	{ "danectl's current + next adopted at first contact, then a "
	  "rollover to it", test_first_contact_then_roll },
	{ "a record published just before adoption ages before the deploy",
	  test_fresh_record_ages_first },
	{ "an adopted key not yet in DNS is published",
	  test_unpublished_key_adopted },
	{ "refusals change nothing", test_refusals_change_nothing },
	{ "another next key gives way only if it never reached DNS",
	  test_next_replaced_only_if_unsent },
	{ "ports 25, 465 and 587 under two names: six owners in step",
	  test_ports_roll },
	{ "cleanup", test_cleanup },
};
T_MAIN(cases)
