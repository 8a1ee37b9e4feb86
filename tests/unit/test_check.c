/*
 * Unit tests: the pure parts of verify and check. The per-address verdict
 * the engine gets (verify_verdict) as a table; the rules that turn facts
 * into findings, one synthetic host per case; severity ordering; and the
 * four outputs (Nagios line, table, Prometheus textfile, JSON) against
 * golden files in tests/data/check/ (DANEROLL_UPDATE_GOLDEN=1 rewrites
 * them; review the diff).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd.h"
#include "log.h"
#include "t.h"
#include "tlsa.h"
#include "util.h"
#include "verify.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NOW		((time_t)1790000000)	/* 2026-09-21T14:13:20Z */
#define DAY		86400

#define K_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define K_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define K_C	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define K_D	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

static const char *
top(void)
{
	const char *t = getenv("DANEROLL_TOP");

	return t != NULL ? t : ".";
}

/* ------------------------------------------------------------ verdict */

static void
test_verdict(void)
{
	static const struct {
		enum verify_status	 st[3];
		int			 n;
		enum outcome		 want;
	} rows[] = {
		{ { VS_MATCH }, 0, OUT_TEMPFAIL },	/* no address: unknown */
		{ { VS_MATCH }, 1, OUT_OK },
		{ { VS_MATCH, VS_MATCH, VS_MATCH }, 3, OUT_OK },
		{ { VS_MATCH, VS_TIMEOUT }, 2, OUT_TEMPFAIL },
		{ { VS_TIMEOUT, VS_MISMATCH }, 2, OUT_PERMFAIL },
		{ { VS_MISMATCH, VS_TIMEOUT }, 2, OUT_PERMFAIL },
		{ { VS_UNREACHABLE }, 1, OUT_TEMPFAIL },
		{ { VS_NO_STARTTLS, VS_MATCH }, 2, OUT_PERMFAIL },
		{ { VS_MATCH, VS_HANDSHAKE }, 2, OUT_PERMFAIL },
		{ { VS_SMTP_TEMP }, 1, OUT_TEMPFAIL },
		{ { VS_SMTP_PERM }, 1, OUT_PERMFAIL },
		{ { VS_LOCAL, VS_MATCH }, 2, OUT_TEMPFAIL },
		{ { VS_NOT_RUN }, 1, OUT_TEMPFAIL },
		{ { VS_MATCH, VS_MATCH, VS_UNREACHABLE }, 3, OUT_TEMPFAIL },
	};
	struct verify_endpoint ep[3];
	size_t r;
	int i;

	for (r = 0; r < NELEM(rows); r++) {
		memset(ep, 0, sizeof(ep));
		for (i = 0; i < rows[r].n; i++)
			ep[i].status = rows[r].st[i];
		if (!T_STR(outcome_str(verify_verdict(ep, rows[r].n)),
		    outcome_str(rows[r].want)))
			printf("    row %zu\n", r);
	}
	T_STR(verify_status_str(VS_NO_STARTTLS), "no-starttls");
	T_INT(verify_status_outcome(VS_MATCH), OUT_OK);
	T_INT(verify_status_outcome(VS_TIMEOUT), OUT_TEMPFAIL);
}

static void
test_severity(void)
{
	T_INT(check_sev_worst(CHECK_OK, CHECK_WARNING), CHECK_WARNING);
	T_INT(check_sev_worst(CHECK_WARNING, CHECK_UNKNOWN), CHECK_UNKNOWN);
	T_INT(check_sev_worst(CHECK_UNKNOWN, CHECK_CRITICAL), CHECK_CRITICAL);
	T_INT(check_sev_worst(CHECK_CRITICAL, CHECK_WARNING), CHECK_CRITICAL);
	T_INT(check_sev_worst(CHECK_OK, CHECK_OK), CHECK_OK);
	T_STR(check_sev_str(CHECK_UNKNOWN), "UNKNOWN");
	T_STR(resolve_sec_str(resolve_sec_worst(RESOLVE_SECURE,
	    RESOLVE_INSECURE)), "insecure");
	T_STR(resolve_sec_str(resolve_sec_worst(RESOLVE_FAIL,
	    RESOLVE_INSECURE)), "failed");
	T_STR(resolve_sec_str(resolve_sec_worst(RESOLVE_FAIL,
	    RESOLVE_BOGUS)), "bogus");
}

/* -------------------------------------------------------- synthetic */

/* One synthetic host: a name with addresses and a TLSA RRset, and
 * endpoints; everything owned here and freed by fx_free. */
struct fx {
	struct conf_host	 h;
	struct conf_owner	 own[1];
	struct verify_name	 vn;
	struct resolve_addr	 addr[2];
	struct verify_endpoint	 ep[4];
	struct tlsa_set		 matched[4];	/* what each ep's chain matches */
	int			 nep;
	struct tlsa_set		 known, published;
	struct check_replaced	 replaced[1];
	int			 nreplaced;
	struct check_facts	 f;
};

static void
add_rr(struct tlsa_set *set, const char *text)
{
	struct tlsa_rr rr;

	if (T_INT(tlsa_parse(text, &rr), 0)) {
		tlsa_set_add(set, &rr);
		tlsa_rr_free(&rr);
	}
}

/* A healthy host: name, one ECDSA slot, current + next published, one
 * address serving the current key, signatures and TTL as advised. */
static void
fx_init(struct fx *x, const char *name)
{
	memset(x, 0, sizeof(*x));
	x->h.name = (char *)name;
	x->h.owner = xasprintf("_25._tcp.%s", name);
	x->h.port = 25;
	x->h.ports.v[0] = 25;
	x->h.ports.n = 1;
	x->own[0].name = x->h.owner;
	x->own[0].mx = name;
	x->own[0].port = 25;
	x->h.owners = x->own;
	x->h.nowners = 1;
	x->h.algs = 1u << KEY_ALG_ECDSA_P256;
	x->h.scheme = SCHEME_CURRENT_NEXT;
	x->h.timing.expiry_alert = 14 * DAY;
	x->h.timing.margin = 60;
	x->vn.name = (char *)name;
	x->vn.port = 25;
	x->vn.owner = xstrdup(x->h.owner);
	x->vn.base = (char *)name;
	x->vn.addrs.sec = RESOLVE_SECURE;
	x->vn.addrs.addr = x->addr;
	x->vn.addrs.naddr = 1;
	x->addr[0].family = 2;
	snprintf(x->addr[0].text, sizeof(x->addr[0].text), "192.0.2.1");
	x->addr[1].family = 10;
	snprintf(x->addr[1].text, sizeof(x->addr[1].text), "2001:db8::1");
	x->vn.tlsa.sec = RESOLVE_SECURE;
	x->vn.tlsa.exists = 1;
	add_rr(&x->vn.tlsa.set, "3 1 1 " K_A);
	add_rr(&x->vn.tlsa.set, "3 1 1 " K_B);
	x->vn.tlsa.ttl = 1000;
	x->vn.tlsa.orig_ttl = 3600;
	x->vn.tlsa.sig_expires = NOW + 10 * DAY;
	x->vn.tlsa.nsigs = 1;
	add_rr(&x->known, "3 1 1 " K_A);
	add_rr(&x->known, "3 1 1 " K_B);
	x->nep = 1;
	verify_endpoint_init(&x->ep[0], name, name, &x->addr[0], 25,
	    KEY_ALG_ECDSA_P256, &x->vn.tlsa.set);
	x->ep[0].status = VS_MATCH;
	snprintf(x->ep[0].detail, sizeof(x->ep[0].detail), "TLSv1.3 3 1 1 "
	    "at depth 0");
	snprintf(x->ep[0].tls_version, sizeof(x->ep[0].tls_version),
	    "TLSv1.3");
	snprintf(x->ep[0].cipher, sizeof(x->ep[0].cipher),
	    "TLS_AES_256_GCM_SHA384");
	x->ep[0].usage = 3;
	x->ep[0].selector = 1;
	x->ep[0].mtype = 1;
	x->ep[0].depth = 0;
	x->ep[0].not_after = NOW + 60 * DAY;
	snprintf(x->ep[0].spki, sizeof(x->ep[0].spki), "%s", K_A);
	x->ep[0].leaf_alg = KEY_ALG_ECDSA_P256;
	x->ep[0].elapsed_ms = 12;
}

