/*
 * dane_judge - OpenSSL's DANE verifier as an independent judge of chains
 * against TLSA RRsets, offline, the way libssl verifies a server's chain in
 * a handshake (and the way OpenSSL's test/danetest.c drives it): an SSL
 * with DANE enabled holds the records (SSL_dane_tlsa_add), an
 * X509_STORE_CTX is set up over the chain as the server sent it, leaf
 * first, is given the SSL's DANE state (X509_STORE_CTX_set0_dane), and
 * X509_verify_cert() decides. See dane_judge.h for the contract.
 *
 * The verifier is told what an RFC 7672 SMTP client does, no more:
 *
 * - Usages PKIX-TA(0) and PKIX-EE(1) are not handed to OpenSSL: SMTP
 *   clients treat them as unusable (RFC 7672 3.1.3). A set with no usable
 *   record authenticates nothing (0).
 * - The trust store is empty, so no PKIX path can stand in for DANE.
 * - No name check. DANE-EE(3) needs none (RFC 7672 3.1.1); for DANE-TA(2)
 *   the name check is the MTA's (RFC 7672 3.2.2) and the rollover never
 *   changes which names a certificate covers, while the question judged
 *   here is whether the records match the chain, the one daneroll's
 *   tlsa_set_matches_chain() answers (its names are cert_covers_name()'s).
 *   So the SSL's reference identifier (SSL_dane_enable needs a base
 *   domain) is not copied into the verify parameters, and DANE-EE name
 *   checks are off besides.
 * - No validity-period check (X509_V_FLAG_NO_CHECK_TIME). DANE-EE(3)
 *   ignores expiry anyway (RFC 7672 3.1.1); for DANE-TA(2) an expired
 *   chain fails whatever the records say, which is certificate renewal's
 *   concern, not the records' - and the fakes mint certificates on a
 *   simulated clock that OpenSSL cannot see.
 * - Everything else is OpenSSL's own: digest agility over matching types
 *   (RFC 7671 9, SHA-512 preferred to SHA-256 per usage and selector),
 *   full-TA records (2 0 0, 2 1 0) standing in for a TA not sent, chain
 *   building from the certificates sent in any order, signatures, and the
 *   "ssl_server" purpose checks (CA flags of issuers, EKU of the leaf).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "dane_judge.h"

/* The TLS client context every verdict's SSL is made from; kept. */
static SSL_CTX	*judge_ctx;
static char	 judge_why[256];

static void
why(const char *s)
{
	snprintf(judge_why, sizeof(judge_why), "%s", s);
}

const char *
dane_judge_why(void)
{
	return judge_why;
}

static SSL_CTX *
ctx_get(void)
{
	if (judge_ctx != NULL)
		return judge_ctx;
	if ((judge_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_dane_enable(judge_ctx) <= 0 ||
	    SSL_CTX_dane_mtype_set(judge_ctx, EVP_sha256(), 1, 1) <= 0 ||
	    SSL_CTX_dane_mtype_set(judge_ctx, EVP_sha512(), 2, 2) <= 0) {
		SSL_CTX_free(judge_ctx);
		judge_ctx = NULL;
	}
	return judge_ctx;
}

int
dane_judge(const struct tlsa_set *set, STACK_OF(X509) *chain)
{
	X509_STORE_CTX *sctx = NULL;
	SSL_CTX *ctx;
	SSL *ssl = NULL;
	size_t i;
	int usable = 0, r, rc = -1;

	why("judge failed");
	if ((ctx = ctx_get()) == NULL || (ssl = SSL_new(ctx)) == NULL)
		goto done;
	if (SSL_dane_enable(ssl, "judge.invalid") <= 0)
		goto done;
	(void)SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; set != NULL && i < set->n; i++) {
		const struct tlsa_rr *rr = &set->rr[i];

		if (rr->usage != 2 && rr->usage != 3)
			continue;	/* PKIX-TA/EE: unusable for SMTP */
		r = SSL_dane_tlsa_add(ssl, rr->usage, rr->selector, rr->mtype,
		    rr->data, rr->len);
		if (r < 0)
			goto done;
		if (r > 0)
			usable++;	/* 0: a record OpenSSL cannot use */
	}
	if (chain == NULL || sk_X509_num(chain) < 1) {
		why("no certificate");
		rc = 0;
		goto done;
	}
	if (usable == 0) {
		why("no usable TLSA record");
		rc = 0;
		goto done;
	}
	if ((sctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ctx),
	    sk_X509_value(chain, 0), chain) != 1 ||
	    X509_STORE_CTX_set_default(sctx, "ssl_server") != 1)
		goto done;
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(sctx),
	    X509_V_FLAG_NO_CHECK_TIME);
	X509_STORE_CTX_set0_dane(sctx, SSL_get0_dane(ssl));
	r = X509_verify_cert(sctx);
	if (r < 0)
		goto done;
	why(X509_verify_cert_error_string(X509_STORE_CTX_get_error(sctx)));
	rc = r > 0 && X509_STORE_CTX_get_error(sctx) == X509_V_OK;
