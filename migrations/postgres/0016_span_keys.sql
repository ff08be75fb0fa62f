-- Ingestion at PostgreSQL's pace (issue 12): `spans` loses its two foreign
-- keys, and a trigger keeps what they did on delete.
--
-- PostgreSQL checks a foreign key by running a query for every inserted row
-- (`SELECT 1 FROM traces WHERE id = $1 FOR KEY SHARE`, through SPI, from
-- executor start to end). With two keys per span those checks took about 30 %
-- of the writer's database time, and dropping them cut PostgreSQL's CPU per
-- 100,000 spans from 4.7–6.4 s to 3.0–3.4 s (docs/benchmarks.md).
--
-- The checks guarded nothing the writer doesn't already: it is the only code
-- that inserts spans, and it takes each span's project and trace ids from the
-- rows it upserted moments before in the same transaction. An upserted trace
-- that existed stays locked by `ON CONFLICT DO UPDATE` until the commit, and a
-- new one is invisible to everyone else until then, so no other replica can
-- delete a trace between its upsert and its spans' insert.
--
-- What the keys still did was cascade: deleting a project deletes its traces
-- (`traces.project_id` keeps its key), and deleting traces must delete their
-- spans. That is this trigger; the spans' own delete triggers (counts,
-- search, collection tombstones) fire as they did under the cascade.
-- SQLite keeps its keys: checking one there is an index probe, not a query.
ALTER TABLE spans DROP CONSTRAINT spans_project_id_fkey, DROP CONSTRAINT spans_trace_rowid_fkey;

CREATE FUNCTION traces_take_spans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM spans WHERE trace_rowid IN (SELECT id FROM gone);
    RETURN NULL;
END
$$;
CREATE TRIGGER traces_take_spans AFTER DELETE ON traces
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION traces_take_spans();
