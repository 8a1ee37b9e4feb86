/*
 * publish_exec - a DNS publisher that runs an external program. See
 * include/publish_exec.h for the protocol.
 *
 * The argument vector and environment are built here and freed before
 * return; the program's output is captured by exec_run and, on failure,
 * logged as one line (its last PUBLISH_EXEC_LOG_TAIL bytes, control
 * characters flattened, lines joined with " | ") so a provider's error
 * text reaches the operator and the engine's event log.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "exec.h"
#include "log.h"
#include "publish_exec.h"
#include "tlsa.h"
#include "util.h"

#define PUBLISH_EXEC_LOG_TAIL	2000

/* The tail of out as one printable line; caller frees. */
static char *
output_line(const struct buf *out)
{
	struct buf b = { 0 };
	const char *s = out->data != NULL ? out->data : "";
	size_t n = out->len, i;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	if (n == 0)
		return xstrdup("(no output)");
	if (n > PUBLISH_EXEC_LOG_TAIL) {
		buf_puts(&b, "...");
		s += n - PUBLISH_EXEC_LOG_TAIL;
		n = PUBLISH_EXEC_LOG_TAIL;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			buf_puts(&b, " | ");
		else if (c < 0x20 || c == 0x7f)
			buf_add(&b, " ", 1);
		else
			buf_add(&b, &s[i], 1);
	}
	return b.data;
}

/* "DANEROLL_SERVED=3 1 1 ab..,3 1 1 cd..", empty when no chain is
 * served; left out when the caller does not know. */
static char *
served_env(const struct tlsa_set *served)
{
	struct buf b = { 0 };
	size_t i;

	buf_puts(&b, "DANEROLL_SERVED=");
	for (i = 0; i < served->n; i++) {
		char *r = tlsa_format(&served->rr[i]);

		if (i > 0)
			buf_puts(&b, ",");
		buf_puts(&b, r);
		free(r);
	}
	return b.data;
}

static enum outcome
exec_replace(const struct conf *conf, const struct conf_publisher *p,
    const struct publish_req *req)
{
	const struct publish_exec_conf *c = p->priv;
	struct exec_result res;
	char **argv = NULL, *env[4] = { NULL, NULL, NULL, NULL }, *out = NULL;
	enum outcome o = OUT_PERMFAIL;
	const char *why;
	size_t i, n = 0, nenv, nrec = req->want->n;

	(void)conf;
	memset(&res, 0, sizeof(res));
	if (c == NULL || c->command.argv == NULL || c->command.argc == 0) {
		log_err("publisher %s: no command configured", p->name);
		goto out;
	}
	argv = xcalloc((size_t)c->command.argc + 3 + nrec + 1, sizeof(*argv));
	for (i = 0; i < (size_t)c->command.argc; i++)
		argv[n++] = xstrdup(c->command.argv[i]);
	argv[n++] = xstrdup("replace");
	argv[n++] = xstrdup(req->owner);
	argv[n++] = xasprintf("%lld", (long long)req->ttl);
	for (i = 0; i < nrec; i++)
		argv[n++] = tlsa_format(&req->want->rr[i]);
	env[0] = xasprintf("DANEROLL_PUBLISHER=%s", p->name);
	nenv = 1;
	if (p->zone != NULL)
		env[nenv++] = xasprintf("DANEROLL_ZONE=%s", p->zone);
	if (req->served != NULL)
		env[nenv++] = served_env(req->served);
	o = exec_run(argv, env, NULL, p->timeout, PUBLISH_EXEC_MAX_OUTPUT,
	    &res);
	if (o == OUT_OK) {
		log_debug("publisher %s: %s: %zu record%s published by %s",
		    p->name, req->owner, nrec, nrec == 1 ? "" : "s", argv[0]);
		goto out;
	}
	if (res.exit_code < 0 && !res.timed_out && res.signal == 0) {
		/* Never ran: exec_run said why and how bad it is. */
		goto out;
	}
	if (res.timed_out || res.signal != 0) {
		o = OUT_TEMPFAIL;
		why = res.timed_out ? "timed out; will retry" :
		    "killed by a signal; will retry";
	} else if (res.exit_code == PUBLISH_EXEC_TEMPFAIL) {
		o = OUT_TEMPFAIL;
		why = "exit 75: temporary failure; will retry";
	} else {
		o = OUT_PERMFAIL;
		why = "failed; retried after a back-off, but it needs you";
	}
	out = output_line(&res.output);
	if (res.exit_code >= 0 && res.exit_code != PUBLISH_EXEC_TEMPFAIL)
		log_err("publisher %s: replace %s failed (exit %d: %s): %s",
		    p->name, req->owner, res.exit_code, why, out);
	else
		log_err("publisher %s: replace %s failed (%s): %s", p->name,
		    req->owner, why, out);
out:
	if (argv != NULL) {
		for (i = 0; i < n; i++)
			free(argv[i]);
		free(argv);
	}
	for (i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		free(env[i]);
	free(out);
	buf_free(&res.output);
	return o;
}

/* config check: the program must be there, runnable, before a run
 * needs it. */
static int
exec_check(const struct conf *conf, const struct conf_publisher *p)
{
	const struct publish_exec_conf *c = p->priv;
	const char *why;

	if (c == NULL || c->command.argv == NULL)
		return 0;	/* conf_load refuses a section without one */
	if ((why = exec_program_problem(c->command.argv[0])) == NULL)
		return 0;
	log_err("%s:%d: publisher %s: command %s %s", conf->path,
	    c->command.line, p->name, c->command.argv[0], why);
	return -1;
}

/* doctor: the program is only looked at; running it would publish. */
static enum outcome
exec_probe(const struct conf *conf, const struct conf_publisher *p,
    const char *owner)
{
	const struct publish_exec_conf *c = p->priv;

	(void)owner;
	if (exec_check(conf, p) != 0)
		return OUT_PERMFAIL;
	if (c == NULL || c->command.argv == NULL) {
		log_err("publisher %s: no command configured", p->name);
		return OUT_PERMFAIL;
	}
	log_info("publisher %s: command %s is there and executable (not "
	    "run: it would publish)", p->name, c->command.argv[0]);
	return OUT_OK;
}

static const struct conf_key exec_keys[] = {
	CONF_KEY(struct publish_exec_conf, command, CONF_CMD,
	    CONF_KEY_REQUIRED),
	CONF_KEYS_END
};

const struct backend_publisher publish_exec = {
	"exec", exec_replace, exec_check, exec_probe, NULL,
	{ exec_keys, sizeof(struct publish_exec_conf), NULL, NULL }
};
