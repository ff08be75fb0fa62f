//! `/projects/{p}/sessions/{session_id}`: a session read like the
//! conversation it was, turn by turn: each trace's root input and output,
//! when, its 👍/👎 and annotations; and the session's own annotations.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::load_session;
use crate::components::{AnnotationChips, FeedbackButtons, format_latency, format_time, millis_between};
use crate::model::{FEEDBACK_NAME, SessionAnnotationLine, SessionTurn, SessionView, percent_encode};
use crate::pages::NotFound;

/// The session page.
#[component]
pub fn SessionPage() -> impl IntoView {
    let params = use_params_map();
    let project = params.read_untracked().get("project").unwrap_or_default();
    let session_id = params.read_untracked().get("session_id").unwrap_or_default();
    let title = format!("Session {session_id} · Plume");
    let key = (project.clone(), session_id);
    let session = Resource::new(move || key.clone(), |(project, session_id)| load_session(project, session_id));
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <p class="muted">"Loading session…"</p> }>
            {move || {
                let project = project.clone();
                Suspend::new(async move {
                    match session.await {
                        Ok(Some(session)) => view! { <Conversation project session /> }.into_any(),
                        Ok(None) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Breadcrumbs, the session's figures and annotations, then the turns.
#[component]
fn Conversation(project: String, session: SessionView) -> impl IntoView {
    let project_href = format!("/projects/{}", percent_encode(&project));
    let sessions_href = format!("{project_href}/sessions");
    let duration = format_latency(millis_between(session.start_time, session.end_time));
    let left_out = session.turn_count - session.turns.len() as i64;
    let turns_word = if session.turn_count == 1 { "turn" } else { "turns" };
    view! {
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/">"Projects"</a>
            <span>"/"</span>
            <a href=project_href>{project.clone()}</a>
            <span>"/"</span>
            <a href=sessions_href>"Sessions"</a>
        </nav>
        <div class="page-head">
            <h1>"Session " <code class="session-id">{session.session_id.clone()}</code></h1>
            <span class="muted session-figures">
                {session.turn_count} " " {turns_word} " · started " {format_time(session.start_time)} " UTC · " {duration}
            </span>
        </div>
        <SessionAnnotations lines=session.annotations />
        <section aria-labelledby="turns-heading">
            <h2 id="turns-heading">"Conversation"</h2>
            {session.turns.is_empty().then(|| view! { <p class="muted">"This session has no traces left."</p> })}
            <ol class="conversation">
                {session
                    .turns
                    .into_iter()
                    .enumerate()
                    .map(|(index, turn)| view! { <Turn project=project.clone() number=index + 1 turn /> })
                    .collect_view()}
            </ol>
            {(left_out > 0).then(|| view! {
                <p class="notice" role="status">{left_out} " later turns are not shown here; the trace list has them all."</p>
            })}
        </section>
    }
}

/// The annotations and notes on the session itself.
#[component]
fn SessionAnnotations(lines: Vec<SessionAnnotationLine>) -> impl IntoView {
    view! {
        <section class="panel session-annotations" aria-labelledby="session-annotations-heading">
            <h2 id="session-annotations-heading" class="panel-title">"Session annotations"</h2>
            {if lines.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="summary-list">
                        {lines
                            .into_iter()
                            .map(|line| view! {
                                <li data-annotation=line.chip.name.clone()>
                                    <strong>{line.chip.name.clone()}</strong> ": " {line.chip.verdict()}
                                    {line.explanation.filter(|text| !text.is_empty()).map(|text| view! {
                                        <span class="muted">" — " {text}</span>
                                    })}
                                </li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

/// One turn: what was asked, what was answered, and the verdicts on it.
#[component]
fn Turn(project: String, number: usize, turn: SessionTurn) -> impl IntoView {
    let heading_id = format!("turn-{number}");
    let labelled_by = heading_id.clone();
    let trace_href = format!("/projects/{}/traces/{}", percent_encode(&project), turn.trace_id);
    let current = turn.annotations.iter().find(|chip| chip.name == FEEDBACK_NAME).and_then(|chip| chip.label.clone());
    let may_annotate = crate::api::may(crate::model::accounts::Permission::Annotate);
    view! {
        <li class="turn" data-trace=turn.trace_id.clone()>
            <article class="panel" aria-labelledby=labelled_by>
                <header class="turn-head">
                    <h3 id=heading_id>"Turn " {number}</h3>
                    <span class="muted nowrap">
                        <time datetime=crate::time::iso(turn.start_time)>{format_time(turn.start_time)}</time>
                        " · " {format_latency(turn.latency_ms)}
                    </span>
                    <a class="button turn-trace" href=trace_href>"Open trace"<span class="visually-hidden">" of turn " {number}</span></a>
                </header>
                <div class="turn-message turn-input">
                    <p class="turn-role">"Input"</p>
                    <div class="turn-text">{turn.input.clone().unwrap_or_else(|| "(no input recorded)".into())}</div>
                </div>
                <div class="turn-message turn-output">
                    <p class="turn-role">"Output"</p>
                    <div class="turn-text">{turn.output.clone().unwrap_or_else(|| "(no output recorded)".into())}</div>
                </div>
                <div class="turn-foot">
                    <AnnotationChips chips=turn.annotations.clone() />
                    {turn.root_span_id.clone().filter(|_| may_annotate).map(|span_id| view! {
                        <FeedbackButtons span_id current />
                    })}
                </div>
            </article>
        </li>
    }
}
