/*
 * doctor_net - doctor's network half. See include/doctor_net.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsq.h"
#include "doctor_net.h"
#include "log.h"
#include "observe.h"
#include "util.h"

#define DOC_RESOLVE_TIMEOUT	3	/* seconds a try, as check uses */

/* The answer of q; -1 if there is none or it does not parse. */
static int
answer_parse(const struct dnsq *q, ldns_pkt **pkt)
{
	*pkt = NULL;
	if (q->err != 0 ||
	    ldns_wire2pkt(pkt, q->wire, q->wirelen) != LDNS_STATUS_OK)
		return -1;
	return 0;
}

static int
count_type(const ldns_pkt *p, ldns_rr_type t)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	size_t i;
	int n = 0;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(an, i)) == t)
			n++;
	return n;
}

/* One address's SOA answer into s (err, rcode, AA, serial, RRSIG). */
static void
server_facts(const struct observe_zone *z, const struct dnsq *q,
    struct doctor_net_server *s)
{
	ldns_pkt *pkt;
	int64_t neg;

	if (q->err != 0) {
		s->err = q->err;
		return;
	}
	if (answer_parse(q, &pkt) != 0) {
		s->err = EPROTO;
		return;
	}
	s->rcode = (int)ldns_pkt_get_rcode(pkt);
	s->aa = ldns_pkt_aa(pkt);
	s->has_soa = observe_soa(q->wire, q->wirelen, z->zone, &s->serial,
	    &neg, &s->soa_signed) == 0 && count_type(pkt, LDNS_RR_TYPE_SOA);
	ldns_pkt_free(pkt);
}

/* Every authoritative address: SOA and DNSKEY at the apex, RD clear. */
static void
ask_servers(const struct observe_zone *z, struct doctor_net_zone *out)
{
	struct dnsq *q = xcalloc(2 * (z->naddrs + 1), sizeof(*q));
	size_t i, nq = 0, *at = xcalloc(z->naddrs + 1, sizeof(*at));

	for (i = 0; i < z->naddrs; i++) {
		at[i] = nq;
		if (z->salens[i] == 0)
			continue;
		dnsq_query_init(&q[nq++], &z->sas[i], z->salens[i], z->zone,
		    LDNS_RR_TYPE_SOA, 0);
		dnsq_query_init(&q[nq++], &z->sas[i], z->salens[i], z->zone,
		    LDNS_RR_TYPE_DNSKEY, 0);
	}
	dnsq_run(q, nq, NULL);
	for (i = 0; i < nq; i += 2) {
		ldns_pkt *pkt;

		if (answer_parse(&q[i + 1], &pkt) != 0)
			continue;
		if (ldns_pkt_aa(pkt) && count_type(pkt, LDNS_RR_TYPE_DNSKEY))
			out->zone_signed = 1;
		ldns_pkt_free(pkt);
	}
	out->servers = xcalloc(z->naddrs + 1, sizeof(*out->servers));
	out->nservers = (int)z->naddrs;
	for (i = 0; i < z->naddrs; i++) {
		struct doctor_net_server *s = &out->servers[i];

		snprintf(s->addr, sizeof(s->addr), "%s", z->addrs[i].sv.addr);
		snprintf(s->ns, sizeof(s->ns), "%s", z->addrs[i].sv.ns);
		if (z->salens[i] == 0)
			s->no_address = 1;
		else
			server_facts(z, &q[at[i]], s);
	}
	dnsq_free(q, nq);
	free(q);
	free(at);
}

/* The resolver's answer for the zone's SOA, with RD, AD and DO. */
static void
ask_resolver(const struct observe_zone *z, struct doctor_net_zone *out)
{
	struct dnsq q;
	ldns_pkt *pkt;

	snprintf(out->resolver, sizeof(out->resolver), "%s", z->resolver);
	dnsq_query_init(&q, &z->res, z->reslen, z->zone, LDNS_RR_TYPE_SOA, 1);
	q.ad = 1;	/* ask for the resolver's verdict */
	dnsq_run(&q, 1, NULL);
	if (answer_parse(&q, &pkt) != 0)
		out->res_err = q.err != 0 ? q.err : EPROTO;
	else {
		out->res_rcode = (int)ldns_pkt_get_rcode(pkt);
		out->res_ra = ldns_pkt_ra(pkt);
		out->res_ad = ldns_pkt_ad(pkt);
		ldns_pkt_free(pkt);
	}
	dnsq_free(&q, 1);
}

/* 1 the first time memo meets zone, then 0. */
static int
memo_first(struct doctor_net_memo *memo, const char *zone)
{
	int i;

	for (i = 0; i < memo->n; i++)
		if (strcmp(memo->zones[i], zone) == 0)
			return 0;
	memo->zones = xrealloc(memo->zones, (size_t)(memo->n + 1) *
	    sizeof(*memo->zones));
	memo->zones[memo->n++] = xstrdup(zone);
	return 1;
}

enum outcome
doctor_net_zone(const struct conf *conf, const struct conf_host *h,
    const char *owner, struct doctor_net_memo *memo,
    struct doctor_net_zone *out)
{
	struct observe_zone z;
	enum outcome o;

	memset(out, 0, sizeof(*out));
	if ((o = observe_discover(conf, h, owner, &z)) != OUT_OK) {
		observe_zone_free(&z);
		return o;
	}
	snprintf(out->zone, sizeof(out->zone), "%s", z.zone);
	if (memo_first(memo, z.zone)) {
		out->examined = 1;
		ask_servers(&z, out);
		ask_resolver(&z, out);
	}
	observe_zone_free(&z);
	return OUT_OK;
}

void
doctor_net_zone_free(struct doctor_net_zone *z)
{
	free(z->servers);
	memset(z, 0, sizeof(*z));
}

void
doctor_net_memo_free(struct doctor_net_memo *memo)
{
	int i;

	for (i = 0; i < memo->n; i++)
		free(memo->zones[i]);
	free(memo->zones);
	memset(memo, 0, sizeof(*memo));
}

enum resolve_sec
doctor_net_tlsa(const struct conf *conf, struct doctor_net_res *r,
    const char *owner, struct resolve_tlsa *t)
{
	memset(t, 0, sizeof(*t));
	if (r->res == NULL && !r->failed &&
	    resolve_open(conf->resolver, DOC_RESOLVE_TIMEOUT, &r->res) !=
	    OUT_OK)
		r->failed = 1;
	if (r->res == NULL) {
		t->sec = RESOLVE_FAIL;
		snprintf(t->why, sizeof(t->why), "no resolver can be asked");
		return t->sec;
	}
	return resolve_tlsa(r->res, owner, t);
}

void
doctor_net_res_close(struct doctor_net_res *r)
{
	resolve_close(r->res);
	memset(r, 0, sizeof(*r));
}
