/*
 * cmd - command line parsing and the commands. See include/cmd.h.
 *
 * Exit status (sysexits(3)): 0 done; 64 usage; 65 bad data (a PEM or key
 * file); 69 a host stopped or a needed backend is missing; 70 internal
 * error; 73 cannot create a file; 75 try again later (locked, a transient
 * failure: the next timer run continues); 78 configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "adopt.h"
#include "check.h"
#include "cmd.h"
#include "conf.h"
#include "deploy_files.h"
#include "doctor.h"
#include "engine.h"
#include "exec.h"
#include "fsutil.h"
#include "intake.h"
#include "jsonout.h"
#include "lock.h"
#include "log.h"
#include "plan.h"
#include "privsep.h"
#include "store.h"
#include "view.h"

static const char usage_text[] =
"usage: daneroll [-qv] [-c file] [--state-dir dir] [--syslog] command [args]\n"
"\n"
"commands:\n"
"  run [-n] [--wait] [host ...]  advance every (or the named) host's rollover\n"
"  plan [--json] [host ...]      what run would do, step by step, and when\n"
"  status [--json] [host ...]    each slot's state, keys and recent events\n"
"  records [--json] host         the TLSA RRset the host should publish\n"
"  check [--json] [--prometheus file] [-w days] [-c days] [host ...]\n"
"                                live DANE check of every address; Nagios\n"
"                                exit status (0 ok, 1 warning, 2 critical,\n"
"                                3 unknown)\n"
"  roll [--resume] host          force a rollover at the next run, or resume\n"
"                                a stopped one\n"
"  config check                  validate the configuration, change nothing\n"
"  doctor [host]                 prove what the first run needs (files,\n"
"                                hooks, resolver, zone servers, publisher\n"
"                                key, served chains); change nothing\n"
"  acme-hook [host]              take a certificate an ACME client renewed\n"
"                                (certbot, lego, acme.sh, dehydrated hooks)\n"
"  adopt-next [--algorithm alg] host keyfile\n"
"                                take over a next key whose record is\n"
"                                published already (danectl, certbot)\n"
"\n"
"options:\n"
"  -c file           configuration (default " CONF_DEFAULT_PATH "); after\n"
"                    check: see -w\n"
"  --state-dir dir   state directory (default from the configuration)\n"
"  -n                run: decide, change nothing\n"
"  --wait            run: stay until every host is stable\n"
"  --json            machine-readable output\n"
"  -w days, -c days  check: warning, critical when a certificate expires\n"
"                    in fewer days (default: expiry_alert; once expired)\n"
"  --syslog          log to syslog instead of standard error\n"
"  -v, -q            more, less output\n"
"  --help, --version (after check also -h, -V)\n";

enum { O_STATE = 256, O_SYSLOG, O_JSON, O_WAIT, O_RESUME, O_HELP, O_VERSION,
    O_PROMETHEUS, O_ALGORITHM };

static const struct option long_opts[] = {
	{ "state-dir", required_argument, NULL, O_STATE },
	{ "syslog", no_argument, NULL, O_SYSLOG },
	{ "json", no_argument, NULL, O_JSON },
	{ "wait", no_argument, NULL, O_WAIT },
	{ "resume", no_argument, NULL, O_RESUME },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ "prometheus", required_argument, NULL, O_PROMETHEUS },
	{ "algorithm", required_argument, NULL, O_ALGORITHM },
	{ NULL, 0, NULL, 0 }
};

/*
 * One option, before or after the command. After `check`, -c is the
 * critical threshold, as the Nagios plugin guidelines have it; anywhere
 * else, the configuration file. 1 after printing help or the version,
 * -1 on a bad option (said), else 0.
 */
static int
take_option(int ch, struct cli *c, int check)
{
	switch (ch) {
	case 'c':
		if (check)
			return check_days_parse("-c", optarg, &c->crit_days);
		c->conf_path = optarg;
		return 0;
	case 'w': return check_days_parse("-w", optarg, &c->warn_days);
	case 'n': c->dry_run = 1; return 0;
	case 'q': c->verbosity = -1; return 0;
	case 'v': c->verbosity++; return 0;
	case O_STATE: c->state_dir = optarg; return 0;
	case O_SYSLOG: c->use_syslog = 1; return 0;
	case O_JSON: c->json = 1; return 0;
	case O_WAIT: c->wait = 1; return 0;
	case O_RESUME: c->resume = 1; return 0;
	case O_PROMETHEUS: c->prometheus = optarg; return 0;
	case O_ALGORITHM: c->algorithm = optarg; return 0;
	case 'h':
	case O_HELP:
		fputs(usage_text, stdout);
		return 1;
	case 'V':
	case O_VERSION:
		printf("daneroll %s\n", DANEROLL_VERSION);
		return 1;
	default:
		fputs(usage_text, stderr);
		return -1;
	}
}

