//! The span query (`POST /v1/spans`): a project's spans matching a checked
//! filter [`Condition`], newest first. The condition becomes SQL here, every
//! value of it a bound parameter: field names map to fixed SQL text, and
//! attribute keys and annotation names are bound too (JSON paths are
//! parameters), so no text of the condition reaches SQL.

use super::db::{Dialect, Sql};
use super::spans::{SPAN_COLUMNS, SpanRow};
use super::{Result, Store};
use crate::model::Span;
use crate::model::span_condition::{
    AnnotationPart, CompareOp, Condition, ConditionError, Field, Literal, Operand, TokenCount,
};
use crate::time::{parse_iso, to_nanos};

/// The most rows one span query returns.
pub const MAX_SPAN_QUERY_ROWS: u32 = 10_000;

/// Which spans a span query reads.
#[derive(Clone, Debug, Default)]
pub struct SpanQueryFilter {
    /// The checked condition, if any.
    pub condition: Option<Condition>,
    /// `start_time >= this` (ns).
    pub start_time: Option<i64>,
    /// `start_time < this` (ns).
    pub end_time: Option<i64>,
    /// Root spans only: no parent, or a parent not stored (Phoenix's default
    /// of counting orphans as roots).
    pub root_spans_only: bool,
    /// At most this many rows (≤ [`MAX_SPAN_QUERY_ROWS`]).
    pub limit: u32,
}

impl Store {
    /// The spans of `project` matching `filter`, newest first (by arrival,
    /// which walks the project's index and stops at the limit).
    pub async fn query_spans(&self, project: &str, filter: &SpanQueryFilter) -> Result<Vec<Span>> {
        let project_rowid = self.project_rowid(project).await?;
        let mut query = Sql::new(format!(
            "SELECT {SPAN_COLUMNS} FROM spans s JOIN traces t ON t.id = s.trace_rowid WHERE s.project_id = "
        ));
        query.push_bind(project_rowid);
        if let Some(start) = filter.start_time {
            query.push(" AND s.start_time >= ").push_bind(start);
        }
        if let Some(end) = filter.end_time {
            query.push(" AND s.start_time < ").push_bind(end);
        }
        if filter.root_spans_only {
            query
                .push(" AND (s.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM spans r WHERE r.span_id = s.parent_id))");
        }
        if let Some(condition) = &filter.condition {
            query.push(" AND ");
            push_condition(self.dialect, &mut query, condition, project_rowid)
                .map_err(|e| super::Error::Invalid(e.0))?;
        }
        query.push(" ORDER BY s.id DESC LIMIT ").push_bind(i64::from(filter.limit.min(MAX_SPAN_QUERY_ROWS)));
        let rows: Vec<SpanRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Span::from).collect())
    }
}

