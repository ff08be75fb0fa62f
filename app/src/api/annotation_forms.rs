//! Server functions behind the UI's annotation forms. They take form fields
//! as text (so that `ActionForm` posts them with or without JavaScript) and
//! write through the same batching writer as the REST API, as `source = APP`,
//! `annotator_kind = HUMAN`.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::{AnnotationResult, AnnotationSource, AnnotatorKind, TargetKind};
use crate::model::{THUMBS_DOWN, THUMBS_UP};
#[cfg(feature = "ssr")]
use crate::store::{NewAnnotation, WriteMode};

/// A human annotation made in the UI by the caller, who is its author.
#[cfg(feature = "ssr")]
pub(super) fn app_annotation(
    span_id: String,
    name: String,
    result: AnnotationResult,
    identifier: String,
) -> NewAnnotation {
    let caller = super::caller();
    NewAnnotation {
        target_id: span_id,
        name,
        annotator_kind: AnnotatorKind::Human,
        result,
        metadata: "{}".to_owned(),
        identifier,
        source: AnnotationSource::App,
        author: caller.author(),
        // The identifier holds the user: only their own is ever replaced.
        only_own: false,
    }
}

/// Writes one span annotation and waits for the commit.
#[cfg(feature = "ssr")]
async fn write(item: NewAnnotation) -> Result<(), ServerFnError> {
    write_to(TargetKind::Span, item).await
}

/// Writes one annotation of `kind` and waits for the commit.
#[cfg(feature = "ssr")]
async fn write_to(kind: TargetKind, item: NewAnnotation) -> Result<(), ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.writer().write_annotations(kind, vec![item], WriteMode::Sync).await.map_err(super::server_error)?;
    Ok(())
}

/// Text or `None` when blank.
#[cfg(any(feature = "ssr", test))]
pub(super) fn non_blank(text: String) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The score field: blank is none; anything else must be a finite number.
pub fn parse_score_field(text: &str) -> Result<Option<f64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(score) if score.is_finite() => Ok(Some(score)),
        _ => Err(format!("The score must be a number, not {text:?}")),
    }
}

/// The score a 👍/👎 label stands for.
pub fn thumbs_score(label: &str) -> Option<f64> {
    match label {
        THUMBS_UP => Some(1.0),
        THUMBS_DOWN => Some(0.0),
        _ => None,
    }
}

/// Creates or replaces (same name and identifier) an annotation of a span.
#[server(endpoint = "save_annotation")]
pub async fn save_annotation(
    span_id: String,
    name: String,
    #[server(default)] label: String,
    #[server(default)] score: String,
    #[server(default)] explanation: String,
    #[server(default)] identifier: String,
) -> Result<(), ServerFnError> {
    let (name, result) = form_annotation(name, label, score, explanation)?;
    // Keyed per user: two reviewers' `correctness` on one span are two annotations.
    let identifier = super::caller().own_identifier(&identifier);
    write(app_annotation(span_id, name, result, identifier)).await
}

/// The name and verdict of an annotation form, or why they are refused: a
/// name that is not `note`, and a label, a score or an explanation.
#[cfg(feature = "ssr")]
pub(super) fn form_annotation(
    name: String,
    label: String,
    score: String,
    explanation: String,
) -> Result<(String, AnnotationResult), ServerFnError> {
    let Some(name) = non_blank(name) else { return Err(super::refused("An annotation needs a name")) };
    if name == crate::model::NOTE_NAME {
        return Err(super::refused("The name 'note' is kept for notes"));
    }
    let score = parse_score_field(&score).map_err(super::refused)?;
    let (label, explanation) = (non_blank(label), non_blank(explanation));
    if label.is_none() && score.is_none() && explanation.is_none() {
        return Err(super::refused("Give a label, a score or an explanation"));
    }
    Ok((name, AnnotationResult { label, score, explanation }))
}

