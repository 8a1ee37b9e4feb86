/*
 * Unit tests: acme-hook intake (src/acme_intake.c): where each ACME
 * client's renewed files are found (a table of environments and
 * arguments), and a re-keyed certificate from a client that stays in
 * charge taken in over the fake DNS world: held, not deployed, until its
 * record has been served past the TTL, then deployed with no prober
 * violation; a renewal with the current key; a mismatched pair refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme_intake.h"
#include "conf.h"
#include "engine.h"
#include "fakes.h"
#include "fsutil.h"
#include "key.h"
#include "log.h"
#include "store.h"
#include "t.h"

#define T0	1800000000
#define DAY	86400

static const char *const client_env[] = {
	"RENEWED_LINEAGE", "LEGO_CERT_PATH", "LEGO_CERT_KEY_PATH",
	"LEGO_CERT_DOMAIN", "CERT_FULLCHAIN_PATH", "CERT_KEY_PATH",
	"Le_Domain"
};

static void
clear_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(client_env) / sizeof(client_env[0]); i++)
		unsetenv(client_env[i]);
}

static void
test_find_table(void)
{
	static const struct {
		const char	*env[3];	/* "NAME=value" */
		const char	*args[8];
		int		 rc, ignore;
		const char	*client, *key, *chain;
	} rows[] = {
		{ { "RENEWED_LINEAGE=/etc/letsencrypt/live/mx" }, { NULL }, 0,
		  0, "certbot", "/etc/letsencrypt/live/mx/privkey.pem",
		  "/etc/letsencrypt/live/mx/fullchain.pem" },
		{ { NULL }, { "deploy_cert", "mx.example.org", "/d/k.pem",
		  "/d/c.pem", "/d/full.pem", "/d/chain.pem", "1700000000" },
		  0, 0, "dehydrated", "/d/k.pem", "/d/full.pem" },
		{ { NULL }, { "deploy_challenge", "mx.example.org", "t",
		  "v" }, 0, 1, "dehydrated", NULL, NULL },
		{ { NULL }, { "deploy_cert", "mx.example.org" }, -1, 0, NULL,
		  NULL, NULL },
		{ { "LEGO_CERT_PATH=/l/mx.crt", "LEGO_CERT_KEY_PATH=/l/mx.key",
		  "LEGO_CERT_DOMAIN=mx.example.org" }, { NULL }, 0, 0, "lego",
		  "/l/mx.key", "/l/mx.crt" },
		{ { "LEGO_CERT_PATH=/l/mx.crt" }, { NULL }, -1, 0, NULL, NULL,
		  NULL },
		{ { "CERT_FULLCHAIN_PATH=/a/full.cer",
		  "CERT_KEY_PATH=/a/mx.key" }, { NULL }, 0, 0, "acme.sh",
		  "/a/mx.key", "/a/full.cer" },
		/* A HOST argument does not hide certbot's environment. */
		{ { "RENEWED_LINEAGE=/x" }, { "mx.example.org" }, 0, 0,
		  "certbot", "/x/privkey.pem", "/x/fullchain.pem" },
		{ { NULL }, { NULL }, -1, 0, NULL, NULL, NULL },
	};
	size_t i, j;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct intake_src src;
		int n = 0, rc;

		clear_env();
		for (j = 0; j < 3 && rows[i].env[j] != NULL; j++)
			putenv((char *)rows[i].env[j]);
		while (n < 8 && rows[i].args[n] != NULL)
			n++;
		rc = acme_intake_find((char *const *)rows[i].args, n, &src);
		if (!T_INT(rc, rows[i].rc))
			printf("    row %zu: %s\n", i, t_log_text());
		if (rc == 0) {
			T_INT(src.ignore, rows[i].ignore);
			T_STR(src.client, rows[i].client);
			if (rows[i].key != NULL) {
				T_STR(src.key_path, rows[i].key);
				T_STR(src.chain_path, rows[i].chain);
			}
		}
		acme_intake_free(&src);
	}
	clear_env();
}

/* ---- over the engine and the fake DNS world ------------------------ */

static struct conf	*conf;
static struct store	*st;
static struct engine	 eng;

