-- Accounts run from the browser: one-time links to set a password (an invitation or a reset),
-- and members who left the community (their data stays, their accounts no longer sign in).
CREATE TABLE account_links (
    token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL, expires_ms INTEGER NOT NULL);
CREATE INDEX account_links_by_user ON account_links (user_id);
ALTER TABLE members ADD COLUMN deactivated_ms INTEGER;