int
cmd_parse(int argc, char **argv, struct cli *c)
{
	struct check_expiry x;
	const char *optstr;
	int ch, rc, check;

	memset(c, 0, sizeof(*c));
	c->conf_path = CONF_DEFAULT_PATH;
	c->use_syslog = 0;	/* stderr: cron mails it, journald keeps it */
	c->warn_days = c->crit_days = -1;
	optind = 0;	/* a fresh scan, also when called again (tests) */
	/* Options before the command: global ones. */
	while ((ch = getopt_long(argc, argv, "+c:nqvh", long_opts, NULL)) !=
	    -1 || optind < argc) {
		if (ch == -1) {
			c->command = argv[optind++];
			break;
		}
		if ((rc = take_option(ch, c, 0)) != 0)
			return rc;
	}
	if (c->command == NULL) {
		fputs(usage_text, stderr);
		return -1;
	}
	/*
	 * The rest: options anywhere after the command, among host names.
	 * glibc's getopt keeps the stop-at-first-argument mode of the first
	 * pass, so restart it (optind = 0) on the vector from the command on.
	 * acme-hook's arguments are an ACME client's: dehydrated hands over
	 * challenge tokens, which may begin with '-'. There options end at
	 * the first argument. check takes the Nagios plugin's -w, -c and -V.
	 */
	check = strcmp(c->command, "check") == 0;
	optstr = check ? "c:w:nqvhV" : strcmp(c->command, "acme-hook") == 0 ?
	    "+c:nqvh" : "c:nqvh";
	argc -= optind - 1;
	argv += optind - 1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, optstr, long_opts, NULL)) != -1)
		if ((rc = take_option(ch, c, check)) != 0)
			return rc;
	c->args = argv + optind;
	c->nargs = argc - optind;
	if (check && check_expiry_set(&x, c->warn_days, c->crit_days) != 0)
		return -1;
	log_init(c->verbosity, c->use_syslog);
	return 0;
}

static struct conf *
load_conf(const struct cli *c)
{
	struct conf *conf = conf_load(c->conf_path);

	if (conf != NULL && c->state_dir != NULL &&
	    conf_set_state_dir(conf, c->state_dir) != 0) {
		conf_free(conf);
		return NULL;
	}
	return conf;
}

static int
outcome_exit(enum outcome o)
{
	switch (o) {
	case OUT_OK:
	case OUT_PENDING:	return EX_OK;
	case OUT_TEMPFAIL:	return EX_TEMPFAIL;
	case OUT_PERMFAIL:	return EX_UNAVAILABLE;
	}
	return EX_SOFTWARE;
}

/* The owner names of a host: what its lock covers. */
static const char **
host_owners(const struct conf_host *h, int *n)
{
	const char **names = xcalloc((size_t)h->nowners, sizeof(*names));
	int i;

	for (i = 0; i < h->nowners; i++)
		names[i] = h->owners[i].name;
	*n = h->nowners;
	return names;
}

/* The test seam of struct engine (cmd_set_crash_point): NULL in daneroll. */
static void (*crash_hook)(const char *point);

void
cmd_set_crash_point(void (*fn)(const char *point))
{
	crash_hook = fn;
}

/* What run --wait sleeps for: the earliest wake of any host. */
struct wake {
	int64_t		 at_ms;		/* 0: none */
	const char	*host;
	int		 alg;		/* -1: the host's RRset */
	const char	*reason;
};

static void
wake_note(struct wake *w, const char *host, const struct engine_result *r)
{
	if (r->wake_ms == 0 || (w->at_ms != 0 && w->at_ms <= r->wake_ms))
		return;
	w->at_ms = r->wake_ms;
	w->host = host;
	w->alg = r->wake_alg;
	w->reason = r->wake_reason;
}

static void
countdown(const struct wake *w)
{
	char b[32], what[512];
	int64_t until = w->at_ms;
	int tick;

	/* Host, slot and what for: a wait of hours must say what ends it. */
	if (w->host == NULL)
		snprintf(what, sizeof(what), "the next step");
	else
		snprintf(what, sizeof(what), "%s%s%s: %s", w->host,
		    w->alg >= 0 ? "/" : "", w->alg >= 0 ?
		    key_alg_str((enum key_alg)w->alg) : "", w->reason != NULL ?
		    w->reason : "the next step");
	/* Off a terminal, one line, so that a long wait is not silence. */
	if (!isatty(STDERR_FILENO))
		log_notice("waiting until %s: %s",
		    util_fmt_time(util_ms_to_s_ceil(until), b, sizeof(b)),
		    what);

	/* To the millisecond: a deploy guard's deadline is exact, and a
	 * second slept past it is a second of the rollover lost; a poll for
	 * propagation comes every half second. */
	for (;;) {
		int64_t left = until - util_now_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\r\033[Kdaneroll: %s: %s left", what,
			    util_fmt_duration((left + 999) / 1000, b,
			    sizeof(b)));
		if (left > 1000)
			left = 1000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		(void)nanosleep(&ts, NULL);
	}
	/* The machine reads time(), the kernel's coarse clock, which may lag
	 * the precise one by a tick: wait for it too (a few ms at most), or
	 * the next round finds nothing due yet and loops, logging each turn. */
	for (tick = 0; tick < 50 && util_now() < until / 1000; tick++) {
		struct timespec ts = { 0, 1000000L };

		(void)nanosleep(&ts, NULL);
	}
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
}

/*
 * The run is over: its end, for the monitoring of the runs (schema/006).
 * hs are the run's hosts; ran[i] says whether hs[i] had work in the last
 * round that looked at it, bad[i] which of its slots failed or raised a
 * critical alert there. One transaction: an idle fleet's run writes one
 * row, not one per host.
 */
static enum outcome
record_run(struct store *st, const struct cli *c,
    const struct conf_host **hs, int n, const char *ran,
    const unsigned *bad)
{
	time_t t = util_now();
	int i, rc;

	if (store_begin(st) != 0)
		return OUT_TEMPFAIL;
	/* The slots first: they keep what earlier idle runs gave them. */
	for (i = 0, rc = 0; i < n && rc == 0; i++)
		if (ran[i])
			rc = store_slots_ran(st, hs[i]->name, bad[i], t);
	if (rc == 0 && c->nargs == 0)
		rc = store_run_finished(st, NULL, t);
	for (i = 0; i < n && rc == 0 && c->nargs > 0; i++)
		rc = store_run_finished(st, hs[i]->name, t);
	return store_end(st, rc == 0) == 0 ? OUT_OK : OUT_TEMPFAIL;
}

