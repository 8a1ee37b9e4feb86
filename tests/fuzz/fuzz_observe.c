/*
 * fuzz_observe - libFuzzer target for observe_classify() and
 * observe_soa(), which judge the wire-format answers of authoritative
 * servers, and observe_glue(), which reads a resolver's NS answer
 * (anyone on the path can forge these).
 *
 * The first input byte picks the flags (bit 0: the zone is signed; bit
 * 1: want the one "3 1 1" record below, else nothing), the rest is the
 * answer. Checks: a match to a non-empty want means the served set is
 * exactly want; a note is always a C string; only an authoritative
 * answer has a TTL or a served set; glue never exceeds its bound, and is
 * IPv4 or IPv6 on port 53.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "observe.h"
#include "tlsa.h"

#define OWNER	"_25._tcp.mx1.example.org."
#define ZONE	"example.org."
#define RECORD	"3 1 1 " \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
glue_bounded(const uint8_t *data, size_t len)
{
	static const char *const ns[] = { "ns1.example.org.",
	    "ns2.example.org." };
	struct sockaddr_storage out[4];
	socklen_t outlen[4];
	size_t i, n = observe_glue(data, len, ns, 2, out, outlen, 4);

	if (n > 4)
		abort();
	for (i = 0; i < n; i++)
		if (!(out[i].ss_family == AF_INET &&
		    outlen[i] == sizeof(struct sockaddr_in)) &&
		    !(out[i].ss_family == AF_INET6 &&
		    outlen[i] == sizeof(struct sockaddr_in6)))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct tlsa_set want1;
	static int ready;
	struct tlsa_set none = { 0 };
	const struct tlsa_set *want;
	struct observe_addr a;
	enum obs_result res;
	uint32_t serial = 0;
	int64_t neg = 0;
	int sig = 0, flags;

	fuzz_quiet();
	if (!ready) {
		if (tlsa_set_parse(RECORD, &want1) != 0)
			abort();
		ready = 1;
	}
	if (len < 1)
		return 0;
	flags = data[0];
	want = flags & 2 ? &want1 : &none;
	memset(&a, 0, sizeof(a));
	res = observe_classify(data + 1, len - 1, OWNER, want, flags & 1, &a);
	if (a.sv.result != res || memchr(a.note, '\0', sizeof(a.note)) == NULL)
		abort();
	if (res == OBS_MATCH && (!a.answered ||
	    !tlsa_set_equal(&a.served, want)))
		abort();
	if (!a.answered && res != OBS_REFUSED && res != OBS_LAME)
		abort();
	observe_addr_free(&a);
	(void)observe_soa(data + 1, len - 1, ZONE, &serial, &neg, &sig);
	glue_bounded(data + 1, len - 1);
	return 0;
}
