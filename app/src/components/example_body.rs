//! The body of a flagged or shared example: its note, input and output
//! (chat messages when it has them, else `input.value` / `output.value`),
//! annotation chips and explanations. Used by the collection page and the
//! shared page; everything is rendered as text nodes.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::{AnnotationChips, SpanIo, chat_messages, value_text};
use crate::model::AnnotationChip;

/// Note, input, output and annotations of a span with these attributes.
#[component]
pub fn ExampleBody(
    note: Option<String>,
    attributes: Map<String, Value>,
    chips: Vec<AnnotationChip>,
    /// `(annotation name, explanation)` pairs.
    explanations: Vec<(String, String)>,
) -> impl IntoView {
    let input_messages = chat_messages(&attributes, "llm.input_messages");
    let output_messages = chat_messages(&attributes, "llm.output_messages");
    let value = |key: &str| attributes.get(key).map(value_text);
    let (input, output) = (value("input.value"), value("output.value"));
    view! {
        {note.map(|note| view! { <p class="share-note">"Note: " {note}</p> })}
        <SpanIo title="Input" side="input" messages=input_messages value=input />
        <SpanIo title="Output" side="output" messages=output_messages value=output />
        <section class="share-annotations" data-section="annotations">
            <AnnotationChips chips />
            <ul>
                {explanations
                    .into_iter()
                    .map(|(name, text)| view! { <li><span class="chip-name">{name}</span> ": " {text}</li> })
                    .collect_view()}
            </ul>
        </section>
    }
    .into_any()
}