/*
 * Which hosts have anything to do, in one read transaction: a fleet's idle
 * run takes no lock and writes nothing, and its reads lock the database
 * once, not once per host. A dry run goes through every host. Hosts that
 * are not due but busy (waiting out a TTL) still set the wake time.
 */
static void
due_scan(struct engine *e, const struct conf_host **hs, int n, int dry_run,
    char *due, struct wake *wake, int *busy)
{
	int i, snapshot = !dry_run && store_begin_read(e->store) == 0;

	for (i = 0; i < n; i++) {
		struct engine_result r;

		if (dry_run || engine_due(e, hs[i], util_now(), &r)) {
			due[i] = 1;
			continue;
		}
		due[i] = 0;
		if (r.busy) {
			*busy = 1;
			wake_note(wake, hs[i]->name, &r);
		}
	}
	if (snapshot && store_commit(e->store) != 0)
		store_rollback(e->store);
}

/* One due host under its owners' locks (none for a dry run): the
 * locks' outcome; r is filled when that is OUT_OK. */
static enum outcome
run_locked(struct engine *e, int dry_run, const struct conf_host *h,
    struct engine_result *r)
{
	struct lock_set *lk = NULL;
	const char **owners;
	int no;
	enum outcome lo = OUT_OK;

	owners = host_owners(h, &no);
	if (!dry_run)
		lo = lock_acquire(e->conf->state_dir, owners, no,
		    e->conf->lock_timeout, &lk);
	free(owners);
	if (lo == OUT_OK) {
		engine_host(e, h, r);
		lock_release(lk);
	}
	return lo;
}

static int
cmd_run(const struct cli *c, struct conf *conf)
{
	const struct backends *be;
	const struct conf_host **hs = NULL;
	struct store *st = NULL;
	struct engine e;
	enum outcome worst = OUT_OK;
	unsigned errors = 0, *bad = NULL;
	char *ran = NULL, *due = NULL;
	int i, n, rc = EX_SOFTWARE, stopped = 0;

	if ((hs = conf_select_hosts(conf, c->args, c->nargs, &n)) == NULL) {
		rc = EX_USAGE;
		goto done;
	}
	ran = xcalloc((size_t)n + 1, sizeof(*ran));
	due = xcalloc((size_t)n + 1, sizeof(*due));
	bad = xcalloc((size_t)n + 1, sizeof(*bad));
	/* Before the state is opened: the network child is a copy of this
	 * process (privsep.h). */
	if ((be = privsep_start(conf, backend_builtin())) == NULL) {
		rc = EX_OSERR;
		goto done;
	}
	if ((worst = store_open(conf->state_dir, c->dry_run, &st)) != OUT_OK) {
		rc = worst == OUT_TEMPFAIL ? EX_TEMPFAIL : EX_CANTCREAT;
		goto done;
	}
	memset(&e, 0, sizeof(e));
	e.conf = conf;
	e.store = st;
	e.be = be;
	e.dry_run = c->dry_run;
	e.crash_point = crash_hook;
	for (;;) {
		struct wake wake = { 0, NULL, -1, NULL };
		int busy = 0, stuck = 0;

		worst = OUT_OK;
		stopped = 0;
		errors = log_error_count();
		due_scan(&e, hs, n, c->dry_run, due, &wake, &busy);
		for (i = 0; i < n; i++) {
			struct engine_result r;
			enum outcome lo;

			if (!(ran[i] = due[i]))
				continue;
			if ((lo = run_locked(&e, c->dry_run, hs[i], &r)) !=
			    OUT_OK) {
				bad[i] = ~0u;
				if (lo > worst)
					worst = lo;
				continue;
			}
			bad[i] = r.failed_algs | r.critical_algs;
			if (r.outcome > worst)
				worst = r.outcome;
			if (r.alert == ALERT_CRITICAL)
				stopped = 1;
			stuck |= r.stuck;
			if (r.busy) {
				busy = 1;
				wake_note(&wake, hs[i]->name, &r);
			}
		}
		/* --wait stops where waiting changes nothing: a failure
		 * that needs the operator, a slot stopped for one, or a
		 * network child gone (nothing more can be learnt). */
		if (!c->wait || !busy || c->dry_run || worst == OUT_PERMFAIL ||
		    stuck || !privsep_alive())
			break;
		/* --wait: sleep to the next due step, then go on. */
		if (wake.at_ms == 0)
			wake.at_ms = util_now_ms() + 5000;
		countdown(&wake);
	}
	if (!c->dry_run && record_run(st, c, hs, n, ran, bad) > worst)
		worst = OUT_TEMPFAIL;
	rc = outcome_exit(worst);
	/* Never 0 after an "error:" line: the last round (the one whose
	 * outcome this is) said one, so something needs the operator. */
	if (rc == EX_OK && (stopped || log_error_count() != errors))
		rc = EX_UNAVAILABLE;
done:
	store_close(st);
	privsep_stop();
	free(ran);
	free(due);
	free(bad);
	free(hs);
	return rc;
}

/* A --json document on standard output: {"format": 1, name: value}
 * with the members of extra (may be NULL) between. */
static void
print_doc(json_t *extra, const char *name, json_t *value)
{
	json_t *doc = jsonout_doc();
	struct buf b = { NULL, 0, 0 };

	if (extra != NULL)
		json_object_update(doc, extra);
	json_object_set(doc, name, value);
	jsonout_dump(doc, &b);
	if (b.data != NULL)
		fputs(b.data, stdout);
	buf_free(&b);
	json_decref(doc);
}

