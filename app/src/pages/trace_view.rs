//! `/projects/{p}/traces/{trace_id}`: the span tree with its waterfall, and
//! the selected span (`?span=<id>`, the root by default) beside it. The tree's
//! links are `data-swap`: with JavaScript on, choosing a span swaps the page
//! in place (see `components::PageSwap`) and gives it its own URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::load_trace_tree;
use crate::components::{FlagControl, SpanPanel, SpanTree, format_latency, millis_between};
use crate::model::{TraceTree, percent_encode};
use crate::pages::NotFound;

/// The trace page.
#[component]
pub fn TraceView() -> impl IntoView {
    let params = use_params_map();
    let project = params.read_untracked().get("project").unwrap_or_default();
    let trace_id = params.read_untracked().get("trace_id").unwrap_or_default();
    let chosen = use_query_map().read_untracked().get("span");
    let title = format!("Trace {trace_id} · Plume");
    let key = (project.clone(), trace_id);
    let tree = Resource::new(move || key.clone(), |(p, t)| load_trace_tree(p, t));
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <p class="muted">"Loading trace…"</p> }>
            {move || {
                let (project, chosen) = (project.clone(), chosen.clone());
                Suspend::new(async move {
                    match tree.await {
                        Ok(Some(tree)) => {
                            let root = tree.spans.iter().find(|s| s.parent_id.is_none()).or(tree.spans.first());
                            let root = root.map(|s| s.span_id.clone()).unwrap_or_default();
                            let selected = chosen.unwrap_or(root);
                            view! { <TraceLayout project tree selected /> }.into_any()
                        }
                        Ok(None) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Breadcrumbs, tree and panel.
#[component]
fn TraceLayout(project: String, tree: TraceTree, selected: String) -> impl IntoView {
    let start = tree.spans.iter().map(|s| s.start_time).min();
    let end = tree.spans.iter().map(|s| s.end_time).max();
    let total = match (start, end) {
        (Some(start), Some(end)) => format_latency(millis_between(start, end)),
        _ => String::new(),
    };
    let count = tree.spans.len();
    let in_trace = tree.spans.iter().any(|s| s.span_id == selected);
    let project_href = format!("/projects/{}", percent_encode(&project));
    let crumb_href = project_href.clone();
    view! {
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/">"Projects"</a>
            <span>"/"</span>
            <a href=crumb_href>{project.clone()}</a>
            <span>"/"</span>
            <span>"Trace"</span>
        </nav>
        <div class="page-head">
            <h1>"Trace " <code class="trace-id">{tree.trace_id.clone()}</code></h1>
            <span class="muted">{count} " spans · " {total}</span>
            {tree.session_id.clone().map(|session| {
                let href = format!("{project_href}/sessions/{}", percent_encode(&session));
                view! {
                    <a class="session-link" href=href>
                        "Part of session " <code>{session}</code>
                    </a>
                }
            })}
        </div>
        <div class="trace-layout">
            <section class="panel tree-panel">
                <SpanTree spans=tree.spans selected=selected.clone() />
            </section>
            <section class="detail-panel">
                <SpanPanel project span_id=selected.clone() />
                {(in_trace && crate::api::may(crate::model::accounts::Permission::Annotate)).then(|| view! { <FlagControl span_id=selected /> })}
            </section>
        </div>
    }
}
