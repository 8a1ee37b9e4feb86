/*
 * observe - the propagation observer over real DNS. See include/observe.h
 * for the contract.
 *
 * Discovery goes through the resolver in two rounds: the zone cut (SOA
 * at the owner) together with NS and DNSKEY at the owner and each of its
 * ancestors, one of which is the apex; then every NS name's A and AAAA
 * together. (A zone cut found only by walking up, or NS answers that did
 * not come, costs a round more: NS and DNSKEY asked again.) The
 * observation proper asks every authoritative address for TLSA at the
 * owner and SOA at the apex, all in one round (dnsq.c). Whatever a server
 * says, or fails to say, it is named in the report: an address is never
 * left out because it was silent.
 *
 * Guesses save a round: addresses for the NS names in the NS answer's
 * additional section (BIND's answers carry them; unbound's, minimal by
 * default, do not), the addresses the lookups gave the zone the last time
 * this process observed it, and the extra servers are asked the
 * observation's questions beside the A and AAAA lookups. Which addresses
 * count is still decided by the lookups alone; a guessed answer stands
 * for an address only if it came from exactly that address, and every
 * other address is asked afterwards, as without the guess.
 *
 * Whether the zone is signed is a property of the zone, not of one
 * server: it is signed if the resolver finds a DNSKEY RRset at the apex
 * or any address signs its SOA. A server that then serves the wanted
 * RRset without an RRSIG is UNSIGNED, not a match, since validating
 * resolvers asking it would get a bogus answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "backend.h"
#include "conf.h"
#include "dnsq.h"
#include "log.h"
#include "observe.h"
#include "resolvconf.h"
#include "tlsa.h"
#include "util.h"

#define OBS_MAX_LABELS		128
/*
 * A zone with more nameservers or addresses than these is not observed
 * (TEMPFAIL, nothing advances): each costs queries, and an NS RRset of
 * thousands of silent names would hold every run for many minutes. Real
 * zones have a handful (a referral must fit in a UDP answer).
 */
#define OBS_MAX_NS		32	/* NS names of a zone */
#define OBS_PRE_NAMES		8	/* candidate apexes asked at once */
#define OBS_MAX_ADDRS		64	/* addresses, extra servers included */

/* The work of one observe() call. */
struct obs_ctx {
	const struct conf	*conf;
	const char		*hname;		/* host name, for the log */
	const char		*owner;
	struct resolvconf	 rc;		/* the resolvers to ask */
	char			 resname[80];	/* the resolver that answered */
	int			 unfit;		/* it offers no recursion */
	char			 zone[LDNS_MAX_DOMAINLEN + 2];
	int			 zone_signed;
	struct observe_addr	*addrs;
	struct sockaddr_storage	*sas;		/* beside addrs; family 0: none */
	socklen_t		*salens;
	size_t			 naddrs, cap;
	/* NS and DNSKEY at the owner and its ancestors, asked beside the
	 * first SOA query: the apex's are among them. */
	struct dnsq		 pre[2 * OBS_PRE_NAMES];
	size_t			 npre;
	/* Addresses from the NS answer's additional section, asked TLSA
	 * and SOA beside the address lookups (only when guess is set). */
	int			 guess;
	struct obs_guess	*guesses;
	size_t			 nguesses;
};

/* One guessed address and its two answers: TLSA at the owner, SOA. */
struct obs_guess {
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	struct dnsq		 q[2];
};

void
observe_addr_free(struct observe_addr *a)
{
	tlsa_set_free(&a->served);
}

/* ---------------------------------------------------------------- pure */

/* A TLSA record's RDATA as a struct tlsa_rr; 0 or -1 if malformed. */
static int
rr_to_tlsa(const ldns_rr *rr, struct tlsa_rr *out)
{
	const ldns_rdf *f[4];
	size_t i;

	if (ldns_rr_rd_count(rr) != 4)
		return -1;
	for (i = 0; i < 4; i++)
		if ((f[i] = ldns_rr_rdf(rr, i)) == NULL)
			return -1;
	for (i = 0; i < 3; i++)
		if (ldns_rdf_size(f[i]) != 1)
			return -1;
	out->usage = ldns_rdf_data(f[0])[0];
	out->selector = ldns_rdf_data(f[1])[0];
	out->mtype = ldns_rdf_data(f[2])[0];
	out->len = ldns_rdf_size(f[3]);
	out->data = xmalloc(out->len ? out->len : 1);
	memcpy(out->data, ldns_rdf_data(f[3]), out->len);
	return 0;
}

/* Is there an RRSIG over type at name in list? */
static int
has_rrsig(const ldns_rr_list *list, const ldns_rdf *name, ldns_rr_type type)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		const ldns_rdf *tc;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		tc = ldns_rr_rrsig_typecovered(rr);
		if (tc != NULL && ldns_rdf2rr_type(tc) == type)
			return 1;
	}
	return 0;
}

/* Is the answer's header one to read on: NOERROR or NXDOMAIN, whole,
 * authoritative? 0 if so; -1 with a's result and note saying why not. */
static int
header_unusable(const ldns_pkt *pkt, struct observe_addr *a)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);

	if (rc == LDNS_RCODE_REFUSED) {
		a->sv.result = OBS_REFUSED;
		snprintf(a->note, sizeof(a->note), "REFUSED: not "
		    "configured for the zone, or refuses us");
		return -1;
	}
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		snprintf(a->note, sizeof(a->note), "answered %s%s",
		    dnsq_rcode_str(rc), rc == LDNS_RCODE_SERVFAIL ?
		    " (zone not loaded or expired?)" : "");
		return -1;
	}
	if (ldns_pkt_tc(pkt)) {
		snprintf(a->note, sizeof(a->note), "truncated answer");
		return -1;
	}
	if (!ldns_pkt_aa(pkt)) {
		snprintf(a->note, sizeof(a->note), "%s", ldns_pkt_ancount(pkt)
		    == 0 && ldns_pkt_nscount(pkt) > 0 ? "referral: does "
		    "not serve the zone" : "AA bit clear: not authoritative");
		return -1;
	}
	return 0;
}

