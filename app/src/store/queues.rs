//! Review queues (issue 14): queues, their items, reservations and reviews.
//!
//! `next` picks an item and reserves it in one `BEGIN IMMEDIATE` write
//! transaction, the batching writer's (see the module's rule for writes):
//! SQLite runs one such transaction at a time and the writer applies its
//! jobs one after the other, so two reviewers asking at the same moment are
//! served in turn and, at k = 1, never get the same item; many of them share
//! one commit. Completing a review is a writer job too: the reviewer's
//! annotations and the review marked done commit together.

use super::db::{DbConnection, Dialect, Flag, Sql};
use sqlx::{AssertSqlSafe, FromRow};

use super::collections::now_nanos;
use super::trace_list::root;
use super::{Error, NewAnnotation, Page, Result, Selection, Store, WriteMode, page, push_in};
use crate::ids::{ConfigId, GlobalId, ProjectId, QueueId, QueueItemId, UserId};
use crate::model::accounts::{Author, Permission, Principal};
use crate::model::{
    AnnotationConfig, AnnotationQueue, ItemStatus, MAX_INSTRUCTIONS_BYTES, MAX_RESERVATION_SECONDS,
    MAX_REVIEWERS_PER_ITEM, NewQueue, QueueItem, QueueItemsAdded, QueueProgress, QueueReservation, QueueUpdate,
    Reviewer, ReviewerProgress, TargetKind,
};
use crate::time::from_nanos;

/// What to add to a queue: spans (by ids or a filter, as collections take
/// them) or traces by id.
#[derive(Clone, Debug)]
pub enum QueueSelection {
    /// Spans, selected as for a collection.
    Spans(Selection),
    /// These trace ids (hex); all must exist.
    TraceIds(Vec<String>),
}

/// The span or trace of one item, and the span a reviewer is shown (a
/// trace's root span).
#[derive(Clone, Debug, FromRow)]
pub struct ItemTarget {
    /// The item's rowid.
    pub item_rowid: i64,
    /// A span item's span.
    pub span_id: Option<String>,
    /// A trace item's trace.
    pub trace_id: Option<String>,
    /// The project the target is in.
    pub project_name: String,
    /// The span whose input and output the reviewer sees.
    pub shown_span_id: Option<String>,
}

impl ItemTarget {
    /// What a review of the item annotates: its span, or its trace (a
    /// trace annotation); 404 if neither is stored any more.
    pub fn annotated(&self) -> Result<(TargetKind, String)> {
        match (&self.span_id, &self.trace_id) {
            (Some(span), _) => Ok((TargetKind::Span, span.clone())),
            (None, Some(trace)) => Ok((TargetKind::Trace, trace.clone())),
            (None, None) => Err(Error::NotFound("The item's span or trace is gone".into())),
        }
    }
}

/// The columns [`ItemTarget`] reads, from `annotation_queue_items i`
/// joined by [`TARGET_JOINS`].
const TARGET_COLUMNS: &str = "i.id AS item_rowid, s.span_id, t.trace_id, p.name AS project_name, \
     coalesce(s.span_id, (SELECT span_id FROM spans WHERE id = ";
/// The joins [`TARGET_COLUMNS`] needs.
const TARGET_JOINS: &str = " LEFT JOIN spans s ON s.id = i.span_rowid LEFT JOIN traces t ON t.id = i.trace_rowid \
     JOIN projects p ON p.id = coalesce(s.project_id, t.project_id)";

fn target_select(dialect: Dialect) -> String {
    let root = root(dialect);
    format!("SELECT {TARGET_COLUMNS}{root})) AS shown_span_id FROM annotation_queue_items i{TARGET_JOINS}")
}

#[derive(FromRow)]
struct QueueRow {
    id: i64,
    name: String,
    instructions: String,
    reviewers_per_item: i64,
    reservation_seconds: i64,
    project_id: Option<i64>,
    project_name: Option<String>,
    created_at: i64,
    updated_at: i64,
}

#[derive(FromRow)]
struct ItemRow {
    #[sqlx(flatten)]
    target: ItemTarget,
    status: String,
    done: i64,
    added_at: i64,
}

#[derive(FromRow)]
struct ReviewerRow {
    user_id: Option<i64>,
    name: String,
    done: i64,
}

