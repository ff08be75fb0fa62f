//! Plume's UI (Leptos components rendered on the server) and the types the UI
//! and the REST API share.
//!
//! The UI runs in Leptos's islands mode: pages are plain server-rendered HTML
//! whose forms post and redirect, and only the `#[island]` components (page
//! swaps, keyboard shortcuts, flag forms, …) are compiled to WASM and
//! hydrated. That keeps the browser bundle small.
//!
//! - [`model`]: the shared types (`Span`, `Trace`, `Project`, …).
//! - [`pages`]: one module per page; [`api`]: the server functions they call.
//! - `store` (with the `ssr` feature): all SQL, used by both the REST
//!   handlers and the server functions.

pub mod api;
pub mod components;
pub mod ids;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
pub mod theme;
pub mod time;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme::chosen()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Whether the page is an embedded widget (`/embed/…`): no top bar, no shortcuts.
fn is_embed() -> bool {
    leptos_router::hooks::use_location().pathname.with(|path| path.starts_with("/embed/"))
}

/// Whether the page is a public shared link (`/share/…`): no top bar, no
/// shortcuts, nothing that leads to other data.
fn is_shared() -> bool {
    leptos_router::hooks::use_location().pathname.with(|path| path.starts_with("/share/"))
}

/// The root component: stylesheet, title and routes.
///
/// Routes render with `SsrMode::Async`: the server sends complete HTML, so
/// pages read well before (or without) the WASM, and forms work with
/// JavaScript off. The islands come last in the page, so by the time
/// `Shortcuts` marks `<body data-hydrated>` every island is live.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="plume" href="/pkg/plume.css" />
        <Title text="Plume" />
        <Router>
            <Show when=move || !is_embed() && !is_shared()>
                <a class="skip-link" href="#main">"Skip to main content"</a>
                <header class="topbar">
                    <a class="brand" href="/">"Plume"</a>
                    <nav class="topnav">
                        <a href="/collections">"Collections"</a>
                        <a href="/queues">"Queues"</a>
                        {api::may(model::accounts::Permission::Manage)
                            .then(|| view! { <a href="/settings/webhooks">"Webhooks"</a> })}
                    </nav>
                    <theme::ThemeToggle />
                    <components::UserMenu />
                </header>
            </Show>
            <main id="main" tabindex="-1" class=move || if is_embed() { "embed" } else { "page" }>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("") view=pages::Projects ssr=SsrMode::Async />
                    <Route path=path!("/projects/:project") view=pages::TraceList ssr=SsrMode::Async />
                    <Route path=path!("/projects/:project/agreement") view=pages::AgreementPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:project/annotate") view=pages::ProjectBulkAnnotate ssr=SsrMode::Async />
                    <Route path=path!("/projects/:project/sessions") view=pages::SessionList ssr=SsrMode::Async />
                    <Route path=path!("/projects/:project/sessions/:session_id") view=pages::SessionPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:project/traces/:trace_id") view=pages::TraceView ssr=SsrMode::Async />
                    <Route path=path!("/projects/:project/spans/:span_id") view=pages::SpanPage ssr=SsrMode::Async />
                    <Route path=path!("/collections") view=pages::Collections ssr=SsrMode::Async />
                    <Route path=path!("/collections/:id") view=pages::CollectionPage ssr=SsrMode::Async />
                    <Route path=path!("/collections/:id/annotate") view=pages::CollectionBulkAnnotate ssr=SsrMode::Async />
                    <Route path=path!("/queues") view=pages::Queues ssr=SsrMode::Async />
                    <Route path=path!("/queues/:id") view=pages::QueuePage ssr=SsrMode::Async />
                    <Route path=path!("/queues/:id/review") view=pages::QueueReview ssr=SsrMode::Async />
                    <Route path=path!("/embed/feedback") view=pages::EmbedFeedback ssr=SsrMode::Async />
                    <Route path=path!("/login") view=pages::Login ssr=SsrMode::Async />
                    <Route path=path!("/set-password") view=pages::SetPassword ssr=SsrMode::Async />
                    <Route path=path!("/share/:token") view=pages::SharePage ssr=SsrMode::Async />
                    <Route path=path!("/settings/users") view=pages::SettingsUsers ssr=SsrMode::Async />
                    <Route path=path!("/settings/api-keys") view=pages::SettingsApiKeys ssr=SsrMode::Async />
                    <Route path=path!("/settings/webhooks") view=pages::SettingsWebhooks ssr=SsrMode::Async />
                    <Route path=path!("/settings/webhooks/:id") view=pages::WebhookPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Show when=move || !is_embed() && !is_shared()>
                <p id="live" class="visually-hidden" aria-live="polite" role="status"></p>
                <components::PageSwap />
                <components::Shortcuts />
            </Show>
        </Router>
    }
}