/* The TLSA records at name in the answer section into a->served, their
 * lowest TTL into a->ttl; *cname if a CNAME is there. -1 (a no longer
 * answered, noted) on a malformed TLSA record. */
static int
collect_tlsa(const ldns_rr_list *ans, const ldns_rdf *name,
    struct observe_addr *a, int *cname)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		struct tlsa_rr t;

		if (ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME)
			*cname = 1;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TLSA)
			continue;
		if (rr_to_tlsa(rr, &t) != 0) {
			a->answered = 0;
			snprintf(a->note, sizeof(a->note), "malformed TLSA "
			    "record");
			return -1;
		}
		tlsa_set_add(&a->served, &t);
		tlsa_rr_free(&t);
		if (a->ttl == 0 || (int64_t)ldns_rr_ttl(rr) < a->ttl)
			a->ttl = ldns_rr_ttl(rr);
	}
	return 0;
}

enum obs_result
observe_classify(const uint8_t *wire, size_t len, const char *owner,
    const struct tlsa_set *want, int zone_signed, struct observe_addr *a)
{
	ldns_pkt *pkt = NULL;
	ldns_rdf *name = NULL;
	ldns_rr_list *ans;
	size_t i, nwanted = 0;
	int cname = 0, signed_rrset;

	a->answered = 0;
	a->ttl = 0;
	a->note[0] = '\0';
	tlsa_set_free(&a->served);
	a->sv.result = OBS_LAME;
	if ((name = ldns_dname_new_frm_str(owner)) == NULL) {
		snprintf(a->note, sizeof(a->note), "bad owner name");
		goto done;
	}
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK) {
		snprintf(a->note, sizeof(a->note), "malformed answer");
		goto done;
	}
	if (header_unusable(pkt, a) != 0)
		goto done;
	a->answered = 1;
	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN) {
		a->sv.result = want->n == 0 ? OBS_MATCH : OBS_MISSING;
		snprintf(a->note, sizeof(a->note), "NXDOMAIN");
		goto done;
	}
	ans = ldns_pkt_answer(pkt);
	if (collect_tlsa(ans, name, a, &cname) != 0)
		goto done;
	if (a->served.n == 0 && cname) {
		/* A CNAME at the owner hides whatever we publish there. */
		a->sv.result = OBS_STALE;
		snprintf(a->note, sizeof(a->note), "the owner is a CNAME");
		goto done;
	}
	if (a->served.n == 0) {
		a->sv.result = want->n == 0 ? OBS_MATCH : OBS_MISSING;
		snprintf(a->note, sizeof(a->note), "NODATA: no TLSA RRset");
		goto done;
	}
	if (!tlsa_set_equal(&a->served, want)) {
		for (i = 0; i < want->n; i++)
			if (tlsa_set_has(&a->served, &want->rr[i]))
				nwanted++;
		a->sv.result = OBS_STALE;
		snprintf(a->note, sizeof(a->note), "serves %zu record%s, "
		    "%zu of the %zu wanted", a->served.n,
		    a->served.n == 1 ? "" : "s", nwanted, want->n);
		goto done;
	}
	signed_rrset = has_rrsig(ans, name, LDNS_RR_TYPE_TLSA);
	if (zone_signed && !signed_rrset) {
		a->sv.result = OBS_UNSIGNED;
		snprintf(a->note, sizeof(a->note), "the wanted RRset, but no "
		    "RRSIG over it in a signed zone");
		goto done;
	}
	a->sv.result = OBS_MATCH;
	snprintf(a->note, sizeof(a->note), "the wanted RRset%s",
	    signed_rrset ? ", signed" : "");
done:
	if (pkt != NULL)
		ldns_pkt_free(pkt);
	if (name != NULL)
		ldns_rdf_deep_free(name);
	return a->sv.result;
}

/* The SOA at zone in one section, and whether an RRSIG covers it. */
static const ldns_rr *
find_soa(const ldns_rr_list *list, const ldns_rdf *zone)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) == 7 &&
		    ldns_dname_compare(ldns_rr_owner(rr), zone) == 0)
			return rr;
	}
	return NULL;
}