static int
cmd_plan(const struct cli *c, struct conf *conf)
{
	const struct backends *be;
	const struct conf_host **hs = NULL;
	struct store *st = NULL;
	json_t *arr = c->json ? json_array() : NULL;
	time_t now = util_now();
	int i, n, rc = EX_SOFTWARE, failed = 0;

	if ((hs = conf_select_hosts(conf, c->args, c->nargs, &n)) == NULL) {
		rc = EX_USAGE;
		goto done;
	}
	if ((be = privsep_start(conf, backend_builtin())) == NULL) {
		rc = EX_OSERR;
		goto done;
	}
	if (store_open(conf->state_dir, 1, &st) != OUT_OK) {
		rc = EX_NOINPUT;
		goto done;
	}
	for (i = 0; i < n; i++)
		if (plan_host(st, conf, be, hs[i], now,
		    c->json ? NULL : stdout, arr) != 0)
			failed++;	/* said why; plan the others */
	if (arr != NULL)
		print_doc(NULL, "hosts", arr);
	rc = failed ? EX_DATAERR : EX_OK;
done:
	json_decref(arr);
	store_close(st);
	privsep_stop();
	free(hs);
	return rc;
}

/* Where status writes a host: text to out, JSON to w (either NULL). */
struct status_to {
	FILE			*out;
	struct jsonout_stream	*w;
};

static void
event_cb(time_t at, const char *slot, const char *old_state,
    const char *new_state, const char *reason, void *arg)
{
	struct status_to *to = arg;
	char tb[32];

	if (to->out != NULL) {
		fprintf(to->out, "    %s %s%s", util_fmt_time(at, tb,
		    sizeof(tb)), slot ? slot : "host", old_state ? " " : "");
		if (old_state != NULL)
			fprintf(to->out, "%s -> %s", old_state, new_state);
		fprintf(to->out, ": %s\n", reason);
	}
	if (to->w != NULL) {
		jsonout_put_object(to->w, NULL);
		jsonout_put_time(to->w, "at", at);
		jsonout_put_string(to->w, "slot", slot);
		jsonout_put_string(to->w, "from", old_state);
		jsonout_put_string(to->w, "to", new_state);
		jsonout_put_string(to->w, "reason", reason);
		jsonout_put_end(to->w);
	}
}

/* A state directory never run with (a mistyped --state-dir, say) shows
 * every slot as new: say why. */
static void
note_no_state(const char *state_dir)
{
	char *db = xasprintf("%s/%s", state_dir, STORE_DB_NAME);

	if (fs_missing(db))
		log_notice("no daneroll state yet: %s does not exist (nothing "
		    "has run with this state directory)", db);
	free(db);
}

/* A slot as status shows it: the step the state machine would take now
 * (its texts are static or the view's) and the private keys kept. */
struct status_row {
	struct slot_step	step;
	int			kept;
};

/* A slot in status's text. */
static void
status_slot_text(FILE *out, const struct view_slot *s,
    const struct status_row *r)
{
	const struct slot_step *step = &r->step;
	char tb[32];

	fprintf(out, "  %-10s %-10s %s", key_alg_str(s->alg),
	    slot_state_str(s->slot.state), step->reason);
	if (step->wake_at)
		fprintf(out, " (until %s)",
		    util_fmt_time(step->wake_at, tb, sizeof(tb)));
	fputc('\n', out);
	if (s->has_current)
		fprintf(out, "    current 3 1 1 %s\n", s->current.spki);
	if (s->has_next)
		fprintf(out, "    next    3 1 1 %s\n", s->next.spki);
	if (s->deployed_ok)
		fprintf(out, "    serves  %s, expires %s\n", s->cert_path,
		    util_fmt_time(s->deployed_not_after, tb, sizeof(tb)));
	else if (s->deployed_unknown)
		fprintf(out, "    serves  unknown: %s\n", s->deployed_error);
	if (r->kept > 0)
		fprintf(out, "    keys    %d private key%s kept, %d retired\n",
		    r->kept, r->kept == 1 ? "" : "s",
		    r->kept - s->has_current - s->has_next);
	if (step->alert != ALERT_NONE)
		fprintf(out, "    %s: %s\n", alert_level_str(step->alert),
		    step->alert_reason);
	if (s->slot.last_error)
		fprintf(out, "    last error: %s\n", s->slot.last_error);
}

/* A slot in status --json (docs/schema/status.schema.json). */
static void
status_slot_json(struct jsonout_stream *w, const struct view_slot *s,
    const struct status_row *r)
{
	jsonout_put_object(w, NULL);
	jsonout_put_string(w, "algorithm", key_alg_str(s->alg));
	jsonout_put_string(w, "state", slot_state_str(s->slot.state));
	jsonout_put_string(w, "next_action", slot_action_str(r->step.action));
	jsonout_put_string(w, "reason", r->step.reason);
	jsonout_put_time(w, "wake_at", r->step.wake_at);
	jsonout_put_string(w, "current_spki",
	    s->has_current ? s->current.spki : NULL);
	jsonout_put_string(w, "next_spki", s->has_next ? s->next.spki : NULL);
	jsonout_put_time(w, "cert_not_after", s->deployed_not_after);
	jsonout_put_string(w, "last_error", s->slot.last_error);
	jsonout_put_int(w, "failures", s->slot.failures);
	jsonout_put_string(w, "alert", alert_level_str(r->step.alert));
	jsonout_put_string(w, "alert_reason", r->step.alert_reason);
	jsonout_put_string(w, "served_error",
	    s->deployed_unknown ? s->deployed_error : NULL);
	jsonout_put_int(w, "keys_kept", r->kept);
	jsonout_put_end(w);
}

