/*
 * check - the monitor: gather (DNS, daneroll's state, live handshakes),
 * judge (pure rules turning facts into findings) and report (Nagios line,
 * table, JSON, Prometheus textfile). See include/check.h.
 *
 * Gathering looks up every name first (one validating resolver, names in
 * turn) and then makes every handshake of every host in one verify_run(),
 * so hosts and addresses are checked concurrently and the run lasts about
 * as long as its slowest endpoint. Findings are data, not log lines: only
 * failures of the check itself (no resolver, an unwritable metrics file)
 * are logged.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "check.h"
#include "fsutil.h"
#include "jsonout.h"
#include "log.h"
#include "store.h"
#include "view.h"

const char *
check_sev_str(enum check_sev s)
{
	switch (s) {
	case CHECK_OK:		return "OK";
	case CHECK_WARNING:	return "WARNING";
	case CHECK_CRITICAL:	return "CRITICAL";
	case CHECK_UNKNOWN:	return "UNKNOWN";
	}
	return "UNKNOWN";
}

enum check_sev
check_sev_worst(enum check_sev a, enum check_sev b)
{
	static const int rank[] = { 0, 1, 3, 2 };	/* by enum value */

	return rank[a] >= rank[b] ? a : b;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
check_add(struct check_report *rep, enum check_sev sev, const char *host,
    const char *code, const char *subject, const char *fmt, ...)
{
	struct check_finding *f;
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	rep->findings = xrealloc(rep->findings, (size_t)(rep->nfindings + 1) *
	    sizeof(*rep->findings));
	f = &rep->findings[rep->nfindings++];
	f->sev = sev;
	f->host = dup_or_null(host);
	f->code = xstrdup(code);
	f->subject = dup_or_null(subject);
	f->text = xstrdup(text);
}

enum check_sev
check_report_status(const struct check_report *rep)
{
	enum check_sev s = CHECK_OK;
	int i;

	for (i = 0; i < rep->nfindings; i++)
		s = check_sev_worst(s, rep->findings[i].sev);
	return s;
}

void
check_report_free(struct check_report *rep)
{
	int i;

	for (i = 0; i < rep->nfindings; i++) {
		free(rep->findings[i].host);
		free(rep->findings[i].code);
		free(rep->findings[i].subject);
		free(rep->findings[i].text);
	}
	for (i = 0; i < rep->neps; i++) {
		free(rep->eps[i].host);
		free(rep->eps[i].name);
		free(rep->eps[i].addr);
		free(rep->eps[i].detail);
		free(rep->eps[i].tls_version);
		free(rep->eps[i].cipher);
	}
	for (i = 0; i < rep->nslots; i++)
		free(rep->slots[i].host);
	free(rep->slots);
	for (i = 0; i < rep->nhosts; i++) {
		free(rep->hosts[i].name);
		free(rep->hosts[i].owner);
	}
	free(rep->findings);
	free(rep->eps);
	free(rep->hosts);
	memset(rep, 0, sizeof(*rep));
}

/* Host rows by name, for update_status's search. */
static int
row_cmp(const void *a, const void *b)
{
	const struct check_host *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int
row_find(const void *key, const void *elem)
{
	const struct check_host *const *r = elem;

	return strcmp(key, (*r)->name);
}

/* Host rows sorted by name (caller frees). */
static struct check_host **
rows_by_name(const struct check_report *rep)
{
	struct check_host **by = xcalloc((size_t)rep->nhosts + 1, sizeof(*by));
	int i;

	for (i = 0; i < rep->nhosts; i++)
		by[i] = &rep->hosts[i];
	qsort(by, (size_t)rep->nhosts, sizeof(*by), row_cmp);
	return by;
}

/* The rows of by (rows_by_name) named name: by[*lo] to by[*hi - 1]
 * (a host named twice has two rows, side by side); none: *lo == *hi. */
static void
rows_named(struct check_host **by, int n, const char *name, int *lo,
    int *hi)
{
	struct check_host **hit = NULL;

	*lo = *hi = 0;
	if (name == NULL || (hit = bsearch(name, by, (size_t)n, sizeof(*by),
	    row_find)) == NULL)
		return;
	for (*lo = *hi = (int)(hit - by); *lo > 0 &&
	    strcmp(by[*lo - 1]->name, name) == 0; (*lo)--)
		;
	while (*hi < n && strcmp(by[*hi]->name, name) == 0)
		(*hi)++;
}

/*
 * Every host row's status: the worst of its findings. Rows sorted by
 * name are searched for each finding's host, so a fleet's report costs
 * (hosts + findings) log hosts, not hosts x findings.
 */
static void
update_status(struct check_report *rep)
{
	struct check_host **by = rows_by_name(rep);
	int i, lo, hi;

	for (i = 0; i < rep->nhosts; i++)
		rep->hosts[i].status = CHECK_OK;
	for (i = 0; i < rep->nfindings; i++) {
		rows_named(by, rep->nhosts, rep->findings[i].host, &lo, &hi);
		for (; lo < hi; lo++)
			by[lo]->status = check_sev_worst(by[lo]->status,
			    rep->findings[i].sev);
	}
	free(by);
}

/*
 * Items of a report (endpoints, findings) by host row, for the outputs
 * that list each host's: row r's are item[start[r]] to
 * item[start[r + 1] - 1], in the order given. Item k is val[k], of host
 * host[k]; it goes to every row of that name. Caller frees with
 * row_items_free.
 */
struct row_items {
	int	*start;
	int	*item;
};

static void
row_items(const struct check_report *rep, const char *const *host,
    const int *val, int n, struct row_items *ix)
{
	struct check_host **by = rows_by_name(rep);
	int *fill = xcalloc((size_t)rep->nhosts + 1, sizeof(*fill));
	int k, lo, hi, r, pass;

	ix->start = xcalloc((size_t)rep->nhosts + 1, sizeof(*ix->start));
	ix->item = NULL;
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < n; k++) {
			rows_named(by, rep->nhosts, host[k], &lo, &hi);
			for (; lo < hi; lo++) {
				r = (int)(by[lo] - rep->hosts);
				if (pass == 0)
					ix->start[r + 1]++;
				else
					ix->item[ix->start[r] + fill[r]++] =
					    val[k];
			}
		}
		if (pass == 0) {
			for (r = 0; r < rep->nhosts; r++)
				ix->start[r + 1] += ix->start[r];
			ix->item = xcalloc((size_t)ix->start[rep->nhosts] + 1,
			    sizeof(*ix->item));
		}
	}
	free(fill);
	free(by);
}

