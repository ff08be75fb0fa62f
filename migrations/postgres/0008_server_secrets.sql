-- Secrets every server process on this database must share (the
-- feedback-token signing key): kept here, not in a file beside one process,
-- so that several processes (replicas) sign and verify alike. The first
-- process to start writes it; the others read it.
-- As migrations/sqlite/0008, without WITHOUT ROWID (SQLite-only storage
-- choice; a PostgreSQL table is a heap with a primary-key index either way).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
