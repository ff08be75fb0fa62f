//! `/projects/{p}/spans/{span_id}`: one span, its annotations and the form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{FlagControl, QueueAdd, QueueAddTarget, SpanPanel};
use crate::model::percent_encode;

/// The span page; an unknown project or span is a 404.
#[component]
pub fn SpanPage() -> impl IntoView {
    let params = use_params_map();
    let project = params.read_untracked().get("project").unwrap_or_default();
    let span_id = params.read_untracked().get("span_id").unwrap_or_default();
    view! {
        <Title text=format!("Span {span_id} · Plume") />
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/">"Projects"</a>
            <span>"/"</span>
            <a href=format!("/projects/{}", percent_encode(&project))>{project.clone()}</a>
            <span>"/"</span>
            <span>"Span"</span>
        </nav>
        <h1 class="page-title">"Span " <code class="trace-id">{span_id.clone()}</code></h1>
        <SpanPanel project span_id=span_id.clone() standalone=true />
        {crate::api::may(crate::model::accounts::Permission::Manage).then(|| view! {
            <section class="panel" data-section="queues">
                <h3>"Review queues"</h3>
                <QueueAdd target=QueueAddTarget::Span(span_id.clone()) label="Add to a review queue" />
            </section>
        })}
        {crate::api::may(crate::model::accounts::Permission::Annotate).then(|| view! { <FlagControl span_id /> })}
    }
}