int
observe_soa(const uint8_t *wire, size_t len, const char *zone,
    uint32_t *serial, int64_t *neg_ttl, int *is_signed)
{
	ldns_pkt *pkt = NULL;
	ldns_rdf *name = NULL;
	const ldns_rr_list *sec = NULL;
	const ldns_rr *soa = NULL;
	int64_t minimum;
	int r = -1;

	if ((name = ldns_dname_new_frm_str(zone)) == NULL ||
	    ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		goto done;
	sec = ldns_pkt_answer(pkt);
	if ((soa = find_soa(sec, name)) == NULL) {
		sec = ldns_pkt_authority(pkt);
		soa = find_soa(sec, name);
	}
	if (soa == NULL)
		goto done;
	*serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
	minimum = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
	*neg_ttl = (int64_t)ldns_rr_ttl(soa) < minimum ?
	    (int64_t)ldns_rr_ttl(soa) : minimum;
	*is_signed = has_rrsig(sec, name, LDNS_RR_TYPE_SOA);
	r = 0;
done:
	if (pkt != NULL)
		ldns_pkt_free(pkt);
	if (name != NULL)
		ldns_rdf_deep_free(name);
	return r;
}

int
observe_summarize(const struct observe_addr *a, size_t n, int ignore_v6,
    struct obs_report *rep)
{
	size_t i, j, best = n;
	int excused = 0, best_count = 0;
	int64_t best_ttl = 0;

	rep->servers = xcalloc(n ? n : 1, sizeof(*rep->servers));
	rep->nservers = (int)n;
	rep->all_match = n > 0;
	rep->any_tlsa = 0;
	rep->neg_ttl = 0;
	rep->served_ttl = 0;
	for (i = 0; i < n; i++) {
		rep->servers[i] = a[i].sv;
		if (a[i].sv.result != OBS_MATCH) {
			if (ignore_v6 && a[i].v6 &&
			    a[i].sv.result == OBS_UNREACHABLE)
				excused++;
			else
				rep->all_match = 0;
		}
		if (a[i].answered && a[i].served.n > 0)
			rep->any_tlsa = 1;
		if (a[i].neg_ttl > rep->neg_ttl)
			rep->neg_ttl = a[i].neg_ttl;
	}
	/* All excused is no proof at all. */
	if (excused == (int)n)
		rep->all_match = 0;
	for (i = 0; i < n; i++) {
		int count = 0;
		int64_t ttl = 0;

		if (!a[i].answered)
			continue;
		for (j = 0; j < n; j++) {
			if (!a[j].answered ||
			    !tlsa_set_equal(&a[i].served, &a[j].served))
				continue;
			count++;
			if (a[j].ttl > ttl)
				ttl = a[j].ttl;
		}
		if (best == n || count > best_count ||
		    (count == best_count && a[best].served.n == 0 &&
		    a[i].served.n > 0) ||
		    (count == best_count && (a[best].served.n > 0) ==
		    (a[i].served.n > 0) && ttl > best_ttl)) {
			best = i;
			best_count = count;
			best_ttl = ttl;
		}
	}
	if (best < n) {
		tlsa_set_copy(&rep->served, &a[best].served);
		rep->served_ttl = a[best].served.n > 0 ? best_ttl : 0;
	}
	return excused;
}

/* ------------------------------------------------------------- network */

/* The resolvers to ask: conf->resolver, or resolv.conf's (resolvconf.h). */
static int
load_resolvers(struct obs_ctx *c)
{
	if (resolvconf_load(c->conf->resolver, RESOLVCONF_PATH,
	    &c->rc) != 0) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "resolver %s: "
		    "not a numeric address", c->conf->resolver);
		return -1;
	}
	return 0;
}


/*
 * Parses a resolver's answer; NULL (logged) when it did not answer or
 * answered anything but NOERROR / NXDOMAIN.
 */
static ldns_pkt *
resolver_answer(struct obs_ctx *c, const struct dnsq *q, const char *what)
{
	ldns_pkt *pkt = NULL;

	if (q->err != 0) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "resolver %s: %s %s: %s",
		    c->resname, q->qname, what, dnsq_strerror(q->err));
		return NULL;
	}
	if (ldns_wire2pkt(&pkt, q->wire, q->wirelen) != LDNS_STATUS_OK) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "resolver %s: %s %s: "
		    "malformed answer", c->resname, q->qname, what);
		return NULL;
	}
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NXDOMAIN) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "resolver %s: %s %s: %s",
		    c->resname, q->qname, what,
		    dnsq_rcode_str(ldns_pkt_get_rcode(pkt)));
		ldns_pkt_free(pkt);
		return NULL;
	}
	/* A referral (neither recursion nor authority) means resolver is
	 * an authoritative server for some other zone: it would send the
	 * observer to the wrong zone's servers, to wait there for ever. */
	if (!ldns_pkt_ra(pkt) && !ldns_pkt_aa(pkt)) {
		c->unfit = 1;
		log_msg(LOG_LVL_ERR, c->hname, NULL, "resolver %s: %s %s: a "
		    "referral, not an answer (neither RA nor AA set): resolver "
		    "must be a recursive, validating resolver such as unbound",
		    c->resname, q->qname, what);
		ldns_pkt_free(pkt);
		return NULL;
	}
	return pkt;
}

/* The zone holding name, from the SOA in the answer or authority. */
static int
zone_of(const ldns_pkt *pkt, const ldns_rdf *name, char *zone, size_t len)
{
	const ldns_rr *soa = find_soa(ldns_pkt_answer(pkt), name);
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);
	size_t i;
	char *s;

	for (i = 0; soa == NULL && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);

		/* Only an ancestor's SOA: after a CNAME, the authority
		 * section speaks of the target's zone. */
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    (ldns_dname_compare(ldns_rr_owner(rr), name) == 0 ||
		    ldns_dname_is_subdomain(name, ldns_rr_owner(rr))))
			soa = rr;
	}
	if (soa == NULL || (s = ldns_rdf2str(ldns_rr_owner(soa))) == NULL)
		return -1;
	snprintf(zone, len, "%s", s);
	free(s);
	return 0;
}

/*
 * The SOA query q at the owner, and beside it NS and DNSKEY at the owner
 * and its ancestors (up to OBS_PRE_NAMES, the root left out), all of
 * resolver i at once: whichever name the SOA shows to be the apex, its
 * NS and DNSKEY answers are here already.
 */
