/*
 * fakes - test doubles and the invariant prober. See fakes.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "dane_judge.h"
#include "fakes.h"
#include "fsutil.h"
#include "key.h"
#include "log.h"
#include "pins.h"
#include "t.h"
#include "tlsa.h"
#include "util.h"

#define MAX_HISTORY	64

struct fake_world fake;

/* One RRset as the authoritative servers served it, [from, until). */
struct served {
	struct tlsa_set	 set;
	int64_t		 ttl;
	time_t		 from, until;	/* until 0: still served */
};

struct owner {
	char		 name[256];	/* first: see struct named */
	struct served	 hist[MAX_HISTORY];
	int		 n;
	struct tlsa_set	 pending;	/* published, not yet served */
	int64_t		 pending_ttl;
	int		 has_pending, lag;
};

/* Live files, by path; what they serve is always read from disk, so a
 * crashed child's deploy is seen by the parent as a real MTA would. */
struct live {
	char		 path[512];	/* first: see struct named */
};

/*
 * Names to entry numbers, open addressing: bench/steady_setup makes
 * 10,000 hosts, and a linear search per lookup would make it quadratic.
 * The names point into the entries, which never move.
 */
struct name_ix {
	const char	**names;
	int		 *vals;
	size_t		  cap, n;	/* cap: 0 or a power of two */
};

static size_t
ix_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int
ix_get(const struct name_ix *ix, const char *name)
{
	size_t i;

	if (ix->cap == 0)
		return -1;
	for (i = ix_hash(name) & (ix->cap - 1); ix->names[i] != NULL;
	    i = (i + 1) & (ix->cap - 1))
		if (strcmp(ix->names[i], name) == 0)
			return ix->vals[i];
	return -1;
}

static void
ix_put(struct name_ix *ix, const char *name, int val)
{
	size_t i;

	if (2 * (ix->n + 1) > ix->cap) {
		struct name_ix big = { NULL, NULL, ix->cap ? 2 * ix->cap : 64,
		    0 };

		big.names = xcalloc(big.cap, sizeof(*big.names));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (i = 0; i < ix->cap; i++)
			if (ix->names[i] != NULL)
				ix_put(&big, ix->names[i], ix->vals[i]);
		free(ix->names);
		free(ix->vals);
		*ix = big;
	}
	for (i = ix_hash(name) & (ix->cap - 1); ix->names[i] != NULL;
	    i = (i + 1) & (ix->cap - 1))
		;
	ix->names[i] = name;
	ix->vals[i] = val;
	ix->n++;
}

static void
ix_clear(struct name_ix *ix)
{
	free(ix->names);
	free(ix->vals);
	memset(ix, 0, sizeof(*ix));
}

/* Entries by name, each starting with its name (a char array). */
struct named {
	void		**e;
	int		  n;
	struct name_ix	  ix;
};
static struct named owners, lives;

/* The entry named name, made zeroed (size bytes, its name namesz) if new. */
static void *
named_get(struct named *t, const char *name, size_t size, size_t namesz)
{
	char *e;
	int i;

	if ((i = ix_get(&t->ix, name)) >= 0)
		return t->e[i];
	t->e = xgrow(t->e, (size_t)t->n, sizeof(*t->e));
	e = t->e[t->n] = xcalloc(1, size);
	snprintf(e, namesz, "%s", name);
	ix_put(&t->ix, e, t->n++);
	return e;
}

/* Frees the entries (not what they hold) and forgets them. */
static void
named_clear(struct named *t)
{
	while (t->n > 0)
		free(t->e[--t->n]);
	ix_clear(&t->ix);
}

static EVP_PKEY	*ca_key, *first_key;	/* the CA issuing now, the first */
static X509	*ca_cert, *first_cert;
/* fake_ca_spki()'s answer for ca_spki_of (NULL: none kept). */
static EVP_PKEY	*ca_spki_of;
static char	 ca_spki[65];
/* The root above the issuing CA (fake_ca_change_under), or NULL: the
 * issuing CA is self-signed. */
static EVP_PKEY	*root_key;
static X509	*root_cert;

/* The prober's clock: real time, which the wall clock may be ahead of. */
static time_t	 skew;
static int	 boot_on;
/* The clocks util_now() and util_boot_clock() return once fake_clock()
 * has set them. */
static time_t	 wall;
static int64_t	 boot_secs;

static time_t
fake_wall(void)
{
	return wall;
}

