//! A real `plume` server on ephemeral ports and a temporary SQLite file
//! (or, with `PLUME_TEST_DATABASE=postgres`, a PostgreSQL database of its
//! own), plus OTLP payload builders shared by the integration tests.
//!
//! A test's server runs in the test process, on a runtime of its own ([`Server::start`],
//! through `server::InProcess`), unless the test signals or kills it, reads its
//! log or its memory, or sets its environment: then it is a `plume` process of
//! its own ([`Server::start_process`]).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

pub mod accounts;
pub mod pages;
pub mod postgres;

/// Waits for `plume serve --ready-file` to write its addresses (generous: the
/// machine may be busy compiling or running other tests); `Err` says why
/// not, if the server stops first (`stopped` tells how) or 60 s pass.
fn wait_for_ready_file(path: &Path, mut stopped: impl FnMut() -> Option<String>) -> Result<serde_json::Value, String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return Ok(serde_json::from_str(&text).expect("the ready file is JSON"));
        }
        if let Some(how) = stopped() {
            return Err(format!("plume stopped before it was ready: {how}"));
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("plume did not write {} in time", path.display()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether the servers under test run on PostgreSQL (`PLUME_TEST_DATABASE=postgres`,
/// as `make test` does for its second round) rather than SQLite.
pub fn on_postgres() -> bool {
    std::env::var("PLUME_TEST_DATABASE").is_ok_and(|engine| engine == "postgres")
}

/// The flags giving a server on `data_dir` its database: none on SQLite (the
/// data directory holds it); on PostgreSQL a database of its own, created on
/// the first start and named in `data_dir/postgres-url`, so that a server
/// restarted on the same directory finds the same data.
pub fn database_flags(data_dir: &Path) -> Vec<String> {
    if !on_postgres() {
        return Vec::new();
    }
    let named = data_dir.join("postgres-url");
    let url = std::fs::read_to_string(&named).unwrap_or_else(|_| {
        let url = postgres::database();
        std::fs::write(&named, &url).expect("writing postgres-url");
        url
    });
    vec!["--database-url".into(), url]
}

/// The database of the server on `data_dir`, for tests that check what it
/// holds: its SQLite file (read-only), or its PostgreSQL database.
pub async fn database(data_dir: &Path) -> sqlx::AnyPool {
    connect_database(data_dir, "?mode=ro").await
}

/// [`database`], writable: for tests that change it while no server runs.
pub async fn writable_database(data_dir: &Path) -> sqlx::AnyPool {
    connect_database(data_dir, "").await
}

/// The database of the server on `data_dir`, with `sqlite_mode` after a
/// SQLite file's URL.
async fn connect_database(data_dir: &Path, sqlite_mode: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = if on_postgres() {
        std::fs::read_to_string(data_dir.join("postgres-url")).expect("the server's postgres-url")
    } else {
        format!("sqlite://{}{sqlite_mode}", data_dir.join("plume.db").display())
    };
    sqlx::AnyPool::connect(&url).await.expect("opening the server's database")
}

/// Every byte the server on `data_dir` has stored (its SQLite file and WAL,
/// or a dump of its PostgreSQL database): for tests that look for secrets.
pub fn stored_bytes(data_dir: &Path) -> Vec<u8> {
    if on_postgres() {
        return postgres::dump(&std::fs::read_to_string(data_dir.join("postgres-url")).expect("postgres-url"));
    }
    let mut bytes = Vec::new();
    for file in ["plume.db", "plume.db-wal"] {
        if let Ok(content) = std::fs::read(data_dir.join(file)) {
            bytes.extend(content);
        }
    }
    bytes
}

/// A running server; stopped when dropped.
pub struct Server {
    running: Running,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// `http://127.0.0.1:PORT` of the gRPC listener.
    pub grpc_url: String,
    /// An HTTP client.
    pub http: reqwest::Client,
}

/// What a test that signals a server in the test process is told.
const NEEDS_A_PROCESS: &str = "signals, pids and logs need a server from Server::start_process";

/// Where a [`Server`] runs.
enum Running {
    /// In the test process, on a runtime of its own, stopped at once when dropped; its
    /// log goes to the test's output (shown when the test fails).
    #[allow(dead_code, reason = "held for its Drop")]
    Thread(server::InProcess),
    /// A `plume` process; its log lines, as they come.
    Process { child: Child, log: mpsc::Receiver<String> },
}

impl Server {
    /// Starts `plume serve` on `data_dir` in this process and waits until it listens.
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[])
    }

    /// [`Server::start`] with extra flags.
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        log_to_tests();
        let ready_file = data_dir.join("ready.json");
        let _ = std::fs::remove_file(&ready_file);
        let server = server::InProcess::start(&serve_flags(data_dir, &ready_file, extra)).expect("the flags parse");
        let ready = wait_for_ready_file(&ready_file, || server.is_finished().then(|| "its thread ended".to_owned()))
            .unwrap_or_else(|error| panic!("{error}"));
        Server::ready(Running::Thread(server), &ready)
    }

    /// Starts `plume serve` on `data_dir` as a process of its own, with extra
    /// flags and environment variables (such as `PLUME_ADMIN_EMAIL`), and
    /// waits until it listens: for tests that signal or kill it ([`Server::kill`],
    /// [`Server::terminate`]), read its log or its memory ([`Server::pid`]).
    pub fn start_process(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let ready_file = data_dir.join("ready.json");
        let _ = std::fs::remove_file(&ready_file);
        let mut child = Command::new(env!("CARGO_BIN_EXE_plume"))
            .arg("serve")
            .args(serve_flags(data_dir, &ready_file, extra))
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting plume");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let ready =
            wait_for_ready_file(&ready_file, || child.try_wait().ok().flatten().map(|status| status.to_string()))
                .unwrap_or_else(|error| {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{error}")
                });
        Server::ready(Running::Process { child, log }, &ready)
    }

    /// The server behind `ready` (its ready file).
    fn ready(running: Running, ready: &serde_json::Value) -> Server {
        let url = ready["http"].as_str().expect("http address").to_owned();
        let grpc_url = ready["grpc"].as_str().expect("grpc address").to_owned();
        Server { running, url, grpc_url, http: reqwest::Client::new() }
    }

    /// The process of a server from [`Server::start_process`].
    fn child(&mut self) -> &mut Child {
        match &mut self.running {
            Running::Process { child, .. } => child,
            Running::Thread(_) => panic!("{NEEDS_A_PROCESS}"),
        }
    }

    /// `url` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// GET `path` and parse the JSON answer, asserting a 200.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.http.get(self.at(path)).send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Sends `body` as JSON with `method` to `path`; the status and the body text.
    pub async fn send_json(&self, method: reqwest::Method, path: &str, body: &serde_json::Value) -> (u16, String) {
        let response = self.http.request(method, self.at(path)).json(body).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// GETs `path`: status, body text and headers, whatever the status.
    pub async fn get_text(&self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let response = self.http.get(self.at(path)).send().await.unwrap();
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        (status, response.text().await.unwrap(), headers)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        match &self.running {
            Running::Process { child, .. } => child.id(),
            Running::Thread(_) => panic!("{NEEDS_A_PROCESS}"),
        }
    }

    /// POSTs an export request as protobuf to `/v1/traces`, optionally naming the project.
    pub async fn export(&self, request: &ExportTraceServiceRequest, project: Option<&str>) -> reqwest::Response {
        self.try_export(request, project).await.unwrap()
    }

    /// [`Server::export`], for a server that may be gone (`Err`: no answer).
    pub async fn try_export(
        &self,
        request: &ExportTraceServiceRequest,
        project: Option<&str>,
    ) -> reqwest::Result<reqwest::Response> {
        use prost::Message;
        let mut call = self
            .http
            .post(self.at("/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(request.encode_to_vec());
        if let Some(project) = project {
            call = call.header("x-project-name", project);
        }
        call.send().await
    }

    /// [`Server::export`] with an API key (`Bearer`), for servers with accounts on.
    pub async fn export_as(&self, key: &str, request: &ExportTraceServiceRequest, project: &str) -> reqwest::Response {
        use prost::Message;
        let call = self.http.post(self.at("/v1/traces")).bearer_auth(key);
        let call = call.header("content-type", "application/x-protobuf").header("x-project-name", project);
        call.body(request.encode_to_vec()).send().await.unwrap()
    }

    /// Sends SIGTERM and returns at once (the server may serve on for its
    /// `--shutdown-delay`).
    pub fn sigterm(&self) {
        // `kill` the command-line tool avoids a libc dependency.
        Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().unwrap();
    }

    /// Sends SIGTERM and waits for the process to exit, returning its log.
    pub fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        self.sigterm();
        let status = self.child().wait().unwrap();
        let Running::Process { log, .. } = &self.running else { unreachable!("sigterm needs a process") };
        // The reader thread may still be forwarding the last lines: read
        // until it ends at the pipe's end (or, to be safe, goes quiet).
        let mut lines = Vec::new();
        while let Ok(line) = log.recv_timeout(std::time::Duration::from_secs(5)) {
            lines.push(line);
        }
        (status, lines)
    }

    /// Kills the process with SIGKILL (no chance to clean up).
    pub fn kill(mut self) {
        self.child().kill().unwrap();
        self.child().wait().unwrap();
    }
}

impl Drop for Server {
    /// Stops a process (a thread's server stops as it is dropped); when a
    /// test failed, prints the errors the process logged (a 500's cause is in
    /// the log, not in the answer; a thread's is in the test's output already).
    fn drop(&mut self) {
        if let Running::Process { child, log } = &mut self.running {
            let _ = child.kill();
            let _ = child.wait();
            if std::thread::panicking() {
                for line in log.try_iter().filter(|line| line.contains(" ERROR ") || line.contains(" WARN ")) {
                    eprintln!("server log: {line}");
                }
            }
        }
    }
}

/// The flags of `plume serve` on `data_dir` on free ports, writing `ready_file`, with its database and `extra`.
fn serve_flags(data_dir: &Path, ready_file: &Path, extra: &[&str]) -> Vec<String> {
    let mut flags: Vec<String> = ["--port", "0", "--grpc-port", "0", "--data-dir"].map(String::from).into();
    flags.push(data_dir.display().to_string());
    flags.extend(["--ready-file".to_owned(), ready_file.display().to_string()]);
    if !extra.contains(&"--database-url") {
        flags.extend(database_flags(data_dir));
    }
    flags.extend(extra.iter().map(|flag| flag.to_string()));
    flags
}

/// Sends the log of the servers in this process to the output of the test
/// that started each (warnings and errors: what explains a failure).
fn log_to_tests() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn,sqlx=error"))
            .with_test_writer()
            .try_init();
    });
}

