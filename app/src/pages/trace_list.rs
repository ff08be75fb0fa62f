//! `/projects/{p}`: the project's traces, one row per root span, with
//! filters, sort and paging all in the URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::load_trace_list;
use crate::components::{
    AnnotationChips, CollectionNames, FeedbackButtons, FlagAll, FlagMenu, KindBadge, ProjectHead, ProjectTab, QueueAdd,
    QueueAddTarget, StatusBadge, TraceFilters, format_latency, format_time,
};
use crate::model::{FEEDBACK_NAME, TraceListPage, TraceListQuery, TraceRow};
use crate::pages::NotFound;

/// The trace list page.
#[component]
pub fn TraceList() -> impl IntoView {
    let project = use_params_map().read_untracked().get("project").unwrap_or_default();
    let query_map = use_query_map();
    let query = TraceListQuery::from_params(|key| query_map.read_untracked().get(key));
    let title = format!("{project} · Plume");
    let key = (project.clone(), query.clone());
    let page = Resource::new(move || key.clone(), |(project, query)| load_trace_list(project, query));
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <p class="muted">"Loading traces…"</p> }>
            {move || {
                let (project, query) = (project.clone(), query.clone());
                Suspend::new(async move {
                    match page.await {
                        Ok(Some(page)) => view! { <TracePage project query page /> }.into_any(),
                        Ok(None) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The header, filters, table and pager of one page.
#[component]
fn TracePage(project: String, query: TraceListQuery, page: TraceListPage) -> impl IntoView {
    let base = format!("/projects/{}", crate::model::percent_encode(&project));
    let first = format!("{base}{}", query.first_page().to_query_string());
    let next = page.next_cursor.clone().map(|cursor| {
        let next = TraceListQuery { cursor: Some(cursor), ..query.clone() };
        format!("{base}{}", next.to_query_string())
    });
    let has_rows = !page.rows.is_empty();
    let body = if page.condition_error.is_some() {
        ().into_any()
    } else if !has_rows {
        view! { <EmptyList project=project.clone() filtered=query.is_filtered() clear_href=base.clone() /> }.into_any()
    } else {
        view! { <TraceTable project=project.clone() rows=page.rows /> }.into_any()
    };
    view! {
        <ProjectHead project=project.clone() current=ProjectTab::Traces>
            <span class="muted">"Press " <kbd>"?"</kbd> " for shortcuts"</span>
        </ProjectHead>
        <TraceFilters query=query.clone() clear_href=base.clone() condition_error=page.condition_error.clone() />
        {page.search_backlog.map(|left| view! {
            <p class="notice search-catching-up" role="status">
                "Search is still indexing older spans (" {left} " to go): until it has caught up, searches read the spans directly and may take longer."
            </p>
        })}
        <CollectionNames />
        <div class="list-actions">
            {(has_rows && crate::api::may(crate::model::accounts::Permission::Annotate)).then(|| view! {
                <FlagAll project=project.clone() filter=query.first_page().to_query_string() />
                <a class="button" href=format!("{base}/annotate{}", query.first_page().to_query_string())>
                    "Annotate all matching…"
                </a>
            })}
            {(has_rows && crate::api::may(crate::model::accounts::Permission::Manage)).then(|| view! {
                <QueueAdd target=QueueAddTarget::Matching { project: project.clone(), filter: query.first_page().to_query_string() }
                    label="Add all matching to a review queue" />
            })}
            <a class="button" href=format!("{base}/agreement")>"Agreement"</a>
        </div>
        {body}
        <nav class="pager" aria-label="Pages">
            {query.cursor.is_some().then(|| view! { <a class="button" href=first.clone()>"« First page"</a> })}
            {next.map(|href| view! { <a class="button" rel="next" href=href>"Next page »"</a> })}
        </nav>
    }
}

/// The rows of one page. On narrow screens the stylesheet turns each row
/// into a card; `data-label` names a cell there, where no header is above it.
#[component]
fn TraceTable(project: String, rows: Vec<TraceRow>) -> impl IntoView {
    let project_path = crate::model::percent_encode(&project);
    view! {
        <div class="table-wrap traces-wrap">
            <table class="table traces">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th class="io">"Input"</th>
                        <th class="io">"Output"</th>
                        <th>"Start"</th>
                        <th class="num">"Latency"</th>
                        <th class="num">"Tokens"</th>
                        <th>"Annotations"</th>
                        <th>"Review"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .enumerate()
                        .map(|(index, row)| {
                            let href = format!("/projects/{project_path}/traces/{}", row.trace_id);
                            let current = row
                                .annotations
                                .iter()
                                .find(|chip| chip.name == FEEDBACK_NAME)
                                .and_then(|chip| chip.label.clone());
                            let tokens = row.prompt_tokens.saturating_add(row.completion_tokens);
                            let token_title = format!("{} prompt + {} completion", row.prompt_tokens, row.completion_tokens);
                            view! {
                                <tr class="row" data-nav=index data-trace=row.trace_id.clone()>
                                    <td class="name-col">
                                        <div class="name-cell">
                                            <StatusBadge status=row.status_code.clone().unwrap_or_else(|| "UNSET".into()) />
                                            <a class="name" href=href data-open="">
                                                {row.name.clone().unwrap_or_else(|| "(root span missing)".into())}
                                            </a>
                                            {row.span_kind.clone().map(|kind| view! { <KindBadge kind /> })}
                                            {row.session_id.clone().map(|session| {
                                                let href = format!("/projects/{project_path}/sessions/{}", crate::model::percent_encode(&session));
                                                view! {
                                                <a class="session-link" href=href>
                                                    "Session" <span class="visually-hidden">" " {session}</span>
                                                </a>
                                                }
                                            })}
                                        </div>
                                    </td>
                                    <td class="io preview input" data-label="Input">{row.input_preview.clone().filter(|text| !text.is_empty())}</td>
                                    <td class="io preview output" data-label="Output">{row.output_preview.clone().filter(|text| !text.is_empty())}</td>
                                    <td class="start muted nowrap" data-label="Start">{format_time(row.start_time)}</td>
                                    <td class="latency num nowrap" data-label="Latency">{format_latency(row.latency_ms)}</td>
                                    <td class="tokens num" data-label="Tokens" title=token_title>{tokens}</td>
                                    <td class="chips-cell"><AnnotationChips chips=row.annotations.clone() /></td>
                                    <td class="review">
                                        {row.root_span_id.clone().filter(|_| crate::api::may(crate::model::accounts::Permission::Annotate)).map(|span_id| view! {
                                            <div class="review-cell">
                                                <FeedbackButtons span_id=span_id.clone() current=current.clone() />
                                                <FlagMenu span_id />
                                            </div>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// No rows: say why and what to do.
#[component]
fn EmptyList(project: String, filtered: bool, clear_href: String) -> impl IntoView {
    if filtered {
        return view! {
            <section class="empty">
                <h2>"No traces match these filters"</h2>
                <p><a href=clear_href>"Clear the filters"</a> " to see every trace."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="empty">
            <h2>"No traces in " {project.clone()} " yet"</h2>
            <p>"Send spans with any OpenTelemetry exporter, naming this project:"</p>
            <pre>
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:6006/v1/traces\n"
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS=x-project-name=" {project}
            </pre>
        </section>
    }
    .into_any()
}
