//! The UI's trace list: one row per trace, described by its root span, with
//! keyset paging on (sort key, rowid) so that no page scans the ones before it.

use super::db::{Dialect, Sql};
use std::collections::HashMap;

use sqlx::FromRow;

use super::search::{Plan, push_candidates, push_like, push_walk};
use super::span_query::{led_by_annotation, push_condition};
use super::traces::token_total;
use super::{Page, Result, Store, push_values};
use crate::ids::{GlobalId, SessionRowid};
use crate::model::span_condition::parse_condition;
use crate::model::{
    AnnotationChip, MatchCount, NOTE_NAME, PREVIEW_CHARS, TraceListPage, TraceListQuery, TraceRow, TraceSort,
};
use crate::time::{from_nanos, parse_iso, to_nanos};

/// One trace of a page, as both the UI's list and the REST listing read it.
#[derive(FromRow)]
pub(super) struct Row {
    pub(super) id: i64,
    pub(super) trace_id: String,
    pub(super) start_time: i64,
    pub(super) end_time: i64,
    pub(super) root_rowid: Option<i64>,
    pub(super) root_span_id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) span_kind: Option<String>,
    pub(super) status_code: Option<String>,
    pub(super) input_preview: Option<String>,
    pub(super) output_preview: Option<String>,
    pub(super) prompt: i64,
    pub(super) completion: i64,
    pub(super) session_id: Option<String>,
}

#[derive(FromRow)]
struct ChipRow {
    target_rowid: i64,
    name: String,
    label: Option<String>,
    score: Option<f64>,
}

/// The rowid of trace `t`'s root span (the earliest without a parent), an
/// index-only lookup in `spans_roots`.
pub(super) fn root(dialect: Dialect) -> String {
    let index = dialect.indexed_by("spans_roots");
    format!("(SELECT id FROM spans{index} WHERE trace_rowid = t.id AND parent_id IS NULL ORDER BY start_time LIMIT 1)")
}

/// Matching rows from which a filter counts as dense (see [`Store::dense`]).
const DENSE_ROWS: i64 = 2_000;

/// A datetime-local value (`2024-05-01T10:30`, taken as UTC) or RFC 3339, in ns.
fn parse_time(text: &str) -> Option<i64> {
    parse_iso(text).map(to_nanos)
}

fn parse_score(text: &Option<String>) -> Option<f64> {
    text.as_deref()?.parse::<f64>().ok().filter(|s| s.is_finite())
}

impl Store {
    /// One page of a project's traces for the UI, filtered and sorted as
    /// `query` says; `None` when the project does not exist.
    pub async fn trace_rows(&self, project: &str, query: &TraceListQuery, limit: u32) -> Result<Option<TraceListPage>> {
        let Some(project_rowid) = self.known_project_rowid(project).await? else { return Ok(None) };
        let Page { rows, next: next_cursor } = match self.trace_page(project_rowid, query, limit).await {
            Ok(page) => page,
            // Only the advanced filter can be refused: the page says why beside its box.
            Err(super::Error::Invalid(message)) if query.condition.is_some() => {
                return Ok(Some(TraceListPage { condition_error: Some(message), ..TraceListPage::default() }));
            }
            Err(error) => return Err(error),
        };
        let mut chips = self.root_chips(rows.iter().filter_map(|row| row.root_rowid)).await?;
        let rows = rows
            .into_iter()
            .map(|row| TraceRow {
                annotations: row.root_rowid.and_then(|id| chips.remove(&id)).unwrap_or_default(),
                trace_id: row.trace_id,
                root_span_id: row.root_span_id,
                name: row.name,
                span_kind: row.span_kind,
                status_code: row.status_code,
                start_time: from_nanos(row.start_time),
                latency_ms: (row.end_time - row.start_time) as f64 / 1e6,
                prompt_tokens: row.prompt,
                completion_tokens: row.completion,
                input_preview: row.input_preview,
                output_preview: row.output_preview,
                session_id: row.session_id,
            })
            .collect();
        let search_backlog = match query.text {
            Some(_) => Some(self.unindexed_spans().await?).filter(|&left| left > super::search::DIRECT_LAG),
            None => None,
        };
        Ok(Some(TraceListPage { rows, next_cursor, search_backlog, condition_error: None }))
    }

