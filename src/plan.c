/*
 * plan - the dry-run plan. See include/plan.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "jsonout.h"
#include "machine.h"
#include "plan.h"
#include "view.h"

#define PLAN_MAX_STEPS	32
/* The plan's guess of how long DNS takes to reach every address. */
#define PLAN_PROPAGATION 30

char *
plan_nsupdate(const char *owner, int64_t ttl, const struct tlsa_set *prev,
    const struct tlsa_set *want)
{
	struct buf b = { 0 };
	size_t i;

	/* Prerequisites: the RRset is what we last saw, so a concurrent
	 * editor makes the update fail instead of being overwritten. */
	if (prev->n == 0)
		buf_printf(&b, "prereq nxrrset %s. TLSA\n", owner);
	for (i = 0; i < prev->n; i++) {
		char *r = tlsa_format(&prev->rr[i]);

		/* Value-dependent: exactly these records exist. */
		buf_printf(&b, "prereq yxrrset %s. TLSA %s\n", owner, r);
		free(r);
	}
	for (i = 0; i < prev->n; i++) {
		char *r = tlsa_format(&prev->rr[i]);

		if (!tlsa_set_has(want, &prev->rr[i]))
			buf_printf(&b, "update delete %s. TLSA %s\n", owner, r);
		free(r);
	}
	for (i = 0; i < want->n; i++) {
		char *r = tlsa_format(&want->rr[i]);

		if (!tlsa_set_has(prev, &want->rr[i]))
			buf_printf(&b, "update add %s. %lld TLSA %s\n", owner,
			    (long long)ttl, r);
		free(r);
	}
	buf_puts(&b, "send\n");
	return b.data;
}

/* What an action touches: files written and commands run. */
static void
effects(const struct conf *c, const struct conf_host *h,
    const struct view_slot *s, enum slot_action a, json_t *j, FILE *out)
{
	char *cmd = NULL;
	const char *what = NULL;

	switch (a) {
	case ACT_GENERATE:
		what = c->key_dir;
		if (out)
			fprintf(out, "%27swrites a new key under %s/%s/\n", "",
			    c->key_dir, h->name);
		break;
	case ACT_ISSUE:
		if (h->acme_hook.argv != NULL)
			cmd = exec_argv_str(h->acme_hook.argv);
		if (out)
			fprintf(out, "%27sruns %s\n", "",
			    cmd ? cmd : "(no acme_hook configured)");
		break;
	case ACT_DEPLOY:
	case ACT_ROLLBACK:
		what = s->cert_path;
		if (h->reload.argv != NULL)
			cmd = exec_argv_str(h->reload.argv);
		if (out)
			fprintf(out, "%27swrites %s, then runs %s\n", "",
			    s->cert_path ? s->cert_path : "?",
			    cmd ? cmd : "(no reload configured)");
		break;
	default:
		break;
	}
	if (j != NULL) {
		if (what != NULL)
			json_object_set_new(j, "writes", json_string(what));
		if (cmd != NULL)
			json_object_set_new(j, "runs", json_string(cmd));
	}
	free(cmd);
}

static void
print_when(FILE *out, time_t at, time_t now)
{
	char b[32];

	if (at <= now)
		fprintf(out, "    %-10s", "now");
	else
		fprintf(out, "    +%-9s",
		    util_fmt_duration((int64_t)(at - now), b, sizeof(b)));
}

/*
 * What the next publish replaces, as the deploy guard will weigh it: the
 * longest TTL of the RRsets served now (prev->ttl) and, where an owner
 * serves none, the zone's negative TTL (prev->neg_ttl). From the store, or
 * for an owner never recorded, from what it was seen to serve (seen[i]).
 */
struct plan_prev {
	int64_t	ttl, neg_ttl;
};

static void
plan_prev(const struct view *v, const struct obs_report *seen,
    const int *seen_ok, struct plan_prev *prev)
{
	int i;

	memset(prev, 0, sizeof(*prev));
	for (i = 0; i < v->nowners; i++) {
		const struct store_rrset *last = view_last(&v->owners[i]);
		int64_t ttl = 0, neg = 0;

		if (last != NULL) {
			ttl = last->ttl;
			neg = *last->records == '\0' ? last->neg_ttl : 0;
		} else if (seen_ok[i]) {
			ttl = seen[i].any_tlsa ? seen[i].served_ttl : 0;
			neg = seen[i].any_tlsa ? 0 : seen[i].neg_ttl;
		}
		if (ttl > prev->ttl)
			prev->ttl = ttl;
		if (neg > prev->neg_ttl)
			prev->neg_ttl = neg;
	}
}

