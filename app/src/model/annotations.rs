//! Annotations on spans, traces and sessions: what is posted and what is listed.
//!
//! The three targets share one set of types; [`TargetKind`] says which one a
//! value is about, and the target's id key (`span_id`, `trace_id`,
//! `session_id`) is the only field that differs on the wire.

use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::serde_iso;

/// The largest number of annotations one request may carry.
pub const MAX_ANNOTATIONS_PER_REQUEST: usize = 10_000;

/// The most spans one bulk annotation (`POST /v1/projects/{p}/span_annotations/bulk`,
/// the trace list's and collection page's "Annotate all") may annotate: where
/// the trace list stops counting matches.
pub const MAX_BULK_ANNOTATED: i64 = super::MatchCount::CAP;

/// The annotation name reserved for notes (`/v1/span_notes`, …).
pub const NOTE_NAME: &str = "note";

/// Who made an annotation; exactly `LLM`, `CODE` or `HUMAN` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum AnnotatorKind {
    /// A model judged.
    #[serde(rename = "LLM")]
    Llm,
    /// A program judged.
    #[serde(rename = "CODE")]
    Code,
    /// A person judged.
    #[serde(rename = "HUMAN")]
    Human,
}

impl AnnotatorKind {
    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotatorKind::Llm => "LLM",
            AnnotatorKind::Code => "CODE",
            AnnotatorKind::Human => "HUMAN",
        }
    }

    /// Parses the exact wire spelling.
    pub fn parse(text: &str) -> Option<AnnotatorKind> {
        [AnnotatorKind::Llm, AnnotatorKind::Code, AnnotatorKind::Human].into_iter().find(|k| k.as_str() == text)
    }
}

/// Where an annotation was written: the REST API or Plume's own UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum AnnotationSource {
    /// Through `/v1/…`.
    #[serde(rename = "API")]
    Api,
    /// Through the UI.
    #[serde(rename = "APP")]
    App,
}

impl AnnotationSource {
    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationSource::Api => "API",
            AnnotationSource::App => "APP",
        }
    }

    /// Parses the stored spelling (anything but `APP` is `API`).
    pub fn parse(text: &str) -> AnnotationSource {
        if text == "APP" { AnnotationSource::App } else { AnnotationSource::Api }
    }
}

/// The verdict: any of a label, a score and an explanation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnnotationResult {
    /// A category, e.g. `thumbs-up`.
    #[serde(default)]
    pub label: Option<String>,
    /// A number; on input numeric strings and booleans are accepted, as pydantic does.
    #[serde(default, deserialize_with = "lenient_score")]
    pub score: Option<f64>,
    /// Free text.
    #[serde(default)]
    pub explanation: Option<String>,
}

/// What an annotation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetKind {
    /// A span, by its 16-hex-digit `span_id`.
    Span,
    /// A trace, by its 32-hex-digit `trace_id`.
    Trace,
    /// A session, by its `session.id` attribute value.
    Session,
    /// One of a span's retrieved documents, by `span_id` and
    /// `document_position` (its external id is [`document_key`]).
    Document,
}

/// The external id of a span's retrieved document: `span_id:position`. The
/// position is last, so a span id holding `:` still splits back.
pub fn document_key(span_id: &str, position: i64) -> String {
    format!("{span_id}:{position}")
}

/// The span id and position of a [`document_key`].
pub fn split_document_key(key: &str) -> Option<(&str, i64)> {
    let (span_id, position) = key.rsplit_once(':')?;
    Some((span_id, position.parse().ok()?))
}

impl TargetKind {
    /// The three with a table of their own (documents belong to spans).
    pub const ALL: [TargetKind; 3] = [TargetKind::Span, TargetKind::Trace, TargetKind::Session];

    /// The JSON key naming the target: `span_id`, `trace_id` or `session_id`.
    pub fn id_field(self) -> &'static str {
        match self {
            TargetKind::Span => "span_id",
            TargetKind::Trace => "trace_id",
            TargetKind::Session => "session_id",
            TargetKind::Document => "span_id",
        }
    }

    /// The type name inside an annotation's global id.
    pub fn annotation_type(self) -> &'static str {
        match self {
            TargetKind::Span => "SpanAnnotation",
            TargetKind::Trace => "TraceAnnotation",
            TargetKind::Session => "ProjectSessionAnnotation",
            TargetKind::Document => "DocumentAnnotation",
        }
    }

    /// Plural noun for messages: `Spans`, `Traces`, `Sessions`.
    pub fn plural(self) -> &'static str {
        match self {
            TargetKind::Span => "Spans",
            TargetKind::Trace => "Traces",
            TargetKind::Session => "Sessions",
            TargetKind::Document => "Documents",
        }
    }

    /// Short stable name (`span`, `trace`, `session`), as stored for pending annotations.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Span => "span",
            TargetKind::Trace => "trace",
            TargetKind::Session => "session",
            TargetKind::Document => "document",
        }
    }
}

