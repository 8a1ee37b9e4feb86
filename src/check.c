/*
 * check - the monitor's report: findings added with their severity, the
 * host rows they roll up to, and the -w/-c thresholds. The rules that
 * find them are in check_rules.c, the formats in check_format.c, the
 * gathering and `daneroll check` itself in check_gather.c. See
 * include/check.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "check_rows.h"
#include "log.h"

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

int
check_sev_rank(enum check_sev s)
{
	static const int rank[] = { 0, 1, 3, 2 };	/* by enum value */

	return rank[s];
}

enum check_sev
check_sev_worst(enum check_sev a, enum check_sev b)
{
	return check_sev_rank(a) >= check_sev_rank(b) ? a : b;
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

/* Host rows by name, for check_update_status's search. */
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
void
check_update_status(struct check_report *rep)
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
 * Items of a report by host row: item k is val[k], of host host[k]; it
 * goes to every row of that name.
 */
static void
row_items(const struct check_report *rep, const char *const *host,
    const int *val, int n, struct check_row_items *ix)
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

void
check_row_items_free(struct check_row_items *ix)
{
	free(ix->start);
	free(ix->item);
}

/* Each row's endpoints, in report order. */
void
check_row_endpoints(const struct check_report *rep, struct check_row_items *ix)
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
void
check_row_findings(const struct check_report *rep, const int *order,
    struct check_row_items *ix)
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
 * check_update_status for one host, while the rest of the fleet is judged. */
void
check_row_status(struct check_report *rep, struct check_host *row, int first)
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

const char *
check_fmt_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}
