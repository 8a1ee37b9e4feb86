/*
 * view - one host as the engine sees it. See include/view.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ageing.h"
#include "cert.h"
#include "fsutil.h"
#include "log.h"
#include "pins.h"
#include "view.h"

static void
add_spki(struct tlsa_set *set, uint8_t usage, const char *hex)
{
	unsigned char d[32];
	struct tlsa_rr rr;

	if (util_unhex(hex, d, sizeof(d)) != 32)
		return;
	rr.usage = usage;
	rr.selector = TLSA_SEL_SPKI;
	rr.mtype = TLSA_MT_SHA256;
	rr.data = d;
	rr.len = sizeof(d);
	tlsa_set_add(set, &rr);
}

/*
 * The RRset a host should publish: every slot's current key and, under
 * current+next, its next key; under current+issuer, the pinned CAs. Old
 * keys are absent: they left when PROMOTE proved them no longer served.
 */
static void
compute_want(struct view *v)
{
	int i;

	for (i = 0; i < v->nslots; i++) {
		struct view_slot *s = &v->slots[i];

		if (s->has_current)
			add_spki(&v->want, TLSA_USAGE_DANE_EE, s->current.spki);
		if (s->has_next && v->host->scheme == SCHEME_CURRENT_NEXT)
			add_spki(&v->want, TLSA_USAGE_DANE_EE, s->next.spki);
	}
	if (v->host->scheme == SCHEME_CURRENT_ISSUER) {
		size_t i2;

		for (i2 = 0; i2 < v->pins.n; i2++)
			tlsa_set_add(&v->want, &v->pins.rr[i2]);
	}
}

/*
 * What a slot's deployed next chain must be proven against before PROMOTE:
 * the wanted RRset without the current key's record, which PROMOTE
 * retires. Verifying against the whole wanted RRset would let a server
 * that still presents the old chain (a reload that did not take, an MTA
 * that reads other files) pass, and the old record would then be retired
 * while that chain is still served.
 */
void
view_promote_set(const struct view *v, const struct view_slot *s,
    struct tlsa_set *out)
{
	struct tlsa_set cur = { 0 };

	memset(out, 0, sizeof(*out));
	tlsa_set_copy(out, &v->want);
	if (!s->has_current || (s->has_next &&
	    strcmp(s->current.spki, s->next.spki) == 0))
		return;
	add_spki(&cur, TLSA_USAGE_DANE_EE, s->current.spki);
	if (cur.n == 1)
		tlsa_set_del(out, &cur.rr[0]);
	tlsa_set_free(&cur);
}

/* Where a slot's served chain and key live, per the configured layout. */
static void
slot_paths(const struct conf_files *f, enum key_alg alg, char **cert,
    char **key)
{
	if (f->combined_file != NULL) {
		*cert = conf_path_for(f->combined_file, alg);
		*key = conf_path_for(f->combined_file, alg);
	} else if (f->live_link != NULL) {
		char *dir = conf_path_for(f->live_link, alg);

		*cert = xasprintf("%s/fullchain.pem", dir);
		*key = xasprintf("%s/privkey.pem", dir);
		free(dir);
	} else {
		*cert = conf_path_for(f->fullchain_file != NULL ?
		    f->fullchain_file : f->cert_file, alg);
		*key = conf_path_for(f->key_file, alg);
	}
}

