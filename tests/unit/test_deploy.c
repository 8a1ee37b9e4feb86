/*
 * Unit tests: the files deployer (src/deploy_files.c) on real files with a
 * real reload script: the three layouts with their contents, modes and
 * owners; rollback byte-identical; idempotent re-deploy keeping the real
 * previous set; failing and unrunnable reloads restoring the previous set;
 * mismatched pairs refused; current+issuer chain completion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "deploy_files.h"
#include "fakes.h"
#include "fsutil.h"
#include "key.h"
#include "log.h"
#include "t.h"

/* A root CA, an intermediate it issued, and an unrelated CA. */
static EVP_PKEY	*root_key, *int_key, *other_key;
static X509	*root_cert, *int_cert, *other_cert;

/* One key and its chain (leaf + intermediate) on disk, as staged. */
struct set {
	char	 key_path[600], chain_path[600];
	char	*key_pem, *leaf_pem, *int_pem;
};

static X509 *
mk_cert(EVP_PKEY *pub, const char *cn, EVP_PKEY *signer_key, X509 *signer,
    int ca)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char san[300];

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 90);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, signer ? X509_get_subject_name(signer) : nm);
	X509_set_pubkey(x, pub);
	X509V3_set_ctx(&ctx, signer ? signer : x, x, NULL, NULL, 0);
	if (ca)
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
		    "critical,CA:TRUE");
	else {
		snprintf(san, sizeof(san), "DNS:%s", cn);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
		    san);
	}
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, signer_key, EVP_sha256());
	X509_NAME_free(nm);
	return x;
}

static void
pki(void)
{
	if (root_key != NULL)
		return;
	root_key = key_generate(KEY_ALG_ECDSA_P256);
	root_cert = mk_cert(root_key, "daneroll test root", root_key, NULL, 1);
	int_key = key_generate(KEY_ALG_ECDSA_P256);
	int_cert = mk_cert(int_key, "daneroll test intermediate", root_key,
	    root_cert, 1);
	other_key = key_generate(KEY_ALG_ECDSA_P256);
	other_cert = mk_cert(other_key, "another CA", other_key, NULL, 1);
}

/* A staged key and its chain (leaf + intermediate) named name. */
static void
mkset(struct set *s, const char *name, EVP_PKEY *for_key)
{
	EVP_PKEY *key = key_generate(KEY_ALG_ECDSA_P256);
	X509 *leaf;
	char *chain;

	pki();
	memset(s, 0, sizeof(*s));
	snprintf(s->key_path, sizeof(s->key_path), "%s/%s.key", t_tmpdir(),
	    name);
	snprintf(s->chain_path, sizeof(s->chain_path), "%s/%s.chain",
	    t_tmpdir(), name);
	(void)unlink(s->key_path);
	(void)key_write_new(s->key_path, key, 0600, (uid_t)-1, (gid_t)-1);
	s->key_pem = t_read(s->key_path);
	leaf = mk_cert(for_key ? for_key : key, "mx.example.org", int_key,
	    int_cert, 0);
	s->leaf_pem = fake_cert_pem(leaf);
	s->int_pem = fake_cert_pem(int_cert);
	chain = xasprintf("%s%s", s->leaf_pem, s->int_pem);
	(void)fs_write_atomic(s->chain_path, chain, strlen(chain), 0644,
	    (uid_t)-1, (gid_t)-1);
	free(chain);
	X509_free(leaf);
	EVP_PKEY_free(key);
}

static void
set_free(struct set *s)
{
	free(s->key_pem);
	free(s->leaf_pem);
	free(s->int_pem);
}

static char *
combined_of(const struct set *s)
{
	return xasprintf("%s%s%s", s->key_pem, s->leaf_pem, s->int_pem);
}

/* deploy_files on the ECDSA slot of the first host: s's key and chain. */
static enum outcome
deploy_set(const struct conf *c, const struct set *s)
{
	return deploy_files.deploy(c, &c->hosts[0], KEY_ALG_ECDSA_P256,
	    s->key_path, s->chain_path);
}

