/*
 * publish_rfc2136 - RFC 2136 dynamic update with TSIG. See
 * include/publish_rfc2136.h for the contract.
 *
 * ldns builds and parses the messages; each try goes out through dnsq
 * (dnsq.c: UDP, TCP on truncation, the answer matched by ID, QR and the
 * question or zone section) as a prebuilt message, signed afresh here by
 * tsig.c, whose verdict on the answer is judged here too. The tries round
 * the addresses are made here, one dnsq exchange each, because the
 * decisions hang on details a resolver library hides: whether a try timed
 * out or was refused, which address answered, the TSIG error field. The
 * resolvers for discovery come from resolvconf.c.
 *
 * Everything a call allocates hangs off one struct upd and is released
 * by upd_free; nothing outlives the call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <ldns/ldns.h>

#include "backend.h"
#include "dnsq.h"
#include "fsutil.h"
#include "log.h"
#include "publish_rfc2136.h"
#include "resolvconf.h"
#include "tlsa.h"
#include "tsig.h"
#include "tsig_keyfile.h"
#include "util.h"

#define RFC2136_TRIES		3
#define RFC2136_MAX_ADDRS	16
#define RFC2136_MIN_TRY_MS	1000

/* One address to talk to, and how messages name it. */
struct srv_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 label[80];	/* "192.0.2.1#53" */
};

struct addrs {
	struct srv_addr	 a[RFC2136_MAX_ADDRS];
	int		 n;
};

/* One call of replace(): what every message names. */
struct upd {
	const struct conf_publisher	*p;
	const struct publish_rfc2136_conf *c;	/* p's own keys */
	const struct publish_req	*req;
	struct tsig_key			 key;
	ldns_rdf			*owner;
	ldns_rdf			*zone;
	char				*zone_str;	/* "example.org." */
	struct addrs			 servers;	/* where updates go */
	const char			*server;	/* the one talked to */
	int				 discovering;	/* server: a resolver */
	int				 probing;	/* doctor's SOA query */
	int				 try_ms;
};

