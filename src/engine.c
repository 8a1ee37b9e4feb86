/*
 * engine - runs the state machine against the world. See include/engine.h.
 *
 * The pattern of every side effect:
 *   1. one transaction: the slot's new state and the action, started;
 *   2. the side effect, through a backend (idempotent);
 *   3. one transaction: what it produced, the action finished.
 * A crash between 1 and 3 leaves an unfinished action that the next run
 * repeats; a crash before 1 leaves nothing to repeat.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cert.h"
#include "engine.h"
#include "fsutil.h"
#include "key.h"
#include "log.h"
#include "prune.h"
#include "view.h"

#define ENGINE_MAX_STEPS	64
#define OBSERVE_POLL		5	/* seconds between propagation polls, at most */
#define OBSERVE_POLL_FRESH_MS	500	/* ms between them while a change is fresh */

static void
crash_point(struct engine *e, const char *point)
{
	if (e->crash_point != NULL)
		e->crash_point(point);
}

static void
on_action(struct engine *e, enum slot_action a, int alg, time_t now,
    time_t until)
{
	if (e->on_action != NULL)
		e->on_action(a, alg, now, until);
}

int64_t
engine_backoff(const struct conf_timing *t, int failures)
{
	int64_t d = t->retry_min > 0 ? t->retry_min : 60;
	int i;

	for (i = 1; i < failures && d < t->retry_max; i++)
		d *= 2;
	return d < t->retry_max ? d : t->retry_max;
}

/* Records a failed action on a slot: count, back-off and the reason.
 * Returns when to try again. */
static time_t
failed(struct engine *e, const struct conf_host *h, struct view_slot *s,
    enum slot_action a, enum outcome o, time_t now)
{
	int n = s->slot.failures + 1;
	time_t retry = now + (time_t)engine_backoff(&h->timing, n);
	char why[1200], back[32];
	const char *err = log_last_error();

	snprintf(why, sizeof(why), "%s failed (%s): %s", slot_action_str(a),
	    outcome_str(o), *err ? err : "no reason given");
	if (store_begin(e->store) != 0 || store_end(e->store,
	    store_slot_set_failure(e->store, &s->slot, n, retry, o, why,
	    now) == 0 && store_event(e->store, now, h->name,
	    key_alg_str(s->alg), NULL, NULL, why) == 0) != 0)
		return retry;
	log_report(LOG_LVL_WARN, h->name, key_alg_str(s->alg),
	    "%s failed %d time%s; retrying in %s", slot_action_str(a), n,
	    n == 1 ? "" : "s",
	    util_fmt_duration((int64_t)(retry - now), back, sizeof(back)));
	return retry;
}

/*
 * A temporary failure that has lasted longer than tempfail_limit needs the
 * operator after all: said, and counted as one (exit 69), so that a unit
 * that treats 75 as success does not stay green for weeks. The slot backs
 * off and retries as before.
 */
static enum outcome
lasting(const struct conf_host *h, const struct view_slot *s, enum outcome o,
    time_t now)
{
	char d[32];

	if (o != OUT_TEMPFAIL || s->slot.failing_since == 0 ||
	    now - s->slot.failing_since < h->timing.tempfail_limit)
		return o;
	log_report(LOG_LVL_ERR, h->name, key_alg_str(s->alg), "failing for "
	    "%s, longer than tempfail_limit: this needs the operator (last "
	    "error: %s)", util_fmt_duration((int64_t)(now -
	    s->slot.failing_since), d, sizeof(d)), s->slot.last_error ?
	    s->slot.last_error : "none recorded");
	return OUT_PERMFAIL;
}

/*
 * When to ask the authoritative servers again (ms): every half second
 * while a change is fresh (most secondaries follow a NOTIFY within
 * seconds, and the ageing that follows counts from the poll that sees
 * it), then every 2 s, and every OBSERVE_POLL seconds for a long lag, so
 * that a secondary days behind is not asked twice a second.
 */
static int64_t
observe_poll(const struct view *v, int64_t now_ms)
{
	time_t now = (time_t)(now_ms / 1000), since = now;
	int i;

	for (i = 0; i < v->nowners; i++) {
		const struct store_rrset *r = view_last(&v->owners[i]);

		if (r != NULL && r->propagated_at == 0 && r->published_at != 0 &&
		    r->published_at < since)
			since = r->published_at;
	}
	if (now - since < 30)
		return now_ms + OBSERVE_POLL_FRESH_MS;
	if (now - since < 120)
		return now_ms + 2000;
	return now_ms + OBSERVE_POLL * 1000;
}

/* The earliest of the times to look again (ms; 0: none). */
static void
wake_by(struct engine_result *r, int64_t t_ms, int alg, const char *why)
{
	if (t_ms != 0 && (r->wake_ms == 0 || t_ms < r->wake_ms)) {
		r->wake_ms = t_ms;
		r->wake_at = util_ms_to_s_ceil(t_ms);
		r->wake_alg = alg;
		r->wake_reason = why;
	}
}

static int
succeeded(struct engine *e, struct view_slot *s)
{
	if (s->slot.failures == 0 && s->slot.retry_at == 0)
		return 0;
	return store_slot_set_failure(e->store, &s->slot, 0, 0, OUT_OK, NULL,
	    0);
}

/* Step 1 of the pattern: new state + action started, in one transaction. */
static int
begin_action(struct engine *e, const struct conf_host *h, struct view *v,
    struct view_slot *s, const struct slot_step *st, const char *detail,
    time_t now, int64_t *action_id)
{
	/* Until a deploy or rollback returns, the files may be new while
	 * the MTA, never reloaded, serves the old ones: a run that resumes
	 * after a crash must do it again rather than check what is live. */
	int reloads = st->action == ACT_DEPLOY || st->action == ACT_ROLLBACK;

	if (store_begin(e->store) != 0)
		return -1;
	return store_end(e->store, store_slot_set_state(e->store, &s->slot,
	    h->name, st->state, st->reason, now) == 0 &&
	    (!reloads || store_slot_set_verified(e->store, &s->slot,
	    VF_RELOAD_PENDING) == 0) &&
	    store_action_start(e->store, v->host_id, s->slot.id,
	    slot_action_str(st->action), detail, now, action_id) == 0);
}

