/*
 * tsig_keyfile - TSIG key files, read into a struct tsig_key (tsig.h).
 *
 * tsig_key_load() reads a key file with fs_read_secret (so a file that
 * group or others may read is refused) in one of three formats:
 *
 *   BIND tsig-keygen:   key "NAME" { algorithm hmac-sha256; secret "B64"; };
 *   Knot keymgr -t:     key:
 *                         - id: NAME
 *                           algorithm: hmac-sha256
 *                           secret: B64
 *   knsupdate -k:       hmac-sha256:NAME:B64
 *
 * with hmac-sha256, hmac-sha384 or hmac-sha512, exactly one key per file.
 * Parse errors are logged once as "FILE:LINE: message"; no message ever
 * quotes a value from the file, so a misplaced secret cannot leak into a
 * log. Every buffer that held the file or the secret is wiped
 * (OPENSSL_cleanse) before it is freed.
 *
 * The key is the caller's, released with tsig_key_free() (which wipes
 * the secret; also safe on a key that failed to load).
 */
#ifndef DANEROLL_TSIG_KEYFILE_H
#define DANEROLL_TSIG_KEYFILE_H

#include "tsig.h"

/* 0, or -1 (logged) if the file is unsafe, unreadable or malformed. */
int	 tsig_key_load(const char *path, struct tsig_key *);
void	 tsig_key_free(struct tsig_key *);

#endif
