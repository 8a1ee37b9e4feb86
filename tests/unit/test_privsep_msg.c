/*
 * Unit test: privsep_msg, the frames between daneroll and its network child.
 * What is encoded decodes to the same; every malformed body of the rows
 * below is refused (the parent reads what a process that parsed hostile
 * input wrote).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/x509.h>

#include "cert.h"
#include "fakes.h"
#include "privsep_msg.h"
#include "t.h"

/* A body (after the length) as hex; '.' separates fields for reading. */
struct row {
	const char	*name;
	const char	*hex;
	int		 request;	/* a request, else a reply */
	int		 ok;
};

static const struct row rows[] = {
	{ "a log line", "04.02.01.0002.6869", 0, 1 },
	{ "a result without report", "05.00.00", 0, 1 },
	{ "an observe result, one server, empty set",
	    "05.00.01.00000001.0001.31.0001.6e.00.00000007.01.00."
	    "0000000000000005.0000000000000006.0000", 0, 1 },
	{ "a verify request", "02.00000000.01.0001.03.01.01.0002.abcd", 1, 1 },
	{ "an observe request", "01.00000003.0001.78.0000", 1, 1 },
	{ "empty", "", 0, 0 },
	{ "an unknown kind", "0e.00", 0, 0 },
	{ "check's network head", "07.00.01.0003.313233.00000000.00000000",
	    0, 1 },
	{ "a network head with a negative count",
	    "07.00.01.0000.ffffffff.00000000", 0, 0 },
	{ "a check request", "06.00000001.00000000.00002710.00004e20."
	    "0000afc8.00000100.00000008.00000005.0000", 1, 1 },
	{ "a check request with no handshake allowed at once",
	    "06.00000001.00000000.00002710.00004e20."
	    "0000afc8.00000000.00000008.00000005.0000", 1, 0 },
	{ "a check request announcing more hosts than it holds",
	    "06.00000100.00000000", 1, 0 },
	{ "a request kind as a reply", "01.00000000.0000.0000", 0, 0 },
	{ "a reply kind as a request", "05.00.00", 1, 0 },
	{ "a log level past debug", "04.05.01.0000", 0, 0 },
	{ "a cause that is not 0 or 1", "04.01.02.0000", 0, 0 },
	{ "a string running past the end", "04.01.01.0005.6869", 0, 0 },
	{ "a NUL inside a string", "04.01.01.0002.6800", 0, 0 },
	{ "a trailing octet", "05.00.00.00", 0, 0 },
	{ "an outcome past PERMFAIL", "05.04.00", 0, 0 },
	{ "has_report 2", "05.00.02", 0, 0 },
	{ "an observation result past unreachable",
	    "05.00.01.00000001.0001.31.0001.6e.07.00000007.01.00."
	    "0000000000000005.0000000000000006.0000", 0, 0 },
	{ "an address longer than its field",
	    "05.00.01.00000001.0040."
	    "31313131313131313131313131313131313131313131313131313131313131"
	    "31313131313131313131313131313131313131313131313131313131313131"
	    "3131.0001.6e.00.00000007.01.00."
	    "0000000000000005.0000000000000006.0000", 0, 0 },
	{ "more servers than allowed",
	    "05.00.01.00001001", 0, 0 },
	{ "an algorithm past the last", "02.00000000.02.0000", 1, 0 },
	{ "a record with no data", "02.00000000.01.0001.03.01.01.0000", 1, 0 },
	{ "more records than allowed", "02.00000000.01.2001", 1, 0 },
	{ "a truncated request", "02.000000", 1, 0 },
	/* doctor's (doctor_net.h). */
	{ "a doctor zone request", "0a.00000000.0001.78.0000", 1, 1 },
	{ "a doctor TLSA request", "0b.00000001.0001.78.0000", 1, 1 },
	{ "a doctor request as a reply", "0a.00000000.0001.78.0000", 0, 0 },
	{ "a zone answer, no server examined",
	    "0c.0008.6578616d706c652e.01.01.00000000.0000.00000000.0000.01.01", 0, 1 },
	{ "a zone answer, one server",
	    "0c.0008.6578616d706c652e.01.01.00000001.0009.3139322e302e322e31.0004.6e73312e.00.00000000.0000.01.01.00000007.01.0000.00000000.0000.01.01", 0, 1 },
	{ "a zone answer as a request", "0c.0008.6578616d706c652e.01.01.00000000.0000.00000000.0000.01.01", 1, 0 },
	{ "a zone answer with a negative errno",
	    "0c.0008.6578616d706c652e.01.01.00000001.0009.3139322e302e322e31.0004.6e73312e.00."
	    "ffffffff.0000.01.01.00000007.01.0000.00000000.0000.01.01", 0, 0 },
	{ "a zone answer announcing more servers than allowed",
	    "0c.0008.6578616d706c652e.01.01.00001001.0000.00000000.0000.01.01", 0, 0 },
	{ "a zone answer announcing a server it does not hold",
	    "0c.0008.6578616d706c652e.01.01.00000002.0009.3139322e302e322e31.0004.6e73312e.00.00000000.0000.01.01.00000007.01.0000.00000000.0000.01.01", 0, 0 },
	{ "a zone answer, examined 2",
	    "0c.0008.6578616d706c652e.02.01.00000000.0000.00000000.0000.01.01", 0, 0 },
	{ "a TLSA answer", "0d.00.00.00.00.0000.0000000000000000.ffffffffffffffff.0000000000000000.00000000.0000", 0, 1 },
	{ "a TLSA answer past RESOLVE_FAIL", "0d.04.00.00.00.0000.0000000000000000.ffffffffffffffff.0000000000000000.00000000.0000", 0, 0 },
	{ "a TLSA answer with a trailing octet", "0d.00.00.00.00.0000.0000000000000000.ffffffffffffffff.0000000000000000.00000000.0000.00", 0, 0 },
};