static void
row_items_free(struct row_items *ix)
{
	free(ix->start);
	free(ix->item);
}

/* Each row's endpoints, in report order. */
static void
row_endpoints(const struct check_report *rep, struct row_items *ix)
{
	const char **host = xcalloc((size_t)rep->neps + 1, sizeof(*host));
	int *val = xcalloc((size_t)rep->neps + 1, sizeof(*val));
	int j;

	for (j = 0; j < rep->neps; j++) {
		host[j] = rep->eps[j].host;
		val[j] = j;
	}
	row_items(rep, host, val, rep->neps, ix);
	free(host);
	free(val);
}

/* Each row's findings, in the order of order (findings_order). */
static void
row_findings(const struct check_report *rep, const int *order,
    struct row_items *ix)
{
	const char **host = xcalloc((size_t)rep->nfindings + 1,
	    sizeof(*host));
	int j;

	for (j = 0; j < rep->nfindings; j++)
		host[j] = rep->findings[order[j]].host;
	row_items(rep, host, order, rep->nfindings, ix);
	free(host);
}

/* The status of the row just added, from the findings since first:
 * update_status for one host, while the rest of the fleet is judged. */
static void
row_status(struct check_report *rep, struct check_host *row, int first)
{
	int i;

	row->status = CHECK_OK;
	for (i = first; i < rep->nfindings; i++)
		if (rep->findings[i].host != NULL &&
		    strcmp(rep->findings[i].host, row->name) == 0)
			row->status = check_sev_worst(row->status,
			    rep->findings[i].sev);
}

int
check_days_parse(const char *opt, const char *arg, int *days)
{
	const char *p;
	int n = 0;

	for (p = arg; *p >= '0' && *p <= '9' && n <= CHECK_DAYS_MAX; p++)
		n = n * 10 + (*p - '0');
	if (p == arg || *p != '\0' || n > CHECK_DAYS_MAX) {
		log_err("%s %s: not a number of days (0 to %d)", opt, arg,
		    CHECK_DAYS_MAX);
		return -1;
	}
	*days = n;
	return 0;
}

int
check_expiry_set(struct check_expiry *x, int warn_days, int crit_days)
{
	memset(x, 0, sizeof(*x));
	if (warn_days >= 0 && crit_days > warn_days) {
		log_err("-c %d is more than -w %d: a certificate is critical "
		    "only once it is past the warning threshold", crit_days,
		    warn_days);
		return -1;
	}
	x->warn_set = warn_days >= 0;
	x->warn_days = warn_days >= 0 ? warn_days : 0;
	x->crit_days = crit_days >= 0 ? crit_days : 0;
	return 0;
}

time_t
check_last_success(const struct store_slot *s, time_t host_last_run)
{
	if (host_last_run > s->last_run_at &&
	    host_last_run > s->last_success_at &&
	    host_last_run >= s->created_at && s->failures == 0 &&
	    s->state != SLOT_FAILED)
		return host_last_run;
	return s->last_success_at;
}

/* ------------------------------------------------------------- rules */

static const char *
fmt_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

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
		    fmt_date(t->sig_expires, d, sizeof(d)),
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
		    fmt_date(e->not_after, d, sizeof(d)), e->status == VS_MATCH &&
		    e->usage == TLSA_USAGE_DANE_EE ? " (DANE-EE senders still "
		    "accept it; others may not)" : "");
	else if (e->not_after - f->now < row->expiry_crit ||
	    e->not_after - f->now < row->expiry_warn)
		check_add(rep, e->not_after - f->now < row->expiry_crit ?
		    CHECK_CRITICAL : CHECK_WARNING, hn, "cert-expiring", subj,
		    "the certificate expires on %s, in %lld day(s)",
		    fmt_date(e->not_after, d, sizeof(d)),
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
	tlsa_set_add(&one, rr);
	for (i = 0; i < f->neps && !hit; i++)
		if (f->eps[i].chain != NULL)
			hit = tlsa_set_matches_chain(&one, f->eps[i].chain);
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
	row_status(rep, row, first);
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
	update_status(rep);
}

/* ------------------------------------------------------------ output */

/* Findings in the order they matter: CRITICAL, UNKNOWN, WARNING, notes. */
static int
sev_rank(enum check_sev s)
{
	static const int rank[] = { 0, 1, 3, 2 };

	return rank[s];
}

static int *
findings_order(const struct check_report *rep)
{
	int *o = xcalloc((size_t)(rep->nfindings > 0 ? rep->nfindings : 1),
	    sizeof(*o));
	int i, n = 0, r;

	for (r = 3; r >= 0; r--)
		for (i = 0; i < rep->nfindings; i++)
			if (sev_rank(rep->findings[i].sev) == r)
				o[n++] = i;
	return o;
}

/* Nagios text must not hold '|' (it starts the performance data). */
static void
put_nagios_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		buf_add(b, *s == '|' ? "/" : *s == '\n' ? " " : s, 1);
}

