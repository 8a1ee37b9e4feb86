/*
 * Unit tests: the ACME hook issuer (src/issue_hook.c) with real scripts:
 * the hook's fixed environment and argument vector, the exit status table,
 * timeouts, stale output; the local-ca adapter (hooks/acme/local-ca)
 * signing a CSR; and the engine over the fake DNS world with the real
 * issuer and the real files deployer: a whole rollover, a hook that
 * returns a certificate for another key (refused, nothing deployed), and
 * a failed live check rolled back to the byte-identical previous file.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cert.h"
#include "conf.h"
#include "deploy_files.h"
#include "engine.h"
#include "exec.h"
#include "fakes.h"
#include "fsutil.h"
#include "issue_hook.h"
#include "key.h"
#include "log.h"
#include "store.h"
#include "t.h"
#include "t_engine.h"

#define T0	1800000000
#define DAY	86400

static char top[PATH_MAX];

/* The source tree (for hooks/acme), as tests/run.sh exports it. */
static const char *
top_dir(void)
{
	const char *t = getenv("DANEROLL_TOP");

	if (top[0] == '\0' && (t == NULL || realpath(t, top) == NULL) &&
	    realpath(".", top) == NULL)
		abort();
	return top;
}

/* t_path() into the caller's buffer (t_path's own rotates). */
static void
tcopy(char out[600], const char *name)
{
	snprintf(out, 600, "%s", t_path(name));
}

static const char *
script(const char *name, const char *body)
{
	const char *path = t_write(name, body);

	chmod(path, 0700);
	return path;
}

static struct conf *
conf_hook(const char *hook, const char *extra)
{
	static int n;
	struct buf c = { 0 };
	char name[64];
	struct conf *conf;

	buf_printf(&c, "[global]\nstate_dir = %s/state\n\n"
	    "[publisher dns]\ntype = rfc2136\ntsig_key_file = %s/tsig.key\n\n"
	    "[host mx.example.org]\npublisher = dns\nalgorithms = rsa2048\n"
	    "combined_file = %s/live.pem\n%s%s%s%s", t_tmpdir(), t_tmpdir(),
	    t_tmpdir(), extra && strstr(extra, "hook_timeout") ? "" :
	    "hook_timeout = 10s\n", hook ? "acme_hook = " : "",
	    hook ? hook : "", hook ? "\n" : "");
	buf_puts(&c, extra ? extra : "");
	snprintf(name, sizeof(name), "issue%d.conf", ++n);
	conf = conf_load(t_write(name, c.data));
	buf_free(&c);
	return conf;
}

/* A throwaway self-signed certificate, as a hook's "chain". */
static const char *
fixture(void)
{
	static char path[600];
	const char *argv[] = { "/usr/bin/openssl", "req", "-x509", "-newkey",
	    "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
	    "/dev/null", "-subj", "/CN=mx.example.org", "-days", "30", "-out",
	    NULL, NULL };
	struct exec_result res;

	if (path[0] != '\0')
		return path;
	snprintf(path, sizeof(path), "%s", t_path("fixture.pem"));
	argv[15] = path;
	(void)exec_run((char *const *)argv, NULL, NULL, 30, 4096, &res);
	buf_free(&res.output);
	return path;
}