/* Adds a second endpoint (the IPv6 address) like the first. */
static void
fx_v6(struct fx *x)
{
	x->vn.addrs.naddr = 2;
	x->ep[1] = x->ep[0];
	x->ep[1].addr = x->addr[1];
	x->ep[1].elapsed_ms = 15;
	x->nep = 2;
}

static void
fx_facts(struct fx *x)
{
	memset(&x->f, 0, sizeof(x->f));
	x->f.host = &x->h;
	x->f.names = &x->vn;
	x->f.nnames = 1;
	x->f.eps = x->ep;
	x->f.ep_matched = x->matched;
	x->f.neps = x->nep;
	x->f.known = &x->known;
	x->f.published = x->published.n > 0 ? &x->published : NULL;
	x->f.replaced = x->replaced;
	x->f.nreplaced = x->nreplaced;
	x->f.ttl_min = 1800;
	x->f.ttl_max = 3600;
	x->f.now = NOW;
}

static void
fx_free(struct fx *x)
{
	free(x->h.owner);
	free(x->vn.owner);
	tlsa_set_free(&x->vn.tlsa.set);
	tlsa_set_free(&x->known);
	tlsa_set_free(&x->published);
	tlsa_set_free(&x->replaced[0].set);
	tlsa_set_free(&x->matched[0]);
}

/*
 * Right after a promote: daneroll replaced {A, B} (TTL 3600) by {B, C},
 * and every authoritative address served {B, C} from gone on (0: not
 * yet). Its keys are B and C now; the resolver still answers {A, B} from
 * its cache until gone + TTL + margin.
 */
static void
fx_promoted(struct fx *x, time_t gone)
{
	tlsa_set_free(&x->known);
	add_rr(&x->known, "3 1 1 " K_B);
	add_rr(&x->known, "3 1 1 " K_C);
	add_rr(&x->published, "3 1 1 " K_B);
	add_rr(&x->published, "3 1 1 " K_C);
	add_rr(&x->replaced[0].set, "3 1 1 " K_A);
	add_rr(&x->replaced[0].set, "3 1 1 " K_B);
	x->replaced[0].ttl = 3600;
	x->replaced[0].gone_at = gone;
	x->nreplaced = 1;
}

/* "code code" of a report's findings at or above WARNING/UNKNOWN, in
 * order of appearance. */
static const char *
codes(const struct check_report *rep)
{
	static char buf[512];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < rep->nfindings; i++)
		if (rep->findings[i].sev != CHECK_OK)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
			    n > 0 ? " " : "", rep->findings[i].code);
	return buf;
}

enum mutation {
	M_NONE, M_ORPHAN, M_ORPHAN_LIVE, M_NO_STATE, M_ONE_RECORD, M_ISSUER, M_TTL_LOW,
	M_TTL_HIGH, M_TTL_OK, M_RRSIG, M_EXPIRED, M_EXPIRING, M_ADDR_INSECURE,
	M_ADDR_BOGUS, M_ADDR_FAIL, M_NO_ADDR, M_TLSA_MISSING, M_TLSA_UNUSABLE,
	M_TLSA_INSECURE, M_MISMATCH, M_MISMATCH_BOGUS, M_CNAME, M_PUBLISHED,
	M_UNREACHABLE, M_TIMEOUT, M_LOCAL, M_NO_STARTTLS, M_V6_MISMATCH,
	M_TWO_ALGS, M_STOPPED, M_FAILING, M_CLOCK_BACK, M_PROMOTED,
	M_PROMOTED_PENDING, M_PROMOTED_EDGE, M_PROMOTED_LATE,
	M_PROMOTED_FOREIGN, M_PROMOTED_OTHER_SET, M_STALLED, M_DUE_RECENTLY,
	M_CA_CHANGE
};