/// The one place a queue's bounds are checked (create and update alike).
fn check_settings(name: Option<&str>, instructions: Option<&str>, k: Option<i64>, seconds: Option<i64>) -> Result<()> {
    if name.is_some_and(|name| name.trim().is_empty()) {
        return Err(Error::Invalid("A queue needs a name".into()));
    }
    if instructions.is_some_and(|text| text.len() > MAX_INSTRUCTIONS_BYTES) {
        return Err(Error::Invalid(format!("The instructions are longer than {MAX_INSTRUCTIONS_BYTES} bytes")));
    }
    if k.is_some_and(|k| !(1..=MAX_REVIEWERS_PER_ITEM).contains(&k)) {
        return Err(Error::Invalid(format!("reviewers_per_item must be from 1 to {MAX_REVIEWERS_PER_ITEM}")));
    }
    if seconds.is_some_and(|s| !(1..=MAX_RESERVATION_SECONDS).contains(&s)) {
        return Err(Error::Invalid(format!("reservation_seconds must be from 1 to {MAX_RESERVATION_SECONDS}")));
    }
    Ok(())
}

/// Most configs or reviewers one queue names (each is looked up).
const MAX_LISTED_IDS: usize = 1000;

/// 422 when a queue's list of ids is longer than [`MAX_LISTED_IDS`].
fn check_list_length(ids: &[String], field: &str) -> Result<()> {
    match ids.len() > MAX_LISTED_IDS {
        true => Err(Error::Invalid(format!("{field} may list at most {MAX_LISTED_IDS} ids"))),
        false => Ok(()),
    }
}

impl Store {
    /// Creates a queue made by `author`.
    pub async fn create_queue(&self, new: &NewQueue, author: Author) -> Result<AnnotationQueue> {
        use crate::model::{DEFAULT_RESERVATION_SECONDS, DEFAULT_REVIEWERS_PER_ITEM};
        let k = new.reviewers_per_item.unwrap_or(DEFAULT_REVIEWERS_PER_ITEM);
        let seconds = new.reservation_seconds.unwrap_or(DEFAULT_RESERVATION_SECONDS);
        check_settings(Some(&new.name), new.instructions.as_deref(), Some(k), Some(seconds))?;
        let project = match &new.project {
            Some(project) => Some(self.project_rowid(project).await?),
            None => None,
        };
        let configs = self.config_rowids(new.annotation_config_ids.as_deref().unwrap_or_default()).await?;
        let reviewers = self.user_rowids(new.reviewer_ids.as_deref().unwrap_or_default()).await?;
        let now = now_nanos();
        let mut tx = self.begin_write().await?;
        let rowid: i64 = sqlx::query_scalar(
            "INSERT INTO annotation_queues (name, instructions, reviewers_per_item, reservation_seconds, project_id,
                 user_id, api_key_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(new.name.trim())
        .bind(new.instructions.as_deref().unwrap_or_default())
        .bind(k)
        .bind(seconds)
        .bind(project)
        .bind(author.user_id)
        .bind(author.api_key_id)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        set_configs(&mut tx, rowid, &configs).await?;
        set_reviewers(&mut tx, rowid, &reviewers).await?;
        tx.commit().await?;
        self.queue_by_rowid(rowid).await
    }

    /// The rowids of annotation configs by global id; 422/404 naming a bad one.
    async fn config_rowids(&self, ids: &[String]) -> Result<Vec<i64>> {
        check_list_length(ids, "annotation_config_ids")?;
        let mut rowids = Vec::with_capacity(ids.len());
        for id in ids {
            let rowid =
                ConfigId::parse(id).ok_or_else(|| Error::Invalid(format!("Invalid annotation config id {id}")))?.rowid;
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM annotation_configs WHERE id = $1")
                .bind(rowid)
                .fetch_optional(&self.pool)
                .await?;
            found.ok_or_else(|| Error::NotFound(format!("Annotation config {id} not found")))?;
            if !rowids.contains(&rowid) {
                rowids.push(rowid);
            }
        }
        Ok(rowids)
    }

    /// The rowids of users by global id; 422/404 naming a bad one.
    async fn user_rowids(&self, ids: &[String]) -> Result<Vec<i64>> {
        check_list_length(ids, "reviewer_ids")?;
        let mut rowids = Vec::with_capacity(ids.len());
        for id in ids {
            let rowid = UserId::parse(id).ok_or_else(|| Error::Invalid(format!("Invalid user id {id}")))?.0;
            self.user(rowid).await?.ok_or_else(|| Error::NotFound(format!("User {id} not found")))?;
            if !rowids.contains(&rowid) {
                rowids.push(rowid);
            }
        }
        Ok(rowids)
    }

    /// The rowid of queue `id`; 404 when there is none.
    pub async fn queue_rowid(&self, id: QueueId) -> Result<i64> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM annotation_queues WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        found.ok_or_else(|| Error::not_found::<QueueId>(id))
    }

