//! OTLP ingestion: requests come in over HTTP ([`http`]) or gRPC ([`grpc`]),
//! are decoded into rows ([`decode`]) and handed to the store's batching writer,
//! all within one byte [`budget`].

pub mod budget;
pub mod decode;
pub mod grpc;
pub mod http;

/// Header naming the project, ahead of the resource attribute.
pub const PROJECT_HEADER: &str = "x-project-name";
