//! The webhook outbox: the events of annotation changes, recorded in the
//! transaction that makes the change (the writer's batch, or a deletion), so
//! that an acknowledged annotation's event survives a crash; alert rules are
//! evaluated in the same transaction. The deliverer sends them later.
//!
//! Without any webhook this costs one indexed `EXISTS` per batch
//! ([`active`]); nothing else runs.

use super::db::{DbConnection, Dialect, Flag, Sql};
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use sqlx::FromRow;
use tokio::sync::Notify;

use super::annotations::{ANNOTATION_COLUMNS, AnnotationRow, Tables, tables};
use super::webhooks::{RULES, RuleRow};
use super::{Result, push_values};
use crate::model::{ALERT_EVENT, Annotation, AnnotationTarget, TargetKind, WebhookFilter, percent_encode};
use crate::time::{from_nanos, iso};

/// Characters of a span's input and output a payload carries.
const SUMMARY_CHARS: usize = 300;
/// Links an alert carries at most.
const ALERT_LINKS: i64 = 20;
/// How long deliveries are retried before they are marked failed: 24 hours.
pub const GIVE_UP_AFTER_NANOS: i64 = 24 * 3600 * 1_000_000_000;
/// Bound parameters per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

/// What the outbox shares with the deliverer: the base of the links in
/// payloads, and the wake-up call after a commit that recorded events.
#[derive(Debug)]
pub(super) struct Outbox {
    /// `--public-url` (or the listener's URL), without a trailing slash.
    pub links: String,
    /// Woken after a commit that recorded events.
    pub wake: Notify,
    /// Set when the transaction in progress recorded events.
    recorded: AtomicBool,
}

impl Outbox {
    pub(super) fn new(links: &str) -> Outbox {
        Outbox { links: links.trim_end_matches('/').to_owned(), wake: Notify::new(), recorded: AtomicBool::new(false) }
    }

    /// Call after a commit: wakes the deliverer if events were recorded.
    pub(super) fn committed(&self) {
        if self.recorded.swap(false, Ordering::AcqRel) {
            self.wake.notify_one();
        }
    }
}

/// An annotation written (`created` tells a new one from a replaced one).
pub(super) type Written = Vec<(TargetKind, i64, bool)>;

/// Whether any webhook exists (then annotation changes are looked at).
pub(super) async fn active(conn: &mut DbConnection) -> Result<bool> {
    let active: Flag = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhooks)").fetch_one(conn).await?;
    Ok(active.0)
}

/// An annotation row with its project, as the outbox needs it.
#[derive(FromRow)]
pub(super) struct ChangedRow {
    #[sqlx(flatten)]
    annotation: AnnotationRow,
    target_rowid: i64,
    project: String,
}

/// The `RETURNING` clause that makes a `DELETE FROM` the annotation table of
/// `kind` answer [`ChangedRow`]s.
fn deleted_columns(kind: TargetKind) -> String {
    let Tables { annotations, targets, id_column, .. } = tables(kind);
    // ANNOTATION_COLUMNS names the table `a`; a DELETE's RETURNING names it by itself.
    let columns = ANNOTATION_COLUMNS.replace("a.", &format!("{annotations}."));
    format!(
        " RETURNING {columns}, (SELECT {id_column} FROM {targets} WHERE id = {annotations}.target_rowid) AS target_id, \
         target_rowid, (SELECT p.name FROM {targets} t JOIN projects p ON p.id = t.project_id \
         WHERE t.id = {annotations}.target_rowid) AS project"
    )
}

