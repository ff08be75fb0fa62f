//! What every request passes through before a handler, so that Plume can be
//! reached by browsers and other machines safely: the `Host` check against
//! DNS rebinding ([`hosts`]), the same-origin check against cross-site
//! forms ([`same_origin`]), security headers ([`security_headers`]), the
//! request log with its request id ([`request_log`]), and the resource
//! limits: a header-read timeout on connections ([`connections`]), a timeout
//! per request and a bound on requests in progress (HTTP and gRPC).

pub mod connections;
pub mod hosts;
pub mod request_log;
pub mod same_origin;
pub mod security_headers;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower::layer::util::{Identity, Stack};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{Service, ServiceBuilder};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::cli::ServeArgs;

/// gRPC calls in progress on one connection (also its HTTP/2 stream limit,
/// so a client queues rather than being refused).
const GRPC_CALLS_PER_CONNECTION: u32 = 128;

/// The settings of the checks and limits, from the command line.
#[derive(Clone, Debug)]
pub struct Edge {
    hosts: Arc<hosts::AllowedHosts>,
    own_origin: Arc<same_origin::OwnOrigin>,
    /// See `--header-read-timeout`.
    pub header_read_timeout: Duration,
    request_timeout: Duration,
    /// Requests in progress, HTTP and gRPC together (`--max-concurrent-requests`).
    permits: Arc<Semaphore>,
}

impl Edge {
    /// Checks the flags. A non-loopback `--host` needs `--public-url`: the
    /// server is then reached by a name that the `Host` check must know.
    pub fn new(args: &ServeArgs) -> Result<Edge, String> {
        if !args.host.is_loopback() && args.public_url.is_none() {
            return Err(format!(
                "--host {} makes Plume reachable from other machines: also set --public-url (PLUME_PUBLIC_URL) \
                 to the address browsers use, e.g. --public-url http://plume.example:{}; other names it is \
                 reached by go in --allowed-hosts",
                args.host, args.port
            ));
        }
        let public_url = args.public_url.as_deref();
        Ok(Edge {
            hosts: Arc::new(hosts::AllowedHosts::new(args.host, public_url, &args.allowed_hosts)?),
            own_origin: Arc::new(same_origin::OwnOrigin::new(public_url)),
            header_read_timeout: args.header_read_timeout,
            request_timeout: args.request_timeout,
            permits: Arc::new(Semaphore::new(usize::try_from(args.max_concurrent_requests).unwrap_or(usize::MAX))),
        })
    }

    /// `app` behind the checks and limits, outermost first: request id and
    /// log, the request metrics, `nosniff`, the `Host` check, the bound on requests in progress
    /// (503 beyond it), the request timeout (408 when no response has started
    /// by then; a streaming export is not cut off), the same-origin check,
    /// the page headers, then authentication ([`crate::auth::check`]: 401,
    /// login redirect or 403, answered with the page headers). One tower stack around the whole router, not
    /// `Router::layer`: that would wrap every route in each layer, boxed, and
    /// each request would pay a clone and an allocation per layer.
    pub fn protect(
        &self,
        app: Router,
        auth: crate::auth::Auth,
        metrics: crate::metrics::Metrics,
    ) -> impl Service<Request<Body>, Response = Response, Error = Infallible, Future: Send + 'static> + Clone + Send + 'static
    {
        let overloaded = HandleErrorLayer::new(|_: tower::BoxError| async {
            (StatusCode::SERVICE_UNAVAILABLE, "Too many requests in progress; try again shortly\n").into_response()
        });
        ServiceBuilder::new()
            .map_response(IntoResponse::into_response)
            .layer(request_log::set_request_id())
            .layer(request_log::trace())
            .layer(request_log::propagate_request_id())
            .layer(axum::middleware::from_fn_with_state(metrics, crate::metrics::track))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(axum::middleware::from_fn_with_state(self.hosts.clone(), hosts::check))
            .layer(overloaded)
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::with_semaphore(self.permits.clone()))
            .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, self.request_timeout))
            .layer(axum::middleware::from_fn_with_state(self.own_origin.clone(), same_origin::check))
            .layer(axum::middleware::from_fn(security_headers::add))
            .layer(axum::middleware::from_fn_with_state(auth, crate::auth::check))
            .service(app)
    }

    /// `app` behind the `Host` check alone (also used for the demo's server).
    pub fn check_hosts(&self, app: Router) -> Router {
        app.layer(axum::middleware::from_fn_with_state(self.hosts.clone(), hosts::check))
    }

    /// The gRPC server with the same limits: call timeout, the shared bound on
    /// requests in progress (`RESOURCE_EXHAUSTED` beyond it), a per-connection
    /// bound, and HTTP/2 keepalive pings that drop dead peers. No `Host`
    /// check: browsers cannot speak gRPC (HTTP/2 without TLS, with trailers),
    /// so a rebinding page cannot reach it, and exporters may name the
    /// server any way they like.
    pub fn grpc_server(&self) -> tonic::transport::Server<Stack<GlobalConcurrencyLimitLayer, Identity>> {
        tonic::transport::Server::builder()
            .timeout(self.request_timeout)
            .load_shed(true)
            .concurrency_limit_per_connection(GRPC_CALLS_PER_CONNECTION as usize)
            .max_concurrent_streams(GRPC_CALLS_PER_CONNECTION)
            .http2_keepalive_interval(Some(Duration::from_secs(60)))
            .http2_keepalive_timeout(Some(Duration::from_secs(20)))
            .layer(GlobalConcurrencyLimitLayer::with_semaphore(self.permits.clone()))
    }
}