static int
finish_action(struct engine *e, int64_t id, enum outcome o, time_t now)
{
	if (store_begin(e->store) != 0)
		return -1;
	return store_end(e->store, store_action_finish(e->store, id, o, now) ==
	    0);
}

static char *
host_key_dir(const struct engine *e, const struct conf_host *h)
{
	return xasprintf("%s/%s", e->conf->key_dir, h->name);
}

/* ADOPT: the key the configured files serve becomes the current key. */
static enum outcome
do_adopt(struct engine *e, const struct conf_host *h, struct view_slot *s,
    time_t now)
{
	EVP_PKEY *key = NULL;
	enum outcome o = OUT_PERMFAIL;

	if ((key = key_load_unchecked(s->key_path)) == NULL)
		goto done;
	if (view_deployed_chain(s) == NULL)
		goto done;
	if (!cert_matches_key(sk_X509_value(s->deployed_chain, 0), key)) {
		log_msg(LOG_LVL_ERR, h->name, key_alg_str(s->alg),
		    "%s and %s do not belong together: the deployed key is "
		    "not the certificate's key; refusing to adopt",
		    s->key_path, s->cert_path);
		goto done;
	}
	if (key_alg_of(key) != (int)s->alg) {
		log_msg(LOG_LVL_ERR, h->name, key_alg_str(s->alg),
		    "%s holds a key of another algorithm than %s",
		    s->key_path, key_alg_str(s->alg));
		goto done;
	}
	/* A store that cannot take the write now may later. */
	o = OUT_TEMPFAIL;
	if (store_begin(e->store) == 0 && store_end(e->store,
	    store_key_add(e->store, s->slot.id, "current", s->key_path,
	    s->deployed_spki, now, s->deployed_not_after, NULL) == 0 &&
	    store_event(e->store, now, h->name, key_alg_str(s->alg), NULL,
	    NULL, "adopted the deployed key as current") == 0) == 0)
		o = OUT_OK;
done:
	EVP_PKEY_free(key);
	return o;
}

/* GENERATE: a new key, written once under the key directory. */
static enum outcome
do_generate(struct engine *e, const struct conf_host *h, struct view *v,
    struct view_slot *s, const struct slot_step *st, time_t now)
{
	EVP_PKEY *key = NULL;
	char *dir = NULL, *path = NULL, spki[65];
	int64_t id = 0;
	enum outcome o = OUT_PERMFAIL;
	int pending;

	pending = store_action_unfinished(e->store, s->slot.id, "generate",
	    &id, &path);
	if (pending < 0)
		goto done;
	if (!pending) {
		dir = host_key_dir(e, h);
		if (fs_mkdirs(dir, 0700) != 0 ||
		    fs_check_private_dir(dir) != 0)
			goto done;
		path = xasprintf("%s/%s.%lld.key", dir, key_alg_str(s->alg),
		    (long long)now);
		if (begin_action(e, h, v, s, st, path, now, &id) != 0)
			goto done;
	} else
		dir = fs_dir_of(path);
	crash_point(e, "generate:before-write");
	if (fs_exists(path)) {
		/* A crashed run wrote it: use it, never replace a key. It
		 * must still be ours, under its own name, in directories
		 * no one else can change: key_load checks all of that. */
		if ((key = key_load(path)) == NULL)
			goto done;
	} else {
		/* A resumed action writes where it said it would, but only
		 * into a directory that is still ours alone. */
		if ((pending && fs_check_private_dir(dir) != 0) ||
		    (key = key_generate(s->alg)) == NULL)
			goto done;
		if (key_write_new(path, key, 0600, (uid_t)-1, (gid_t)-1) != 0)
			goto done;
	}
	crash_point(e, "generate:after-write");
	if (key_spki_hex(key, spki) != 0)
		goto done;
	if (store_begin(e->store) != 0 || store_end(e->store,
	    store_key_add(e->store, s->slot.id, "next", path, spki, now, 0,
	    NULL) == 0 && store_action_finish(e->store, id, OUT_OK, now) ==
	    0) != 0)
		goto done;
	log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(s->alg),
	    "generated the next key %s (3 1 1 %s)", path, spki);
	o = OUT_OK;
done:
	EVP_PKEY_free(key);
	free(dir);
	free(path);
	return o;
}

/* The names a certificate must cover: the host and every alias. */
static const char **
cert_names(const struct conf_host *h, int *n)
{
	const char **names = xcalloc((size_t)(1 + h->naliases),
	    sizeof(*names));
	int i;

	names[0] = h->name;
	for (i = 0; i < h->naliases; i++)
		names[i + 1] = h->aliases[i].name;
	*n = 1 + h->naliases;
	return names;
}

int
engine_chain_acceptable(const struct conf_host *h, enum key_alg alg,
    STACK_OF(X509) *chain, EVP_PKEY *key, const char *key_name,
    const char *path, time_t now)
{
	X509 *leaf = sk_X509_value(chain, 0);
	const char **names;
	int i, n, ok = 1;

	if (!cert_matches_key(leaf, key)) {
		log_msg(LOG_LVL_ERR, h->name, key_alg_str(alg),
		    "%s: the certificate is for another key than %s; "
		    "refused", path, key_name);
		return 0;
	}
	if (!cert_chain_well_formed(chain, path))
		return 0;
	if (cert_not_after(leaf) <= now) {
		log_msg(LOG_LVL_ERR, h->name, key_alg_str(alg),
		    "%s: the certificate has already expired; refused", path);
		return 0;
	}
	names = cert_names(h, &n);
	for (i = 0; i < n; i++)
		if (!cert_covers_name(leaf, names[i])) {
			log_msg(LOG_LVL_ERR, h->name, key_alg_str(alg),
			    "%s: the certificate does not cover %s; refused",
			    path, names[i]);
			ok = 0;
		}
	free(names);
	return ok;
}