/* Each slot of v's row; the keys kept over all the slots. */
static int
status_rows(struct store *st, struct view *v, time_t now,
    struct status_row *rows)
{
	struct host_step hs;
	int j, host_kept = 0;

	view_step(v, now, &hs);
	for (j = 0; j < v->nslots; j++) {
		struct view_slot *s = &v->slots[j];

		rows[j].step = hs.step[j];
		if (s->slot.id == 0 ||
		    store_keys_kept(st, s->slot.id, &rows[j].kept) != 0)
			rows[j].kept = 0;
		host_kept += rows[j].kept;
	}
	return host_kept;
}

/* What status says of v before its events, as text. */
static void
status_host_text(FILE *out, const struct view *v,
    const struct status_row *rows)
{
	size_t k;
	int j;

	fprintf(out, "%s (%s)\n", v->host->name,
	    conf_scheme_str(v->host->scheme));
	for (j = 0; j < v->nslots; j++)
		status_slot_text(out, &v->slots[j], &rows[j]);
	for (k = 0; k < v->followed.n; k++) {
		char *r = tlsa_format(&v->followed.rr[k]);

		fprintf(out, "  followed CA (issuer_follow): %s\n", r);
		free(r);
	}
	if (v->ca_change[0] != '\0')
		fprintf(out, "  CA change under way: the next certificate "
		    "comes from %s; its record ages before the deploy\n",
		    v->ca_change);
	fprintf(out, "  recent events:\n");
}

/* The same in JSON, up to the open "events" array. */
static void
status_host_json(struct jsonout_stream *w, const struct view *v,
    const struct status_row *rows, int host_kept)
{
	int j;

	jsonout_put_string(w, "ca_change",
	    v->ca_change[0] != '\0' ? v->ca_change : NULL);
	jsonout_put_int(w, "keys_kept", host_kept);
	jsonout_put_array(w, "slots");
	for (j = 0; j < v->nslots; j++)
		status_slot_json(w, &v->slots[j], &rows[j]);
	jsonout_put_end(w);
	jsonout_put_array(w, "events");
}

/*
 * One host's status, written as it is read: nothing of a fleet is held
 * beyond its host. -1 if its state cannot be read (said; in JSON, the
 * host's "error").
 */
static int
status_host(struct store *st, const struct conf_host *h, time_t now,
    struct status_to *to)
{
	struct status_row rows[KEY_ALG_COUNT];
	struct view v;
	int host_kept, rc = -1;

	if (to->w != NULL) {
		jsonout_put_object(to->w, NULL);
		jsonout_put_string(to->w, "host", h->name);
		jsonout_put_string(to->w, "scheme", conf_scheme_str(h->scheme));
	}
	if (view_load(st, h, now, 0, &v) != 0) {
		if (to->w != NULL)
			jsonout_put_string(to->w, "error", log_last_error());
		goto done;
	}
	host_kept = status_rows(st, &v, now, rows);
	if (to->out != NULL)
		status_host_text(to->out, &v, rows);
	if (to->w != NULL)
		status_host_json(to->w, &v, rows, host_kept);
	(void)store_events(st, h->name, 8, event_cb, to);
	if (to->w != NULL)
		jsonout_put_end(to->w);		/* the events */
	if (to->out != NULL)
		fputc('\n', to->out);
	rc = 0;
done:
	if (to->w != NULL)
		jsonout_put_end(to->w);		/* the host */
	view_free(&v);
	return rc;
}

static int
cmd_status(const struct cli *c, struct conf *conf)
{
	const struct conf_host **hs = NULL;
	struct store *st = NULL;
	struct jsonout_stream w;
	struct status_to to = { c->json ? NULL : stdout, NULL };
	time_t now = util_now();
	int i, n, rc = EX_SOFTWARE, snapshot;

	if ((hs = conf_select_hosts(conf, c->args, c->nargs, &n)) == NULL) {
		rc = EX_USAGE;
		goto done;
	}
	if (store_open(conf->state_dir, 1, &st) != OUT_OK) {
		rc = EX_NOINPUT;
		goto done;
	}
	note_no_state(conf->state_dir);
	if (c->json) {
		to.w = &w;
		jsonout_stream_open(&w, stdout);
		jsonout_put_array(&w, "hosts");
	}
	/* One snapshot for every host: consistent, and the database locked
	 * once, not once a query (a third of status over 10,000 hosts). */
	snapshot = store_begin_read(st) == 0;
	for (i = 0; i < n; i++)
		(void)status_host(st, hs[i], now, &to); /* said; go on */
	if (snapshot && store_commit(st) != 0)
		store_rollback(st);
	rc = EX_OK;
	if (to.w != NULL && jsonout_stream_close(to.w) != 0) {
		log_err("standard output: %s", strerror(errno));
		rc = EX_SOFTWARE;
	}
done:
	store_close(st);
	free(hs);
	return rc;
}

/* The one host a command names, or NULL after logging why not. */
static const struct conf_host *
one_host(const struct cli *c, const struct conf *conf)
{
	const struct conf_host *h;

	if (c->nargs != 1) {
		log_err("%s takes exactly one host name", c->command);
		return NULL;
	}
	if ((h = conf_host_find(conf, c->args[0])) == NULL)
		log_err("%s: no [host %s] in %s", c->args[0], c->args[0],
		    conf->path);
	return h;
}

/*
 * The host c names, its state (read only, or writable with missing rows
 * created) and its view at now: EX_OK, or the exit status to return
 * (logged); *st and *v the caller's to free either way.
 */
