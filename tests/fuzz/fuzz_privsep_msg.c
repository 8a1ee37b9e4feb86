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

static void
reply_again(const struct pmsg_reply *m, struct pmsg_buf *b)
{
	if (m->kind == PM_LOG)
		pmsg_put_log(b, m->level, m->cause, m->line);
	else
		pmsg_put_result(b, m->outcome, m->has_report ? &m->report :
		    NULL);
}

static void
check_reply(const uint8_t *data, size_t len)
{
	struct pmsg_reply m, m2;
	struct pmsg_buf b1 = { NULL, 0, 0 }, b2 = { NULL, 0, 0 };

	if (pmsg_get_reply(data, len, &m) != 0)
		return;
	reply_again(&m, &b1);
	if (pmsg_frame_len(b1.p) != b1.len - 4 ||
	    pmsg_get_reply(b1.p + 4, b1.len - 4, &m2) != 0)
		abort();
	reply_again(&m2, &b2);
	if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0)
		abort();
	pmsg_reply_free(&m);
	pmsg_reply_free(&m2);
	pmsg_buf_free(&b1);
	pmsg_buf_free(&b2);
}

static void
check_request(const uint8_t *data, size_t len)
{
	struct pmsg_request q, q2;
	struct pmsg_buf b1 = { NULL, 0, 0 }, b2 = { NULL, 0, 0 };

	if (pmsg_get_request(data, len, &q) != 0)
		return;
	pmsg_put_request(&b1, &q);
	if (pmsg_get_request(b1.p + 4, b1.len - 4, &q2) != 0)
		abort();
	pmsg_put_request(&b2, &q2);
	if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0)
		abort();
	pmsg_request_free(&q);
	pmsg_request_free(&q2);
	pmsg_buf_free(&b1);
	pmsg_buf_free(&b2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_quiet();
	check_reply(data, len);
	check_request(data, len);
	return 0;
}