done:
	ERR_clear_error();
	X509_STORE_CTX_free(sctx);
	SSL_free(ssl);
	return rc;
}

/*
 * d2i_X509 for one DER, remembered by its SHA-256: the same CA and leaf
 * certificates come back in chain after chain, and OpenSSL 3 decodes each
 * public key through its provider machinery. The judge's own memo, not
 * daneroll's x509cache: a judge shares no code with what it judges.
 */
#define JUDGE_MEMO	16
static X509 *
judge_d2i(const unsigned char *der, long len)
{
	static struct {
		unsigned char	 md[SHA256_DIGEST_LENGTH];
		X509		*x;
	} memo[JUDGE_MEMO];
	static unsigned next;
	unsigned char md[SHA256_DIGEST_LENGTH];
	const unsigned char *p = der;
	X509 *x;
	unsigned i;

	if (SHA256(der, (size_t)len, md) == NULL)
		return NULL;
	for (i = 0; i < JUDGE_MEMO; i++)
		if (memo[i].x != NULL && memcmp(memo[i].md, md, sizeof(md)) ==
		    0 && X509_up_ref(memo[i].x) == 1)
			return memo[i].x;
	if ((x = d2i_X509(NULL, &p, len)) == NULL)
		return NULL;
	if (p != der + len || X509_up_ref(x) != 1) {
		X509_free(x);
		return NULL;
	}
	i = next++ % JUDGE_MEMO;
	X509_free(memo[i].x);
	memcpy(memo[i].md, md, sizeof(md));
	memo[i].x = x;
	return x;
}

/* Frees what one PEM_read_bio() returned and clears the pointers. */
static void
pem_block_free(char **name, char **header, unsigned char **der)
{
	OPENSSL_free(*name);
	OPENSSL_free(*header);
	OPENSSL_free(*der);
	*name = *header = NULL;
	*der = NULL;
}

STACK_OF(X509) *
dane_judge_pem_chain(const char *pem, size_t len)
{
	STACK_OF(X509) *chain = NULL, *ret = NULL;
	BIO *bio = NULL;
	X509 *x;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen;

	if (pem == NULL || len > 1 << 24 ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (chain = sk_X509_new_null()) == NULL)
		goto done;
	while (PEM_read_bio(bio, &name, &header, &der, &derlen) == 1) {
		if (strcmp(name, PEM_STRING_X509) == 0) {
			if ((x = judge_d2i(der, derlen)) == NULL)
				goto done;
			if (sk_X509_push(chain, x) == 0) {
				X509_free(x);
				goto done;
			}
		}
		pem_block_free(&name, &header, &der);
	}
	if (sk_X509_num(chain) > 0) {
		ret = chain;
		chain = NULL;
	}
done:
	ERR_clear_error();
	pem_block_free(&name, &header, &der);
	BIO_free(bio);
	sk_X509_pop_free(chain, X509_free);
	return ret;
}
