//! Server functions behind `/settings/users` and `/settings/api-keys`. They
//! take form fields as text (so that plain forms post them with or without
//! JavaScript) and follow the rules of `/v1/users` and `/v1/…/api_keys`.
//!
//! The server's rule table already keeps non-admins out of the admin ones;
//! each checks the caller again anyway, so that a wrong rule cannot hand
//! out accounts. A change that must stop a credential at once (revocation,
//! role change, deactivation) also empties the server's credential cache.

use std::time::Duration;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::accounts::{ApiKey, CreatedApiKey, Scope, User};
#[cfg(feature = "ssr")]
use crate::model::accounts::{Permission, Principal, Role};
#[cfg(feature = "ssr")]
use crate::store::{Error, Page, Store};

/// How long an invite or reset link works (`plume users` and `/v1/users` too).
pub const USER_LINK_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Longest expiry of a key made in the UI, in days (ten years).
pub const MAX_KEY_DAYS: i64 = 3650;

/// What `/settings/users` shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsersView {
    /// Every user, newest first.
    pub users: Vec<User>,
    /// The caller's own global id: their row has no forms (admins do not
    /// demote or deactivate themselves).
    pub me: Option<crate::ids::UserId>,
    /// `false` with `--auth off`: nobody logs in, so invites wait for `--auth on`.
    pub accounts_on: bool,
}

/// A one-time link to set a password, made by an invite or a reset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserLink {
    /// Whose.
    pub email: String,
    /// `<base>/set-password?token=…`.
    pub url: String,
    /// `true` for a new user, `false` for a reset.
    pub invite: bool,
}

/// What `/settings/api-keys` shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeysView {
    /// `false` when the caller is no user (`--auth off`, or a service key):
    /// keys belong to accounts, so there is nothing to show.
    pub has_account: bool,
    /// The caller's live personal keys, newest first.
    pub personal: Vec<ApiKey>,
    /// The live service keys, for admins only.
    pub service: Option<Vec<ApiKey>>,
}

/// Whether a user's state is `invited` (no password yet), `active` or `deactivated`.
pub fn user_state(user: &User) -> &'static str {
    match (user.active, user.password_needs_reset) {
        (false, _) => "deactivated",
        (true, true) => "invited",
        (true, false) => "active",
    }
}

/// The `active` field of the change form: blank is no change.
pub fn parse_active(text: &str) -> Result<Option<bool>, String> {
    match text.trim() {
        "" => Ok(None),
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        other => Err(format!("`active` is true or false, not {other:?}")),
    }
}

/// The expiry field of a key form, in days: blank is never.
pub fn key_expiry_days(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(days) if (1..=MAX_KEY_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(format!("The expiry is a whole number of days from 1 to {MAX_KEY_DAYS}, or blank for never")),
    }
}

/// The scopes whose checkboxes are ticked (any value), given in the order of [`Scope::ALL`].
pub fn checked_scopes(fields: [&str; 5]) -> Vec<Scope> {
    Scope::ALL.into_iter().zip(fields).filter(|(_, value)| !value.is_empty()).map(|(scope, _)| scope).collect()
}

/// A refusal with `error`'s status (403, 404, …) and words.
#[cfg(feature = "ssr")]
fn refuse(error: Error) -> ServerFnError {
    super::server_error(error)
}

/// The caller, if an admin; else a 403.
#[cfg(feature = "ssr")]
fn admin() -> Result<Principal, ServerFnError> {
    let caller = super::caller();
    match caller.can(Permission::Admin) {
        true => Ok(caller),
        false => Err(refuse(Error::Forbidden("This needs the admin permission".into()))),
    }
}

/// The caller's user, for key management: keys belong to accounts, and are
/// managed from a logged-in browser, not with a key (a narrowed key must not
/// mint a stronger one, nor revoke its owner's others).
#[cfg(feature = "ssr")]
fn person(caller: &Principal) -> Result<i64, ServerFnError> {
    if caller.api_key_id.is_some() {
        return Err(refuse(Error::Forbidden("Manage API keys from a logged-in browser, not with an API key".into())));
    }
    caller
        .user_id
        .ok_or_else(|| refuse(Error::Forbidden("API keys need accounts: start Plume with --auth on and log in".into())))
}

/// Has the server forget the credentials it cached, so that a change takes
/// effect on the very next request.
#[cfg(feature = "ssr")]
fn forget_credentials() {
    if let Some(forget) = use_context::<super::ForgetCredentials>() {
        forget.forget();
    }
}

/// The rowid in a global id of `kind`, else a 422.
#[cfg(feature = "ssr")]
fn rowid(kind: &str, id: &str) -> Result<i64, ServerFnError> {
    crate::ids::parse_global_id(kind, id.trim())
        .ok_or_else(|| refuse(Error::Invalid(format!("Invalid {kind} GlobalID format: {id}"))))
}

