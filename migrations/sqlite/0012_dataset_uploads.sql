-- Datasets both ways: a collection item may be an uploaded example with no
-- span (its own input/output/metadata), carry dataset splits and an edited
-- expected output (a corrected answer for fine-tuning); each change to a
-- collection is a dataset version.
--
-- SQLite cannot drop NOT NULL from a column, so collection_items is rebuilt
-- (same ids, so `CollectionItem:<n>` / `DatasetExample:<n>` ids stay valid).
CREATE TABLE collection_items_new (
    id              INTEGER PRIMARY KEY,
    collection_id   INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    -- NULL for an uploaded example that names no span.
    span_rowid      INTEGER REFERENCES spans (id) ON DELETE CASCADE,
    note            TEXT,
    added_at        INTEGER NOT NULL,
    user_id         INTEGER,
    api_key_id      INTEGER,
    -- JSON objects of an uploaded example; NULL for a flagged span (its
    -- input/output are the span's).
    input           TEXT,
    output          TEXT,
    metadata        TEXT,
    -- JSON array of split names.
    splits          TEXT    NOT NULL DEFAULT '[]',
    -- JSON: the corrected answer the `chat` export writes instead of the output.
    expected_output TEXT,
    UNIQUE (collection_id, span_rowid)
);
INSERT INTO collection_items_new (id, collection_id, span_rowid, note, added_at, user_id, api_key_id)
    SELECT id, collection_id, span_rowid, note, added_at, user_id, api_key_id FROM collection_items;
DROP TABLE collection_items;
ALTER TABLE collection_items_new RENAME TO collection_items;
CREATE INDEX collection_items_paging ON collection_items (collection_id, id);
CREATE INDEX collection_items_span ON collection_items (span_rowid);

-- One row per change to a collection (items added, removed or edited, or an
-- upload): the dataset versions `GET /v1/datasets/{id}/versions` lists.
CREATE TABLE collection_versions (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    description   TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX collection_versions_paging ON collection_versions (collection_id, id);
INSERT INTO collection_versions (collection_id, created_at) SELECT id, updated_at FROM collections;
