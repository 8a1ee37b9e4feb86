/*
 * deploy_files - the deployer backend: installs one slot's key and chain
 * where the MTA reads them, reloads the MTA, and puts the previous set
 * back on request.
 *
 * Layouts, chosen by the host's configuration in this order (the order
 * view.c reads the served chain in):
 *
 *   combined_file   one file: private key, leaf, intermediates (Postfix
 *                   smtpd_tls_chain_files, Exim with one file for both).
 *                   One rename switches key and certificate together.
 *                   The previous file is kept as PATH.prev.
 *   live_link       a versioned directory LINK.vN/ with privkey.pem,
 *                   cert.pem, chain.pem and fullchain.pem, made in full
 *                   before the symlink LINK is renamed to point at it. One
 *                   rename switches everything. The symlink LINK.prev
 *                   names the previous directory; older ones are removed.
 *                   Any key_file, cert_file, chain_file or fullchain_file
 *                   configured beside it becomes a symlink into LINK, so
 *                   an MTA configured with those paths switches in the
 *                   same one step (existing files are adopted first as
 *                   the previous set, so even the switch-over is
 *                   seamless).
 *   separate files  key_file, cert_file (leaf), chain_file
 *                   (intermediates), fullchain_file (leaf +
 *                   intermediates). These cannot switch atomically: an MTA
 *                   process that starts between two renames loads a key
 *                   with the wrong certificate and fails its handshakes
 *                   (Postfix starts smtpd processes all the time). The
 *                   window is kept to back-to-back renames of files
 *                   written and synced beforehand (PATH.new), and every
 *                   deploy warns and recommends combined_file or
 *                   live_link. Each file's previous content is PATH.prev.
 *
 * Keys get key_mode, certificates cert_mode, all owner:group (unchanged
 * when not configured). Under current+issuer the served chain must contain
 * a pinned CA certificate (issuer_spki, or a certificate of an issuer_cert
 * file), since a "2 1 1" record only matches a certificate the server
 * sends: if the issued chain lacks it, the certificates of the
 * issuer_cert files that issued its top are appended; if none did, the
 * deploy fails (OUT_PERMFAIL) before anything is touched.
 *
 * deploy() refuses (OUT_PERMFAIL) a chain whose leaf is not for the key.
 * It is idempotent: deploying the set already installed changes no file,
 * keeps the .prev of the real previous set, and only reloads; a deploy
 * cut short is finished by the next one (a marker PATH.deploying records
 * that the previous set has been saved). After installing it runs the
 * host's reload command and checks its exit status: if the reload fails
 * the previous set is restored and reloaded again, and the deploy returns
 * OUT_TEMPFAIL (OUT_PERMFAIL if the reload cannot be run, or fails with
 * the old set too), so a failed reload never counts as deployed.
 *
 * rollback() restores the previous set (idempotent: .prev is never
 * consumed) and reloads; OUT_PERMFAIL when there is no previous set.
 * forget() removes the previous set (PATH.prev, or LINK.prev and its
 * directory) once the engine knows nothing can roll back to it; it leaves
 * it while a deploy cut short is pending (OUT_TEMPFAIL).
 *
 * Every failure is logged once, with the host and algorithm; file
 * contents never appear in a message. Buffers that held a private key are
 * wiped before they are freed.
 */
#ifndef DANEROLL_DEPLOY_FILES_H
#define DANEROLL_DEPLOY_FILES_H

#include "backend.h"

extern const struct backend_deployer deploy_files;

/*
 * Checks a host's file layout for `daneroll check` and config tests:
 * warns about separate key and certificate files (not atomic), fails (-1,
 * logged) when owner/group do not resolve or a directory above a
 * deployed path is not root's (or ours) alone. 0 otherwise.
 */
int	deploy_files_check(const struct conf_host *);

#endif
