//! Annotation configs: create, read, replace, delete, and their assignment to projects.

use super::db::Sql;
use sqlx::FromRow;

use super::{Error, Page, Result, Store, page};
use crate::ids::ConfigId;
use crate::model::accounts::Author;
use crate::model::{AnnotationConfig, AnnotationConfigData, AnnotationConfigKind, NOTE_NAME};

#[derive(FromRow)]
struct ConfigRow {
    id: i64,
    name: String,
    config: String,
}

impl ConfigRow {
    fn into_config(self) -> Result<AnnotationConfig> {
        let kind: AnnotationConfigKind = serde_json::from_str(&self.config)
            .map_err(|e| Error::Invalid(format!("stored annotation config {} is unreadable: {e}", self.id)))?;
        let id = ConfigId { type_name: kind.global_type(), rowid: self.id };
        Ok(AnnotationConfig { data: AnnotationConfigData { name: self.name, kind }, id })
    }
}

fn reserve_note(data: &AnnotationConfigData) -> Result<()> {
    if data.name == NOTE_NAME {
        return Err(Error::Conflict(
            "The name 'note' is reserved for trace and span notes and cannot be used for annotation configs.".into(),
        ));
    }
    Ok(())
}

fn taken(error: sqlx::Error) -> Error {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Error::Conflict("The name of the annotation configuration is already taken".into())
        }
        _ => Error::Database(error),
    }
}

