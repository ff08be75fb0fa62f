-- New votes counted once per statement instead of once per row (issue 12).
--
-- `feedback_days_in` (0007, 0017) was a row trigger: every vote inserted ran
-- its own `INSERT … ON CONFLICT DO UPDATE` of the day's tally, and a batch of
-- votes updated the same tally row once per vote, each update a new version
-- of that row. Under `sync=true` annotation load that upsert took 28 % of
-- PostgreSQL's time in `INSERT INTO span_annotations` (0.037 ms a vote).
-- Now one upsert per statement adds each (project, day)'s votes together,
-- from the statement's transition table, in key order (two transactions that
-- share a slot then take its rows in one order and cannot deadlock).
--
-- Votes changed by an upsert stay with the row trigger
-- `feedback_days_changed`: a trigger that names columns (`UPDATE OF …`) may
-- not have a transition table, and a changed vote is rare. Rows an
-- `ON CONFLICT DO UPDATE` updates are not in the insert's transition table,
-- so no vote is counted twice.
CREATE OR REPLACE FUNCTION feedback_days_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feedback_tallies AS f (project_id, day, slot, up, total)
    SELECT project_id, created_at / 86400000000000, tally_slot(), count(*) FILTER (WHERE label = 'thumbs-up'), count(*)
    FROM added
    WHERE name = 'user feedback' AND label IN ('thumbs-up', 'thumbs-down')
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (project_id, day, slot) DO UPDATE SET up = f.up + excluded.up, total = f.total + excluded.total;
    RETURN NULL;
END
$$;
DROP TRIGGER feedback_days_in ON span_annotations;
CREATE TRIGGER feedback_days_in AFTER INSERT ON span_annotations
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION feedback_days_in();
