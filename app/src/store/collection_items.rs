//! The spans flagged into a collection: adding (by ids or by a span filter),
//! removing, and keyset-paged reads with each span's annotations (the
//! items listing, exports, datasets and shared pages all read through here).

use super::db::{DbConnection, Sql};
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sqlx::FromRow;

use super::annotations::{ANNOTATION_COLUMNS, AnnotationRow};
use super::collections::now_nanos;
use super::spans::{SPAN_COLUMNS, SpanRow};
use super::{Error, Page, Result, SpanFilter, Store, page, push_in, push_values};
use crate::ids::{CollectionId, CollectionItemId, GlobalId, SpanRowid};
use crate::model::accounts::Author;
use crate::model::{Annotation, CollectionItem, Span, TargetKind, TraceListQuery, io_value};
use crate::time::from_nanos;

/// Which spans to flag.
#[derive(Clone, Debug)]
pub enum Selection {
    /// These span ids (hex), in any project; all must exist.
    SpanIds(Vec<String>),
    /// Every span of `project` matching `filter` (its cursor and limit are ignored).
    Filter {
        /// Project global id or name.
        project: String,
        /// The conditions, as `GET /v1/projects/{p}/spans` takes them.
        filter: Box<SpanFilter>,
    },
    /// The root spans of every trace of `project` that the UI's trace list
    /// shows with `query`'s filters (all pages: its cursor is ignored).
    TraceList {
        /// Project global id or name.
        project: String,
        /// The trace list's filters, as its URL holds them.
        query: Box<TraceListQuery>,
    },
    /// Every span of a collection, or only those of `project`.
    Collection {
        /// Collection global id.
        collection: String,
        /// Project global id or name, if only its spans.
        project: Option<String>,
    },
}

#[derive(FromRow)]
struct ItemRow {
    item_id: i64,
    note: Option<String>,
    added_at: i64,
    span_rowid: Option<i64>,
    input: Option<String>,
    output: Option<String>,
    metadata: Option<String>,
    splits: String,
    expected_output: Option<String>,
}

/// The columns [`ItemRow`] reads, from `collection_items ci`.
const ITEM_COLUMNS: &str = "ci.id AS item_id, ci.note, ci.added_at, ci.span_rowid, ci.input, ci.output, \
     ci.metadata, ci.splits, ci.expected_output";

/// A stored JSON text as a value (`null` when absent or unreadable).
fn json_value(text: Option<&str>) -> Value {
    text.and_then(|text| serde_json::from_str(text).ok()).unwrap_or(Value::Null)
}

