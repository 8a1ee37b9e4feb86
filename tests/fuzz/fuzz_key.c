/*
 * fuzz_key - libFuzzer target for key_load_unchecked(), the PEM private
 * key loader (deployed and staged keys), fed through a temp file.
 *
 * A loaded key is taken through what daneroll does with one: its
 * algorithm, its SPKI digest and a "3 1 1" record, which must agree.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "key.h"
#include "tlsa.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	EVP_PKEY *k;
	struct tlsa_rr rr = { 0 };
	unsigned char spki[32];
	char hex[65];

	fuzz_quiet();
	if ((k = key_load_unchecked(fuzz_file(data, len))) == NULL)
		return 0;
	(void)key_alg_of(k);
	if (key_spki_sha256(k, spki) == 0) {
		if (key_spki_hex(k, hex) != 0 || strlen(hex) != 64)
			abort();
		if (tlsa_from_pkey(k, 3, 1, &rr) == 0) {
			if (rr.len != 32 || memcmp(rr.data, spki, 32) != 0)
				abort();
			tlsa_rr_free(&rr);
		}
	}
	EVP_PKEY_free(k);
	return 0;
}
