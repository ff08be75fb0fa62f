-- Annotations on a span's retrieved documents (`retrieval.documents`),
-- `POST /v1/document_annotations`. A document is addressed by its span and
-- position; `span_documents` gives each annotated document a row, so that
-- `document_annotations` has the same columns and upsert key
-- (name, target_rowid, identifier) as the other annotation tables and one
-- piece of code writes, lists, deletes and reports all of them.
-- Rows are made when a document is first annotated (never for out-of-range
-- positions) and go with their span.

CREATE TABLE span_documents (
    id           INTEGER PRIMARY KEY,
    span_rowid   INTEGER NOT NULL REFERENCES spans (id) ON DELETE CASCADE,
    project_id   INTEGER NOT NULL,
    span_id      TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    document_key TEXT    NOT NULL UNIQUE -- span_id ':' position, the external id
);
CREATE INDEX span_documents_span_rowid ON span_documents (span_rowid);
CREATE INDEX span_documents_span_id ON span_documents (span_id, position);

CREATE TABLE document_annotations (
    id             INTEGER PRIMARY KEY,
    target_rowid   INTEGER NOT NULL REFERENCES span_documents (id) ON DELETE CASCADE,
    project_id     INTEGER,
    name           TEXT    NOT NULL,
    label          TEXT,
    score          REAL,
    explanation    TEXT,
    metadata       TEXT    NOT NULL DEFAULT '{}',
    annotator_kind TEXT    NOT NULL,
    identifier     TEXT    NOT NULL DEFAULT '',
    source         TEXT    NOT NULL,
    user_id        INTEGER,
    api_key_id     INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (name, target_rowid, identifier)
);
CREATE INDEX document_annotations_target ON document_annotations (target_rowid);