static void
ask_with_apexes(struct obs_ctx *c, struct dnsq *q, const ldns_rdf *owner,
    int i)
{
	struct dnsq all[1 + 2 * OBS_PRE_NAMES];
	struct dnsq_limits lim = dnsq_default_limits;
	ldns_rdf *name = ldns_rdf_clone(owner), *up;
	size_t n = 0, k;

	dnsq_free(c->pre, c->npre);
	memset(c->pre, 0, sizeof(c->pre));
	c->npre = 0;
	while (name != NULL && ldns_dname_label_count(name) > 0 &&
	    n < 2 * OBS_PRE_NAMES) {
		char *t = ldns_rdf2str(name);

		if (t == NULL)
			break;
		dnsq_query_init(&c->pre[n++], &c->rc.addr[i], c->rc.len[i], t,
		    LDNS_RR_TYPE_NS, 1);
		dnsq_query_init(&c->pre[n++], &c->rc.addr[i], c->rc.len[i], t,
		    LDNS_RR_TYPE_DNSKEY, 1);
		free(t);
		up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	if (name != NULL)
		ldns_rdf_deep_free(name);
	all[0] = *q;
	for (k = 0; k < n; k++)
		all[1 + k] = c->pre[k];
	lim.inflight = (int)(1 + n);	/* one round trip */
	dnsq_run(all, 1 + n, &lim);
	*q = all[0];
	for (k = 0; k < n; k++)
		c->pre[k] = all[1 + k];
	c->npre = n;
}

/* Moves the prefetched answer to type at zone into q: 1, or 0 if there is
 * none (not asked, or not answered: ask again). */
static int
take_pre(struct obs_ctx *c, const char *zone, uint16_t type, struct dnsq *q)
{
	size_t i;

	for (i = 0; i < c->npre; i++)
		if (c->pre[i].qtype == type && c->pre[i].err == 0 &&
		    c->pre[i].wire != NULL &&
		    strcasecmp(c->pre[i].qname, zone) == 0 &&
		    c->pre[i].addr.ss_family == c->rc.addr[0].ss_family &&
		    memcmp(&c->pre[i].addr, &c->rc.addr[0],
		    c->rc.len[0]) == 0) {
			*q = c->pre[i];
			c->pre[i].wire = NULL;
			return 1;
		}
	return 0;
}

/*
 * Finds the zone cut of the owner: SOA queries walking up from the owner
 * until an answer names the zone. Also picks the first resolver that
 * answers for the rest of the run.
 */
static enum outcome
find_zone(struct obs_ctx *c)
{
	ldns_rdf *name = NULL, *up;
	ldns_pkt *pkt = NULL;
	struct dnsq q;
	enum outcome r = OUT_TEMPFAIL;
	char *s = NULL;
	int i, hop;

	memset(&q, 0, sizeof(q));
	if ((name = ldns_dname_new_frm_str(c->owner)) == NULL) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "%s: not a valid DNS "
		    "name", c->owner);
		r = OUT_PERMFAIL;
		goto done;
	}
	for (hop = 0; hop < OBS_MAX_LABELS; hop++) {
		free(s);
		s = ldns_rdf2str(name);
		for (i = 0; i < c->rc.n; i++) {
			dnsq_free(&q, 1);
			dnsq_query_init(&q, &c->rc.addr[i], c->rc.len[i], s,
			    LDNS_RR_TYPE_SOA, 1);
			if (hop == 0)
				ask_with_apexes(c, &q, name, i);
			else
				dnsq_run(&q, 1, NULL);
			dnsq_addr_str((struct sockaddr *)&c->rc.addr[i],
			    c->resname, sizeof(c->resname));
			if (q.err == 0) {
				/* Keep the one that answers. */
				c->rc.addr[0] = c->rc.addr[i];
				c->rc.len[0] = c->rc.len[i];
				c->rc.n = 1;
				break;
			}
		}
		if ((pkt = resolver_answer(c, &q, "SOA")) == NULL)
			goto done;
		if (zone_of(pkt, name, c->zone, sizeof(c->zone)) == 0)
			break;
		ldns_pkt_free(pkt);
		pkt = NULL;
		if (ldns_dname_label_count(name) == 0) {
			log_msg(LOG_LVL_ERR, c->hname, NULL, "resolver %s "
			    "shows no SOA above %s", c->resname, c->owner);
			goto done;
		}
		if ((up = ldns_dname_left_chop(name)) == NULL)
			goto done;
		ldns_rdf_deep_free(name);
		name = up;
	}
	if (pkt == NULL)
		goto done;
	if (strcmp(c->zone, ".") == 0) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "%s is in no delegated "
		    "zone (resolver %s puts it in the root zone)", c->owner,
		    c->resname);
		r = OUT_PERMFAIL;
		goto done;
	}
	r = OUT_OK;
done:
	if (c->unfit)
		r = OUT_PERMFAIL;	/* the configuration, not the network */
	dnsq_free(&q, 1);
	free(s);
	if (pkt != NULL)
		ldns_pkt_free(pkt);
	if (name != NULL)
		ldns_rdf_deep_free(name);
	return r;
}

/* Adds one address to observe; a duplicate adds its NS name instead. */
static void
add_addr(struct obs_ctx *c, const struct sockaddr_storage *sa,
    socklen_t salen, const char *text, const char *ns)
{
	struct observe_addr *a;
	size_t i;

	for (i = 0; sa != NULL && i < c->naddrs; i++) {
		size_t l;

		if (strcmp(c->addrs[i].sv.addr, text) != 0)
			continue;
		l = strlen(c->addrs[i].sv.ns);
		if (strcmp(ns, "extra") != 0 && l + strlen(ns) + 3 <
		    sizeof(c->addrs[i].sv.ns))
			snprintf(c->addrs[i].sv.ns + l,
			    sizeof(c->addrs[i].sv.ns) - l, ", %s", ns);
		return;
	}
	if (c->naddrs == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->addrs = xrealloc(c->addrs, c->cap * sizeof(*c->addrs));
		c->sas = xrealloc(c->sas, c->cap * sizeof(*c->sas));
		c->salens = xrealloc(c->salens, c->cap * sizeof(*c->salens));
	}
	a = &c->addrs[c->naddrs];
	memset(a, 0, sizeof(*a));
	memset(&c->sas[c->naddrs], 0, sizeof(c->sas[c->naddrs]));
	c->salens[c->naddrs] = 0;
	snprintf(a->sv.addr, sizeof(a->sv.addr), "%s", text);
	snprintf(a->sv.ns, sizeof(a->sv.ns), "%s", ns);
	a->sv.result = OBS_UNREACHABLE;
	a->neg_ttl = -1;
	if (sa != NULL) {
		c->sas[c->naddrs] = *sa;
		c->salens[c->naddrs] = salen;
		a->v6 = sa->ss_family == AF_INET6;
	} else
		snprintf(a->note, sizeof(a->note), "the NS name has no A "
		    "or AAAA record: no resolver can reach it");
	c->naddrs++;
}