/// Records the events of the annotations just written (created or replaced).
pub(super) async fn record_written(
    conn: &mut DbConnection,
    outbox: &Outbox,
    written: &Written,
    now: i64,
) -> Result<()> {
    let mut changes = Vec::new();
    for kind in [TargetKind::Span, TargetKind::Trace, TargetKind::Session, TargetKind::Document] {
        let ids: Vec<(i64, bool)> =
            written.iter().filter(|(k, _, _)| *k == kind).map(|(_, id, created)| (*id, *created)).collect();
        let Tables { annotations, targets, id_column, .. } = tables(kind);
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut query = Sql::new(format!(
                "SELECT {ANNOTATION_COLUMNS}, t.{id_column} AS target_id, a.target_rowid, p.name AS project \
                 FROM {annotations} a JOIN {targets} t ON t.id = a.target_rowid \
                 JOIN projects p ON p.id = t.project_id WHERE a.id IN "
            ));
            push_values(&mut query, chunk.iter().map(|(id, _)| *id));
            for row in query.build_query_as::<ChangedRow>(Dialect::of(conn)).fetch_all(&mut *conn).await? {
                let created = chunk.iter().any(|(id, created)| *created && *id == row.annotation.id());
                let event = if created { "annotation.created" } else { "annotation.updated" };
                changes.push((kind, event, row));
            }
        }
    }
    record(conn, outbox, changes, now).await
}

/// Runs `delete` (a `DELETE FROM` the annotation table of `kind`, inside
/// the caller's writing transaction) and records the `annotation.deleted`
/// events of the rows it removed; returns how many. Call
/// [`Outbox::committed`] after the commit.
pub(super) async fn delete_and_record(
    conn: &mut DbConnection,
    outbox: &Outbox,
    kind: TargetKind,
    mut delete: Sql,
) -> Result<u64> {
    delete.push(deleted_columns(kind));
    let rows: Vec<ChangedRow> = delete.build_query_as(Dialect::of(conn)).fetch_all(&mut *conn).await?;
    let count = rows.len() as u64;
    if count > 0 && active(conn).await? {
        let now = crate::time::to_nanos(chrono::Utc::now());
        let changes = rows.into_iter().map(|row| (kind, "annotation.deleted", row)).collect();
        record(conn, outbox, changes, now).await?;
    }
    Ok(count)
}

/// A webhook as the outbox matches it.
struct Hook {
    id: i64,
    events: Vec<String>,
    filter: WebhookFilter,
}

async fn record(
    conn: &mut DbConnection,
    outbox: &Outbox,
    changes: Vec<(TargetKind, &'static str, ChangedRow)>,
    now: i64,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let hooks: Vec<Hook> = sqlx::query_as::<_, (i64, String, String)>("SELECT id, events, filter FROM webhooks")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id, events, filter)| Hook {
            id,
            events: serde_json::from_str(&events).unwrap_or_default(),
            filter: serde_json::from_str(&filter).unwrap_or_default(),
        })
        .collect();
    let rules: Vec<RuleRow> = sqlx::query_as(RULES).fetch_all(&mut *conn).await?;
    let mut touched: Vec<&RuleRow> = Vec::new();
    for (kind, event, row) in changes {
        let ChangedRow { annotation, target_rowid, project } = row;
        let annotation = annotation.into_annotation(kind);
        let targets: Vec<i64> = hooks
            .iter()
            .filter(|hook| hook.events.iter().any(|e| e == event) && hook.filter.matches(&project, &annotation))
            .map(|hook| hook.id)
            .collect();
        let counted: Vec<&RuleRow> = match event {
            "annotation.deleted" => Vec::new(),
            _ => rules
                .iter()
                .filter(|rule| rule.project == project)
                .filter(|rule| {
                    serde_json::from_str::<WebhookFilter>(&rule.filter).is_ok_and(|f| f.matches(&project, &annotation))
                })
                .collect(),
        };
        if targets.is_empty() && counted.is_empty() {
            continue;
        }
        let summary = summary(conn, kind, target_rowid).await?;
        let link = link(&outbox.links, &project, kind, &annotation, summary.as_ref());
        if !targets.is_empty() {
            let payload = annotation_payload(event, kind, now, &project, &annotation, summary.as_ref(), &link);
            insert_event(conn, event, &payload, &targets, now).await?;
            outbox.recorded.store(true, Ordering::Release);
        }
        for rule in counted {
            sqlx::query(
                "INSERT INTO alert_hits (rule_id, annotation_id, link, at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (rule_id, annotation_id) DO UPDATE SET link = excluded.link, at = excluded.at",
            )
            .bind(rule.id)
            .bind(annotation.id.to_string())
            .bind(&link)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            if !touched.iter().any(|r| r.id == rule.id) {
                touched.push(rule);
            }
        }
    }
    for rule in touched {
        if fire_if_due(conn, outbox, rule, now).await? {
            outbox.recorded.store(true, Ordering::Release);
        }
    }
    Ok(())
}

