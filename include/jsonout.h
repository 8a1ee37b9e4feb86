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
 * Ownership: jsonout_doc returns a new reference the caller releases with
 * json_decref; jsonout_time adds to obj; jsonout_dump appends to out.
 */
#ifndef DANEROLL_JSONOUT_H
#define DANEROLL_JSONOUT_H

#include <time.h>

#include <jansson.h>

#include "util.h"

#define JSONOUT_FORMAT	1

/* A new document: {"format": JSONOUT_FORMAT}. */
json_t	*jsonout_doc(void);
/* Sets NAME and NAME_unix in obj for t (null for t <= 0). */
void	 jsonout_time(json_t *obj, const char *name, time_t t);
/* The document, indented, with a final newline, appended to out. */
void	 jsonout_dump(const json_t *doc, struct buf *out);

#endif
