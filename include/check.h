/*
 * check - `daneroll check [--json] [--prometheus FILE] [-w DAYS] [-c DAYS]
 * [HOST...]`: the monitor. For every configured host (or the named ones),
 * every MX name (the host and its aliases), every address and every
 * algorithm: what a DANE sender finds in DNS and sees in the handshake
 * (include/verify.h), turned into findings with a severity.
 *
 * Severities follow the Nagios plugin conventions and are the exit status:
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. The worst finding decides, in
 * the order CRITICAL > UNKNOWN > WARNING > OK (a definite failure outranks
 * "could not tell"). Notes (severity OK) explain without alarming.
 *
 * Findings (code: severity):
 *   tlsa-mismatch, starttls-missing, handshake-failed, smtp-error,
 *   cert-expired, dnssec-unsigned, dnssec-bogus, tlsa-missing,
 *   tlsa-unusable, no-address: CRITICAL
 *   cert-expiring: WARNING, or CRITICAL within -c days
 *   no-next-record, no-issuer-record, orphan-record,
 *   shared-key, ttl-advice, cname-owner, rrsig-expiring, dns-differs,
 *   unreachable, timeout, smtp-tempfail: WARNING
 *   dns-failure, local-error: UNKNOWN
 *   usage, config: UNKNOWN, the check could not run (check_print_failure)
 *
 * Output: the first line is the Nagios status line with performance data;
 * the lines after it (Nagios "long output") are a readable table of
 * endpoints and findings. With json, one JSON document instead. With a
 * Prometheus path, node_exporter textfile-collector metrics are also
 * written there atomically (fs_write_atomic, mode 0644).
 *
 * The formatting functions are pure (report in, text out) so that their
 * output is tested against golden files. A check_report owns everything
 * it points to; check_report_free() releases it.
 */
#ifndef DANEROLL_CHECK_H
#define DANEROLL_CHECK_H

#include <time.h>

#include "check_net.h"
#include "conf.h"
#include "machine.h"
#include "resolve.h"
#include "store.h"
#include "tlsa.h"
#include "util.h"
#include "verify.h"

enum check_sev {
	CHECK_OK = 0,
	CHECK_WARNING = 1,
	CHECK_CRITICAL = 2,
	CHECK_UNKNOWN = 3
};
const char	*check_sev_str(enum check_sev);	/* "OK", "WARNING"... */
/* How bad: OK 0, WARNING 1, UNKNOWN 2, CRITICAL 3 (not the enum's order). */
int		 check_sev_rank(enum check_sev);
enum check_sev	 check_sev_worst(enum check_sev, enum check_sev);

/* Before this, an RRSIG on the TLSA RRset is about to expire. */
#define CHECK_RRSIG_WARN	(3 * 86400)

/*
 * Thresholds on the days left before a served certificate expires (-w,
 * -c; Nagios plugin guidelines): fewer than crit_days left is CRITICAL
 * (0, the default: only an expired one), fewer than warn_days WARNING
 * (unset: the host's expiry_alert). A zeroed struct is the default.
 */
struct check_expiry {
	int		 warn_set;
	int		 warn_days;
	int		 crit_days;
};
#define CHECK_DAYS_MAX	3650
/* One -w or -c argument: whole days, 0 to CHECK_DAYS_MAX. 0, or -1 when
 * arg is not that (logged, naming opt). */
int		 check_days_parse(const char *opt, const char *arg, int *days);
/* Fills x from -w and -c (-1: not given). -1 (logged) when the critical
 * threshold is above the warning one. */
int		 check_expiry_set(struct check_expiry *x, int warn_days,
		    int crit_days);

struct check_finding {
	enum check_sev	 sev;
	char		*host;		/* configured host; NULL: the run */
	char		*code;		/* "tlsa-mismatch" */
	char		*subject;	/* "192.0.2.1 ecdsa-p256", a record,
					 * an owner; may be NULL */
	char		*text;
};

struct check_endpoint {
	char			*host;		/* configured host */
	char			*name;		/* MX name probed */
	char			*addr;
	int			 port;
	enum key_alg		 alg;
	enum verify_status	 status;
	char			*detail;
	char			*tls_version;	/* "" when no handshake */
	char			*cipher;
	int			 usage, selector, mtype, depth;
	int			 no_tlsa;	/* judged against no TLSA
						 * record at all */
	time_t			 not_after;	/* 0 unknown */
	char			 spki[65];
	long			 elapsed_ms;
};

struct check_host {
	char		*name;
	enum check_sev	 status;
	char		*owner;		/* the TLSA owner senders use */
	enum resolve_sec addr_sec, tlsa_sec;
	int		 ntlsa;		/* records at owner */
	int64_t		 ttl;		/* original TTL; -1 unknown */
	time_t		 rrsig_expires;	/* 0 unknown */
	int		 naddr;
	int64_t		 expiry_warn;	/* seconds left that warn, */
	int64_t		 expiry_crit;	/* ... that are critical */
	time_t		 last_run;	/* end of the last run over it; 0 */
};

/*
 * One slot as daneroll's state has it, for the metrics of the runs
 * themselves (a stopped timer shows here long before an expiry does).
 */
struct check_slot {
	char			*host;		/* owned (in a report) */
	enum key_alg		 alg;
	enum slot_state		 state;
	int			 failures;	/* consecutive */
	time_t			 failing_since;	/* 0: not failing */
	time_t			 due_at;	/* when the last run meant to act
						 * again (stored); 0: never */
	time_t			 next_wake;	/* when a run would act, now */
	enum alert_level	 alert;
	time_t			 last_success;	/* check_last_success(); 0 */
};