/* ISSUE: CSR for the next key -> issuer -> checked chain, staged. */
static enum outcome
do_issue(struct engine *e, const struct conf_host *h, struct view *v,
    struct view_slot *s, const struct slot_step *st, time_t now)
{
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *chain = NULL;
	char *dir = NULL, *csr_path = NULL, *out = NULL, *staged = NULL;
	char *csr = NULL;
	const char **names = NULL;
	int64_t id = 0;
	int n;
	enum outcome o = OUT_PERMFAIL;

	if (e->be->issuer == NULL) {
		log_msg(LOG_LVL_ERR, h->name, key_alg_str(s->alg),
		    "no ACME issuer backend in this build; cannot request a "
		    "certificate");
		goto done;
	}
	dir = host_key_dir(e, h);
	csr_path = xasprintf("%s/%s.%lld.csr", dir, key_alg_str(s->alg),
	    (long long)s->next.id);
	out = xasprintf("%s/%s.%lld.issued.pem", dir, key_alg_str(s->alg),
	    (long long)s->next.id);
	staged = xasprintf("%s/%s.%lld.chain.pem", dir, key_alg_str(s->alg),
	    (long long)s->next.id);
	if ((key = key_load(s->next.path)) == NULL)
		goto done;
	names = cert_names(h, &n);
	if ((csr = csr_make_pem(key, names, n)) == NULL ||
	    fs_write_atomic(csr_path, csr, strlen(csr), 0644, (uid_t)-1,
	    (gid_t)-1) != 0)
		goto done;
	if (begin_action(e, h, v, s, st, csr_path, now, &id) != 0)
		goto done;
	crash_point(e, "issue:before-hook");
	o = e->be->issuer->issue(e->conf, h, s->alg, csr_path, out);
	if (o != OUT_OK)
		goto finish;
	crash_point(e, "issue:after-hook");
	o = OUT_PERMFAIL;
	if ((chain = cert_load_chain(out)) == NULL ||
	    !engine_chain_acceptable(h, s->alg, chain, key,
	    "the pre-published next key", out, now))
		goto finish;
	/* Only a checked chain gets the name the store points at. */
	{
		char *pem = cert_chain_to_pem(chain);
		int w = fs_write_atomic(staged, pem, strlen(pem), 0644,
		    (uid_t)-1, (gid_t)-1);

		free(pem);
		if (w != 0)
			goto finish;
	}
	if (store_begin(e->store) != 0 || store_end(e->store,
	    store_key_set_chain(e->store, s->next.id, staged,
	    cert_not_after(sk_X509_value(chain, 0))) == 0 &&
	    store_action_finish(e->store, id, OUT_OK, now) == 0) != 0)
		goto finish;
	log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(s->alg),
	    "certificate issued for the next key, staged as %s", staged);
	o = OUT_OK;
	goto done;
finish:
	(void)finish_action(e, id, o, now);
done:
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	free(names);
	free(csr);
	free(dir);
	free(csr_path);
	free(out);
	free(staged);
	return o;
}

/* DEPLOY, VERIFY and ROLLBACK: one backend call each, recorded. */
static enum outcome
do_backend(struct engine *e, const struct conf_host *h, struct view *v,
    struct view_slot *s, const struct slot_step *st, time_t now)
{
	const char *alg = key_alg_str(s->alg);
	enum outcome o = OUT_PERMFAIL;
	int64_t id = 0;

	if ((st->action == ACT_VERIFY && e->be->verifier == NULL) ||
	    (st->action != ACT_VERIFY && e->be->deployer == NULL)) {
		log_msg(LOG_LVL_ERR, h->name, alg, "no %s backend in this "
		    "build; cannot %s", st->action == ACT_VERIFY ? "verifier" :
		    "deployer", slot_action_str(st->action));
		return OUT_PERMFAIL;
	}
	if (begin_action(e, h, v, s, st, NULL, now, &id) != 0)
		return OUT_TEMPFAIL;
	switch (st->action) {
	case ACT_DEPLOY:
		crash_point(e, "deploy:before");
		o = e->be->deployer->deploy(e->conf, h, s->alg, s->next.path,
		    s->next.chain_path);
		crash_point(e, "deploy:after");
		if (o == OUT_OK)
			(void)store_slot_set_verified(e->store, &s->slot,
			    VF_UNKNOWN);
		break;
	case ACT_ROLLBACK:
		crash_point(e, "rollback:before");
		o = e->be->deployer->rollback(e->conf, h, s->alg);
		crash_point(e, "rollback:after");
		if (o == OUT_OK)
			(void)store_slot_set_verified(e->store, &s->slot,
			    VF_UNKNOWN);
		break;
	case ACT_VERIFY:
		if (st->state == SLOT_VERIFYING) {
			/* The new chain must be what is served: proven
			 * against the RRset PROMOTE leaves behind. */
			struct tlsa_set after;

			view_promote_set(v, s, &after);
			o = e->be->verifier->verify(e->conf, h, s->alg, &after);
			tlsa_set_free(&after);
		} else
			o = e->be->verifier->verify(e->conf, h, s->alg,
			    &v->want);
		/*
		 * Right after a deploy, a mismatch may only mean that the
		 * MTA has not finished reloading (Postfix's running smtpd
		 * processes keep the old chain a moment): check again after
		 * the back-off, and roll back only when it persists. Safe:
		 * both records stay published, and PROMOTE needs VF_OK.
		 */
		if (o == OUT_PERMFAIL && st->state == SLOT_VERIFYING &&
		    s->slot.failures + 1 < view_policy(h).verify_attempts) {
			log_msg(LOG_LVL_WARN, h->name, key_alg_str(s->alg),
			    "the new chain is not served everywhere yet; "
			    "checking again before rolling back");
			o = OUT_TEMPFAIL;
		}
		if (o == OUT_OK || o == OUT_PERMFAIL)
			(void)store_slot_set_verified(e->store, &s->slot,
			    o == OUT_OK ? VF_OK : VF_FAILED);
		if (o == OUT_PERMFAIL) {
			(void)finish_action(e, id, o, now);
			/* A definite mismatch is a fact, not a failure to
			 * retry: the machine rolls back next. */
			return OUT_OK;
		}
		break;
	default:
		break;
	}
	(void)finish_action(e, id, o, now);
	return o;
}

