-- daneroll state, version 6.
-- The runs themselves, for monitoring (check --prometheus): a timer that
-- stopped, or a slot that keeps failing, shows long before a certificate
-- expires.
-- Per slot: last_run_at, the end of the last run that had work for the
-- slot's host (whether or not it could do it: its lock may have been
-- held); last_success_at, the end of the last such run after which the
-- slot had no failure on record, was not stopped, and neither it nor its
-- host raised a critical alert.
ALTER TABLE slots ADD COLUMN last_run_at INTEGER;
ALTER TABLE slots ADD COLUMN last_success_at INTEGER;
-- When the slot was made (NULL: before version 6, when no run was
-- recorded in runs yet): a run that ended before did not find it idle.
ALTER TABLE slots ADD COLUMN created_at INTEGER;
-- The end of the last run over every host (scope '*') and of the last run
-- that named a host (scope: the host's name). A run writes nothing for an
-- idle host (nothing due): such a host's slots were done, without a
-- failure, when the last run covering it ended after their last_run_at
-- and their created_at.
CREATE TABLE runs (
	scope		TEXT PRIMARY KEY,
	finished_at	INTEGER NOT NULL
);
