/*
 * Unit tests: key (key files, certificates and chains, names, CSRs).
 * The openssl command line (t_openssl.h) makes the certificates and is the
 * independent judge of digests and CSRs.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cert.h"
#include "key.h"
#include "log.h"
#include "t.h"
#include "t_openssl.h"
#include "util.h"
#include "x509cache.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The start of validity, read by OpenSSL's own arithmetic (daneroll only
 * needs the end): what cert_not_after is checked beside. */
static time_t
not_before(X509 *x)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int day = 0, sec = 0, ok;

	ok = epoch != NULL &&
	    ASN1_TIME_diff(&day, &sec, epoch, X509_get0_notBefore(x)) == 1;
	ASN1_TIME_free(epoch);
	return ok ? (time_t)day * 86400 + sec : (time_t)-1;
}

static const struct {
	enum key_alg	 alg;
	const char	*name;
} algs[] = {
	{ KEY_ALG_RSA2048, "rsa2048" },
	{ KEY_ALG_ECDSA_P256, "ecdsa-p256" },
};

static const char *
mkdir_t(const char *name)
{
	const char *dir = t_path(name);

	(void)mkdir(dir, 0700);
	return dir;
}

/* The one certificate in t_path(name), or NULL. */
static X509 *
cert_of(const char *name)
{
	STACK_OF(X509) *chain = cert_load_chain(t_path(name));
	X509 *x = NULL;

	if (chain != NULL && sk_X509_num(chain) >= 1)
		x = sk_X509_shift(chain);
	sk_X509_pop_free(chain, X509_free);
	return x;
}

static STACK_OF(X509) *
chain_of(const char *const *names)
{
	return cert_load_chain(t_cat("chain.tmp.pem", names));
}

