//! Redaction of what public links show: span attributes whose key matches a
//! pattern like `*.email` or `user.*` (`*` stands for any run of characters,
//! dots included; everything else matches exactly, ignoring case), and, on
//! request, annotation explanations and notes.
//!
//! Patterns reach into structured values too. A member of an object value (an
//! OTLP key-value list) has the dotted path `attribute.member…`; an array
//! element adds its index (`attribute.0.…`), as flattened keys do; and a string value
//! holding a JSON document (`input.value = '{"user": {"email": …}}'`) is read,
//! its members matched both by their full path and by their path inside the
//! document (`user.email`), and written back redacted. A match hides the whole
//! value, nested members included.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a redacted attribute's value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Longest pattern accepted.
pub const MAX_PATTERN_LEN: usize = 256;

/// Most patterns one link may carry.
pub const MAX_PATTERNS: usize = 100;

/// Why a pattern list is refused, for a 422.
pub fn check_patterns(patterns: &[String]) -> Result<(), String> {
    if patterns.len() > MAX_PATTERNS {
        return Err(format!("At most {MAX_PATTERNS} redaction patterns are allowed"));
    }
    for pattern in patterns {
        if pattern.trim().is_empty() {
            return Err("A redaction pattern must not be empty".into());
        }
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(format!("A redaction pattern may have at most {MAX_PATTERN_LEN} characters"));
        }
    }
    Ok(())
}

/// Nesting (objects, arrays, JSON documents in strings) walked at most;
/// anything deeper is hidden whole rather than shown unchecked.
pub const MAX_REDACTION_DEPTH: usize = 64;

/// Whether `key` matches `pattern` (`*` = any characters, possibly none),
/// ignoring case.
pub fn key_matches(pattern: &str, key: &str) -> bool {
    glob(&pattern.to_lowercase(), &key.to_lowercase())
}

/// `*`-pattern matching, case as given.
fn glob(pattern: &str, key: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = key.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// What a public link hides, as stored with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRedaction {
    /// Attribute key patterns whose values are hidden.
    pub patterns: Vec<String>,
    /// Hide every annotation's explanation.
    pub explanations: bool,
    /// Hide notes: the collection items' notes and the spans' `note` annotations.
    pub notes: bool,
}

/// Replaces the value of every attribute whose key matches a pattern, and of
/// every nested member whose path does (see the module's documentation).
pub fn redact(attributes: &mut Map<String, Value>, patterns: &[String]) {
    if patterns.is_empty() {
        return;
    }
    let patterns: Vec<String> = patterns.iter().map(|p| p.to_lowercase()).collect();
    let matches = |path: &str| patterns.iter().any(|pattern| glob(pattern, path));
    for (key, value) in attributes.iter_mut() {
        let path = key.to_lowercase();
        if matches(&path) {
            *value = Value::String(REDACTED.into());
        } else {
            redact_nested(value, &[path], &matches, 0);
        }
    }
}

/// Redacts inside `value`, whose candidate paths are `paths` (its full path,
/// and its path inside each JSON document it is part of; `""` is a
/// document's root). Returns whether anything changed.
fn redact_nested(value: &mut Value, paths: &[String], matches: &impl Fn(&str) -> bool, depth: usize) -> bool {
    let child = |name: &str| -> Vec<String> {
        paths.iter().map(|p| if p.is_empty() { name.to_owned() } else { format!("{p}.{name}") }).collect()
    };
    let mut changed = false;
    let mut visit = |member: &mut Value, member_paths: Vec<String>| {
        if member_paths.iter().any(|p| matches(p)) || (depth >= MAX_REDACTION_DEPTH && is_structured(member)) {
            *member = Value::String(REDACTED.into());
            changed = true;
        } else if depth < MAX_REDACTION_DEPTH {
            changed |= redact_nested(member, &member_paths, matches, depth + 1);
        }
    };
    match value {
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                visit(member, child(&name.to_lowercase()));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                visit(item, child(&index.to_string()));
            }
        }
        Value::String(text) => {
            let trimmed = text.trim_start();
            if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
                return false;
            }
            let Ok(mut document) = serde_json::from_str::<Value>(text) else { return false };
            let mut inner = paths.to_vec();
            inner.push(String::new());
            if redact_nested(&mut document, &inner, matches, depth + 1) {
                *text = document.to_string();
                changed = true;
            }
        }
        _ => {}
    }
    changed
}

