/*
 * intake - certificates renewed by an ACME client on its own. See
 * include/intake.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ageing.h"
#include "cert.h"
#include "engine.h"
#include "fsutil.h"
#include "intake.h"
#include "key.h"
#include "log.h"
#include "view.h"

void
intake_files_free(struct intake_files *f)
{
	free(f->domain);
	free(f->key_path);
	free(f->chain_path);
	memset(f, 0, sizeof(*f));
}

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? xstrdup(v) : NULL;
}

int
intake_from_client(int argc, char **argv, struct intake_files *f)
{
	char *lineage;

	memset(f, 0, sizeof(*f));
	if (argc >= 5 && strcmp(argv[0], "deploy_cert") == 0) {
		/* dehydrated: deploy_cert DOMAIN KEY CERT FULLCHAIN CHAIN TS */
		f->domain = xstrdup(argv[1]);
		f->key_path = xstrdup(argv[2]);
		f->chain_path = xstrdup(argv[4]);
	} else if ((lineage = env_dup("RENEWED_LINEAGE")) != NULL) {
		/* certbot --deploy-hook */
		f->domain = env_dup("RENEWED_DOMAINS");
		f->key_path = xasprintf("%s/privkey.pem", lineage);
		f->chain_path = xasprintf("%s/fullchain.pem", lineage);
		free(lineage);
	} else if (getenv("LEGO_HOOK_CERT_PATH") != NULL) {
		/* lego v5 --deploy-hook: as below, renamed; the certificate's
		 * ID may be any name, its domains are the names it covers. */
		if ((f->domain = env_dup("LEGO_HOOK_CERT_DOMAINS")) == NULL)
			f->domain = env_dup("LEGO_HOOK_CERT_NAME");
		f->key_path = env_dup("LEGO_HOOK_CERT_KEY_PATH");
		f->chain_path = env_dup("LEGO_HOOK_CERT_PATH");
	} else if (getenv("LEGO_CERT_PATH") != NULL) {
		/* lego v4 --run-hook / --renew-hook: LEGO_CERT_PATH is the
		 * leaf plus the issuer chain (lego bundles by default). */
		f->domain = env_dup("LEGO_CERT_DOMAIN");
		f->key_path = env_dup("LEGO_CERT_KEY_PATH");
		f->chain_path = env_dup("LEGO_CERT_PATH");
	} else if (getenv("CERT_FULLCHAIN_PATH") != NULL) {
		/* acme.sh --reloadcmd */
		f->domain = env_dup("Le_Domain");
		f->key_path = env_dup("CERT_KEY_PATH");
		f->chain_path = env_dup("CERT_FULLCHAIN_PATH");
	}
	if (f->key_path == NULL || f->chain_path == NULL) {
		log_err("acme-hook: no certificate handed over: expected "
		    "certbot's RENEWED_LINEAGE, lego's LEGO_HOOK_CERT_PATH "
		    "(v5) or LEGO_CERT_PATH (v4) with the key path, "
		    "acme.sh's CERT_KEY_PATH and "
		    "CERT_FULLCHAIN_PATH, or dehydrated's deploy_cert "
		    "arguments");
		intake_files_free(f);
		return -1;
	}
	return 0;
}

/* The host named by name, or by one of its aliases; NULL if none. */
static const struct conf_host *
host_named(const struct conf *c, const char *name)
{
	int i, j;

	for (i = 0; i < c->nhosts; i++) {
		const struct conf_host *h = &c->hosts[i];

		if (strcasecmp(h->name, name) == 0)
			return h;
		for (j = 0; j < h->naliases; j++)
			if (strcasecmp(h->aliases[j].name, name) == 0)
				return h;
	}
	return NULL;
}

