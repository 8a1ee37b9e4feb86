/*
 * backend - the registry of backends compiled into this binary, and the
 * helpers every backend shares. See include/backend.h.
 *
 * Adding a DNS provider (docs/architecture.md): include/publish_NAME.h
 * declaring struct publish_NAME_conf, its keys, and src/publish_NAME.c
 * defining the struct backend_publisher of type "NAME" with its key
 * table; then list it in builtin_publishers below. conf.c finds the
 * backend of a [publisher] section here by its type and parses the keys
 * it declares; nothing else changes.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "deploy_files.h"
#include "issue_hook.h"
#include "observe.h"
#include "publish_pdns.h"
#include "publish_exec.h"
#include "publish_rfc2136.h"
#include "verify.h"

static const struct backend_publisher *const builtin_publishers[] = {
	&publish_rfc2136,
	&publish_pdns,
	&publish_exec,
	NULL
};

static const struct backends builtin = {
	builtin_publishers,
	&observe_dns,
	&issue_hook,
	&deploy_files,
	&verify_dane,
};

const struct backends *
backend_builtin(void)
{
	return &builtin;
}

const struct backend_publisher *
backend_publisher_for(const struct backends *be, const char *type)
{
	int i;

	if (be->publishers == NULL || type == NULL)
		return NULL;
	for (i = 0; be->publishers[i] != NULL; i++)
		if (strcmp(be->publishers[i]->type, type) == 0)
			return be->publishers[i];
	return NULL;
}

const char *
obs_result_str(enum obs_result r)
{
	switch (r) {
	case OBS_MATCH:		return "match";
	case OBS_STALE:		return "stale";
	case OBS_MISSING:	return "missing";
	case OBS_UNSIGNED:	return "unsigned";
	case OBS_LAME:		return "lame";
	case OBS_REFUSED:	return "refused";
	case OBS_UNREACHABLE:	return "unreachable";
	}
	return "unknown";
}

void
obs_report_free(struct obs_report *r)
{
	free(r->servers);
	tlsa_set_free(&r->served);
	memset(r, 0, sizeof(*r));
}
