/*
 * Unit tests: the propagation observer's judgement of DNS answers, as
 * tables of wire-format packets built with ldns; the SOA negative TTL;
 * the summing up over addresses; and the query engine (dnsq) against a
 * small DNS server forked on 127.0.0.1: TC -> TCP, forged IDs, refused
 * ports, timeouts and the bound on queries in flight; and prebuilt
 * messages (an UPDATE) sent as they are, their answers matched by ID, QR
 * and zone section.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ldns/ldns.h>

#include "conf.h"
#include "dnsq.h"
#include "fakes.h"
#include "observe.h"
#include "t.h"
#include "tlsa.h"
#include "util.h"

#define OWNER	"_25._tcp.mx1.example."
#define H1	"0101010101010101010101010101010101010101010101010101010101010101"
#define H2	"0202020202020202020202020202020202020202020202020202020202020202"
#define H3	"0303030303030303030303030303030303030303030303030303030303030303"
#define TLSA1	OWNER " 3600 IN TLSA 3 1 1 " H1
#define TLSA2	OWNER " 3600 IN TLSA 3 1 1 " H2
#define TLSA3	OWNER " 300 IN TLSA 3 1 1 " H3
#define SIG_TLSA OWNER " 3600 IN RRSIG TLSA 13 5 3600 20300101000000 " \
		"20200101000000 4711 example. AAAA"
#define SOA	"example. 3600 IN SOA ns1.example. hostmaster.example. " \
		"2024010101 30 5 600 300"
#define SOA_LOWTTL "example. 60 IN SOA ns1.example. hostmaster.example. " \
		"7 30 5 600 300"
#define SIG_SOA	"example. 3600 IN RRSIG SOA 13 1 3600 20300101000000 " \
		"20200101000000 4711 example. AAAA"
#define NS_REF	"mx1.example. 3600 IN NS ns.elsewhere."

/* Pushes the records in the NULL-ended list rrs (may be NULL) into
 * section of pkt. */
static void
push_rrs(ldns_pkt *pkt, ldns_pkt_section section, const char *const *rrs)
{
	int i;

	for (i = 0; rrs != NULL && rrs[i] != NULL; i++) {
		ldns_rr *rr = NULL;

		if (ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL) !=
		    LDNS_STATUS_OK)
			abort();
		ldns_pkt_push_rr(pkt, section, rr);
	}
}

