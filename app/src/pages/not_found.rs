//! The page for any unknown URL, answered with a 404 status.

use leptos::prelude::*;

/// "Not found", with status 404 when rendered on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="empty">
            <h1>"Not found"</h1>
            <p>"Nothing lives at this address. " <a href="/">"Back to the projects"</a></p>
        </section>
    }
}
