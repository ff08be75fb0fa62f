-- Projects, sessions, traces and spans: what OTLP ingestion writes.
-- Times are nanoseconds since the Unix epoch (OTLP's own unit): integers sort
-- and compare fast, and map to BIGINT on PostgreSQL.

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Phoenix always has a `default` project with id 1; clients rely on it.
INSERT INTO projects (name, description, created_at, updated_at)
VALUES ('default', NULL,
        CAST((julianday('now') - 2440587.5) * 86400000000000 AS INTEGER),
        CAST((julianday('now') - 2440587.5) * 86400000000000 AS INTEGER));

CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    session_id TEXT    NOT NULL UNIQUE,
    start_time INTEGER NOT NULL,
    end_time   INTEGER NOT NULL
);
CREATE INDEX sessions_project ON sessions (project_id);

CREATE TABLE traces (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id      TEXT    NOT NULL UNIQUE,
    session_rowid INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
    start_time    INTEGER NOT NULL,
    end_time      INTEGER NOT NULL
);
CREATE INDEX traces_project_start ON traces (project_id, start_time);
CREATE INDEX traces_session ON traces (session_rowid);

CREATE TABLE spans (
    id                  INTEGER PRIMARY KEY,
    -- Denormalised from the trace so that per-project listings need no join.
    project_id          INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_rowid         INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
    span_id             TEXT    NOT NULL UNIQUE,
    parent_id           TEXT,
    name                TEXT    NOT NULL,
    span_kind           TEXT    NOT NULL,
    start_time          INTEGER NOT NULL,
    end_time            INTEGER NOT NULL,
    status_code         TEXT    NOT NULL,
    status_message      TEXT    NOT NULL,
    attributes          TEXT    NOT NULL, -- JSON object, dotted keys as sent
    events              TEXT    NOT NULL, -- JSON array of {name, timestamp, attributes}
    resource_attributes TEXT    NOT NULL, -- JSON object
    prompt_tokens       INTEGER,
    completion_tokens   INTEGER
);
CREATE INDEX spans_project_id ON spans (project_id, id);
CREATE INDEX spans_trace ON spans (trace_rowid);
CREATE INDEX spans_parent ON spans (parent_id);