/* A response to "qname qtype" with the given header bits and sections. */
static uint8_t *
mkresp(const char *qname, ldns_rr_type qtype, int rcode, int aa, int tc,
    const char *const *answer, const char *const *authority, size_t *len)
{
	ldns_pkt *pkt;
	uint8_t *wire = NULL;

	pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype,
	    LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_qr(pkt, 1);
	ldns_pkt_set_aa(pkt, aa);
	ldns_pkt_set_tc(pkt, tc);
	ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
	push_rrs(pkt, LDNS_SECTION_ANSWER, answer);
	push_rrs(pkt, LDNS_SECTION_AUTHORITY, authority);
	if (ldns_pkt2wire(&wire, pkt, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(pkt);
	return wire;
}

/* Every classification, as data. */
static void
test_classify_table(void)
{
	static const struct {
		const char	*name;
		const char	*qname;
		int		 rcode, aa, tc;
		const char	*answer[4];
		const char	*authority[3];
		const char	*want;		/* records, one a line */
		int		 zone_signed;
		enum obs_result	 result;
		int		 answered;
		size_t		 nserved;
		int64_t		 ttl;
	} rows[] = {
		{ "exact match, signed", OWNER, 0, 1, 0,
		  { TLSA1, TLSA2, SIG_TLSA }, { NULL },
		  "3 1 1 " H1 "\n3 1 1 " H2 "\n", 1, OBS_MATCH, 1, 2, 3600 },
		{ "exact match, unsigned zone", OWNER, 0, 1, 0,
		  { TLSA1 }, { NULL }, "3 1 1 " H1 "\n", 0, OBS_MATCH, 1, 1,
		  3600 },
		{ "match without RRSIG in a signed zone", OWNER, 0, 1, 0,
		  { TLSA1, TLSA2 }, { NULL },
		  "3 1 1 " H1 "\n3 1 1 " H2 "\n", 1, OBS_UNSIGNED, 1, 2,
		  3600 },
		{ "stale: the old RRset", OWNER, 0, 1, 0,
		  { TLSA1, SIG_TLSA }, { NULL },
		  "3 1 1 " H1 "\n3 1 1 " H2 "\n", 1, OBS_STALE, 1, 1, 3600 },
		{ "stale: a superset", OWNER, 0, 1, 0,
		  { TLSA1, TLSA2, SIG_TLSA }, { NULL }, "3 1 1 " H2 "\n", 1,
		  OBS_STALE, 1, 2, 3600 },
		{ "stale: records where none are wanted", OWNER, 0, 1, 0,
		  { TLSA1 }, { NULL }, "", 0, OBS_STALE, 1, 1, 3600 },
		{ "smallest TTL is the RRset's", OWNER, 0, 1, 0,
		  { TLSA1, TLSA3 }, { NULL }, "3 1 1 " H1 "\n", 0,
		  OBS_STALE, 1, 2, 300 },
		{ "NXDOMAIN", OWNER, LDNS_RCODE_NXDOMAIN, 1, 0, { NULL },
		  { SOA }, "3 1 1 " H1 "\n", 1, OBS_MISSING, 1, 0, 0 },
		{ "NODATA", OWNER, 0, 1, 0, { NULL }, { SOA },
		  "3 1 1 " H1 "\n", 1, OBS_MISSING, 1, 0, 0 },
		{ "NXDOMAIN when nothing is wanted", OWNER,
		  LDNS_RCODE_NXDOMAIN, 1, 0, { NULL }, { SOA }, "", 1,
		  OBS_MATCH, 1, 0, 0 },
		{ "NODATA when nothing is wanted", OWNER, 0, 1, 0, { NULL },
		  { SOA, SIG_SOA }, "", 1, OBS_MATCH, 1, 0, 0 },
		{ "referral (no AA)", OWNER, 0, 0, 0, { NULL }, { NS_REF },
		  "3 1 1 " H1 "\n", 0, OBS_LAME, 0, 0, 0 },
		{ "answer without AA", OWNER, 0, 0, 0, { TLSA1 }, { NULL },
		  "3 1 1 " H1 "\n", 0, OBS_LAME, 0, 0, 0 },
		{ "REFUSED", OWNER, LDNS_RCODE_REFUSED, 0, 0, { NULL },
		  { NULL }, "3 1 1 " H1 "\n", 0, OBS_REFUSED, 0, 0, 0 },
		{ "SERVFAIL", OWNER, LDNS_RCODE_SERVFAIL, 0, 0, { NULL },
		  { NULL }, "3 1 1 " H1 "\n", 0, OBS_LAME, 0, 0, 0 },
		{ "truncated", OWNER, 0, 1, 1, { NULL }, { NULL },
		  "3 1 1 " H1 "\n", 0, OBS_LAME, 0, 0, 0 },
		{ "CNAME at the owner", OWNER, 0, 1, 0,
		  { OWNER " 60 IN CNAME other.example." }, { NULL },
		  "3 1 1 " H1 "\n", 0, OBS_STALE, 1, 0, 0 },
		{ "owner compared without case", "_25._TCP.MX1.Example.", 0,
		  1, 0, { "_25._TCP.MX1.Example. 3600 IN TLSA 3 1 1 " H1 },
		  { NULL }, "3 1 1 " H1 "\n", 0, OBS_MATCH, 1, 1, 3600 },
		{ "owner without the final dot", "_25._tcp.mx1.example", 0,
		  1, 0, { TLSA1 }, { NULL }, "3 1 1 " H1 "\n", 0, OBS_MATCH,
		  1, 1, 3600 },
		{ "a TLSA record at another name does not count", OWNER, 0,
		  1, 0, { "_443._tcp.mx1.example. 60 IN TLSA 3 1 1 " H1 },
		  { NULL }, "3 1 1 " H1 "\n", 0, OBS_MISSING, 1, 0, 0 },
		{ "an RRSIG over another type does not sign it", OWNER, 0,
		  1, 0, { TLSA1, OWNER " 3600 IN RRSIG A 13 5 3600 "
		  "20300101000000 20200101000000 4711 example. AAAA" },
		  { NULL }, "3 1 1 " H1 "\n", 1, OBS_UNSIGNED, 1, 1, 3600 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct observe_addr a;
		struct tlsa_set want = { 0 };
		uint8_t *wire;
		size_t len;

		memset(&a, 0, sizeof(a));
		fake_tlsa_set(rows[i].want, &want);
		wire = mkresp(rows[i].qname, LDNS_RR_TYPE_TLSA, rows[i].rcode,
		    rows[i].aa, rows[i].tc, rows[i].answer, rows[i].authority,
		    &len);
		if (!T_STR(obs_result_str(observe_classify(wire, len,
		    rows[i].qname, &want, rows[i].zone_signed, &a)),
		    obs_result_str(rows[i].result)))
			printf("    row %zu: %s (%s)\n", i, rows[i].name, a.note);
		T_STR(obs_result_str(a.sv.result),
		    obs_result_str(rows[i].result));
		T_INT(a.answered, rows[i].answered);
		T_INT(a.served.n, rows[i].nserved);
		T_INT(a.ttl, rows[i].ttl);
		T_CHECK(a.note[0] != '\0');
		observe_addr_free(&a);
		tlsa_set_free(&want);
		free(wire);
	}
}

/* Garbage in: LAME with a reason, never a match. */
static void
test_classify_malformed(void)
{
	static const uint8_t junk[] = { 0x12, 0x34, 0x84, 0x00, 0x00, 0x01 };
	struct observe_addr a;
	struct tlsa_set none = { 0 };

	memset(&a, 0, sizeof(a));
	T_INT(observe_classify(junk, sizeof(junk), OWNER, &none, 0, &a),
	    OBS_LAME);
	T_STR(a.note, "malformed answer");
	T_INT(a.answered, 0);
}

/* neg_ttl = min(SOA TTL, SOA MINIMUM); the SOA may be in either section. */
static void
test_soa_neg_ttl(void)
{
	static const struct {
		const char	*answer[3];
		const char	*authority[3];
		int		 rcode;
		const char	*zone;
		int		 r;
		uint32_t	 serial;
		int64_t		 neg_ttl;
		int		 is_signed;
	} rows[] = {
		{ { SOA, SIG_SOA }, { NULL }, 0, "example.", 0, 2024010101,
		  300, 1 },
		{ { SOA_LOWTTL }, { NULL }, 0, "example.", 0, 7, 60, 0 },
		{ { NULL }, { SOA, SIG_SOA }, LDNS_RCODE_NXDOMAIN, "example.",
		  0, 2024010101, 300, 1 },
		{ { SOA }, { NULL }, 0, "EXAMPLE.", 0, 2024010101, 300, 0 },
		{ { NULL }, { NULL }, 0, "example.", -1, 0, 0, 0 },
		{ { SOA }, { NULL }, 0, "other.", -1, 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint32_t serial = 0;
		int64_t neg = 0;
		int is_signed = 0;
		size_t len;
		uint8_t *wire = mkresp(rows[i].zone, LDNS_RR_TYPE_SOA,
		    rows[i].rcode, 1, 0, rows[i].answer, rows[i].authority,
		    &len);

		if (!T_INT(observe_soa(wire, len, rows[i].zone, &serial, &neg,
		    &is_signed), rows[i].r))
			printf("    row %zu\n", i);
		T_INT(serial, rows[i].serial);
		T_INT(neg, rows[i].neg_ttl);
		T_INT(is_signed, rows[i].is_signed);
		free(wire);
	}
}

/* One address for the summary table. */
struct addr_row {
	enum obs_result	 result;
	int		 v6, answered;
	const char	*served;
	int64_t		 ttl, neg_ttl;
};

/* The addresses and the summary most rows share. */
#define V4_H1		{ OBS_MATCH, 0, 1, "3 1 1 " H1, 3600, 300 }
#define V6_H1		{ OBS_MATCH, 1, 1, "3 1 1 " H1, 3600, 300 }
#define V4_SILENT	{ OBS_UNREACHABLE, 0, 0, "", 0, -1 }
#define V6_SILENT	{ OBS_UNREACHABLE, 1, 0, "", 0, -1 }
#define SERVED_H1	"3 1 1 " H1 "\n", 3600, 300

static void
test_summarize_table(void)
{
	static const struct {
		const char	*name;
		struct addr_row	 a[4];
		size_t		 n;
		int		 ignore_v6;
		int		 all_match, any_tlsa, excused;
		const char	*served;
		int64_t		 served_ttl, neg_ttl;
	} rows[] = {
		{ "all match", { V4_H1, V6_H1 }, 2, 0, 1, 1, 0, SERVED_H1 },
		{ "one stale", { V4_H1,
		  { OBS_STALE, 0, 1, "3 1 1 " H2, 1800, 300 }, V4_H1 }, 3, 0,
		  0, 1, 0, SERVED_H1 },
		{ "unreachable IPv6 counts by default", { V4_H1, V6_SILENT },
		  2, 0, 0, 1, 0, SERVED_H1 },
		{ "unreachable IPv6 excused when asked", { V4_H1, V6_SILENT },
		  2, 1, 1, 1, 1, SERVED_H1 },
		{ "unreachable IPv4 is never excused", { V6_H1, V4_SILENT },
		  2, 1, 0, 1, 0, SERVED_H1 },
		{ "stale IPv6 is never excused", { V4_H1,
		  { OBS_STALE, 1, 1, "3 1 1 " H2, 3600, 300 } }, 2, 1,
		  0, 1, 0, SERVED_H1 },
		{ "nothing but excused addresses proves nothing", { V6_SILENT },
		  1, 1, 0, 0, 1, "", 0, 0 },
		{ "no addresses", { { 0 } }, 0, 0, 0, 0, 0, "", 0, 0 },
		{ "nothing served anywhere",
		  { { OBS_MATCH, 0, 1, "", 0, 300 },
		  { OBS_MATCH, 0, 1, "", 0, 600 } }, 2, 0,
		  1, 0, 0, "", 0, 600 },
		{ "a tie goes to the RRset, with the longest TTL",
		  { { OBS_MISSING, 0, 1, "", 0, 300 },
		  { OBS_STALE, 0, 1, "3 1 1 " H2, 600, 300 },
		  { OBS_STALE, 0, 1, "3 1 1 " H2, 900, 300 },
		  { OBS_MISSING, 0, 1, "", 0, 300 } }, 4, 0,
		  0, 1, 0, "3 1 1 " H2 "\n", 900, 300 },
		{ "silent addresses do not vote",
		  { V4_SILENT, V4_SILENT,
		  { OBS_STALE, 0, 1, "3 1 1 " H3, 300, 300 } }, 3, 0,
		  0, 1, 0, "3 1 1 " H3 "\n", 300, 300 },
	};
	size_t i, j;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct observe_addr a[4];
		struct obs_report rep;
		char *served;
		int excused;

		memset(a, 0, sizeof(a));
		memset(&rep, 0, sizeof(rep));
		for (j = 0; j < rows[i].n; j++) {
			snprintf(a[j].sv.addr, sizeof(a[j].sv.addr),
			    "192.0.2.%zu", j + 1);
			a[j].sv.result = rows[i].a[j].result;
			a[j].v6 = rows[i].a[j].v6;
			a[j].answered = rows[i].a[j].answered;
			fake_tlsa_set(rows[i].a[j].served, &a[j].served);
			a[j].ttl = rows[i].a[j].ttl;
			a[j].neg_ttl = rows[i].a[j].neg_ttl;
		}
		excused = observe_summarize(a, rows[i].n, rows[i].ignore_v6,
		    &rep);
		if (!T_INT(rep.all_match, rows[i].all_match))
			printf("    row %zu: %s\n", i, rows[i].name);
		T_INT(rep.any_tlsa, rows[i].any_tlsa);
		T_INT(excused, rows[i].excused);
		T_INT(rep.nservers, rows[i].n);
		served = tlsa_set_format(&rep.served);
		T_STR(served, rows[i].served);
		T_INT(rep.served_ttl, rows[i].served_ttl);
		T_INT(rep.neg_ttl, rows[i].neg_ttl);
		for (j = 0; j < rows[i].n; j++) {
			T_STR(rep.servers[j].addr, a[j].sv.addr);
			observe_addr_free(&a[j]);
		}
		free(served);
		obs_report_free(&rep);
	}
}

/* --------------------------------------------------- a forked DNS server */

enum srv_mode {
	SRV_TC = 1,	/* UDP: empty answer with TC; TCP: the full answer */
	SRV_FORGE,	/* UDP: a wrong ID first, then the answer */
	SRV_SILENT,	/* reads and never answers */
	SRV_ROOT,	/* NXDOMAIN with the root zone's SOA, to anything */
	SRV_SERVFAIL,	/* SERVFAIL to anything */
	SRV_NORA,	/* as SRV_ROOT, without RA or AA: a referral */
	/* A prebuilt message echoed back with QR as its answer, after
	 * decoys (ECHO_DECOYS: another ID, another zone, no QR): */
	SRV_ECHO,		/* then the echo */
	SRV_ECHO_WRONG,		/* the decoys only */
	SRV_ECHO_TC,		/* then the echo with TC; TCP: the echo */
	SRV_ECHO_TC_WRONG	/* as SRV_ECHO_TC; TCP: another zone */
};

/* How an echo differs from the query sent. */
enum echo { ECHO_OK, ECHO_ID, ECHO_ZONE, ECHO_NOQR, ECHO_TC };
static const enum echo ECHO_DECOYS[] = { ECHO_ID, ECHO_ZONE, ECHO_NOQR };

struct srv {
	pid_t	pid;
	int	port;
};

/* A resolver's answer for SRV_ROOT / SRV_SERVFAIL / SRV_NORA. */
static uint8_t *
srv_resolver_answer(const uint8_t *q, size_t qlen, enum srv_mode mode,
    size_t *len)
{
	static const char *const root_soa[] = { ". 86400 IN SOA a.root-servers"
	    ".net. nstld.verisign-grs.com. 1 1800 900 604800 86400", NULL };
	ldns_pkt *qp = NULL;
	uint8_t *wire;
	char *name;

	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK)
		return NULL;
	name = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(
	    ldns_pkt_question(qp), 0)));
	wire = mkresp(name, ldns_rr_get_type(ldns_rr_list_rr(
	    ldns_pkt_question(qp), 0)), mode != SRV_SERVFAIL ?
	    LDNS_RCODE_NXDOMAIN : LDNS_RCODE_SERVFAIL, 0, 0, NULL,
	    mode != SRV_SERVFAIL ? root_soa : NULL, len);
	/* Our ID back and RA, as a resolver would; none for SRV_NORA, an
	 * authoritative server set as resolver. */
	memcpy(wire, q, 2);
	if (mode != SRV_NORA)
		wire[3] |= 0x80;
	free(name);
	ldns_pkt_free(qp);
	return wire;
}