/* Logs one error about this change, with the context every reader needs. */
static void upd_err(const struct upd *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
upd_err(const struct upd *u, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (u->discovering)
		log_err("publisher %s: finding the zone and primary of %s "
		    "(resolver %s): %s", u->p->name, u->req->owner,
		    u->server ? u->server : "?", detail);
	else if (u->probing)
		log_err("publisher %s: TSIG-signed SOA query for zone %s "
		    "(server %s, key %s): %s", u->p->name, u->zone_str ?
		    u->zone_str : "?", u->server ? u->server : "?",
		    u->key.name[0] ? u->key.name : "?", detail);
	else
		log_err("publisher %s: update of %s (zone %s, server %s, key "
		    "%s): %s", u->p->name, u->req->owner, u->zone_str ?
		    u->zone_str : "?", u->server ? u->server : "?",
		    u->key.name[0] ? u->key.name : "?", detail);
}

/* ---- addresses ---- */

/* a for the address ss; its label always names the port
 * ("192.0.2.1#53"), as the logs always have. */
static void
srv_addr_set(struct srv_addr *a, const struct sockaddr_storage *ss,
    socklen_t len)
{
	size_t n;

	a->ss = *ss;
	a->len = len;
	dnsq_addr_str((const struct sockaddr *)ss, a->label, sizeof(a->label));
	n = strlen(a->label);
	if (strchr(a->label, '#') == NULL && n + 4 <= sizeof(a->label))
		memcpy(a->label + n, "#53", 4);
}

/* "addr" or "addr#port" (dnsq_addr_parse) into a; 0 or -1 (not logged). */
static int
srv_addr_parse(const char *text, struct srv_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (dnsq_addr_parse(text, 53, &ss, &len) != 0)
		return -1;
	srv_addr_set(a, &ss, len);
	return 0;
}

/* Adds an A/AAAA rdata as an address; full lists ignore the rest. */
static void
addrs_add_rdf(struct addrs *as, const ldns_rdf *rdf, uint16_t port)
{
	struct sockaddr_storage *ss = NULL;
	size_t len = 0;

	if (as->n < RFC2136_MAX_ADDRS && (ss =
	    ldns_rdf2native_sockaddr_storage(rdf, port, &len)) != NULL &&
	    len <= sizeof(*ss))
		srv_addr_set(&as->a[as->n++], ss, (socklen_t)len);
	free(ss);
}

/* The resolvers' addresses: conf->resolver, else /etc/resolv.conf, else
 * 127.0.0.1 (resolvconf.h). */
static enum outcome
resolver_addrs(const struct conf *conf, const struct upd *u, struct addrs *as)
{
	struct resolvconf rc;
	int i;

	memset(as, 0, sizeof(*as));
	if (resolvconf_load(conf->resolver, RESOLVCONF_PATH, &rc) != 0) {
		log_err("publisher %s: resolver \"%s\" is not an address or "
		    "address#port", u->p->name, conf->resolver);
		return OUT_PERMFAIL;
	}
	for (i = 0; i < rc.n; i++)
		srv_addr_set(&as->a[as->n++], &rc.addr[i], rc.len[i]);
	return OUT_OK;
}

/* ---- exchanges ---- */

/* One try at address a: msg through dnsq, over UDP and again over TCP if
 * the answer was truncated, each within u->try_ms. 0 with the answer in
 * *q (the caller frees it: dnsq_free); -1 (logged, *last_err saying why)
 * for the next try. */
static int
ask_one(struct upd *u, const struct srv_addr *a, const char *what, int try,
    const struct buf *msg, struct dnsq *q, const char **last_err)
{
	/* One UDP send a try: the tries go round the addresses here. */
	const struct dnsq_limits lim = { 1, u->try_ms, 1, u->try_ms, 0 };

	dnsq_query_init_msg(q, &a->ss, a->len, (const uint8_t *)msg->data,
	    msg->len);
	dnsq_run(q, 1, &lim);
	if (q->tcp)
		log_info("publisher %s: %s: the answer from %s was "
		    "truncated; asking again over TCP", u->p->name,
		    what, a->label);
	if (q->err == 0)
		return 0;
	*last_err = dnsq_strerror(q->err);
	log_info("publisher %s: %s: %s%s: %s (try %d of %d)", u->p->name,
	    what, a->label, q->tcp ? " over TCP" : "", *last_err, try + 1,
	    RFC2136_TRIES);
	return -1;
}

/* The server's TSIG error (ti) in words: what is wrong, and where to
 * look. BADTIME may mend itself (TEMPFAIL); the others need a person. */
static enum outcome
tsig_refused(struct upd *u, const struct tsig_key *key, const char *what,
    const struct tsig_info *ti)
{
	if (ti->error == TSIG_ERR_BADSIG)
		upd_err(u, "%s: the server rejected our TSIG signature "
		    "(BADSIG): the secret in %s is not the server's "
		    "secret for this key", what, u->c->tsig_key_file);
	else if (ti->error == TSIG_ERR_BADKEY)
		upd_err(u, "%s: the server does not accept TSIG key %s "
		    "(BADKEY): it does not know this key name with "
		    "algorithm %s, or (Knot) no ACL of the zone lets "
		    "the key update it", what, key->name, key->alg);
	else if (ti->error == TSIG_ERR_BADTIME)
		upd_err(u, "%s: the server rejected the TSIG time "
		    "(BADTIME): this host's clock is %s%lld s off the "
		    "server's; check NTP", what, ti->server_time < 0 ?
		    "more than " : "", ti->server_time < 0 ?
		    (long long)TSIG_FUDGE : (long long)(time(NULL) -
		    ti->server_time));
	else
		upd_err(u, "%s: TSIG error %s (%u)", what,
		    tsig_error_str(ti->error), ti->error);
	return ti->error == TSIG_ERR_BADTIME ? OUT_TEMPFAIL : OUT_PERMFAIL;
}

/* The answer's TSIG verdict ts (ti) for an answer with rcode: OUT_OK if
 * it is to be read; an unsigned one only when it reports an error
 * (*unsigned_err set). */
static enum outcome
judge_tsig(struct upd *u, const struct tsig_key *key, const char *what,
    enum tsig_status ts, const struct tsig_info *ti, int rcode,
    int *unsigned_err)
{
	switch (ts) {
	case TSIG_OK:
		return OUT_OK;
	case TSIG_ERROR:
		return tsig_refused(u, key, what, ti);
	case TSIG_UNSIGNED:
		if (rcode != LDNS_RCODE_NOERROR &&
		    rcode != LDNS_RCODE_NXDOMAIN &&
		    rcode != LDNS_RCODE_YXRRSET &&
		    rcode != LDNS_RCODE_NXRRSET) {
			*unsigned_err = 1;
			return OUT_OK;
		}
		upd_err(u, "%s: the answer (%s) is not TSIG-signed; ignored",
		    what, dnsq_rcode_str(rcode));
		return OUT_TEMPFAIL;
	default:
		upd_err(u, "%s: the answer (%s) failed TSIG verification "
		    "with key %s: %s; ignored", what, dnsq_rcode_str(rcode),
		    key->name, tsig_status_str(ts));
		return OUT_TEMPFAIL;
	}
}

/*
 * Sends the wire message q to the addresses in to: up to RFC2136_TRIES
 * tries round them, each u->try_ms long, UDP then TCP if truncated. With
 * key, every try is signed afresh and the answer's TSIG checked. OUT_OK
 * with the parsed answer in *resp (and u->server naming who answered);
 * an unsigned answer to a signed query is let through only when it
 * reports an error (*unsigned_err set), for the caller to name. Failures
 * are logged here: "what" says what was being asked.
 */
static enum outcome
exchange(struct upd *u, const struct addrs *to, const struct buf *q,
    const struct tsig_key *key, const char *what, ldns_pkt **resp,
    int *unsigned_err)
{
	struct buf msg = { 0 };
	struct dnsq dq;
	unsigned char mac[TSIG_MAC_MAX];
	struct tsig_info ti = { 0 };
	enum tsig_status ts = TSIG_OK;
	enum outcome o = OUT_TEMPFAIL;
	size_t mac_len = 0;
	const char *last_err = "no address";
	int i;

	*resp = NULL;
	*unsigned_err = 0;
	memset(&dq, 0, sizeof(dq));
	for (i = 0; i < RFC2136_TRIES && to->n > 0; i++) {
		const struct srv_addr *a = &to->a[i % to->n];

		buf_free(&msg);
		dnsq_free(&dq, 1);
		buf_add(&msg, q->data, q->len);
		if (key != NULL && tsig_sign(key, &msg, time(NULL), NULL, 0,
		    mac, &mac_len) != 0) {
			log_err("publisher %s: cannot sign the %s", u->p->name,
			    what);
			o = OUT_PERMFAIL;
			goto out;
		}
		u->server = a->label;
		if (ask_one(u, a, what, i, &msg, &dq, &last_err) == 0)
			break;
	}
	if (i == RFC2136_TRIES || to->n == 0) {
		upd_err(u, "%s: no answer in %d tries (up to %d s each; last: %s)",
		    what, RFC2136_TRIES, u->try_ms / 1000, last_err);
		goto out;
	}
	if (ldns_wire2pkt(resp, dq.wire, dq.wirelen) != LDNS_STATUS_OK) {
		upd_err(u, "%s: malformed answer", what);
		goto out;
	}
	if (key != NULL)
		ts = tsig_verify(key, dq.wire, dq.wirelen, mac, mac_len,
		    time(NULL), &ti);
	o = judge_tsig(u, key, what, ts, &ti, ldns_pkt_get_rcode(*resp),
	    unsigned_err);
out:
	if (o != OUT_OK && *resp != NULL) {
		ldns_pkt_free(*resp);
		*resp = NULL;
	}
	dnsq_free(&dq, 1);
	buf_free(&msg);
	return o;
}

/* ---- messages ---- */

/* Serialises p into out; 0 or -1 (logged). */
static int
pkt_wire(const struct upd *u, const ldns_pkt *p, struct buf *out)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	int ret = -1;

	if (p == NULL || ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK) {
		log_err("publisher %s: cannot build a DNS message for %s",
		    u->p->name, u->req->owner);
		goto out;
	}
	buf_add(out, wire, len);
	ret = 0;
out:
	free(wire);
	return ret;
}

