//! Accounts on the wire: who a request is (a browser session or an API key),
//! whether it may do what it asks ([`rules`]), logging in and out
//! ([`login`]), passwords ([`passwords`]) and the login throttle
//! ([`throttle`]).
//!
//! With `--auth off` (the default, loopback only) every request acts as the
//! one local user, who may do anything, as before accounts existed. With
//! `--auth on` a request without a credential reaches only the public
//! surfaces; the REST API and OTLP answer 401 with `WWW-Authenticate:
//! Bearer` (as Phoenix does), pages redirect to `/login?next=…`.

pub mod login;
pub mod passwords;
pub mod rules;
pub mod throttle;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::accounts::Principal;
use app::store::{SessionLifetime, Store};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use rules::{Access, Rules};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "plume_session";

/// How long a looked-up credential is trusted without asking the database
/// again. Revocations, role changes, deactivations and logouts made through
/// this process clear the cache at once; this bounds how late another
/// process's changes are seen.
const CACHE_FOR: Duration = Duration::from_secs(1);

/// Cached credentials kept before the stale ones are dropped.
const CACHE_PRUNE_ABOVE: usize = 10_000;

/// Looked-up credentials by the SHA-256 of the secret, with when they were looked up.
type CredentialCache = HashMap<Vec<u8>, (Option<Principal>, Instant)>;

/// The settings and state of authentication, shared by HTTP and gRPC.
#[derive(Clone, Debug)]
pub struct Auth(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    enabled: bool,
    store: Store,
    rules: Rules,
    lifetime: SessionLifetime,
    secure_cookie: bool,
    cache: Mutex<CredentialCache>,
    throttle: throttle::LoginThrottle,
    passwords: passwords::Passwords,
}

/// How [`Auth`] is set up.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// `--auth on`.
    pub enabled: bool,
    /// Session expiry.
    pub lifetime: SessionLifetime,
    /// Whether the session cookie is `Secure` (`--public-url` is https).
    pub secure_cookie: bool,
}

impl Auth {
    /// Builds the rules from the routes; `Err` names a route without one.
    pub fn new(store: Store, settings: AuthSettings) -> Result<Auth, String> {
        let throttle = throttle::LoginThrottle::new(&store);
        Ok(Auth(Arc::new(Inner {
            enabled: settings.enabled,
            store,
            rules: Rules::new()?,
            lifetime: settings.lifetime,
            secure_cookie: settings.secure_cookie,
            cache: Mutex::new(HashMap::new()),
            throttle,
            passwords: passwords::Passwords::new(),
        })))
    }

    /// Whether accounts are on.
    pub fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Who presents `authorization` (a `Bearer` key) or `cookie` (a session),
    /// if anyone valid. The key wins when both are sent.
    pub async fn principal(&self, headers: &HeaderMap) -> Result<Option<Principal>, app::store::Error> {
        if let Some(key) = bearer(headers.get(header::AUTHORIZATION)) {
            return self.cached(key, |store, key| async move { store.key_principal(&key).await }).await;
        }
        if let Some(token) = cookie(headers, SESSION_COOKIE) {
            let lifetime = self.0.lifetime;
            return self
                .cached(token, move |store, token| async move { store.session_principal(&token, lifetime).await })
                .await;
        }
        Ok(None)
    }

    /// Who an API key (gRPC's `authorization` metadata) stands for.
    pub async fn key_principal(
        &self,
        authorization: Option<&HeaderValue>,
    ) -> Result<Option<Principal>, app::store::Error> {
        match bearer(authorization) {
            Some(key) => self.cached(key, |store, key| async move { store.key_principal(&key).await }).await,
            None => Ok(None),
        }
    }