/* Answer for a query: one TLSA record; REFUSED if RD is set or DO not. */
static uint8_t *
srv_answer(const uint8_t *q, size_t qlen, int tc, int idshift, size_t *len)
{
	ldns_pkt *qp = NULL, *rp;
	ldns_rr *rr = NULL;
	uint8_t *wire = NULL;

	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK)
		return NULL;
	rp = ldns_pkt_query_new(ldns_rdf_clone(ldns_rr_owner(
	    ldns_rr_list_rr(ldns_pkt_question(qp), 0))),
	    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(qp), 0)),
	    LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(rp, (uint16_t)(ldns_pkt_id(qp) + idshift));
	ldns_pkt_set_qr(rp, 1);
	ldns_pkt_set_aa(rp, 1);
	if (ldns_pkt_rd(qp) || !ldns_pkt_edns_do(qp) ||
	    ldns_pkt_edns_udp_size(qp) < 1232)
		ldns_pkt_set_rcode(rp, LDNS_RCODE_REFUSED);
	else if (tc)
		ldns_pkt_set_tc(rp, 1);
	else {
		(void)ldns_rr_new_frm_str(&rr, TLSA1, 0, NULL, NULL);
		ldns_pkt_push_rr(rp, LDNS_SECTION_ANSWER, rr);
	}
	(void)ldns_pkt2wire(&wire, rp, len);
	ldns_pkt_free(rp);
	ldns_pkt_free(qp);
	return wire;
}

