//! `/share/{token}`: what a public link shares, read-only, for people
//! outside. No links to anything else, no forms. A revoked or expired link
//! is a 410 page and an unknown one a 404, both saying nothing about what
//! was shared. All span data is rendered as text nodes (escaped).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::api::load_shared;
use crate::components::{AttributeTree, ExampleBody, KindBadge, StatusBadge, format_time};
use crate::model::{AnnotationChip, ShareOutcome, SharedExample, SharedView};

/// The shared page.
#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let token = Signal::derive(move || params.read().get("token").unwrap_or_default());
    let shared = Resource::new(move || token.get(), load_shared);
    view! {
        // The token is in the URL: keep it out of search engines and Referer headers.
        <Meta name="robots" content="noindex, nofollow" />
        <Meta name="referrer" content="no-referrer" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match shared.await {
                    Ok(ShareOutcome::Active(view)) => view! { <Shared view /> }.into_any(),
                    Ok(ShareOutcome::Gone) => view! { <LinkUnavailable status=410 /> }.into_any(),
                    Ok(ShareOutcome::Unknown) | Err(_) => view! { <LinkUnavailable status=404 /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The same few words for every link that does not open, with its status.
#[component]
fn LinkUnavailable(status: u16) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::GONE));
    }
    let message = if status == 410 { "This link has expired or was revoked." } else { "This link does not exist." };
    view! {
        <Title text="Shared link · Plume" />
        <section class="empty share-gone" data-status=status>
            <h1>"Link unavailable"</h1>
            <p>{message}</p>
        </section>
    }
}

/// A live link's content.
#[component]
fn Shared(view: SharedView) -> impl IntoView {
    let shown = view.examples.len();
    let more = (i64::try_from(shown).unwrap_or(i64::MAX) < view.total)
        .then(|| format!("Showing the first {shown} of {}.", view.total));
    view! {
        <Title text=format!("{} · shared · Plume", view.title) />
        <div class="page-head share-head">
            <h1>{view.title.clone()}</h1>
            <span class="muted">"Read-only · link expires " {format_time(view.expires_at)}</span>
        </div>
        {view.description.map(|d| view! { <p class="share-description">{d}</p> })}
        {more.map(|m| view! { <p class="muted">{m}</p> })}
        <ol class="share-examples">
            {view.examples.into_iter().map(|example| view! { <Example example /> }).collect_view()}
        </ol>
    }
}

/// One span: name, input, output, annotations, note, attributes.
#[component]
fn Example(example: SharedExample) -> impl IntoView {
    let chips: Vec<AnnotationChip> = example
        .annotations
        .iter()
        .map(|a| AnnotationChip { name: a.name.clone(), label: a.label.clone(), score: a.score })
        .collect();
    let explanations: Vec<(String, String)> = example
        .annotations
        .into_iter()
        .filter_map(|a| a.explanation.filter(|e| !e.is_empty()).map(|e| (a.name, e)))
        .collect();
    view! {
        <li class="panel share-example">
            <header class="share-example-head">
                <strong>{example.name}</strong>
                <KindBadge kind=example.span_kind />
                <StatusBadge status=example.status_code />
                <span class="muted">{format_time(example.start_time)}</span>
            </header>
            <ExampleBody note=example.note attributes=example.attributes.clone() chips explanations />
            <details class="share-attributes">
                <summary>"Attributes"</summary>
                <AttributeTree attributes=example.attributes />
            </details>
        </li>
    }
}
