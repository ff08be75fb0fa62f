//! Annotations on spans, traces and sessions: listing and deleting (writes go
//! through the batching writer, see `annotation_writes`). One implementation
//! serves the three targets; [`TargetKind`] picks the tables.

use super::db::Sql;
use serde_json::{Map, Value};
use sqlx::FromRow;

use super::{Error, Page, Result, Store, page, push_in};
use crate::ids::AnnotationId;
use crate::model::accounts::Author;
use crate::model::{
    Annotation, AnnotationInput, AnnotationResult, AnnotationSource, AnnotationTarget, AnnotatorKind, TargetKind,
};
use crate::time::from_nanos;

/// An annotation ready to be written by the writer.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAnnotation {
    /// The span, trace or session id it is about.
    pub target_id: String,
    /// What is judged.
    pub name: String,
    /// Who judged.
    pub annotator_kind: AnnotatorKind,
    /// The verdict (all `None` when none was given).
    pub result: AnnotationResult,
    /// JSON object text.
    pub metadata: String,
    /// `""` unless given.
    pub identifier: String,
    /// `API` or `APP`.
    pub source: AnnotationSource,
    /// Who made it (nobody when auth is off).
    pub author: Author,
    /// Whether it may replace (same target, name and identifier) only an
    /// annotation of the same author: a caller who is not an admin. The
    /// writer refuses the request otherwise (403), in the transaction that
    /// writes, so the check costs no extra round trip.
    pub only_own: bool,
}

impl NewAnnotation {
    /// From a posted annotation: missing result and metadata become empty;
    /// a document's target is its [`crate::model::document_key`].
    pub fn from_input<T>(input: AnnotationInput<T>, source: AnnotationSource, author: Author) -> Self {
        NewAnnotation {
            target_id: match input.document_position {
                Some(position) => crate::model::document_key(&input.target_id, position),
                None => input.target_id,
            },
            name: input.name,
            annotator_kind: input.annotator_kind,
            result: input.result.unwrap_or_default(),
            metadata: Value::Object(input.metadata.unwrap_or_default()).to_string(),
            identifier: input.identifier,
            source,
            author,
            only_own: false,
        }
    }
}

impl NewAnnotation {
    /// This annotation as `principal`'s own work in the app (a queue's
    /// review): their per-user identifier, their name on it, and, for a
    /// caller who may only change their own work, no replacing anyone else's.
    pub fn reviewed_by(self, principal: &crate::model::accounts::Principal) -> Self {
        NewAnnotation {
            identifier: principal.own_identifier(&self.identifier),
            source: AnnotationSource::App,
            author: principal.author(),
            only_own: principal.own_work_only().is_some(),
            ..self
        }
    }
}

/// How the writer treats annotations whose target is not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// `sync=true`: all targets must exist, else nothing is written (404); answers the ids.
    Sync,
    /// `sync=false`: unknown targets' annotations wait, durably, for their target.
    Deferred,
}

/// Which annotations to list. At least one of `target_ids` and `identifier` is given.
#[derive(Clone, Debug, Default)]
pub struct AnnotationFilter {
    /// Span, trace or session ids; any of them.
    pub target_ids: Vec<String>,
    /// Exact identifier.
    pub identifier: Option<String>,
    /// Only these names, when not empty.
    pub include_names: Vec<String>,
    /// Not these names.
    pub exclude_names: Vec<String>,
    /// Rowid of the first annotation to show (inclusive).
    pub cursor: Option<i64>,
    /// Page size.
    pub limit: u32,
}

/// Which annotations to delete; the conditions AND together.
#[derive(Clone, Debug, Default)]
pub struct AnnotationDeletion {
    /// Exact name.
    pub name: Option<String>,
    /// Exact identifier.
    pub identifier: Option<String>,
    /// Annotator kind.
    pub annotator_kind: Option<AnnotatorKind>,
    /// `created_at >= this` (ns).
    pub start_time: Option<i64>,
    /// `created_at < this` (ns).
    pub end_time: Option<i64>,
    /// Only those made by this author (a caller who is not an admin).
    pub made_by: Option<Author>,
}

