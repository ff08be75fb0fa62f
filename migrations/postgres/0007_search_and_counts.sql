-- Search and counts that stay fast at millions of spans (issue 17).
-- The PostgreSQL twin of migrations/sqlite/0007_search_and_counts.sql. Where
-- it differs:
-- * span_text is a plain table with a pg_trgm GIN index instead of an FTS5
--   trigram table (below);
-- * each trigger runs a plpgsql function of the same name; the count
--   triggers and spans_leave_search fire once per statement over its
--   transition table instead of once per row: the same counts and the same
--   index, but a batch of 500 spans updates its project's counter row once,
--   not 500 times (every update of a row is a new row version here);
-- * SQLite's 0/1 comparisons become CASE/FILTER, since a PostgreSQL
--   comparison is a BOOLEAN and the columns are BIGINT.

-- The trigram index of what text search reads of each span (see
-- app/src/store/search.rs for the expressions): a substring of three or more
-- characters is found through the index instead of by reading every span.
-- pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Same role, columns and filling as SQLite's `span_text`, with the span's id
-- in a real `rowid` column (so the writer's `INSERT INTO span_text (rowid,
-- name, input, output, messages) SELECT s.id, …` keeps its shape). Unlike
-- the contentless FTS5 table it holds a copy of the texts: a PostgreSQL index
-- is always of a table's rows. No foreign key, as on SQLite: the
-- spans_leave_search trigger removes a deleted span's row.
-- The index answers `col LIKE/ILIKE '%text%'` on each column exactly (it
-- rechecks the row), so a search can test `span_text` itself instead of
-- FTS5's "every trigram" MATCH; several columns ORed become a BitmapOr over
-- this one index. pg_trgm lowercases trigrams, so ILIKE uses it as well.
-- `value` as JSONB, or NULL when it is not JSON: SQLite's
-- `CASE WHEN json_valid(v) THEN v END`, for what search reads of a JSON
-- input or output (PostgreSQL 15 has no test for valid JSON).
CREATE FUNCTION plume_json(value TEXT) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

CREATE TABLE span_text (
    rowid    BIGINT PRIMARY KEY, -- spans.id
    name     TEXT,
    input    TEXT,
    output   TEXT,
    messages TEXT
);
CREATE INDEX span_text_trigrams ON span_text
    USING gin (name gin_trgm_ops, input gin_trgm_ops, output gin_trgm_ops, messages gin_trgm_ops);

-- How far the index has come: every span with `id <= indexed_upto` is in it.
-- The writer indexes the spans above it in small batches right behind
-- ingestion (and, after this migration, the spans stored before it), so that
-- neither ingestion nor start-up waits for the index.
-- (A one-row table whose id is always 1: no identity.)
CREATE TABLE search_progress (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    indexed_upto BIGINT NOT NULL
);
INSERT INTO search_progress (id, indexed_upto) VALUES (1, 0);

CREATE FUNCTION spans_leave_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM span_text t USING gone g WHERE t.rowid = g.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER spans_leave_search AFTER DELETE ON spans
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION spans_leave_search();

-- Traces and spans per project, kept by triggers so that they hold whoever
-- inserts or deletes (the writer, a span deletion, a project's cascade).
-- (project_id is always given: no identity.)
CREATE TABLE project_counts (
    project_id BIGINT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    traces     BIGINT NOT NULL DEFAULT 0,
    spans      BIGINT NOT NULL DEFAULT 0
);
INSERT INTO project_counts (project_id, traces, spans)
SELECT p.id,
       (SELECT count(*) FROM traces t WHERE t.project_id = p.id),
       (SELECT count(*) FROM spans s WHERE s.project_id = p.id)
FROM projects p;

CREATE FUNCTION projects_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_counts (project_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_counted AFTER INSERT ON projects
    FOR EACH ROW EXECUTE FUNCTION projects_counted();

-- An INSERT … ON CONFLICT DO UPDATE puts only the rows it inserted in `added`,
-- as SQLite fires only the insert trigger of those.
CREATE FUNCTION traces_count_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_counts c SET traces = c.traces + a.n
    FROM (SELECT project_id, count(*) AS n FROM added GROUP BY project_id) a
    WHERE c.project_id = a.project_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER traces_count_in AFTER INSERT ON traces
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION traces_count_in();

CREATE FUNCTION traces_count_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_counts c SET traces = c.traces - g.n
    FROM (SELECT project_id, count(*) AS n FROM gone GROUP BY project_id) g
    WHERE c.project_id = g.project_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER traces_count_out AFTER DELETE ON traces
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION traces_count_out();

CREATE FUNCTION spans_count_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_counts c SET spans = c.spans + a.n
    FROM (SELECT project_id, count(*) AS n FROM added GROUP BY project_id) a
    WHERE c.project_id = a.project_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER spans_count_in AFTER INSERT ON spans
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION spans_count_in();

CREATE FUNCTION spans_count_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_counts c SET spans = c.spans - g.n
    FROM (SELECT project_id, count(*) AS n FROM gone GROUP BY project_id) g
    WHERE c.project_id = g.project_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER spans_count_out AFTER DELETE ON spans
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION spans_count_out();

-- Annotations carry their target's project, so that an annotation filter
-- reads that project's annotations only, not every annotation of that name.
-- (No foreign key: the target's own cascade already removes them.)
ALTER TABLE span_annotations ADD COLUMN project_id BIGINT;
ALTER TABLE trace_annotations ADD COLUMN project_id BIGINT;
ALTER TABLE session_annotations ADD COLUMN project_id BIGINT;
UPDATE span_annotations SET project_id = (SELECT s.project_id FROM spans s WHERE s.id = target_rowid);
UPDATE trace_annotations SET project_id = (SELECT t.project_id FROM traces t WHERE t.id = target_rowid);
UPDATE session_annotations SET project_id = (SELECT s.project_id FROM sessions s WHERE s.id = target_rowid);
CREATE INDEX span_annotations_project ON span_annotations (project_id, name, label, score, target_rowid);

-- The projects page's daily 👍 share of `user feedback` (the end users'
-- votes), per project and day (days since the epoch), kept by triggers so
-- that the page reads a few rows instead of every vote ever given. Names
-- and labels as in app/src/model/span_details.rs.
CREATE TABLE feedback_days (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    up         BIGINT NOT NULL DEFAULT 0,
    total      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day)
);
-- count(*) FILTER, not sum(…): sum of a BIGINT is NUMERIC here.
INSERT INTO feedback_days (project_id, day, up, total)
SELECT project_id, created_at / 86400000000000, count(*) FILTER (WHERE label = 'thumbs-up'), count(*)
FROM span_annotations
WHERE name = 'user feedback' AND label IN ('thumbs-up', 'thumbs-down') AND project_id IS NOT NULL
GROUP BY 1, 2;

-- Row triggers, as on SQLite: votes come one or a few at a time, and
-- feedback_days_changed names columns, which a transition table may not.
CREATE FUNCTION feedback_days_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feedback_days (project_id, day, up, total)
    VALUES (NEW.project_id, NEW.created_at / 86400000000000, CASE WHEN NEW.label = 'thumbs-up' THEN 1 ELSE 0 END, 1)
    ON CONFLICT (project_id, day) DO UPDATE
        SET up = feedback_days.up + excluded.up, total = feedback_days.total + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER feedback_days_in AFTER INSERT ON span_annotations
    FOR EACH ROW
    WHEN (NEW.name = 'user feedback' AND NEW.label IN ('thumbs-up', 'thumbs-down'))
    EXECUTE FUNCTION feedback_days_in();

CREATE FUNCTION feedback_days_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feedback_days SET up = up - CASE WHEN OLD.label = 'thumbs-up' THEN 1 ELSE 0 END, total = total - 1
    WHERE project_id = OLD.project_id AND day = OLD.created_at / 86400000000000;
    RETURN NULL;
END
$$;
CREATE TRIGGER feedback_days_out AFTER DELETE ON span_annotations
    FOR EACH ROW
    WHEN (OLD.name = 'user feedback' AND OLD.label IN ('thumbs-up', 'thumbs-down'))
    EXECUTE FUNCTION feedback_days_out();

-- A vote changed (an upsert replaces the label): the old one out, the new one in.
CREATE FUNCTION feedback_days_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name = 'user feedback' AND OLD.label IN ('thumbs-up', 'thumbs-down') THEN
        UPDATE feedback_days SET up = up - CASE WHEN OLD.label = 'thumbs-up' THEN 1 ELSE 0 END, total = total - 1
        WHERE project_id = OLD.project_id AND day = OLD.created_at / 86400000000000;
    END IF;
    IF NEW.name = 'user feedback' AND NEW.label IN ('thumbs-up', 'thumbs-down') THEN
        INSERT INTO feedback_days (project_id, day, up, total)
        VALUES (NEW.project_id, NEW.created_at / 86400000000000, CASE WHEN NEW.label = 'thumbs-up' THEN 1 ELSE 0 END, 1)
        ON CONFLICT (project_id, day) DO UPDATE
            SET up = feedback_days.up + excluded.up, total = feedback_days.total + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER feedback_days_changed AFTER UPDATE OF name, label, created_at, project_id ON span_annotations
    FOR EACH ROW
    WHEN ((OLD.name = 'user feedback' AND OLD.label IN ('thumbs-up', 'thumbs-down'))
       OR (NEW.name = 'user feedback' AND NEW.label IN ('thumbs-up', 'thumbs-down')))
    EXECUTE FUNCTION feedback_days_changed();
