-- Nothing on SQLite: PostgreSQL's 0015 adds what several replicas on one
-- database share (the search index's queue, the shared abuse limits). One
-- SQLite writer commits spans in id order, so the index's position suffices,
-- and the limits live in the memory of the one process serving the file.
SELECT 1;