/* PROMOTE: next becomes current, the old key retires; one transaction. */
static enum outcome
do_promote(struct engine *e, const struct conf_host *h, struct view *v,
    struct view_slot *s, const struct slot_step *st, time_t now)
{
	if (store_begin(e->store) != 0 || store_end(e->store,
	    store_slot_set_state(e->store, &s->slot, h->name, st->state,
	    st->reason, now) == 0 &&
	    store_key_promote(e->store, s->slot.id, now) == 0 &&
	    store_slot_set_verified(e->store, &s->slot, VF_UNKNOWN) == 0 &&
	    store_host_force(e->store, v->host_id, 0) == 0) != 0)
		return OUT_TEMPFAIL;
	crash_point(e, "promote:after");
	return OUT_OK;
}

/*
 * The last line of defence before DNS changes: every chain a slot serves
 * must match the RRset about to be published.
 */
static int
publish_safe(struct view *v)
{
	int i;

	if (view_unknown_slot(v) != NULL)
		return 0;	/* said by engine_host */
	for (i = 0; i < v->nslots; i++) {
		struct view_slot *s = &v->slots[i];

		if (s->deployed_ok && (view_deployed_chain(s) == NULL ||
		    !tlsa_set_matches_chain(&v->want, s->deployed_chain))) {
			log_msg(LOG_LVL_ERR, v->host->name, key_alg_str(s->alg),
			    "refusing to publish: the chain served from %s "
			    "matches no record of the new RRset",
			    s->cert_path);
			return 0;
		}
	}
	return 1;
}

/* Does DNS hold a TLSA RRset at any owner of the host, as last known? */
static int
dns_has_records(const struct view *v)
{
	struct tlsa_set set;
	int i, has = 0;

	for (i = 0; i < v->nowners && !has; i++) {
		view_last_set(&v->owners[i], &set);
		has = set.n > 0;
		tlsa_set_free(&set);
	}
	return has;
}

/*
 * The publish guard's live half, run once before DNS changes: what every
 * address serves, learned over STARTTLS, must match the RRset about to be
 * published. A chain served that it does not match refuses (PERMFAIL). If
 * nothing can be learned live, the files say what is served; where they
 * hold nothing while DNS publishes records, what is served is unknown,
 * and nothing is published (TEMPFAIL: the MTA may come back).
 */
static enum outcome
publish_live_safe(struct engine *e, struct view *v)
{
	const struct backend_verifier *vf = e->be->verifier;
	int i;

	for (i = 0; vf != NULL && vf->probe != NULL && i < v->nslots; i++) {
		struct view_slot *s = &v->slots[i];
		enum outcome o = vf->probe(e->conf, v->host, s->alg, &v->want);

		if (o == OUT_OK || (o != OUT_PERMFAIL && (s->deployed_ok ||
		    !dns_has_records(v))))
			continue;
		log_msg(LOG_LVL_ERR, v->host->name, key_alg_str(s->alg), "%s",
		    o == OUT_PERMFAIL ? "refusing to publish: a chain served "
		    "live would fail the new RRset (point the host's files at "
		    "what the MTA serves, so that daneroll adopts it)" :
		    "refusing to publish: no certificate is deployed in the "
		    "configured files and none could be learned live, while "
		    "DNS publishes a TLSA RRset: what is served is unknown");
		return o == OUT_PERMFAIL ? OUT_PERMFAIL : OUT_TEMPFAIL;
	}
	return OUT_OK;
}

/* First contact with an owner: record what it serves as version 0, so
 * that ageing accounts for resolvers still holding it. */
static enum outcome
record_first_contact(struct engine *e, const struct view *v,
    const struct view_owner *o, time_t now)
{
	struct obs_report rep;
	struct tlsa_set none = { 0 };
	char *records = NULL;
	int64_t id, at_ms;
	enum outcome r;
	int i;

	memset(&rep, 0, sizeof(rep));
	r = e->be->observer->observe(e->conf, v->host, o->name, &none, &rep);
	if (r != OUT_OK && r != OUT_PENDING)
		goto done;
	/* What an address that did not answer serves is unknown, not "no
	 * RRset": version 0 must hold what resolvers may have cached. */
	for (i = 0; i < rep.nservers; i++) {
		enum obs_result x = rep.servers[i].result;

		if ((x != OBS_UNREACHABLE && x != OBS_REFUSED &&
		    x != OBS_LAME) || (x == OBS_UNREACHABLE &&
		    v->host->ignore_unreachable_ipv6 &&
		    strchr(rep.servers[i].addr, ':') != NULL))
			continue;
		log_msg(LOG_LVL_WARN, v->host->name, NULL, "%s: what %s (%s) "
		    "serves is unknown (%s): nothing is changed until every "
		    "address answers", o->name, rep.servers[i].addr,
		    rep.servers[i].ns, obs_result_str(x));
		r = OUT_TEMPFAIL;
		goto done;
	}
	if (rep.nservers == 0) {
		r = OUT_TEMPFAIL;
		goto done;
	}
	at_ms = util_now_ms();	/* as in do_observe */
	now = util_ms_to_s_ceil(at_ms);
	records = tlsa_set_format(&rep.served);
	r = OUT_TEMPFAIL;
	if (store_begin(e->store) != 0 || store_end(e->store,
	    store_rrset_add(e->store, o->id, 1, rep.any_tlsa ? records : "",
	    rep.any_tlsa ? rep.served_ttl : 0, rep.neg_ttl, now, &id) == 0 &&
	    store_rrset_propagated(e->store, id, at_ms, rep.neg_ttl) == 0) !=
	    0)
		goto done;
	log_msg(LOG_LVL_INFO, v->host->name, NULL, "%s serves %s today",
	    o->name, rep.any_tlsa ? "a TLSA RRset" : "no TLSA RRset");
	r = OUT_OK;
done:
	free(records);
	obs_report_free(&rep);
	return r;
}

