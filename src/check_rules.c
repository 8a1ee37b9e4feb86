/*
 * check_rules - the pure rules of the monitor: the facts gathered for one
 * host (DNS, daneroll's state, live handshakes) turned into findings, and
 * the keys several hosts share. See include/check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "check.h"
#include "check_rows.h"

/* Records a sender can use for SMTP (RFC 7672 3.1.3): usages 2 and 3. */
static int
count_usable(const struct tlsa_set *set, int usage)
{
	size_t i;
	int n = 0;

	for (i = 0; i < set->n; i++) {
		const struct tlsa_rr *rr = &set->rr[i];

		if ((rr->usage != TLSA_USAGE_DANE_TA &&
		    rr->usage != TLSA_USAGE_DANE_EE) ||
		    rr->selector > TLSA_SEL_SPKI || rr->mtype > TLSA_MT_SHA512)
			continue;
		if (usage < 0 || rr->usage == usage)
			n++;
	}
	return n;
}

/* Does validated (or at least answered) DNS give the name a TLSA RRset
 * a handshake can be judged against? */
static int
dns_usable(const struct verify_name *vn)
{
	return vn->addrs.sec == RESOLVE_SECURE && vn->addrs.naddr > 0 &&
	    (vn->tlsa.sec == RESOLVE_SECURE ||
	    vn->tlsa.sec == RESOLVE_INSECURE) && vn->tlsa.exists &&
	    count_usable(&vn->tlsa.set, -1) > 0;
}

static const char *
conf_owner(const struct conf_host *h, int i)
{
	return h->owners[i].name;
}