/// Counts the rule's hits within its window and, at the threshold and out
/// of its cool-down, records one `alert` event; whether it fired.
async fn fire_if_due(conn: &mut DbConnection, outbox: &Outbox, rule: &RuleRow, now: i64) -> Result<bool> {
    const NANOS: i64 = 1_000_000_000;
    sqlx::query("DELETE FROM alert_hits WHERE rule_id = $1 AND at <= $2")
        .bind(rule.id)
        .bind(now - rule.window_seconds * NANOS)
        .execute(&mut *conn)
        .await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM alert_hits WHERE rule_id = $1")
        .bind(rule.id)
        .fetch_one(&mut *conn)
        .await?;
    let quiet = rule.last_fired_at.is_some_and(|at| now < at + rule.cooldown_seconds * NANOS);
    if count < rule.threshold || quiet {
        return Ok(false);
    }
    let links: Vec<String> =
        sqlx::query_scalar("SELECT link FROM alert_hits WHERE rule_id = $1 ORDER BY at DESC LIMIT $2")
            .bind(rule.id)
            .bind(ALERT_LINKS)
            .fetch_all(&mut *conn)
            .await?;
    let project_url = format!("{}/projects/{}", outbox.links, percent_encode(&rule.project));
    let minutes = (rule.window_seconds + 59) / 60;
    let text = format!(
        "Plume alert: {count} matching annotations in the last {minutes} min in project {} (threshold {}). <{}|Open the project>",
        slack_escape(&rule.project),
        rule.threshold,
        project_url
    );
    let payload = json!({
        "type": ALERT_EVENT,
        "timestamp": iso(from_nanos(now)),
        "data": {
            "rule_id": crate::ids::AlertRuleId(rule.id),
            "project": rule.project,
            "count": count,
            "threshold": rule.threshold,
            "window_seconds": rule.window_seconds,
            "url": project_url,
            "links": links,
        },
        "text": text,
    });
    insert_event(conn, ALERT_EVENT, &payload, &[rule.webhook_id], now).await?;
    sqlx::query("UPDATE alert_rules SET last_fired_at = $1 WHERE id = $2")
        .bind(now)
        .bind(rule.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM alert_hits WHERE rule_id = $1").bind(rule.id).execute(&mut *conn).await?;
    Ok(true)
}

/// Records one event (a fresh `webhook-id`) and its delivery to each webhook, due now.
pub(super) async fn insert_event(
    conn: &mut DbConnection,
    event_type: &str,
    payload: &Value,
    webhooks: &[i64],
    now: i64,
) -> Result<String> {
    let event_id = format!("msg_{}", super::new_token());
    let rowid: i64 = sqlx::query_scalar(
        "INSERT INTO webhook_events (event_id, event_type, payload, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&event_id)
    .bind(event_type)
    .bind(payload.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let mut query = Sql::new(
        "INSERT INTO webhook_deliveries (webhook_id, event_rowid, next_attempt_at, give_up_at, created_at, updated_at) ",
    );
    query.push_values(webhooks, |mut row, webhook| {
        row.push_bind(*webhook)
            .push_bind(rowid)
            .push_bind(now)
            .push_bind(now + GIVE_UP_AFTER_NANOS)
            .push_bind(now)
            .push_bind(now);
    });
    query.build(Dialect::of(conn)).execute(&mut *conn).await?;
    Ok(event_id)
}

/// The span an annotation is about (a trace's: its root), summarised.
#[derive(FromRow)]
struct Summary {
    name: String,
    span_id: String,
    trace_id: String,
    input: Option<String>,
    output: Option<String>,
}

async fn summary(conn: &mut DbConnection, kind: TargetKind, target_rowid: i64) -> Result<Option<Summary>> {
    let which = match kind {
        TargetKind::Span => "s.id = $1",
        TargetKind::Trace => "s.trace_rowid = $1 AND s.parent_id IS NULL",
        TargetKind::Session => return Ok(None),
        TargetKind::Document => "s.id = (SELECT span_rowid FROM span_documents WHERE id = $1)",
    };
    // One character more than shown tells a cut text from a whole one.
    let limit = SUMMARY_CHARS + 1;
    let dialect = Dialect::of(conn);
    let row: Option<Summary> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.name, s.span_id, t.trace_id, \
         substr(CAST({input} AS TEXT), 1, {limit}) AS input, substr(CAST({output} AS TEXT), 1, {limit}) AS output \
         FROM spans s JOIN traces t ON t.id = s.trace_rowid WHERE {which} ORDER BY s.start_time LIMIT 1",
        input = dialect.attribute("s.attributes", "input.value"),
        output = dialect.attribute("s.attributes", "output.value"),
    )))
    .bind(target_rowid)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|span| Summary {
        input: span.input.as_deref().map(cut),
        output: span.output.as_deref().map(cut),
        ..span
    }))
}

