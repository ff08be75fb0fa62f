//! A span's events; exceptions show their type, message and stack trace.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::AttributeTree;
use super::formatting::format_time;
use super::span_io::value_text;
use crate::model::SpanEvent;

/// `exception.<field>` of nested event attributes, as text.
fn exception_field(attributes: &Map<String, Value>, field: &str) -> Option<String> {
    attributes.get("exception")?.get(field).map(value_text)
}

/// The events in the order sent.
#[component]
pub fn SpanEvents(events: Vec<SpanEvent>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No events."</p> }.into_any();
    }
    view! {
        <ol class="events">
            {events
                .into_iter()
                .map(|event| {
                    let is_exception = event.name == "exception";
                    let kind = exception_field(&event.attributes, "type");
                    let message = exception_field(&event.attributes, "message");
                    let stack = exception_field(&event.attributes, "stacktrace");
                    view! {
                        <li class="event" class:exception=is_exception>
                            <div class="event-head">
                                <strong>{event.name.clone()}</strong>
                                <span class="muted">{format_time(event.timestamp)}</span>
                            </div>
                            {is_exception.then(|| view! {
                                <p class="exception-message">
                                    {kind.map(|k| view! { <code>{k}</code> ": " })}
                                    {message}
                                </p>
                                {stack.map(|s| view! { <pre class="stack">{s}</pre> })}
                            })}
                            {(!is_exception).then(|| view! { <AttributeTree attributes=event.attributes.clone() /> })}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