/// The target of a listed annotation; serialised (flattened) as its one id key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum AnnotationTarget {
    /// `"span_id": …`
    #[serde(rename = "span_id")]
    Span(String),
    /// `"trace_id": …`
    #[serde(rename = "trace_id")]
    Trace(String),
    /// `"session_id": …`
    #[serde(rename = "session_id")]
    Session(String),
}

impl AnnotationTarget {
    /// The target of `kind` with id `id`.
    pub fn new(kind: TargetKind, id: String) -> AnnotationTarget {
        match kind {
            TargetKind::Span | TargetKind::Document => AnnotationTarget::Span(id),
            TargetKind::Trace => AnnotationTarget::Trace(id),
            TargetKind::Session => AnnotationTarget::Session(id),
        }
    }
}

/// A stored annotation as `GET /v1/projects/{p}/span_annotations` (and the
/// trace and session variants) list it, in Phoenix's key order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Annotation {
    /// Global id: `SpanAnnotation:…`, `TraceAnnotation:…` or `ProjectSessionAnnotation:…`.
    pub id: crate::ids::AnnotationId,
    /// First written.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
    /// Last replaced.
    #[serde(with = "serde_iso")]
    pub updated_at: DateTime<Utc>,
    /// `API` or `APP`.
    pub source: AnnotationSource,
    /// The author's global id when auth is on, else `null`.
    pub user_id: Option<crate::ids::UserId>,
    /// What is judged, e.g. `correctness`.
    pub name: String,
    /// Who judged.
    pub annotator_kind: AnnotatorKind,
    /// Always all three keys.
    pub result: AnnotationResult,
    /// Free-form JSON object, `{}` when none was given.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: Map<String, Value>,
    /// Distinguishes several annotations of one name on one target; `""` by default.
    pub identifier: String,
    /// The annotated span, trace or session, as its id key.
    #[serde(flatten)]
    pub target: AnnotationTarget,
    /// For a document annotation, the document's 0-based position in the
    /// span's `retrieval.documents` (absent for the other kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_position: Option<i64>,
    /// Who made it, to show: the user's email or the key's name (absent for
    /// work from before accounts, or with auth off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Who made it, for ownership checks (not part of the API's JSON).
    #[serde(skip)]
    #[cfg_attr(feature = "ssr", schema(ignore))]
    pub made_by: crate::model::accounts::Author,
}

/// Marks which target a posted annotation names (and so its id key).
pub trait Target: Send + Sync + 'static {
    /// The target kind.
    const KIND: TargetKind;
}

/// [`Target`] marker for spans.
#[derive(Clone, Copy, Debug)]
pub struct SpanTarget;
/// [`Target`] marker for traces.
#[derive(Clone, Copy, Debug)]
pub struct TraceTarget;
/// [`Target`] marker for sessions.
#[derive(Clone, Copy, Debug)]
pub struct SessionTarget;

impl Target for SpanTarget {
    const KIND: TargetKind = TargetKind::Span;
}
impl Target for TraceTarget {
    const KIND: TargetKind = TargetKind::Trace;
}
impl Target for SessionTarget {
    const KIND: TargetKind = TargetKind::Session;
}
/// [`Target`] marker for a span's retrieved documents.
#[derive(Clone, Copy, Debug)]
pub struct DocumentTarget;
impl Target for DocumentTarget {
    const KIND: TargetKind = TargetKind::Document;
}

/// One posted annotation, as `POST /v1/span_annotations` (and the trace and
/// session variants) take it. `T` picks the id key; unknown keys are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnotationInput<T> {
    /// The span, trace or session id (not checked for format).
    pub target_id: String,
    /// Required; `""` is allowed, `note` is reserved.
    pub name: String,
    /// Required, exact spelling.
    pub annotator_kind: AnnotatorKind,
    /// Optional; `null` and missing mean no result.
    pub result: Option<AnnotationResult>,
    /// Optional object; `null` and missing mean `{}`.
    pub metadata: Option<Map<String, Value>>,
    /// Optional, default `""`; `null` is refused.
    pub identifier: String,
    /// Required for documents (0-based, in the span's
    /// `retrieval.documents`), ignored for the other kinds.
    pub document_position: Option<i64>,
    target: PhantomData<T>,
}

impl<T> AnnotationInput<T> {
    /// An annotation of `target_id` with no result, metadata or identifier.
    pub fn new(target_id: String, name: String, annotator_kind: AnnotatorKind) -> Self {
        AnnotationInput {
            target_id,
            name,
            annotator_kind,
            result: None,
            metadata: None,
            identifier: String::new(),
            document_position: None,
            target: PhantomData,
        }
    }
}

impl<'de, T: Target> Deserialize<'de> for AnnotationInput<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(InputVisitor::<T>(PhantomData))
    }
}

struct InputVisitor<T>(PhantomData<T>);

