/*
 * dane_judge - an independent DANE verdict for tests: would OpenSSL's own
 * DANE verifier (the code Postfix and Exim authenticate SMTP peers with)
 * accept this chain, as sent by a server, against this TLSA RRset?
 *
 * The judge shares no code with what it judges: it reads the records of a
 * struct tlsa_set as plain data (usage, selector, mtype, bytes) and never
 * calls a tlsa_*, cert_* or key_* function of daneroll. Used by the
 * invariant prober in fakes.c and by test_dane_diff.c.
 *
 * dane_judge() returns 1 (a usable record authenticates the chain), 0 (none
 * does, or the set holds no record usable for SMTP), or -1 (the judge
 * itself failed: never read as a verdict). dane_judge_why() names the last
 * verdict's reason (an OpenSSL verify error string, or the judge's own).
 * dane_judge_pem_chain() reads the certificates of a PEM text (key blocks
 * skipped), in order, with OpenSSL alone; NULL if it holds none or a
 * certificate block does not parse. The caller owns the chain
 * (sk_X509_pop_free(chain, X509_free)); the judge keeps nothing of it.
 */
#ifndef DANEROLL_DANE_JUDGE_H
#define DANEROLL_DANE_JUDGE_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tlsa.h"

int		 dane_judge(const struct tlsa_set *, STACK_OF(X509) *chain);
const char	*dane_judge_why(void);
STACK_OF(X509)	*dane_judge_pem_chain(const char *pem, size_t len);

#endif
