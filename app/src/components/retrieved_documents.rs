//! A retriever span's documents (`retrieval.documents`): position, id,
//! score, content (long content folded behind "Show full document"),
//! metadata, their annotations, and a relevance 👍/👎 per document (a plain
//! form, so without JavaScript too).

use std::collections::BTreeMap;

use leptos::form::ActionForm;
use leptos::prelude::*;
use serde_json::{Map, Value};

use super::AttributeTree;
use super::annotations_panel::author_of;
use crate::api::RateDocument;
use crate::model::{Annotation, IRRELEVANT, RELEVANCE_NAME, RELEVANT, format_score};

/// The attribute holding a retriever span's documents.
const DOCUMENTS: &str = "retrieval.documents";

/// Characters of a document's content shown before folding the rest.
const PREVIEW_CHARS: usize = 400;

/// One retrieved document as the span's attributes carry it.
struct Document {
    position: i64,
    id: Option<String>,
    score: Option<f64>,
    content: String,
    metadata: Map<String, Value>,
}

impl Document {
    /// Reads `document.*` keys; metadata may be an object or its JSON text.
    fn from_value(position: i64, value: &Value) -> Document {
        let text = |key: &str| match value.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        let metadata = match value.get("document.metadata") {
            Some(Value::Object(map)) => map.clone(),
            Some(Value::String(text)) if text.is_empty() => Map::new(),
            Some(Value::String(text)) => match serde_json::from_str(text) {
                Ok(Value::Object(map)) => map,
                _ => Map::from_iter([("metadata".to_owned(), Value::String(text.clone()))]),
            },
            _ => Map::new(),
        };
        // Metadata sent as flat keys (`document.metadata.source`).
        let mut metadata = metadata;
        if let Value::Object(fields) = value {
            for (key, field) in fields {
                if let Some(name) = key.strip_prefix("document.metadata.") {
                    metadata.insert(name.to_owned(), field.clone());
                }
            }
        }
        Document {
            position,
            id: text("document.id"),
            score: value.get("document.score").and_then(Value::as_f64),
            content: text("document.content").unwrap_or_default(),
            metadata,
        }
    }
}

/// The retrieved documents of a span, by position: a `retrieval.documents`
/// array, or the flat `retrieval.documents.N.document.*` keys OpenInference
/// sends (a missing `N` leaves a gap, so positions stay the sender's).
fn documents(attributes: &Map<String, Value>) -> Vec<Document> {
    if let Some(Value::Array(items)) = attributes.get(DOCUMENTS) {
        return items.iter().zip(0..).map(|(value, at)| Document::from_value(at, value)).collect();
    }
    let prefix = format!("{DOCUMENTS}.");
    let mut found: BTreeMap<i64, Map<String, Value>> = BTreeMap::new();
    for (key, value) in attributes {
        let Some((index, field)) = key.strip_prefix(&prefix).and_then(|rest| rest.split_once('.')) else { continue };
        let Ok(index) = index.parse::<u32>() else { continue };
        found.entry(i64::from(index)).or_default().insert(field.to_owned(), value.clone());
    }
    found.into_iter().map(|(at, fields)| Document::from_value(at, &Value::Object(fields))).collect()
}

/// The documents of `attributes["retrieval.documents"]` with the annotations
/// of each; nothing when the span retrieved none.
#[component]
pub fn RetrievedDocuments(
    #[prop(into)] span_id: String,
    attributes: Map<String, Value>,
    annotations: Vec<Annotation>,
) -> impl IntoView {
    let documents = documents(&attributes);
    if documents.is_empty() {
        return None;
    }
    let action = ServerAction::<RateDocument>::new();
    let may_rate = crate::api::may(crate::model::accounts::Permission::Annotate);
    let mine = crate::api::viewer().map(|viewer| viewer.own_identifier("")).unwrap_or_default();
    let items = documents
        .into_iter()
        .map(|document| {
            let own: Vec<Annotation> =
                annotations.iter().filter(|a| a.document_position == Some(document.position)).cloned().collect();
            let current = own
                .iter()
                .find(|a| a.name == RELEVANCE_NAME && a.identifier == mine)
                .and_then(|a| a.result.label.clone());
            view! {
                <DocumentItem span_id=span_id.clone() document annotations=own current may_rate action />
            }
        })
        .collect_view();
    Some(view! {
        <section class="panel" data-section="documents" aria-labelledby="documents-heading">
            <h3 id="documents-heading">"Retrieved documents"</h3>
            <ol class="documents">{items}</ol>
        </section>
    })
}

/// One document with its annotations and relevance form.
#[component]
fn DocumentItem(
    span_id: String,
    document: Document,
    annotations: Vec<Annotation>,
    current: Option<String>,
    may_rate: bool,
    action: ServerAction<RateDocument>,
) -> impl IntoView {
    let Document { position, id, score, content, metadata } = document;
    let heading = format!("Document {position}");
    let preview: String = content.chars().take(PREVIEW_CHARS).collect();
    let folded = preview.len() < content.len();
    view! {
        <li class="document" data-position=position.to_string()>
            <div class="document-head">
                <h4 class="inline">{heading.clone()}</h4>
                {id.map(|id| view! { <span class="muted">"id " <code>{id}</code></span> })}
                {score.map(|score| view! { <span class="muted">"score " {format_score(score)}</span> })}
            </div>
            {match folded {
                false => view! { <p class="document-content">{content}</p> }.into_any(),
                true => view! {
                    <p class="document-content">{preview} "…"</p>
                    <details class="document-full">
                        <summary>"Show full document"</summary>
                        <p class="document-content">{content}</p>
                    </details>
                }
                .into_any(),
            }}
            {(!metadata.is_empty()).then(|| view! {
                <details class="document-metadata">
                    <summary>"Metadata"</summary>
                    <AttributeTree attributes=metadata />
                </details>
            })}
            {(!annotations.is_empty()).then(|| view! {
                <ul class="document-annotations" aria-label=format!("Annotations of document {position}")>
                    {annotations
                        .iter()
                        .map(|a| {
                            let verdict = [a.result.label.clone(), a.result.score.map(format_score)]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(" · ");
                            view! {
                                <li>
                                    <strong>{a.name.clone()}</strong> ": " {verdict}
                                    <span class="muted">" by " {author_of(a)}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            })}
            {may_rate.then(|| view! {
                <RelevanceButtons span_id position current action label=heading />
            })}
        </li>
    }
}

/// 👍 (`relevant`) and 👎 (`irrelevant`) for one document; `current` marks
/// the viewer's vote.
#[component]
fn RelevanceButtons(
    span_id: String,
    position: i64,
    current: Option<String>,
    action: ServerAction<RateDocument>,
    label: String,
) -> impl IntoView {
    let buttons = [(RELEVANT, "up", "👍", "Relevant"), (IRRELEVANT, "down", "👎", "Not relevant")];
    view! {
        <ActionForm action attr:class="thumbs document-relevance">
            <input type="hidden" name="span_id" value=span_id />
            <input type="hidden" name="position" value=position.to_string() />
            {buttons
                .into_iter()
                .map(|(value, which, icon, name)| {
                    let pressed = if current.as_deref() == Some(value) { "true" } else { "false" };
                    view! {
                        <button type="submit" name="label" value=value class=format!("thumb thumb-{which}")
                            data-relevance=value title=format!("{name}: {label}")
                            aria-label=format!("{name}: {label}") aria-pressed=pressed>
                            {icon}
                        </button>
                    }
                })
                .collect_view()}
        </ActionForm>
    }
}
