-- Accounts (issue 11): users, their browser sessions, API keys, one-time
-- links (invites and password resets), and who made each annotation,
-- collection, item, link and config. Secrets are never stored: sessions,
-- keys and links keep the SHA-256 of their token, passwords an argon2id hash.
-- Times are nanoseconds since the Unix epoch, like everywhere else.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE, -- trimmed and lowercased
    role          TEXT    NOT NULL CHECK (role IN ('ADMIN', 'MEMBER', 'ANNOTATOR', 'VIEWER')),
    password_hash TEXT,                    -- argon2id PHC string; NULL until the user sets one
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Server-side browser sessions (cookie `plume_session`).
CREATE TABLE user_sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Personal keys (user_id = owner, scopes narrow the owner's role) and
-- service keys (user_id NULL, made by an admin, scopes say what they may do).
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    key_hash     BLOB    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL, -- the first characters, to recognise a key
    name         TEXT    NOT NULL,
    description  TEXT,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    scopes       TEXT    NOT NULL, -- comma-separated: ingest,annotate,feedback,read,admin
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- One-time links: an invite or a reset sets the user's password once.
CREATE TABLE user_links (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- Who made it: a user, a key, or (data from before auth) nobody. A personal
-- key's work names both its owner and the key.
ALTER TABLE span_annotations ADD COLUMN api_key_id INTEGER;
ALTER TABLE trace_annotations ADD COLUMN api_key_id INTEGER;
ALTER TABLE session_annotations ADD COLUMN api_key_id INTEGER;
ALTER TABLE pending_annotations ADD COLUMN api_key_id INTEGER;
ALTER TABLE collections ADD COLUMN user_id INTEGER;
ALTER TABLE collections ADD COLUMN api_key_id INTEGER;
ALTER TABLE collection_items ADD COLUMN user_id INTEGER;
ALTER TABLE collection_items ADD COLUMN api_key_id INTEGER;
ALTER TABLE public_links ADD COLUMN user_id INTEGER;
ALTER TABLE public_links ADD COLUMN api_key_id INTEGER;
ALTER TABLE annotation_configs ADD COLUMN user_id INTEGER;
ALTER TABLE annotation_configs ADD COLUMN api_key_id INTEGER;
