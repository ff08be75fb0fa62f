//! `/projects/{p}/spans/{span_id}`: one span, its annotations and the form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{FlagControl, SpanPanel};
use crate::model::percent_encode;

/// The span page; an unknown project or span is a 404.
#[component]
pub fn SpanPage() -> impl IntoView {
    let params = use_params_map();
    let project = Signal::derive(move || params.read().get("project").unwrap_or_default());
    let span_id = Signal::derive(move || params.read().get("span_id").unwrap_or_default());
    view! {
        <Title text=move || format!("Span {} · Plume", span_id.get()) />
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/">"Projects"</a>
            <span>"/"</span>
            <a href=move || format!("/projects/{}", percent_encode(&project.get()))>{project}</a>
            <span>"/"</span>
            <span>"Span"</span>
        </nav>
        <SpanPanel project span_id standalone=true />
        {move || view! { <FlagControl span_id=span_id.get() /> }}
    }
}
