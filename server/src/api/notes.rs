//! Notes: `POST /v1/span_notes`, `/v1/trace_notes`, `/v1/session_notes`. A
//! note is a `HUMAN` annotation named `note` whose explanation is the text;
//! without an identifier each note gets a fresh one, so notes accumulate.

use app::model::{
    AnnotationInput, AnnotationResult, AnnotationSource, AnnotatorKind, InsertedId, NOTE_NAME, NoteRequest,
    SessionTarget, SpanTarget, Target, TraceTarget,
};
use app::store::{NewAnnotation, WriteMode};
use axum::Json;
use axum::extract::State;

use super::Data;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;
use app::model::accounts::Principal;

/// Request bodies by target (plain names, as utoipa wants for schemas).
type SpanNote = NoteRequest<SpanTarget>;
type TraceNote = NoteRequest<TraceTarget>;
type SessionNote = NoteRequest<SessionTarget>;

/// What a note route answers.
pub type Noted = Json<Data<InsertedId>>;

/// Writes one note; its target must exist (404).
pub async fn create<T: Target>(state: &AppState, caller: &Principal, body: NoteRequest<T>) -> Result<Noted, ApiError> {
    let note = body.data;
    let identifier = match note.identifier.filter(|i| !i.is_empty()) {
        Some(identifier) => identifier,
        None => format!("px-{}-note:{:032x}", T::KIND.as_str(), rand::random::<u128>()),
    };
    let mut input = AnnotationInput::<T>::new(note.target_id, NOTE_NAME.to_owned(), AnnotatorKind::Human);
    input.result = Some(AnnotationResult { label: None, score: None, explanation: Some(note.note) });
    input.identifier = identifier;
    let only_own = caller.own_work_only().is_some();
    let item = NewAnnotation { only_own, ..NewAnnotation::from_input(input, AnnotationSource::Api, caller.author()) };
    let ids = state.store.writer().write_annotations(T::KIND, vec![item], WriteMode::Sync).await?;
    let id = ids.first().copied().ok_or_else(|| ApiError::Store(app::store::Error::Closed))?;
    Ok(Json(Data { data: InsertedId { id: app::ids::AnnotationId { kind: T::KIND, rowid: id } } }))
}

/// `POST /v1/span_notes`
#[utoipa::path(post, path = "/v1/span_notes", security(("bearer" = ["annotate"])), tag = "annotations", request_body = SpanNote,
    responses((status = 200, body = Data<InsertedId>), (status = 404), (status = 422)))]
pub async fn create_span_note(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<SpanNote>,
) -> Result<Noted, ApiError> {
    create(&state, &caller, body).await
}

/// `POST /v1/trace_notes`
#[utoipa::path(post, path = "/v1/trace_notes", security(("bearer" = ["annotate"])), tag = "annotations", request_body = TraceNote,
    responses((status = 200, body = Data<InsertedId>), (status = 404), (status = 422)))]
pub async fn create_trace_note(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<TraceNote>,
) -> Result<Noted, ApiError> {
    create(&state, &caller, body).await
}

/// `POST /v1/session_notes`
#[utoipa::path(post, path = "/v1/session_notes", security(("bearer" = ["annotate"])), tag = "annotations", request_body = SessionNote,
    responses((status = 200, body = Data<InsertedId>), (status = 404), (status = 422)))]
pub async fn create_session_note(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<SessionNote>,
) -> Result<Noted, ApiError> {
    create(&state, &caller, body).await
}
