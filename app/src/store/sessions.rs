//! Sessions (`/v1/sessions`, `/v1/projects/{p}/sessions`, the sessions tab
//! and the session page): the traces that share a `session.id`, written by
//! the writer as spans arrive, read and deleted here.
//!
//! Deleting a session deletes its traces in the same transaction; the
//! foreign keys' cascades take their spans and everything hanging on those
//! (annotations and notes, collection and queue items), and the triggers of
//! migration 0007 keep the search index and the project counts right, as for
//! any other deletion.

use super::db::{Dialect, Sql};
use std::collections::HashMap;

use sqlx::{AssertSqlSafe, FromRow};

use super::trace_list::root;
use super::{Error, Page, Result, Store, page, push_values};
use crate::ids::{GlobalId, SessionRowid, TraceRowid};
use crate::model::{
    AnnotationChip, FEEDBACK_NAME, MAX_SESSION_TURNS, NOTE_NAME, PREVIEW_CHARS, Session, SessionAnnotationLine,
    SessionListPage, SessionRow, SessionTrace, SessionTurn, SessionView, THUMBS_DOWN, THUMBS_UP, TURN_CHARS,
};
use crate::time::from_nanos;

/// How a session is named on the wire: Phoenix accepts its global id or the
/// `session.id` value the spans carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionKey {
    /// A `ProjectSession` global id's rowid.
    Rowid(i64),
    /// A `session.id` value.
    Name(String),
}

impl SessionKey {
    /// A global id of a session, else a `session.id` value (as Phoenix).
    pub fn parse(identifier: &str) -> SessionKey {
        match SessionRowid::parse(identifier) {
            Some(id) => SessionKey::Rowid(id.0),
            None => SessionKey::Name(identifier.to_owned()),
        }
    }
}

#[derive(FromRow)]
struct SessionRecord {
    id: i64,
    project_id: i64,
    session_id: String,
    start_time: i64,
    end_time: i64,
    prompt: i64,
    completion: i64,
}

#[derive(FromRow)]
struct SessionTraceRecord {
    session_rowid: i64,
    id: i64,
    trace_id: String,
    start_time: i64,
    end_time: i64,
}

/// `SELECT` of a session `se` with its LLM token totals (summed in floating
/// point and cast, saturating, as the traces' totals: counts are untrusted).
fn select_sessions(dialect: Dialect) -> String {
    let tokens = |column: &str| {
        format!(
            "CAST((SELECT {} FROM traces t JOIN spans s ON s.trace_rowid = t.id \
             WHERE t.session_rowid = se.id AND s.span_kind = 'LLM') AS BIGINT)",
            dialect.saturating_total(&format!("s.{column}"))
        )
    };
    format!(
        "SELECT se.id, se.project_id, se.session_id, se.start_time, se.end_time, {} AS prompt, {} AS completion \
         FROM sessions se",
        tokens("prompt_tokens"),
        tokens("completion_tokens"),
    )
}

/// ` se.id IN (…)` or ` se.session_id IN (…)`.
fn push_keys(query: &mut Sql, column_prefix: &str, rowids: &[i64], names: &[String]) {
    if names.is_empty() {
        query.push(format!(" {column_prefix}id IN "));
        push_values(query, rowids.iter().copied());
    } else {
        query.push(format!(" {column_prefix}session_id IN "));
        push_values(query, names.iter().cloned());
    }
}

impl Store {
    /// The session named by `identifier` (global id or `session.id`) with its traces.
    pub async fn session(&self, identifier: &str) -> Result<Session> {
        let mut query = Sql::new(select_sessions(self.dialect));
        let missing = match SessionKey::parse(identifier) {
            SessionKey::Rowid(rowid) => {
                query.push(" WHERE se.id = ").push_bind(rowid);
                format!("Session with ID {identifier} not found")
            }
            SessionKey::Name(name) => {
                query.push(" WHERE se.session_id = ").push_bind(name);
                format!("Session with session_id {identifier} not found")
            }
        };
        let record: SessionRecord =
            query.build_query_as(self.dialect).fetch_optional(&self.pool).await?.ok_or(Error::NotFound(missing))?;
        let mut sessions = self.with_traces(vec![record]).await?;
        Ok(sessions.remove(0))
    }