/// Every user, newest first, and who is asking.
#[server(endpoint = "load_users")]
pub async fn load_users() -> Result<UsersView, ServerFnError> {
    let caller = admin()?;
    let store = expect_context::<Store>();
    let mut users = Vec::new();
    let mut cursor = None;
    loop {
        let Page { rows, next } = store.users(cursor, 1000).await.map_err(refuse)?;
        users.extend(rows.iter().map(crate::store::UserRecord::to_user));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(UsersView {
        users,
        me: caller.user_id.map(crate::ids::UserId),
        accounts_on: caller.user_id.is_some() || caller.api_key_id.is_some(),
    })
}

/// A fresh one-time link for `user` on this server's public URL, kept for
/// the page that shows it.
#[cfg(feature = "ssr")]
async fn user_link(store: &Store, user: &crate::store::UserRecord, invite: bool) -> Result<UserLink, ServerFnError> {
    let token = store.create_user_link(user.id, USER_LINK_TTL).await.map_err(refuse)?;
    let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let base = use_context::<super::PublicUrl>().unwrap_or_default().base(&headers);
    let link = UserLink { email: user.email.clone(), url: format!("{base}/set-password?token={token}"), invite };
    super::shown_once::keep(super::shown_once::NEW_USER_LINK, &link);
    Ok(link)
}

/// Makes a user without a password, with role `role`; the answer (and the
/// page, once) has the link with which they set one. No e-mail is sent:
/// the admin passes the link on.
#[server(endpoint = "invite_user")]
pub async fn invite_user(email: String, role: String) -> Result<UserLink, ServerFnError> {
    admin()?;
    let role = Role::parse(&role).ok_or_else(|| refuse(Error::Invalid(format!("Role '{role}' not found"))))?;
    let store = expect_context::<Store>();
    let user = store.create_user(&email, role, None).await.map_err(refuse)?;
    user_link(&store, &user, true).await
}

/// Changes user `user_id`'s role (when `role` is given) and deactivates or
/// reactivates them (`active` = `false` / `true`). Their sessions end, and a
/// deactivated user's keys stop at once. Admins cannot change themselves:
/// the last admin would lock everyone out.
#[server(endpoint = "change_user")]
pub async fn change_user(
    user_id: String,
    #[server(default)] role: String,
    #[server(default)] active: String,
) -> Result<(), ServerFnError> {
    let caller = admin()?;
    let user = rowid("User", &user_id)?;
    if caller.user_id == Some(user) {
        let message = "Admins cannot change their own role or deactivate themselves";
        return Err(refuse(Error::Forbidden(message.into())));
    }
    let role = match role.trim() {
        "" => None,
        name => Some(Role::parse(name).ok_or_else(|| refuse(Error::Invalid(format!("Role '{name}' not found"))))?),
    };
    let active = parse_active(&active).map_err(|message| refuse(Error::Invalid(message)))?;
    if role.is_none() && active.is_none() {
        return Err(refuse(Error::Invalid("Choose a role, or deactivate or reactivate the user".into())));
    }
    let store = expect_context::<Store>();
    let mut found = true;
    if let Some(role) = role {
        found &= store.set_role(user, role).await.map_err(refuse)?;
    }
    if let Some(active) = active {
        found &= store.set_active(user, active).await.map_err(refuse)?;
    }
    forget_credentials();
    match found {
        true => Ok(()),
        false => Err(refuse(Error::NotFound("User not found".into()))),
    }
}

/// A new one-time link for user `user_id` to set a password (earlier unused
/// links stop working); shown once.
#[server(endpoint = "reset_link")]
pub async fn reset_link(user_id: String) -> Result<UserLink, ServerFnError> {
    admin()?;
    let user = rowid("User", &user_id)?;
    let store = expect_context::<Store>();
    let Some(user) = store.user(user).await.map_err(refuse)? else {
        return Err(refuse(Error::NotFound("User not found".into())));
    };
    user_link(&store, &user, false).await
}

/// The caller's live personal keys and, for admins, the service keys.
#[server(endpoint = "load_api_keys")]
pub async fn load_api_keys() -> Result<ApiKeysView, ServerFnError> {
    let caller = super::caller();
    let Some(user) = caller.user_id else {
        return Ok(ApiKeysView { has_account: false, personal: Vec::new(), service: None });
    };
    let store = expect_context::<Store>();
    let personal = store.api_keys(Some(user)).await.map_err(refuse)?;
    let service = match caller.can(Permission::Admin) {
        true => Some(store.api_keys(None).await.map_err(refuse)?),
        false => None,
    };
    Ok(ApiKeysView { has_account: true, personal, service })
}

/// Makes a key (`owner` `None`: a service key) from the form's fields; the
/// answer (and the page, once) has the key itself.
#[cfg(feature = "ssr")]
async fn create_key(
    owner: Option<i64>,
    created_by: i64,
    name: &str,
    expires_days: &str,
    scopes: &[Scope],
) -> Result<CreatedApiKey, ServerFnError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(refuse(Error::Invalid("Name the key".into())));
    }
    let days = key_expiry_days(expires_days).map_err(|message| refuse(Error::Invalid(message)))?;
    let expires_at = days.map(|days| crate::time::to_nanos(chrono::Utc::now() + chrono::Duration::days(days)));
    let new =
        crate::store::NewApiKey { owner, created_by: Some(created_by), name, description: None, expires_at, scopes };
    let store = expect_context::<Store>();
    let (listed, key) = store.create_api_key(&new).await.map_err(refuse)?;
    let created = CreatedApiKey { listed, key };
    super::shown_once::keep(super::shown_once::NEW_KEY, &created);
    Ok(created)
}

