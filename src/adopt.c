/*
 * adopt - a pre-published next key taken over. See include/adopt.h.
 *
 * Why not simply let the next run generate a key: the operator's key has
 * a record served already, possibly for months; a new key means a new
 * record, propagation and TTL before the next rollover may happen, and
 * the old record withdrawn from under whatever the operator had planned
 * for it (danectl's `rollover`, a certificate already issued for it).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "fsutil.h"
#include "key.h"
#include "log.h"
#include "tlsa.h"
#include "view.h"

/* Was the "3 1 1" of spki in any version recorded for any owner name
 * (sent, observed, or written before a send a crash may have cut)? */
static int
record_ever_sent(const struct view *v, const char *spki)
{
	struct tlsa_rr rr;
	char *text = xasprintf("3 1 1 %s", spki);
	int i, j, found = 0;

	if (tlsa_parse(text, &rr) != 0) {
		free(text);
		return 1;	/* unknown: as if sent */
	}
	for (i = 0; i < v->nowners && !found; i++)
		for (j = 0; j < v->owners[i].nv && !found; j++) {
			struct tlsa_set set = { 0 };

			(void)tlsa_set_parse(v->owners[i].v[j].records, &set);
			found = tlsa_set_has(&set, &rr);
			tlsa_set_free(&set);
		}
	tlsa_rr_free(&rr);
	free(text);
	return found;
}

/* The slot's other next key, if any: may it give way? 1 if it may (and
 * *discard is set when there is one), 0 refused (said). */
static int
next_may_go(const struct view *v, const struct view_slot *s,
    const char *spki, int *discard)
{
	const char *h = v->host->name, *alg = key_alg_str(s->alg);
	const char *why = NULL;

	*discard = 0;
	if (!s->has_next)
		return 1;
	if (s->slot.state == SLOT_ISSUING || s->slot.state == SLOT_DEPLOYING ||
	    s->slot.state == SLOT_VERIFYING || s->slot.state == SLOT_ROLLBACK ||
	    s->slot.state == SLOT_FAILED)
		why = "a rollover to it is under way";
	else if (s->staged != NULL || s->next.chain_path != NULL)
		why = "a certificate was issued for it";
	else if (record_ever_sent(v, s->next.spki))
		why = "its record was published: replacing it would withdraw "
		    "a record that resolvers may hold";
	if (why == NULL) {
		*discard = 1;
		return 1;
	}
	log_msg(LOG_LVL_ERR, h, alg, "the slot already has a next key (3 1 1 "
	    "%s, %s) and %s; nothing changed. Let the rollover to it finish "
	    "(`daneroll roll %s`, then `daneroll run --wait`), or adopt 3 1 1 "
	    "%s before the first run", s->next.spki, s->next.path, why, h,
	    spki);
	return 0;
}

/* Checks the key against the host and the slot; ADOPT_OK to go on. */
static enum adopt_result
check_key(const struct view *v, const struct view_slot *s, const char *file,
    const char *spki)
{
	const char *h = v->host->name, *alg = key_alg_str(s->alg);

	if ((s->deployed_ok && strcmp(s->deployed_spki, spki) == 0) ||
	    (s->has_current && strcmp(s->current.spki, spki) == 0)) {
		log_msg(LOG_LVL_ERR, h, alg, "%s: this key (3 1 1 %s) is the "
		    "current key, served from %s; a next key must be another "
		    "one; nothing changed", file, spki, s->cert_path != NULL ?
		    s->cert_path : "the store");
		return ADOPT_DATAERR;
	}
	return ADOPT_OK;
}

/* Writes the key under the host's key directory; *path is the caller's. */
static enum adopt_result
copy_key(const struct conf *c, const struct conf_host *h, enum key_alg alg,
    EVP_PKEY *key, time_t now, char **path)
{
	char *dir = xasprintf("%s/%s", c->key_dir, h->name);
	enum adopt_result r = ADOPT_CANTCREAT;

	*path = NULL;
	if (fs_mkdirs(dir, 0700) != 0 || fs_check_private_dir(dir) != 0)
		goto done;
	*path = xasprintf("%s/%s.%lld.adopted.key", dir, key_alg_str(alg),
	    (long long)now);
	if (key_write_new(*path, key, 0600, (uid_t)-1, (gid_t)-1) != 0) {
		free(*path);
		*path = NULL;
		goto done;
	}
	r = ADOPT_OK;
done:
	free(dir);
	return r;
}

