//! Server functions: what the UI asks the server for. Each one is a thin
//! call into the same store the REST API uses.

use leptos::prelude::*;

use crate::model::ProjectSummary;

mod account_forms;
mod annotation_forms;
mod bulk_annotation_forms;
mod collection_forms;
mod collection_reads;
mod page_reads;
mod queue_forms;
mod queue_reads;
mod share_reads;
pub mod shown_once;
mod webhook_forms;

pub use account_forms::*;
pub use annotation_forms::*;
pub use bulk_annotation_forms::*;
pub use collection_forms::*;
pub use collection_reads::*;
pub use page_reads::*;
pub use queue_forms::*;
pub use queue_reads::*;
pub use share_reads::*;
pub use webhook_forms::*;

/// Every project with its counts, for the projects page.
#[server(endpoint = "project_summaries")]
pub async fn project_summaries() -> Result<Vec<ProjectSummary>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.project_summaries().await.map_err(server_error)
}

/// A store error as a server function error, answered with the store's one
/// status mapping ([`crate::store::Error::status`]); an internal error is
/// logged and shown only as a generic message.
#[cfg(feature = "ssr")]
fn server_error(error: crate::store::Error) -> ServerFnError {
    set_status(error.status());
    ServerFnError::new(error.client_message())
}

/// Who calls: the principal the server's authentication put in the request
/// (with auth off, the local user who may do anything).
#[cfg(feature = "ssr")]
pub fn caller() -> crate::model::accounts::Principal {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<crate::model::accounts::Principal>().cloned())
        .unwrap_or_else(crate::model::accounts::Principal::nobody)
}

/// Whether accounts are on (`--auth on`), as the server provides it.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, Default)]
pub struct AuthEnabled(pub bool);

/// Whether accounts are on; pages render on the server, which knows.
pub fn auth_enabled() -> bool {
    #[cfg(feature = "ssr")]
    return use_context::<AuthEnabled>().is_some_and(|enabled| enabled.0);
    #[cfg(not(feature = "ssr"))]
    false
}

/// Who is logged in, for the pages: the principal with auth on and a user,
/// else `None`. Pages render on the server, which knows.
pub fn viewer() -> Option<crate::model::accounts::Principal> {
    #[cfg(feature = "ssr")]
    return Some(caller()).filter(|principal| principal.user_id.is_some());
    #[cfg(not(feature = "ssr"))]
    None
}

/// Whether the request may do `permission` (to hide what it may not).
/// With auth off, everything.
pub fn may(permission: crate::model::accounts::Permission) -> bool {
    #[cfg(feature = "ssr")]
    return caller().can(permission);
    #[cfg(not(feature = "ssr"))]
    {
        let _ = permission;
        true
    }
}

/// Whether the request may change or delete work by `author` (its own, or
/// anyone's for an admin; everything with auth off).
pub fn may_change(author: crate::model::accounts::Author) -> bool {
    #[cfg(feature = "ssr")]
    return caller().owns(author);
    #[cfg(not(feature = "ssr"))]
    {
        let _ = author;
        true
    }
}

/// A form the server refuses (a 422 that says why).
#[cfg(feature = "ssr")]
fn refused(message: impl std::fmt::Display) -> ServerFnError {
    set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
    ServerFnError::new(message)
}

/// Sets the status of the server function's response, unless it answers a
/// plain HTML form post: that one is redirected back to its page whatever
/// happened, as browsers without JavaScript need.
#[cfg(feature = "ssr")]
fn set_status(status: http::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && !is_html_form_post()
    {
        response.set_status(status);
    }
}

/// Whether this server function call is a plain HTML form post (a browser
/// without JavaScript), which Leptos answers with a redirect back.
#[cfg(feature = "ssr")]
fn is_html_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    })
}

/// Empties the server's cache of looked-up credentials (sessions and keys),
/// so that a revocation, role change or deactivation made by a server
/// function stops the credential on its very next request rather than up
/// to a second later. The cache lives in the server crate, which provides
/// this as context.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct ForgetCredentials(pub std::sync::Arc<dyn Fn() + Send + Sync>);

#[cfg(feature = "ssr")]
impl ForgetCredentials {
    /// Forgets every cached credential.
    pub fn forget(&self) {
        (self.0)()
    }
}

#[cfg(feature = "ssr")]
impl std::fmt::Debug for ForgetCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForgetCredentials")
    }
}

/// This server's base URL as browsers reach it, for the links it hands out
/// (public links, feedback widgets): `--public-url` when set, else
/// `http://` + the request's Host. The server provides it as context.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default)]
pub struct PublicUrl(pub Option<String>);

#[cfg(feature = "ssr")]
impl PublicUrl {
    /// The base URL for a request with these headers.
    pub fn base(&self, headers: &http::HeaderMap) -> String {
        match &self.0 {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1:6006");
                format!("http://{host}")
            }
        }
    }
}