/* DNS rules for one name; 1 if its TLSA RRset is worth judging further. */
static int
name_rules(const struct check_facts *f, int i, struct check_report *rep)
{
	const struct verify_name *vn = &f->names[i];
	const struct resolve_tlsa *t = &vn->tlsa;
	const char *hn = f->host->name, *own = conf_owner(f->host, i);
	char d[32];
	int64_t ttl;

	if (vn->owner == NULL) {
		check_add(rep, CHECK_UNKNOWN, hn, "dns-failure", vn->name,
		    "not looked up");
		return 0;
	}
	switch (vn->addrs.sec) {
	case RESOLVE_FAIL:
		check_add(rep, CHECK_UNKNOWN, hn, "dns-failure", vn->name,
		    "cannot resolve the addresses: %s", vn->addrs.why);
		return 0;
	case RESOLVE_BOGUS:
		check_add(rep, CHECK_CRITICAL, hn, "dnssec-bogus", vn->name,
		    "the addresses fail DNSSEC validation: senders defer "
		    "mail (%s)", vn->addrs.why);
		return 0;
	case RESOLVE_INSECURE:
		check_add(rep, CHECK_CRITICAL, hn, "dnssec-unsigned", vn->name,
		    "the addresses are not DNSSEC-validated%s: senders do not "
		    "use DANE for this name", vn->addrs.expanded != NULL ?
		    " (through an insecure alias)" : "");
		return 0;
	case RESOLVE_SECURE:
		break;
	}
	if (vn->addrs.naddr == 0) {
		check_add(rep, CHECK_CRITICAL, hn, "no-address", vn->name,
		    "%s", vn->addrs.nxdomain ? "the name does not exist" :
		    "no A or AAAA record");
		return 0;
	}
	if (vn->has_other && strcasecmp(vn->owner, own) != 0)
		check_add(rep, CHECK_WARNING, hn, "cname-owner", vn->name,
		    "an alias of %s: senders use the TLSA RRset at %s (%zu "
		    "record(s)), daneroll publishes at %s", vn->addrs.expanded,
		    vn->owner, t->set.n, own);
	else if (strcasecmp(vn->owner, own) != 0)
		check_add(rep, CHECK_WARNING, hn, "cname-owner", vn->name,
		    "senders use the TLSA RRset at %s, daneroll publishes at "
		    "%s", vn->owner, own);
	switch (t->sec) {
	case RESOLVE_FAIL:
		check_add(rep, CHECK_UNKNOWN, hn, "dns-failure", vn->owner,
		    "TLSA lookup failed: %s", t->why);
		return 0;
	case RESOLVE_BOGUS:
		check_add(rep, CHECK_CRITICAL, hn, "dnssec-bogus", vn->owner,
		    "the TLSA RRset fails DNSSEC validation: senders defer "
		    "mail (%s)", t->why);
		return 0;
	case RESOLVE_INSECURE:
		check_add(rep, CHECK_CRITICAL, hn, "dnssec-unsigned",
		    vn->owner, "the TLSA RRset is not DNSSEC-validated: "
		    "senders ignore it");
		return 0;
	case RESOLVE_SECURE:
		break;
	}
	if (!t->exists) {
		check_add(rep, CHECK_CRITICAL, hn, "tlsa-missing", vn->owner,
		    "no TLSA RRset (%s, validated): senders do not use DANE",
		    t->nxdomain ? "NXDOMAIN" : "NODATA");
		return 0;
	}
	if (count_usable(&t->set, -1) == 0) {
		check_add(rep, CHECK_CRITICAL, hn, "tlsa-unusable", vn->owner,
		    "none of the %zu record(s) is usable for SMTP (DANE-TA "
		    "or DANE-EE, selector 0/1, matching type 0-2)", t->set.n);
		return 0;
	}
	ttl = t->orig_ttl >= 0 ? t->orig_ttl : t->ttl;
	if (ttl < f->ttl_min || ttl > f->ttl_max)
		check_add(rep, CHECK_WARNING, hn, "ttl-advice", vn->owner,
		    "TTL %lld s is outside the advised %d..%d s", (long long)ttl,
		    f->ttl_min, f->ttl_max);
	if (t->sig_expires != 0 && t->sig_expires - f->now < CHECK_RRSIG_WARN)
		check_add(rep, CHECK_WARNING, hn, "rrsig-expiring", vn->owner,
		    "the RRSIG on the TLSA RRset expires on %s (%lld h from "
		    "now): is the zone still being signed?",
		    check_fmt_date(t->sig_expires, d, sizeof(d)),
		    (long long)(t->sig_expires - f->now) / 3600);
	return 1;
}

/* The verify_name an endpoint belongs to. */
static const struct verify_name *
name_of(const struct check_facts *f, const struct verify_endpoint *e)
{
	int i;

	for (i = 0; i < f->nnames; i++)
		if (strcmp(f->names[i].name, e->name) == 0 &&
		    f->names[i].port == e->port)
			return &f->names[i];
	return NULL;
}

static void
add_endpoint_row(struct check_report *rep, const char *host,
    const struct verify_endpoint *e)
{
	struct check_endpoint *r;

	rep->eps = xrealloc(rep->eps, (size_t)(rep->neps + 1) *
	    sizeof(*rep->eps));
	r = &rep->eps[rep->neps++];
	memset(r, 0, sizeof(*r));
	r->host = xstrdup(host);
	r->name = xstrdup(e->name);
	r->addr = xstrdup(e->addr.text);
	r->port = e->port;
	r->alg = e->alg;
	r->status = e->status;
	r->detail = xstrdup(e->detail);
	r->tls_version = xstrdup(e->tls_version);
	r->cipher = xstrdup(e->cipher);
	r->usage = e->usage;
	r->selector = e->selector;
	r->mtype = e->mtype;
	r->depth = e->depth;
	r->no_tlsa = e->tlsa == NULL || e->tlsa->n == 0;
	r->not_after = e->not_after;
	memcpy(r->spki, e->spki, sizeof(r->spki));
	r->elapsed_ms = e->elapsed_ms;
}

