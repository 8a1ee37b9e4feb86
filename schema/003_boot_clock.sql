-- daneroll state, version 3.
-- The boot clock beside each "served everywhere" time: the boot's id and
-- CLOCK_BOOTTIME in seconds. Within one boot the elapsed time is measured
-- on it, so a wall clock that jumps forward cannot shorten ageing.
ALTER TABLE rrsets ADD COLUMN propagated_boot_id TEXT;
ALTER TABLE rrsets ADD COLUMN propagated_boot_s INTEGER;
