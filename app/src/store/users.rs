//! Users and their one-time links (invites and password resets).
//!
//! Changing what a user is (password, role, deactivation) ends their
//! sessions in the same transaction: a stolen session does not outlive a
//! password change, and a demoted or deactivated user's browser stops at once.
//! (Their API keys stop too: every key lookup joins the owner's row.)

use super::db::{Db, Flag};
use std::time::Duration;

use sqlx::FromRow;

use super::collections::now_nanos;
use super::secrets::{new_token, token_hash};
use super::{Error, Page, Result, Store, page};
use crate::model::accounts::{Role, User};
use crate::time::from_nanos;

/// A user's row.
#[derive(Clone, Debug, FromRow)]
pub struct UserRecord {
    /// Rowid.
    pub id: i64,
    /// Lowercased email.
    pub email: String,
    /// Role name.
    role: String,
    /// argon2id PHC string, `None` until set.
    pub password_hash: Option<String>,
    /// `false` once deactivated.
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    created_at: i64,
    updated_at: i64,
}

impl UserRecord {
    /// The role (a row with an unknown one, impossible by the table's check, is a viewer).
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }

    /// As the API shows it.
    pub fn to_user(&self) -> User {
        User {
            id: crate::ids::UserId(self.id),
            email: self.email.clone(),
            username: self.email.clone(),
            role: self.role(),
            auth_method: "LOCAL".to_owned(),
            password_needs_reset: self.password_hash.is_none(),
            active: self.active,
            created_at: from_nanos(self.created_at),
            updated_at: from_nanos(self.updated_at),
        }
    }
}

const USER_COLUMNS: &str = "id, email, role, password_hash, active, created_at, updated_at";

/// An email as stored and looked up: trimmed and lowercased. `Err` says why
/// it is not an address.
pub fn normalize_email(email: &str) -> std::result::Result<String, String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    match valid {
        true => Ok(email),
        false => Err(format!("{email:?} is not an email address")),
    }
}

impl Store {
    /// Makes a user; a taken email is a conflict. Without a password hash the
    /// user sets one through a one-time link.
    pub async fn create_user(&self, email: &str, role: Role, password_hash: Option<&str>) -> Result<UserRecord> {
        let email = normalize_email(email).map_err(Error::Invalid)?;
        let now = now_nanos();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(format!(
            "INSERT INTO users (email, role, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {USER_COLUMNS}"
        )))
        .bind(&email)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| match error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict(format!("A user with email {email} already exists"))
            }
            other => Error::Database(other),
        })?;
        tx.commit().await?;
        Ok(row)
    }

    /// Users, newest first, from rowid `cursor` down (Phoenix's order).
    pub async fn users(&self, cursor: Option<i64>, limit: u32) -> Result<Page<UserRecord>> {
        let rows = sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id <= $1 ORDER BY id DESC LIMIT $2"
        )))
        .bind(cursor.unwrap_or(i64::MAX))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(page(rows, limit, |row| row.id))
    }

    /// One user by rowid.
    pub async fn user(&self, rowid: i64) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(rowid).fetch_optional(&self.pool).await?)
    }

    /// One user by email (any case, surrounding spaces ignored).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let Ok(email) = normalize_email(email) else { return Ok(None) };
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(&self.pool).await?)
    }

    /// How many users exist.
    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&self.pool).await?)
    }

    /// Sets a user's password hash and ends their sessions but `keep_session`
    /// (the one that changed it).
    pub async fn set_password(&self, user: i64, password_hash: &str, keep_session: Option<i64>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(now_nanos())
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2")
            .bind(user)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Changes a user's role and ends their sessions (they log in again with
    /// the new role). `false` when there is no such user.
    pub async fn set_role(&self, user: i64, role: Role) -> Result<bool> {
        self.change_user(user, "role = $1", role.as_str().to_owned()).await
    }

    /// Deactivates (sessions end; keys stop) or reactivates a user.
    pub async fn set_active(&self, user: i64, active: bool) -> Result<bool> {
        self.change_user(user, "active = $1", i64::from(active)).await
    }

    /// One `SET` on a user's row, and the end of their sessions, atomically.
    async fn change_user<T>(&self, user: i64, set: &str, value: T) -> Result<bool>
    where
        T: for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Send,
    {
        let mut tx = self.begin_write().await?;
        let sql = format!("UPDATE users SET {set}, updated_at = $2 WHERE id = $3");
        let done =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).bind(now_nanos()).bind(user).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM user_sessions WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a user with their sessions, personal keys and links; their
    /// annotations stay, attributed to a user id no longer shown.
    pub async fn delete_user(&self, user: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(user).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// A one-time link token for `user` to set a password, valid for `ttl`.
    /// Earlier unused links of the user stop working.
    pub async fn create_user_link(&self, user: i64, ttl: Duration) -> Result<String> {
        let token = new_token();
        let now = now_nanos();
        let ttl = i64::try_from(ttl.as_nanos()).unwrap_or(i64::MAX);
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM user_links WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO user_links (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash(&token))
            .bind(user)
            .bind(now)
            .bind(now.saturating_add(ttl))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The user a one-time link is for, if it is unused and unexpired.
    pub async fn user_link(&self, token: &str) -> Result<Option<UserRecord>> {
        let sql = format!(
            "SELECT {} FROM users u JOIN user_links l ON l.user_id = u.id \
             WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(token_hash(token))
            .bind(now_nanos())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Uses a one-time link: sets the password and ends the user's sessions,
    /// in one transaction, once. `None` when the link is used, expired or unknown.
    pub async fn use_user_link(&self, token: &str, password_hash: &str) -> Result<Option<i64>> {
        let now = now_nanos();
        let mut tx = self.begin_write().await?;
        let user: Option<i64> = sqlx::query_scalar(
            "UPDATE user_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $3 \
             RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash(token))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user) = user else { return Ok(None) };
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(now)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_sessions WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.ORG "), Ok("ada@example.org".to_owned()));
        assert!(normalize_email("ada").is_err());
        assert!(normalize_email("@example.org").is_err());
        assert!(normalize_email("a da@example.org").is_err());
    }
}
