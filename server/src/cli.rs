//! Command line and environment configuration.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    Serve(Box<ServeArgs>),
    /// Manage accounts on the database (works while the server runs).
    Users(UsersArgs),
    /// Bring the database's schema up to this version and exit (`serve` does
    /// it at start too; deploy pipelines run it alone, before the servers).
    Migrate(DatabaseArgs),
}

/// `plume users …`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: UsersCommand,
    /// The database (as `plume serve`'s).
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Base URL printed links start with (as `plume serve --public-url`).
    #[arg(long, env = "PLUME_PUBLIC_URL", default_value = "http://127.0.0.1:6006", global = true)]
    pub public_url: String,
}

/// The subcommands of `plume users`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Adds a user and prints a one-time link to set their password.
    Add {
        /// Their email (the login name).
        email: String,
        /// `admin`, `member`, `annotator` or `viewer`.
        #[arg(long, default_value = "viewer", value_parser = parse_role)]
        role: app::model::accounts::Role,
    },
    /// Prints a one-time link for an existing user to set a new password.
    Reset {
        /// Their email.
        email: String,
    },
    /// Lists the users.
    List,
}

/// Where the database is: a data directory, or a URL.
#[derive(Clone, Debug, Args)]
pub struct DatabaseArgs {
    /// Directory for the embedded SQLite database; created if missing.
    #[arg(long, env = "PLUME_DATA_DIR", default_value = "./plume-data", global = true)]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://…`, or `postgres://user:password@host/db` for
    /// several replicas on one PostgreSQL (15 or later); overrides `--data-dir`.
    #[arg(long, env = "PLUME_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    /// The database URL.
    pub fn url(&self) -> std::io::Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => app::store::Store::sqlite_url_in(&self.data_dir),
        }
    }
}

/// `on` or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Accounts, sessions and API keys; only the public surfaces answer without a credential.
    On,
    /// No accounts: whoever reaches the port may do anything (loopback only).
    Off,
}