/* A query for name/type; rd: recursion desired. 0 or -1 (logged). */
static int
query_wire(const struct upd *u, const ldns_rdf *name, ldns_rr_type type,
    int rd, struct buf *out)
{
	ldns_pkt *q = NULL;
	int ret;

	q = ldns_pkt_query_new(ldns_rdf_clone(name), type, LDNS_RR_CLASS_IN,
	    rd ? LDNS_RD : 0);
	if (q != NULL)
		ldns_pkt_set_random_id(q);
	ret = pkt_wire(u, q, out);
	if (q != NULL)
		ldns_pkt_free(q);
	return ret;
}

/* A TLSA RR at owner; class NONE with ttl 0 deletes it in an update. */
static ldns_rr *
tlsa_to_ldns(const ldns_rdf *owner, const struct tlsa_rr *t,
    ldns_rr_class cls, uint32_t ttl)
{
	ldns_rr *rr = ldns_rr_new();

	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TLSA);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	(void)ldns_rr_push_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8,
	    t->usage));
	(void)ldns_rr_push_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8,
	    t->selector));
	(void)ldns_rr_push_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8,
	    t->mtype));
	(void)ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_HEX,
	    t->len, t->data));
	return rr;
}

/*
 * The UPDATE: prerequisite that the RRset is prev; delete what prev has
 * and want has not; add what want has and prev has not; delete and add
 * again what both have, so the whole RRset takes req->ttl (we do not know
 * the TTL it had, and Knot leaves an existing record's TTL alone when the
 * record is merely added again). Counts the records deleted and added.
 */