/// `condition` as a parenthesised SQL boolean on span `s` of project
/// `project_rowid`, its trace `t` in scope (the span query joins it; the trace
/// list tests its traces' spans). Fails only for a time compared with text that is
/// not an ISO 8601 time.
///
/// Python compares values of any type, and so does SQLite. PostgreSQL does
/// not: there every operand is a JSONB value (fields through `to_jsonb`,
/// attributes as stored, constants as JSON), which compare as Python's would
/// (numbers by value, text by text, `true` equal only to `true`).
pub(super) fn push_condition(
    dialect: Dialect,
    query: &mut Sql,
    condition: &Condition,
    project_rowid: i64,
) -> Result<(), ConditionError> {
    query.push("(");
    if let Some(test) = annotation_test(condition) {
        push_annotation_test(dialect, query, &test, project_rowid)?;
        query.push(")");
        return Ok(());
    }
    match condition {
        Condition::And(parts) | Condition::Or(parts) => {
            let joiner = if matches!(condition, Condition::And(_)) { " AND " } else { " OR " };
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    query.push(joiner);
                }
                push_condition(dialect, query, part, project_rowid)?;
            }
        }
        Condition::Not(inner) => {
            query.push("NOT ");
            push_condition(dialect, query, inner, project_rowid)?;
        }
        Condition::Compare(left, op, right) => {
            let time = time_field(left) || time_field(right);
            push_operand(dialect, query, left, time)?;
            query.push(match op {
                CompareOp::Eq => " = ",
                CompareOp::NotEq => " != ",
                CompareOp::Lt => " < ",
                CompareOp::LtE => " <= ",
                CompareOp::Gt => " > ",
                CompareOp::GtE => " >= ",
            });
            push_operand(dialect, query, right, time)?;
        }
        Condition::In { needle, haystack, negated } => {
            if *negated {
                query.push("NOT ");
            }
            let time = time_field(needle);
            match haystack {
                Operand::List(values) if values.is_empty() => {
                    query.push("false");
                }
                Operand::List(values) => {
                    push_operand(dialect, query, needle, time)?;
                    query.push(" IN (");
                    for (i, value) in values.iter().enumerate() {
                        if i > 0 {
                            query.push(", ");
                        }
                        push_literal(dialect, query, value, time)?;
                    }
                    query.push(")");
                }
                _ => {
                    // Python's substring test.
                    query.push(dialect.pick("instr(", "strpos(("));
                    push_operand(dialect, query, haystack, false)?;
                    query.push(dialect.pick(", ", ") #>> '{}', ("));
                    push_operand(dialect, query, needle, false)?;
                    query.push(dialect.pick(") > 0", ") #>> '{}') > 0"));
                }
            }
        }
        Condition::IsNone { operand, negated } => {
            push_operand(dialect, query, operand, false)?;
            query.push(if *negated { " IS NOT NULL" } else { " IS NULL" });
        }
    }
    query.push(")");
    Ok(())
}

/// Whether an annotation test must hold for `condition` to (alone, or as a
/// part of a top-level `and`): then the spans that can match are the few
/// whose annotations pass it, found through the annotations' index, and a
/// selection should start from them rather than test every span against
/// the list of annotated ones.
pub(super) fn led_by_annotation(condition: &Condition) -> bool {
    match condition {
        Condition::And(parts) => parts.iter().any(led_by_annotation),
        other => annotation_test(other).is_some_and(|test| !test.negated),
    }
}

/// A test of one annotation's part against constants: answered from the
/// project's annotations through their index (`span_annotations_project`)
/// instead of a lookup per span, and true when *any* annotation of that name
/// passes it (a span may have several: one per annotator).
struct AnnotationTest<'a> {
    name: &'a str,
    part: AnnotationPart,
    /// `None`: the part is set (`is not None`).
    test: Option<(&'static str, Vec<&'a Literal>)>,
    /// The span has no such annotation passing the test.
    negated: bool,
}

fn annotation_test(condition: &Condition) -> Option<AnnotationTest<'_>> {
    fn annotation(operand: &Operand) -> Option<(&str, AnnotationPart)> {
        match operand {
            Operand::Field(Field::Annotation { name, part }) => Some((name.as_str(), *part)),
            _ => None,
        }
    }
    fn literal(operand: &Operand) -> Option<&Literal> {
        match operand {
            Operand::Literal(literal) => Some(literal),
            _ => None,
        }
    }
    match condition {
        Condition::Compare(left, op, right) => {
            let ((name, part), value, flipped) = match (annotation(left), annotation(right)) {
                (Some(found), None) => (found, literal(right)?, false),
                (None, Some(found)) => (found, literal(left)?, true),
                _ => return None,
            };
            let sql = match (op, flipped) {
                (CompareOp::Eq, _) => " = ",
                (CompareOp::NotEq, _) => " != ",
                (CompareOp::Lt, false) | (CompareOp::Gt, true) => " < ",
                (CompareOp::LtE, false) | (CompareOp::GtE, true) => " <= ",
                (CompareOp::Gt, false) | (CompareOp::Lt, true) => " > ",
                (CompareOp::GtE, false) | (CompareOp::LtE, true) => " >= ",
            };
            Some(AnnotationTest { name, part, test: Some((sql, vec![value])), negated: false })
        }
        Condition::In { needle, haystack, negated } => {
            if let (Some((name, part)), Operand::List(values)) = (annotation(needle), haystack) {
                return Some(AnnotationTest {
                    name,
                    part,
                    test: Some((" IN ", values.iter().collect())),
                    negated: *negated,
                });
            }
            let (name, part) = annotation(haystack)?;
            Some(AnnotationTest { name, part, test: Some(("instr", vec![literal(needle)?])), negated: *negated })
        }
        Condition::IsNone { operand, negated } => {
            let (name, part) = annotation(operand)?;
            Some(AnnotationTest { name, part, test: None, negated: !negated })
        }
        _ => None,
    }
}

