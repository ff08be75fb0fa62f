//! What every request passes through, tested on the real server with raw
//! sockets where a client library would hide the attack: the `Host` check
//! (DNS rebinding), the same-origin check on server functions (CSRF), the
//! security headers and asset revalidation, the connection and request
//! limits, log redaction, and the files and defaults at start.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::*;
use leptos::server_fn::ServerFn;
use serde_json::json;

/// `host:port` of the server.
fn addr(server: &Server) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

/// Sends `request` as is (it should say `Connection: close`) and reads the
/// answer to the end: status, head (lowercase) and body.
fn raw(server: &Server, request: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr(server)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// `method path` with `Host: host`, and a JSON body for POSTs.
fn with_host(server: &Server, method: &str, path: &str, host: &str) -> (u16, String) {
    let body = if method == "POST" { "{}" } else { "" };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, _, body) = raw(server, &request);
    (status, body)
}

#[tokio::test]
async fn only_names_of_this_server_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--allowed-hosts", "plume.internal, other.example:8080"]);
    let port = addr(&server).rsplit(':').next().unwrap().to_owned();
    let routes = [("GET", "/"), ("GET", "/v1/projects"), ("POST", "/v1/traces"), ("GET", "/widget.js")];
    for (method, path) in routes {
        let (status, body) = with_host(&server, method, path, &format!("evil.example:{port}"));
        assert_eq!(status, 421, "{method} {path}: {body}");
        assert!(body.contains("Host"), "{body}");
        for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("plume.internal:{port}")] {
            let (status, body) = with_host(&server, method, path, &host);
            assert_eq!(status, 200, "{method} {path} with Host {host}: {body}");
        }
    }
    assert_eq!(with_host(&server, "GET", "/v1/projects", "other.example:8080").0, 200);
    assert_eq!(with_host(&server, "GET", "/v1/projects", "plume.internal.evil.example").0, 421);
    // An absolute-form target naming another host is refused like its Host.
    let (status, _, _) = raw(
        &server,
        &format!("GET http://evil.example:{port}/v1/projects HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 421);
    // HTTP/1.0 without a Host: nothing to check, so nothing is served.
    let (status, _, _) = raw(&server, "GET /v1/projects HTTP/1.0\r\n\r\n");
    assert_eq!(status, 400);
}

/// A span with one annotation `tone` = `calm`, made through the REST API.
async fn annotated(server: &Server) {
    let spans = vec![span(1, 10, 0, "root", 0, 5, vec![attr("openinference.span.kind", "LLM")])];
    assert_eq!(server.export(&request(vec![], spans), Some("csrf")).await.status(), 200);
}

/// The names of span 10's annotations, and their ids, through the REST API.
async fn annotations(server: &Server) -> Vec<(String, String)> {
    let listed = server.get_json(&format!("/v1/projects/csrf/span_annotations?span_ids={}", span_hex(10))).await;
    let rows = listed["data"].as_array().unwrap().iter();
    rows.map(|a| (a["name"].as_str().unwrap().to_owned(), a["id"].as_str().unwrap().to_owned())).collect()
}

/// POSTs `body` to the server function at `path` with `headers`, as the page
/// swapper does (`Accept: application/json`): status and body.
async fn server_fn(
    server: &Server,
    path: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: String,
) -> (u16, String) {
    let mut post = server.http.post(server.at(path)).header("accept", "application/json");
    post = post.header("content-type", content_type);
    for (name, value) in headers {
        post = post.header(*name, *value);
    }
    let response = post.body(body).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn server_functions_refuse_other_sites_and_serve_plumes_own_pages() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    annotated(&server).await;
    let save = <app::api::SaveAnnotation as ServerFn>::PATH;
    let form = "application/x-www-form-urlencoded";
    let fields = |name: &str| format!("span_id={}&name={name}&label=calm", span_hex(10));
    let attacks: [(&str, &[(&str, &str)]); 5] = [
        (form, &[("origin", "http://evil.example")]),
        (form, &[("sec-fetch-site", "cross-site"), ("origin", &server.url)]),
        (form, &[("referer", "http://evil.example/page")]),
        ("text/plain", &[]),
        (form, &[]),
    ];
    for (content_type, headers) in attacks {
        let (status, body) = server_fn(&server, save, content_type, headers, fields("forged")).await;
        assert_eq!(status, 403, "{content_type} {headers:?}: {body}");
        assert!(body.contains("refused"), "{body}");
    }
    assert!(annotations(&server).await.is_empty(), "nothing was written");

    // Plume's own pages: a browser says so by Sec-Fetch-Site, else Origin, else Referer.
    let own_page = format!("{}/projects/csrf/spans/{}", server.url, span_hex(10));
    let allowed: [&[(&str, &str)]; 3] =
        [&[("sec-fetch-site", "same-origin")], &[("origin", &server.url)], &[("referer", &own_page)]];
    for (n, headers) in allowed.into_iter().enumerate() {
        let (status, body) = server_fn(&server, save, form, headers, fields(&format!("tone{n}"))).await;
        assert_eq!(status, 200, "{headers:?}: {body}");
    }
    let stored = annotations(&server).await;
    assert_eq!(stored.len(), 3, "{stored:?}");

    // Deleting is refused the same way, and then done from the page.
    let delete = <app::api::DeleteAnnotation as ServerFn>::PATH;
    let target = format!("project=csrf&id={}", stored[0].1);
    let (status, _) = server_fn(&server, delete, "text/plain", &[("origin", "null")], target.clone()).await;
    assert_eq!(status, 403);
    assert_eq!(annotations(&server).await.len(), 3);
    let (status, body) = server_fn(&server, delete, form, &[("origin", &server.url)], target).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(annotations(&server).await.len(), 2);

    // JSON routes keep refusing bodies a cross-site page can send.
    for content_type in ["text/plain", form] {
        let response = server
            .http
            .post(server.at("/v1/span_annotations"))
            .header("content-type", content_type)
            .body(json!({"data": [{"span_id": span_hex(10), "name": "x", "annotator_kind": "HUMAN"}]}).to_string())
            .send()
            .await
            .unwrap();
        assert!(matches!(response.status().as_u16(), 415 | 422), "{content_type}: {}", response.status());
    }
    assert_eq!(annotations(&server).await.len(), 2);
}

/// The nonce of a `Content-Security-Policy` value.
fn nonce_of(policy: &str) -> String {
    let at = policy.find("'nonce-").expect("the policy names a nonce") + 7;
    policy[at..at + policy[at..].find('\'').unwrap()].to_owned()
}

#[tokio::test]
async fn pages_carry_a_policy_whose_nonce_is_on_every_inline_script() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    annotated(&server).await;

    let (status, html, headers) = server.get_text("/").await;
    assert_eq!(status, 200);
    let policy = headers["content-security-policy"].to_str().unwrap().to_owned();
    for rule in ["script-src 'self' 'nonce-", "'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'"] {
        assert!(policy.contains(rule), "{rule} in {policy}");
    }
    let nonce = nonce_of(&policy);
    assert!(nonce.len() >= 22, "128 bits at least: {nonce}");
    let scripts: Vec<&str> = html.split("<script").skip(1).map(|s| &s[..s.find('>').unwrap()]).collect();
    assert!(!scripts.is_empty(), "Leptos writes its hydration script");
    for script in scripts {
        assert!(script.contains(&format!("nonce=\"{nonce}\"")), "<script{script}> lacks the nonce {nonce}");
    }
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let again = server.get_text("/").await.2;
    assert_ne!(nonce_of(again["content-security-policy"].to_str().unwrap()), nonce, "a nonce per response");

    // JSON and refusals are not sniffed either.
    let (_, _, json_headers) = server.get_text("/v1/projects").await;
    assert_eq!(json_headers["x-content-type-options"], "nosniff");

    // A public link: the same policy, and its URL (the secret) is never sent on.
    let link = server.send_json(reqwest::Method::POST, "/v1/public_links", &json!({"trace_id": trace_hex(1)})).await;
    assert_eq!(link.0, 200, "{}", link.1);
    let url: serde_json::Value = serde_json::from_str(&link.1).unwrap();
    let share = url["data"]["url"].as_str().unwrap();
    let share_path = &share[share.find("/share/").unwrap()..];
    let (status, _, headers) = server.get_text(share_path).await;
    assert_eq!(status, 200);
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));

    // The widget page keeps its framing policy first, and gets the script policy too.
    let (_, _, headers) = server.get_text("/embed/feedback?token=nope").await;
    let policies: Vec<&str> = headers.get_all("content-security-policy").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(policies[0], "frame-ancestors 'none'");
    assert!(policies.iter().any(|p| p.contains("'nonce-") && !p.contains("frame-ancestors")), "{policies:?}");
}

