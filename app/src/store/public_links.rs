//! Public read-only links. A link's token is 32 random bytes shown to its
//! creator once; the database keeps only the token's SHA-256, and a presented
//! token is checked by hashing it and comparing hashes in constant time.

use super::db::{Flag, Sql};
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, FromRow};

use super::collections::now_nanos;
use super::secrets::{new_token, same_hash, token_hash};
use super::spans::{SPAN_COLUMNS, SpanRow};
use super::{Error, Page, Result, Store, page};
use crate::ids::{CollectionId, PublicLinkId};
use crate::model::accounts::Author;
use crate::model::redaction::{LinkRedaction, redact};
use crate::model::{
    Annotation, LinkTarget, MAX_SHARED_EXAMPLES, NOTE_NAME, PublicLink, ShareOutcome, SharedAnnotation, SharedExample,
    SharedView, Span,
};
use crate::time::{from_nanos, iso};

/// A link just made: its rowid, its token (never stored) and its expiry.
#[derive(Clone, Debug)]
pub struct NewLink {
    /// Rowid (`PublicLink:<rowid>`).
    pub rowid: i64,
    /// The secret to hand out.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct LinkRow {
    id: i64,
    token_hash: Vec<u8>,
    collection_id: Option<i64>,
    trace_id: Option<String>,
    redact: String,
    #[sqlx(try_from = "Flag")]
    redact_explanations: bool,
    #[sqlx(try_from = "Flag")]
    redact_notes: bool,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

const LINK_COLUMNS: &str = "l.id, l.token_hash, l.collection_id, t.trace_id, l.redact, l.redact_explanations, \
     l.redact_notes, l.created_at, l.expires_at, l.revoked_at FROM public_links l \
     LEFT JOIN traces t ON t.id = l.trace_rowid";

impl LinkRow {
    fn patterns(&self) -> Vec<String> {
        serde_json::from_str(&self.redact).unwrap_or_default()
    }

    fn redaction(&self) -> LinkRedaction {
        LinkRedaction { patterns: self.patterns(), explanations: self.redact_explanations, notes: self.redact_notes }
    }

    fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }

    fn into_link(self, now: i64) -> PublicLink {
        let status = match (self.revoked_at, self.expires_at > now) {
            (Some(_), _) => "revoked",
            (None, false) => "expired",
            (None, true) => "active",
        };
        PublicLink {
            id: PublicLinkId(self.id),
            collection_id: self.collection_id.map(CollectionId),
            trace_id: self.trace_id.clone(),
            redact: self.patterns(),
            redact_explanations: self.redact_explanations,
            redact_notes: self.redact_notes,
            created_at: from_nanos(self.created_at),
            expires_at: from_nanos(self.expires_at),
            revoked_at: self.revoked_at.map(|at| iso(from_nanos(at))),
            status: status.into(),
        }
    }
}

