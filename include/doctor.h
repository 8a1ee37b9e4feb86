/*
 * doctor - `daneroll doctor [HOST]`: before the first rollover, proves
 * what a run will need, and changes nothing while doing it.
 *
 * Two parts. doctor_judge.c is pure: it turns facts gathered about one
 * thing (a file, the resolver, an authoritative address, the publisher,
 * a served chain) into findings, each with a severity, an area, where it
 * applies, what was found and how to fix it; doctor_exit() turns the
 * findings into the exit status. doctor.c gathers the facts: stat(2),
 * the publisher's read-only probe (backend.h), DNS queries through dnsq
 * and the observer's discovery, the deployed files through view.c. It
 * writes no file, sends no update, runs no hook and opens the state
 * database read-only.
 *
 * Strings in the fact structures are the caller's; findings own copies
 * of what they say and are freed with doctor_report_free().
 */
#ifndef DANEROLL_DOCTOR_H
#define DANEROLL_DOCTOR_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "conf.h"
#include "doctor_net.h"
#include "util.h"

enum doctor_sev {
	DOC_OK = 0,
	DOC_WARN,
	DOC_FAIL
};
const char	*doctor_sev_str(enum doctor_sev);	/* "ok", "warn", "fail" */

/* What a finding is about; it decides the exit status of a failure. */
enum doctor_area {
	DOC_CONFIG = 0,		/* the configuration, files, programs: 78 */
	DOC_WORLD,		/* resolver, zone servers, publisher: 69 */
	DOC_DATA		/* a served chain against keys or TLSA: 65 */
};

struct doctor_finding {
	enum doctor_sev		 sev;
	enum doctor_area	 area;
	char			*where;		/* host, "global", "publisher X" */
	char			*what;
	char			*fix;		/* NULL when nothing to fix */
};

struct doctor_report {
	struct doctor_finding	*f;
	size_t			 n, cap;
};

void	doctor_add(struct doctor_report *, enum doctor_sev, enum doctor_area,
	    const char *where, const char *fix, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
void	doctor_report_free(struct doctor_report *);
/* One line a finding: "fail  WHERE  WHAT; fix: FIX", then a summary. */
void	doctor_print(FILE *, const struct doctor_report *);
/*
 * 0 when nothing failed (warnings allowed); else, of the areas that
 * failed, the first of: 78 (EX_CONFIG) configuration, files, programs;
 * 69 (EX_UNAVAILABLE) resolver, zone servers, publisher; 65 (EX_DATAERR)
 * a served chain.
 */
int	doctor_exit(const struct doctor_report *);

/* ------------------------------------------------------------ facts */

enum doctor_file_kind {
	DOC_F_SECRET = 0,	/* TSIG or API key: its owner's alone */
	DOC_F_KEY,		/* deployed private key: key_mode, never others */
	DOC_F_CERT,		/* deployed certificate: present, a file */
	DOC_F_PROGRAM,		/* hook or command: runnable, others cannot write */
	DOC_F_DIR		/* state or key directory: others cannot write */
};

/* A file or directory daneroll needs, as stat(2) and its readers saw it. */
struct doctor_file {
	enum doctor_file_kind	 kind;
	const char		*label;		/* "tsig_key_file", "acme_hook" */
	const char		*path;
	const char		*set_at;	/* "FILE:LINE" of the setting */
	int			 first_run;	/* the first run makes it */
	int			 exists;	/* 1, 0 (ENOENT), -1 unknown */
	int			 err;		/* errno when exists == -1 */
	mode_t			 mode;		/* st_mode */
	uid_t			 uid, euid;	/* owner; who we run as */
	mode_t			 key_mode;	/* DOC_F_KEY: as configured */
	const char		*not_runnable;	/* exec_program_problem() */
	const char		*untrusted;	/* fs_secure_path()'s reason */
	const char		*unusable;	/* its reader's complaint */
};
void	doctor_judge_file(struct doctor_report *, const char *where,
	    const struct doctor_file *);

/* The resolver's answer to "ZONE SOA" with RD, AD and DO set, and each
 * authoritative address's answers to "ZONE SOA" and "ZONE DNSKEY" (the
 * facts doctor_net.c gathered). */
void	doctor_judge_resolver(struct doctor_report *, const char *where,
	    const struct doctor_net_zone *);
void	doctor_judge_server(struct doctor_report *, const char *where,
	    const struct doctor_net_zone *, const struct doctor_net_server *);

/* The publisher's read-only probe for one owner name. */
struct doctor_publisher {
	const char	*name;		/* the [publisher NAME] */
	const char	*owner;
	int		 probed;	/* the backend has a probe */
	enum outcome	 o;
	const char	*said;		/* what the backend logged last */
};
void	doctor_judge_publisher(struct doctor_report *, const char *where,
	    const struct doctor_publisher *);

/* One slot's served chain: against its private key and the TLSA RRset
 * a validating resolver returns for one owner name. */
struct doctor_chain {
	const char	*alg;
	const char	*path;		/* where the served chain lives */
	int		 deployed;	/* a chain is there */
	const char	*unreadable;	/* why chain or key cannot be read */
	int		 key_matches;	/* the leaf is the key's; -1 unknown */
	const char	*owner;
	const char	*tlsa_unknown;	/* why the RRset is not known, or NULL */
	int		 tlsa_exists;
	int		 tlsa_matches;	/* a record matches the chain */
};
void	doctor_judge_chain(struct doctor_report *, const char *where,
	    const struct doctor_chain *);

/* ------------------------------------------------------------ I/O */

/*
 * Gathers the facts of the hosts named (n > 0) or of every host and
 * prints the findings to out. What DNS says comes through net (the
 * network child's, privsep.h) or, NULL, from this process. Returns the
 * exit status (doctor_exit), or EX_USAGE after naming a host that is not
 * configured.
 */
int	doctor_main(const struct conf *, char **names, int n,
	    const struct doctor_net_ops *net, FILE *out);

#endif
