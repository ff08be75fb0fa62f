//! `/v1/webhooks` and `/v1/alert_rules`: where Plume posts annotation
//! events and alerts. Only members and admins manage them (`manage`): a
//! webhook's URL is often itself a secret (a Slack incoming webhook).

use app::model::{AlertRule, AlertRuleRequest, CreatedWebhook, Delivery, Webhook, WebhookPatch, WebhookRequest};
use app::store::parse_id;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Serialize;

use super::{Data, Params, no_content};
use crate::AppState;
use crate::error::ApiError;
use crate::json::JsonBody;

/// `POST /v1/webhooks` with `{"url", "events", "filter"?}`: the new
/// webhook's id and its signing secret (`whsec_…`), shown in this answer only.
#[utoipa::path(post, path = "/v1/webhooks", security(("bearer" = ["manage"])), tag = "webhooks",
    request_body = WebhookRequest, responses((status = 200, body = Data<CreatedWebhook>), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<WebhookRequest>,
) -> Result<impl IntoResponse, ApiError> {
    request.check().map_err(ApiError::Unprocessable)?;
    Ok(Json(Data { data: state.store.create_webhook(&request).await? }))
}

/// `GET /v1/webhooks`: every webhook (without secrets).
#[utoipa::path(get, path = "/v1/webhooks", security(("bearer" = ["manage"])), tag = "webhooks",
    responses((status = 200, body = Data<Vec<Webhook>>)))]
pub async fn list(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.list_webhooks().await? }))
}

/// `GET /v1/webhooks/{id}`.
#[utoipa::path(get, path = "/v1/webhooks/{id}", security(("bearer" = ["manage"])), tag = "webhooks",
    params(("id" = String, Path)), responses((status = 200, body = Data<Webhook>), (status = 404)))]
pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.webhook(parse_id(&id)?).await? }))
}

/// `PATCH /v1/webhooks/{id}` with any of `url`, `events`, `filter`: replaces those.
#[utoipa::path(patch, path = "/v1/webhooks/{id}", security(("bearer" = ["manage"])), tag = "webhooks",
    params(("id" = String, Path)), request_body = WebhookPatch,
    responses((status = 200, body = Data<Webhook>), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<WebhookPatch>,
) -> Result<impl IntoResponse, ApiError> {
    patch.check().map_err(ApiError::Unprocessable)?;
    Ok(Json(Data { data: state.store.update_webhook(parse_id(&id)?, &patch).await? }))
}

/// `DELETE /v1/webhooks/{id}`: with its alert rules and delivery log (204).
#[utoipa::path(delete, path = "/v1/webhooks/{id}", security(("bearer" = ["manage"])), tag = "webhooks",
    params(("id" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn remove(State(state): State<AppState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_webhook(parse_id(&id)?).await?;
    Ok(no_content())
}

/// `GET /v1/webhooks/{id}/deliveries?limit=`: the delivery log, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", security(("bearer" = ["manage"])), tag = "webhooks",
    params(("id" = String, Path), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Data<Vec<Delivery>>), (status = 404), (status = 422)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    Ok(Json(Data { data: state.store.list_deliveries(parse_id(&id)?, limit).await? }))
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery}/retry`: "send again", now,
/// with the same `webhook-id` (204).
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery}/retry", security(("bearer" = ["manage"])),
    tag = "webhooks", params(("id" = String, Path), ("delivery" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn redeliver(
    State(state): State<AppState>,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    state.store.redeliver(parse_id(&id)?, parse_id(&delivery)?).await?;
    Ok(no_content())
}

/// The event `POST /v1/webhooks/{id}/test` queued.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TestEvent {
    /// Its `webhook-id`.
    pub event_id: String,
}

/// `POST /v1/webhooks/{id}/test`: queues a `webhook.test` event for this webhook.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", security(("bearer" = ["manage"])), tag = "webhooks",
    params(("id" = String, Path)), responses((status = 200, body = Data<TestEvent>), (status = 404)))]
pub async fn test(State(state): State<AppState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let event_id = state.store.send_test_event(parse_id(&id)?).await?;
    Ok(Json(Data { data: TestEvent { event_id } }))
}

/// `POST /v1/alert_rules` with `{"webhook_id", "project", "filter", "threshold",
/// "window_seconds", "cooldown_seconds"}`: at least `threshold` matching
/// annotations within the window send one `alert` to the webhook, then it
/// stays quiet for the cool-down.
#[utoipa::path(post, path = "/v1/alert_rules", security(("bearer" = ["manage"])), tag = "webhooks",
    request_body = AlertRuleRequest, responses((status = 200, body = Data<AlertRule>), (status = 404), (status = 422)))]
pub async fn create_alert_rule(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<AlertRuleRequest>,
) -> Result<impl IntoResponse, ApiError> {
    request.check().map_err(ApiError::Unprocessable)?;
    Ok(Json(Data { data: state.store.create_alert_rule(&request).await? }))
}

/// `GET /v1/alert_rules`: every alert rule.
#[utoipa::path(get, path = "/v1/alert_rules", security(("bearer" = ["manage"])), tag = "webhooks",
    responses((status = 200, body = Data<Vec<AlertRule>>)))]
pub async fn list_alert_rules(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.list_alert_rules().await? }))
}

/// `DELETE /v1/alert_rules/{id}` (204).
#[utoipa::path(delete, path = "/v1/alert_rules/{id}", security(("bearer" = ["manage"])), tag = "webhooks",
    params(("id" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn remove_alert_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_alert_rule(parse_id(&id)?).await?;
    Ok(no_content())
}