/* And back to the previous set. */
static enum outcome
roll_back(const struct conf *c)
{
	return deploy_files.rollback(c, &c->hosts[0], KEY_ALG_ECDSA_P256);
}

/*
 * A configuration for host mx.example.org in directory dir (made fresh),
 * with the given file lines; reload is dir/reload (a script counting its
 * runs in dir/reloads, failing while dir/reload-fail exists: "once" makes
 * it fail one time).
 */
static struct conf *
conf_in(const char *dir, const char *files)
{
	static int n;
	struct buf c = { 0 }, r = { 0 };
	char name[64], path[600];
	struct conf *conf;

	mkdir(t_path(dir), 0755);
	buf_printf(&r, "#!/bin/sh\necho x >> %s/%s/reloads\n"
	    "if [ -e %s/%s/reload-fail ]; then\n"
	    "  [ \"$(cat %s/%s/reload-fail)\" = once ] && "
	    "rm -f %s/%s/reload-fail\n"
	    "  echo 'postfix: fatal: bad TLS configuration' >&2\n  exit 1\n"
	    "fi\nexit 0\n", t_tmpdir(), dir, t_tmpdir(), dir, t_tmpdir(), dir,
	    t_tmpdir(), dir);
	snprintf(path, sizeof(path), "%s/reload", dir);
	chmod(t_write(path, r.data), 0700);
	buf_printf(&c, "[global]\nstate_dir = %s/state\n\n"
	    "[publisher dns]\ntype = rfc2136\ntsig_key_file = %s/tsig.key\n\n"
	    "[host mx.example.org]\npublisher = dns\nalgorithms = ecdsa-p256\n"
	    "reload = %s/%s/reload\nhook_timeout = 10s\n", t_tmpdir(),
	    t_tmpdir(), t_tmpdir(), dir);
	buf_puts(&c, files);
	snprintf(name, sizeof(name), "deploy%d.conf", ++n);
	conf = conf_load(t_write(name, c.data));
	buf_free(&c);
	buf_free(&r);
	return conf;
}

/* conf_in with one combined file, dir/mx.pem. */
static struct conf *
conf_combined(const char *dir)
{
	char *lines = xasprintf("combined_file = %s/%s/mx.pem\n", t_tmpdir(),
	    dir);
	struct conf *c = conf_in(dir, lines);

	free(lines);
	return c;
}

/* conf_in(dir, files), or conf_combined(dir) if files is NULL, and two
 * staged sets for it, DIR-a and DIR-b (the caller set_frees both); NULL,
 * the sets untouched, if the configuration is refused. */
static struct conf *
conf_sets(const char *dir, const char *files, struct set *a, struct set *b)
{
	struct conf *c = files != NULL ? conf_in(dir, files) :
	    conf_combined(dir);
	char name[64];

	if (!T_CHECK(c != NULL))
		return NULL;
	snprintf(name, sizeof(name), "%s-a", dir);
	mkset(a, name, NULL);
	snprintf(name, sizeof(name), "%s-b", dir);
	mkset(b, name, NULL);
	return c;
}

static int
reloads(const char *dir)
{
	char path[600], *s;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s/reloads", t_tmpdir(), dir);
	if ((s = t_read(path)) != NULL)
		n = (int)(strlen(s) / 2);
	free(s);
	return n;
}

static void
fail_reload(const char *dir, const char *how)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/reload-fail", dir);
	t_write(path, how);
}

static unsigned
mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

#define P(dir, file)	xasprintf("%s/%s/%s", t_tmpdir(), dir, file)

/* The same in a static buffer, for use inside an expression. */
static const char *
Q(const char *dir, const char *file)
{
	static char buf[4][600];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s/%s", t_tmpdir(), dir, file);
	return buf[i];
}