static int
update_wire(const struct upd *u, struct buf *out, size_t *ndel, size_t *nadd)
{
	const struct publish_req *req = u->req;
	ldns_rr_list *pre = NULL, *upd = NULL;
	ldns_pkt *p = NULL;
	ldns_rr *rr;
	uint32_t ttl = req->ttl < 0 ? 0 : req->ttl > INT32_MAX ? INT32_MAX :
	    (uint32_t)req->ttl;
	size_t i;
	int ret = -1;

	pre = ldns_rr_list_new();
	upd = ldns_rr_list_new();
	*ndel = *nadd = 0;
	if (req->prev->n == 0) {
		/* RFC 2136 2.4.3: RRset does not exist */
		rr = ldns_rr_new();
		ldns_rr_set_owner(rr, ldns_rdf_clone(u->owner));
		ldns_rr_set_type(rr, LDNS_RR_TYPE_TLSA);
		ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
		ldns_rr_set_ttl(rr, 0);
		(void)ldns_rr_list_push_rr(pre, rr);
	}
	for (i = 0; i < req->prev->n; i++) {
		/* RFC 2136 2.4.2: RRset exists (value dependent) */
		(void)ldns_rr_list_push_rr(pre, tlsa_to_ldns(u->owner,
		    &req->prev->rr[i], LDNS_RR_CLASS_IN, 0));
		(void)ldns_rr_list_push_rr(upd, tlsa_to_ldns(u->owner,
		    &req->prev->rr[i], LDNS_RR_CLASS_NONE, 0));
		if (!tlsa_set_has(req->want, &req->prev->rr[i]))
			(*ndel)++;
	}
	for (i = 0; i < req->want->n; i++) {
		(void)ldns_rr_list_push_rr(upd, tlsa_to_ldns(u->owner,
		    &req->want->rr[i], LDNS_RR_CLASS_IN, ttl));
		if (!tlsa_set_has(req->prev, &req->want->rr[i]))
			(*nadd)++;
	}
	p = ldns_update_pkt_new(ldns_rdf_clone(u->zone), LDNS_RR_CLASS_IN,
	    pre, upd, NULL);
	if (p != NULL) {
		ldns_pkt_set_rd(p, false);
		ldns_pkt_set_random_id(p);
	}
	ret = pkt_wire(u, p, out);
	if (p != NULL)
		ldns_pkt_free(p);
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(upd);
	return ret;
}

/* The TLSA records at owner in an answer. */
static void
answer_tlsa(const ldns_pkt *p, const ldns_rdf *owner, struct tlsa_set *set)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		struct tlsa_rr t;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TLSA ||
		    ldns_rr_rd_count(rr) != 4 ||
		    ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		t.usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
		t.selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		t.mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		t.data = ldns_rdf_data(ldns_rr_rdf(rr, 3));
		t.len = ldns_rdf_size(ldns_rr_rdf(rr, 3));
		tlsa_set_add(set, &t);
	}
}

/* "3 1 1 ab..; 3 1 1 cd.." or "no TLSA records"; caller frees. */
static char *
set_str(const struct tlsa_set *set)
{
	char *lines = NULL, *p;

	if (set->n == 0)
		return xstrdup("no TLSA records");
	lines = tlsa_set_format(set);
	while ((p = strrchr(lines, '\n')) != NULL && p[1] == '\0')
		*p = '\0';
	for (p = lines; (p = strchr(p, '\n')) != NULL; p++)
		*p = ';';
	return lines;
}