/* The query q sent back as its own answer (QR set), changed as how says. */
static uint8_t *
srv_echo(const uint8_t *q, size_t n, enum echo how, size_t *len)
{
	uint8_t *w = xmalloc(n);

	memcpy(w, q, n);
	*len = n;
	if (n < 14)
		return w;
	w[2] |= 0x80;
	if (how == ECHO_ID)
		w[1] ^= 0x01;
	else if (how == ECHO_ZONE)
		w[13] ^= 0x01;	/* the zone's first letter: "dxample." */
	else if (how == ECHO_NOQR)
		w[2] &= 0x7f;
	else if (how == ECHO_TC)
		w[2] |= 0x02;
	return w;
}

/* The UDP answers of the SRV_ECHO* modes to the query q. */
static void
srv_echo_udp(int fd, const uint8_t *q, size_t n,
    const struct sockaddr_storage *from, socklen_t fl, enum srv_mode mode)
{
	size_t i, wl, nd = sizeof(ECHO_DECOYS) / sizeof(ECHO_DECOYS[0]);
	uint8_t *w;

	for (i = 0; i <= nd; i++) {
		enum echo how = i < nd ? ECHO_DECOYS[i] : mode == SRV_ECHO ?
		    ECHO_OK : ECHO_TC;

		if (i == nd && mode == SRV_ECHO_WRONG)
			break;
		w = srv_echo(q, n, how, &wl);
		(void)sendto(fd, w, wl, 0, (const struct sockaddr *)from, fl);
		free(w);
	}
}