static void
test_rules(void)
{
	static const struct {
		enum mutation	 m;
		const char	*codes;
		enum check_sev	 status;
	} rows[] = {
		{ M_NONE, "", CHECK_OK },
		{ M_ORPHAN, "orphan-record", CHECK_WARNING },
		/* No key daneroll knows, but the chain served live. */
		{ M_ORPHAN_LIVE, "", CHECK_OK },
		{ M_NO_STATE, "", CHECK_OK },
		{ M_ONE_RECORD, "no-next-record", CHECK_WARNING },
		{ M_ISSUER, "no-issuer-record", CHECK_WARNING },
		{ M_TTL_LOW, "ttl-advice", CHECK_WARNING },
		{ M_TTL_HIGH, "ttl-advice", CHECK_WARNING },
		{ M_TTL_OK, "", CHECK_OK },
		{ M_RRSIG, "rrsig-expiring", CHECK_WARNING },
		{ M_EXPIRED, "cert-expired", CHECK_CRITICAL },
		{ M_EXPIRING, "cert-expiring", CHECK_WARNING },
		{ M_ADDR_INSECURE, "dnssec-unsigned", CHECK_CRITICAL },
		{ M_ADDR_BOGUS, "dnssec-bogus", CHECK_CRITICAL },
		{ M_ADDR_FAIL, "dns-failure", CHECK_UNKNOWN },
		{ M_NO_ADDR, "no-address", CHECK_CRITICAL },
		{ M_TLSA_MISSING, "tlsa-missing", CHECK_CRITICAL },
		{ M_TLSA_UNUSABLE, "tlsa-unusable", CHECK_CRITICAL },
		{ M_TLSA_INSECURE, "dnssec-unsigned", CHECK_CRITICAL },
		{ M_MISMATCH, "tlsa-mismatch", CHECK_CRITICAL },
		{ M_MISMATCH_BOGUS, "dnssec-bogus", CHECK_CRITICAL },
		{ M_CNAME, "cname-owner", CHECK_WARNING },
		{ M_PUBLISHED, "dns-differs", CHECK_WARNING },
		{ M_UNREACHABLE, "unreachable", CHECK_WARNING },
		{ M_TIMEOUT, "timeout", CHECK_WARNING },
		{ M_LOCAL, "local-error", CHECK_UNKNOWN },
		{ M_NO_STARTTLS, "starttls-missing", CHECK_CRITICAL },
		{ M_V6_MISMATCH, "tlsa-mismatch", CHECK_CRITICAL },
		{ M_TWO_ALGS, "no-next-record", CHECK_WARNING },
		{ M_STOPPED, "rollover-alert", CHECK_CRITICAL },
		{ M_FAILING, "rollover-alert", CHECK_WARNING },
		{ M_CLOCK_BACK, "clock-skew", CHECK_WARNING },
		/* A run meant to act two hours ago: no timer is running. */
		{ M_STALLED, "stalled", CHECK_WARNING },
		{ M_DUE_RECENTLY, "", CHECK_OK },
		{ M_CA_CHANGE, "ca-change", CHECK_WARNING },
		/* The previous RRset, cached: neither orphan nor differs ... */
		{ M_PROMOTED, "", CHECK_OK },
		{ M_PROMOTED_PENDING, "", CHECK_OK },
		{ M_PROMOTED_EDGE, "", CHECK_OK },
		/* ... until its TTL (+ margin) has passed */
		{ M_PROMOTED_LATE, "orphan-record dns-differs", CHECK_WARNING },
		/* a record no recent version holds, another RRset */
		{ M_PROMOTED_FOREIGN, "orphan-record dns-differs",
		    CHECK_WARNING },
		{ M_PROMOTED_OTHER_SET, "dns-differs", CHECK_WARNING },
	};
	static const struct check_alert stopped = { KEY_ALG_ECDSA_P256,
	    ALERT_CRITICAL, "stopped; fix the cause, then `daneroll roll "
	    "--resume`" };
	static const struct check_alert failing = { KEY_ALG_ECDSA_P256,
	    ALERT_WARNING, "the last step failed repeatedly" };
	struct check_slot slot = { NULL, KEY_ALG_ECDSA_P256, SLOT_STANDBY, 0,
	    0, 0, 0, ALERT_NONE, 0 };
	struct check_report rep;
	struct fx x;
	size_t r;

	for (r = 0; r < NELEM(rows); r++) {
		fx_init(&x, "mx1.example.org");
		switch (rows[r].m) {
		case M_NONE:
			break;
		case M_ORPHAN:
			add_rr(&x.vn.tlsa.set, "3 1 1 " K_C);
			break;
		case M_ORPHAN_LIVE:
			add_rr(&x.vn.tlsa.set, "3 1 1 " K_C);
			add_rr(&x.matched[0], "3 1 1 " K_C);
			break;
		case M_NO_STATE:
			add_rr(&x.vn.tlsa.set, "3 1 1 " K_C);
			break;
		case M_ONE_RECORD:
			tlsa_set_free(&x.vn.tlsa.set);
			add_rr(&x.vn.tlsa.set, "3 1 1 " K_A);
			break;
		case M_ISSUER:
			x.h.scheme = SCHEME_CURRENT_ISSUER;
			break;
		case M_TTL_LOW: x.vn.tlsa.orig_ttl = 300; break;
		case M_TTL_HIGH: x.vn.tlsa.orig_ttl = 86400; break;
		case M_TTL_OK:
			x.vn.tlsa.orig_ttl = -1;	/* served TTL then */
			x.vn.tlsa.ttl = 1800;
			break;
		case M_RRSIG: x.vn.tlsa.sig_expires = NOW + DAY; break;
		case M_EXPIRED: x.ep[0].not_after = NOW - DAY; break;
		case M_EXPIRING: x.ep[0].not_after = NOW + 13 * DAY; break;
		case M_ADDR_INSECURE:
			x.vn.addrs.sec = RESOLVE_INSECURE;
			x.vn.tlsa.sec = RESOLVE_INSECURE;
			break;
		case M_ADDR_BOGUS: x.vn.addrs.sec = RESOLVE_BOGUS; break;
		case M_ADDR_FAIL: x.vn.addrs.sec = RESOLVE_FAIL; break;
		case M_NO_ADDR:
			x.vn.addrs.naddr = 0;
			x.nep = 0;
			break;
		case M_TLSA_MISSING:
			tlsa_set_free(&x.vn.tlsa.set);
			x.vn.tlsa.exists = 0;
			x.ep[0].status = VS_MISMATCH;
			break;
		case M_TLSA_UNUSABLE:
			tlsa_set_free(&x.vn.tlsa.set);
			add_rr(&x.vn.tlsa.set, "1 1 1 " K_A);
			x.ep[0].status = VS_MISMATCH;
			break;
		case M_TLSA_INSECURE: x.vn.tlsa.sec = RESOLVE_INSECURE; break;
		case M_MISMATCH: x.ep[0].status = VS_MISMATCH; break;
		case M_MISMATCH_BOGUS:
			x.vn.tlsa.sec = RESOLVE_BOGUS;
			x.ep[0].status = VS_MISMATCH;
			break;
		case M_CNAME:
			free(x.vn.owner);
			x.vn.owner = xstrdup("_25._tcp.real.example.org");
			x.vn.addrs.expanded = (char *)"real.example.org";
			x.vn.has_other = 1;
			break;
		case M_PUBLISHED:
			add_rr(&x.published, "3 1 1 " K_A);
			break;
		case M_UNREACHABLE: x.ep[0].status = VS_UNREACHABLE; break;
		case M_TIMEOUT: x.ep[0].status = VS_TIMEOUT; break;
		case M_LOCAL: x.ep[0].status = VS_LOCAL; break;
		case M_NO_STARTTLS:
			x.ep[0].status = VS_NO_STARTTLS;
			x.ep[0].not_after = 0;
			break;
		case M_V6_MISMATCH:
			fx_v6(&x);
			x.ep[1].status = VS_MISMATCH;
			break;
		case M_TWO_ALGS:
			x.h.algs |= 1u << KEY_ALG_RSA2048;
			break;
		case M_PROMOTED: fx_promoted(&x, NOW - 600); break;
		case M_PROMOTED_PENDING: fx_promoted(&x, 0); break;
		case M_PROMOTED_EDGE:
			fx_promoted(&x, NOW - 3600 - 60 + 1);
			break;
		case M_PROMOTED_LATE:
			fx_promoted(&x, NOW - 3600 - 60);
			break;
		case M_PROMOTED_FOREIGN:
			fx_promoted(&x, NOW - 600);
			add_rr(&x.vn.tlsa.set, "3 1 1 " K_D);
			break;
		case M_PROMOTED_OTHER_SET:
			fx_promoted(&x, NOW - 600);
			tlsa_set_free(&x.vn.tlsa.set);
			add_rr(&x.vn.tlsa.set, "3 1 1 " K_A);
			add_rr(&x.vn.tlsa.set, "3 1 1 " K_C);
			break;
		default:
			break;
		}
		fx_facts(&x);
		switch (rows[r].m) {
		case M_NO_STATE: x.f.known = NULL; break;
		case M_STOPPED: x.f.alerts = &stopped; x.f.nalerts = 1; break;
		case M_FAILING: x.f.alerts = &failing; x.f.nalerts = 1; break;
		case M_CLOCK_BACK:
			/* As view_future_rrset gives it: past the slack. */
			x.f.future_at = NOW + DAY;
			x.f.future_owner = x.h.owner;
			break;
		case M_STALLED:
		case M_DUE_RECENTLY:
			slot.due_at = NOW - (rows[r].m == M_STALLED ?
			    2 * 3600 : CHECK_STALL_GRACE);
			x.f.slots = &slot;
			x.f.nslots = 1;
			break;
		case M_CA_CHANGE:
			x.f.ca_change = "/CN=R11";
			break;
		default:
			break;
		}
		memset(&rep, 0, sizeof(rep));
		check_host_findings(&x.f, &rep);
		if (!T_STR(codes(&rep), rows[r].codes) ||
		    !T_INT(rep.nhosts, 1) ||
		    !T_STR(check_sev_str(rep.hosts[0].status),
		    check_sev_str(rows[r].status)))
			printf("    row %zu\n", r);
		T_INT(rep.neps, x.nep);
		check_report_free(&rep);
		fx_free(&x);
	}
}