static void
endpoint_rules(const struct check_facts *f, const struct verify_endpoint *e,
    const struct check_host *row, struct check_report *rep)
{
	const struct verify_name *vn = name_of(f, e);
	const char *hn = f->host->name;
	char subj[400], d[32];
	enum check_sev sev;
	const char *code;

	add_endpoint_row(rep, hn, e);
	if (strcmp(e->name, hn) != 0)
		snprintf(subj, sizeof(subj), "%s %s %s", e->name, e->addr.text,
		    key_alg_str(e->alg));
	else
		snprintf(subj, sizeof(subj), "%s %s", e->addr.text,
		    key_alg_str(e->alg));
	/* Several ports: which one (25 and 587 STARTTLS, 465 TLS). */
	if (f->host->ports.n > 1)
		snprintf(subj + strlen(subj), sizeof(subj) - strlen(subj),
		    " port %d", e->port);
	switch (e->status) {
	case VS_MATCH:
		code = NULL;
		break;
	case VS_MISMATCH:
		/* Without a usable RRset, the DNS finding says it all. */
		code = vn != NULL && dns_usable(vn) ? "tlsa-mismatch" : NULL;
		break;
	case VS_NO_STARTTLS:	code = "starttls-missing"; break;
	case VS_HANDSHAKE:	code = "handshake-failed"; break;
	case VS_SMTP_PERM:	code = "smtp-error"; break;
	case VS_SMTP_TEMP:	code = "smtp-tempfail"; break;
	case VS_UNREACHABLE:	code = "unreachable"; break;
	case VS_TIMEOUT:	code = "timeout"; break;
	default:		code = "local-error"; break;
	}
	if (code != NULL) {
		sev = verify_status_outcome(e->status) == OUT_PERMFAIL ?
		    CHECK_CRITICAL : strcmp(code, "local-error") == 0 ?
		    CHECK_UNKNOWN : CHECK_WARNING;
		check_add(rep, sev, hn, code, subj, "%s", e->detail);
	}
	if (e->not_after == 0)
		return;
	if (e->not_after <= f->now)
		check_add(rep, CHECK_CRITICAL, hn, "cert-expired", subj,
		    "the certificate expired on %s%s",
		    check_fmt_date(e->not_after, d, sizeof(d)), e->status == VS_MATCH &&
		    e->usage == TLSA_USAGE_DANE_EE ? " (DANE-EE senders still "
		    "accept it; others may not)" : "");
	else if (e->not_after - f->now < row->expiry_crit ||
	    e->not_after - f->now < row->expiry_warn)
		check_add(rep, e->not_after - f->now < row->expiry_crit ?
		    CHECK_CRITICAL : CHECK_WARNING, hn, "cert-expiring", subj,
		    "the certificate expires on %s, in %lld day(s)",
		    check_fmt_date(e->not_after, d, sizeof(d)),
		    (long long)(e->not_after - f->now) / 86400);
}

/*
 * May a validating resolver still answer with this replaced version from
 * its cache? Right after an update, it may: that is the previous RRset
 * going away on schedule, not an edit behind daneroll's back.
 */
static int
still_cached(const struct check_facts *f, const struct check_replaced *r)
{
	return r->gone_at == 0 ||
	    f->now < r->gone_at + r->ttl + f->host->timing.margin;
}

/* Does the one record rr match something daneroll deploys or stages, or
 * a version it replaced that caches may still hold? */
static int
accounted(const struct check_facts *f, const struct tlsa_rr *rr)
{
	struct tlsa_set one = { NULL, 0 };
	int i, hit = 0;

	if (tlsa_set_has(f->known, rr))
		return 1;
	for (i = 0; i < f->nreplaced; i++)
		if (still_cached(f, &f->replaced[i]) &&
		    tlsa_set_has(&f->replaced[i].set, rr))
			return 1;
	for (i = 0; i < f->neps && f->ep_matched != NULL && !hit; i++)
		hit = tlsa_set_has(&f->ep_matched[i], rr);
	tlsa_set_add(&one, rr);
	for (i = 0; i < f->nknown_chains && !hit; i++)
		if (f->known_chains[i] != NULL)
			hit = tlsa_set_matches_chain(&one, f->known_chains[i]);
	tlsa_set_free(&one);
	return hit;
}

