-- Search and counts that stay fast at millions of spans (issue 17).

-- A trigram index of what text search reads of each span (see
-- app/src/store/search.rs for the expressions): a substring of three or more
-- characters is found through the index instead of by reading every span.
-- Contentless: the text lives in `spans` only, so the index adds no second
-- copy of it; `contentless_delete` lets a deleted span leave the index.
-- `detail = none` keeps only which spans hold each trigram, not where: a
-- third of the cost to build and half the size of positions (measured), and
-- enough, because the index only narrows the candidates: what matches is
-- defined by the same `LIKE` test the search applies to them.
CREATE VIRTUAL TABLE span_text USING fts5(
    name, input, output, messages,
    content = '', contentless_delete = 1, detail = none, tokenize = 'trigram'
);

-- How far the index has come: every span with `id <= indexed_upto` is in it.
-- The writer indexes the spans above it in small batches right behind
-- ingestion (and, after this migration, the spans stored before it), so that
-- neither ingestion nor start-up waits for the index.
CREATE TABLE search_progress (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_upto INTEGER NOT NULL
);
INSERT INTO search_progress (id, indexed_upto) VALUES (1, 0);

CREATE TRIGGER spans_leave_search AFTER DELETE ON spans
BEGIN
    DELETE FROM span_text WHERE rowid = old.id;
END;

-- Traces and spans per project, kept by triggers so that they hold whoever
-- inserts or deletes (the writer, a span deletion, a project's cascade).
CREATE TABLE project_counts (
    project_id INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    traces     INTEGER NOT NULL DEFAULT 0,
    spans      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO project_counts (project_id, traces, spans)
SELECT p.id,
       (SELECT count(*) FROM traces t WHERE t.project_id = p.id),
       (SELECT count(*) FROM spans s WHERE s.project_id = p.id)
FROM projects p;

CREATE TRIGGER projects_counted AFTER INSERT ON projects
BEGIN
    INSERT INTO project_counts (project_id) VALUES (new.id);
END;
CREATE TRIGGER traces_count_in AFTER INSERT ON traces
BEGIN
    UPDATE project_counts SET traces = traces + 1 WHERE project_id = new.project_id;
END;
CREATE TRIGGER traces_count_out AFTER DELETE ON traces
BEGIN
    UPDATE project_counts SET traces = traces - 1 WHERE project_id = old.project_id;
END;
CREATE TRIGGER spans_count_in AFTER INSERT ON spans
BEGIN
    UPDATE project_counts SET spans = spans + 1 WHERE project_id = new.project_id;
END;
CREATE TRIGGER spans_count_out AFTER DELETE ON spans
BEGIN
    UPDATE project_counts SET spans = spans - 1 WHERE project_id = old.project_id;
END;

-- Annotations carry their target's project, so that an annotation filter
-- reads that project's annotations only, not every annotation of that name.
-- (No foreign key: the target's own cascade already removes them.)
ALTER TABLE span_annotations ADD COLUMN project_id INTEGER;
ALTER TABLE trace_annotations ADD COLUMN project_id INTEGER;
ALTER TABLE session_annotations ADD COLUMN project_id INTEGER;
UPDATE span_annotations SET project_id = (SELECT s.project_id FROM spans s WHERE s.id = target_rowid);
UPDATE trace_annotations SET project_id = (SELECT t.project_id FROM traces t WHERE t.id = target_rowid);
UPDATE session_annotations SET project_id = (SELECT s.project_id FROM sessions s WHERE s.id = target_rowid);
CREATE INDEX span_annotations_project ON span_annotations (project_id, name, label, score, target_rowid);

-- The projects page's daily 👍 share of `user feedback` (the end users'
-- votes), per project and day (days since the epoch), kept by triggers so
-- that the page reads a few rows instead of every vote ever given. Names
-- and labels as in app/src/model/span_details.rs.
CREATE TABLE feedback_days (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    up         INTEGER NOT NULL DEFAULT 0,
    total      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day)
) WITHOUT ROWID;
INSERT INTO feedback_days (project_id, day, up, total)
SELECT project_id, created_at / 86400000000000, sum(label = 'thumbs-up'), count(*)
FROM span_annotations
WHERE name = 'user feedback' AND label IN ('thumbs-up', 'thumbs-down') AND project_id IS NOT NULL
GROUP BY 1, 2;

CREATE TRIGGER feedback_days_in AFTER INSERT ON span_annotations
WHEN new.name = 'user feedback' AND new.label IN ('thumbs-up', 'thumbs-down')
BEGIN
    INSERT INTO feedback_days (project_id, day, up, total)
    VALUES (new.project_id, new.created_at / 86400000000000, new.label = 'thumbs-up', 1)
    ON CONFLICT (project_id, day) DO UPDATE SET up = up + excluded.up, total = total + 1;
END;
CREATE TRIGGER feedback_days_out AFTER DELETE ON span_annotations
WHEN old.name = 'user feedback' AND old.label IN ('thumbs-up', 'thumbs-down')
BEGIN
    UPDATE feedback_days SET up = up - (old.label = 'thumbs-up'), total = total - 1
    WHERE project_id = old.project_id AND day = old.created_at / 86400000000000;
END;
-- A vote changed (an upsert replaces the label): the old one out, the new one in.
CREATE TRIGGER feedback_days_changed AFTER UPDATE OF name, label, created_at, project_id ON span_annotations
WHEN (old.name = 'user feedback' AND old.label IN ('thumbs-up', 'thumbs-down'))
  OR (new.name = 'user feedback' AND new.label IN ('thumbs-up', 'thumbs-down'))
BEGIN
    UPDATE feedback_days SET up = up - (old.label = 'thumbs-up'), total = total - 1
    WHERE project_id = old.project_id AND day = old.created_at / 86400000000000
      AND old.name = 'user feedback' AND old.label IN ('thumbs-up', 'thumbs-down');
    INSERT INTO feedback_days (project_id, day, up, total)
    SELECT new.project_id, new.created_at / 86400000000000, new.label = 'thumbs-up', 1
    WHERE new.name = 'user feedback' AND new.label IN ('thumbs-up', 'thumbs-down')
    ON CONFLICT (project_id, day) DO UPDATE SET up = up + excluded.up, total = total + 1;
END;