/* ---- finding the zone and its primary ---- */

/*
 * Asks the resolver for name/type: OUT_OK with a NOERROR or NXDOMAIN
 * answer in *ans.
 */
static enum outcome
resolve(struct upd *u, const struct addrs *res, const ldns_rdf *name,
    ldns_rr_type type, ldns_pkt **ans)
{
	struct buf q = { 0 };
	char *n = NULL, what[600];
	enum outcome o = OUT_PERMFAIL;
	int rcode, unsig;

	*ans = NULL;
	n = ldns_rdf2str(name);
	snprintf(what, sizeof(what), "%s query for %s",
	    type == LDNS_RR_TYPE_SOA ? "SOA" : type == LDNS_RR_TYPE_A ? "A" :
	    "AAAA", n ? n : "?");
	if (query_wire(u, name, type, 1, &q) != 0)
		goto out;
	if ((o = exchange(u, res, &q, NULL, what, ans, &unsig)) != OUT_OK)
		goto out;
	rcode = ldns_pkt_get_rcode(*ans);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		upd_err(u, "%s: the resolver answered %s", what,
		    dnsq_rcode_str(rcode));
		o = rcode == LDNS_RCODE_SERVFAIL ? OUT_TEMPFAIL : OUT_PERMFAIL;
		ldns_pkt_free(*ans);
		*ans = NULL;
	}
out:
	free(n);
	buf_free(&q);
	return o;
}

/* The SOA RR owned by exactly name in an answer, or NULL. */
static const ldns_rr *
answer_soa(const ldns_pkt *p, const ldns_rdf *name)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) >= 1 &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			return rr;
	}
	return NULL;
}

/*
 * The zone: the configured one, else the closest enclosing name with an
 * SOA, asking label by label from the owner up. *mname: a copy of the
 * SOA MNAME when an SOA was fetched (the caller frees it).
 */
static enum outcome
find_zone(struct upd *u, const struct addrs *res, ldns_rdf **mname)
{
	ldns_rdf *name = NULL, *parent;
	ldns_pkt *ans = NULL;
	const ldns_rr *soa;
	enum outcome o = OUT_OK;

	*mname = NULL;
	name = ldns_rdf_clone(u->p->zone != NULL ? u->zone : u->owner);
	for (;;) {
		if ((o = resolve(u, res, name, LDNS_RR_TYPE_SOA, &ans)) !=
		    OUT_OK)
			goto out;
		if ((soa = answer_soa(ans, name)) != NULL) {
			*mname = ldns_rdf_clone(ldns_rr_rdf(soa, 0));
			break;
		}
		if (u->p->zone != NULL || ldns_dname_label_count(name) == 0) {
			upd_err(u, "no SOA record found for %s", u->p->zone ?
			    "the configured zone" : "the owner or any name "
			    "above it");
			o = OUT_PERMFAIL;
			goto out;
		}
		parent = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = parent;
		ldns_pkt_free(ans);
		ans = NULL;
	}
	if (u->zone == NULL) {
		u->zone = name;
		name = NULL;
		free(u->zone_str);
		u->zone_str = ldns_rdf2str(u->zone);
	}
out:
	if (ans != NULL)
		ldns_pkt_free(ans);
	if (name != NULL)
		ldns_rdf_deep_free(name);
	return o;
}

/* The addresses of the zone's primary (SOA MNAME). */
static enum outcome
mname_addrs(struct upd *u, const struct addrs *res, const ldns_rdf *mname)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A,
	    LDNS_RR_TYPE_AAAA };
	ldns_pkt *ans = NULL;
	char *n = NULL;
	enum outcome o = OUT_OK;
	size_t t, i;

	for (t = 0; t < 2; t++) {
		const ldns_rr_list *an;

		if ((o = resolve(u, res, mname, types[t], &ans)) != OUT_OK)
			goto out;
		an = ldns_pkt_answer(ans);
		for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);

			if (ldns_rr_get_type(rr) == types[t] &&
			    ldns_rr_rd_count(rr) == 1)
				addrs_add_rdf(&u->servers, ldns_rr_rdf(rr, 0),
				    53);
		}
		ldns_pkt_free(ans);
		ans = NULL;
	}
	if (u->servers.n == 0) {
		n = ldns_rdf2str(mname);
		upd_err(u, "the zone's primary %s (SOA MNAME) has no address; "
		    "set server in the publisher", n ? n : "?");
		o = OUT_PERMFAIL;
	}
