/*
 * cmd_acme_hook - `daneroll acme-hook [HOST]`: the post-renewal hook for
 * ACME clients that stay in charge (certbot --deploy-hook, dehydrated's
 * deploy_cert, lego --run-hook, acme.sh --reloadcmd). See acme_intake.h
 * for where each client's files are found.
 *
 * It takes the host's lock, stages the renewed certificate as the slot's
 * next key and runs the engine for the host once: the certificate is
 * deployed at once only if its key's TLSA record has been served by every
 * authoritative address for longer than the TTL; otherwise the record is
 * published and the certificate held (a later timer run deploys it), and
 * the command says so. A certificate for the current key is deployed at
 * once (its record is already published).
 *
 * To be listed in cmd_dispatch() as { "acme-hook", cmd_acme_hook }.
 * Returns a sysexits(3) code: 0 deployed or held as planned, 75 try
 * again, 69 refused.
 */
#ifndef DANEROLL_CMD_ACME_HOOK_H
#define DANEROLL_CMD_ACME_HOOK_H

#include "cmd.h"
#include "conf.h"

int	cmd_acme_hook(const struct cli *, struct conf *);

#endif