fn parse_role(text: &str) -> Result<app::model::accounts::Role, String> {
    app::model::accounts::Role::parse(text)
        .ok_or_else(|| format!("unknown role {text:?} (admin, member, annotator or viewer)"))
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
    /// Once listening, writes the bound addresses to this file as JSON
    /// (`{"http": "http://…", "grpc": "http://…"}`), replacing it in one step:
    /// how tests and scripts learn the ports `--port 0` picked, without
    /// reading the log.
    #[arg(long, env = "PLUME_READY_FILE")]
    pub ready_file: Option<PathBuf>,
    /// On SIGTERM or SIGINT, keep serving this long with `/readyz` answering
    /// 503 before closing the listeners, so that a load balancer that polls
    /// `/readyz` stops sending requests first (e.g. `5s`; Kubernetes: more
    /// than the readiness probe's period).
    #[arg(long, env = "PLUME_SHUTDOWN_DELAY", default_value = "0s", value_parser = parse_duration)]
    pub shutdown_delay: Duration,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Accounts: `on` needs a login or an API key for everything but the
    /// public surfaces; `off` (the default) is for one person on this
    /// machine and is refused on a non-loopback `--host`.
    #[arg(long, env = "PLUME_AUTH", value_enum, default_value = "off")]
    pub auth: AuthMode,
    /// Serve a non-loopback `--host` with `--auth off` anyway (anyone who
    /// reaches the port may do anything; a warning is logged at every start).
    #[arg(long, env = "PLUME_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
    /// A browser session ends after this long without a request.
    #[arg(long, env = "PLUME_SESSION_IDLE_TIMEOUT", default_value = "7d", value_parser = parse_duration)]
    pub session_idle_timeout: Duration,
    /// A browser session ends this long after login, however active.
    #[arg(long, env = "PLUME_SESSION_MAX_AGE", default_value = "30d", value_parser = parse_duration)]
    pub session_max_age: Duration,
    /// With `--auth on` and no user yet: the first admin's email (containers).
    #[arg(long, env = "PLUME_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// The first admin's password (with `PLUME_ADMIN_EMAIL`), used only when no user exists.
    #[arg(long, env = "PLUME_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Largest accepted request body in bytes, also after decompression.
    #[arg(long, env = "PLUME_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Bytes of OTLP bodies (decompressed) being decoded and stored at once,
    /// over HTTP and gRPC together; past it a request waits briefly, then
    /// gets 503 / `UNAVAILABLE` with a retry hint.
    #[arg(long, env = "PLUME_MAX_INFLIGHT_OTLP_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_inflight_otlp_bytes: usize,
    /// How long a `sync=false` annotation whose span, trace or session has not
    /// arrived yet is kept waiting for it (`500ms`, `30s`, `10m`, `12h`, `7d`).
    #[arg(long, env = "PLUME_PENDING_ANNOTATION_TTL", default_value = "7d", value_parser = parse_duration)]
    pub pending_annotation_ttl: Duration,
    /// Secret signing feedback tokens (HS256, at least 32 bytes). When not
    /// given, one is generated and kept in the database (so every replica
    /// on it shares it).
    #[arg(long, env = "PLUME_FEEDBACK_SECRET", hide_env_values = true)]
    pub feedback_secret: Option<String>,
    /// Longest lifetime a feedback token may have (`24h`, `7d`, …).
    #[arg(long, env = "PLUME_FEEDBACK_MAX_TTL", default_value = "7d", value_parser = parse_duration)]
    pub feedback_max_ttl: Duration,
    /// Web origins allowed to embed the feedback widget and call
    /// `/v1/feedback` (comma-separated, e.g. `https://app.example`; `*` = any).
    #[arg(long, env = "PLUME_FEEDBACK_ORIGINS", value_delimiter = ',')]
    pub feedback_origins: Vec<String>,
    /// Vote requests a minute per feedback token (0 = no limit).
    #[arg(long, env = "PLUME_FEEDBACK_RATE_PER_TOKEN", default_value_t = 30)]
    pub feedback_rate_per_token: u32,
    /// Vote requests a minute per client IP (0 = no limit).
    #[arg(long, env = "PLUME_FEEDBACK_RATE_PER_IP", default_value_t = 300)]
    pub feedback_rate_per_ip: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client for the
    /// per-IP rate limits (comma-separated CIDRs or addresses, e.g.
    /// `10.0.0.0/8,::1`); without them the TCP peer is the client.
    #[arg(long, env = "PLUME_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::client_ip::parse_range)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `POST /v1/feedback_tokens` requests a minute per client IP (0 = no limit).
    #[arg(long, env = "PLUME_MINT_RATE_PER_IP", default_value_t = 600)]
    pub mint_rate_per_ip: u32,
    /// Public-link page views (`/share/…`) a minute per client IP (0 = no limit).
    #[arg(long, env = "PLUME_SHARE_RATE_PER_IP", default_value_t = 120)]
    pub share_rate_per_ip: u32,
    /// Base URL of this server as browsers reach it (for `widget_url`);
    /// default: `http://` + the request's Host.
    #[arg(long, env = "PLUME_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Further `Host` names this server answers to (comma-separated, e.g.
    /// `plume.internal,10.0.0.5`; `*` = any). `localhost`, `127.0.0.1`,
    /// `[::1]`, the `--host` address and `--public-url`'s host always are;
    /// any other `Host` gets a 421, which stops DNS-rebinding pages.
    #[arg(long, env = "PLUME_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// How long a client may take to send a request's headers before its
    /// connection is closed (slow-header attacks).
    #[arg(long, env = "PLUME_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,
    /// How long a request may take until its response starts (408 after that;
    /// an export already streaming is not cut off). Also bounds gRPC calls.
    #[arg(long, env = "PLUME_REQUEST_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Requests handled at once, HTTP and gRPC together; more are refused at
    /// once (503, gRPC `RESOURCE_EXHAUSTED`) instead of queueing without bound.
    #[arg(long, env = "PLUME_MAX_CONCURRENT_REQUESTS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_requests: u32,
    /// File holding the key (32 bytes, base64) that encrypts webhook secrets
    /// in the database; default `<data-dir>/secret-key`, created on first
    /// use (mode 0600). Every replica of one database needs the same key.
    #[arg(long, env = "PLUME_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Delay before the first retry of a failed webhook delivery; each
    /// further one doubles it (with jitter). For tests.
    #[arg(long, env = "PLUME_WEBHOOK_RETRY_BASE", default_value = "2s", value_parser = parse_duration, hide = true)]
    pub webhook_retry_base: Duration,
    /// How often the retention sweep applies the projects' retention rules
    /// (`PATCH /v1/projects/{p}/retention`). Hidden: for tests.
    #[arg(long, env = "PLUME_RETENTION_SWEEP_INTERVAL", default_value = "10m", value_parser = parse_duration, hide = true)]
    pub retention_sweep_interval: Duration,
    /// Also serve the feedback demo (a chat page with the widget) on `--demo-port`.
    #[arg(long, env = "PLUME_DEMO")]
    pub demo: bool,
    /// Port of the demo page (`0` picks a free one).
    #[arg(long, env = "PLUME_DEMO_PORT", default_value_t = 6007)]
    pub demo_port: u16,
}

/// A number followed by `ms`, `s`, `m`, `h` or `d` (plain numbers are seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("not a duration: {text:?}"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        "d" => number * 86_400.0,
        other => return Err(format!("unknown duration unit {other:?} (use ms, s, m, h or d)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }
}
