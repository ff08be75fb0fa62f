//! The `plume` server, as a library: the binary (`main.rs`) only calls
//! [`run`], and the integration tests start servers with [`InProcess`].
//! Serves the UI (Leptos SSR + hydration), the REST API and OTLP ingestion
//! over HTTP and gRPC, all backed by one store.
//!
//! Data flow: OTLP in ([`otlp::http`], [`otlp::grpc`]) → [`otlp::decode`] →
//! the store's batching writer → database; REST handlers ([`api`]) and the UI's
//! server functions → the same store reads → shared types → JSON or HTML.

mod api;
mod assets;
mod auth;
mod cli;
mod client_ip;
mod demo;
mod edge;
mod error;
mod feedback;
mod json;
mod metrics;
mod otlp;
mod rate_limit;
mod retention;
mod server_fns;
mod theme;
mod users_cli;
mod webhooks;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use app::store::{Store, StoreOptions};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;

use crate::cli::{Cli, Command, ServeArgs};

/// What every handler can reach. Cheap to clone, one reference count: axum
/// clones the state for every request, once per handler and middleware
/// holding it, and the Leptos settings alone are a dozen strings.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// The contents of [`AppState`].
#[derive(Debug)]
pub struct Shared {
    /// The database.
    pub store: Store,
    /// Leptos's site settings.
    pub leptos_options: LeptosOptions,
    /// Body limit, also applied after decompression.
    pub max_body_bytes: usize,
    /// Bytes of OTLP requests being decoded and stored, shared with gRPC.
    pub otlp_budget: otlp::budget::Budget,
    /// Feedback tokens, the widget and the vote endpoint.
    pub feedback: feedback::Feedback,
    /// Proxies whose `X-Forwarded-For` names the client, for per-IP limits.
    pub trusted_proxies: client_ip::TrustedProxies,
    /// Public-link page views a minute per client IP.
    pub share_limit: rate_limit::RateLimiter,
    /// Accounts: who each request is and what it may do.
    pub auth: auth::Auth,
    /// Counters and histograms for `/metrics`.
    pub metrics: metrics::Metrics,
    /// Set once SIGTERM or SIGINT arrived: `/readyz` answers 503 while the
    /// server keeps serving for `--shutdown-delay`.
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What `leptos_axum` takes from the state to render pages.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// What the [`client_ip::ClientIp`] extractor takes from the state.
impl FromRef<AppState> for client_ip::TrustedProxies {
    fn from_ref(state: &AppState) -> client_ip::TrustedProxies {
        state.trusted_proxies.clone()
    }
}

/// Runs the command line's command (`plume serve`, `plume migrate`, `plume
/// users …`) with logs on stderr; the process's exit code.
pub async fn run() -> ExitCode {
    // A line per request at info: written by a background thread, so that
    // request handlers never wait on the terminal or the log file.
    let (log_writer, _flush_on_exit) = tracing_appender::non_blocking(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(log_writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => match metrics::Metrics::install() {
            Ok(metrics) => serve(*args, metrics, shutdown_signal()).await,
            Err(error) => Err(error.into()),
        },
        Command::Users(args) => users_cli::run(args).await,
        Command::Migrate(database) => migrate(database).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// `plume migrate`: the schema up to this version, nothing else.
async fn migrate(database: cli::DatabaseArgs) -> Result<(), Box<dyn std::error::Error>> {
    let version = app::store::Store::migrate(&database.url()?).await?;
    println!("database migrated: schema version {version}");
    Ok(())
}

/// A `plume serve` running on a runtime of its own, in this process: what the
/// integration tests start for each test (a process per test costs its
/// start-up, and its panics and logs are out of the test's sight).
///
/// Dropping it stops the server at once, as `kill -9` stops the binary: its
/// tasks and connections are dropped, and what was not committed is not
/// (what was acknowledged was). A graceful stop would wait for the clients
/// to hang up, and a test's clients cannot while the test waits in `drop`.
pub struct InProcess {
    kill: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl InProcess {
    /// Starts `plume serve` with `flags` (as on the command line, after
    /// `serve`) on a new thread; flags left out take their environment
    /// variable or default, as for the binary. Readiness is the binary's
    /// too: `--ready-file` is written once both listeners are bound.
    ///
    /// The server runs on a multi-thread runtime of its own, as the binary's
    /// `#[tokio::main]` does: a one-thread runtime is not what users run, and
    /// it once left a page pending until its timeout while the binary's
    /// runtime never did.
    ///
    /// Its metrics go to a recorder of its own, the default of each of its
    /// runtime's threads, so that servers side by side each count only their
    /// own requests; the recorder lives as long as the process (a few
    /// kilobytes per server). Its logs go to whatever `tracing` subscriber
    /// the process has.
    pub fn start(flags: &[String]) -> Result<InProcess, String> {
        let argv = ["plume", "serve"].into_iter().map(str::to_owned).chain(flags.iter().cloned());
        let Command::Serve(args) = Cli::try_parse_from(argv).map_err(|e| e.to_string())?.command else {
            unreachable!("the arguments start with `serve`")
        };
        let (metrics, recorder) = metrics::Metrics::local()?;
        // The threads' default recorder must outlive them: leaked, as the
        // binary's global one is never dropped either.
        let recorder: &'static _ = Box::leak(Box::new(recorder));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("plume-serve")
            .on_thread_start(move || std::mem::forget(::metrics::set_default_local_recorder(recorder)))
            .build()
            .map_err(|e| e.to_string())?;
        let (kill, killed) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("plume-serve".into())
            .spawn(move || {
                let result = runtime.block_on(async move {
                    // Spawned, so that the server runs on the workers (where
                    // the recorder is), not on this thread.
                    let server = tokio::spawn(async move {
                        serve(*args, metrics, std::future::pending()).await.map_err(|e| e.to_string())
                    });
                    tokio::select! {
                        result = server => result.unwrap_or_else(|panic| Err(panic.to_string())),
                        _ = killed => Ok(()),
                    }
                });
                runtime.shutdown_timeout(std::time::Duration::from_secs(5));
                result
            })
            .map_err(|e| e.to_string())?;
        Ok(InProcess { kill: Some(kill), thread: Some(thread) })
    }

    /// Whether the server has stopped (it failed to start, say).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(std::thread::JoinHandle::is_finished)
    }
}

impl Drop for InProcess {
    /// Stops the server at once and waits for its thread.
    fn drop(&mut self) {
        drop(self.kill.take());
        let ended = self.thread.take().map(std::thread::JoinHandle::join);
        match ended {
            Some(Ok(Err(error))) => tracing::error!("the server stopped with an error: {error}"),
            Some(Err(_)) => tracing::error!("the server's thread panicked"),
            Some(Ok(Ok(()))) | None => {}
        }
    }
}

/// `plume serve`: runs until `shutdown` completes (SIGINT or SIGTERM, for the
/// binary), then (after `--shutdown-delay`) lets in-flight requests and
/// writes finish.
async fn serve(
    args: ServeArgs,
    metrics: metrics::Metrics,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    let edge = edge::Edge::new(&args)?;
    let insecure = check_auth_mode(&args)?;
    let url = args.database.url()?;
    let http = TcpListener::bind(SocketAddr::new(args.host, args.port)).await?;
    let grpc = TcpListener::bind(SocketAddr::new(args.host, args.grpc_port)).await?;
    let http_addr = http.local_addr()?;
    let grpc_addr = grpc.local_addr()?;
    let options = StoreOptions {
        pending_annotation_ttl: args.pending_annotation_ttl,
        webhook_key: webhooks::key_file::load_or_create(args.secret_key_file.as_deref(), &args.database.data_dir)?,
        // Links in webhook payloads: the public URL, else this listener.
        public_url: args.public_url.clone().unwrap_or_else(|| format!("http://{http_addr}")),
    };
    let (store, writer) = Store::open_with(&url, options).await?;
    let auth = auth_service(&args, &store).await?;

    let leptos_options = LeptosOptions::builder()
        .output_name("plume")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .site_addr(http_addr)
        .build();
    let demo = match args.demo {
        true => Some(TcpListener::bind(SocketAddr::new(args.host, args.demo_port)).await?),
        false => None,
    };
    let feedback = feedback_service(&args, demo.as_ref(), &store).await?;
    let otlp_budget = otlp::budget::Budget::new(args.max_inflight_otlp_bytes);
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let state = AppState(Arc::new(Shared {
        store: store.clone(),
        leptos_options,
        max_body_bytes: args.max_body_bytes,
        otlp_budget: otlp_budget.clone(),
        feedback,
        trusted_proxies: client_ip::TrustedProxies::new(args.trusted_proxies.clone()),
        share_limit: rate_limit::RateLimiter::new(args.share_rate_per_ip, "share-ip", &store),
        auth: auth.clone(),
        metrics: metrics.clone(),
        stopping: stopping.clone(),
    }));
    let demo = demo.map(|listener| (listener, state.clone()));
    let app = edge.protect(router(state), auth.clone(), metrics);
    let grpc_service = otlp::grpc::service(store.clone(), args.max_body_bytes, otlp_budget, auth);
    let deliverer_store = store.clone();
    let sweep_store = store.clone();
    drop(store);

    let (stop, stopped) = watch::channel(false);
    let shutdown_delay = args.shutdown_delay;
    tokio::spawn(async move {
        shutdown.await;
        stopping.store(true, std::sync::atomic::Ordering::Relaxed);
        if !shutdown_delay.is_zero() {
            tracing::info!(?shutdown_delay, "shutting down: /readyz answers 503, serving on meanwhile");
            tokio::time::sleep(shutdown_delay).await;
        }
        tracing::info!("shutting down: finishing in-flight requests and writes");
        let _ = stop.send(true);
    });
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };

    let deliverer = tokio::spawn(webhooks::deliverer::run(
        deliverer_store,
        webhooks::deliverer::Settings { retry_base: args.webhook_retry_base },
        until_stopped(),
    ));
    let sweep = tokio::spawn(retention::run(sweep_store, args.retention_sweep_interval, until_stopped()));
    let demo_task = match demo {
        Some((listener, state)) => {
            Some(demo::spawn(listener, state, &edge, http_addr, args.public_url.clone(), until_stopped())?)
        }
        None => None,
    };

    let database = redacted(&url);
    tracing::info!("plume listening on http://{http_addr} (OTLP/gRPC on {grpc_addr}), database {database}");
    if let Some(path) = &args.ready_file {
        write_ready_file(path, http_addr, grpc_addr)?;
    }
    if insecure {
        tracing::warn!(
            "--insecure-no-auth: Plume listens on {} without accounts; anyone who reaches it may read, change and \
             delete everything",
            args.host
        );
    }
    let http_server = edge::connections::serve(http, app, edge.header_read_timeout, until_stopped());
    let grpc_server = edge
        .grpc_server()
        .add_service(grpc_service)
        .serve_with_incoming_shutdown(tokio_stream::wrappers::TcpListenerStream::new(grpc), until_stopped());
    let ((), grpc_result) = tokio::join!(http_server, grpc_server);
    grpc_result?;
    if let Some(task) = demo_task {
        let _ = task.await;
    }
    // Every Store clone is gone with the servers and the deliverer: the
    // writer drains and stops.
    let _ = deliverer.await;
    let _ = sweep.await;
    writer.await?;
    tracing::info!("stopped");
    Ok(())
}

/// `url` with its password (if any) replaced by `***`, for the log.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// `--auth off` is for one person on this machine: refused on a listener
/// other machines can reach, unless `--insecure-no-auth` says so (then the
/// answer is `true`, and a warning is logged at every start).
fn check_auth_mode(args: &ServeArgs) -> Result<bool, String> {
    if args.auth == cli::AuthMode::On || args.host.is_loopback() {
        return Ok(false);
    }
    if args.insecure_no_auth {
        return Ok(true);
    }
    Err(format!(
        "--host {} makes Plume reachable from other machines, and --auth is off: anyone could read and delete \
         your data. Turn accounts on with --auth on (PLUME_AUTH=on) and create the first admin with \
         `plume users add you@example.com --role admin` (or PLUME_ADMIN_EMAIL and PLUME_ADMIN_PASSWORD); or, \
         knowing the risk, pass --insecure-no-auth",
        args.host
    ))
}

/// Authentication from the flags, checking that every server function has
/// an access rule, and creating the first admin from `PLUME_ADMIN_EMAIL` and
/// `PLUME_ADMIN_PASSWORD` when auth is on and no user exists yet.
async fn auth_service(args: &ServeArgs, store: &Store) -> Result<auth::Auth, Box<dyn std::error::Error>> {
    let secure_cookie = args.public_url.as_deref().is_some_and(|url| url.to_ascii_lowercase().starts_with("https:"));
    let settings = auth::AuthSettings {
        enabled: args.auth == cli::AuthMode::On,
        lifetime: app::store::SessionLifetime { idle: args.session_idle_timeout, absolute: args.session_max_age },
        secure_cookie,
    };
    let auth = auth::Auth::new(store.clone(), settings)?;
    let paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    auth::rules::check_server_functions(&paths)?;
    if auth.enabled() {
        match (&args.admin_email, &args.admin_password) {
            (Some(email), Some(password)) if store.user_count().await? == 0 => {
                let hash =
                    auth.passwords().hash(password.clone()).await.map_err(|e| format!("PLUME_ADMIN_PASSWORD: {e}"))?;
                match store.create_user(email, app::model::accounts::Role::Admin, Some(&hash)).await {
                    Ok(_) => tracing::info!("created the first admin, {email}, from PLUME_ADMIN_EMAIL"),
                    // A replica starting at the same moment created it first.
                    Err(app::store::Error::Conflict(_)) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err("set both PLUME_ADMIN_EMAIL and PLUME_ADMIN_PASSWORD, or neither".into());
            }
            _ => {}
        }
        if store.user_count().await? == 0 {
            tracing::warn!(
                "--auth on and no user yet: create the first admin with `plume users add you@example.com --role admin`"
            );
        }
    }
    Ok(auth)
}

/// The feedback service from the flags; the demo page's origin is allowed.
async fn feedback_service(
    args: &ServeArgs,
    demo: Option<&TcpListener>,
    store: &Store,
) -> Result<feedback::Feedback, Box<dyn std::error::Error>> {
    let secret =
        feedback::secret::load_or_create(args.feedback_secret.as_deref(), &args.database.data_dir, store).await?;
    let mut allowlist = feedback::origins::Allowlist::parse(&args.feedback_origins)?;
    if let Some(listener) = demo {
        allowlist.add(&demo::origin(listener.local_addr()?));
    }
    Ok(feedback::Feedback::new(
        feedback::FeedbackSettings {
            secret,
            max_ttl: args.feedback_max_ttl,
            allowlist,
            per_token_per_minute: args.feedback_rate_per_token,
            per_ip_per_minute: args.feedback_rate_per_ip,
            mint_per_ip_per_minute: args.mint_rate_per_ip,
            public_url: args.public_url.clone(),
        },
        store,
    ))
}

/// The UI's routes, listed once per process. Listing them renders the app
/// with resource loading switched off by a flag that Leptos keeps for the
/// whole process: a second server in the process (the integration tests run
/// several) listing its routes while another renders a page would leave that
/// page's resources unloaded, and the request hanging until its timeout.
fn ui_routes() -> &'static [leptos_axum::AxumRouteListing] {
    static ROUTES: std::sync::LazyLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::LazyLock::new(|| generate_route_list(app::App));
    &ROUTES
}

/// The whole HTTP application: API, UI pages, server functions and assets
/// (the checks in front of it are [`edge::Edge::protect`]'s).
fn router(state: AppState) -> Router {
    let routes = ui_routes().to_vec();
    let provide = ui_context(&state);
    let shell_options = state.leptos_options.clone();
    // The pages' and server functions' own middleware wraps only their
    // routes: every layer costs each request it wraps a clone and a boxed
    // future, which the REST API's small requests would pay for nothing.
    let ui = Router::new()
        .leptos_routes_with_context(&state, routes, provide.clone(), move || app::shell(shell_options.clone()))
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), feedback::embed::prepare))
        .layer(axum::middleware::from_fn(server_fns::bad_arguments))
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::share_pages));
    api::routes()
        .split_for_parts()
        .0
        .route("/auth/login", axum::routing::post(auth::login::login))
        .route("/auth/logout", axum::routing::post(auth::login::logout))
        .route("/auth/set-password", axum::routing::post(auth::login::set_password))
        .route("/auth/password", axum::routing::post(auth::login::change_password))
        .route("/theme", axum::routing::post(theme::choose))
        .merge(ui)
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// What the UI's server functions reach through Leptos's context: the store,
/// the public base URL, and a way to empty the credential cache (after the
/// settings pages revoke a key or change a user).
fn ui_context(state: &AppState) -> impl Fn() + Clone + Send + 'static {
    let store = state.store.clone();
    let public_url = app::api::PublicUrl(state.feedback.public_url().map(str::to_owned));
    let auth_enabled = app::api::AuthEnabled(state.auth.enabled());
    let auth = state.auth.clone();
    let forget = app::api::ForgetCredentials(Arc::new(move || auth.forget_credentials()));
    move || {
        provide_context(store.clone());
        provide_context(public_url.clone());
        provide_context(auth_enabled);
        provide_context(forget.clone());
        edge::security_headers::provide_nonce();
    }
}

