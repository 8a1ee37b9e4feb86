/*
 * store - SQLite state. See include/store.h.
 *
 * Statements are prepared once per connection and cached by the address of
 * their SQL text (always a string literal here), so a steady-state run over
 * a thousand hosts costs no parsing after the first host.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fsutil.h"
#include "log.h"
#include "store.h"

/* 'DRol': marks a database as daneroll's. */
#define STORE_APP_ID	0x44526f6c
#define STMT_CACHE	64

extern const char *const store_migrations[];

/* A state change said once its transaction has committed. */
struct said {
	char		*host, *alg, *line;
};

struct store {
	sqlite3		*db;
	char		*path;
	int		 reads;		/* nested store_begin_read depth */
	struct said	*said;		/* the open transaction's */
	int		 nsaid;
	struct {
		const char	*sql;
		sqlite3_stmt	*stmt;
	} cache[STMT_CACHE];
};

/* The open transaction's state changes: said (flush) or forgotten. */
static void
said_end(struct store *st, int flush)
{
	int i;

	for (i = 0; i < st->nsaid; i++) {
		if (flush)
			log_msg(LOG_LVL_NOTICE, st->said[i].host,
			    st->said[i].alg, "%s", st->said[i].line);
		free(st->said[i].host);
		free(st->said[i].alg);
		free(st->said[i].line);
	}
	free(st->said);
	st->said = NULL;
	st->nsaid = 0;
}

int
store_schema_latest(void)
{
	int n = 0;

	while (store_migrations[n] != NULL)
		n++;
	return n;
}

/* SQLite's message, and the system's where there is one: "disk I/O
 * error" alone does not say that the file system is full. */
static void
db_error(struct store *st, const char *what)
{
	int se = sqlite3_system_errno(st->db);

	if (se != 0)
		log_err("%s: %s: %s (%s)", st->path, what,
		    sqlite3_errmsg(st->db), strerror(se));
	else
		log_err("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

/*
 * A prepared, reset statement with its parameters bound from types:
 * 'i' int64_t, 't' time_t, 'd' int, 's' string (NULL binds NULL).
 */
static sqlite3_stmt *
stmt(struct store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int i, slot = -1;

	for (i = 0; i < STMT_CACHE; i++) {
		if (st->cache[i].sql == sql) {
			s = st->cache[i].stmt;
			break;
		}
		if (st->cache[i].sql == NULL && slot < 0)
			slot = i;
	}
	if (s == NULL) {
		if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
			db_error(st, "prepare");
			return NULL;
		}
		if (slot >= 0) {
			st->cache[slot].sql = sql;
			st->cache[slot].stmt = s;
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	va_start(ap, types);
	for (i = 0; types[i] != '\0'; i++) {
		int rc = SQLITE_OK;

		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
			break;
		case 't':
			rc = sqlite3_bind_int64(s, i + 1,
			    (int64_t)va_arg(ap, time_t));
			break;
		case 'd':
			rc = sqlite3_bind_int(s, i + 1, va_arg(ap, int));
			break;
		case 's': {
			const char *v = va_arg(ap, const char *);

			rc = v ? sqlite3_bind_text(s, i + 1, v, -1,
			    SQLITE_TRANSIENT) : sqlite3_bind_null(s, i + 1);
			break;
		}
		}
		if (rc != SQLITE_OK) {
			db_error(st, "bind");
			s = NULL;
			break;
		}
	}
	va_end(ap);
	return s;
}

/* Runs a statement that returns no rows; 0 or -1 (logged). */
static int
run(struct store *st, sqlite3_stmt *s)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_error(st, "write");
		return -1;
	}
	return 0;
}

static char *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

/* Resets a read after its last step, rc; 0 if rc is want, else -1 (logged). */
static int
read_end(struct store *st, sqlite3_stmt *s, int rc, int want)
{
	sqlite3_reset(s);
	if (rc != want) {
		db_error(st, "read");
		return -1;
	}
	return 0;
}

/*
 * Steps s to its end, one element of size bytes a row, filled by fill, in a
 * new array it returns (the caller frees), *n rows, *rc 0; on error *rc -1
 * (logged), NULL and no rows: those read are freed by drop.
 */
static void *
select_rows(struct store *st, sqlite3_stmt *s, size_t size,
    void (*fill)(sqlite3_stmt *, void *), void (*drop)(void *, int), int *n,
    int *rc)
{
	char *v = NULL;
	int count = 0, r;

	*n = 0;
	*rc = -1;
	if (s == NULL)
		return NULL;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (size_t)(count + 1) * size);
		fill(s, v + (size_t)count++ * size);
	}
	if (read_end(st, s, r, SQLITE_DONE) != 0) {
		drop(v, count);
		return NULL;
	}
	*n = count;
	*rc = 0;
	return v;
}

