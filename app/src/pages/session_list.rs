//! `/projects/{p}/sessions`: the project's sessions (traces sharing a
//! `session.id`, one per turn of a conversation), newest first, paged by
//! `?cursor=`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::load_session_list;
use crate::components::{ProjectHead, ProjectTab, format_time};
use crate::model::{SessionListPage, SessionRow, percent_encode};
use crate::pages::NotFound;

/// The sessions tab.
#[component]
pub fn SessionList() -> impl IntoView {
    let project = use_params_map().read_untracked().get("project").unwrap_or_default();
    let cursor = use_query_map().read_untracked().get("cursor").and_then(|c| c.parse::<i64>().ok());
    let title = format!("Sessions · {project} · Plume");
    let key = (project.clone(), cursor);
    let page = Resource::new(move || key.clone(), |(project, cursor)| load_session_list(project, cursor));
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
            {move || {
                let project = project.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(Some(page)) => view! { <SessionsPage project page paged=cursor.is_some() /> }.into_any(),
                        Ok(None) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Header, tabs, table and pager.
#[component]
fn SessionsPage(project: String, page: SessionListPage, paged: bool) -> impl IntoView {
    let base = format!("/projects/{}/sessions", percent_encode(&project));
    let next = page.next_cursor.map(|cursor| format!("{base}?cursor={cursor}"));
    let body = if page.rows.is_empty() {
        view! {
            <section class="empty">
                <h2>"No sessions in " {project.clone()} " yet"</h2>
                <p>"A session groups the traces whose spans carry the same " <code>"session.id"</code>
                   " attribute: set it on each turn of a conversation."</p>
            </section>
        }
        .into_any()
    } else {
        view! { <SessionTable project=project.clone() rows=page.rows /> }.into_any()
    };
    view! {
        <ProjectHead project=project.clone() current=ProjectTab::Sessions />
        {body}
        <nav class="pager" aria-label="Pages">
            {paged.then(|| view! { <a class="button" href=base.clone()>"« First page"</a> })}
            {next.map(|href| view! { <a class="button" rel="next" href=href>"Next page »"</a> })}
        </nav>
    }
}

/// One row per session; on narrow screens each row is a card (`data-label`
/// names the cells there).
#[component]
fn SessionTable(project: String, rows: Vec<SessionRow>) -> impl IntoView {
    let project_path = percent_encode(&project);
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Sessions">
            <table class="table sessions">
                <thead>
                    <tr>
                        <th>"Session"</th>
                        <th>"Start"</th>
                        <th class="num">"Turns"</th>
                        <th class="io">"Last input"</th>
                        <th class="num"><span aria-hidden="true">"👍"</span><span class="visually-hidden">"Thumbs up"</span></th>
                        <th class="num"><span aria-hidden="true">"👎"</span><span class="visually-hidden">"Thumbs down"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let href = format!("/projects/{project_path}/sessions/{}", percent_encode(&row.session_id));
                            view! {
                                <tr class="row" data-session=row.session_id.clone()>
                                    <td class="name-col"><a class="name" href=href>{row.session_id.clone()}</a></td>
                                    <td class="start muted nowrap" data-label="Start">{format_time(row.start_time)}</td>
                                    <td class="turns num" data-label="Turns">{row.turns}</td>
                                    <td class="io preview input" data-label="Last input">{row.last_input.clone()}</td>
                                    <td class="thumbs-up num" data-label="👍">{row.thumbs_up}</td>
                                    <td class="thumbs-down num" data-label="👎">{row.thumbs_down}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
