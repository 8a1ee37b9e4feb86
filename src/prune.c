/*
 * prune - deletes retired private keys. See include/prune.h for the rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "prune.h"
#include "util.h"

/* Is the rollback window closed and the current key what is served? */
static int
slot_rests(const struct view_slot *s)
{
	switch (s->slot.state) {
	case SLOT_DEPLOYING:
	case SLOT_VERIFYING:
	case SLOT_ROLLBACK:
	case SLOT_FAILED:
		return 0;
	default:
		break;
	}
	return s->has_current && s->deployed_ok && !s->deployed_unknown &&
	    strcmp(s->deployed_spki, s->current.spki) == 0;
}

/* Marks in del[] the keys (newest first) the rule deletes now; how many. */
static int
pick(const struct view *v, const struct store_key *k, int n, time_t now,
    int *del)
{
	int64_t kept = 0;
	int i, count = 0;
	time_t at;

	for (i = 0; i < n; i++) {
		del[i] = 0;
		if (strcmp(k[i].role, "retired") == 0 &&
		    kept++ < v->host->timing.keep_retired)
			continue;
		if (view_record_gone_at(v, k[i].spki, &at) && now >= at) {
			del[i] = 1;
			count++;
		}
	}
	return count;
}

/* The slot's keys that may go now (newest first), in *k with del[]. */
static int
load(struct store *st, const struct view *v, const struct view_slot *s,
    time_t now, struct store_key **k, int *n, int **del)
{
	*k = NULL;
	*n = 0;
	*del = NULL;
	if (!slot_rests(s))
		return 0;
	if (store_keys_retired(st, s->slot.id, k, n) != 0)
		return -1;
	*del = xcalloc((size_t)*n + 1, sizeof(**del));
	return pick(v, *k, *n, now, *del);
}

int
prune_due(struct store *st, const struct view *v, const struct view_slot *s,
    time_t now)
{
	struct store_key *k;
	int n, *del, r;

	r = load(st, v, s, now, &k, &n, &del);
	store_keys_free(k, n);
	free(del);
	return r > 0 ? 1 : r;
}

/* Removes name from dfd (a link itself, never what it points at). */
static int
remove_name(int dfd, const char *dir, const char *name)
{
	if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT) {
		log_err("%s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The key's files in the host's key directory: the key, and the CSR, the
 * issued and the staged chain named after its row. *mine: the key was
 * there (an adopted key's path is the MTA's: nothing of it to delete).
 * 0, or -1 logged.
 */
static int
delete_files(const struct conf *c, const struct conf_host *h,
    enum key_alg alg, const struct store_key *k, int *mine)
{
	char *dir = xasprintf("%s/%s", c->key_dir, h->name);
	char *kdir = fs_dir_of(k->path), *chdir = NULL, *name = NULL;
	static const char *const issued[] = { "csr", "issued.pem", "chain.pem" };
	size_t i;
	int dfd = -1, rc = -1;

	*mine = strcmp(kdir, dir) == 0;
	if (!*mine) {
		rc = 0;
		goto done;
	}
	if (fs_check_private_dir(dir) != 0)
		goto done;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		log_err("%s: %s", dir, strerror(errno));
		goto done;
	}
	rc = remove_name(dfd, dir, fs_base_of(k->path));
	for (i = 0; i < sizeof(issued) / sizeof(issued[0]); i++) {
		free(name);
		name = xasprintf("%s.%lld.%s", key_alg_str(alg),
		    (long long)k->id, issued[i]);
		rc |= remove_name(dfd, dir, name);
	}
	if (k->chain_path != NULL)
		chdir = fs_dir_of(k->chain_path);
	if (chdir != NULL && strcmp(chdir, dir) == 0)
		rc |= remove_name(dfd, dir, fs_base_of(k->chain_path));
	if (fsync(dfd) == -1) {
		log_err("%s: fsync: %s", dir, strerror(errno));
		rc = -1;
	}
done:
	if (dfd >= 0)
		(void)close(dfd);
	free(dir);
	free(kdir);
	free(chdir);
	free(name);
	return rc;
}

/* The store says the key is gone, with an event for the log. */
static int
record(struct store *st, const struct conf_host *h, enum key_alg alg,
    const struct store_key *k, int mine, time_t gone, time_t now)
{
	char tb[64], why[400];

	if (mine)
		snprintf(why, sizeof(why), "%s key %s (3 1 1 %s) deleted: its "
		    "record left DNS and aged out of every cache at %s",
		    k->role, k->path, k->spki,
		    util_fmt_time(gone, tb, sizeof(tb)));
	else
		snprintf(why, sizeof(why), "%s key (3 1 1 %s), adopted from "
		    "the served files, no longer kept: its record left DNS "
		    "and aged out of every cache at %s", k->role, k->spki,
		    util_fmt_time(gone, tb, sizeof(tb)));
	if (store_begin(st) != 0 || store_end(st,
	    store_key_deleted(st, k->id, now) == 0 &&
	    store_event(st, now, h->name, key_alg_str(alg), NULL, NULL,
	    why) == 0) != 0)
		return -1;
	log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(alg), "%s", why);
	return 0;
}

enum outcome
prune_slot(struct store *st, const struct backend_deployer *dep,
    const struct conf *c, const struct view *v, const struct view_slot *s,
    time_t now)
{
	struct store_key *k;
	enum outcome o = OUT_OK, r;
	int i, n, *del, mine, newest = -1;
	time_t gone;

	if (load(st, v, s, now, &k, &n, &del) < 0)
		return OUT_TEMPFAIL;
	for (i = 0; i < n && newest < 0; i++)
		if (strcmp(k[i].role, "retired") == 0)
			newest = i;
	for (i = 0; i < n; i++) {
		if (!del[i])
			continue;
		if (delete_files(c, v->host, s->alg, &k[i], &mine) != 0) {
			o = OUT_TEMPFAIL;
			continue;
		}
		/* The previous set the last deploy kept holds the newest
		 * retired key: it goes with it. */
		if (i == newest && dep != NULL && dep->forget != NULL &&
		    (r = dep->forget(c, v->host, s->alg)) != OUT_OK) {
			o = r;
			continue;
		}
		(void)view_record_gone_at(v, k[i].spki, &gone);
		if (record(st, v->host, s->alg, &k[i], mine, gone, now) != 0)
			o = OUT_TEMPFAIL;
	}
	store_keys_free(k, n);
	free(del);
	return o;
}