/* dev:ino:size:mtime:ctime of the file behind path, or NULL (errno). */
static char *
stat_sig(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return NULL;
	return xasprintf("%llu:%llu:%lld:%lld.%09ld:%lld.%09ld",
	    (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino,
	    (long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
	    sb.st_mtim.tv_nsec, (long long)sb.st_ctim.tv_sec,
	    sb.st_ctim.tv_nsec);
}

STACK_OF(X509) *
view_deployed_chain(struct view_slot *s)
{
	if (s->deployed_chain == NULL && s->deployed_ok)
		s->deployed_chain = cert_load_chain(s->cert_path);
	return s->deployed_chain;
}

/*
 * What the configured files serve. Parsing a certificate is the costly
 * part of a steady-state run, so the result is cached in the slot under
 * the file's stat signature; any rewrite (an atomic rename is a new inode)
 * invalidates it.
 */
static void
load_deployed(struct view_slot *s, const struct conf_host *h)
{
	unsigned char d[32];

	slot_paths(&h->files, s->alg, &s->cert_path, &s->key_path);
	if (s->cert_path == NULL)
		return;
	if ((s->deployed_sig = stat_sig(s->cert_path)) == NULL) {
		/* Only a file that is not there is "nothing deployed". */
		if (errno != ENOENT && errno != ENOTDIR) {
			s->deployed_unknown = 1;
			s->deployed_error = xasprintf("%s: %s", s->cert_path,
			    strerror(errno));
		}
		return;
	}
	if (s->slot.deployed_sig != NULL &&
	    strcmp(s->slot.deployed_sig, s->deployed_sig) == 0 &&
	    strlen(s->slot.deployed_spki) == 64) {
		memcpy(s->deployed_spki, s->slot.deployed_spki, 65);
		s->deployed_not_after = s->slot.deployed_not_after;
		s->deployed_ok = 1;
		return;
	}
	log_clear_error();
	if ((s->deployed_chain = cert_load_chain(s->cert_path)) == NULL ||
	    cert_spki_sha256(sk_X509_value(s->deployed_chain, 0), d) != 0) {
		s->deployed_unknown = 1;
		s->deployed_error = *log_last_error() != '\0' ?
		    xstrdup(log_last_error()) : xasprintf("%s: no usable "
		    "certificate", s->cert_path);
		return;
	}
	util_hex(d, sizeof(d), s->deployed_spki);
	s->deployed_not_after = cert_not_after(
	    sk_X509_value(s->deployed_chain, 0));
	s->deployed_ok = 1;
	s->deployed_parsed = 1;
}

/* Dates each "served everywhere" time by the boot clock where it can
 * (ageing_boot_dated): a wall clock that jumped forward since must not
 * make the TTL look elapsed early. clock_ahead counts only where that
 * still delays something, so a long-past jump is not said every run. */
static void
boot_date(struct view *v, struct view_owner *o, const struct boot_clock *b,
    time_t now)
{
	const struct conf_timing *tm = &v->host->timing;
	int j;

	for (j = 0; j < o->nv && b->known; j++) {
		struct store_rrset *r = &o->v[j];
		time_t t = ageing_boot_dated(r->propagated_at,
		    r->propagated_boot_id, r->propagated_boot_s, b->id, b->secs,
		    now);
		int64_t ttl = r->ttl > tm->ttl ? r->ttl : tm->ttl;

		if (t - r->propagated_at > v->clock_ahead &&
		    t + ttl + r->neg_ttl + tm->margin > now)
			v->clock_ahead = t - r->propagated_at;
		r->propagated_ms += (int64_t)(t - r->propagated_at) * 1000;
		r->propagated_at = t;
	}
}

/*
 * current+issuer: what vouches for a chain as the deployer serves it
 * (pins_judge). With issuer_follow, a chain no configured pin vouches for
 * adds the "2 1 1" of the CA issuer_pin names (the intermediate after the
 * leaf, or the root), so that the record is published and aged before the
 * chain is deployed (the deploy guard judges the staged chain against
 * every version); it leaves when no served or staged chain needs it. A
 * served chain keeps a CA followed before (its record is published) but
 * starts no CA change: its key's own record vouches for it, and an
 * adopted chain's CA was never pinned. A staged chain that nothing may
 * vouch for is held (slot->hold says why). chain: completed in place.
 */
static void
judge_chain(struct view *v, const struct tlsa_set *configured,
    STACK_OF(X509) *pool, const struct tlsa_set *published,
    STACK_OF(X509) *chain, struct view_slot *staged_in)
{
	enum pins_verdict verdict;
	struct tlsa_rr rr;
	X509 *ca;
	int added;

	verdict = pins_judge(chain, configured, pool, v->host->issuer_pin,
	    &added, &ca);
	if (staged_in != NULL &&
	    (staged_in->hold = pins_why_held(v->host, verdict, ca)) != NULL)
		return;
	if (verdict != PINS_FOLLOW || !v->host->issuer_follow ||
	    tlsa_from_cert(ca, TLSA_USAGE_DANE_TA, TLSA_SEL_SPKI,
	    TLSA_MT_SHA256, &rr) != 0)
		return;
	if ((staged_in != NULL || tlsa_set_has(published, &rr)) &&
	    !tlsa_set_has(&v->followed, &rr)) {
		tlsa_set_add(&v->followed, &rr);
		/* Served chains are judged first: a staged chain whose CA
		 * is served already is no CA change. */
		if (staged_in != NULL)
			X509_NAME_oneline(X509_get_subject_name(ca),
			    v->ca_change, sizeof(v->ca_change));
	}
	tlsa_rr_free(&rr);
}

static void
judge_chains(struct view *v, STACK_OF(X509) *pool)
{
	struct tlsa_set configured = { 0 }, published = { 0 };
	STACK_OF(X509) *served;
	int i;

	tlsa_set_copy(&configured, &v->pins);
	if (v->nowners > 0)
		view_last_set(&v->owners[0], &published);
	/* Served chains matter only to following (and cost a parse). */
	for (i = 0; i < v->nslots && v->host->issuer_follow; i++) {
		/* As the deployer would serve it: completed from
		 * issuer_cert, on a copy (the file is what it is). */
		if (view_deployed_chain(&v->slots[i]) == NULL ||
		    (served = X509_chain_up_ref(v->slots[i].deployed_chain)) ==
		    NULL)
			continue;
		judge_chain(v, &configured, pool, &published, served, NULL);
		sk_X509_pop_free(served, X509_free);
	}
	for (i = 0; i < v->nslots; i++)
		if (v->slots[i].staged != NULL)
			judge_chain(v, &configured, pool, &published,
			    v->slots[i].staged, &v->slots[i]);
	for (i = 0; (size_t)i < v->followed.n; i++)
		tlsa_set_add(&v->pins, &v->followed.rr[i]);
	tlsa_set_free(&configured);
	tlsa_set_free(&published);
}

int
view_load(struct store *st, const struct conf_host *h, time_t now,
    int create, struct view *v)
{
	struct boot_clock boot;
	int i, a, rc = -1;

	memset(v, 0, sizeof(*v));
	v->host = h;
	/*
	 * One read transaction for all of the host's rows: one snapshot, and
	 * one round of file locking instead of one per statement (most of a
	 * steady-state run's system time). Rows are inserted only at first
	 * sight of a host; if another run wrote meanwhile, that insert fails
	 * and this host waits for the next run.
	 */
	if (store_begin_read(st) != 0)
		return -1;
	if (store_host_get(st, h->name, create, now, &v->host_id,
	    &v->forced) < 0)
		goto done;

	util_boot_clock(&boot);	/* once: a file read, on every run */
	v->nowners = h->nowners;
	v->owners = xcalloc((size_t)v->nowners, sizeof(*v->owners));
	for (i = 0; i < v->nowners; i++) {
		struct view_owner *o = &v->owners[i];

		o->name = h->owners[i].name;
		o->publisher = h->owners[i].publisher;
		if (v->host_id == 0)
			continue;
		if (store_owner_id(st, v->host_id, o->name, create, &o->id) < 0)
			goto done;
		if (o->id != 0 && store_rrsets(st, o->id, &o->v, &o->nv) != 0)
			goto done;
		boot_date(v, o, &boot, now);
	}

	for (a = 0; a < KEY_ALG_COUNT; a++) {
		struct view_slot *s;

		if (!(h->algs & (1u << a)))
			continue;
		s = &v->slots[v->nslots++];
		s->alg = (enum key_alg)a;
		s->slot.alg = s->alg;
		if (v->host_id != 0 && store_slot_get(st, v->host_id, s->alg,
		    create, now, &s->slot) < 0)
			goto done;
		if (s->slot.id != 0) {
			/* Two indexed lookups measured cheaper than one
			 * query with IN (bench/steady.sh, callgrind). */
			if ((s->has_current = store_key_get(st, s->slot.id,
			    "current", &s->current)) < 0 ||
			    (s->has_next = store_key_get(st, s->slot.id,
			    "next", &s->next)) < 0)
				goto done;
		}
		load_deployed(s, h);
		/* Gone, not unreadable: fs_missing is ENOENT alone. */
		s->next_lost = s->has_next && s->next.path != NULL &&
		    fs_missing(s->next.path);
		if (s->has_next && s->next.chain_path != NULL &&
		    fs_exists(s->next.chain_path))
			s->staged = cert_load_chain(s->next.chain_path);
	}
	if (h->scheme == SCHEME_CURRENT_ISSUER) {
		STACK_OF(X509) *pool = sk_X509_new_null();

		if (pool == NULL || pins_load(h, &v->pins, pool) != 0) {
			sk_X509_pop_free(pool, X509_free);
			goto done;
		}
		/* The staged chain as the deployer will serve it. */
		judge_chains(v, pool);
		sk_X509_pop_free(pool, X509_free);
	}
	compute_want(v);
	rc = 0;
done:
	if (rc == 0 && store_commit(st) != 0)
		rc = -1;
	if (rc != 0)
		store_rollback(st);
	return rc;
}

void
view_free(struct view *v)
{
	int i;

	for (i = 0; i < v->nowners; i++)
		store_rrsets_free(v->owners[i].v, v->owners[i].nv);
	free(v->owners);
	for (i = 0; i < v->nslots; i++) {
		struct view_slot *s = &v->slots[i];

		store_slot_free(&s->slot);
		store_key_free(&s->current);
		store_key_free(&s->next);
		free(s->cert_path);
		free(s->key_path);
		free(s->deployed_sig);
		free(s->deployed_error);
		free(s->hold);
		if (s->deployed_chain)
			sk_X509_pop_free(s->deployed_chain, X509_free);
		if (s->staged)
			sk_X509_pop_free(s->staged, X509_free);
	}
	tlsa_set_free(&v->want);
	tlsa_set_free(&v->pins);
	tlsa_set_free(&v->followed);
	memset(v, 0, sizeof(*v));
}

const struct store_rrset *
view_last(const struct view_owner *o)
{
	return o->nv > 0 ? &o->v[o->nv - 1] : NULL;
}

void
view_last_set(const struct view_owner *o, struct tlsa_set *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = o->nv - 1; i >= 0; i--) {
		if (o->v[i].observed || o->v[i].published_at != 0) {
			(void)tlsa_set_parse(o->v[i].records, out);
			return;
		}
	}
}

time_t
view_future_rrset(const struct view *v, time_t now, int *owner,
    const struct store_rrset **rrset)
{
	int i, j;

	for (i = 0; i < v->nowners; i++)
		for (j = 0; j < v->owners[i].nv; j++) {
			const struct store_rrset *r = &v->owners[i].v[j];
			time_t t = r->published_at > r->propagated_at ?
			    r->published_at : r->propagated_at;

			if (t > now + VIEW_FUTURE_SLACK) {
				*owner = i;
				*rrset = r;
				return t;
			}
		}
	return 0;
}

time_t
view_retry_limit(const struct view *v, time_t now)
{
	return now + v->host->timing.retry_max + VIEW_FUTURE_SLACK;
}

time_t
view_redate_at(const struct view *v, time_t now)
{
	const struct store_rrset *r;
	const time_t retry_after = view_retry_limit(v, now);
	time_t t = view_future_rrset(v, now, &(int){ 0 }, &r);
	int i;

	for (i = 0; i < v->nslots && t == 0; i++)
		if (v->slots[i].slot.retry_at > retry_after)
			t = v->slots[i].slot.retry_at;
	return t;
}

const struct view_slot *
view_unknown_slot(const struct view *v)
{
	int i;

	for (i = 0; i < v->nslots; i++)
		if (v->slots[i].deployed_unknown)
			return &v->slots[i];
	return NULL;
}

struct slot_policy
view_policy(const struct conf_host *h)
{
	struct slot_policy p;

	memset(&p, 0, sizeof(p));
	p.scheme = h->scheme;
	p.renew_before = h->timing.renew_before;
	p.rotate_after = h->timing.rotate_after;
	p.expiry_alert = h->timing.expiry_alert;
	p.verify_attempts = 3;
	p.cert_lifetime = 90 * 86400;
	return p;
}

/* Does what this slot would deploy next match the records of a version? */
static int
would_match(const struct view *v, const struct view_slot *s,
    const struct tlsa_set *set)
{
	struct tlsa_set want = { 0 };
	size_t i;
	int m = 0;

	if (s->staged != NULL)
		return tlsa_set_matches_chain(set, s->staged);
	if (s->has_next && v->host->scheme == SCHEME_CURRENT_NEXT) {
		add_spki(&want, TLSA_USAGE_DANE_EE, s->next.spki);
		m = tlsa_set_has(set, &want.rr[0]);
	} else if (v->host->scheme == SCHEME_CURRENT_ISSUER) {
		/* Before issuance: a chain from any pinned CA. */
		for (i = 0; i < v->pins.n && !m; i++)
			m = tlsa_set_has(set, &v->pins.rr[i]);
	} else
		m = 1;	/* nothing to deploy next */
	tlsa_set_free(&want);
	return m;
}

/* Does what would be deployed match a version (a chain, or the slot's
 * next key, pin or staged chain)? */
struct matcher {
	const struct view	*v;
	const struct view_slot	*s;		/* would_match(v, s, set) */
	STACK_OF(X509)		*chain;		/* or this chain */
	const struct tlsa_rr	*lacks;		/* or: the version lacks it */
};

static int
matches(const struct matcher *m, const struct tlsa_set *set)
{
	if (m->lacks != NULL)
		return !tlsa_set_has(set, m->lacks);
	return m->chain != NULL ? tlsa_set_matches_chain(set, m->chain) :
	    would_match(m->v, m->s, set);
}

/*
 * The deploy guard over one owner name's history (ageing_safe_at); *all:
 * every version that held records matches. unknown_before: a version 0
 * found at first contact that matches was served since a time no one
 * knows (an adopted next key's record, published by the operator a
 * minute ago perhaps), so it counts only from when it was found: an
 * unknown version, taken as "no RRset" with the longer TTL, comes before
 * it and must age out.
 */
static enum ageing_verdict
owner_guard(const struct view_owner *o, int64_t margin, int64_t conf_ttl,
    int unknown_before, const struct matcher *m, time_t *at, int *all)
{
	struct rrset_version *hist = xcalloc((size_t)o->nv + 1, sizeof(*hist));
	struct rrset_version *h = hist + 1;
	enum ageing_verdict g;
	int j;

	*all = 1;
	for (j = 0; j < o->nv; j++) {
		struct tlsa_set set = { 0 };

		(void)tlsa_set_parse(o->v[j].records, &set);
		h[j].exists = set.n > 0;
		h[j].matches = set.n > 0 && matches(m, &set);
		h[j].ttl = o->v[j].ttl;
		h[j].neg_ttl = o->v[j].neg_ttl;
		h[j].propagated_ms = o->v[j].propagated_ms;
		if (h[j].exists && !h[j].matches)
			*all = 0;
		tlsa_set_free(&set);
	}
	if (unknown_before && o->nv > 0 && o->v[0].observed && h[0].matches) {
		hist[0].ttl = h[0].ttl > conf_ttl ? h[0].ttl : conf_ttl;
		hist[0].neg_ttl = h[0].neg_ttl;
		g = ageing_safe_at(hist, o->nv + 1, margin, at);
	} else
		g = ageing_safe_at(h, o->nv, margin, at);
	free(hist);
	return g;
}

/* The deploy guard over every owner name: the worst verdict wins. */
static void
guard(const struct view *v, const struct view_slot *s, struct slot_facts *f)
{
	const struct matcher m = { v, s, NULL, NULL };
	int i, all;

	f->guard = AGE_SAFE;
	f->guard_at = 0;
	for (i = 0; i < v->nowners; i++) {
		enum ageing_verdict g;
		time_t at = 0;

		if (v->owners[i].nv == 0) {
			f->guard = AGE_NEVER;
			return;
		}
		g = owner_guard(&v->owners[i], v->host->timing.margin,
		    v->host->timing.ttl, 1, &m, &at, &all);
		if (g > f->guard)
			f->guard = g;
		if (g == AGE_SAFE && at > f->guard_at)
			f->guard_at = at;
	}
}

void
view_served_records(struct view *v, const struct tlsa_set *want,
    struct tlsa_set *out)
{
	STACK_OF(X509) *chain;
	size_t j;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < v->nslots; i++) {
		if (!v->slots[i].deployed_ok ||
		    (chain = view_deployed_chain(&v->slots[i])) == NULL)
			continue;
		for (j = 0; j < want->n; j++) {
			struct tlsa_set one = { 0 };
			int alone;

			tlsa_set_add(&one, &want->rr[j]);
			alone = tlsa_set_matches_chain(&one, chain);
			tlsa_set_free(&one);
			if (alone) {
				tlsa_set_add(out, &want->rr[j]);
				break;
			}
		}
	}
}

