/*
 * log - one place where messages leave the program.
 *
 * On a terminal: "daneroll: host/slot: message". Under a timer (no tty, or
 * --syslog): syslog(3) with a priority, so journald keeps levels. A message
 * never carries secret material: callers pass names and paths, not contents.
 *
 * log_last_error() returns the text of the most recent error or warning, so
 * the engine can store why a step failed in the event log without every
 * module threading an error buffer through.
 */
#ifndef DANEROLL_LOG_H
#define DANEROLL_LOG_H

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,	/* transitions and side effects: shown by default */
	LOG_LVL_INFO,	/* shown with -v */
	LOG_LVL_DEBUG	/* shown with -vv */
};

/* verbosity: -2 silent (tests), -1 quiet (errors only), 0 default,
 * 1 -v, 2 -vv. */
void	 log_init(int verbosity, int use_syslog);
/*
 * One line about host and slot (either NULL). cause: the line may be why
 * a step failed (it becomes log_last_error()); 0 for a line that reports
 * a failure already recorded, so the next slot's cause stays its own.
 * Called as log_msg (cause 1) and log_report (cause 0).
 */
void	 log_line(enum log_level, int cause, const char *host,
	    const char *slot, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
#define log_msg(lvl, host, slot, ...) \
	log_line((lvl), 1, (host), (slot), __VA_ARGS__)
#define log_report(lvl, host, slot, ...) \
	log_line((lvl), 0, (host), (slot), __VA_ARGS__)

#define log_err(...)	log_msg(LOG_LVL_ERR, NULL, NULL, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, NULL, NULL, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_LVL_NOTICE, NULL, NULL, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, NULL, NULL, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, NULL, NULL, __VA_ARGS__)

const char *log_last_error(void);
void	 log_clear_error(void);
/* How many error lines were logged so far (a run that said "error:"
 * must not exit 0). */
unsigned log_error_count(void);

/* Tests capture every line (already formatted, without prefix). */
typedef void (*log_sink_fn)(enum log_level, const char *line, void *arg);
void	 log_set_sink(log_sink_fn, void *arg);

/* The prober (prober.h) hands every line to its parent instead of
 * showing it: cause as log_msg (1) or log_report (0). NULL: shown here. */
typedef void (*log_forward_fn)(enum log_level, int cause, const char *line);
void	 log_set_forward(log_forward_fn);

#endif
