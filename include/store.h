/*
 * store - daneroll's state in one SQLite database (WAL) under the state
 * directory: hosts, key slots, keys (paths and public digests only), the
 * version history of every TLSA RRset, propagation observations, pending
 * side effects and an append-only event log.
 *
 * store_open applies the migrations of schema/ (embedded at build time) and
 * records the version in PRAGMA user_version. A database that is corrupt,
 * not a daneroll database, or from a newer daneroll is refused and never
 * written. Changes happen inside store_begin / store_commit; a failed step
 * calls store_rollback, so a state change is all or nothing.
 *
 * Getters fill caller-owned structures; strings in them are owned by the
 * structure and freed by the matching *_free function.
 */
#ifndef DANEROLL_STORE_H
#define DANEROLL_STORE_H

#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "machine.h"
#include "util.h"

struct store;

#define STORE_DB_NAME	"daneroll.db"

/* OUT_OK; OUT_PERMFAIL: refused (logged: corrupt, newer, unwritable);
 * OUT_TEMPFAIL: busy. readonly: never creates or migrates. */
enum outcome	 store_open(const char *state_dir, int readonly,
		    struct store **);
void		 store_close(struct store *);
/* The number of migrations this build carries. */
int		 store_schema_latest(void);

int		 store_begin(struct store *);
/*
 * A read transaction: one snapshot and one set of file locks for many
 * reads (in autocommit mode SQLite locks and unlocks for every statement).
 * A write inside it may fail with SQLITE_BUSY if another process wrote
 * meanwhile: the caller treats that as "try again later". Read
 * transactions nest: inside an open one, store_begin_read and the
 * matching store_commit or store_rollback only count, so a caller can
 * hold one snapshot over many hosts' reads (an idle run's scan).
 */
int		 store_begin_read(struct store *);
int		 store_commit(struct store *);
void		 store_rollback(struct store *);
/*
 * Ends what store_begin() opened: COMMIT when ok (the caller's writes all
 * succeeded), else ROLLBACK, and ROLLBACK too when the COMMIT fails. 0
 * only when it committed. A caller's pattern, with its log line after:
 *   if (store_begin(st) != 0 || store_end(st, a(st) == 0 && b(st) == 0))
 */
int		 store_end(struct store *, int ok);

struct store_slot {
	int64_t		 id, host_id;
	enum key_alg	 alg;
	enum slot_state	 state;
	time_t		 state_since;
	int		 failures;
	time_t		 retry_at;
	time_t		 wake_at;
	enum verify_fact verified;
	char		*last_error;
	enum outcome	 last_outcome;	/* of the last failure; OUT_OK: none */
	time_t		 failing_since;	/* first failure of the streak; 0 */
	/* The end of the last run that had work for the host, and of the
	 * last one after which the slot was well (schema/006); 0: never. */
	time_t		 last_run_at;
	time_t		 last_success_at;
	time_t		 created_at;	/* 0: before schema 6 */
	/* What the configured files deployed when last parsed, keyed by
	 * their stat signature (a cache: steady state parses nothing). */
	char		*deployed_sig;
	char		 deployed_spki[65];
	time_t		 deployed_not_after;
};
void		 store_slot_free(struct store_slot *);

struct store_key {
	int64_t		 id;
	char		*role;		/* next, current, retired, discarded */
	char		*path;
	char		 spki[65];	/* hex SHA-256 of the SPKI */
	time_t		 created_at;
	time_t		 current_since;
	char		*chain_path;	/* staged chain, NULL if none */
	time_t		 cert_not_after;
};
void		 store_key_free(struct store_key *);

struct store_rrset {
	int64_t		 id;
	int		 version;
	int		 observed;	/* found, not published by us */
	char		*records;	/* tlsa_set_format(); "" = no RRset */
	int64_t		 ttl, neg_ttl;
	time_t		 created_at, published_at;
	time_t		 propagated_at;	/* whole seconds, rounded up */
	int64_t		 propagated_ms;	/* ms since the epoch, rounded up */
	/* The boot clock when propagated_at was recorded (id "" if not). */
	char		 propagated_boot_id[40];
	int64_t		 propagated_boot_s;
};
void		 store_rrsets_free(struct store_rrset *, int n);

/* Hosts and slots: created on first sight, found by name; forced (may be
 * NULL) reads the host's forced-roll flag. */
int	 store_host_get(struct store *, const char *name, int create,
	    time_t now, int64_t *id, int *forced);
int	 store_host_force(struct store *, int64_t host_id, int on);
int	 store_slot_get(struct store *, int64_t host_id, enum key_alg,
	    int create, time_t now, struct store_slot *);
/* Moves the slot to state, logging "old -> new: reason" as an event when
 * the state changes. */
int	 store_slot_set_state(struct store *, struct store_slot *,
	    const char *host, enum slot_state, const char *reason, time_t now);
/* failures 0 clears the failure (o and now are then ignored); else now
 * dates the streak's first failure. */