/// Embedded assets, else the UI's "not found" page with a 404.
async fn fallback(State(state): State<AppState>, request: Request<Body>) -> Response {
    if let Some(asset) = assets::find(request.uri(), request.headers().get(axum::http::header::IF_NONE_MATCH)) {
        return asset;
    }
    let options = state.leptos_options.clone();
    let render =
        leptos_axum::render_app_to_stream_with_context(ui_context(&state), move || app::shell(options.clone()));
    render(request).await.into_response()
}

/// Writes the bound addresses to `path` ([`ServeArgs::ready_file`]) through a
/// temporary file and a rename, so a reader never sees half of it.
fn write_ready_file(path: &std::path::Path, http: SocketAddr, grpc: SocketAddr) -> std::io::Result<()> {
    let ready = serde_json::json!({ "http": format!("http://{http}"), "grpc": format!("http://{grpc}") });
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, ready.to_string())?;
    std::fs::rename(&partial, path)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_logged_database_url_hides_its_password() {
        assert_eq!(super::redacted("postgres://plume:s3cret@db:5432/plume"), "postgres://plume:***@db:5432/plume");
        assert_eq!(super::redacted("postgres://plume@db/plume"), "postgres://plume@db/plume");
        assert_eq!(super::redacted("sqlite:///var/lib/plume/plume.db"), "sqlite:///var/lib/plume/plume.db");
    }
}