fn push_annotation_test(
    dialect: Dialect,
    query: &mut Sql,
    test: &AnnotationTest,
    project_rowid: i64,
) -> Result<(), ConditionError> {
    let column = annotation_column(test.part);
    let compared = dialect.pick(column.to_owned(), format!("to_jsonb({column})"));
    query.push(if test.negated { "s.id NOT IN" } else { "s.id IN" });
    query.push(" (SELECT a.target_rowid FROM span_annotations a WHERE a.project_id = ").push_bind(project_rowid);
    query.push(" AND a.name = ").push_bind(test.name.to_owned()).push(" AND ");
    match &test.test {
        None => {
            query.push(column).push(" IS NOT NULL");
        }
        Some(("instr", values)) => {
            query.push(dialect.pick("instr(", "strpos(")).push(column).push(", ");
            push_literal(dialect, query, values[0], false)?;
            query.push(dialect.pick(") > 0", " #>> '{}') > 0"));
        }
        Some((" IN ", values)) if values.is_empty() => {
            query.push("false");
        }
        Some((" IN ", values)) => {
            query.push(&compared).push(" IN (");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    query.push(", ");
                }
                push_literal(dialect, query, value, false)?;
            }
            query.push(")");
        }
        Some((op, values)) => {
            query.push(&compared).push(*op);
            push_literal(dialect, query, values[0], false)?;
        }
    }
    query.push(")");
    Ok(())
}

fn annotation_column(part: AnnotationPart) -> &'static str {
    match part {
        AnnotationPart::Label => "a.label",
        AnnotationPart::Score => "a.score",
        AnnotationPart::Explanation => "a.explanation",
    }
}

fn time_field(operand: &Operand) -> bool {
    matches!(operand, Operand::Field(field) if field.is_time())
}

fn push_operand(dialect: Dialect, query: &mut Sql, operand: &Operand, time: bool) -> Result<(), ConditionError> {
    match operand {
        Operand::Field(field) => push_field(dialect, query, field),
        Operand::Literal(literal) => push_literal(dialect, query, literal, time)?,
        Operand::List(_) => return Err(ConditionError("unsupported construct: a list outside `in [...]`".into())),
    }
    Ok(())
}

/// A constant, bound; text compared with a time is read as ISO 8601. On
/// PostgreSQL, a JSONB value (see [`push_condition`]).
fn push_literal(dialect: Dialect, query: &mut Sql, literal: &Literal, time: bool) -> Result<(), ConditionError> {
    let nanos = |text: &str| {
        parse_iso(text).map(to_nanos).ok_or_else(|| {
            ConditionError(format!("{text:?} is not an ISO 8601 time (start_time/end_time compare with one)"))
        })
    };
    if dialect == Dialect::Postgres {
        let json = match literal {
            Literal::Text(text) if time => serde_json::Value::from(nanos(text)?),
            Literal::Text(text) => serde_json::Value::from(text.as_str()),
            Literal::Integer(i) => serde_json::Value::from(*i),
            Literal::Float(f) => serde_json::Value::from(*f),
            Literal::Bool(b) => serde_json::Value::from(*b),
        };
        query.push_bind(json.to_string()).push("::jsonb");
        return Ok(());
    }
    match literal {
        Literal::Text(text) if time => {
            query.push_bind(nanos(text)?);
        }
        Literal::Text(text) => {
            query.push_bind(text.clone());
        }
        Literal::Integer(i) => {
            query.push_bind(*i);
        }
        Literal::Float(f) => {
            query.push_bind(*f);
        }
        Literal::Bool(b) => {
            // JSON booleans read back from attributes as 1 and 0.
            query.push_bind(i64::from(*b));
        }
    }
    Ok(())
}

