//! Redaction of span attributes on public links: key patterns like
//! `*.email` or `user.*`, where `*` stands for any run of characters (dots
//! included) and everything else matches exactly.

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

/// Whether `key` matches `pattern` (`*` = any characters, possibly none).
pub fn key_matches(pattern: &str, key: &str) -> bool {
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

/// Replaces the value of every attribute whose key matches a pattern.
pub fn redact(attributes: &mut Map<String, Value>, patterns: &[String]) {
    if patterns.is_empty() {
        return;
    }
    for (key, value) in attributes.iter_mut() {
        if patterns.iter().any(|pattern| key_matches(pattern, key)) {
            *value = Value::String(REDACTED.into());
        }
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
    fn refuses_empty_patterns() {
        assert!(check_patterns(&["".into()]).is_err());
        assert!(check_patterns(&["user.*".into()]).is_ok());
    }
}
