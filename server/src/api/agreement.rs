//! `GET /v1/projects/{p}/annotation_agreement` and
//! `POST /v1/projects/{p}/span_annotations/bulk`: whether annotators agree
//! on one annotation name, and one annotation on every span of a selection.

use app::model::{Agreement, AnnotationResult, AnnotationSource, AnnotatorKind, NOTE_NAME};
use app::store::{NewAnnotation, Selection};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::collections::selection_of;
use super::{Data, Params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;
use app::model::accounts::Principal;

/// `GET /v1/projects/{project}/annotation_agreement?name=`
#[utoipa::path(get, path = "/v1/projects/{project}/annotation_agreement", security(("bearer" = ["read"])),
    tag = "annotations",
    description = "Agreement between annotators on one annotation name, over the span and trace annotations of \
        the project that two or more annotators rated (an annotator: the annotation's user, else its identifier, \
        else its annotator_kind). `cohen_kappa` is null unless exactly two annotators; `krippendorff_alpha.interval` \
        is null without scores; `human_vs_llm` is null when no target has both a HUMAN and an LLM rating. \
        `disagreements` lists at most the first 100 targets whose values differ; `disagreement_count` counts them all.",
    params(("project" = String, Path), ("name" = String, Query, description = "The annotation name")),
    responses((status = 200, body = Data<Agreement>), (status = 404), (status = 422)))]
pub async fn agreement(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<Json<Data<Agreement>>, ApiError> {
    let Some(name) = params.non_empty("name") else {
        return Err(ApiError::query("name", "Field required", Value::Null));
    };
    Ok(Json(Data { data: state.store.annotation_agreement(&project, name).await? }))
}

/// Body of `POST /v1/projects/{project}/span_annotations/bulk`: exactly one
/// of `filter` and `collection_id`, and the annotation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAnnotate {
    /// A span filter, as `POST /v1/collections/{id}/items` takes it: any of the
    /// spans listing's filters (`span_kind`, `status_code`, `name`, `attribute`
    /// as `key:value`, `trace_id`, `parent_id`, `start_time`, `end_time`);
    /// `project`, if given, must be the path's.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Map<String, Value>>,
    /// A collection's global id: its spans in this project.
    pub collection_id: Option<String>,
    /// What to write on each span.
    pub annotation: BulkAnnotation,
}

/// The annotation a bulk request writes, as the caller, `annotator_kind` HUMAN.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAnnotation {
    /// What is judged.
    pub name: String,
    /// A category.
    #[serde(default)]
    pub label: Option<String>,
    /// A number.
    #[serde(default)]
    pub score: Option<f64>,
    /// Free text.
    #[serde(default)]
    pub explanation: Option<String>,
    /// Kept apart per user as for single annotations (`user:<id>:…`).
    #[serde(default)]
    pub identifier: String,
}

/// How many spans a bulk request annotated.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Annotated {
    /// Spans annotated (new or replaced annotations).
    pub annotated: u64,
}

/// `POST /v1/projects/{project}/span_annotations/bulk`
#[utoipa::path(post, path = "/v1/projects/{project}/span_annotations/bulk", security(("bearer" = ["annotate"])),
    tag = "annotations",
    description = "Writes one annotation on every span of a selection (a span filter or a collection), in one \
        transaction: all selected spans get it, or none does. At most 10,000 spans: a larger selection is refused \
        with 422 before anything is written. Replacing someone else's annotation (same name and identifier) needs \
        the admin permission (403).",
    params(("project" = String, Path)), request_body = BulkAnnotate,
    responses((status = 200, body = Data<Annotated>), (status = 403), (status = 404), (status = 422)))]
pub async fn bulk_annotate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(project): Path<String>,
    JsonBody(body): JsonBody<BulkAnnotate>,
) -> Result<Json<Data<Annotated>>, ApiError> {
    state.store.project_rowid(&project).await?;
    let selection = match (body.filter, body.collection_id) {
        (Some(mut filter), None) => {
            match filter.get("project") {
                None => {
                    filter.insert("project".into(), Value::String(project.clone()));
                }
                Some(Value::String(given)) if *given == project => {}
                Some(other) => {
                    return Err(ApiError::body_field(
                        &["filter", "project"],
                        "value_error",
                        "The filter's project must be the path's project",
                        other.clone(),
                    ));
                }
            }
            selection_of(filter)?
        }
        (None, Some(collection)) => Selection::Collection { collection, project: Some(project) },
        _ => {
            return Err(ApiError::body_field(
                &[],
                "value_error",
                "Give exactly one of filter and collection_id",
                Value::Null,
            ));
        }
    };
    let annotation = bulk_annotation(&caller, body.annotation)?;
    let annotated = state.store.annotate_selection(&selection, &annotation).await?;
    Ok(Json(Data { data: Annotated { annotated } }))
}

/// The validated annotation, written as the caller through the API.
fn bulk_annotation(caller: &Principal, input: BulkAnnotation) -> Result<NewAnnotation, ApiError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(ApiError::body_field(&["annotation", "name"], "string_too_short", "Name the annotation", ""));
    }
    if name == NOTE_NAME {
        return Err(ApiError::BadRequest(format!("The annotation name '{NOTE_NAME}' is reserved for notes")));
    }
    if input.label.is_none() && input.score.is_none() && input.explanation.is_none() {
        return Err(ApiError::body_field(
            &["annotation"],
            "value_error",
            "Give a label, a score or an explanation",
            Value::Null,
        ));
    }
    Ok(NewAnnotation {
        target_id: String::new(),
        name: name.to_owned(),
        annotator_kind: AnnotatorKind::Human,
        result: AnnotationResult { label: input.label, score: input.score, explanation: input.explanation },
        metadata: "{}".to_owned(),
        identifier: caller.own_identifier(&input.identifier),
        source: AnnotationSource::Api,
        author: caller.author(),
        only_own: caller.own_work_only().is_some(),
    })
}