/* Is set exactly a replaced version that caches may still hold? */
static int
cached_version(const struct check_facts *f, const struct tlsa_set *set)
{
	int i;

	for (i = 0; i < f->nreplaced; i++)
		if (still_cached(f, &f->replaced[i]) &&
		    tlsa_set_equal(&f->replaced[i].set, set))
			return 1;
	return 0;
}

/* "3 1 1 9c1a892dcf5206f7...": enough of a record to tell it apart. */
static void
put_short_rr(struct buf *b, const struct tlsa_rr *rr)
{
	char hex[17];
	size_t n = rr->len < 8 ? rr->len : 8;

	util_hex(rr->data, n, hex);
	buf_printf(b, "%u %u %u %s%s", rr->usage, rr->selector, rr->mtype,
	    hex, rr->len > n ? "..." : "");
}

/* "; LABEL: r1, r2" for the records of set that other lacks. */
static void
put_only_in(struct buf *b, const char *label, const struct tlsa_set *set,
    const struct tlsa_set *other)
{
	size_t i;
	int n = 0;

	for (i = 0; i < set->n; i++) {
		if (tlsa_set_has(other, &set->rr[i]))
			continue;
		if (n++ == 0)
			buf_printf(b, "; %s: ", label);
		else
			buf_puts(b, ", ");
		put_short_rr(b, &set->rr[i]);
	}
}

static void
record_rules(const struct check_facts *f, struct check_report *rep,
    const int *judged)
{
	const struct conf_host *h = f->host;
	const struct verify_name *vn = &f->names[0];
	struct buf diff = { NULL, 0, 0 };
	unsigned a;
	int nalgs = 0, usable, i;
	size_t j;
	char *txt;

	for (a = 0; a < KEY_ALG_COUNT; a++)
		if (h->algs & (1u << a))
			nalgs++;
	if (judged[0]) {
		usable = count_usable(&vn->tlsa.set, -1);
		if (h->scheme == SCHEME_CURRENT_NEXT && usable < 2 * nalgs)
			check_add(rep, CHECK_WARNING, h->name, "no-next-record",
			    vn->owner, "%d usable record(s) for %d algorithm(s):"
			    " current + next needs %d, so no key can roll over "
			    "safely", usable, nalgs, 2 * nalgs);
		if (h->scheme == SCHEME_CURRENT_ISSUER &&
		    count_usable(&vn->tlsa.set, TLSA_USAGE_DANE_TA) == 0)
			check_add(rep, CHECK_WARNING, h->name,
			    "no-issuer-record", vn->owner, "no DANE-TA record: "
			    "current + issuer cannot renew safely");
	}
	if (f->known == NULL)
		return;		/* no state: the run says so once */
	for (i = 0; i < f->nnames; i++) {
		if (!judged[i])
			continue;
		vn = &f->names[i];
		for (j = 0; j < vn->tlsa.set.n; j++) {
			if (accounted(f, &vn->tlsa.set.rr[j]))
				continue;
			txt = tlsa_format(&vn->tlsa.set.rr[j]);
			check_add(rep, CHECK_WARNING, h->name, "orphan-record",
			    txt, "at %s: matches no key daneroll deploys or "
			    "has staged, nor an RRset it replaced within the "
			    "TTL", vn->owner);
			free(txt);
		}
		if (f->published == NULL || f->published->n == 0 ||
		    strcasecmp(vn->owner, conf_owner(h, i)) != 0 ||
		    tlsa_set_equal(f->published, &vn->tlsa.set) ||
		    cached_version(f, &vn->tlsa.set))
			continue;
		diff.len = 0;
		buf_printf(&diff, "DNS serves %zu record(s), daneroll last "
		    "published %zu", vn->tlsa.set.n, f->published->n);
		put_only_in(&diff, "only in DNS", &vn->tlsa.set, f->published);
		put_only_in(&diff, "only in daneroll's", f->published,
		    &vn->tlsa.set);
		check_add(rep, CHECK_WARNING, h->name, "dns-differs",
		    vn->owner, "%s", diff.data);
	}
	buf_free(&diff);
}

