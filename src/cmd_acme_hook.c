/*
 * cmd_acme_hook - `daneroll acme-hook`: stage a certificate an ACME client
 * renewed, then let the engine deploy it or hold it. See
 * include/cmd_acme_hook.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "acme_intake.h"
#include "backend.h"
#include "cmd_acme_hook.h"
#include "engine.h"
#include "lock.h"
#include "log.h"
#include "store.h"
#include "view.h"

static int
exit_of(enum outcome o)
{
	return o == OUT_OK || o == OUT_PENDING ? EX_OK :
	    o == OUT_TEMPFAIL ? EX_TEMPFAIL : EX_UNAVAILABLE;
}

/* What the engine left the slot doing, in one line for the client's log. */
static void
report(struct store *st, const struct conf_host *h, enum key_alg alg,
    const struct engine_result *r)
{
	struct view v;
	char when[32];
	int i;

	if (view_load(st, h, util_now(), 0, &v) != 0)
		return;
	for (i = 0; i < v.nslots; i++) {
		struct view_slot *s = &v.slots[i];

		if (s->alg != alg)
			continue;
		if (s->has_current && s->deployed_ok &&
		    strcmp(s->deployed_spki, s->current.spki) == 0 &&
		    !s->has_next)
			log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(alg),
			    "renewed certificate deployed and verified");
		else if (r->wake_at != 0)
			log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(alg),
			    "renewed certificate held (%s); the next run "
			    "after %s deploys it", slot_state_str(
			    s->slot.state), util_fmt_time(r->wake_at, when,
			    sizeof(when)));
		else
			log_msg(LOG_LVL_NOTICE, h->name, key_alg_str(alg),
			    "renewed certificate staged; state %s",
			    slot_state_str(s->slot.state));
	}
	view_free(&v);
}

int
cmd_acme_hook(const struct cli *c, struct conf *conf)
{
	struct intake_src src;
	const struct conf_host *h;
	const struct backends *be = backend_builtin();
	struct store *st = NULL;
	struct lock_set *lk = NULL;
	struct engine e;
	struct engine_result r;
	const char **owners = NULL;
	char *current_key = NULL;
	enum key_alg alg = KEY_ALG_RSA2048;
	enum outcome o;
	int i, rc = EX_SOFTWARE, same_key = 0, named;

	if (acme_intake_find(c->args, c->nargs, &src) != 0)
		return EX_USAGE;
	if (src.ignore) {
		acme_intake_free(&src);
		return EX_OK;
	}
	/* dehydrated passes its own arguments; otherwise an optional HOST. */
	named = strcmp(src.client, "dehydrated") != 0 && c->nargs >= 1;
	if ((h = acme_intake_host(conf, &src, named ? c->args[0] :
	    NULL)) == NULL) {
		rc = EX_USAGE;
		goto done;
	}
	if ((o = store_open(conf->state_dir, 0, &st)) != OUT_OK) {
		rc = o == OUT_TEMPFAIL ? EX_TEMPFAIL : EX_CANTCREAT;
		goto done;
	}
	owners = xcalloc((size_t)h->naliases + 1, sizeof(*owners));
	owners[0] = h->owner;
	for (i = 0; i < h->naliases; i++)
		owners[i + 1] = h->aliases[i].owner;
	if ((o = lock_acquire(conf->state_dir, owners, h->naliases + 1,
	    conf->lock_timeout, &lk)) != OUT_OK) {
		rc = exit_of(o);
		goto done;
	}
	o = acme_intake_stage(st, conf, h, &src, util_now(), &alg, &same_key,
	    &current_key);
	if (o != OUT_OK) {
		rc = exit_of(o);
		goto done;
	}
	if (same_key) {
		/* Its record is published: nothing to wait for. */
		if (be->deployer == NULL) {
			log_err("no deployer in this build");
			rc = EX_UNAVAILABLE;
			goto done;
		}
		o = be->deployer->deploy(conf, h, alg, current_key,
		    src.chain_path);
		rc = exit_of(o);
		goto done;
	}
	memset(&e, 0, sizeof(e));
	e.conf = conf;
	e.store = st;
	e.be = be;
	engine_host(&e, h, &r);
	report(st, h, alg, &r);
	rc = exit_of(r.outcome);
done:
	lock_release(lk);
	store_close(st);
	free(owners);
	free(current_key);
	acme_intake_free(&src);
	return rc;
}
