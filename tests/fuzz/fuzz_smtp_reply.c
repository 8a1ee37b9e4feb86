/*
 * fuzz_smtp_reply - libFuzzer target for smtp_reply_parse(), the one
 * function that reads what a remote SMTP server sends before TLS.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude tests/fuzz/fuzz_smtp_reply.c src/smtp.c -o fuzz_smtp_reply
 *   ./fuzz_smtp_reply -max_total_time=60 -max_len=20000
 *
 * Besides memory safety it checks what the parser promises: a whole reply
 * consumes at least one line ending in LF and no more than given, carries
 * a code of 200-559 and a printable first line; a refusal says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct smtp_reply r;
	const char *why = NULL;
	size_t used = 0, i;

	switch (smtp_reply_parse((const char *)data, len, &used, &r, &why)) {
	case SMTP_PARSE_OK:
		if (used < 4 || used > len || data[used - 1] != '\n' ||
		    r.code < 200 || r.code > 559 || r.nlines < 1 ||
		    r.nlines > SMTP_REPLY_LINES || used > SMTP_REPLY_MAX)
			abort();
		for (i = 0; r.text[i] != '\0'; i++)
			if (r.text[i] < 0x20 || r.text[i] >= 0x7f)
				abort();
		if (i >= SMTP_TEXT_MAX)
			abort();
		break;
	case SMTP_PARSE_BAD:
		if (why == NULL)
			abort();
		break;
	case SMTP_PARSE_MORE:
		/* Never for a buffer a bound already rules out. */
		if (len >= SMTP_REPLY_MAX)
			abort();
		break;
	}
	return 0;
}
