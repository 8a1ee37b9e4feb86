/*
 * cert - certificates, chains and CSRs (OpenSSL 3).
 *
 * Loaded objects are owned by the caller (X509_free,
 * sk_X509_pop_free(..., X509_free), free for strings). Every failure is
 * logged once with the file name (or the name given) and what is wrong;
 * the questions cert_matches_key, cert_covers_name and cert_issued_by
 * log nothing.
 */
#ifndef DANEROLL_CERT_H
#define DANEROLL_CERT_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pem_io.h"

/* Limits on certificate input: a chain longer or larger is refused. */
#define CERT_CHAIN_MAX	16		/* certificates in one chain */
#define CERT_PEM_MAX	PEM_IO_MAX	/* bytes of PEM (key files too) */

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
/* The end of validity; (time_t)-1 (logged) if unreadable. */
time_t		 cert_not_after(X509 *);
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
