//! Plume's integration tests: one test binary (linking it once is much faster
//! than once per file), one module per area. Each test starts a real server
//! on ephemeral ports with its own temporary SQLite file ([`common::Server`]):
//! in this process, on a runtime of its own (`server::InProcess`), or as a
//! `plume` process when the test signals or kills it. So tests run in parallel
//! without sharing state. On PostgreSQL (`PLUME_TEST_DATABASE=postgres`) the
//! servers share one PostgreSQL server ([`common::postgres`]), each with a
//! database of its own.

mod common;

mod accounts;
mod agreement;
mod auth_matrix;
mod collections;
mod datasets;
mod deletes;
mod document_annotations;
mod feedback;
mod hardening;
mod hostile_spans;
mod http_edge;
mod ingest;
mod notes_and_configs;
mod operations;
mod postgres;
mod public_links;
mod queues;
mod read_api;
mod replicas;
mod search;
mod sessions;
mod settings_pages;
mod span_annotations;
mod span_queries;
mod ui_pages;
mod webhooks;