    /// Queue `id`, with its progress.
    pub async fn queue(&self, id: QueueId) -> Result<AnnotationQueue> {
        self.queue_by_rowid(id.0).await
    }

    async fn queue_by_rowid(&self, rowid: i64) -> Result<AnnotationQueue> {
        let row: QueueRow = sqlx::query_as(
            "SELECT q.id, q.name, q.instructions, q.reviewers_per_item, q.reservation_seconds, q.project_id,
                 p.name AS project_name, q.created_at, q.updated_at
             FROM annotation_queues q LEFT JOIN projects p ON p.id = q.project_id WHERE q.id = $1",
        )
        .bind(rowid)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::not_found::<QueueId>(QueueId(rowid)))?;
        self.queue_of(row).await
    }

    async fn queue_of(&self, row: QueueRow) -> Result<AnnotationQueue> {
        let configs: Vec<AnnotationConfig> = self.queue_configs(row.id).await?;
        let reviewers: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM annotation_queue_reviewers WHERE queue_id = $1 ORDER BY user_id")
                .bind(row.id)
                .fetch_all(&self.pool)
                .await?;
        Ok(AnnotationQueue {
            id: QueueId(row.id),
            progress: self.queue_progress(row.id).await?,
            name: row.name,
            instructions: row.instructions,
            annotation_config_ids: configs.into_iter().map(|config| config.id).collect(),
            reviewers_per_item: row.reviewers_per_item,
            reservation_seconds: row.reservation_seconds,
            project_id: row.project_id.map(ProjectId),
            project_name: row.project_name,
            reviewer_ids: reviewers.into_iter().map(UserId).collect(),
            created_at: from_nanos(row.created_at),
            updated_at: from_nanos(row.updated_at),
        })
    }

    /// The annotation configs a queue's reviewers fill, in order.
    pub async fn queue_configs(&self, queue_rowid: i64) -> Result<Vec<AnnotationConfig>> {
        let rowids: Vec<i64> = sqlx::query_scalar(
            "SELECT annotation_config_id FROM annotation_queue_configs WHERE queue_id = $1 ORDER BY position",
        )
        .bind(queue_rowid)
        .fetch_all(&self.pool)
        .await?;
        self.annotation_configs_by_rowid(&rowids).await
    }

    /// Done / total and per reviewer.
    pub async fn queue_progress(&self, queue_rowid: i64) -> Result<QueueProgress> {
        let (total, done): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE complete = 1) FROM annotation_queue_items WHERE queue_id = $1",
        )
        .bind(queue_rowid)
        .fetch_one(&self.pool)
        .await?;
        let rows: Vec<ReviewerRow> = sqlx::query_as(
            "SELECT r.user_id, coalesce(u.email, k.name, r.reviewer) AS name, count(*) AS done
             FROM annotation_queue_reviews r JOIN annotation_queue_items i ON i.id = r.item_id
             LEFT JOIN users u ON u.id = r.user_id
             LEFT JOIN api_keys k ON r.user_id IS NULL AND r.reviewer = 'key:' || k.id
             WHERE i.queue_id = $1 GROUP BY r.reviewer, r.user_id, u.email, k.name ORDER BY done DESC, name",
        )
        .bind(queue_rowid)
        .fetch_all(&self.pool)
        .await?;
        let by_reviewer = rows
            .into_iter()
            .map(|row| ReviewerProgress { user_id: row.user_id.map(UserId), name: row.name, done: row.done })
            .collect();
        Ok(QueueProgress { total, done, by_reviewer })
    }

    /// Queues, newest first, from rowid `cursor` (inclusive).
    pub async fn list_queues(&self, cursor: Option<i64>, limit: u32) -> Result<Page<AnnotationQueue>> {
        let rows: Vec<QueueRow> = sqlx::query_as(
            "SELECT q.id, q.name, q.instructions, q.reviewers_per_item, q.reservation_seconds, q.project_id,
                 p.name AS project_name, q.created_at, q.updated_at
             FROM annotation_queues q LEFT JOIN projects p ON p.id = q.project_id
             WHERE q.id <= $1 ORDER BY q.id DESC LIMIT $2",
        )
        .bind(cursor.unwrap_or(i64::MAX))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let Page { rows, next } = page(rows, limit, |row| row.id);
        let mut queues = Vec::with_capacity(rows.len());
        for row in rows {
            queues.push(self.queue_of(row).await?);
        }
        Ok(Page { rows: queues, next })
    }

    /// Changes the fields given; a new k re-counts which items are done.
    pub async fn update_queue(&self, id: QueueId, update: &QueueUpdate) -> Result<AnnotationQueue> {
        let rowid = self.queue_rowid(id).await?;
        check_settings(
            update.name.as_deref(),
            update.instructions.as_deref(),
            update.reviewers_per_item,
            update.reservation_seconds,
        )?;
        let configs = match &update.annotation_config_ids {
            Some(ids) => Some(self.config_rowids(ids).await?),
            None => None,
        };
        let reviewers = match &update.reviewer_ids {
            Some(ids) => Some(self.user_rowids(ids).await?),
            None => None,
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE annotation_queues SET name = coalesce($1, name), instructions = coalesce($2, instructions),
                 reviewers_per_item = coalesce($3, reviewers_per_item),
                 reservation_seconds = coalesce($4, reservation_seconds), updated_at = $5
             WHERE id = $6",
        )
        .bind(update.name.as_deref().map(str::trim))
        .bind(&update.instructions)
        .bind(update.reviewers_per_item)
        .bind(update.reservation_seconds)
        .bind(now_nanos())
        .bind(rowid)
        .execute(&mut *tx)
        .await?;
        if let Some(k) = update.reviewers_per_item {
            sqlx::query("UPDATE annotation_queue_items SET complete = CASE WHEN done >= $1 THEN 1 ELSE 0 END WHERE queue_id = $2")
                .bind(k)
                .bind(rowid)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(configs) = configs {
            set_configs(&mut tx, rowid, &configs).await?;
        }
        if let Some(reviewers) = reviewers {
            set_reviewers(&mut tx, rowid, &reviewers).await?;
        }
        tx.commit().await?;
        self.queue_by_rowid(rowid).await
    }

    /// Deletes a queue with its items, reservations and reviews (not the
    /// annotations its reviewers wrote).
    pub async fn delete_queue(&self, id: QueueId) -> Result<()> {
        let rowid = self.queue_rowid(id).await?;
        sqlx::query("DELETE FROM annotation_queues WHERE id = $1").bind(rowid).execute(&self.pool).await?;
        Ok(())
    }

    /// Whether `principal` may work queue `queue_rowid`, and as whom: it
    /// must be allowed to annotate, and be one of the queue's reviewers if
    /// it lists any (with auth off, the local user may work every queue).
    pub async fn queue_reviewer(&self, queue_rowid: i64, principal: &Principal) -> Result<Reviewer> {
        if !principal.can(Permission::Annotate) {
            return Err(Error::Forbidden("Working a queue needs the annotator role or higher".into()));
        }
        let listed: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM annotation_queue_reviewers WHERE queue_id = $1")
            .bind(queue_rowid)
            .fetch_all(&self.pool)
            .await?;
        let reviewer = Reviewer::of(principal);
        let local = reviewer.key == "local";
        let listed_here = principal.user_id.is_some_and(|user| listed.contains(&user));
        if listed.is_empty() || listed_here || local {
            Ok(reviewer)
        } else {
            Err(Error::Forbidden("This queue is worked by the reviewers it lists, and you are not one".into()))
        }
    }

    /// Adds the selected spans or traces to a queue; those in it already are
    /// counted, not added again.
    pub async fn add_queue_items(&self, queue_rowid: i64, selection: &QueueSelection) -> Result<QueueItemsAdded> {
        let now = now_nanos();
        let (column, mut insert) = match selection {
            QueueSelection::Spans(spans) => {
                let mut insert =
                    Sql::new("INSERT INTO annotation_queue_items (queue_id, span_rowid, added_at) SELECT ");
                insert.push_bind(queue_rowid).push(", s.id, ").push_bind(now).push(" FROM ");
                self.push_selection(&mut insert, spans).await?;
                insert.push(" ORDER BY s.id");
                ("span_rowid", insert)
            }
            QueueSelection::TraceIds(ids) => {
                self.check_ids_exist("traces", "trace_id", "Traces", ids).await?;
                let mut insert =
                    Sql::new("INSERT INTO annotation_queue_items (queue_id, trace_rowid, added_at) SELECT ");
                insert.push_bind(queue_rowid).push(", t.id, ").push_bind(now).push(" FROM traces t WHERE true");
                push_in(&mut insert, "t.trace_id", "IN", ids);
                insert.push(" ORDER BY t.id");
                ("trace_rowid", insert)
            }
        };
        // A row already there is "updated" to itself, so it is returned with
        // its old `added_at`: one statement tells new rows from present ones.
        insert.push(format!(" ON CONFLICT (queue_id, {column}) DO UPDATE SET added_at = annotation_queue_items.added_at RETURNING added_at"));
        let mut tx = self.begin_write().await?;
        let stamps: Vec<i64> = insert.build_query_scalar(self.dialect).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let added = stamps.iter().filter(|stamp| **stamp == now).count() as u64;
        Ok(QueueItemsAdded { added, already_present: stamps.len() as u64 - added })
    }

    /// Removes an item from a queue; 404 when it is not in it.
    pub async fn remove_queue_item(&self, queue_rowid: i64, item: QueueItemId) -> Result<()> {
        let removed = sqlx::query("DELETE FROM annotation_queue_items WHERE id = $1 AND queue_id = $2")
            .bind(item.0)
            .bind(queue_rowid)
            .execute(&self.pool)
            .await?
            .rows_affected();
        match removed {
            0 => Err(Error::NotFound(format!("Item {item} is not in this queue"))),
            _ => Ok(()),
        }
    }

    /// A queue's items in the order added, from item rowid `cursor`
    /// (inclusive), only those with `status` when given.
    pub async fn queue_items(
        &self,
        queue_rowid: i64,
        status: Option<ItemStatus>,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Page<QueueItem>> {
        let now = now_nanos();
        let live =
            "EXISTS (SELECT 1 FROM annotation_queue_reservations v WHERE v.item_id = i.id AND v.reserved_until > ";
        let mut query = Sql::new(format!(
            "SELECT {TARGET_COLUMNS}{root})) AS shown_span_id, i.done, i.added_at, \
             CASE WHEN i.complete = 1 THEN 'done' WHEN {live}",
            root = root(self.dialect),
        ));
        query.push_bind(now).push(") THEN 'reserved' ELSE 'pending' END AS status FROM annotation_queue_items i");
        query.push(TARGET_JOINS).push(" WHERE i.queue_id = ").push_bind(queue_rowid);
        query.push(" AND i.id >= ").push_bind(cursor.unwrap_or(i64::MIN));
        match status {
            Some(ItemStatus::Done) => {
                query.push(" AND i.complete = 1");
            }
            Some(ItemStatus::Reserved) => {
                query.push(" AND i.complete = 0 AND ").push(live).push_bind(now).push(")");
            }
            Some(ItemStatus::Pending) => {
                query.push(" AND i.complete = 0 AND NOT ").push(live).push_bind(now).push(")");
            }
            None => {}
        }
        query.push(" ORDER BY i.id LIMIT ").push_bind(i64::from(limit) + 1);
        let rows: Vec<ItemRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        let Page { rows, next } = page(rows, limit, |row| row.target.item_rowid);
        let items = rows
            .into_iter()
            .map(|row| QueueItem {
                id: QueueItemId(row.target.item_rowid),
                span_id: row.target.span_id,
                trace_id: row.target.trace_id,
                project_name: row.target.project_name,
                status: ItemStatus::parse(&row.status).unwrap_or(ItemStatus::Pending),
                reviews: row.done,
                added_at: from_nanos(row.added_at),
            })
            .collect();
        Ok(Page { rows: items, next })
    }

    /// The target of item `item` of a queue; 404 when it is not in it.
    pub async fn queue_item_target(&self, queue_rowid: i64, item: QueueItemId) -> Result<ItemTarget> {
        let found: Option<ItemTarget> = sqlx::query_as(AssertSqlSafe(format!(
            "{} WHERE i.id = $1 AND i.queue_id = $2",
            target_select(self.dialect)
        )))
        .bind(item.0)
        .bind(queue_rowid)
        .fetch_optional(&self.pool)
        .await?;
        found.ok_or_else(|| Error::NotFound(format!("Item {item} is not in this queue")))
    }

    /// The next item for `reviewer`, reserved for them: the one they hold
    /// already if they hold one, else the first item they have not done,
    /// whose reviews done plus others' live reservations are fewer than k
    /// (items they skipped last). `skip` (an item rowid) is released and
    /// put behind the others first. `None` when nothing is left for them.
    pub async fn next_queue_item(
        &self,
        queue_rowid: i64,
        reviewer: &Reviewer,
        skip: Option<i64>,
    ) -> Result<Option<QueueReservation>> {
        let ask = NextItem { queue_rowid, reviewer: reviewer.key.clone(), user_id: reviewer.user_id, skip };
        let Some((item, until)) = self.writer.reserve_next(ask).await? else { return Ok(None) };
        let target: ItemTarget =
            sqlx::query_as(AssertSqlSafe(format!("{} WHERE i.id = $1", target_select(self.dialect))))
                .bind(item)
                .fetch_one(&self.pool)
                .await?;
        Ok(Some(QueueReservation {
            item_id: QueueItemId(item),
            span_id: target.span_id,
            trace_id: target.trace_id,
            project_name: target.project_name,
            reserved_until: from_nanos(until),
        }))
    }

    /// 409 unless `reviewer` holds a live reservation on the item and has
    /// not completed it (what completing needs before its annotations are
    /// written).
    async fn check_reservation(&self, target: &ItemTarget, reviewer: &Reviewer) -> Result<()> {
        let (Flag(held), Flag(done)): (Flag, Flag) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM annotation_queue_reservations
                     WHERE item_id = $1 AND reviewer = $2 AND reserved_until > $3),
                 EXISTS (SELECT 1 FROM annotation_queue_reviews WHERE item_id = $1 AND reviewer = $2)",
        )
        .bind(target.item_rowid)
        .bind(&reviewer.key)
        .bind(now_nanos())
        .fetch_one(&self.pool)
        .await?;
        match (held, done) {
            (_, true) => Err(already_done(target.item_rowid)),
            (false, false) => Err(not_reserved(target.item_rowid)),
            (true, false) => Ok(()),
        }
    }

    /// Completes `reviewer`'s review of an item: 409 unless they hold a live
    /// reservation on it and have not completed it; then writes their
    /// annotations of its target (through the batching writer, so the
    /// ownership rules of every annotation write apply) and marks it done.
    /// With `may_revise` (the review form), an item they completed already
    /// has its annotations replaced instead (changing their answer).
    pub async fn complete_review(
        &self,
        target: &ItemTarget,
        reviewer: &Reviewer,
        (kind, annotations): (TargetKind, Vec<NewAnnotation>),
        may_revise: bool,
    ) -> Result<()> {
        if may_revise && self.reviewed(target.item_rowid, reviewer).await? {
            self.writer.write_annotations(kind, annotations, WriteMode::Sync).await?;
            return Ok(());
        }
        self.check_reservation(target, reviewer).await?;
        let completion =
            Completion { item_rowid: target.item_rowid, reviewer: reviewer.key.clone(), user_id: reviewer.user_id };
        self.writer.complete_review(kind, annotations, completion).await
    }

    /// The item `reviewer` completed last in a queue before item rowid
    /// `before` (any, when `None`): where "back" goes.
    pub async fn previous_review(
        &self,
        queue_rowid: i64,
        reviewer: &Reviewer,
        before: Option<i64>,
    ) -> Result<Option<i64>> {
        let before_time: Option<i64> = match before {
            Some(item) => {
                sqlx::query_scalar("SELECT done_at FROM annotation_queue_reviews WHERE item_id = $1 AND reviewer = $2")
                    .bind(item)
                    .bind(&reviewer.key)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => None,
        };
        Ok(sqlx::query_scalar(
            "SELECT r.item_id FROM annotation_queue_reviews r JOIN annotation_queue_items i ON i.id = r.item_id
             WHERE r.reviewer = $1 AND i.queue_id = $2 AND r.done_at < $3 ORDER BY r.done_at DESC LIMIT 1",
        )
        .bind(&reviewer.key)
        .bind(queue_rowid)
        .bind(before_time.unwrap_or(i64::MAX))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Whether `reviewer` completed the item.
    pub async fn reviewed(&self, item_rowid: i64, reviewer: &Reviewer) -> Result<bool> {
        let Flag(reviewed) = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM annotation_queue_reviews WHERE item_id = $1 AND reviewer = $2)",
        )
        .bind(item_rowid)
        .bind(&reviewer.key)
        .fetch_one(&self.pool)
        .await?;
        Ok(reviewed)
    }
}