/* The orphan finding names the record; the mismatch one the address. */
static void
test_rule_subjects(void)
{
	struct check_report rep;
	struct fx x;

	fx_init(&x, "mx1.example.org");
	add_rr(&x.vn.tlsa.set, "3 1 1 " K_C);
	fx_v6(&x);
	x.ep[1].status = VS_MISMATCH;
	fx_facts(&x);
	memset(&rep, 0, sizeof(rep));
	check_host_findings(&x.f, &rep);
	if (T_INT(rep.nfindings, 2)) {
		T_STR(rep.findings[0].code, "tlsa-mismatch");
		T_STR(rep.findings[0].subject, "2001:db8::1 ecdsa-p256");
		T_STR(rep.findings[1].code, "orphan-record");
		T_STR(rep.findings[1].subject, "3 1 1 " K_C);
	}
	T_INT(rep.hosts[0].ntlsa, 3);
	T_INT(rep.hosts[0].ttl, 3600);
	check_report_free(&rep);
	fx_free(&x);
}

/* dns-differs says which records differ, each short enough to read. */
static void
test_dns_differs_text(void)
{
	static const struct {
		const char	*dns[3], *pub[3];
		const char	*text;
	} rows[] = {
		{ { K_A, K_B }, { K_A },
		  "DNS serves 2 record(s), daneroll last published 1; only in "
		  "DNS: 3 1 1 bbbbbbbbbbbbbbbb..." },
		{ { K_A, K_B }, { K_A, K_C, K_D },
		  "DNS serves 2 record(s), daneroll last published 3; only in "
		  "DNS: 3 1 1 bbbbbbbbbbbbbbbb...; only in daneroll's: "
		  "3 1 1 cccccccccccccccc..., 3 1 1 dddddddddddddddd..." },
		{ { K_A, K_B }, { K_A, K_B, K_C },
		  "DNS serves 2 record(s), daneroll last published 3; only in "
		  "daneroll's: 3 1 1 cccccccccccccccc..." },
	};
	struct check_report rep;
	struct fx x;
	size_t r;
	int i;
	char *rr;

	for (r = 0; r < NELEM(rows); r++) {
		fx_init(&x, "mx1.example.org");
		tlsa_set_free(&x.vn.tlsa.set);
		for (i = 0; i < 3; i++) {
			if (rows[r].dns[i] != NULL) {
				rr = xasprintf("3 1 1 %s", rows[r].dns[i]);
				add_rr(&x.vn.tlsa.set, rr);
				add_rr(&x.known, rr);
				free(rr);
			}
			if (rows[r].pub[i] != NULL) {
				rr = xasprintf("3 1 1 %s", rows[r].pub[i]);
				add_rr(&x.published, rr);
				free(rr);
			}
		}
		fx_facts(&x);
		memset(&rep, 0, sizeof(rep));
		check_host_findings(&x.f, &rep);
		if (!T_STR(codes(&rep), "dns-differs") ||
		    !T_STR(rep.findings[0].text, rows[r].text))
			printf("    row %zu\n", r);
		check_report_free(&rep);
		fx_free(&x);
	}
}

/*
 * With no TLSA RRset, the endpoint's result says so, as the finding does
 * (tlsa-missing), in the table and in JSON; a real mismatch stays one.
 */
static void
test_no_tlsa_result(void)
{
	struct check_report rep;
	struct buf b = { NULL, 0, 0 };
	struct fx x;
	int missing;

	for (missing = 1; missing >= 0; missing--) {
		fx_init(&x, "mx1.example.org");
		if (missing) {
			tlsa_set_free(&x.vn.tlsa.set);
			x.vn.tlsa.exists = 0;
		}
		x.ep[0].status = VS_MISMATCH;
		fx_facts(&x);
		memset(&rep, 0, sizeof(rep));
		check_host_findings(&x.f, &rep);
		T_STR(codes(&rep), missing ? "tlsa-missing" : "tlsa-mismatch");
		b.len = 0;
		check_format_table(&rep, &b);
		T_CHECK(strstr(b.data, missing ? "  no-tlsa  " : "  mismatch  ")
		    != NULL);
		T_CHECK(strstr(b.data, missing ? "  mismatch  " : "  no-tlsa  ")
		    == NULL);
		b.len = 0;
		check_format_json(&rep, &b);
		T_CHECK(strstr(b.data, missing ? "\"result\": \"no-tlsa\"" :
		    "\"result\": \"mismatch\"") != NULL);
		check_report_free(&rep);
		fx_free(&x);
	}
	buf_free(&b);
}

/* An unknown host name, in the words of every command; nothing checked. */
static void
test_unknown_host(void)
{
	static char *names[] = { (char *)"mx9.example" };
	struct conf_host h;
	struct check_opts o;
	struct conf c;
	int code = -1;

	memset(&c, 0, sizeof(c));
	memset(&h, 0, sizeof(h));
	h.name = (char *)"mx1.example.org";
	c.path = (char *)"/etc/daneroll/daneroll.conf";
	c.hosts = &h;
	c.nhosts = 1;
	memset(&o, 0, sizeof(o));
	T_INT(check_main(&c, names, 1, &o, &code), -1);
	T_INT(code, CHECK_UNKNOWN);
	T_CHECK(t_log_has("mx9.example: no [host mx9.example] in "
	    "/etc/daneroll/daneroll.conf"));
}

/*
 * A state that does not exist (a note) apart from one check cannot read
 * (UNKNOWN, naming the file and why: here ENOTDIR, which root meets too;
 * tests/integration/cli.sh has Permission denied). With no host, no name
 * is looked up and the resolver is never asked.
 */
static void
test_state_absent_or_unreadable(void)
{
	struct check_report rep;
	struct verify_opts o;
	struct conf c;
	char *dir, *want;
	int unreadable;

	memset(&c, 0, sizeof(c));
	c.path = (char *)"/etc/daneroll/daneroll.conf";
	c.resolver = (char *)"127.0.0.1#9";
	verify_opts_init(&o);
	for (unreadable = 0; unreadable <= 1; unreadable++) {
		dir = xstrdup(unreadable ? t_write("not-a-dir", "x") :
		    t_path("no-state"));
		c.state_dir = dir;
		memset(&rep, 0, sizeof(rep));
		T_INT(check_gather(&c, NULL, 0, &o, NULL, &rep), 0);
		want = unreadable ? xasprintf("cannot read the daneroll state: "
		    "%s: not a directory", dir) :
		    xasprintf("no daneroll state (%s/daneroll.db does not "
		    "exist): orphan records and dns-differs not checked", dir);
		if (T_INT(rep.nfindings, 1)) {
			T_STR(rep.findings[0].code, unreadable ? "state" :
			    "note");
			T_STR(rep.findings[0].text, want);
		}
		T_INT(check_report_status(&rep), unreadable ? CHECK_UNKNOWN :
		    CHECK_OK);
		check_report_free(&rep);
		free(want);
		free(dir);
	}
}