static int
host_view(const struct cli *c, struct conf *conf, int readonly, time_t now,
    const struct conf_host **h, struct store **st, struct view *v)
{
	memset(v, 0, sizeof(*v));
	if ((*h = one_host(c, conf)) == NULL)
		return EX_USAGE;
	if (store_open(conf->state_dir, readonly, st) != OUT_OK)
		return readonly ? EX_NOINPUT : EX_CANTCREAT;
	if (view_load(*st, *h, now, !readonly, v) != 0)
		return EX_SOFTWARE;
	return EX_OK;
}

static int
cmd_records(const struct cli *c, struct conf *conf)
{
	const struct conf_host *h;
	struct store *st = NULL;
	struct view v;
	json_t *arr = NULL;
	int i, rc;
	size_t k;

	if ((rc = host_view(c, conf, 1, util_now(), &h, &st, &v)) != EX_OK)
		goto done;
	arr = json_array();
	for (i = 0; i < v.nowners; i++)
		for (k = 0; k < v.want.n; k++) {
			char *r = tlsa_format(&v.want.rr[k]);

			if (!c->json)
				printf("%s. %lld IN TLSA %s\n", v.owners[i].name,
				    (long long)h->timing.ttl, r);
			json_array_append_new(arr, json_pack("{s:s, s:I, s:s}",
			    "owner", v.owners[i].name, "ttl",
			    (json_int_t)h->timing.ttl, "tlsa", r));
			free(r);
		}
	if (c->json) {
		json_t *host = json_pack("{s:s}", "host", h->name);

		print_doc(host, "records", arr);
		json_decref(host);
	}
	rc = EX_OK;
done:
	json_decref(arr);
	view_free(&v);
	store_close(st);
	return rc;
}

static int
cmd_roll(const struct cli *c, struct conf *conf)
{
	const struct conf_host *h;
	struct store *st = NULL;
	struct view v;
	time_t now = util_now();
	int i, nstopped = 0, nbackoff = 0, rc = EX_SOFTWARE;

	if ((rc = host_view(c, conf, 0, now, &h, &st, &v)) != EX_OK)
		goto done;
	rc = EX_SOFTWARE;
	if (store_begin(st) != 0)
		goto done;
	if (c->resume) {
		/* Start over from the facts: a stopped slot goes back to
		 * new, and a chain that failed verification is dropped. A
		 * slot backing off retries at the next run: the operator
		 * says the cause is fixed. */
		for (i = 0; i < v.nslots; i++) {
			struct view_slot *s = &v.slots[i];

			if (s->slot.state != SLOT_FAILED) {
				if (s->slot.retry_at <= now)
					continue;
				if (store_slot_set_failure(st, &s->slot, 0, 0,
				    OUT_OK, s->slot.last_error, 0) != 0 ||
				    store_event(st, now, h->name,
				    key_alg_str(s->alg), NULL, NULL, "back-off "
				    "ended by the operator") != 0)
					goto fail;
				nbackoff++;
				continue;
			}
			if (s->has_next && s->next.chain_path != NULL &&
			    store_key_set_chain(st, s->next.id, NULL, 0) != 0)
				goto fail;
			if (store_slot_set_failure(st, &s->slot, 0, 0, OUT_OK,
			    NULL, 0) != 0 ||
			    store_slot_set_verified(st, &s->slot, VF_UNKNOWN) != 0 ||
			    store_slot_set_state(st, &s->slot, h->name, SLOT_NEW,
			    "resumed by the operator", now) != 0)
				goto fail;
			nstopped++;
		}
	} else if (h->acme_hook.argv == NULL) {
		/* A forced rollover needs a certificate for the next key,
		 * and only the ACME client can get one: refuse rather than
		 * fail every run until the client renews. */
		log_err("%s: no acme_hook: daneroll cannot request the "
		    "certificate a rollover needs; have the ACME client "
		    "renew (e.g. certbot renew --force-renewal): its hook "
		    "(daneroll acme-hook) hands the certificate over",
		    h->name);
		rc = EX_CONFIG;
		goto fail;
	} else if (store_host_force(st, v.host_id, 1) != 0 ||
	    store_event(st, now, h->name, NULL, NULL, NULL,
	    "rollover forced by the operator") != 0)
		goto fail;
	if (store_commit(st) != 0)
		goto fail;
	if (!c->resume)
		printf("%s: rollover forced at the next run\n", h->name);
	else if (nstopped + nbackoff == 0)
		printf("%s: no slot is stopped or backing off; nothing to "
		    "resume\n", h->name);
	else
		printf("%s: %d stopped slot%s and %d back-off%s end: the next "
		    "run goes on\n", h->name, nstopped, nstopped == 1 ? "" :
		    "s", nbackoff, nbackoff == 1 ? "" : "s");
	rc = EX_OK;
	goto done;
fail:
	store_rollback(st);
done:
	view_free(&v);
	store_close(st);
	return rc;
}

/* check: a Nagios plugin, so its exit status is Nagios', not sysexits. */
static int
cmd_check(const struct cli *c, struct conf *conf)
{
	struct check_opts o;
	int code;

	memset(&o, 0, sizeof(o));
	o.json = c->json;
	o.prometheus = c->prometheus;
	/* DNS and the handshakes in the network child (privsep.h); the
	 * state, the judging and the textfile here. */
	o.net = privsep_check_net;
	if (privsep_start(conf, backend_builtin()) == NULL ||
	    check_expiry_set(&o.expiry, c->warn_days, c->crit_days) != 0 ||
	    check_main(conf, c->args, c->nargs, &o, &code) != 0) {
		/* Said on standard error; --json still owes a document. */
		if (c->json)
			check_print_failure(1, "usage", *log_last_error() ?
			    log_last_error() : "see daneroll check --help");
		code = CHECK_UNKNOWN;
	}
	privsep_stop();
	return code;
}