/* An A or AAAA record as a port-53 socket address: its length, or 0 if
 * it is neither or malformed. */
static socklen_t
rr_sockaddr(const ldns_rr *rr, struct sockaddr_storage *ss)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, 0);

	memset(ss, 0, sizeof(*ss));
	if (f == NULL)
		return 0;
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(f) == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(53);
		memcpy(&sin->sin_addr, ldns_rdf_data(f), 4);
		return sizeof(*sin);
	}
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA &&
	    ldns_rdf_size(f) == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(53);
		memcpy(&sin6->sin6_addr, ldns_rdf_data(f), 16);
		return sizeof(*sin6);
	}
	return 0;
}

/* The same socket address, octet for octet as rr_sockaddr and
 * dnsq_addr_parse write them. */
static int
same_addr(const struct sockaddr_storage *a, socklen_t alen,
    const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

size_t
observe_glue(const uint8_t *wire, size_t len, const char *const *ns,
    size_t nns, struct sockaddr_storage *out, socklen_t *outlen, size_t max)
{
	ldns_pkt *pkt = NULL;
	ldns_rdf **names;
	const ldns_rr_list *add;
	size_t i, j, k, n = 0;

	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return 0;
	names = xcalloc(nns + 1, sizeof(*names));
	for (j = 0; j < nns; j++)
		names[j] = ldns_dname_new_frm_str(ns[j]);
	add = ldns_pkt_additional(pkt);
	for (i = 0; i < ldns_rr_list_rr_count(add) && n < max; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(add, i);
		struct sockaddr_storage ss;
		socklen_t sl = rr_sockaddr(rr, &ss);
		int named = 0;

		for (j = 0; j < nns && sl != 0 && !named; j++)
			named = names[j] != NULL && ldns_dname_compare(names[j],
			    ldns_rr_owner(rr)) == 0;
		for (k = 0; k < n && named; k++)
			if (same_addr(&out[k], outlen[k], &ss, sl))
				named = 0;	/* already there */
		if (named) {
			out[n] = ss;
			outlen[n++] = sl;
		}
	}
	for (j = 0; j < nns; j++)
		ldns_rdf_deep_free(names[j]);
	free(names);
	ldns_pkt_free(pkt);
	return n;
}

/* Adds the addresses in an A or AAAA answer; -1 (logged) if the lookup
 * failed, so that the set of servers is unknown. */
static int
add_ns_addrs(struct obs_ctx *c, const struct dnsq *q, const char *ns,
    int *found)
{
	ldns_pkt *pkt = resolver_answer(c, q, q->qtype == LDNS_RR_TYPE_A ?
	    "A" : "AAAA");
	const ldns_rr_list *ans;
	size_t i;

	if (pkt == NULL)
		return -1;
	ans = ldns_pkt_answer(pkt);
	for (i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		struct sockaddr_storage ss;
		socklen_t sl;
		char text[64];

		if (ldns_rr_get_type(rr) != (ldns_rr_type)q->qtype ||
		    (sl = rr_sockaddr(rr, &ss)) == 0)
			continue;
		dnsq_addr_str((struct sockaddr *)&ss, text, sizeof(text));
		add_addr(c, &ss, sl, text, ns);
		(*found)++;
	}
	ldns_pkt_free(pkt);
	return 0;
}

/* The names of the NS RRset at zname in pkt's answer into *ns (*nns). */
static void
ns_names(const ldns_pkt *pkt, const ldns_rdf *zname, char ***ns, size_t *nns)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(pkt)); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    ldns_dname_compare(ldns_rr_owner(rr), zname) != 0 ||
		    ldns_rr_rdf(rr, 0) == NULL)
			continue;
		*ns = xrealloc(*ns, (*nns + 1) * sizeof(**ns));
		if (((*ns)[*nns] = ldns_rdf2str(ldns_rr_rdf(rr, 0))) != NULL)
			(*nns)++;
	}
}

/* The zone is signed if the DNSKEY lookup q found a DNSKEY. A failed
 * lookup leaves it to the servers' SOA RRSIGs. */
static void
note_dnskey(struct obs_ctx *c, const struct dnsq *q)
{
	ldns_pkt *pkt = NULL;
	const ldns_rr_list *ans;
	size_t i;

	if (q->err != 0 ||
	    ldns_wire2pkt(&pkt, q->wire, q->wirelen) != LDNS_STATUS_OK)
		return;
	ans = ldns_pkt_answer(pkt);
	for (i = 0; i < ldns_rr_list_rr_count(ans); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(ans, i)) ==
		    LDNS_RR_TYPE_DNSKEY)
			c->zone_signed = 1;
	ldns_pkt_free(pkt);
}

/* The observation's two questions to one address. */
static void
observation_queries(const struct obs_ctx *c, const struct sockaddr_storage *sa,
    socklen_t salen, struct dnsq q[2])
{
	dnsq_query_init(&q[0], sa, salen, c->owner, LDNS_RR_TYPE_TLSA, 0);
	dnsq_query_init(&q[1], sa, salen, c->zone, LDNS_RR_TYPE_SOA, 0);
}

