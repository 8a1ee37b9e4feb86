/*
 * hookout - what daneroll keeps of an external program's output: the
 * tail, on one line, for the single error message that goes to the log
 * and the event log. Shared by the ACME issuer and the deployer's reload.
 */
#ifndef DANEROLL_HOOKOUT_H
#define DANEROLL_HOOKOUT_H

#include <stddef.h>

#include "util.h"

/* Bytes of output kept by exec_run for a hook or a reload command. */
#define HOOKOUT_CAPTURE	(64 * 1024)
/* Bytes of that quoted in a message. */
#define HOOKOUT_QUOTE	600

/*
 * The last max bytes of out on one line: blank lines dropped, line breaks
 * as " | ", other control bytes as '?'; "(no output)" when empty. Never
 * NULL; caller frees.
 */
char	*hookout_tail(const struct buf *out, size_t max);

#endif
