//! A span's details: header, input and output, annotations and the form,
//! attributes, events and resource. The span page shows it alone; the trace
//! page beside the tree.

use leptos::prelude::*;

use super::formatting::{format_latency, format_time, millis_between};
use super::span_io::chat_messages;
use super::{
    AnnotationForm, AnnotationsPanel, AttributeTree, KindBadge, RetrievedDocuments, SpanEvents, SpanIo, StatusBadge,
};
use crate::api::load_span_detail;
use crate::model::{FEEDBACK_NAME, SpanDetail, percent_encode};
use crate::pages::NotFound;

/// Loads and shows span `span_id` of `project`.
/// `standalone`: an unknown span is the page's 404.
#[component]
pub fn SpanPanel(project: String, span_id: String, #[prop(optional)] standalone: bool) -> impl IntoView {
    let key = (project.clone(), span_id);
    let detail = Resource::new(move || key.clone(), |(project, span_id)| load_span_detail(project, span_id));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading span…"</p> }>
            {move || {
                let project = project.clone();
                Suspend::new(async move {
                    match detail.await {
                        Ok(Some(detail)) => view! { <SpanView project detail /> }.into_any(),
                        Ok(None) if standalone => view! { <NotFound /> }.into_any(),
                        Ok(None) => view! { <p class="muted">"This span is not in the trace."</p> }.into_any(),
                        Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Everything about one span.
#[component]
fn SpanView(project: String, detail: SpanDetail) -> impl IntoView {
    let SpanDetail { span, resource, annotations, document_annotations, configs } = detail;
    let attributes = &span.attributes;
    let text = |key: &str| attributes.get(key).map(super::span_io::value_text);
    let input_messages = chat_messages(attributes, "llm.input_messages");
    let output_messages = chat_messages(attributes, "llm.output_messages");
    let (input, output) = (text("input.value"), text("output.value"));
    let current_feedback = annotations.iter().find(|a| a.name == FEEDBACK_NAME).and_then(|a| a.result.label.clone());
    let project_path = percent_encode(&project);
    let trace_href = format!("/projects/{project_path}/traces/{}?span={}", span.context.trace_id, span.context.span_id);
    let span_href = format!("/projects/{project_path}/spans/{}", span.context.span_id);
    let latency = format_latency(millis_between(span.start_time, span.end_time));
    view! {
        <article class="span-detail" data-span=span.context.span_id.clone()>
            <header class="span-head">
                <div class="span-title">
                    <StatusBadge status=span.status_code.clone() />
                    <KindBadge kind=span.span_kind.clone() />
                    <h2>{span.name.clone()}</h2>
                </div>
                <dl class="facts">
                    <div><dt>"Start"</dt><dd>{format_time(span.start_time)}</dd></div>
                    <div><dt>"Latency"</dt><dd>{latency}</dd></div>
                    <div><dt>"Span"</dt><dd><a href=span_href><code>{span.context.span_id.clone()}</code></a></dd></div>
                    <div><dt>"Trace"</dt><dd><a href=trace_href><code>{span.context.trace_id.clone()}</code></a></dd></div>
                </dl>
                {(!span.status_message.is_empty()).then(|| view! {
                    <p class="status-message">{span.status_message.clone()}</p>
                })}
            </header>
            <div class="io-grid">
                <SpanIo title="Input" side="input" messages=input_messages value=input />
                <SpanIo title="Output" side="output" messages=output_messages value=output />
            </div>
            <section class="panel annotations-panel" data-section="annotations">
                <h3>"Annotations"</h3>
                <AnnotationsPanel project=project.clone() annotations />
                {crate::api::may(crate::model::accounts::Permission::Annotate).then(|| view! {
                    <AnnotationForm span_id=span.context.span_id.clone() configs current_feedback />
                })}
            </section>
            <RetrievedDocuments
                span_id=span.context.span_id.clone()
                attributes=span.attributes.clone()
                annotations=document_annotations
            />
            <section class="panel" data-section="attributes">
                <h3>"Attributes"</h3>
                <AttributeTree attributes=span.attributes.clone() />
            </section>
            <section class="panel" data-section="events">
                <h3>"Events"</h3>
                <SpanEvents events=span.events.clone() />
            </section>
            <section class="panel" data-section="resource">
                <details>
                    <summary><h3 class="inline">"Resource"</h3></summary>
                    <AttributeTree attributes=resource />
                </details>
            </section>
        </article>
    }
}
