/*
 * Unit tests: the store - migrations recorded in user_version, refusal of
 * databases that are not ours, newer or damaged (and never overwritten),
 * the read-only path that creates nothing, an interrupted transaction that
 * leaves no trace, and the append-only event log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "fakes.h"
#include "store.h"
#include "t.h"
#include "util.h"

static const char *
fresh_dir(const char *name)
{
	const char *d = t_path(name);

	mkdir(d, 0700);
	return d;
}

/* A fresh store in fresh_dir(name) that knows mx.example.org (both
 * checked); the directory. */
static const char *
store_with_host(const char *name, struct store **st, int64_t *hid)
{
	const char *d = fresh_dir(name);

	T_INT(store_open(d, 0, st), OUT_OK);
	T_INT(store_host_get(*st, "mx.example.org", 1, 100, hid, NULL), 1);
	return d;
}

/* Frees *s and reads the slot of alg again (checked). */
static void
slot_reread(struct store *st, int64_t hid, enum key_alg alg,
    struct store_slot *s)
{
	store_slot_free(s);
	T_INT(store_slot_get(st, hid, alg, 0, 0, s), 1);
}

/*
 * A run over mx.example.org that had work for it ended at t, the slots of
 * the algorithms in bad failing (store_slots_ran): alg's slot, read again
 * into *s, last ran at t and last succeeded at success (checked).
 */
static void
ran(struct store *st, int64_t hid, unsigned bad, time_t t, enum key_alg alg,
    struct store_slot *s, time_t success)
{
	T_INT(store_slots_ran(st, "mx.example.org", bad, t), 0);
	slot_reread(st, hid, alg, s);
	T_INT(s->last_run_at, t);
	T_INT(s->last_success_at, success);
}

