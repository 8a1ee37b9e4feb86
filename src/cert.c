/*
 * cert - certificates, chains and CSRs, on OpenSSL 3 APIs.
 *
 * Certificates come as PEM chains, leaf first. A chain holds at most
 * CERT_CHAIN_MAX certificates and comes from at most CERT_PEM_MAX bytes
 * of PEM; PRIVATE KEY blocks are skipped, so a combined key + chain file
 * reads as its chain; any other PEM block is an error. Certificates are
 * decoded, and signatures checked, through x509cache.
 *
 * Name coverage follows RFC 6125: subjectAltName DNS names, the CN only
 * when there is none, a wildcard only as a whole leftmost label.
 *
 * Ownership: every X509, STACK_OF(X509) and string returned is the
 * caller's. A chain file's buffer is wiped before it is freed, as it may
 * also hold a private key. Each failure is logged once, here, naming the
 * file (or the name the caller gave) and the problem; cert_issued_by()
 * and cert_covers_name() are questions and log nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "log.h"
#include "pem_io.h"
#include "util.h"
#include "x509cache.h"

/* Copies a memory BIO's contents into a NUL-terminated string. */
static char *
bio_to_string(BIO *bio)
{
	char *data = NULL, *s;
	long n = BIO_get_mem_data(bio, &data);

	if (n < 0)
		n = 0;
	s = xmalloc((size_t)n + 1);
	if (n > 0)
		memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

int
cert_spki_sha256(X509 *x, unsigned char out[32])
{
	unsigned char *der = NULL;
	int len = -1;

	/* The SPKI as encoded in the certificate, as a DANE client sees it. */
	if (x != NULL)
		len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	return pem_io_spki_sha256(der, len, "a certificate's public key", out);
}

STACK_OF(X509) *
cert_chain_from_pem(const char *pem, size_t len, const char *name)
{
	STACK_OF(X509) *chain = NULL, *ret = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	char *type = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long derlen = 0;
	int block = 0;
	unsigned long e;

	if (name == NULL)
		name = "certificate chain";
	if (pem == NULL || len == 0) {
		log_err("%s: empty, no certificate", name);
		goto done;
	}
	if (len > CERT_PEM_MAX) {
		log_err("%s: %zu bytes of PEM, more than the limit of %zu",
		    name, len, (size_t)CERT_PEM_MAX);
		goto done;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (chain = sk_X509_new_null()) == NULL) {
		log_err("%s: %s", name, pem_io_reason());
		goto done;
	}
	ERR_clear_error();
	while (PEM_read_bio(bio, &type, &header, &der, &derlen) == 1) {
		block++;
		if (strcmp(type, PEM_STRING_X509) == 0 ||
		    strcmp(type, PEM_STRING_X509_OLD) == 0) {
			if (sk_X509_num(chain) >= CERT_CHAIN_MAX) {
				log_err("%s: more than %d certificates",
				    name, CERT_CHAIN_MAX);
				goto done;
			}
			p = der;
			x = x509cache_d2i(&p, derlen);
			if (x == NULL || p != der + derlen) {
				log_err("%s: PEM block %d is not a valid "
				    "certificate%s", name, block,
				    x == NULL ? "" : " (trailing data)");
				ERR_clear_error();
				goto done;
			}
			if (sk_X509_push(chain, x) == 0) {
				log_err("%s: %s", name, pem_io_reason());
				goto done;
			}
			x = NULL;
		} else if (strstr(type, "PRIVATE KEY") == NULL) {
			log_err("%s: PEM block %d is a \"%s\", not a "
			    "certificate", name, block, type);
			goto done;
		}
		OPENSSL_free(type);
		OPENSSL_free(header);
		OPENSSL_clear_free(der, derlen > 0 ? (size_t)derlen : 0);
		type = header = NULL;
		der = NULL;
	}
	/* The loop ends at the first read that finds no further block. */
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		log_err("%s: bad PEM after block %d: %s", name, block,
		    pem_io_reason());
		goto done;
	}
	ERR_clear_error();
	if (sk_X509_num(chain) == 0) {
		log_err("%s: no PEM certificate found", name);
		goto done;
	}
	ret = chain;
	chain = NULL;
done:
	ERR_clear_error();
	X509_free(x);
	OPENSSL_free(type);
	OPENSSL_free(header);
	OPENSSL_clear_free(der, derlen > 0 ? (size_t)derlen : 0);
	BIO_free(bio);
	sk_X509_pop_free(chain, X509_free);
	return ret;
}

