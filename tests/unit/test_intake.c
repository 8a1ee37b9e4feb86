/*
 * test_intake - what each ACME client hands `daneroll acme-hook`, and
 * which [host] a certificate's names pick.
 */
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

static void
test_clients(void)
{
	char *dehydrated[] = { "deploy_cert", "mx1.example.org", "/d/k.pem",
	    "/d/cert.pem", "/d/fullchain.pem", "/d/chain.pem", "1700000000" };
	char got[512];

	clear_env();
	setenv("RENEWED_LINEAGE", "/etc/letsencrypt/live/mx1", 1);
	setenv("RENEWED_DOMAINS", "www.example.org mx1.example.org", 1);
	T_INT(handed(0, NULL, got, sizeof(got)), 0);
	T_STR(got, "www.example.org mx1.example.org|"
	    "/etc/letsencrypt/live/mx1/privkey.pem|"
	    "/etc/letsencrypt/live/mx1/fullchain.pem");

	/* lego v5 --deploy-hook: LEGO_HOOK_*; the domains, not the ID. */
	clear_env();
	setenv("LEGO_HOOK_CERT_PATH", "/l/certificates/mx.crt", 1);
	setenv("LEGO_HOOK_CERT_KEY_PATH", "/l/certificates/mx.key", 1);
	setenv("LEGO_HOOK_CERT_NAME", "mx", 1);
	setenv("LEGO_HOOK_CERT_DOMAINS", "mx1.example.org,mx2.example.org", 1);
	T_INT(handed(0, NULL, got, sizeof(got)), 0);
	T_STR(got, "mx1.example.org,mx2.example.org|/l/certificates/mx.key|"
	    "/l/certificates/mx.crt");
	unsetenv("LEGO_HOOK_CERT_DOMAINS");
	T_INT(handed(0, NULL, got, sizeof(got)), 0);
	T_STR(got, "mx|/l/certificates/mx.key|/l/certificates/mx.crt");

	/* lego v4 --run-hook / --renew-hook. */
	clear_env();
	setenv("LEGO_CERT_PATH", "/l/certificates/mx1.example.org.crt", 1);
	setenv("LEGO_CERT_KEY_PATH", "/l/certificates/mx1.example.org.key", 1);
	setenv("LEGO_CERT_DOMAIN", "mx1.example.org", 1);
	T_INT(handed(0, NULL, got, sizeof(got)), 0);
	T_STR(got, "mx1.example.org|/l/certificates/mx1.example.org.key|"
	    "/l/certificates/mx1.example.org.crt");

	/* acme.sh --reloadcmd. */
	clear_env();
	setenv("CERT_FULLCHAIN_PATH", "/a/fullchain.cer", 1);
	setenv("CERT_KEY_PATH", "/a/mx1.key", 1);
	setenv("Le_Domain", "mx1.example.org", 1);
	T_INT(handed(0, NULL, got, sizeof(got)), 0);
	T_STR(got, "mx1.example.org|/a/mx1.key|/a/fullchain.cer");

	/* dehydrated's hook arguments; the full chain, not cert.pem. */
	clear_env();
	T_INT(handed(7, dehydrated, got, sizeof(got)), 0);
	T_STR(got, "mx1.example.org|/d/k.pem|/d/fullchain.pem");

	/* Nothing handed over, or half of it: refused, naming what. */
	t_log_reset();
	T_INT(handed(0, NULL, got, sizeof(got)), -1);
	T_CHECK(t_log_has("LEGO_HOOK_CERT_PATH"));
	setenv("LEGO_HOOK_CERT_PATH", "/l/certificates/mx.crt", 1);
	T_INT(handed(0, NULL, got, sizeof(got)), -1);
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
