//! Secrets that forms make (a new API key, a set-password link, a public
//! link) and that exist nowhere else: the server keeps only their hashes. A plain
//! form post is answered with a redirect back to the page, and the page
//! swapper (JavaScript on) fetches the page again after its post, so in both
//! cases the page that shows the secret is a second request. The secret
//! rides to it in a cookie that lives a minute, is sent only to the pages
//! under its path (`HttpOnly`, `SameSite=Strict`) and is cleared by the first
//! page that shows it.

/// A cookie that carries one kind of secret to the pages under `path`.
#[derive(Clone, Copy, Debug)]
pub struct Carrier {
    /// The cookie's name.
    pub name: &'static str,
    /// The pages it is sent to.
    pub path: &'static str,
}

/// A new API key (personal or service), for `/settings/api-keys`.
pub const NEW_KEY: Carrier = Carrier { name: "plume_new_key", path: "/settings" };

/// A new invite or reset link, for `/settings/users`.
pub const NEW_USER_LINK: Carrier = Carrier { name: "plume_new_user_link", path: "/settings" };

/// A new webhook's secret, for `/settings/webhooks`.
pub const NEW_WEBHOOK: Carrier = Carrier { name: "plume_new_webhook", path: "/settings" };

/// A new public link, for the collection page.
pub const NEW_PUBLIC_LINK: Carrier = Carrier { name: "plume_new_link", path: "/collections" };

/// Not a secret but as fleeting: what a bulk annotation did, for its
/// confirm page under a project (the trace list's selection)…
pub const BULK_DONE_PROJECTS: Carrier = Carrier { name: "plume_bulk_done", path: "/projects" };

/// …or under a collection.
pub const BULK_DONE_COLLECTIONS: Carrier = Carrier { name: "plume_bulk_done", path: "/collections" };

/// Sets cookie `name` to `value` on the server function's response. Set for
/// every caller, not only plain form posts: the page swapper's post asks for
/// JSON and then reloads the page, which must find the secret too.
#[cfg(feature = "ssr")]
pub fn keep<T: serde::Serialize>(carrier: Carrier, value: &T) {
    use base64::Engine as _;
    let Ok(json) = serde_json::to_vec(value) else { return };
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let Carrier { name, path } = carrier;
    set_cookie(&format!("{name}={value}; Path={path}; Max-Age=60; HttpOnly; SameSite=Strict"));
}

/// What cookie `name` of the request carries, if anything; clears the cookie
/// so that the secret is shown once. Also marks the page `no-store`: a page
/// of accounts and keys has no business in a cache.
#[cfg(feature = "ssr")]
pub fn take<T: serde::de::DeserializeOwned>(carrier: Carrier) -> Option<T> {
    let Carrier { name, path } = carrier;
    use base64::Engine as _;
    use leptos::prelude::use_context;
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    }
    let parts = use_context::<http::request::Parts>()?;
    let value = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))?;
    set_cookie(&format!("{name}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Strict"));
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Pages render only on the server.
#[cfg(not(feature = "ssr"))]
pub fn take<T>(_carrier: Carrier) -> Option<T> {
    None
}

#[cfg(feature = "ssr")]
fn set_cookie(cookie: &str) {
    if let (Some(response), Ok(value)) =
        (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(cookie))
    {
        response.append_header(http::header::SET_COOKIE, value);
    }
}