    /// One page of the traces of project `project_rowid` matching `query`,
    /// and the cursor (`value:rowid`) of the next page: the one listing
    /// behind the UI's trace list and `GET /v1/projects/{p}/traces`.
    pub(super) async fn trace_page(
        &self,
        project_rowid: i64,
        query: &TraceListQuery,
        limit: u32,
    ) -> Result<Page<Row, String>> {
        let mut sql = self.trace_rows_query("", project_rowid, query, limit).await?;
        let mut rows: Vec<Row> = sql.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        if rows.len() <= limit as usize {
            return Ok(Page { rows, next: None });
        }
        let next = &rows[limit as usize];
        let value = match query.sort {
            TraceSort::Time => next.start_time,
            TraceSort::Latency => next.end_time - next.start_time,
        };
        let cursor = format!("{value}:{}", next.id);
        rows.truncate(limit as usize);
        Ok(Page { rows, next: Some(cursor) })
    }

    /// The trace list's query for one page (`limit + 1` rows), after
    /// `prefix` (empty, or `EXPLAIN QUERY PLAN ` for the plan tests).
    pub(super) async fn trace_rows_query(
        &self,
        prefix: &str,
        project_rowid: i64,
        query: &TraceListQuery,
        limit: u32,
    ) -> Result<Sql> {
        // The expressions match the indexes of 0003_ui_indexes.sql exactly.
        let key = match query.sort {
            TraceSort::Time => "t.start_time",
            TraceSort::Latency => "(t.end_time - t.start_time)",
        };
        // The page is chosen from `traces` and index-only lookups of the root
        // span (spans_roots); only its rows then read the root span itself.
        let mut sql = Sql::new(format!(
            "{prefix}SELECT p.id, p.trace_id, p.start_time, p.end_time, r.id AS root_rowid, r.span_id AS root_span_id, \
             r.name, r.span_kind, r.status_code, \
             substr({input}, 1, {PREVIEW_CHARS}) AS input_preview, \
             substr({output}, 1, {PREVIEW_CHARS}) AS output_preview, \
             {prompt} AS prompt, {completion} AS completion, \
             (SELECT se.session_id FROM sessions se WHERE se.id = p.session_rowid) AS session_id \
             FROM (SELECT t.id, t.trace_id, t.start_time, t.end_time, t.session_rowid, {root} AS root ",
            input = self.dialect.attribute("r.attributes", "input.value"),
            output = self.dialect.attribute("r.attributes", "output.value"),
            prompt = token_total(self.dialect, "prompt_tokens", "p.id"),
            root = root(self.dialect),
            completion = token_total(self.dialect, "completion_tokens", "p.id"),
        ));
        self.push_traces(&mut sql, query, project_rowid).await?;
        let (comparison, direction) = if query.ascending { (">", "ASC") } else { ("<", "DESC") };
        if let Some((value, rowid)) = query.position() {
            sql.push(format!(" AND ({key}, t.id) {comparison}= ("))
                .push_bind(value)
                .push(", ")
                .push_bind(rowid)
                .push(")");
        }
        sql.push(format!(" ORDER BY {key} {direction}, t.id {direction} LIMIT ")).push_bind(i64::from(limit) + 1);
        let outer_key = key.replace("t.", "p.");
        sql.push(format!(") p LEFT JOIN spans r ON r.id = p.root ORDER BY {outer_key} {direction}, p.id {direction}"));
        Ok(sql)
    }

    /// `FROM traces t WHERE …`: the traces of project `project_rowid`
    /// matching every filter of `query` (not its cursor). The trace list's
    /// page, its count and "flag all matching" all select traces through here.
    async fn push_traces(&self, sql: &mut Sql, query: &TraceListQuery, project_rowid: i64) -> Result<()> {
        sql.push("FROM traces t WHERE true");
        let collected = self.push_trace_filters(sql, query, project_rowid).await?;
        // With a filter whose few matching traces were collected, the unary
        // `+` keeps SQLite from walking the project's index and probing that
        // list for every trace: it reads the listed traces by rowid instead.
        sql.push(if collected { " AND +t.project_id = " } else { " AND t.project_id = " }).push_bind(project_rowid);
        Ok(())
    }

