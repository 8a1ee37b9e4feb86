/*
 * deploy_files - installs a slot's key and chain as files, reloads the
 * MTA, rolls back. See include/deploy_files.h for the layouts and the
 * contract.
 *
 * The shape of a deploy, for every layout:
 *   1. load and check: the key, the chain, the leaf is for the key, and
 *      under current+issuer the chain holds a pinned CA (completed from
 *      the issuer_cert files if it does not): nothing touched yet;
 *   2. if the set is already in place, skip to 5 (idempotent re-deploy,
 *      or a deploy cut short between install and reload);
 *   3. keep the set in place as the previous set (PATH.prev, or the
 *      LINK.prev symlink) and mark that it is kept;
 *   4. install in one rename (combined_file, live_link) or in
 *      back-to-back renames of synced PATH.new files (separate files);
 *   5. reload; on failure restore step 3's set and reload again.
 *
 * A set is named by the SHA-256 of its public parts (the key's SPKI and
 * the full chain): the marker PATH.deploying holds that name while a
 * deploy runs, so a deploy cut short after step 3 does not save a
 * half-installed set over the real previous one when it is repeated.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cert.h"
#include "deploy_files.h"
#include "exec.h"
#include "fsutil.h"
#include "hookout.h"
#include "key.h"
#include "log.h"
#include "pins.h"
#include "tlsa.h"

#define SUF_PREV	".prev"
#define SUF_NEW		".new"
#define SUF_MARK	".deploying"
#define DIR_MODE	0755
#define MAX_FILES	4

enum layout {
	LAYOUT_COMBINED,
	LAYOUT_LINK,
	LAYOUT_FILES
};

/* The PEM texts of one set; key and combined are secret. */
struct pems {
	char		*key;
	char		*cert;		/* leaf */
	char		*chain;		/* intermediates; may be "" */
	char		*full;		/* leaf + intermediates */
	char		*combined;	/* key + leaf + intermediates */
	char		 id[65];	/* hex SHA-256 of the public parts */
};

/* One file of a set, in the order it is renamed into place. */
struct dfile {
	char		*path;
	const char	*data;		/* points into a struct pems */
	size_t		 len;
	mode_t		 mode;
	int		 secret;	/* holds the private key */
};

/* The files of a live_link directory, and the host keys linked to them. */
static const char *const link_names[MAX_FILES] = {
	"privkey.pem", "cert.pem", "chain.pem", "fullchain.pem"
};

/* What one call works on. */
struct dctx {
	const struct conf_host	*h;
	enum key_alg		 alg;
	const char		*slot;
	uid_t			 uid;
	gid_t			 gid;
};

/*
 * What step 3 replaced: the previous set before this deploy, so that a
 * deploy undone after a failed reload leaves the same previous set as
 * before (a later rollback must go back past the set still served, not
 * to it). Kept in memory only: a crash in the middle of undoing is a
 * double fault, and then the previous set is the one served.
 */
struct undo {
	int		 saved;			/* step 3 ran in this call */
	char		*prev[MAX_FILES];	/* files: PATH.prev contents */
	char		*prev_target;		/* live_link: LINK.prev's */
};

#define ERR(c, ...)	log_msg(LOG_LVL_ERR, (c)->h->name, (c)->slot, \
			    __VA_ARGS__)
#define WARN(c, ...)	log_msg(LOG_LVL_WARN, (c)->h->name, (c)->slot, \
			    __VA_ARGS__)
#define NOTICE(c, ...)	log_msg(LOG_LVL_NOTICE, (c)->h->name, (c)->slot, \
			    __VA_ARGS__)
#define INFO(c, ...)	log_msg(LOG_LVL_INFO, (c)->h->name, (c)->slot, \
			    __VA_ARGS__)

static void wipe_free(char *);

static void
undo_free(struct undo *u)
{
	int i;

	for (i = 0; i < MAX_FILES; i++)
		wipe_free(u->prev[i]);
	free(u->prev_target);
	memset(u, 0, sizeof(*u));
}

static enum layout
layout_of(const struct conf_files *f)
{
	if (f->combined_file != NULL)
		return LAYOUT_COMBINED;
	if (f->live_link != NULL)
		return LAYOUT_LINK;
	return LAYOUT_FILES;
}