/* Whole days from now to t, rounded down (-1 for a day past). */
static long long
days_left(time_t t, time_t now)
{
	long long d = (long long)(t - now);

	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/*
 * The days left on the certificate that expires first, with the
 * thresholds as ranges: "14:" alerts below 14. The warning threshold is
 * left out when the hosts' expiry_alert differ and -w did not set one.
 */
static void
put_cert_days(const struct check_report *rep, struct buf *b)
{
	time_t first = 0;
	int i, same = 1;

	for (i = 0; i < rep->neps; i++)
		if (rep->eps[i].not_after != 0 && (first == 0 ||
		    rep->eps[i].not_after < first))
			first = rep->eps[i].not_after;
	if (first == 0)
		return;
	for (i = 1; i < rep->nhosts; i++)
		same &= rep->hosts[i].expiry_warn == rep->hosts[0].expiry_warn;
	buf_printf(b, " cert_days=%lld;", days_left(first, rep->now));
	if (same && rep->nhosts > 0)
		buf_printf(b, "%g:", (double)rep->hosts[0].expiry_warn / 86400.0);
	buf_printf(b, ";%d:", rep->expiry.crit_days);
}

void
check_format_nagios(const struct check_report *rep, struct buf *b)
{
	enum check_sev st = check_report_status(rep);
	int ncrit = 0, nwarn = 0, nunk = 0, ok = 0, i, shown = 0;
	int *order = findings_order(rep);
	const struct check_finding *f;

	for (i = 0; i < rep->nfindings; i++) {
		ncrit += rep->findings[i].sev == CHECK_CRITICAL;
		nwarn += rep->findings[i].sev == CHECK_WARNING;
		nunk += rep->findings[i].sev == CHECK_UNKNOWN;
	}
	for (i = 0; i < rep->neps; i++)
		ok += rep->eps[i].status == VS_MATCH;
	buf_printf(b, "DANE %s - ", check_sev_str(st));
	if (st == CHECK_OK)
		buf_printf(b, "%d host%s, %d of %d endpoints DANE-authenticated",
		    rep->nhosts, rep->nhosts == 1 ? "" : "s", ok, rep->neps);
	else {
		buf_printf(b, "%d critical, %d unknown, %d warning: ", ncrit,
		    nunk, nwarn);
		for (i = 0; i < rep->nfindings && shown < 3; i++) {
			f = &rep->findings[order[i]];
			if (f->sev == CHECK_OK)
				continue;
			if (shown++ > 0)
				buf_puts(b, "; ");
			put_nagios_text(b, f->host != NULL ? f->host : "-");
			buf_puts(b, " ");
			put_nagios_text(b, f->code);
			if (f->subject != NULL) {
				buf_puts(b, " ");
				put_nagios_text(b, f->subject);
			}
		}
		if (ncrit + nwarn + nunk > shown)
			buf_printf(b, "; and %d more", ncrit + nwarn + nunk -
			    shown);
	}
	/* label=value;warn;crit;min;max (Nagios plugin guidelines). */
	buf_printf(b, " | hosts=%d;;;0 endpoints=%d;;;0 dane_ok=%d;;;0;%d "
	    "critical=%d;;;0 warning=%d;;;0 unknown=%d;;;0 time=%.3fs;;;0",
	    rep->nhosts, rep->neps, ok, rep->neps, ncrit, nwarn, nunk,
	    (double)rep->duration_ms / 1000.0);
	put_cert_days(rep, b);
	buf_puts(b, "\n");
	free(order);
}

/*
 * An endpoint's RESULT (table) and result (JSON): the verify status, but
 * a "mismatch" without any TLSA record to match is "no-tlsa", as the host's
 * DNS finding (tlsa-missing, dnssec-bogus...) says.
 */
static const char *
ep_result(const struct check_endpoint *e)
{
	if (e->status == VS_MISMATCH && e->no_tlsa)
		return "no-tlsa";
	return verify_status_str(e->status);
}

static size_t
max_len(size_t cur, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 1;

	return n > cur ? n : cur;
}

void
check_format_table(const struct check_report *rep, struct buf *b)
{
	const struct check_endpoint *e;
	const struct check_finding *f;
	size_t wh = 4, wa = 7, wc = 4;
	int *order = findings_order(rep);
	char match[48], exp[32];
	int i;

	for (i = 0; i < rep->neps; i++) {
		e = &rep->eps[i];
		wh = max_len(wh, e->name);
		wa = max_len(wa, e->addr);
	}
	buf_printf(b, "%-*s  %-*s  %-10s  %-16s  %-7s  %-15s  %s\n", (int)wh,
	    "NAME", (int)wa, "ADDRESS", "ALG", "RESULT", "TLS", "MATCHED",
	    "EXPIRES");
	for (i = 0; i < rep->neps; i++) {
		e = &rep->eps[i];
		if (e->usage >= 0)
			snprintf(match, sizeof(match), "%d %d %d depth %d",
			    e->usage, e->selector, e->mtype, e->depth);
		else
			snprintf(match, sizeof(match), "-");
		buf_printf(b, "%-*s  %-*s  %-10s  %-16s  %-7s  %-15s  %s\n",
		    (int)wh, e->name, (int)wa, e->addr, key_alg_str(e->alg),
		    ep_result(e),
		    e->tls_version[0] != '\0' ? e->tls_version : "-", match,
		    e->not_after != 0 ? fmt_date(e->not_after, exp,
		    sizeof(exp)) : "-");
	}
	if (rep->nfindings == 0)
		goto done;
	wh = 4;
	for (i = 0; i < rep->nfindings; i++) {
		wh = max_len(wh, rep->findings[i].host);
		wc = max_len(wc, rep->findings[i].code);
	}
	buf_puts(b, "\n");
	for (i = 0; i < rep->nfindings; i++) {
		f = &rep->findings[order[i]];
		buf_printf(b, "%-8s  %-*s  %-*s  %s%s%s\n", f->sev == CHECK_OK ?
		    "NOTE" : check_sev_str(f->sev), (int)wh,
		    f->host != NULL ? f->host : "-", (int)wc, f->code,
		    f->subject != NULL ? f->subject : "",
		    f->subject != NULL ? ": " : "", f->text);
	}
done:
	free(order);
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void
put_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_add(b, "\\", 1);
		if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_add(b, s, 1);
	}
}

