-- Agreement (issue 14) reads one annotation name's ratings in a project, of
-- spans (through `span_annotations_project`, migration 0007) and of traces:
-- the trace annotations get the same way in, instead of every trace
-- annotation of that name in every project. Same as migrations/sqlite/0011.
CREATE INDEX trace_annotations_project ON trace_annotations (project_id, name);