/* PUBLISH: the wanted RRset at every owner name, one update each. */
static enum outcome
do_publish(struct engine *e, struct view *v, time_t now)
{
	char *want = tlsa_set_format(&v->want);
	struct tlsa_set served;
	enum outcome o = OUT_OK;
	int i, probed = 0;

	if (!publish_safe(v)) {
		free(want);
		return OUT_PERMFAIL;
	}
	view_served_records(v, &v->want, &served);
	for (i = 0; i < v->nowners && o == OUT_OK; i++) {
		struct view_owner *ow = &v->owners[i];
		const struct backend_publisher *pub;
		const struct store_rrset *last = view_last(ow);
		struct publish_req req;
		struct tlsa_set prev = { 0 };
		int64_t id;
		int resend;

		if (last != NULL && strcmp(last->records, want) == 0 &&
		    (last->observed || last->published_at != 0))
			continue;
		pub = backend_publisher_for(e->be, ow->publisher->type);
		if (pub == NULL || e->be->observer == NULL) {
			log_msg(LOG_LVL_ERR, v->host->name, NULL, "%s: no %s "
			    "backend in this build; cannot publish",
			    ow->name, pub == NULL ? ow->publisher->type :
			    "propagation observer");
			o = OUT_PERMFAIL;
			break;
		}
		if (last == NULL) {
			o = record_first_contact(e, v, ow, now);
			if (o != OUT_OK)
				break;
			/* The new version comes after version 0. */
			store_rrsets_free(ow->v, ow->nv);
			if (store_rrsets(e->store, ow->id, &ow->v, &ow->nv) != 0) {
				o = OUT_TEMPFAIL;
				break;
			}
			last = view_last(ow);
			if (strcmp(last->records, want) == 0)
				continue;
		}
		/* Before anything is recorded: a refusal changes nothing. */
		if (!probed++ && (o = publish_live_safe(e, v)) != OUT_OK)
			break;
		o = OUT_TEMPFAIL;
		/* A crashed run's version is sent again, not added. */
		resend = !last->observed && last->published_at == 0 &&
		    strcmp(last->records, want) == 0;
		if (resend)
			id = last->id;
		if (store_begin(e->store) != 0 || store_end(e->store, resend ||
		    store_rrset_add(e->store, ow->id, 0, want,
		    v->host->timing.ttl, last->neg_ttl, now, &id) == 0) != 0)
			break;
		crash_point(e, "publish:before-send");
		view_last_set(ow, &prev);
		req.owner = ow->name;
		req.ttl = v->host->timing.ttl;
		req.prev = &prev;
		req.want = &v->want;
		req.served = &served;
		o = pub->replace(e->conf, ow->publisher, &req);
		tlsa_set_free(&prev);
		if (o != OUT_OK)
			break;
		crash_point(e, "publish:after-send");
		if (store_begin(e->store) != 0 || store_end(e->store,
		    store_rrset_published(e->store, id, now) == 0 &&
		    store_event(e->store, now, v->host->name, NULL, NULL, NULL,
		    "published the TLSA RRset") == 0) != 0) {
			o = OUT_TEMPFAIL;
			break;
		}
		log_msg(LOG_LVL_NOTICE, v->host->name, NULL, "published %zu "
		    "record%s at %s", v->want.n, v->want.n == 1 ? "" : "s",
		    ow->name);
	}
	tlsa_set_free(&served);
	free(want);
	return o;
}

/* OBSERVE: have all addresses caught up with the newest version? */
static enum outcome
do_observe(struct engine *e, struct view *v, time_t now, int *changed)
{
	enum outcome o = OUT_OK;
	int64_t neg_ttl;
	int i, j, ok, all, n;

	*changed = 0;
	if (e->be->observer == NULL) {
		log_msg(LOG_LVL_ERR, v->host->name, NULL, "no propagation "
		    "observer in this build; cannot prove propagation");
		return OUT_PERMFAIL;
	}
	for (i = 0; i < v->nowners; i++) {
		const struct view_owner *ow = &v->owners[i];
		const struct store_rrset *last = view_last(ow);
		struct tlsa_set want = { 0 };
		struct obs_report rep;
		enum outcome r;
		int64_t at_ms;

		if (last == NULL || last->propagated_at != 0)
			continue;
		memset(&rep, 0, sizeof(rep));
		(void)tlsa_set_parse(last->records, &want);
		r = e->be->observer->observe(e->conf, v->host, ow->name, &want,
		    &rep);
		tlsa_set_free(&want);
		if (r != OUT_OK && r != OUT_PENDING) {
			obs_report_free(&rep);
			o = r;
			continue;
		}
		/* What was seen holds from the end of the observation on,
		 * not from the start of the run: queries take time. In
		 * milliseconds, rounded up (the deploy guard's input). */
		at_ms = util_now_ms();
		now = util_ms_to_s_ceil(at_ms);
		if (store_begin(e->store) != 0) {
			obs_report_free(&rep);
			return OUT_TEMPFAIL;
		}
		ok = 1;
		for (j = 0; j < rep.nservers; j++) {
			const struct obs_server *sv = &rep.servers[j];

			ok = ok && store_observation(e->store, last->id,
			    sv->addr, sv->ns, obs_result_str(sv->result),
			    sv->serial, at_ms) == 0;
			if (sv->result != OBS_MATCH)
				log_msg(LOG_LVL_NOTICE, v->host->name, NULL,
				    "%s: waiting for %s (%s): %s", ow->name,
				    sv->addr, sv->ns,
				    obs_result_str(sv->result));
		}
		all = rep.all_match && rep.nservers > 0;
		n = rep.nservers;
		neg_ttl = rep.neg_ttl;
		obs_report_free(&rep);
		/* Served everywhere guards the deploy: only what was stored
		 * counts, and is said. */
		if (store_end(e->store, ok && (!all ||
		    (store_rrset_propagated(e->store, last->id, at_ms,
		    neg_ttl) == 0 && store_event(e->store, now, v->host->name,
		    NULL, NULL, NULL, "every authoritative address serves "
		    "the RRset") == 0))) != 0)
			return OUT_TEMPFAIL;
		if (all) {
			log_msg(LOG_LVL_NOTICE, v->host->name, NULL, "%s: all "
			    "%d authoritative addresses serve the RRset",
			    ow->name, n);
			*changed = 1;
		}
	}
	return o;
}