/// A string attribute.
pub fn attr(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }),
        ..Default::default()
    }
}

/// An integer attribute.
pub fn int_attr(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::IntValue(value)) }),
        ..Default::default()
    }
}

/// Deterministic ids: trace `n` and span `n` as big-endian integers.
pub fn trace_id(n: u128) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

/// See [`trace_id`].
pub fn span_id(n: u64) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

/// A span of trace `trace`, id `id`, child of `parent` (0 = root), starting
/// `start_ms` after 2023-11-14T22:13:20Z and lasting `duration_ms`.
pub fn span(
    trace: u128,
    id: u64,
    parent: u64,
    name: &str,
    start_ms: u64,
    duration_ms: u64,
    attributes: Vec<KeyValue>,
) -> Span {
    let start = 1_700_000_000_000_000_000 + start_ms * 1_000_000;
    Span {
        trace_id: trace_id(trace),
        span_id: span_id(id),
        parent_span_id: if parent == 0 { vec![] } else { span_id(parent) },
        name: name.into(),
        kind: 1,
        start_time_unix_nano: start,
        end_time_unix_nano: start + duration_ms * 1_000_000,
        attributes,
        status: Some(Status { message: String::new(), code: 1 }),
        ..Default::default()
    }
}

/// An export request with one resource (with `resource` attributes) holding `spans`.
pub fn request(resource: Vec<KeyValue>, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: resource, ..Default::default() }),
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    }
}

/// Hex of [`span_id`].
pub fn span_hex(n: u64) -> String {
    format!("{n:016x}")
}

/// Hex of [`trace_id`].
pub fn trace_hex(n: u128) -> String {
    format!("{n:032x}")
}

/// The `name=value` pair of the `Set-Cookie` header naming cookie `name`, if any.
pub fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.strip_prefix(name).is_some_and(|rest| rest.starts_with('=')))
        .map(str::to_owned)
}
