-- Counts kept in slots (issue 12): PostgreSQL's 0017 spreads each count over
-- up to 16 rows, so that writers side by side don't wait for one another on
-- one row, and readers sum the slots. SQLite has one writer: every count
-- lives in slot 0, and the tables and readers are the same as PostgreSQL's.
--
-- `project_counts` and `feedback_days` (0007) stay, no longer kept, so that
-- an older build still serves on this database (with the counts of the
-- moment this migration ran) instead of failing.
CREATE TABLE project_tallies (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    slot       INTEGER NOT NULL,
    traces     INTEGER NOT NULL DEFAULT 0,
    spans      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, slot)
) WITHOUT ROWID;
INSERT INTO project_tallies (project_id, slot, traces, spans)
SELECT p.id, 0, coalesce(c.traces, 0), coalesce(c.spans, 0)
FROM projects p LEFT JOIN project_counts c ON c.project_id = p.id;

CREATE TABLE feedback_tallies (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    slot       INTEGER NOT NULL,
    up         INTEGER NOT NULL DEFAULT 0,
    total      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day, slot)
) WITHOUT ROWID;
INSERT INTO feedback_tallies (project_id, day, slot, up, total)
SELECT project_id, day, 0, up, total FROM feedback_days;

DROP TRIGGER projects_counted;
DROP TRIGGER traces_count_in;
DROP TRIGGER traces_count_out;
DROP TRIGGER spans_count_in;
DROP TRIGGER spans_count_out;
DROP TRIGGER feedback_days_in;
DROP TRIGGER feedback_days_out;
DROP TRIGGER feedback_days_changed;

CREATE TRIGGER projects_counted AFTER INSERT ON projects
BEGIN
    INSERT INTO project_tallies (project_id, slot) VALUES (new.id, 0);
END;
CREATE TRIGGER traces_count_in AFTER INSERT ON traces
BEGIN
    UPDATE project_tallies SET traces = traces + 1 WHERE project_id = new.project_id AND slot = 0;
END;
CREATE TRIGGER traces_count_out AFTER DELETE ON traces
BEGIN
    UPDATE project_tallies SET traces = traces - 1 WHERE project_id = old.project_id AND slot = 0;
END;
CREATE TRIGGER spans_count_in AFTER INSERT ON spans
BEGIN
    UPDATE project_tallies SET spans = spans + 1 WHERE project_id = new.project_id AND slot = 0;
END;
CREATE TRIGGER spans_count_out AFTER DELETE ON spans
BEGIN
    UPDATE project_tallies SET spans = spans - 1 WHERE project_id = old.project_id AND slot = 0;
END;

CREATE TRIGGER feedback_days_in AFTER INSERT ON span_annotations
WHEN new.name = 'user feedback' AND new.label IN ('thumbs-up', 'thumbs-down')
BEGIN
    INSERT INTO feedback_tallies (project_id, day, slot, up, total)
    VALUES (new.project_id, new.created_at / 86400000000000, 0, new.label = 'thumbs-up', 1)
    ON CONFLICT (project_id, day, slot) DO UPDATE SET up = up + excluded.up, total = total + 1;
END;
CREATE TRIGGER feedback_days_out AFTER DELETE ON span_annotations
WHEN old.name = 'user feedback' AND old.label IN ('thumbs-up', 'thumbs-down')
BEGIN
    UPDATE feedback_tallies SET up = up - (old.label = 'thumbs-up'), total = total - 1
    WHERE project_id = old.project_id AND day = old.created_at / 86400000000000 AND slot = 0;
END;
-- A vote changed (an upsert replaces the label): the old one out, the new one in.
CREATE TRIGGER feedback_days_changed AFTER UPDATE OF name, label, created_at, project_id ON span_annotations
WHEN (old.name = 'user feedback' AND old.label IN ('thumbs-up', 'thumbs-down'))
  OR (new.name = 'user feedback' AND new.label IN ('thumbs-up', 'thumbs-down'))
BEGIN
    UPDATE feedback_tallies SET up = up - (old.label = 'thumbs-up'), total = total - 1
    WHERE project_id = old.project_id AND day = old.created_at / 86400000000000 AND slot = 0
      AND old.name = 'user feedback' AND old.label IN ('thumbs-up', 'thumbs-down');
    INSERT INTO feedback_tallies (project_id, day, slot, up, total)
    SELECT new.project_id, new.created_at / 86400000000000, 0, new.label = 'thumbs-up', 1
    WHERE new.name = 'user feedback' AND new.label IN ('thumbs-up', 'thumbs-down')
    ON CONFLICT (project_id, day, slot) DO UPDATE SET up = up + excluded.up, total = total + 1;
END;