static void
fake_boot(struct boot_clock *b)
{
	snprintf(b->id, sizeof(b->id), "fake-boot");
	b->secs = boot_secs;
	b->known = 1;
}

static struct boot_clock fixed_boot;

static void
fixed_boot_read(struct boot_clock *b)
{
	*b = fixed_boot;
}

void
fake_boot_fixed(const char *id, int64_t secs)
{
	memset(&fixed_boot, 0, sizeof(fixed_boot));
	if (id != NULL) {
		snprintf(fixed_boot.id, sizeof(fixed_boot.id), "%s", id);
		fixed_boot.secs = secs;
		fixed_boot.known = 1;
	}
	util_set_boot_clock(fixed_boot_read);
}

void
fake_clock(time_t t)
{
	wall = t;
	/* The boot clock keeps real time: the wall clock less its skew. */
	boot_secs = (int64_t)(t - skew);
	util_set_clock(fake_wall);
	util_set_boot_clock(boot_on ? fake_boot : NULL);
}

/* The wall clock in milliseconds set by fake_clock_ms(); 0: none. */
static int64_t	 wall_ms;

/* With --wrap=util_now_ms the engine's util_now_ms() comes here; the
 * real one is __real_util_now_ms, absent (weak, NULL) in a test linked
 * without the wrap, which never calls this. */
int64_t	__real_util_now_ms(void) __attribute__((weak));
int64_t	__wrap_util_now_ms(void);

int64_t
__wrap_util_now_ms(void)
{
	return fake_now_ms();
}

int64_t
fake_now_ms(void)
{
	if (wall_ms > 0 && wall_ms / 1000 == (int64_t)util_now())
		return wall_ms;
	return __real_util_now_ms != NULL ? __real_util_now_ms() :
	    (int64_t)util_now() * 1000;
}

void
fake_clock_ms(int64_t ms)
{
	fake_clock((time_t)(ms / 1000));
	wall_ms = ms;
}

void
fake_boot_clock(int on)
{
	boot_on = on;
	fake_clock(util_now());
}

time_t
fake_now(void)
{
	return util_now();
}

void
fake_skew(time_t ahead)
{
	skew = ahead;
}

static time_t
real_now(void)
{
	return util_now() - skew;
}

static void
violation(const char *what, const char *where)
{
	fake.violations++;
	snprintf(fake.last_violation, sizeof(fake.last_violation), "%s at %s",
	    what, where);
	fprintf(stdout, "    PROBER: %s at %s\n", what, where);
}

static struct owner *
owner_get(const char *name)
{
	return named_get(&owners, name, sizeof(struct owner),
	    sizeof(((struct owner *)NULL)->name));
}

static STACK_OF(X509) *
live_chain(const char *path)
{
	char *pem = fs_exists(path) ? t_read(path) : NULL;
	STACK_OF(X509) *chain = NULL;

	if (pem != NULL)
		chain = cert_chain_from_pem(pem, strlen(pem), path);
	free(pem);
	return chain;
}

/*
 * Every live chain must match every RRset a resolver may cache now. The
 * prober reads the live file and judges with OpenSSL's DANE verifier
 * (dane_judge.c), never with daneroll's parser or matcher: a bug there
 * must not hide itself. A live file that exists but holds no readable
 * chain is a violation too: a server cannot present it.
 */
static void
probe(const char *where)
{
	time_t now = real_now();
	int i, j, k, verdict;

	if (fake.no_probe)
		return;
	for (k = 0; k < lives.n; k++) {
		const struct live *l = lives.e[k];
		STACK_OF(X509) *chain = NULL;
		char *pem = NULL;

		if (!fs_exists(l->path))
			continue;
		if ((pem = t_read(l->path)) != NULL)
			chain = dane_judge_pem_chain(pem, strlen(pem));
		free(pem);
		if (chain == NULL) {
			violation("live file holds no readable chain", where);
			continue;
		}
		for (i = 0; i < owners.n; i++) {
			struct owner *o = owners.e[i];

			for (j = 0; j < o->n; j++) {
				struct served *s = &o->hist[j];

				if (s->set.n == 0)
					continue; /* no TLSA: no DANE */
				if (s->until != 0 && s->until + s->ttl <= now)
					continue; /* expired from caches */
				verdict = dane_judge(&s->set, chain);
				if (verdict == -1)
					violation("the DANE judge failed",
					    where);
				else if (verdict == 0)
					violation("live chain matches no "
					    "record of a cacheable RRset",
					    where);
			}
		}
		sk_X509_pop_free(chain, X509_free);
	}
}

