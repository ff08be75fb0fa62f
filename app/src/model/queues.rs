//! Review queues (`/v1/annotation_queues`, issue 14): what is posted, listed
//! and handed to a reviewer, and who a reviewer is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::accounts::Principal;
use crate::ids::{ProjectId, QueueId, QueueItemId, UserId};
use crate::time::serde_iso;

/// Reviewers per item when the queue's creator names none.
pub const DEFAULT_REVIEWERS_PER_ITEM: i64 = 1;
/// How long an item stays reserved for its reviewer when the creator names no time (10 min).
pub const DEFAULT_RESERVATION_SECONDS: i64 = 600;
/// Most reviewers per item (the schema's bound).
pub const MAX_REVIEWERS_PER_ITEM: i64 = 100;
/// Longest reservation (a week; the schema's bound).
pub const MAX_RESERVATION_SECONDS: i64 = 7 * 24 * 3600;
/// Longest instructions, in bytes.
pub const MAX_INSTRUCTIONS_BYTES: usize = 64 * 1024;

/// A review queue with its progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnnotationQueue {
    /// Global id, `AnnotationQueue:<rowid>`.
    pub id: QueueId,
    /// Not empty; need not be unique.
    pub name: String,
    /// Markdown shown beside each item (rendered with raw HTML escaped).
    pub instructions: String,
    /// Global ids of the annotation configs a reviewer fills, in order.
    pub annotation_config_ids: Vec<crate::ids::ConfigId>,
    /// How many different reviewers review each item (k).
    pub reviewers_per_item: i64,
    /// How long `next` holds an item for its reviewer.
    pub reservation_seconds: i64,
    /// Global id of the project it belongs to, if any.
    pub project_id: Option<ProjectId>,
    /// That project's name.
    pub project_name: Option<String>,
    /// Global ids of the users who may work it; empty: everyone who may annotate.
    pub reviewer_ids: Vec<UserId>,
    /// Done / total, and per reviewer.
    pub progress: QueueProgress,
    /// When it was created.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
    /// Last change to its settings.
    #[serde(with = "serde_iso")]
    pub updated_at: DateTime<Utc>,
}

/// How far a queue is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QueueProgress {
    /// Items in the queue.
    pub total: i64,
    /// Items reviewed by `reviewers_per_item` reviewers.
    pub done: i64,
    /// Reviews done by each reviewer, most first.
    pub by_reviewer: Vec<ReviewerProgress>,
}

impl QueueProgress {
    /// Whole percent done (100 for an empty queue is misleading, so 0).
    pub fn percent(&self) -> i64 {
        if self.total == 0 { 0 } else { self.done * 100 / self.total }
    }
}

/// One reviewer's count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReviewerProgress {
    /// Global id of the user; `null` for a service key or the local user (auth off).
    pub user_id: Option<UserId>,
    /// The user's email, the key's name, or `local`.
    pub name: String,
    /// Items this reviewer completed.
    pub done: i64,
}

/// Body of `POST /v1/annotation_queues`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewQueue {
    /// Not empty.
    pub name: String,
    /// Markdown, optional.
    #[serde(default)]
    pub instructions: Option<String>,
    /// Global ids of annotation configs, in the order the form shows them.
    #[serde(default)]
    pub annotation_config_ids: Option<Vec<String>>,
    /// k, from 1 (default) to 100.
    #[serde(default)]
    pub reviewers_per_item: Option<i64>,
    /// From 1 to 604800 (default 600).
    #[serde(default)]
    pub reservation_seconds: Option<i64>,
    /// Project global id or name, optional (the default project of a filter).
    #[serde(default)]
    pub project: Option<String>,
    /// Global ids of the users who may work it; none: everyone who may annotate.
    #[serde(default)]
    pub reviewer_ids: Option<Vec<String>>,
}

/// Body of `PATCH /v1/annotation_queues/{id}`: only the fields given change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QueueUpdate {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// New instructions.
    #[serde(default)]
    pub instructions: Option<String>,
    /// A new list of configs (replaces the old).
    #[serde(default)]
    pub annotation_config_ids: Option<Vec<String>>,
    /// A new k; items are re-counted as done or not.
    #[serde(default)]
    pub reviewers_per_item: Option<i64>,
    /// A new reservation time (for reservations made from now on).
    #[serde(default)]
    pub reservation_seconds: Option<i64>,
    /// A new list of reviewers (`[]`: everyone who may annotate).
    #[serde(default)]
    pub reviewer_ids: Option<Vec<String>>,
}

/// Where an item is for the queue as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Not done and not reserved by anyone.
    Pending,
    /// Not done, and reserved by someone now.
    Reserved,
    /// Reviewed by k reviewers.
    Done,
}

