/*
 * fuzz_conf - libFuzzer target for conf_load(), the configuration parser
 * and validator, fed through a temp file (its only entry point).
 *
 * Besides memory safety and leaks it checks what conf_load() promises of
 * a configuration it accepts: at least one host, every host found again
 * by its own name, a TLSA owner and a publisher on every host.
 */
#include <stdlib.h>

#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf *c;
	int i;

	fuzz_quiet();
	if ((c = conf_load(fuzz_file(data, len))) == NULL)
		return 0;
	if (c->nhosts < 1)
		abort();
	for (i = 0; i < c->nhosts; i++)
		if (conf_host_find(c, c->hosts[i].name) == NULL ||
		    c->hosts[i].owner == NULL || c->hosts[i].publisher == NULL)
			abort();
	conf_free(c);
	return 0;
}