void
fake_served(const char *owner, struct tlsa_set *out)
{
	struct owner *o = owner_get(owner);

	memset(out, 0, sizeof(*out));
	if (o->n > 0)
		tlsa_set_copy(out, &o->hist[o->n - 1].set);
}

/* The pending RRset reaches every server. */
static void
serve(struct owner *o)
{
	time_t now = real_now();

	if (o->n > 0)
		o->hist[o->n - 1].until = now;
	if (o->n == MAX_HISTORY) {
		/* Forget the oldest version (long out of every cache). */
		tlsa_set_free(&o->hist[0].set);
		memmove(&o->hist[0], &o->hist[1],
		    (MAX_HISTORY - 1) * sizeof(o->hist[0]));
		o->n--;
	}
	memset(&o->hist[o->n], 0, sizeof(o->hist[o->n]));
	tlsa_set_copy(&o->hist[o->n].set, &o->pending);
	o->hist[o->n].ttl = o->pending_ttl;
	o->hist[o->n].from = now;
	o->n++;
	tlsa_set_free(&o->pending);
	o->has_pending = 0;
	probe("serve");
}

static enum outcome
fake_replace(const struct conf *c, const struct conf_publisher *p,
    const struct publish_req *r)
{
	struct owner *o = owner_get(r->owner);

	(void)c;
	(void)p;
	if (fake.publish_outcome != OUT_OK) {
		log_msg(LOG_LVL_ERR, NULL, NULL, "fake publisher: update of %s "
		    "refused", o->name);
		return fake.publish_outcome;
	}
	fake.publishes++;
	tlsa_set_free(&o->pending);
	tlsa_set_copy(&o->pending, r->want);
	o->pending_ttl = r->ttl;
	o->has_pending = 1;
	o->lag = fake.lag;
	if (o->lag == 0)
		serve(o);
	return OUT_OK;
}

static enum outcome
fake_observe(const struct conf *c, const struct conf_host *h,
    const char *name, const struct tlsa_set *want, struct obs_report *rep)
{
	struct owner *o = owner_get(name);
	const struct tlsa_set *cur;
	int i;

	(void)c;
	(void)h;
	if (fake.observe_secs > 0)
		fake_clock(util_now() + fake.observe_secs);
	if (o->has_pending && o->lag-- <= 0)
		serve(o);
	cur = o->n > 0 ? &o->hist[o->n - 1].set : NULL;
	memset(rep, 0, sizeof(*rep));
	rep->nservers = 2;
	rep->servers = xcalloc(2, sizeof(*rep->servers));
	for (i = 0; i < 2; i++) {
		snprintf(rep->servers[i].addr, sizeof(rep->servers[i].addr),
		    "192.0.2.%d", i + 1);
		snprintf(rep->servers[i].ns, sizeof(rep->servers[i].ns),
		    "ns%d.example.", i + 1);
		/* While lagging, the secondary still serves the old set. */
		if (i == 1 && o->has_pending)
			rep->servers[i].result = OBS_STALE;
		else if (cur != NULL && cur->n > 0 && tlsa_set_equal(cur, want))
			rep->servers[i].result = OBS_MATCH;
		else if (cur == NULL || cur->n == 0)
			rep->servers[i].result = want->n == 0 ? OBS_MATCH :
			    OBS_MISSING;
		else
			rep->servers[i].result = OBS_STALE;
	}
	rep->all_match = rep->servers[0].result == OBS_MATCH &&
	    rep->servers[1].result == OBS_MATCH;
	rep->any_tlsa = cur != NULL && cur->n > 0;
	if (cur != NULL)
		tlsa_set_copy(&rep->served, cur);
	rep->neg_ttl = fake.neg_ttl > 0 ? fake.neg_ttl : 5;
	rep->served_ttl = o->n > 0 ? o->hist[o->n - 1].ttl : 0;
	return OUT_OK;
}

/*
 * x's public key: a P-256 key's point is set into the certificate's
 * SubjectPublicKeyInfo directly, since X509_set_pubkey() runs OpenSSL 3's
 * encoder machinery, a good part of the model test's time; other keys the
 * usual way. The bytes are the same either way: the engine refuses a
 * certificate whose key is not the one it asked for (cert_matches_key).
 */