static uint8_t *
unhex(const char *s, size_t *len)
{
	uint8_t *p = malloc(strlen(s) / 2 + 1);
	size_t n = 0;

	while (*s != '\0') {
		if (*s == '.') {
			s++;
			continue;
		}
		p[n++] = (uint8_t)strtoul((char[]){ s[0], s[1], 0 }, NULL, 16);
		s += 2;
	}
	*len = n;
	return p;
}

static void
run_row(const void *v)
{
	const struct row *r = v;
	size_t len;
	uint8_t *p = unhex(r->hex, &len);
	int got;

	if (r->request) {
		struct pmsg_request q;

		if ((got = pmsg_get_request(p, len, &q)) == 0)
			pmsg_request_free(&q);
	} else {
		struct pmsg_reply m;

		if ((got = pmsg_get_reply(p, len, &m)) == 0)
			pmsg_reply_free(&m);
	}
	T_INT(got, r->ok ? 0 : -1);
	free(p);
}

/* The body of the only frame in b. */
static const uint8_t *
body(const struct pmsg_buf *b, size_t *len)
{
	*len = pmsg_frame_len(b->p);
	T_INT(*len + 4, b->len);
	return b->p + 4;
}

static void
test_request_round_trip(void)
{
	struct pmsg_request q, got;
	struct tlsa_rr rr = { 3, 1, 1, (unsigned char *)"0123456789abcdef"
	    "0123456789abcdef", 32 };
	struct pmsg_buf b = { NULL, 0, 0 };
	const uint8_t *p;
	size_t len;

	memset(&q, 0, sizeof(q));
	q.kind = PM_OBSERVE;
	q.host = 7;
	q.owner = "_25._tcp.mx.example.org";
	tlsa_set_add(&q.set, &rr);
	pmsg_put_request(&b, &q);
	p = body(&b, &len);
	T_INT(pmsg_get_request(p, len, &got), 0);
	T_INT(got.kind, PM_OBSERVE);
	T_INT(got.host, 7);
	T_STR(got.owner, q.owner);
	T_CHECK(tlsa_set_equal(&got.set, &q.set));
	pmsg_request_free(&got);
	/* Every shorter body is refused. */
	while (len-- > 0)
		T_INT(pmsg_get_request(p, len, &got), -1);
	tlsa_set_free(&q.set);
	pmsg_buf_free(&b);
}