static void
test_shared_keys(void)
{
	struct check_report rep;
	struct fx a, b, c;

	fx_init(&a, "mx1.example.org");
	fx_v6(&a);			/* same key twice on one host: fine */
	fx_init(&b, "mx2.example.org");	/* same key as mx1 */
	fx_init(&c, "mx3.example.org");
	snprintf(c.ep[0].spki, sizeof(c.ep[0].spki), "%s", K_C);
	add_rr(&c.known, "3 1 1 " K_C);
	fx_facts(&a);
	fx_facts(&b);
	fx_facts(&c);
	memset(&rep, 0, sizeof(rep));
	check_host_findings(&a.f, &rep);
	check_host_findings(&b.f, &rep);
	check_host_findings(&c.f, &rep);
	check_shared_keys(&rep);
	T_STR(codes(&rep), "shared-key shared-key");
	if (T_INT(rep.nfindings, 2)) {
		T_STR(rep.findings[0].host, "mx1.example.org");
		T_CHECK(strstr(rep.findings[0].text, "mx2.example.org") != NULL);
		T_STR(rep.findings[1].host, "mx2.example.org");
	}
	T_STR(check_sev_str(rep.hosts[2].status), "OK");
	T_STR(check_sev_str(rep.hosts[0].status), "WARNING");
	check_report_free(&rep);
	fx_free(&a);
	fx_free(&b);
	fx_free(&c);
}

/*
 * The last success of a slot from what the store holds (schema/006): its
 * own last_success_at, or the end of a later run over the host that found
 * nothing due, unless the slot fails or is stopped.
 */
static void
test_last_success(void)
{
	static const struct {
		time_t		 run_at, success_at, since;	/* created */
		int		 failures;
		enum slot_state	 state;
		time_t		 host_run;
		time_t		 want;
	} rows[] = {
		{ 0, 0, 0, 0, SLOT_STANDBY, 0, 0 },	/* nothing ran */
		{ 0, 0, 90, 0, SLOT_STANDBY, 1000, 1000 },	/* idle, 006 new */
		{ 1000, 1000, 90, 0, SLOT_STANDBY, 1000, 1000 },
		/* the run at 1000 had work, and the slot failed */
		{ 1000, 400, 990, 1, SLOT_PUBLISHING, 1000, 400 },
		/* ... or its host's lock was held (no failure on record) */
		{ 1000, 400, 90, 0, SLOT_STANDBY, 1000, 400 },
		/* a later run found the host idle */
		{ 1000, 400, 90, 0, SLOT_STANDBY, 1600, 1600 },
		/* failing or stopped: an idle run is no success */
		{ 1000, 400, 90, 2, SLOT_STANDBY, 1600, 400 },
		{ 1000, 400, 900, 0, SLOT_FAILED, 1600, 400 },
		{ 0, 0, 90, 0, SLOT_FAILED, 1600, 0 },
		/* acme-hook ran the host after the last timer run */
		{ 1700, 1700, 90, 0, SLOT_STANDBY, 1600, 1700 },
		/* the slot was made after the last run over every host (a
		 * host added to the configuration, run alone): not idle then */
		{ 0, 0, 1200, 0, SLOT_NEW, 1000, 0 },
		{ 0, 0, 1000, 0, SLOT_STANDBY, 1000, 1000 },
	};
	struct store_slot sl;
	size_t r;

	for (r = 0; r < NELEM(rows); r++) {
		memset(&sl, 0, sizeof(sl));
		sl.last_run_at = rows[r].run_at;
		sl.last_success_at = rows[r].success_at;
		sl.created_at = rows[r].since;
		sl.failures = rows[r].failures;
		sl.state = rows[r].state;
		if (!T_INT(check_last_success(&sl, rows[r].host_run),
		    rows[r].want))
			printf("    row %zu\n", r);
	}
}

/* ------------------------------------------------------ thresholds */

/*
 * -w and -c: days left on the served certificate against the thresholds,
 * the finding, its severity and the perfdata (value;warn;crit as ranges:
 * "14:" alerts below 14). Unset: warn within the host's expiry_alert,
 * critical once expired: today's findings.
 */
static void
test_expiry_thresholds(void)
{
	static const struct {
		int		 warn, crit;	/* -1: not given */
		int64_t		 left;		/* seconds to notAfter */
		int		 alert_days;	/* the host's expiry_alert */
		const char	*codes;
		enum check_sev	 status;
		const char	*perf;
	} rows[] = {
		{ -1, -1, 60 * DAY, 14, "", CHECK_OK, "cert_days=60;14:;0:" },
		{ -1, -1, 13 * DAY, 14, "cert-expiring", CHECK_WARNING,
		  "cert_days=13;14:;0:" },
		{ -1, -1, 14 * DAY, 14, "", CHECK_OK, "cert_days=14;14:;0:" },
		{ -1, -1, 10 * DAY, 7, "", CHECK_OK, "cert_days=10;7:;0:" },
		{ -1, -1, 1, 14, "cert-expiring", CHECK_WARNING,
		  "cert_days=0;14:;0:" },
		{ -1, -1, 0, 14, "cert-expired", CHECK_CRITICAL,
		  "cert_days=0;14:;0:" },
		{ -1, -1, -1, 14, "cert-expired", CHECK_CRITICAL,
		  "cert_days=-1;14:;0:" },
		{ -1, -1, -DAY - 1, 14, "cert-expired", CHECK_CRITICAL,
		  "cert_days=-2;14:;0:" },
		{ 30, -1, 20 * DAY, 14, "cert-expiring", CHECK_WARNING,
		  "cert_days=20;30:;0:" },
		{ 10, -1, 13 * DAY, 14, "", CHECK_OK, "cert_days=13;10:;0:" },
		{ 0, -1, 1, 14, "", CHECK_OK, "cert_days=0;0:;0:" },
		{ 0, -1, -1, 14, "cert-expired", CHECK_CRITICAL,
		  "cert_days=-1;0:;0:" },
		{ 30, 21, 20 * DAY, 14, "cert-expiring", CHECK_CRITICAL,
		  "cert_days=20;30:;21:" },
		{ 30, 20, 20 * DAY, 14, "cert-expiring", CHECK_WARNING,
		  "cert_days=20;30:;20:" },
		{ 30, 20, 20 * DAY - 1, 14, "cert-expiring", CHECK_CRITICAL,
		  "cert_days=19;30:;20:" },
		{ 30, 30, 29 * DAY, 14, "cert-expiring", CHECK_CRITICAL,
		  "cert_days=29;30:;30:" },
		/* -c alone above expiry_alert: critical comes first */
		{ -1, 20, 15 * DAY, 14, "cert-expiring", CHECK_CRITICAL,
		  "cert_days=15;14:;20:" },
		{ -1, 20, 25 * DAY, 14, "", CHECK_OK, "cert_days=25;14:;20:" },
		{ -1, 5, -1, 14, "cert-expired", CHECK_CRITICAL,
		  "cert_days=-1;14:;5:" },
	};
	struct check_report rep;
	struct buf b = { NULL, 0, 0 };
	struct fx x;
	size_t r;

	for (r = 0; r < NELEM(rows); r++) {
		fx_init(&x, "mx1.example.org");
		x.h.timing.expiry_alert = (int64_t)rows[r].alert_days * DAY;
		x.ep[0].not_after = NOW + rows[r].left;
		fx_facts(&x);
		memset(&rep, 0, sizeof(rep));
		rep.now = NOW;
		if (!T_INT(check_expiry_set(&rep.expiry, rows[r].warn,
		    rows[r].crit), 0))
			printf("    row %zu\n", r);
		check_host_findings(&x.f, &rep);
		b.len = 0;
		check_format_nagios(&rep, &b);
		if (!T_STR(codes(&rep), rows[r].codes) ||
		    !T_STR(check_sev_str(check_report_status(&rep)),
		    check_sev_str(rows[r].status)) ||
		    !T_CHECK(strstr(b.data, rows[r].perf) != NULL))
			printf("    row %zu: %s", r, b.data);
		check_report_free(&rep);
		fx_free(&x);
	}
	buf_free(&b);
}