int
view_chain_safe(const struct view *v, STACK_OF(X509) *chain, time_t now)
{
	const struct matcher m = { v, NULL, chain, NULL };
	int i, all;

	for (i = 0; i < v->nowners; i++) {
		time_t at = 0;
		enum ageing_verdict g;

		if (v->owners[i].nv == 0)
			continue;
		g = owner_guard(&v->owners[i], v->host->timing.margin,
		    v->host->timing.ttl, 0, &m, &at, &all);
		if (!all && (g != AGE_SAFE || now < at))
			return 0;
	}
	return 1;
}

int
view_record_gone_at(const struct view *v, const char *spki, time_t *at)
{
	struct tlsa_set rec = { 0 };
	struct matcher m = { v, NULL, NULL, NULL };
	int i, all, gone = v->nowners > 0;

	*at = 0;
	add_spki(&rec, TLSA_USAGE_DANE_EE, spki);
	if (rec.n != 1)
		gone = 0;
	else
		m.lacks = &rec.rr[0];
	/* ageing_safe_at with "matches" meaning "lacks the record": the
	 * versions that hold it must have aged out of every cache. */
	for (i = 0; i < v->nowners && gone; i++) {
		time_t t = 0;

		if (v->owners[i].nv == 0 || owner_guard(&v->owners[i],
		    v->host->timing.margin, v->host->timing.ttl, 0, &m, &t,
		    &all) != AGE_SAFE)
			gone = 0;
		else if (t > *at)
			*at = t;
	}
	tlsa_set_free(&rec);
	return gone;
}