static void
prom_head(struct buf *b, const char *name, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
prom_host(struct buf *b, const char *metric, const char *host,
    long long value)
{
	buf_printf(b, "%s{host=\"", metric);
	put_label(b, host);
	buf_printf(b, "\"} %lld\n", value);
}

static void
prom_ep(struct buf *b, const char *metric, const struct check_endpoint *e,
    const char *value)
{
	buf_printf(b, "%s{host=\"", metric);
	put_label(b, e->host);
	buf_puts(b, "\",name=\"");
	put_label(b, e->name);
	buf_puts(b, "\",address=\"");
	put_label(b, e->addr);
	buf_printf(b, "\",alg=\"%s\"} %s\n", key_alg_str(e->alg), value);
}

static void
prom_slot(struct buf *b, const char *metric, const struct check_slot *s,
    long long value)
{
	buf_printf(b, "%s{host=\"", metric);
	put_label(b, s->host);
	buf_printf(b, "\",alg=\"%s\"} %lld\n", key_alg_str(s->alg), value);
}

/* The runs themselves, slot by slot, from daneroll's state. */
static void
prom_slots(const struct check_report *rep, struct buf *b)
{
	const struct check_slot *s;
	int i;

	if (rep->nslots == 0)
		return;
	prom_head(b, "daneroll_slot_state", "The slot's rollover state (the "
	    "state label), always 1.");
	for (i = 0; i < rep->nslots; i++) {
		s = &rep->slots[i];
		buf_puts(b, "daneroll_slot_state{host=\"");
		put_label(b, s->host);
		buf_printf(b, "\",alg=\"%s\",state=\"%s\"} 1\n",
		    key_alg_str(s->alg), slot_state_str(s->state));
	}
	prom_head(b, "daneroll_slot_alert", "The rollover's alert for the "
	    "slot: 0 none, 1 warning, 2 critical.");
	for (i = 0; i < rep->nslots; i++)
		prom_slot(b, "daneroll_slot_alert", &rep->slots[i],
		    rep->slots[i].alert);
	prom_head(b, "daneroll_slot_failures", "Consecutive failures of the "
	    "slot's current step.");
	for (i = 0; i < rep->nslots; i++)
		prom_slot(b, "daneroll_slot_failures", &rep->slots[i],
		    rep->slots[i].failures);
	prom_head(b, "daneroll_slot_failing_since_timestamp_seconds", "When "
	    "the current streak of failures began (absent: not failing).");
	for (i = 0; i < rep->nslots; i++)
		if (rep->slots[i].failing_since != 0)
			prom_slot(b,
			    "daneroll_slot_failing_since_timestamp_seconds",
			    &rep->slots[i], rep->slots[i].failing_since);
	prom_head(b, "daneroll_slot_due_timestamp_seconds", "When the last "
	    "run meant a run to act again (in the past by more than an hour: "
	    "no run is acting; absent: never).");
	for (i = 0; i < rep->nslots; i++)
		if (rep->slots[i].due_at != 0)
			prom_slot(b, "daneroll_slot_due_timestamp_seconds",
			    &rep->slots[i], rep->slots[i].due_at);
	prom_head(b, "daneroll_slot_next_wake_timestamp_seconds", "When a run "
	    "would act next, as of this check (absent: nothing due).");
	for (i = 0; i < rep->nslots; i++)
		if (rep->slots[i].next_wake != 0)
			prom_slot(b,
			    "daneroll_slot_next_wake_timestamp_seconds",
			    &rep->slots[i], rep->slots[i].next_wake);
	prom_head(b, "daneroll_slot_last_success_timestamp_seconds", "When "
	    "a run last ended with the slot's work done and no failure, "
	    "critical alert or stop (absent: never).");
	for (i = 0; i < rep->nslots; i++)
		if (rep->slots[i].last_success != 0)
			prom_slot(b,
			    "daneroll_slot_last_success_timestamp_seconds",
			    &rep->slots[i], rep->slots[i].last_success);
}

void
check_format_prometheus(const struct check_report *rep, struct buf *b)
{
	static const enum check_sev sevs[] = { CHECK_WARNING, CHECK_CRITICAL,
	    CHECK_UNKNOWN };
	const struct check_host *h;
	struct row_items fix;
	char v[64];
	int *order, i, j, k, n;

	prom_head(b, "daneroll_check_status", "Worst finding per host: 0 OK, "
	    "1 WARNING, 2 CRITICAL, 3 UNKNOWN.");
	for (i = 0; i < rep->nhosts; i++)
		prom_host(b, "daneroll_check_status", rep->hosts[i].name,
		    rep->hosts[i].status);
	prom_head(b, "daneroll_check_findings", "Findings per host and "
	    "severity.");
	order = findings_order(rep);
	row_findings(rep, order, &fix);
	for (i = 0; i < rep->nhosts; i++)
		for (k = 0; k < 3; k++) {
			for (j = fix.start[i], n = 0; j < fix.start[i + 1];
			    j++)
				n += rep->findings[fix.item[j]].sev == sevs[k];
			buf_puts(b, "daneroll_check_findings{host=\"");
			put_label(b, rep->hosts[i].name);
			buf_printf(b, "\",severity=\"%s\"} %d\n",
			    sevs[k] == CHECK_WARNING ? "warning" :
			    sevs[k] == CHECK_CRITICAL ? "critical" : "unknown",
			    n);
		}
	row_items_free(&fix);
	free(order);
	prom_head(b, "daneroll_tlsa_secure", "1 if the TLSA lookup senders "
	    "make for the host validated (DNSSEC), else 0.");
	for (i = 0; i < rep->nhosts; i++)
		prom_host(b, "daneroll_tlsa_secure", rep->hosts[i].name,
		    rep->hosts[i].tlsa_sec == RESOLVE_SECURE &&
		    rep->hosts[i].addr_sec == RESOLVE_SECURE);
	prom_head(b, "daneroll_tlsa_records", "TLSA records senders find "
	    "for the host.");
	for (i = 0; i < rep->nhosts; i++)
		prom_host(b, "daneroll_tlsa_records", rep->hosts[i].name,
		    rep->hosts[i].ntlsa);
	prom_head(b, "daneroll_tlsa_ttl_seconds", "Original TTL of the TLSA "
	    "RRset.");
	for (i = 0; i < rep->nhosts; i++)
		if ((h = &rep->hosts[i])->ttl >= 0)
			prom_host(b, "daneroll_tlsa_ttl_seconds", h->name,
			    (long long)h->ttl);
	prom_head(b, "daneroll_tlsa_rrsig_expiry_timestamp_seconds",
	    "Earliest expiry of an RRSIG on the TLSA RRset.");
	for (i = 0; i < rep->nhosts; i++)
		if ((h = &rep->hosts[i])->rrsig_expires != 0)
			prom_host(b,
			    "daneroll_tlsa_rrsig_expiry_timestamp_seconds",
			    h->name, (long long)h->rrsig_expires);
	prom_head(b, "daneroll_endpoint_dane_ok", "1 if the address presents, "
	    "for the algorithm, a chain the TLSA RRset authenticates.");
	for (i = 0; i < rep->neps; i++)
		prom_ep(b, "daneroll_endpoint_dane_ok", &rep->eps[i],
		    rep->eps[i].status == VS_MATCH ? "1" : "0");
	prom_head(b, "daneroll_endpoint_cert_expiry_timestamp_seconds",
	    "notAfter of the leaf certificate the address presents.");
	for (i = 0; i < rep->neps; i++) {
		if (rep->eps[i].not_after == 0)
			continue;
		snprintf(v, sizeof(v), "%lld",
		    (long long)rep->eps[i].not_after);
		prom_ep(b, "daneroll_endpoint_cert_expiry_timestamp_seconds",
		    &rep->eps[i], v);
	}
	prom_head(b, "daneroll_endpoint_duration_seconds", "Time from "
	    "connect to the end of the TLS handshake.");
	for (i = 0; i < rep->neps; i++) {
		snprintf(v, sizeof(v), "%.3f",
		    (double)rep->eps[i].elapsed_ms / 1000.0);
		prom_ep(b, "daneroll_endpoint_duration_seconds", &rep->eps[i],
		    v);
	}
	prom_slots(rep, b);
	prom_head(b, "daneroll_last_run_timestamp_seconds", "When the last "
	    "daneroll run over the host ended, whatever its outcome (absent: "
	    "never, or no state).");
	for (i = 0; i < rep->nhosts; i++)
		if (rep->hosts[i].last_run != 0)
			prom_host(b, "daneroll_last_run_timestamp_seconds",
			    rep->hosts[i].name, (long long)rep->hosts[i].last_run);
	prom_head(b, "daneroll_check_duration_seconds", "Time the whole check "
	    "took.");
	buf_printf(b, "daneroll_check_duration_seconds %.3f\n",
	    (double)rep->duration_ms / 1000.0);
	prom_head(b, "daneroll_check_timestamp_seconds", "When the check "
	    "ran.");
	buf_printf(b, "daneroll_check_timestamp_seconds %lld\n",
	    (long long)rep->now);
}

void
check_format_json(const struct check_report *rep, struct buf *b)
{
	json_t *root, *hosts, *jh, *eps, *fs, *run;
	const struct check_endpoint *e;
	const struct check_finding *f;
	int *order = findings_order(rep);
	struct row_items eix, fix;
	int i, j;

	root = jsonout_doc();
	json_object_set_new(root, "status",
	    json_string(check_sev_str(check_report_status(rep))));
	json_object_set_new(root, "exit_code",
	    json_integer(check_report_status(rep)));
	jsonout_time(root, "time", rep->now);
	json_object_set_new(root, "duration_ms",
	    json_integer(rep->duration_ms));
	hosts = json_array();
	run = json_array();
	row_endpoints(rep, &eix);
	row_findings(rep, order, &fix);
	for (i = 0; i < rep->nfindings; i++)
		if (rep->findings[order[i]].host == NULL) {
			f = &rep->findings[order[i]];
			json_array_append_new(run, json_pack("{s:s, s:s, s:s}",
			    "severity", f->sev == CHECK_OK ? "NOTE" :
			    check_sev_str(f->sev), "code", f->code, "text",
			    f->text));
		}
	for (i = 0; i < rep->nhosts; i++) {
		const struct check_host *h = &rep->hosts[i];

		jh = json_object();
		json_object_set_new(jh, "host", json_string(h->name));
		json_object_set_new(jh, "status",
		    json_string(check_sev_str(h->status)));
		json_object_set_new(jh, "tlsa_owner", json_string(h->owner));
		json_object_set_new(jh, "addresses_dnssec",
		    json_string(resolve_sec_str(h->addr_sec)));
		json_object_set_new(jh, "tlsa_dnssec",
		    json_string(resolve_sec_str(h->tlsa_sec)));
		json_object_set_new(jh, "tlsa_records", json_integer(h->ntlsa));
		json_object_set_new(jh, "tlsa_ttl", h->ttl >= 0 ?
		    json_integer(h->ttl) : json_null());
		jsonout_time(jh, "rrsig_expires", h->rrsig_expires);
		eps = json_array();
		for (j = eix.start[i]; j < eix.start[i + 1]; j++) {
			json_t *je;

			e = &rep->eps[eix.item[j]];
			je = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}",
			    "name", e->name, "address", e->addr, "port",
			    e->port, "alg", key_alg_str(e->alg), "result",
			    ep_result(e), "detail", e->detail);
			json_object_set_new(je, "tls_version",
			    e->tls_version[0] != '\0' ?
			    json_string(e->tls_version) : json_null());
			json_object_set_new(je, "cipher", e->cipher[0] != '\0' ?
			    json_string(e->cipher) : json_null());
			json_object_set_new(je, "matched", e->usage >= 0 ?
			    json_pack("{s:i, s:i, s:i, s:i}", "usage", e->usage,
			    "selector", e->selector, "mtype", e->mtype, "depth",
			    e->depth) : json_null());
			jsonout_time(je, "cert_not_after", e->not_after);
			json_object_set_new(je, "spki_sha256", e->spki[0] != '\0'
			    ? json_string(e->spki) : json_null());
			json_object_set_new(je, "elapsed_ms",
			    json_integer(e->elapsed_ms));
			json_array_append_new(eps, je);
		}
		json_object_set_new(jh, "endpoints", eps);
		fs = json_array();
		for (j = fix.start[i]; j < fix.start[i + 1]; j++) {
			f = &rep->findings[fix.item[j]];
			json_array_append_new(fs, json_pack("{s:s, s:s, s:s?, "
			    "s:s}", "severity", f->sev == CHECK_OK ? "NOTE" :
			    check_sev_str(f->sev), "code", f->code, "subject",
			    f->subject, "text", f->text));
		}
		json_object_set_new(jh, "findings", fs);
		json_array_append_new(hosts, jh);
	}
	json_object_set_new(root, "hosts", hosts);
	json_object_set_new(root, "findings", run);
	jsonout_dump(root, b);
	json_decref(root);
	row_items_free(&eix);
	row_items_free(&fix);
	free(order);
}