static void
test_env_and_argv(void)
{
	struct conf *c;
	struct buf b = { 0 };
	char *env = NULL, hook[700];
	char out[600];

	tcopy(out, "env-chain.pem");
	buf_printf(&b, "#!/bin/sh\n{ echo \"argc=$#\"; for a in \"$@\"; do "
	    "echo \"arg=$a\"; done; env; } > %s/env.txt\n"
	    "cp %s \"$DANEROLL_CHAIN\"\n", t_tmpdir(), fixture());
	snprintf(hook, sizeof(hook), "%s one \"two words\"",
	    script("env-hook", b.data));
	c = conf_hook(hook, "alias = mx-alt.example.org\n");
	if (!T_CHECK(c != NULL))
		goto done;
	setenv("DANEROLL_LEAK_CHECK", "secret-looking", 1);
	T_INT(issue_hook.issue(c, &c->hosts[0], KEY_ALG_ECDSA_P256,
	    "/some/where/x.csr", out), OUT_OK);
	unsetenv("DANEROLL_LEAK_CHECK");
	env = t_read(t_path("env.txt"));
	if (!T_CHECK(env != NULL))
		goto done;
	T_CHECK(strstr(env, "argc=2\narg=one\narg=two words\n") == env);
	T_CHECK(strstr(env, "DANEROLL_CSR=/some/where/x.csr\n") != NULL);
	T_CHECK(strstr(env, "DANEROLL_CHAIN=") != NULL &&
	    strstr(env, out) != NULL);
	T_CHECK(strstr(env, "DANEROLL_HOST=mx.example.org\n") != NULL);
	T_CHECK(strstr(env, "DANEROLL_NAMES=mx.example.org "
	    "mx-alt.example.org\n") != NULL);
	T_CHECK(strstr(env, "DANEROLL_ALG=ecdsa-p256\n") != NULL);
	T_CHECK(strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n") != NULL);
	/* Nothing of daneroll's own environment. */
	T_CHECK(strstr(env, "DANEROLL_LEAK_CHECK") == NULL);
	T_CHECK(strstr(env, "HOME=") == NULL);
	T_CHECK(fs_exists(out));
done:
	buf_free(&b);
	free(env);
	conf_free(c);
}

static void
test_exit_status(void)
{
	static const struct {
		const char	*action;	/* the hook's body */
		enum outcome	 want;
		const char	*msg;
	} rows[] = {
		{ "cp FIXTURE \"$DANEROLL_CHAIN\"; exit 0", OUT_OK, NULL },
		{ "echo done; exit 0", OUT_TEMPFAIL,
		  "left no certificate chain" },
		{ "echo 'rateLimited: try later' >&2; exit 75", OUT_TEMPFAIL,
		  "exited 75 (temporary failure)" },
		{ "echo 'urn:ietf:params:acme:error:connection'; exit 1",
		  OUT_TEMPFAIL, "error:connection" },
		{ "exit 126", OUT_PERMFAIL, "cannot be run" },
		{ "/nonexistent/acme-client --csr x", OUT_PERMFAIL,
		  "exited 127" },
		{ "echo dying; kill -9 $$", OUT_TEMPFAIL, "signal 9" },
		/* Even with a chain, a failed exit is a failure. */
		{ "cp FIXTURE \"$DANEROLL_CHAIN\"; exit 1", OUT_TEMPFAIL,
		  "exited 1" },
	};
	char out[600];
	struct conf *c = NULL;
	struct buf b = { 0 };
	size_t i;

	tcopy(out, "exit-chain.pem");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char name[32], *body, *p;
		enum outcome o;

		buf_free(&b);
		body = xstrdup(rows[i].action);
		if ((p = strstr(body, "FIXTURE")) != NULL) {
			*p = '\0';
			buf_printf(&b, "#!/bin/sh\n%s%s%s\n", body, fixture(),
			    p + 7);
		} else
			buf_printf(&b, "#!/bin/sh\n%s\n", body);
		free(body);
		snprintf(name, sizeof(name), "exit-hook-%zu", i);
		conf_free(c);
		c = conf_hook(script(name, b.data), NULL);
		if (!T_CHECK(c != NULL))
			break;
		/* A chain from an earlier attempt must not count. */
		t_write("exit-chain.pem", "stale");
		t_log_reset();
		o = issue_hook.issue(c, &c->hosts[0], KEY_ALG_RSA2048,
		    "/dev/null", out);
		if (!T_INT(o, rows[i].want))
			printf("    row %zu: %s\n", i, t_log_text());
		if (rows[i].msg != NULL && !T_CHECK(strstr(log_last_error(),
		    rows[i].msg) != NULL))
			printf("    row %zu: %s\n", i, log_last_error());
		/* Removed before the hook ran, whatever it did. */
		T_CHECK(!t_holds(out, "stale"));
	}
	buf_free(&b);
	conf_free(c);
}

