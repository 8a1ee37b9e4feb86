/*
 * issue_hook - the ACME issuer backend: runs the host's acme_hook, an
 * external program that turns a CSR into a certificate chain (see
 * hooks/acme/ for certbot, lego, dehydrated, acme.sh and a local CA).
 *
 * The hook runs through exec_run (execve, no shell) with the host's
 * hook_timeout and exactly this environment besides PATH and LANG:
 *
 *   DANEROLL_CSR     the CSR (PEM) for the pre-published next key
 *   DANEROLL_CHAIN   where to leave the chain: PEM, leaf first, then the
 *                    intermediates
 *   DANEROLL_HOST    the MX host name (the CSR's CN)
 *   DANEROLL_NAMES   every name the certificate must cover, blank-separated
 *                    (the host first, then its aliases)
 *   DANEROLL_ALG     rsa2048 | ecdsa-p256
 *
 * Nothing is appended to the configured argument vector: one channel, so
 * an adapter cannot mistake an argument of its own for a path of ours.
 * The hook never sees a private key or any other secret.
 *
 * Exit status: 0 and a chain at DANEROLL_CHAIN -> OUT_OK; 126/127 (not
 * runnable, an interpreter or a client missing) -> OUT_PERMFAIL; anything
 * else, a signal or the timeout -> OUT_TEMPFAIL, since ACME servers fail
 * transiently (75, EX_TEMPFAIL, says so explicitly). Exit 0 without a
 * chain is OUT_TEMPFAIL. On failure the tail of the hook's output goes
 * into the one error message (and so into the event log).
 *
 * The chain is not checked here: the engine checks that the leaf's key is
 * the staged key, that the chain is well formed and covers the names.
 */
#ifndef DANEROLL_ISSUE_HOOK_H
#define DANEROLL_ISSUE_HOOK_H

#include "backend.h"

extern const struct backend_issuer issue_hook;

#endif