    /// ` AND …` conditions on trace `t` of project `project_rowid` for
    /// every filter of `query` (not its cursor). Each filter with many
    /// matches is tested on the traces as the listing walks them; one with
    /// few collects its traces first (` AND t.id IN (…)`): the answer says
    /// whether one did.
    async fn push_trace_filters(&self, sql: &mut Sql, query: &TraceListQuery, project_rowid: i64) -> Result<bool> {
        let root = root(self.dialect);
        let mut collected = false;
        if let Some(from) = query.from.as_deref().and_then(parse_time) {
            sql.push(" AND t.start_time >= ").push_bind(from);
        }
        if let Some(to) = query.to.as_deref().and_then(parse_time) {
            sql.push(" AND t.start_time < ").push_bind(to);
        }
        if let Some(min) = query.min_latency_ms {
            sql.push(" AND (t.end_time - t.start_time) / 1000000.0 >= ").push_bind(min);
        }
        if let Some(max) = query.max_latency_ms {
            sql.push(" AND (t.end_time - t.start_time) / 1000000.0 <= ").push_bind(max);
        }
        if let Some(error) = query.error {
            sql.push(if error { " AND EXISTS" } else { " AND NOT EXISTS" });
            sql.push(" (SELECT 1 FROM spans s WHERE s.trace_rowid = t.id AND s.status_code = 'ERROR')");
        }
        if !query.sessions.is_empty() {
            push_sessions(sql, &query.sessions, project_rowid);
        }
        if let Some(text) = &query.condition {
            // Any span of the trace: the span query's condition, tested on
            // each span of the traces as the listing walks them; or, when
            // an annotation test leads it, on the annotated spans first
            // (walking, SQLite would look up each annotated span in every trace).
            let refused = |error: crate::model::span_condition::ConditionError| {
                super::Error::Invalid(format!("invalid condition: {error}"))
            };
            let condition = parse_condition(text).map_err(refused)?;
            if led_by_annotation(&condition) {
                sql.push(" AND t.id IN (SELECT s.trace_rowid FROM spans s WHERE s.project_id = ");
                sql.push_bind(project_rowid).push(" AND ");
                collected = true;
            } else {
                sql.push(" AND EXISTS (SELECT 1 FROM spans s WHERE s.trace_rowid = t.id AND ");
            }
            push_condition(self.dialect, sql, &condition, project_rowid).map_err(refused)?;
            sql.push(")");
        }
        if query.status.is_some() || query.kind.is_some() {
            let dense = self
                .dense(&format!("spans{}", self.dialect.indexed_by("spans_root_status")), |q| {
                    push_root_match(q, query, Some(project_rowid))
                })
                .await?;
            if dense {
                sql.push(format!(
                    " AND EXISTS (SELECT 1 FROM spans{} WHERE trace_rowid = t.id",
                    self.dialect.indexed_by("spans_roots")
                ));
                push_root_match(sql, query, None);
            } else {
                sql.push(format!(
                    " AND t.id IN (SELECT trace_rowid FROM spans{} WHERE true",
                    self.dialect.indexed_by("spans_root_status")
                ));
                push_root_match(sql, query, Some(project_rowid));
                collected = true;
            }
            sql.push(")");
        }
        if let Some(text) = &query.text {
            match self.search_plan(text).await? {
                Plan::Collect { fts, unindexed_above } => {
                    sql.push(" AND t.id IN (SELECT s.trace_rowid FROM spans s WHERE s.id IN (");
                    push_candidates(self.dialect, sql, &fts, unindexed_above);
                    sql.push(") AND s.parent_id IS NULL AND s.project_id = ").push_bind(project_rowid).push(" AND ");
                    push_like(self.dialect, sql, "s", text);
                    sql.push(")");
                    collected = true;
                }
                Plan::Walk => push_walk(self.dialect, sql, &root, text),
            }
        }
        if query.unannotated {
            sql.push(format!(" AND NOT EXISTS (SELECT 1 FROM span_annotations a WHERE a.target_rowid = {root}"));
            push_annotation_match(sql, query);
            sql.push(")");
        } else if has_annotation_filter(query) {
            // Dense in this project: annotations elsewhere must not make the
            // walk over this project's traces look promising. Annotations
            // carry their project, so neither the count nor the collection
            // reads other projects' annotations.
            let here = |q: &mut Sql| {
                q.push(" AND a.project_id = ").push_bind(project_rowid).push(" AND s.parent_id IS NULL");
                push_annotation_match(q, query);
            };
            let annotated_roots = &format!(
                "span_annotations a{} JOIN spans s ON s.id = a.target_rowid",
                self.dialect.indexed_by("span_annotations_project")
            );
            if self.dense(annotated_roots, here).await? {
                sql.push(format!(" AND EXISTS (SELECT 1 FROM span_annotations a WHERE a.target_rowid = {root}"));
            } else {
                sql.push(format!(" AND t.id IN (SELECT s.trace_rowid FROM {annotated_roots} WHERE a.project_id = "));
                sql.push_bind(project_rowid).push(" AND s.parent_id IS NULL");
                collected = true;
            }
            push_annotation_match(sql, query);
            sql.push(")");
        }
        Ok(collected)
    }

