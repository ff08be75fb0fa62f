//! Server functions behind the review queue forms: making a queue, adding
//! spans to one (a span, a trace-list filter, a collection), and working
//! one (complete, skip). They take form fields as text, so they work with
//! and without JavaScript, and call the same store as `/v1/annotation_queues`.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::ids::QueueId;

#[cfg(feature = "ssr")]
use crate::model::{AnnotationConfig, AnnotationConfigKind, AnnotationResult};

/// A queue's page, `/queues/{rowid}`.
pub fn queue_path(queue: QueueId) -> String {
    format!("/queues/{}", queue.0)
}

/// A whole number from a form field within `range`; blank is `None`.
pub fn whole_number_field(text: &str, what: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(format!("{what} is a whole number from {} to {}", range.start(), range.end())),
    }
}

/// Makes a queue; `configs` holds `configs[<config global id>]=on` for each
/// ticked config. Goes to the new queue's page.
#[server(endpoint = "create_queue")]
pub async fn create_queue(
    name: String,
    #[server(default)] instructions: String,
    #[server(default)] reviewers_per_item: String,
    #[server(default)] reservation_minutes: String,
    #[server(default)] project: String,
    #[server(default)] configs: HashMap<String, String>,
) -> Result<(), ServerFnError> {
    use crate::model::{MAX_RESERVATION_SECONDS, MAX_REVIEWERS_PER_ITEM, NewQueue};
    let store = expect_context::<crate::store::Store>();
    let k = whole_number_field(&reviewers_per_item, "Reviewers per item", 1..=MAX_REVIEWERS_PER_ITEM)
        .map_err(super::refused)?;
    let minutes = whole_number_field(&reservation_minutes, "The reservation", 1..=MAX_RESERVATION_SECONDS / 60)
        .map_err(super::refused)?;
    let mut config_ids: Vec<String> = configs.into_keys().collect();
    config_ids.sort_by_key(|id| crate::ids::ConfigId::parse(id).map(|id| id.rowid));
    let new = NewQueue {
        name,
        instructions: super::annotation_forms::non_blank(instructions),
        annotation_config_ids: Some(config_ids),
        reviewers_per_item: k,
        reservation_seconds: minutes.map(|m| m * 60),
        project: super::annotation_forms::non_blank(project),
        reviewer_ids: None,
    };
    let queue = store.create_queue(&new, super::caller().author()).await.map_err(super::server_error)?;
    leptos_axum::redirect(&queue_path(queue.id));
    Ok(())
}

/// Adds to queue `queue` (global id) one span (`span_id`), the root spans
/// of every trace of `project` the trace list shows with `filter` (its
/// query string), or every span of collection `collection` (global id).
/// A span adds in place; the others go to the queue's page.
#[server(endpoint = "add_to_queue")]
pub async fn add_to_queue(
    queue: String,
    #[server(default)] span_id: String,
    #[server(default)] project: String,
    #[server(default)] filter: String,
    #[server(default)] collection: String,
) -> Result<String, ServerFnError> {
    use crate::store::{QueueSelection, Selection};
    let store = expect_context::<crate::store::Store>();
    let queue = crate::store::parse_id::<QueueId>(&queue).map_err(super::server_error)?;
    let rowid = store.queue_rowid(queue).await.map_err(super::server_error)?;
    let (selection, go) = if !span_id.trim().is_empty() {
        (Selection::SpanIds(vec![span_id.trim().to_owned()]), false)
    } else if !collection.trim().is_empty() {
        (Selection::Collection { collection: collection.trim().to_owned(), project: None }, true)
    } else if !project.trim().is_empty() {
        let query = crate::model::TraceListQuery::from_query_string(&filter).first_page();
        (Selection::TraceList { project, query: Box::new(query) }, true)
    } else {
        return Err(super::refused("Say what to add: a span, a filter or a collection"));
    };
    let added = store.add_queue_items(rowid, &QueueSelection::Spans(selection)).await.map_err(super::server_error)?;
    if go {
        leptos_axum::redirect(&queue_path(queue));
    }
    Ok(match (added.added, added.already_present) {
        (0, _) => "Already in the queue".to_owned(),
        (1, 0) => "Added to the queue".to_owned(),
        (n, 0) => format!("Added {n} items to the queue"),
        (n, m) => format!("Added {n} items to the queue ({m} were in it already)"),
    })
}

/// Completes the caller's review of `item` of `queue` (global ids) with
/// the review form's answers (`a[c<i>]` for the queue's i-th config, and
/// one `explanation`), or changes their answers to an item they reviewed
/// already. Goes on to the next item.
#[server(endpoint = "complete_review")]
pub async fn complete_review(
    queue: String,
    item: String,
    #[server(default)] a: HashMap<String, String>,
    #[server(default)] explanation: String,
) -> Result<(), ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let caller = super::caller();
    let (queue, item) = queue_and_item(&queue, &item)?;
    let rowid = store.queue_rowid(queue).await.map_err(super::server_error)?;
    let reviewer = store.queue_reviewer(rowid, &caller).await.map_err(super::server_error)?;
    let target = store.queue_item_target(rowid, item).await.map_err(super::server_error)?;
    let configs = store.queue_configs(rowid).await.map_err(super::server_error)?;
    let results = form_results(&configs, &a, &explanation).map_err(super::refused)?;
    let (kind, target_id) = target.annotated().map_err(super::server_error)?;
    let annotations = results
        .into_iter()
        .map(|(name, result)| {
            let new = crate::store::NewAnnotation {
                target_id: target_id.clone(),
                name,
                annotator_kind: crate::model::AnnotatorKind::Human,
                result,
                metadata: "{}".to_owned(),
                identifier: String::new(),
                source: crate::model::AnnotationSource::App,
                author: Default::default(),
                only_own: false,
            };
            new.reviewed_by(&caller)
        })
        .collect();
    store.complete_review(&target, &reviewer, (kind, annotations), true).await.map_err(super::server_error)?;
    leptos_axum::redirect(&format!("{}/review", queue_path(queue)));
    Ok(())
}