static void
srv_loop(int ufd, int tfd, enum srv_mode mode)
{
	uint8_t buf[65536];

	for (;;) {
		struct pollfd p[2] = { { ufd, POLLIN, 0 }, { tfd, POLLIN, 0 } };
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		uint8_t *w;
		size_t wl;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents) {
			n = recvfrom(ufd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fl);
			if (n <= 0 || mode == SRV_SILENT)
				continue;
			if (mode >= SRV_ECHO) {
				srv_echo_udp(ufd, buf, (size_t)n, &from, fl,
				    mode);
				continue;
			}
			if (mode == SRV_ROOT || mode == SRV_SERVFAIL ||
			    mode == SRV_NORA) {
				w = srv_resolver_answer(buf, (size_t)n, mode,
				    &wl);
				if (w != NULL)
					(void)sendto(ufd, w, wl, 0,
					    (struct sockaddr *)&from, fl);
				free(w);
				continue;
			}
			if (mode == SRV_FORGE) {
				w = srv_answer(buf, (size_t)n, 0, 1, &wl);
				if (w != NULL)
					(void)sendto(ufd, w, wl, 0,
					    (struct sockaddr *)&from, fl);
				free(w);
			}
			w = srv_answer(buf, (size_t)n, mode == SRV_TC, 0, &wl);
			if (w != NULL)
				(void)sendto(ufd, w, wl, 0,
				    (struct sockaddr *)&from, fl);
			free(w);
		}
		if (p[1].revents) {
			int c = accept(tfd, NULL, NULL);
			uint8_t lb[2];
			size_t need, got = 0;

			if (c < 0)
				continue;
			if (recv(c, lb, 2, MSG_WAITALL) == 2) {
				need = (size_t)lb[0] << 8 | lb[1];
				while (got < need && (n = recv(c, buf + got,
				    need - got, 0)) > 0)
					got += (size_t)n;
				w = mode < SRV_ECHO ? srv_answer(buf, got, 0,
				    0, &wl) : srv_echo(buf, got, mode ==
				    SRV_ECHO_TC_WRONG ? ECHO_ZONE : ECHO_OK,
				    &wl);
				if (w != NULL) {
					lb[0] = (uint8_t)(wl >> 8);
					lb[1] = (uint8_t)wl;
					(void)send(c, lb, 2, 0);
					(void)send(c, w, wl, 0);
				}
				free(w);
			}
			close(c);
		}
	}
}

