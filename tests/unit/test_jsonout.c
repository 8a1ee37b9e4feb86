/*
 * Unit tests: jsonout, the frame of every --json document: "format" 1 at
 * the top, and a time as NAME (ISO 8601, UTC) beside NAME_unix, both null
 * for no time; as a table of times and the members they must make. The
 * stream: a table of documents, each a list of calls made both to jansson
 * and to the stream, whose texts must be the same bytes; and the rows
 * of strings that are not UTF-8, written with U+FFFD.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "t.h"

static const struct {
	time_t		 t;
	const char	*iso;	/* NULL: both members null */
} times[] = {
	{ 1796589065, "2026-12-06T20:31:05Z" },
	{ 1, "1970-01-01T00:00:01Z" },
	{ 4102444800LL, "2100-01-01T00:00:00Z" },
	{ 0, NULL },	/* nothing scheduled, nothing deployed */
	{ -5, NULL },
};

static void
test_time(void)
{
	size_t i;

	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		json_t *o = json_object();
		json_t *iso, *unx;

		jsonout_time(o, "wake_at", times[i].t);
		iso = json_object_get(o, "wake_at");
		unx = json_object_get(o, "wake_at_unix");
		T_INT(json_object_size(o), 2);
		if (times[i].iso == NULL) {
			T_CHECK(json_is_null(iso));
			T_CHECK(json_is_null(unx));
		} else {
			T_STR(json_string_value(iso), times[i].iso);
			T_CHECK(json_is_integer(unx));
			T_INT(json_integer_value(unx), times[i].t);
		}
		json_decref(o);
	}
}

static void
test_doc(void)
{
	json_t *d = jsonout_doc();
	struct buf b = { NULL, 0, 0 };

	T_INT(json_object_size(d), 1);
	T_CHECK(json_is_integer(json_object_get(d, "format")));
	T_INT(json_integer_value(json_object_get(d, "format")), 1);
	T_INT(JSONOUT_FORMAT, 1);
	json_object_set_new(d, "hosts", json_array());
	jsonout_dump(d, &b);
	/* Indented, members in the order set, one final newline. */
	T_STR(b.data, "{\n  \"format\": 1,\n  \"hosts\": []\n}\n");
	buf_free(&b);
	json_decref(d);
}

/* A call of a document: each is made to jansson and to the stream. */
enum op { OP_OBJ = 1, OP_ARR, OP_END, OP_STR, OP_INT, OP_TIME };

struct call {
	enum op		 op;
	const char	*name;	/* NULL: an element of an array */
	const char	*s;	/* OP_STR; NULL: null */
	long long	 v;	/* OP_INT, OP_TIME */
};

#define DOC_CALLS	24

static const struct {
	const char	*what;
	struct call	 calls[DOC_CALLS];	/* ends at op 0 */
} docs[] = {
	{ "no hosts", { { OP_ARR, "hosts", NULL, 0 }, { OP_END, NULL, NULL, 0 } } },
	{ "nothing but the frame", { { 0, NULL, NULL, 0 } } },
	{ "a host as status writes it", {
	    { OP_ARR, "hosts", NULL, 0 }, { OP_OBJ, NULL, NULL, 0 },
	    { OP_STR, "host", "mx.example.org", 0 },
	    { OP_STR, "ca_change", NULL, 0 }, { OP_INT, "keys_kept", NULL, 2 },
	    { OP_ARR, "slots", NULL, 0 }, { OP_OBJ, NULL, NULL, 0 },
	    { OP_TIME, "wake_at", NULL, 1805184000 },
	    { OP_TIME, "cert_not_after", NULL, 0 },
	    { OP_INT, "failures", NULL, 0 }, { OP_END, NULL, NULL, 0 },
	    { OP_END, NULL, NULL, 0 }, { OP_ARR, "events", NULL, 0 },
	    { OP_END, NULL, NULL, 0 }, { OP_END, NULL, NULL, 0 },
	    { OP_OBJ, NULL, NULL, 0 }, { OP_STR, "host", "b", 0 },
	    { OP_STR, "error", "cannot read", 0 }, { OP_END, NULL, NULL, 0 },
	    { OP_END, NULL, NULL, 0 } } },
	{ "escapes: quote, backslash, control characters; '/' and DEL not", {
	    { OP_STR, "a", "say \"hi\" C:\\x /etc/x \x7f", 0 },
	    { OP_STR, "b", "\b\f\n\r\t", 0 },
	    { OP_STR, "c", "\x01\x1b\x1f end", 0 }, { OP_STR, "d", "", 0 } } },
	{ "UTF-8 as it is: 2, 3 and 4 bytes", {
	    { OP_STR, "s", "Zürich \xe2\x82\xac \xf0\x9f\x94\x91 \xef\xbf\xbf", 0 } } },
	{ "integers: zero, signs, the extremes", {
	    { OP_INT, "a", NULL, 0 }, { OP_INT, "b", NULL, -1 },
	    { OP_INT, "c", NULL, LLONG_MAX }, { OP_INT, "d", NULL, LLONG_MIN },
	    { OP_TIME, "t", NULL, -5 } } },
	{ "empty, nested and mixed arrays and objects", {
	    { OP_OBJ, "o", NULL, 0 }, { OP_END, NULL, NULL, 0 },
	    { OP_ARR, "a", NULL, 0 }, { OP_ARR, NULL, NULL, 0 },
	    { OP_END, NULL, NULL, 0 }, { OP_OBJ, NULL, NULL, 0 },
	    { OP_END, NULL, NULL, 0 }, { OP_ARR, NULL, NULL, 0 },
	    { OP_INT, NULL, NULL, 7 }, { OP_STR, NULL, NULL, 0 },
	    { OP_STR, NULL, "x", 0 }, { OP_TIME, NULL, NULL, 1 },
	    { OP_ARR, NULL, NULL, 0 }, { OP_ARR, NULL, NULL, 0 },
	    { OP_OBJ, NULL, NULL, 0 }, { OP_STR, "deep", "yes", 0 } } },
};