#[tokio::test]
async fn assets_are_revalidated_by_etag() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let path = "/pkg/plume.css";
    let (status, css, headers) = server.get_text(path).await;
    assert_eq!(status, 200, "{path}: build the site first (make site)");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    let revalidate = |tag: String| server.http.get(server.at(path)).header("if-none-match", tag).send();
    let cached = revalidate(etag.clone()).await.unwrap();
    assert_eq!(cached.status(), 304);
    assert_eq!(cached.headers()["etag"].to_str().unwrap(), etag);
    assert!(cached.bytes().await.unwrap().is_empty());
    let stale = revalidate("\"0000\"".into()).await.unwrap();
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.text().await.unwrap(), css);
}

/// Whether the server closes `stream` within `within` (reading only).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut buffer = [0u8; 1024];
    while Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

#[tokio::test]
async fn slow_headers_lose_their_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--header-read-timeout", "1s"]);

    // A header line every 200 ms: never done, so closed after the timeout.
    let mut slow = TcpStream::connect(addr(&server)).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n").unwrap();
    let started = Instant::now();
    let mut closed = false;
    for n in 0..40 {
        std::thread::sleep(Duration::from_millis(200));
        if slow.write_all(format!("X-Slow-{n}: still here\r\n").as_bytes()).is_err()
            || closed_within(&mut slow, Duration::from_millis(50))
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "the slow connection is still open after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(4), "closed after {:?}", started.elapsed());

    // A connection that sends nothing at all goes the same way.
    let mut silent = TcpStream::connect(addr(&server)).unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(4)));

    // Prompt clients are served as before.
    assert_eq!(server.get_text("/healthz").await.0, 200);
}

