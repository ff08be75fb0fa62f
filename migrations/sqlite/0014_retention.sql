-- Deleting traces and keeping them for a while only (issue 13).

-- A project's retention rule, Phoenix's `TraceRetentionRule` as JSON
-- (`{"type": "max_days", "max_days": 30}`, `max_count`, or
-- `max_days_or_count`); no row means traces are kept for ever. The server's
-- retention sweep reads it (app/src/store/deletes.rs).
CREATE TABLE project_retention (
    project_id INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    rule       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- What a collection held of a span that was deleted since (by a trace
-- delete, a time-range delete, the retention sweep, a span or project
-- delete): the item itself goes with its span (collection_items' cascade),
-- and this row lets the collection page and exports say what was removed.
-- Removing an item from a collection by hand deletes only the item, so it
-- leaves no tombstone.
CREATE TABLE collection_tombstones (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    span_id       TEXT    NOT NULL,
    trace_id      TEXT,
    span_name     TEXT    NOT NULL,
    note          TEXT,
    added_at      INTEGER NOT NULL,
    removed_at    INTEGER NOT NULL
);
CREATE INDEX collection_tombstones_paging ON collection_tombstones (collection_id, id);

-- BEFORE: the span's collection items still exist (their cascade runs after
-- the span row is gone).
CREATE TRIGGER spans_leave_tombstones BEFORE DELETE ON spans
WHEN EXISTS (SELECT 1 FROM collection_items WHERE span_rowid = old.id)
BEGIN
    INSERT INTO collection_tombstones (collection_id, span_id, trace_id, span_name, note, added_at, removed_at)
    SELECT ci.collection_id, old.span_id, (SELECT t.trace_id FROM traces t WHERE t.id = old.trace_rowid),
           old.name, ci.note, ci.added_at, CAST((julianday('now') - 2440587.5) * 86400000000000 AS INTEGER)
    FROM collection_items ci WHERE ci.span_rowid = old.id;
END;