/// A field as an SQL expression: fixed text, with keys and names bound. On
/// PostgreSQL, a JSONB value (see [`push_condition`]).
fn push_field(dialect: Dialect, query: &mut Sql, field: &Field) {
    if dialect == Dialect::Postgres && !matches!(field, Field::Attribute(_)) {
        query.push("to_jsonb(");
        push_field(Dialect::Sqlite, query, field);
        query.push(")");
        return;
    }
    let column = match field {
        Field::Name => "s.name",
        Field::SpanKind => "s.span_kind",
        Field::StatusCode => "s.status_code",
        Field::StatusMessage => "s.status_message",
        Field::SpanId => "s.span_id",
        Field::TraceId => "t.trace_id",
        Field::ParentId => "s.parent_id",
        Field::LatencyMs => "((s.end_time - s.start_time) / 1000000.0)",
        Field::StartTime => "s.start_time",
        Field::EndTime => "s.end_time",
        Field::CumulativeTokens(count) => {
            let sum = match count {
                TokenCount::Total => "COALESCE(y.prompt_tokens, 0) + COALESCE(y.completion_tokens, 0)",
                TokenCount::Prompt => "COALESCE(y.prompt_tokens, 0)",
                TokenCount::Completion => "COALESCE(y.completion_tokens, 0)",
            };
            query.push(format!(
                "(WITH RECURSIVE d(id, span_id) AS (SELECT s.id, s.span_id UNION ALL \
                 SELECT x.id, x.span_id FROM spans x JOIN d ON x.parent_id = d.span_id) \
                 SELECT SUM({sum}) FROM d JOIN spans y ON y.id = d.id)"
            ));
            return;
        }
        Field::Annotation { name, part } => {
            let column = annotation_column(*part);
            query.push(format!("(SELECT {column} FROM span_annotations a WHERE a.target_rowid = s.id AND a.name = "));
            query.push_bind(name.clone());
            query.push(" ORDER BY a.updated_at DESC, a.id DESC LIMIT 1)");
            return;
        }
        Field::Attribute(keys) => {
            match dialect {
                Dialect::Sqlite => push_attribute(query, keys),
                Dialect::Postgres => push_attribute_postgres(query, keys),
            }
            return;
        }
    };
    query.push(column);
}

/// The JSON path naming one member (keys are checked to hold no `"`).
fn member_path(keys: &[String]) -> String {
    keys.iter().map(|key| format!(".\"{key}\"")).fold("$".to_owned(), |path, part| path + &part)
}

/// An attribute path `[k1, …, kn]`: attributes are stored with the dotted
/// keys as sent (`llm.model_name`), and some values are JSON texts
/// (`metadata`), so each split of the path is tried, longest key first:
/// the key `k1.….ki` and, inside its value (an object or a JSON text), the
/// member path `ki+1 … kn`.
fn push_attribute(query: &mut Sql, keys: &[String]) {
    let splits = keys.len();
    if splits > 1 {
        query.push("COALESCE(");
    }
    for (n, cut) in (1..=splits).rev().enumerate() {
        if n > 0 {
            query.push(", ");
        }
        let key = member_path(&[keys[..cut].join(".")]);
        let rest = &keys[cut..];
        if rest.is_empty() {
            query.push("json_extract(s.attributes, ").push_bind(key).push(")");
        } else {
            query.push("CASE WHEN json_valid(json_extract(s.attributes, ").push_bind(key.clone());
            query.push(")) THEN json_extract(json_extract(s.attributes, ").push_bind(key);
            query.push("), ").push_bind(member_path(rest)).push(") END");
        }
    }
    if splits > 1 {
        query.push(")");
    }
}

