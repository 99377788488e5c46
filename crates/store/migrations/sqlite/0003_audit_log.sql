-- What coordinators change from the browser, for them and for the member concerned to read.
-- The actor's name is kept as it was: a removed account still reads in the log.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY, community_id INTEGER NOT NULL REFERENCES communities(id),
    at_ms INTEGER NOT NULL, actor_id INTEGER, actor TEXT NOT NULL,
    member_id INTEGER REFERENCES members(id), action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX audit_log_by_community ON audit_log (community_id, id);
CREATE INDEX audit_log_by_member ON audit_log (member_id, id);