    /// A project's sessions by rowid (`ascending` or not), `cursor` the rowid
    /// of the first one to show (inclusive, as Phoenix).
    pub async fn list_sessions(
        &self,
        project: &str,
        cursor: Option<i64>,
        limit: u32,
        ascending: bool,
    ) -> Result<Page<Session>> {
        let project_rowid = self.project_rowid(project).await?;
        let mut query = Sql::new(select_sessions(self.dialect));
        query.push(" WHERE se.project_id = ").push_bind(project_rowid);
        let (comparison, direction) = if ascending { (">=", "ASC") } else { ("<=", "DESC") };
        if let Some(cursor) = cursor {
            query.push(format!(" AND se.id {comparison} ")).push_bind(cursor);
        }
        query.push(format!(" ORDER BY se.id {direction} LIMIT ")).push_bind(i64::from(limit) + 1);
        let records: Vec<SessionRecord> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        let Page { rows, next } = page(records, limit, |record| record.id);
        Ok(Page { rows: self.with_traces(rows).await?, next })
    }

    /// The sessions of `records` with their traces, by start time.
    async fn with_traces(&self, records: Vec<SessionRecord>) -> Result<Vec<Session>> {
        let mut traces: HashMap<i64, Vec<SessionTrace>> = HashMap::new();
        if !records.is_empty() {
            let mut query = Sql::new(
                "SELECT session_rowid, id, trace_id, start_time, end_time FROM traces WHERE session_rowid IN ",
            );
            push_values(&mut query, records.iter().map(|record| record.id));
            query.push(" ORDER BY start_time, id");
            let rows: Vec<SessionTraceRecord> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
            for row in rows {
                traces.entry(row.session_rowid).or_default().push(SessionTrace {
                    id: TraceRowid(row.id),
                    trace_id: row.trace_id,
                    start_time: from_nanos(row.start_time),
                    end_time: from_nanos(row.end_time),
                });
            }
        }
        Ok(records
            .into_iter()
            .map(|record| Session {
                id: SessionRowid(record.id),
                session_id: record.session_id,
                project_id: crate::ids::ProjectId(record.project_id),
                start_time: from_nanos(record.start_time),
                end_time: from_nanos(record.end_time),
                traces: traces.remove(&record.id).unwrap_or_default(),
                token_count_prompt: record.prompt,
                token_count_completion: record.completion,
                token_count_total: record.prompt.saturating_add(record.completion),
            })
            .collect())
    }

    /// Deletes the session named by `identifier` with its traces, spans and
    /// what hangs on them, in one transaction; 404 when there is none.
    pub async fn delete_session(&self, identifier: &str) -> Result<()> {
        let key = SessionKey::parse(identifier);
        let missing = match &key {
            SessionKey::Rowid(_) => format!("Session with ID '{identifier}' not found"),
            SessionKey::Name(_) => format!("Session with session_id '{identifier}' not found"),
        };
        if self.delete_session_keys(&[key]).await? == 0 {
            return Err(Error::NotFound(missing));
        }
        Ok(())
    }

    /// Deletes the sessions named by `identifiers` (all global ids or all
    /// `session.id` values, as Phoenix requires; unknown ones are skipped)
    /// with their traces, in one transaction. Answers how many were deleted.
    pub async fn delete_sessions(&self, identifiers: &[String]) -> Result<u64> {
        if identifiers.is_empty() {
            return Err(Error::Invalid("Session identifier list must not be empty.".into()));
        }
        let keys: Vec<SessionKey> = identifiers.iter().map(|identifier| SessionKey::parse(identifier)).collect();
        let by_rowid = keys.iter().filter(|key| matches!(key, SessionKey::Rowid(_))).count();
        if by_rowid != 0 && by_rowid != keys.len() {
            return Err(Error::Invalid(
                "All identifiers must be the same type: either all GlobalIDs or all session_id strings.".into(),
            ));
        }
        self.delete_session_keys(&keys).await
    }