out:
	if (ans != NULL)
		ldns_pkt_free(ans);
	free(n);
	return o;
}

/* Zone and servers, from the configuration or from DNS. */
static enum outcome
locate(const struct conf *conf, struct upd *u)
{
	const struct conf_publisher *p = u->p;
	const struct publish_rfc2136_conf *c = u->c;
	struct addrs res;
	ldns_rdf *mname = NULL;
	enum outcome o = OUT_PERMFAIL;

	if ((u->owner = ldns_dname_new_frm_str(u->req->owner)) == NULL) {
		log_err("publisher %s: invalid owner name %s", p->name,
		    u->req->owner);
		goto out;
	}
	if (p->zone != NULL) {
		if ((u->zone = ldns_dname_new_frm_str(p->zone)) == NULL) {
			log_err("publisher %s: invalid zone %s", p->name,
			    p->zone);
			goto out;
		}
		u->zone_str = ldns_rdf2str(u->zone);
	}
	if (c->server != NULL) {
		if (srv_addr_parse(c->server, &u->servers.a[0]) != 0) {
			log_err("publisher %s: server \"%s\" is not an address "
			    "or address#port", p->name, c->server);
			goto out;
		}
		u->servers.n = 1;
	}
	if (p->zone == NULL || c->server == NULL) {
		u->discovering = 1;
		if ((o = resolver_addrs(conf, u, &res)) != OUT_OK ||
		    (o = find_zone(u, &res, &mname)) != OUT_OK)
			goto out;
		if (c->server == NULL &&
		    (o = mname_addrs(u, &res, mname)) != OUT_OK)
			goto out;
		u->discovering = 0;
	}
	u->server = u->servers.a[0].label;
	if (ldns_dname_compare(u->owner, u->zone) != 0 &&
	    !ldns_dname_is_subdomain(u->owner, u->zone)) {
		upd_err(u, "the owner is not in the zone");
		o = OUT_PERMFAIL;
		goto out;
	}
	o = OUT_OK;
out:
	if (mname != NULL)
		ldns_rdf_deep_free(mname);
	return o;
}

/* ---- the update ---- */

/*
 * The prerequisite failed: read the RRset back from the server that
 * answered. It already being want is success (an earlier run got there).
 */
static enum outcome
reconcile(struct upd *u, int rcode)
{
	struct addrs at;
	struct tlsa_set have = { 0 };
	struct buf q = { 0 };
	ldns_pkt *ans = NULL;
	char *hs = NULL, *ps = NULL;
	const char *answered;
	enum outcome o = OUT_PERMFAIL;
	int r, unsig;
	size_t i;

	/* Ask the address that answered the update, and only that one. */
	memset(&at, 0, sizeof(at));
	for (i = 0; i < (size_t)u->servers.n; i++)
		if (u->server == u->servers.a[i].label)
			break;
	if (i == (size_t)u->servers.n)
		i = 0;
	answered = u->servers.a[i].label;
	at.a[at.n++] = u->servers.a[i];
	log_info("publisher %s: %s: prerequisite failed (%s); reading the "
	    "RRset back from %s", u->p->name, u->req->owner,
	    dnsq_rcode_str(rcode), u->server);
	if (query_wire(u, u->owner, LDNS_RR_TYPE_TLSA, 0, &q) != 0)
		goto out;
	if ((o = exchange(u, &at, &q, &u->key, "read-back",
	    &ans, &unsig)) != OUT_OK)
		goto out;
	r = ldns_pkt_get_rcode(ans);
	if (unsig || (r != LDNS_RCODE_NOERROR && r != LDNS_RCODE_NXDOMAIN) ||
	    !ldns_pkt_aa(ans)) {
		upd_err(u, "prerequisite failed (%s) and the read-back got %s%s",
		    dnsq_rcode_str(rcode), dnsq_rcode_str(r),
		    !ldns_pkt_aa(ans) ? " without the AA bit" : "");
		o = OUT_TEMPFAIL;
		goto out;
	}
	answer_tlsa(ans, u->owner, &have);
	if (tlsa_set_equal(&have, u->req->want)) {
		log_info("publisher %s: %s: %s already serves the wanted "
		    "RRset: an earlier update went through", u->p->name,
		    u->req->owner, u->server);
		o = OUT_OK;
		goto out;
	}
	hs = set_str(&have);
	ps = set_str(u->req->prev);
	log_err("concurrent edit at %s: server has %s, expected %s (zone %s, "
	    "server %s, %s); nothing changed", u->req->owner, hs, ps,
	    u->zone_str, u->server, dnsq_rcode_str(rcode));
	o = OUT_PERMFAIL;
out:
	u->server = answered;	/* not the copy in at, which goes now */
	if (ans != NULL)
		ldns_pkt_free(ans);
	tlsa_set_free(&have);
	buf_free(&q);
	free(hs);
	free(ps);
	return o;
}