static void
set_pubkey(X509 *x, EVP_PKEY *pub)
{
	char group[32];
	unsigned char *pt = NULL;
	size_t ptlen;

	if (EVP_PKEY_is_a(pub, "EC") && EVP_PKEY_get_utf8_string_param(pub,
	    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) == 1 &&
	    strcmp(group, "prime256v1") == 0 &&
	    (ptlen = EVP_PKEY_get1_encoded_public_key(pub, &pt)) > 0 &&
	    X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x),
	    OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_X9_62_prime256v1), pt, (int)ptlen) == 1)
		return;
	OPENSSL_free(pt);
	ERR_clear_error();
	X509_set_pubkey(x, pub);
}

static X509 *
ca_sign(EVP_PKEY *pub, const char *const *names, int n, int days)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	struct buf san = { 0 };
	int i;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(random() & 0xffffff));
	X509_time_adj_ex(X509_getm_notBefore(x), -1, 0,
	    &(time_t){ util_now() });
	X509_time_adj_ex(X509_getm_notAfter(x), days, 0,
	    &(time_t){ util_now() });
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)names[0], -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, X509_get_subject_name(ca_cert));
	set_pubkey(x, pub);
	for (i = 0; i < n; i++)
		buf_printf(&san, "%sDNS:%s", i ? "," : "", names[i]);
	X509V3_set_ctx(&ctx, ca_cert, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san.data);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, ca_key, EVP_sha256());
	X509_NAME_free(nm);
	buf_free(&san);
	return x;
}

/* What was written to the memory BIO b, as a string; frees b. */
static char *
bio_text(BIO *b)
{
	char *p, *out;
	long n;

	n = BIO_get_mem_data(b, &p);
	out = xmalloc((size_t)n + 1);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

char *
fake_cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());

	PEM_write_bio_X509(b, x);
	return bio_text(b);
}

void
fake_tlsa_set(const char *text, struct tlsa_set *set)
{
	if (tlsa_set_parse(text, set) != 0)
		abort();
}

static char *
pem_of(X509 *leaf, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());

	if (key != NULL)
		PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_X509(b, leaf);
	PEM_write_bio_X509(b, ca_cert);
	if (fake.send_root && root_cert != NULL)
		PEM_write_bio_X509(b, root_cert);
	return bio_text(b);
}

static struct live *
live_get(const char *path)
{
	return named_get(&lives, path, sizeof(struct live),
	    sizeof(((struct live *)NULL)->path));
}

static void
go_live(const char *path, const char *pem)
{
	char prev[600];
	char *old;

	(void)live_get(path);
	snprintf(prev, sizeof(prev), "%s.prev", path);
	old = fs_exists(path) ? t_read(path) : NULL;
	/* As deploy_files: a set already in place is only reloaded, and
	 * the previous set stays what it was. */
	if (old != NULL && strcmp(old, pem) == 0) {
		free(old);
		probe("deploy");
		return;
	}
	if (old != NULL) {
		(void)fs_write_atomic(prev, old, strlen(old), 0600, (uid_t)-1,
		    (gid_t)-1);
		free(old);
	}
	(void)fs_write_atomic(path, pem, strlen(pem), 0600, (uid_t)-1,
	    (gid_t)-1);
	probe("deploy");
}

int
fake_deploy_initial(const char *path, const char *host, enum key_alg alg,
    int days)
{
	EVP_PKEY *key = key_generate(alg);
	X509 *leaf = ca_sign(key, &host, 1, days);
	char *pem = pem_of(leaf, key);

	go_live(path, pem);
	free(pem);
	X509_free(leaf);
	EVP_PKEY_free(key);
	return 0;
}

int
fake_client_cert(const char *dir, const char *host, enum key_alg alg,
    const char *reuse_key)
{
	EVP_PKEY *key = reuse_key ? key_load(reuse_key) : key_generate(alg);
	X509 *leaf;
	char *pem, path[600];
	BIO *b;
	char *p;
	long n;
	int rc = -1;

	if (key == NULL)
		return -1;
	leaf = ca_sign(key, &host, 1, 90);
	pem = pem_of(leaf, NULL);
	snprintf(path, sizeof(path), "%s/fullchain.pem", dir);
	if (fs_write_atomic(path, pem, strlen(pem), 0644, (uid_t)-1,
	    (gid_t)-1) != 0)
		goto done;
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	snprintf(path, sizeof(path), "%s/privkey.pem", dir);
	rc = fs_write_atomic(path, p, (size_t)n, 0600, (uid_t)-1, (gid_t)-1);
	BIO_free(b);
done:
	free(pem);
	X509_free(leaf);
	EVP_PKEY_free(key);
	return rc;
}