/* Stores what was parsed from the deployed files, for the next run. A
 * key that appeared there behind daneroll's back is said, and kept in
 * the event log: a renewal due at once may replace it in this very run,
 * and the operator must still learn that something else writes there. */
static void
remember_deployed(struct engine *e, struct view *v, time_t now)
{
	struct slot_facts f;
	char why[256];
	int i;

	for (i = 0; i < v->nslots && !e->dry_run; i++) {
		struct view_slot *s = &v->slots[i];

		if (!s->deployed_parsed)
			continue;
		if (store_slot_set_deployed(e->store, &s->slot,
		    s->deployed_sig, s->deployed_spki,
		    s->deployed_not_after) != 0)
			return;
		view_facts(v, s, now, &f);
		if (!f.has_current || f.deployed != DK_UNKNOWN)
			continue;
		snprintf(why, sizeof(why), "%s now holds a key daneroll did "
		    "not publish (3 1 1 %s): something else writes the "
		    "deployed files", s->cert_path, s->deployed_spki);
		log_msg(LOG_LVL_ERR, v->host->name, key_alg_str(s->alg), "%s",
		    why);
		(void)store_event(e->store, now, v->host->name,
		    key_alg_str(s->alg), NULL, NULL, why);
	}
}

/*
 * Re-dates to now what view_redate_at() found recorded ahead of the clock,
 * with an event saying so. 1 if anything was re-dated (reload the view).
 */
static int
redate_future(struct engine *e, const struct view *v, time_t now)
{
	const struct conf_host *h = v->host;
	const time_t retry_after = view_retry_limit(v, now);
	char when[64], d[32], why[512];
	int n;
	time_t t = view_redate_at(v, now);

	if (t == 0)
		return 0;
	snprintf(why, sizeof(why), "a time is recorded at %s, %s from now: "
	    "the clock went back, or was ahead then", util_fmt_time(t, when,
	    sizeof(when)), util_fmt_duration((int64_t)(t - now), d,
	    sizeof(d)));
	if (e->dry_run) {
		log_msg(LOG_LVL_WARN, h->name, NULL, "%s; a run re-dates it to "
		    "now", why);
		return 0;
	}
	if (store_begin(e->store) != 0 || store_end(e->store,
	    (n = store_redate_future(e->store, v->host_id, now,
	    now + VIEW_FUTURE_SLACK, retry_after)) >= 0 &&
	    store_event(e->store, now, h->name, NULL, NULL, NULL, why) == 0) !=
	    0)
		return 0;
	log_msg(LOG_LVL_WARN, h->name, NULL, "%s; %d recorded time%s re-dated "
	    "to now: ageing counts again from now", why, n, n == 1 ? "" : "s");
	return n > 0;
}

/*
 * With -v, what a slot waits for and until when. A back-off is said
 * without -v, with its cause: a run during it reports the failure that
 * caused it (and exits with its code), so that a timer or cron job does
 * not look healthy while a host waits for its operator.
 */
static void
say_waiting(const struct conf_host *h, const struct view_slot *s,
    const struct slot_step *st)
{
	char tb[32];
	int backoff = s->slot.retry_at != 0 && st->wake_at == s->slot.retry_at;

	log_report(backoff ? LOG_LVL_WARN : LOG_LVL_INFO, h->name,
	    key_alg_str(s->alg), "%s%s%s%s%s%s",
	    st->reason, st->wake_at ? " (until " : "", st->wake_at ?
	    util_fmt_time(st->wake_at, tb, sizeof(tb)) : "",
	    st->wake_at ? ")" : "", backoff && s->slot.last_error ?
	    "; last error: " : "", backoff && s->slot.last_error ?
	    s->slot.last_error : "");
	if (backoff)
		log_msg(LOG_LVL_INFO, h->name, key_alg_str(s->alg), "fixed "
		    "the cause? `daneroll roll --resume %s` retries at the "
		    "next run", h->name);
}

/*
 * Discards each next key the host step gives up (its file is gone), so
 * that a new one is generated and published in its place. 1 if one was
 * dropped (reload the view).
 */
static int
drop_lost_next(struct engine *e, struct view *v, const struct host_step *hs,
    time_t now)
{
	const struct conf_host *h = v->host;
	char why[600];
	int i, n = 0;

	for (i = 0; i < v->nslots && !e->dry_run; i++) {
		struct view_slot *s = &v->slots[i];

		if (!(hs->lost_next & (1u << i)))
			continue;
		snprintf(why, sizeof(why), "the next key's file %s is missing "
		    "(3 1 1 %s, never deployed): discarded; a new next key "
		    "replaces it", s->next.path, s->next.spki);
		if (store_begin(e->store) != 0 || store_end(e->store,
		    store_key_set_role(e->store, s->next.id, "discarded",
		    now) == 0 &&
		    store_slot_set_failure(e->store, &s->slot, 0, 0, OUT_OK,
		    NULL, 0) == 0 &&
		    store_event(e->store, now, h->name, key_alg_str(s->alg),
		    NULL, NULL, why) == 0) != 0)
			return 0;
		log_msg(LOG_LVL_ERR, h->name, key_alg_str(s->alg), "%s", why);
		n++;
	}
	return n > 0;
}

