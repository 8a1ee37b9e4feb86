-- daneroll state, version 4.
-- Times that guard the safety invariant below the second: when every
-- authoritative address was proven to serve an RRset, and when each
-- address was observed, in milliseconds since the epoch, taken at the end
-- of the observation and rounded up (propagated_at and observed_at keep
-- whole seconds, rounded up too, for readers). Rows from before have
-- none: their seconds were rounded down, so readers add 999 ms.
-- And the outcome of a slot's last failure (tempfail, permfail), so that a
-- run during the back-off after it still exits with the failure's code,
-- and since when the slot has been failing (the first failure of the
-- streak), so that temporary failures that last past tempfail_limit are
-- said to need the operator.
ALTER TABLE rrsets ADD COLUMN propagated_ms INTEGER;
ALTER TABLE observations ADD COLUMN observed_ms INTEGER;
ALTER TABLE slots ADD COLUMN last_outcome TEXT;
ALTER TABLE slots ADD COLUMN failing_since INTEGER;
-- status and check read a host's newest events: one index seek per host
-- instead of a scan of the whole log per host (quadratic in hosts).
CREATE INDEX events_host ON events (host, id);