static const struct conf_host *
setup(const char *name)
{
	static int n;
	struct buf c = { 0 };
	char dir[600], cfg[64], *live;

	store_close(st);
	conf_free(conf);
	st = NULL;
	snprintf(dir, sizeof(dir), "%s/w%d", t_tmpdir(), ++n);
	mkdir(dir, 0700);
	fake_reset(dir);
	fake_clock(T0);
	buf_printf(&c, "[global]\nstate_dir = %s/state\nttl = 60\n"
	    "margin = 10\nretry_min = 30s\nretry_max = 10m\n\n"
	    "[publisher dns]\ntype = rfc2136\ntsig_key_file = %s/tsig.key\n\n"
	    "[host %s]\nalgorithms = ecdsa-p256\ncombined_file = %s/live.pem\n"
	    "publisher = dns\nacme_hook = /bin/false\nreload = /bin/true\n",
	    dir, dir, name, dir);
	snprintf(cfg, sizeof(cfg), "w%d.conf", n);
	conf = conf_load(t_write(cfg, c.data));
	buf_free(&c);
	if (conf == NULL || store_open(conf->state_dir, 0, &st) != OUT_OK)
		return NULL;
	memset(&eng, 0, sizeof(eng));
	eng.conf = conf;
	eng.store = st;
	eng.be = &fake_backends;
	live = conf_path_for(conf->hosts[0].files.combined_file,
	    KEY_ALG_ECDSA_P256);
	fake_deploy_initial(live, name, KEY_ALG_ECDSA_P256, 90);
	free(live);
	return &conf->hosts[0];
}

static int
run_until_stable(const struct conf_host *h, int limit)
{
	struct engine_result r;
	int runs;

	for (runs = 0; runs < limit; runs++) {
		engine_host(&eng, h, &r);
		if (!r.busy)
			return runs + 1;
		fake_clock(r.wake_at > fake_now() ? r.wake_at :
		    fake_now() + 5);
	}
	return -1;
}

