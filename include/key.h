/*
 * key - private keys, certificates, chains and CSRs (OpenSSL 3).
 *
 * Keys are generated in memory and written once: key_write_new() never
 * replaces an existing file. Loaded objects are owned by the caller
 * (EVP_PKEY_free, X509_free, sk_X509_pop_free(..., X509_free)).
 * Every failure is logged once with the file name and what is wrong.
 */
#ifndef DANEROLL_KEY_H
#define DANEROLL_KEY_H

#include <sys/types.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf.h"

/* Limits on certificate input: a chain longer or larger is refused. */
#define CERT_CHAIN_MAX	16		/* certificates in one chain */
#define CERT_PEM_MAX	(1024 * 1024)	/* bytes of PEM (key files too) */

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

/* PEM certificates, leaf first; at least one; NULL (logged) otherwise.
 * PRIVATE KEY blocks are skipped (combined key + chain files); any other
 * PEM block, more than CERT_CHAIN_MAX certificates or more than
 * CERT_PEM_MAX bytes are errors. */
STACK_OF(X509)	*cert_load_chain(const char *path);
/* Same, from memory (name is used in messages). */
STACK_OF(X509)	*cert_chain_from_pem(const char *pem, size_t len,
		    const char *name);
/* PEM text of a chain; caller frees. */
char		*cert_chain_to_pem(STACK_OF(X509) *);
/* 1 if the certificate's public key is the key's, else 0. */
int		 cert_matches_key(X509 *, EVP_PKEY *);
/* Validity bounds; (time_t)-1 (logged) if unreadable. */
time_t		 cert_not_after(X509 *);
time_t		 cert_not_before(X509 *);
/* 1 if subjectAltName DNS names (or the CN when the certificate has no
 * SAN DNS name) cover host: case-insensitive, a trailing dot ignored, "*"
 * only as a whole leftmost label, matching one label. */
int		 cert_covers_name(X509 *, const char *host);
/*
 * 1 if every certificate in the chain was issued by the next one
 * (signature verifies, issuer name matches subject), else 0 (logged).
 */
int		 cert_chain_well_formed(STACK_OF(X509) *, const char *name);
/* 1 if issuer's subject is x's issuer name and its key verifies x's
 * signature, else 0; never logs (a question, not a failure). */
int		 cert_issued_by(X509 *x, X509 *issuer);
/* SHA-256 of the certificate's SPKI; 0 or -1. */
int		 cert_spki_sha256(X509 *, unsigned char out[32]);

/* PEM CSR for key, CN = names[0], subjectAltName = DNS:names[i]; caller
 * frees. */
char		*csr_make_pem(EVP_PKEY *, const char *const *names, int nnames);

#endif