/* One transaction: the rows a first contact lacks, the old next key
 * discarded, the new one recorded, and an event. */
static enum adopt_result
record(struct store *st, const struct conf_host *h, enum key_alg alg,
    const struct view_slot *s, int discard, const char *path,
    const char *spki, const char *file, time_t now)
{
	struct store_slot slot;
	int64_t host_id = 0;
	int forced;
	char *why = xasprintf("adopted the pre-published next key 3 1 1 %s "
	    "from %s as %s", spki, file, path);
	enum adopt_result r = ADOPT_TEMPFAIL;

	memset(&slot, 0, sizeof(slot));
	if (store_begin(st) == 0 && store_end(st,
	    store_host_get(st, h->name, 1, now, &host_id, &forced) >= 0 &&
	    store_slot_get(st, host_id, alg, 1, now, &slot) >= 0 &&
	    (!discard || store_key_set_role(st, s->next.id, "discarded",
	    now) == 0) &&
	    store_key_add(st, slot.id, "next", path, spki, now, 0, NULL) == 0 &&
	    store_event(st, now, h->name, key_alg_str(alg), NULL, NULL,
	    why) == 0) == 0)
		r = ADOPT_OK;
	store_slot_free(&slot);
	free(why);
	return r;
}

/* The key from file, its algorithm checked against alg and the host. */
static enum adopt_result
read_key(const struct conf_host *h, const char *file, int alg,
    EVP_PKEY **key)
{
	struct stat sb;
	int a;

	*key = NULL;
	if (stat(file, &sb) != 0) {
		log_msg(LOG_LVL_ERR, h->name, NULL, "%s: %s", file,
		    strerror(errno));
		return ADOPT_NOINPUT;
	}
	/* A private key is read only from a file as safe as our own. */
	if ((*key = key_load_linked(file)) == NULL)
		return ADOPT_DATAERR;
	a = key_alg_of(*key);
	if (a < 0 || (alg >= 0 && a != alg) || !(h->algs & (1u << a))) {
		log_msg(LOG_LVL_ERR, h->name, NULL, "%s: %s; nothing changed",
		    file, a < 0 ? "not an RSA-2048 or ECDSA P-256 key" :
		    alg >= 0 && a != alg ? "the key is not of the algorithm "
		    "given" : "the host rolls no key of this algorithm "
		    "(algorithms =)");
		EVP_PKEY_free(*key);
		*key = NULL;
		return ADOPT_DATAERR;
	}
	return ADOPT_OK;
}

enum adopt_result
adopt_next(const struct conf *c, struct store *st, const struct conf_host *h,
    const char *file, int alg, time_t now)
{
	EVP_PKEY *key = NULL;
	struct view v;
	const struct view_slot *s = NULL;
	char spki[65], *path = NULL;
	int i, discard = 0;
	enum adopt_result r;

	memset(&v, 0, sizeof(v));
	if ((r = read_key(h, file, alg, &key)) != ADOPT_OK)
		goto done;
	r = ADOPT_TEMPFAIL;
	if (key_spki_hex(key, spki) != 0 || view_load(st, h, now, 0, &v) != 0)
		goto done;
	for (i = 0; i < v.nslots; i++)
		if ((int)v.slots[i].alg == key_alg_of(key))
			s = &v.slots[i];
	if (s == NULL)
		goto done;
	if (s->has_next && strcmp(s->next.spki, spki) == 0) {
		log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(s->alg), "3 1 1 "
		    "%s is the next key already (%s); nothing to do", spki,
		    s->next.path);
		r = ADOPT_OK;
		goto done;
	}
	if ((r = check_key(&v, s, file, spki)) != ADOPT_OK)
		goto done;
	if (!next_may_go(&v, s, spki, &discard)) {
		r = ADOPT_REFUSED;
		goto done;
	}
	if ((r = copy_key(c, h, s->alg, key, now, &path)) != ADOPT_OK)
		goto done;
	if ((r = record(st, h, s->alg, s, discard, path, spki, file, now)) !=
	    ADOPT_OK) {
		/* Never recorded: no one else knows this copy. */
		(void)unlink(path);
		goto done;
	}
	log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(s->alg), "adopted %s as "
	    "the next key (3 1 1 %s), kept as %s; its record stays published%s",
	    file, spki, path, discard ? "; the next key never published "
	    "before it is discarded" : "");
done:
	EVP_PKEY_free(key);
	free(path);
	view_free(&v);
	return r;
}