    /// Deletes the sessions of `keys` (all of one kind) and their traces.
    async fn delete_session_keys(&self, keys: &[SessionKey]) -> Result<u64> {
        let (mut rowids, mut names) = (Vec::new(), Vec::new());
        for key in keys {
            match key {
                SessionKey::Rowid(rowid) => rowids.push(*rowid),
                SessionKey::Name(name) => names.push(name.clone()),
            }
        }
        let mut tx = self.begin_write().await?;
        let mut select = Sql::new("SELECT id FROM sessions WHERE");
        push_keys(&mut select, "", &rowids, &names);
        let found: Vec<i64> = select.build_query_scalar(self.dialect).fetch_all(&mut *tx).await?;
        if found.is_empty() {
            return Ok(0);
        }
        // The traces first, the way every trace delete goes (their spans,
        // annotations with their webhook events, notes and items): a
        // session's own cascade would only unlink them.
        let mut traces = Sql::new("SELECT id FROM traces WHERE session_rowid IN ");
        push_values(&mut traces, found.iter().copied());
        let trace_rowids: Vec<i64> = traces.build_query_scalar(self.dialect).fetch_all(&mut *tx).await?;
        super::deletes::delete_traces(&mut tx, &self.outbox, &trace_rowids).await?;
        let mut sessions = Sql::new("DELETE FROM sessions WHERE");
        push_keys(&mut sessions, "", &found, &[]);
        let deleted = sessions.build(self.dialect).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        self.outbox.committed();
        Ok(deleted)
    }
}

#[derive(FromRow)]
struct SessionListRecord {
    id: i64,
    session_id: String,
    start_time: i64,
    end_time: i64,
    turns: i64,
    last_input: Option<String>,
}

#[derive(FromRow)]
struct TurnRecord {
    trace_id: String,
    start_time: i64,
    end_time: i64,
    root_rowid: Option<i64>,
    root_span_id: Option<String>,
    input: Option<String>,
    output: Option<String>,
}

#[derive(FromRow)]
struct SessionAnnotationRecord {
    name: String,
    label: Option<String>,
    score: Option<f64>,
    explanation: Option<String>,
}

/// The root span `r`'s text attribute `key`, its first `chars` characters.
fn root_text(dialect: Dialect, key: &str, chars: i64) -> String {
    format!("substr({}, 1, {chars})", dialect.attribute("r.attributes", key))
}

