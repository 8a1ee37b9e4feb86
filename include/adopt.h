/*
 * adopt - `daneroll adopt-next HOST KEYFILE`: a next key an operator has
 * already pre-published (danectl's duplicate lineage, a key staged for
 * certbot, dehydrated's rollover key) becomes the slot's next key, so
 * that the next run keeps its record instead of replacing it.
 *
 * adopt_next() reads the private key from the file named (never from the
 * command line), checks that it is a key of an algorithm the host rolls
 * (alg, or inferred from the key when alg < 0), that it is neither the
 * current key nor the key the configured files serve, copies it into the
 * host's key directory (written once, mode 0600, never over a file) and
 * records it as the slot's next key in one transaction. Adopting the
 * slot's next key again is a no-op. It refuses, changing nothing, when
 * the slot already has another next key whose record was ever sent to
 * DNS, or that is being issued, deployed or verified: replacing it would
 * withdraw a record a rollover is under way for. A next key never sent
 * is discarded in the same transaction.
 *
 * The caller holds the host's lock. Every refusal is logged once, here,
 * naming the host, the file and the reason.
 */
#ifndef DANEROLL_ADOPT_H
#define DANEROLL_ADOPT_H

#include <time.h>

#include "conf.h"
#include "store.h"

enum adopt_result {
	ADOPT_OK = 0,		/* recorded, or already the next key */
	ADOPT_NOINPUT,		/* the key file cannot be opened */
	ADOPT_DATAERR,		/* not a usable private key, wrong algorithm,
				 * the current or served key */
	ADOPT_REFUSED,		/* the slot's state forbids it (said why) */
	ADOPT_CANTCREAT,	/* the key directory or file cannot be made */
	ADOPT_TEMPFAIL		/* the store is busy: try again */
};

enum adopt_result adopt_next(const struct conf *, struct store *,
		    const struct conf_host *, const char *key_file,
		    int alg, time_t now);

#endif