static void
worse(struct engine_result *r, enum outcome o)
{
	if (o > r->outcome)
		r->outcome = o;
}

/* Runs one slot-local action; returns its outcome. */
static enum outcome
slot_action(struct engine *e, const struct conf_host *h, struct view *v,
    struct view_slot *s, const struct slot_step *st, time_t now)
{
	int64_t id = 0;
	enum outcome o;

	switch (st->action) {
	case ACT_ADOPT:
		if (begin_action(e, h, v, s, st, s->cert_path, now, &id) != 0)
			return OUT_TEMPFAIL;
		o = do_adopt(e, h, s, now);
		(void)finish_action(e, id, o, now);
		return o;
	case ACT_GENERATE:
		return do_generate(e, h, v, s, st, now);
	case ACT_ISSUE:
		return do_issue(e, h, v, s, st, now);
	case ACT_PROMOTE:
		return do_promote(e, h, v, s, st, now);
	default:
		return do_backend(e, h, v, s, st, now);
	}
}

/* At rest for this run: retired keys nothing can need leave the disk. */
static void
prune_host(struct engine *e, const struct view *v, time_t now,
    struct engine_result *res)
{
	enum outcome o;
	int i;

	for (i = 0; i < v->nslots; i++) {
		log_clear_error();
		o = prune_slot(e->store, e->be->deployer, e->conf, v,
		    &v->slots[i], now);
		if (o != OUT_OK && o != OUT_PENDING)
			res->failed_algs |= 1u << v->slots[i].alg;
		worse(res, o);
	}
}

int
engine_due(struct engine *e, const struct conf_host *h, time_t now,
    struct engine_result *res)
{
	const struct store_rrset *r;
	struct host_step hs = { .nslots = 0 };
	struct view v;
	int i, o, due = 0;

	memset(res, 0, sizeof(*res));
	if (view_load(e->store, h, now, 0, &v) != 0 || v.host_id == 0 ||
	    view_unknown_slot(&v) != NULL || v.clock_ahead > 0 ||
	    view_future_rrset(&v, now, &o, &r) != 0 || v.ca_change[0] != '\0')
		due = 1;
	else {
		view_step(&v, now, &hs);
		/* Anything to do, record, report or drop is engine_host's. */
		due = host_step_due(&hs);
		res->busy = hs.busy;
	}
	for (i = 0; i < v.nslots && !due; i++) {
		struct view_slot *s = &v.slots[i];

		due = s->slot.id == 0 || s->deployed_parsed ||
		    prune_due(e->store, &v, s, now) != 0;
		wake_by(res, (int64_t)hs.step[i].wake_at * 1000, (int)s->alg,
		    hs.step[i].reason);
	}
	view_free(&v);
	return due;
}

/* What one pass over a host's slots found, and what was said. */
struct host_pass {
	unsigned	 alerted;	/* slots whose alert was said, by alg bit */
	unsigned	 waiting;	/* slots whose wait was said (-v) */
	int		 progress;	/* a slot's action succeeded */
};

/* The slots of a host step's mask, as algorithm bits. */
static unsigned
alg_bits(const struct view *v, unsigned mask)
{
	unsigned bits = 0;
	int i;

	for (i = 0; i < v->nslots; i++)
		if (mask & (1u << i))
			bits |= 1u << v->slots[i].alg;
	return bits;
}

/*
 * Loads the host's view for one pass: 1 ready; 0 the view was changed
 * (a future time re-dated, a lost next key dropped) and must be loaded
 * again; -1 stop here (the store failed, or what is served is unknown).
 * Said once a run: the CA change and the clock that ran ahead.
 */
static int
host_load(struct engine *e, const struct conf_host *h, int iter,
    time_t now, struct view *v, struct host_step *hs,
    struct engine_result *res)
{
	const struct view_slot *unk;
	int again;

	if (view_load(e->store, h, now, !e->dry_run, v) != 0) {
		view_free(v);
		worse(res, OUT_TEMPFAIL);
		res->failed_algs = ~0u;
		return -1;
	}
	remember_deployed(e, v, now);
	if ((unk = view_unknown_slot(v)) != NULL) {
		/* Fail closed: unknown is not "none". */
		log_msg(LOG_LVL_ERR, h->name, key_alg_str(unk->alg),
		    "%s: what this host serves is unknown; no DNS "
		    "change and no deploy until it can be read",
		    unk->deployed_error);
		res->alert = ALERT_CRITICAL;
		res->critical_algs = ~0u;
		res->stuck = 1;
		view_free(v);
		return -1;
	}
	view_step(v, now, hs);
	if (iter > 0)
		return 1;
	if (v->ca_change[0] != '\0')
		log_msg(LOG_LVL_NOTICE, h->name, NULL, "the new "
		    "certificate comes from a CA no pin names (%s): "
		    "its \"2 1 1\" record is published and ages "
		    "before the deploy (issuer_follow)", v->ca_change);
	if (v->clock_ahead > 0) {
		char d[32];

		log_msg(LOG_LVL_WARN, h->name, NULL, "the wall clock "
		    "ran %s ahead of the boot clock since the RRset "
		    "was served everywhere (it was set forward): "
		    "ageing counts on the boot clock",
		    util_fmt_duration(v->clock_ahead, d, sizeof(d)));
	}
	again = redate_future(e, v, now);
	again |= drop_lost_next(e, v, hs, now);
	if (again) {
		view_free(v);
		return 0;
	}
	return 1;
}

/* A slot with nothing to do: its wake, its lasting failure, and its
 * state and wake recorded if they changed. */
