//! What a request presents to say who it is: a browser session (cookie
//! `plume_session`) or an API key (`Authorization: Bearer plume_…`). Both
//! are random tokens of which only the SHA-256 is stored; a lookup joins the
//! user's row, so a deactivated user, a revoked or expired key and an
//! expired session stop working on their next request.

use std::time::Duration;

use sqlx::FromRow;

use super::collections::now_nanos;
use super::db::Flag;
use super::secrets::{new_token, same_hash, token_hash};
use super::{Result, Store};
use crate::ids::ApiKeyId;
use crate::model::accounts::{ApiKey, Grants, Principal, Role, Scope};
use crate::time::{from_nanos, iso};

/// Every API key starts with this, so that leaked keys are easy to find in code.
pub const API_KEY_PREFIX: &str = "plume_";

/// Characters of a key kept in clear to recognise it (`plume_` and 6 more).
const VISIBLE_PREFIX: usize = 12;

/// Last-seen and last-used times are written at most this often (ns): a
/// write per request would cost ingestion throughput for a figure shown to
/// the minute.
const TOUCH_EVERY_NANOS: i64 = 60 * 1_000_000_000;

/// How long browser sessions last.
#[derive(Clone, Copy, Debug)]
pub struct SessionLifetime {
    /// Ends after this long without a request.
    pub idle: Duration,
    /// Ends this long after login, whatever happens.
    pub absolute: Duration,
}

#[derive(FromRow)]
struct SessionRow {
    id: i64,
    token_hash: Vec<u8>,
    created_at: i64,
    last_seen_at: i64,
    user_id: i64,
    email: String,
    role: String,
}

#[derive(FromRow)]
struct KeyRow {
    id: i64,
    key_hash: Vec<u8>,
    name: String,
    scopes: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    user_id: Option<i64>,
    email: Option<String>,
    role: Option<String>,
    active: Option<Flag>,
}

#[derive(FromRow)]
struct KeyListRow {
    id: i64,
    prefix: String,
    name: String,
    description: Option<String>,
    user_id: Option<i64>,
    scopes: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl From<KeyListRow> for ApiKey {
    fn from(row: KeyListRow) -> ApiKey {
        ApiKey {
            id: ApiKeyId { personal: row.user_id.is_some(), rowid: row.id },
            name: row.name,
            description: row.description,
            prefix: row.prefix,
            scopes: Scope::parse_list(&row.scopes),
            created_at: from_nanos(row.created_at),
            expires_at: row.expires_at.map(|t| iso(from_nanos(t))),
            last_used_at: row.last_used_at.map(|t| iso(from_nanos(t))),
        }
    }
}

/// What to make a key with.
#[derive(Clone, Debug)]
pub struct NewApiKey<'a> {
    /// The owner of a personal key; `None` for a service key.
    pub owner: Option<i64>,
    /// The user who made it.
    pub created_by: Option<i64>,
    /// What it is for.
    pub name: &'a str,
    /// More words.
    pub description: Option<&'a str>,
    /// When it stops working (ns), if ever.
    pub expires_at: Option<i64>,
    /// What it may do.
    pub scopes: &'a [Scope],
}