/* One algorithm's round: write, refuse a second write, reload, compare. */
static void
write_new_one(enum key_alg alg, const char *name)
{
	char path[1024], other[1024], dir[512], hex[65], clihex[65], der[1024];
	const char *topub[] = { "openssl", "pkey", "-in", path, "-pubout",
	    "-outform", "DER", "-out", der, NULL };
	EVP_PKEY *k = NULL, *k2 = NULL, *back = NULL;
	char *first = NULL, *after = NULL;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", mkdir_t(name));
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	snprintf(other, sizeof(other), "%s/other.pem", dir);
	snprintf(der, sizeof(der), "%s/pub.der", t_tmpdir());

	k = key_generate(alg);
	k2 = key_generate(alg);
	if (!T_CHECK(k != NULL && k2 != NULL))
		goto done;
	T_INT(key_alg_of(k), alg);
	T_CHECK(EVP_PKEY_eq(k, k2) != 1);

	T_INT(key_write_new(path, k, 0600, (uid_t)-1, (gid_t)-1), 0);
	T_CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	T_INT(st.st_mode & 07777, 0600);
	first = t_read(path);
	T_CHECK(first != NULL &&
	    strncmp(first, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);

	/* A second write never replaces the key nor leaves litter. */
	t_log_reset();
	T_INT(key_write_new(path, k2, 0600, (uid_t)-1, (gid_t)-1), -1);
	T_CHECK(t_log_has("key.pem: already exists"));
	after = t_read(path);
	T_CHECK(first != NULL && after != NULL && strcmp(first, after) == 0);
	T_INT(t_dir_count(dir, 0), 1);

	/* Reload: same key, same digest, and the CLI agrees. */
	back = key_load(path);
	T_CHECK(back != NULL && EVP_PKEY_eq(back, k) == 1);
	T_INT(key_alg_of(back), alg);
	T_INT(key_spki_hex(k, hex), 0);
	T_INT(t_run_cmd(topub, NULL), 0);
	T_INT(t_ossl_digest("-sha256", der, clihex, sizeof(clihex)), 0);
	T_STR(hex, clihex);

	/* Requested mode and owner (our own ids: no root needed). */
	T_INT(key_write_new(other, k2, 0640, getuid(), getgid()), 0);
	T_CHECK(stat(other, &st) == 0);
	T_INT(st.st_mode & 07777, 0640);
	T_INT(st.st_uid, getuid());
	T_INT(t_dir_count(dir, 0), 2);
done:
	free(first);
	free(after);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(back);
}

static void
test_write_new(void)
{
	size_t i;

	for (i = 0; i < NELEM(algs); i++)
		write_new_one(algs[i].alg, algs[i].name);
}

static void
test_write_fails_cleanly(void)
{
	EVP_PKEY *k = key_generate(KEY_ALG_ECDSA_P256);
	const char *dir = mkdir_t("wfail");
	char path[1024];

	snprintf(path, sizeof(path), "%s/missing/key.pem", dir);
	T_INT(key_write_new(path, k, 0600, (uid_t)-1, (gid_t)-1), -1);
	T_CHECK(t_log_has("missing/key.pem: create temp file: No such file"));
	T_INT(t_dir_count(dir, 0), 0);

	/* A dangling symlink at path is "exists" too: link() won't follow. */
	snprintf(path, sizeof(path), "%s/link.pem", dir);
	T_INT(symlink("nowhere", path), 0);
	t_log_reset();
	T_INT(key_write_new(path, k, 0600, (uid_t)-1, (gid_t)-1), -1);
	T_CHECK(t_log_has("already exists"));
	T_INT(t_dir_count(dir, 0), 1);

	T_INT(key_write_new(t_path("wfail/ok.pem"), NULL, 0600, (uid_t)-1,
	    (gid_t)-1), -1);
	EVP_PKEY_free(k);
}

static void
test_load_refuses(void)
{
	/* Each refused, and said with the file's name and mode. */
	static const mode_t modes[] = { 0644, 0604, 0620, 0660, 0602 };
	EVP_PKEY *k = key_generate(KEY_ALG_ECDSA_P256), *got;
	char file[32], want[512];
	size_t i;

	for (i = 0; i < NELEM(modes); i++) {
		const char *path;

		snprintf(file, sizeof(file), "k%04o.pem", (unsigned)modes[i]);
		path = t_path(file);
		T_INT(key_write_new(path, k, modes[i], (uid_t)-1, (gid_t)-1),
		    0);
		t_log_reset();
		T_CHECK(key_load(path) == NULL);
		snprintf(want, sizeof(want), "%s: private key file has mode "
		    "%04o", file, (unsigned)modes[i]);
		if (!T_CHECK(t_log_has(want)))
			printf("    want: %s\n    log: %s", want, t_log_text());
		/* Deployment copies may be group-readable. */
		got = key_load_unchecked(path);
		T_CHECK(got != NULL && EVP_PKEY_eq(got, k) == 1);
		EVP_PKEY_free(got);
	}
	/* 0400 and 0600 are fine. */
	T_INT(key_write_new(t_path("k0400.pem"), k, 0400, (uid_t)-1,
	    (gid_t)-1), 0);
	got = key_load(t_path("k0400.pem"));
	T_CHECK(got != NULL);
	EVP_PKEY_free(got);
	EVP_PKEY_free(k);
}

static void
test_load_garbage(void)
{
	static const struct {
		const char	*file;
		const char	*content;	/* NULL: made below */
		const char	*needle;
	} rows[] = {
		{ "garbage.pem", "hello, world\n", "garbage.pem: not a PEM "
		    "private key" },
		{ "empty.pem", "", "empty.pem: not a PEM private key" },
		{ "trunc.pem", "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n"
		    "-----END PRIVATE KEY-----\n", "trunc.pem: not a PEM "
		    "private key" },
		{ "nokey.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n"
		    "-----END CERTIFICATE-----\n", "nokey.pem: not a PEM "
		    "private key" },
		{ "enc.pem", NULL, "enc.pem: not a PEM private key daneroll "
		    "can use: it is encrypted" },
		{ "adir", NULL, "adir: not a regular file" },
		{ "absent.pem", NULL, "absent.pem: No such file" },
	};
	const char *enc[] = { "openssl", "genpkey", "-algorithm", "EC",
	    "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass",
	    "pass:secret", "-out", t_path("enc.pem"), NULL };
	size_t i;

	T_INT(t_run_cmd(enc, NULL), 0);
	(void)chmod(t_path("enc.pem"), 0600);
	(void)mkdir(t_path("adir"), 0700);
	for (i = 0; i < NELEM(rows); i++) {
		if (rows[i].content != NULL)
			t_write(rows[i].file, rows[i].content);
		t_log_reset();
		T_CHECK(key_load(t_path(rows[i].file)) == NULL);
		if (!T_CHECK(t_log_has(rows[i].needle)))
			printf("    want: %s\n    log: %s", rows[i].needle,
			    t_log_text());
	}
}

static void
test_alg_of(void)
{
	static const struct {
		const char	*file;
		const char	*args[8];
		int		 want;
	} rows[] = {
		{ "p384.pem", { "-algorithm", "EC", "-pkeyopt",
		    "ec_paramgen_curve:P-384" }, -1 },
		{ "rsa1024.pem", { "-algorithm", "RSA", "-pkeyopt",
		    "rsa_keygen_bits:1024" }, -1 },
		{ "ed25519.pem", { "-algorithm", "ED25519" }, -1 },
		{ "p256.pem", { "-algorithm", "EC", "-pkeyopt",
		    "ec_paramgen_curve:prime256v1" }, KEY_ALG_ECDSA_P256 },
		{ "rsa2048.pem", { "-algorithm", "RSA", "-pkeyopt",
		    "rsa_keygen_bits:2048" }, KEY_ALG_RSA2048 },
	};
	const char *sec1[] = { "openssl", "ec", "-in", NULL, "-out", NULL,
	    NULL };
	char sec1in[512], sec1out[512], *text;
	EVP_PKEY *k;
	size_t i, j;

	for (i = 0; i < NELEM(rows); i++) {
		const char *argv[16];
		int n = 0;

		argv[n++] = "openssl";
		argv[n++] = "genpkey";
		for (j = 0; j < 8 && rows[i].args[j] != NULL; j++)
			argv[n++] = rows[i].args[j];
		argv[n++] = "-out";
		argv[n++] = t_path(rows[i].file);
		argv[n] = NULL;
		T_INT(t_run_cmd(argv, NULL), 0);
		k = key_load_unchecked(t_path(rows[i].file));
		T_CHECK(k != NULL);
		T_INT(key_alg_of(k), rows[i].want);
		EVP_PKEY_free(k);
	}
	T_INT(key_alg_of(NULL), -1);

	/* The traditional SEC1 "EC PRIVATE KEY" format loads too. */
	snprintf(sec1in, sizeof(sec1in), "%s", t_path("p256.pem"));
	snprintf(sec1out, sizeof(sec1out), "%s", t_path("sec1.pem"));
	sec1[3] = sec1in;
	sec1[5] = sec1out;
	T_INT(t_run_cmd(sec1, NULL), 0);
	text = t_read(sec1out);
	T_CHECK(text != NULL && strstr(text, "BEGIN EC PRIVATE KEY") != NULL);
	free(text);
	k = key_load_unchecked(sec1out);
	T_INT(key_alg_of(k), KEY_ALG_ECDSA_P256);
	EVP_PKEY_free(k);
}

/*
 * Every key format an ACME client writes loads as the very key OpenSSL's
 * generic decoder reads (the judge here): key.c decodes RSA and EC keys
 * the typed way, and anything else the generic way.
 */
static void
test_load_formats(void)
{
	static const struct {
		const char	*file;
		const char	*cmd;	/* $1: the file's path */
	} rows[] = {
		{ "f-p8ec.pem", "openssl genpkey -algorithm EC -pkeyopt "
		    "ec_paramgen_curve:P-256 -out \"$1\"" },
		{ "f-sec1.pem", "openssl genpkey -algorithm EC -pkeyopt "
		    "ec_paramgen_curve:P-256 | openssl ec -out \"$1\"" },
		{ "f-params.pem", "openssl ecparam -name prime256v1 -genkey "
		    "-out \"$1\"" },
		{ "f-p8rsa.pem", "openssl genpkey -algorithm RSA -pkeyopt "
		    "rsa_keygen_bits:2048 -out \"$1\"" },
		{ "f-pkcs1.pem", "openssl genpkey -algorithm RSA -pkeyopt "
		    "rsa_keygen_bits:2048 | openssl rsa -traditional -out \"$1\"" },
		{ "f-ed.pem", "openssl genpkey -algorithm ED25519 -out \"$1\"" },
		{ "f-p384.pem", "openssl genpkey -algorithm EC -pkeyopt "
		    "ec_paramgen_curve:P-384 -out \"$1\"" },
	};
	char path[512], *text;
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		const char *argv[] = { "sh", "-c", rows[i].cmd, "sh", path,
		    NULL };
		EVP_PKEY *got, *want = NULL;
		BIO *bio = NULL;

		snprintf(path, sizeof(path), "%s", t_path(rows[i].file));
		if (!T_INT(t_run_cmd(argv, NULL), 0))
			continue;
		text = t_read(t_path(rows[i].file));
		T_CHECK(text != NULL);
		if ((bio = BIO_new_mem_buf(text, -1)) != NULL)
			want = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		got = key_load_unchecked(t_path(rows[i].file));
		if (!T_CHECK(want != NULL && got != NULL &&
		    EVP_PKEY_eq(got, want) == 1))
			printf("    %s did not load as OpenSSL reads it\n",
			    rows[i].file);
		EVP_PKEY_free(got);
		EVP_PKEY_free(want);
		BIO_free(bio);
		free(text);
	}
}

