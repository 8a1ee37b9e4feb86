/*
 * jsonout - the frame of every --json document. See include/jsonout.h.
 * Times go through util_fmt_time, the one ISO 8601 formatter, so that a
 * time reads the same in a document, a log line and the text output.
 */
#include <stdlib.h>

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
