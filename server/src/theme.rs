//! `POST /theme`: remembers the colour theme chosen with the header's switch
//! (a cookie read when pages render, see `app::theme`) and goes back to the page.

use axum::Form;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The switch's form.
#[derive(Debug, Deserialize)]
pub struct ThemeForm {
    theme: String,
    #[serde(default)]
    next: Option<String>,
}

/// Sets `plume_theme` for a year (`light`, `dark`; anything else clears the
/// choice, so the browser's preference rules) and redirects to `next`.
pub async fn choose(Form(form): Form<ThemeForm>) -> Response {
    let cookie = match app::theme::parse(&form.theme) {
        Some(theme) => format!("{}={theme}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", app::theme::COOKIE),
        None => format!("{}=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly", app::theme::COOKIE),
    };
    let mut response = Redirect::to(&crate::auth::login::safe_next(form.next.as_deref())).into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ASCII"));
    response
}
