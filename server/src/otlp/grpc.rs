//! OTLP over gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`.

use app::store::Store;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::{PROJECT_HEADER, decode};

/// The gRPC trace service, writing through the same store as HTTP.
#[derive(Clone, Debug)]
pub struct Traces {
    store: Store,
}

/// The service, ready for a tonic server, accepting gzip and messages up to `max_bytes`.
pub fn service(store: Store, max_bytes: usize) -> TraceServiceServer<Traces> {
    TraceServiceServer::new(Traces { store })
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Deflate)
        .max_decoding_message_size(max_bytes)
}

#[tonic::async_trait]
impl TraceService for Traces {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
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
