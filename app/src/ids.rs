//! Identifiers as Phoenix writes them on the wire.
//!
//! Entities are named by Relay-style *global ids*: standard base64 of
//! `"<Type>:<rowid>"`, e.g. `Project:2` → `UHJvamVjdDoy`.
//!
//! Inside Plume an entity's id is its rowid in a small type of its own
//! ([`WebhookId`], …): the store reads and binds the number, and the global id
//! is written only where the id leaves (JSON, URLs, pages: `Serialize` and
//! `Display`) and read only where it comes in (`Deserialize`, `parse`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::model::{AnnotationConfigKind, TargetKind};

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

/// A rowid type that is a global id on the wire (declared by `global_ids!`).
pub trait GlobalId: Copy + std::fmt::Display {
    /// The type name inside the global id.
    const TYPE: &'static str;
    /// What a message calls one ("Webhook with ID … not found").
    const NOUN: &'static str;
    /// Reads a global id of this type; `None` for anything else.
    fn parse(id: &str) -> Option<Self>;
}

/// Puts an id type (with `Display` writing its global id) on the wire: serde
/// writes and reads its global id (`$parse` reads one; `$what` names it in
/// the error), and OpenAPI shows a string (`$encoded`: what is base64-encoded).
macro_rules! on_the_wire {
    ($name:ty, $parse:expr, $what:expr, $encoded:expr) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let id = String::deserialize(deserializer)?;
                $parse(&id).ok_or_else(|| serde::de::Error::custom(format!("{id:?} is not {} id", $what)))
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(concat!("Global id: base64 of ", $encoded, ".")))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}
    };
}

/// Declares rowid types that are global ids on the wire:
/// `Name { type: "Type", aliases: ["Other"], noun: "Thing" }`, where the
/// aliases are the other type names an id of it is read from.
macro_rules! global_ids {
    ($($(#[$doc:meta])* $name:ident { type: $type_name:literal, $(aliases: [$($alias:literal),*],)? noun: $noun:literal })*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl GlobalId for $name {
            const TYPE: &'static str = $type_name;
            const NOUN: &'static str = $noun;

            fn parse(id: &str) -> Option<$name> {
                parse_global_id($type_name, id)$($(.or_else(|| parse_global_id($alias, id)))*)?.map($name)
            }
        }

        impl std::fmt::Display for $name {
            /// The global id.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&global_id($type_name, self.0))
            }
        }

        on_the_wire!($name, <$name as GlobalId>::parse, concat!("a ", $type_name), concat!("`", $type_name, ":<rowid>`"));
    )*};
}

global_ids! {
    /// A webhook.
    WebhookId { type: "Webhook", noun: "Webhook" }
    /// One event's delivery to one webhook.
    DeliveryId { type: "WebhookDelivery", noun: "Delivery" }
    /// An alert rule.
    AlertRuleId { type: "AlertRule", noun: "Alert rule" }
    /// A collection (Phoenix's dataset routes call it `Dataset:<rowid>`).
    CollectionId { type: "Collection", aliases: ["Dataset"], noun: "Collection" }
    /// An item of a collection (a dataset's `DatasetExample:<rowid>`).
    CollectionItemId { type: "CollectionItem", aliases: ["DatasetExample"], noun: "Collection item" }
    /// A collection as Phoenix's dataset routes show it.
    DatasetId { type: "Dataset", aliases: ["Collection"], noun: "Dataset" }
    /// A collection item as Phoenix's dataset routes show it.
    DatasetExampleId { type: "DatasetExample", aliases: ["CollectionItem"], noun: "Dataset example" }
    /// A version of a dataset: one change to its collection.
    DatasetVersionId { type: "DatasetVersion", noun: "Dataset version" }
    /// A public link.
    PublicLinkId { type: "PublicLink", noun: "Public link" }
    /// A stored span (its row, not its OpenTelemetry id).
    SpanRowid { type: "Span", noun: "Span" }
    /// A stored trace (its row, not its OpenTelemetry id).
    TraceRowid { type: "Trace", noun: "Trace" }
    /// A session (its row, not its `session.id`).
    SessionRowid { type: "ProjectSession", noun: "Session" }
    /// A project.
    ProjectId { type: "Project", noun: "Project" }
    /// A user (an account).
    UserId { type: "User", noun: "User" }
    /// A review queue.
    QueueId { type: "AnnotationQueue", noun: "Annotation queue" }
    /// An item (a span or trace to review) of a review queue.
    QueueItemId { type: "AnnotationQueueItem", noun: "Queue item" }
}

