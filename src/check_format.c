/*
 * check_format - the monitor's report as text: the Nagios status line
 * and table, JSON, and the Prometheus textfile; pure (report in, text
 * out), so that golden files test them. See include/check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "check.h"
#include "check_rows.h"
#include "jsonout.h"

/* Findings in the order they matter: CRITICAL, UNKNOWN, WARNING, notes;
 * the caller frees the indexes. */
static int *
findings_order(const struct check_report *rep)
{
	int *o = xcalloc((size_t)(rep->nfindings > 0 ? rep->nfindings : 1),
	    sizeof(*o));
	int i, n = 0, r;

	for (r = 3; r >= 0; r--)
		for (i = 0; i < rep->nfindings; i++)
			if (check_sev_rank(rep->findings[i].sev) == r)
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
		    e->not_after != 0 ? check_fmt_date(e->not_after, exp,
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

/*
 * The gauges of a host, then those of a slot after its state, each a
 * function of its struct check_host or struct check_slot.
 */
enum gauge {
	G_CHECK_STATUS,
	G_TLSA_SECURE,
	G_TLSA_RECORDS,
	G_TLSA_TTL,
	G_RRSIG_EXPIRY,
	G_LAST_RUN,
	G_SLOT_ALERT,		/* the first of a slot's */
	G_SLOT_FAILURES,
	G_SLOT_FAILING_SINCE,
	G_SLOT_DUE,
	G_SLOT_NEXT_WAKE,
	G_SLOT_LAST_SUCCESS,
	G_COUNT
};

static const struct {
	const char	*name;
	const char	*help;
} gauges[G_COUNT] = {
	[G_CHECK_STATUS] = { "daneroll_check_status", "Worst finding per "
	    "host: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN." },
	[G_TLSA_SECURE] = { "daneroll_tlsa_secure", "1 if the TLSA lookup "
	    "senders make for the host validated (DNSSEC), else 0." },
	[G_TLSA_RECORDS] = { "daneroll_tlsa_records", "TLSA records "
	    "senders find for the host." },
	[G_TLSA_TTL] = { "daneroll_tlsa_ttl_seconds", "Original TTL of the "
	    "TLSA RRset." },
	[G_RRSIG_EXPIRY] = { "daneroll_tlsa_rrsig_expiry_timestamp_seconds",
	    "Earliest expiry of an RRSIG on the TLSA RRset." },
	[G_LAST_RUN] = { "daneroll_last_run_timestamp_seconds", "When the "
	    "last daneroll run over the host ended, whatever its outcome "
	    "(absent: never, or no state)." },
	[G_SLOT_ALERT] = { "daneroll_slot_alert", "The rollover's alert for "
	    "the slot: 0 none, 1 warning, 2 critical." },
	[G_SLOT_FAILURES] = { "daneroll_slot_failures", "Consecutive "
	    "failures of the slot's current step." },
	[G_SLOT_FAILING_SINCE] = {
	    "daneroll_slot_failing_since_timestamp_seconds", "When the "
	    "current streak of failures began (absent: not failing)." },
	[G_SLOT_DUE] = { "daneroll_slot_due_timestamp_seconds", "When the "
	    "last run meant a run to act again (in the past by more than an "
	    "hour: no run is acting; absent: never)." },
	[G_SLOT_NEXT_WAKE] = { "daneroll_slot_next_wake_timestamp_seconds",
	    "When a run would act next, as of this check (absent: nothing "
	    "due)." },
	[G_SLOT_LAST_SUCCESS] = {
	    "daneroll_slot_last_success_timestamp_seconds", "When a run last "
	    "ended with the slot's work done and no failure, critical alert "
	    "or stop (absent: never)." },
};

/*
 * Gauge g of host h or of slot s, whichever it is about, in *v: 1, or 0
 * where there is no such value (its line is left out).
 */
static int
gauge_value(enum gauge g, const struct check_host *h,
    const struct check_slot *s, long long *v)
{
	switch (g) {
	case G_CHECK_STATUS:
		*v = h->status;
		return 1;
	case G_TLSA_SECURE:
		*v = h->tlsa_sec == RESOLVE_SECURE &&
		    h->addr_sec == RESOLVE_SECURE;
		return 1;
	case G_TLSA_RECORDS:
		*v = h->ntlsa;
		return 1;
	case G_TLSA_TTL:
		*v = (long long)h->ttl;
		return h->ttl >= 0;
	case G_RRSIG_EXPIRY:
		*v = (long long)h->rrsig_expires;
		break;
	case G_LAST_RUN:
		*v = (long long)h->last_run;
		break;
	case G_SLOT_ALERT:
		*v = s->alert;
		return 1;
	case G_SLOT_FAILURES:
		*v = s->failures;
		return 1;
	case G_SLOT_FAILING_SINCE:
		*v = (long long)s->failing_since;
		break;
	case G_SLOT_DUE:
		*v = (long long)s->due_at;
		break;
	case G_SLOT_NEXT_WAKE:
		*v = (long long)s->next_wake;
		break;
	case G_SLOT_LAST_SUCCESS:
		*v = (long long)s->last_success;
		break;
	case G_COUNT:
		return 0;
	}
	return *v != 0;	/* a time: absent while 0 */
}

/* Gauge g, about a host, for every host. */
static void
prom_host_gauge(const struct check_report *rep, struct buf *b,
    enum gauge g)
{
	long long v;
	int i;

	prom_head(b, gauges[g].name, gauges[g].help);
	for (i = 0; i < rep->nhosts; i++)
		if (gauge_value(g, &rep->hosts[i], NULL, &v))
			prom_host(b, gauges[g].name, rep->hosts[i].name,
			    v);
}

/* The runs themselves, slot by slot, from daneroll's state. */
static void
prom_slots(const struct check_report *rep, struct buf *b)
{
	const struct check_slot *s;
	enum gauge g;
	long long v;
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
	for (g = G_SLOT_ALERT; g <= G_SLOT_LAST_SUCCESS; g++) {
		prom_head(b, gauges[g].name, gauges[g].help);
		for (i = 0; i < rep->nslots; i++)
			if (gauge_value(g, NULL, &rep->slots[i], &v))
				prom_slot(b, gauges[g].name,
				    &rep->slots[i], v);
	}
}

void
check_format_prometheus(const struct check_report *rep, struct buf *b)
{
	static const enum check_sev sevs[] = { CHECK_WARNING, CHECK_CRITICAL,
	    CHECK_UNKNOWN };
	struct check_row_items fix;
	char v[64];
	int *order, i, j, k, n;

	prom_host_gauge(rep, b, G_CHECK_STATUS);
	prom_head(b, "daneroll_check_findings", "Findings per host and "
	    "severity.");
	order = findings_order(rep);
	check_row_findings(rep, order, &fix);
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
	check_row_items_free(&fix);
	free(order);
	prom_host_gauge(rep, b, G_TLSA_SECURE);
	prom_host_gauge(rep, b, G_TLSA_RECORDS);
	prom_host_gauge(rep, b, G_TLSA_TTL);
	prom_host_gauge(rep, b, G_RRSIG_EXPIRY);
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
	prom_host_gauge(rep, b, G_LAST_RUN);
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
	struct check_row_items eix, fix;
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
	check_row_endpoints(rep, &eix);
	check_row_findings(rep, order, &fix);
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
	check_row_items_free(&eix);
	check_row_items_free(&fix);
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
