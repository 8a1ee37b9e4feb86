/*
 * resolve - A, AAAA and TLSA lookups through one validating resolver, with
 * the AD bit as the DNSSEC status. See include/resolve.h for the trust
 * model.
 *
 * A SERVFAIL is asked again with CD (checking disabled): a validating
 * resolver that then answers has the data but could not validate it
 * (bogus), one that fails again could not get the data at all. That second
 * query is what keeps a broken signature apart from an unreachable
 * authoritative server, which no rcode says by itself.
 *
 * CNAMEs are followed inside the answer the recursive resolver returns
 * (it chases the chain itself); the AD bit covers the whole answer, chain
 * included.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "log.h"
#include "resolve.h"

struct resolver {
	ldns_resolver	*res;
	char		 name[128];
	int		 local;
};

const char *
resolve_sec_str(enum resolve_sec s)
{
	switch (s) {
	case RESOLVE_SECURE:	return "secure";
	case RESOLVE_INSECURE:	return "insecure";
	case RESOLVE_BOGUS:	return "bogus";
	case RESOLVE_FAIL:	return "failed";
	}
	return "unknown";
}

enum resolve_sec
resolve_sec_worst(enum resolve_sec a, enum resolve_sec b)
{
	static const int rank[] = { 0, 1, 3, 2 };	/* by enum value */

	return rank[a] >= rank[b] ? a : b;
}

/* Is an A/AAAA rdf a loopback address? */
static int
rdf_is_loopback(const ldns_rdf *rd)
{
	static const unsigned char v6lo[16] = { [15] = 1 };
	const uint8_t *d = ldns_rdf_data(rd);

	if (ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_A &&
	    ldns_rdf_size(rd) == 4)
		return d[0] == 127;
	if (ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_AAAA &&
	    ldns_rdf_size(rd) == 16)
		return memcmp(d, v6lo, 16) == 0;
	return 0;
}

/* Parses "addr" or "addr#port" into a nameserver rdf and a port. */
static ldns_rdf *
parse_spec(const char *spec, uint16_t *port)
{
	char host[RESOLVE_ADDR_MAX];
	unsigned char bin[16];
	const char *hash = strchr(spec, '#');
	size_t hlen = hash != NULL ? (size_t)(hash - spec) : strlen(spec);
	char *end;
	long p = 53;

	if (hlen == 0 || hlen >= sizeof(host))
		return NULL;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (hash != NULL) {
		p = strtol(hash + 1, &end, 10);
		if (*end != '\0' || end == hash + 1 || p < 1 || p > 65535)
			return NULL;
	}
	*port = (uint16_t)p;
	if (inet_pton(AF_INET, host, bin) == 1)
		return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, bin);
	if (inet_pton(AF_INET6, host, bin) == 1)
		return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, bin);
	return NULL;
}

enum outcome
resolve_open(const char *spec, int timeout_secs, struct resolver **out)
{
	struct resolver *r = NULL;
	ldns_resolver *res = NULL;
	ldns_rdf *ns = NULL, **nss;
	struct timeval tv;
	enum outcome o = OUT_TEMPFAIL;
	uint16_t port = 53;
	ldns_status st;
	size_t i, n;

	*out = NULL;
	if (spec == NULL) {
		if ((st = ldns_resolver_new_frm_file(&res, NULL)) !=
		    LDNS_STATUS_OK) {
			log_err("cannot use /etc/resolv.conf: %s",
			    ldns_get_errorstr_by_id(st));
			goto done;
		}
	} else {
		if ((ns = parse_spec(spec, &port)) == NULL) {
			log_err("resolver \"%s\": not an address or "
			    "address#port", spec);
			goto done;
		}
		res = ldns_resolver_new();
		if (ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
			log_err("resolver \"%s\": cannot be used", spec);
			goto done;
		}
		ldns_resolver_set_port(res, port);
	}
	if ((n = ldns_resolver_nameserver_count(res)) == 0) {
		log_err("no nameserver in %s", spec != NULL ? spec :
		    "/etc/resolv.conf");
		goto done;
	}
	r = xcalloc(1, sizeof(*r));
	nss = ldns_resolver_nameservers(res);
	r->local = 1;
	for (i = 0; i < n; i++)
		if (!rdf_is_loopback(nss[i]))
			r->local = 0;
	snprintf(r->name, sizeof(r->name), "%s", spec != NULL ? spec :
	    "/etc/resolv.conf");
	ldns_resolver_set_recursive(res, true);
	ldns_resolver_set_dnssec(res, true);		/* DO */
	ldns_resolver_set_edns_udp_size(res, 1232);
	ldns_resolver_set_defnames(res, false);
	ldns_resolver_set_dnsrch(res, false);
	ldns_resolver_set_retry(res, 2);
	ldns_resolver_set_fallback(res, true);		/* TC: retry on TCP */
	tv.tv_sec = timeout_secs > 0 ? timeout_secs : 5;
	tv.tv_usec = 0;
	ldns_resolver_set_timeout(res, tv);
	r->res = res;
	res = NULL;
	*out = r;
	r = NULL;
	o = OUT_OK;
done:
	ldns_rdf_deep_free(ns);
	if (res != NULL)
		ldns_resolver_deep_free(res);
	free(r);
	return o;
}