void
check_print_failure(int json, const char *code, const char *why)
{
	struct check_report rep;
	struct buf b = { NULL, 0, 0 };

	if (!json) {
		printf("DANE UNKNOWN - %s: %s\n", strcmp(code, "config") == 0 ?
		    "configuration error" : "usage error", why);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	rep.now = util_now();
	check_add(&rep, CHECK_UNKNOWN, NULL, code, NULL, "%s", why);
	check_format_json(&rep, &b);
	if (b.data != NULL)
		fputs(b.data, stdout);
	buf_free(&b);
	check_report_free(&rep);
}

/* ------------------------------------------------------------ gather */

struct host_work {
	const struct conf_host	*h;
	struct verify_name	*names;
	int			 nnames;
	int			 first_ep, neps;
	int			 have_view;
	struct view		 view;
	struct tlsa_set		 known;
	struct tlsa_set		 published;
	struct check_replaced	*replaced;
	int			 nreplaced;
	STACK_OF(X509)		*chains[2 * KEY_ALG_COUNT];
	int			 nchains;
	struct check_alert	 alerts[KEY_ALG_COUNT];
	int			 nalerts;
	struct check_slot	 slots[KEY_ALG_COUNT];
	int			 nslots;
	time_t			 future_at;
	const char		*future_owner;
	time_t			 last_run;	/* store_run_last */
};

/* The alert the state machine raises for the slot now, as status does,
 * and the slot's row for the metrics of the runs. */
static void
alert_of(const struct view *v, const struct view_slot *s, time_t now,
    const struct slot_policy *pol, struct host_work *w)
{
	struct slot_facts f;
	struct slot_step step;

	struct check_slot *cs = &w->slots[w->nslots++];

	view_facts(v, s, now, &f);
	step = machine_step(s->slot.state, &f, now, pol);
	cs->host = NULL;
	cs->alg = s->alg;
	cs->state = s->slot.state;
	cs->failures = s->slot.failures;
	cs->failing_since = s->slot.failing_since;
	cs->due_at = s->slot.wake_at;
	cs->next_wake = step.action != ACT_NONE ? now : step.wake_at;
	cs->alert = step.alert;
	cs->last_success = check_last_success(&s->slot, w->last_run);
	if (step.alert == ALERT_NONE)
		return;
	w->alerts[w->nalerts].alg = s->alg;
	w->alerts[w->nalerts].level = step.alert;
	w->alerts[w->nalerts].reason = step.alert_reason;
	w->nalerts++;
}

/* Was the version published by daneroll, or found served by it? */
static int
was_served(const struct store_rrset *r)
{
	return r->observed || r->published_at != 0;
}

/*
 * The versions of an owner's RRset that a later one replaced, with the
 * time the first later version was served by every authoritative
 * address (0: none yet, so the old one may still be served somewhere).
 */
static void
add_replaced(const struct view_owner *o, struct host_work *w)
{
	struct check_replaced *r;
	int j, k, newest = -1;

	for (j = 0; j < o->nv; j++)
		if (was_served(&o->v[j]))
			newest = j;
	for (j = 0; j < newest; j++) {
		if (!was_served(&o->v[j]))
			continue;
		w->replaced = xrealloc(w->replaced, (size_t)(w->nreplaced +
		    1) * sizeof(*w->replaced));
		r = &w->replaced[w->nreplaced++];
		memset(r, 0, sizeof(*r));
		(void)tlsa_set_parse(o->v[j].records, &r->set);
		r->ttl = o->v[j].ttl;
		for (k = j + 1; k < o->nv && r->gone_at == 0; k++)
			if (was_served(&o->v[k]))
				r->gone_at = o->v[k].propagated_at;
	}
}

/* What daneroll's state knows of a host: keys, pins, chains, the RRset
 * it last published at the host's own owner name and the ones it
 * replaced, the rollover's alerts and a time recorded ahead of the
 * clock. */
static void
load_known(struct store *st, struct host_work *w, time_t now)
{
	const struct slot_policy pol = view_policy(w->h);
	const struct store_rrset *ahead;
	int i, o;
	char *rec;
	struct tlsa_rr rr;

	if (view_load(st, w->h, now, 0, &w->view) != 0 ||
	    store_run_last(st, w->h->name, &w->last_run) != 0) {
		view_free(&w->view);
		return;
	}
	w->have_view = 1;
	tlsa_set_copy(&w->known, &w->view.want);
	for (i = 0; i < w->view.nslots; i++) {
		struct view_slot *s = &w->view.slots[i];

		if (s->deployed_ok) {
			rec = xasprintf("3 1 1 %s", s->deployed_spki);
			if (tlsa_parse(rec, &rr) == 0) {
				tlsa_set_add(&w->known, &rr);
				tlsa_rr_free(&rr);
			}
			free(rec);
		}
		if (s->deployed_chain != NULL)
			w->chains[w->nchains++] = s->deployed_chain;
		if (s->staged != NULL)
			w->chains[w->nchains++] = s->staged;
		alert_of(&w->view, s, now, &pol, w);
	}
	if (w->view.nowners > 0)
		view_last_set(&w->view.owners[0], &w->published);
	for (i = 0; i < w->view.nowners; i++)
		add_replaced(&w->view.owners[i], w);
	if ((w->future_at = view_future_rrset(&w->view, now, &o, &ahead)) != 0)
		w->future_owner = w->view.owners[o].name;
}

/* The state's note or unknown finding; *st is NULL unless it opened.
 * Absent is "nothing to compare with"; unreadable (another user's state
 * directory) is not absent: store_open says why. */
static void
open_state(const struct conf *conf, const char *db, struct check_report *rep,
    struct store **st)
{
	struct stat sb;

	*st = NULL;
	if (lstat(db, &sb) != 0 && errno == ENOENT)
		check_add(rep, CHECK_OK, NULL, "note", NULL, "no daneroll state "
		    "(%s does not exist): orphan records and dns-differs not "
		    "checked", db);
	else if (store_open(conf->state_dir, 1, st) != OUT_OK) {
		check_add(rep, CHECK_UNKNOWN, NULL, "state", NULL, "cannot "
		    "read the daneroll state: %s", log_last_error());
		*st = NULL;
	}
}

/* Every handshake of every host, appended to *eps for one concurrent
 * run; each host's share is w[i].first_ep and w[i].neps. */
static void
add_endpoints(const struct conf_host *const *hosts, int nhosts,
    struct host_work *w, struct verify_endpoint **eps, int *neps)
{
	int i, j, k, a;

	for (i = 0; i < nhosts; i++) {
		w[i].first_ep = *neps;
		for (j = 0; j < w[i].nnames; j++) {
			struct verify_name *vn = &w[i].names[j];
			const struct tlsa_set *set = vn->tlsa.exists &&
			    (vn->tlsa.sec == RESOLVE_SECURE ||
			    vn->tlsa.sec == RESOLVE_INSECURE) ?
			    &vn->tlsa.set : NULL;

			for (k = 0; k < vn->addrs.naddr; k++)
				for (a = 0; a < KEY_ALG_COUNT; a++) {
					if (!(hosts[i]->algs & (1u << a)))
						continue;
					*eps = xrealloc(*eps, (size_t)(*neps +
					    1) * sizeof(**eps));
					verify_endpoint_init(&(*eps)[(*neps)++],
					    vn->name, vn->base,
					    &vn->addrs.addr[k], vn->port,
					    (enum key_alg)a, set);
				}
		}
		w[i].neps = *neps - w[i].first_ep;
	}
}

/* One host's findings from what was gathered for it (w, its share of
 * eps); its slots' rows go to rep first. */
static void
judge_host(const struct conf *conf, struct host_work *w,
    struct verify_endpoint *eps, struct check_report *rep)
{
	struct check_facts f;
	int j;

	memset(&f, 0, sizeof(f));
	f.host = w->h;
	f.names = w->names;
	f.nnames = w->nnames;
	f.eps = eps != NULL ? eps + w->first_ep : NULL;
	f.neps = w->neps;
	f.known = w->have_view ? &w->known : NULL;
	f.known_chains = w->chains;
	f.nknown_chains = w->nchains;
	f.published = w->have_view ? &w->published : NULL;
	f.replaced = w->replaced;
	f.nreplaced = w->nreplaced;
	f.alerts = w->alerts;
	f.nalerts = w->nalerts;
	f.slots = w->have_view ? w->slots : NULL;
	f.nslots = w->nslots;
	f.last_run = w->last_run;
	for (j = 0; j < w->nslots; j++) {
		rep->slots = xrealloc(rep->slots, (size_t)(rep->nslots +
		    1) * sizeof(*rep->slots));
		rep->slots[rep->nslots] = w->slots[j];
		rep->slots[rep->nslots++].host = xstrdup(w->h->name);
	}
	f.future_at = w->future_at;
	f.future_owner = w->future_owner;
	f.ca_change = w->have_view && w->view.ca_change[0] !=
	    '\0' ? w->view.ca_change : NULL;
	f.ttl_min = conf->ttl_advice_min;
	f.ttl_max = conf->ttl_advice_max;
	f.now = rep->now;
	check_host_findings(&f, rep);
}

/* Frees what check_gather gathered for nhosts hosts (w may be NULL). */
static void
free_work(struct host_work *w, int nhosts)
{
	int i, j;

	for (i = 0; w != NULL && i < nhosts; i++) {
		for (j = 0; j < w[i].nnames; j++)
			verify_name_free(&w[i].names[j]);
		free(w[i].names);
		if (w[i].have_view)
			view_free(&w[i].view);
		tlsa_set_free(&w[i].known);
		tlsa_set_free(&w[i].published);
		for (j = 0; j < w[i].nreplaced; j++)
			tlsa_set_free(&w[i].replaced[j].set);
		free(w[i].replaced);
	}
	free(w);
}

/* Every host's first lookups at once: a check waits for the resolver
 * about once, not three times per name. */
static void
prefetch(struct resolver *res, const struct conf_host *const *hosts,
    int nhosts)
{
	const char **names;
	int *ports, i, j;
	size_t n = 0;

	for (i = 0; i < nhosts; i++)
		n += (size_t)hosts[i]->nowners;
	names = xcalloc(n + 1, sizeof(*names));
	ports = xcalloc(n + 1, sizeof(*ports));
	n = 0;
	for (i = 0; i < nhosts; i++)
		for (j = 0; j < hosts[i]->nowners; j++) {
			names[n] = hosts[i]->owners[j].mx;
			ports[n++] = hosts[i]->owners[j].port;
		}
	verify_prefetch(res, names, ports, n);
	free(names);
	free(ports);
}

int
check_gather(const struct conf *conf, const struct conf_host *const *hosts,
    int nhosts, const struct verify_opts *opts, struct check_report *rep)
{
	struct resolver *res = NULL;
	struct store *st = NULL;
	struct host_work *w = NULL;
	struct verify_endpoint *eps = NULL;
	char *db = NULL;
	int i, j, neps = 0, rc = -1;

	if (resolve_open(conf->resolver, opts->dns_timeout_secs, &res) !=
	    OUT_OK) {
		for (i = 0; i < nhosts; i++)
			check_add(rep, CHECK_UNKNOWN, hosts[i]->name,
			    "dns-failure", NULL, "no resolver to ask");
		rc = 0;
		goto done;
	}
	if (!resolve_is_local(res))
		check_add(rep, CHECK_OK, NULL, "note", NULL, "the DNSSEC "
		    "status is the AD bit of %s, trusted over the network path "
		    "to it", resolve_name(res));
	db = xasprintf("%s/%s", conf->state_dir, STORE_DB_NAME);
	open_state(conf, db, rep, &st);
	prefetch(res, hosts, nhosts);
	w = xcalloc((size_t)nhosts, sizeof(*w));
	for (i = 0; i < nhosts; i++) {
		w[i].h = hosts[i];
		w[i].nnames = hosts[i]->nowners;
		w[i].names = xcalloc((size_t)w[i].nnames,
		    sizeof(*w[i].names));
		for (j = 0; j < w[i].nnames; j++)
			(void)verify_lookup(res, hosts[i]->owners[j].mx,
			    hosts[i]->owners[j].port, &w[i].names[j]);
		if (st != NULL)
			load_known(st, &w[i], rep->now);
	}
	add_endpoints(hosts, nhosts, w, &eps, &neps);
	if (neps > 0 && verify_run(eps, neps, opts) != 0)
		goto done;
	for (i = 0; i < nhosts; i++)
		judge_host(conf, &w[i], eps, rep);
	check_shared_keys(rep);
	rc = 0;
done:
	for (i = 0; i < neps; i++)
		verify_endpoint_clear(&eps[i]);
	free(eps);
	free_work(w, nhosts);
	free(db);
	store_close(st);
	resolve_close(res);
	return rc;
}

/*
 * Writes the textfile. A missing directory is named as such: the atomic
 * write would only say that it cannot create its temp file there.
 */
static int
write_prometheus(const char *path, const struct buf *prom)
{
	char *dir = fs_dir_of(path);
	struct stat sb;
	int found = stat(dir, &sb) == 0, rc = -1;

	if (!found && errno == ENOENT)
		log_err("--prometheus %s: directory %s does not exist", path,
		    dir);
	else if (found && !S_ISDIR(sb.st_mode))
		log_err("--prometheus %s: %s is not a directory", path, dir);
	else
		rc = fs_write_atomic(path, prom->data, prom->len, 0644,
		    (uid_t)-1, (gid_t)-1);
	free(dir);
	return rc;
}

static long long
mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
check_main(const struct conf *conf, char **names, int nnames,
    const struct check_opts *o, int *exit_code)
{
	struct check_report rep;
	struct verify_opts opts;
	const struct conf_host **hosts = NULL;
	struct buf out = { NULL, 0, 0 }, prom = { NULL, 0, 0 };
	long long t0 = mono_ms();
	int n = 0, rc = -1;

	memset(&rep, 0, sizeof(rep));
	*exit_code = CHECK_UNKNOWN;
	if ((hosts = conf_select_hosts(conf, names, nnames, &n)) == NULL)
		goto done;
	if (n == 0) {
		log_err("no hosts to check");
		goto done;
	}
	verify_opts_init(&opts);
	rep.now = util_now();
	rep.expiry = o->expiry;
	if (check_gather(conf, hosts, n, &opts, &rep) != 0)
		goto done;
	rep.duration_ms = (long)(mono_ms() - t0);
	if (o->json)
		check_format_json(&rep, &out);
	else {
		check_format_nagios(&rep, &out);
		check_format_table(&rep, &out);
	}
	if (out.data != NULL)
		fputs(out.data, stdout);
	fflush(stdout);
	*exit_code = check_report_status(&rep);
	if (o->prometheus != NULL) {
		check_format_prometheus(&rep, &prom);
		if (write_prometheus(o->prometheus, &prom) != 0)
			*exit_code = check_sev_worst(*exit_code, CHECK_UNKNOWN);
	}
	rc = 0;
done:
	check_report_free(&rep);
	buf_free(&out);
	buf_free(&prom);
	free(hosts);
	return rc;
}