static void
test_chain_load(void)
{
	const char *const three[] = { "leaf.pem", "int.pem", "ca.pem", NULL };
	const char *const combined[] = { "leaf.key", "leaf.pem", "int.pem",
	    NULL };
	const char *names[] = { "leaf.pem", "int.pem", "ca.pem" };
	STACK_OF(X509) *chain = NULL, *again = NULL;
	char *pem = NULL, *cat = NULL;
	size_t i;

	if (!T_INT(t_ossl_chain(), 0))
		return;
	chain = chain_of(three);
	T_CHECK(chain != NULL && sk_X509_num(chain) == 3);
	for (i = 0; chain != NULL && i < NELEM(names); i++) {
		X509 *x = cert_of(names[i]);

		T_CHECK(x != NULL &&
		    X509_cmp(x, sk_X509_value(chain, (int)i)) == 0);
		X509_free(x);
	}
	/* PEM out is the CLI's PEM in, byte for byte, in order. */
	pem = cert_chain_to_pem(chain);
	cat = t_read(t_path("chain.tmp.pem"));
	T_STR(pem, cat);
	again = cert_chain_from_pem(pem, strlen(pem), "again");
	T_CHECK(again != NULL && sk_X509_num(again) == 3);
	sk_X509_pop_free(again, X509_free);
	sk_X509_pop_free(chain, X509_free);

	/* A combined key + chain file reads as its chain. */
	chain = chain_of(combined);
	T_CHECK(chain != NULL && sk_X509_num(chain) == 2);
	sk_X509_pop_free(chain, X509_free);

	/* Text around the blocks (as "openssl x509 -text" leaves) is fine. */
	{
		char *leaf = t_read(t_path("leaf.pem"));
		char *s = xasprintf("subject=CN = mx1.example.org\n%s"
		    "trailing words\n", leaf);

		chain = cert_chain_from_pem(s, strlen(s), "commented");
		T_CHECK(chain != NULL && sk_X509_num(chain) == 1);
		sk_X509_pop_free(chain, X509_free);
		free(s);
		free(leaf);
	}
	free(pem);
	free(cat);
}