    /// How many traces of `project` match `query`'s filters (all pages), up
    /// to [`MatchCount::CAP`]; `None` when the project does not exist.
    pub async fn count_trace_rows(&self, project: &str, query: &TraceListQuery) -> Result<Option<MatchCount>> {
        let Some(project_rowid) = self.known_project_rowid(project).await? else { return Ok(None) };
        if !query.is_filtered() {
            // Kept by triggers in slots (migration 0017): no scan of the project.
            let count: Option<i64> =
                sqlx::query_scalar("SELECT CAST(sum(traces) AS BIGINT) FROM project_tallies WHERE project_id = $1")
                    .bind(project_rowid)
                    .fetch_one(&self.pool)
                    .await?;
            return Ok(Some(MatchCount { count: count.unwrap_or(0), at_least: false }));
        }
        let mut sql = Sql::new("SELECT count(*) FROM (SELECT 1 ");
        self.push_traces(&mut sql, query, project_rowid).await?;
        sql.push(" LIMIT ").push_bind(MatchCount::CAP + 1).push(") matching");
        let found: i64 = sql.build_query_scalar(self.dialect).fetch_one(&self.pool).await?;
        Ok(Some(MatchCount { count: found.min(MatchCount::CAP), at_least: found > MatchCount::CAP }))
    }

    /// ` AND s.id IN (…)`: the root spans of the traces of `project_rowid`
    /// matching `query`'s filters, for selections over spans `s`.
    pub(super) async fn push_trace_list_roots(
        &self,
        sql: &mut Sql,
        query: &TraceListQuery,
        project_rowid: i64,
    ) -> Result<()> {
        sql.push(format!(" AND s.id IN (SELECT {} ", root(self.dialect)));
        self.push_traces(sql, query, project_rowid).await?;
        sql.push(")");
        Ok(())
    }