static void
test_combined(void)
{
	struct conf *c;
	struct set a, b;
	char *lines = xasprintf("combined_file = %s/comb/mx-%%a.pem\n"
	    "owner = 4242\ngroup = 4343\n", t_tmpdir());
	char *path = P("comb", "mx-ecdsa-p256.pem");
	char *prev = P("comb", "mx-ecdsa-p256.pem.prev");
	char *ca = NULL, *cb = NULL;
	struct stat st;

	c = conf_sets("comb", lines, &a, &b);
	if (c == NULL)
		goto done;
	ca = combined_of(&a);
	cb = combined_of(&b);

	/* First deploy: nothing to keep, nothing to roll back to. */
	T_INT(deploy_set(c, &a), OUT_OK);
	T_CHECK(t_holds(path, ca));
	T_CHECK(!fs_exists(prev));
	T_INT(mode_of(path), 0600);
	T_CHECK(stat(path, &st) == 0 && st.st_uid == 4242 &&
	    st.st_gid == 4343);
	T_INT(reloads("comb"), 1);
	t_log_reset();
	T_INT(roll_back(c), OUT_PERMFAIL);
	T_CHECK(t_log_has("no previous set was kept"));
	T_CHECK(t_holds(path, ca));

	/* The next set: one rename, the old one kept byte for byte. */
	T_INT(deploy_set(c, &b), OUT_OK);
	T_CHECK(t_holds(path, cb));
	T_CHECK(t_holds(prev, ca));
	T_INT(mode_of(prev), 0600);
	T_CHECK(!fs_exists(Q("comb", "mx-ecdsa-p256.pem.new")));
	T_CHECK(!fs_exists(Q("comb", "mx-ecdsa-p256.pem.deploying")));
	T_INT(reloads("comb"), 2);

	/* Again (a repeated action after a crash): .prev is still A. */
	T_INT(deploy_set(c, &b), OUT_OK);
	T_CHECK(t_holds(path, cb));
	T_CHECK(t_holds(prev, ca));
	T_INT(reloads("comb"), 3);	/* a repeated deploy still reloads */

	/* Rollback: A back, byte-identical; twice is the same. */
	T_INT(roll_back(c), OUT_OK);
	T_CHECK(t_holds(path, ca));
	T_INT(roll_back(c), OUT_OK);
	T_CHECK(t_holds(path, ca));
	T_INT(mode_of(path), 0600);
	T_INT(reloads("comb"), 5);
	set_free(&a);
	set_free(&b);
done:
	free(ca);
	free(cb);
	free(lines);
	free(path);
	free(prev);
	conf_free(c);
}

static void
test_failing_reload(void)
{
	struct conf *c;
	struct set a, b, d;
	char *path = P("frel", "mx.pem"), *ca = NULL, *cb = NULL;

	c = conf_sets("frel", NULL, &a, &b);
	if (c == NULL)
		goto done;
	mkset(&d, "frel-d", NULL);
	ca = combined_of(&a);
	cb = combined_of(&b);
	T_INT(deploy_set(c, &a), OUT_OK);

	/* The MTA refuses the new set once: A is back, reloaded. */
	fail_reload("frel", "once");
	t_log_reset();
	T_INT(deploy_set(c, &b), OUT_TEMPFAIL);
	T_CHECK(t_holds(path, ca));
	T_INT(reloads("frel"), 3);
	T_CHECK(strstr(log_last_error(), "previous set is restored and "
	    "reloaded") != NULL);
	T_CHECK(strstr(log_last_error(), "bad TLS configuration") != NULL);

	/* Every reload fails: restored all the same, and a human is asked. */
	fail_reload("frel", "always");
	T_INT(deploy_set(c, &b), OUT_PERMFAIL);
	T_CHECK(t_holds(path, ca));
	T_CHECK(strstr(log_last_error(), "needs attention") != NULL);
	unlink(Q("frel", "reload-fail"));

	/* Nothing was kept before the failed deploys: still nothing. */
	T_CHECK(!fs_exists(Q("frel", "mx.pem.prev")));

	/* The retry, with a working reload, goes through. */
	T_INT(deploy_set(c, &b), OUT_OK);
	T_CHECK(t_holds(Q("frel", "mx.pem.prev"), ca));

	/* A failed deploy of D leaves A as the previous set, not B, the set
	 * it restored: a rollback must still go back to A. */
	fail_reload("frel", "once");
	T_INT(deploy_set(c, &d), OUT_TEMPFAIL);
	T_CHECK(t_holds(path, cb));
	T_CHECK(t_holds(Q("frel", "mx.pem.prev"), ca));
	T_INT(roll_back(c), OUT_OK);
	T_CHECK(t_holds(path, ca));
	set_free(&a);
	set_free(&b);
	set_free(&d);
done:
	free(path);
	free(ca);
	free(cb);
	conf_free(c);
}