static void
slot_idle(struct engine *e, const struct conf_host *h, struct view_slot *s,
    const struct slot_step *st, time_t now, struct host_pass *p,
    struct engine_result *res)
{
	wake_by(res, (int64_t)st->wake_at * 1000, (int)s->alg, st->reason);
	if (!(p->waiting & (1u << s->alg))) {
		p->waiting |= 1u << s->alg;
		say_waiting(h, s, st);
	}
	if (st->wake_at != 0 && st->wake_at == s->slot.retry_at) {
		worse(res, lasting(h, s, s->slot.last_outcome, now));
		res->failed_algs |= 1u << s->alg;
	}
	if (e->dry_run || (s->slot.state == st->state &&
	    s->slot.wake_at == st->wake_at))
		return;
	on_action(e, ACT_NONE, (int)s->alg, now, st->wake_at);
	if (store_begin(e->store) != 0 || store_end(e->store,
	    store_slot_set_state(e->store, &s->slot, h->name, st->state,
	    st->reason, now) == 0 &&
	    store_slot_set_wake(e->store, &s->slot, st->wake_at) == 0) != 0) {
		worse(res, OUT_TEMPFAIL);
		res->failed_algs |= 1u << s->alg;
	}
}

/* Slot i's part of the host step: its alert said once a run, then its
 * own action run (the host-wide publish or observe is host_shared's). */
static void
slot_pass(struct engine *e, const struct conf_host *h, struct view *v,
    const struct host_step *hs, int i, time_t now, struct host_pass *p,
    struct engine_result *res)
{
	struct view_slot *s = &v->slots[i];
	const struct slot_step st = hs->step[i];
	enum outcome o;

	/* Said once a run, whatever the step does about it. */
	if (st.alert != ALERT_NONE && st.alert_reason != NULL &&
	    !(p->alerted & (1u << s->alg))) {
		p->alerted |= 1u << s->alg;
		log_msg(st.alert == ALERT_CRITICAL ? LOG_LVL_ERR :
		    LOG_LVL_WARN, h->name, key_alg_str(s->alg), "%s",
		    st.alert_reason);
	}
	if (st.action == ACT_NONE) {
		slot_idle(e, h, s, &st, now, p, res);
		return;
	}
	if (e->dry_run) {
		log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(s->alg),
		    "would %s: %s (dry run)", slot_action_str(st.action),
		    st.reason);
		return;
	}
	if (!(hs->local & (1u << i)))
		return;
	log_clear_error();
	on_action(e, st.action, (int)s->alg, now, 0);
	o = slot_action(e, h, v, s, &st, now);
	if (o == OUT_OK) {
		(void)succeeded(e, s);
		p->progress = 1;
		return;
	}
	/* run --wait must wake for the retry, not for another slot's
	 * far-off renewal. */
	wake_by(res, (int64_t)failed(e, h, s, st.action, o, now) * 1000,
	    (int)s->alg, "backing off after a failure");
	worse(res, lasting(h, s, o, now));
	res->failed_algs |= 1u << s->alg;
}

/* The host-wide publish or observe of the host step, once for all
 * owners, and its outcome for each slot that asked for it. */
static void
host_shared(struct engine *e, const struct conf_host *h, struct view *v,
    const struct host_step *hs, time_t now, struct host_pass *p,
    struct engine_result *res)
{
	enum outcome o;
	int i, changed = 0;

	log_clear_error();
	on_action(e, hs->shared, -1, now, 0);
	if (hs->shared == ACT_PUBLISH)
		o = do_publish(e, v, now);
	else
		o = do_observe(e, v, now, &changed);
	for (i = 0; i < v->nslots; i++) {
		struct view_slot *s = &v->slots[i];
		const struct slot_step st = hs->step[i];

		if (!(hs->sharing & (1u << i)))
			continue;
		if (o == OUT_OK) {
			if (store_begin(e->store) == 0)
				(void)store_end(e->store, store_slot_set_state(
				    e->store, &s->slot, h->name, st.state,
				    st.reason, now) == 0);
			(void)succeeded(e, s);
		} else if (o != OUT_PENDING) {
			wake_by(res, (int64_t)failed(e, h, s, st.action, o,
			    now) * 1000, (int)s->alg,
			    "backing off after a failure");
			worse(res, lasting(h, s, o, now));
			res->failed_algs |= 1u << s->alg;
		}
	}
	if (o == OUT_OK && (hs->shared == ACT_PUBLISH || changed))
		p->progress = 1;
	else if (o == OUT_OK || o == OUT_PENDING)
		/* From the observation's end: it takes its time. */
		wake_by(res, observe_poll(v, util_now_ms()), -1, "waiting "
		    "until every authoritative address serves the RRset");
	else
		worse(res, o);
}

void
engine_host(struct engine *e, const struct conf_host *h,
    struct engine_result *res)
{
	struct host_pass p = { 0, 0, 0 };
	int iter;

	memset(res, 0, sizeof(*res));
	for (iter = 0; iter < ENGINE_MAX_STEPS; iter++) {
		time_t now = util_now();
		struct host_step hs;
		struct view v;
		int i, ready;

		res->wake_at = 0;
		res->wake_ms = 0;
		res->wake_reason = NULL;
		res->busy = 0;
		res->alert = ALERT_NONE;
		res->critical_algs = 0;
		if ((ready = host_load(e, h, iter, now, &v, &hs, res)) < 0)
			return;
		if (ready == 0)
			continue;
		res->alert = hs.alert;
		res->critical_algs = alg_bits(&v, hs.critical);
		res->busy = hs.busy;
		res->stuck |= hs.stuck;
		p.progress = 0;
		for (i = 0; i < v.nslots; i++)
			slot_pass(e, h, &v, &hs, i, now, &p, res);
		/* After the slots' own actions, which may change the RRset:
		 * one that succeeded steps the host again first. */
		if (!p.progress && hs.shared != ACT_NONE && !e->dry_run)
			host_shared(e, h, &v, &hs, now, &p, res);
		if (!p.progress && !e->dry_run)
			prune_host(e, &v, now, res);
		view_free(&v);
		if (!p.progress)
			return;
	}
	log_msg(LOG_LVL_WARN, h->name, NULL, "still busy after %d steps; "
	    "continuing on the next run", ENGINE_MAX_STEPS);
}