static void
test_chain_bad(void)
{
	struct buf many = { NULL, 0, 0 }, big = { NULL, 0, 0 };
	char *leaf = NULL, *key = NULL, *csr = NULL, *bad64 = NULL;
	char *notcert = NULL, *trunc = NULL;
	STACK_OF(X509) *chain;
	size_t i;

	if (!T_INT(t_ossl_chain(), 0))
		return;
	leaf = t_read(t_path("leaf.pem"));
	key = t_read(t_path("leaf.key"));
	csr = t_read(t_path("leaf.csr"));
	for (i = 0; i < CERT_CHAIN_MAX; i++)
		buf_puts(&many, leaf);
	chain = cert_chain_from_pem(many.data, many.len, "sixteen");
	T_CHECK(chain != NULL && sk_X509_num(chain) == CERT_CHAIN_MAX);
	sk_X509_pop_free(chain, X509_free);
	buf_puts(&many, leaf);
	while (big.len <= CERT_PEM_MAX)
		buf_puts(&big, "# padding padding padding padding padding\n");
	buf_puts(&big, leaf);
	/* Base64 that is not a certificate; a base64 error in the body. */
	bad64 = xstrdup(leaf);
	bad64[40] = '!';
	notcert = xstrdup("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n"
	    "-----END CERTIFICATE-----\n");
	trunc = xstrdup(leaf);
	trunc[strlen(trunc) / 2] = '\0';
	{
		const struct {
			const char	*pem;
			size_t		 len;
			const char	*needle;
		} rows[] = {
			{ "", 0, "x.pem: empty, no certificate" },
			{ "hello\n", 6, "x.pem: no PEM certificate found" },
			{ key, strlen(key), "x.pem: no PEM certificate found" },
			{ csr, strlen(csr), "x.pem: PEM block 1 is a "
			    "\"CERTIFICATE REQUEST\", not a certificate" },
			{ many.data, many.len, "x.pem: more than 16 "
			    "certificates" },
			{ big.data, big.len, "more than the limit of "
			    "1048576" },
			{ bad64, strlen(bad64), "x.pem: bad PEM after block "
			    "0" },
			{ notcert, strlen(notcert), "x.pem: PEM block 1 is not "
			    "a valid certificate" },
			{ trunc, strlen(trunc), "x.pem: bad PEM after block "
			    "0" },
		};

		for (i = 0; i < NELEM(rows); i++) {
			t_log_reset();
			chain = cert_chain_from_pem(rows[i].pem, rows[i].len,
			    "x.pem");
			T_CHECK(chain == NULL);
			sk_X509_pop_free(chain, X509_free);
			if (!T_CHECK(t_log_has(rows[i].needle)))
				printf("    row %zu want: %s\n    log: %s", i,
				    rows[i].needle, t_log_text());
		}
	}
	t_log_reset();
	T_CHECK(cert_load_chain(t_path("no-such.pem")) == NULL);
	T_CHECK(t_log_has("no-such.pem: No such file"));
	t_write("big.pem", big.data);
	t_log_reset();
	T_CHECK(cert_load_chain(t_path("big.pem")) == NULL);
	T_CHECK(t_log_has("big.pem: ") && t_log_has("limit of 1048576"));
	buf_free(&many);
	buf_free(&big);
	free(leaf);
	free(key);
	free(csr);
	free(bad64);
	free(notcert);
	free(trunc);
}

