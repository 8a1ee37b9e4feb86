/*
 * fuzz_tsig_verify - libFuzzer target for tsig_verify(), which checks the
 * signature of a DNS UPDATE response (wire format, from the network)
 * before the RFC 2136 publisher believes it.
 *
 * The key is fixed, so a forged input can reach TSIG_OK only by knowing
 * it; what is checked here is memory safety and that the outcome is one
 * of the enum's values.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tsig.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static unsigned char secret[32] = "0123456789abcdef0123456789abcdef";
	static const unsigned char reqmac[32] = { 1, 2, 3 };
	struct tsig_key k;
	struct tsig_info info;
	enum tsig_status st;

	memset(&k, 0, sizeof(k));
	strcpy(k.name, "update.example.org.");
	k.alg = "hmac-sha256";
	k.secret = secret;
	k.secret_len = sizeof(secret);
	memset(&info, 0, sizeof(info));
	st = tsig_verify(&k, data, len, len % 2 ? reqmac : NULL,
	    len % 2 ? sizeof(reqmac) : 0, 1764345600, &info);
	if (st > TSIG_ERROR)
		abort();
	(void)tsig_status_str(st);
	(void)tsig_error_str(info.error);
	return 0;
}