/// The one-click 👍 (`label = thumbs-up`) or 👎 (`thumbs-down`), named `user feedback`.
#[server(endpoint = "give_feedback")]
pub async fn give_feedback(span_id: String, label: String) -> Result<(), ServerFnError> {
    let score = thumbs_score(&label).ok_or_else(|| super::refused("Feedback is thumbs-up or thumbs-down"))?;
    let result = AnnotationResult { label: Some(label), score: Some(score), explanation: None };
    let identifier = super::caller().own_identifier("");
    write(app_annotation(span_id, crate::model::FEEDBACK_NAME.to_owned(), result, identifier)).await
}

/// The score a document's relevance label stands for.
pub fn relevance_score(label: &str) -> Option<f64> {
    match label {
        crate::model::RELEVANT => Some(1.0),
        crate::model::IRRELEVANT => Some(0.0),
        _ => None,
    }
}

/// A retrieved document's 👍 (`relevant`, score 1) or 👎 (`irrelevant`,
/// score 0): the caller's `relevance` annotation of document `position` of
/// span `span_id`. A position the span does not have is refused.
#[server(endpoint = "rate_document")]
pub async fn rate_document(span_id: String, position: String, label: String) -> Result<(), ServerFnError> {
    let score = relevance_score(&label).ok_or_else(|| super::refused("Relevance is relevant or irrelevant"))?;
    let position: i64 = position.trim().parse().map_err(|_| super::refused("The document position is a number"))?;
    let result = AnnotationResult { label: Some(label), score: Some(score), explanation: None };
    let identifier = super::caller().own_identifier("");
    let key = crate::model::document_key(&span_id, position);
    write_to(TargetKind::Document, app_annotation(key, crate::model::RELEVANCE_NAME.to_owned(), result, identifier))
        .await
}

/// Adds a note (notes accumulate: each gets a fresh identifier).
#[server(endpoint = "add_note")]
pub async fn add_note(span_id: String, note: String) -> Result<(), ServerFnError> {
    let Some(note) = non_blank(note) else { return Err(super::refused("The note is empty")) };
    let now = crate::time::to_nanos(chrono::Utc::now());
    let identifier = format!("px-span-note:{now:032x}");
    let result = AnnotationResult { label: None, score: None, explanation: Some(note) };
    write(app_annotation(span_id, crate::model::NOTE_NAME.to_owned(), result, identifier)).await
}

/// Deletes one span annotation of `project` by its global id: one's own,
/// or anyone's for an admin.
#[server(endpoint = "delete_annotation")]
pub async fn delete_annotation(project: String, id: String) -> Result<(), ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let made_by = super::caller().own_work_only();
    let parsed = crate::ids::AnnotationId::parse(crate::model::TargetKind::Span, &id);
    let deleted = match parsed {
        Some(parsed) => {
            store.delete_span_annotation(&project, parsed.rowid, made_by).await.map_err(super::server_error)?
        }
        None => false,
    };
    match deleted {
        true => Ok(()),
        false => Err(super::server_error(crate::store::Error::NotFound(format!("No annotation {id} in {project}")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_read_strictly() {
        assert_eq!(parse_score_field(" "), Ok(None));
        assert_eq!(parse_score_field("0.5"), Ok(Some(0.5)));
        assert!(parse_score_field("NaN").is_err());
        assert!(parse_score_field("high").is_err());
        assert_eq!(thumbs_score(THUMBS_UP), Some(1.0));
        assert_eq!(thumbs_score(THUMBS_DOWN), Some(0.0));
        assert_eq!(thumbs_score("meh"), None);
        assert_eq!(relevance_score(crate::model::RELEVANT), Some(1.0));
        assert_eq!(relevance_score(crate::model::IRRELEVANT), Some(0.0));
        assert_eq!(relevance_score(THUMBS_UP), None);
        assert_eq!(non_blank("  ".into()), None);
    }
}
