/*
 * log - terminal or syslog output, the last error kept for the event log,
 * and a sink that tests use to see every line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int		 verbosity;
static int		 use_syslog;
static char		 last_error[1024];
static unsigned		 nerrors;
static log_sink_fn	 sink;
static void		*sink_arg;
static log_forward_fn	 forward;

void
log_init(int v, int sys)
{
	verbosity = v;
	use_syslog = sys;
	if (use_syslog)
		openlog("daneroll", LOG_PID, LOG_DAEMON);
}

void
log_set_sink(log_sink_fn fn, void *arg)
{
	sink = fn;
	sink_arg = arg;
}

const char *
log_last_error(void)
{
	return last_error;
}

unsigned
log_error_count(void)
{
	return nerrors;
}

void
log_clear_error(void)
{
	last_error[0] = '\0';
}

static int
shown(enum log_level lvl)
{
	if (verbosity < -1)
		return 0;	/* tests: everything goes to the sink only */
	if (verbosity < 0)
		return lvl == LOG_LVL_ERR;
	return (int)lvl <= (int)LOG_LVL_NOTICE + verbosity;
}

/* cause: the line may be why a step failed (log_last_error). */
static void vlog(enum log_level, int, const char *, const char *,
    const char *, va_list) __attribute__((format(printf, 5, 0)));

static void
vlog(enum log_level lvl, int cause, const char *host, const char *slot,
    const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE,
	    LOG_INFO, LOG_DEBUG };
	static const char *tag[] = { "error: ", "warning: ", "", "", "" };
	char msg[2048], line[2300];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (lvl == LOG_LVL_ERR)
		nerrors++;

	if (host != NULL && slot != NULL)
		snprintf(line, sizeof(line), "%s/%s: %s", host, slot, msg);
	else if (host != NULL)
		snprintf(line, sizeof(line), "%s: %s", host, msg);
	else
		snprintf(line, sizeof(line), "%s", msg);

	if (cause && lvl <= LOG_LVL_WARN) {
		size_t n = strlen(line);

		if (n >= sizeof(last_error))
			n = sizeof(last_error) - 1;
		memcpy(last_error, line, n);
		last_error[n] = '\0';
	}
	if (sink != NULL)
		sink(lvl, line, sink_arg);
	if (forward != NULL) {
		forward(lvl, cause, line);
		return;
	}
	if (!shown(lvl))
		return;
	if (use_syslog)
		syslog(prio[lvl], "%s%s", tag[lvl], line);
	else
		fprintf(stderr, "daneroll: %s%s\n", tag[lvl], line);
}

void
log_set_forward(log_forward_fn fn)
{
	forward = fn;
}

void
log_line(enum log_level lvl, int cause, const char *host, const char *slot,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, cause, host, slot, fmt, ap);
	va_end(ap);
}
