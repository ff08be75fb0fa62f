-- Indexes for the UI's trace list (app/src/store/trace_list.rs), which must
-- stay fast with millions of spans. Same as migrations/sqlite/0003: partial
-- and expression indexes mean the same on PostgreSQL.

-- A trace's root span, and its status and kind, found without reading any
-- span row (the list filters on them for every trace it passes).
CREATE INDEX spans_roots ON spans (trace_rowid, start_time, status_code, span_kind) WHERE parent_id IS NULL;

-- Keyset paging by latency; the expression matches the list's ORDER BY.
CREATE INDEX traces_project_latency ON traces (project_id, (end_time - start_time));

-- Root spans by status and kind: counts them, and lists their traces when few match.
CREATE INDEX spans_root_status ON spans (project_id, status_code, span_kind, trace_rowid) WHERE parent_id IS NULL;