static void
test_report_round_trip(void)
{
	struct obs_report r;
	struct obs_server sv[2];
	struct tlsa_rr rr = { 2, 1, 1, (unsigned char *)"xy", 2 };
	struct pmsg_buf b = { NULL, 0, 0 };
	struct pmsg_reply m;
	const uint8_t *p;
	size_t len;

	memset(&r, 0, sizeof(r));
	memset(sv, 0, sizeof(sv));
	strcpy(sv[0].addr, "2001:db8::1");
	strcpy(sv[0].ns, "ns1.example.org");
	sv[0].result = OBS_STALE;
	sv[0].serial = 4000000000u;
	strcpy(sv[1].addr, "192.0.2.2");
	strcpy(sv[1].ns, "extra");
	sv[1].result = OBS_UNREACHABLE;
	r.servers = sv;
	r.nservers = 2;
	r.any_tlsa = 1;
	r.neg_ttl = -1;
	r.served_ttl = 3600;
	tlsa_set_add(&r.served, &rr);
	pmsg_put_result(&b, OUT_PENDING, &r);
	p = body(&b, &len);
	T_INT(pmsg_get_reply(p, len, &m), 0);
	T_INT(m.kind, PM_RESULT);
	T_INT(m.outcome, OUT_PENDING);
	T_INT(m.has_report, 1);
	T_INT(m.report.nservers, 2);
	T_STR(m.report.servers[0].addr, "2001:db8::1");
	T_STR(m.report.servers[1].ns, "extra");
	T_INT(m.report.servers[0].result, OBS_STALE);
	T_INT(m.report.servers[1].result, OBS_UNREACHABLE);
	T_CHECK(m.report.servers[0].serial == 4000000000u);
	T_INT(m.report.all_match, 0);
	T_INT(m.report.any_tlsa, 1);
	T_INT(m.report.neg_ttl, -1);
	T_INT(m.report.served_ttl, 3600);
	T_CHECK(tlsa_set_equal(&m.report.served, &r.served));
	pmsg_reply_free(&m);
	tlsa_set_free(&r.served);
	pmsg_buf_free(&b);
}

static void
test_long_line_cut(void)
{
	char line[PMSG_MAX_STR + 100];
	struct pmsg_buf b = { NULL, 0, 0 };
	struct pmsg_reply m;
	const uint8_t *p;
	size_t len;

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	pmsg_put_log(&b, 1, 0, line);
	p = body(&b, &len);
	T_INT(pmsg_get_reply(p, len, &m), 0);
	T_INT(strlen(m.line), PMSG_MAX_STR);
	T_INT(m.level, 1);
	T_INT(m.cause, 0);
	pmsg_reply_free(&m);
	pmsg_buf_free(&b);
	T_INT(pmsg_frame_len((const uint8_t *)"\x00\x40\x00\x01"), 0);
	T_INT(pmsg_frame_len((const uint8_t *)"\x00\x40\x00\x00"),
	    PMSG_MAX_FRAME);
}

static void
tlsa_fill(struct resolve_tlsa *t, const char *why)
{
	struct tlsa_rr rr = { 3, 1, 1, (unsigned char *)"0123456789abcdef"
	    "0123456789abcdef", 32 };

	t->sec = RESOLVE_INSECURE;
	t->exists = 1;
	t->expanded = strdup("_25._tcp.mx.other.example");
	tlsa_set_add(&t->set, &rr);
	t->ttl = 300;
	t->orig_ttl = -1;
	t->sig_expires = 1800000000;
	t->nsigs = 2;
	snprintf(t->why, sizeof(t->why), "%s", why);
}