/// Objects, arrays, and strings that may hold a JSON document.
fn is_structured(value: &Value) -> bool {
    match value {
        Value::Object(_) | Value::Array(_) => true,
        Value::String(text) => text.trim_start().starts_with(['{', '[']),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stars_match_any_run_of_characters() {
        assert!(key_matches("*.email", "user.email"));
        assert!(key_matches("*.email", "a.b.email"));
        assert!(!key_matches("*.email", "user.email_verified"));
        assert!(key_matches("user.*", "user.id"));
        assert!(!key_matches("user.*", "username"));
        assert!(key_matches("input.value", "input.value"));
        assert!(!key_matches("input.value", "input.value2"));
        assert!(key_matches("*", "anything"));
        assert!(key_matches("a*b*c", "a-x-b-y-c"));
        assert!(!key_matches("a*b*c", "a-x-c"));
        assert!(!key_matches("ab*ba", "aba"));
    }

    #[test]
    fn redacts_matching_values_only() {
        let Value::Object(mut attributes) = json!({"user.email": "a@b.c", "user.id": 7, "input.value": "hi"}) else {
            unreachable!()
        };
        redact(&mut attributes, &["*.email".into()]);
        assert_eq!(Value::Object(attributes), json!({"user.email": REDACTED, "user.id": 7, "input.value": "hi"}));
    }

    #[test]
    fn keys_match_ignoring_case() {
        assert!(key_matches("*.email", "User.EMAIL"));
        assert!(key_matches("USER.*", "user.id"));
        let mut attributes = object(json!({"User.Email": "a@b.c", "user.id": 7}));
        redact(&mut attributes, &["user.email".into()]);
        assert_eq!(Value::Object(attributes), json!({"User.Email": REDACTED, "user.id": 7}));
    }

    #[test]
    fn reaches_into_objects_arrays_and_json_text() {
        let mut attributes = object(json!({
            "user": {"email": "a@b.c", "name": "Ann"},
            "people": [{"email": "x@y.z"}],
            "input.value": "{\"user\": {\"Email\": \"c@d.e\", \"plan\": \"pro\"}, \"q\": \"hi\"}",
            "output.value": "plain text mentioning user.email",
        }));
        redact(&mut attributes, &["user.*".into(), "*.email".into()]);
        assert_eq!(attributes["user"], json!({"email": REDACTED, "name": REDACTED}));
        assert_eq!(attributes["people"], json!([{"email": REDACTED}]));
        let input: Value = serde_json::from_str(attributes["input.value"].as_str().unwrap()).unwrap();
        assert_eq!(input, json!({"user": {"Email": REDACTED, "plan": REDACTED}, "q": "hi"}));
        assert_eq!(attributes["output.value"], json!("plain text mentioning user.email"));
    }

    #[test]
    fn too_deep_is_hidden_whole() {
        let mut deep = json!("leaf");
        for _ in 0..(MAX_REDACTION_DEPTH + 5) {
            deep = json!({ "a": deep });
        }
        let mut attributes = object(json!({ "deep": deep }));
        redact(&mut attributes, &["nothing.matches".into()]);
        assert!(attributes["deep"].to_string().contains(REDACTED));
    }

    fn object(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else { unreachable!() };
        map
    }

    #[test]
    fn refuses_empty_patterns() {
        assert!(check_patterns(&["".into()]).is_err());
        assert!(check_patterns(&["user.*".into()]).is_ok());
    }
}
