/*
 * Unit tests: jsonout, the frame of every --json document: "format" 1 at
 * the top, and a time as NAME (ISO 8601, UTC) beside NAME_unix, both null
 * for no time; as a table of times and the members they must make.
 */
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

static const struct t_case cases[] = {
	{ "a time: ISO 8601 and _unix, or both null", test_time },
	{ "a document: format 1 first, dumped indented", test_doc },
};

T_MAIN(cases)
