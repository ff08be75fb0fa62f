//! Datasets written from outside (`POST /v1/datasets/upload`), dataset
//! versions, and reviewers' edited expected outputs. An uploaded example is a
//! collection item holding its own input/output/metadata (and its span, when
//! it names one); every change to a collection is a row of
//! `collection_versions`, so Phoenix's `version_id` names one change.

use super::db::{Flag, Sql};
use std::collections::HashMap;

use sqlx::FromRow;

use super::collection_items::touch;
use super::collections::{insert_collection, now_nanos};
use super::{Error, Page, Result, Store, page};
use crate::ids::{CollectionItemId, DatasetId, DatasetVersionId, GlobalId};
use crate::model::accounts::Author;
use crate::model::{DatasetUpload, DatasetUploaded, DatasetVersion, UploadAction};
use crate::time::from_nanos;

#[derive(FromRow)]
struct VersionRow {
    id: i64,
    description: Option<String>,
    created_at: i64,
}

impl From<VersionRow> for DatasetVersion {
    fn from(row: VersionRow) -> Self {
        DatasetVersion {
            version_id: DatasetVersionId(row.id),
            description: row.description,
            metadata: serde_json::Map::new(),
            created_at: from_nanos(row.created_at),
        }
    }
}

impl Store {
    /// Stores an upload in one transaction (all of it or nothing): creates,
    /// appends to or (`Update`) replaces the examples of the collection named
    /// `upload.name`. An example naming a span already in the collection
    /// updates that item. Unknown span ids are a 404 naming them.
    pub async fn upload_dataset(&self, upload: &DatasetUpload, author: Author) -> Result<DatasetUploaded> {
        let span_ids: Vec<String> = upload.examples.iter().filter_map(|e| e.span_id.clone()).collect();
        self.check_ids_exist("spans", "span_id", "Spans", &span_ids).await?;
        let span_rowids = self.span_rowids(&span_ids).await?;
        let now = now_nanos();
        let mut tx = self.begin_write().await?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM collections WHERE name = $1")
            .bind(&upload.name)
            .fetch_optional(&mut *tx)
            .await?;
        let description = upload.description.as_deref().filter(|d| !d.is_empty());
        let (collection_rowid, created) = match (upload.action, existing) {
            (UploadAction::Create, Some(_)) => {
                return Err(Error::Conflict(format!("Dataset with the name {} already exists", upload.name)));
            }
            (UploadAction::Append, None) => {
                return Err(Error::NotFound(format!("Dataset with the name {} not found", upload.name)));
            }
            (_, Some(rowid)) => (rowid, false),
            (_, None) => (insert_collection(&mut tx, &upload.name, description, author).await?, true),
        };
        let mut deleted = 0;
        if upload.action == UploadAction::Update && !created {
            deleted = sqlx::query("DELETE FROM collection_items WHERE collection_id = $1")
                .bind(collection_rowid)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        let (mut inserted, mut updated) = (0, 0);
        for example in &upload.examples {
            let span_rowid = example.span_id.as_ref().and_then(|id| span_rowids.get(id)).copied();
            let json =
                |map: &serde_json::Map<String, serde_json::Value>| serde_json::Value::Object(map.clone()).to_string();
            // `RETURNING added_at = now` tells an insert from an update of an item flagged earlier.
            let Flag(fresh) = sqlx::query_scalar(
                "INSERT INTO collection_items
                     (collection_id, span_rowid, input, output, metadata, splits, user_id, api_key_id, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (collection_id, span_rowid) DO UPDATE SET input = excluded.input,
                     output = excluded.output, metadata = excluded.metadata, splits = excluded.splits
                 RETURNING added_at = $10",
            )
            .bind(collection_rowid)
            .bind(span_rowid)
            .bind(json(&example.input))
            .bind(json(&example.output))
            .bind(json(&example.metadata))
            .bind(serde_json::Value::from(example.splits.clone()).to_string())
            .bind(author.user_id)
            .bind(author.api_key_id)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            if fresh { inserted += 1 } else { updated += 1 }
        }
        let version = if created {
            sqlx::query_scalar("SELECT max(id) FROM collection_versions WHERE collection_id = $1")
                .bind(collection_rowid)
                .fetch_one(&mut *tx)
                .await?
        } else {
            touch(&mut tx, collection_rowid, now, description).await?
        };
        tx.commit().await?;
        Ok(DatasetUploaded {
            dataset_id: DatasetId(collection_rowid),
            version_id: DatasetVersionId(version),
            num_created_examples: inserted,
            num_updated_examples: updated,
            num_deleted_examples: deleted,
        })
    }

    /// Rowids of these spans (hex ids), by id.
    async fn span_rowids(&self, span_ids: &[String]) -> Result<HashMap<String, i64>> {
        if span_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut query = Sql::new("SELECT span_id, id FROM spans s WHERE true");
        super::push_in(&mut query, "s.span_id", "IN", span_ids);
        let rows: Vec<(String, i64)> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().collect())
    }

    /// A collection's dataset versions, newest first, from version rowid `cursor` (inclusive).
    pub async fn dataset_versions(
        &self,
        collection_rowid: i64,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Page<DatasetVersion>> {
        let rows: Vec<VersionRow> = sqlx::query_as(
            "SELECT id, description, created_at FROM collection_versions
             WHERE collection_id = $1 AND id <= $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(collection_rowid)
        .bind(cursor.unwrap_or(i64::MAX))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(page(rows, limit, |row| row.id).map(DatasetVersion::from))
    }

    /// The rowid of a collection's latest version (0 when it has none yet).
    pub async fn latest_version(&self, collection_rowid: i64) -> Result<i64> {
        let latest: Option<i64> =
            sqlx::query_scalar("SELECT max(id) FROM collection_versions WHERE collection_id = $1")
                .bind(collection_rowid)
                .fetch_one(&self.pool)
                .await?;
        Ok(latest.unwrap_or_default())
    }

    /// Whether `version_rowid` is one of this collection's versions.
    pub async fn has_version(&self, collection_rowid: i64, version_rowid: i64) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM collection_versions WHERE collection_id = $1 AND id = $2")
                .bind(collection_rowid)
                .bind(version_rowid)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Sets (or, with `None`, clears) an item's edited expected output: a new
    /// dataset version. `item` is a `CollectionItem:`/`DatasetExample:` global
    /// id; 404 when it is not an item of the collection.
    pub async fn set_expected_output(
        &self,
        collection: &str,
        item: &str,
        expected_output: Option<&serde_json::Value>,
    ) -> Result<()> {
        let collection_rowid = self.collection_rowid(collection).await?;
        let not_found = || Error::NotFound(format!("Item {item} is not in collection {collection}"));
        let item_rowid = CollectionItemId::parse(item).ok_or_else(not_found)?.0;
        let mut tx = self.begin_write().await?;
        let changed =
            sqlx::query("UPDATE collection_items SET expected_output = $1 WHERE id = $2 AND collection_id = $3")
                .bind(expected_output.map(serde_json::Value::to_string))
                .bind(item_rowid)
                .bind(collection_rowid)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(not_found());
        }
        touch(&mut tx, collection_rowid, now_nanos(), None).await?;
        tx.commit().await?;
        Ok(())
    }
}