/// Revokes key `rowid` of `owner` (`None`: a service key); it stops at once.
#[cfg(feature = "ssr")]
async fn revoke_key(rowid: i64, owner: Option<i64>) -> Result<(), ServerFnError> {
    let store = expect_context::<Store>();
    let revoked = store.revoke_api_key(rowid, owner).await.map_err(refuse)?;
    forget_credentials();
    match revoked {
        true => Ok(()),
        false => Err(refuse(Error::NotFound("API key not found".into()))),
    }
}

/// Makes a personal key named `name` for the caller, expiring after
/// `expires_days` days (blank: never). It acts as the caller; ticked
/// `scope_*` boxes narrow it further (none: the caller's whole role).
#[server(endpoint = "create_my_api_key")]
pub async fn create_my_api_key(
    name: String,
    #[server(default)] expires_days: String,
    #[server(default)] scope_ingest: String,
    #[server(default)] scope_annotate: String,
    #[server(default)] scope_feedback: String,
    #[server(default)] scope_read: String,
    #[server(default)] scope_admin: String,
) -> Result<CreatedApiKey, ServerFnError> {
    let user = person(&super::caller())?;
    let scopes = checked_scopes([&scope_ingest, &scope_annotate, &scope_feedback, &scope_read, &scope_admin]);
    create_key(Some(user), user, &name, &expires_days, &scopes).await
}

/// Revokes the caller's personal key `id` (global id); anyone else's is "not found".
#[server(endpoint = "revoke_my_api_key")]
pub async fn revoke_my_api_key(id: String) -> Result<(), ServerFnError> {
    let user = person(&super::caller())?;
    revoke_key(rowid(crate::ids::ApiKeyId::type_name(true), &id)?, Some(user)).await
}

/// Makes a service key (an application's, owned by no user) with the ticked
/// scopes; none ticked gives ingest, annotate, feedback and read.
#[server(endpoint = "create_service_key")]
pub async fn create_service_key(
    name: String,
    #[server(default)] expires_days: String,
    #[server(default)] scope_ingest: String,
    #[server(default)] scope_annotate: String,
    #[server(default)] scope_feedback: String,
    #[server(default)] scope_read: String,
    #[server(default)] scope_admin: String,
) -> Result<CreatedApiKey, ServerFnError> {
    let user = person(&admin()?)?;
    let mut scopes = checked_scopes([&scope_ingest, &scope_annotate, &scope_feedback, &scope_read, &scope_admin]);
    if scopes.is_empty() {
        scopes = Scope::DEFAULT.to_vec();
    }
    create_key(None, user, &name, &expires_days, &scopes).await
}

/// Revokes service key `id` (global id).
#[server(endpoint = "revoke_service_key")]
pub async fn revoke_service_key(id: String) -> Result<(), ServerFnError> {
    person(&admin()?)?;
    revoke_key(rowid(crate::ids::ApiKeyId::type_name(false), &id)?, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_read_strictly() {
        assert_eq!(parse_active(""), Ok(None));
        assert_eq!(parse_active("false"), Ok(Some(false)));
        assert!(parse_active("no").is_err());
        assert_eq!(key_expiry_days(" "), Ok(None));
        assert_eq!(key_expiry_days("30"), Ok(Some(30)));
        assert!(key_expiry_days("0").is_err());
        assert!(key_expiry_days("1.5").is_err());
        assert!(key_expiry_days("3651").is_err());
        assert_eq!(checked_scopes(["on", "", "", "on", ""]), vec![Scope::Ingest, Scope::Read]);
        assert!(checked_scopes([""; 5]).is_empty());
    }
}