static void
test_timeout_and_missing(void)
{
	struct conf *c;
	char out[600];

	tcopy(out, "to-chain.pem");
	c = conf_hook(script("slow-hook", "#!/bin/sh\necho waiting\n"
	    "sleep 30\n"), "hook_timeout = 1s\n");
	if (!T_CHECK(c != NULL))
		return;
	T_INT(issue_hook.issue(c, &c->hosts[0], KEY_ALG_RSA2048, "/dev/null",
	    out), OUT_TEMPFAIL);
	T_CHECK(strstr(log_last_error(), "timed out") != NULL);
	T_CHECK(strstr(log_last_error(), "waiting") != NULL);
	conf_free(c);

	c = conf_hook("/nonexistent/daneroll-acme-hook", NULL);
	T_INT(issue_hook.issue(c, &c->hosts[0], KEY_ALG_RSA2048, "/dev/null",
	    out), OUT_PERMFAIL);
	conf_free(c);

	c = conf_hook(NULL, NULL);
	T_INT(issue_hook.issue(c, &c->hosts[0], KEY_ALG_RSA2048, "/dev/null",
	    out), OUT_PERMFAIL);
	T_CHECK(t_log_has("no acme_hook configured"));
	conf_free(c);
}

/* A local CA on disk and a settings file for hooks/acme/local-ca. */
static const char *
local_ca(void)
{
	static char settings[600];
	const char *argv[] = { "/usr/bin/openssl", "req", "-x509", "-newkey",
	    "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
	    NULL, "-subj", "/CN=daneroll local test CA", "-days", "3650",
	    "-out", NULL, NULL };
	char key[600], cert[600], *s;
	struct exec_result res;

	if (settings[0] != '\0')
		return settings;
	snprintf(key, sizeof(key), "%s", t_path("ca.key"));
	snprintf(cert, sizeof(cert), "%s", t_path("ca.pem"));
	argv[9] = key;
	argv[15] = cert;
	if (exec_run((char *const *)argv, NULL, NULL, 30, 4096, &res) !=
	    OUT_OK)
		abort();
	buf_free(&res.output);
	/* Valid at the tests' fake clock (T0 + 61 days) too. */
	s = xasprintf("LOCAL_CA_CERT=%s\nLOCAL_CA_KEY=%s\nLOCAL_CA_DAYS=3650\n",
	    cert, key);
	snprintf(settings, sizeof(settings), "%s", t_write("local-ca.conf",
	    s));
	free(s);
	return settings;
}

static char *
local_ca_hook(void)
{
	return xasprintf("%s/hooks/acme/local-ca %s", top_dir(), local_ca());
}

static void
test_local_ca_adapter(void)
{
	const char *names[] = { "mx.example.org", "mx-alt.example.org" };
	EVP_PKEY *key = key_generate(KEY_ALG_RSA2048);
	STACK_OF(X509) *chain = NULL;
	char *hook = local_ca_hook(), *csr = csr_make_pem(key, names, 2);
	char csr_path[600], out[600];
	struct conf *c = conf_hook(hook, "alias = mx-alt.example.org\n");

	snprintf(csr_path, sizeof(csr_path), "%s", t_write("lca.csr", csr));
	tcopy(out, "lca-chain.pem");
	if (!T_CHECK(c != NULL))
		goto done;
	T_INT(issue_hook.issue(c, &c->hosts[0], KEY_ALG_RSA2048, csr_path,
	    out), OUT_OK);
	chain = cert_load_chain(out);
	if (!T_CHECK(chain != NULL))
		goto done;
	T_INT(sk_X509_num(chain), 2);		/* leaf, then the CA */
	T_CHECK(cert_matches_key(sk_X509_value(chain, 0), key));
	T_CHECK(cert_covers_name(sk_X509_value(chain, 0), names[0]));
	T_CHECK(cert_covers_name(sk_X509_value(chain, 0), names[1]));
	T_CHECK(cert_chain_well_formed(chain, out));
done:
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	free(hook);
	free(csr);
	conf_free(c);
}