/* What a client leaves: key and a self-signed "chain" for host, in dir. */
static void
client_files(const char *dir, const char *host, EVP_PKEY *key,
    EVP_PKEY *cert_key)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char path[700], san[300];
	FILE *f;

	mkdir(dir, 0700);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_time_adj_ex(X509_getm_notBefore(x), -1, 0,
	    &(time_t){ util_now() });
	X509_time_adj_ex(X509_getm_notAfter(x), 90, 0,
	    &(time_t){ util_now() });
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, cert_key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	snprintf(san, sizeof(san), "DNS:%s", host);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, cert_key, EVP_sha256());
	snprintf(path, sizeof(path), "%s/fullchain.pem", dir);
	if ((f = fopen(path, "w")) != NULL) {
		PEM_write_X509(f, x);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/privkey.pem", dir);
	if ((f = fopen(path, "w")) != NULL) {
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	chmod(path, 0600);
	X509_NAME_free(nm);
	X509_free(x);
}

/* SPKI of the leaf the live file serves. */
static void
live_spki(const struct conf_host *h, char out[65])
{
	char *p = conf_path_for(h->files.combined_file, KEY_ALG_ECDSA_P256);
	STACK_OF(X509) *chain = cert_load_chain(p);
	unsigned char d[32];

	out[0] = '\0';
	if (chain != NULL && cert_spki_sha256(sk_X509_value(chain, 0), d) == 0)
		util_hex(d, sizeof(d), out);
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	free(p);
}

static void
test_rekeyed_held_until_aged(void)
{
	const struct conf_host *h = setup("mx30.example.org");
	EVP_PKEY *key = key_generate(KEY_ALG_ECDSA_P256);
	struct intake_src src;
	struct engine_result r;
	char lineage[600], want[65], before[65], got[65], *cur = NULL;
	enum key_alg alg;
	int same = -1, i;

	if (!T_CHECK(h != NULL))
		goto done;
	T_CHECK(run_until_stable(h, 40) > 0);
	live_spki(h, before);
	/* certbot renewed on its own, with a key of its own. */
	snprintf(lineage, sizeof(lineage), "%s/live-mx30", t_tmpdir());
	client_files(lineage, h->name, key, key);
	key_spki_hex(key, want);
	clear_env();
	setenv("RENEWED_LINEAGE", lineage, 1);
	T_INT(acme_intake_find(NULL, 0, &src), 0);
	T_CHECK(acme_intake_host(conf, &src, NULL) == h);
	T_INT(acme_intake_stage(st, conf, h, &src, fake_now(), &alg, &same,
	    &cur), OUT_OK);
	T_INT(same, 0);
	T_INT(alg, KEY_ALG_ECDSA_P256);
	/* The hook's own engine run: publishes, holds, deploys nothing. */
	engine_host(&eng, h, &r);
	live_spki(h, got);
	T_STR(got, before);
	T_INT(fake.deploys, 0);
	T_CHECK(r.busy && r.wake_at > fake_now());
	/* Runs before the record has aged still hold it. */
	for (i = 0; i < 3; i++) {
		fake_clock(fake_now() + 5);
		engine_host(&eng, h, &r);
		T_INT(fake.deploys, 0);
	}
	T_CHECK(run_until_stable(h, 40) > 0);
	T_INT(fake.deploys, 1);
	live_spki(h, got);
	T_STR(got, want);			/* the client's key, now live */
	T_INT(fake.violations, 0);
	acme_intake_free(&src);
done:
	clear_env();
	free(cur);
	EVP_PKEY_free(key);
}

static void
test_same_key_and_mismatch(void)
{
	const struct conf_host *h = setup("mx31.example.org");
	EVP_PKEY *cur_key = NULL, *other = key_generate(KEY_ALG_ECDSA_P256);
	char *live = NULL, dir[600], *cur = NULL;
	struct intake_src src;
	enum key_alg alg;
	int same = -1;

	if (!T_CHECK(h != NULL))
		goto done;
	T_CHECK(run_until_stable(h, 40) > 0);
	live = conf_path_for(h->files.combined_file, KEY_ALG_ECDSA_P256);
	cur_key = key_load_unchecked(live);
	if (!T_CHECK(cur_key != NULL))
		goto done;

	/* Renewed with the current key (certbot --reuse-key). */
	snprintf(dir, sizeof(dir), "%s/lego-mx31", t_tmpdir());
	client_files(dir, h->name, cur_key, cur_key);
	clear_env();
	setenv("LEGO_CERT_PATH", t_path("lego-mx31/fullchain.pem"), 1);
	setenv("LEGO_CERT_KEY_PATH", t_path("lego-mx31/privkey.pem"), 1);
	T_INT(acme_intake_find(NULL, 0, &src), 0);
	T_INT(acme_intake_stage(st, conf, h, &src, fake_now(), &alg, &same,
	    &cur), OUT_OK);
	T_INT(same, 1);
	T_CHECK(cur != NULL && fs_exists(cur));
	acme_intake_free(&src);
	free(cur);
	cur = NULL;

	/* A key and a certificate that do not belong together. */
	snprintf(dir, sizeof(dir), "%s/bad-mx31", t_tmpdir());
	client_files(dir, h->name, other, cur_key);
	setenv("LEGO_CERT_PATH", t_path("bad-mx31/fullchain.pem"), 1);
	setenv("LEGO_CERT_KEY_PATH", t_path("bad-mx31/privkey.pem"), 1);
	T_INT(acme_intake_find(NULL, 0, &src), 0);
	t_log_reset();
	T_INT(acme_intake_stage(st, conf, h, &src, fake_now(), &alg, &same,
	    &cur), OUT_PERMFAIL);
	T_CHECK(t_log_has("is not for the key"));
	acme_intake_free(&src);
done:
	clear_env();
	free(cur);
	free(live);
	EVP_PKEY_free(cur_key);
	EVP_PKEY_free(other);
	store_close(st);
	conf_free(conf);
	st = NULL;
	conf = NULL;
}

static const struct t_case cases[] = {
	{ "find_table", test_find_table },
	{ "rekeyed_held_until_aged", test_rekeyed_held_until_aged },
	{ "same_key_and_mismatch", test_same_key_and_mismatch },
};

T_MAIN(cases)