const struct conf_host *
intake_host(const struct conf *c, const char *domains)
{
	const struct conf_host *h = NULL;
	char *list, *name, *save = NULL;

	if (domains == NULL) {
		log_err("acme-hook: the ACME client did not say which domain; "
		    "name the host: daneroll acme-hook HOST");
		return NULL;
	}
	/* Clients name every domain of the certificate (certbot with
	 * spaces, lego with commas); the first that is a host is ours. */
	list = xstrdup(domains);
	for (name = strtok_r(list, " ,", &save); name != NULL && h == NULL;
	    name = strtok_r(NULL, " ,", &save))
		h = host_named(c, name);
	free(list);
	if (h == NULL)
		log_err("acme-hook: none of %s is a [host] or alias in %s",
		    domains, c->path);
	return h;
}

/* The slot of the key's algorithm; NULL (logged) if not configured. */
static struct view_slot *
slot_for(struct view *v, EVP_PKEY *key, const char *path)
{
	int alg = key_alg_of(key), i;

	for (i = 0; i < v->nslots; i++)
		if ((int)v->slots[i].alg == alg)
			return &v->slots[i];
	log_msg(LOG_LVL_ERR, v->host->name, NULL, "%s: the key is %s, but "
	    "the host is not configured for that algorithm (algorithms = "
	    "in its [host]); refused", path, alg < 0 ? "of an unsupported "
	    "type" : key_alg_str((enum key_alg)alg));
	return NULL;
}