static void
plan_slot(const struct conf *c, const struct conf_host *h,
    const struct view *v, const struct view_slot *s, time_t now,
    const struct plan_prev *prev, FILE *out, json_t *jslot)
{
	const struct slot_policy pol = view_policy(h);
	json_t *steps = json_array();
	enum slot_state state = s->slot.state;
	struct slot_facts f;
	/* Until the first publish has propagated, resolvers may cache what
	 * it replaces: with its TTL, or negatively if it was no RRset. */
	int64_t ttl = prev->ttl > h->timing.ttl ? prev->ttl : h->timing.ttl;
	int64_t neg = prev->neg_ttl;
	time_t t = now;
	int i;
	char tb[32];

	view_facts(v, s, now, &f);
	for (i = 0; i < PLAN_MAX_STEPS; i++) {
		struct slot_step st = machine_step(state, &f, t, &pol);
		json_t *js;

		state = st.state;
		if (st.action == ACT_NONE) {
			int final = st.wake_at == 0 || st.state == SLOT_STANDBY ||
			    st.state == SLOT_FAILED;

			if (out) {
				print_when(out, final && st.wake_at ?
				    st.wake_at : t, now);
				fprintf(out, "%-10s %s", final ?
				    slot_state_str(st.state) : "wait",
				    st.reason);
				if (st.wake_at)
					fprintf(out, " until %s",
					    util_fmt_time(st.wake_at, tb,
					    sizeof(tb)));
				fputc('\n', out);
			}
			js = json_pack("{s:s, s:s, s:s}", "action",
			    final ? "none" : "wait", "state",
			    slot_state_str(st.state), "reason", st.reason);
			jsonout_time(js, "until", st.wake_at);
			json_array_append_new(steps, js);
			if (final)
				break;
			t = st.wake_at > t ? st.wake_at : t + 1;
			continue;
		}
		js = json_pack("{s:s, s:s, s:s}", "action",
		    slot_action_str(st.action), "state",
		    slot_state_str(st.state), "reason", st.reason);
		jsonout_time(js, "at", t);
		if (out) {
			print_when(out, t, now);
			fprintf(out, "%-10s %s\n", slot_action_str(st.action),
			    st.reason);
		}
		if (st.action == ACT_OBSERVE)
			json_object_set_new(js, "propagation",
			    json_integer(PLAN_PROPAGATION));
		effects(c, h, s, st.action, js, out);
		json_array_append_new(steps, js);
		machine_simulate(st.action, &f, t, PLAN_PROPAGATION, ttl, neg,
		    h->timing.margin, &pol);
		if (st.action == ACT_OBSERVE) {
			ttl = h->timing.ttl;
			neg = 0;
			t += PLAN_PROPAGATION;
		}
	}
	json_object_set_new(jslot, "steps", steps);
}

/* First contact: what an owner name serves today (DNS queries only). */
static int
first_look(const struct conf *c, const struct backends *be,
    const struct view *v, const char *owner, struct obs_report *rep)
{
	struct tlsa_set none = { 0 };

	memset(rep, 0, sizeof(*rep));
	return be->observer->observe(c, v->host, owner, &none, rep) == OUT_OK;
}

/*
 * First contact: what an owner name serves today (rep, from first_look;
 * ok: it answered), into prev. Records that match no key daneroll knows
 * will be replaced by the first update: say so.
 */