/* Two hosts, each with its own expiry_alert: the perfdata is the first
 * expiry of all; its warning field only when they agree or -w says. And
 * without any certificate seen, no cert_days at all. */
static void
test_expiry_perfdata_hosts(void)
{
	struct check_report rep;
	struct buf b = { NULL, 0, 0 };
	struct fx a, c;
	int w;

	for (w = -1; w <= 21; w += 22) {
		fx_init(&a, "mx1.example.org");
		fx_init(&c, "mx2.example.org");
		c.h.timing.expiry_alert = 7 * DAY;
		c.ep[0].not_after = NOW + 40 * DAY;
		fx_facts(&a);
		fx_facts(&c);
		memset(&rep, 0, sizeof(rep));
		rep.now = NOW;
		T_INT(check_expiry_set(&rep.expiry, w, -1), 0);
		check_host_findings(&a.f, &rep);
		check_host_findings(&c.f, &rep);
		b.len = 0;
		check_format_nagios(&rep, &b);
		T_CHECK(strstr(b.data, w < 0 ? " cert_days=40;;0:\n" :
		    " cert_days=40;21:;0:\n") != NULL);
		check_report_free(&rep);
		fx_free(&a);
		fx_free(&c);
	}
	fx_init(&a, "mx1.example.org");
	a.ep[0].status = VS_NO_STARTTLS;
	a.ep[0].not_after = 0;
	fx_facts(&a);
	memset(&rep, 0, sizeof(rep));
	check_host_findings(&a.f, &rep);
	b.len = 0;
	check_format_nagios(&rep, &b);
	T_CHECK(strstr(b.data, "cert_days") == NULL);
	check_report_free(&rep);
	fx_free(&a);
	buf_free(&b);
}

/* What -w and -c accept, and the rule that -c is at most -w. */
static void
test_expiry_args(void)
{
	static const struct {
		const char	*arg;
		int		 ok, days;
	} days[] = {
		{ "14", 1, 14 }, { "0", 1, 0 }, { "3650", 1, 3650 },
		{ "007", 1, 7 }, { "3651", 0, 0 }, { "-1", 0, 0 },
		{ "1d", 0, 0 }, { "", 0, 0 }, { " 1", 0, 0 }, { "1.5", 0, 0 },
		{ "99999999999999999999", 0, 0 }, { "14:", 0, 0 },
	};
	static const struct {
		int		 warn, crit, ok;
	} sets[] = {
		{ 30, 20, 1 }, { 20, 20, 1 }, { -1, -1, 1 }, { -1, 40, 1 },
		{ 30, -1, 1 }, { 0, 0, 1 }, { 10, 20, 0 }, { 0, 1, 0 },
	};
	struct check_expiry x;
	size_t i;
	int d;

	for (i = 0; i < NELEM(days); i++) {
		d = -7;
		if (!T_INT(check_days_parse("-w", days[i].arg, &d),
		    days[i].ok ? 0 : -1) ||
		    !T_INT(d, days[i].ok ? days[i].days : -7))
			printf("    \"%s\"\n", days[i].arg);
	}
	t_log_reset();
	T_INT(check_days_parse("-c", "x", &d), -1);
	T_CHECK(t_log_has("-c x: not a number of days (0 to 3650)"));
	for (i = 0; i < NELEM(sets); i++)
		if (!T_INT(check_expiry_set(&x, sets[i].warn, sets[i].crit),
		    sets[i].ok ? 0 : -1))
			printf("    -w %d -c %d\n", sets[i].warn, sets[i].crit);
	T_INT(check_expiry_set(&x, 30, 20), 0);
	T_INT(x.warn_set, 1);
	T_INT(x.warn_days, 30);
	T_INT(x.crit_days, 20);
	T_INT(check_expiry_set(&x, -1, -1), 0);
	T_INT(x.warn_set, 0);
	T_INT(x.crit_days, 0);
	t_log_reset();
	T_INT(check_expiry_set(&x, 10, 20), -1);
	T_CHECK(t_log_has("-c 20 is more than -w 10"));
}

/*
 * The command line: after `check`, -c is the critical threshold; before
 * the command, and after any other, the configuration file. A bad
 * threshold is a usage error (-1), said in one line.
 */
static void
test_expiry_cmdline(void)
{
	static const struct {
		const char	*argv[8];
		int		 rc;
		const char	*conf;
		int		 warn, crit, nargs;
	} rows[] = {
		{ { "daneroll", "check", "-w", "30", "-c", "20", "mx1" }, 0,
		  CONF_DEFAULT_PATH, 30, 20, 1 },
		{ { "daneroll", "-c", "/x.conf", "check", "-c", "5" }, 0,
		  "/x.conf", -1, 5, 0 },
		{ { "daneroll", "-c", "/x.conf", "check", "mx1", "-w", "9" }, 0,
		  "/x.conf", 9, -1, 1 },
		{ { "daneroll", "check", "-w", "10", "-c", "20" }, -1, NULL,
		  0, 0, 0 },
		{ { "daneroll", "check", "-c", "/etc/daneroll/d.conf" }, -1,
		  NULL, 0, 0, 0 },
		{ { "daneroll", "status", "-c", "/y.conf", "mx1" }, 0,
		  "/y.conf", -1, -1, 1 },
		{ { "daneroll", "status", "-w", "3" }, -1, NULL, 0, 0, 0 },
		{ { "daneroll", "run", "-c", "/y.conf", "-n" }, 0, "/y.conf",
		  -1, -1, 0 },
	};
	char *argv[8];
	struct cli c;
	size_t r;
	int argc, rc;
	FILE *saved;

	for (r = 0; r < NELEM(rows); r++) {
		/* getopt permutes the vector: a writable copy */
		for (argc = 0; rows[r].argv[argc] != NULL; argc++)
			argv[argc] = (char *)rows[r].argv[argc];
		argv[argc] = NULL;
		/* usage goes to stderr: keep the test's output readable */
		saved = stderr;
		stderr = fopen("/dev/null", "w");
		rc = cmd_parse(argc, argv, &c);
		fclose(stderr);
		stderr = saved;
		log_init(getenv("T_VERBOSE") ? 2 : -2, 0);
		if (!T_INT(rc, rows[r].rc)) {
			printf("    row %zu\n", r);
			continue;
		}
		if (rc != 0)
			continue;
		if (!T_STR(c.conf_path, rows[r].conf) ||
		    !T_INT(c.warn_days, rows[r].warn) ||
		    !T_INT(c.crit_days, rows[r].crit) ||
		    !T_INT(c.nargs, rows[r].nargs))
			printf("    row %zu\n", r);
	}
}

