/*
 * The RFC 2136 publisher against a real server: a one-case driver for
 * tests/integration/publish_rfc2136.sh, which starts BIND and Knot in a
 * network namespace and runs this program there, once per case.
 *
 * Without DANEROLL_LIVE_NS it skips ("0 passed, 0 failed, 1 skipped"),
 * so the unit test run stays offline. With it, the case comes from the
 * environment:
 *
 *   DANEROLL_LIVE_SERVER    publisher server ("addr#port"; empty: MNAME)
 *   DANEROLL_LIVE_RESOLVER  [global] resolver (for zone/MNAME discovery)
 *   DANEROLL_LIVE_ZONE      publisher zone (empty: found by SOA queries)
 *   DANEROLL_LIVE_KEY       tsig_key_file
 *   DANEROLL_LIVE_OWNER     TLSA owner name
 *   DANEROLL_LIVE_TTL       TTL (default 3600)
 *   DANEROLL_LIVE_PREV      records, ';'-separated ("3 1 1 ab..;...")
 *   DANEROLL_LIVE_WANT      records, ';'-separated; empty: delete
 *   DANEROLL_LIVE_EXPECT    ok | tempfail | permfail
 *   DANEROLL_LIVE_LOG       text the log must contain (optional)
 *   DANEROLL_LIVE_SECRET_FILE  a file holding text the log must not
 *                           contain (optional; a file, so that the secret
 *                           is never on a command line)
 *   DANEROLL_LIVE_TIMEOUT   publisher timeout in seconds (default 6)
 *   DANEROLL_LIVE_COMMAND   blank-separated argv: run the exec publisher
 *                           with this command instead (a hooks/dns script)
 *
 * The captured log is printed as "# " lines so the script shows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "conf.h"
#include "log.h"
#include "publish_exec.h"
#include "publish_rfc2136.h"
#include "t.h"
#include "tlsa.h"
#include "util.h"

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* ';'-separated records into set; 0 or -1. */
static int
parse_records(const char *s, struct tlsa_set *set)
{
	char *copy, *tok, *save = NULL;
	int ret = 0;

	if (s == NULL)
		return 0;
	copy = xstrdup(s);
	for (tok = strtok_r(copy, ";", &save); tok != NULL;
	    tok = strtok_r(NULL, ";", &save)) {
		struct tlsa_rr rr;

		if (tlsa_parse(tok, &rr) != 0) {
			ret = -1;
			break;
		}
		tlsa_set_add(set, &rr);
		tlsa_rr_free(&rr);
	}
	free(copy);
	return ret;
}

static void
print_log(void)
{
	const char *p = t_log_text(), *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		printf("# %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void
test_live(void)
{
	struct conf conf;
	struct conf_publisher pub;
	struct publish_rfc2136_conf rc = { 0 };
	struct publish_exec_conf ec = { 0 };
	struct tlsa_set prev = { 0 }, want = { 0 };
	struct publish_req req;
	const char *t = env("DANEROLL_LIVE_TIMEOUT");
	const char *ttl = env("DANEROLL_LIVE_TTL");
	const char *needle = env("DANEROLL_LIVE_LOG");
	const char *secret_file = env("DANEROLL_LIVE_SECRET_FILE");
	char *secret = secret_file ? t_read(secret_file) : NULL;
	const char *command = env("DANEROLL_LIVE_COMMAND");
	const struct backend_publisher *be = &publish_rfc2136;
	char *words = NULL, *argv[16], *save = NULL;
	enum outcome o, want_o = outcome_parse(env("DANEROLL_LIVE_EXPECT"));
	int argc = 0;

	memset(&conf, 0, sizeof(conf));
	memset(&pub, 0, sizeof(pub));
	conf.resolver = (char *)env("DANEROLL_LIVE_RESOLVER");
	pub.name = "live";
	pub.type = "rfc2136";
	pub.priv = &rc;
	rc.server = (char *)env("DANEROLL_LIVE_SERVER");
	pub.zone = (char *)env("DANEROLL_LIVE_ZONE");
	rc.tsig_key_file = (char *)env("DANEROLL_LIVE_KEY");
	pub.timeout = t != NULL ? atoi(t) : 6;
	if (command != NULL) {
		words = xstrdup(command);
		for (argv[argc] = strtok_r(words, " ", &save);
		    argv[argc] != NULL && argc < 15;
		    argv[argc] = strtok_r(NULL, " ", &save))
			argc++;
		argv[argc] = NULL;
		pub.type = "exec";
		pub.priv = &ec;
		ec.command.argv = argv;
		ec.command.argc = argc;
		be = &publish_exec;
	}
	T_CHECK(env("DANEROLL_LIVE_OWNER") != NULL);
	T_INT(parse_records(env("DANEROLL_LIVE_PREV"), &prev), 0);
	T_INT(parse_records(env("DANEROLL_LIVE_WANT"), &want), 0);
	req.owner = env("DANEROLL_LIVE_OWNER");
	req.ttl = ttl != NULL ? atoll(ttl) : 3600;
	req.prev = &prev;
	req.want = &want;
	if (req.owner != NULL) {
		o = be->replace(&conf, &pub, &req);
		if (!T_STR(outcome_str(o), outcome_str(want_o)))
			printf("    (outcome %s)\n", outcome_str(o));
	}
	if (needle != NULL && !T_CHECK(t_log_has(needle)))
		printf("    log lacks: %s\n", needle);
	if (secret != NULL) {
		secret[strcspn(secret, "\n")] = '\0';
		T_CHECK(*secret != '\0' && strstr(t_log_text(), secret) == NULL);
		free(secret);
	}
	print_log();
	tlsa_set_free(&prev);
	tlsa_set_free(&want);
	free(words);
}

static const struct t_case cases[] = {
	{ "live", test_live },
};

int
main(int argc, char **argv)
{
	if (getenv("DANEROLL_LIVE_NS") == NULL) {
		printf("ok - live # skip DANEROLL_LIVE_NS not set\n");
		printf("0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	return t_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
