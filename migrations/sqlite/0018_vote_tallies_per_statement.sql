-- Nothing on SQLite: PostgreSQL's 0018 counts new votes once per statement
-- instead of once per row, with a transition table, which SQLite's triggers
-- lack. SQLite's row trigger updates its one tally row in place.
SELECT 1;