static enum outcome
fake_issue(const struct conf *c, const struct conf_host *h, enum key_alg alg,
    const char *csr_path, const char *chain_path)
{
	BIO *b = BIO_new_file(csr_path, "r");
	X509_REQ *req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *pub = req ? X509_REQ_get_pubkey(req) : NULL;
	EVP_PKEY *other = NULL;
	const char **names = xcalloc((size_t)(1 + h->naliases), sizeof(char *));
	X509 *leaf = NULL;
	char *pem = NULL;
	enum outcome o = fake.issue_outcome;
	int i;

	(void)c;
	BIO_free(b);
	if (o != OUT_OK || pub == NULL) {
		o = pub == NULL ? OUT_PERMFAIL : o;
		goto done;
	}
	fake.issues++;
	names[0] = h->name;
	for (i = 0; i < h->naliases; i++)
		names[i + 1] = h->aliases[i].name;
	if (fake.issue_wrong_key)
		other = key_generate(alg);
	leaf = ca_sign(other ? other : pub, names, 1 + h->naliases, 90);
	pem = fake.issue_leaf_only ? fake_cert_pem(leaf) : pem_of(leaf, NULL);
	o = fs_write_atomic(chain_path, pem, strlen(pem), 0644, (uid_t)-1,
	    (gid_t)-1) == 0 ? OUT_OK : OUT_TEMPFAIL;
done:
	free(names);
	free(pem);
	X509_free(leaf);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(other);
	X509_REQ_free(req);
	return o;
}

/*
 * current+issuer: what the real deployer appends from the issuer_cert
 * files (pins_complete_chain), appended to b; nothing is refused here,
 * so that a test sees what the engine would have deployed.
 */
static void
complete_from_pins(const struct conf_host *h, const char *chain_path,
    struct buf *b)
{
	STACK_OF(X509) *chain = NULL, *pool = sk_X509_new_null();
	struct tlsa_set pins = { 0 };
	int i, n, added = 0;

	if (h->scheme != SCHEME_CURRENT_ISSUER || pool == NULL ||
	    (chain = cert_load_chain(chain_path)) == NULL ||
	    pins_load(h, &pins, pool) != 0)
		goto done;
	n = sk_X509_num(chain);
	(void)pins_complete_chain(chain, &pins, pool, &added);
	for (i = n; i < n + added; i++) {
		BIO *cb = BIO_new(BIO_s_mem());
		char *cp;
		long cn;

		PEM_write_bio_X509(cb, sk_X509_value(chain, i));
		cn = BIO_get_mem_data(cb, &cp);
		buf_printf(b, "%.*s", (int)cn, cp);
		BIO_free(cb);
	}
done:
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(pool, X509_free);
	tlsa_set_free(&pins);
}

static char *
live_path(const struct conf_host *h, enum key_alg alg)
{
	return conf_path_for(h->files.combined_file, alg);
}

/* PATH.prev, the set deploy_files keeps to roll back to, in prev. */
static void
prev_path(const struct conf_host *h, enum key_alg alg, char *prev,
    size_t prevlen)
{
	char *path = live_path(h, alg);

	snprintf(prev, prevlen, "%s.prev", path);
	free(path);
}

static enum outcome
fake_deploy(const struct conf *c, const struct conf_host *h, enum key_alg alg,
    const char *key_path, const char *chain_path)
{
	char *path = live_path(h, alg), *k = NULL, *ch = NULL;
	struct buf b = { 0 };
	enum outcome o = OUT_PERMFAIL;

	(void)c;
	if (fake.deploy_outcome != OUT_OK) {
		o = fake.deploy_outcome;
		goto done;
	}
	if ((k = t_read(key_path)) == NULL ||
	    (ch = t_read(chain_path)) == NULL)
		goto done;
	buf_puts(&b, k);
	buf_puts(&b, ch);
	complete_from_pins(h, chain_path, &b);
	fake.deploys++;
	if (fake.mta_stale && fs_exists(path)) {
		/* What the server keeps presenting: the chain before. */
		char stale[600], *old = t_read(path);

		snprintf(stale, sizeof(stale), "%s.stale", path);
		if (old != NULL && !fs_exists(stale))
			(void)fs_write_atomic(stale, old, strlen(old), 0600,
			    (uid_t)-1, (gid_t)-1);
		free(old);
	}
	go_live(path, b.data);
	o = OUT_OK;
done:
	buf_free(&b);
	free(path);
	free(k);
	free(ch);
	return o;
}