static void
first_contact(const struct view *v, const char *owner,
    const struct obs_report *rep, int ok, struct tlsa_set *prev, FILE *out,
    json_t *jh)
{
	json_t *today;
	size_t k;

	if (!ok) {
		if (out)
			fprintf(out, "  %s: could not be observed now (see the "
			    "error above); the first run will record what it "
			    "serves before changing it\n", owner);
		return;
	}
	today = json_array();
	if (out)
		fprintf(out, "  %s serves today: %s\n", owner, rep->any_tlsa ?
		    "" : "no TLSA RRset");
	for (k = 0; rep->any_tlsa && k < rep->served.n; k++) {
		char *r = tlsa_format(&rep->served.rr[k]);
		const char *why = NULL;
		int keep = tlsa_set_has(&v->want, &rep->served.rr[k]), j;

		/* A record the server's live chain matches stays: that key
		 * becomes the current key at adoption. */
		for (j = 0; j < v->nslots && !keep; j++) {
			struct tlsa_set one = { 0 };
			STACK_OF(X509) *live = view_deployed_chain(
			    (struct view_slot *)&v->slots[j]);

			tlsa_set_add(&one, &rep->served.rr[k]);
			if (live != NULL && tlsa_set_matches_chain(&one, live)) {
				keep = 1;
				why = key_alg_str(v->slots[j].alg);
			}
			tlsa_set_free(&one);
		}
		if (out) {
			if (keep && why != NULL)
				fprintf(out, "    %s  (kept: the live %s "
				    "chain)\n", r, why);
			else
				fprintf(out, "    %s  (%s)\n", r, keep ? "kept" :
				    "matches no key daneroll manages: removed "
				    "by the first update");
		}
		json_array_append_new(today, json_pack("{s:s, s:b}", "tlsa", r,
		    "kept", keep));
		free(r);
	}
	if (rep->any_tlsa)
		tlsa_set_copy(prev, &rep->served);
	json_object_set_new(jh, "serves_today", today);
}

/*
 * The RRset the first run of a host never run publishes: each deployed
 * key's record (adopted as the current key), the pinned CAs, and under
 * current+next a next key per slot, which the run generates: unknown
 * until then, so each is counted in *nnext instead.
 */
static void
first_run_set(const struct view *v, struct tlsa_set *out, int *nnext)
{
	int i;

	memset(out, 0, sizeof(*out));
	*nnext = 0;
	for (i = 0; i < v->nslots; i++) {
		const struct view_slot *s = &v->slots[i];
		char *rec;
		struct tlsa_rr rr;

		if (s->deployed_ok) {
			rec = xasprintf("3 1 1 %s", s->deployed_spki);
			if (tlsa_parse(rec, &rr) == 0) {
				tlsa_set_add(out, &rr);
				tlsa_rr_free(&rr);
			}
			free(rec);
		}
		if (v->host->scheme == SCHEME_CURRENT_NEXT)
			(*nnext)++;
	}
	for (i = 0; (size_t)i < v->pins.n; i++)
		tlsa_set_add(out, &v->pins.rr[i]);
}

/*
 * The records of from that other lacks, into arr and said as verb; those
 * it has, said as same (unless NULL).
 */
static void
set_diff(const struct tlsa_set *from, const struct tlsa_set *other,
    const char *verb, const char *same, json_t *arr, FILE *out)
{
	size_t k;

	for (k = 0; k < from->n; k++) {
		char *r = tlsa_format(&from->rr[k]);

		if (!tlsa_set_has(other, &from->rr[k])) {
			if (out)
				fprintf(out, "    %s%s\n", verb, r);
			json_array_append_new(arr, json_string(r));
		} else if (out && same != NULL)
			fprintf(out, "    %s%s\n", same, r);
		free(r);
	}
}

/*
 * One DNS change at an owner: each record added and removed (JSON "add",
 * "remove": records; "add_new": the next keys the run generates, by
 * algorithm), and the update itself (nsupdate form) when every record is
 * known.
 */
static json_t *
dns_change(const struct view *v, const struct view_owner *o,
    const struct tlsa_set *served, const struct tlsa_set *want, int nnext,
    FILE *out)
{
	json_t *j = json_pack("{s:s, s:s}", "owner", o->name, "publisher",
	    o->publisher->name);
	json_t *add = json_array(), *del = json_array(), *fresh = json_array();
	int i;

	if (out)
		fprintf(out, "  DNS change at %s (publisher %s)%s:\n", o->name,
		    o->publisher->name, nnext ? ", by the first run" : "");
	set_diff(want, served, "add     ", "keep    ", add, out);
	for (i = 0; nnext && i < v->nslots; i++) {
		const char *a = key_alg_str(v->slots[i].alg);

		if (out)
			fprintf(out, "    add     3 1 1 (the next %s key, "
			    "generated by the first run)\n", a);
		json_array_append_new(fresh, json_string(a));
	}
	set_diff(served, want, "remove  ", NULL, del, out);
	json_object_set_new(j, "add", add);
	json_object_set_new(j, "add_new", fresh);
	json_object_set_new(j, "remove", del);
	if (nnext == 0) {
		char *ns = plan_nsupdate(o->name, v->host->timing.ttl, served,
		    want);

		if (out)
			fprintf(out, "    as an update:\n%s", ns);
		json_object_set_new(j, "nsupdate", json_string(ns));
		free(ns);
	}
	return j;
}