/* The calls on a jansson tree: the container open at each depth. */
static void
jansson_call(json_t **stack, int *depth, const struct call *c)
{
	json_t *v = NULL, *top = stack[*depth - 1];
	char iso[32];

	switch (c->op) {
	case OP_END: (*depth)--; return;
	case OP_OBJ: v = json_object(); break;
	case OP_ARR: v = json_array(); break;
	case OP_STR: v = c->s ? json_string(c->s) : json_null(); break;
	case OP_INT: v = json_integer(c->v); break;
	case OP_TIME:
		if (c->name != NULL) {
			jsonout_time(top, c->name, (time_t)c->v);
			return;
		}
		/* An element: the ISO string, as the stream's value. */
		v = c->v > 0 ? json_string(util_fmt_time((time_t)c->v, iso,
		    sizeof(iso))) : json_null();
		break;
	}
	if (json_is_array(top))
		json_array_append(top, v);
	else
		json_object_set(top, c->name, v);
	if (c->op == OP_OBJ || c->op == OP_ARR)
		stack[(*depth)++] = v;
	json_decref(v);
}

static void
stream_call(struct jsonout_stream *w, const struct call *c)
{
	switch (c->op) {
	case OP_END: jsonout_put_end(w); break;
	case OP_OBJ: jsonout_put_object(w, c->name); break;
	case OP_ARR: jsonout_put_array(w, c->name); break;
	case OP_STR: jsonout_put_string(w, c->name, c->s); break;
	case OP_INT: jsonout_put_int(w, c->name, c->v); break;
	case OP_TIME:
		if (c->name != NULL) {
			jsonout_put_time(w, c->name, (time_t)c->v);
			break;
		}
		if (c->v > 0) {
			char iso[32];

			jsonout_put_string(w, NULL, util_fmt_time(
			    (time_t)c->v, iso, sizeof(iso)));
		} else
			jsonout_put_string(w, NULL, NULL);
		break;
	}
}

/* The stream's whole text (the caller frees), and 0 from its close. */
static char *
stream_text(const struct call *calls, int *closed)
{
	struct jsonout_stream *w = malloc(sizeof(*w));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int i;

	jsonout_stream_open(w, f);
	for (i = 0; i < DOC_CALLS && calls[i].op != 0; i++)
		stream_call(w, &calls[i]);
	*closed = jsonout_stream_close(w);	/* ends what is still open */
	fclose(f);
	free(w);
	return text;
}

static void
test_stream_same_bytes(void)
{
	size_t d;
	int i;

	for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
		json_t *stack[JSONOUT_DEPTH];
		struct buf b = { NULL, 0, 0 };
		int depth = 1, closed;
		char *text;

		stack[0] = jsonout_doc();
		for (i = 0; i < DOC_CALLS && docs[d].calls[i].op != 0; i++)
			jansson_call(stack, &depth, &docs[d].calls[i]);
		jsonout_dump(stack[0], &b);
		text = stream_text(docs[d].calls, &closed);
		T_CHECK(b.data != NULL);
		if (!T_STR(text, b.data ? b.data : "(jansson failed)"))
			fprintf(stderr, "  in \"%s\"\n", docs[d].what);
		T_INT(closed, 0);
		free(text);
		buf_free(&b);
		json_decref(stack[0]);
	}
}

/*
 * What jansson refuses (it is not UTF-8) the stream writes with U+FFFD
 * for each stray byte: the document stays valid, the rest of the string
 * readable. As rows, each a case: the string given and the one written.
 */
static const struct row {
	const char	*name;
	const char	*in, *out;
} rows[] = {
	{ "not UTF-8: a stray 0xff", "a\xff", "a\xef\xbf\xbd" },
	{ "not UTF-8: a lead byte without its continuation", "\xc3\xc3x",
	  "\xef\xbf\xbd\xef\xbf\xbdx" },
	{ "not UTF-8: an overlong '/'", "\xc0\xaf",
	  "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "not UTF-8: a surrogate", "\xed\xa0\x80!",
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!" },
	{ "not UTF-8: past U+10FFFF", "\xf4\x90\x80\x80",
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "not UTF-8: cut short at the end", "cut \xe2\x82",
	  "cut \xef\xbf\xbd\xef\xbf\xbd" },
};

static void
run_row(const void *v)
{
	const struct row *row = v;
	struct call calls[2] = { { OP_STR, "s", row->in, 0 },
	    { 0, NULL, NULL, 0 } };
	char *want = xasprintf("{\n  \"format\": 1,\n  \"s\": \"%s\"\n}\n",
	    row->out);
	char *text;
	int closed;
	json_t *j = json_string(row->in);

	T_CHECK(j == NULL);	/* jansson: not a string */
	json_decref(j);
	text = stream_text(calls, &closed);
	T_STR(text, want);
	free(text);
	free(want);
}

static const struct t_case cases[] = {
	{ "a time: ISO 8601 and _unix, or both null", test_time },
	{ "a document: format 1 first, dumped indented", test_doc },
	{ "a stream writes the bytes jansson dumps", test_stream_same_bytes },
};

T_MAIN_TABLE(rows, run_row, cases)