static void
test_reload_not_runnable(void)
{
	struct conf *c;
	struct set a, b;
	char *path = P("nrel", "mx.pem"), *ca = NULL;

	c = conf_sets("nrel", NULL, &a, &b);
	if (c == NULL)
		goto done;
	ca = combined_of(&a);
	T_INT(deploy_set(c, &a), OUT_OK);
	chmod(Q("nrel", "reload"), 0600);	/* not executable any more */
	T_INT(deploy_set(c, &b), OUT_PERMFAIL);
	T_CHECK(t_holds(path, ca));
	set_free(&a);
	set_free(&b);
done:
	free(path);
	free(ca);
	conf_free(c);
}

static void
test_separate(void)
{
	struct conf *c;
	struct set a, b;
	char *lines = xasprintf("key_file = %s/sep/key.pem\n"
	    "cert_file = %s/sep/cert.pem\nchain_file = %s/sep/chain.pem\n"
	    "fullchain_file = %s/sep/full.pem\ncert_mode = 0640\n",
	    t_tmpdir(), t_tmpdir(), t_tmpdir(), t_tmpdir());
	char *kp = P("sep", "key.pem"), *cp = P("sep", "cert.pem");
	char *chp = P("sep", "chain.pem"), *fp = P("sep", "full.pem");
	char *fa = NULL, *fb = NULL;
	char *kprev = P("sep", "key.pem.prev"), *fprev = P("sep",
	    "full.pem.prev");

	c = conf_sets("sep", lines, &a, &b);
	if (c == NULL)
		goto done;
	fa = xasprintf("%s%s", a.leaf_pem, a.int_pem);
	fb = xasprintf("%s%s", b.leaf_pem, b.int_pem);
	t_log_reset();
	T_INT(deploy_set(c, &a), OUT_OK);
	/* Not atomic: said every time, with what to use instead. */
	T_CHECK(t_log_has("cannot change in one step"));
	T_CHECK(t_log_has("combined_file"));
	T_CHECK(t_holds(kp, a.key_pem));
	T_CHECK(t_holds(cp, a.leaf_pem));
	T_CHECK(t_holds(chp, a.int_pem));
	T_CHECK(t_holds(fp, fa));
	T_INT(mode_of(kp), 0600);
	T_INT(mode_of(cp), 0640);
	T_INT(mode_of(fp), 0640);

	T_INT(deploy_set(c, &b), OUT_OK);
	T_CHECK(t_holds(kp, b.key_pem) && t_holds(fp, fb) &&
	    t_holds(cp, b.leaf_pem));
	T_CHECK(t_holds(kprev, a.key_pem) && t_holds(fprev, fa));
	T_INT(mode_of(kprev), 0600);
	T_CHECK(!fs_exists(Q("sep", "key.pem.new")));
	/* Repeated: the previous set survives. */
	T_INT(deploy_set(c, &b), OUT_OK);
	T_CHECK(t_holds(kprev, a.key_pem) && t_holds(fprev, fa));

	T_INT(roll_back(c), OUT_OK);
	T_CHECK(t_holds(kp, a.key_pem) && t_holds(fp, fa) &&
	    t_holds(cp, a.leaf_pem) && t_holds(chp, a.int_pem));
	T_INT(deploy_files_check(&c->hosts[0]), 0);
	set_free(&a);
	set_free(&b);
done:
	free(lines);
	free(kp);
	free(cp);
	free(chp);
	free(fp);
	free(fa);
	free(fb);
	free(kprev);
	free(fprev);
	conf_free(c);
}