impl Store {
    /// Adds the selected spans to a collection with `note`, by `author`; spans already in
    /// it are left as they are. Returns how many were added.
    pub async fn add_collection_items(
        &self,
        collection: CollectionId,
        selection: &Selection,
        note: Option<&str>,
        author: Author,
    ) -> Result<u64> {
        let collection_rowid = collection.0;
        let now = now_nanos();
        let mut insert = Sql::new(
            "INSERT INTO collection_items (collection_id, span_rowid, note, user_id, api_key_id, added_at) SELECT ",
        );
        insert.push_bind(collection_rowid).push(", s.id, ").push_bind(note.map(str::to_owned)).push(", ");
        insert.push_bind(author.user_id).push(", ").push_bind(author.api_key_id).push(", ");
        insert.push_bind(now).push(" FROM ");
        self.push_selection(&mut insert, selection).await?;
        insert.push(" ORDER BY s.id ON CONFLICT (collection_id, span_rowid) DO NOTHING");
        let mut tx = self.begin_write().await?;
        let added = insert.build(self.dialect).execute(&mut *tx).await?.rows_affected();
        if added > 0 {
            touch(&mut tx, collection_rowid, now, None).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// `spans s JOIN traces t … WHERE` the spans of `selection`: one
    /// definition of what a selection holds, for flagging, bulk
    /// annotation and review queues. Unknown span ids, projects and collections are 404s.
    pub(super) async fn push_selection(&self, query: &mut Sql, selection: &Selection) -> Result<()> {
        query.push("spans s JOIN traces t ON t.id = s.trace_rowid WHERE ");
        match selection {
            Selection::SpanIds(ids) => {
                self.check_ids_exist("spans", "span_id", "Spans", ids).await?;
                query.push(if ids.is_empty() { "false" } else { "true" });
                push_in(query, "s.span_id", "IN", ids);
            }
            Selection::Filter { project, filter } => {
                let project_rowid = self.project_rowid(project).await?;
                query.push("s.project_id = ").push_bind(project_rowid);
                self.push_span_conditions(query, filter, project_rowid).await?;
            }
            Selection::TraceList { project, query: list } => {
                let project_rowid = self.project_rowid(project).await?;
                query.push("s.project_id = ").push_bind(project_rowid);
                self.push_trace_list_roots(query, list, project_rowid).await?;
            }
            Selection::Collection { collection, project } => {
                let collection_rowid = self.collection_rowid(collection).await?;
                query
                    .push("s.id IN (SELECT span_rowid FROM collection_items WHERE collection_id = ")
                    .push_bind(collection_rowid)
                    .push(")");
                if let Some(project) = project {
                    query.push(" AND s.project_id = ").push_bind(self.project_rowid(project).await?);
                }
            }
        }
        Ok(())
    }

    /// 404 naming the ids (`column` of `table`) that are not stored, as
    /// `sync=true` annotations do: "`noun` with IDs … do not exist."
    pub(super) async fn check_ids_exist(&self, table: &str, column: &str, noun: &str, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut query = Sql::new(format!("SELECT x.{column} FROM {table} x WHERE true"));
        push_in(&mut query, &format!("x.{column}"), "IN", ids);
        let found: HashSet<String> =
            query.build_query_scalar(self.dialect).fetch_all(&self.pool).await?.into_iter().collect();
        let mut missing: Vec<&str> = ids.iter().map(String::as_str).filter(|id| !found.contains(*id)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_unstable();
        missing.dedup();
        Err(Error::NotFound(format!("{noun} with IDs {} do not exist.", missing.join(", "))))
    }

    /// Removes an item from a collection: by its span (hex id or `Span:`
    /// global id) or its own id (`CollectionItem:`/`DatasetExample:`); 404
    /// when it is not in it. A new dataset version.
    pub async fn remove_collection_item(&self, collection: &str, item: &str) -> Result<()> {
        let collection_rowid = self.collection_rowid(collection).await?;
        let item_rowid = CollectionItemId::parse(item).map(|id| id.0);
        let mut tx = self.begin_write().await?;
        let removed = match (item_rowid, SpanRowid::parse(item).map(|id| id.0)) {
            (Some(rowid), _) => sqlx::query("DELETE FROM collection_items WHERE collection_id = $1 AND id = $2")
                .bind(collection_rowid)
                .bind(rowid),
            (None, Some(rowid)) => {
                sqlx::query("DELETE FROM collection_items WHERE collection_id = $1 AND span_rowid = $2")
                    .bind(collection_rowid)
                    .bind(rowid)
            }
            (None, None) => sqlx::query(
                "DELETE FROM collection_items WHERE collection_id = $1
                 AND span_rowid = (SELECT id FROM spans WHERE span_id = $2)",
            )
            .bind(collection_rowid)
            .bind(item),
        }
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if removed == 0 {
            return Err(Error::NotFound(format!("{item} is not in collection {collection}")));
        }
        touch(&mut tx, collection_rowid, now_nanos(), None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Items of a collection (by rowid) in the order added, from item rowid
    /// `cursor` (inclusive): keyset paging, so reading a whole collection page
    /// by page costs the same per page however large it is.
    pub async fn collection_items(
        &self,
        collection_rowid: i64,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Page<CollectionItem>> {
        self.collection_items_in_splits(collection_rowid, &[], cursor, limit).await
    }

    /// [`Store::collection_items`] of only the items in one of `splits`
    /// (every item when `splits` is empty).
    pub async fn collection_items_in_splits(
        &self,
        collection_rowid: i64,
        splits: &[String],
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Page<CollectionItem>> {
        let mut query = Sql::new(format!("SELECT {ITEM_COLUMNS} FROM collection_items ci WHERE ci.collection_id = "));
        query.push_bind(collection_rowid).push(" AND ci.id >= ").push_bind(cursor.unwrap_or(i64::MIN));
        if !splits.is_empty() {
            let each =
                self.dialect.pick("json_each(ci.splits) j", "jsonb_array_elements_text(ci.splits::jsonb) j(value)");
            query.push(format!(" AND EXISTS (SELECT 1 FROM {each} WHERE true"));
            push_in(&mut query, "j.value", "IN", splits);
            query.push(")");
        }
        query.push(" ORDER BY ci.id LIMIT ").push_bind(i64::from(limit) + 1);
        let rows: Vec<ItemRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        let Page { rows, next } = page(rows, limit, |row| row.item_id);
        let span_rowids: Vec<i64> = rows.iter().filter_map(|row| row.span_rowid).collect();
        let mut spans = self.spans_by_rowid(&span_rowids).await?;
        let mut annotations = self.span_annotations_by_rowid(span_rowids.iter().copied()).await?;
        let items = rows
            .into_iter()
            .map(|row| {
                let span = row.span_rowid.and_then(|rowid| spans.remove(&rowid));
                let annotations = row.span_rowid.and_then(|rowid| annotations.remove(&rowid)).unwrap_or_default();
                let uploaded = row.input.is_some();
                let (input, output) = match (&span, uploaded) {
                    (Some(span), false) => (io_value(&span.attributes, "input"), io_value(&span.attributes, "output")),
                    _ => (json_value(row.input.as_deref()), json_value(row.output.as_deref())),
                };
                let metadata = match json_value(row.metadata.as_deref()) {
                    Value::Object(map) => map,
                    _ => Map::new(),
                };
                CollectionItem {
                    id: CollectionItemId(row.item_id),
                    span_id: span.as_ref().map(|s| s.context.span_id.clone()),
                    trace_id: span.as_ref().map(|s| s.context.trace_id.clone()),
                    note: row.note,
                    added_at: from_nanos(row.added_at),
                    input,
                    output,
                    uploaded,
                    metadata,
                    splits: serde_json::from_str(&row.splits).unwrap_or_default(),
                    expected_output: row.expected_output.as_deref().map(|text| json_value(Some(text))),
                    span,
                    annotations,
                }
            })
            .collect();
        Ok(Page { rows: items, next })
    }

    /// These spans (by rowid), by rowid.
    async fn spans_by_rowid(&self, rowids: &[i64]) -> Result<HashMap<i64, Span>> {
        if rowids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut query = Sql::new(format!(
            "SELECT {SPAN_COLUMNS} FROM spans s JOIN traces t ON t.id = s.trace_rowid WHERE s.id IN "
        ));
        push_values(&mut query, rowids.iter().copied());
        let rows: Vec<SpanRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|row| (row.id, Span::from(row))).collect())
    }

    /// The annotations of these spans (by rowid), newest first.
    pub(super) async fn span_annotations_by_rowid(
        &self,
        span_rowids: impl Iterator<Item = i64>,
    ) -> Result<HashMap<i64, Vec<Annotation>>> {
        let mut query = Sql::new(format!(
            "SELECT {ANNOTATION_COLUMNS}, t.span_id AS target_id, a.target_rowid AS span_rowid
             FROM span_annotations a JOIN spans t ON t.id = a.target_rowid WHERE a.target_rowid IN ("
        ));
        let mut list = query.separated(", ");
        let mut any = false;
        for rowid in span_rowids {
            list.push_bind(rowid);
            any = true;
        }
        if !any {
            return Ok(HashMap::new());
        }
        query.push(") ORDER BY a.id DESC");
        let rows: Vec<SpanAnnotationRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        let mut by_span: HashMap<i64, Vec<Annotation>> = HashMap::new();
        for row in rows {
            by_span.entry(row.span_rowid).or_default().push(row.annotation.into_annotation(TargetKind::Span));
        }
        Ok(by_span)
    }
}

#[derive(FromRow)]
struct SpanAnnotationRow {
    span_rowid: i64,
    #[sqlx(flatten)]
    annotation: AnnotationRow,
}

/// Marks a collection as changed now: a new dataset version (with
/// `description`, an upload's), so that each change has its `version_id`.
/// Returns the version's rowid.
pub(super) async fn touch(
    conn: &mut DbConnection,
    collection_rowid: i64,
    now: i64,
    description: Option<&str>,
) -> Result<i64> {
    sqlx::query("UPDATE collections SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(collection_rowid)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO collection_versions (collection_id, description, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(collection_rowid)
    .bind(description)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

impl Store {
    /// The distinct names of the annotations on a collection's spans, sorted
    /// (the CSV export's annotation columns).
    pub async fn collection_annotation_names(&self, collection_rowid: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT a.name FROM collection_items ci JOIN span_annotations a ON a.target_rowid = ci.span_rowid
             WHERE ci.collection_id = $1 ORDER BY a.name",
        )
        .bind(collection_rowid)
        .fetch_all(&self.pool)
        .await?)
    }
}
