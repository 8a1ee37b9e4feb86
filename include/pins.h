/*
 * pins - the pinned CAs of a current+issuer host: their "2 1 1" records
 * and certificates, and the chain as it will be served. The deploy guard
 * (view.c) and the deployer (deploy_files.c) both use these, so that what
 * the guard approves is exactly what the deployer serves.
 *
 * pins_load fills a caller-owned set (tlsa_set_free) and pool (certificates
 * of the issuer_cert files, sk_X509_pop_free); a file that cannot be read
 * fails the load (-1, logged): a pin must never drop out by accident.
 * pins_judge says what vouches for a chain and what issuer_follow would
 * publish for it (issuer_pin); pins_why_held why it cannot.
 */
#ifndef DANEROLL_PINS_H
#define DANEROLL_PINS_H

#include <openssl/x509.h>

#include "conf.h"
#include "tlsa.h"

int	pins_load(const struct conf_host *, struct tlsa_set *pins,
	    STACK_OF(X509) *pool);
/*
 * Appends certificates of pool that issued the chain's top until the chain
 * sends a pinned CA (a "2 1 1" record validates only then; ACME CAs send
 * leaf and intermediate only). Returns 1 if the chain now matches a pin,
 * 0 if nothing more can be appended; *added counts what was appended.
 */
int	pins_complete_chain(STACK_OF(X509) *chain, const struct tlsa_set *pins,
	    STACK_OF(X509) *pool, int *added);

/*
 * What vouches for a chain once pins_complete_chain has completed it in
 * place (as the deployer serves it), and so what issuer_follow may do:
 *   PINS_PINNED   a configured pin;
 *   PINS_FOLLOW   none: *ca is the CA a followed "2 1 1" names, the
 *                 certificate after the leaf (issuer_pin = intermediate)
 *                 or the chain's self-signed top (issuer_pin = root);
 *   PINS_NO_ROOT  issuer_pin = root, and the chain neither sends its root
 *                 nor could be completed to it: *ca is its top, whose
 *                 issuer is that root (a "2 1 1" only matches a
 *                 certificate the server sends);
 *   PINS_NO_CA    the chain sends no CA certificate: *ca is the leaf.
 * *ca points into chain; *added as for pins_complete_chain.
 */
enum pins_verdict {
	PINS_PINNED,
	PINS_FOLLOW,
	PINS_NO_ROOT,
	PINS_NO_CA
};

enum pins_verdict pins_judge(STACK_OF(X509) *chain,
	    const struct tlsa_set *pins, STACK_OF(X509) *pool,
	    enum issuer_pin mode, int *added, X509 **ca);
/*
 * Why a chain judged v must not go live under h (its issuer_follow): one
 * sentence for the log and the alert, naming the CA to add with
 * issuer_cert; NULL if it may (PINS_PINNED, or PINS_FOLLOW while
 * following). Caller frees.
 */
char	*pins_why_held(const struct conf_host *h, enum pins_verdict v,
	    X509 *ca);

#endif