static int
sql(const char *dir, const char *q)
{
	char path[600];
	sqlite3 *db = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, q, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The schema version the database in dir records, read beside the store's
 * own connection; -1 if it cannot be read. */
static int
user_version(const char *dir)
{
	char path[600];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int v = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "PRAGMA user_version;", -1, &s,
	    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
test_migrate(void)
{
	const char *d = fresh_dir("migrate");
	struct store *st = NULL;
	struct stat sb;
	char db[600];

	T_INT(store_open(d, 0, &st), OUT_OK);
	T_INT(user_version(d), store_schema_latest());
	T_CHECK(store_schema_latest() >= 1);
	store_close(st);
	snprintf(db, sizeof(db), "%s/%s", d, STORE_DB_NAME);
	T_CHECK(stat(db, &sb) == 0 && (sb.st_mode & 077) == 0);
	/* Reopening migrates nothing and keeps the data. */
	T_INT(store_open(d, 0, &st), OUT_OK);
	T_INT(user_version(d), store_schema_latest());
	store_close(st);
}

extern const char *const store_migrations[];

/*
 * A database as schema version left it, with mx.example.org and its RSA
 * slot in standby, opened (migrated) to the latest schema: the slot is
 * still there, in standby, and the columns added since are empty (no
 * deployed files parsed, no run).
 */
static void
migrate_from(int version, const char *dir)
{
	const char *d = fresh_dir(dir);
	struct store *st = NULL;
	struct store_slot sl;
	int64_t hid = 0;
	time_t at = -1;
	char q[300];
	int v;

	for (v = 0; v < version; v++)
		T_INT(sql(d, store_migrations[v]), 0);
	snprintf(q, sizeof(q), "PRAGMA application_id = %d; PRAGMA "
	    "user_version = %d; INSERT INTO hosts (name, created_at) VALUES "
	    "('mx.example.org', 1); INSERT INTO slots (host_id, alg, state, "
	    "state_since) VALUES (1, 'rsa2048', 'standby', 1);", 0x44526f6c,
	    version);
	T_INT(sql(d, q), 0);
	if (!T_INT(store_open(d, 0, &st), OUT_OK))
		return;
	T_INT(user_version(d), store_schema_latest());
	T_INT(store_host_get(st, "mx.example.org", 0, 0, &hid, NULL), 1);
	if (T_INT(store_slot_get(st, hid, KEY_ALG_RSA2048, 0, 0, &sl), 1)) {
		T_INT(sl.state, SLOT_STANDBY);
		T_CHECK(sl.deployed_sig == NULL);
		T_INT(sl.last_run_at, 0);
		T_INT(sl.last_success_at, 0);
		store_slot_free(&sl);
	}
	T_INT(store_run_last(st, "mx.example.org", &at), 0);
	T_INT(at, 0);
	store_close(st);
}

static void
test_migrate_keeps_data(void)
{
	T_CHECK(store_schema_latest() >= 3);
	migrate_from(1, "from-v1");
}

static void
test_refuse_newer(void)
{
	const char *d = fresh_dir("newer");
	struct store *st = NULL;

	T_INT(store_open(d, 0, &st), OUT_OK);
	store_close(st);
	T_INT(sql(d, "PRAGMA user_version = 999;"), 0);
	st = NULL;
	T_INT(store_open(d, 0, &st), OUT_PERMFAIL);
	T_CHECK(st == NULL);
	T_CHECK(t_log_has("written by a newer daneroll (schema 999"));
}

static void
test_refuse_foreign(void)
{
	const char *d = fresh_dir("foreign");
	struct store *st = NULL;
	char path[600];
	char *before, *after;

	T_INT(sql(d, "CREATE TABLE mail (id INTEGER);"), 0);
	snprintf(path, sizeof(path), "%s/%s", d, STORE_DB_NAME);
	before = t_read(path);
	T_INT(store_open(d, 0, &st), OUT_PERMFAIL);
	T_CHECK(t_log_has("not a daneroll database"));
	after = t_read(path);
	T_CHECK(before && after && strcmp(before, after) == 0);
	free(before);
	free(after);
}

static void
test_refuse_corrupt(void)
{
	const char *d = fresh_dir("corrupt");
	struct store *st = NULL;
	char name[600];
	const char *path;
	char *after;

	snprintf(name, sizeof(name), "corrupt/%s", STORE_DB_NAME);
	path = t_write(name, "this is not an SQLite database, just text\n"
	    "that happens to sit where the state should be\n");
	T_INT(store_open(d, 0, &st), OUT_PERMFAIL);
	T_CHECK(st == NULL);
	after = t_read(path);
	T_STR(after, "this is not an SQLite database, just text\n"
	    "that happens to sit where the state should be\n");
	free(after);
}

static void
test_readonly_creates_nothing(void)
{
	const char *d = t_path("never-created");
	struct store *st = NULL;
	struct stat sb;
	int64_t id = 0;

	T_INT(store_open(d, 1, &st), OUT_OK);
	T_INT(store_host_get(st, "mx.example.org", 0, 0, &id, NULL), 0);
	store_close(st);
	T_CHECK(stat(d, &sb) != 0);
}

static void
test_interrupted_transaction(void)
{
	const char *d = fresh_dir("interrupted");
	struct store *st = NULL;
	int64_t id = 0;

	T_INT(store_open(d, 0, &st), OUT_OK);
	T_INT(store_begin(st), 0);
	T_INT(store_host_get(st, "mx.example.org", 1, 100, &id, NULL), 1);
	/* Closed mid-transaction, as a crash would: nothing survives. */
	store_close(st);
	st = NULL;
	T_INT(store_open(d, 0, &st), OUT_OK);
	T_INT(store_host_get(st, "mx.example.org", 0, 0, &id, NULL), 0);
	store_close(st);
}

/*
 * Nested read transactions share the outer snapshot: a host another
 * connection adds after the outer begin stays unseen until the outer
 * commit, however many inner reads began and ended (or rolled back).
 */
static void
test_nested_reads(void)
{
	const char *d = fresh_dir("nested");
	struct store *st = NULL, *other = NULL;
	int64_t id = 0;

	T_INT(store_open(d, 0, &st), OUT_OK);
	T_INT(store_open(d, 0, &other), OUT_OK);
	if (st == NULL || other == NULL)
		goto done;
	T_INT(store_host_get(st, "mx0.example.org", 1, 100, &id, NULL), 1);
	T_INT(store_begin_read(st), 0);
	T_INT(store_host_get(st, "mx0.example.org", 0, 0, &id, NULL), 1);
	T_INT(store_begin_read(st), 0);
	T_INT(store_commit(st), 0);
	T_INT(store_begin_read(st), 0);
	store_rollback(st);
	T_INT(store_host_get(other, "mx1.example.org", 1, 100, &id, NULL), 1);
	T_INT(store_host_get(st, "mx1.example.org", 0, 0, &id, NULL), 0);
	T_INT(store_commit(st), 0);
	T_INT(store_host_get(st, "mx1.example.org", 0, 0, &id, NULL), 1);
	/* Writes begin again once the reads are over. */
	T_INT(store_begin(st), 0);
	T_INT(store_commit(st), 0);
done:
	store_close(st);
	store_close(other);
}

static void
test_state_and_events(void)
{
	const char *d;
	struct store *st = NULL;
	struct store_slot s;
	int64_t hid = 0;

	d = store_with_host("events", &st, &hid);
	T_INT(store_slot_get(st, hid, KEY_ALG_ECDSA_P256, 1, 100, &s), 1);
	T_INT(s.state, SLOT_NEW);
	T_INT(store_slot_set_state(st, &s, "mx.example.org", SLOT_PUBLISHING,
	    "test", 101), 0);
	T_CHECK(t_log_has("new -> publishing: test"));
	slot_reread(st, hid, KEY_ALG_ECDSA_P256, &s);
	T_INT(s.state, SLOT_PUBLISHING);
	store_slot_free(&s);
	store_close(st);
	/* The event log refuses edits. */
	T_INT(sql(d, "UPDATE events SET reason = 'x';"), -1);
	T_INT(sql(d, "DELETE FROM events;"), -1);
}

/* In a transaction, "old -> new" is said once it commits, never for a
 * transaction rolled back (or one whose handle closed before COMMIT). */
static void
test_said_after_commit(void)
{
	struct store *st = NULL;
	struct store_slot s;
	int64_t hid = 0;

	(void)store_with_host("said", &st, &hid);
	T_INT(store_slot_get(st, hid, KEY_ALG_ECDSA_P256, 1, 100, &s), 1);
	t_log_reset();
	T_INT(store_begin(st), 0);
	T_INT(store_slot_set_state(st, &s, "mx.example.org", SLOT_PUBLISHING,
	    "rolled back", 101), 0);
	store_rollback(st);
	T_CHECK(!t_log_has("new -> publishing"));
	slot_reread(st, hid, KEY_ALG_ECDSA_P256, &s);
	T_INT(s.state, SLOT_NEW);

	T_INT(store_begin(st), 0);
	T_INT(store_slot_set_state(st, &s, "mx.example.org", SLOT_PUBLISHING,
	    "committed", 102), 0);
	T_CHECK(!t_log_has("new -> publishing"));
	T_INT(store_commit(st), 0);
	T_CHECK(t_log_has("new -> publishing: committed"));

	t_log_reset();
	T_INT(store_begin(st), 0);
	T_INT(store_slot_set_state(st, &s, "mx.example.org", SLOT_AGEING,
	    "never committed", 103), 0);
	store_slot_free(&s);
	store_close(st);
	T_CHECK(!t_log_has("publishing -> ageing"));
}

static void
test_one_next_key(void)
{
	struct store *st = NULL;
	struct store_slot s;
	struct store_key k;
	int64_t hid = 0;
	const char *spki =
	    "0000000000000000000000000000000000000000000000000000000000000000";

	(void)store_with_host("keys", &st, &hid);
	T_INT(store_slot_get(st, hid, KEY_ALG_RSA2048, 1, 100, &s), 1);
	T_INT(store_key_add(st, s.id, "next", "/k1", spki, 100, 0, NULL), 0);
	T_INT(store_key_add(st, s.id, "next", "/k2", spki, 100, 0, NULL), -1);
	T_INT(store_key_promote(st, s.id, 200), 0);
	T_INT(store_key_get(st, s.id, "current", &k), 1);
	T_STR(k.path, "/k1");
	T_INT(k.current_since, 200);
	store_key_free(&k);
	T_INT(store_key_get(st, s.id, "next", &k), 0);
	store_slot_free(&s);
	store_close(st);
}

/* "Served everywhere" is recorded with the boot clock beside it, when
 * one is known. */
static void
test_propagated_boot_clock(void)
{
	struct store *st = NULL;
	struct store_rrset *v = NULL;
	int64_t hid = 0, oid = 0, id1 = 0, id2 = 0;
	int n = 0;

	(void)store_with_host("boot", &st, &hid);
	T_INT(store_owner_id(st, hid, "_25._tcp.mx.example.org", 1, &oid), 1);
	T_INT(store_rrset_add(st, oid, 0, "3 1 1 00", 60, 0, 100, &id1), 0);
	T_INT(store_rrset_add(st, oid, 0, "3 1 1 01", 60, 0, 100, &id2), 0);
	fake_boot_fixed("boot-a", 4242);
	T_INT(store_rrset_propagated(st, id1, 110000, 0), 0);
	fake_boot_fixed(NULL, 0);
	/* 119.001 s: whole seconds round up, milliseconds are kept. */
	T_INT(store_rrset_propagated(st, id2, 119001, 0), 0);
	util_set_boot_clock(NULL);
	T_INT(store_rrsets(st, oid, &v, &n), 0);
	if (T_INT(n, 2)) {
		T_INT(v[0].propagated_at, 110);
		T_STR(v[0].propagated_boot_id, "boot-a");
		T_INT(v[0].propagated_boot_s, 4242);
		T_INT(v[0].propagated_ms, 110000);
		T_INT(v[1].propagated_at, 120);
		T_INT(v[1].propagated_ms, 119001);
		T_STR(v[1].propagated_boot_id, "");
	}
	store_rrsets_free(v, n);
	store_close(st);
}

/*
 * The runs themselves (schema/006): when a run over every host, or one
 * naming a host, ended; and per slot the last run that had work for the
 * host and the last one after which the slot was well (not in bad, no
 * failure on record, not stopped).
 */
static void
test_runs(void)
{
	struct store *st = NULL;
	struct store_slot e, r, n;
	int64_t hid = 0, hid3 = 0;
	time_t at = -1;

	(void)store_with_host("runs", &st, &hid);
	T_INT(store_slot_get(st, hid, KEY_ALG_ECDSA_P256, 1, 100, &e), 1);
	T_INT(store_slot_get(st, hid, KEY_ALG_RSA2048, 1, 100, &r), 1);
	T_INT(e.last_run_at, 0);
	T_INT(e.last_success_at, 0);
	T_INT(store_run_last(st, "mx.example.org", &at), 0);
	T_INT(at, 0);
	T_INT(store_run_finished(st, NULL, 1000), 0);
	T_INT(store_run_last(st, "mx.example.org", &at), 0);
	T_INT(at, 1000);
	T_INT(store_run_finished(st, "mx.example.org", 900), 0);
	T_INT(store_run_last(st, "mx.example.org", &at), 0);
	T_INT(at, 1000);		/* the later of both */
	T_INT(store_run_finished(st, "mx.example.org", 1100), 0);
	T_INT(store_run_last(st, "mx.example.org", &at), 0);
	T_INT(at, 1100);
	T_INT(store_run_last(st, "mx2.example.org", &at), 0);
	T_INT(at, 1000);		/* named runs are the host's own */
	T_INT(store_run_finished(st, NULL, 1200), 0);
	T_INT(store_run_last(st, "mx2.example.org", &at), 0);
	T_INT(at, 1200);

	ran(st, hid, 0, 1300, KEY_ALG_ECDSA_P256, &e, 1300);
	/* RSA failed in the run at 1400. */
	ran(st, hid, 1u << KEY_ALG_RSA2048, 1400, KEY_ALG_RSA2048, &r, 1300);
	slot_reread(st, hid, KEY_ALG_ECDSA_P256, &e);
	T_INT(e.last_success_at, 1400);
	/* A failure on record, then a stopped slot: no success either. */
	T_INT(store_slot_set_failure(st, &e, 1, 2000, OUT_TEMPFAIL, "x",
	    1450), 0);
	ran(st, hid, 0, 1500, KEY_ALG_ECDSA_P256, &e, 1400);
	T_INT(store_slot_set_failure(st, &e, 0, 0, OUT_OK, NULL, 0), 0);
	T_INT(store_slot_set_state(st, &e, "mx.example.org", SLOT_FAILED,
	    "test", 1550), 0);
	ran(st, hid, 0, 1600, KEY_ALG_ECDSA_P256, &e, 1400);
	/* An idle run at 1700 (nothing written for the host), then a
	 * failed one at 1800: the success the idle run gave is kept. */
	T_INT(store_slot_set_state(st, &e, "mx.example.org", SLOT_STANDBY,
	    "test", 1650), 0);
	T_INT(store_run_finished(st, NULL, 1700), 0);
	/* The failed run moved the slot on before it failed. */
	T_INT(store_slot_set_state(st, &e, "mx.example.org", SLOT_ISSUING,
	    "test", 1790), 0);
	T_INT(store_slots_ran(st, "mx.example.org", 1u << KEY_ALG_ECDSA_P256,
	    1800), 0);
	T_INT(store_run_finished(st, NULL, 1800), 0);
	slot_reread(st, hid, KEY_ALG_ECDSA_P256, &e);
	T_INT(e.last_run_at, 1800);
	T_INT(e.last_success_at, 1700);
	/* Runs before its last run give nothing more. */
	T_INT(store_slots_ran(st, "mx.example.org", 1u << KEY_ALG_ECDSA_P256,
	    1900), 0);
	slot_reread(st, hid, KEY_ALG_ECDSA_P256, &e);
	T_INT(e.last_success_at, 1700);
	/* A slot made after the last run over every host (an algorithm or
	 * a host added to the configuration) was not idle in it. */
	T_INT(store_run_finished(st, NULL, 2000), 0);
	T_INT(store_host_get(st, "mx3.example.org", 1, 2100, &hid3, NULL), 1);
	T_INT(store_slot_get(st, hid3, KEY_ALG_RSA2048, 1, 2100, &n), 1);
	store_slot_free(&n);
	T_INT(store_slots_ran(st, "mx3.example.org", ~0u, 2200), 0);
	T_INT(store_slot_get(st, hid3, KEY_ALG_RSA2048, 0, 0, &n), 1);
	T_INT(n.last_run_at, 2200);
	T_INT(n.last_success_at, 0);
	store_slot_free(&n);
	/* A host the state does not know: nothing to record. */
	T_INT(store_slots_ran(st, "mx9.example.org", 0, 1700), 0);
	store_slot_free(&e);
	store_slot_free(&r);
	store_close(st);
}

/* Schema 6 comes after 5 (another branch's 005 lands first): a database
 * that 5 left keeps its slots, which have not run since. */
static void
test_migrate_from_5(void)
{
	if (!T_CHECK(store_schema_latest() >= 6))
		return;
	T_CHECK(strstr(store_migrations[4], "version 5.") != NULL);
	T_CHECK(strstr(store_migrations[5], "version 6.") != NULL);
	migrate_from(5, "from-v5");
}

/* Asked for every resting slot on every run: one search of the partial
 * index (schema/007), no sort. The WHERE is store_keys_retired's. */
static void
test_retired_query_plan(void)
{
	const char *d = fresh_dir("plan");
	struct store *st = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char path[600], plan[512] = "";

	T_INT(store_open(d, 0, &st), OUT_OK);
	store_close(st);
	snprintf(path, sizeof(path), "%s/%s", d, STORE_DB_NAME);
	if (!T_CHECK(sqlite3_open(path, &db) == SQLITE_OK))
		return;
	if (T_CHECK(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id "
	    "FROM keys WHERE slot_id = ? AND role IN ('retired', "
	    "'discarded') AND deleted_at IS NULL ORDER BY id DESC;", -1, &s,
	    NULL) == SQLITE_OK)) {
		while (sqlite3_step(s) == SQLITE_ROW)
			snprintf(plan + strlen(plan), sizeof(plan) -
			    strlen(plan), "%s; ", sqlite3_column_text(s, 3));
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	T_CHECK(strstr(plan, "USING INDEX keys_unpruned") != NULL);
	T_CHECK(strstr(plan, "TEMP B-TREE") == NULL);
	if (strstr(plan, "keys_unpruned") == NULL || strstr(plan, "TEMP"))
		printf("    plan: %s\n", plan);
}

static const struct t_case cases[] = {
	{ "migrations recorded in user_version", test_migrate },
	{ "prune's question: one index search, no sort",
	  test_retired_query_plan },
	{ "migration from schema 1 keeps the data", test_migrate_keeps_data },
	{ "newer database refused", test_refuse_newer },
	{ "foreign database refused and untouched", test_refuse_foreign },
	{ "corrupt database refused and untouched", test_refuse_corrupt },
	{ "read-only open creates nothing", test_readonly_creates_nothing },
	{ "interrupted transaction leaves no trace",
	  test_interrupted_transaction },
	{ "state transitions logged, events append-only",
	  test_state_and_events },
	{ "state changes said after their transaction commits",
	  test_said_after_commit },
	{ "one next key per slot", test_one_next_key },
	{ "nested read transactions share one snapshot", test_nested_reads },
	{ "served everywhere: recorded with the boot clock",
	  test_propagated_boot_clock },
	{ "the runs: last run, last success per slot", test_runs },
	{ "migration from schema 5 to 6", test_migrate_from_5 },
};
T_MAIN(cases)