static void
test_name_round_trip(void)
{
	struct verify_name vn, *got;
	struct pmsg_buf b = { NULL, 0, 0 };
	struct pmsg_reply m;
	const uint8_t *p;
	size_t len;

	memset(&vn, 0, sizeof(vn));
	vn.name = strdup("mx.example.org");
	vn.port = 465;
	vn.addrs.sec = RESOLVE_SECURE;
	vn.addrs.naddr = 2;
	vn.addrs.addr = calloc(2, sizeof(*vn.addrs.addr));
	vn.addrs.addr[0].family = AF_INET;
	strcpy(vn.addrs.addr[0].text, "192.0.2.25");
	vn.addrs.addr[1].family = AF_INET6;
	strcpy(vn.addrs.addr[1].text, "2001:db8::25");
	vn.owner = strdup("_465._tcp.mx.example.org");
	tlsa_fill(&vn.tlsa, "");
	vn.has_other = 1;
	tlsa_fill(&vn.other, "SERVFAIL");
	pmsg_put_net_name(&b, &vn);
	p = body(&b, &len);
	T_INT(pmsg_get_reply(p, len, &m), 0);
	got = &m.name;
	T_STR(got->name, "mx.example.org");
	T_INT(got->port, 465);
	T_INT(got->addrs.naddr, 2);
	T_INT(got->addrs.addr[1].family, AF_INET6);
	T_STR(got->addrs.addr[1].text, "2001:db8::25");
	T_CHECK(got->base == NULL);
	T_STR(got->owner, vn.owner);
	T_INT(got->tlsa.sec, RESOLVE_INSECURE);
	T_STR(got->tlsa.expanded, vn.tlsa.expanded);
	T_CHECK(tlsa_set_equal(&got->tlsa.set, &vn.tlsa.set));
	T_INT(got->tlsa.orig_ttl, -1);
	T_INT(got->tlsa.sig_expires, 1800000000);
	T_INT(got->tlsa.nsigs, 2);
	T_STR(got->other.why, "SERVFAIL");
	T_INT(got->has_other, 1);
	pmsg_reply_free(&m);
	while (len-- > 0)
		T_INT(pmsg_get_reply(p, len, &m), -1);
	verify_name_free(&vn);
	pmsg_buf_free(&b);
}

/* An endpoint's results and the records its chain matched cross; the
 * chain itself does not (the parent decodes no certificate); every
 * prefix is refused. */
static void
test_endpoint_round_trip(void)
{
	struct verify_endpoint ep;
	struct tlsa_set matched = { NULL, 0 };
	struct tlsa_rr rr = { 3, 1, 1, (unsigned char *)"0123456789abcdef"
	    "0123456789abcdef", 32 };
	struct pmsg_buf b = { NULL, 0, 0 };
	struct pmsg_reply m;
	const uint8_t *p;
	size_t len;

	fake_reset(t_path("ca"));
	T_INT(fake_ca_write(t_path("ca.pem")), 0);
	memset(&ep, 0, sizeof(ep));
	verify_endpoint_clear(&ep);
	ep.status = VS_MISMATCH;
	strcpy(ep.detail, "no matching DANE TLSA records");
	strcpy(ep.tls_version, "TLSv1.3");
	ep.usage = 3;
	ep.depth = 0;
	ep.not_after = 1900000000;
	strcpy(ep.spki, "ab");
	ep.leaf_alg = KEY_ALG_ECDSA_P256;
	ep.elapsed_ms = 87;
	ep.chain = cert_load_chain(t_path("ca.pem"));
	T_CHECK(ep.chain != NULL && sk_X509_num(ep.chain) == 1);
	tlsa_set_add(&matched, &rr);
	pmsg_put_net_ep(&b, &ep, &matched);
	p = body(&b, &len);
	T_INT(pmsg_get_reply(p, len, &m), 0);
	T_INT(m.ep.status, VS_MISMATCH);
	T_STR(m.ep.detail, ep.detail);
	T_STR(m.ep.tls_version, "TLSv1.3");
	T_INT(m.ep.usage, 3);
	T_INT(m.ep.selector, -1);
	T_INT(m.ep.not_after, 1900000000);
	T_INT(m.ep.leaf_alg, KEY_ALG_ECDSA_P256);
	T_INT(m.ep.elapsed_ms, 87);
	T_CHECK(m.ep.chain == NULL);
	T_CHECK(tlsa_set_equal(&m.ep_matched, &matched));
	pmsg_reply_free(&m);
	while (len-- > 0)
		T_INT(pmsg_get_reply(p, len, &m), -1);
	/* Nothing matched: an empty set. */
	pmsg_buf_free(&b);
	pmsg_put_net_ep(&b, &ep, NULL);
	p = body(&b, &len);
	T_INT(pmsg_get_reply(p, len, &m), 0);
	T_INT(m.ep_matched.n, 0);
	pmsg_reply_free(&m);
	tlsa_set_free(&matched);
	verify_endpoint_clear(&ep);
	pmsg_buf_free(&b);
}

