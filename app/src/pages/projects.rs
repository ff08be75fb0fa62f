//! `/`: the projects, with their trace and span counts.

use leptos::prelude::*;

use crate::api::project_summaries;
use crate::model::ProjectSummary;

/// Lists the projects; the search box filters them in the browser.
#[component]
pub fn Projects() -> impl IntoView {
    let summaries = Resource::new(|| (), |_| project_summaries());
    let (query, set_query) = signal(String::new());
    view! {
        <div class="page-head">
            <h1>"Projects"</h1>
            <input
                class="search"
                type="search"
                placeholder="Filter projects"
                aria-label="Filter projects"
                prop:value=query
                on:input=move |ev| set_query.set(event_target_value(&ev))
            />
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summaries.await {
                    Ok(list) if list.iter().all(|p| p.span_count == 0) && list.len() <= 1 => {
                        view! { <FirstTrace /> }.into_any()
                    }
                    Ok(list) => view! { <ProjectTable list query /> }.into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The table, narrowed to names containing `query` (case-insensitive).
#[component]
fn ProjectTable(list: Vec<ProjectSummary>, query: ReadSignal<String>) -> impl IntoView {
    let shown = move || {
        let needle = query.get().to_lowercase();
        list.iter().filter(|p| p.project.name.to_lowercase().contains(&needle)).cloned().collect::<Vec<_>>()
    };
    view! {
        <table class="table projects">
            <thead>
                <tr>
                    <th>"Project"</th>
                    <th class="num">"Traces"</th>
                    <th class="num">"Spans"</th>
                    <th>"Last activity"</th>
                </tr>
            </thead>
            <tbody>
                <For each=shown key=|p| p.project.id.clone() let:p>
                    <tr data-project=p.project.name.clone()>
                        <td>
                            <span class="name">{p.project.name.clone()}</span>
                            {p.project.description.clone().map(|d| view! { <span class="muted">" — " {d}</span> })}
                        </td>
                        <td class="num traces">{p.trace_count}</td>
                        <td class="num spans">{p.span_count}</td>
                        <td class="muted">
                            {p.last_activity.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "—".into())}
                        </td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

/// What a new user sees: how to send the first trace.
#[component]
fn FirstTrace() -> impl IntoView {
    view! {
        <section class="empty">
            <h2>"No traces yet"</h2>
            <p>"Point any OpenTelemetry exporter at this server:"</p>
            <pre>"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:6006/v1/traces"</pre>
            <p class="muted">"Spans appear here the moment the export call returns."</p>
        </section>
    }
}
