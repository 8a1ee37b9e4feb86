/*
 * Live tests of verify and check against the real servers that
 * tests/integration/verify.sh brings up in the network namespace drver
 * (BIND 9, unbound, Postfix; see tests/integration/verifyworld). They run
 * only with DANEROLL_LIVE=1 and DANEROLL_LIVE_CONF naming the world's
 * daneroll.conf, inside the namespace; otherwise the program prints
 * "0 passed, 0 failed, 1 skipped" (make check-unit runs it that way).
 *
 * It is also the driver the scripts use before `check` is wired into the
 * command line:
 *
 *   test_verify_live check CONF [--json] [--prometheus FILE] [-v] [HOST...]
 *
 * runs check_main() and exits with its Nagios status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "log.h"
#include "resolve.h"
#include "t.h"
#include "tlsa.h"
#include "verify.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct conf *conf;

static int
driver(int argc, char **argv)
{
	struct check_opts o;
	struct conf *c;
	int verbose = -1, code = CHECK_UNKNOWN, i;

	memset(&o, 0, sizeof(o));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			o.json = 1;
		else if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "--prometheus") == 0 && i + 1 < argc)
			o.prometheus = argv[++i];
		else {
			fprintf(stderr, "usage: test_verify_live check CONF "
			    "[--json] [--prometheus FILE] [-v] [HOST...]\n");
			return CHECK_UNKNOWN;
		}
	}
	log_init(verbose, 0);
	if ((c = conf_load(argv[0])) == NULL)
		return CHECK_UNKNOWN;
	if (check_main(c, argv + i, argc - i, &o, &code) != 0)
		code = CHECK_UNKNOWN;
	conf_free(c);
	return code;
}

static const struct conf_host *
host(const char *name)
{
	const struct conf_host *h = conf_host_find(conf, name);

	if (h == NULL)
		printf("    no host %s in the world's configuration\n", name);
	return h;
}

/* The TLSA RRset the world serves for name's port 25, into *set. */
static void
served_set(struct resolver *res, const char *name, struct tlsa_set *set)
{
	struct verify_name vn;

	(void)verify_lookup(res, name, 25, &vn);
	tlsa_set_copy(set, &vn.tlsa.set);
	verify_name_free(&vn);
}

/* Looks the name up and runs its endpoints for alg against DNS (or set,
 * if not NULL); the results are left in eps[0..*n). */
static void
run_name(const char *name, enum key_alg alg, const struct tlsa_set *set,
    int timeout_ms, struct verify_name *vn, struct verify_endpoint *eps,
    int *n)
{
	struct resolver *res = NULL;
	struct verify_opts o;
	int i;

	*n = 0;
	verify_opts_init(&o);
	o.total_ms = timeout_ms;
	o.idle_ms = timeout_ms;
	o.connect_ms = timeout_ms;
	memset(vn, 0, sizeof(*vn));
	if (!T_CHECK(resolve_open("127.0.0.1", 3, &res) == OUT_OK))
		return;
	(void)verify_lookup(res, name, 25, vn);
	for (i = 0; i < vn->addrs.naddr && i < 4; i++)
		verify_endpoint_init(&eps[(*n)++], vn->name, vn->base,
		    &vn->addrs.addr[i], 25, alg, set != NULL ? set :
		    &vn->tlsa.set);
	T_INT(verify_run(eps, *n, &o), 0);
	resolve_close(res);
}

static void
done_name(struct verify_name *vn, struct verify_endpoint *eps, int n)
{
	int i;

	for (i = 0; i < n; i++)
		verify_endpoint_clear(&eps[i]);
	verify_name_free(vn);
}

/* Per-address verdicts, address by address, as posttls-finger gives them
 * for the same endpoints (tests/integration/verify.sh cross-checks). */