STACK_OF(X509) *
cert_load_chain(const char *path)
{
	STACK_OF(X509) *chain = NULL;
	char *data = NULL;
	size_t len = 0;

	if ((data = pem_io_read(path, CERT_PEM_MAX, 0, &len)) == NULL)
		goto done;
	chain = cert_chain_from_pem(data, len, path);
done:
	/* A combined file also holds the private key. */
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	return chain;
}

char *
cert_chain_to_pem(STACK_OF(X509) *chain)
{
	BIO *bio = NULL;
	char *ret = NULL;
	int i;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		log_err("certificate chain: %s", pem_io_reason());
		goto done;
	}
	for (i = 0; i < sk_X509_num(chain); i++) {
		if (PEM_write_bio_X509(bio, sk_X509_value(chain, i)) != 1) {
			log_err("certificate chain: cannot write PEM: %s",
			    pem_io_reason());
			goto done;
		}
	}
	ret = bio_to_string(bio);
done:
	BIO_free(bio);
	return ret;
}

int
cert_matches_key(X509 *x, EVP_PKEY *pkey)
{
	EVP_PKEY *pub;

	if (x == NULL || pkey == NULL || (pub = X509_get0_pubkey(x)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	if (EVP_PKEY_eq(pub, pkey) == 1)
		return 1;
	ERR_clear_error();
	return 0;
}

static time_t
asn1_time_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		log_err("certificate has an unreadable validity time");
		ERR_clear_error();
		return (time_t)-1;
	}
	return timegm(&tm);
}

time_t
cert_not_after(X509 *x)
{
	return asn1_time_to_time(x != NULL ? X509_get0_notAfter(x) : NULL);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
same_name(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/*
 * Does a certificate name (pattern) cover host? Case-insensitive, one
 * trailing dot ignored on either side. A wildcard is honoured only as the
 * whole leftmost label ("*.example.org"), matches exactly one label, and
 * only when at least two labels follow it.
 */
static int
name_covers(const char *pat, size_t plen, const char *host, size_t hlen)
{
	const char *dot;

	if (memchr(pat, '\0', plen) != NULL)
		return 0;
	if (plen > 1 && pat[plen - 1] == '.')
		plen--;
	if (hlen > 1 && host[hlen - 1] == '.')
		hlen--;
	if (plen == 0 || hlen == 0)
		return 0;
	if (plen > 2 && pat[0] == '*' && pat[1] == '.') {
		pat += 2;
		plen -= 2;
		if (memchr(pat, '*', plen) != NULL ||
		    memchr(pat, '.', plen) == NULL)
			return 0;
		if ((dot = memchr(host, '.', hlen)) == NULL || dot == host)
			return 0;
		hlen -= (size_t)(dot + 1 - host);
		host = dot + 1;
		return same_name(pat, plen, host, hlen);
	}
	if (memchr(pat, '*', plen) != NULL)
		return 0;
	return same_name(pat, plen, host, hlen);
}

int
cert_covers_name(X509 *x, const char *host)
{
	GENERAL_NAMES *gens = NULL;
	const GENERAL_NAME *gen;
	const X509_NAME *subj;
	const ASN1_STRING *s;
	unsigned char *utf8 = NULL;
	size_t hlen;
	int i, n, len, crit = -1, ndns = 0, ok = 0;

	if (x == NULL || host == NULL || *host == '\0' ||
	    strchr(host, '*') != NULL)
		goto done;
	hlen = strlen(host);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	/* A SAN that is duplicated or unreadable must not fall back to CN. */
	if (gens == NULL && crit != -1)
		goto done;
	n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n && !ok; i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		if (gen->type != GEN_DNS)
			continue;
		ndns++;
		s = gen->d.dNSName;
		ok = name_covers((const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), host, hlen);
	}
	/* RFC 6125 6.4.4: the CN counts only when no DNS name is present. */
	if (ok || ndns > 0)
		goto done;
	subj = X509_get_subject_name(x);
	i = -1;
	while (!ok && (i = X509_NAME_get_index_by_NID(subj, NID_commonName,
	    i)) >= 0) {
		s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
		if ((len = ASN1_STRING_to_UTF8(&utf8, s)) < 0)
			continue;
		ok = name_covers((const char *)utf8, (size_t)len, host, hlen);
		OPENSSL_free(utf8);
		utf8 = NULL;
	}
done:
	ERR_clear_error();
	GENERAL_NAMES_free(gens);
	return ok;
}

int
cert_issued_by(X509 *x, X509 *issuer)
{
	EVP_PKEY *pub;
	int ok = 0;

	if (x == NULL || issuer == NULL)
		return 0;
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(issuer)) != 0)
		return 0;
	if (x509cache_verified(x, issuer))
		return 1;
	if ((pub = X509_get0_pubkey(issuer)) != NULL &&
	    X509_verify(x, pub) == 1) {
		x509cache_note_verified(x, issuer);
		ok = 1;
	}
	ERR_clear_error();
	return ok;
}