impl Store {
    /// Starts a browser session for `user`; returns its token (the cookie's value).
    pub async fn create_session(&self, user: i64) -> Result<String> {
        let token = new_token();
        let now = now_nanos();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash(&token))
        .bind(user)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Who a session token stands for, if the session is live and its user
    /// active. An expired session is deleted.
    pub async fn session_principal(&self, token: &str, lifetime: SessionLifetime) -> Result<Option<Principal>> {
        let presented = token_hash(token);
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT s.id, s.token_hash, s.created_at, s.last_seen_at, u.id AS user_id, u.email, u.role \
             FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.active = 1",
        )
        .bind(&presented)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row.filter(|row| same_hash(&row.token_hash, &presented)) else { return Ok(None) };
        let now = now_nanos();
        let nanos = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        if now.saturating_sub(row.last_seen_at) > nanos(lifetime.idle)
            || now.saturating_sub(row.created_at) > nanos(lifetime.absolute)
        {
            self.end_session(row.id).await?;
            return Ok(None);
        }
        // Often enough that a session in use never looks idle.
        if now - row.last_seen_at > TOUCH_EVERY_NANOS.min(nanos(lifetime.idle) / 4) {
            self.touch("UPDATE user_sessions SET last_seen_at = $1 WHERE id = $2", now, row.id);
        }
        let role = Role::parse(&row.role).unwrap_or(Role::Viewer);
        Ok(Some(Principal {
            user_id: Some(row.user_id),
            api_key_id: None,
            name: row.email,
            role: Some(role),
            grants: role.grants(),
            session_id: Some(row.id),
            expires_at: Some(row.created_at.saturating_add(nanos(lifetime.absolute))),
        }))
    }

    /// Notes a time of use in the background: the request does not wait for
    /// the write lock (ingestion may hold it), and a failure costs only the figure.
    fn touch(&self, sql: &'static str, now: i64, rowid: i64) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            if let Err(error) = sqlx::query(sql).bind(now).bind(rowid).execute(&pool).await {
                tracing::warn!(%error, "could not note the time of use");
            }
        });
    }

    /// Ends one session (logout).
    pub async fn end_session(&self, session: i64) -> Result<()> {
        sqlx::query("DELETE FROM user_sessions WHERE id = $1").bind(session).execute(&self.pool).await?;
        Ok(())
    }

    /// Makes an API key; returns it as listed and the key itself (shown once).
    pub async fn create_api_key(&self, new: &NewApiKey<'_>) -> Result<(ApiKey, String)> {
        let key = format!("{API_KEY_PREFIX}{}", new_token());
        let now = now_nanos();
        let mut tx = self.begin_write().await?;
        let row: KeyListRow = sqlx::query_as(
            "INSERT INTO api_keys (key_hash, prefix, name, description, user_id, created_by, scopes, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id, prefix, name, description, user_id, scopes, created_at, expires_at, last_used_at",
        )
        .bind(token_hash(&key))
        .bind(&key[..VISIBLE_PREFIX])
        .bind(new.name)
        .bind(new.description)
        .bind(new.owner)
        .bind(new.created_by)
        .bind(Scope::join(new.scopes))
        .bind(now)
        .bind(new.expires_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((row.into(), key))
    }

    /// Live keys, newest first: `owner`'s personal keys, or service keys when `None`.
    pub async fn api_keys(&self, owner: Option<i64>) -> Result<Vec<ApiKey>> {
        let rows: Vec<KeyListRow> = sqlx::query_as(
            "SELECT id, prefix, name, description, user_id, scopes, created_at, expires_at, last_used_at \
             FROM api_keys WHERE user_id IS NOT DISTINCT FROM $1 AND revoked_at IS NULL ORDER BY id DESC",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    /// Revokes one of `owner`'s keys (a service key when `None`); it stops
    /// working at once. `false` when there is no such live key.
    pub async fn revoke_api_key(&self, key: i64, owner: Option<i64>) -> Result<bool> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id IS NOT DISTINCT FROM $3 AND revoked_at IS NULL")
                .bind(now_nanos())
                .bind(key)
                .bind(owner)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Who an API key stands for, if it is live (not revoked, not expired,
    /// its owner active). Notes the time of use, to the minute.
    pub async fn key_principal(&self, key: &str) -> Result<Option<Principal>> {
        if !key.starts_with(API_KEY_PREFIX) {
            return Ok(None);
        }
        let presented = token_hash(key);
        let now = now_nanos();
        let row: Option<KeyRow> = sqlx::query_as(
            "SELECT k.id, k.key_hash, k.name, k.scopes, k.expires_at, k.last_used_at, k.user_id, u.email, u.role, \
             u.active FROM api_keys k LEFT JOIN users u ON u.id = k.user_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
        )
        .bind(&presented)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row.filter(|row| same_hash(&row.key_hash, &presented)) else { return Ok(None) };
        if row.expires_at.is_some_and(|at| at <= now) || row.active == Some(Flag(false)) {
            return Ok(None);
        }
        if row.user_id.is_some() && row.email.is_none() {
            return Ok(None);
        }
        if row.last_used_at.is_none_or(|at| now - at > TOUCH_EVERY_NANOS) {
            self.touch("UPDATE api_keys SET last_used_at = $1 WHERE id = $2", now, row.id);
        }
        let scopes = Scope::parse_list(&row.scopes);
        let role = row.role.as_deref().map(|r| Role::parse(r).unwrap_or(Role::Viewer));
        let grants = match role {
            // A personal key: its owner's role, narrowed by its scopes if it has any.
            Some(role) if scopes.is_empty() => role.grants(),
            Some(role) => role.grants().and(Grants::of_scopes(&scopes)),
            None => Grants::of_scopes(&scopes),
        };
        Ok(Some(Principal {
            user_id: row.user_id,
            api_key_id: Some(row.id),
            name: row.email.unwrap_or(row.name),
            role,
            grants,
            session_id: None,
            expires_at: row.expires_at,
        }))
    }
}
