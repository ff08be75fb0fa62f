//! OTLP over gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`.

use app::store::Store;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message as _;
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::budget::Budget;
use super::{PROJECT_HEADER, decode};

/// The gRPC trace service, writing through the same store as HTTP.
#[derive(Clone, Debug)]
pub struct Traces {
    store: Store,
    budget: Budget,
    auth: crate::auth::Auth,
}

/// The service, ready for a tonic server, accepting gzip and messages up to
/// `max_bytes`, sharing the byte `budget` with OTLP/HTTP.
pub fn service(store: Store, max_bytes: usize, budget: Budget, auth: crate::auth::Auth) -> TraceServiceServer<Traces> {
    TraceServiceServer::new(Traces { store, budget, auth })
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Deflate)
        .max_decoding_message_size(max_bytes)
}

impl Traces {
    /// With auth on, the call needs an API key allowing ingestion in its
    /// `authorization` metadata (`Bearer plume_…`), as OTLP exporters send
    /// it from `OTEL_EXPORTER_OTLP_HEADERS`.
    async fn authorize<T>(&self, request: &Request<T>) -> Result<(), Status> {
        if !self.auth.enabled() {
            return Ok(());
        }
        let value = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
        let value = value.and_then(|v| axum::http::HeaderValue::from_str(v).ok());
        let principal = self.auth.key_principal(value.as_ref()).await.map_err(|error| {
            tracing::error!(%error, "looking up an API key failed");
            Status::internal("checking the API key failed")
        })?;
        match principal {
            None => Err(Status::unauthenticated("send an API key: authorization: Bearer <key>")),
            Some(p) if !p.can(app::model::accounts::Permission::Ingest) => {
                Err(Status::permission_denied("this key may not send traces (needs the ingest scope)"))
            }
            Some(_) => Ok(()),
        }
    }
}

#[tonic::async_trait]
impl TraceService for Traces {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.authorize(&request).await?;
        // tonic has decoded the message already; its encoded size stands for
        // the memory it and its rows hold until the writer answers.
        let _reservation = self
            .budget
            .reserve(request.get_ref().encoded_len())
            .await
            .ok_or_else(|| Status::unavailable(self.budget.busy_message()))?;
        let project = request.metadata().get(PROJECT_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let spans = decode::spans(request.into_inner(), project.as_deref())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        self.store.writer().write_spans(spans).await.map_err(|error| {
            tracing::error!(%error, "gRPC export failed");
            Status::internal("storing the spans failed")
        })?;
        Ok(Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}
