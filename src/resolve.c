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
 * The queries go through dnsq (dnsq.c), not ldns's resolver: ldns waits
 * for a TCP answer with a timeout per read, so a resolver trickling one
 * octet every few seconds would hold a run for hours; dnsq bounds the
 * whole exchange; resolvconf.c says which servers to ask (conf's
 * resolver, /etc/resolv.conf, or 127.0.0.1), ldns parses the answers.
 *
 * CNAMEs are followed inside the answer the recursive resolver returns
 * (it chases the chain itself); the AD bit covers the whole answer, chain
 * included.
 *
 * Prefetched questions (resolve_prefetch) are asked of the first
 * nameserver all at once, and their answers - or errors - kept: the
 * lookups that follow take them where they would have asked that server,
 * so what they conclude is what they would have concluded one by one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "dnsq.h"
#include "log.h"
#include "resolvconf.h"
#include "resolve.h"

/* The first nameserver's answer to one prefetched question. */
struct kept {
	char		 qname[256];	/* as ldns_rdf2str writes it */
	uint16_t	 qtype;
	uint8_t		*wire;		/* NULL: err says why */
	size_t		 wirelen;
	int		 err;
};

struct resolver {
	struct resolvconf	 rc;		/* the nameservers, in turn */
	struct dnsq_limits	 lim;
	char			 name[128];
	int			 local;
	struct kept		*kept;		/* sorted by kept_cmp */
	size_t			 nkept;
};

/* Questions of one prefetch on the wire at once: 128 at first, a burst
 * a resolver's socket buffer holds at the kernel's default size (a burst
 * of 512 to unbound lost some here, and each loss waits a whole try),
 * then one more per answer up to 512, half of the 1,024 descriptors a
 * service may open: a check of 200 names, 600 questions, takes 3 round
 * trips instead of 5. The resolvers' own limits are above that (unbound
 * 1,024 queries per thread, BIND 1,000 recursive clients; dnsmasq queues
 * past its 150 forwards). */
#define PREFETCH_INFLIGHT	128
#define PREFETCH_MAX_INFLIGHT	512

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

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

enum outcome
resolve_open(const char *spec, int timeout_secs, struct resolver **out)
{
	struct resolver *r = xcalloc(1, sizeof(*r));
	enum outcome o = OUT_TEMPFAIL;
	int i, ms = (timeout_secs > 0 && timeout_secs < 600 ?
	    timeout_secs : 5) * 1000;

	*out = NULL;
	if (resolvconf_load(spec, RESOLVCONF_PATH, &r->rc) != 0) {
		log_err("resolver \"%s\": not an address or address#port",
		    spec);
		goto done;
	}
	r->local = 1;
	for (i = 0; i < r->rc.n; i++)
		if (!is_loopback(&r->rc.addr[i]))
			r->local = 0;
	snprintf(r->name, sizeof(r->name), "%s", spec != NULL ? spec :
	    r->rc.fallback ? "127.0.0.1 (no nameserver in " RESOLVCONF_PATH
	    ")" : RESOLVCONF_PATH);
	/* Two UDP tries per server, and a whole TCP exchange (after a
	 * truncated answer) in as long as one try. */
	r->lim.inflight = 1;
	r->lim.try_ms = ms;
	r->lim.udp_tries = 2;
	r->lim.tcp_ms = ms;
	*out = r;
	r = NULL;
	o = OUT_OK;
done:
	free(r);
	return o;
}

void
resolve_close(struct resolver *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nkept; i++)
		free(r->kept[i].wire);
	free(r->kept);
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

static int
kept_cmp(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	if (x->qtype != y->qtype)
		return x->qtype < y->qtype ? -1 : 1;
	return strcasecmp(x->qname, y->qname);
}

/* The kept answer (or error) to q's question, copied into q: 1, or 0 if
 * that question was not prefetched. */
static int
take_kept(const struct resolver *r, struct dnsq *q)
{
	struct kept key, *k;

	if (r->nkept == 0)
		return 0;
	memcpy(key.qname, q->qname, sizeof(key.qname));
	key.qtype = q->qtype;
	if ((k = bsearch(&key, r->kept, r->nkept, sizeof(*k),
	    kept_cmp)) == NULL)
		return 0;
	q->err = k->err;
	if (k->wire != NULL) {
		q->wire = xmalloc(k->wirelen);
		memcpy(q->wire, k->wire, k->wirelen);
		q->wirelen = k->wirelen;
	}
	return 1;
}

static int
local_shortage(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM;
}

