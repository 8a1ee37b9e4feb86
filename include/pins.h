/*
 * pins - the pinned CAs of a current+issuer host: their "2 1 1" records
 * and certificates, and the chain as it will be served. The deploy guard
 * (view.c) and the deployer (deploy_files.c) both use these, so that what
 * the guard approves is exactly what the deployer serves.
 *
 * pins_load fills a caller-owned set (tlsa_set_free) and pool (certificates
 * of the issuer_cert files, sk_X509_pop_free); a file that cannot be read
 * fails the load (-1, logged): a pin must never drop out by accident.
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

#endif