/* What the rollover state says: a stopped or failing rollover, and a
 * clock that went back, which makes every rollover wait. */
static void
state_rules(const struct check_facts *f, struct check_report *rep)
{
	char when[64], d[32];
	int i;

	for (i = 0; i < f->nalerts; i++)
		check_add(rep, f->alerts[i].level == ALERT_CRITICAL ?
		    CHECK_CRITICAL : CHECK_WARNING, f->host->name,
		    "rollover-alert", key_alg_str(f->alerts[i].alg), "%s",
		    f->alerts[i].reason);
	for (i = 0; i < f->nslots; i++) {
		const struct check_slot *s = &f->slots[i];

		if (s->due_at == 0 || f->now - s->due_at <= CHECK_STALL_GRACE)
			continue;
		check_add(rep, CHECK_WARNING, f->host->name, "stalled",
		    key_alg_str(s->alg), "due since %s (%s ago, %s) and no run "
		    "has acted: is daneroll's timer or cron job running?",
		    util_fmt_time(s->due_at, when, sizeof(when)),
		    util_fmt_duration((int64_t)(f->now - s->due_at), d,
		    sizeof(d)), slot_state_str(s->state));
	}
	if (f->ca_change != NULL)
		check_add(rep, CHECK_WARNING, f->host->name, "ca-change",
		    NULL, "a CA change is under way: the next certificate "
		    "comes from %s, whose \"2 1 1\" record is published and "
		    "ages before the deploy", f->ca_change);
	if (f->future_at != 0)
		check_add(rep, CHECK_WARNING, f->host->name, "clock-skew",
		    f->future_owner, "an RRset is recorded at %s, %s from now: "
		    "the clock went back, or was ahead then; rollovers wait "
		    "until that time", util_fmt_time(f->future_at, when,
		    sizeof(when)), util_fmt_duration((int64_t)(f->future_at -
		    f->now), d, sizeof(d)));
}

void
check_host_findings(const struct check_facts *f, struct check_report *rep)
{
	const struct verify_name *vn = &f->names[0];
	struct check_host *row;
	int *judged, i, first = rep->nfindings;

	rep->hosts = xrealloc(rep->hosts, (size_t)(rep->nhosts + 1) *
	    sizeof(*rep->hosts));
	row = &rep->hosts[rep->nhosts++];
	memset(row, 0, sizeof(*row));
	row->name = xstrdup(f->host->name);
	row->owner = xstrdup(vn->owner != NULL ? vn->owner : f->host->owner);
	row->addr_sec = vn->addrs.sec;
	row->tlsa_sec = vn->tlsa.sec;
	row->ntlsa = (int)vn->tlsa.set.n;
	row->ttl = vn->tlsa.exists ? (vn->tlsa.orig_ttl >= 0 ?
	    vn->tlsa.orig_ttl : vn->tlsa.ttl) : -1;
	row->rrsig_expires = vn->tlsa.sig_expires;
	row->naddr = vn->addrs.naddr;
	row->expiry_warn = rep->expiry.warn_set ?
	    (int64_t)rep->expiry.warn_days * 86400 :
	    f->host->timing.expiry_alert;
	row->expiry_crit = (int64_t)rep->expiry.crit_days * 86400;
	row->last_run = f->last_run;

	judged = xcalloc((size_t)f->nnames, sizeof(*judged));
	for (i = 0; i < f->nnames; i++)
		judged[i] = name_rules(f, i, rep);
	for (i = 0; i < f->neps; i++)
		endpoint_rules(f, &f->eps[i], row, rep);
	record_rules(f, rep, judged);
	state_rules(f, rep);
	free(judged);
	check_row_status(rep, row, first);
}