/// ` AND` the row was made by `author`, when given: a user's rows, or a
/// service key's (no user); work with no author matches no one.
pub(super) fn push_made_by(query: &mut Sql, author: Option<Author>) {
    match author {
        None => {}
        Some(Author { user_id: Some(user), .. }) => {
            query.push(" AND user_id = ").push_bind(user);
        }
        Some(Author { user_id: None, api_key_id: Some(key) }) => {
            query.push(" AND user_id IS NULL AND api_key_id = ").push_bind(key);
        }
        Some(Author { user_id: None, api_key_id: None }) => {
            query.push(" AND false");
        }
    }
}

/// The tables behind one target kind.
pub(super) struct Tables {
    /// The annotation table.
    pub annotations: &'static str,
    /// The target table (`spans`, `traces`, `sessions`), which has `project_id`.
    pub targets: &'static str,
    /// The target table's external id column.
    pub id_column: &'static str,
    /// The column of the target table that listings filter by (`span_id`
    /// for documents, which are listed by their span).
    pub listed_by: &'static str,
    /// The table that holds the ids listings filter by, with `project_id`
    /// (`spans` for documents: a span with no annotated document exists).
    pub listed_in: &'static str,
}

/// The tables of `kind`.
pub(super) fn tables(kind: TargetKind) -> Tables {
    fn own(annotations: &'static str, targets: &'static str, id_column: &'static str) -> Tables {
        Tables { annotations, targets, id_column, listed_by: id_column, listed_in: targets }
    }
    match kind {
        TargetKind::Span => own("span_annotations", "spans", "span_id"),
        TargetKind::Trace => own("trace_annotations", "traces", "trace_id"),
        TargetKind::Session => own("session_annotations", "sessions", "session_id"),
        TargetKind::Document => Tables {
            annotations: "document_annotations",
            targets: "span_documents",
            id_column: "document_key",
            listed_by: "span_id",
            listed_in: "spans",
        },
    }
}

/// The columns of [`AnnotationRow`] from an annotation table `a`, but for
/// `target_id`, which the caller adds from its target table.
pub(super) const ANNOTATION_COLUMNS: &str = "a.id, a.created_at, a.updated_at, a.source, a.user_id, a.api_key_id, \
     a.name, a.annotator_kind, a.label, a.score, a.explanation, a.metadata, a.identifier, \
     coalesce((SELECT email FROM users WHERE id = a.user_id), (SELECT name FROM api_keys WHERE id = a.api_key_id)) \
     AS author";

/// An annotation row with its target's external id as `target_id`
/// (selected with [`ANNOTATION_COLUMNS`]).
#[derive(FromRow)]
pub(super) struct AnnotationRow {
    id: i64,
    created_at: i64,
    updated_at: i64,
    source: String,
    user_id: Option<i64>,
    api_key_id: Option<i64>,
    name: String,
    annotator_kind: String,
    label: Option<String>,
    score: Option<f64>,
    explanation: Option<String>,
    metadata: String,
    identifier: String,
    author: Option<String>,
    target_id: String,
}

impl AnnotationRow {
    /// The row's id in its table.
    pub(super) fn id(&self) -> i64 {
        self.id
    }

    /// The wire form of the row.
    pub(super) fn into_annotation(self, kind: TargetKind) -> Annotation {
        // A document's external id is its key; the wire has span id and position.
        let (target_id, document_position) = match kind {
            TargetKind::Document => match crate::model::split_document_key(&self.target_id) {
                Some((span_id, position)) => (span_id.to_owned(), Some(position)),
                None => (self.target_id, None),
            },
            _ => (self.target_id, None),
        };
        let metadata = match serde_json::from_str(&self.metadata) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        Annotation {
            id: AnnotationId { kind, rowid: self.id },
            created_at: from_nanos(self.created_at),
            updated_at: from_nanos(self.updated_at),
            source: AnnotationSource::parse(&self.source),
            user_id: self.user_id.map(crate::ids::UserId),
            name: self.name,
            annotator_kind: AnnotatorKind::parse(&self.annotator_kind).unwrap_or(AnnotatorKind::Human),
            result: AnnotationResult { label: self.label, score: self.score, explanation: self.explanation },
            metadata,
            identifier: self.identifier,
            target: AnnotationTarget::new(kind, target_id),
            document_position,
            author: self.author,
            made_by: Author { user_id: self.user_id, api_key_id: self.api_key_id },
        }
    }
}

