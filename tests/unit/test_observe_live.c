/*
 * Live driver for tests/integration/observe_pdns.sh: runs the observer
 * and the PowerDNS publisher against real servers and checks what they
 * return. Without DANEROLL_LIVE=1 (as in `make check-unit`) it does
 * nothing and says "0 passed, 0 failed, 1 skipped".
 *
 *   test_observe_live report     observe, print the report, no checks
 *   test_observe_live observe    observe and check the LIVE_EXPECT_* below
 *   test_observe_live publish    publish through PowerDNS and check
 *
 * Input (environment):
 *   LIVE_OWNER              TLSA owner name
 *   LIVE_WANT               wanted records, separated by ';' (may be empty)
 *   LIVE_RESOLVER           resolver "addr[#port]" (observe, report)
 *   LIVE_EXTRA              extra servers, separated by blanks
 *   LIVE_IGNORE_V6          1: ignore_unreachable_ipv6
 *   LIVE_PDNS_URL, LIVE_PDNS_KEY_FILE, LIVE_PDNS_ZONE, LIVE_TTL (publish)
 * Expectations (each optional):
 *   LIVE_EXPECT_OUTCOME     ok | tempfail | permfail (default ok)
 *   LIVE_EXPECT_ALL_MATCH   0 | 1
 *   LIVE_EXPECT             "addr=result ..." per address
 *   LIVE_EXPECT_NSERVERS    number of addresses in the report
 *   LIVE_EXPECT_ANY_TLSA    0 | 1
 *   LIVE_EXPECT_SERVED      records served by most, ';'-separated
 *   LIVE_EXPECT_SERVED_TTL, LIVE_EXPECT_NEG_TTL
 *   LIVE_EXPECT_SERIALS     1: every address that answered shows a serial
 *   LIVE_EXPECT_SAME_SERIAL 1: all those serials are equal
 *   LIVE_EXPECT_LOG         a text the log must contain ('|' separates
 *                           several)
 *   LIVE_EXPECT_MS          observe must take less than this many ms
 * The key in LIVE_PDNS_KEY_FILE must never appear in the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backend.h"
#include "conf.h"
#include "log.h"
#include "observe.h"
#include "publish_pdns.h"
#include "t.h"
#include "tlsa.h"
#include "util.h"

static int passed, failed;

static void
check(int ok, const char *what, const char *detail)
{
	if (ok) {
		passed++;
		printf("ok - %s\n", what);
		return;
	}
	failed++;
	printf("not ok - %s\n", what);
	if (detail != NULL && *detail != '\0')
		printf("    %s\n", detail);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* "a;b;c" -> a set; exits the program on a bad record. */
