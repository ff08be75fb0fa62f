//! Command line and environment configuration.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Plume: collect and review feedback on LLM applications.
#[derive(Debug, Parser)]
#[command(name = "plume", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the UI, the REST API and OTLP (HTTP and gRPC).
    Serve(ServeArgs),
}

/// Options of `plume serve`; every flag also reads a `PLUME_*` variable.
#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Address to bind the HTTP and gRPC listeners to.
    #[arg(long, env = "PLUME_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// HTTP port: UI, REST API and OTLP/HTTP (`0` picks a free one).
    #[arg(long, env = "PLUME_PORT", default_value_t = 6006)]
    pub port: u16,
    /// OTLP/gRPC port (`0` picks a free one).
    #[arg(long, env = "PLUME_GRPC_PORT", default_value_t = 4317)]
    pub grpc_port: u16,
    /// Directory for the embedded SQLite database; created if missing.
    #[arg(long, env = "PLUME_DATA_DIR", default_value = "./plume-data")]
    pub data_dir: PathBuf,
    /// Database URL (`sqlite://…`); overrides `--data-dir`.
    #[arg(long, env = "PLUME_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Largest accepted request body in bytes, also after decompression.
    #[arg(long, env = "PLUME_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
}
