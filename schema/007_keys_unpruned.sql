-- daneroll state, version 7.
-- Every run asks each resting slot for its retired keys not yet deleted
-- (prune.c): almost always none. Without this index SQLite searched
-- keys_slot_role once per role and sorted in a temporary B-tree, a fifth
-- of an idle run's instructions at 10,000 hosts; with it, one index
-- search in the order wanted. The WHERE must stay word for word the one
-- of store_keys_retired, or SQLite cannot use the index.
CREATE INDEX keys_unpruned ON keys (slot_id, id)
	WHERE role IN ('retired', 'discarded') AND deleted_at IS NULL;
