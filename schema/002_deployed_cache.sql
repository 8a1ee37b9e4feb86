-- daneroll state, version 2.
-- What a slot's configured files deploy, keyed by the file's stat
-- signature, so a steady-state run parses no certificate at all.
ALTER TABLE slots ADD COLUMN deployed_sig TEXT;
ALTER TABLE slots ADD COLUMN deployed_spki TEXT;
ALTER TABLE slots ADD COLUMN deployed_not_after INTEGER;

-- store_key_get looks keys up by slot and role.
CREATE INDEX keys_slot_role ON keys (slot_id, role, id);
CREATE INDEX rrsets_owner ON rrsets (owner_id, version);