static void
wipe_free(char *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

static void
pems_free(struct pems *p)
{
	wipe_free(p->key);
	wipe_free(p->combined);
	free(p->cert);
	free(p->chain);
	free(p->full);
	memset(p, 0, sizeof(*p));
}

/* PEM of chain[from..]; "" when empty. */
static char *
pem_range(STACK_OF(X509) *chain, int from, int to)
{
	STACK_OF(X509) *part = sk_X509_new_null();
	char *pem;
	int i;

	if (part == NULL)
		return NULL;
	for (i = from; i < to; i++)
		(void)sk_X509_push(part, sk_X509_value(chain, i));
	pem = cert_chain_to_pem(part);
	sk_X509_free(part);	/* the certificates stay chain's */
	return pem;
}

/* Fills p from a key and its (checked) chain. 0 or -1, logged. */
static int
pems_make(const struct dctx *c, EVP_PKEY *key, STACK_OF(X509) *chain,
    struct pems *p)
{
	unsigned char spki[32], md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *mdc = NULL;
	BIO *bio = NULL;
	char *data;
	long n;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	/* A secure-heap memory BIO: its buffer is wiped when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		ERR(c, "cannot encode the private key");
		goto done;
	}
	p->key = xmalloc((size_t)n + 1);
	memcpy(p->key, data, (size_t)n);
	p->key[n] = '\0';
	if ((p->cert = pem_range(chain, 0, 1)) == NULL ||
	    (p->chain = pem_range(chain, 1, sk_X509_num(chain))) == NULL ||
	    (p->full = cert_chain_to_pem(chain)) == NULL)
		goto done;
	p->combined = xasprintf("%s%s", p->key, p->full);
	if (key_spki_sha256(key, spki) != 0 ||
	    (mdc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(mdc, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(mdc, spki, sizeof(spki)) != 1 ||
	    EVP_DigestUpdate(mdc, p->full, strlen(p->full)) != 1 ||
	    EVP_DigestFinal_ex(mdc, md, &mdlen) != 1 || mdlen != sizeof(md)) {
		ERR(c, "cannot compute the name of the set");
		goto done;
	}
	util_hex(md, sizeof(md), p->id);
	rc = 0;
done:
	if (rc != 0)
		pems_free(p);
	EVP_MD_CTX_free(mdc);
	BIO_free_all(bio);
	return rc;
}

/*
 * current+issuer: makes sure the served chain sends a pinned CA, appending
 * issuer_cert certificates that issued its top, or that it sends the CA
 * issuer_follow published for it (pins_judge, as the engine judged it).
 * 0, or -1 logged.
 */
static int
complete_chain(const struct dctx *c, STACK_OF(X509) *chain)
{
	struct tlsa_set pins = { 0 };
	STACK_OF(X509) *pool = sk_X509_new_null();
	enum pins_verdict v;
	X509 *ca;
	char subj[256], *why = NULL;
	int i, n, added, rc = -1;

	if (c->h->scheme != SCHEME_CURRENT_ISSUER) {
		rc = 0;
		goto done;
	}
	if (pool == NULL || pins_load(c->h, &pins, pool) != 0)
		goto done;
	n = sk_X509_num(chain);
	v = pins_judge(chain, &pins, pool, c->h->issuer_pin, &added, &ca);
	for (i = n; i < n + added; i++) {
		X509_NAME_oneline(X509_get_subject_name(sk_X509_value(chain,
		    i)), subj, sizeof(subj));
		NOTICE(c, "the issued chain does not send the pinned CA: "
		    "appended %s from issuer_cert", subj);
	}
	if ((why = pins_why_held(c->h, v, ca)) != NULL) {
		ERR(c, "%s", why);
		goto done;
	}
	if (v == PINS_FOLLOW) {
		/* The engine published this CA's record and let it age
		 * before choosing DEPLOY (view.c judge_chain). */
		X509_NAME_oneline(X509_get_subject_name(ca), subj,
		    sizeof(subj));
		NOTICE(c, "the chain's %s %s is followed (issuer_follow): "
		    "its \"2 1 1\" record vouches for it",
		    c->h->issuer_pin == ISSUER_PIN_ROOT ? "root" : "CA", subj);
	}
	rc = 0;
done:
	free(why);
	tlsa_set_free(&pins);
	sk_X509_pop_free(pool, X509_free);
	return rc;
}

/* Step 1: the set to install, checked. */
static enum outcome
load_set(const struct dctx *c, const char *key_path, const char *chain_path,
    struct pems *p)
{
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *chain = NULL;
	enum outcome o = OUT_PERMFAIL;

	/* Ours (key_dir), or an ACME client's behind root's link. */
	if ((key = key_load_linked(key_path)) == NULL ||
	    (chain = cert_load_chain(chain_path)) == NULL)
		goto done;
	if (!cert_matches_key(sk_X509_value(chain, 0), key)) {
		ERR(c, "%s: the certificate is not for the key %s; refusing "
		    "to install a mismatched pair", chain_path, key_path);
		goto done;
	}
	if (complete_chain(c, chain) != 0 || pems_make(c, key, chain, p) != 0)
		goto done;
	o = OUT_OK;
done:
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	return o;
}

/*
 * The content of path, or NULL: *err 0 if it does not exist, 1 if it
 * cannot be read (logged). Read relative to its directory without
 * following a symbolic link: a link planted at a deployed path would have
 * a root-only file copied to PATH.prev, owned by the MTA's user. Caller
 * wipes (it may be a key) and frees.
 */
static char *
read_opt(const char *path, int *err)
{
	char *data = NULL;
	int dfd, absent = 0;

	*err = 1;
	if ((dfd = fs_open_dir_of(path)) < 0)
		return NULL;
	data = fs_read_at(dfd, fs_base_of(path), path, CERT_PEM_MAX * 2, NULL,
	    &absent);
	(void)close(dfd);
	*err = data == NULL && !absent;
	return data;
}

/* 1 if path holds exactly data, 0 if not (or absent), -1 unreadable. */
static int
same_content(const char *path, const char *data)
{
	char *cur;
	int err, same;

	if ((cur = read_opt(path, &err)) == NULL)
		return err ? -1 : 0;
	same = strcmp(cur, data) == 0;
	wipe_free(cur);
	return same;
}

static char *
with_suffix(const char *path, const char *suffix)
{
	return xasprintf("%s%s", path, suffix);
}

/* combined_file or the separate files, in rename order: the chain
 * (intermediates only), then key and certificates back to back. */
static int
files_of(const struct dctx *c, const struct pems *p, struct dfile *f)
{
	const struct conf_files *cf = &c->h->files;
	const struct {
		const char	*path;
		const char	*data;
		int		 secret;
	} all[MAX_FILES] = {
		{ cf->chain_file, p ? p->chain : NULL, 0 },
		{ cf->key_file, p ? p->key : NULL, 1 },
		{ cf->fullchain_file, p ? p->full : NULL, 0 },
		{ cf->cert_file, p ? p->cert : NULL, 0 },
	};
	int i, n = 0;

	memset(f, 0, MAX_FILES * sizeof(*f));
	if (layout_of(cf) == LAYOUT_COMBINED) {
		f[0].path = conf_path_for(cf->combined_file, c->alg);
		f[0].data = p ? p->combined : NULL;
		f[0].mode = cf->key_mode;
		f[0].secret = 1;
		return 1;
	}
	for (i = 0; i < MAX_FILES; i++) {
		if (all[i].path == NULL)
			continue;
		f[n].path = conf_path_for(all[i].path, c->alg);
		f[n].data = all[i].data;
		f[n].mode = all[i].secret ? cf->key_mode : cf->cert_mode;
		f[n].secret = all[i].secret;
		n++;
	}
	return n;
}

static void
files_free(struct dfile *f, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(f[i].path);
}

/* The file that holds the key: where the marker and "no previous set"
 * are decided. */
static const struct dfile *
key_file_of(const struct dfile *f, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (f[i].secret)
			return &f[i];
	return &f[0];
}

/* 1 if every file already holds its new content, 0 if not, -1 error. */
static int
files_in_place(const struct dfile *f, int n)
{
	int i, r;

	for (i = 0; i < n; i++)
		if ((r = same_content(f[i].path, f[i].data)) != 1)
			return r;
	return 1;
}

/* Step 3: each file's current content becomes PATH.prev ("absent" is
 * kept as no PATH.prev). */
static int
files_save_prev(const struct dctx *c, const struct dfile *f, int n)
{
	char *prev = NULL, *cur = NULL;
	int i, err, rc = -1;

	for (i = 0; i < n; i++) {
		free(prev);
		wipe_free(cur);
		prev = with_suffix(f[i].path, SUF_PREV);
		if ((cur = read_opt(f[i].path, &err)) == NULL) {
			if (err || (unlink(prev) == -1 && errno != ENOENT)) {
				if (!err)
					ERR(c, "%s: %s", prev, strerror(errno));
				goto done;
			}
			continue;
		}
		if (fs_write_atomic(prev, cur, strlen(cur), f[i].mode, c->uid,
		    c->gid) != 0)
			goto done;
	}
	rc = 0;
done:
	free(prev);
	wipe_free(cur);
	return rc;
}

/*
 * Step 4 for files: every file that differs is written and synced as
 * PATH.new, then all are renamed in order, with nothing in between; then
 * the directories are synced. Files with data NULL are left alone.
 */
static int
files_install(const struct dctx *c, const struct dfile *f, int n)
{
	char *tmp[MAX_FILES] = { NULL };
	int i, r, rc = -1;

	for (i = 0; i < n; i++) {
		if (f[i].data == NULL)
			continue;
		if ((r = same_content(f[i].path, f[i].data)) < 0)
			goto done;
		if (r == 1)
			continue;
		tmp[i] = with_suffix(f[i].path, SUF_NEW);
		if (fs_write_atomic(tmp[i], f[i].data, strlen(f[i].data),
		    f[i].mode, c->uid, c->gid) != 0)
			goto done;
	}
	for (i = 0; i < n; i++) {
		if (tmp[i] == NULL)
			continue;
		if (rename(tmp[i], f[i].path) == -1) {
			ERR(c, "%s: rename from %s: %s%s", f[i].path, tmp[i],
			    strerror(errno), i > 0 ? "; the files may now be "
			    "a mismatched set" : "");
			goto done;
		}
		free(tmp[i]);
		tmp[i] = NULL;
	}
	for (i = 0; i < n; i++)
		if (f[i].data != NULL && fs_fsync_dir_of(f[i].path) != 0)
			goto done;
	rc = 0;
done:
	for (i = 0; i < n; i++) {
		if (tmp[i] != NULL)
			(void)unlink(tmp[i]);
		free(tmp[i]);
	}
	return rc;
}

/* Steps 2-4 for combined_file and separate files. *changed: set when a
 * file was replaced; u: what step 3 replaced. */
static enum outcome
files_deploy(const struct dctx *c, const struct pems *p, int *changed,
    struct undo *u)
{
	struct dfile f[MAX_FILES];
	char *mark = NULL, *cur = NULL, line[80];
	int i, n, r, err;
	enum outcome o = OUT_TEMPFAIL;

	n = files_of(c, p, f);
	mark = with_suffix(key_file_of(f, n)->path, SUF_MARK);
	snprintf(line, sizeof(line), "%s\n", p->id);
	if ((cur = read_opt(mark, &err)) == NULL && err)
		goto done;
	if (cur == NULL || strcmp(cur, line) != 0) {
		/* No deploy of this set was cut short: is it in place? */
		if ((r = files_in_place(f, n)) < 0)
			goto done;
		if (r == 1) {
			INFO(c, "the set is already installed");
			o = OUT_OK;
			goto done;
		}
		for (i = 0; i < n; i++) {
			char *prev = with_suffix(f[i].path, SUF_PREV);

			u->prev[i] = read_opt(prev, &err);
			free(prev);
			if (err)
				goto done;
		}
		u->saved = 1;
		if (files_save_prev(c, f, n) != 0 ||
		    fs_write_atomic(mark, line, strlen(line), 0644, (uid_t)-1,
		    (gid_t)-1) != 0)
			goto done;
	}
	*changed = 1;
	if (files_install(c, f, n) != 0)
		goto done;
	if (unlink(mark) == -1 && errno != ENOENT) {
		ERR(c, "%s: %s", mark, strerror(errno));
		goto done;
	}
	o = OUT_OK;
done:
	files_free(f, n);
	free(mark);
	free(cur);
	return o;
}

/* The previous set back from PATH.prev (files without one stay). */
static enum outcome
files_restore(const struct dctx *c)
{
	struct dfile f[MAX_FILES];
	char *data[MAX_FILES] = { NULL }, *prev = NULL;
	int i, n, err;
	enum outcome o = OUT_TEMPFAIL;

	n = files_of(c, NULL, f);
	for (i = 0; i < n; i++) {
		free(prev);
		prev = with_suffix(f[i].path, SUF_PREV);
		if ((data[i] = read_opt(prev, &err)) == NULL && err)
			goto done;
		f[i].data = data[i];
	}
	if (key_file_of(f, n)->data == NULL) {
		ERR(c, "%s%s: no previous set was kept; nothing to restore",
		    key_file_of(f, n)->path, SUF_PREV);
		o = OUT_PERMFAIL;
		goto done;
	}
	if (files_install(c, f, n) != 0)
		goto done;
	o = OUT_OK;
done:
	for (i = 0; i < n; i++)
		wipe_free(data[i]);
	files_free(f, n);
	free(prev);
	return o;
}

/* ---- live_link ---------------------------------------------------- */

/* The target of the symlink path, or NULL: *err 0 if absent, 1 if it is
 * not a symlink or unreadable (logged). */
static char *
link_target(const struct dctx *c, const char *path, int *err)
{
	struct stat st;
	char buf[PATH_MAX];
	ssize_t n;

	*err = 0;
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return NULL;
		ERR(c, "%s: %s", path, strerror(errno));
		*err = 1;
		return NULL;
	}
	if (!S_ISLNK(st.st_mode)) {
		ERR(c, "%s: live_link is not a symbolic link; move it away "
		    "(daneroll makes it a link to a versioned directory)",
		    path);
		*err = 1;
		return NULL;
	}
	if ((n = readlink(path, buf, sizeof(buf) - 1)) < 0) {
		ERR(c, "%s: readlink: %s", path, strerror(errno));
		*err = 1;
		return NULL;
	}
	buf[n] = '\0';
	return xstrdup(buf);
}

/* N if name is "BASE.vN", else -1. */
static long
version_of(const char *name, const char *base)
{
	size_t bl = strlen(base);
	char *end;
	long v;

	if (strncmp(name, base, bl) != 0 || strncmp(name + bl, ".v", 2) != 0 ||
	    name[bl + 2] < '0' || name[bl + 2] > '9')
		return -1;
	v = strtol(name + bl + 2, &end, 10);
	return *end == '\0' && v >= 0 && v < LONG_MAX ? v : -1;
}

/* The name of a fresh version directory beside link (relative). */
static char *
link_new_version(const struct dctx *c, const char *link)
{
	char *dir = fs_dir_of(link);
	const char *base = fs_base_of(link);
	struct dirent *d;
	DIR *dp;
	long v, max = 0;
	char *name = NULL;

	if ((dp = opendir(dir)) == NULL) {
		ERR(c, "%s: %s", dir, strerror(errno));
		goto done;
	}
	while ((d = readdir(dp)) != NULL)
		if ((v = version_of(d->d_name, base)) > max)
			max = v;
	(void)closedir(dp);
	name = xasprintf("%s.v%ld", base, max + 1);
done:
	free(dir);
	return name;
}

/* Writes a complete version directory (relative name vname beside link). */
static int
link_write_dir(const struct dctx *c, const char *link, const char *vname,
    const struct pems *p)
{
	const char *data[MAX_FILES] = { p->key, p->cert, p->chain, p->full };
	char *parent = fs_dir_of(link), *dir = NULL, *path = NULL;
	int i, rc = -1;

	dir = xasprintf("%s/%s", parent, vname);
	if (mkdir(dir, DIR_MODE) == -1) {
		ERR(c, "%s: mkdir: %s", dir, strerror(errno));
		goto done;
	}
	/* The directory stays ours (its files get owner and group): the
	 * MTA's user must not be able to put names in it. */
	if (c->gid != (gid_t)-1 && chown(dir, (uid_t)-1, c->gid) == -1) {
		ERR(c, "%s: chown: %s", dir, strerror(errno));
		goto done;
	}
	for (i = 0; i < MAX_FILES; i++) {
		free(path);
		path = xasprintf("%s/%s", dir, link_names[i]);
		if (fs_write_atomic(path, data[i], strlen(data[i]), i == 0 ?
		    c->h->files.key_mode : c->h->files.cert_mode, c->uid,
		    c->gid) != 0)
			goto done;
	}
	if (fs_fsync_dir_of(dir) != 0)
		goto done;
	rc = 0;
done:
	free(parent);
	free(dir);
	free(path);
	return rc;
}

/*
 * The version directory vname beside link, opened without following a
 * symbolic link: only a directory this module made is read or pruned.
 * -1 (logged) otherwise; the caller closes the descriptor.
 */
static int
link_open_version(const struct dctx *c, int dfd, const char *link,
    const char *vname)
{
	int fd;

	if (strchr(vname, '/') != NULL ||
	    version_of(vname, fs_base_of(link)) < 0) {
		ERR(c, "%s points at %s, not at a version directory daneroll "
		    "made beside it; nothing is read through it", link, vname);
		return -1;
	}
	fd = openat(dfd, vname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		ERR(c, "%s: %s beside it: %s", link, vname, errno == ELOOP ||
		    errno == ENOTDIR ? "not a directory daneroll made (a "
		    "symbolic link?); nothing is read or removed through it" :
		    strerror(errno));
	return fd;
}

/* 1 if the version directory cur (LINK's target) holds exactly p, 0 if
 * not, -1 (logged). */
static int
link_in_place(const struct dctx *c, const char *link, const char *cur,
    const struct pems *p)
{
	const char *data[MAX_FILES] = { p->key, p->cert, p->chain, p->full };
	char *path = NULL, *have = NULL;
	int i, r = 1, dfd = -1, vfd = -1, absent;

	/* A link an operator made elsewhere: not our set, and not read
	 * through; the deploy goes on and keeps it as LINK.prev. */
	if (strchr(cur, '/') != NULL || version_of(cur, fs_base_of(link)) < 0)
		return 0;
	if ((dfd = fs_open_dir_of(link)) < 0 ||
	    (vfd = link_open_version(c, dfd, link, cur)) < 0) {
		r = -1;
		goto done;
	}
	for (i = 0; i < MAX_FILES && r == 1; i++) {
		free(path);
		wipe_free(have);
		path = xasprintf("%s/%s", link, link_names[i]);
		have = fs_read_at(vfd, link_names[i], path, CERT_PEM_MAX * 2,
		    NULL, &absent);
		r = have != NULL ? strcmp(have, data[i]) == 0 : absent ? 0 :
		    -1;
	}
done:
	if (vfd >= 0)
		(void)close(vfd);
	if (dfd >= 0)
		(void)close(dfd);
	free(path);
	wipe_free(have);
	return r;
}

/* The separate paths configured beside live_link, as in link_names. */
static void
link_aliases(const struct dctx *c, char *paths[MAX_FILES])
{
	const struct conf_files *f = &c->h->files;

	paths[0] = conf_path_for(f->key_file, c->alg);
	paths[1] = conf_path_for(f->cert_file, c->alg);
	paths[2] = conf_path_for(f->chain_file, c->alg);
	paths[3] = conf_path_for(f->fullchain_file, c->alg);
}

/*
 * First deploy under live_link: the files the MTA serves now (key_file
 * with fullchain_file or cert_file + chain_file) become version 1 and
 * LINK points at it, so they are the previous set. Nothing to adopt: 0.
 */
static int
link_adopt(const struct dctx *c, const char *link)
{
	char *paths[MAX_FILES], *vname = NULL;
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *chain = NULL, *rest = NULL;
	struct pems p = { 0 };
	struct stat st;
	int i, rc = -1;

	link_aliases(c, paths);
	if (paths[0] == NULL || lstat(paths[0], &st) == -1 ||
	    !S_ISREG(st.st_mode) || (paths[3] == NULL && paths[1] == NULL)) {
		rc = 0;
		goto done;
	}
	if ((key = key_load_unchecked(paths[0])) == NULL ||
	    (chain = cert_load_chain(paths[3] != NULL ? paths[3] :
	    paths[1])) == NULL)
		goto done;
	if (paths[3] == NULL && paths[2] != NULL && fs_exists(paths[2]) &&
	    (rest = cert_load_chain(paths[2])) != NULL)
		for (i = 0; i < sk_X509_num(rest); i++) {
			X509_up_ref(sk_X509_value(rest, i));
			(void)sk_X509_push(chain, sk_X509_value(rest, i));
		}
	if (!cert_matches_key(sk_X509_value(chain, 0), key)) {
		ERR(c, "%s: the served certificate is not for the served key "
		    "%s; cannot adopt them as the previous set", paths[3] ?
		    paths[3] : paths[1], paths[0]);
		goto done;
	}
	if (pems_make(c, key, chain, &p) != 0 ||
	    (vname = link_new_version(c, link)) == NULL ||
	    link_write_dir(c, link, vname, &p) != 0 ||
	    fs_symlink_atomic(vname, link) != 0)
		goto done;
	NOTICE(c, "adopted the served files as %s (the previous set)", vname);
	rc = 0;
done:
	for (i = 0; i < MAX_FILES; i++)
		free(paths[i]);
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	if (rest != NULL)
		sk_X509_pop_free(rest, X509_free);
	EVP_PKEY_free(key);
	pems_free(&p);
	free(vname);
	return rc;
}

/* The configured separate paths become symlinks into LINK (once). */
static int
link_ensure_aliases(const struct dctx *c, const char *link)
{
	char *paths[MAX_FILES], *want = NULL, *have = NULL;
	int i, err, rc = -1;

	link_aliases(c, paths);
	for (i = 0; i < MAX_FILES; i++) {
		struct stat st;

		if (paths[i] == NULL)
			continue;
		free(want);
		free(have);
		have = NULL;
		want = xasprintf("%s/%s", link, link_names[i]);
		if (lstat(paths[i], &st) == 0 && S_ISLNK(st.st_mode) &&
		    (have = link_target(c, paths[i], &err)) != NULL &&
		    strcmp(have, want) == 0)
			continue;
		if (lstat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			ERR(c, "%s is a directory, not a file", paths[i]);
			goto done;
		}
		if (fs_symlink_atomic(want, paths[i]) != 0)
			goto done;
		INFO(c, "%s now points into %s", paths[i], link);
	}
	rc = 0;
done:
	for (i = 0; i < MAX_FILES; i++)
		free(paths[i]);
	free(want);
	free(have);
	return rc;
}

/* Removes version directories other than the current and previous. */
static void
link_prune(const struct dctx *c, const char *link)
{
	char *dir = fs_dir_of(link), *prevlink = with_suffix(link, SUF_PREV);
	char *cur, *prev, *vdir = NULL;
	const char *base = fs_base_of(link);
	struct dirent *d;
	DIR *dp = NULL;
	int i, err, dfd = -1, vfd, lfd;

	cur = link_target(c, link, &err);
	prev = link_target(c, prevlink, &err);
	/* Only names this module made (relative, beside the link) are
	 * compared; a link an operator made otherwise prunes nothing. */
	if (cur == NULL || strchr(cur, '/') != NULL ||
	    (prev != NULL && strchr(prev, '/') != NULL) ||
	    (dfd = fs_open_dir_of(link)) < 0 || (lfd = dup(dfd)) < 0 ||
	    (dp = fdopendir(lfd)) == NULL)
		goto done;
	/* Relative to the directory's descriptor, never following a
	 * link: a version name that is a symbolic link is left alone. */
	while ((d = readdir(dp)) != NULL) {
		if (version_of(d->d_name, base) < 0 ||
		    strcmp(d->d_name, cur) == 0 ||
		    (prev != NULL && strcmp(d->d_name, prev) == 0))
			continue;
		free(vdir);
		vdir = xasprintf("%s/%s", dir, d->d_name);
		if ((vfd = link_open_version(c, dfd, link, d->d_name)) < 0)
			continue;
		for (i = 0; i < MAX_FILES; i++)
			(void)unlinkat(vfd, link_names[i], 0);
		(void)close(vfd);
		if (unlinkat(dfd, d->d_name, AT_REMOVEDIR) == -1)
			INFO(c, "%s: not removed: %s", vdir, strerror(errno));
		else
			INFO(c, "removed the old set %s", vdir);
	}
done:
	if (dp != NULL)
		(void)closedir(dp);
	if (dfd >= 0)
		(void)close(dfd);
	free(dir);
	free(prevlink);
	free(cur);
	free(prev);
	free(vdir);
}

/* Steps 2-4 for live_link. */
static enum outcome
link_deploy(const struct dctx *c, const struct pems *p, int *changed,
    struct undo *u)
{
	char *link = conf_path_for(c->h->files.live_link, c->alg);
	char *prevlink = with_suffix(link, SUF_PREV);
	char *cur = NULL, *vname = NULL;
	int r, err;
	enum outcome o = OUT_TEMPFAIL;

	if ((cur = link_target(c, link, &err)) == NULL) {
		if (err || link_adopt(c, link) != 0)
			goto done;
		if ((cur = link_target(c, link, &err)) == NULL && err)
			goto done;
	}
	/* Before the switch: they serve what LINK serves, old or new. */
	if (link_ensure_aliases(c, link) != 0)
		goto done;
	if (cur != NULL) {
		if ((r = link_in_place(c, link, cur, p)) < 0)
			goto done;
		if (r == 1) {
			INFO(c, "the set is already installed (%s)", cur);
			o = OUT_OK;
			goto done;
		}
		if ((u->prev_target = link_target(c, prevlink, &err)) == NULL &&
		    err)
			goto done;
		u->saved = 1;
		if (fs_symlink_atomic(cur, prevlink) != 0)
			goto done;
	}
	*changed = 1;
	if ((vname = link_new_version(c, link)) == NULL ||
	    link_write_dir(c, link, vname, p) != 0 ||
	    fs_symlink_atomic(vname, link) != 0)
		goto done;
	INFO(c, "%s -> %s", link, vname);
	o = OUT_OK;
done:
	free(link);
	free(prevlink);
	free(cur);
	free(vname);
	return o;
}

/* LINK points at the directory LINK.prev names. */
static enum outcome
link_restore(const struct dctx *c)
{
	char *link = conf_path_for(c->h->files.live_link, c->alg);
	char *prevlink = with_suffix(link, SUF_PREV);
	char *prev = NULL, *cur = NULL;
	int err;
	enum outcome o = OUT_TEMPFAIL;

	if ((prev = link_target(c, prevlink, &err)) == NULL) {
		if (!err) {
			ERR(c, "%s: no previous set was kept; nothing to "
			    "restore", prevlink);
			o = OUT_PERMFAIL;
		}
		goto done;
	}
	if ((cur = link_target(c, link, &err)) == NULL && err)
		goto done;
	if ((cur == NULL || strcmp(cur, prev) != 0) &&
	    fs_symlink_atomic(prev, link) != 0)
		goto done;
	o = OUT_OK;
done:
	free(link);
	free(prevlink);
	free(prev);
	free(cur);
	return o;
}

/* ---- reload and the entry points ------------------------------------ */

/* Runs the reload command; on failure *why says what happened. */
static enum outcome
reload(const struct dctx *c, char **why)
{
	struct exec_result res = { 0 };
	char *cmd = NULL, *tail = NULL, what[64];
	enum outcome o;

	*why = NULL;
	if (c->h->reload.argv == NULL) {
		NOTICE(c, "no reload command configured: the MTA must pick up "
		    "the new files by itself");
		return OUT_OK;
	}
	cmd = exec_argv_str(c->h->reload.argv);
	o = exec_run(c->h->reload.argv, NULL, NULL, c->h->timing.hook_timeout,
	    HOOKOUT_CAPTURE, &res);
	if (o != OUT_OK) {
		tail = hookout_tail(&res.output, HOOKOUT_QUOTE);
		exec_result_str(&res, what, sizeof(what));
		/* One that never ran has no output to show. */
		if (!res.timed_out && res.signal == 0 && res.exit_code < 0)
			*why = xasprintf("reload %s %s", cmd, what);
		else
			*why = xasprintf("reload %s %s; output: %s", cmd, what,
			    tail);
	} else
		INFO(c, "reloaded: %s", cmd);
	free(cmd);
	free(tail);
	buf_free(&res.output);
	return o;
}

static enum outcome
restore(const struct dctx *c)
{
	return layout_of(&c->h->files) == LAYOUT_LINK ? link_restore(c) :
	    files_restore(c);
}

/* After restore(): the previous set is again what it was before this
 * deploy. 0, or -1 logged. */
static int
undo_prev(const struct dctx *c, const struct undo *u)
{
	struct dfile f[MAX_FILES];
	char *link = NULL, *prev = NULL;
	int i, n = 0, rc = -1;

	memset(f, 0, sizeof(f));
	if (!u->saved)
		return 0;
	if (layout_of(&c->h->files) == LAYOUT_LINK) {
		link = conf_path_for(c->h->files.live_link, c->alg);
		prev = with_suffix(link, SUF_PREV);
		if (u->prev_target != NULL) {
			if (fs_symlink_atomic(u->prev_target, prev) != 0)
				goto done;
		} else if (unlink(prev) == -1 && errno != ENOENT) {
			ERR(c, "%s: %s", prev, strerror(errno));
			goto done;
		}
		rc = 0;
		goto done;
	}
	n = files_of(c, NULL, f);
	for (i = 0; i < n; i++) {
		free(prev);
		prev = with_suffix(f[i].path, SUF_PREV);
		if (u->prev[i] != NULL) {
			if (fs_write_atomic(prev, u->prev[i], strlen(u->prev[i]),
			    f[i].mode, c->uid, c->gid) != 0)
				goto done;
		} else if (unlink(prev) == -1 && errno != ENOENT) {
			ERR(c, "%s: %s", prev, strerror(errno));
			goto done;
		}
	}
	rc = 0;
done:
	files_free(f, n);
	free(link);
	free(prev);
	return rc;
}

static int
dctx_init(struct dctx *c, const struct conf_host *h, enum key_alg alg)
{
	memset(c, 0, sizeof(*c));
	c->h = h;
	c->alg = alg;
	c->slot = key_alg_str(alg);
	if (fs_lookup_owner(h->files.owner, h->files.group, &c->uid,
	    &c->gid) != 0) {
		ERR(c, "owner/group of the deployed files do not resolve");
		return -1;
	}
	return 0;
}

/*
 * Every directory above every deployed path (fs_secure_path): owned by
 * root or us and closed to others, or the MTA's user (or anyone) could
 * swap names under the deploy. missing_ok: for config check, where a
 * directory may not be made yet. 0, or -1 logged.
 */
static int
paths_secure(const struct dctx *c, int missing_ok)
{
	const struct conf_files *f = &c->h->files;
	const char *all[] = { f->combined_file, f->live_link, f->key_file,
	    f->cert_file, f->chain_file, f->fullchain_file };
	char *path;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (all[i] == NULL)
			continue;
		path = conf_path_for(all[i], c->alg);
		if (fs_secure_path(path, FS_SP_PARENT | (missing_ok ?
		    FS_SP_MISSING : 0)) != 0) {
			ERR(c, "%s: refused as a place to deploy to (the "
			    "reason is above)", path);
			rc = -1;
		}
		free(path);
	}
	return rc;
}

/* Why separate files are unsafe, said once per deploy and by check. */
static void
warn_separate(const struct dctx *c)
{
	WARN(c, "key_file and the certificate files are separate files: they "
	    "cannot change in one step, and an MTA process starting between "
	    "two renames loads a mismatched pair; use combined_file (Postfix "
	    "smtpd_tls_chain_files) or live_link");
}

static enum outcome
deploy_files_deploy(const struct conf *conf, const struct conf_host *h,
    enum key_alg alg, const char *key_path, const char *chain_path)
{
	struct dctx c;
	struct pems p = { 0 };
	struct undo u = { 0 };
	char *why = NULL, *why2 = NULL;
	int changed = 0;
	enum outcome o = OUT_PERMFAIL, r, r2;

	(void)conf;
	if (dctx_init(&c, h, alg) != 0 || paths_secure(&c, 0) != 0)
		goto done;
	if (layout_of(&h->files) == LAYOUT_FILES)
		warn_separate(&c);
	if ((o = load_set(&c, key_path, chain_path, &p)) != OUT_OK)
		goto done;
	o = layout_of(&h->files) == LAYOUT_LINK ? link_deploy(&c, &p,
	    &changed, &u) : files_deploy(&c, &p, &changed, &u);
	if (o != OUT_OK)
		goto done;
	if ((r = reload(&c, &why)) == OUT_OK) {
		if (layout_of(&h->files) == LAYOUT_LINK) {
			char *link = conf_path_for(h->files.live_link, alg);

			link_prune(&c, link);
			free(link);
		}
		NOTICE(&c, "%s %s and its chain; reloaded", changed ?
		    "installed" : "already installed:", key_path);
		goto done;
	}
	/* The MTA did not take it: the old set must be what is served. */
	if ((o = restore(&c)) != OUT_OK) {
		ERR(&c, "%s; restoring the previous set failed too: the new "
		    "set stays installed, the MTA needs attention", why);
		o = OUT_PERMFAIL;
		goto done;
	}
	(void)undo_prev(&c, &u);
	if ((r2 = reload(&c, &why2)) != OUT_OK) {
		ERR(&c, "%s; the previous set is restored but the reload "
		    "fails with it too (%s): the MTA needs attention", why,
		    why2);
		o = OUT_PERMFAIL;
		goto done;
	}
	ERR(&c, "%s; the previous set is restored and reloaded; not "
	    "deployed%s", why, r == OUT_PERMFAIL ? "" : ", will retry");
	o = r == OUT_PERMFAIL ? OUT_PERMFAIL : OUT_TEMPFAIL;
done:
	pems_free(&p);
	undo_free(&u);
	free(why);
	free(why2);
	return o;
}

static enum outcome
deploy_files_rollback(const struct conf *conf, const struct conf_host *h,
    enum key_alg alg)
{
	struct dctx c;
	char *why = NULL;
	enum outcome o = OUT_PERMFAIL;

	(void)conf;
	if (dctx_init(&c, h, alg) != 0 || paths_secure(&c, 0) != 0)
		goto done;
	if ((o = restore(&c)) != OUT_OK)
		goto done;
	if ((o = reload(&c, &why)) != OUT_OK) {
		ERR(&c, "the previous set is restored, but %s", why);
		goto done;
	}
	NOTICE(&c, "restored the previous set and reloaded");
done:
	free(why);
	return o;
}

/* Removes name from the directory of path (no link is followed: unlinkat
 * removes the name itself). 1 removed, 0 absent, -1 logged. */
static int
remove_at(const struct dctx *c, const char *path)
{
	int dfd, r;

	if ((dfd = fs_open_dir_of(path)) < 0)
		return -1;
	r = unlinkat(dfd, fs_base_of(path), 0);
	if (r == 0)
		(void)fsync(dfd);
	(void)close(dfd);
	if (r == -1 && errno != ENOENT) {
		ERR(c, "%s: %s", path, strerror(errno));
		return -1;
	}
	return r == 0;
}

/* live_link: LINK.prev goes, then its directory (link_prune keeps only
 * what LINK names once LINK.prev is gone). */
static enum outcome
link_forget(const struct dctx *c)
{
	char *link = conf_path_for(c->h->files.live_link, c->alg);
	char *prevlink = with_suffix(link, SUF_PREV);
	int r = remove_at(c, prevlink);

	if (r == 1)
		INFO(c, "removed %s", prevlink);
	if (r >= 0)
		link_prune(c, link);
	free(link);
	free(prevlink);
	return r < 0 ? OUT_TEMPFAIL : OUT_OK;
}

/* combined_file and separate files: every PATH.prev goes; not while a
 * deploy is cut short (its marker says PATH.prev is the set to undo to). */
static enum outcome
files_forget(const struct dctx *c)
{
	struct dfile f[MAX_FILES];
	char *mark, *prev = NULL, *cur;
	int i, n, r, err;
	enum outcome o = OUT_TEMPFAIL;

	n = files_of(c, NULL, f);
	mark = with_suffix(key_file_of(f, n)->path, SUF_MARK);
	if ((cur = read_opt(mark, &err)) != NULL || err) {
		if (cur != NULL)
			INFO(c, "%s: a deploy is under way; the previous set "
			    "stays", mark);
		goto done;
	}
	for (i = 0; i < n; i++) {
		free(prev);
		prev = with_suffix(f[i].path, SUF_PREV);
		if ((r = remove_at(c, prev)) < 0)
			goto done;
		if (r == 1)
			INFO(c, "removed %s", prev);
	}
	o = OUT_OK;
done:
	files_free(f, n);
	free(mark);
	free(cur);
	free(prev);
	return o;
}

static enum outcome
deploy_files_forget(const struct conf *conf, const struct conf_host *h,
    enum key_alg alg)
{
	struct dctx c;

	(void)conf;
	if (dctx_init(&c, h, alg) != 0 || paths_secure(&c, 0) != 0)
		return OUT_PERMFAIL;
	return layout_of(&h->files) == LAYOUT_LINK ? link_forget(&c) :
	    files_forget(&c);
}

int
deploy_files_check(const struct conf_host *h)
{
	struct dctx c;
	int a, bad = 0;

	for (a = 0; a < KEY_ALG_COUNT; a++) {
		if (!(h->algs & (1u << a)))
			continue;
		if (dctx_init(&c, h, (enum key_alg)a) != 0)
			return -1;
		if (paths_secure(&c, 1) != 0)
			bad = 1;
		if (layout_of(&h->files) == LAYOUT_FILES)
			warn_separate(&c);
	}
	return bad ? -1 : 0;
}

const struct backend_deployer deploy_files = {
	deploy_files_deploy, deploy_files_rollback, deploy_files_forget
};