/// A reviewer's request for their next item, served by the writer (see
/// [`reserve_next`]).
#[derive(Clone, Debug)]
pub(super) struct NextItem {
    /// The queue.
    pub queue_rowid: i64,
    /// [`Reviewer::key`].
    pub reviewer: String,
    /// [`Reviewer::user_id`].
    pub user_id: Option<i64>,
    /// An item to release and put behind the others first.
    pub skip: Option<i64>,
}

/// The class of PostgreSQL's advisory locks that [`reserve_next`] takes per
/// queue ("plum" in ASCII).
const QUEUE_LOCKS: i32 = 0x706c_756d;

/// Picks and reserves the next item for a reviewer (see
/// [`Store::next_queue_item`]) inside the writer's transaction: one
/// `BEGIN IMMEDIATE` transaction applies its jobs one after the other, so
/// two reviewers asking at once never get the same item at k = 1, and many
/// askers share one commit. The item's rowid and reservation end, `None`
/// when nothing is left; the outer error is a database failure, the inner
/// one the caller's (no such queue).
pub(super) async fn reserve_next(
    conn: &mut DbConnection,
    ask: &NextItem,
    now: i64,
) -> Result<Result<Option<(i64, i64)>>> {
    let settings: Option<(i64, i64)> =
        sqlx::query_as("SELECT reviewers_per_item, reservation_seconds FROM annotation_queues WHERE id = $1")
            .bind(ask.queue_rowid)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((k, seconds)) = settings else {
        return Ok(Err(Error::NotFound(format!("Annotation queue {} not found", ask.queue_rowid))));
    };
    if Dialect::of(conn) == Dialect::Postgres {
        // Replicas' writers pick from one queue in turn, until their commit:
        // two transactions that each see an item free would both reserve it.
        // (One SQLite writer at a time holds the database's write lock.)
        sqlx::query("SELECT pg_advisory_xact_lock($1, ($2 % 2147483647)::int4)")
            .bind(QUEUE_LOCKS)
            .bind(ask.queue_rowid)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(item) = ask.skip {
        skip_item(conn, ask.queue_rowid, item, &ask.reviewer, now).await?;
    }
    sqlx::query(
        "DELETE FROM annotation_queue_reservations WHERE reserved_until <= $1
         AND (SELECT queue_id FROM annotation_queue_items WHERE id = item_id) = $2",
    )
    .bind(now)
    .bind(ask.queue_rowid)
    .execute(&mut *conn)
    .await?;
    let held: Option<(i64, i64)> = sqlx::query_as(
        "SELECT v.item_id, v.reserved_until FROM annotation_queue_reservations v
         JOIN annotation_queue_items i ON i.id = v.item_id
         WHERE v.reviewer = $1 AND v.reserved_until > $2 AND i.queue_id = $3 ORDER BY v.item_id LIMIT 1",
    )
    .bind(&ask.reviewer)
    .bind(now)
    .bind(ask.queue_rowid)
    .fetch_optional(&mut *conn)
    .await?;
    if held.is_some() {
        return Ok(Ok(held));
    }
    let Some(item) = pick(conn, ask.queue_rowid, &ask.reviewer, k, now).await? else { return Ok(Ok(None)) };
    let until = now.saturating_add(seconds.saturating_mul(1_000_000_000));
    sqlx::query(
        "INSERT INTO annotation_queue_reservations (item_id, reviewer, user_id, reserved_until) VALUES ($1, $2, $3, $4)
         ON CONFLICT (item_id, reviewer) DO UPDATE SET reserved_until = excluded.reserved_until",
    )
    .bind(item)
    .bind(&ask.reviewer)
    .bind(ask.user_id)
    .bind(until)
    .execute(&mut *conn)
    .await?;
    Ok(Ok(Some((item, until))))
}

/// A review the writer marks done in the transaction that writes its
/// annotations (so many reviewers' completions share one commit).
#[derive(Clone, Debug)]
pub(super) struct Completion {
    /// The item.
    pub item_rowid: i64,
    /// [`Reviewer::key`].
    pub reviewer: String,
    /// [`Reviewer::user_id`].
    pub user_id: Option<i64>,
}

/// Whether the reviewer may complete the item now: they hold its
/// reservation (not yet taken back after expiring) and have not completed
/// it. The outer error is a database failure, the inner one the 409.
pub(super) async fn completable(conn: &mut DbConnection, completion: &Completion) -> Result<Result<()>> {
    let (Flag(held), Flag(done)): (Flag, Flag) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM annotation_queue_reservations WHERE item_id = $1 AND reviewer = $2),
             EXISTS (SELECT 1 FROM annotation_queue_reviews WHERE item_id = $1 AND reviewer = $2)",
    )
    .bind(completion.item_rowid)
    .bind(&completion.reviewer)
    .fetch_one(&mut *conn)
    .await?;
    Ok(match (held, done) {
        (_, true) => Err(already_done(completion.item_rowid)),
        (false, false) => Err(not_reserved(completion.item_rowid)),
        (true, false) => Ok(()),
    })
}