/* Endpoints by key, then host, then place in the report. */
static int
ep_cmp(const void *a, const void *b)
{
	const struct check_endpoint *x =
	    *(const struct check_endpoint *const *)a;
	const struct check_endpoint *y =
	    *(const struct check_endpoint *const *)b;
	int c;

	if ((c = strcmp(x->spki, y->spki)) != 0 ||
	    (c = strcmp(x->host, y->host)) != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* Endpoints by place in the report. */
static int
ep_place_cmp(const void *a, const void *b)
{
	const struct check_endpoint *x =
	    *(const struct check_endpoint *const *)a;
	const struct check_endpoint *y =
	    *(const struct check_endpoint *const *)b;

	return x < y ? -1 : x > y;
}

/* A shared-key finding, held until all are known: they are added in the
 * order of the endpoints they name. */
struct shared {
	const struct check_endpoint	*at;
	char				*others;
};

static int
shared_cmp(const void *a, const void *b)
{
	const struct shared *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

/*
 * One key's endpoints, g[0..n) sorted by ep_cmp: each host's first
 * endpoint with it, in report order, is told of every other host
 * serving it (in the order they first do), one finding each, appended
 * to out.
 */
static void
shared_group(const struct check_endpoint **g, int n, struct shared **out,
    int *nout)
{
	const struct check_endpoint **first = xcalloc((size_t)n,
	    sizeof(*first));
	struct buf others = { NULL, 0, 0 };
	int i, j, nfirst = 0;

	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(g[i]->host, g[i - 1]->host) != 0)
			first[nfirst++] = g[i];
	qsort(first, (size_t)nfirst, sizeof(*first), ep_place_cmp);
	for (i = 0; nfirst > 1 && i < nfirst; i++) {
		others.len = 0;
		for (j = 0; j < nfirst; j++)
			if (j != i)
				buf_printf(&others, "%s%s",
				    others.len > 0 ? ", " : "", first[j]->host);
		*out = xrealloc(*out, (size_t)(*nout + 1) * sizeof(**out));
		(*out)[*nout].at = first[i];
		(*out)[(*nout)++].others = xstrdup(others.data);
	}
	buf_free(&others);
	free(first);
}

/*
 * Endpoints sorted by key and host make each key's group and each host's
 * first endpoint in it adjacent: a fleet's check costs endpoints x log
 * endpoints here, not endpoints squared.
 */
void
check_shared_keys(struct check_report *rep)
{
	const struct check_endpoint **by = xcalloc((size_t)rep->neps + 1,
	    sizeof(*by));
	struct shared *sh = NULL;
	int i, g, n = 0, nsh = 0;
	char subj[80];

	for (i = 0; i < rep->neps; i++)
		if (rep->eps[i].spki[0] != '\0')
			by[n++] = &rep->eps[i];
	qsort(by, (size_t)n, sizeof(*by), ep_cmp);
	for (g = 0; g < n; g = i) {
		for (i = g + 1; i < n && strcmp(by[i]->spki, by[g]->spki) == 0;
		    i++)
			;
		shared_group(by + g, i - g, &sh, &nsh);
	}
	if (nsh > 1)
		qsort(sh, (size_t)nsh, sizeof(*sh), shared_cmp);
	for (i = 0; i < nsh; i++) {
		snprintf(subj, sizeof(subj), "3 1 1 %.16s...", sh[i].at->spki);
		check_add(rep, CHECK_WARNING, sh[i].at->host, "shared-key",
		    subj, "the same key is served by %s: a mistake in one "
		    "rollover takes down both", sh[i].others);
		free(sh[i].others);
	}
	free(sh);
	free(by);
	check_update_status(rep);
}