/*
 * The state and key directories, before a command reads or writes
 * anything there (a lock, the database, a key): every component from /
 * must be root's or ours and closed to others. They may not exist yet.
 */
static int
state_dirs_secure(const struct conf *conf)
{
	/* key_dir is usually inside: one refusal says it. */
	if (fs_secure_path(conf->state_dir, FS_SP_DIR | FS_SP_MISSING) != 0 ||
	    fs_secure_path(conf->key_dir, FS_SP_DIR | FS_SP_MISSING) != 0)
		return -1;
	return 0;
}

/* The programs a host runs, there and runnable before a run needs them:
 * 0, or -1 after naming each one that is not, where it is set. */
static int
host_programs_check(const struct conf *conf, const struct conf_host *h)
{
	const struct { const char *key; const struct conf_cmd *cmd; } p[] = {
		{ "acme_hook", &h->acme_hook }, { "reload", &h->reload } };
	const char *why;
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (p[i].cmd->argv != NULL &&
		    (why = exec_program_problem(p[i].cmd->argv[0])) != NULL) {
			log_err("%s:%d: [host %s] %s %s %s", conf->path,
			    p[i].cmd->line, h->name, p[i].key,
			    p[i].cmd->argv[0], why);
			r = -1;
		}
	return r;
}

/* config check: the file, then what needs the host: owners, groups,
 * file layouts, programs, secret files; nothing is written. */
static int
cmd_config_check(const struct cli *c)
{
	struct conf *conf;
	int i, bad = 0;

	if (c->nargs != 1 || strcmp(c->args[0], "check") != 0) {
		log_err("usage: daneroll config check");
		return EX_USAGE;
	}
	if ((conf = load_conf(c)) == NULL)
		return EX_CONFIG;
	if (state_dirs_secure(conf) != 0)
		bad = 1;
	for (i = 0; i < conf->nhosts; i++)
		if ((deploy_files_check(&conf->hosts[i]) |
		    host_programs_check(conf, &conf->hosts[i])) != 0)
			bad = 1;	/* both said what they found */
	for (i = 0; i < conf->npublishers; i++) {
		const struct backend_publisher *pb = backend_publisher_for(
		    backend_builtin(), conf->publishers[i].type);

		if (pb != NULL && pb->check != NULL &&
		    pb->check(conf, &conf->publishers[i]) != 0)
			bad = 1;
	}
	if (!bad)
		printf("%s: ok (%d host%s, %d publisher%s)\n", conf->path,
		    conf->nhosts, conf->nhosts == 1 ? "" : "s",
		    conf->npublishers, conf->npublishers == 1 ? "" : "s");
	conf_free(conf);
	return bad ? EX_CONFIG : EX_OK;
}

/*
 * doctor: proves what the first run needs, changing nothing. The state
 * directory's trust is one of its findings, not a refusal; the modules'
 * messages become the findings' text (shown as they come with -v).
 */
static int
cmd_doctor(const struct cli *c)
{
	static const struct doctor_net_ops in_child = {
		privsep_doctor_zone, privsep_doctor_tlsa
	};
	struct conf *conf;
	int rc;

	if ((conf = load_conf(c)) == NULL)
		return EX_CONFIG;
	/* DNS in the network child (privsep.h); files, keys, secrets and
	 * the publisher's probe here. */
	if (privsep_start(conf, backend_builtin()) == NULL) {
		conf_free(conf);
		return EX_OSERR;
	}
	if (c->verbosity <= 0)
		log_init(-2, c->use_syslog);
	rc = doctor_main(conf, c->args, c->nargs, &in_child, stdout);
	log_init(c->verbosity, c->use_syslog);
	privsep_stop();
	if (rc == EX_USAGE)
		log_err("%s", log_last_error());	/* the unknown host */
	conf_free(conf);
	return rc;
}

/* Hook events of dehydrated that are not for us. */
static int
other_dehydrated_event(const char *ev)
{
	static const char *const evs[] = { "deploy_challenge",
	    "clean_challenge", "sync_cert", "deploy_ocsp", "unchanged_cert",
	    "invalid_challenge", "request_failure", "generate_csr",
	    "startup_hook", "exit_hook", "this_hookscript_is_broken__dehydrated_is_working_fine__please_ignore_unknown_hooks_in_your_script",
	    NULL };
	int i;

	for (i = 0; evs[i] != NULL; i++)
		if (strcmp(ev, evs[i]) == 0)
			return 1;
	return 0;
}

/*
 * A command acting on one host: its owner names locked, as a run locks
 * them, then the store opened for writing. EX_OK, or the exit status;
 * the caller releases the lock and closes the store either way.
 */
static int
lock_host_open(const struct conf *conf, const struct conf_host *h,
    struct lock_set **lk, struct store **st)
{
	const char **owners;
	enum outcome o;
	int no;

	owners = host_owners(h, &no);
	o = lock_acquire(conf->state_dir, owners, no, conf->lock_timeout, lk);
	free(owners);
	if (o != OUT_OK)
		return outcome_exit(o);
	if (store_open(conf->state_dir, 0, st) != OUT_OK)
		return EX_CANTCREAT;
	return EX_OK;
}

