/*
 * key - private keys (OpenSSL 3).
 *
 * Keys are generated in memory and written once: key_write_new() never
 * replaces an existing file. A loaded key is owned by the caller
 * (EVP_PKEY_free). Every failure is logged once with the file name and
 * what is wrong. Certificates, chains and CSRs are cert.h's.
 */
#ifndef DANEROLL_KEY_H
#define DANEROLL_KEY_H

#include <sys/types.h>
#include <openssl/evp.h>

#include "conf.h"

EVP_PKEY	*key_generate(enum key_alg);
/*
 * Writes a private key in PKCS#8 PEM: temp file made with O_EXCL under a
 * 077 umask in the target directory, fchown/fchmod, write, fsync, then
 * link()ed to path (fails if path exists: a key is never overwritten),
 * temp removed, directory fsynced. uid/gid (uid_t)-1 leave them unchanged.
 * Returns 0, or -1 (exists, or I/O error), logged.
 */
int		 key_write_new(const char *path, EVP_PKEY *, mode_t,
		    uid_t, gid_t);
/*
 * PEM private key of daneroll's own: refuses a symbolic link, a file not
 * owned by the effective user, readable by group or others, or below a
 * directory someone else could change (fs_secure_path).
 */
EVP_PKEY	*key_load(const char *path);
/* The same for a key an ACME client hands over, whose name may be root's
 * symbolic link (certbot's live/): the file it resolves to is checked. */
EVP_PKEY	*key_load_linked(const char *path);
/* PEM private key for deployment, without the mode check. */
EVP_PKEY	*key_load_unchecked(const char *path);
/* The algorithm of a key, or -1 when daneroll does not roll it (RSA of
 * another size, another curve or key type). */
int		 key_alg_of(EVP_PKEY *);
/* SHA-256 of the DER SubjectPublicKeyInfo, as in "3 1 1"; 0 or -1. */
int		 key_spki_sha256(EVP_PKEY *, unsigned char out[32]);
/* Same, as 64 hex digits plus NUL. */
int		 key_spki_hex(EVP_PKEY *, char out[65]);

#endif