/* ------------------------------------------------------------ golden */

/* A fixed report: a healthy host with two addresses, one with an IPv6
 * address serving another key and a certificate about to expire, one the
 * resolver could not answer for, and a run-level note. */
static void
golden_report(struct check_report *rep)
{
	struct fx a, b, c;

	memset(rep, 0, sizeof(*rep));
	rep->now = NOW;
	rep->duration_ms = 1234;
	check_add(rep, CHECK_OK, NULL, "note", NULL, "no daneroll state in "
	    "/var/lib/daneroll: orphan records and dns-differs not checked");
	fx_init(&a, "mx1.example.org");
	fx_v6(&a);
	fx_facts(&a);
	check_host_findings(&a.f, rep);

	fx_init(&b, "mx2.example.org");
	fx_v6(&b);
	snprintf(b.ep[0].spki, sizeof(b.ep[0].spki), "%s", K_B);
	b.ep[0].not_after = NOW + 5 * DAY;
	b.ep[1].status = VS_MISMATCH;
	snprintf(b.ep[1].detail, sizeof(b.ep[1].detail), "no matching DANE "
	    "TLSA records");
	b.ep[1].usage = b.ep[1].selector = b.ep[1].mtype = b.ep[1].depth = -1;
	snprintf(b.ep[1].spki, sizeof(b.ep[1].spki), "%s", K_C);
	tlsa_set_free(&b.vn.tlsa.set);
	add_rr(&b.vn.tlsa.set, "3 1 1 " K_B);
	b.vn.tlsa.orig_ttl = 86400;
	fx_facts(&b);
	b.f.known = NULL;
	check_host_findings(&b.f, rep);

	fx_init(&c, "mx3.example.org");
	c.vn.addrs.sec = RESOLVE_FAIL;
	snprintf(c.vn.addrs.why, sizeof(c.vn.addrs.why), "no answer from "
	    "127.0.0.1: timeout");
	c.vn.addrs.naddr = 0;
	c.vn.tlsa.sec = RESOLVE_FAIL;
	c.vn.tlsa.exists = 0;
	tlsa_set_free(&c.vn.tlsa.set);
	c.vn.tlsa.sig_expires = 0;
	c.nep = 0;
	fx_facts(&c);
	check_host_findings(&c.f, rep);
	check_shared_keys(rep);
	fx_free(&a);
	fx_free(&b);
	fx_free(&c);
}

/*
 * check_shared_keys sorts where it once compared every endpoint with
 * every other: the findings, their order and their texts must be the
 * pairwise way's. The reference below is that way, kept here only;
 * random reports of 1 to 40 endpoints of 5 hosts and 4 keys (and none).
 */
static void
shared_reference(const struct check_report *rep, struct buf *want)
{
	const struct check_endpoint *a, *b;
	struct buf others = { NULL, 0, 0 };
	int i, j, k, seen;

	for (i = 0; i < rep->neps; i++) {
		a = &rep->eps[i];
		if (a->spki[0] == '\0')
			continue;
		for (k = 0, seen = 0; k < i && !seen; k++)
			seen = strcmp(rep->eps[k].spki, a->spki) == 0 &&
			    strcmp(rep->eps[k].host, a->host) == 0;
		if (seen)
			continue;
		others.len = 0;
		for (j = 0; j < rep->neps; j++) {
			b = &rep->eps[j];
			if (strcmp(b->spki, a->spki) != 0 ||
			    strcmp(b->host, a->host) == 0)
				continue;
			for (k = 0, seen = 0; k < j && !seen; k++)
				seen = strcmp(rep->eps[k].spki, a->spki) == 0 &&
				    strcmp(rep->eps[k].host, b->host) == 0;
			if (!seen)
				buf_printf(&others, "%s%s",
				    others.len > 0 ? ", " : "", b->host);
		}
		if (others.len > 0)
			buf_printf(want, "%s 3 1 1 %.16s... %s\n", a->host,
			    a->spki, others.data);
	}
	buf_free(&others);
}

static void
test_shared_keys_as_pairwise(void)
{
	static const char *hosts[] = { "mx1", "mx2", "mx3", "mx4", "mx5" };
	static const char *keys[] = { "", K_C, "aa", "bb", "cc" };
	unsigned seed = 15;
	int round, i;

	for (round = 0; round < 500; round++) {
		struct check_report rep;
		struct buf want = { NULL, 0, 0 }, got = { NULL, 0, 0 };

		memset(&rep, 0, sizeof(rep));
		rep.neps = 1 + (int)((seed = seed * 1103515245u + 12345u) >>
		    16) % 40;
		rep.eps = xcalloc((size_t)rep.neps, sizeof(*rep.eps));
		for (i = 0; i < rep.neps; i++) {
			seed = seed * 1103515245u + 12345u;
			rep.eps[i].host = xstrdup(hosts[(seed >> 16) % 5]);
			snprintf(rep.eps[i].spki, sizeof(rep.eps[i].spki),
			    "%s", keys[(seed >> 8) % 5]);
		}
		shared_reference(&rep, &want);
		check_shared_keys(&rep);
		for (i = 0; i < rep.nfindings; i++) {
			const struct check_finding *f = &rep.findings[i];
			const char *t = strstr(f->text, "served by ") + 10;
			const char *e = strstr(t, ": a mistake");

			buf_printf(&got, "%s %s %.*s\n", f->host, f->subject,
			    (int)(e - t), t);
		}
		if (!T_STR(got.data ? got.data : "",
		    want.data ? want.data : ""))
			round = 500;
		buf_free(&want);
		buf_free(&got);
		check_report_free(&rep);
	}
}

static void
golden(const char *name, const char *got)
{
	char *path = xasprintf("%s/tests/data/check/%s", top(), name);
	char *want;
	FILE *fp;

	if (getenv("DANEROLL_UPDATE_GOLDEN") != NULL) {
		if (T_CHECK((fp = fopen(path, "w")) != NULL)) {
			fputs(got, fp);
			fclose(fp);
		}
		printf("    wrote %s\n", path);
	}
	want = t_read(path);
	if (!T_CHECK(want != NULL))
		printf("    missing %s\n", path);
	else if (!T_CHECK(strcmp(got, want) == 0))
		printf("    %s differs; got:\n%s", path, got);
	free(want);
	free(path);
}

#define MX1(alg)	"{host=\"mx1.example.org\",alg=\"" alg "\"}"
#define NO_SAMPLE	(-1LL)	/* the series must not appear at all */
#define ANY		(-2LL)	/* the text must appear, as it is */

