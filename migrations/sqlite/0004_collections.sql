-- Collections of flagged spans, and public read-only links to a collection or
-- a trace. Times are nanoseconds since the Unix epoch, like everywhere else.

CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A span is in a collection at most once; deleting the span removes the item.
CREATE TABLE collection_items (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    span_rowid    INTEGER NOT NULL REFERENCES spans (id) ON DELETE CASCADE,
    note          TEXT,
    added_at      INTEGER NOT NULL,
    UNIQUE (collection_id, span_rowid)
);
-- Keyset paging of one collection's items (and exports) in the order added.
CREATE INDEX collection_items_paging ON collection_items (collection_id, id);
CREATE INDEX collection_items_span ON collection_items (span_rowid);

-- The token itself is never stored: only its SHA-256.
CREATE TABLE public_links (
    id            INTEGER PRIMARY KEY,
    token_hash    BLOB    NOT NULL UNIQUE,
    collection_id INTEGER REFERENCES collections (id) ON DELETE CASCADE,
    trace_rowid   INTEGER REFERENCES traces (id) ON DELETE CASCADE,
    redact        TEXT    NOT NULL DEFAULT '[]', -- JSON array of key patterns
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    CHECK ((collection_id IS NULL) <> (trace_rowid IS NULL))
);
