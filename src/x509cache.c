/*
 * x509cache - certificates decoded, and signatures checked, once per
 * process, by their DER.
 *
 * OpenSSL 3 decodes each certificate's public key through its provider
 * decoders, tens of microseconds a certificate, and a run reads the same
 * few chains several times (view, deploy, verify, every poll of run
 * --wait). x509cache_d2i() is d2i_X509() for a DER that holds exactly one
 * certificate: a DER seen before (same SHA-256, same length) yields the
 * certificate decoded then, with its reference count raised. Decoding is
 * a pure function of the bytes, so a hit cannot differ from a decode.
 * What fails to decode, or has trailing data, is never kept.
 *
 * x509cache_verified() and x509cache_note_verified() remember that one
 * certificate's signature was verified with another's public key, by the
 * SHA-256 of both DERs: the same bytes verify the same way every time.
 * Only successes are kept; a failure is checked again.
 *
 * Ownership: the X509 returned is the caller's (X509_free it). The cache
 * keeps a reference to each of its X509_CACHE_SLOTS certificates, reused
 * round robin, for the life of the process; the verified pairs are
 * digests only.
 */
#include <string.h>

#include <openssl/sha.h>

#include "x509cache.h"

#define X509_CACHE_SLOTS	16
#define X509_CACHE_PAIRS	32

static struct {
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	long		 len;
	X509		*x;
} slots[X509_CACHE_SLOTS];
static unsigned next_slot;

static struct {
	unsigned char	 child[SHA256_DIGEST_LENGTH];
	unsigned char	 issuer[SHA256_DIGEST_LENGTH];
	int		 used;
} pairs[X509_CACHE_PAIRS];
static unsigned next_pair;

X509 *
x509cache_d2i(const unsigned char **der, long len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const unsigned char *p = *der;
	X509 *x;
	unsigned i;

	if (len <= 0 || SHA256(p, (size_t)len, md) == NULL)
		return d2i_X509(NULL, der, len);
	for (i = 0; i < X509_CACHE_SLOTS; i++)
		if (slots[i].x != NULL && slots[i].len == len &&
		    memcmp(slots[i].md, md, sizeof(md)) == 0 &&
		    X509_up_ref(slots[i].x) == 1) {
			*der = p + len;
			return slots[i].x;
		}
	if ((x = d2i_X509(NULL, der, len)) == NULL || *der != p + len ||
	    X509_up_ref(x) != 1)
		return x;
	i = next_slot++ % X509_CACHE_SLOTS;
	X509_free(slots[i].x);
	memcpy(slots[i].md, md, sizeof(md));
	slots[i].len = len;
	slots[i].x = x;
	return x;
}

/* The digests of a pair; 0 if either cannot be computed. */
static int
pair_of(X509 *x, X509 *issuer, unsigned char child[SHA256_DIGEST_LENGTH],
    unsigned char by[SHA256_DIGEST_LENGTH])
{
	unsigned int n = 0, m = 0;

	return X509_digest(x, EVP_sha256(), child, &n) == 1 &&
	    X509_digest(issuer, EVP_sha256(), by, &m) == 1 &&
	    n == SHA256_DIGEST_LENGTH && m == SHA256_DIGEST_LENGTH;
}

int
x509cache_verified(X509 *x, X509 *issuer)
{
	unsigned char child[SHA256_DIGEST_LENGTH], by[SHA256_DIGEST_LENGTH];
	unsigned i;

	if (!pair_of(x, issuer, child, by))
		return 0;
	for (i = 0; i < X509_CACHE_PAIRS; i++)
		if (pairs[i].used &&
		    memcmp(pairs[i].child, child, sizeof(child)) == 0 &&
		    memcmp(pairs[i].issuer, by, sizeof(by)) == 0)
			return 1;
	return 0;
}

void
x509cache_note_verified(X509 *x, X509 *issuer)
{
	unsigned char child[SHA256_DIGEST_LENGTH], by[SHA256_DIGEST_LENGTH];
	unsigned i;

	if (!pair_of(x, issuer, child, by))
		return;
	i = next_pair++ % X509_CACHE_PAIRS;
	memcpy(pairs[i].child, child, sizeof(child));
	memcpy(pairs[i].issuer, by, sizeof(by));
	pairs[i].used = 1;
}
