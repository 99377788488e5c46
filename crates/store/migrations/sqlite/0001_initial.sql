-- The first schema: communities, members, meters, channels with configuration history, groups,
-- users, sessions, tokens, raw chunks, quarter-hour day blocks and community totals.
-- Energies are integer mWh, powers integer mW.
CREATE TABLE communities (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL,
    max_gap_ms INTEGER NOT NULL DEFAULT 300000);
CREATE TABLE members (
    id INTEGER PRIMARY KEY, community_id INTEGER NOT NULL REFERENCES communities(id),
    name TEXT NOT NULL, kind TEXT NOT NULL, consent_individual INTEGER NOT NULL DEFAULT 0);
CREATE TABLE meters (
    id INTEGER PRIMARY KEY, community_id INTEGER NOT NULL REFERENCES communities(id),
    member_id INTEGER REFERENCES members(id), name TEXT NOT NULL, last_contact_ms INTEGER);
CREATE TABLE channels (
    id INTEGER PRIMARY KEY, community_id INTEGER NOT NULL REFERENCES communities(id),
    meter_id INTEGER REFERENCES meters(id), series_key TEXT NOT NULL, unit TEXT NOT NULL,
    last_ts_ms INTEGER, UNIQUE (community_id, series_key));
CREATE TABLE channel_configs (
    channel_id INTEGER NOT NULL REFERENCES channels(id), valid_from_ms INTEGER NOT NULL,
    valid_to_ms INTEGER, kind TEXT NOT NULL, phase INTEGER, note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel_id, valid_from_ms));
CREATE TABLE member_groups (
    id INTEGER PRIMARY KEY, community_id INTEGER NOT NULL REFERENCES communities(id),
    name TEXT NOT NULL);
CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES member_groups(id),
    member_id INTEGER NOT NULL REFERENCES members(id), PRIMARY KEY (group_id, member_id));
CREATE TABLE users (
    id INTEGER PRIMARY KEY, community_id INTEGER NOT NULL REFERENCES communities(id),
    login TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, password_hash TEXT NOT NULL,
    role TEXT NOT NULL, member_id INTEGER REFERENCES members(id), lang TEXT NOT NULL);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL, expires_ms INTEGER NOT NULL);
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY, community_id INTEGER NOT NULL REFERENCES communities(id),
    scope TEXT NOT NULL, meter_id INTEGER REFERENCES meters(id),
    user_id INTEGER REFERENCES users(id), label TEXT NOT NULL);
CREATE TABLE raw_chunks (
    channel_id INTEGER NOT NULL, t_min_ms INTEGER NOT NULL, t_max_ms INTEGER NOT NULL,
    n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE UNIQUE INDEX raw_chunks_by_time ON raw_chunks (channel_id, t_min_ms);
CREATE TABLE interval_days (
    channel_id INTEGER NOT NULL, day INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (channel_id, day)) WITHOUT ROWID;
CREATE TABLE intervals_superseded (
    channel_id INTEGER NOT NULL, slot INTEGER NOT NULL, provenance INTEGER NOT NULL,
    energy_mwh INTEGER NOT NULL, mean_mw INTEGER NOT NULL, min_mw INTEGER NOT NULL,
    max_mw INTEGER NOT NULL, covered_ms INTEGER NOT NULL,
    PRIMARY KEY (channel_id, slot, provenance)) WITHOUT ROWID;
CREATE TABLE community_slots (
    community_id INTEGER NOT NULL, slot INTEGER NOT NULL, kind TEXT NOT NULL,
    energy_mwh INTEGER NOT NULL, channels INTEGER NOT NULL,
    PRIMARY KEY (community_id, kind, slot)) WITHOUT ROWID;
