/*
 * fuzz_pdns - libFuzzer target for the PowerDNS API answer handling:
 * pdns_judge() (HTTP status + body, the error text quoted in the log)
 * and pdns_pick_zone() (the GET .../zones listing).
 *
 * The first two input bytes are the HTTP status (100..739), the rest the
 * body, passed as (pointer, length) without a terminating NUL, as the
 * contract allows. The API key must never reach a log line, even when the
 * server echoes it back; a picked zone id must be URL-path safe.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "publish_pdns.h"

#define SECRET	"k3yS3cr3tAPI"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *body, *id = NULL, *p;
	long status;
	enum outcome o;
	int r;

	fuzz_never_logs(SECRET);
	if (len < 2)
		return 0;
	status = 100 + ((data[0] << 8 | data[1]) % 640);
	len -= 2;
	/* An exact-size copy, so reading past len is caught. */
	if ((body = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(body, data + 2, len);
	o = pdns_judge(status, body, len, "publisher fuzz", SECRET);
	if ((status >= 200 && status < 300) != (o == OUT_OK))
		abort();
	r = pdns_pick_zone(body, len, "_25._tcp.mx1.example.org", &id);
	if (r == 0) {
		if (id == NULL || id[0] == '\0')
			abort();
		for (p = id; *p != '\0'; p++)
			if (strchr("/?#%& \r\n\"'", *p) != NULL || *p < 0x20)
				abort();
		free(id);
	}
	free(body);
	return 0;
}