int	 store_slot_set_failure(struct store *, struct store_slot *,
	    int failures, time_t retry_at, enum outcome o, const char *error,
	    time_t now);
int	 store_slot_set_verified(struct store *, struct store_slot *,
	    enum verify_fact);
int	 store_slot_set_wake(struct store *, struct store_slot *, time_t);
int	 store_slot_set_deployed(struct store *, struct store_slot *,
	    const char *sig, const char *spki, time_t not_after);

/*
 * The runs themselves (schema/006). store_run_finished: a run over every
 * host (host NULL) or one that named host ended at t. store_slots_ran: a
 * run that had work for the host ended at t: every slot's last_run_at is
 * t, and its last_success_at too unless its algorithm's bit is in bad
 * (it failed or raised a critical alert in that run; ~0u: the host could
 * not be handled at all), it has a failure on record or it is stopped;
 * then it keeps the success an idle run since its last_run_at (and its
 * creation) gave it (check_last_success), so call it before
 * store_run_finished of the same run. store_run_last: when the last run
 * covering host ended (0: never).
 */
int	 store_run_finished(struct store *, const char *host, time_t t);
int	 store_slots_ran(struct store *, const char *host, unsigned bad,
	    time_t t);
int	 store_run_last(struct store *, const char *host, time_t *at);

/* Keys: 1 found, 0 none, -1 error. */
int	 store_key_get(struct store *, int64_t slot_id, const char *role,
	    struct store_key *);
/* Adds a key; *id (if not NULL) is its row. */
int	 store_key_add(struct store *, int64_t slot_id, const char *role,
	    const char *path, const char *spki, time_t now, time_t not_after,
	    int64_t *id);
int	 store_key_set_chain(struct store *, int64_t key_id,
	    const char *chain_path, time_t not_after);
/* next -> current, current -> retired, in the caller's transaction. */
int	 store_key_promote(struct store *, int64_t slot_id, time_t now);
/* Every role a key has had: retired and discarded too (for `check`). */
int	 store_key_set_role(struct store *, int64_t key_id, const char *role,
	    time_t now);

/* Retired and discarded keys not yet deleted, newest first; *n = 0 when
 * there are none. Free with store_keys_free. */
int	 store_keys_retired(struct store *, int64_t slot_id,
	    struct store_key **, int *n);
void	 store_keys_free(struct store_key *, int n);
/* The key's file is gone from the disk (retired and discarded keys only). */
int	 store_key_deleted(struct store *, int64_t key_id, time_t now);
/* Private keys of a slot still on disk: current, next, and the retired and
 * discarded ones not yet deleted. */
int	 store_keys_kept(struct store *, int64_t slot_id, int *n);

/* Owners and RRset versions. */
int	 store_owner_id(struct store *, int64_t host_id, const char *name,
	    int create, int64_t *id);
/* All versions, oldest first; *n = 0 when there are none. */
int	 store_rrsets(struct store *, int64_t owner_id,
	    struct store_rrset **, int *n);
int	 store_rrset_add(struct store *, int64_t owner_id, int observed,
	    const char *records, int64_t ttl, int64_t neg_ttl, time_t now,
	    int64_t *id);
int	 store_rrset_published(struct store *, int64_t rrset_id, time_t now);
/* Every address serves it since at_ms (ms since the epoch, rounded up). */
int	 store_rrset_propagated(struct store *, int64_t rrset_id,
	    int64_t at_ms, int64_t neg_ttl);
/*
 * Re-dates to now the host's RRset publish and propagation times later
 * than rr_after, and its slots' retry times later than retry_after (the
 * clock went back, or ran ahead when they were written). Inside a
 * transaction. The number of rows changed, or -1.
 */
int	 store_redate_future(struct store *, int64_t host_id, time_t now,
	    time_t rr_after, time_t retry_after);
int	 store_observation(struct store *, int64_t rrset_id,
	    const char *server, const char *ns, const char *result,
	    uint32_t serial, int64_t now_ms);

/* Side effects: started before, finished after. */
int	 store_action_start(struct store *, int64_t host_id, int64_t slot_id,
	    const char *kind, const char *detail, time_t now, int64_t *id);
int	 store_action_finish(struct store *, int64_t action_id,
	    enum outcome, time_t now);
/* The newest unfinished action of kind for a slot (a crash interrupted
 * it): 1 with *id and *detail (caller frees) set, 0 if none, -1 error. */
int	 store_action_unfinished(struct store *, int64_t slot_id,
	    const char *kind, int64_t *id, char **detail);

int	 store_event(struct store *, time_t now, const char *host,
	    const char *slot, const char *old_state, const char *new_state,
	    const char *reason);

/* For status: iterate events of a host (newest first, at most limit). */
typedef void (*store_event_fn)(time_t at, const char *slot,
	    const char *old_state, const char *new_state, const char *reason,
	    void *arg);
int	 store_events(struct store *, const char *host, int limit,
	    store_event_fn, void *arg);

#endif
