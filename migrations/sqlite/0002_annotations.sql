-- Annotations on spans, traces and sessions (one table per target, same
-- columns, so one piece of code serves all three), annotations waiting for
-- their target to arrive, and annotation configs.
-- Times are nanoseconds since the Unix epoch, like everywhere else.

CREATE TABLE span_annotations (
    id             INTEGER PRIMARY KEY,
    target_rowid   INTEGER NOT NULL REFERENCES spans (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    label          TEXT,
    score          REAL,
    explanation    TEXT,
    metadata       TEXT    NOT NULL DEFAULT '{}', -- JSON object
    annotator_kind TEXT    NOT NULL,              -- LLM, CODE or HUMAN
    identifier     TEXT    NOT NULL DEFAULT '',
    source         TEXT    NOT NULL,              -- API or APP
    user_id        INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (name, target_rowid, identifier)
);
CREATE INDEX span_annotations_target ON span_annotations (target_rowid);

CREATE TABLE trace_annotations (
    id             INTEGER PRIMARY KEY,
    target_rowid   INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    label          TEXT,
    score          REAL,
    explanation    TEXT,
    metadata       TEXT    NOT NULL DEFAULT '{}',
    annotator_kind TEXT    NOT NULL,
    identifier     TEXT    NOT NULL DEFAULT '',
    source         TEXT    NOT NULL,
    user_id        INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (name, target_rowid, identifier)
);
CREATE INDEX trace_annotations_target ON trace_annotations (target_rowid);

CREATE TABLE session_annotations (
    id             INTEGER PRIMARY KEY,
    target_rowid   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    label          TEXT,
    score          REAL,
    explanation    TEXT,
    metadata       TEXT    NOT NULL DEFAULT '{}',
    annotator_kind TEXT    NOT NULL,
    identifier     TEXT    NOT NULL DEFAULT '',
    source         TEXT    NOT NULL,
    user_id        INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (name, target_rowid, identifier)
);
CREATE INDEX session_annotations_target ON session_annotations (target_rowid);

-- sync=false annotations whose span/trace/session has not been stored yet.
-- The writer moves them into the tables above in the transaction that stores
-- their target; they expire `--pending-annotation-ttl` after `received_at`.
CREATE TABLE pending_annotations (
    id             INTEGER PRIMARY KEY,
    target_kind    TEXT    NOT NULL, -- span, trace or session
    target_id      TEXT    NOT NULL, -- span_id, trace_id or session_id
    name           TEXT    NOT NULL,
    label          TEXT,
    score          REAL,
    explanation    TEXT,
    metadata       TEXT    NOT NULL,
    annotator_kind TEXT    NOT NULL,
    identifier     TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    user_id        INTEGER,
    received_at    INTEGER NOT NULL
);
CREATE INDEX pending_annotations_target ON pending_annotations (target_kind, target_id);
CREATE INDEX pending_annotations_received ON pending_annotations (received_at);

CREATE TABLE annotation_configs (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL -- JSON: the config without its name and id
);

CREATE TABLE project_annotation_configs (
    project_id           INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    annotation_config_id INTEGER NOT NULL REFERENCES annotation_configs (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, annotation_config_id)
);
CREATE INDEX project_annotation_configs_config ON project_annotation_configs (annotation_config_id);
