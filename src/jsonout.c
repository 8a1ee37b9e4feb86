/*
 * jsonout - the frame of every --json document. See include/jsonout.h.
 * Times go through util_fmt_time, the one ISO 8601 formatter, so that a
 * time reads the same in a document, a log line and the text output.
 *
 * The stream writes what jansson's json_dumps(JSON_INDENT(2)) would for
 * the same tree: members in the order given, ": " after a name, "," and a
 * newline indented two spaces a level between members, "{}" and "[]" when
 * empty; in strings, '"', '\\' and control characters escaped ("\n" and
 * the like, else \u00XX), '/' and non-ASCII as they are. Only the document
 * never exists whole: 10,000 hosts' status is 22 MB of text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

json_t *
jsonout_doc(void)
{
	return json_pack("{s:i}", "format", JSONOUT_FORMAT);
}

void
jsonout_time(json_t *obj, const char *name, time_t t)
{
	char iso[32];
	char *unix_name = xasprintf("%s_unix", name);

	if (t > 0) {
		json_object_set_new(obj, name,
		    json_string(util_fmt_time(t, iso, sizeof(iso))));
		json_object_set_new(obj, unix_name, json_integer((json_int_t)t));
	} else {
		json_object_set_new(obj, name, json_null());
		json_object_set_new(obj, unix_name, json_null());
	}
	free(unix_name);
}

void
jsonout_dump(const json_t *doc, struct buf *out)
{
	char *s;

	if ((s = json_dumps(doc, JSON_INDENT(2))) == NULL)
		return;
	buf_puts(out, s);
	buf_puts(out, "\n");
	free(s);
}

/* The stream. */

static void
flush_buf(struct jsonout_stream *w)
{
	if (w->len > 0 && fwrite(w->buf, 1, w->len, w->out) != w->len)
		w->failed = 1;
	w->len = 0;
}

static void
put_bytes(struct jsonout_stream *w, const void *p, size_t n)
{
	const char *s = p;

	if (n < sizeof(w->buf) - w->len) {	/* nearly always */
		memcpy(w->buf + w->len, s, n);
		w->len += n;
		return;
	}
	while (n > 0) {
		size_t k = sizeof(w->buf) - w->len;

		if (k > n)
			k = n;
		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
		if (w->len == sizeof(w->buf))
			flush_buf(w);
	}
}

static void
put_char(struct jsonout_stream *w, char c)
{
	if (w->len == sizeof(w->buf))
		flush_buf(w);
	w->buf[w->len++] = c;
}

/* A newline and two spaces a level (JSONOUT_DEPTH levels at most). */
static void
put_indent(struct jsonout_stream *w, int depth)
{
	static const char nl[] = "\n                                ";

	_Static_assert(sizeof(nl) - 1 >= 1 + 2 * JSONOUT_DEPTH, "indent");
	put_bytes(w, nl, 1 + 2 * (size_t)depth);
}

/* The length of the UTF-8 sequence at p if jansson takes it (no overlong
 * form, no surrogate, nothing past U+10FFFF), else 0. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned long cp;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07u;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* the NUL too */
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* One byte that cannot stand as it is in a string: escaped, or U+FFFD
 * for a byte of no UTF-8 character. */
static void
put_escape(struct jsonout_stream *w, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

	switch (c) {
	case '"': put_bytes(w, "\\\"", 2); break;
	case '\\': put_bytes(w, "\\\\", 2); break;
	case '\b': put_bytes(w, "\\b", 2); break;
	case '\f': put_bytes(w, "\\f", 2); break;
	case '\n': put_bytes(w, "\\n", 2); break;
	case '\r': put_bytes(w, "\\r", 2); break;
	case '\t': put_bytes(w, "\\t", 2); break;
	default:
		if (c < 0x20)
			put_bytes(w, u, sizeof(u));
		else
			put_bytes(w, "\xef\xbf\xbd", 3);
	}
}

/* s in double quotes; runs of plain characters are copied at once. */
static void
put_quoted(struct jsonout_stream *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	size_t n;

	put_char(w, '"');
	for (;;) {
		if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		if (*p >= 0x80 && (n = utf8_len(p)) > 0) {
			p += n;
			continue;
		}
		put_bytes(w, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		put_escape(w, *p++);
		run = p;
	}
	put_char(w, '"');
}

/* What comes before a value: the separator from the one before it, the
 * indent, and the member's name and suffix (name NULL: an element). */
static void
put_member(struct jsonout_stream *w, const char *name, const char *suffix)
{
	if (w->depth == 0)
		return;		/* the frame itself */
	if (w->members[w->depth - 1]++ > 0)
		put_char(w, ',');
	put_indent(w, w->depth);
	if (name == NULL)
		return;
	put_char(w, '"');
	put_bytes(w, name, strlen(name));	/* our literals: plain */
	put_bytes(w, suffix, strlen(suffix));
	put_bytes(w, "\": ", 3);
}

static void
put_open(struct jsonout_stream *w, const char *name, char open, char close)
{
	if (w->depth == JSONOUT_DEPTH) {
		w->failed = 1;	/* a caller's bug: no stream nests so deep */
		errno = EINVAL;
		return;
	}
	put_member(w, name, "");
	put_char(w, open);
	w->members[w->depth] = 0;
	w->closer[w->depth] = close;
	w->depth++;
}

static void
put_digits(struct jsonout_stream *w, long long v)
{
	char d[24];
	size_t i = sizeof(d);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v :
	    (unsigned long long)v;

	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		d[--i] = '-';
	put_bytes(w, d + i, sizeof(d) - i);
}

void
jsonout_stream_open(struct jsonout_stream *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->failed = 0;
	w->len = 0;
	put_open(w, NULL, '{', '}');
	jsonout_put_int(w, "format", JSONOUT_FORMAT);
}

int
jsonout_stream_close(struct jsonout_stream *w)
{
	while (w->depth > 0)
		jsonout_put_end(w);
	put_char(w, '\n');
	flush_buf(w);
	if (fflush(w->out) != 0 || ferror(w->out))
		w->failed = 1;
	return w->failed ? -1 : 0;
}

void
jsonout_put_object(struct jsonout_stream *w, const char *name)
{
	put_open(w, name, '{', '}');
}

void
jsonout_put_array(struct jsonout_stream *w, const char *name)
{
	put_open(w, name, '[', ']');
}

void
jsonout_put_end(struct jsonout_stream *w)
{
	if (w->depth == 0)
		return;
	w->depth--;
	if (w->members[w->depth] > 0)
		put_indent(w, w->depth);
	put_char(w, w->closer[w->depth]);
}

void
jsonout_put_string(struct jsonout_stream *w, const char *name, const char *s)
{
	put_member(w, name, "");
	if (s == NULL)
		put_bytes(w, "null", 4);
	else
		put_quoted(w, s);
}

void
jsonout_put_int(struct jsonout_stream *w, const char *name, long long v)
{
	put_member(w, name, "");
	put_digits(w, v);
}

void
jsonout_put_time(struct jsonout_stream *w, const char *name, time_t t)
{
	char iso[32];

	put_member(w, name, "");
	if (t > 0)
		put_quoted(w, util_fmt_time(t, iso, sizeof(iso)));
	else
		put_bytes(w, "null", 4);
	put_member(w, name, "_unix");
	if (t > 0)
		put_digits(w, (long long)t);
	else
		put_bytes(w, "null", 4);
}
