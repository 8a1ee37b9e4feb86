/*
 * check_gather - what the monitor judges, gathered: what the network
 * says (check_net.h: DNS through one validating resolver, every handshake
 * of every host in one verify_run(); under `daneroll check`, in the
 * network child), then daneroll's state, then each host judged; and
 * `daneroll check` itself. Findings are data, not log lines: only
 * failures of the check itself (no resolver, an unwritable metrics file)
 * are logged. See include/check.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "check_net.h"
#include "check_rows.h"
#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "view.h"

struct host_work {
	const struct conf_host	*h;
	struct verify_name	*names;		/* its share of check_net's */
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

/* The alert the slot's step (st) raises now, as status says it, and the
 * slot's row for the metrics of the runs. */
static void
alert_of(const struct view_slot *s, const struct slot_step *st, time_t now,
    struct host_work *w)
{
	struct check_slot *cs = &w->slots[w->nslots++];

	cs->host = NULL;
	cs->alg = s->alg;
	cs->state = s->slot.state;
	cs->failures = s->slot.failures;
	cs->failing_since = s->slot.failing_since;
	cs->due_at = s->slot.wake_at;
	cs->next_wake = st->action != ACT_NONE ? now : st->wake_at;
	cs->alert = st->alert;
	cs->last_success = check_last_success(&s->slot, w->last_run);
	if (st->alert == ALERT_NONE)
		return;
	w->alerts[w->nalerts].alg = s->alg;
	w->alerts[w->nalerts].level = st->alert;
	w->alerts[w->nalerts].reason = st->alert_reason;
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
	const struct store_rrset *ahead;
	struct host_step hs;
	int i, o;
	char *rec;
	struct tlsa_rr rr;

	if (view_load(st, w->h, now, 0, &w->view) != 0 ||
	    store_run_last(st, w->h->name, &w->last_run) != 0) {
		view_free(&w->view);
		return;
	}
	w->have_view = 1;
	view_step(&w->view, now, &hs);
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
		alert_of(s, &hs.step[i], now, w);
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

/* One host's findings from what was gathered for it (w, its share of
 * eps and of what their chains matched); its slots' rows go to rep
 * first. */
static void
judge_host(const struct conf *conf, struct host_work *w,
    struct verify_endpoint *eps, const struct tlsa_set *matched,
    struct check_report *rep)
{
	struct check_facts f;
	int j;

	memset(&f, 0, sizeof(f));
	f.host = w->h;
	f.names = w->names;
	f.nnames = w->nnames;
	f.eps = eps != NULL ? eps + w->first_ep : NULL;
	f.ep_matched = matched != NULL ? matched + w->first_ep : NULL;
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

int
check_gather(const struct conf *conf, const struct conf_host *const *hosts,
    int nhosts, const struct verify_opts *opts, check_net_fn net_fn,
    struct check_report *rep)
{
	struct check_net net;
	struct store *st = NULL;
	struct host_work *w = NULL;
	char *db = NULL;
	int i, at = 0, rc = -1;

	memset(&net, 0, sizeof(net));
	if ((net_fn != NULL ? net_fn : check_net_gather)(conf, hosts, nhosts,
	    opts, &net) != 0)
		goto done;
	if (net.no_resolver) {
		for (i = 0; i < nhosts; i++)
			check_add(rep, CHECK_UNKNOWN, hosts[i]->name,
			    "dns-failure", NULL, "no resolver to ask");
		rc = 0;
		goto done;
	}
	if (!net.resolver_local)
		check_add(rep, CHECK_OK, NULL, "note", NULL, "the DNSSEC "
		    "status is the AD bit of %s, trusted over the network path "
		    "to it", net.resolver);
	db = xasprintf("%s/%s", conf->state_dir, STORE_DB_NAME);
	open_state(conf, db, rep, &st);
	w = xcalloc((size_t)nhosts, sizeof(*w));
	for (i = 0; i < nhosts; i++) {
		w[i].h = hosts[i];
		w[i].nnames = hosts[i]->nowners;
		w[i].names = &net.names[at];
		at += w[i].nnames;
		w[i].first_ep = net.host_ep[i];
		w[i].neps = net.host_ep[i + 1] - net.host_ep[i];
		if (st != NULL)
			load_known(st, &w[i], rep->now);
	}
	for (i = 0; i < nhosts; i++)
		judge_host(conf, &w[i], net.eps, net.matched, rep);
	check_shared_keys(rep);
	rc = 0;
done:
	free_work(w, nhosts);
	check_net_free(&net);
	free(db);
	store_close(st);
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

int
check_main(const struct conf *conf, char **names, int nnames,
    const struct check_opts *o, int *exit_code)
{
	struct check_report rep;
	struct verify_opts opts;
	const struct conf_host **hosts = NULL;
	struct buf out = { NULL, 0, 0 }, prom = { NULL, 0, 0 };
	int64_t t0 = util_mono_ms();
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
	if (check_gather(conf, hosts, n, &opts, o->net, &rep) != 0)
		goto done;
	rep.duration_ms = (long)(util_mono_ms() - t0);
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