void
resolve_prefetch(struct resolver *r, const struct resolve_question *qs,
    size_t n)
{
	struct dnsq_limits lim = r->lim;
	struct dnsq *q;
	size_t i, m = 0;

	if (n == 0)
		return;
	q = xcalloc(n, sizeof(*q));
	for (i = 0; i < n; i++) {
		ldns_rdf *d = make_dname(qs[i].name);
		char *text = d != NULL ? ldns_rdf2str(d) : NULL;

		if (text != NULL && strlen(text) < sizeof(q[m].qname)) {
			dnsq_query_init(&q[m], &r->rc.addr[0], r->rc.len[0],
			    text, qs[i].type, 1);
			q[m++].ad = 1;
		}
		free(text);
		ldns_rdf_deep_free(d);
	}
	lim.inflight = PREFETCH_INFLIGHT;
	lim.max_inflight = PREFETCH_MAX_INFLIGHT;
	dnsq_run(q, m, &lim);
	r->kept = xrealloc(r->kept, (r->nkept + m) * sizeof(*r->kept));
	for (i = 0; i < m; i++) {
		struct kept *k;

		/* Out of descriptors or buffers here says nothing of the
		 * resolver: that question is asked again on its own. */
		if (local_shortage(q[i].err))
			continue;
		k = &r->kept[r->nkept++];
		memcpy(k->qname, q[i].qname, sizeof(k->qname));
		k->qtype = q[i].qtype;
		k->wire = q[i].wire;
		k->wirelen = q[i].wirelen;
		k->err = q[i].err;
		q[i].wire = NULL;
	}
	qsort(r->kept, r->nkept, sizeof(*r->kept), kept_cmp);
	dnsq_free(q, m);
	free(q);
}

/*
 * One query to the resolver's servers in turn until one answers, with DO
 * and AD, or CD instead when cd is set; *p is the parsed answer. 0, or -1
 * with why set.
 */
static int
ask(struct resolver *r, const ldns_rdf *dname, ldns_rr_type type, int cd,
    ldns_pkt **p, char *why, size_t whylen)
{
	struct dnsq q;
	char *name = ldns_rdf2str(dname), server[80];
	int i, rc = -1;

	*p = NULL;
	memset(&q, 0, sizeof(q));
	if (name == NULL || strlen(name) >= sizeof(q.qname)) {
		snprintf(why, whylen, "bad query name");
		goto done;
	}
	for (i = 0; i < r->rc.n && rc != 0; i++) {
		dnsq_free(&q, 1);
		memset(&q, 0, sizeof(q));
		q.addr = r->rc.addr[i];
		q.addrlen = r->rc.len[i];
		memcpy(q.qname, name, strlen(name) + 1);
		q.qtype = (uint16_t)type;
		q.rd = 1;
		q.ad = !cd;
		q.cd = cd;
		if (i > 0 || cd || !take_kept(r, &q))
			dnsq_run(&q, 1, &r->lim);
		dnsq_addr_str((struct sockaddr *)&r->rc.addr[i], server,
		    sizeof(server));
		if (q.err == ETIME) {
			snprintf(why, whylen, "no answer from %s: the answer "
			    "over TCP was not complete within %d s (a stalled "
			    "or trickling server)", server,
			    r->lim.tcp_ms / 1000);
			continue;
		}
		if (q.err != 0) {
			snprintf(why, whylen, "no answer from %s: %s", server,
			    dnsq_strerror(q.err));
			continue;
		}
		if (ldns_wire2pkt(p, q.wire, q.wirelen) != LDNS_STATUS_OK) {
			snprintf(why, whylen, "malformed answer from %s",
			    server);
			*p = NULL;
			continue;
		}
		rc = 0;
	}
done:
	dnsq_free(&q, 1);
	free(name);
	return rc;
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
	char cdwhy[256];	/* the first failure is the one told */

	*pkt = NULL;
	if (ask(r, dname, type, 0, &p, why, whylen) != 0)
		goto done;
	rc = ldns_pkt_get_rcode(p);
	if (!ldns_pkt_ra(p) && !ldns_pkt_aa(p)) {
		/* A referral: an authoritative server for another zone. */
		snprintf(why, whylen, "%s gave a referral, not an answer "
		    "(neither RA nor AA set): resolver must be a recursive, "
		    "validating resolver", r->name);
		goto done;
	}
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
	if (ask(r, dname, type, 1, &cd, cdwhy, sizeof(cdwhy)) == 0 &&
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
		if (a->naddr >= RESOLVE_ADDRS_MAX) {
			a->too_many = 1;
			return;
		}
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
	if (a->too_many) {
		/* Some addresses checked is no verdict on the host. */
		a->sec = RESOLVE_FAIL;
		a->naddr = 0;
		snprintf(a->why, sizeof(a->why), "%s has more than %d A and "
		    "AAAA records, the most daneroll checks", name,
		    RESOLVE_ADDRS_MAX);
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
