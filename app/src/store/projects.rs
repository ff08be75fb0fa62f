//! Projects: listing, lookup by global id or name, creation and deletion.

use sqlx::FromRow;

use super::{Error, Page, Result, Store, page};
use crate::ids::{GlobalId, ProjectId};
use crate::model::{Project, ProjectSummary};
use crate::time::{from_nanos, to_nanos};

/// The project Phoenix clients expect to exist; it can't be deleted.
pub const DEFAULT_PROJECT: &str = "default";

/// Body of `POST /v1/projects`.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewProject {
    /// Unique, non-empty.
    pub name: String,
    /// Optional free text.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(FromRow)]
struct ProjectRow {
    id: i64,
    name: String,
    description: Option<String>,
}

impl From<ProjectRow> for Project {
    fn from(row: ProjectRow) -> Self {
        Project { name: row.name, description: row.description, id: ProjectId(row.id) }
    }
}

impl Store {
    /// Projects newest first; `cursor` is the rowid of the first one to show.
    pub async fn list_projects(
        &self,
        cursor: Option<i64>,
        limit: u32,
        name_contains: Option<&str>,
    ) -> Result<Page<Project>> {
        let pattern = name_contains.filter(|n| !n.is_empty()).map(contains_pattern);
        let rows: Vec<ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, name, description FROM projects
             WHERE ($1 IS NULL OR id <= $1) AND ($2 IS NULL OR name {like} $2 ESCAPE '\\')
             ORDER BY id DESC LIMIT $3",
            like = self.dialect.like(),
        )))
        .bind(cursor)
        .bind(pattern)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(page(rows, limit, |row| row.id).map(Project::from))
    }

    /// The rowid of the project named by `identifier`: its global id, else its name.
    pub async fn project_rowid(&self, identifier: &str) -> Result<i64> {
        if let Some(id) = ProjectId::parse(identifier) {
            return sqlx::query_scalar("SELECT id FROM projects WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| Error::not_found::<ProjectId>(id));
        }
        sqlx::query_scalar("SELECT id FROM projects WHERE name = $1")
            .bind(identifier)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::NotFound(format!("Project with name {identifier} not found")))
    }

    /// The project named by `identifier` (global id or name).
    pub async fn project(&self, identifier: &str) -> Result<Project> {
        self.project_by_rowid(self.project_rowid(identifier).await?).await
    }

    /// The project of rowid `rowid` (which exists).
    async fn project_by_rowid(&self, rowid: i64) -> Result<Project> {
        let row: ProjectRow = sqlx::query_as("SELECT id, name, description FROM projects WHERE id = $1")
            .bind(rowid)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.into())
    }

    /// Creates a project; a taken name is a conflict.
    pub async fn create_project(&self, new: &NewProject) -> Result<Project> {
        let now = to_nanos(chrono::Utc::now());
        let row: Option<ProjectRow> = sqlx::query_as(
            "INSERT INTO projects (name, description, created_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING RETURNING id, name, description",
        )
        .bind(&new.name)
        .bind(&new.description)
        .bind(now)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Project::from).ok_or_else(|| Error::Conflict(format!("A project named {} already exists", new.name)))
    }

    /// Changes a project's description (`None` leaves it as it is).
    pub async fn update_project(&self, identifier: &str, description: Option<&str>) -> Result<Project> {
        let rowid = self.project_rowid(identifier).await?;
        if let Some(description) = description {
            sqlx::query("UPDATE projects SET description = $1, updated_at = $2 WHERE id = $3")
                .bind(description)
                .bind(to_nanos(chrono::Utc::now()))
                .bind(rowid)
                .execute(&self.pool)
                .await?;
        }
        self.project_by_rowid(rowid).await
    }

    /// Deletes a project with all its traces and spans; `default` stays.
    pub async fn delete_project(&self, identifier: &str) -> Result<()> {
        let project = self.project(identifier).await?;
        if project.name == DEFAULT_PROJECT {
            return Err(Error::Forbidden("The default project cannot be deleted".into()));
        }
        sqlx::query("DELETE FROM projects WHERE id = $1").bind(project.id.0).execute(&self.pool).await?;
        Ok(())
    }

    /// Every project with its trace and span counts, for the projects page:
    /// the counts are kept by triggers (migration 0007), not counted here.
    pub async fn project_summaries(&self) -> Result<Vec<ProjectSummary>> {
        #[derive(FromRow)]
        struct Row {
            id: i64,
            name: String,
            description: Option<String>,
            trace_count: i64,
            span_count: i64,
            last_activity: Option<i64>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT p.id, p.name, p.description,
                    coalesce(c.traces, 0) AS trace_count, coalesce(c.spans, 0) AS span_count,
                    (SELECT max(t.start_time) FROM traces t WHERE t.project_id = p.id) AS last_activity
             FROM projects p LEFT JOIN (
                 SELECT project_id, CAST(sum(traces) AS BIGINT) AS traces, CAST(sum(spans) AS BIGINT) AS spans
                 FROM project_tallies GROUP BY project_id
             ) c ON c.project_id = p.id ORDER BY p.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| ProjectSummary {
                project: ProjectRow { id: row.id, name: row.name, description: row.description }.into(),
                trace_count: row.trace_count,
                span_count: row.span_count,
                last_activity: row.last_activity.map(from_nanos),
            })
            .collect())
    }
}

/// The `LIKE … ESCAPE '\'` pattern of the values containing `text`
/// (`%`, `_` and `\` in it escaped).
pub(super) fn contains_pattern(text: &str) -> String {
    format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}