/*
 * The addresses the lookups gave a zone the last time this process
 * observed it (the network child lives for one run: a run --wait that
 * polls, or many hosts in one zone), as guesses for the next time. A
 * guess is never more than that: an address the lookups no longer give
 * is asked and left out.
 */
#define OBS_MEMO_ZONES	8
static struct obs_memo {
	char			 zone[LDNS_MAX_DOMAINLEN + 2];
	struct sockaddr_storage	 sa[OBS_MAX_ADDRS];
	socklen_t		 salen[OBS_MAX_ADDRS];
	size_t			 n;
} memo[OBS_MEMO_ZONES];
static size_t memo_next;

static struct obs_memo *
memo_find(const char *zone)
{
	size_t i;

	for (i = 0; i < OBS_MEMO_ZONES; i++)
		if (memo[i].n > 0 && strcasecmp(memo[i].zone, zone) == 0)
			return &memo[i];
	return NULL;
}

/* Remembers the addresses c asked, in place of the oldest zone. */
static void
memo_put(const struct obs_ctx *c)
{
	struct obs_memo *m = memo_find(c->zone);
	size_t i;

	if (m == NULL) {
		m = &memo[memo_next];
		memo_next = (memo_next + 1) % OBS_MEMO_ZONES;
	}
	snprintf(m->zone, sizeof(m->zone), "%s", c->zone);
	m->n = 0;
	for (i = 0; i < c->naddrs && m->n < OBS_MAX_ADDRS; i++)
		if (c->salens[i] != 0) {
			m->sa[m->n] = c->sas[i];
			m->salen[m->n++] = c->salens[i];
		}
}

/* Adds one guess, unless it is there already or the guesses are full. */
static void
add_guess(struct obs_ctx *c, const struct sockaddr_storage *sa,
    socklen_t salen)
{
	size_t i;

	for (i = 0; i < c->nguesses; i++)
		if (same_addr(&c->guesses[i].sa, c->guesses[i].salen, sa,
		    salen))
			return;
	if (c->nguesses == OBS_MAX_ADDRS)
		return;
	c->guesses[c->nguesses].sa = *sa;
	c->guesses[c->nguesses].salen = salen;
	observation_queries(c, sa, salen, c->guesses[c->nguesses++].q);
}

/* The guesses to ask beside the lookups: the addresses the NS answer's
 * additional section gives its NS names, those the lookups gave last
 * time, and the extra servers, which are asked whatever the lookups say. */
static void
guess(struct obs_ctx *c, const struct conf_host *h, const struct dnsq *nsq,
    char *const *ns, size_t nns)
{
	struct sockaddr_storage sas[OBS_MAX_ADDRS];
	socklen_t lens[OBS_MAX_ADDRS];
	const struct obs_memo *m = memo_find(c->zone);
	size_t i, n = 0;
	int k;

	if (!c->guess)
		return;
	c->guesses = xcalloc(OBS_MAX_ADDRS, sizeof(*c->guesses));
	if (nsq->wire != NULL)
		n = observe_glue(nsq->wire, nsq->wirelen,
		    (const char *const *)ns, nns, sas, lens, OBS_MAX_ADDRS);
	for (i = 0; i < n; i++)
		add_guess(c, &sas[i], lens[i]);
	for (i = 0; m != NULL && i < m->n; i++)
		add_guess(c, &m->sa[i], m->salen[i]);
	for (k = 0; h != NULL && k < h->nextra_servers; k++) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (dnsq_addr_parse(h->extra_servers[k], 53, &ss, &sl) == 0)
			add_guess(c, &ss, sl);
	}
}

/* Every NS name's A and AAAA, asked together (and the guesses' questions
 * beside them), added as addresses; a name without one is named as such.
 * -1 (logged) if a lookup failed. */
static int
add_ns_servers(struct obs_ctx *c, char *const *ns, size_t nns)
{
	size_t nq = 2 * nns + 2 * c->nguesses;
	struct dnsq *aq = xcalloc(nq, sizeof(*aq));
	struct dnsq_limits lim = dnsq_default_limits;
	size_t i;
	int rc = -1;

	for (i = 0; i < nns; i++) {
		dnsq_query_init(&aq[2 * i], &c->rc.addr[0], c->rc.len[0],
		    ns[i], LDNS_RR_TYPE_A, 1);
		dnsq_query_init(&aq[2 * i + 1], &c->rc.addr[0], c->rc.len[0],
		    ns[i], LDNS_RR_TYPE_AAAA, 1);
	}
	for (i = 0; i < c->nguesses; i++) {
		aq[2 * nns + 2 * i] = c->guesses[i].q[0];
		aq[2 * nns + 2 * i + 1] = c->guesses[i].q[1];
	}
	/* One round trip: at most 2 * OBS_MAX_NS + 2 * OBS_MAX_ADDRS, two
	 * to each address as in the observation proper. */
	lim.inflight = (int)nq;
	dnsq_run(aq, nq, &lim);
	for (i = 0; i < c->nguesses; i++) {
		c->guesses[i].q[0] = aq[2 * nns + 2 * i];
		c->guesses[i].q[1] = aq[2 * nns + 2 * i + 1];
	}
	for (i = 0; i < nns; i++) {
		int found = 0;

		if (add_ns_addrs(c, &aq[2 * i], ns[i], &found) != 0 ||
		    add_ns_addrs(c, &aq[2 * i + 1], ns[i], &found) != 0)
			goto done;
		if (found == 0) {
			log_msg(LOG_LVL_WARN, c->hname, NULL, "zone %s: NS %s "
			    "has no address record", c->zone, ns[i]);
			add_addr(c, NULL, 0, "(no address)", ns[i]);
		}
	}
	rc = 0;
done:
	dnsq_free(aq, 2 * nns);	/* the guesses' answers are kept */
	free(aq);
	return rc;
}

