/*
 * fuzz_privsep_msg - libFuzzer target for pmsg_get_reply() and
 * pmsg_get_request(): the frames the parent reads from its sandboxed
 * network child (which may be under an attacker's control) and the child reads
 * from the parent.
 *
 * What is accepted must survive a round trip: encode again, decode the
 * new frame, and encode that: the two encodings are the same octets.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "privsep_msg.h"

/* Decodes body as a request (is_request) or a reply, and if that is
 * accepted encodes it into b: 0, else -1. */
static int
again(int is_request, const uint8_t *body, size_t len, struct pmsg_buf *b)
{
	struct pmsg_request q;
	struct pmsg_reply m;

	if (is_request) {
		if (pmsg_get_request(body, len, &q) != 0)
			return -1;
		pmsg_put_request(b, &q);
		pmsg_request_free(&q);
	} else {
		if (pmsg_get_reply(body, len, &m) != 0)
			return -1;
		if (m.kind == PM_LOG)
			pmsg_put_log(b, m.level, m.cause, m.line);
		else if (m.kind == PM_NET_HEAD)
			pmsg_put_net_head(b, &m.net);
		else if (m.kind == PM_NET_NAME)
			pmsg_put_net_name(b, &m.name);
		else if (m.kind == PM_NET_EP)
			pmsg_put_net_ep(b, &m.ep, &m.ep_matched);
		else if (m.kind == PM_DOC_ZONE_ANS)
			pmsg_put_doc_zone(b, &m.dzone);
		else if (m.kind == PM_DOC_TLSA_ANS)
			pmsg_put_doc_tlsa(b, &m.tlsa);
		else
			pmsg_put_result(b, m.outcome, m.has_report ?
			    &m.report : NULL);
		pmsg_reply_free(&m);
	}
	return 0;
}

static void
round_trip(int is_request, const uint8_t *data, size_t len)
{
	struct pmsg_buf b1 = { NULL, 0, 0 }, b2 = { NULL, 0, 0 };

	if (again(is_request, data, len, &b1) == 0) {
		if (pmsg_frame_len(b1.p) != b1.len - 4 ||
		    again(is_request, b1.p + 4, b1.len - 4, &b2) != 0 ||
		    b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0)
			abort();
	}
	pmsg_buf_free(&b1);
	pmsg_buf_free(&b2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_quiet();
	round_trip(0, data, len);
	round_trip(1, data, len);
	return 0;
}
