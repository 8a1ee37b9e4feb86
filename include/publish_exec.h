/*
 * publish_exec - the DNS publisher for every provider daneroll has no
 * built-in backend for: it runs the configured command (exec.h: execve,
 * no shell, fixed environment, timeout, bounded output).
 *
 * Protocol (also in hooks/dns/README.md):
 *
 *   COMMAND... replace OWNER TTL [RECORD...]
 *
 *   OWNER   the TLSA owner name, lower case, no trailing dot
 *           ("_25._tcp.mx1.example.org")
 *   TTL     seconds, a decimal number
 *   RECORD  one argument per record of the complete desired RRset, in
 *           presentation format "USAGE SELECTOR MTYPE HEX" ("3 1 1 ab12..",
 *           lower-case hex), in canonical order; none: delete the RRset
 *
 * The program makes the RRset at OWNER exactly the records given (adding,
 * removing, changing the TTL), atomically if the provider allows, and
 * must be idempotent: daneroll calls it again with the same arguments
 * after a crash or a failure.
 *
 * Environment: PATH and LANG (exec.h), DANEROLL_PUBLISHER (the [publisher]
 * section's name), DANEROLL_ZONE (the section's zone, when set) and
 * DANEROLL_SERVED: the RECORDs the chains served now need, one a chain,
 * comma-separated, empty if none (what a program that can only add one
 * record at a time must add first; req->served).
 * Nothing else of daneroll's environment is passed; secrets are the
 * program's business, read from its own files. stdin is /dev/null.
 *
 * Exit status: 0 done (OUT_OK); 75 (EX_TEMPFAIL) try again later
 * (OUT_TEMPFAIL); anything else, or no exit at all, needs a human
 * (OUT_PERMFAIL) - except a timeout or a death by signal, which are
 * retried (OUT_TEMPFAIL). Output (stdout and stderr together, up to
 * 64 KiB captured) is logged when the program fails, and only then: its
 * last 2000 bytes, as one line.
 */
#ifndef DANEROLL_PUBLISH_EXEC_H
#define DANEROLL_PUBLISH_EXEC_H

#include "backend.h"

#define PUBLISH_EXEC_TEMPFAIL	75	/* EX_TEMPFAIL from sysexits.h */
#define PUBLISH_EXEC_MAX_OUTPUT	65536

/* [publisher NAME] type = exec: its keys (conf.h), in its priv. */
struct publish_exec_conf {
	struct conf_cmd	 command;	/* command CMD, required */
};

extern const struct backend_publisher publish_exec;

#endif