/* Writes the checked chain where the store will point at it. */
static char *
keep_chain(const struct conf *c, const struct conf_host *h, enum key_alg alg,
    int64_t key_id, STACK_OF(X509) *chain)
{
	char *path = xasprintf("%s/%s/%s.%lld.chain.pem", c->key_dir, h->name,
	    key_alg_str(alg), (long long)key_id);
	char *pem = cert_chain_to_pem(chain);
	int rc = fs_write_atomic(path, pem, strlen(pem), 0644, (uid_t)-1,
	    (gid_t)-1);

	free(pem);
	if (rc != 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* The client re-keyed: its key becomes the next key, ours is dropped. */
static enum outcome
adopt_new_key(const struct conf *c, struct store *st, struct view *v,
    struct view_slot *s, EVP_PKEY *key, STACK_OF(X509) *chain,
    const char *spki, time_t now)
{
	const struct conf_host *h = v->host;
	char *dir = xasprintf("%s/%s", c->key_dir, h->name);
	char *path = NULL, *chain_path = NULL;
	int64_t id = 0;
	enum outcome o = OUT_PERMFAIL;

	if (fs_mkdirs(dir, 0700) != 0 ||
	    fs_check_private_dir(dir) != 0)
		goto done;
	/* Our own copy: the client may replace its files at any time. */
	path = xasprintf("%s/%s.%lld.intake.key", dir, key_alg_str(s->alg),
	    (long long)now);
	if (!fs_exists(path) && key_write_new(path, key, 0600, (uid_t)-1,
	    (gid_t)-1) != 0)
		goto done;
	if (store_begin(st) != 0)
		goto done;
	if ((s->has_next && store_key_set_role(st, s->next.id, "discarded",
	    now) != 0) ||
	    store_key_add(st, s->slot.id, "next", path, spki, now, 0, &id) != 0)
		goto fail;
	if ((chain_path = keep_chain(c, h, s->alg, id, chain)) == NULL ||
	    store_key_set_chain(st, id, chain_path,
	    cert_not_after(sk_X509_value(chain, 0))) != 0 ||
	    store_event(st, now, h->name, key_alg_str(s->alg), NULL, NULL,
	    "the ACME client re-keyed: its key replaces the unused next key; "
	    "certificate held until the key's record has aged") != 0)
		goto fail;
	if (store_commit(st) != 0)
		goto fail;
	log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(s->alg), "the ACME "
	    "client's new key (3 1 1 %s) becomes the next key; its "
	    "certificate is held until the record has been served "
	    "everywhere for longer than the TTL", spki);
	o = OUT_OK;
	goto done;
fail:
	store_rollback(st);
done:
	free(dir);
	free(path);
	free(chain_path);
	return o;
}

enum outcome
intake_stage(const struct conf *c, struct store *st,
    const struct backends *be, const struct conf_host *h,
    const struct intake_files *f, time_t now)
{
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *chain = NULL;
	struct view v;
	struct view_slot *s;
	char spki[65], *chain_path = NULL;
	enum outcome o = OUT_PERMFAIL;

	memset(&v, 0, sizeof(v));
	if ((key = key_load_linked(f->key_path)) == NULL ||
	    (chain = cert_load_chain(f->chain_path)) == NULL ||
	    key_spki_hex(key, spki) != 0)
		goto done;
	if (view_load(st, h, now, 1, &v) != 0 ||
	    (s = slot_for(&v, key, f->key_path)) == NULL)
		goto done;
	if (!engine_chain_acceptable(h, s->alg, chain, key, f->key_path,
	    f->chain_path, now))
		goto done;
	if (s->slot.state == SLOT_VERIFYING || s->slot.state == SLOT_ROLLBACK ||
	    (s->deployed_ok && s->has_next &&
	    strcmp(s->deployed_spki, s->next.spki) == 0)) {
		log_msg(LOG_LVL_WARN, h->name, key_alg_str(s->alg), "a "
		    "rollover is being verified; try again after it");
		o = OUT_TEMPFAIL;
		goto done;
	}
	if (s->has_current && strcmp(spki, s->current.spki) == 0) {
		/* Same key, new certificate: live already, safe at once
		 * unless the chain around it is new to the RRsets. Under
		 * current+issuer the key's own record may be young, the
		 * older versions vouching for the served chain by the CA pin
		 * alone: a chain from another CA is vouched for by nothing
		 * they hold (test_model found it). */
		if (!view_chain_safe(&v, chain, now)) {
			log_msg(LOG_LVL_ERR, h->name, key_alg_str(s->alg),
			    "%s: a certificate for the current key, but a TLSA "
			    "RRset that resolvers may still hold does not vouch "
			    "for its chain (another CA?); not deployed",
			    f->chain_path);
			o = OUT_TEMPFAIL;
			goto done;
		}
		if (be->deployer == NULL) {
			log_msg(LOG_LVL_ERR, h->name, key_alg_str(s->alg),
			    "no deployer backend in this build");
			goto done;
		}
		if ((chain_path = keep_chain(c, h, s->alg, s->current.id,
		    chain)) == NULL)
			goto done;
		/* The client's file (checked, the same key): the current
		 * key's own path may be the deployed file, which belongs to
		 * the MTA's user when owner is set, and a key of another
		 * user's is never loaded. */
		o = be->deployer->deploy(c, h, s->alg, f->key_path,
		    chain_path);
		if (o == OUT_OK)
			(void)store_event(st, now, h->name, key_alg_str(s->alg),
			    NULL, NULL, "renewed certificate for the current "
			    "key deployed");
	} else if (s->has_next && strcmp(spki, s->next.spki) == 0) {
		/* The pre-published key, as it should be. */
		if ((chain_path = keep_chain(c, h, s->alg, s->next.id,
		    chain)) == NULL ||
		    store_key_set_chain(st, s->next.id, chain_path,
		    cert_not_after(sk_X509_value(chain, 0))) != 0)
			goto done;
		log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(s->alg),
		    "certificate for the pre-published next key staged");
		o = OUT_OK;
	} else
		o = adopt_new_key(c, st, &v, s, key, chain, spki, now);
	/* A certificate in hand is news a back-off must not sit on (an
	 * issue that failed for want of an acme_hook, say): go on now. */
	if (o == OUT_OK && s->slot.retry_at > now &&
	    store_slot_set_failure(st, &s->slot, s->slot.failures, 0,
	    s->slot.last_outcome, s->slot.last_error, now) != 0)
		o = OUT_TEMPFAIL;
done:
	free(chain_path);
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	view_free(&v);
	return o;
}