static enum outcome
fake_rollback(const struct conf *c, const struct conf_host *h,
    enum key_alg alg)
{
	char *path, prev[600], stale[600];
	char *pem;

	(void)c;
	prev_path(h, alg, prev, sizeof(prev));
	if ((pem = fs_exists(prev) ? t_read(prev) : NULL) == NULL)
		return OUT_PERMFAIL;
	fake.rollbacks++;
	path = live_path(h, alg);
	snprintf(stale, sizeof(stale), "%s.stale", path);
	(void)unlink(stale);
	go_live(path, pem);
	free(pem);
	free(path);
	return OUT_OK;
}

/* The previous set goes (it holds a retired key). */
static enum outcome
fake_forget(const struct conf *c, const struct conf_host *h,
    enum key_alg alg)
{
	char prev[600];

	(void)c;
	prev_path(h, alg, prev, sizeof(prev));
	if (unlink(prev) == -1 && errno != ENOENT)
		return OUT_TEMPFAIL;
	fake.forgets++;
	return OUT_OK;
}

/* What the fake MTA serves for alg: the file, or with mta_stale what it
 * loaded before (PATH.stale), or NULL. */
static STACK_OF(X509) *
mta_chain(const struct conf_host *h, enum key_alg alg)
{
	char *path = live_path(h, alg);
	STACK_OF(X509) *chain = live_chain(path);

	if (fake.mta_stale) {
		char stale[600];

		snprintf(stale, sizeof(stale), "%s.stale", path);
		if (fs_exists(stale)) {
			if (chain != NULL)
				sk_X509_pop_free(chain, X509_free);
			chain = live_chain(stale);
		}
	}
	free(path);
	return chain;
}

/*
 * The chain the MTA serves for alg, judged against set. The real verifier
 * (verify.c) handshakes with OpenSSL's DANE code: so do these stand-ins,
 * through the judge. *served: whether a chain is served at all (if not:
 * OUT_TEMPFAIL).
 */
static enum outcome
live_judged(const struct conf_host *h, enum key_alg alg,
    const struct tlsa_set *set, int *served)
{
	STACK_OF(X509) *chain = mta_chain(h, alg);
	int v;

	*served = chain != NULL;
	if (chain == NULL)
		return OUT_TEMPFAIL;
	v = dane_judge(set, chain);
	sk_X509_pop_free(chain, X509_free);
	return v == 1 ? OUT_OK : v == 0 ? OUT_PERMFAIL : OUT_TEMPFAIL;
}

/* The publish guard's live look: a chain served, judged against would. */
static enum outcome
fake_probe(const struct conf *c, const struct conf_host *h, enum key_alg alg,
    const struct tlsa_set *would)
{
	int served;

	(void)c;
	fake.probes++;
	return live_judged(h, alg, would, &served);
}

static enum outcome
fake_verify(const struct conf *c, const struct conf_host *h, enum key_alg alg,
    const struct tlsa_set *want)
{
	int served;
	enum outcome o;

	(void)c;
	fake.verifies++;
	o = live_judged(h, alg, want, &served);
	if (!served)
		return o;
	if (fake.verify_fail_once > 0) {
		fake.verify_fail_once--;
		return OUT_PERMFAIL;
	}
	/* A broken deploy: the new chain fails live, the restored passes. */
	if (fake.verify_fails && fake.rollbacks == 0)
		o = OUT_PERMFAIL;
	return o;
}

static const struct backend_publisher fake_pub_rfc2136 = {
	.type = "rfc2136",
	.replace = fake_replace,
};
static const struct backend_publisher fake_pub_pdns = {
	.type = "pdns",
	.replace = fake_replace,
};
static const struct backend_publisher *const fake_publishers[] = {
	&fake_pub_rfc2136, &fake_pub_pdns, NULL
};
static const struct backend_observer fake_observer = { fake_observe };
static const struct backend_issuer fake_issuer = { fake_issue };
static const struct backend_deployer fake_deployer = {
	fake_deploy, fake_rollback, fake_forget
};
static const struct backend_verifier fake_verifier = {
	fake_verify, fake_probe
};

