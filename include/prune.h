/*
 * prune - private keys leave the disk once nothing can need them.
 *
 * A retired key (the current key before the last PROMOTE) or a discarded
 * one (a next key never deployed) is never deployed again: a rollback goes
 * back to the set the last deploy kept (PATH.prev), and a PROMOTE ends the
 * rollback window, after which that set holds the retired key. A retired
 * key's certificate stays valid in the public CA system until it expires,
 * so every copy kept is a way to impersonate the MX to senders without
 * DANE. The rule, per slot:
 *
 *   - the slot rests: not deploying, verifying, rolling back or failed,
 *     and what its files serve is its current key;
 *   - the key's "3 1 1" record has left every owner name's RRset, every
 *     authoritative address serves that, and the versions that held it
 *     have aged out of every cache (view_record_gone_at: the deploy
 *     guard's arithmetic, with "matches" meaning "lacks the record");
 *   - it is not among the newest keep_retired retired keys.
 *
 * Then its file (only one in the host's key directory: an adopted key's
 * path is the MTA's, which serves the current key by now) and the public
 * files issued for it are deleted; the deployer forgets the previous set
 * when that held the newest retired key; and the store records the key as
 * deleted. Files go before the record: a crash repeats a deletion, and
 * never leaves a key on disk that the store has forgotten.
 */
#ifndef DANEROLL_PRUNE_H
#define DANEROLL_PRUNE_H

#include <time.h>

#include "backend.h"
#include "store.h"
#include "view.h"

/* Would prune_slot delete something now? 1 yes, 0 no, -1 store error. */
int		prune_due(struct store *, const struct view *,
		    const struct view_slot *, time_t now);
/* Deletes what the rule allows; OUT_OK also when there was nothing. */
enum outcome	prune_slot(struct store *, const struct backend_deployer *,
		    const struct conf *, const struct view *,
		    const struct view_slot *, time_t now);

#endif