/// An annotation: the kind of its target names its type (`SpanAnnotation:<rowid>`,
/// `TraceAnnotation:…`, `ProjectSessionAnnotation:…`, `DocumentAnnotation:…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AnnotationId {
    /// What the annotation is about.
    pub kind: TargetKind,
    /// Its row in that kind's annotation table.
    pub rowid: i64,
}

impl AnnotationId {
    /// Reads the global id of an annotation of `kind`; `None` for anything else.
    pub fn parse(kind: TargetKind, id: &str) -> Option<AnnotationId> {
        parse_global_id(kind.annotation_type(), id).map(|rowid| AnnotationId { kind, rowid })
    }

    /// Reads the global id of an annotation of any kind.
    fn parse_any(id: &str) -> Option<AnnotationId> {
        [TargetKind::Span, TargetKind::Trace, TargetKind::Session, TargetKind::Document]
            .into_iter()
            .find_map(|kind| AnnotationId::parse(kind, id))
    }
}

impl std::fmt::Display for AnnotationId {
    /// The global id.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&global_id(self.kind.annotation_type(), self.rowid))
    }
}

on_the_wire!(
    AnnotationId,
    AnnotationId::parse_any,
    "an annotation",
    "`SpanAnnotation:<rowid>` (or `TraceAnnotation`, `ProjectSessionAnnotation`, `DocumentAnnotation`)"
);

/// An API key: `UserApiKey:<rowid>` for a user's own, `SystemApiKey:<rowid>`
/// for a service key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ApiKeyId {
    /// Whether it is a user's own key.
    pub personal: bool,
    /// Its row.
    pub rowid: i64,
}

impl ApiKeyId {
    /// The type name of a personal key's id, or of a service key's.
    pub fn type_name(personal: bool) -> &'static str {
        if personal { "UserApiKey" } else { "SystemApiKey" }
    }

    /// Reads the global id of a key of either kind.
    fn parse_any(id: &str) -> Option<ApiKeyId> {
        [true, false].into_iter().find_map(|personal| {
            parse_global_id(ApiKeyId::type_name(personal), id).map(|rowid| ApiKeyId { personal, rowid })
        })
    }
}

impl std::fmt::Display for ApiKeyId {
    /// The global id.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&global_id(ApiKeyId::type_name(self.personal), self.rowid))
    }
}

on_the_wire!(ApiKeyId, ApiKeyId::parse_any, "an API key", "`UserApiKey:<rowid>` or `SystemApiKey:<rowid>`");

/// An annotation config: its kind names its type (`CategoricalAnnotationConfig:<rowid>`,
/// `ContinuousAnnotationConfig:…`, `FreeformAnnotationConfig:…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConfigId {
    /// One of [`AnnotationConfigKind::GLOBAL_TYPES`].
    pub type_name: &'static str,
    /// Its row.
    pub rowid: i64,
}

impl ConfigId {
    /// Reads the global id of a config of any kind; `None` for anything else.
    pub fn parse(id: &str) -> Option<ConfigId> {
        AnnotationConfigKind::GLOBAL_TYPES
            .into_iter()
            .find_map(|type_name| parse_global_id(type_name, id).map(|rowid| ConfigId { type_name, rowid }))
    }
}

impl std::fmt::Display for ConfigId {
    /// The global id.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&global_id(self.type_name, self.rowid))
    }
}

on_the_wire!(
    ConfigId,
    ConfigId::parse,
    "an annotation config",
    "`CategoricalAnnotationConfig:<rowid>` (or `ContinuousAnnotationConfig`, `FreeformAnnotationConfig`)"
);

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
    fn id_types_are_global_ids_on_the_wire() {
        let id = WebhookId(3);
        assert_eq!(id.to_string(), global_id("Webhook", 3));
        assert_eq!(serde_json::to_value(id).unwrap(), serde_json::json!(global_id("Webhook", 3)));
        assert_eq!(serde_json::from_value::<WebhookId>(serde_json::json!(global_id("Webhook", 3))).unwrap(), id);
        assert_eq!(WebhookId::parse(&global_id("AlertRule", 3)), None);
        let error = serde_json::from_value::<WebhookId>(serde_json::json!("nope")).unwrap_err().to_string();
        assert!(error.contains("\"nope\" is not a Webhook id"), "{error}");
    }

    #[test]
    fn annotation_ids_name_their_kind() {
        let id = AnnotationId { kind: TargetKind::Trace, rowid: 4 };
        assert_eq!(id.to_string(), global_id("TraceAnnotation", 4));
        assert_eq!(serde_json::from_value::<AnnotationId>(serde_json::json!(id.to_string())).unwrap(), id);
        assert_eq!(AnnotationId::parse(TargetKind::Span, &id.to_string()), None);
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