/* ---- the engine with the real issuer and deployer ----------------- */

static struct conf	*econf;
static struct store	*est;
static struct engine	 eng;
static int		 real_deploys;

static enum outcome
count_deploy(const struct conf *c, const struct conf_host *h,
    enum key_alg alg, const char *key_path, const char *chain_path)
{
	enum outcome o = deploy_files.deploy(c, h, alg, key_path, chain_path);

	if (o == OUT_OK)
		real_deploys++;
	return o;
}

/* fake_verify passes the restored set once fake.rollbacks says so. */
static enum outcome
count_rollback(const struct conf *c, const struct conf_host *h,
    enum key_alg alg)
{
	enum outcome o = deploy_files.rollback(c, h, alg);

	if (o == OUT_OK)
		fake.rollbacks++;
	return o;
}

static enum outcome
count_forget(const struct conf *c, const struct conf_host *h,
    enum key_alg alg)
{
	return deploy_files.forget(c, h, alg);
}

static const struct backend_deployer counting_deployer = {
	count_deploy, count_rollback, count_forget
};
static struct backends real_be;

static const struct conf_host *
engine_setup(const char *name, const char *hook)
{
	static int n;
	struct buf c = { 0 };
	char dir[600], cfg[64];

	t_engine_close(&est, &econf);
	t_engine_world(dir, sizeof(dir), "e", ++n, T0);
	real_deploys = 0;
	t_engine_conf_head(&c, dir);
	buf_printf(&c, "[host %s]\nalgorithms = ecdsa-p256\n"
	    "combined_file = %s/live.pem\npublisher = dns\n"
	    "acme_hook = %s\nreload = /bin/true\n", name, dir, hook);
	snprintf(cfg, sizeof(cfg), "e%d.conf", n);
	econf = conf_load(t_write(cfg, c.data));
	buf_free(&c);
	if (econf == NULL || store_open(econf->state_dir, 0, &est) != OUT_OK)
		return NULL;
	real_be = fake_backends;
	real_be.issuer = &issue_hook;
	real_be.deployer = &counting_deployer;
	t_engine_bind(&eng, econf, est, &real_be);
	t_engine_deploy_initial(&econf->hosts[0]);
	return &econf->hosts[0];
}

static int
run_until_stable(const struct conf_host *h, int limit)
{
	return t_engine_until_stable(&eng, h, limit);
}

static enum slot_state
state_of(const struct conf_host *h)
{
	return t_engine_state(est, h->name, KEY_ALG_ECDSA_P256);
}

/* 1 if the live file's leaf was issued by the local test CA. */
static int
live_from_local_ca(const char *path)
{
	STACK_OF(X509) *chain = cert_load_chain(path);
	char issuer[256] = "";

	if (chain == NULL)
		return 0;
	X509_NAME_oneline(X509_get_issuer_name(sk_X509_value(chain, 0)),
	    issuer, sizeof(issuer));
	sk_X509_pop_free(chain, X509_free);
	return strstr(issuer, "daneroll local test CA") != NULL;
}

