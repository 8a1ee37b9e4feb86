/*
 * privsep - the unprivileged child that does daneroll's network reading.
 *
 * DNS answers from every authoritative server and SMTP and TLS from every
 * MX address are parsed in a child process, never in the process that
 * holds private keys, TSIG secrets, API keys and the state database: for
 * run, plan and acme-hook (the observer and verifier), check and doctor.
 *
 * privsep_start(conf, real) forks the child. Call it before any secret or
 * the state database is opened: the child is a copy of the caller. The
 * child closes every descriptor but its channel and stderr, reads
 * /etc/resolv.conf once (resolvconf_pin), enters the sandbox (sandbox.h:
 * user nobody, no_new_privs, Landlock with no file at all, a seccomp
 * filter), says it is ready, and then serves real's observer and
 * verifier over a socket pair in the messages of privsep_msg.h; its log
 * lines go to the parent, which logs them as its own. The parent does
 * not wait for it meanwhile: the first question does (a run with
 * nothing due asks none).
 *
 * It returns backends like real, whose observer and verifier ask the
 * child; the rest are real's. The answers are checked (privsep_msg.h),
 * and a host index is only accepted for conf's own hosts. When the child
 * dies or sends anything malformed it is killed, the call fails
 * OUT_TEMPFAIL (logged) and so does every later call: nothing is known.
 * NULL if the child could not be started (logged): the caller must not
 * fall back to reading the network itself.
 *
 * privsep_stop() ends the child and reaps it; harmless when none runs.
 * One network child per process.
 */
#ifndef DANEROLL_PRIVSEP_H
#define DANEROLL_PRIVSEP_H

#include "backend.h"
#include "check_net.h"
#include "doctor_net.h"

const struct backends	*privsep_start(const struct conf *,
			    const struct backends *real);
/* check's network half (check_net.h) done by the child; 0, or -1 (logged,
 * net empty). */
int			 privsep_check_net(const struct conf *,
			    const struct conf_host *const *hosts, int nhosts,
			    const struct verify_opts *, struct check_net *);
/* doctor's network half (doctor_net.h) done by the child, for
 * doctor_net_ops; the child remembers the zones it examined. */
enum outcome		 privsep_doctor_zone(const struct conf *,
			    const struct conf_host *, const char *owner,
			    struct doctor_net_zone *);
enum resolve_sec	 privsep_doctor_tlsa(const struct conf *,
			    const struct conf_host *, const char *owner,
			    struct resolve_tlsa *);
void			 privsep_stop(void);
/* 0 once the child was found dead or killed: every later question
 * fails, so waiting for more is pointless. */
int			 privsep_alive(void);

#endif