void
resolve_close(struct resolver *r)
{
	if (r == NULL)
		return;
	ldns_resolver_deep_free(r->res);
	free(r);
}

const char *
resolve_name(const struct resolver *r)
{
	return r->name;
}

int
resolve_is_local(const struct resolver *r)
{
	return r->local;
}

/* "name." for ldns; caller frees with ldns_rdf_deep_free. */
static ldns_rdf *
make_dname(const char *name)
{
	char fq[300];
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(fq) - 2)
		return NULL;
	snprintf(fq, sizeof(fq), "%s%s", name, name[n - 1] == '.' ? "" : ".");
	return ldns_dname_new_frm_str(fq);
}

/* A dname as text without the trailing dot, lower case; caller frees. */
static char *
dname_text(const ldns_rdf *d)
{
	char *s = ldns_rdf2str(d), *p;
	size_t n;

	if (s == NULL)
		return xstrdup("");
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	for (p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	p = xstrdup(s);
	free(s);
	return p;
}

/*
 * One query with AD and DO. *pkt is set (caller frees) when the resolver
 * answered NOERROR or NXDOMAIN, whatever the status.
 */
static enum resolve_sec
query(struct resolver *r, const ldns_rdf *dname, ldns_rr_type type,
    ldns_pkt **pkt, char *why, size_t whylen)
{
	ldns_pkt *p = NULL, *cd = NULL;
	ldns_pkt_rcode rc;
	enum resolve_sec sec = RESOLVE_FAIL;
	ldns_status st;

	*pkt = NULL;
	st = ldns_resolver_send(&p, r->res, dname, type, LDNS_RR_CLASS_IN,
	    LDNS_RD | LDNS_AD);
	if (st != LDNS_STATUS_OK || p == NULL) {
		snprintf(why, whylen, "no answer from %s: %s", r->name,
		    ldns_get_errorstr_by_id(st));
		goto done;
	}
	rc = ldns_pkt_get_rcode(p);
	if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN) {
		sec = ldns_pkt_ad(p) ? RESOLVE_SECURE : RESOLVE_INSECURE;
		*pkt = p;
		p = NULL;
		goto done;
	}
	if (rc != LDNS_RCODE_SERVFAIL) {
		snprintf(why, whylen, "%s answered rcode %d", r->name, (int)rc);
		goto done;
	}
	st = ldns_resolver_send(&cd, r->res, dname, type, LDNS_RR_CLASS_IN,
	    LDNS_RD | LDNS_CD);
	if (st == LDNS_STATUS_OK && cd != NULL &&
	    (ldns_pkt_get_rcode(cd) == LDNS_RCODE_NOERROR ||
	    ldns_pkt_get_rcode(cd) == LDNS_RCODE_NXDOMAIN)) {
		snprintf(why, whylen, "DNSSEC validation failed at %s "
		    "(answered only with checking disabled)", r->name);
		sec = RESOLVE_BOGUS;
	} else
		snprintf(why, whylen, "%s answered SERVFAIL", r->name);
done:
	ldns_pkt_free(p);
	ldns_pkt_free(cd);
	return sec;
}

/* Follows CNAMEs from qname inside the answer; returns the final owner
 * (borrowed from the answer, or qname itself). */
static const ldns_rdf *
follow_cnames(const ldns_rr_list *ans, const ldns_rdf *qname)
{
	const ldns_rdf *cur = qname;
	ldns_rr *rr;
	size_t i;
	int hops, moved;

	for (hops = 0; hops < RESOLVE_CHAIN_MAX; hops++) {
		moved = 0;
		for (i = 0; i < ldns_rr_list_rr_count(ans); i++) {
			rr = ldns_rr_list_rr(ans, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_rd_count(rr) > 0 &&
			    ldns_dname_compare(ldns_rr_owner(rr), cur) == 0) {
				cur = ldns_rr_rdf(rr, 0);
				moved = 1;
				break;
			}
		}
		if (!moved)
			break;
	}
	return cur;
}

static void
collect_addrs(const ldns_pkt *p, const ldns_rdf *qname, int family,
    struct resolve_addrs *a)
{
	const ldns_rr_list *ans = ldns_pkt_answer(p);
	const ldns_rdf *owner = follow_cnames(ans, qname);
	ldns_rr_type want = family == AF_INET ? LDNS_RR_TYPE_A :
	    LDNS_RR_TYPE_AAAA;
	ldns_rr *rr;
	size_t i;