static int
pragma_int(struct store *st, const char *sql, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int(s, 0);
		rc = 0;
	}
done:
	if (rc != 0)
		db_error(st, "cannot read the database");
	sqlite3_finalize(s);
	return rc;
}

static int
exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_err("%s: %s", st->path, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
migrate(struct store *st, int from)
{
	int v;

	for (v = from; store_migrations[v] != NULL; v++) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;",
		    v + 1);
		if (exec(st, "BEGIN IMMEDIATE;") != 0)
			return -1;
		if (exec(st, store_migrations[v]) != 0 ||
		    exec(st, pragma) != 0) {
			exec(st, "ROLLBACK;");
			log_err("%s: migration to schema %d failed; the "
			    "database is unchanged", st->path, v + 1);
			return -1;
		}
		if (exec(st, "COMMIT;") != 0)
			return -1;
		log_info("%s: schema migrated to version %d", st->path, v + 1);
	}
	return 0;
}

/* Refuses what is not ours or is newer; 0 if usable as is or by migrating. */
static int
check_identity(struct store *st, int *version)
{
	int app = 0, tables = 0, ok = 0;

	if (pragma_int(st, "PRAGMA schema_version;", &tables) != 0)
		return -1;	/* not a database at all, or corrupt */
	if (pragma_int(st, "PRAGMA application_id;", &app) != 0 ||
	    pragma_int(st, "PRAGMA user_version;", version) != 0)
		return -1;
	if (tables != 0 && app != STORE_APP_ID) {
		log_err("%s: not a daneroll database; refusing to touch it",
		    st->path);
		return -1;
	}
	if (*version > store_schema_latest()) {
		log_err("%s: written by a newer daneroll (schema %d; this "
		    "build knows %d); refusing to touch it", st->path,
		    *version, store_schema_latest());
		return -1;
	}
	/*
	 * No PRAGMA quick_check here: it reads the whole file on every run.
	 * SQLite reports a damaged page as SQLITE_CORRUPT when it reads it,
	 * which fails the transaction and leaves the file alone; a file
	 * that is not a database at all failed the pragmas above.
	 */
	ok = 1;
	return ok ? 0 : -1;
}