static void
test_matches_key(void)
{
	X509 *leaf = NULL;
	EVP_PKEY *lk = NULL, *ik = NULL, *fresh = NULL;

	if (!T_INT(t_ossl_chain(), 0))
		return;
	leaf = cert_of("leaf.pem");
	lk = key_load_unchecked(t_path("leaf.key"));
	ik = key_load_unchecked(t_path("int.key"));
	fresh = key_generate(KEY_ALG_RSA2048);
	T_INT(cert_matches_key(leaf, lk), 1);
	T_INT(cert_matches_key(leaf, ik), 0);
	T_INT(cert_matches_key(leaf, fresh), 0);
	T_INT(cert_matches_key(NULL, lk), 0);
	T_INT(key_alg_of(lk), KEY_ALG_RSA2048);
	X509_free(leaf);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(fresh);
}

static void
test_covers_name(void)
{
	static const struct {
		const char	*cert;
		const char	*host;
		int		 want;
	} rows[] = {
		{ "san", "mx1.example.org", 1 },
		{ "san", "MX1.Example.ORG", 1 },
		{ "san", "mx1.example.org.", 1 },
		{ "san", "mx2.example.org", 1 },	/* SAN "MX2.Example.ORG." */
		{ "san", "a.mail.example.org", 1 },
		{ "san", "A.MAIL.example.org.", 1 },
		{ "san", "mail.example.org", 0 },
		{ "san", "a.b.mail.example.org", 0 },
		{ "san", ".mail.example.org", 0 },
		{ "san", "*.mail.example.org", 0 },
		{ "san", "x.mx1.example.org", 0 },
		{ "san", "mx1.example.org.evil", 0 },
		{ "san", "ignored.example.org", 0 },	/* CN, SAN present */
		{ "san", "example.org", 0 },
		{ "san", "", 0 },
		{ "cn", "cn-only.example.org", 1 },
		{ "cn", "CN-ONLY.example.org.", 1 },
		{ "cn", "other.example.org", 0 },
		{ "ip", "ip-cn.example.org", 1 },	/* SAN without DNS names */
		{ "wild", "example.org", 0 },		/* "*.org" refused */
		{ "wild", "foo.example.org", 0 },	/* "f*.example.org" */
		{ "wild", "x.y.example.net", 0 },	/* "*.*.example.net" */
	};
	static const struct {
		const char	*name;
		const char	*subj;
		const char	*san;
	} certs[] = {
		{ "san", "/CN=ignored.example.org", "DNS:mx1.example.org,"
		    "DNS:*.mail.example.org,DNS:MX2.Example.ORG." },
		{ "cn", "/CN=cn-only.example.org", NULL },
		{ "ip", "/CN=ip-cn.example.org", "IP:192.0.2.1" },
		{ "wild", "/CN=w", "DNS:*.org,DNS:f*.example.org,"
		    "DNS:*.*.example.net" },
	};
	char file[64];
	X509 *x;
	size_t i, j;

	for (j = 0; j < NELEM(certs); j++)
		T_INT(t_ossl_selfsigned(certs[j].name, "ec", certs[j].subj,
		    certs[j].san, "30"), 0);
	for (i = 0; i < NELEM(rows); i++) {
		snprintf(file, sizeof(file), "%s.pem", rows[i].cert);
		x = cert_of(file);
		T_CHECK(x != NULL);
		if (!T_INT(cert_covers_name(x, rows[i].host), rows[i].want))
			printf("    row %zu: %s vs \"%s\"\n", i, rows[i].cert,
			    rows[i].host);
		X509_free(x);
	}
	T_INT(cert_covers_name(NULL, "a.example.org"), 0);
}

/*
 * cert_chain_well_formed, as rows (each a case): a chain of t_ossl_chain's
 * certificates, leaf first, whether it is well formed, and if not the
 * words its refusal must carry after "c.pem: ".
 */
static const struct row {
	const char	*name;
	const char	*files[5];	/* NULL after the last */
	int		 want;
	const char	*needle;
} rows[] = {
	{ "well formed: leaf, intermediate, root",
	  { "leaf.pem", "int.pem", "ca.pem" }, 1, NULL },
	{ "well formed: no root", { "leaf.pem", "int.pem" }, 1, NULL },
	{ "well formed: the leaf alone", { "leaf.pem" }, 1, NULL },
	{ "well formed: the root alone", { "ca.pem" }, 1, NULL },
	{ "not well formed: the intermediate left out",
	  { "leaf.pem", "ca.pem" }, 0, "certificate 1 "
	  "(/CN=mx1.example.org) was not issued by certificate 2 "
	  "(/CN=daneroll test root): issuer name differs" },
	{ "not well formed: an intermediate of the same name, another key",
	  { "leaf.pem", "int2.pem" }, 0, "signature does not verify" },
	{ "not well formed: that intermediate, then the root",
	  { "leaf.pem", "int2.pem", "ca.pem" }, 0, "signature does not "
	  "verify" },
	{ "not well formed: intermediate first", { "int.pem", "leaf.pem" },
	  0, "issuer name differs" },
	{ "not well formed: a second intermediate after the first",
	  { "leaf.pem", "int.pem", "int2.pem" }, 0, "certificate 2 " },
};

