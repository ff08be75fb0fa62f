//! Public read-only links to a collection or a trace (`/v1/public_links`), and
//! what the `/share/{token}` page shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::serde_iso;

/// Lifetime of a link when none is asked for: 7 days.
pub const DEFAULT_LINK_TTL_SECONDS: i64 = 7 * 24 * 3600;

/// Longest lifetime a link may have: 365 days.
pub const MAX_LINK_TTL_SECONDS: i64 = 365 * 24 * 3600;

/// Examples a shared page shows at most.
pub const MAX_SHARED_EXAMPLES: u32 = 500;

/// Body of `POST /v1/public_links` (a trace) and `POST /v1/collections/{id}/public_links`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PublicLinkRequest {
    /// The trace to share (32 hex digits); only for `POST /v1/public_links`.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Lifetime in seconds, 1 to 365 days' worth; default 7 days.
    #[serde(default)]
    pub expires_in_seconds: Option<i64>,
    /// Attribute key patterns whose values are hidden (`*.email`, `user.*`),
    /// matched ignoring case, also inside structured values.
    #[serde(default)]
    pub redact: Vec<String>,
    /// Also hide every annotation's explanation (free text, end users' comments).
    #[serde(default)]
    pub redact_explanations: bool,
    /// Also hide notes: the collection items' notes and the spans' notes.
    #[serde(default)]
    pub redact_notes: bool,
}

impl PublicLinkRequest {
    /// What the requested link hides.
    pub fn redaction(&self) -> crate::model::redaction::LinkRedaction {
        crate::model::redaction::LinkRedaction {
            patterns: self.redact.clone(),
            explanations: self.redact_explanations,
            notes: self.redact_notes,
        }
    }
}

/// What a link is created for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// A collection, by rowid.
    Collection(i64),
    /// A trace, by its hex id.
    Trace(String),
}

/// A link just created. The token is shown here once and never again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedPublicLink {
    /// Global id, `PublicLink:<rowid>`.
    pub id: crate::ids::PublicLinkId,
    /// The page to hand out: `<base>/share/<token>`.
    pub url: String,
    /// The secret; only its SHA-256 is stored.
    pub token: String,
    /// When the link stops working.
    #[serde(with = "serde_iso")]
    pub expires_at: DateTime<Utc>,
}

/// A link as `GET /v1/public_links` lists it (never with its token).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PublicLink {
    /// Global id, `PublicLink:<rowid>`.
    pub id: crate::ids::PublicLinkId,
    /// Global id of the shared collection, if a collection is shared.
    pub collection_id: Option<crate::ids::CollectionId>,
    /// The shared trace's id, if a trace is shared.
    pub trace_id: Option<String>,
    /// Redacted attribute key patterns.
    pub redact: Vec<String>,
    /// Whether annotation explanations are hidden.
    pub redact_explanations: bool,
    /// Whether notes are hidden.
    pub redact_notes: bool,
    /// When it was made.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
    /// When it stops (or stopped) working.
    #[serde(with = "serde_iso")]
    pub expires_at: DateTime<Utc>,
    /// When it was revoked (ISO-8601), if it was.
    pub revoked_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub status: String,
}

/// What `/share/{token}` finds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ShareOutcome {
    /// A live link and what it shows.
    Active(SharedView),
    /// Revoked or expired: nothing else is said.
    Gone,
    /// No such link.
    Unknown,
}

/// The read-only content behind a live link, already redacted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedView {
    /// The collection's name, or `Trace <id>`.
    pub title: String,
    /// The collection's description.
    pub description: Option<String>,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// How many examples there are in all (the page shows at most [`MAX_SHARED_EXAMPLES`]).
    pub total: i64,
    /// The examples: a collection's items, or a trace's spans by start time.
    pub examples: Vec<SharedExample>,
}

/// One span on a shared page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedExample {
    /// Span name.
    pub name: String,
    /// OpenInference kind.
    pub span_kind: String,
    /// `OK`, `ERROR` or `UNSET`.
    pub status_code: String,
    /// Start of the span.
    pub start_time: DateTime<Utc>,
    /// Flat attributes with the redacted values replaced.
    pub attributes: Map<String, Value>,
    /// Its annotations, newest first.
    pub annotations: Vec<SharedAnnotation>,
    /// The collection item's note.
    pub note: Option<String>,
}

/// An annotation as a shared page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedAnnotation {
    /// What is judged.
    pub name: String,
    /// Category.
    pub label: Option<String>,
    /// Number.
    pub score: Option<f64>,
    /// Free text.
    pub explanation: Option<String>,
}