/* Sends the update and decides on the answer. */
static enum outcome
send_update(struct upd *u)
{
	struct buf q = { 0 };
	ldns_pkt *ans = NULL;
	enum outcome o = OUT_PERMFAIL;
	size_t ndel, nadd;
	int rcode, unsig;
	const char *note;

	if (update_wire(u, &q, &ndel, &nadd) != 0)
		goto out;
	if ((o = exchange(u, &u->servers, &q, &u->key, "update", &ans,
	    &unsig)) != OUT_OK)
		goto out;
	rcode = ldns_pkt_get_rcode(ans);
	note = unsig ? " (the answer was not TSIG-signed)" : "";
	o = OUT_PERMFAIL;
	switch (rcode) {
	case LDNS_RCODE_NOERROR:
		log_info("publisher %s: %s: %zu deleted, %zu added, TTL %lld "
		    "(zone %s, server %s)", u->p->name, u->req->owner, ndel,
		    nadd, (long long)u->req->ttl, u->zone_str, u->server);
		o = OUT_OK;
		break;
	case LDNS_RCODE_YXRRSET:
	case LDNS_RCODE_NXRRSET:
		o = reconcile(u, rcode);
		break;
	case LDNS_RCODE_SERVFAIL:
		upd_err(u, "server failure (SERVFAIL)%s; will retry", note);
		o = OUT_TEMPFAIL;
		break;
	case LDNS_RCODE_FORMERR:
		upd_err(u, "the server found the update malformed (FORMERR)%s",
		    note);
		break;
	case LDNS_RCODE_NOTAUTH:
		upd_err(u, "the server is not authoritative for the zone "
		    "(NOTAUTH)%s: check server and zone", note);
		break;
	case LDNS_RCODE_REFUSED:
		upd_err(u, "the server refused the update (REFUSED)%s: key %s "
		    "may not update this name or zone", note, u->key.name);
		break;
	case LDNS_RCODE_NOTZONE:
		upd_err(u, "the owner is outside the zone (NOTZONE)%s", note);
		break;
	case LDNS_RCODE_NOTIMPL:
		upd_err(u, "the server does not implement UPDATE (NOTIMP)%s",
		    note);
		break;
	default:
		upd_err(u, "unexpected answer %s (%d)%s",
		    dnsq_rcode_str(rcode), rcode, note);
		break;
	}
out:
	if (ans != NULL)
		ldns_pkt_free(ans);
	buf_free(&q);
	return o;
}

/* The key loaded and the zone and its primary found: what every call
 * needs before it sends anything signed. */
static enum outcome
upd_start(const struct conf *conf, const struct conf_publisher *p,
    const struct publish_req *req, struct upd *u)
{
	int64_t ms = p->timeout * 1000 / RFC2136_TRIES;

	memset(u, 0, sizeof(*u));
	u->p = p;
	u->c = p->priv;
	u->req = req;
	u->try_ms = ms < RFC2136_MIN_TRY_MS ? RFC2136_MIN_TRY_MS :
	    ms > INT32_MAX ? INT32_MAX : (int)ms;
	if (u->c == NULL || u->c->tsig_key_file == NULL) {
		log_err("publisher %s: no tsig_key_file: cannot sign updates",
		    p->name);
		return OUT_PERMFAIL;
	}
	if (tsig_key_load(u->c->tsig_key_file, &u->key) != 0)
		return OUT_PERMFAIL;
	return locate(conf, u);
}

