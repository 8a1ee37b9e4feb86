/*
 * test_intake - what each ACME client hands `daneroll acme-hook`, and
 * which [host] a certificate's names pick.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "intake.h"
#include "t.h"

static const char *client_env[] = {
	"RENEWED_LINEAGE", "RENEWED_DOMAINS",
	"LEGO_HOOK_CERT_PATH", "LEGO_HOOK_CERT_KEY_PATH",
	"LEGO_HOOK_CERT_DOMAINS", "LEGO_HOOK_CERT_NAME",
	"LEGO_CERT_PATH", "LEGO_CERT_KEY_PATH", "LEGO_CERT_DOMAIN",
	"CERT_FULLCHAIN_PATH", "CERT_KEY_PATH", "Le_Domain",
};

static void
clear_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(client_env) / sizeof(client_env[0]); i++)
		unsetenv(client_env[i]);
}

/* Reads the client's hand-over; the three fields, "-" where NULL. */
static int
handed(int argc, char **argv, char *out, size_t len)
{
	struct intake_files f;

	if (intake_from_client(argc, argv, &f) != 0)
		return -1;
	snprintf(out, len, "%s|%s|%s", f.domain ? f.domain : "-",
	    f.key_path, f.chain_path);
	intake_files_free(&f);
	return 0;
}

/* Sets "NAME=value". */
static void
set_var(const char *nv)
{
	const char *eq = strchr(nv, '=');
	char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)(eq - nv), nv);
	setenv(name, eq + 1, 1);
}

/*
 * Each client's hand-over, from a clean environment: the variables it sets
 * or the arguments it passes, and the three fields read (NULL: refused,
 * with log words if given).
 */
static void
test_clients(void)
{
	static char *dehydrated[] = { "deploy_cert", "mx1.example.org",
	    "/d/k.pem", "/d/cert.pem", "/d/fullchain.pem", "/d/chain.pem",
	    "1700000000" };
	static const struct {
		const char	*env[5];
		int		 argc;
		char		**argv;
		const char	*want;
		const char	*log;
	} rows[] = {
		/* certbot --deploy-hook. */
		{ { "RENEWED_LINEAGE=/etc/letsencrypt/live/mx1",
		    "RENEWED_DOMAINS=www.example.org mx1.example.org" }, 0, NULL,
		  "www.example.org mx1.example.org|"
		  "/etc/letsencrypt/live/mx1/privkey.pem|"
		  "/etc/letsencrypt/live/mx1/fullchain.pem", NULL },
		/* lego v5 --deploy-hook: LEGO_HOOK_*; the domains, not the
		 * ID, and the ID where there are no domains. */
		{ { "LEGO_HOOK_CERT_PATH=/l/certificates/mx.crt",
		    "LEGO_HOOK_CERT_KEY_PATH=/l/certificates/mx.key",
		    "LEGO_HOOK_CERT_NAME=mx",
		    "LEGO_HOOK_CERT_DOMAINS=mx1.example.org,mx2.example.org" },
		  0, NULL, "mx1.example.org,mx2.example.org|"
		  "/l/certificates/mx.key|/l/certificates/mx.crt", NULL },
		{ { "LEGO_HOOK_CERT_PATH=/l/certificates/mx.crt",
		    "LEGO_HOOK_CERT_KEY_PATH=/l/certificates/mx.key",
		    "LEGO_HOOK_CERT_NAME=mx" }, 0, NULL,
		  "mx|/l/certificates/mx.key|/l/certificates/mx.crt", NULL },
		/* lego v4 --run-hook / --renew-hook. */
		{ { "LEGO_CERT_PATH=/l/certificates/mx1.example.org.crt",
		    "LEGO_CERT_KEY_PATH=/l/certificates/mx1.example.org.key",
		    "LEGO_CERT_DOMAIN=mx1.example.org" }, 0, NULL,
		  "mx1.example.org|/l/certificates/mx1.example.org.key|"
		  "/l/certificates/mx1.example.org.crt", NULL },
		/* acme.sh --reloadcmd. */
		{ { "CERT_FULLCHAIN_PATH=/a/fullchain.cer",
		    "CERT_KEY_PATH=/a/mx1.key", "Le_Domain=mx1.example.org" },
		  0, NULL, "mx1.example.org|/a/mx1.key|/a/fullchain.cer", NULL },
		/* dehydrated's hook arguments; the full chain, not cert.pem. */
		{ { NULL }, 7, dehydrated,
		  "mx1.example.org|/d/k.pem|/d/fullchain.pem", NULL },
		/* Nothing handed over, or half of it: refused, naming what. */
		{ { NULL }, 0, NULL, NULL, "LEGO_HOOK_CERT_PATH" },
		{ { "LEGO_HOOK_CERT_PATH=/l/certificates/mx.crt" }, 0, NULL,
		  NULL, NULL },
	};
	char got[512];
	size_t i, j;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		clear_env();
		for (j = 0; j < 5 && rows[i].env[j] != NULL; j++)
			set_var(rows[i].env[j]);
		t_log_reset();
		if (rows[i].want == NULL) {
			if (!T_INT(handed(rows[i].argc, rows[i].argv, got,
			    sizeof(got)), -1))
				printf("    row %zu: %s\n", i, got);
		} else if (T_INT(handed(rows[i].argc, rows[i].argv, got,
		    sizeof(got)), 0))
			T_STR(got, rows[i].want);
		if (rows[i].log != NULL && !T_CHECK(t_log_has(rows[i].log)))
			printf("    row %zu: %s", i, t_log_text());
	}
	clear_env();
}

static void
test_host_from_names(void)
{
	struct conf *c;
	char text[1024];

	t_write("tsig.key", "key \"dr\" { algorithm hmac-sha256; "
	    "secret \"c2VjcmV0\"; };\n");
	chmod(t_path("tsig.key"), 0600);
	snprintf(text, sizeof(text),
	    "[global]\nstate_dir = %s/state\nresolver = 127.0.0.1#9\n\n"
	    "[publisher bind]\ntype = rfc2136\ntsig_key_file = %s\n\n"
	    "[host mx1.example.org]\nalgorithms = ecdsa-p256\n"
	    "combined_file = %s/%%a.pem\npublisher = bind\n"
	    "acme_hook = /bin/true\nreload = /bin/true\n",
	    t_tmpdir(), t_path("tsig.key"), t_tmpdir());
	if (!T_CHECK((c = conf_load(t_write("d.conf", text))) != NULL))
		return;
	/* The first of the certificate's names that is a host. */
	T_CHECK(intake_host(c, "mx1.example.org") == &c->hosts[0]);
	T_CHECK(intake_host(c, "MX1.example.org") == &c->hosts[0]);
	T_CHECK(intake_host(c, "www.example.org mx1.example.org") ==
	    &c->hosts[0]);
	T_CHECK(intake_host(c, "www.example.org,mx1.example.org") ==
	    &c->hosts[0]);
	t_log_reset();
	T_CHECK(intake_host(c, "www.example.org,mx1.example") == NULL);
	T_CHECK(t_log_has("none of www.example.org,mx1.example is a [host]"));
	t_log_reset();
	T_CHECK(intake_host(c, NULL) == NULL);
	T_CHECK(t_log_has("name the host: daneroll acme-hook HOST"));
	conf_free(c);
}

static const struct t_case cases[] = {
	{ "clients", test_clients },
	{ "host_from_names", test_host_from_names },
};

T_MAIN(cases)
