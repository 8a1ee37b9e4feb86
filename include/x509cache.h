/* x509cache - certificates decoded, and signatures checked, once per
 * process, by their DER. */
#ifndef DANEROLL_X509CACHE_H
#define DANEROLL_X509CACHE_H

#include <openssl/x509.h>

X509	*x509cache_d2i(const unsigned char **der, long len);
int	 x509cache_verified(X509 *x, X509 *issuer);
void	 x509cache_note_verified(X509 *x, X509 *issuer);

#endif