/* The host's extra_servers as addresses; OUT_PERMFAIL (logged) for one
 * that is not a numeric address. */
static enum outcome
add_extra_servers(struct obs_ctx *c, const struct conf_host *h)
{
	int k;

	for (k = 0; h != NULL && k < h->nextra_servers; k++) {
		struct sockaddr_storage ss;
		socklen_t sl;
		char text[64];

		if (dnsq_addr_parse(h->extra_servers[k], 53, &ss, &sl) != 0) {
			log_msg(LOG_LVL_ERR, c->hname, NULL, "extra server %s: "
			    "not a numeric address", h->extra_servers[k]);
			return OUT_PERMFAIL;
		}
		dnsq_addr_str((struct sockaddr *)&ss, text, sizeof(text));
		add_addr(c, &ss, sl, text, "extra");
	}
	return OUT_OK;
}

/*
 * The zone's NS RRset and DNSKEY RRset, then every NS name's addresses,
 * then the configured extra servers.
 */
static enum outcome
find_servers(struct obs_ctx *c, const struct conf_host *h)
{
	struct dnsq q[2];
	ldns_pkt *pkt = NULL;
	ldns_rdf *zname = NULL;
	char **ns = NULL;
	size_t i, nns = 0;
	enum outcome r = OUT_TEMPFAIL;

	if ((zname = ldns_dname_new_frm_str(c->zone)) == NULL) {
		/* Before q is set up: nothing to free. */
		log_msg(LOG_LVL_ERR, c->hname, NULL, "zone %s: not a domain "
		    "name ldns can read", c->zone);
		return OUT_TEMPFAIL;
	}
	memset(q, 0, sizeof(q));
	if (!take_pre(c, c->zone, LDNS_RR_TYPE_NS, &q[0]) ||
	    !take_pre(c, c->zone, LDNS_RR_TYPE_DNSKEY, &q[1])) {
		dnsq_free(q, 2);
		dnsq_query_init(&q[0], &c->rc.addr[0], c->rc.len[0], c->zone,
		    LDNS_RR_TYPE_NS, 1);
		dnsq_query_init(&q[1], &c->rc.addr[0], c->rc.len[0], c->zone,
		    LDNS_RR_TYPE_DNSKEY, 1);
		dnsq_run(q, 2, NULL);
	}
	if ((pkt = resolver_answer(c, &q[0], "NS")) == NULL)
		goto done;
	ns_names(pkt, zname, &ns, &nns);
	if (nns == 0) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "resolver %s shows no NS "
		    "RRset for zone %s", c->resname, c->zone);
		goto done;
	}
	if (nns > OBS_MAX_NS) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "zone %s has %zu "
		    "nameservers, more than the %d daneroll observes; not "
		    "observed", c->zone, nns, OBS_MAX_NS);
		goto done;
	}
	note_dnskey(c, &q[1]);
	guess(c, h, &q[0], ns, nns);
	if (add_ns_servers(c, ns, nns) != 0)
		goto done;
	if ((r = add_extra_servers(c, h)) != OUT_OK)
		goto done;
	r = OUT_TEMPFAIL;
	if (c->naddrs > OBS_MAX_ADDRS) {
		log_msg(LOG_LVL_ERR, c->hname, NULL, "zone %s: %zu nameserver "
		    "addresses, more than the %d daneroll observes; not "
		    "observed", c->zone, c->naddrs, OBS_MAX_ADDRS);
		goto done;
	}
	r = OUT_OK;
done:
	dnsq_free(q, 2);
	for (i = 0; i < nns; i++)
		free(ns[i]);
	free(ns);
	if (pkt != NULL)
		ldns_pkt_free(pkt);
	if (zname != NULL)
		ldns_rdf_deep_free(zname);
	return r;
}

/* The guess's two answers (or errors) for address sa: NULL if there is
 * none. They are what asking sa now would give: the same questions to
 * the same address under the same limits, so a silent server is not
 * waited for twice. */
static const struct dnsq *
guessed(const struct obs_ctx *c, const struct sockaddr_storage *sa,
    socklen_t salen)
{
	size_t k;

	for (k = 0; k < c->nguesses; k++)
		if (same_addr(&c->guesses[k].sa, c->guesses[k].salen, sa,
		    salen))
			return c->guesses[k].q;
	return NULL;
}

/* Asks every address for TLSA at the owner and SOA at the apex, except
 * those a guess has answered already. */