/// At most [`SUMMARY_CHARS`] characters, with `…` when cut.
fn cut(text: &str) -> String {
    match text.char_indices().nth(SUMMARY_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The page of what the annotation is about: its span, its trace, or (for a
/// session) the project.
fn link(base: &str, project: &str, kind: TargetKind, annotation: &Annotation, summary: Option<&Summary>) -> String {
    let project_url = format!("{base}/projects/{}", percent_encode(project));
    match (kind, summary) {
        (TargetKind::Span | TargetKind::Document, Some(span)) => format!("{project_url}/spans/{}", span.span_id),
        (TargetKind::Trace, _) => format!("{project_url}/traces/{}", target_id(annotation)),
        _ => project_url,
    }
}

/// The body of an `annotation.*` event: Standard Webhooks' `type`,
/// `timestamp` and `data`, and a Slack-compatible `text`.
fn annotation_payload(
    event: &str,
    kind: TargetKind,
    now: i64,
    project: &str,
    annotation: &Annotation,
    summary: Option<&Summary>,
    link: &str,
) -> Value {
    let result = &annotation.result;
    let mut verdict = Vec::new();
    if let Some(label) = &result.label {
        verdict.push(format!("label *{}*", slack_escape(label)));
    }
    if let Some(score) = result.score {
        verdict.push(format!("score {score}"));
    }
    let what = match summary {
        Some(span) => format!("span \"{}\"", slack_escape(&span.name)),
        None => format!("{} {}", kind.as_str(), target_id(annotation)),
    };
    let verb = event.strip_prefix("annotation.").unwrap_or(event);
    let mut text = format!(
        "Plume: annotation \"{}\" {verb} on {what} in project {}{}{} <{link}|Open>",
        slack_escape(&annotation.name),
        slack_escape(project),
        if verdict.is_empty() { String::new() } else { format!(": {}", verdict.join(", ")) },
        result.explanation.as_deref().map(|e| format!(" — {}", slack_escape(&cut(e)))).unwrap_or_default(),
    );
    if let Some(input) = summary.and_then(|s| s.input.as_deref()) {
        text.push_str(&format!("\n> {}", slack_escape(input).replace('\n', " ")));
    }
    json!({
        "type": event,
        "timestamp": iso(from_nanos(now)),
        "data": {
            "project": project,
            "annotation": annotation,
            "span": summary.map(|span| json!({
                "name": span.name,
                "span_id": span.span_id,
                "trace_id": span.trace_id,
                "input": span.input,
                "output": span.output,
            })),
            "url": link,
        },
        "text": text,
    })
}

/// The id of the span, trace or session an annotation is about.
fn target_id(annotation: &Annotation) -> &str {
    match &annotation.target {
        AnnotationTarget::Span(id) | AnnotationTarget::Trace(id) | AnnotationTarget::Session(id) => id,
    }
}

/// Slack's mrkdwn escapes: `&`, `<` and `>`.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_long_text_on_a_character_boundary() {
        assert_eq!(cut("short"), "short");
        let long = "é".repeat(SUMMARY_CHARS + 5);
        assert_eq!(cut(&long).chars().count(), SUMMARY_CHARS + 1);
        assert_eq!(slack_escape("<a & b>"), "&lt;a &amp; b&gt;");
    }
}