impl ItemStatus {
    /// From `pending`, `reserved` or `done`.
    pub fn parse(text: &str) -> Option<ItemStatus> {
        match text {
            "pending" => Some(ItemStatus::Pending),
            "reserved" => Some(ItemStatus::Reserved),
            "done" => Some(ItemStatus::Done),
            _ => None,
        }
    }
}

/// One item of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QueueItem {
    /// Global id, `AnnotationQueueItem:<rowid>`.
    pub id: QueueItemId,
    /// The span (hex), for a span item.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub span_id: Option<String>,
    /// The trace (hex), for a trace item.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace_id: Option<String>,
    /// Name of the project the span or trace is in.
    pub project_name: String,
    /// Pending, reserved or done.
    pub status: ItemStatus,
    /// Reviews completed so far.
    pub reviews: i64,
    /// When it was added.
    #[serde(with = "serde_iso")]
    pub added_at: DateTime<Utc>,
}

/// `{"added": n, "already_present": m}`: what `POST …/items` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QueueItemsAdded {
    /// Items newly added.
    pub added: u64,
    /// Items selected that were in the queue already.
    pub already_present: u64,
}

/// What `POST …/next` hands the caller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QueueReservation {
    /// Global id of the item, for `…/items/{item_id}/complete`.
    pub item_id: QueueItemId,
    /// The span (hex), for a span item.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub span_id: Option<String>,
    /// The trace (hex), for a trace item.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace_id: Option<String>,
    /// Name of the project the span or trace is in.
    pub project_name: String,
    /// Held for the caller until then.
    #[serde(with = "serde_iso")]
    pub reserved_until: DateTime<Utc>,
}

/// The queue page: the queue, its instructions as safe HTML, the configs
/// its reviewers fill, and a page of its items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueView {
    /// The queue with its progress.
    pub queue: AnnotationQueue,
    /// The instructions rendered (raw HTML in them escaped, unsafe links dropped).
    pub instructions_html: String,
    /// The configs, in order.
    pub configs: Vec<super::AnnotationConfig>,
    /// Items from the page's cursor.
    pub items: Vec<QueueItem>,
    /// Item rowid of the next page.
    pub next_cursor: Option<i64>,
}

/// The review page: the queue, and the item the caller works on now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    /// The queue, instructions and configs, as the queue page has them (no items).
    pub queue: QueueView,
    /// Why the caller may not work this queue, if they may not.
    pub refusal: Option<String>,
    /// The item, `None` when nothing is left for the caller.
    pub item: Option<ReviewItem>,
}

/// One item on the review page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// Global id of the item.
    pub item_id: QueueItemId,
    /// The project of its span or trace.
    pub project: String,
    /// A trace item's trace (its root span is shown).
    pub trace_id: Option<String>,
    /// The span shown.
    pub span: super::Span,
    /// Until when the caller holds it (`None` when revising a done review).
    #[serde(default)]
    pub reserved_until: Option<DateTime<Utc>>,
    /// The caller's own annotations on it, by name (to show what they said).
    pub own: Vec<super::Annotation>,
    /// The item the caller reviewed before this one (`u` goes there).
    pub previous: Option<QueueItemId>,
}

/// Who works a queue: a user, else a service key, else the local user
/// (auth off). Reservations and reviews are keyed by [`Reviewer::key`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviewer {
    /// `user:<rowid>`, `key:<rowid>` or `local`.
    pub key: String,
    /// The user, if a user.
    pub user_id: Option<i64>,
}

impl Reviewer {
    /// The reviewer a principal works as.
    pub fn of(principal: &Principal) -> Reviewer {
        let key = match (principal.user_id, principal.api_key_id) {
            (Some(user), _) => format!("user:{user}"),
            (None, Some(key)) => format!("key:{key}"),
            (None, None) => "local".to_owned(),
        };
        Reviewer { key, user_id: principal.user_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviewers_are_keyed_by_user_then_key() {
        let mut principal = Principal::local();
        assert_eq!(Reviewer::of(&principal).key, "local");
        principal.api_key_id = Some(3);
        assert_eq!(Reviewer::of(&principal).key, "key:3");
        principal.user_id = Some(7);
        assert_eq!(Reviewer::of(&principal), Reviewer { key: "user:7".into(), user_id: Some(7) });
        assert_eq!(ItemStatus::parse("done"), Some(ItemStatus::Done));
        assert_eq!(ItemStatus::parse("Done"), None);
        let progress = QueueProgress { total: 3, done: 2, by_reviewer: vec![] };
        assert_eq!(progress.percent(), 66);
        assert_eq!(QueueProgress::default().percent(), 0);
    }
}
