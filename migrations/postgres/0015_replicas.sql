-- What several `plume` replicas on one database share (issue 12), and the
-- trace list's keyset indexes as PostgreSQL needs them (at the end). SQLite's
-- 0015 is empty: one SQLite writer serialises everything, so the search
-- index's position suffices there, and the abuse limits live in the memory
-- of the one process that serves a SQLite file.

-- Spans stored and not indexed for search yet, filled by a trigger whoever
-- inserts. On SQLite the index follows a position (every span with
-- `id <= indexed_upto` is indexed), which holds because one writer commits
-- spans in id order. Replicas don't: one may commit ids 100..200 after
-- another committed 201..300, and a position past 300 would skip them for
-- ever. Here each writer claims a batch of this queue (`FOR UPDATE SKIP
-- LOCKED`, so writers take disjoint batches), indexes it and deletes it in
-- one transaction; a search tests the spans still queued directly.
CREATE TABLE span_index_queue (
    span_id BIGINT PRIMARY KEY -- spans.id
);

CREATE FUNCTION spans_enter_search_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO span_index_queue (span_id) SELECT id FROM arrived;
    RETURN NULL;
END
$$;
CREATE TRIGGER spans_enter_search_queue AFTER INSERT ON spans
    REFERENCING NEW TABLE AS arrived FOR EACH STATEMENT EXECUTE FUNCTION spans_enter_search_queue();

-- The spans the position had not reached yet.
INSERT INTO span_index_queue (span_id)
SELECT id FROM spans WHERE id > (SELECT indexed_upto FROM search_progress WHERE id = 1);

-- Feedback and public-link rate limits (token buckets) that count across
-- replicas: a bucket per key, updated by one atomic upsert per request.
-- UNLOGGED: no WAL for counters that are worth nothing after a crash (a
-- crash empties the table, as a restart empties a process's memory).
-- `granted` says whether the request that last updated the bucket took a
-- token; times are milliseconds since the epoch.
CREATE UNLOGGED TABLE rate_limit_buckets (
    key        TEXT PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    granted    BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rate_limit_buckets_updated ON rate_limit_buckets (updated_at);

-- Failed logins per account and per client address (the login throttle),
-- across replicas. UNLOGGED for the same reason.
CREATE UNLOGGED TABLE login_failures (
    key       TEXT PRIMARY KEY,
    failures  BIGINT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_failed ON login_failures (failed_at);

-- The trace list's keyset order is (key, id). A SQLite index's entries end
-- with the rowid, so (project_id, start_time) serves that order; here the id
-- must be in the index, or PostgreSQL sorts every trace of the project to
-- show a page by latency (123 ms at 1,000,000 spans; 0.6 ms with it).
CREATE INDEX traces_project_start_id ON traces (project_id, start_time, id);
DROP INDEX traces_project_start;
CREATE INDEX traces_project_latency_id ON traces (project_id, (end_time - start_time), id);
DROP INDEX traces_project_latency;