static void
test_engine_rollover(void)
{
	char *hook = local_ca_hook(), *live = NULL, *before = NULL;
	char *prev = NULL;
	const struct conf_host *h = engine_setup("mx20.example.org", hook);

	if (!T_CHECK(h != NULL))
		goto done;
	live = conf_path_for(h->files.combined_file, KEY_ALG_ECDSA_P256);
	prev = xasprintf("%s.prev", live);
	T_CHECK(run_until_stable(h, 40) > 0);
	T_INT(state_of(h), SLOT_STANDBY);
	before = t_read(live);
	fake_clock(T0 + 61 * DAY);
	T_CHECK(run_until_stable(h, 40) > 0);
	T_INT(state_of(h), SLOT_STANDBY);
	T_INT(real_deploys, 1);
	T_CHECK(live_from_local_ca(live));
	/* It held the retired key: gone once that key's record aged out
	 * (the slot rests in standby after that wait). */
	T_CHECK(!fs_exists(prev));
	T_CHECK(!t_holds(live, before));
	T_INT(fake.violations, 0);
done:
	free(hook);
	free(live);
	free(prev);
	free(before);
}

/*
 * engine_setup() run until stable: its live file into *live and the chain
 * the file holds then into *before (both the caller's to free). NULL if
 * the setup failed.
 */
static const struct conf_host *
engine_settled(const char *name, const char *hook, char **live,
    char **before)
{
	const struct conf_host *h = engine_setup(name, hook);

	if (!T_CHECK(h != NULL))
		return NULL;
	*live = conf_path_for(h->files.combined_file, KEY_ALG_ECDSA_P256);
	T_CHECK(run_until_stable(h, 40) > 0);
	*before = t_read(*live);
	return h;
}

static void
test_engine_wrong_key(void)
{
	struct buf b = { 0 };
	char *hook = NULL, *live = NULL, *before = NULL;
	const struct conf_host *h;

	/* A "client" that makes a key of its own, as certbot does without
	 * --csr: its certificate is for a key no TLSA record announces. */
	buf_printf(&b, "#!/bin/sh\nset -e\n"
	    "/usr/bin/openssl req -new -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout /dev/null "
	    "-subj \"/CN=$DANEROLL_HOST\" -out \"$DANEROLL_CHAIN.csr\"\n"
	    "DANEROLL_CSR=\"$DANEROLL_CHAIN.csr\" exec %s/hooks/acme/local-ca "
	    "%s\n", top_dir(), local_ca());
	hook = xstrdup(script("rekeying-hook", b.data));
	if ((h = engine_settled("mx21.example.org", hook, &live,
	    &before)) == NULL)
		goto done;
	fake_clock(T0 + 61 * DAY);
	t_log_reset();
	(void)run_until_stable(h, 10);
	T_CHECK(t_log_has("for another key than the pre-published next key"));
	T_INT(state_of(h), SLOT_ISSUING);
	T_INT(real_deploys, 0);
	T_CHECK(t_holds(live, before));	/* nothing deployed */
	T_INT(fake.violations, 0);
done:
	buf_free(&b);
	free(hook);
	free(live);
	free(before);
}

static void
test_engine_verify_rollback(void)
{
	char *hook = local_ca_hook(), *live = NULL, *before = NULL;
	const struct conf_host *h;

	if ((h = engine_settled("mx22.example.org", hook, &live,
	    &before)) == NULL)
		goto done;
	fake_clock(T0 + 61 * DAY);
	fake.verify_fails = 1;
	t_log_reset();
	T_CHECK(run_until_stable(h, 40) > 0);
	T_INT(real_deploys, 1);
	T_INT(fake.rollbacks, 1);
	T_INT(state_of(h), SLOT_FAILED);
	T_CHECK(t_log_has("rolled back after a failed live check"));
	T_CHECK(t_holds(live, before));	/* byte for byte */
	T_INT(fake.violations, 0);
done:
	free(hook);
	free(live);
	free(before);
	t_engine_close(&est, &econf);
}

static const struct t_case cases[] = {
	{ "env_and_argv", test_env_and_argv },
	{ "exit_status", test_exit_status },
	{ "timeout_and_missing", test_timeout_and_missing },
	{ "local_ca_adapter", test_local_ca_adapter },
	{ "engine_rollover", test_engine_rollover },
	{ "engine_wrong_key", test_engine_wrong_key },
	{ "engine_verify_rollback", test_engine_verify_rollback },
};

T_MAIN(cases)