enum outcome
store_open(const char *dir, int readonly, struct store **out)
{
	struct store *st = xcalloc(1, sizeof(*st));
	enum outcome o = OUT_PERMFAIL;
	struct stat sb;
	int version = 0, exists, flags;

	*out = NULL;
	/* No memory statistics, and so no global mutex on every allocation;
	 * refused (harmlessly) once SQLite is initialized. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	st->path = xasprintf("%s/%s", dir, STORE_DB_NAME);
	/* A state directory (or database) someone else can change is
	 * refused before anything in it is read or written. */
	if (fs_secure_path(dir, FS_SP_DIR | FS_SP_MISSING) != 0 ||
	    fs_secure_path(st->path, FS_SP_FILE | FS_SP_MISSING) != 0)
		goto done;
	exists = stat(st->path, &sb) == 0;
	if (!exists && errno != ENOENT) {
		/* Unreadable is not "nothing recorded yet": never show an
		 * empty state for a database we cannot see. */
		log_err("%s: %s", st->path, strerror(errno));
		goto done;
	}
	if (readonly && !exists) {
		/* Nothing recorded yet: an empty in-memory state answers
		 * read commands without creating anything on disk. */
		if (sqlite3_open(":memory:", &st->db) != SQLITE_OK)
			goto done;
		if (exec(st, "PRAGMA foreign_keys = ON;") != 0 ||
		    migrate(st, 0) != 0)
			goto done;
		o = OUT_OK;
		goto done;
	}
	if (!readonly && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_err("%s: cannot create the state directory: %s", dir,
		    strerror(errno));
		goto done;
	}
	/* Again, now that it exists: someone may have made it first. */
	if (!readonly && fs_secure_path(dir, FS_SP_DIR) != 0)
		goto done;
	/* One thread uses a connection: no per-call mutex (a tenth of an
	 * idle run's instructions at 10,000 hosts went to them). */
	flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if (sqlite3_open_v2(st->path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db != NULL && sqlite3_system_errno(st->db) != 0)
			log_err("%s: cannot open: %s (%s)", st->path,
			    sqlite3_errmsg(st->db),
			    strerror(sqlite3_system_errno(st->db)));
		else
			log_err("%s: cannot open: %s", st->path,
			    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(st->db, 10000);
	if (check_identity(st, &version) != 0)
		goto done;
	if (readonly) {
		if (version != store_schema_latest()) {
			log_err("%s: schema %d needs migrating to %d; run "
			    "daneroll without -n once", st->path, version,
			    store_schema_latest());
			goto done;
		}
		o = exec(st, "PRAGMA foreign_keys = ON;") == 0 ? OUT_OK :
		    OUT_PERMFAIL;
		goto done;
	}
	if (!exists)
		(void)chmod(st->path, 0600);
	if (exec(st, "PRAGMA journal_mode = WAL;") != 0 ||
	    exec(st, "PRAGMA synchronous = FULL;") != 0 ||
	    exec(st, "PRAGMA foreign_keys = ON;") != 0)
		goto done;
	if (version == 0) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d;",
		    STORE_APP_ID);
		if (exec(st, pragma) != 0)
			goto done;
	}
	if (migrate(st, version) != 0)
		goto done;
	o = OUT_OK;
done:
	if (o == OUT_OK)
		*out = st;
	else
		store_close(st);
	return o;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	said_end(st, 0);	/* an open transaction dies with the handle */
	for (i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* BEGIN, COMMIT or ROLLBACK, prepared once per connection (stmt's cache)
 * rather than parsed again at every transaction of a run. */
static int
txn(struct store *st, const char *sql)
{
	sqlite3_stmt *s = stmt(st, sql, "");
	int rc = -1;

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		log_err("%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_reset(s);
	return rc;
}

int
store_begin(struct store *st)
{
	return txn(st, "BEGIN IMMEDIATE;");
}

int
store_begin_read(struct store *st)
{
	if (st->reads > 0) {
		st->reads++;
		return 0;
	}
	if (txn(st, "BEGIN DEFERRED;") != 0)
		return -1;
	st->reads = 1;
	return 0;
}

int
store_commit(struct store *st)
{
	if (st->reads > 1) {
		st->reads--;
		return 0;
	}
	st->reads = 0;
	if (txn(st, "COMMIT;") != 0) {
		said_end(st, 0);
		return -1;
	}
	said_end(st, 1);
	return 0;
}

int
store_end(struct store *st, int ok)
{
	if (ok && store_commit(st) == 0)
		return 0;
	store_rollback(st);
	return -1;
}

void
store_rollback(struct store *st)
{
	/* An inner read's rollback leaves the outer snapshot open: it
	 * wrote nothing, and its caller owns the transaction. */
	if (st->reads > 1) {
		st->reads--;
		return;
	}
	st->reads = 0;
	said_end(st, 0);
	if (!sqlite3_get_autocommit(st->db))
		(void)txn(st, "ROLLBACK;");
}

/*
 * Steps a SELECT whose first column is an id: 1 with *id set (and the
 * statement left on the row for the caller to read more columns from
 * before resetting it), 0 if no row, -1 on error (logged).
 */
static int
select_id(struct store *st, sqlite3_stmt *s, int64_t *id)
{
	int rc;

	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		return 1;
	}
	return read_end(st, s, rc, SQLITE_DONE);
}

/* Runs an INSERT; 1 with *id the new row, -1 on error. */
static int
insert_id(struct store *st, sqlite3_stmt *s, int64_t *id)
{
	if (run(st, s) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 1;
}

/* Hosts and slots. */

int
store_host_get(struct store *st, const char *name, int create, time_t now,
    int64_t *id, int *forced)
{
	static const char q[] = "SELECT id, force_roll FROM hosts "
	    "WHERE name = ?;";
	static const char ins[] =
	    "INSERT INTO hosts (name, created_at) VALUES (?, ?);";
	sqlite3_stmt *s = stmt(st, q, "s", name);
	int rc;

	if (forced != NULL)
		*forced = 0;
	if ((rc = select_id(st, s, id)) == 1) {
		if (forced != NULL)
			*forced = sqlite3_column_int(s, 1);
		sqlite3_reset(s);
	}
	if (rc != 0 || !create)
		return rc;
	return insert_id(st, stmt(st, ins, "st", name, now), id);
}

int
store_host_force(struct store *st, int64_t host_id, int on)
{
	static const char q[] = "UPDATE hosts SET force_roll = ? WHERE id = ?;";

	return run(st, stmt(st, q, "di", on, host_id));
}

static enum verify_fact
verified_parse(const char *s)
{
	if (s != NULL && strcmp(s, "ok") == 0)
		return VF_OK;
	if (s != NULL && strcmp(s, "failed") == 0)
		return VF_FAILED;
	if (s != NULL && strcmp(s, "reload") == 0)
		return VF_RELOAD_PENDING;
	return VF_UNKNOWN;
}

static const char *
verified_str(enum verify_fact v)
{
	return v == VF_OK ? "ok" : v == VF_FAILED ? "failed" :
	    v == VF_RELOAD_PENDING ? "reload" : "unknown";
}

/* The columns of a slot after its id and state (store_slot_get's q). */
static void
slot_row(sqlite3_stmt *s, struct store_slot *out)
{
	out->state_since = (time_t)sqlite3_column_int64(s, 2);
	out->failures = sqlite3_column_int(s, 3);
	out->retry_at = (time_t)sqlite3_column_int64(s, 4);
	out->wake_at = (time_t)sqlite3_column_int64(s, 5);
	out->verified = verified_parse(
	    (const char *)sqlite3_column_text(s, 6));
	out->last_error = col_str(s, 7);
	out->deployed_sig = col_str(s, 8);
	if (sqlite3_column_text(s, 9) != NULL)
		snprintf(out->deployed_spki, sizeof(out->deployed_spki),
		    "%s", (const char *)sqlite3_column_text(s, 9));
	out->deployed_not_after = (time_t)sqlite3_column_int64(s, 10);
	out->last_outcome = outcome_parse(
	    (const char *)sqlite3_column_text(s, 11));
	out->failing_since = (time_t)sqlite3_column_int64(s, 12);
	out->last_run_at = (time_t)sqlite3_column_int64(s, 13);
	out->last_success_at = (time_t)sqlite3_column_int64(s, 14);
	out->created_at = (time_t)sqlite3_column_int64(s, 15);
}

int
store_slot_get(struct store *st, int64_t host_id, enum key_alg alg,
    int create, time_t now, struct store_slot *out)
{
	static const char q[] = "SELECT id, state, state_since, failures, "
	    "retry_at, wake_at, verified, last_error, deployed_sig, "
	    "deployed_spki, deployed_not_after, last_outcome, failing_since, "
	    "last_run_at, last_success_at, created_at FROM slots "
	    "WHERE host_id = ? AND alg = ?;";
	static const char ins[] = "INSERT INTO slots (host_id, alg, state, "
	    "state_since, created_at) VALUES (?1, ?2, 'new', ?3, ?3);";
	const char *name = key_alg_str(alg);
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	out->host_id = host_id;
	out->alg = alg;
	s = stmt(st, q, "is", host_id, name);
	if ((rc = select_id(st, s, &out->id)) == 1) {
		const char *state = (const char *)sqlite3_column_text(s, 1);

		if (state == NULL || slot_state_parse(state, &out->state) != 0) {
			log_err("%s: slot %s has an unknown state \"%s\"",
			    st->path, name, state ? state : "");
			sqlite3_reset(s);
			return -1;
		}
		slot_row(s, out);
		sqlite3_reset(s);
		return 1;
	}
	if (rc != 0 || !create)
		return rc;
	if (insert_id(st, stmt(st, ins, "ist", host_id, name, now),
	    &out->id) != 1)
		return -1;
	out->state = SLOT_NEW;
	out->state_since = now;
	out->created_at = now;
	return 1;
}

void
store_slot_free(struct store_slot *s)
{
	free(s->last_error);
	free(s->deployed_sig);
	s->last_error = NULL;
	s->deployed_sig = NULL;
}

int
store_slot_set_state(struct store *st, struct store_slot *sl,
    const char *host, enum slot_state to, const char *reason, time_t now)
{
	static const char q[] = "UPDATE slots SET state = ?, state_since = ? "
	    "WHERE id = ?;";
	const char *alg = key_alg_str(sl->alg);
	char *line;

	if (sl->state == to)
		return 0;
	if (run(st, stmt(st, q, "sti", slot_state_str(to), now, sl->id)) != 0 ||
	    store_event(st, now, host, alg, slot_state_str(sl->state),
	    slot_state_str(to), reason) != 0)
		return -1;
	line = xasprintf("%s -> %s: %s", slot_state_str(sl->state),
	    slot_state_str(to), reason);
	if (sqlite3_get_autocommit(st->db)) {
		log_msg(LOG_LVL_NOTICE, host, alg, "%s", line);
		free(line);
	} else {
		/* Said when, and if, the transaction commits. */
		st->said = xrealloc(st->said, (size_t)(st->nsaid + 1) *
		    sizeof(*st->said));
		st->said[st->nsaid].host = host ? xstrdup(host) : NULL;
		st->said[st->nsaid].alg = alg ? xstrdup(alg) : NULL;
		st->said[st->nsaid++].line = line;
	}
	sl->state = to;
	sl->state_since = now;
	return 0;
}

int
store_slot_set_failure(struct store *st, struct store_slot *sl, int failures,
    time_t retry_at, enum outcome o, const char *error, time_t now)
{
	static const char q[] = "UPDATE slots SET failures = ?, retry_at = ?, "
	    "last_outcome = ?, last_error = ?, failing_since = ? "
	    "WHERE id = ?;";
	time_t since = failures == 0 ? 0 : sl->failing_since != 0 ?
	    sl->failing_since : now;

	if (failures == 0)
		o = OUT_OK;
	if (run(st, stmt(st, q, "dtssti", failures, retry_at, o == OUT_OK ?
	    NULL : outcome_str(o), error, since, sl->id)) != 0)
		return -1;
	sl->failures = failures;
	sl->retry_at = retry_at;
	sl->last_outcome = o;
	sl->failing_since = since;
	if (error != sl->last_error) {	/* the caller may keep the error */
		free(sl->last_error);
		sl->last_error = error ? xstrdup(error) : NULL;
	}
	return 0;
}

int
store_slot_set_verified(struct store *st, struct store_slot *sl,
    enum verify_fact v)
{
	static const char q[] = "UPDATE slots SET verified = ? WHERE id = ?;";

	if (run(st, stmt(st, q, "si", verified_str(v), sl->id)) != 0)
		return -1;
	sl->verified = v;
	return 0;
}

int
store_slot_set_wake(struct store *st, struct store_slot *sl, time_t at)
{
	static const char q[] = "UPDATE slots SET wake_at = ? WHERE id = ?;";

	if (sl->wake_at == at)
		return 0;
	if (run(st, stmt(st, q, "ti", at, sl->id)) != 0)
		return -1;
	sl->wake_at = at;
	return 0;
}

int
store_slot_set_deployed(struct store *st, struct store_slot *sl,
    const char *sig, const char *spki, time_t not_after)
{
	static const char q[] = "UPDATE slots SET deployed_sig = ?, "
	    "deployed_spki = ?, deployed_not_after = ? WHERE id = ?;";

	if (run(st, stmt(st, q, "ssti", sig, spki, not_after, sl->id)) != 0)
		return -1;
	free(sl->deployed_sig);
	sl->deployed_sig = sig ? xstrdup(sig) : NULL;
	snprintf(sl->deployed_spki, sizeof(sl->deployed_spki), "%s",
	    spki ? spki : "");
	sl->deployed_not_after = not_after;
	return 0;
}

/* The runs themselves. */

int
store_run_finished(struct store *st, const char *host, time_t t)
{
	static const char q[] = "INSERT INTO runs (scope, finished_at) "
	    "VALUES (?, ?) ON CONFLICT (scope) DO UPDATE SET "
	    "finished_at = excluded.finished_at;";

	return run(st, stmt(st, q, "st", host != NULL ? host : "*", t));
}

int
store_slots_ran(struct store *st, const char *host, unsigned bad, time_t t)
{
	/* Not well after this run: the last success stays, or becomes the
	 * end of a run since the slot's last_run_at and its creation that
	 * found the host idle (it wrote nothing, and an idle slot is a well
	 * one): that success is only derived until now (check_last_success).
	 * Run before this run's own end is in runs. */
	static const char q[] = "UPDATE slots SET last_run_at = ?1, "
	    "last_success_at = CASE WHEN ?2 AND failures = 0 AND "
	    "state <> 'failed' THEN ?1 ELSE max(coalesce(last_success_at, 0), "
	    "coalesce((SELECT max(finished_at) FROM runs WHERE scope IN "
	    "('*', ?4) AND finished_at > coalesce(slots.last_run_at, 0) AND "
	    "finished_at >= coalesce(slots.created_at, 0)), 0)) "
	    "END WHERE alg = ?3 AND host_id = (SELECT id FROM hosts "
	    "WHERE name = ?4);";
	int a;

	for (a = 0; a < KEY_ALG_COUNT; a++)
		if (run(st, stmt(st, q, "tdss", t, !(bad & (1u << a)),
		    key_alg_str((enum key_alg)a), host)) != 0)
			return -1;
	return 0;
}

int
store_run_last(struct store *st, const char *host, time_t *at)
{
	static const char q[] = "SELECT max(finished_at) FROM runs "
	    "WHERE scope IN ('*', ?);";
	sqlite3_stmt *s = stmt(st, q, "s", host);
	int64_t v = 0;
	int rc;

	*at = 0;
	if ((rc = select_id(st, s, &v)) < 0)
		return -1;
	if (rc == 1)
		sqlite3_reset(s);
	*at = (time_t)v;
	return 0;
}

/* Keys. */

#define KEY_COLUMNS "id, role, path, spki_sha256, created_at, " \
	    "current_since, chain_path, cert_not_after"

static void
key_row(sqlite3_stmt *s, void *row)
{
	struct store_key *k = row;

	k->id = sqlite3_column_int64(s, 0);
	k->role = col_str(s, 1);
	k->path = col_str(s, 2);
	snprintf(k->spki, sizeof(k->spki), "%s",
	    (const char *)sqlite3_column_text(s, 3));
	k->created_at = (time_t)sqlite3_column_int64(s, 4);
	k->current_since = (time_t)sqlite3_column_int64(s, 5);
	k->chain_path = col_str(s, 6);
	k->cert_not_after = (time_t)sqlite3_column_int64(s, 7);
}

int
store_key_get(struct store *st, int64_t slot_id, const char *role,
    struct store_key *k)
{
	static const char q[] = "SELECT " KEY_COLUMNS " FROM keys "
	    "WHERE slot_id = ? AND role = ? ORDER BY id DESC LIMIT 1;";
	sqlite3_stmt *s = stmt(st, q, "is", slot_id, role);
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = select_id(st, s, &k->id)) == 1) {
		key_row(s, k);
		sqlite3_reset(s);
	}
	return rc;
}

void
store_key_free(struct store_key *k)
{
	free(k->role);
	free(k->path);
	free(k->chain_path);
	memset(k, 0, sizeof(*k));
}

int
store_key_add(struct store *st, int64_t slot_id, const char *role,
    const char *path, const char *spki, time_t now, time_t not_after,
    int64_t *id)
{
	static const char q[] = "INSERT INTO keys (slot_id, role, path, "
	    "spki_sha256, created_at, current_since, cert_not_after) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?);";
	time_t since = strcmp(role, "current") == 0 ? now : 0;

	if (run(st, stmt(st, q, "issstti", slot_id, role, path, spki, now,
	    since, (int64_t)not_after)) != 0)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_key_set_chain(struct store *st, int64_t key_id, const char *chain,
    time_t not_after)
{
	static const char q[] = "UPDATE keys SET chain_path = ?, "
	    "cert_not_after = ? WHERE id = ?;";

	return run(st, stmt(st, q, "sti", chain, not_after, key_id));
}

int
store_key_promote(struct store *st, int64_t slot_id, time_t now)
{
	static const char retire[] = "UPDATE keys SET role = 'retired', "
	    "retired_at = ? WHERE slot_id = ? AND role = 'current';";
	static const char promote[] = "UPDATE keys SET role = 'current', "
	    "current_since = ? WHERE slot_id = ? AND role = 'next';";

	if (run(st, stmt(st, retire, "ti", now, slot_id)) != 0)
		return -1;
	return run(st, stmt(st, promote, "ti", now, slot_id));
}

int
store_key_set_role(struct store *st, int64_t key_id, const char *role,
    time_t now)
{
	static const char q[] = "UPDATE keys SET role = ?, retired_at = ? "
	    "WHERE id = ?;";

	return run(st, stmt(st, q, "sti", role, now, key_id));
}

void
store_keys_free(struct store_key *k, int n)
{
	int i;

	for (i = 0; i < n; i++)
		store_key_free(&k[i]);
	free(k);
}

static void
keys_drop(void *v, int n)
{
	store_keys_free(v, n);
}

/* Retired and discarded keys still on disk, newest first. */
int
store_keys_retired(struct store *st, int64_t slot_id, struct store_key **out,
    int *n)
{
	/* The WHERE of the partial index keys_unpruned (schema/007), word
	 * for word: asked for every resting slot on every run. */
	static const char q[] = "SELECT " KEY_COLUMNS " FROM keys "
	    "WHERE slot_id = ? AND role IN ('retired', 'discarded') AND "
	    "deleted_at IS NULL ORDER BY id DESC;";
	int rc;

	*out = select_rows(st, stmt(st, q, "i", slot_id), sizeof(**out),
	    key_row, keys_drop, n, &rc);
	return rc;
}

int
store_key_deleted(struct store *st, int64_t key_id, time_t now)
{
	static const char q[] = "UPDATE keys SET deleted_at = ? WHERE id = ? "
	    "AND role IN ('retired', 'discarded');";

	return run(st, stmt(st, q, "ti", now, key_id));
}

int
store_keys_kept(struct store *st, int64_t slot_id, int *n)
{
	static const char q[] = "SELECT count(*) FROM keys WHERE slot_id = ? "
	    "AND deleted_at IS NULL;";
	sqlite3_stmt *s = stmt(st, q, "i", slot_id);
	int rc;

	*n = 0;
	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = sqlite3_column_int(s, 0);
	return read_end(st, s, rc, SQLITE_ROW);
}

/* Owners and RRsets. */

int
store_owner_id(struct store *st, int64_t host_id, const char *name,
    int create, int64_t *id)
{
	static const char q[] = "SELECT id FROM owners WHERE host_id = ? AND "
	    "name = ?;";
	static const char ins[] = "INSERT INTO owners (host_id, name) "
	    "VALUES (?, ?);";
	sqlite3_stmt *s = stmt(st, q, "is", host_id, name);
	int rc;

	if ((rc = select_id(st, s, id)) == 1)
		sqlite3_reset(s);
	if (rc != 0 || !create)
		return rc;
	return insert_id(st, stmt(st, ins, "is", host_id, name), id);
}

static void
rrset_row(sqlite3_stmt *s, void *row)
{
	struct store_rrset *r = row;

	r->id = sqlite3_column_int64(s, 0);
	r->version = sqlite3_column_int(s, 1);
	r->observed = strcmp((const char *)sqlite3_column_text(s, 2),
	    "observed") == 0;
	r->records = col_str(s, 3);
	r->ttl = sqlite3_column_int64(s, 4);
	r->neg_ttl = sqlite3_column_int64(s, 5);
	r->created_at = (time_t)sqlite3_column_int64(s, 6);
	r->published_at = (time_t)sqlite3_column_int64(s, 7);
	r->propagated_at = (time_t)sqlite3_column_int64(s, 8);
	r->propagated_boot_id[0] = '\0';
	if (sqlite3_column_type(s, 9) == SQLITE_TEXT)
		snprintf(r->propagated_boot_id,
		    sizeof(r->propagated_boot_id), "%s",
		    (const char *)sqlite3_column_text(s, 9));
	r->propagated_boot_s = sqlite3_column_int64(s, 10);
	/* Before schema 4, whole seconds rounded down. */
	if (sqlite3_column_type(s, 11) == SQLITE_INTEGER)
		r->propagated_ms = sqlite3_column_int64(s, 11);
	else if (r->propagated_at != 0)
		r->propagated_ms = (int64_t)r->propagated_at * 1000 + 999;
	else
		r->propagated_ms = 0;
}

static void
rrsets_drop(void *v, int n)
{
	store_rrsets_free(v, n);
}

int
store_rrsets(struct store *st, int64_t owner_id, struct store_rrset **out,
    int *n)
{
	static const char q[] = "SELECT id, version, origin, records, ttl, "
	    "neg_ttl, created_at, published_at, propagated_at, "
	    "propagated_boot_id, propagated_boot_s, propagated_ms FROM rrsets "
	    "WHERE owner_id = ? ORDER BY version;";
	int rc;

	*out = select_rows(st, stmt(st, q, "i", owner_id), sizeof(**out),
	    rrset_row, rrsets_drop, n, &rc);
	return rc;
}

void
store_rrsets_free(struct store_rrset *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i].records);
	free(v);
}

int
store_rrset_add(struct store *st, int64_t owner_id, int observed,
    const char *records, int64_t ttl, int64_t neg_ttl, time_t now,
    int64_t *id)
{
	static const char q[] = "INSERT INTO rrsets (owner_id, version, "
	    "origin, records, ttl, neg_ttl, created_at) VALUES (?, "
	    "(SELECT COALESCE(MAX(version), 0) + 1 FROM rrsets "
	    "WHERE owner_id = ?), ?, ?, ?, ?, ?);";

	if (run(st, stmt(st, q, "iissiit", owner_id, owner_id,
	    observed ? "observed" : "published", records, ttl, neg_ttl,
	    now)) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_rrset_published(struct store *st, int64_t id, time_t now)
{
	static const char q[] = "UPDATE rrsets SET published_at = ? "
	    "WHERE id = ? AND published_at IS NULL;";

	return run(st, stmt(st, q, "ti", now, id));
}

int
store_rrset_propagated(struct store *st, int64_t id, int64_t at_ms,
    int64_t neg_ttl)
{
	static const char q[] = "UPDATE rrsets SET propagated_at = ?, "
	    "propagated_ms = ?, neg_ttl = ?, propagated_boot_id = ?, "
	    "propagated_boot_s = ? WHERE id = ? AND propagated_at IS NULL;";
	struct boot_clock b;

	/* Read now, beside at: the caller's time of the proof. */
	util_boot_clock(&b);
	return run(st, stmt(st, q, "tiisii", util_ms_to_s_ceil(at_ms), at_ms,
	    neg_ttl, b.known ? b.id : NULL, b.known ? b.secs : (int64_t)0,
	    id));
}

int
store_redate_future(struct store *st, int64_t host_id, time_t now,
    time_t rr_after, time_t retry_after)
{
	static const char rr[] = "UPDATE rrsets SET "
	    "published_at = MIN(published_at, ?1), "
	    "propagated_at = MIN(propagated_at, ?1), "
	    "propagated_ms = MIN(propagated_ms, ?1 * 1000) "
	    "WHERE (published_at > ?2 OR propagated_at > ?2) AND owner_id IN "
	    "(SELECT id FROM owners WHERE host_id = ?3);";
	static const char sl[] = "UPDATE slots SET retry_at = ?1 "
	    "WHERE retry_at > ?2 AND host_id = ?3;";
	int n;

	if (run(st, stmt(st, rr, "tti", now, rr_after, host_id)) != 0)
		return -1;
	n = sqlite3_changes(st->db);
	if (run(st, stmt(st, sl, "tti", now, retry_after, host_id)) != 0)
		return -1;
	return n + sqlite3_changes(st->db);
}

int
store_observation(struct store *st, int64_t rrset_id, const char *server,
    const char *ns, const char *result, uint32_t serial, int64_t now_ms)
{
	static const char q[] = "INSERT INTO observations (rrset_id, server, "
	    "ns, result, serial, observed_at, observed_ms) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?);";

	return run(st, stmt(st, q, "isssiti", rrset_id, server, ns, result,
	    (int64_t)serial, util_ms_to_s_ceil(now_ms), now_ms));
}

/* Actions and events. */

int
store_action_start(struct store *st, int64_t host_id, int64_t slot_id,
    const char *kind, const char *detail, time_t now, int64_t *id)
{
	static const char q[] = "INSERT INTO actions (host_id, slot_id, kind, "
	    "detail, started_at) VALUES (?, NULLIF(?, 0), ?, ?, ?);";

	if (run(st, stmt(st, q, "iisst", host_id, slot_id, kind, detail,
	    now)) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_action_finish(struct store *st, int64_t id, enum outcome o, time_t now)
{
	static const char q[] = "UPDATE actions SET finished_at = ?, "
	    "outcome = ? WHERE id = ?;";

	return run(st, stmt(st, q, "tsi", now, outcome_str(o), id));
}

int
store_action_unfinished(struct store *st, int64_t slot_id, const char *kind,
    int64_t *id, char **detail)
{
	static const char q[] = "SELECT id, detail FROM actions WHERE "
	    "slot_id = ? AND kind = ? AND finished_at IS NULL "
	    "ORDER BY id DESC LIMIT 1;";
	sqlite3_stmt *s = stmt(st, q, "is", slot_id, kind);
	int rc;

	*detail = NULL;
	if ((rc = select_id(st, s, id)) == 1) {
		*detail = col_str(s, 1);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_event(struct store *st, time_t now, const char *host, const char *slot,
    const char *old_state, const char *new_state, const char *reason)
{
	static const char q[] = "INSERT INTO events (at, host, slot, "
	    "old_state, new_state, reason) VALUES (?, ?, ?, ?, ?, ?);";

	return run(st, stmt(st, q, "tsssss", now, host, slot, old_state,
	    new_state, reason));
}

int
store_events(struct store *st, const char *host, int limit,
    store_event_fn fn, void *arg)
{
	static const char q[] = "SELECT at, slot, old_state, new_state, "
	    "reason FROM events WHERE host = ? ORDER BY id DESC LIMIT ?;";
	sqlite3_stmt *s = stmt(st, q, "sd", host, limit);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn((time_t)sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    (const char *)sqlite3_column_text(s, 3),
		    (const char *)sqlite3_column_text(s, 4), arg);
	return read_end(st, s, rc, SQLITE_DONE);
}