/* The runs' own metrics, as data: a series and its value. */
static const struct {
	const char	*series;
	long long	 value;
} prom_slots_want[] = {
	{ "daneroll_slot_state{host=\"mx1.example.org\",alg=\"ecdsa-p256\","
	  "state=\"ageing\"}", 1 },
	{ "daneroll_slot_alert" MX1("ecdsa-p256"), 1 },
	{ "daneroll_slot_failures" MX1("ecdsa-p256"), 2 },
	{ "daneroll_slot_failing_since_timestamp_seconds" MX1("ecdsa-p256"),
	  NOW - 600 },
	/* Not failing: no failing_since sample for RSA. */
	{ "failing_since_timestamp_seconds" MX1("rsa2048"), NO_SAMPLE },
	{ "daneroll_slot_due_timestamp_seconds" MX1("rsa2048"),
	  NOW + 30 * DAY },
	{ "# TYPE daneroll_slot_next_wake_timestamp_seconds gauge", ANY },
	/* The last success: RSA's; ECDSA never (no sample). */
	{ "daneroll_slot_last_success_timestamp_seconds" MX1("rsa2048"),
	  NOW - 300 },
	{ "last_success_timestamp_seconds" MX1("ecdsa-p256"), NO_SAMPLE },
	/* The last run per host; none for a host no run has covered. */
	{ "\ndaneroll_last_run_timestamp_seconds{host=\"mx1.example.org\"}",
	  NOW - 290 },
	{ "daneroll_last_run_timestamp_seconds{host=\"mx2.example.org\"}",
	  NO_SAMPLE },
};

/* The runs' own metrics, slot by slot. */
static void
test_prometheus_slots(void)
{
	struct check_slot slots[] = {
		{ (char *)"mx1.example.org", KEY_ALG_ECDSA_P256, SLOT_AGEING, 2,
		  NOW - 600, NOW - 2 * 3600, NOW + 60, ALERT_WARNING, 0 },
		{ (char *)"mx1.example.org", KEY_ALG_RSA2048, SLOT_STANDBY, 0, 0,
		  NOW + 30 * DAY, NOW + 30 * DAY, ALERT_NONE, NOW - 300 },
	};
	struct check_host hosts[] = {
		{ (char *)"mx1.example.org", CHECK_OK, (char *)"o",
		  RESOLVE_SECURE, RESOLVE_SECURE, 2, 3600, 0, 1, 14 * DAY, 0,
		  NOW - 290 },
		{ (char *)"mx2.example.org", CHECK_OK, (char *)"o",
		  RESOLVE_SECURE, RESOLVE_SECURE, 2, 3600, 0, 1, 14 * DAY, 0,
		  0 },
	};
	struct check_report rep;
	struct buf b = { 0 };
	size_t i;
	int found;

	memset(&rep, 0, sizeof(rep));
	rep.now = NOW;
	rep.slots = slots;
	rep.nslots = 2;
	rep.hosts = hosts;
	rep.nhosts = 2;
	check_format_prometheus(&rep, &b);
	for (i = 0; i < sizeof(prom_slots_want) / sizeof(prom_slots_want[0]);
	    i++) {
		const char *series = prom_slots_want[i].series;
		long long v = prom_slots_want[i].value;
		char line[256];

		snprintf(line, sizeof(line), "%s %lld\n", series, v);
		if (v == NO_SAMPLE)
			found = strstr(b.data, series) == NULL;
		else
			found = strstr(b.data, v == ANY ? series : line) != NULL;
		if (!T_CHECK(found))
			printf("    %s: %lld\n", series, v);
	}
	rep.slots = NULL;
	rep.nslots = 0;
	rep.hosts = NULL;
	rep.nhosts = 0;
	check_report_free(&rep);
	buf_free(&b);
}

static void
test_golden(void)
{
	struct check_report rep;
	struct buf b = { NULL, 0, 0 };

	golden_report(&rep);
	T_INT(check_report_status(&rep), CHECK_CRITICAL);
	check_format_nagios(&rep, &b);
	golden("report.nagios", b.data);
	b.len = 0;
	check_format_table(&rep, &b);
	golden("report.table", b.data);
	b.len = 0;
	check_format_prometheus(&rep, &b);
	golden("report.prom", b.data);
	b.len = 0;
	check_format_json(&rep, &b);
	golden("report.json", b.data);
	buf_free(&b);
	check_report_free(&rep);
}

/* An all-clear report: the OK line, and text that must never break the
 * Nagios or Prometheus syntax. */
static void
test_formats_ok_and_escaping(void)
{
	struct check_report rep;
	struct buf b = { NULL, 0, 0 };
	struct fx a;

	memset(&rep, 0, sizeof(rep));
	rep.now = NOW;
	rep.duration_ms = 50;
	fx_init(&a, "mx1.example.org");
	fx_v6(&a);
	fx_facts(&a);
	check_host_findings(&a.f, &rep);
	check_format_nagios(&rep, &b);
	T_STR(b.data, "DANE OK - 1 host, 2 of 2 endpoints DANE-authenticated "
	    "| hosts=1;;;0 endpoints=2;;;0 dane_ok=2;;;0;2 critical=0;;;0 "
	    "warning=0;;;0 unknown=0;;;0 time=0.050s;;;0 cert_days=60;14:;0:\n");
	check_report_free(&rep);
	fx_free(&a);

	memset(&rep, 0, sizeof(rep));
	check_add(&rep, CHECK_WARNING, "a|b\"c\\d", "x|y", "s|t", "t");
	rep.hosts = xcalloc(1, sizeof(*rep.hosts));
	rep.hosts[0].name = xstrdup("a|b\"c\\d");
	rep.hosts[0].owner = xstrdup("o");
	rep.hosts[0].ttl = -1;
	rep.nhosts = 1;
	b.len = 0;
	check_format_nagios(&rep, &b);
	T_CHECK(strchr(b.data, '|') == strrchr(b.data, '|'));	/* one: perf */
	b.len = 0;
	check_format_prometheus(&rep, &b);
	T_CHECK(strstr(b.data, "daneroll_check_status{host=\"a|b\\\"c\\\\d\"} 0")
	    != NULL);
	buf_free(&b);
	check_report_free(&rep);
}

static const struct t_case cases[] = {
	{ "Prometheus: the runs' own metrics per slot", test_prometheus_slots },
	{ "verdict over addresses (engine)", test_verdict },
	{ "severity and DNSSEC status order", test_severity },
	{ "rules: one change from a healthy host each", test_rules },
	{ "rules: subjects of findings", test_rule_subjects },
	{ "rules: dns-differs names the records", test_dns_differs_text },
	{ "no TLSA RRset: the endpoint result is no-tlsa", test_no_tlsa_result },
	{ "unknown host name", test_unknown_host },
	{ "state absent or unreadable", test_state_absent_or_unreadable },
	{ "shared keys across hosts", test_shared_keys },
	{ "shared keys: the findings of the pairwise way, in its order",
	    test_shared_keys_as_pairwise },
	{ "the last success of a slot", test_last_success },
	{ "-w/-c: days to expiry, findings and perfdata", test_expiry_thresholds },
	{ "-w/-c: perfdata over hosts", test_expiry_perfdata_hosts },
	{ "-w/-c: the arguments", test_expiry_args },
	{ "-w/-c: the command line", test_expiry_cmdline },
	{ "golden outputs: Nagios, table, Prometheus, JSON", test_golden },
	{ "OK line and escaping", test_formats_ok_and_escaping },
};

T_MAIN(cases)