/// The queue and item ids a review form posts; 404 naming a bad one.
#[cfg(feature = "ssr")]
fn queue_and_item(queue: &str, item: &str) -> Result<(QueueId, crate::ids::QueueItemId), ServerFnError> {
    let queue = crate::store::parse_id(queue).map_err(super::server_error)?;
    Ok((queue, crate::store::parse_id(item).map_err(super::server_error)?))
}

/// Puts `item` of `queue` behind the caller's other items and goes on to the next.
#[server(endpoint = "skip_review")]
pub async fn skip_review(queue: String, item: String) -> Result<(), ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let (queue, item) = queue_and_item(&queue, &item)?;
    let rowid = store.queue_rowid(queue).await.map_err(super::server_error)?;
    let reviewer = store.queue_reviewer(rowid, &super::caller()).await.map_err(super::server_error)?;
    let target = store.queue_item_target(rowid, item).await.map_err(super::server_error)?;
    store.next_queue_item(rowid, &reviewer, Some(target.item_rowid)).await.map_err(super::server_error)?;
    leptos_axum::redirect(&format!("{}/review", queue_path(queue)));
    Ok(())
}

/// The annotations a review form says, one per config answered (name and
/// result): a categorical config's label (one of its values, with its
/// score), a continuous one's number (within its bounds), a free-form one's
/// text; the explanation goes with every label and score. A queue with
/// configs needs at least one answer.
#[cfg(feature = "ssr")]
fn form_results(
    configs: &[AnnotationConfig],
    answers: &HashMap<String, String>,
    explanation: &str,
) -> Result<Vec<(String, AnnotationResult)>, String> {
    let explanation = super::annotation_forms::non_blank(explanation.to_owned());
    let mut results = Vec::new();
    for (index, config) in configs.iter().enumerate() {
        let Some(answer) = answers.get(&format!("c{index}")).map(|a| a.trim()).filter(|a| !a.is_empty()) else {
            continue;
        };
        let name = config.data.name.clone();
        let result = match &config.data.kind {
            AnnotationConfigKind::Categorical { values, .. } => {
                let value = values
                    .iter()
                    .find(|value| value.label == answer)
                    .ok_or_else(|| format!("{answer:?} is not a label of {name}"))?;
                AnnotationResult {
                    label: Some(value.label.clone()),
                    score: value.score,
                    explanation: explanation.clone(),
                }
            }
            AnnotationConfigKind::Continuous { lower_bound, upper_bound, .. } => {
                let score = super::parse_score_field(answer)?.unwrap_or_default();
                if lower_bound.is_some_and(|low| score < low) || upper_bound.is_some_and(|high| score > high) {
                    return Err(format!("{score} is outside the range of {name}"));
                }
                AnnotationResult { label: None, score: Some(score), explanation: explanation.clone() }
            }
            AnnotationConfigKind::Freeform { .. } => {
                AnnotationResult { label: None, score: None, explanation: Some(answer.to_owned()) }
            }
        };
        results.push((name, result));
    }
    if results.is_empty() && !configs.is_empty() {
        return Err("Pick a label or give a value before submitting (s skips this item)".to_owned());
    }
    Ok(results)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::model::{AnnotationConfigData, CategoricalValue, OptimizationDirection};

    fn config(name: &str, kind: AnnotationConfigKind) -> AnnotationConfig {
        let kind_type = kind.global_type();
        AnnotationConfig {
            data: AnnotationConfigData { name: name.into(), kind },
            id: crate::ids::ConfigId { type_name: kind_type, rowid: 0 },
        }
    }

    #[test]
    fn review_forms_are_read_strictly() {
        let configs = vec![
            config(
                "correctness",
                AnnotationConfigKind::Categorical {
                    description: None,
                    optimization_direction: OptimizationDirection::Maximize,
                    values: vec![CategoricalValue { label: "correct".into(), score: Some(1.0) }],
                },
            ),
            config(
                "quality",
                AnnotationConfigKind::Continuous {
                    description: None,
                    optimization_direction: OptimizationDirection::Maximize,
                    lower_bound: Some(0.0),
                    upper_bound: Some(5.0),
                },
            ),
        ];
        let answers = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let results = form_results(&configs, &answers(&[("c0", "correct"), ("c1", "4")]), "fine").unwrap();
        assert_eq!(results[0].1.label.as_deref(), Some("correct"));
        assert_eq!(results[0].1.score, Some(1.0));
        assert_eq!(results[1].1.score, Some(4.0));
        assert_eq!(results[1].1.explanation.as_deref(), Some("fine"));
        assert!(form_results(&configs, &answers(&[("c0", "wrong")]), "").is_err());
        assert!(form_results(&configs, &answers(&[("c1", "9")]), "").is_err());
        assert!(form_results(&configs, &answers(&[]), "").is_err());
        assert!(form_results(&[], &answers(&[]), "").unwrap().is_empty());
        assert_eq!(whole_number_field(" ", "k", 1..=3), Ok(None));
        assert_eq!(whole_number_field("2", "k", 1..=3), Ok(Some(2)));
        assert!(whole_number_field("4", "k", 1..=3).is_err());
        assert_eq!(queue_path(QueueId(3)), "/queues/3");
    }
}
