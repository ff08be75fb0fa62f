//! `/`: the projects, with their trace and span counts.

use leptos::prelude::*;

use crate::api::{load_project_feedback, project_summaries};
use crate::components::{FeedbackChart, ProjectFilter};
use crate::model::{ProjectFeedback, ProjectSummary, format_score, percent_encode};

/// Lists the projects; the search box filters them in the browser.
#[component]
pub fn Projects() -> impl IntoView {
    let summaries = Resource::new(|| (), |_| project_summaries());
    let feedback = Resource::new(|| (), |_| load_project_feedback());
    view! {
        <div class="page-head">
            <h1>"Projects"</h1>
            <ProjectFilter />
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let feedback = feedback.await.unwrap_or_default();
                match summaries.await {
                    Ok(list) if list.iter().all(|p| p.span_count == 0) && list.len() <= 1 => {
                        view! { <FirstTrace /> }.into_any()
                    }
                    Ok(list) => view! { <ProjectTable list feedback /> }.into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One row per project (`data-project`, for the filter box).
#[component]
fn ProjectTable(list: Vec<ProjectSummary>, feedback: Vec<ProjectFeedback>) -> impl IntoView {
    view! {
        <table class="table projects">
            <thead>
                <tr>
                    <th>"Project"</th>
                    <th class="num">"Traces"</th>
                    <th class="num">"Spans"</th>
                    <th>"Last activity"</th>
                    <th>"Annotations"</th>
                    <th>"👍 per day"</th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|p| {
                    let figures = feedback.iter().find(|f| f.project == p.project.name).cloned().unwrap_or_default();
                    let href = format!("/projects/{}", percent_encode(&p.project.name));
                    view! {
                    <tr data-project=p.project.name.clone()>
                        <td>
                            <a class="name" href=href>{p.project.name.clone()}</a>
                            {p.project.description.clone().map(|d| view! { <span class="muted">" — " {d}</span> })}
                        </td>
                        <td class="num traces">{p.trace_count}</td>
                        <td class="num spans">{p.span_count}</td>
                        <td class="muted">
                            {p.last_activity.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "—".into())}
                        </td>
                        <td class="annotation-summary"><AnnotationSummaries figures=figures.clone() /></td>
                        <td><FeedbackChart days=figures.thumbs /></td>
                    </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Per annotation name: count, mean score and the top labels.
#[component]
fn AnnotationSummaries(figures: ProjectFeedback) -> impl IntoView {
    if figures.annotations.is_empty() {
        return view! { <span class="muted">"None yet"</span> }.into_any();
    }
    view! {
        <ul class="summary-list">
            {figures
                .annotations
                .into_iter()
                .map(|summary| {
                    let mean = summary.mean_score.map(|m| format!(" · mean {}", format_score(m)));
                    let labels = summary
                        .top_labels
                        .iter()
                        .map(|(label, count)| format!("{label} {count}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    view! {
                        <li data-annotation=summary.name.clone()>
                            <strong>{summary.name.clone()}</strong>
                            " " {summary.count} {mean}
                            {(!labels.is_empty()).then(|| view! { <span class="muted">" (" {labels} ")"</span> })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
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