static void
run_row(const void *v)
{
	const struct row *row = v;
	STACK_OF(X509) *chain;

	if (!T_INT(t_ossl_chain(), 0))
		return;
	chain = chain_of(row->files);
	T_CHECK(chain != NULL);
	t_log_reset();
	T_INT(cert_chain_well_formed(chain, "c.pem"), row->want);
	if (row->needle != NULL && !T_CHECK(t_log_has("c.pem: ") &&
	    t_log_has(row->needle)))
		printf("    want: %s\n    log: %s", row->needle, t_log_text());
	sk_X509_pop_free(chain, X509_free);
}

static void
test_well_formed_none(void)
{
	T_INT(cert_chain_well_formed(NULL, "none"), 0);
}

static void
test_expiry(void)
{
	static const struct {
		const char	*file;
		long long	 before, after;
	} fixed[] = {
		/* date -u -d "$(openssl x509 -noout -startdate ...)" +%s */
		{ "tlsa/fixed-leaf.pem", 1795893954LL, 2111253954LL },
		/* notAfter in 2126: a GeneralizedTime, past 2038 */
		{ "tlsa/fixed-ca.pem", 1795893954LL, 4949493954LL },
	};
	STACK_OF(X509) *chain;
	X509 *x;
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < NELEM(fixed); i++) {
		chain = cert_load_chain(t_data(fixed[i].file));
		if (!T_CHECK(chain != NULL))
			continue;
		x = sk_X509_value(chain, 0);
		T_INT(not_before(x), fixed[i].before);
		T_INT(cert_not_after(x), fixed[i].after);
		sk_X509_pop_free(chain, X509_free);
	}
	T_INT(t_ossl_selfsigned("days30", "rsa", "/CN=d.example.org", NULL,
	    "30"), 0);
	x = cert_of("days30.pem");
	T_CHECK(x != NULL);
	T_INT(cert_not_after(x) - not_before(x), 30 * 86400);
	T_CHECK(not_before(x) > now - 86400 &&
	    not_before(x) <= now + 60);
	X509_free(x);
}

static void
test_csr(void)
{
	const char *const names[] = { "mx1.example.org", "mx2.example.org",
	    "mx.other.example" };
	char csrfile[512], textfile[512], der[512], hex[65], clihex[65];
	const char *verify[] = { "openssl", "req", "-in", csrfile, "-noout",
	    "-verify", "-text", NULL };
	const char *pub[] = { "openssl", "req", "-in", csrfile, "-pubkey",
	    "-noout", "-out", NULL, NULL };
	const char *topub[] = { "openssl", "pkey", "-pubin", "-in", NULL,
	    "-outform", "DER", "-out", der, NULL };
	char pubpem[512];
	size_t i;

	snprintf(csrfile, sizeof(csrfile), "%s", t_path("req.csr"));
	snprintf(textfile, sizeof(textfile), "%s", t_path("req.txt"));
	snprintf(pubpem, sizeof(pubpem), "%s", t_path("req.pub.pem"));
	snprintf(der, sizeof(der), "%s", t_path("req.pub.der"));
	pub[7] = pubpem;
	topub[4] = pubpem;
	for (i = 0; i < NELEM(algs); i++) {
		EVP_PKEY *k = key_generate(algs[i].alg);
		char *csr = csr_make_pem(k, names, 3), *text = NULL, *err;

		T_CHECK(csr != NULL &&
		    strstr(csr, "-----BEGIN CERTIFICATE REQUEST-----") != NULL);
		t_write("req.csr", csr != NULL ? csr : "");
		T_INT(t_run_cmd(verify, textfile), 0);
		text = t_read(textfile);
		err = t_read(t_path("cli.err"));
		T_CHECK(err != NULL && strstr(err, "verify OK") != NULL);
		T_CHECK(text != NULL &&
		    strstr(text, "Subject: CN = mx1.example.org") != NULL);
		T_CHECK(text != NULL &&
		    strstr(text, "DNS:mx1.example.org, DNS:mx2.example.org, "
		    "DNS:mx.other.example") != NULL);
		/* The CSR's key is ours (by the CLI's SPKI digest). */
		T_INT(t_run_cmd(pub, NULL), 0);
		T_INT(t_run_cmd(topub, NULL), 0);
		T_INT(t_ossl_digest("-sha256", der, clihex, sizeof(clihex)),
		    0);
		T_INT(key_spki_hex(k, hex), 0);
		T_STR(clihex, hex);
		free(text);
		free(err);

		/*
		 * The oracle can say no: a CSR with a broken signature.
		 * OpenSSL 3.0's "req -verify" still exits 0 then, which is
		 * why the checks above also look for "verify OK".
		 */
		if (csr != NULL) {
			char *end = strstr(csr, "\n-----END");
			int rc;

			if (T_CHECK(end != NULL && end - csr > 8)) {
				end[-4] = end[-4] == 'A' ? 'B' : 'A';
				t_write("req.csr", csr);
				rc = t_run_cmd(verify, textfile);
				err = t_read(t_path("cli.err"));
				T_CHECK(rc != 0 || (err != NULL &&
				    strstr(err, "verify OK") == NULL));
				free(err);
			}
		}
		free(csr);
		EVP_PKEY_free(k);
	}
}