impl<'de, T: Target> Visitor<'de> for InputVisitor<T> {
    type Value = AnnotationInput<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an annotation object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let id_field = T::KIND.id_field();
        let (mut target_id, mut name, mut annotator_kind) = (None, None, None);
        let (mut result, mut metadata, mut identifier, mut document_position) = (None, None, None, None);
        let is_document = T::KIND == TargetKind::Document;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                k if k == id_field => target_id = Some(map.next_value::<String>()?),
                "document_position" if is_document => document_position = Some(map.next_value::<i64>()?),
                "name" => name = Some(map.next_value::<String>()?),
                "annotator_kind" => annotator_kind = Some(map.next_value::<AnnotatorKind>()?),
                "result" => result = map.next_value::<Option<AnnotationResult>>()?,
                "metadata" => metadata = map.next_value::<Option<Map<String, Value>>>()?,
                "identifier" => identifier = Some(map.next_value::<String>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(AnnotationInput {
            target_id: target_id.ok_or_else(|| de::Error::missing_field(id_field))?,
            name: name.ok_or_else(|| de::Error::missing_field("name"))?,
            annotator_kind: annotator_kind.ok_or_else(|| de::Error::missing_field("annotator_kind"))?,
            result,
            metadata,
            identifier: identifier.unwrap_or_default(),
            document_position: match is_document {
                true => Some(document_position.ok_or_else(|| de::Error::missing_field("document_position"))?),
                false => None,
            },
            target: PhantomData,
        })
    }
}

/// `{"data": [annotation…]}`, the body of the annotation POST routes.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound = "T: Target")]
pub struct AnnotationsRequest<T> {
    /// The annotations, at most [`MAX_ANNOTATIONS_PER_REQUEST`].
    pub data: Vec<AnnotationInput<T>>,
}

/// `{"id": …}`: what a write answers per annotation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InsertedId {
    /// Global id of the annotation written.
    pub id: crate::ids::AnnotationId,
}

/// A note on a span, trace or session (`POST /v1/span_notes`, …).
#[derive(Clone, Debug, PartialEq)]
pub struct NoteInput<T> {
    /// The span, trace or session id.
    pub target_id: String,
    /// The note text.
    pub note: String,
    /// Optional; empty means "a fresh one", so notes accumulate.
    pub identifier: Option<String>,
    target: PhantomData<T>,
}

impl<'de, T: Target> Deserialize<'de> for NoteInput<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(NoteVisitor::<T>(PhantomData))
    }
}

struct NoteVisitor<T>(PhantomData<T>);

impl<'de, T: Target> Visitor<'de> for NoteVisitor<T> {
    type Value = NoteInput<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a note object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let id_field = T::KIND.id_field();
        let (mut target_id, mut note, mut identifier) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                k if k == id_field => target_id = Some(map.next_value::<String>()?),
                "note" => note = Some(map.next_value::<String>()?),
                "identifier" => identifier = map.next_value::<Option<String>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(NoteInput {
            target_id: target_id.ok_or_else(|| de::Error::missing_field(id_field))?,
            note: note.ok_or_else(|| de::Error::missing_field("note"))?,
            identifier,
            target: PhantomData,
        })
    }
}

/// `{"data": note}`, the body of the note routes.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound = "T: Target")]
pub struct NoteRequest<T> {
    /// The note.
    pub data: NoteInput<T>,
}

/// pydantic's lax float: numbers, booleans (as 1.0/0.0) and numeric strings.
fn lenient_score<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    struct Score;
    impl<'de> Visitor<'de> for Score {
        type Value = Option<f64>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, a numeric string, a boolean or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(if v { 1.0 } else { 0.0 }))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.trim().parse::<f64>() {
                Ok(score) if score.is_finite() => Ok(Some(score)),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }
    deserializer.deserialize_any(Score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: Value) -> Result<AnnotationInput<SpanTarget>, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn scores_are_coerced_like_pydantic() {
        let score =
            |s: Value| input(json!({"span_id": "a", "name": "n", "annotator_kind": "HUMAN", "result": {"score": s}}));
        assert_eq!(score(json!(1)).unwrap().result.unwrap().score, Some(1.0));
        assert_eq!(score(json!("0.5")).unwrap().result.unwrap().score, Some(0.5));
        assert_eq!(score(json!(true)).unwrap().result.unwrap().score, Some(1.0));
        assert_eq!(score(json!(null)).unwrap().result.unwrap().score, None);
        assert!(score(json!("high")).is_err());
        assert!(score(json!("nan")).is_err());
    }

    #[test]
    fn listed_annotation_keeps_phoenix_key_order() {
        let annotation = Annotation {
            id: crate::ids::AnnotationId { kind: TargetKind::Span, rowid: 1 },
            created_at: crate::time::from_nanos(0),
            updated_at: crate::time::from_nanos(0),
            source: AnnotationSource::Api,
            user_id: None,
            name: "n".into(),
            annotator_kind: AnnotatorKind::Llm,
            result: AnnotationResult::default(),
            metadata: Map::new(),
            identifier: String::new(),
            target: AnnotationTarget::Trace("t".into()),
            document_position: None,
            author: None,
            made_by: Default::default(),
        };
        let value = serde_json::to_value(&annotation).unwrap();
        let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id",
                "created_at",
                "updated_at",
                "source",
                "user_id",
                "name",
                "annotator_kind",
                "result",
                "metadata",
                "identifier",
                "trace_id"
            ]
        );
        assert_eq!(value["result"], json!({"label": null, "score": null, "explanation": null}));
    }
}
