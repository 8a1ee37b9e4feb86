/*
 * test_view - the pure parts of the host view: times recorded ahead of
 * the clock (what `run` logs and `check` reports as clock-skew), and the
 * records the served chains need first (view_served_records; the records
 * computed by the openssl command line, t_openssl.h).
 */
#include <string.h>

#include "t.h"
#include "t_openssl.h"
#include "tlsa.h"
#include "view.h"

#define NOW	((time_t)1800000000)

static void
test_future_rrset(void)
{
	struct store_rrset v1[2], v2[1];
	struct view_owner owners[2];
	struct view v;
	const struct store_rrset *r = NULL;
	int o = -1;

	memset(&v, 0, sizeof(v));
	memset(v1, 0, sizeof(v1));
	memset(v2, 0, sizeof(v2));
	memset(owners, 0, sizeof(owners));
	owners[0].name = "_25._tcp.mx1.example.org";
	owners[0].v = v1;
	owners[0].nv = 2;
	owners[1].name = "_25._tcp.mx.example.net";
	owners[1].v = v2;
	owners[1].nv = 1;
	v.owners = owners;
	v.nowners = 2;
	v1[0].version = 1;
	v1[0].published_at = NOW - 86400;
	v1[0].propagated_at = NOW - 86000;
	v1[1].version = 2;
	v1[1].published_at = NOW - 10;
	v2[0].version = 1;
	v2[0].propagated_at = NOW + VIEW_FUTURE_SLACK;	/* within slack */
	T_INT(view_future_rrset(&v, NOW, &o, &r), 0);

	/* The clock went back a day: the second owner's propagation. */
	v2[0].propagated_at = NOW + 86400;
	T_INT(view_future_rrset(&v, NOW, &o, &r), NOW + 86400);
	T_INT(o, 1);
	T_CHECK(r == &v2[0]);

	/* Published ahead counts as well as propagated ahead. */
	v1[1].published_at = NOW + VIEW_FUTURE_SLACK + 1;
	T_INT(view_future_rrset(&v, NOW, &o, &r), NOW + VIEW_FUTURE_SLACK + 1);
	T_INT(o, 0);
	T_INT(r->version, 2);
}

/* What is re-dated to now: a version from the future, or a retry later
 * than any back-off (retry_max + the slack). */
static void
test_redate_at(void)
{
	static const struct {
		time_t	 published, retry;
		time_t	 want;
	} rows[] = {
		{ NOW - 10, 0, 0 },
		{ NOW + VIEW_FUTURE_SLACK, 0, 0 },
		{ NOW + 86400, 0, NOW + 86400 },
		{ NOW - 10, NOW + 600 + VIEW_FUTURE_SLACK, 0 },
		{ NOW - 10, NOW + 600 + VIEW_FUTURE_SLACK + 1,
		    NOW + 600 + VIEW_FUTURE_SLACK + 1 },
		{ NOW + 7200, NOW + 86400, NOW + 7200 },	/* DNS first */
	};
	struct conf_host h;
	struct store_rrset rr;
	struct view_owner ow;
	struct view v;
	size_t i;

	memset(&h, 0, sizeof(h));
	h.timing.retry_max = 600;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&v, 0, sizeof(v));
		memset(&ow, 0, sizeof(ow));
		memset(&rr, 0, sizeof(rr));
		rr.version = 1;
		rr.published_at = rows[i].published;
		ow.name = "_25._tcp.mx.example.org";
		ow.v = &rr;
		ow.nv = 1;
		v.slots[0].slot.retry_at = rows[i].retry;
		v.host = &h;
		v.owners = &ow;
		v.nowners = 1;
		v.nslots = 1;
		if (!T_INT(view_redate_at(&v, NOW), rows[i].want))
			printf("    row %zu\n", i);
	}
}