/// Marks a [`completable`] review done: releases the reservation, records
/// the review, counts it on the item (done once k reviewers did it) and
/// forgets the reviewer's skip of it.
pub(super) async fn finish(conn: &mut DbConnection, completion: &Completion, now: i64) -> Result<()> {
    let (item, reviewer) = (completion.item_rowid, &completion.reviewer);
    sqlx::query("DELETE FROM annotation_queue_reservations WHERE item_id = $1 AND reviewer = $2")
        .bind(item)
        .bind(reviewer)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO annotation_queue_reviews (item_id, reviewer, user_id, done_at) VALUES ($1, $2, $3, $4)")
        .bind(item)
        .bind(reviewer)
        .bind(completion.user_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE annotation_queue_items SET done = done + 1, complete = CASE WHEN done + 1 >=
             (SELECT reviewers_per_item FROM annotation_queues q WHERE q.id = queue_id) THEN 1 ELSE 0 END
         WHERE id = $1",
    )
    .bind(item)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM annotation_queue_skips WHERE item_id = $1 AND reviewer = $2")
        .bind(item)
        .bind(reviewer)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn already_done(item: i64) -> Error {
    Error::Conflict(format!("You have already completed item {}", QueueItemId(item)))
}

fn not_reserved(item: i64) -> Error {
    Error::Conflict(format!("You hold no live reservation on item {}; ask for the next item first", QueueItemId(item)))
}

/// The first open item for `reviewer` (see [`Store::next_queue_item`]):
/// first among those they have not skipped, by id; then the skipped ones,
/// longest skipped first.
async fn pick(conn: &mut DbConnection, queue: i64, reviewer: &str, k: i64, now: i64) -> Result<Option<i64>> {
    const OPEN: &str = "SELECT i.id FROM annotation_queue_items i {skips}
         WHERE i.queue_id = $1 AND i.complete = 0
         AND NOT EXISTS (SELECT 1 FROM annotation_queue_reviews r WHERE r.item_id = i.id AND r.reviewer = $2)
         AND i.done + (SELECT count(*) FROM annotation_queue_reservations v
             WHERE v.item_id = i.id AND v.reserved_until > $4 AND v.reviewer <> $2) < $3";
    let fresh = OPEN.replace("{skips}", "")
        + " AND NOT EXISTS (SELECT 1 FROM annotation_queue_skips x WHERE x.item_id = i.id AND x.reviewer = $2)
            ORDER BY i.id LIMIT 1";
    let skipped = OPEN.replace("{skips}", "JOIN annotation_queue_skips x ON x.item_id = i.id AND x.reviewer = $2")
        + " ORDER BY x.skipped_at, i.id LIMIT 1";
    for sql in [fresh, skipped] {
        let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(queue)
            .bind(reviewer)
            .bind(k)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Releases `reviewer`'s reservation on `item` and notes the skip.
async fn skip_item(conn: &mut DbConnection, queue: i64, item: i64, reviewer: &str, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM annotation_queue_reservations WHERE item_id = $1 AND reviewer = $2")
        .bind(item)
        .bind(reviewer)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO annotation_queue_skips (item_id, reviewer, skipped_at)
         SELECT id, $1, $2 FROM annotation_queue_items WHERE id = $3 AND queue_id = $4
         ON CONFLICT (item_id, reviewer) DO UPDATE SET skipped_at = excluded.skipped_at",
    )
    .bind(reviewer)
    .bind(now)
    .bind(item)
    .bind(queue)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces a queue's configs with `configs`, in order.
async fn set_configs(conn: &mut DbConnection, queue: i64, configs: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM annotation_queue_configs WHERE queue_id = $1").bind(queue).execute(&mut *conn).await?;
    for (position, config) in configs.iter().enumerate() {
        sqlx::query(
            "INSERT INTO annotation_queue_configs (queue_id, annotation_config_id, position) VALUES ($1, $2, $3)",
        )
        .bind(queue)
        .bind(config)
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replaces a queue's reviewers with `users`.
async fn set_reviewers(conn: &mut DbConnection, queue: i64, users: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM annotation_queue_reviewers WHERE queue_id = $1").bind(queue).execute(&mut *conn).await?;
    for user in users {
        sqlx::query("INSERT INTO annotation_queue_reviewers (queue_id, user_id) VALUES ($1, $2)")
            .bind(queue)
            .bind(user)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