impl Store {
    /// Makes a link to `target` living `ttl_seconds`, hiding what `redaction` says.
    pub async fn create_public_link(
        &self,
        target: &LinkTarget,
        ttl_seconds: i64,
        redaction: &LinkRedaction,
        author: Author,
    ) -> Result<NewLink> {
        let (collection_rowid, trace_rowid) = match target {
            LinkTarget::Collection(rowid) => (Some(*rowid), None),
            LinkTarget::Trace(trace_id) => {
                let rowid: Option<i64> = sqlx::query_scalar("SELECT id FROM traces WHERE trace_id = $1")
                    .bind(trace_id)
                    .fetch_optional(&self.pool)
                    .await?;
                let rowid = rowid.ok_or_else(|| Error::NotFound(format!("Trace {trace_id} not found")))?;
                (None, Some(rowid))
            }
        };
        let token = new_token();
        let now = now_nanos();
        let expires_at = now.saturating_add(ttl_seconds.saturating_mul(1_000_000_000));
        let rowid: i64 = sqlx::query_scalar(
            "INSERT INTO public_links (token_hash, collection_id, trace_rowid, redact, redact_explanations,
                 redact_notes, created_at, expires_at, user_id, api_key_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(token_hash(&token))
        .bind(collection_rowid)
        .bind(trace_rowid)
        .bind(serde_json::to_string(&redaction.patterns).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(redaction.explanations))
        .bind(i64::from(redaction.notes))
        .bind(now)
        .bind(expires_at)
        .bind(author.user_id)
        .bind(author.api_key_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(NewLink { rowid, token, expires_at: from_nanos(expires_at) })
    }

    /// Every link, newest first, from rowid `cursor` (inclusive).
    pub async fn list_public_links(&self, cursor: Option<i64>, limit: u32) -> Result<Page<PublicLink>> {
        let mut query = Sql::new(format!("SELECT {LINK_COLUMNS} WHERE true"));
        if let Some(cursor) = cursor {
            query.push(" AND l.id <= ").push_bind(cursor);
        }
        query.push(" ORDER BY l.id DESC LIMIT ").push_bind(i64::from(limit) + 1);
        let rows: Vec<LinkRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        let now = now_nanos();
        Ok(page(rows, limit, |row| row.id).map(|row| row.into_link(now)))
    }

    /// The links to one collection (by rowid), newest first, at most `limit`.
    pub async fn collection_public_links(&self, collection_rowid: i64, limit: u32) -> Result<Vec<PublicLink>> {
        let rows: Vec<LinkRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {LINK_COLUMNS} WHERE l.collection_id = $1 ORDER BY l.id DESC LIMIT $2"
        )))
        .bind(collection_rowid)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let now = now_nanos();
        Ok(rows.into_iter().map(|row| row.into_link(now)).collect())
    }

    /// Revokes a link (revoking twice is fine); 404 when unknown.
    pub async fn revoke_public_link(&self, id: PublicLinkId) -> Result<()> {
        let updated = sqlx::query("UPDATE public_links SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2")
            .bind(now_nanos())
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::not_found::<PublicLinkId>(id));
        }
        Ok(())
    }

    /// What the link with this token shows, redacted; `Gone` when it is
    /// revoked or expired, `Unknown` when there is no such link.
    pub async fn shared_view(&self, token: &str) -> Result<ShareOutcome> {
        let presented = token_hash(token);
        let row: Option<LinkRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {LINK_COLUMNS} WHERE l.token_hash = $1")))
                .bind(&presented)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row.filter(|row| same_hash(&row.token_hash, &presented)) else {
            return Ok(ShareOutcome::Unknown);
        };
        if !row.live(now_nanos()) {
            return Ok(ShareOutcome::Gone);
        }
        let redaction = row.redaction();
        let expires_at = from_nanos(row.expires_at);
        let view = match (row.collection_id, row.trace_id) {
            (Some(collection_rowid), _) => {
                let collection = self.collection_by_rowid(collection_rowid).await?;
                let Page { rows: items, .. } =
                    self.collection_items(collection_rowid, None, MAX_SHARED_EXAMPLES).await?;
                // Shared pages show spans: uploaded examples without one are left out.
                let examples = items.into_iter().filter_map(|item| {
                    let span = item.span?;
                    Some(shared_example(span, item.annotations, item.note, &redaction))
                });
                SharedView {
                    title: collection.name,
                    description: collection.description,
                    expires_at,
                    total: collection.item_count,
                    examples: examples.collect(),
                }
            }
            (None, Some(trace_id)) => self.shared_trace(&trace_id, &redaction, expires_at).await?,
            (None, None) => return Ok(ShareOutcome::Gone),
        };
        Ok(ShareOutcome::Active(view))
    }

    /// A trace's spans by start time, for a shared page.
    async fn shared_trace(
        &self,
        trace_id: &str,
        redaction: &LinkRedaction,
        expires_at: DateTime<Utc>,
    ) -> Result<SharedView> {
        let rows: Vec<SpanRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SPAN_COLUMNS} FROM spans s JOIN traces t ON t.id = s.trace_rowid
             WHERE t.trace_id = $1 ORDER BY s.start_time, s.id LIMIT $2"
        )))
        .bind(trace_id)
        .bind(i64::from(MAX_SHARED_EXAMPLES))
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM spans s JOIN traces t ON t.id = s.trace_rowid WHERE t.trace_id = $1",
        )
        .bind(trace_id)
        .fetch_one(&self.pool)
        .await?;
        let mut annotations = self.span_annotations_by_rowid(rows.iter().map(|row| row.id)).await?;
        let examples = rows
            .into_iter()
            .map(|row| {
                let annotations = annotations.remove(&row.id).unwrap_or_default();
                shared_example(Span::from(row), annotations, None, redaction)
            })
            .collect();
        Ok(SharedView { title: format!("Trace {trace_id}"), description: None, expires_at, total, examples })
    }
}

/// A span as a shared page shows it, with what the link hides hidden.
fn shared_example(
    span: Span,
    annotations: Vec<Annotation>,
    note: Option<String>,
    redaction: &LinkRedaction,
) -> SharedExample {
    let mut attributes = span.attributes;
    redact(&mut attributes, &redaction.patterns);
    SharedExample {
        name: span.name,
        span_kind: span.span_kind,
        status_code: span.status_code,
        start_time: span.start_time,
        attributes,
        annotations: annotations
            .into_iter()
            .filter(|a| !(redaction.notes && a.name == NOTE_NAME))
            .map(|a| SharedAnnotation {
                name: a.name,
                label: a.result.label,
                score: a.result.score,
                explanation: a.result.explanation.filter(|_| !redaction.explanations),
            })
            .collect(),
        note: note.filter(|_| !redaction.notes),
    }
}