/*
 * When a run last completed the slot's work without a failure: the end of
 * the last run that had work for the host and left the slot well
 * (last_success_at), or of a later run over the host that found nothing
 * due (it writes nothing for an idle host), if the slot existed by then
 * (one made since, for a host or algorithm added to the configuration, was
 * not there to be idle), has no failure on record and is not stopped. host_last_run: store_run_last. 0: never. Pure.
 */
time_t		 check_last_success(const struct store_slot *,
		    time_t host_last_run);

/* A slot due for longer than this with no run acting: "stalled". */
#define CHECK_STALL_GRACE	3600

struct check_report {
	time_t			 now;
	long			 duration_ms;
	struct check_expiry	 expiry;	/* thresholds in force */
	struct check_host	*hosts;
	int			 nhosts;
	struct check_slot	*slots;
	int			 nslots;
	struct check_endpoint	*eps;
	int			 neps;
	struct check_finding	*findings;
	int			 nfindings;
};
void		 check_report_free(struct check_report *);
/*
 * A check that could not run: code "usage" (a bad option or host name) or
 * "config" (the configuration cannot be used), why in words. On standard
 * output, the Nagios status line, or with json a document as
 * check_format_json's: UNKNOWN, no host, one finding of that code.
 */
void		 check_print_failure(int json, const char *code,
		    const char *why);
void		 check_add(struct check_report *, enum check_sev,
		    const char *host, const char *code, const char *subject,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The worst severity of the report (the Nagios exit status). */
enum check_sev	 check_report_status(const struct check_report *);

/* An alert the rollover state raises for one slot (what `status` shows). */
struct check_alert {
	enum key_alg		 alg;
	enum alert_level	 level;
	const char		*reason;	/* static text */
};

/*
 * An RRset version daneroll published (or found served at first contact)
 * and has since replaced. Validating resolvers may still answer with it
 * from their caches until its TTL has passed after every authoritative
 * address served a later version: until gone_at + ttl + the host's margin
 * (gone_at 0: no later version is served everywhere yet).
 */
struct check_replaced {
	struct tlsa_set		 set;
	int64_t			 ttl;
	time_t			 gone_at;
};

/*
 * What is known about one configured host, for the rules: DNS per name
 * (names[0] is the host itself, then its aliases), the handshakes, and
 * the records of keys daneroll holds (current and next keys, pinned
 * issuers, deployed and staged chains); known NULL when there is no
 * daneroll state to ask, which turns the orphan rule off. Records of a
 * replaced version still in caches are neither orphans nor a difference.
 */
struct check_facts {
	const struct conf_host		*host;
	const struct verify_name	*names;
	int				 nnames;
	const struct verify_endpoint	*eps;
	int				 neps;
	/* Per endpoint: the records of the names' RRsets its chain
	 * matches alone (check_net.h); NULL: none. */
	const struct tlsa_set		*ep_matched;
	const struct tlsa_set		*known;
	STACK_OF(X509)			*const *known_chains;
	int				 nknown_chains;
	const struct tlsa_set		*published;	/* last RRset daneroll
							 * published; NULL */
	const struct check_replaced	*replaced;	/* at any owner */
	int				 nreplaced;
	const struct check_alert	*alerts;	/* the rollover's */
	int				 nalerts;
	const struct check_slot		*slots;		/* NULL: no state */
	int				 nslots;
	time_t				 last_run;	/* store_run_last; 0 */
	time_t				 future_at;	/* an RRset time recorded
							 * ahead of now, or 0 */
	const char			*future_owner;
	/* current+issuer: the CA a staged chain comes from, followed but
	 * not served yet (a CA change under way), or NULL */
	const char			*ca_change;
	int				 ttl_min, ttl_max;
	time_t				 now;
};
/* Adds the host's findings and its check_host row. Pure: no I/O. */
void		 check_host_findings(const struct check_facts *,
		    struct check_report *);
/* shared-key findings over every endpoint of the report. Pure. */
void		 check_shared_keys(struct check_report *);

/* Pure formatters (append to b). */
void		 check_format_nagios(const struct check_report *, struct buf *);
void		 check_format_table(const struct check_report *, struct buf *);
void		 check_format_prometheus(const struct check_report *,
		    struct buf *);
void		 check_format_json(const struct check_report *, struct buf *);

/*
 * Looks everything up and handshakes (hosts: NULL-free array of nhosts
 * configured hosts) through net (check_net.h; NULL: check_net_gather in
 * this process), reads the state, and fills rep. 0, or -1 (logged) when
 * nothing could be checked at all.
 */
int		 check_gather(const struct conf *,
		    const struct conf_host *const *hosts, int nhosts,
		    const struct verify_opts *, check_net_fn net,
		    struct check_report *rep);

struct check_opts {
	int			 json;
	const char		*prometheus;	/* textfile path, or NULL */
	struct check_expiry	 expiry;
	check_net_fn		 net;		/* NULL: in this process */
};

/*
 * The command: checks the named hosts (all when nhosts is 0), prints the
 * report on standard output (json: JSON, else the Nagios line and the
 * table), writes the Prometheus textfile if asked, and sets *exit_code to
 * the Nagios status (0..3). Returns 0, or -1 (logged, *exit_code 3) when
 * it could not run: an unknown host name, nothing to check.
 */
int		 check_main(const struct conf *, char **hosts, int nhosts,
		    const struct check_opts *, int *exit_code);

#endif