impl Store {
    /// One page of the sessions tab, newest session first; `cursor` is the
    /// rowid of the first session to show. `None` for an unknown project.
    pub async fn session_rows(
        &self,
        project: &str,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Option<SessionListPage>> {
        let Some(project_rowid) = self.known_project_rowid(project).await? else { return Ok(None) };
        // Audited: the formatted parts are constants; values are bound.
        let sql = format!(
            "SELECT se.id, se.session_id, se.start_time, se.end_time,
                    (SELECT count(*) FROM traces t WHERE t.session_rowid = se.id) AS turns,
                    (SELECT {input} FROM spans r WHERE r.id = (SELECT {root} FROM traces t
                        WHERE t.session_rowid = se.id ORDER BY t.start_time DESC, t.id DESC LIMIT 1)) AS last_input
             FROM sessions se WHERE se.project_id = $1 AND ($2 IS NULL OR se.id <= $2)
             ORDER BY se.id DESC LIMIT $3",
            input = root_text(self.dialect, "input.value", PREVIEW_CHARS),
            root = root(self.dialect),
        );
        let records: Vec<SessionListRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(project_rowid)
            .bind(cursor)
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        let Page { rows: records, next: next_cursor } = page(records, limit, |record| record.id);
        let votes = self.session_votes(records.iter().map(|record| record.id)).await?;
        let rows = records
            .into_iter()
            .map(|record| {
                let (thumbs_up, thumbs_down) = votes.get(&record.id).copied().unwrap_or_default();
                SessionRow {
                    session_id: record.session_id,
                    start_time: from_nanos(record.start_time),
                    end_time: from_nanos(record.end_time),
                    turns: record.turns,
                    last_input: record.last_input.filter(|text| !text.is_empty()),
                    thumbs_up,
                    thumbs_down,
                }
            })
            .collect();
        Ok(Some(SessionListPage { rows, next_cursor }))
    }

    /// `user feedback` 👍 and 👎 on the spans of each session, by session rowid.
    async fn session_votes(&self, rowids: impl Iterator<Item = i64>) -> Result<HashMap<i64, (i64, i64)>> {
        let rowids: Vec<i64> = rowids.collect();
        if rowids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut query = Sql::new("SELECT t.session_rowid, count(*) FILTER (WHERE a.label = ");
        query.push_bind(THUMBS_UP).push("), count(*) FILTER (WHERE a.label = ").push_bind(THUMBS_DOWN);
        query.push(
            ") FROM traces t JOIN spans s ON s.trace_rowid = t.id JOIN span_annotations a ON a.target_rowid = s.id \
             WHERE a.name = ",
        );
        query.push_bind(FEEDBACK_NAME).push(" AND t.session_rowid IN ");
        push_values(&mut query, rowids);
        query.push(" GROUP BY t.session_rowid");
        let rows: Vec<(i64, i64, i64)> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(session, up, down)| (session, (up, down))).collect())
    }

    /// Session `session_id` of `project` turn by turn, with its annotations;
    /// `None` when the project is unknown or the session is not one of its.
    pub async fn session_view(&self, project: &str, session_id: &str) -> Result<Option<SessionView>> {
        let Some(project_rowid) = self.known_project_rowid(project).await? else { return Ok(None) };
        let found: Option<(i64, i64, i64)> =
            sqlx::query_as("SELECT id, start_time, end_time FROM sessions WHERE session_id = $1 AND project_id = $2")
                .bind(session_id)
                .bind(project_rowid)
                .fetch_optional(&self.pool)
                .await?;
        let Some((rowid, start_time, end_time)) = found else { return Ok(None) };
        let turn_count: i64 = sqlx::query_scalar("SELECT count(*) FROM traces WHERE session_rowid = $1")
            .bind(rowid)
            .fetch_one(&self.pool)
            .await?;
        // Audited: the formatted parts are constants; values are bound.
        let sql = format!(
            "SELECT t.trace_id, t.start_time, t.end_time, r.id AS root_rowid, r.span_id AS root_span_id,
                    {input} AS input, {output} AS output
             FROM (SELECT t.id, t.trace_id, t.start_time, t.end_time, {root} AS root FROM traces t
                   WHERE t.session_rowid = $1 ORDER BY t.start_time, t.id LIMIT $2) t
             LEFT JOIN spans r ON r.id = t.root ORDER BY t.start_time, t.id",
            input = root_text(self.dialect, "input.value", TURN_CHARS),
            output = root_text(self.dialect, "output.value", TURN_CHARS),
            root = root(self.dialect),
        );
        let records: Vec<TurnRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(rowid)
            .bind(i64::from(MAX_SESSION_TURNS))
            .fetch_all(&self.pool)
            .await?;
        let mut chips = self.root_chips(records.iter().filter_map(|record| record.root_rowid)).await?;
        let turns = records
            .into_iter()
            .map(|record| SessionTurn {
                annotations: record.root_rowid.and_then(|id| chips.remove(&id)).unwrap_or_default(),
                trace_id: record.trace_id,
                root_span_id: record.root_span_id,
                start_time: from_nanos(record.start_time),
                latency_ms: (record.end_time - record.start_time) as f64 / 1e6,
                input: record.input,
                output: record.output,
            })
            .collect();
        let annotations: Vec<SessionAnnotationRecord> = sqlx::query_as(
            "SELECT name, label, score, explanation FROM session_annotations WHERE target_rowid = $1
             ORDER BY name = $2, name, identifier",
        )
        .bind(rowid)
        .bind(NOTE_NAME)
        .fetch_all(&self.pool)
        .await?;
        let annotations = annotations
            .into_iter()
            .map(|record| SessionAnnotationLine {
                chip: AnnotationChip { name: record.name, label: record.label, score: record.score },
                explanation: record.explanation,
            })
            .collect();
        Ok(Some(SessionView {
            session_id: session_id.to_owned(),
            start_time: from_nanos(start_time),
            end_time: from_nanos(end_time),
            turn_count,
            turns,
            annotations,
        }))
    }

    /// The `session.id` of trace `trace_id`, if it has one.
    pub async fn trace_session(&self, trace_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT se.session_id FROM traces t JOIN sessions se ON se.id = t.session_rowid WHERE t.trace_id = $1",
        )
        .bind(trace_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