#[tokio::test]
async fn requests_in_progress_are_bounded_and_timed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-concurrent-requests", "1", "--request-timeout", "2s"]);
    // A request whose body never finishes holds the one permit…
    let mut stuck = TcpStream::connect(addr(&server)).unwrap();
    stuck
        .write_all(
            b"POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"resourceSpans\"",
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // …so another one is refused at once rather than queued…
    let (status, body, _) = server.get_text("/v1/projects").await;
    assert_eq!(status, 503, "{body}");
    // …until the first times out with a 408.
    stuck.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = [0u8; 64];
    let n = stuck.read(&mut answer).unwrap();
    assert!(
        String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );
    assert_eq!(server.get_text("/v1/projects").await.0, 200);
}

#[tokio::test]
async fn logs_name_requests_by_id_and_never_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    let response = server.http.get(server.at("/embed/feedback?token=SECRET-IN-QUERY")).send().await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() >= 32, "{id}");
    server.http.get(server.at("/share/SECRET-IN-PATH")).send().await.unwrap();
    let given =
        server.http.get(server.at("/healthz")).header("x-request-id", "client-chose-this").send().await.unwrap();
    assert_eq!(given.headers()["x-request-id"], "client-chose-this");
    let (_, log) = server.terminate();
    let log = log.join("\n");
    assert!(!log.contains("SECRET"), "{log}");
    assert!(log.contains(&id) && log.contains("/embed/feedback") && log.contains("/share/…"), "{log}");
    assert!(log.contains("client-chose-this"), "{log}");
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    if on_postgres() {
        return; // The database files are SQLite's; PostgreSQL keeps its own.
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let server = Server::start(&data);
    annotated(&server).await;
    let mode = |name: &str| std::fs::metadata(data.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(""), 0o700);
    for file in ["plume.db", "plume.db-wal", "plume.db-shm", "feedback-secret"] {
        if data.join(file).exists() || file == "plume.db" {
            assert_eq!(mode(file), 0o600, "{file}");
        }
    }
}

#[test]
fn a_public_address_needs_a_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_plume"))
        .args(["serve", "--host", "0.0.0.0", "--port", "0", "--grpc-port", "0", "--data-dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("plume serves 0.0.0.0 without --public-url");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("--public-url"), "{stderr}");
}