static void
env_set(const char *name, struct tlsa_set *set)
{
	const char *v = env(name);
	char *s, *p;

	if (v == NULL)
		return;
	s = xstrdup(v);
	for (p = s; *p != '\0'; p++)
		if (*p == ';')
			*p = '\n';
	if (tlsa_set_parse(s, set) != 0) {
		printf("bad %s: %s\n0 passed, 1 failed\n", name, v);
		exit(1);
	}
	free(s);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static void
check_outcome(enum outcome o)
{
	const char *want = env("LIVE_EXPECT_OUTCOME");
	char what[96];

	if (want == NULL)
		want = "ok";
	snprintf(what, sizeof(what), "outcome %s (want %s)", outcome_str(o),
	    want);
	check(strcasecmp(outcome_str(o), want) == 0, what, log_last_error());
}

static void
check_log(void)
{
	const char *want = env("LIVE_EXPECT_LOG");
	char *s, *tok, *save = NULL;

	if (want == NULL)
		return;
	s = xstrdup(want);
	for (tok = strtok_r(s, "|", &save); tok != NULL;
	    tok = strtok_r(NULL, "|", &save)) {
		char what[300];

		snprintf(what, sizeof(what), "log says \"%s\"", tok);
		check(t_log_has(tok), what, NULL);
	}
	free(s);
}

static void
print_report(const struct obs_report *r, double ms)
{
	char *served = tlsa_set_format(&r->served);
	char *p;
	int i;

	for (i = 0; i < r->nservers; i++)
		printf("server %s %s %s %u\n", r->servers[i].addr,
		    r->servers[i].ns, obs_result_str(r->servers[i].result),
		    (unsigned)r->servers[i].serial);
	for (p = served; *p != '\0'; p++)
		if (*p == '\n')
			*p = ';';
	printf("all_match %d\nany_tlsa %d\nneg_ttl %lld\nserved_ttl %lld\n"
	    "served %s\nms %.0f\n", r->all_match, r->any_tlsa,
	    (long long)r->neg_ttl, (long long)r->served_ttl, served, ms);
	free(served);
}

static void
check_report(const struct obs_report *r, double ms)
{
	const char *v;
	char what[300], detail[300];
	int i;

	if ((v = env("LIVE_EXPECT_ALL_MATCH")) != NULL) {
		snprintf(what, sizeof(what), "all_match %d", atoi(v));
		check(r->all_match == atoi(v), what, NULL);
	}
	if ((v = env("LIVE_EXPECT_NSERVERS")) != NULL) {
		snprintf(what, sizeof(what), "%s addresses", v);
		snprintf(detail, sizeof(detail), "got %d", r->nservers);
		check(r->nservers == atoi(v), what, detail);
	}
	if ((v = env("LIVE_EXPECT_ANY_TLSA")) != NULL) {
		snprintf(what, sizeof(what), "any_tlsa %d", atoi(v));
		check(r->any_tlsa == atoi(v), what, NULL);
	}
	if ((v = env("LIVE_EXPECT_NEG_TTL")) != NULL) {
		snprintf(what, sizeof(what), "neg_ttl %s", v);
		snprintf(detail, sizeof(detail), "got %lld",
		    (long long)r->neg_ttl);
		check(r->neg_ttl == atoll(v), what, detail);
	}
	if ((v = env("LIVE_EXPECT_SERVED_TTL")) != NULL) {
		snprintf(what, sizeof(what), "served_ttl %s", v);
		snprintf(detail, sizeof(detail), "got %lld",
		    (long long)r->served_ttl);
		check(r->served_ttl == atoll(v), what, detail);
	}
	if (env("LIVE_EXPECT_SERVED") != NULL) {
		struct tlsa_set s = { 0 };

		env_set("LIVE_EXPECT_SERVED", &s);
		check(tlsa_set_equal(&s, &r->served), "served RRset", NULL);
		tlsa_set_free(&s);
	}
	if ((v = env("LIVE_EXPECT")) != NULL) {
		char *s = xstrdup(v), *tok, *save = NULL;

		for (tok = strtok_r(s, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(tok, '=');
			const char *got = "(absent)";

			if (eq == NULL)
				continue;
			*eq = '\0';
			for (i = 0; i < r->nservers; i++)
				if (strcmp(r->servers[i].addr, tok) == 0)
					got = obs_result_str(
					    r->servers[i].result);
			snprintf(what, sizeof(what), "%s: %s", tok, eq + 1);
			snprintf(detail, sizeof(detail), "got %s", got);
			check(strcmp(got, eq + 1) == 0, what, detail);
		}
		free(s);
	}
	if ((v = env("LIVE_EXPECT_SERIALS")) != NULL && atoi(v)) {
		int ok = 1;
		uint32_t first = 0;

		for (i = 0; i < r->nservers; i++) {
			enum obs_result res = r->servers[i].result;

			if (res == OBS_UNREACHABLE || res == OBS_REFUSED)
				continue;
			if (r->servers[i].serial == 0)
				ok = 0;
			if (first == 0)
				first = r->servers[i].serial;
			if (env("LIVE_EXPECT_SAME_SERIAL") != NULL &&
			    r->servers[i].serial != first)
				ok = 0;
		}
		check(ok, "SOA serial of every answering address", NULL);
	}
	if ((v = env("LIVE_EXPECT_MS")) != NULL) {
		snprintf(what, sizeof(what), "observed in under %s ms", v);
		snprintf(detail, sizeof(detail), "took %.0f ms", ms);
		check(ms < atof(v), what, detail);
	}
}

static int
run_observe(int checks)
{
	struct conf conf;
	struct conf_host host;
	struct tlsa_set want = { 0 };
	struct obs_report rep;
	char *extras = NULL, *tok, *save = NULL;
	char **ev = NULL;
	int nev = 0;
	double t0, ms;
	enum outcome o;

	memset(&conf, 0, sizeof(conf));
	memset(&host, 0, sizeof(host));
	memset(&rep, 0, sizeof(rep));
	conf.resolver = (char *)env("LIVE_RESOLVER");
	host.name = "live";
	host.ignore_unreachable_ipv6 = env("LIVE_IGNORE_V6") != NULL &&
	    atoi(env("LIVE_IGNORE_V6"));
	if (env("LIVE_EXTRA") != NULL) {
		extras = xstrdup(env("LIVE_EXTRA"));
		for (tok = strtok_r(extras, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			ev = xrealloc(ev, (size_t)(nev + 1) * sizeof(*ev));
			ev[nev++] = tok;
		}
	}
	host.extra_servers = ev;
	host.nextra_servers = nev;
	env_set("LIVE_WANT", &want);
	t0 = now_ms();
	o = observe_dns.observe(&conf, &host, env("LIVE_OWNER"), &want, &rep);
	ms = now_ms() - t0;
	print_report(&rep, ms);
	if (checks) {
		check_outcome(o);
		check_report(&rep, ms);
		check_log();
	}
	obs_report_free(&rep);
	tlsa_set_free(&want);
	free(ev);
	free(extras);
	return o;
}

static void
run_publish(void)
{
	struct conf_publisher p;
	struct publish_pdns_conf pc = { 0 };
	struct publish_req req;
	struct tlsa_set want = { 0 }, prev = { 0 };
	char *key = NULL;
	enum outcome o;

	memset(&p, 0, sizeof(p));
	p.name = "live-pdns";
	p.type = "pdns";
	p.priv = &pc;
	pc.api_url = (char *)env("LIVE_PDNS_URL");
	pc.api_key_file = (char *)env("LIVE_PDNS_KEY_FILE");
	p.zone = (char *)env("LIVE_PDNS_ZONE");
	pc.server_id = (char *)env("LIVE_PDNS_SERVER_ID");
	pc.tls_verify = 1;
	p.timeout = 10;
	env_set("LIVE_WANT", &want);
	req.owner = env("LIVE_OWNER");
	req.ttl = env("LIVE_TTL") != NULL ? atoll(env("LIVE_TTL")) : 60;
	req.prev = &prev;
	req.want = &want;
	o = publish_pdns.replace(NULL, &p, &req);
	check_outcome(o);
	check_log();
	if (pc.api_key_file != NULL &&
	    (key = t_read(pc.api_key_file)) != NULL) {
		key[strcspn(key, "\r\n")] = '\0';
		check(*key != '\0' && strstr(t_log_text(), key) == NULL,
		    "the API key is not in the log", NULL);
		free(key);
	}
	tlsa_set_free(&want);
}

int
main(int argc, char **argv)
{
	const char *live = getenv("DANEROLL_LIVE");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (live == NULL || strcmp(live, "1") != 0 || argc < 2 ||
	    env("LIVE_OWNER") == NULL) {
		printf("ok - live DNS cases # skip DANEROLL_LIVE=1 and "
		    "LIVE_* not set (tests/integration/observe_pdns.sh "
		    "sets them)\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	log_init(getenv("T_VERBOSE") != NULL ? 2 : -2, 0);
	t_log_capture();
	t_log_reset();
	if (strcmp(argv[1], "report") == 0) {
		(void)run_observe(0);
		return 0;
	}
	if (strcmp(argv[1], "observe") == 0)
		(void)run_observe(1);
	else if (strcmp(argv[1], "publish") == 0)
		run_publish();
	else {
		printf("unknown mode %s\n0 passed, 1 failed\n", argv[1]);
		return 1;
	}
	if (failed > 0)
		printf("    log:\n%s", t_log_text());
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