static void
test_csr_names(void)
{
	EVP_PKEY *k = key_generate(KEY_ALG_ECDSA_P256);
	const char *bad1[] = { "mx1.example.org", "bad name" };
	const char *bad2[] = { "mx1.example.org.", NULL };
	const char *bad3[] = { "DNS:a,DNS:b" };
	const char *const *bad[] = { bad1, bad2, bad3 };
	const char *needle[] = { "\"bad name\" is not a host name",
	    "\"mx1.example.org.\" is not a host name",
	    "\"DNS:a,DNS:b\" is not a host name" };
	const int nbad[] = { 2, 1, 1 };
	char longname[128], textfile[512], *csr;
	const char *one[1];
	const char *verify[] = { "openssl", "req", "-in", NULL, "-noout",
	    "-verify", "-text", NULL };
	char *text;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		t_log_reset();
		T_CHECK(csr_make_pem(k, bad[i], nbad[i]) == NULL);
		if (!T_CHECK(t_log_has(needle[i])))
			printf("    log: %s", t_log_text());
	}
	T_CHECK(csr_make_pem(k, bad1, 0) == NULL);
	T_CHECK(csr_make_pem(NULL, bad1, 1) == NULL);

	/* A first name too long for a CN: no CN, critical SAN. */
	snprintf(longname, sizeof(longname), "%s.%s.example.org",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "bbbbbbbbbb");
	one[0] = longname;
	csr = csr_make_pem(k, one, 1);
	T_CHECK(csr != NULL);
	verify[3] = t_write("long.csr", csr != NULL ? csr : "");
	snprintf(textfile, sizeof(textfile), "%s", t_path("long.txt"));
	T_INT(t_run_cmd(verify, textfile), 0);
	text = t_read(textfile);
	T_CHECK(text != NULL && strstr(text, "CN =") == NULL);
	T_CHECK(text != NULL &&
	    strstr(text, "Subject Alternative Name: critical") != NULL);
	T_CHECK(text != NULL && strstr(text, longname) != NULL);
	free(text);
	free(csr);
	EVP_PKEY_free(k);
}

static void
test_spki(void)
{
	X509 *leaf;
	EVP_PKEY *lk;
	unsigned char a[32], b[32];
	char hex[65], clihex[65], der[512];

	if (!T_INT(t_ossl_chain(), 0))
		return;
	leaf = cert_of("leaf.pem");
	lk = key_load_unchecked(t_path("leaf.key"));
	T_INT(cert_spki_sha256(leaf, a), 0);
	T_INT(key_spki_sha256(lk, b), 0);
	T_CHECK(memcmp(a, b, 32) == 0);
	snprintf(der, sizeof(der), "%s", t_path("leaf.spki.der"));
	T_INT(t_ossl_cert_spki_der(t_path("leaf.pem"), der), 0);
	T_INT(t_ossl_digest("-sha256", der, clihex, sizeof(clihex)), 0);
	util_hex(a, 32, hex);
	T_STR(hex, clihex);
	X509_free(leaf);
	EVP_PKEY_free(lk);
}

/*
 * A key substituted under our name (issue 13): a symbolic link, a file of
 * another user, a directory above it someone else can write. Each is
 * refused by key_load with its reason; key_load_linked follows root's
 * link (certbot's live/) to a key of ours, never another user's link.
 */