int
plan_host(struct store *st, const struct conf *c, const struct backends *be,
    const struct conf_host *h, time_t now, FILE *out, json_t *arr)
{
	struct view v;
	struct obs_report *seen = NULL;
	struct plan_prev prev;
	json_t *jh = NULL, *jslots = NULL, *jdns = NULL;
	int i, rc = -1, *seen_ok = NULL;

	if (view_load(st, h, now, 0, &v) != 0)
		goto done;
	/* Owner names never recorded are asked first: what they serve
	 * today is what the first publish replaces, and ages out. */
	seen = xcalloc((size_t)v.nowners + 1, sizeof(*seen));
	seen_ok = xcalloc((size_t)v.nowners + 1, sizeof(*seen_ok));
	for (i = 0; i < v.nowners; i++)
		if (view_last(&v.owners[i]) == NULL && be != NULL &&
		    be->observer != NULL)
			seen_ok[i] = first_look(c, be, &v, v.owners[i].name,
			    &seen[i]);
	plan_prev(&v, seen, seen_ok, &prev);
	jh = json_pack("{s:s, s:s}", "host", h->name, "scheme",
	    conf_scheme_str(h->scheme));
	jslots = json_array();
	jdns = json_array();
	if (out)
		fprintf(out, "%s (%s)\n", h->name, conf_scheme_str(h->scheme));
	if (out && v.ca_change[0] != '\0')
		fprintf(out, "  CA change under way: the next certificate comes "
		    "from %s; its \"2 1 1\" record ages before the deploy\n",
		    v.ca_change);
	json_object_set_new(jh, "ca_change", v.ca_change[0] != '\0' ?
	    json_string(v.ca_change) : json_null());
	for (i = 0; i < v.nslots; i++) {
		const struct view_slot *s = &v.slots[i];
		json_t *js = json_pack("{s:s, s:s}", "algorithm",
		    key_alg_str(s->alg), "state", slot_state_str(s->slot.state));

		if (out)
			fprintf(out, "  %s: %s\n", key_alg_str(s->alg),
			    slot_state_str(s->slot.state));
		plan_slot(c, h, &v, s, now, &prev, out, js);
		json_array_append_new(jslots, js);
	}
	/* The next DNS change, exactly, if the wanted RRset differs. */
	for (i = 0; i < v.nowners; i++) {
		struct tlsa_set served = { 0 };
		const struct store_rrset *last = view_last(&v.owners[i]);
		char *want = tlsa_set_format(&v.want);

		view_last_set(&v.owners[i], &served);
		if (last == NULL && be != NULL && be->observer != NULL)
			first_contact(&v, v.owners[i].name, &seen[i],
			    seen_ok[i], &served, out, jh);
		if (v.want.n > 0 && (last == NULL ||
		    strcmp(last->records, want) != 0 ||
		    (!last->observed && last->published_at == 0)))
			json_array_append_new(jdns, dns_change(&v,
			    &v.owners[i], &served, &v.want, 0, out));
		else if (v.want.n == 0 && last == NULL) {
			struct tlsa_set first;
			int nnext;

			first_run_set(&v, &first, &nnext);
			json_array_append_new(jdns, dns_change(&v,
			    &v.owners[i], &served, &first, nnext, out));
			tlsa_set_free(&first);
		}
		free(want);
		tlsa_set_free(&served);
	}
	if (out)
		fputc('\n', out);
	json_object_set_new(jh, "slots", jslots);
	json_object_set_new(jh, "dns_changes", jdns);
	if (arr != NULL)
		json_array_append(arr, jh);
	rc = 0;
done:
	for (i = 0; seen != NULL && i < v.nowners; i++)
		obs_report_free(&seen[i]);
	free(seen);
	free(seen_ok);
	json_decref(jh);
	view_free(&v);
	return rc;
}
