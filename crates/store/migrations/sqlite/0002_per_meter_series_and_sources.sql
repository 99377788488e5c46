-- Series names are unique per meter, not per community, so that one meter's token cannot take
-- another meter's series name; channels remember when they were registered.
CREATE TABLE channels_new (
    id INTEGER PRIMARY KEY, community_id INTEGER NOT NULL REFERENCES communities(id),
    meter_id INTEGER REFERENCES meters(id), series_key TEXT NOT NULL, unit TEXT NOT NULL,
    last_ts_ms INTEGER, created_ms INTEGER NOT NULL DEFAULT 0);
INSERT INTO channels_new (id, community_id, meter_id, series_key, unit, last_ts_ms)
    SELECT id, community_id, meter_id, series_key, unit, last_ts_ms FROM channels;
DROP TABLE channels;
ALTER TABLE channels_new RENAME TO channels;
CREATE UNIQUE INDEX channels_by_meter_key ON channels (community_id, COALESCE(meter_id, 0), series_key);
CREATE INDEX channels_by_key ON channels (community_id, series_key);
CREATE INDEX channels_by_meter ON channels (meter_id);

-- Tokens get a number (to list and revoke them) and their creation time.
CREATE TABLE tokens_new (
    id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE,
    community_id INTEGER NOT NULL REFERENCES communities(id), scope TEXT NOT NULL,
    meter_id INTEGER REFERENCES meters(id), user_id INTEGER REFERENCES users(id),
    label TEXT NOT NULL, created_ms INTEGER NOT NULL DEFAULT 0);
INSERT INTO tokens_new (token_hash, community_id, scope, meter_id, user_id, label)
    SELECT token_hash, community_id, scope, meter_id, user_id, label FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;

-- Displaced quarter-hours are kept per provenance and per source: computed from raw points or
-- imported as such. The mean power is derived from energy and covered time.
CREATE TABLE intervals_superseded_new (
    channel_id INTEGER NOT NULL, slot INTEGER NOT NULL, provenance INTEGER NOT NULL,
    from_points INTEGER NOT NULL, energy_mwh INTEGER NOT NULL, min_mw INTEGER NOT NULL,
    max_mw INTEGER NOT NULL, covered_ms INTEGER NOT NULL,
    PRIMARY KEY (channel_id, slot, provenance, from_points)) WITHOUT ROWID;
INSERT INTO intervals_superseded_new
    SELECT channel_id, slot, provenance, CASE WHEN provenance IN (1, 3) THEN 1 ELSE 0 END,
           energy_mwh, min_mw, max_mw, covered_ms
    FROM intervals_superseded;
DROP TABLE intervals_superseded;
ALTER TABLE intervals_superseded_new RENAME TO intervals_superseded;

-- How far a counter's delta is spread across a silence (default 7 days).
ALTER TABLE communities ADD COLUMN counter_fill_max_ms INTEGER NOT NULL DEFAULT 604800000;

-- Sessions are purged when they expire and can all be ended for one user.
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_ms);

-- Logins are compared trimmed and in lower case.
UPDATE users SET login = lower(trim(login));

-- Server keys (form signatures), created on first use.
CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
