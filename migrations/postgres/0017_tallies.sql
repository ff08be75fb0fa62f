-- Counts that writers side by side can add to without waiting for each other
-- (issue 12). `project_counts` and `feedback_days` (0007) kept one row per
-- project (per project and day for the votes), and every writer's batch
-- updated that row: a second writer, or another replica, then waited on its
-- lock until the first committed, so ingestion into one project ran one
-- batch at a time however many writers there were.
--
-- Here each count is spread over up to 16 rows, its slots: a transaction adds
-- to the slot its transaction id picks, so two writers share a row one time
-- in 16, and a reader sums the slots. Deletes take from slot 0, which exists
-- for every project (counts are only ever read as sums, so a slot may go
-- below zero); a vote taken back leaves the slot that counted its day first.
--
-- `project_counts` and `feedback_days` stay, no longer kept, so that a build
-- from before this migration still serves during a rolling upgrade (with the
-- counts of the moment this migration ran) instead of failing.
CREATE TABLE project_tallies (
    project_id BIGINT   NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    slot       SMALLINT NOT NULL,
    traces     BIGINT   NOT NULL DEFAULT 0,
    spans      BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, slot)
);
INSERT INTO project_tallies (project_id, slot, traces, spans)
SELECT p.id, 0, coalesce(c.traces, 0), coalesce(c.spans, 0)
FROM projects p LEFT JOIN project_counts c ON c.project_id = p.id;

CREATE TABLE feedback_tallies (
    project_id BIGINT   NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    day        BIGINT   NOT NULL,
    slot       SMALLINT NOT NULL,
    up         BIGINT   NOT NULL DEFAULT 0,
    total      BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day, slot)
);
INSERT INTO feedback_tallies (project_id, day, slot, up, total)
SELECT project_id, day, 0, up, total FROM feedback_days;

-- The slot of the running transaction: the same for all of its statements,
-- so a transaction never holds two slots of one count (two writers holding
-- one each and wanting the other's would deadlock).
CREATE FUNCTION tally_slot() RETURNS SMALLINT LANGUAGE sql STABLE AS $$
    SELECT (pg_current_xact_id()::text::bigint % 16)::smallint
$$;

CREATE OR REPLACE FUNCTION projects_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_tallies (project_id, slot) VALUES (NEW.id, 0);
    RETURN NULL;
END
$$;

-- Projects in order of their ids: a batch of several projects takes its
-- slots' locks in one order.
CREATE OR REPLACE FUNCTION traces_count_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_tallies AS t (project_id, slot, traces)
    SELECT project_id, tally_slot(), count(*) FROM added GROUP BY project_id ORDER BY project_id
    ON CONFLICT (project_id, slot) DO UPDATE SET traces = t.traces + excluded.traces;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION spans_count_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_tallies AS t (project_id, slot, spans)
    SELECT project_id, tally_slot(), count(*) FROM added GROUP BY project_id ORDER BY project_id
    ON CONFLICT (project_id, slot) DO UPDATE SET spans = t.spans + excluded.spans;
    RETURN NULL;
END
$$;

-- Slot 0 on delete: it exists (no insert, so no key check against a project
-- that a cascade is deleting right now), and deletes are rare.
CREATE OR REPLACE FUNCTION traces_count_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_tallies t SET traces = t.traces - g.n
    FROM (SELECT project_id, count(*) AS n FROM gone GROUP BY project_id) g
    WHERE t.project_id = g.project_id AND t.slot = 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION spans_count_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_tallies t SET spans = t.spans - g.n
    FROM (SELECT project_id, count(*) AS n FROM gone GROUP BY project_id) g
    WHERE t.project_id = g.project_id AND t.slot = 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION feedback_days_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feedback_tallies AS f (project_id, day, slot, up, total)
    VALUES (NEW.project_id, NEW.created_at / 86400000000000, tally_slot(),
            CASE WHEN NEW.label = 'thumbs-up' THEN 1 ELSE 0 END, 1)
    ON CONFLICT (project_id, day, slot) DO UPDATE SET up = f.up + excluded.up, total = f.total + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION feedback_days_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feedback_tallies SET up = up - CASE WHEN OLD.label = 'thumbs-up' THEN 1 ELSE 0 END, total = total - 1
    WHERE project_id = OLD.project_id AND day = OLD.created_at / 86400000000000
      AND slot = (SELECT min(slot) FROM feedback_tallies
                  WHERE project_id = OLD.project_id AND day = OLD.created_at / 86400000000000);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION feedback_days_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name = 'user feedback' AND OLD.label IN ('thumbs-up', 'thumbs-down') THEN
        UPDATE feedback_tallies SET up = up - CASE WHEN OLD.label = 'thumbs-up' THEN 1 ELSE 0 END, total = total - 1
        WHERE project_id = OLD.project_id AND day = OLD.created_at / 86400000000000
          AND slot = (SELECT min(slot) FROM feedback_tallies
                      WHERE project_id = OLD.project_id AND day = OLD.created_at / 86400000000000);
    END IF;
    IF NEW.name = 'user feedback' AND NEW.label IN ('thumbs-up', 'thumbs-down') THEN
        INSERT INTO feedback_tallies AS f (project_id, day, slot, up, total)
        VALUES (NEW.project_id, NEW.created_at / 86400000000000, tally_slot(),
                CASE WHEN NEW.label = 'thumbs-up' THEN 1 ELSE 0 END, 1)
        ON CONFLICT (project_id, day, slot) DO UPDATE SET up = f.up + excluded.up, total = f.total + 1;
    END IF;
    RETURN NULL;
END
$$;