impl Store {
    /// A project's annotations of `kind`, newest first. When only target ids
    /// are asked for and none of them is in the project, that is a 404.
    pub async fn list_annotations(
        &self,
        kind: TargetKind,
        project: &str,
        filter: &AnnotationFilter,
    ) -> Result<Page<Annotation>> {
        let project_rowid = self.project_rowid(project).await?;
        let Tables { annotations, targets, id_column, listed_by, listed_in } = tables(kind);
        let mut query = Sql::new(format!(
            "SELECT {ANNOTATION_COLUMNS}, t.{id_column} AS target_id \
             FROM {annotations} a JOIN {targets} t ON t.id = a.target_rowid WHERE t.project_id = "
        ));
        query.push_bind(project_rowid);
        push_in(&mut query, &format!("t.{listed_by}"), "IN", &filter.target_ids);
        if let Some(identifier) = &filter.identifier {
            query.push(" AND a.identifier = ").push_bind(identifier.clone());
        }
        push_in(&mut query, "a.name", "IN", &filter.include_names);
        push_in(&mut query, "a.name", "NOT IN", &filter.exclude_names);
        if let Some(cursor) = filter.cursor {
            query.push(" AND a.id <= ").push_bind(cursor);
        }
        query.push(" ORDER BY a.id DESC LIMIT ").push_bind(i64::from(filter.limit) + 1);
        let rows: Vec<AnnotationRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        if rows.is_empty() && filter.identifier.is_none() && !filter.target_ids.is_empty() {
            let mut exists = Sql::new(format!("SELECT count(*) FROM {listed_in} t WHERE t.project_id = "));
            exists.push_bind(project_rowid);
            push_in(&mut exists, &format!("t.{listed_by}"), "IN", &filter.target_ids);
            let found: i64 = exists.build_query_scalar(self.dialect).fetch_one(&self.pool).await?;
            if found == 0 {
                return Err(Error::NotFound(format!(
                    "None of the supplied {}s exist in this project",
                    kind.id_field()
                )));
            }
        }
        Ok(page(rows, filter.limit, |row| row.id).map(|row| row.into_annotation(kind)))
    }

    /// Deletes a project's annotations of `kind` matching every condition; returns how many.
    pub async fn delete_annotations(
        &self,
        kind: TargetKind,
        project: &str,
        deletion: &AnnotationDeletion,
    ) -> Result<u64> {
        let project_rowid = self.project_rowid(project).await?;
        let Tables { annotations, targets, .. } = tables(kind);
        let mut query = Sql::new(format!(
            "DELETE FROM {annotations} WHERE target_rowid IN (SELECT id FROM {targets} WHERE project_id = "
        ));
        query.push_bind(project_rowid).push(")");
        if let Some(name) = &deletion.name {
            query.push(" AND name = ").push_bind(name.clone());
        }
        if let Some(identifier) = &deletion.identifier {
            query.push(" AND identifier = ").push_bind(identifier.clone());
        }
        if let Some(annotator_kind) = deletion.annotator_kind {
            query.push(" AND annotator_kind = ").push_bind(annotator_kind.as_str());
        }
        if let Some(start) = deletion.start_time {
            query.push(" AND created_at >= ").push_bind(start);
        }
        if let Some(end) = deletion.end_time {
            query.push(" AND created_at < ").push_bind(end);
        }
        push_made_by(&mut query, deletion.made_by);
        self.delete_recording(kind, query).await
    }

    /// Runs `delete` (a `DELETE FROM` an annotation table of `kind`) in a
    /// transaction that also records the `annotation.deleted` events of the
    /// rows it removed; returns how many.
    pub(super) async fn delete_recording(&self, kind: TargetKind, delete: Sql) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let count = super::outbox::delete_and_record(&mut tx, &self.outbox, kind, delete).await?;
        tx.commit().await?;
        self.outbox.committed();
        Ok(count)
    }
}