const struct backends fake_backends = {
	fake_publishers, &fake_observer, &fake_issuer, &fake_deployer,
	&fake_verifier
};

int
fake_ca_write(const char *path)
{
	BIO *b = BIO_new_file(path, "w");
	int ok = b != NULL && PEM_write_bio_X509(b, ca_cert) == 1;

	BIO_free(b);
	return ok ? 0 : -1;
}

void
fake_ca_spki(char out[65])
{
	/* Once per CA: the model test asks at every sequence's start. */
	if (ca_spki_of != ca_key) {
		ca_spki[0] = '\0';
		if (key_spki_hex(ca_key, ca_spki) == 0)
			ca_spki_of = ca_key;
	}
	memcpy(out, ca_spki, sizeof(ca_spki));
}

/* A CA named cn, signed by signer (NULL: self-signed, a root). */
static void
make_ca_by(const char *cn, EVP_PKEY *signer_key, X509 *signer,
    EVP_PKEY **key, X509 **cert)
{
	X509_NAME *nm = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	*key = key_generate(KEY_ALG_ECDSA_P256);
	*cert = X509_new();
	X509_set_version(*cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(*cert), -86400L * 365);
	X509_gmtime_adj(X509_getm_notAfter(*cert), 86400L * 365 * 30);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(*cert, nm);
	X509_set_issuer_name(*cert, signer != NULL ?
	    X509_get_subject_name(signer) : nm);
	set_pubkey(*cert, *key);
	X509V3_set_ctx(&ctx, signer != NULL ? signer : *cert, *cert, NULL,
	    NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE");
	X509_add_ext(*cert, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(*cert, signer_key != NULL ? signer_key : *key,
	    EVP_sha256());
	X509_NAME_free(nm);
}

static void
make_ca(const char *cn, EVP_PKEY **key, X509 **cert)
{
	make_ca_by(cn, NULL, NULL, key, cert);
}

void
fake_reset(const char *ca_dir)
{
	const char *cn = "daneroll test CA";
	int i;

	(void)ca_dir;
	skew = 0;
	boot_on = 0;
	util_set_boot_clock(NULL);
	for (i = 0; i < owners.n; i++) {
		struct owner *o = owners.e[i];
		int j;

		for (j = 0; j < o->n; j++)
			tlsa_set_free(&o->hist[j].set);
		tlsa_set_free(&o->pending);
	}
	named_clear(&owners);
	named_clear(&lives);
	memset(&fake, 0, sizeof(fake));
	if (first_key == NULL)
		make_ca(cn, &first_key, &first_cert);
	fake_ca_change(NULL);
}

/* A new CA (a name of its own) issues from now on; NULL: the first one
 * again. The CA a chain sends after the leaf is this CA. */
void
fake_ca_change(const char *cn)
{
	if (ca_key != NULL && ca_key != first_key) {
		EVP_PKEY_free(ca_key);
		X509_free(ca_cert);
	}
	EVP_PKEY_free(root_key);
	X509_free(root_cert);
	root_key = NULL;
	root_cert = NULL;
	ca_key = first_key;
	ca_cert = first_cert;
	ca_spki_of = NULL;	/* a freed key's address may come back */
	if (cn != NULL)
		make_ca(cn, &ca_key, &ca_cert);
}

void
fake_ca_change_under(const char *root_cn, const char *int_cn)
{
	EVP_PKEY *rk = root_key;
	X509 *rc = root_cert;

	if (root_cn != NULL || rk == NULL) {
		fake_ca_change(NULL);
		make_ca(root_cn != NULL ? root_cn : "daneroll test root", &rk,
		    &rc);
	} else if (ca_key != first_key) {
		EVP_PKEY_free(ca_key);
		X509_free(ca_cert);
	}
	root_key = rk;
	root_cert = rc;
	ca_spki_of = NULL;
	make_ca_by(int_cn, root_key, root_cert, &ca_key, &ca_cert);
}

int
fake_root_write(const char *path)
{
	BIO *b = BIO_new_file(path, "w");
	int ok = b != NULL && root_cert != NULL &&
	    PEM_write_bio_X509(b, root_cert) == 1;

	BIO_free(b);
	return ok ? 0 : -1;
}

void
fake_root_spki(char out[65])
{
	out[0] = '\0';
	if (root_key != NULL)
		(void)key_spki_hex(root_key, out);
}