	if (owner != qname && a->expanded == NULL)
		a->expanded = dname_text(owner);
	for (i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) != want || ldns_rr_rd_count(rr) < 1 ||
		    ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		a->addr = xrealloc(a->addr, (size_t)(a->naddr + 1) *
		    sizeof(*a->addr));
		a->addr[a->naddr].family = family;
		if (inet_ntop(family, ldns_rdf_data(ldns_rr_rdf(rr, 0)),
		    a->addr[a->naddr].text, RESOLVE_ADDR_MAX) == NULL)
			continue;
		a->naddr++;
	}
}

void
resolve_addrs_free(struct resolve_addrs *a)
{
	free(a->expanded);
	free(a->addr);
	memset(a, 0, sizeof(*a));
}

enum resolve_sec
resolve_addrs(struct resolver *r, const char *name, struct resolve_addrs *a)
{
	static const int families[2] = { AF_INET, AF_INET6 };
	ldns_rdf *qname = NULL;
	ldns_pkt *p = NULL;
	enum resolve_sec sec;
	char why[sizeof(a->why)];
	int i;

	memset(a, 0, sizeof(*a));
	a->sec = RESOLVE_SECURE;
	if ((qname = make_dname(name)) == NULL) {
		a->sec = RESOLVE_FAIL;
		snprintf(a->why, sizeof(a->why), "bad name \"%s\"", name);
		goto done;
	}
	for (i = 0; i < 2; i++) {
		why[0] = '\0';
		sec = query(r, qname, families[i] == AF_INET ?
		    LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA, &p, why, sizeof(why));
		if (why[0] != '\0' && a->why[0] == '\0')
			snprintf(a->why, sizeof(a->why), "%s", why);
		a->sec = resolve_sec_worst(a->sec, sec);
		if (p == NULL)
			continue;
		if (ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN)
			a->nxdomain = 1;
		collect_addrs(p, qname, families[i], a);
		ldns_pkt_free(p);
		p = NULL;
	}
done:
	ldns_rdf_deep_free(qname);
	return a->sec;
}

void
resolve_tlsa_free(struct resolve_tlsa *t)
{
	free(t->expanded);
	tlsa_set_free(&t->set);
	memset(t, 0, sizeof(*t));
}

/* One TLSA rr into the set; records with too few fields are skipped. */
static void
add_tlsa(const ldns_rr *rr, struct tlsa_set *set)
{
	struct tlsa_rr t;
	ldns_rdf *d;

	if (ldns_rr_rd_count(rr) < 4)
		return;
	t.usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
	t.selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	t.mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
	d = ldns_rr_rdf(rr, 3);
	t.len = ldns_rdf_size(d);
	t.data = ldns_rdf_data(d);
	tlsa_set_add(set, &t);		/* copies the data */
}

enum resolve_sec
resolve_tlsa(struct resolver *r, const char *owner, struct resolve_tlsa *t)
{
	const ldns_rr_list *ans;
	const ldns_rdf *final;
	ldns_rdf *qname = NULL;
	ldns_pkt *p = NULL;
	ldns_rr *rr;
	time_t exp;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->orig_ttl = -1;
	if ((qname = make_dname(owner)) == NULL) {
		t->sec = RESOLVE_FAIL;
		snprintf(t->why, sizeof(t->why), "bad name \"%s\"", owner);
		goto done;
	}
	t->sec = query(r, qname, LDNS_RR_TYPE_TLSA, &p, t->why,
	    sizeof(t->why));
	if (p == NULL)
		goto done;
	t->nxdomain = ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN;
	ans = ldns_pkt_answer(p);
	final = follow_cnames(ans, qname);
	if (final != qname)
		t->expanded = dname_text(final);
	for (i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		rr = ldns_rr_list_rr(ans, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), final) != 0)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TLSA) {
			add_tlsa(rr, &t->set);
			if (t->ttl == 0 || (int64_t)ldns_rr_ttl(rr) < t->ttl)
				t->ttl = (int64_t)ldns_rr_ttl(rr);
		} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rr_rd_count(rr) >= 5 &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) ==
		    LDNS_RR_TYPE_TLSA) {
			t->nsigs++;
			t->orig_ttl = (int64_t)ldns_rdf2native_int32(
			    ldns_rr_rrsig_origttl(rr));
			exp = ldns_rdf2native_time_t(
			    ldns_rr_rrsig_expiration(rr));
			if (t->sig_expires == 0 || exp < t->sig_expires)
				t->sig_expires = exp;
		}
	}
	t->exists = t->set.n > 0;
done:
	ldns_pkt_free(p);
	ldns_rdf_deep_free(qname);
	return t->sec;
}