/* Binds UDP and TCP on one free 127.0.0.1 port and forks the server. */
static int
srv_start(struct srv *s, enum srv_mode mode)
{
	int tries;

	for (tries = 0; tries < 20; tries++) {
		struct sockaddr_in sin;
		socklen_t sl = sizeof(sin);
		int ufd = socket(AF_INET, SOCK_DGRAM, 0);
		int tfd = socket(AF_INET, SOCK_STREAM, 0);

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(ufd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    getsockname(ufd, (struct sockaddr *)&sin, &sl) != 0 ||
		    bind(tfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    listen(tfd, 8) != 0) {
			close(ufd);
			close(tfd);
			continue;
		}
		s->port = ntohs(sin.sin_port);
		if ((s->pid = fork()) == 0) {
			srv_loop(ufd, tfd, mode);
			_exit(0);
		}
		close(ufd);
		close(tfd);
		return s->pid > 0 ? 0 : -1;
	}
	return -1;
}

static void
q_to(struct dnsq *q, int port, const char *name)
{
	char addr[64];

	memset(q, 0, sizeof(*q));
	snprintf(addr, sizeof(addr), "127.0.0.1#%d", port);
	if (dnsq_addr_parse(addr, 53, &q->addr, &q->addrlen) != 0)
		abort();
	snprintf(q->qname, sizeof(q->qname), "%s", name);
	q->qtype = LDNS_RR_TYPE_TLSA;
}

/*
 * A query to a server in mode: answered without error, over TCP if
 * want_tcp, and the answer matches the record the server serves.
 */
static void
dnsq_answer_matches(enum srv_mode mode, int want_tcp)
{
	struct srv s = { 0 };
	struct dnsq q;
	struct observe_addr a;
	struct tlsa_set want = { 0 };

	memset(&a, 0, sizeof(a));
	T_CHECK(srv_start(&s, mode) == 0);
	q_to(&q, s.port, OWNER);
	dnsq_run(&q, 1, NULL);
	T_INT(q.err, 0);
	T_INT(q.tcp, want_tcp);
	fake_tlsa_set("3 1 1 " H1 "\n", &want);
	/* The server refuses RD or a missing DO: a match proves neither. */
	T_INT(observe_classify(q.wire, q.wirelen, OWNER, &want, 0, &a),
	    OBS_MATCH);
	dnsq_free(&q, 1);
	observe_addr_free(&a);
	tlsa_set_free(&want);
	t_kill(&s.pid);
}

/* A truncated UDP answer is asked again over TCP, and the full one used. */
static void
test_dnsq_tc_to_tcp(void)
{
	dnsq_answer_matches(SRV_TC, 1);
}

/* A datagram with the wrong ID is dropped; the right one still counts. */
static void
test_dnsq_forged_id(void)
{
	dnsq_answer_matches(SRV_FORGE, 0);
}

/* Nothing listening: refused at once, not after the timeouts. */
static void
test_dnsq_refused_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct dnsq q;
	double t0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	T_CHECK(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	close(fd);	/* the port is now closed */
	q_to(&q, ntohs(sin.sin_port), OWNER);
	t0 = t_now_s();
	dnsq_run(&q, 1, NULL);
	T_INT(q.err, ECONNREFUSED);
	T_CHECK(q.wire == NULL);
	T_CHECK(t_now_s() - t0 < 1.0);
	T_STR(dnsq_strerror(q.err), "connection refused (nothing listens)");
}

/*
 * A silent server: each query times out after tries x try_ms, and at most
 * `inflight` wait at once: 12 queries, 4 at a time, 2 tries of 100 ms
 * take three rounds of 200 ms; all 12 at once take one.
 */
static void
test_dnsq_timeout_and_bound(void)
{
	struct srv s = { 0 };
	struct dnsq q[12];
	struct dnsq_limits lim = { 4, 100, 2, 1000, 0 };
	double t0, t;
	size_t i;

	T_CHECK(srv_start(&s, SRV_SILENT) == 0);
	for (i = 0; i < 12; i++)
		q_to(&q[i], s.port, OWNER);
	t0 = t_now_s();
	dnsq_run(q, 12, &lim);
	t = t_now_s() - t0;
	for (i = 0; i < 12; i++)
		T_INT(q[i].err, ETIMEDOUT);
	T_CHECK(t >= 0.55 && t < 1.2);
	printf("    12 silent queries, 4 in flight: %.0f ms\n", t * 1000);
	lim.inflight = 12;
	t0 = t_now_s();
	dnsq_run(q, 12, &lim);
	t = t_now_s() - t0;
	T_CHECK(t >= 0.19 && t < 0.5);
	printf("    12 silent queries, 12 in flight: %.0f ms\n", t * 1000);
	t_kill(&s.pid);
}

/*
 * observe() outcomes that a resolver decides: an owner in no delegated
 * zone is PERMFAIL; a resolver that fails or is not there is TEMPFAIL;
 * a name that is not a name is PERMFAIL before anything is sent.
 */
static void
test_observe_outcomes(void)
{
	static const struct {
		int		 mode;		/* 0: closed port */
		const char	*owner;
		enum outcome	 want;
		const char	*msg;
	} rows[] = {
		{ SRV_ROOT, "_25._tcp.mx.nosuchtld.", OUT_PERMFAIL,
		  "_25._tcp.mx.nosuchtld. is in no delegated zone" },
		{ SRV_SERVFAIL, OWNER, OUT_TEMPFAIL, "SOA: SERVFAIL" },
		{ SRV_NORA, OWNER, OUT_PERMFAIL, "SOA: a referral, not an "
		  "answer (neither RA nor AA set)" },
		{ 0, OWNER, OUT_TEMPFAIL, "connection refused" },
		{ SRV_ROOT, "a..b.example.", OUT_PERMFAIL,
		  "not a valid DNS name" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct srv s = { 0 };
		struct conf conf;
		struct conf_host host;
		struct obs_report rep;
		struct tlsa_set want = { 0 };
		char res[64];

		memset(&conf, 0, sizeof(conf));
		memset(&host, 0, sizeof(host));
		memset(&rep, 0, sizeof(rep));
		T_CHECK(srv_start(&s, rows[i].mode ? rows[i].mode :
		    SRV_SILENT) == 0);
		if (rows[i].mode == 0)
			t_kill(&s.pid);	/* nothing listens any more */
		snprintf(res, sizeof(res), "127.0.0.1#%d", s.port);
		conf.resolver = res;
		host.name = "mx.example";
		t_log_reset();
		if (!T_INT(observe_dns.observe(&conf, &host, rows[i].owner,
		    &want, &rep), rows[i].want))
			printf("    row %zu: %s", i, t_log_text());
		if (!T_CHECK(t_log_has(rows[i].msg)))
			printf("    row %zu: %s", i, t_log_text());
		T_INT(rep.nservers, 0);
		T_INT(rep.all_match, 0);
		obs_report_free(&rep);
		if (rows[i].mode != 0)
			t_kill(&s.pid);
	}
}

/*
 * A prebuilt message (an UPDATE of zone example.) goes out octet for
 * octet with its own ID; of the answers, those with another ID, another
 * zone section or no QR bit are dropped over UDP (none left: a timeout)
 * and fail over TCP; TC moves it to TCP; what is not a message with one
 * question is not sent.
 */
static void
test_dnsq_prebuilt(void)
{
	static const struct {
		int	mode;		/* 0: no server, a bad message */
		int	err, tcp;
	} rows[] = {
		{ SRV_ECHO, 0, 0 },
		{ SRV_ECHO_WRONG, ETIMEDOUT, 0 },
		{ SRV_ECHO_TC, 0, 1 },
		{ SRV_ECHO_TC_WRONG, EPROTO, 1 },
		{ 0, EINVAL, 0 },
	};
	struct dnsq_limits lim = { 1, 150, 2, 1000, 0 };
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_pkt *upd;
	ldns_rr *rr = NULL;
	uint8_t *msg = NULL;
	size_t msglen = 0, i;

	(void)ldns_rr_new_frm_str(&rr, TLSA1, 0, NULL, NULL);
	(void)ldns_rr_list_push_rr(up, rr);
	upd = ldns_update_pkt_new(ldns_dname_new_frm_str("example."),
	    LDNS_RR_CLASS_IN, NULL, up, NULL);	/* a copy of up */
	ldns_pkt_set_rd(upd, false);
	ldns_pkt_set_id(upd, 0x4a4b);
	T_INT(ldns_pkt2wire(&msg, upd, &msglen), LDNS_STATUS_OK);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct srv s = { 0 };
		struct dnsq q;
		char addr[64];
		struct sockaddr_storage ss;
		socklen_t sl;

		T_CHECK(srv_start(&s, rows[i].mode ? rows[i].mode :
		    SRV_SILENT) == 0);
		snprintf(addr, sizeof(addr), "127.0.0.1#%d", s.port);
		T_INT(dnsq_addr_parse(addr, 53, &ss, &sl), 0);
		/* Bad: a header with no question (an UPDATE's ZOCOUNT 0). */
		dnsq_query_init_msg(&q, &ss, sl, msg, rows[i].mode ? msglen :
		    LDNS_HEADER_SIZE);
		dnsq_run(&q, 1, &lim);
		if (!T_INT(q.err, rows[i].err) || !T_INT(q.tcp, rows[i].tcp))
			printf("    row %zu: %s\n", i, dnsq_strerror(q.err));
		if (q.err == 0 && T_INT(q.wirelen, msglen))
			/* Our octets, ID included; only QR is the server's. */
			T_CHECK(q.wire[2] == (msg[2] | 0x80) &&
			    memcmp(q.wire, msg, 2) == 0 &&
			    memcmp(q.wire + 3, msg + 3, msglen - 3) == 0);
		dnsq_free(&q, 1);
		t_kill(&s.pid);
	}
	free(msg);
	ldns_pkt_free(upd);
	ldns_rr_list_deep_free(up);
}

/*
 * dnsq_addr_parse: address text as the configuration writes it, and as
 * dnsq_addr_str writes it back (out NULL: refused); as rows, each a case.
 */
static const struct row {
	const char	*name;
	const char	*in;
	int		 ok;
	const char	*out;
} rows[] = {
	{ "dnsq address: IPv4", "192.0.2.1", 1, "192.0.2.1" },
	{ "dnsq address: IPv4#port", "192.0.2.1#5353", 1, "192.0.2.1#5353" },
	{ "dnsq address: IPv6", "2001:db8::1", 1, "2001:db8::1" },
	{ "dnsq address: IPv6#53, the port written only when not 53",
	  "2001:db8::1#53", 1, "2001:db8::1" },
	{ "dnsq address: [IPv6]:port", "[2001:db8::1]:5300", 1,
	  "2001:db8::1#5300" },
	{ "dnsq address: a name, refused", "ns1.example", 0, NULL },
	{ "dnsq address: port 0, refused", "192.0.2.1#0", 0, NULL },
	{ "dnsq address: port 65536, refused", "192.0.2.1#65536", 0, NULL },
	{ "dnsq address: an empty port, refused", "192.0.2.1#", 0, NULL },
	{ "dnsq address: a signed port, refused", "192.0.2.1#+53", 0, NULL },
	{ "dnsq address: a blank before the port, refused", "192.0.2.1# 53",
	  0, NULL },
	/* inet_aton's shorthands, not ours */
	{ "dnsq address: 127.1, refused", "127.1", 0, NULL },
	{ "dnsq address: hex octets, refused", "0x7f.0.0.1", 0, NULL },
	{ "dnsq address: IPv6 with a zone", "fe80::1%lo", 1, "fe80::1%lo" },
	{ "dnsq address: empty, refused", "", 0, NULL },
};

static void
run_row(const void *v)
{
	const struct row *row = v;
	struct sockaddr_storage ss;
	socklen_t sl;
	char out[64];
	int r = dnsq_addr_parse(row->in, 53, &ss, &sl);

	if (!T_INT(r == 0, row->ok))
		printf("    %s\n", row->in);
	if (r == 0 && row->ok) {
		dnsq_addr_str((struct sockaddr *)&ss, out, sizeof(out));
		T_STR(out, row->out);
	}
}

static const struct t_case cases[] = {
	{ "classify: answers as a table", test_classify_table },
	{ "classify: malformed answer", test_classify_malformed },
	{ "SOA: serial and negative TTL", test_soa_neg_ttl },
	{ "summarize: all_match, served, neg_ttl", test_summarize_table },
	{ "dnsq: TC over UDP -> TCP", test_dnsq_tc_to_tcp },
	{ "dnsq: forged ID dropped", test_dnsq_forged_id },
	{ "dnsq: closed port refused at once", test_dnsq_refused_port },
	{ "dnsq: timeouts and in-flight bound", test_dnsq_timeout_and_bound },
	{ "dnsq: prebuilt message (UPDATE) matched by ID, QR, zone",
	  test_dnsq_prebuilt },
	{ "observe: outcomes decided at the resolver", test_observe_outcomes },
};

T_MAIN_TABLE(rows, run_row, cases)
