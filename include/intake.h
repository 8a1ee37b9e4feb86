/*
 * intake - certificates that an ACME client renewed on its own, handed to
 * daneroll by the client's deploy/renew hook (`daneroll acme-hook`).
 *
 * The client's key and chain are checked (the chain's leaf is the key's,
 * well formed, covering the host's names) and then:
 *   - the key is the slot's current key: the chain goes live at once
 *     through the deployer (the key's record is published and aged by
 *     definition: the key is live already);
 *   - the key is the slot's next key: the chain is staged for it, and the
 *     engine deploys it once its record has aged;
 *   - any other key (the client re-keyed): daneroll keeps a copy of the
 *     key, makes it the next key in place of its own unused one, and the
 *     engine publishes its record and holds the certificate until that
 *     record has been served everywhere for longer than the TTL.
 * A new key never goes live here: the engine decides, under the deploy
 * guard.
 */
#ifndef DANEROLL_INTAKE_H
#define DANEROLL_INTAKE_H

#include "backend.h"
#include "conf.h"
#include "store.h"
#include "util.h"

/* What an ACME client hands over, from its environment or arguments. */
struct intake_files {
	char	*domain;	/* the certificate's names (space or comma
				 * separated), or NULL */
	char	*key_path;	/* the client's private key */
	char	*chain_path;	/* full chain, leaf first */
};

/*
 * Reads certbot (RENEWED_LINEAGE), lego v5 (LEGO_HOOK_CERT_PATH, ...),
 * lego v4 (LEGO_CERT_PATH, LEGO_CERT_KEY_PATH), acme.sh (CERT_KEY_PATH,
 * CERT_FULLCHAIN_PATH) or
 * dehydrated (deploy_cert DOMAIN KEY CERT FULLCHAIN CHAIN TS) conventions.
 * 0, or -1 with a message naming what is missing.
 */
int	intake_from_client(int argc, char **argv, struct intake_files *);
void	intake_files_free(struct intake_files *);

/* The host whose name or alias is the first of the domains that is
 * one, or NULL (logged). */
const struct conf_host *intake_host(const struct conf *, const char *domains);

/* Stages the client's certificate for the engine. OUT_OK staged;
 * OUT_TEMPFAIL a rollover is mid-deploy, try later; OUT_PERMFAIL refused. */
enum outcome intake_stage(const struct conf *, struct store *,
	    const struct backends *, const struct conf_host *,
	    const struct intake_files *, time_t now);

#endif