/// [`push_attribute`] on PostgreSQL, as JSONB: the key `k1.….ki` and,
/// inside its value (an object, or a JSON text that `plume_json` parses), the
/// member path `ki+1 … kn`; a JSON `null` reads as SQL `NULL`, as SQLite's
/// `json_extract` reads it.
fn push_attribute_postgres(query: &mut Sql, keys: &[String]) {
    query.push("NULLIF(COALESCE(");
    for (n, cut) in (1..=keys.len()).rev().enumerate() {
        if n > 0 {
            query.push(", ");
        }
        let key = keys[..cut].join(".");
        let rest = &keys[cut..];
        if rest.is_empty() {
            query.push("s.attributes::jsonb -> ").push_bind(key);
        } else {
            // A text[] literal: each key quoted, its backslashes doubled (keys hold no `"`).
            let path = rest.iter().map(|k| format!("\"{}\"", k.replace('\\', "\\\\"))).collect::<Vec<_>>().join(",");
            query.push("plume_json(s.attributes::jsonb ->> ").push_bind(key).push(") #> ");
            query.push_bind(format!("{{{path}}}")).push("::text[]");
        }
    }
    query.push("), 'null'::jsonb)");
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::accounts::Author;
    use crate::model::span_condition::parse_condition;
    use crate::model::{AnnotationResult, AnnotationSource, AnnotatorKind, TargetKind};
    use crate::store::{NewAnnotation, NewSpan, WriteMode};

    const T0: i64 = 1_700_000_000_000_000_000;

    fn span(n: usize, parent: Option<usize>, kind: &str, attributes: serde_json::Value, tokens: (i64, i64)) -> NewSpan {
        NewSpan {
            project: Arc::from("q"),
            trace_id: format!("{:032x}", if parent.is_some() { 1 } else { n }),
            span_id: format!("{n:016x}"),
            parent_id: parent.map(|p| format!("{p:016x}")),
            name: format!("span-{n}"),
            span_kind: kind.into(),
            start_time: T0 + i64::try_from(n).unwrap() * 1_000_000_000,
            end_time: T0 + i64::try_from(n).unwrap() * 1_000_000_000 + i64::try_from(n).unwrap() * 10_000_000,
            status_code: if n == 3 { "ERROR" } else { "OK" },
            status_message: String::new(),
            attributes: attributes.to_string(),
            events: "[]".into(),
            resource_attributes: Arc::from("{}"),
            session_id: None,
            prompt_tokens: Some(tokens.0),
            completion_tokens: Some(tokens.1),
        }
    }

    /// Span 1 (root of trace 1) with children 2 and 3; span 4 alone.
    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = Store::sqlite_url_in(dir.path()).unwrap();
        let (store, _task) = Store::open(&url).await.unwrap();
        let spans = vec![
            span(
                1,
                None,
                "CHAIN",
                serde_json::json!({"input.value": "what is rust?", "metadata": "{\"topic\": \"lang\"}"}),
                (0, 0),
            ),
            span(
                2,
                Some(1),
                "LLM",
                serde_json::json!({"llm.model_name": "gpt-4", "a": {"b": "nested"}, "ok": true}),
                (10, 5),
            ),
            span(
                3,
                Some(1),
                "LLM",
                serde_json::json!({"llm.model_name": "claude", "input.value": "x' OR 1=1 --"}),
                (100, 50),
            ),
            span(4, None, "TOOL", serde_json::json!({"metadata": "not json", "a.b": "dotted"}), (1, 1)),
        ];
        store.writer().write_spans(spans).await.unwrap();
        let judged = NewAnnotation {
            target_id: format!("{:016x}", 3),
            name: "quality".into(),
            annotator_kind: AnnotatorKind::Human,
            result: AnnotationResult { label: Some("bad".into()), score: Some(0.0), explanation: Some("wrong".into()) },
            metadata: "{}".into(),
            identifier: String::new(),
            source: AnnotationSource::Api,
            author: Author::default(),
            only_own: false,
        };
        store.writer().write_annotations(TargetKind::Span, vec![judged], WriteMode::Sync).await.unwrap();
        (dir, store)
    }

    /// The span numbers `condition` selects, ascending.
    async fn matching(store: &Store, condition: &str) -> Vec<usize> {
        let filter = SpanQueryFilter {
            condition: Some(parse_condition(condition).unwrap()),
            limit: 100,
            ..SpanQueryFilter::default()
        };
        let mut found: Vec<usize> = store
            .query_spans("q", &filter)
            .await
            .unwrap_or_else(|e| panic!("{condition}: {e}"))
            .into_iter()
            .map(|s| usize::from_str_radix(&s.context.span_id, 16).unwrap())
            .collect();
        found.sort_unstable();
        found
    }

    #[tokio::test]
    async fn each_construct_selects_its_spans() {
        let (_dir, store) = store().await;
        let cases: &[(&str, &[usize])] = &[
            ("span_kind == 'LLM'", &[2, 3]),
            ("name != 'span-1'", &[2, 3, 4]),
            ("status_code == 'ERROR'", &[3]),
            ("span_id == '0000000000000002'", &[2]),
            ("trace_id == '00000000000000000000000000000001'", &[1, 2, 3]),
            ("parent_id is None", &[1, 4]),
            ("parent_id is not None", &[2, 3]),
            ("latency_ms > 25", &[3, 4]),
            ("latency_ms <= 20", &[1, 2]),
            ("start_time >= '2023-11-14T22:13:22Z'", &[2, 3, 4]),
            ("end_time < '2023-11-14T22:13:22Z'", &[1]),
            ("cumulative_token_count.total == 165", &[1]),
            ("cumulative_llm_token_count_prompt >= 100", &[1, 3]),
            ("cumulative_token_count.completion < 5", &[4]),
            ("llm.model_name == 'gpt-4'", &[2]),
            ("'rust' in input.value", &[1]),
            ("'rust' not in input.value", &[3]),
            ("span_kind in ['LLM', 'TOOL']", &[2, 3, 4]),
            ("span_kind not in ('LLM',)", &[1, 4]),
            ("span_kind in []", &[]),
            ("metadata['topic'] == 'lang'", &[1]),
            ("attributes['a']['b'] == 'nested'", &[2]),
            ("a.b == 'dotted'", &[4]),
            ("attributes['ok'] == True", &[2]),
            ("annotations['quality'].label == 'bad'", &[3]),
            ("evals['quality'].score < 0.5", &[3]),
            ("annotations['quality'].explanation is not None", &[3]),
            ("annotations['quality'].label is None", &[1, 2, 4]),
            ("'bad' == annotations['quality'].label", &[3]),
            ("0.5 > evals['quality'].score", &[3]),
            ("annotations['quality'].score >= 0.5", &[]),
            ("annotations['quality'].label in ['bad', 'awful']", &[3]),
            ("annotations['quality'].label not in ['bad']", &[1, 2, 4]),
            ("'wro' in annotations['quality'].explanation", &[3]),
            ("not annotations['quality'].label == 'bad'", &[1, 2, 4]),
            ("annotations['quality'].label != name", &[3]),
            ("annotations['other'].label is not None", &[]),
            ("span_kind == 'LLM' and not llm.model_name == 'gpt-4'", &[3]),
            ("span_kind == 'TOOL' or status_code == 'ERROR'", &[3, 4]),
            ("1 <= latency_ms < 20", &[1]),
        ];
        for (condition, expected) in cases {
            assert_eq!(&matching(&store, condition).await, expected, "{condition}");
        }
    }

    #[tokio::test]
    async fn injection_attempts_are_only_text() {
        let (_dir, store) = store().await;
        // A literal holding SQL matches the span that has that very text, nothing else.
        assert_eq!(matching(&store, "input.value == \"x' OR 1=1 --\"").await, vec![3]);
        assert_eq!(matching(&store, "name == \"' OR '1'='1\"").await, Vec::<usize>::new());
        // Attribute keys and annotation names are bound JSON paths / values.
        assert_eq!(matching(&store, "attributes[\"a') OR 1=1 --\"] is not None").await, Vec::<usize>::new());
        assert_eq!(matching(&store, "attributes['$.llm'] is not None").await, Vec::<usize>::new());
        assert_eq!(matching(&store, "annotations[\"x' OR 1=1 --\"].label is not None").await, Vec::<usize>::new());
        // The spans are all still there.
        assert_eq!(matching(&store, "span_id is not None").await, vec![1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn bad_times_and_filters_compose() {
        let (_dir, store) = store().await;
        let filter = SpanQueryFilter {
            condition: Some(parse_condition("start_time > 'yesterday'").unwrap()),
            limit: 10,
            ..SpanQueryFilter::default()
        };
        let error = store.query_spans("q", &filter).await.unwrap_err();
        assert!(error.to_string().contains("ISO 8601"), "{error}");
        let roots = SpanQueryFilter { root_spans_only: true, limit: 1, ..SpanQueryFilter::default() };
        let found = store.query_spans("q", &roots).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].context.span_id, format!("{:016x}", 4), "newest root first");
    }
}
