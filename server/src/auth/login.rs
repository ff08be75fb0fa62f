//! `POST /auth/login`, `POST /auth/logout` and `POST /auth/set-password`
//! (Phoenix's paths), for browsers (forms, answered with redirects) and
//! programs (JSON, answered with status codes).
//!
//! A failed login says the same thing, after the same work (one argon2
//! check), whether the email is unknown or the password wrong.

use app::model::accounts::Principal;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::json::JsonOrForm;

/// What a failed login is told, whatever the reason.
const LOGIN_FAILED: &str = "Invalid email or password";

/// Body of `POST /auth/login`.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    /// Where a browser goes after logging in (a path on this server).
    #[serde(default)]
    next: Option<String>,
}

/// Body of `POST /auth/password`.
#[derive(Debug, Deserialize)]
pub struct ChangePasswordForm {
    current_password: String,
    new_password: String,
}

/// Body of `POST /auth/set-password`.
#[derive(Debug, Deserialize)]
pub struct SetPasswordForm {
    token: String,
    password: String,
}

/// `POST /auth/login`: starts a session (cookie `plume_session`); 401 on a
/// failure, 429 while throttled. A form post is redirected to `next` (or
/// back to the login page with the reason).
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonOrForm(form, is_form): JsonOrForm<LoginForm>,
) -> Response {
    let auth = &state.auth;
    let address = ip.map(|ip| ip.to_string()).unwrap_or_default();
    let next = safe_next(form.next.as_deref());
    if let Err(wait) = auth.throttle().check(&form.email, &address).await {
        return match is_form {
            true => back_to_login("Too many failed attempts; wait a moment and try again", &next),
            false => crate::rate_limit::too_many("login attempts", wait),
        };
    }
    let user = match auth.store().user_by_email(&form.email).await {
        Ok(user) => user,
        Err(error) => return ApiError::from(error).into_response(),
    };
    // The same argon2 work for unknown users, inactive users and wrong passwords.
    let stored = user.as_ref().filter(|user| user.active).and_then(|user| user.password_hash.clone());
    let valid = auth.passwords().verify(form.password, stored).await;
    let Some(user) = user.filter(|_| valid) else {
        auth.throttle().failed(&form.email, &address).await;
        return match is_form {
            true => back_to_login(LOGIN_FAILED, &next),
            false => (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], LOGIN_FAILED).into_response(),
        };
    };
    auth.throttle().succeeded(&form.email).await;
    let token = match auth.store().create_session(user.id).await {
        Ok(token) => token,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let cookie = HeaderValue::from_str(&auth.session_cookie(&token)).expect("the cookie is ASCII");
    let mut response = match is_form {
        true => Redirect::to(&next).into_response(),
        false => Json(serde_json::json!({ "data": user.to_user() })).into_response(),
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// `POST /auth/logout`: ends the session everywhere (it is server-side) and
/// clears the cookie; browsers go to the login page.
pub async fn logout(State(state): State<AppState>, request: Request) -> Response {
    if let Ok(Some(Principal { session_id: Some(session), .. })) = state.auth.principal(request.headers()).await {
        if let Err(error) = state.auth.store().end_session(session).await {
            return ApiError::from(error).into_response();
        }
        state.auth.forget_credentials();
    }
    let cookie = HeaderValue::from_str(&state.auth.cleared_cookie()).expect("the cookie is ASCII");
    let wants_page = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut response = match wants_page {
        true => Redirect::to("/login").into_response(),
        false => StatusCode::NO_CONTENT.into_response(),
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// `POST /auth/set-password`: uses a one-time invite or reset link. The
/// user's sessions end; a browser goes to the login page.
pub async fn set_password(
    State(state): State<AppState>,
    JsonOrForm(form, is_form): JsonOrForm<SetPasswordForm>,
) -> Response {
    let auth = &state.auth;
    let refused = |message: &str, status: StatusCode| match is_form {
        true => {
            let token: String = form_urlencoded::byte_serialize(form.token.as_bytes()).collect();
            let error: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
            Redirect::to(&format!("/set-password?token={token}&error={error}")).into_response()
        }
        false => (status, message.to_owned()).into_response(),
    };
    let hash = match auth.passwords().hash(form.password.clone()).await {
        Ok(hash) => hash,
        Err(message) => return refused(&message, StatusCode::UNPROCESSABLE_ENTITY),
    };
    match auth.store().use_user_link(&form.token, &hash).await {
        Ok(Some(_)) => {
            auth.forget_credentials();
            match is_form {
                true => Redirect::to("/login?notice=password-set").into_response(),
                false => StatusCode::NO_CONTENT.into_response(),
            }
        }
        Ok(None) => refused("This link is used, expired or unknown: ask an admin for a new one", StatusCode::NOT_FOUND),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `POST /auth/password`: a logged-in user changes their password, giving
/// the current one. Their other sessions end; this one goes on. A form post
/// goes back to `/settings/api-keys` (with `?error=` when refused).
pub async fn change_password(
    State(state): State<AppState>,
    crate::auth::Caller(caller): crate::auth::Caller,
    JsonOrForm(form, is_form): JsonOrForm<ChangePasswordForm>,
) -> Response {
    let auth = &state.auth;
    let refused = |message: &str, status: StatusCode| match is_form {
        true => {
            let error: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
            Redirect::to(&format!("/settings/api-keys?error={error}")).into_response()
        }
        false => (status, message.to_owned()).into_response(),
    };
    let Some(user_id) = caller.user_id else {
        return refused("Only a user has a password", StatusCode::FORBIDDEN);
    };
    let user = match auth.store().user(user_id).await {
        Ok(Some(user)) => user,
        Ok(None) => return refused("No such user", StatusCode::NOT_FOUND),
        Err(error) => return ApiError::from(error).into_response(),
    };
    if !auth.passwords().verify(form.current_password, user.password_hash.clone()).await {
        return refused("The current password is wrong", StatusCode::FORBIDDEN);
    }
    let hash = match auth.passwords().hash(form.new_password).await {
        Ok(hash) => hash,
        Err(message) => return refused(&message, StatusCode::UNPROCESSABLE_ENTITY),
    };
    if let Err(error) = auth.store().set_password(user_id, &hash, caller.session_id).await {
        return ApiError::from(error).into_response();
    }
    auth.forget_credentials();
    match is_form {
        true => Redirect::to("/settings/api-keys?notice=password-changed").into_response(),
        false => StatusCode::NO_CONTENT.into_response(),
    }
}

/// The login page again, with the reason and where to go after.
fn back_to_login(message: &str, next: &str) -> Response {
    let error: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/login?error={error}&next={next}")).into_response()
}

/// `next` if it is a path on this server (not `//evil.example`, not a URL), else `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(safe_next(Some("/projects/default?x=1")), "/projects/default?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