int
cert_chain_well_formed(STACK_OF(X509) *chain, const char *name)
{
	X509 *x, *next;
	char sub[256], iss[256];
	int i, n;

	if (name == NULL)
		name = "certificate chain";
	if ((n = chain != NULL ? sk_X509_num(chain) : 0) == 0) {
		log_err("%s: empty certificate chain", name);
		return 0;
	}
	for (i = 0; i + 1 < n; i++) {
		x = sk_X509_value(chain, i);
		next = sk_X509_value(chain, i + 1);
		if (cert_issued_by(x, next))
			continue;
		X509_NAME_oneline(X509_get_subject_name(x), sub, sizeof(sub));
		X509_NAME_oneline(X509_get_subject_name(next), iss,
		    sizeof(iss));
		if (X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(next)) != 0)
			log_err("%s: certificate %d (%s) was not issued by "
			    "certificate %d (%s): issuer name differs",
			    name, i + 1, sub, i + 2, iss);
		else
			log_err("%s: certificate %d (%s) was not issued by "
			    "certificate %d (%s): signature does not verify",
			    name, i + 1, sub, i + 2, iss);
		ERR_clear_error();
		return 0;
	}
	return 1;
}

/* The subjectAltName extension listing names as dNSNames. */
static X509_EXTENSION *
san_extension(const char *const *names, int nnames, int critical)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gen = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	X509_EXTENSION *ext = NULL;
	int i;

	if ((gens = GENERAL_NAMES_new()) == NULL)
		goto done;
	for (i = 0; i < nnames; i++) {
		if ((gen = GENERAL_NAME_new()) == NULL ||
		    (ia5 = ASN1_IA5STRING_new()) == NULL ||
		    ASN1_STRING_set(ia5, names[i], -1) != 1)
			goto done;
		GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
		ia5 = NULL;
		if (sk_GENERAL_NAME_push(gens, gen) == 0)
			goto done;
		gen = NULL;
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, critical, gens);
done:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return ext;
}

/*
 * A CN holds at most 64 characters (RFC 5280 ub-common-name): a longer
 * first name leaves the subject empty, and the names are then carried by
 * a critical subjectAltName alone, as RFC 5280 asks.
 */
char *
csr_make_pem(EVP_PKEY *pkey, const char *const *names, int nnames)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	BIO *bio = NULL;
	char *ret = NULL;
	size_t len;
	int i, use_cn;

	if (pkey == NULL || names == NULL || nnames < 1) {
		log_err("CSR: no key or no names");
		goto done;
	}
	for (i = 0; i < nnames; i++) {
		const char *host = names[i];

		if (host != NULL && host[0] == '*' && host[1] == '.')
			host += 2;
		len = host != NULL ? strlen(host) : 0;
		if (!util_valid_hostname(host) || host[len - 1] == '.') {
			log_err("CSR: \"%s\" is not a host name",
			    names[i] != NULL ? names[i] : "(null)");
			goto done;
		}
	}
	use_cn = strlen(names[0]) <= 64;
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, 0) != 1 ||
	    (subj = X509_NAME_new()) == NULL ||
	    (use_cn && X509_NAME_add_entry_by_NID(subj, NID_commonName,
	    MBSTRING_ASC, (const unsigned char *)names[0], -1, -1, 0) != 1) ||
	    X509_REQ_set_subject_name(req, subj) != 1 ||
	    X509_REQ_set_pubkey(req, pkey) != 1 ||
	    (ext = san_extension(names, nnames, !use_cn)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    sk_X509_EXTENSION_push(exts, ext) == 0) {
		log_err("CSR for %s: %s", names[0], pem_io_reason());
		goto done;
	}
	ext = NULL;
	if (X509_REQ_add_extensions(req, exts) != 1 ||
	    X509_REQ_sign(req, pkey, EVP_sha256()) <= 0) {
		log_err("CSR for %s: cannot sign: %s", names[0],
		    pem_io_reason());
		goto done;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(bio, req) != 1) {
		log_err("CSR for %s: cannot write PEM: %s", names[0],
		    pem_io_reason());
		goto done;
	}
	ret = bio_to_string(bio);
done:
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return ret;
}