/* What a path names once symlinks are followed, relative to dir. */
static int
link_is(const char *link, const char *want)
{
	char buf[600];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

static void
test_live_link(void)
{
	struct conf *c;
	struct set a, b, d;
	char *lines = xasprintf("live_link = %s/ll/live\n"
	    "key_file = %s/ll/key.pem\nfullchain_file = %s/ll/full.pem\n",
	    t_tmpdir(), t_tmpdir(), t_tmpdir());
	char *link = P("ll", "live"), *prevlink = P("ll", "live.prev");
	char *kp = P("ll", "key.pem"), *fp = P("ll", "full.pem");
	char *lk = P("ll", "live/privkey.pem"), *lf = P("ll",
	    "live/fullchain.pem"), *lc = P("ll", "live/cert.pem");
	char *lch = P("ll", "live/chain.pem"), *fa = NULL, *fb = NULL;
	char *target = P("ll", "live/privkey.pem");
	struct stat st;

	c = conf_sets("ll", lines, &a, &b);
	if (c == NULL)
		goto done;
	mkset(&d, "ll-d", NULL);
	fa = xasprintf("%s%s", a.leaf_pem, a.int_pem);
	fb = xasprintf("%s%s", b.leaf_pem, b.int_pem);

	/* What the MTA serves today, as plain files: adopted as v1. */
	(void)fs_write_atomic(kp, a.key_pem, strlen(a.key_pem), 0600,
	    (uid_t)-1, (gid_t)-1);
	(void)fs_write_atomic(fp, fa, strlen(fa), 0644, (uid_t)-1, (gid_t)-1);
	T_INT(deploy_set(c, &b), OUT_OK);
	T_CHECK(link_is(link, "live.v2"));
	T_CHECK(link_is(prevlink, "live.v1"));
	T_CHECK(t_holds(lk, b.key_pem) && t_holds(lf, fb) &&
	    t_holds(lc, b.leaf_pem) && t_holds(lch, b.int_pem));
	T_INT(mode_of(lk), 0600);
	T_INT(mode_of(lf), 0644);
	/* The configured paths follow the link: one switch for all. */
	T_CHECK(lstat(kp, &st) == 0 && S_ISLNK(st.st_mode));
	T_CHECK(link_is(kp, target));
	T_CHECK(t_holds(kp, b.key_pem) && t_holds(fp, fb));

	/* Repeated: no new version, the previous one kept. */
	T_INT(deploy_set(c, &b), OUT_OK);
	T_CHECK(link_is(link, "live.v2") && link_is(prevlink, "live.v1"));
	T_CHECK(!fs_exists(Q("ll", "live.v3")));

	/* Rollback: one rename back to the adopted files. */
	T_INT(roll_back(c), OUT_OK);
	T_CHECK(link_is(link, "live.v1"));
	T_CHECK(t_holds(kp, a.key_pem) && t_holds(fp, fa));

	/* Onwards: v3, previous v1 (what was served), v2 pruned. */
	T_INT(deploy_set(c, &d), OUT_OK);
	T_CHECK(link_is(link, "live.v3") && link_is(prevlink, "live.v1"));
	T_CHECK(!fs_exists(Q("ll", "live.v2")));
	T_CHECK(t_holds(kp, d.key_pem));
	T_INT(reloads("ll"), 4);

	/* A failing reload switches the link back. */
	fail_reload("ll", "once");
	T_INT(deploy_set(c, &b), OUT_TEMPFAIL);
	T_CHECK(link_is(link, "live.v3"));
	T_CHECK(t_holds(kp, d.key_pem));
	/* ... and the previous set is still the one before it. */
	T_CHECK(link_is(prevlink, "live.v1"));
	T_INT(roll_back(c), OUT_OK);
	T_CHECK(t_holds(kp, a.key_pem));
	set_free(&a);
	set_free(&b);
	set_free(&d);
done:
	free(lines);
	free(link);
	free(prevlink);
	free(kp);
	free(fp);
	free(lk);
	free(lf);
	free(lc);
	free(lch);
	free(fa);
	free(fb);
	free(target);
	conf_free(c);
}

/* A link an operator made, to an absolute path: nothing of it pruned. */
static void
test_live_link_absolute(void)
{
	struct conf *c;
	struct set a, b;
	char *lines = xasprintf("live_link = %s/lla/live\n"
	    "key_file = %s/lla/key.pem\nfullchain_file = %s/lla/full.pem\n",
	    t_tmpdir(), t_tmpdir(), t_tmpdir());
	char *v1 = P("lla", "live.v1"), *link = P("lla", "live");
	char *fa = NULL;

	c = conf_sets("lla", lines, &a, &b);
	if (c == NULL)
		goto done;
	fa = xasprintf("%s%s", a.leaf_pem, a.int_pem);
	mkdir(v1, 0755);
	t_write("lla/live.v1/privkey.pem", a.key_pem);
	t_write("lla/live.v1/fullchain.pem", fa);
	T_CHECK(symlink(v1, link) == 0);
	T_INT(deploy_set(c, &b), OUT_OK);
	T_CHECK(link_is(link, "live.v2"));
	T_CHECK(fs_exists(Q("lla", "live.v1/privkey.pem")));
	T_INT(roll_back(c), OUT_OK);
	T_CHECK(t_holds(Q("lla", "key.pem"), a.key_pem));
	set_free(&a);
	set_free(&b);
done:
	free(lines);
	free(v1);
	free(link);
	free(fa);
	conf_free(c);
}

static void
test_mismatch_refused(void)
{
	struct conf *c;
	struct set a, bad;
	EVP_PKEY *other = key_generate(KEY_ALG_ECDSA_P256);
	char *path = P("mis", "mx.pem"), *ca = NULL;

	c = conf_combined("mis");
	if (!T_CHECK(c != NULL))
		goto done;
	mkset(&a, "mis-a", NULL);
	mkset(&bad, "mis-bad", other);	/* its chain is for another key */
	ca = combined_of(&a);
	T_INT(deploy_set(c, &a), OUT_OK);
	t_log_reset();
	T_INT(deploy_set(c, &bad), OUT_PERMFAIL);
	T_CHECK(t_log_has("refusing to install a mismatched pair"));
	T_CHECK(t_holds(path, ca));
	T_INT(reloads("mis"), 1);
	set_free(&a);
	set_free(&bad);
done:
	EVP_PKEY_free(other);
	free(path);
	free(ca);
	conf_free(c);
}

/* x's PEM written to name under the test directory: the path (caller
 * frees), and the PEM into *pemp if not NULL (caller frees). */
static char *
cert_file(const char *name, X509 *x, char **pemp)
{
	char *pem = fake_cert_pem(x), *path = xstrdup(t_write(name, pem));

	if (pemp != NULL)
		*pemp = pem;
	else
		free(pem);
	return path;
}

/*
 * current+issuer: what the deployer makes of the staged chain, by the pins
 * (issuer_spki, issuer_cert), issuer_follow and issuer_pin, as a table.
 * Each row: what the chain sends, the pins, the outcome, the words the log
 * must hold, and what is installed: nothing, the chain as sent, or the
 * chain with the root appended from its issuer_cert file. Each row has a
 * directory of its own, its reload run once when a chain is installed.
 * issuer_pin = root: a followed chain must send its root, since a "2 1 1"
 * of the root matches only a certificate the server sends; a leaf sent
 * alone is never followed (there is no CA to name).
 */
enum sends { SENDS_LEAF_INT, SENDS_LEAF_INT_ROOT, SENDS_LEAF };
enum ca { CA_NONE, CA_ROOT, CA_INT, CA_OTHER };
enum installs { INSTALLS_NOTHING, INSTALLS_AS_SENT, INSTALLS_ROOT_APPENDED };

static void
test_issuer_chains(void)
{
	static const struct {
		const char	*what;
		enum sends	 sends;
		enum ca		 spki, cert;
		const char	*extra;		/* more lines of [host] */
		enum outcome	 o;
		const char	*log, *log2;
		enum installs	 installs;
	} rows[] = {
		{ "the root pinned by its certificate: appended",
		  SENDS_LEAF_INT, CA_NONE, CA_ROOT, "", OUT_OK, "appended", NULL,
		  INSTALLS_ROOT_APPENDED },
		{ "the root pinned by SPKI, its certificate in issuer_cert too",
		  SENDS_LEAF_INT, CA_ROOT, CA_ROOT, "", OUT_OK, NULL, NULL,
		  INSTALLS_ROOT_APPENDED },
		{ "the intermediate pinned: already sent, nothing appended",
		  SENDS_LEAF_INT, CA_INT, CA_NONE, "", OUT_OK, NULL, NULL,
		  INSTALLS_AS_SENT },
		{ "another CA pinned, strict pinning: refused",
		  SENDS_LEAF_INT, CA_OTHER, CA_OTHER, "issuer_follow = no\n",
		  OUT_PERMFAIL, "would not validate", NULL, INSTALLS_NOTHING },
		/* The engine aged the followed CA's record before choosing
		 * DEPLOY; the chain, which sends it, is installed as is. */
		{ "another CA pinned, following the CA (the default)",
		  SENDS_LEAF_INT, CA_OTHER, CA_OTHER, "", OUT_OK,
		  "is followed (issuer_follow)", NULL, INSTALLS_AS_SENT },
		{ "issuer_pin = root, the root neither sent nor in a file",
		  SENDS_LEAF_INT, CA_NONE, CA_OTHER, "issuer_pin = root\n",
		  OUT_PERMFAIL, "does not send its root /CN=daneroll test root",
		  "add the root's certificate with issuer_cert",
		  INSTALLS_NOTHING },
		{ "issuer_pin = root, the root sent: followed",
		  SENDS_LEAF_INT_ROOT, CA_NONE, CA_OTHER, "issuer_pin = root\n",
		  OUT_OK, "the chain's root /CN=daneroll test root is followed",
		  NULL, INSTALLS_AS_SENT },
		{ "issuer_pin = root, the root not sent but in issuer_cert",
		  SENDS_LEAF_INT, CA_NONE, CA_ROOT, "issuer_pin = root\n",
		  OUT_OK, NULL, NULL, INSTALLS_ROOT_APPENDED },
		{ "a leaf alone, from a CA no file holds", SENDS_LEAF, CA_NONE,
		  CA_OTHER, "", OUT_PERMFAIL, "the chain sends no CA "
		  "certificate, and no issuer_cert file holds its issuer "
		  "/CN=daneroll test intermediate", NULL, INSTALLS_NOTHING },
	};
	char hex[4][65] = { "", "", "", "" }, *file[4] = { NULL };
	char *root_pem = NULL;
	struct set a;
	size_t i;

	pki();
	key_spki_hex(root_key, hex[CA_ROOT]);
	key_spki_hex(int_key, hex[CA_INT]);
	key_spki_hex(other_key, hex[CA_OTHER]);
	file[CA_ROOT] = cert_file("root.pem", root_cert, &root_pem);
	file[CA_OTHER] = cert_file("other.pem", other_cert, NULL);
	mkset(&a, "iss-a", NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf lines = { 0 };
		struct conf *c;
		char dir[16], *chain, *want = NULL;

		snprintf(dir, sizeof(dir), "iss%zu", i);
		chain = xasprintf("%s%s%s", a.leaf_pem,
		    rows[i].sends == SENDS_LEAF ? "" : a.int_pem,
		    rows[i].sends == SENDS_LEAF_INT_ROOT ? root_pem : "");
		(void)fs_write_atomic(a.chain_path, chain, strlen(chain), 0644,
		    (uid_t)-1, (gid_t)-1);
		buf_puts(&lines, "scheme = current+issuer\n");
		if (rows[i].spki != CA_NONE)
			buf_printf(&lines, "issuer_spki = %s\n",
			    hex[rows[i].spki]);
		if (rows[i].cert != CA_NONE)
			buf_printf(&lines, "issuer_cert = %s\n",
			    file[rows[i].cert]);
		buf_printf(&lines, "%scombined_file = %s/%s/mx.pem\n",
		    rows[i].extra, t_tmpdir(), dir);
		c = conf_in(dir, lines.data);
		if (rows[i].installs == INSTALLS_AS_SENT)
			want = xasprintf("%s%s", a.key_pem, chain);
		else if (rows[i].installs == INSTALLS_ROOT_APPENDED)
			want = xasprintf("%s%s%s", a.key_pem, chain, root_pem);
		t_log_reset();
		if (!T_CHECK(c != NULL) ||
		    !T_INT(deploy_set(c, &a), rows[i].o) ||
		    !T_CHECK(rows[i].log == NULL || t_log_has(rows[i].log)) ||
		    !T_CHECK(rows[i].log2 == NULL ||
		    t_log_has(rows[i].log2)) ||
		    !T_CHECK(want == NULL ? !fs_exists(Q(dir, "mx.pem")) :
		    t_holds(Q(dir, "mx.pem"), want)) ||
		    !T_INT(reloads(dir), want != NULL))
			printf("    row %zu (%s): %s", i, rows[i].what,
			    t_log_text());
		conf_free(c);
		buf_free(&lines);
		free(chain);
		free(want);
	}
	set_free(&a);
	free(file[CA_ROOT]);
	free(file[CA_OTHER]);
	free(root_pem);
}

static void
test_unknown_owner(void)
{
	struct conf *c;
	char *lines = xasprintf("combined_file = %s/own/mx.pem\n"
	    "owner = no-such-user-daneroll\n", t_tmpdir());
	struct set a;

	/* The configuration refuses it at its line... */
	T_CHECK(conf_in("own", lines) == NULL);
	T_CHECK(t_log_has("owner: unknown user \"no-such-user-daneroll\""));
	free(lines);
	/* ...and a user deleted since is refused at deploy time. */
	lines = xasprintf("combined_file = %s/own/mx.pem\nowner = root\n",
	    t_tmpdir());
	c = conf_in("own", lines);
	if (!T_CHECK(c != NULL))
		goto done;
	free(c->hosts[0].files.owner);
	c->hosts[0].files.owner = xstrdup("no-such-user-daneroll");
	mkset(&a, "own-a", NULL);
	T_INT(deploy_set(c, &a), OUT_PERMFAIL);
	T_CHECK(t_log_has("unknown user no-such-user-daneroll"));
	T_INT(deploy_files_check(&c->hosts[0]), -1);
	set_free(&a);
done:
	free(lines);
	conf_free(c);
}

static const struct t_case cases[] = {
	{ "combined", test_combined },
	{ "failing_reload", test_failing_reload },
	{ "reload_not_runnable", test_reload_not_runnable },
	{ "separate", test_separate },
	{ "live_link", test_live_link },
	{ "live_link_absolute", test_live_link_absolute },
	{ "mismatch_refused", test_mismatch_refused },
	{ "issuer_chains", test_issuer_chains },
	{ "unknown_owner", test_unknown_owner },
};

T_MAIN(cases)
