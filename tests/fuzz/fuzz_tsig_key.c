/*
 * fuzz_tsig_key - libFuzzer target for tsig_key_load(), which reads BIND,
 * Knot and knsupdate key files, fed through a 0600 temp file.
 *
 * A loaded key has a non-empty absolute lower-case name, a known
 * algorithm and a secret; and no log line quotes the file: the seeds
 * plant a marker in the secret, the key name and the algorithm, wherever
 * the fuzzer moves it no line logged may contain it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "tsig_keyfile.h"

/* Any line logged while loading must not quote this (see tsig_keyfile.h). */
#define MARKER	"Zq8SeCrEtZq8"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tsig_key k;
	size_t i, n;

	fuzz_never_logs(MARKER);
	memset(&k, 0, sizeof(k));
	if (tsig_key_load(fuzz_file(data, len), &k) != 0)
		return 0;
	n = strlen(k.name);
	if (n == 0 || k.name[n - 1] != '.' || k.alg == NULL ||
	    k.secret == NULL || k.secret_len == 0)
		abort();
	for (i = 0; i < n; i++)
		if (isupper((unsigned char)k.name[i]))
			abort();
	tsig_key_free(&k);
	return 0;
}