    /// The project's rowid, `None` when there is no such project.
    pub(super) async fn known_project_rowid(&self, project: &str) -> Result<Option<i64>> {
        match self.project_rowid(project).await {
            Ok(rowid) => Ok(Some(rowid)),
            Err(super::Error::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The annotations (notes left out) of the given spans, by span rowid.
    pub(super) async fn root_chips(
        &self,
        rowids: impl Iterator<Item = i64>,
    ) -> Result<HashMap<i64, Vec<AnnotationChip>>> {
        let rowids: Vec<i64> = rowids.collect();
        let mut chips: HashMap<i64, Vec<AnnotationChip>> = HashMap::new();
        if rowids.is_empty() {
            return Ok(chips);
        }
        let mut sql = Sql::new("SELECT target_rowid, name, label, score FROM span_annotations WHERE target_rowid IN ");
        push_values(&mut sql, rowids);
        sql.push(" AND name != ").push_bind(NOTE_NAME).push(" ORDER BY name, identifier");
        let found: Vec<ChipRow> = sql.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        for row in found {
            chips.entry(row.target_rowid).or_default().push(AnnotationChip {
                name: row.name,
                label: row.label,
                score: row.score,
            });
        }
        Ok(chips)
    }
}

/// ` AND t.session_rowid IN (…)`: traces in any of `sessions` of project
/// `project_rowid`, each a `ProjectSession` global id or a `session.id`.
fn push_sessions(sql: &mut Sql, sessions: &[String], project_rowid: i64) {
    let rowids: Vec<i64> = sessions.iter().filter_map(|s| SessionRowid::parse(s)).map(|id| id.0).collect();
    sql.push(" AND t.session_rowid IN (SELECT id FROM sessions WHERE project_id = ");
    sql.push_bind(project_rowid).push(" AND (session_id IN ");
    push_values(sql, sessions.iter().cloned());
    if !rowids.is_empty() {
        sql.push(" OR id IN ");
        push_values(sql, rowids);
    }
    sql.push("))");
}

/// Whether `query` asks for traces having some annotation.
fn has_annotation_filter(query: &TraceListQuery) -> bool {
    query.annotation.is_some()
        || query.label.is_some()
        || parse_score(&query.min_score).is_some()
        || parse_score(&query.max_score).is_some()
}

/// ` AND …` conditions on annotation `a`: not a note, and (unless looking
/// for unannotated traces, where only the name counts) name, label, scores.
fn push_annotation_match(sql: &mut Sql, query: &TraceListQuery) {
    if query.unannotated {
        push_annotation_conditions(sql, query.annotation.as_deref(), None, None, None);
    } else {
        let (min, max) = (parse_score(&query.min_score), parse_score(&query.max_score));
        push_annotation_conditions(sql, query.annotation.as_deref(), query.label.as_deref(), min, max);
    }
}

/// ` AND …` conditions on annotation `a`: not a note, and each of name,
/// label and score bounds that is given. The trace list and the span
/// listing filter annotations through here.
pub(super) fn push_annotation_conditions(
    sql: &mut Sql,
    name: Option<&str>,
    label: Option<&str>,
    min_score: Option<f64>,
    max_score: Option<f64>,
) {
    sql.push(" AND a.name != ").push_bind(NOTE_NAME);
    if let Some(name) = name {
        sql.push(" AND a.name = ").push_bind(name.to_owned());
    }
    if let Some(label) = label {
        sql.push(" AND a.label = ").push_bind(label.to_owned());
    }
    if let Some(min) = min_score {
        sql.push(" AND a.score >= ").push_bind(min);
    }
    if let Some(max) = max_score {
        sql.push(" AND a.score <= ").push_bind(max);
    }
}

/// ` AND …` conditions on a root span (of `project`, when given): status and kind.
fn push_root_match(sql: &mut Sql, query: &TraceListQuery, project_rowid: Option<i64>) {
    if let Some(project_rowid) = project_rowid {
        sql.push(" AND project_id = ").push_bind(project_rowid);
    }
    sql.push(" AND parent_id IS NULL");
    if let Some(status) = &query.status {
        sql.push(" AND status_code = ").push_bind(status.clone());
    }
    if let Some(kind) = &query.kind {
        sql.push(" AND span_kind = ").push_bind(kind.clone());
    }
}

impl Store {
    /// Whether at least [`DENSE_ROWS`] rows of `from` match the conditions
    /// `conditions` pushes. Many matches: walk the traces in list order and
    /// test each (the page fills quickly). Few: collect the matching traces
    /// first (walking would pass over almost every trace).
    pub(super) async fn dense(&self, from: &str, conditions: impl Fn(&mut Sql)) -> Result<bool> {
        let mut count = Sql::new(format!("SELECT count(*) FROM (SELECT 1 FROM {from} WHERE true"));
        conditions(&mut count);
        count.push(format!(" LIMIT {DENSE_ROWS}) d"));
        let found: i64 = count.build_query_scalar(self.dialect).fetch_one(&self.pool).await?;
        Ok(found >= DENSE_ROWS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_times() {
        assert_eq!(parse_time("2023-11-14T22:13"), Some(1_700_000_000_000_000_000 - 20_000_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Some(1_700_000_000_000_000_000));
        assert_eq!(parse_time("yesterday"), None);
    }
}
