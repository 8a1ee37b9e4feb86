/*
 * lock - keeps a timer run and an ACME hook run from acting on the same
 * TLSA RRsets at once.
 *
 * One lock file per TLSA owner name under STATE_DIR/locks, held with
 * flock(2) (released by the kernel if the process dies, so a crash never
 * leaves a stale lock). lock_acquire takes all names of a set in sorted order
 * so that two runs cannot deadlock, waiting at most timeout seconds in all.
 */
#ifndef DANEROLL_LOCK_H
#define DANEROLL_LOCK_H

#include <stdint.h>

#include "util.h"

struct lock_set;

/* OUT_OK with *out set; OUT_TEMPFAIL on timeout (logged, naming the
 * name held and the pid holding it if known); OUT_PERMFAIL on I/O error. */
enum outcome	 lock_acquire(const char *state_dir, const char *const *names,
		    int nnames, int64_t timeout_secs, struct lock_set **out);
void		 lock_release(struct lock_set *);

#endif
