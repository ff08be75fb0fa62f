-- Nothing on SQLite: PostgreSQL's 0016 trades the foreign keys of `spans` for
-- a delete trigger, because PostgreSQL checks a key with a query per inserted
-- row. SQLite checks one with an index probe and keeps its keys.
SELECT 1;