static void
test_endpoints(void)
{
	static const struct {
		const char	*name;
		enum key_alg	 alg;
		int		 naddr;
		enum verify_status st[2];	/* in DNS order: A, AAAA */
		const char	*tls;		/* of the first, or NULL */
	} rows[] = {
		{ "mx1.dr.test", KEY_ALG_ECDSA_P256, 2,
		    { VS_MATCH, VS_MATCH }, "TLSv1.3" },
		{ "mx2.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_MISMATCH }, NULL },
		{ "mx3.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_NO_STARTTLS },
		    NULL },
		{ "mx4.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_MATCH }, NULL },
		{ "mx6.dr.test", KEY_ALG_RSA2048, 1, { VS_MISMATCH }, NULL },
		{ "mx6.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_MATCH }, NULL },
		{ "mx11.dr.test", KEY_ALG_RSA2048, 1, { VS_MISMATCH },
		    "TLSv1.2" },
		{ "mx11.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_MATCH },
		    "TLSv1.2" },
		{ "mxc.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_MATCH }, NULL },
		{ "mxd.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_MISMATCH }, NULL },
		{ "mx8.dr.test", KEY_ALG_ECDSA_P256, 2,
		    { VS_MATCH, VS_MISMATCH }, NULL },
		{ "mxs.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_TIMEOUT }, NULL },
		{ "mxr.dr.test", KEY_ALG_ECDSA_P256, 1, { VS_UNREACHABLE },
		    NULL },
	};
	struct verify_name vn;
	struct verify_endpoint eps[4];
	size_t r;
	int n, i;

	for (r = 0; r < NELEM(rows); r++) {
		run_name(rows[r].name, rows[r].alg, NULL, 2000, &vn, eps, &n);
		if (!T_INT(n, rows[r].naddr))
			printf("    %s\n", rows[r].name);
		for (i = 0; i < n && i < rows[r].naddr; i++)
			if (!T_STR(verify_status_str(eps[i].status),
			    verify_status_str(rows[r].st[i])))
				printf("    %s [%s] %s: %s\n", rows[r].name,
				    eps[i].addr.text, key_alg_str(rows[r].alg),
				    eps[i].detail);
		if (n > 0 && rows[r].tls != NULL)
			T_STR(eps[0].tls_version, rows[r].tls);
		if (n > 0 && eps[0].status == VS_MATCH) {
			T_INT(eps[0].usage, 3);
			T_INT(eps[0].depth, 0);
			T_CHECK(eps[0].leaf_alg == (int)rows[r].alg);
			T_CHECK(eps[0].not_after > 0);
			T_CHECK(eps[0].chain != NULL);
		}
		done_name(&vn, eps, n);
	}
}

/* The silent server is cut off by the deadline, not by its good will. */
static void
test_silent_deadline(void)
{
	struct verify_name vn;
	struct verify_endpoint eps[4];
	int n;

	run_name("mxs.dr.test", KEY_ALG_ECDSA_P256, NULL, 1500, &vn, eps, &n);
	if (T_INT(n, 1)) {
		T_STR(verify_status_str(eps[0].status), "timeout");
		T_CHECK(eps[0].elapsed_ms >= 1400 && eps[0].elapsed_ms < 3000);
	}
	done_name(&vn, eps, n);
}

/* DNS statuses, kept beside the data. */
static void
test_dns(void)
{
	struct resolver *res = NULL;
	struct verify_name vn;

	if (!T_CHECK(resolve_open("127.0.0.1", 3, &res) == OUT_OK))
		return;
	T_CHECK(resolve_is_local(res));
	(void)verify_lookup(res, "mx1.dr.test", 25, &vn);
	T_STR(resolve_sec_str(vn.addrs.sec), "secure");
	T_STR(resolve_sec_str(vn.tlsa.sec), "secure");
	T_INT(vn.tlsa.set.n, 2);
	T_INT(vn.tlsa.orig_ttl, 3600);
	T_CHECK(vn.tlsa.sig_expires > util_now() + 3 * 86400);
	T_CHECK(!vn.has_other);
	verify_name_free(&vn);

	(void)verify_lookup(res, "mx5.plain.test", 25, &vn);
	T_STR(resolve_sec_str(vn.addrs.sec), "insecure");
	T_STR(resolve_sec_str(vn.tlsa.sec), "insecure");
	T_INT(vn.tlsa.set.n, 1);
	verify_name_free(&vn);

	(void)verify_lookup(res, "mx7.bad.test", 25, &vn);
	T_STR(resolve_sec_str(vn.addrs.sec), "bogus");
	T_STR(resolve_sec_str(vn.tlsa.sec), "bogus");
	T_INT(vn.addrs.naddr, 0);
	verify_name_free(&vn);

	(void)verify_lookup(res, "mx9.soon.test", 25, &vn);
	T_STR(resolve_sec_str(vn.tlsa.sec), "secure");
	T_CHECK(vn.tlsa.sig_expires > util_now() &&
	    vn.tlsa.sig_expires < util_now() + 3 * 86400);
	verify_name_free(&vn);

	/* RFC 7672 2.2.2: a secure alias; nothing at the expanded name, so
	 * the original name's RRset is the one senders use. */
	(void)verify_lookup(res, "mxc.dr.test", 25, &vn);
	T_STR(vn.addrs.expanded != NULL ? vn.addrs.expanded : "", "mxt.dr.test");
	T_STR(vn.owner, "_25._tcp.mxc.dr.test");
	T_STR(vn.base, "mxc.dr.test");
	T_CHECK(vn.has_other && !vn.other.exists &&
	    vn.other.sec == RESOLVE_SECURE);
	verify_name_free(&vn);

	/* Records at both: the expanded name's win. */
	(void)verify_lookup(res, "mxd.dr.test", 25, &vn);
	T_STR(vn.owner, "_25._tcp.mxu.dr.test");
	T_STR(vn.base, "mxu.dr.test");
	T_CHECK(vn.has_other && vn.other.exists);
	verify_name_free(&vn);

	(void)verify_lookup(res, "nosuch.dr.test", 25, &vn);
	T_STR(resolve_sec_str(vn.addrs.sec), "secure");
	T_CHECK(vn.addrs.nxdomain && vn.addrs.naddr == 0);
	verify_name_free(&vn);
	resolve_close(res);
}

/* The engine's verifier's outcome for name and alg against set; -1 if the
 * world's configuration has no such host. */
static int
verdict(const char *name, enum key_alg alg, const struct tlsa_set *set)
{
	const struct conf_host *h = host(name);

	return h != NULL ? (int)verify_dane.verify(conf, h, alg, set) : -1;
}

/* The engine's verifier: against what daneroll published (want). */
static void
test_engine_verifier(void)
{
	struct resolver *res = NULL;
	struct verify_name vn;
	struct tlsa_set want = { NULL, 0 }, wrong = { NULL, 0 };
	struct tlsa_set empty = { NULL, 0 };

	if (!T_CHECK(resolve_open("127.0.0.1", 3, &res) == OUT_OK))
		return;
	/* "other": a key no server of the world uses (from mx2's RRset). */
	served_set(res, "mx2.dr.test", &wrong);

	served_set(res, "mx1.dr.test", &want);
	T_INT(verdict("mx1.dr.test", KEY_ALG_ECDSA_P256, &want), OUT_OK);
	/* A definite mismatch: the engine rolls back on this. */
	T_INT(verdict("mx1.dr.test", KEY_ALG_ECDSA_P256, &wrong),
	    OUT_PERMFAIL);
	T_CHECK(t_log_has("mismatch"));
	tlsa_set_free(&want);

	/* The IPv6 address serves another key: every address counts. */
	served_set(res, "mx8.dr.test", &want);
	t_log_reset();
	T_INT(verdict("mx8.dr.test", KEY_ALG_ECDSA_P256, &want),
	    OUT_PERMFAIL);
	T_CHECK(t_log_has("2001:db8::18"));
	tlsa_set_free(&want);

	served_set(res, "mx6.dr.test", &want);
	T_INT(verdict("mx6.dr.test", KEY_ALG_ECDSA_P256, &want), OUT_OK);
	T_INT(verdict("mx6.dr.test", KEY_ALG_RSA2048, &want), OUT_PERMFAIL);
	/* An empty RRset is no reason to roll back: no verdict. */
	T_INT(verdict("mx1.dr.test", KEY_ALG_ECDSA_P256, &empty),
	    OUT_TEMPFAIL);
	/* Nothing listens: could not check, not a mismatch. */
	T_INT(verdict("mxr.dr.test", KEY_ALG_ECDSA_P256, &want),
	    OUT_TEMPFAIL);
	/* The chain matches want, but DNS serves another RRset: senders
	 * fail, so the engine must not go on (TEMPFAIL, said loudly). */
	tlsa_set_free(&want);
	(void)verify_lookup(res, "mxd.dr.test", 25, &vn);
	tlsa_set_copy(&want, &vn.other.set);	/* mxd's own */
	verify_name_free(&vn);
	t_log_reset();
	T_INT(verdict("mxd.dr.test", KEY_ALG_ECDSA_P256, &want),
	    OUT_TEMPFAIL);
	T_CHECK(t_log_has("senders fail now"));
	tlsa_set_free(&want);
	tlsa_set_free(&wrong);
	resolve_close(res);
}

/* Findings per host, exactly (notes aside). */
static void
test_check_findings(void)
{
	static const struct {
		const char	*hosts;		/* space-separated */
		const char	*host;		/* whose findings */
		const char	*codes;		/* sorted, space-separated */
		enum check_sev	 status;
	} rows[] = {
		{ "mx1.dr.test", "mx1.dr.test", "", CHECK_OK },
		{ "mx2.dr.test", "mx2.dr.test", "no-next-record tlsa-mismatch",
		    CHECK_CRITICAL },
		{ "mx3.dr.test", "mx3.dr.test",
		    "no-next-record starttls-missing", CHECK_CRITICAL },
		{ "mx4.dr.test", "mx4.dr.test", "cert-expired no-next-record",
		    CHECK_CRITICAL },
		{ "mx5.plain.test", "mx5.plain.test", "dnssec-unsigned",
		    CHECK_CRITICAL },
		{ "mx6.dr.test", "mx6.dr.test", "no-next-record tlsa-mismatch",
		    CHECK_CRITICAL },
		{ "mx7.bad.test", "mx7.bad.test", "dnssec-bogus",
		    CHECK_CRITICAL },
		{ "mx8.dr.test", "mx8.dr.test", "no-next-record tlsa-mismatch",
		    CHECK_CRITICAL },
		{ "mx9.soon.test", "mx9.soon.test",
		    "cert-expiring no-next-record rrsig-expiring",
		    CHECK_WARNING },
		{ "mx10.dr.test", "mx10.dr.test", "no-next-record ttl-advice",
		    CHECK_WARNING },
		{ "mx1.dr.test mx10.dr.test", "mx1.dr.test", "shared-key",
		    CHECK_WARNING },
		{ "mx1.dr.test mx10.dr.test", "mx10.dr.test",
		    "no-next-record shared-key ttl-advice", CHECK_WARNING },
		{ "mxc.dr.test", "mxc.dr.test", "no-next-record",
		    CHECK_WARNING },
		{ "mxd.dr.test", "mxd.dr.test",
		    "cname-owner no-next-record tlsa-mismatch", CHECK_CRITICAL },
		{ "mxr.dr.test", "mxr.dr.test", "no-next-record unreachable",
		    CHECK_WARNING },
		{ "mxs.dr.test", "mxs.dr.test", "no-next-record timeout",
		    CHECK_WARNING },
	};
	const struct conf_host *hs[4];
	struct check_report rep;
	struct verify_opts o;
	char buf[256], *tok, *save;
	const char *codes[16];
	size_t r;
	int n, i, j, k, nc, sorted;

	verify_opts_init(&o);
	o.total_ms = o.idle_ms = o.connect_ms = 2000;
	for (r = 0; r < NELEM(rows); r++) {
		snprintf(buf, sizeof(buf), "%s", rows[r].hosts);
		for (n = 0, tok = strtok_r(buf, " ", &save); tok != NULL &&
		    n < 4; tok = strtok_r(NULL, " ", &save))
			if ((hs[n] = host(tok)) != NULL)
				n++;
		memset(&rep, 0, sizeof(rep));
		rep.now = util_now();
		T_INT(check_gather(conf, hs, n, &o, NULL, &rep), 0);
		nc = 0;
		for (i = 0; i < rep.nfindings && nc < 16; i++)
			if (rep.findings[i].sev != CHECK_OK &&
			    rep.findings[i].host != NULL &&
			    strcmp(rep.findings[i].host, rows[r].host) == 0)
				codes[nc++] = rep.findings[i].code;
		/* sort, drop duplicates */
		do {
			sorted = 1;
			for (i = 0; i + 1 < nc; i++)
				if (strcmp(codes[i], codes[i + 1]) > 0) {
					const char *t = codes[i];

					codes[i] = codes[i + 1];
					codes[i + 1] = t;
					sorted = 0;
				}
		} while (!sorted);
		buf[0] = '\0';
		for (i = 0, k = 0; i < nc; i++) {
			if (i > 0 && strcmp(codes[i], codes[i - 1]) == 0)
				continue;
			j = (int)strlen(buf);
			snprintf(buf + j, sizeof(buf) - (size_t)j, "%s%s",
			    k++ > 0 ? " " : "", codes[i]);
		}
		if (!T_STR(buf, rows[r].codes))
			printf("    checking %s\n", rows[r].hosts);
		for (i = 0; i < rep.nhosts; i++)
			if (strcmp(rep.hosts[i].name, rows[r].host) == 0)
				T_STR(check_sev_str(rep.hosts[i].status),
				    check_sev_str(rows[r].status));
		check_report_free(&rep);
	}
}

static const struct t_case cases[] = {
	{ "dns statuses and RFC 7672 alias handling", test_dns },
	{ "per-address verdicts (cross-checked by verify.sh)",
	    test_endpoints },
	{ "a silent server is cut off by the deadline", test_silent_deadline },
	{ "engine verifier: ok, permfail, tempfail", test_engine_verifier },
	{ "check findings per host", test_check_findings },
};

int
main(int argc, char **argv)
{
	const char *live = getenv("DANEROLL_LIVE");
	const char *path = getenv("DANEROLL_LIVE_CONF");
	int rc;

	if (argc >= 3 && strcmp(argv[1], "check") == 0)
		return driver(argc - 2, argv + 2);
	if (live == NULL || strcmp(live, "1") != 0 || path == NULL) {
		printf("ok - live verification # skip DANEROLL_LIVE=1 "
		    "DANEROLL_LIVE_CONF=... not set (see "
		    "tests/integration/verify.sh)\n");
		printf("0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	log_init(-2, 0);
	if ((conf = conf_load(path)) == NULL) {
		printf("not ok - cannot load %s\n0 passed, 1 failed\n", path);
		return 1;
	}
	rc = t_run(cases, NELEM(cases), argc, argv);
	conf_free(conf);
	return rc;
}