static int
cmd_acme_hook(const struct cli *c, struct conf *conf)
{
	const struct backends *be;
	const struct conf_host *h = NULL;
	struct intake_files f;
	struct store *st = NULL;
	struct lock_set *lk = NULL;
	struct engine e;
	struct engine_result r;
	int rc = EX_SOFTWARE;
	enum outcome o;

	memset(&f, 0, sizeof(f));
	if (c->nargs > 0 && other_dehydrated_event(c->args[0]))
		return EX_OK;
	/* Before the client's files and the state are read. */
	if ((be = privsep_start(conf, backend_builtin())) == NULL)
		return EX_OSERR;
	if (intake_from_client(c->nargs, c->args, &f) != 0) {
		rc = EX_NOINPUT;
		goto done;
	}
	if (c->nargs == 1)
		h = conf_host_find(conf, c->args[0]);
	else
		h = intake_host(conf, f.domain);
	if (h == NULL) {
		if (c->nargs == 1)
			log_err("%s: no [host %s] in %s", c->args[0],
			    c->args[0], conf->path);
		rc = EX_USAGE;
		goto done;
	}
	if ((rc = lock_host_open(conf, h, &lk, &st)) != EX_OK)
		goto done;
	memset(&e, 0, sizeof(e));
	e.conf = conf;
	e.store = st;
	e.be = be;
	if ((o = intake_stage(conf, st, e.be, h, &f, util_now())) != OUT_OK) {
		rc = o == OUT_TEMPFAIL ? EX_TEMPFAIL : EX_DATAERR;
		goto done;
	}
	/* Go on with the rollover now: publish, observe, deploy if aged. */
	engine_host(&e, h, &r);
	if (store_begin(st) != 0 || store_end(st, store_slots_ran(st,
	    h->name, r.failed_algs | r.critical_algs, util_now()) == 0) != 0) {
		if (r.outcome < OUT_TEMPFAIL)
			r.outcome = OUT_TEMPFAIL;
	}
	if (r.busy && r.wake_at != 0) {
		char tb[32];

		log_notice("%s: certificate staged; the next run after %s "
		    "continues the rollover", h->name,
		    util_fmt_time(r.wake_at, tb, sizeof(tb)));
	}
	rc = outcome_exit(r.outcome);
done:
	lock_release(lk);
	store_close(st);
	privsep_stop();
	intake_files_free(&f);
	return rc;
}

/*
 * adopt-next HOST KEYFILE: under the host's lock, like a run, so that a
 * run cannot generate a next key meanwhile.
 */
static int
cmd_adopt_next(const struct cli *c, struct conf *conf)
{
	static const int code[] = { EX_OK, EX_NOINPUT, EX_DATAERR,
	    EX_UNAVAILABLE, EX_CANTCREAT, EX_TEMPFAIL };
	const struct conf_host *h;
	struct store *st = NULL;
	struct lock_set *lk = NULL;
	enum key_alg alg;
	int rc;

	if (c->nargs != 2) {
		log_err("adopt-next takes a host name and a key file");
		return EX_USAGE;
	}
	if (c->algorithm != NULL && key_alg_parse(c->algorithm, &alg) != 0) {
		log_err("--algorithm %s: not rsa2048 or ecdsa-p256",
		    c->algorithm);
		return EX_USAGE;
	}
	if ((h = conf_host_find(conf, c->args[0])) == NULL) {
		log_err("%s: no [host %s] in %s", c->args[0], c->args[0],
		    conf->path);
		return EX_USAGE;
	}
	if ((rc = lock_host_open(conf, h, &lk, &st)) != EX_OK)
		goto done;
	rc = code[adopt_next(conf, st, h, c->args[1], c->algorithm != NULL ?
	    (int)alg : -1, util_now())];
done:
	lock_release(lk);
	store_close(st);
	return rc;
}

int
cmd_dispatch(const struct cli *c)
{
	static const struct {
		const char	*name;
		int		(*fn)(const struct cli *, struct conf *);
	} cmds[] = {
		{ "run", cmd_run },
		{ "plan", cmd_plan },
		{ "status", cmd_status },
		{ "records", cmd_records },
		{ "roll", cmd_roll },
		{ "acme-hook", cmd_acme_hook },
		{ "check", cmd_check },
		{ "adopt-next", cmd_adopt_next },
	};
	struct conf *conf;
	size_t i;
	int rc = EX_USAGE;

	if (strcmp(c->command, "config") == 0)
		return cmd_config_check(c);
	if (strcmp(c->command, "doctor") == 0)
		return cmd_doctor(c);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(c->command, cmds[i].name) != 0)
			continue;
		if ((conf = load_conf(c)) == NULL)
			return EX_CONFIG;
		/* check (Nagios) says UNKNOWN for it, through store_open. */
		if (cmds[i].fn != cmd_check && state_dirs_secure(conf) != 0) {
			conf_free(conf);
			return EX_CANTCREAT;
		}
		rc = cmds[i].fn(c, conf);
		conf_free(conf);
		return rc;
	}
	log_err("unknown command \"%s\"; see daneroll --help", c->command);
	return rc;
}

int
cmd_main(int argc, char **argv)
{
	struct cli cli;
	int rc;

	if ((rc = cmd_parse(argc, argv, &cli)) != 0)
		rc = rc < 0 ? EX_USAGE : EX_OK;
	else
		rc = cmd_dispatch(&cli);
	/* check is a Nagios plugin: every exit is 0-3 with a status line. */
	if (rc > 3 && cli.command != NULL && strcmp(cli.command, "check") == 0) {
		check_print_failure(cli.json, rc == EX_USAGE ? "usage" :
		    "config", *log_last_error() ? log_last_error() :
		    "see daneroll check --help");
		rc = 3;
	}
	return rc;
}