static void
ask_servers(struct obs_ctx *c, const struct tlsa_set *want)
{
	struct dnsq *q = xcalloc(2 * (c->naddrs ? c->naddrs : 1), sizeof(*q));
	struct dnsq_limits lim = dnsq_default_limits;
	size_t i, nq = 0;
	/* Each address's two answers: a guess's, or q's, filled in place
	 * by dnsq_run; NULL for an NS name without address. */
	const struct dnsq **at = xcalloc(c->naddrs ? c->naddrs : 1,
	    sizeof(*at));

	for (i = 0; i < c->naddrs; i++) {
		if (c->salens[i] == 0)
			continue;
		if ((at[i] = guessed(c, &c->sas[i], c->salens[i])) != NULL)
			continue;
		at[i] = &q[nq];
		observation_queries(c, &c->sas[i], c->salens[i], &q[nq]);
		nq += 2;
	}
	/* All at once: each server gets two questions, so no server is
	 * pressed harder than by 2 in flight, and 32 addresses take one
	 * round trip, not four. */
	lim.inflight = nq > 0 ? (int)nq : 1;
	dnsq_run(q, nq, &lim);
	/* Signed zone first: it decides what a match is. */
	for (i = 0; i < c->naddrs; i++) {
		struct observe_addr *a = &c->addrs[i];
		const struct dnsq *soa = at[i] != NULL ? &at[i][1] : NULL;
		int is_signed = 0;

		if (soa != NULL && soa->err == 0 &&
		    observe_soa(soa->wire, soa->wirelen, c->zone,
		    &a->sv.serial, &a->neg_ttl, &is_signed) == 0 && is_signed)
			c->zone_signed = 1;
	}
	for (i = 0; i < c->naddrs; i++) {
		struct observe_addr *a = &c->addrs[i];
		const struct dnsq *tq = at[i];

		if (tq == NULL)
			continue;
		if (tq->err != 0) {
			a->sv.result = OBS_UNREACHABLE;
			a->no_route = tq->err == ENETUNREACH ||
			    tq->err == EADDRNOTAVAIL;
			if (tq->err == ETIME)
				snprintf(a->note, sizeof(a->note), "the answer "
				    "over TCP was not complete within %d s (a "
				    "stalled or trickling server)",
				    dnsq_default_limits.tcp_ms / 1000);
			else
				snprintf(a->note, sizeof(a->note), "%s%s",
				    dnsq_strerror(tq->err), a->v6 &&
				    a->no_route ? " (no IPv6 route from this "
				    "host)" : "");
			continue;
		}
		(void)observe_classify(tq->wire, tq->wirelen, c->owner, want,
		    c->zone_signed, a);
	}
	dnsq_free(q, nq);
	free(q);
	free(at);
}

static enum outcome
observe_run(const struct conf *conf, const struct conf_host *h,
    const char *owner, const struct tlsa_set *want, struct obs_report *rep)
{
	struct obs_ctx c;
	enum outcome r;
	size_t i, nmatch = 0;
	int excused;

	memset(&c, 0, sizeof(c));
	c.conf = conf;
	c.hname = h != NULL ? h->name : NULL;
	c.owner = owner;
	c.guess = 1;
	memset(rep, 0, sizeof(*rep));
	if (load_resolvers(&c) != 0) {
		r = OUT_PERMFAIL;
		goto done;
	}
	if ((r = find_zone(&c)) != OUT_OK)
		goto done;
	if ((r = find_servers(&c, h)) != OUT_OK)
		goto done;
	ask_servers(&c, want);
	memo_put(&c);
	excused = observe_summarize(c.addrs, c.naddrs,
	    h != NULL && h->ignore_unreachable_ipv6, rep);
	for (i = 0; i < c.naddrs; i++) {
		const struct observe_addr *a = &c.addrs[i];
		int quiet = a->sv.result != OBS_UNREACHABLE;

		if (a->sv.result == OBS_MATCH)
			nmatch++;
		log_msg(quiet ? LOG_LVL_INFO : LOG_LVL_NOTICE, c.hname, NULL,
		    "%s at %s (%s): %s: %s; serial %u", owner, a->sv.addr,
		    a->sv.ns, obs_result_str(a->sv.result), a->note,
		    (unsigned)a->sv.serial);
		if (a->sv.result == OBS_UNREACHABLE && a->v6 &&
		    h != NULL && h->ignore_unreachable_ipv6)
			log_msg(LOG_LVL_NOTICE, c.hname, NULL, "%s: IPv6 "
			    "address %s (%s) does not count: "
			    "ignore_unreachable_ipv6 is set", owner,
			    a->sv.addr, a->sv.ns);
	}
	log_msg(LOG_LVL_INFO, c.hname, NULL, "%s: zone %s (%s): %zu of %zu "
	    "address%s match%s", owner, c.zone, c.zone_signed ? "signed" :
	    "unsigned", nmatch, c.naddrs, c.naddrs == 1 ? "" : "es",
	    excused ? ", unreachable IPv6 excused" : "");
	r = OUT_OK;
done:
	dnsq_free(c.pre, c.npre);
	for (i = 0; i < c.nguesses; i++)
		dnsq_free(c.guesses[i].q, 2);
	free(c.guesses);
	for (i = 0; i < c.naddrs; i++)
		observe_addr_free(&c.addrs[i]);
	free(c.addrs);
	free(c.sas);
	free(c.salens);
	return r;
}

enum outcome
observe_discover(const struct conf *conf, const struct conf_host *h,
    const char *owner, struct observe_zone *z)
{
	struct obs_ctx c;
	enum outcome r = OUT_PERMFAIL;

	memset(&c, 0, sizeof(c));
	memset(z, 0, sizeof(*z));
	c.conf = conf;
	c.hname = h != NULL ? h->name : NULL;
	c.owner = owner;
	if (load_resolvers(&c) != 0)
		goto done;
	r = find_zone(&c);
	snprintf(z->resolver, sizeof(z->resolver), "%s", c.resname);
	z->res = c.rc.addr[0];
	z->reslen = c.rc.len[0];
	if (r != OUT_OK || (r = find_servers(&c, h)) != OUT_OK)
		goto done;
	snprintf(z->zone, sizeof(z->zone), "%s", c.zone);
	z->dnskey_at_resolver = c.zone_signed;
done:
	dnsq_free(c.pre, c.npre);
	/* The addresses found so far are the caller's either way. */
	z->addrs = c.addrs;
	z->sas = c.sas;
	z->salens = c.salens;
	z->naddrs = c.naddrs;
	return r;
}

void
observe_zone_free(struct observe_zone *z)
{
	size_t i;

	for (i = 0; i < z->naddrs; i++)
		observe_addr_free(&z->addrs[i]);
	free(z->addrs);
	free(z->sas);
	free(z->salens);
	memset(z, 0, sizeof(*z));
}

const struct backend_observer observe_dns = {
	observe_run
};
