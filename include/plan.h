/*
 * plan - the dry-run plan: for each host, the slot states and the actions
 * ahead with their earliest times, computed by machine_step over facts that
 * machine_simulate advances, so plan and run cannot disagree. Also the
 * exact DNS change of the next publish (nsupdate syntax), the files that
 * will be written and the commands that will run. Reads only.
 */
#ifndef DANEROLL_PLAN_H
#define DANEROLL_PLAN_H

#include <jansson.h>
#include <stdio.h>

#include "backend.h"
#include "conf.h"
#include "store.h"
#include "tlsa.h"

/*
 * Appends the host's plan to out (text) or to arr (JSON); 0 or -1. An
 * owner name daneroll has never published at is observed first through
 * be's observer (DNS queries only) when be is not NULL, so the plan says
 * what the name serves today and the DNS change is exact.
 */
int	plan_host(struct store *, const struct conf *, const struct backends *,
	    const struct conf_host *, time_t now, FILE *out, json_t *arr);
/* The nsupdate script turning prev into want at owner; caller frees. */
char	*plan_nsupdate(const char *owner, int64_t ttl,
	    const struct tlsa_set *prev, const struct tlsa_set *want);

#endif