static void
test_load_substituted(void)
{
	EVP_PKEY *k = key_generate(KEY_ALG_ECDSA_P256), *got;
	const char *real = t_path("sub-real.pem"), *link = t_path("sub-link.pem");

	T_INT(key_write_new(real, k, 0600, (uid_t)-1, (gid_t)-1), 0);
	T_INT(symlink(real, link), 0);
	t_log_reset();
	T_CHECK(key_load(link) == NULL);
	T_CHECK(t_log_has("sub-link.pem: is a symbolic link"));
	got = key_load_linked(link);
	T_CHECK(got != NULL && EVP_PKEY_eq(got, k) == 1);
	EVP_PKEY_free(got);
	if (geteuid() == 0) {
		const char *other = t_path("sub-other.pem");
		const char *dir = t_path("sub-open");
		char *inside = xasprintf("%s/k.pem", dir);

		T_INT(key_write_new(other, k, 0600, 65534, 65534), 0);
		t_log_reset();
		T_CHECK(key_load(other) == NULL);
		T_CHECK(t_log_has("sub-other.pem: private key file owned by "
		    "uid 65534"));
		/* Another user's link is not followed, even to our key. */
		T_INT(lchown(link, 65534, 65534), 0);
		t_log_reset();
		T_CHECK(key_load_linked(link) == NULL);
		T_CHECK(t_log_has("symbolic link owned by uid 65534"));
		/* Our key in a directory of another user's. */
		T_INT(mkdir(dir, 0755), 0);
		T_INT(key_write_new(inside, k, 0600, (uid_t)-1, (gid_t)-1), 0);
		T_INT(chown(dir, 65534, 65534), 0);
		t_log_reset();
		T_CHECK(key_load(inside) == NULL);
		T_CHECK(t_log_has("sub-open: owned by uid 65534") ||
		    t_log_has("sub-open is owned by uid 65534"));
		free(inside);
	}
	EVP_PKEY_free(k);
}

/*
 * Certificates decoded once, signatures checked once: a hit is the same
 * certificate, and a remembered signature never vouches for another
 * issuer that merely shares the name (int and int2 do; leaf is int's).
 */
static void
test_x509cache(void)
{
	X509 *leaf = NULL, *leaf2 = NULL, *in = NULL, *in2 = NULL, *x;
	unsigned char *der = NULL, *longer = NULL;
	const unsigned char *p;
	int len, round;

	if (!T_INT(t_ossl_chain(), 0))
		return;
	leaf = cert_of("leaf.pem");
	leaf2 = cert_of("leaf.pem");
	in = cert_of("int.pem");
	in2 = cert_of("int2.pem");
	if (!T_CHECK(leaf != NULL && leaf2 != NULL && in != NULL &&
	    in2 != NULL))
		goto done;
	T_CHECK(leaf == leaf2);		/* the same DER, decoded once */
	T_CHECK(leaf != in && in != in2);
	T_CHECK(X509_NAME_cmp(X509_get_subject_name(in),
	    X509_get_subject_name(in2)) == 0);
	for (round = 0; round < 2; round++) {
		T_INT(cert_issued_by(leaf, in), 1);
		T_INT(cert_issued_by(leaf, in2), 0);
		T_INT(cert_issued_by(in, leaf), 0);
	}

	/* Trailing data is d2i's answer, and is not kept. */
	len = i2d_X509(leaf, &der);
	if (!T_CHECK(len > 0))
		goto done;
	longer = OPENSSL_malloc((size_t)len + 1);
	memcpy(longer, der, (size_t)len);
	longer[len] = 0x00;
	p = longer;
	x = x509cache_d2i(&p, len + 1);
	T_CHECK(x != NULL && p == longer + len);
	T_CHECK(x != leaf);
	X509_free(x);
	p = der;
	x = x509cache_d2i(&p, len);
	T_CHECK(x == leaf && p == der + len);
	X509_free(x);
done:
	OPENSSL_free(der);
	OPENSSL_free(longer);
	X509_free(leaf);
	X509_free(leaf2);
	X509_free(in);
	X509_free(in2);
}

static const struct t_case cases[] = {
	{ "key write new", test_write_new },
	{ "key write fails cleanly", test_write_fails_cleanly },
	{ "key load refuses loose modes", test_load_refuses },
	{ "key load refuses garbage", test_load_garbage },
	{ "key load refuses a substituted key", test_load_substituted },
	{ "key alg of", test_alg_of },
	{ "key load reads every format as OpenSSL does", test_load_formats },
	{ "cert chain load", test_chain_load },
	{ "cert chain bad input", test_chain_bad },
	{ "certificates decoded and verified once", test_x509cache },
	{ "cert matches key", test_matches_key },
	{ "cert covers name", test_covers_name },
	{ "cert chain well formed: no chain", test_well_formed_none },
	{ "cert expiry", test_expiry },
	{ "cert spki", test_spki },
	{ "csr", test_csr },
	{ "csr names", test_csr_names },
};
T_MAIN_TABLE(rows, run_row, cases)
