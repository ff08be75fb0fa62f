//! Collections of flagged spans: create, read, rename, delete. Their items
//! are in `collection_items`. Collections are low-volume, so writes go
//! straight through the pool (each one durable before it is answered).

use super::db::{DbConnection, Sql};
use chrono::Utc;
use sqlx::{AssertSqlSafe, FromRow};

use super::{Error, Page, Result, Store, page};
use crate::ids::{CollectionId, GlobalId};
use crate::model::accounts::Author;
use crate::model::{Collection, CollectionUpdate, NewCollection};
use crate::time::{from_nanos, to_nanos};

/// The columns [`CollectionRow`] reads, from `collections c`.
const COLLECTION_COLUMNS: &str = "c.id, c.name, c.description, c.created_at, c.updated_at, \
     (SELECT count(*) FROM collection_items i WHERE i.collection_id = c.id) AS item_count";

#[derive(FromRow)]
struct CollectionRow {
    id: i64,
    name: String,
    description: Option<String>,
    created_at: i64,
    updated_at: i64,
    item_count: i64,
}

impl From<CollectionRow> for Collection {
    fn from(row: CollectionRow) -> Self {
        Collection {
            id: CollectionId(row.id),
            name: row.name,
            description: row.description,
            item_count: row.item_count,
            created_at: from_nanos(row.created_at),
            updated_at: from_nanos(row.updated_at),
        }
    }
}

/// Nanoseconds since the epoch, now.
pub(super) fn now_nanos() -> i64 {
    to_nanos(Utc::now())
}

/// A taken name as a 409; other failures as they are.
fn name_conflict(name: &str) -> impl FnOnce(sqlx::Error) -> Error + '_ {
    move |error| match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Error::Conflict(format!("A collection named {name} already exists"))
        }
        other => Error::Database(other),
    }
}

/// Inserts a collection with its first dataset version; a taken name is a conflict.
pub(super) async fn insert_collection(
    conn: &mut DbConnection,
    name: &str,
    description: Option<&str>,
    author: Author,
) -> Result<i64> {
    let now = now_nanos();
    let rowid: i64 = sqlx::query_scalar(
        "INSERT INTO collections (name, description, created_at, updated_at, user_id, api_key_id)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(description)
    .bind(now)
    .bind(now)
    .bind(author.user_id)
    .bind(author.api_key_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(name_conflict(name))?;
    super::collection_items::touch(conn, rowid, now, description).await?;
    Ok(rowid)
}

impl Store {
    /// Creates a collection made by `author`; a taken name is a conflict.
    pub async fn create_collection(&self, new: &NewCollection, author: Author) -> Result<Collection> {
        let mut tx = self.begin_write().await?;
        let rowid = insert_collection(&mut tx, &new.name, new.description.as_deref(), author).await?;
        tx.commit().await?;
        self.collection_by_rowid(rowid).await
    }

    /// The rowid of the collection named by `identifier`: its global id
    /// (`Collection:<n>`, or `Dataset:<n>` as Phoenix's dataset routes say) or its name.
    pub async fn collection_rowid(&self, identifier: &str) -> Result<i64> {
        let found: Option<i64> = match CollectionId::parse(identifier) {
            Some(id) => {
                sqlx::query_scalar("SELECT id FROM collections WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_scalar("SELECT id FROM collections WHERE name = $1")
                    .bind(identifier)
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        found.ok_or_else(|| Error::NotFound(format!("Collection {identifier} not found")))
    }

    /// The collection named by `identifier` (see [`Store::collection_rowid`]).
    pub async fn collection(&self, identifier: &str) -> Result<Collection> {
        let rowid = self.collection_rowid(identifier).await?;
        self.collection_by_rowid(rowid).await
    }

    /// The collection with this rowid.
    pub async fn collection_by_rowid(&self, rowid: i64) -> Result<Collection> {
        let row: Option<CollectionRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {COLLECTION_COLUMNS} FROM collections c WHERE c.id = $1")))
                .bind(rowid)
                .fetch_optional(&self.pool)
                .await?;
        row.map(Collection::from).ok_or_else(|| Error::NotFound(format!("Collection {rowid} not found")))
    }

    /// Collections, newest first, from rowid `cursor` (inclusive); only the
    /// one named `name` when given.
    pub async fn list_collections(
        &self,
        cursor: Option<i64>,
        limit: u32,
        name: Option<&str>,
    ) -> Result<Page<Collection>> {
        let mut query = Sql::new(format!("SELECT {COLLECTION_COLUMNS} FROM collections c WHERE true"));
        if let Some(cursor) = cursor {
            query.push(" AND c.id <= ").push_bind(cursor);
        }
        if let Some(name) = name {
            query.push(" AND c.name = ").push_bind(name.to_owned());
        }
        query.push(" ORDER BY c.id DESC LIMIT ").push_bind(i64::from(limit) + 1);
        let rows: Vec<CollectionRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        Ok(page(rows, limit, |row| row.id).map(Collection::from))
    }

    /// The collections span `span_id` (hex) is in, by name.
    pub async fn span_collections(&self, span_id: &str) -> Result<Vec<Collection>> {
        let rows: Vec<CollectionRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections c WHERE c.id IN
                 (SELECT ci.collection_id FROM collection_items ci JOIN spans s ON s.id = ci.span_rowid
                  WHERE s.span_id = $1)
             ORDER BY c.name"
        )))
        .bind(span_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Collection::from).collect())
    }

    /// Renames and/or re-describes a collection (`""` clears the description).
    pub async fn update_collection(&self, identifier: &str, update: &CollectionUpdate) -> Result<Collection> {
        let rowid = self.collection_rowid(identifier).await?;
        let description = update.description.as_ref().map(|d| (!d.is_empty()).then(|| d.clone()));
        sqlx::query(
            "UPDATE collections SET name = coalesce($1, name),
                 description = CASE WHEN $2 THEN $3 ELSE description END, updated_at = $4
             WHERE id = $5",
        )
        .bind(&update.name)
        .bind(description.is_some())
        .bind(description.flatten())
        .bind(now_nanos())
        .bind(rowid)
        .execute(&self.pool)
        .await
        .map_err(name_conflict(update.name.as_deref().unwrap_or_default()))?;
        self.collection_by_rowid(rowid).await
    }

    /// Deletes a collection with its items and public links.
    pub async fn delete_collection(&self, identifier: &str) -> Result<()> {
        let rowid = self.collection_rowid(identifier).await?;
        sqlx::query("DELETE FROM collections WHERE id = $1").bind(rowid).execute(&self.pool).await?;
        Ok(())
    }
}
