/*
 * fuzz_tlsa - libFuzzer target for tlsa_parse() (one record, as users
 * type it or zone files hold it) and tlsa_set_parse() (the RRsets the
 * state database stores as text).
 *
 * What is accepted must survive a round trip: format, parse again, and
 * compare equal. tlsa_parse takes a C string, so the input stops at its
 * first NUL as it would in production.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tlsa.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tlsa_rr rr = { 0 }, rr2 = { 0 };
	struct tlsa_set set = { 0 }, set2 = { 0 };
	char *s = fuzz_str(data, len), *f;

	fuzz_quiet();
	if (tlsa_parse(s, &rr) == 0) {
		if ((f = tlsa_format(&rr)) == NULL)
			abort();
		if (tlsa_parse(f, &rr2) != 0 || tlsa_cmp(&rr, &rr2) != 0)
			abort();
		free(f);
		tlsa_rr_free(&rr2);
		tlsa_rr_free(&rr);
	} else if (rr.data != NULL) {
		abort();	/* "left empty on failure" */
	}
	if (tlsa_set_parse(s, &set) == 0) {
		if ((f = tlsa_set_format(&set)) == NULL)
			abort();
		if (tlsa_set_parse(f, &set2) != 0 ||
		    !tlsa_set_equal(&set, &set2))
			abort();
		free(f);
	} else if (set.n != 0) {
		abort();
	}
	tlsa_set_free(&set2);
	tlsa_set_free(&set);
	free(s);
	return 0;
}
