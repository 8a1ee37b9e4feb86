-- daneroll state, version 1.
-- Paths and public digests only: never key material, TSIG secrets or tokens.

CREATE TABLE hosts (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	force_roll	INTEGER NOT NULL DEFAULT 0,	-- `daneroll roll HOST`
	created_at	INTEGER NOT NULL
);

-- One slot per host and key algorithm.
CREATE TABLE slots (
	id		INTEGER PRIMARY KEY,
	host_id		INTEGER NOT NULL REFERENCES hosts(id),
	alg		TEXT NOT NULL,
	state		TEXT NOT NULL DEFAULT 'new',
	state_since	INTEGER NOT NULL,
	failures	INTEGER NOT NULL DEFAULT 0,	-- of the last action
	retry_at	INTEGER NOT NULL DEFAULT 0,
	last_error	TEXT,
	verified	TEXT NOT NULL DEFAULT 'unknown', -- of the deployed key
	wake_at		INTEGER NOT NULL DEFAULT 0,
	UNIQUE (host_id, alg)
);

CREATE TABLE keys (
	id		INTEGER PRIMARY KEY,
	slot_id		INTEGER NOT NULL REFERENCES slots(id),
	role		TEXT NOT NULL CHECK (role IN
			    ('next', 'current', 'retired', 'discarded')),
	path		TEXT NOT NULL,
	spki_sha256	TEXT NOT NULL CHECK (length(spki_sha256) = 64),
	created_at	INTEGER NOT NULL,
	current_since	INTEGER,
	retired_at	INTEGER,
	chain_path	TEXT,		-- staged chain for a next key
	cert_not_after	INTEGER		-- of the chain issued for this key
);
-- At most one next and one current key per slot.
CREATE UNIQUE INDEX keys_one_role ON keys (slot_id, role)
	WHERE role IN ('next', 'current');

-- TLSA owner names of a host: "_25._tcp.NAME" and its aliases.
CREATE TABLE owners (
	id		INTEGER PRIMARY KEY,
	host_id		INTEGER NOT NULL REFERENCES hosts(id),
	name		TEXT NOT NULL,
	UNIQUE (host_id, name)
);

-- Every version of an owner's RRset, oldest first: what was found at first
-- contact ('observed') and what daneroll published. A version is written
-- before it is sent (published_at NULL) and completed after.
CREATE TABLE rrsets (
	id		INTEGER PRIMARY KEY,
	owner_id	INTEGER NOT NULL REFERENCES owners(id),
	version		INTEGER NOT NULL,
	origin		TEXT NOT NULL CHECK (origin IN ('observed', 'published')),
	records		TEXT NOT NULL,		-- '' is "no RRset"
	ttl		INTEGER NOT NULL,
	neg_ttl		INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	published_at	INTEGER,
	propagated_at	INTEGER,		-- every address serves it
	UNIQUE (owner_id, version)
);

CREATE TABLE observations (
	id		INTEGER PRIMARY KEY,
	rrset_id	INTEGER NOT NULL REFERENCES rrsets(id),
	server		TEXT NOT NULL,
	ns		TEXT NOT NULL,
	result		TEXT NOT NULL,
	serial		INTEGER NOT NULL DEFAULT 0,
	observed_at	INTEGER NOT NULL
);
CREATE INDEX observations_rrset ON observations (rrset_id, observed_at);

-- Side effects, written before they start and completed after.
CREATE TABLE actions (
	id		INTEGER PRIMARY KEY,
	host_id		INTEGER NOT NULL REFERENCES hosts(id),
	slot_id		INTEGER REFERENCES slots(id),
	kind		TEXT NOT NULL,
	detail		TEXT,
	started_at	INTEGER NOT NULL,
	finished_at	INTEGER,
	outcome		TEXT
);

-- Append-only log of transitions and side effects.
CREATE TABLE events (
	id		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL,
	host		TEXT NOT NULL,
	slot		TEXT,
	old_state	TEXT,
	new_state	TEXT,
	reason		TEXT NOT NULL
);
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