impl Store {
    /// Configs newest first, all of them or those assigned to `project`.
    pub async fn list_annotation_configs(
        &self,
        project: Option<&str>,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Page<AnnotationConfig, ConfigId>> {
        let mut query = Sql::new("SELECT c.id, c.name, c.config FROM annotation_configs c");
        match project {
            Some(project) => {
                let project_rowid = self.project_rowid(project).await?;
                query.push(" JOIN project_annotation_configs p ON p.annotation_config_id = c.id WHERE p.project_id = ");
                query.push_bind(project_rowid);
            }
            None => {
                query.push(" WHERE true");
            }
        }
        if let Some(cursor) = cursor {
            query.push(" AND c.id <= ").push_bind(cursor);
        }
        query.push(" ORDER BY c.id DESC LIMIT ").push_bind(i64::from(limit) + 1);
        let rows: Vec<ConfigRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        let Page { rows, next } = page(rows, limit, |row| row.id);
        let next = match next {
            Some(id) => Some(self.annotation_config_by_rowid(id).await?.id),
            None => None,
        };
        Ok(Page { rows: rows.into_iter().map(ConfigRow::into_config).collect::<Result<_>>()?, next })
    }

    /// The configs with these rowids, in the order given (missing ones left out).
    pub(super) async fn annotation_configs_by_rowid(&self, rowids: &[i64]) -> Result<Vec<AnnotationConfig>> {
        let mut configs = Vec::with_capacity(rowids.len());
        for rowid in rowids {
            let row: Option<ConfigRow> =
                sqlx::query_as("SELECT id, name, config FROM annotation_configs WHERE id = $1")
                    .bind(rowid)
                    .fetch_optional(&self.pool)
                    .await?;
            if let Some(row) = row {
                configs.push(row.into_config()?);
            }
        }
        Ok(configs)
    }

    /// The config named by `identifier`: its global id, else its name.
    pub async fn annotation_config(&self, identifier: &str) -> Result<AnnotationConfig> {
        let row: Option<ConfigRow> = match ConfigId::parse(identifier) {
            Some(id) => sqlx::query_as("SELECT id, name, config FROM annotation_configs WHERE id = $1").bind(id.rowid),
            None => sqlx::query_as("SELECT id, name, config FROM annotation_configs WHERE name = $1")
                .bind(identifier.to_owned()),
        }
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or_else(|| {
            Error::NotFound(format!("Annotation configuration with ID or name '{identifier}' not found"))
        })?
        .into_config()
    }

    async fn annotation_config_by_rowid(&self, rowid: i64) -> Result<AnnotationConfig> {
        let row: ConfigRow = sqlx::query_as("SELECT id, name, config FROM annotation_configs WHERE id = $1")
            .bind(rowid)
            .fetch_one(&self.pool)
            .await?;
        row.into_config()
    }

    /// Stores a new config made by `author`; its name must be free and not `note`. Check
    /// [`AnnotationConfigData::check`] first.
    pub async fn create_annotation_config(
        &self,
        data: &AnnotationConfigData,
        author: Author,
    ) -> Result<AnnotationConfig> {
        reserve_note(data)?;
        let config = serde_json::to_string(&data.kind).map_err(|e| Error::Invalid(e.to_string()))?;
        let rowid: i64 = sqlx::query_scalar(
            "INSERT INTO annotation_configs (name, config, user_id, api_key_id) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&data.name)
        .bind(config)
        .bind(author.user_id)
        .bind(author.api_key_id)
        .fetch_one(&self.pool)
        .await
        .map_err(taken)?;
        self.annotation_config_by_rowid(rowid).await
    }

    /// Replaces the config named by `identifier` (name included).
    pub async fn update_annotation_config(
        &self,
        identifier: &str,
        data: &AnnotationConfigData,
    ) -> Result<AnnotationConfig> {
        reserve_note(data)?;
        let existing = self.annotation_config(identifier).await?;
        let rowid = existing.id.rowid;
        let config = serde_json::to_string(&data.kind).map_err(|e| Error::Invalid(e.to_string()))?;
        sqlx::query("UPDATE annotation_configs SET name = $1, config = $2 WHERE id = $3")
            .bind(&data.name)
            .bind(config)
            .bind(rowid)
            .execute(&self.pool)
            .await
            .map_err(taken)?;
        self.annotation_config_by_rowid(rowid).await
    }

    /// Deletes the config named by `identifier`; returns it as it was.
    pub async fn delete_annotation_config(&self, identifier: &str) -> Result<AnnotationConfig> {
        let existing = self.annotation_config(identifier).await?;
        sqlx::query("DELETE FROM annotation_configs WHERE id = $1").bind(existing.id.rowid).execute(&self.pool).await?;
        Ok(existing)
    }

    /// Assigns a config to a project (idempotent); returns the config.
    pub async fn assign_annotation_config(&self, project: &str, config: &str) -> Result<AnnotationConfig> {
        let project_rowid = self.project_rowid(project).await?;
        let config = self.annotation_config(config).await?;
        sqlx::query(
            "INSERT INTO project_annotation_configs (project_id, annotation_config_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(project_rowid)
        .bind(config.id.rowid)
        .execute(&self.pool)
        .await?;
        Ok(config)
    }

    /// Unassigns a config from a project (idempotent).
    pub async fn unassign_annotation_config(&self, project: &str, config: &str) -> Result<()> {
        let project_rowid = self.project_rowid(project).await?;
        let config = self.annotation_config(config).await?;
        sqlx::query("DELETE FROM project_annotation_configs WHERE project_id = $1 AND annotation_config_id = $2")
            .bind(project_rowid)
            .bind(config.id.rowid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Makes `configs` (global ids) exactly the project's assigned set; returns it newest first.
    pub async fn set_project_annotation_configs(
        &self,
        project: &str,
        configs: &[String],
    ) -> Result<Vec<AnnotationConfig>> {
        let mut rowids = Vec::with_capacity(configs.len());
        for config in configs {
            rowids.push(
                ConfigId::parse(config)
                    .ok_or_else(|| Error::Invalid(format!("Invalid annotation configuration ID: {config}")))?
                    .rowid,
            );
        }
        rowids.sort_unstable();
        rowids.dedup();
        let project_rowid = self.project_rowid(project).await?;
        let mut tx = self.begin_write().await?;
        let mut wanted = Vec::with_capacity(rowids.len());
        for rowid in &rowids {
            let row: Option<ConfigRow> =
                sqlx::query_as("SELECT id, name, config FROM annotation_configs WHERE id = $1")
                    .bind(rowid)
                    .fetch_optional(&mut *tx)
                    .await?;
            wanted.push(
                row.ok_or_else(|| Error::Invalid("One or more annotation configurations were not found".into()))?,
            );
        }
        sqlx::query("DELETE FROM project_annotation_configs WHERE project_id = $1")
            .bind(project_rowid)
            .execute(&mut *tx)
            .await?;
        for rowid in &rowids {
            sqlx::query("INSERT INTO project_annotation_configs (project_id, annotation_config_id) VALUES ($1, $2)")
                .bind(project_rowid)
                .bind(rowid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        wanted.reverse();
        wanted.into_iter().map(ConfigRow::into_config).collect()
    }
}
