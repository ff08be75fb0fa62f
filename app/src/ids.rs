//! Identifiers as Phoenix writes them on the wire.
//!
//! Entities are named by Relay-style *global ids*: standard base64 of
//! `"<Type>:<rowid>"`, e.g. `Project:2` → `UHJvamVjdDoy`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Encodes `type_name:rowid` as a global id.
pub fn global_id(type_name: &str, rowid: i64) -> String {
    STANDARD.encode(format!("{type_name}:{rowid}"))
}

/// Decodes a global id of the expected type; `None` for anything else.
pub fn parse_global_id(type_name: &str, id: &str) -> Option<i64> {
    let (kind, rowid) = parse_typed_id(id)?;
    (kind == type_name).then_some(rowid)
}

/// Decodes a global id of any type into its type name and rowid (Phoenix's
/// cursors accept any type and use the rowid alone).
pub fn parse_typed_id(id: &str) -> Option<(String, i64)> {
    let bytes = STANDARD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, rowid) = text.split_once(':')?;
    Some((kind.to_owned(), rowid.parse().ok()?))
}

/// Lowercase hex of an OpenTelemetry id, as Phoenix stores it.
pub fn hex_id(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_match_phoenix() {
        assert_eq!(global_id("Project", 2), "UHJvamVjdDoy");
        assert_eq!(global_id("SpanAnnotation", 1), "U3BhbkFubm90YXRpb246MQ==");
        assert_eq!(parse_global_id("Project", "UHJvamVjdDoy"), Some(2));
        assert_eq!(parse_global_id("Span", "UHJvamVjdDoy"), None);
        assert_eq!(parse_global_id("Project", "not base64!"), None);
    }

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex_id(&[0x00, 0xab, 0x0f]), "00ab0f");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_text_is_an_id_or_none(text in ".{0,40}") {
                let _ = parse_typed_id(&text);
                let _ = parse_global_id("Project", &text);
            }

            #[test]
            fn any_base64_is_an_id_or_none(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
                let _ = parse_typed_id(&STANDARD.encode(bytes));
            }

            #[test]
            fn global_ids_round_trip(kind in "[A-Za-z]{1,20}", rowid in any::<i64>()) {
                let id = global_id(&kind, rowid);
                prop_assert_eq!(parse_typed_id(&id), Some((kind.clone(), rowid)));
                prop_assert_eq!(parse_global_id(&kind, &id), Some(rowid));
            }
        }
    }
}
