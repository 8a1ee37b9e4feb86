/*
 * resolvconf - the resolvers to ask, from conf's resolver setting or
 * /etc/resolv.conf, with the libc's fallback. See include/resolvconf.h
 * for the contract.
 *
 * Read by hand, not through ldns_resolver_new_frm_file: that reads every
 * nameserver line (the libc stops at three), fails outright on a missing
 * file (the libc falls back to the local host) and builds a whole
 * resolver to throw away. Three readers of this one file, with three
 * fallbacks, is what this module replaced.
 */
#include <stdio.h>
#include <string.h>

#include "dnsq.h"
#include "resolvconf.h"

/* One "nameserver ADDR" line into rc; other lines are no business here. */
static void
add_line(const char *line, struct resolvconf *rc)
{
	char kw[16], addr[128];

	if (rc->n >= RESOLVCONF_MAX ||
	    sscanf(line, "%15s %127s", kw, addr) != 2 ||
	    strcmp(kw, "nameserver") != 0)
		return;
	/* dnsq_addr_parse reads ports; the libc reads none here. */
	if (strpbrk(addr, "#[]") != NULL)
		return;
	if (dnsq_addr_parse(addr, 53, &rc->addr[rc->n], &rc->len[rc->n]) == 0)
		rc->n++;
}

static struct {
	char			path[256];
	struct resolvconf	rc;
} pinned;

int
resolvconf_load(const char *setting, const char *path, struct resolvconf *rc)
{
	FILE *f = NULL;
	char line[512];

	memset(rc, 0, sizeof(*rc));
	if (setting != NULL) {
		if (dnsq_addr_parse(setting, 53, &rc->addr[0],
		    &rc->len[0]) != 0)
			return -1;
		rc->n = 1;
		return 0;
	}
	if (path != NULL && pinned.path[0] != '\0' &&
	    strcmp(path, pinned.path) == 0) {
		*rc = pinned.rc;
		return 0;
	}
	if (path != NULL && (f = fopen(path, "re")) != NULL) {
		/* A comment's first word is "#..." or ";...", never
		 * "nameserver". */
		while (fgets(line, sizeof(line), f) != NULL)
			add_line(line, rc);
		(void)fclose(f);
	}
	if (rc->n == 0) {
		(void)dnsq_addr_parse("127.0.0.1", 53, &rc->addr[0],
		    &rc->len[0]);
		rc->n = 1;
		rc->fallback = 1;
	}
	return 0;
}

void
resolvconf_pin(const char *path)
{
	pinned.path[0] = '\0';
	if (strlen(path) >= sizeof(pinned.path))
		return;
	(void)resolvconf_load(NULL, path, &pinned.rc);
	snprintf(pinned.path, sizeof(pinned.path), "%s", path);
}
