/*
 * fuzz_pem - libFuzzer target for cert_chain_from_pem(), which reads the
 * chains ACME clients hand over and the combined key + chain files.
 *
 * An accepted chain holds 1..CERT_CHAIN_MAX certificates; what it is
 * written back as (cert_chain_to_pem) must parse again to as many. The
 * other per-certificate helpers run over each one.
 */
#include <stdlib.h>

#include <openssl/x509.h>

#include "cert.h"
#include "fuzz.h"
#include "tlsa.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	STACK_OF(X509) *sk = NULL, *again = NULL;
	struct tlsa_rr rr = { 0 };
	unsigned char spki[32];
	char *pem = NULL;
	int i, n;

	fuzz_quiet();
	if ((sk = cert_chain_from_pem((const char *)data, len, "fuzz")) == NULL)
		return 0;
	n = sk_X509_num(sk);
	if (n < 1 || n > CERT_CHAIN_MAX)
		abort();
	for (i = 0; i < n; i++) {
		X509 *x = sk_X509_value(sk, i);

		(void)cert_not_after(x);
		(void)cert_covers_name(x, "mx1.example.org");
		(void)cert_spki_sha256(x, spki);
		if (tlsa_from_cert(x, 3, 1, 1, &rr) == 0)
			tlsa_rr_free(&rr);
		if (tlsa_from_cert(x, 2, 0, 0, &rr) == 0)
			tlsa_rr_free(&rr);
	}
	(void)cert_chain_well_formed(sk, "fuzz");
	if ((pem = cert_chain_to_pem(sk)) != NULL) {
		size_t l = 0;

		while (pem[l] != '\0')
			l++;
		/* Re-encoding may grow a chain past CERT_PEM_MAX only if it
		 * was near the limit; otherwise it must read back. */
		again = cert_chain_from_pem(pem, l, "fuzz again");
		if (again == NULL && l <= CERT_PEM_MAX)
			abort();
		if (again != NULL && sk_X509_num(again) != n)
			abort();
	}
	free(pem);
	sk_X509_pop_free(again, X509_free);
	sk_X509_pop_free(sk, X509_free);
	return 0;
}