static void
upd_free(struct upd *u)
{
	tsig_key_free(&u->key);
	if (u->owner != NULL)
		ldns_rdf_deep_free(u->owner);
	if (u->zone != NULL)
		ldns_rdf_deep_free(u->zone);
	free(u->zone_str);
}

static enum outcome
rfc2136_replace(const struct conf *conf, const struct conf_publisher *p,
    const struct publish_req *req)
{
	struct upd u;
	enum outcome o;

	if ((o = upd_start(conf, p, req, &u)) == OUT_OK)
		o = send_update(&u);
	upd_free(&u);
	return o;
}

/*
 * doctor: a TSIG-signed SOA query to the server updates go to, its
 * answer's TSIG verified. It proves the server knows the key name and
 * secret; whether the key may update the zone shows only in an update.
 */
static enum outcome
rfc2136_probe(const struct conf *conf, const struct conf_publisher *p,
    const char *owner)
{
	struct publish_req req = { owner, 0, NULL, NULL, NULL };
	struct buf q = { 0 };
	ldns_pkt *ans = NULL;
	struct upd u;
	enum outcome o;
	int unsig, rcode;

	if ((o = upd_start(conf, p, &req, &u)) != OUT_OK)
		goto out;
	u.probing = 1;
	o = OUT_PERMFAIL;
	if (query_wire(&u, u.zone, LDNS_RR_TYPE_SOA, 0, &q) != 0 ||
	    (o = exchange(&u, &u.servers, &q, &u.key, "SOA query", &ans,
	    &unsig)) != OUT_OK)
		goto out;
	rcode = ldns_pkt_get_rcode(ans);
	o = OUT_PERMFAIL;
	if (unsig)
		upd_err(&u, "answered %s without a TSIG: the server did not "
		    "take our signature", dnsq_rcode_str(rcode));
	else if (rcode != LDNS_RCODE_NOERROR || !ldns_pkt_aa(ans) ||
	    answer_soa(ans, u.zone) == NULL)
		upd_err(&u, "answered %s%s, not the zone's SOA: the server "
		    "is not authoritative for the zone", dnsq_rcode_str(rcode),
		    ldns_pkt_aa(ans) ? "" : " without the AA bit");
	else {
		log_info("publisher %s: %s accepts key %s for zone %s",
		    p->name, u.server, u.key.name, u.zone_str);
		o = OUT_OK;
	}
out:
	if (ans != NULL)
		ldns_pkt_free(ans);
	buf_free(&q);
	upd_free(&u);
	return o;
}

/* A TSIG key daneroll can sign with (tsig_key_load says why not). */
static int
rfc2136_secret_usable(const char *path)
{
	struct tsig_key key;
	int r;

	memset(&key, 0, sizeof(key));
	r = tsig_key_load(path, &key);
	tsig_key_free(&key);
	return r;
}

/* config check: a key daneroll can sign with, said before a run needs
 * it. */
static int
rfc2136_check(const struct conf *conf, const struct conf_publisher *p)
{
	const struct publish_rfc2136_conf *c = p->priv;

	if (c == NULL || c->tsig_key_file == NULL) {
		log_err("%s:%d: publisher %s: no tsig_key_file: updates "
		    "cannot be signed", conf->path, p->line, p->name);
		return -1;
	}
	if (fs_missing(c->tsig_key_file)) {
		log_err("%s:%d: publisher %s: tsig_key_file %s does not exist",
		    conf->path, p->secret_line, p->name, c->tsig_key_file);
		return -1;
	}
	if (rfc2136_secret_usable(c->tsig_key_file) == 0)
		return 0;
	log_err("%s:%d: publisher %s: tsig_key_file %s cannot be used (why: "
	    "above)", conf->path, p->secret_line, p->name, c->tsig_key_file);
	return -1;
}

#define RFC2136_KEY(name, kind, flags) \
	CONF_KEY(struct publish_rfc2136_conf, name, kind, flags)

static const struct conf_key rfc2136_keys[] = {
	RFC2136_KEY(server, CONF_ADDR, 0),
	RFC2136_KEY(tsig_key_file, CONF_PATH, CONF_KEY_SECRET),
	CONF_KEYS_END
};

const struct backend_publisher publish_rfc2136 = {
	"rfc2136", rfc2136_replace, rfc2136_check, rfc2136_probe,
	rfc2136_secret_usable,
	{ rfc2136_keys, sizeof(struct publish_rfc2136_conf), NULL, NULL }
};