void
view_facts(const struct view *v, const struct view_slot *s, time_t now,
    struct slot_facts *f)
{
	int i;

	(void)now;
	memset(f, 0, sizeof(*f));
	f->has_current = s->has_current;
	f->has_next = s->has_next;
	f->next_lost = s->next_lost;
	if (s->deployed_unknown)
		f->deployed = DK_UNREADABLE;
	else if (!s->deployed_ok)
		f->deployed = DK_NONE;
	else if (s->has_current && strcmp(s->deployed_spki,
	    s->current.spki) == 0)
		f->deployed = DK_CURRENT;
	else if (s->has_next && strcmp(s->deployed_spki, s->next.spki) == 0)
		f->deployed = DK_NEXT;
	else
		f->deployed = DK_UNKNOWN;
	f->cert_not_after = s->deployed_not_after;
	f->current_since = s->current.current_since;
	f->force_roll = v->forced;

	/* Published: every owner's newest version is the wanted RRset and
	 * was sent (or found there at first contact). */
	f->published = 1;
	for (i = 0; i < v->nowners && f->published; i++) {
		const struct store_rrset *last = view_last(&v->owners[i]);
		struct tlsa_set set = { 0 };

		if (last == NULL || (!last->observed && last->published_at == 0))
			f->published = 0;
		else {
			(void)tlsa_set_parse(last->records, &set);
			f->published = tlsa_set_equal(&set, &v->want);
			tlsa_set_free(&set);
		}
	}
	guard(v, s, f);
	f->chain_staged = s->staged != NULL;
	f->hold_reason = s->hold;
	f->verified = s->slot.verified;
	f->failures = s->slot.failures;
	f->retry_at = s->slot.retry_at;
}

void
view_step(const struct view *v, time_t now, struct host_step *out)
{
	const struct slot_policy pol = view_policy(v->host);
	struct host_slot in[HOST_STEP_MAX_SLOTS];
	int i;

	for (i = 0; i < v->nslots; i++) {
		in[i].state = v->slots[i].slot.state;
		in[i].wake_at = v->slots[i].slot.wake_at;
		view_facts(v, &v->slots[i], now, &in[i].facts);
	}
	host_step(in, v->nslots, now, &pol, out);
}
