/*
 * acme_intake - takes in a certificate that an ACME client renewed on its
 * own, for setups where the client stays in charge and calls
 * `daneroll acme-hook` after each renewal. The client may have made a new
 * key (the classic DANE outage): the certificate is then staged as the
 * slot's next key and the engine decides, as for any rollover, whether it
 * may be deployed now (its "3 1 1" record served everywhere past the TTL)
 * or must be held while the record is published and ages.
 *
 * Where each client leaves the renewed files (acme_intake_find):
 *
 *   certbot --deploy-hook    RENEWED_LINEAGE=DIR: DIR/privkey.pem and
 *                            DIR/fullchain.pem
 *   dehydrated HOOK          arguments "deploy_cert DOMAIN KEYFILE CERTFILE
 *                            FULLCHAINFILE CHAINFILE TIMESTAMP" (the hook
 *                            script runs `daneroll acme-hook "$@"`; other
 *                            hook events are ignored)
 *   lego --run-hook          LEGO_CERT_KEY_PATH, LEGO_CERT_PATH (the bundle)
 *   acme.sh --reloadcmd      CERT_KEY_PATH, CERT_FULLCHAIN_PATH
 *
 * The caller owns struct intake_src and frees it with acme_intake_free.
 * Every failure is logged once; key material is never logged.
 */
#ifndef DANEROLL_ACME_INTAKE_H
#define DANEROLL_ACME_INTAKE_H

#include <time.h>

#include "conf.h"
#include "store.h"
#include "util.h"

struct intake_src {
	const char	*client;	/* "certbot", "dehydrated", ... */
	char		*key_path;
	char		*chain_path;	/* leaf first */
	char		*domain;	/* the client's name for it, or NULL */
	int		 ignore;	/* a dehydrated event other than
					 * deploy_cert: nothing to do */
};

/* From args (after "acme-hook") and the environment. 0, or -1 logged. */
int	acme_intake_find(char *const *args, int nargs, struct intake_src *);
void	acme_intake_free(struct intake_src *);

/* The configured host the certificate is for: named (if name is not
 * NULL), else the first host whose name the leaf covers. NULL, logged. */
const struct conf_host *acme_intake_host(const struct conf *,
	    const struct intake_src *, const char *name);

/*
 * Checks the renewed set (key matches leaf, chain well formed, names
 * covered, not expired) and stages it for host:
 *   - a certificate for the slot's current key: *same_key is set and
 *     nothing is staged (its record is published: the caller may deploy
 *     it at once with *current_key, which the caller frees);
 *   - otherwise the key is copied into KEY_DIR/HOST/ALG.intake-SPKI.key
 *     (written once, mode 0600) and the chain beside it, and it becomes
 *     the slot's next key with its chain staged; a different next key is
 *     discarded (its record leaves DNS with the next publish).
 * Refused (OUT_TEMPFAIL) while the slot is verifying or rolling back, and
 * (OUT_PERMFAIL) when it has failed. *alg is the slot's algorithm.
 */
enum outcome	acme_intake_stage(struct store *, const struct conf *,
		    const struct conf_host *, const struct intake_src *,
		    time_t now, enum key_alg *alg, int *same_key,
		    char **current_key);

#endif
