/*
 * jsonout - the frame every `--json` document shares (docs/json.md, the
 * contract; docs/schema/, its JSON Schemas): one top-level object whose
 * "format" member is JSONOUT_FORMAT, and one way to write a time.
 *
 * A time is two members: NAME, an ISO 8601 string in UTC
 * ("2026-12-06T20:31:05Z"), and NAME_unix, the same instant in seconds
 * since the epoch, for programs that compute with it; both null when there
 * is no such time (t <= 0: never, none, unknown).
 *
 * JSONOUT_FORMAT changes only when a document changes incompatibly: a
 * member removed or renamed, its type or meaning changed, a value added to
 * a closed set of strings. Adding a member does not change it.
 *
 * Two ways to make a document, byte for byte the same text: a jansson tree
 * (jsonout_doc, jsonout_time, jsonout_dump), or, for a document too large
 * to hold (status over a fleet), a stream (jsonout_stream_open, the
 * jsonout_put_* calls, jsonout_stream_close) that writes each member as
 * it is given, in jansson's JSON_INDENT(2) layout. A stream writes a
 * string that is not UTF-8 with U+FFFD for each byte that does not fit,
 * where jansson refuses it.
 *
 * Ownership: jsonout_doc returns a new reference the caller releases with
 * json_decref; jsonout_time adds to obj; jsonout_dump appends to out. A
 * stream borrows its FILE, which the caller closes.
 */
#ifndef DANEROLL_JSONOUT_H
#define DANEROLL_JSONOUT_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "util.h"

#define JSONOUT_FORMAT	1
#define JSONOUT_DEPTH	16	/* open objects and arrays, the frame's too */

/* A new document: {"format": JSONOUT_FORMAT}. */
json_t	*jsonout_doc(void);
/* Sets NAME and NAME_unix in obj for t (null for t <= 0). */
void	 jsonout_time(json_t *obj, const char *name, time_t t);
/* The document, indented, with a final newline, appended to out. */
void	 jsonout_dump(const json_t *doc, struct buf *out);

struct jsonout_stream {
	FILE	*out;
	int	 depth;				/* open objects and arrays */
	int	 members[JSONOUT_DEPTH];	/* written in each so far */
	char	 closer[JSONOUT_DEPTH];		/* '}' or ']' */
	int	 failed;			/* a write failed */
	size_t	 len;
	char	 buf[16384];
};

/* Starts a document on out: the frame, with its "format" member. */
void	 jsonout_stream_open(struct jsonout_stream *, FILE *out);
/* Ends what is open, the frame last, and a newline; flushes out. 0, or
 * -1 if a write failed (errno). */
int	 jsonout_stream_close(struct jsonout_stream *);
/*
 * A member of the innermost open object (name), or an element of the
 * innermost open array (name NULL). jsonout_put_object and _array open
 * one that jsonout_put_end ends; a NULL string is null.
 */
void	 jsonout_put_object(struct jsonout_stream *, const char *name);
void	 jsonout_put_array(struct jsonout_stream *, const char *name);
void	 jsonout_put_end(struct jsonout_stream *);
void	 jsonout_put_string(struct jsonout_stream *, const char *name,
	    const char *);
void	 jsonout_put_int(struct jsonout_stream *, const char *name,
	    long long);
/* NAME and NAME_unix, as jsonout_time. */
void	 jsonout_put_time(struct jsonout_stream *, const char *name,
	    time_t);

#endif
