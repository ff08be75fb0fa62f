//! A span's input and output, rendered for people: chat messages as a
//! conversation, JSON pretty-printed, anything else as plain text. All of it
//! is text nodes, so span data is always escaped.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::{Map, Value};

/// One chat message.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    /// `user`, `assistant`, `system`, `tool`, …
    pub role: String,
    /// The text (JSON-pretty when it is JSON).
    pub content: String,
}

/// The messages under `prefix` (`llm.input_messages`), from flat keys
/// `prefix.N.message.role` / `prefix.N.message.content`, in index order.
pub fn chat_messages(attributes: &Map<String, Value>, prefix: &str) -> Vec<ChatMessage> {
    // Keyed by index: O(n log n) however many messages a span claims to have.
    let mut found: BTreeMap<usize, ChatMessage> = BTreeMap::new();
    let start = format!("{prefix}.");
    for (key, value) in attributes {
        let Some(rest) = key.strip_prefix(&start) else { continue };
        let Some((index, field)) = rest.split_once('.') else { continue };
        let Ok(index) = index.parse::<usize>() else { continue };
        let slot = found.entry(index).or_insert_with(|| ChatMessage { role: String::new(), content: String::new() });
        match field {
            "message.role" => slot.role = value_text(value),
            "message.content" => slot.content = value_text(value),
            _ => {}
        }
    }
    found.into_values().collect()
}

/// A JSON value as text: strings bare, anything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `text` pretty-printed when it is a JSON object or array.
pub fn pretty_json(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let value: Value = serde_json::from_str(text).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

/// A text block: pretty JSON in `<pre>`, else wrapped plain text.
#[component]
pub fn TextBlock(#[prop(into)] text: String) -> impl IntoView {
    match pretty_json(&text) {
        Some(pretty) => view! { <pre class="json">{pretty}</pre> }.into_any(),
        None => view! { <div class="plain">{text}</div> }.into_any(),
    }
}

/// One side (`input` or `output`) of a span.
#[component]
pub fn SpanIo(
    title: &'static str,
    side: &'static str,
    messages: Vec<ChatMessage>,
    value: Option<String>,
) -> impl IntoView {
    let body = if !messages.is_empty() {
        view! {
            <div class="conversation">
                {messages
                    .into_iter()
                    .map(|message| {
                        let class = format!("message role-{}", message.role.to_lowercase());
                        view! {
                            <div class=class>
                                <div class="role">{message.role}</div>
                                <TextBlock text=message.content />
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        }
        .into_any()
    } else if let Some(value) = value {
        view! { <TextBlock text=value /> }.into_any()
    } else {
        view! { <p class="muted">"None recorded."</p> }.into_any()
    };
    view! {
        <section class=format!("panel io-{side}") data-section=side>
            <h3>{title}</h3>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_messages_in_index_order() {
        let Value::Object(attributes) = json!({
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": "hi",
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "be kind",
            "llm.input_messages.10.message.role": "assistant",
            "llm.output_messages.0.message.role": "assistant",
        }) else {
            unreachable!()
        };
        let messages = chat_messages(&attributes, "llm.input_messages");
        let roles: Vec<&str> = messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant"]);
        assert_eq!(messages[1].content, "hi");
    }

    #[test]
    fn pretty_prints_only_json_containers() {
        assert_eq!(pretty_json("{\"a\":1}").as_deref(), Some("{\n  \"a\": 1\n}"));
        assert_eq!(pretty_json("42"), None);
        assert_eq!(pretty_json("{not json"), None);
    }

    #[test]
    fn many_messages_are_read_in_n_log_n() {
        let attributes: Map<String, Value> =
            (0..200_000).map(|i| (format!("llm.input_messages.{i}.message.role"), json!(i.to_string()))).collect();
        let messages = chat_messages(&attributes, "llm.input_messages");
        assert_eq!(messages.len(), 200_000);
        assert_eq!(messages[199_999].role, "199999");
    }
}
