/*
 * issue_hook - the ACME issuer backend: CSR in, chain out, through the
 * host's acme_hook. See include/issue_hook.h for the hook's contract.
 *
 * A stale chain left at the output path by an earlier attempt is removed
 * before the hook runs, so "exit 0 but no chain" can never pass off an
 * old file as the answer. Everything allocated here is freed here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "hookout.h"
#include "issue_hook.h"
#include "log.h"

#define EXIT_TEMPFAIL	75	/* sysexits EX_TEMPFAIL */
#define EXIT_NOEXEC	126	/* found but not executable (sh, env) */
#define EXIT_NOTFOUND	127	/* command not found (sh, env) */

/* "NAME=value" strings for the hook; NULL-terminated, caller frees. */
static char **
hook_env(const struct conf_host *h, enum key_alg alg, const char *csr_path,
    const char *chain_path)
{
	struct buf names = { 0 };
	char **env = xcalloc(6, sizeof(*env));
	int i;

	buf_puts(&names, h->name);
	for (i = 0; i < h->naliases; i++)
		buf_printf(&names, " %s", h->aliases[i].name);
	env[0] = xasprintf("DANEROLL_CSR=%s", csr_path);
	env[1] = xasprintf("DANEROLL_CHAIN=%s", chain_path);
	env[2] = xasprintf("DANEROLL_HOST=%s", h->name);
	env[3] = xasprintf("DANEROLL_NAMES=%s", names.data);
	env[4] = xasprintf("DANEROLL_ALG=%s", key_alg_str(alg));
	buf_free(&names);
	return env;
}

/* The outcome a finished hook run stands for; see the header. */
static enum outcome
hook_outcome(enum outcome run, const struct exec_result *res)
{
	if (run == OUT_OK || run == OUT_PERMFAIL)
		return run;
	if (!res->timed_out && res->signal == 0 &&
	    (res->exit_code == EXIT_NOEXEC || res->exit_code == EXIT_NOTFOUND))
		return OUT_PERMFAIL;
	return OUT_TEMPFAIL;
}

/* What happened, for the one error message: exec's words, with what the
 * exit codes the hook contract names mean. A signal leaves exit_code -1. */
static void
describe(const struct exec_result *res, char *buf, size_t len)
{
	if (!res->timed_out && res->exit_code == EXIT_TEMPFAIL)
		snprintf(buf, len, "exited %d (temporary failure)",
		    res->exit_code);
	else if (!res->timed_out && (res->exit_code == EXIT_NOEXEC ||
	    res->exit_code == EXIT_NOTFOUND))
		snprintf(buf, len, "exited %d (a program it needs cannot be "
		    "run)", res->exit_code);
	else
		(void)exec_result_str(res, buf, len);
}

static enum outcome
issue_hook_issue(const struct conf *c, const struct conf_host *h,
    enum key_alg alg, const char *csr_path, const char *chain_path)
{
	struct exec_result res = { 0 };
	struct stat st;
	char **env = NULL, *cmd = NULL, *tail = NULL, what[96];
	const char *slot = key_alg_str(alg);
	enum outcome o = OUT_PERMFAIL, run;
	int i;

	(void)c;
	if (h->acme_hook.argv == NULL) {
		log_msg(LOG_LVL_ERR, h->name, slot, "no acme_hook configured: "
		    "cannot request a certificate");
		goto done;
	}
	if (unlink(chain_path) == -1 && errno != ENOENT) {
		log_msg(LOG_LVL_ERR, h->name, slot, "%s: cannot remove the "
		    "output of an earlier attempt: %s", chain_path,
		    strerror(errno));
		o = OUT_TEMPFAIL;
		goto done;
	}
	env = hook_env(h, alg, csr_path, chain_path);
	cmd = exec_argv_str(h->acme_hook.argv);
	log_msg(LOG_LVL_INFO, h->name, slot, "running the ACME hook %s", cmd);
	run = exec_run(h->acme_hook.argv, env, NULL, h->timing.hook_timeout,
	    HOOKOUT_CAPTURE, &res);
	tail = hookout_tail(&res.output, HOOKOUT_QUOTE);
	o = hook_outcome(run, &res);
	if (o != OUT_OK) {
		describe(&res, what, sizeof(what));
		log_msg(LOG_LVL_ERR, h->name, slot, "ACME hook %s %s; %s; "
		    "output: %s", cmd, what, o == OUT_PERMFAIL ?
		    "fix the hook, it will not work by retrying" :
		    "will retry, the current certificate stays in service",
		    tail);
		goto done;
	}
	log_msg(LOG_LVL_DEBUG, h->name, slot, "ACME hook output: %s", tail);
	if (stat(chain_path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size == 0) {
		log_msg(LOG_LVL_ERR, h->name, slot, "ACME hook %s exited 0 but "
		    "left no certificate chain at %s (DANEROLL_CHAIN); will "
		    "retry; output: %s", cmd, chain_path, tail);
		o = OUT_TEMPFAIL;
		goto done;
	}
	o = OUT_OK;
done:
	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
	free(cmd);
	free(tail);
	buf_free(&res.output);
	return o;
}

const struct backend_issuer issue_hook = { issue_hook_issue };
