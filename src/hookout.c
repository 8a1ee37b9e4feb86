/*
 * hookout - the tail of a program's output, on one line. See
 * include/hookout.h. Errors come last in what ACME clients and reload
 * commands print, so the end is kept, not the start.
 */
#include <string.h>

#include "hookout.h"

char *
hookout_tail(const struct buf *out, size_t max)
{
	struct buf b = { 0 };
	const char *p, *end;
	int gap = 0;

	if (out == NULL || out->data == NULL || out->len == 0)
		return xstrdup("(no output)");
	p = out->data;
	end = out->data + out->len;
	if (out->len > max) {
		p = end - max;
		buf_puts(&b, "...");
	}
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n' || c == '\r') {
			gap = b.len > 0;
			continue;
		}
		if (gap) {
			buf_puts(&b, " | ");
			gap = 0;
		}
		if (c < 0x20 || c == 0x7f)
			c = '?';
		buf_add(&b, &c, 1);
	}
	if (b.len == 0)
		buf_puts(&b, "(no output)");
	return b.data;
}
