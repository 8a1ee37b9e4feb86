-- daneroll state, version 5.
-- When a retired or discarded private key was deleted from the disk, once
-- its record had left every authoritative address and aged out of every
-- cache (prune.c). NULL: the key is still kept.
ALTER TABLE keys ADD COLUMN deleted_at INTEGER;