/* "U 1 1 <sha256 of the SPKI of t_path(name).pem>" into set. */
static int
add_spki_record(const char *name, const char *usage, struct tlsa_set *set)
{
	char pem[512], der[512], hex[129], *text;
	struct tlsa_rr rr;
	int rc;

	snprintf(pem, sizeof(pem), "%s.pem", t_path(name));
	snprintf(der, sizeof(der), "%s.spki", t_path(name));
	if (t_ossl_cert_spki_der(pem, der) != 0 ||
	    t_ossl_digest("-sha256", der, hex, sizeof(hex)) != 0)
		return -1;
	text = xasprintf("%s 1 1 %s", usage, hex);
	rc = tlsa_parse(text, &rr);
	free(text);
	if (rc == 0) {
		tlsa_set_add(set, &rr);
		tlsa_rr_free(&rr);
	}
	return rc;
}

static void
test_served_records(void)
{
	const char *rsa[] = { "leaf.pem", "int.pem", NULL };
	const char *ec[] = { "leaf2.pem", "int.pem", NULL };
	struct tlsa_set leaf = { 0 }, leaf2 = { 0 }, next = { 0 },
	    issuer = { 0 }, want = { 0 }, got = { 0 };
	struct view v;
	int i;

	if (!T_CHECK(t_ossl_chain() == 0 && t_ossl_issue("leaf2", "ec",
	    "/CN=mx1.example.org", "int", "leaf_ext", "5") == 0 &&
	    t_ossl_selfsigned("next", "ec", "/CN=next", NULL, "30") == 0))
		return;
	if (!T_CHECK(add_spki_record("leaf", "3", &leaf) == 0 &&
	    add_spki_record("leaf2", "3", &leaf2) == 0 &&
	    add_spki_record("next", "3", &next) == 0 &&
	    add_spki_record("int", "2", &issuer) == 0))
		return;
	memset(&v, 0, sizeof(v));
	v.nslots = 2;
	v.slots[0].deployed_ok = v.slots[1].deployed_ok = 1;
	v.slots[0].cert_path = (char *)t_cat("rsa.chain", rsa);
	v.slots[1].cert_path = (char *)t_cat("ec.chain", ec);

	/* Two chains, each its own "3 1 1": both, never the next key's. */
	tlsa_set_add(&want, &leaf.rr[0]);
	tlsa_set_add(&want, &leaf2.rr[0]);
	tlsa_set_add(&want, &next.rr[0]);
	view_served_records(&v, &want, &got);
	T_INT((long long)got.n, 2);
	T_CHECK(tlsa_set_has(&got, &leaf.rr[0]));
	T_CHECK(tlsa_set_has(&got, &leaf2.rr[0]));
	tlsa_set_free(&got);

	/* A shared issuer's "2 1 1" comes first and covers both, once. */
	tlsa_set_add(&want, &issuer.rr[0]);
	view_served_records(&v, &want, &got);
	T_INT((long long)got.n, 1);
	T_CHECK(tlsa_set_has(&got, &issuer.rr[0]));
	tlsa_set_free(&got);

	/* A slot with nothing deployed needs nothing; a chain no record
	 * matches gives none (publish_safe refuses that RRset). */
	v.slots[1].deployed_ok = 0;
	tlsa_set_del(&want, &issuer.rr[0]);
	tlsa_set_del(&want, &leaf.rr[0]);
	view_served_records(&v, &want, &got);
	T_INT((long long)got.n, 0);
	tlsa_set_free(&got);

	for (i = 0; i < v.nslots; i++)
		if (v.slots[i].deployed_chain != NULL)
			sk_X509_pop_free(v.slots[i].deployed_chain, X509_free);
	tlsa_set_free(&want);
	tlsa_set_free(&leaf);
	tlsa_set_free(&leaf2);
	tlsa_set_free(&next);
	tlsa_set_free(&issuer);
}

static const struct t_case cases[] = {
	{ "future_rrset", test_future_rrset },
	{ "what is re-dated to now", test_redate_at },
	{ "served_records", test_served_records },
};

T_MAIN(cases)