    /// A credential's principal from the cache, else from `lookup`.
    async fn cached<F, Fut>(&self, secret: &str, lookup: F) -> Result<Option<Principal>, app::store::Error>
    where
        F: FnOnce(Store, String) -> Fut,
        Fut: Future<Output = Result<Option<Principal>, app::store::Error>>,
    {
        let hash = app::store::token_hash(secret);
        let now = Instant::now();
        if let Some((principal, at)) = self.cache().get(&hash)
            && now.duration_since(*at) < CACHE_FOR
            && principal
                .as_ref()
                .is_none_or(|p| p.expires_at.is_none_or(|end| end > app::time::to_nanos(chrono::Utc::now())))
        {
            return Ok(principal.clone());
        }
        let principal = lookup(self.0.store.clone(), secret.to_owned()).await?;
        let mut cache = self.cache();
        if cache.len() > CACHE_PRUNE_ABOVE {
            cache.retain(|_, (_, at)| now.duration_since(*at) < CACHE_FOR);
        }
        cache.insert(hash, (principal.clone(), now));
        Ok(principal)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, CredentialCache> {
        self.0.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets every cached credential: after a logout, a revocation, a role
    /// change or a deactivation, the next request asks the database.
    pub fn forget_credentials(&self) {
        self.cache().clear();
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// What `method path` needs.
    pub fn access(&self, method: &Method, path: &str) -> Access {
        self.0.rules.access(method, path)
    }

    /// The `Set-Cookie` value of a new session.
    pub fn session_cookie(&self, token: &str) -> String {
        let secure = if self.0.secure_cookie { "; Secure" } else { "" };
        let max_age = self.0.lifetime.absolute.as_secs();
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn cleared_cookie(&self) -> String {
        let secure = if self.0.secure_cookie { "; Secure" } else { "" };
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    }

    /// The login throttle.
    pub fn throttle(&self) -> &throttle::LoginThrottle {
        &self.0.throttle
    }

    /// Password hashing.
    pub fn passwords(&self) -> &passwords::Passwords {
        &self.0.passwords
    }
}

/// The key of an `Authorization: Bearer <key>` header.
fn bearer(value: Option<&HeaderValue>) -> Option<&str> {
    let value = value?.to_str().ok()?.trim();
    let (scheme, key) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim()).filter(|key| !key.is_empty())
}

/// The value of cookie `name`.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
        .filter(|value| !value.is_empty())
}

/// The middleware: finds who the request is, answers 401 / a login redirect
/// / 403 when its rule is not met, and otherwise puts the [`Principal`] in
/// the request's extensions for the handler (attribution, ownership).
pub async fn check(State(auth): State<Auth>, mut request: Request, next: Next) -> Response {
    if !auth.enabled() {
        request.extensions_mut().insert(Principal::local());
        return next.run(request).await;
    }
    let access = auth.access(request.method(), request.uri().path());
    let principal = match access {
        Access::Public => None,
        Access::Signed | Access::User | Access::Needs(_) => match auth.principal(request.headers()).await {
            Ok(principal) => principal,
            Err(error) => return crate::error::ApiError::from(error).into_response(),
        },
    };
    match (access, principal) {
        (Access::Public, _) => {
            // Public pages still learn who is logged in (for the header), cheaply:
            // only when a session cookie is there.
            if cookie(request.headers(), SESSION_COOKIE).is_some()
                && let Ok(Some(principal)) = auth.principal(request.headers()).await
            {
                request.extensions_mut().insert(principal);
            }
            next.run(request).await
        }
        (_, None) => unauthenticated(&auth, &request),
        (Access::Needs(permission), Some(principal)) if !principal.can(permission) => {
            forbidden(&principal, &format!("the `{}` permission", permission.as_str()))
        }
        (Access::User, Some(principal)) if principal.user_id.is_none() => {
            forbidden(&principal, "a user's credential (a session or a personal key)")
        }
        (_, Some(principal)) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
    }
}

/// No valid credential: pages go to the login page (and come back after),
/// everything else gets Phoenix's 401.
fn unauthenticated(auth: &Auth, request: &Request) -> Response {
    let path = request.uri().path();
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/v1/")
        && !path.starts_with("/api/")
        && path != "/openapi.json"
        && !auth.0.rules.documented(path);
    if is_page {
        let next = request.uri().path_and_query().map_or(path, |pq| pq.as_str());
        let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "Not authenticated: log in or send Authorization: Bearer <API key>\n",
    )
        .into_response()
}

/// A valid credential without what the route needs.
fn forbidden(principal: &Principal, needed: &str) -> Response {
    let who = match principal.role {
        Some(role) => format!("the {} role", role.as_str()),
        None => "a service key's scopes".to_owned(),
    };
    let message = format!("Forbidden: this needs {needed}, which {who} does not give\n");
    (StatusCode::FORBIDDEN, message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_read_from_their_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer  plume_abc "));
        headers.insert(header::COOKIE, HeaderValue::from_static("theme=dark; plume_session=tok123; x=y"));
        assert_eq!(bearer(headers.get(header::AUTHORIZATION)), Some("plume_abc"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok123"));
        assert_eq!(bearer(Some(&HeaderValue::from_static("Basic abc"))), None);
        assert_eq!(bearer(Some(&HeaderValue::from_static("Bearer "))), None);
        headers.insert(header::COOKIE, HeaderValue::from_static("plume_session_old=1"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), None);
    }
}

/// The [`Principal`] of the request, for handlers: who to attribute work to
/// and whose work may be changed. Refuses with 401 where the middleware put
/// none (a public route has no caller).
#[derive(Clone, Debug)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Principal>() {
            Some(principal) => Ok(Caller(principal.clone())),
            None => Err((StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "Not authenticated\n")
                .into_response()),
        }
    }
}
