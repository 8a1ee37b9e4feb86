/*
 * acme_intake - a certificate renewed by an ACME client that stays in
 * charge, taken in as the slot's next key. See include/acme_intake.h.
 *
 * Staging never deploys: it only records the key and its chain the way
 * the engine's own ISSUE step does, so the same deploy guard applies (a
 * key whose record has not aged is held). The client's key file is copied
 * into daneroll's key directory because the client may replace or delete
 * it at its next renewal, while the staged key must stay as it was until
 * deployed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "acme_intake.h"
#include "fsutil.h"
#include "key.h"
#include "log.h"

/* Dehydrated's hook events other than deploy_cert are no work for us. */
static int
dehydrated_event(const char *s)
{
	static const char *const events[] = {
		"deploy_challenge", "clean_challenge", "sync_cert",
		"deploy_ocsp", "unchanged_cert", "invalid_challenge",
		"request_failure", "generate_csr", "startup_hook",
		"exit_hook",
		/* dehydrated's check that unknown events are ignored */
		("this_hookscript_is_broken__dehydrated_is_working_fine__"
		"please_ignore_unknown_hooks_in_your_script")
	};
	size_t i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(s, events[i]) == 0)
			return 1;
	return 0;
}

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? xstrdup(v) : NULL;
}

int
acme_intake_find(char *const *args, int nargs, struct intake_src *src)
{
	char *lineage = NULL;
	int rc = -1;

	memset(src, 0, sizeof(*src));
	if (nargs >= 1 && strcmp(args[0], "deploy_cert") == 0) {
		if (nargs < 5) {
			log_err("acme-hook: deploy_cert needs DOMAIN KEYFILE "
			    "CERTFILE FULLCHAINFILE (dehydrated's arguments)");
			goto done;
		}
		src->client = "dehydrated";
		src->domain = xstrdup(args[1]);
		src->key_path = xstrdup(args[2]);
		src->chain_path = xstrdup(args[4]);
	} else if (nargs >= 1 && dehydrated_event(args[0])) {
		src->client = "dehydrated";
		src->ignore = 1;
	} else if ((lineage = env_dup("RENEWED_LINEAGE")) != NULL) {
		src->client = "certbot";
		src->key_path = xasprintf("%s/privkey.pem", lineage);
		src->chain_path = xasprintf("%s/fullchain.pem", lineage);
	} else if (getenv("LEGO_CERT_PATH") != NULL) {
		src->client = "lego";
		src->key_path = env_dup("LEGO_CERT_KEY_PATH");
		src->chain_path = env_dup("LEGO_CERT_PATH");
		src->domain = env_dup("LEGO_CERT_DOMAIN");
	} else if (getenv("CERT_FULLCHAIN_PATH") != NULL) {
		src->client = "acme.sh";
		src->key_path = env_dup("CERT_KEY_PATH");
		src->chain_path = env_dup("CERT_FULLCHAIN_PATH");
		src->domain = env_dup("Le_Domain");
	} else {
		log_err("acme-hook: not called by an ACME client's hook: no "
		    "RENEWED_LINEAGE (certbot), LEGO_CERT_PATH (lego), "
		    "CERT_FULLCHAIN_PATH (acme.sh) nor dehydrated's "
		    "deploy_cert arguments");
		goto done;
	}
	if (!src->ignore && (src->key_path == NULL ||
	    src->chain_path == NULL)) {
		log_err("acme-hook: %s did not say where the %s is",
		    src->client, src->key_path == NULL ? "private key" :
		    "certificate chain");
		goto done;
	}
	rc = 0;
done:
	if (rc != 0)
		acme_intake_free(src);
	free(lineage);
	return rc;
}

void
acme_intake_free(struct intake_src *src)
{
	free(src->key_path);
	free(src->chain_path);
	free(src->domain);
	memset(src, 0, sizeof(*src));
}

const struct conf_host *
acme_intake_host(const struct conf *conf, const struct intake_src *src,
    const char *name)
{
	STACK_OF(X509) *chain = NULL;
	const struct conf_host *h = NULL;
	int i;

	if (name != NULL) {
		if ((h = conf_host_find(conf, name)) == NULL)
			log_err("acme-hook: no [host %s] in %s", name,
			    conf->path);
		return h;
	}
	if ((chain = cert_load_chain(src->chain_path)) == NULL)
		return NULL;
	for (i = 0; i < conf->nhosts && h == NULL; i++)
		if (cert_covers_name(sk_X509_value(chain, 0),
		    conf->hosts[i].name))
			h = &conf->hosts[i];
	if (h == NULL)
		log_err("acme-hook: %s: the certificate covers no configured "
		    "host; name one: daneroll acme-hook HOST",
		    src->chain_path);
	sk_X509_pop_free(chain, X509_free);
	return h;
}

/* The checks the engine makes of an issued chain. 1 if acceptable. */
static int
acceptable(const struct conf_host *h, const struct intake_src *src,
    STACK_OF(X509) *chain, EVP_PKEY *key, time_t now)
{
	X509 *leaf = sk_X509_value(chain, 0);
	int i, ok = 1;

	if (!cert_matches_key(leaf, key)) {
		log_msg(LOG_LVL_ERR, h->name, NULL, "%s: the certificate is not "
		    "for the key %s; refused", src->chain_path, src->key_path);
		return 0;
	}
	if (!cert_chain_well_formed(chain, src->chain_path))
		return 0;
	if (cert_not_after(leaf) <= now) {
		log_msg(LOG_LVL_ERR, h->name, NULL, "%s: the certificate has "
		    "already expired; refused", src->chain_path);
		return 0;
	}
	for (i = -1; i < h->naliases; i++) {
		const char *n = i < 0 ? h->name : h->aliases[i].name;

		if (!cert_covers_name(leaf, n)) {
			log_msg(LOG_LVL_ERR, h->name, NULL, "%s: the "
			    "certificate does not cover %s; refused",
			    src->chain_path, n);
			ok = 0;
		}
	}
	return ok;
}

