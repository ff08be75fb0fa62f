//! `POST /v1/traces`: OTLP over HTTP, protobuf or JSON, optionally compressed.

use std::io::Read;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::read::{GzDecoder, ZlibDecoder};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use super::budget::{self, Budget};
use super::{PROJECT_HEADER, decode};
use crate::AppState;
use crate::error::ApiError;

/// How the body is encoded.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Protobuf,
    Json,
}

/// Stores the spans of one export request; answers only after they are committed.
#[utoipa::path(post, path = "/v1/traces", security(("bearer" = ["ingest"])), tag = "traces",
    request_body(content = Vec<u8>, description = "OTLP ExportTraceServiceRequest",
        content_type = "application/x-protobuf"),
    responses((status = 200, description = "Stored; empty ExportTraceServiceResponse"),
        (status = 415), (status = 422), (status = 503, description = "Busy: retry after `Retry-After` seconds")))]
pub async fn export(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let format = format(&headers)?;
    let body = decompress(&headers, body, state.max_body_bytes)?;
    // Held until the writer answers: bounds the bytes all requests pin at once.
    let Some(_reservation) = state.otlp_budget.reserve(body.len()).await else {
        return Ok(busy(&state.otlp_budget));
    };
    let request = match format {
        Format::Protobuf => decode::protobuf_request(&body),
        Format::Json => decode::json_request(&body),
    }
    .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let project = headers.get(PROJECT_HEADER).and_then(|v| v.to_str().ok());
    let spans = decode::spans(request, project).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    state.store.writer().write_spans(spans).await?;

    // OTLP: the response uses the request's encoding.
    let response = ExportTraceServiceResponse { partial_success: None };
    Ok(match format {
        Format::Protobuf => {
            ([(header::CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"))], response.encode_to_vec())
                .into_response()
        }
        Format::Json => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], "{}").into_response(),
    })
}

/// 503 with `Retry-After`: OTLP exporters retry it with back-off.
fn busy(budget: &Budget) -> Response {
    let retry_after = HeaderValue::from(budget::RETRY_AFTER_SECONDS);
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, retry_after)], budget.busy_message()).into_response()
}

/// Reads the content type, ignoring parameters such as `charset`.
fn format(headers: &HeaderMap) -> Result<Format, ApiError> {
    let value = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Format::Protobuf),
        "application/json" => Ok(Format::Json),
        _ => Err(ApiError::UnsupportedMedia(format!(
            "Unsupported content type: {value:?}; use application/x-protobuf or application/json"
        ))),
    }
}

/// Undoes `Content-Encoding`, refusing to inflate past `limit` bytes.
pub(crate) fn decompress(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, ApiError> {
    let encoding =
        headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_ascii_lowercase();
    match encoding.as_str() {
        "" | "identity" => Ok(body),
        "gzip" | "x-gzip" => inflate(GzDecoder::new(body.as_ref()), limit, "gzip"),
        // HTTP's "deflate" is zlib-wrapped; some clients send raw deflate.
        "deflate" => inflate(ZlibDecoder::new(body.as_ref()), limit, "deflate")
            .or_else(|_| inflate(flate2::read::DeflateDecoder::new(body.as_ref()), limit, "deflate")),
        other => Err(ApiError::UnsupportedMedia(format!(
            "Unsupported content encoding: {other:?}; use gzip, deflate or none"
        ))),
    }
}

fn inflate(reader: impl Read, limit: usize, name: &str) -> Result<Bytes, ApiError> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| ApiError::Unprocessable(format!("Request body is not valid {name} data: {e}")))?;
    if out.len() > limit {
        return Err(ApiError::TooLarge(format!("Request body is larger than {limit} bytes once decompressed")));
    }
    Ok(out.into())
}