/* doctor's zone facts and TLSA answer cross whole; every prefix is
 * refused. */
static void
test_doctor_round_trip(void)
{
	struct doctor_net_zone z;
	struct doctor_net_server sv[2];
	struct resolve_tlsa t;
	struct pmsg_buf b = { NULL, 0, 0 };
	struct pmsg_reply m;
	const uint8_t *p;
	size_t len;

	memset(&z, 0, sizeof(z));
	memset(sv, 0, sizeof(sv));
	strcpy(z.zone, "example.org.");
	z.examined = 1;
	z.zone_signed = 1;
	strcpy(sv[0].addr, "192.0.2.1");
	strcpy(sv[0].ns, "ns1.example.org.");
	sv[0].rcode = 5;
	sv[0].serial = 2026120701;
	sv[0].soa_signed = 1;
	strcpy(sv[1].addr, "(no address)");
	strcpy(sv[1].ns, "ns2.example.org.");
	sv[1].no_address = 1;
	sv[1].err = 110;
	z.servers = sv;
	z.nservers = 2;
	strcpy(z.resolver, "2001:db8::53");
	z.res_rcode = 2;
	z.res_ra = 1;
	pmsg_put_doc_zone(&b, &z);
	p = body(&b, &len);
	T_INT(pmsg_get_reply(p, len, &m), 0);
	T_INT(m.kind, PM_DOC_ZONE_ANS);
	T_STR(m.dzone.zone, "example.org.");
	T_INT(m.dzone.examined, 1);
	T_INT(m.dzone.zone_signed, 1);
	T_INT(m.dzone.nservers, 2);
	if (m.dzone.nservers == 2) {
		T_CHECK(memcmp(m.dzone.servers, sv, sizeof(sv)) == 0);
	}
	T_STR(m.dzone.resolver, "2001:db8::53");
	T_INT(m.dzone.res_rcode, 2);
	T_INT(m.dzone.res_ra, 1);
	T_INT(m.dzone.res_ad, 0);
	pmsg_reply_free(&m);
	while (len-- > 0)
		T_INT(pmsg_get_reply(p, len, &m), -1);
	pmsg_buf_free(&b);

	memset(&t, 0, sizeof(t));
	tlsa_fill(&t, "no resolver can be asked");
	pmsg_put_doc_tlsa(&b, &t);
	p = body(&b, &len);
	T_INT(pmsg_get_reply(p, len, &m), 0);
	T_INT(m.kind, PM_DOC_TLSA_ANS);
	T_INT(m.tlsa.sec, RESOLVE_INSECURE);
	T_INT(m.tlsa.exists, 1);
	T_STR(m.tlsa.expanded, t.expanded);
	T_CHECK(tlsa_set_equal(&m.tlsa.set, &t.set));
	T_STR(m.tlsa.why, "no resolver can be asked");
	pmsg_reply_free(&m);
	while (len-- > 0)
		T_INT(pmsg_get_reply(p, len, &m), -1);
	resolve_tlsa_free(&t);
	pmsg_buf_free(&b);
}

static const struct t_case cases[] = {
	{ "an observe request survives the round trip; every prefix is "
	    "refused", test_request_round_trip },
	{ "an observation report survives the round trip",
	    test_report_round_trip },
	{ "a long log line is cut, a long frame refused", test_long_line_cut },
	{ "an MX name's DNS facts survive the round trip; every prefix is "
	    "refused", test_name_round_trip },
	{ "an endpoint's results and what its chain matched survive the "
	    "round trip, the chain does not cross", test_endpoint_round_trip },
	{ "doctor's zone facts and TLSA answer survive the round trip; every "
	    "prefix is refused", test_doctor_round_trip },
};

T_MAIN_TABLE(rows, run_row, cases)
