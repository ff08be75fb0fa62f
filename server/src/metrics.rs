//! `GET /metrics`: what an operator's Prometheus scrapes, in its text format,
//! through the `metrics` facade and `metrics-exporter-prometheus`.
//!
//! - `plume_http_requests_total{route, method, status}` and
//!   `plume_http_request_duration_seconds{route, method}` (a histogram), where
//!   `route` is the REST route's template (`/v1/projects/{project}/spans`), or
//!   a class for the rest (`page`, `/api/{function}`, `/pkg/*`, `/share/{token}`,
//!   `/embed/*`): never a raw path, so the series stay few;
//! - from the writer (`app/src/store/writer.rs`): `plume_spans_written_total`,
//!   `plume_annotations_written_total`, `plume_writer_batch_jobs` (a histogram);
//! - read when scraped: `plume_writer_queue_jobs`, `plume_search_unindexed_spans`,
//!   `plume_db_connections{state="idle"|"busy"}`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::AppState;
use crate::error::ApiError;

/// Latency buckets, in seconds: from a cached page to a slow export.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The installed recorder and the route templates requests are labelled with.
#[derive(Clone, Debug)]
pub struct Metrics {
    handle: PrometheusHandle,
    routes: Arc<matchit::Router<&'static str>>,
}

impl Metrics {
    /// Installs the process's recorder (once, at start) and reads the REST
    /// routes' templates from the API's description.
    pub fn install() -> Result<Metrics, String> {
        let handle = builder()?.install_recorder().map_err(|e| e.to_string())?;
        Metrics::with(handle)
    }

    /// A recorder not installed for the process, and its metrics: for a
    /// server in a process of others ([`crate::InProcess`]), whose thread
    /// makes it its default.
    pub fn local() -> Result<(Metrics, PrometheusRecorder), String> {
        let recorder = builder()?.build_recorder();
        Ok((Metrics::with(recorder.handle())?, recorder))
    }

    /// The metrics that `handle` renders, with the REST routes' templates
    /// read from the API's description.
    fn with(handle: PrometheusHandle) -> Result<Metrics, String> {
        let mut routes = matchit::Router::new();
        for path in crate::api::document().paths.paths.keys() {
            // A few dozen templates, kept for the process's life: labels
            // that borrow them cost no allocation per request.
            let template: &'static str = Box::leak(path.clone().into_boxed_str());
            routes.insert(template, template).map_err(|e| format!("{path}: {e}"))?;
        }
        Ok(Metrics { handle, routes: Arc::new(routes) })
    }

    /// The `route` label of a request path.
    fn route(&self, path: &str) -> &'static str {
        if let Ok(found) = self.routes.at(path) {
            return found.value;
        }
        const CLASSES: [(&str, &str); 4] =
            [("/api/", "/api/{function}"), ("/pkg/", "/pkg/*"), ("/share/", "/share/{token}"), ("/embed/", "/embed/*")];
        CLASSES.iter().find(|(prefix, _)| path.starts_with(prefix)).map_or("page", |(_, class)| class)
    }
}

/// The recorder's settings: the latency histograms' buckets.
fn builder() -> Result<PrometheusBuilder, String> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .map_err(|e| e.to_string())
}

/// Counts and times every request (a layer of the edge stack, so refusals
/// by the checks in front of the handlers count too).
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = metrics.route(request.uri().path());
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    metrics::histogram!("plume_http_request_duration_seconds", "route" => route, "method" => method).record(elapsed);
    let status = response.status().as_u16().to_string();
    metrics::counter!("plume_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}

/// The `method` label: the standard methods by name, anything else `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] =
        [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD, Method::OPTIONS];
    const NAMES: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    KNOWN.iter().position(|known| known == method).map_or("other", |i| NAMES[i])
}

/// The metrics in Prometheus's text format.
#[utoipa::path(get, path = "/metrics", security(("bearer" = ["read"])), tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn serve(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let store = &state.store;
    metrics::gauge!("plume_writer_queue_jobs").set(store.writer().queued_jobs() as f64);
    metrics::gauge!("plume_search_unindexed_spans").set(store.unindexed_spans().await? as f64);
    let (open, idle) = store.connections();
    metrics::gauge!("plume_db_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("plume_db_connections", "state" => "busy").set((open as usize).saturating_sub(idle) as f64);
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.handle.render()))
}