/* Writes the key once at path (an identical key already there is fine). */
static int
copy_key(EVP_PKEY *key, const char *path, const char *spki)
{
	EVP_PKEY *have = NULL;
	char hspki[65];
	int rc = -1;

	if (!fs_exists(path))
		return key_write_new(path, key, 0600, (uid_t)-1, (gid_t)-1);
	/* A repeated intake: the copy must be this very key. */
	if ((have = key_load(path)) != NULL && key_spki_hex(have, hspki) == 0 &&
	    strcmp(hspki, spki) == 0)
		rc = 0;
	else
		log_err("%s exists and holds another key", path);
	EVP_PKEY_free(have);
	return rc;
}

enum outcome
acme_intake_stage(struct store *st, const struct conf *conf,
    const struct conf_host *h, const struct intake_src *src, time_t now,
    enum key_alg *alg, int *same_key, char **current_key)
{
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *chain = NULL;
	struct store_slot slot = { 0 };
	struct store_key cur = { 0 }, next = { 0 };
	char spki[65], *dir = NULL, *kpath = NULL, *cpath = NULL, *pem = NULL;
	const char *slotname;
	int64_t hid;
	int a, has_cur, has_next, in_tx = 0;
	enum outcome o = OUT_PERMFAIL;

	*same_key = 0;
	*current_key = NULL;
	if ((key = key_load_unchecked(src->key_path)) == NULL ||
	    (chain = cert_load_chain(src->chain_path)) == NULL)
		goto done;
	if ((a = key_alg_of(key)) < 0 || !(h->algs & (1u << a))) {
		log_msg(LOG_LVL_ERR, h->name, NULL, "%s: %s keys are not rolled "
		    "for this host (algorithms); refused", src->key_path,
		    a < 0 ? "such" : key_alg_str((enum key_alg)a));
		goto done;
	}
	*alg = (enum key_alg)a;
	slotname = key_alg_str(*alg);
	if (!acceptable(h, src, chain, key, now) ||
	    key_spki_hex(key, spki) != 0)
		goto done;
	o = OUT_TEMPFAIL;
	if (store_host_id(st, h->name, 1, now, &hid) < 0 ||
	    store_slot_get(st, hid, *alg, 1, now, &slot) < 0 ||
	    (has_cur = store_key_get(st, slot.id, "current", &cur)) < 0 ||
	    (has_next = store_key_get(st, slot.id, "next", &next)) < 0)
		goto done;
	if (slot.state == SLOT_VERIFYING || slot.state == SLOT_ROLLBACK ||
	    slot.state == SLOT_FAILED) {
		log_msg(LOG_LVL_ERR, h->name, slotname, "a rollover is %s; the "
		    "renewed certificate from %s is not taken in now",
		    slot.state == SLOT_FAILED ? "stopped (failed)" :
		    "being verified or rolled back", src->client);
		o = slot.state == SLOT_FAILED ? OUT_PERMFAIL : OUT_TEMPFAIL;
		goto done;
	}
	if (has_cur && strcmp(cur.spki, spki) == 0) {
		*same_key = 1;
		*current_key = xstrdup(cur.path);
		o = OUT_OK;
		goto done;
	}

	dir = xasprintf("%s/%s", conf->key_dir, h->name);
	kpath = xasprintf("%s/%s.intake-%.16s.key", dir, slotname, spki);
	cpath = xasprintf("%s/%s.intake-%.16s.chain.pem", dir, slotname,
	    spki);
	if (fs_mkdirs(dir, 0700) != 0 || copy_key(key, kpath, spki) != 0 ||
	    (pem = cert_chain_to_pem(chain)) == NULL ||
	    fs_write_atomic(cpath, pem, strlen(pem), 0644, (uid_t)-1,
	    (gid_t)-1) != 0)
		goto done;
	if (store_begin(st) != 0)
		goto done;
	in_tx = 1;
	if (has_next && strcmp(next.spki, spki) != 0 &&
	    store_key_set_role(st, next.id, "discarded", now) != 0)
		goto done;
	if (!has_next || strcmp(next.spki, spki) != 0) {
		store_key_free(&next);
		if (store_key_add(st, slot.id, "next", kpath, spki, now, 0) != 0 ||
		    store_key_get(st, slot.id, "next", &next) != 1)
			goto done;
	}
	if (store_key_set_chain(st, next.id, cpath, cert_not_after(
	    sk_X509_value(chain, 0))) != 0)
		goto done;
	in_tx = 0;
	if (store_commit(st) != 0)
		goto done;
	log_msg(LOG_LVL_NOTICE, h->name, slotname, "took in %s's certificate "
	    "for key %s as the next key (3 1 1 %s)", src->client, kpath,
	    spki);
	o = OUT_OK;
done:
	if (in_tx)
		store_rollback(st);
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	store_slot_free(&slot);
	store_key_free(&cur);
	store_key_free(&next);
	free(dir);
	free(kpath);
	free(cpath);
	free(pem);
	return o;
}
