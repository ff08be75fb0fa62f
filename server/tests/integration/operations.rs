//! What operators run: `GET /metrics` (Prometheus text with requests by
//! route template and status, latency histograms, what the writer stored,
//! and gauges read when scraped), `plume migrate`, and what a rolling restart
//! or upgrade relies on (`/readyz`, `--shutdown-delay`).

use serde_json::json;

use crate::common::*;

/// The value of the series written exactly as `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_what_the_writer_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let spans = (1..=3).map(|i| span(1, i, 0, "answer", i, 5, vec![attr("input.value", "hello")])).collect();
    assert_eq!(server.export(&request(vec![], spans), Some("metered")).await.status(), 200);
    let body = json!({"data": [{"span_id": span_hex(1), "name": "quality", "annotator_kind": "HUMAN",
        "result": {"label": "good"}}]});
    let (status, _) = server.send_json(reqwest::Method::POST, "/v1/span_annotations?sync=true", &body).await;
    assert_eq!(status, 200);
    for _ in 0..2 {
        server.get_json("/v1/projects/metered/spans").await;
    }
    let (status, _, _) = server.get_text(&format!("/projects/metered/traces/{}", trace_hex(1))).await;
    assert_eq!(status, 200);
    let (status, _, _) = server.get_text("/v1/projects/nowhere/spans").await;
    assert_eq!(status, 404);

    let (status, text, headers) = server.get_text("/metrics").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let count = |series: &str| value(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
    assert_eq!(count(r#"plume_http_requests_total{route="/v1/traces",method="POST",status="200"}"#), 1.0);
    assert_eq!(
        count(r#"plume_http_requests_total{route="/v1/projects/{project}/spans",method="GET",status="200"}"#),
        2.0
    );
    assert_eq!(
        count(r#"plume_http_requests_total{route="/v1/projects/{project}/spans",method="GET",status="404"}"#),
        1.0
    );
    assert_eq!(count(r#"plume_http_requests_total{route="page",method="GET",status="200"}"#), 1.0);
    assert_eq!(
        count(r#"plume_http_request_duration_seconds_count{route="/v1/projects/{project}/spans",method="GET"}"#),
        3.0
    );
    assert!(
        text.contains(r#"plume_http_request_duration_seconds_bucket{route="/v1/traces",method="POST",le="0.005"}"#)
    );
    assert_eq!(count("plume_spans_written_total"), 3.0);
    assert_eq!(count("plume_annotations_written_total"), 1.0);
    assert!(count("plume_writer_batch_jobs_count") >= 2.0);
    assert_eq!(count("plume_writer_queue_jobs"), 0.0);
    assert!(count(r#"plume_db_connections{state="idle"}"#) >= 1.0);
    assert!(value(&text, "plume_search_unindexed_spans").is_some_and(|n| (0.0..=3.0).contains(&n)));
    // Raw paths never become labels: ids stay out of the series.
    assert!(!text.contains("metered") && !text.contains(&trace_hex(1)), "{text}");
}

#[tokio::test]
async fn plume_migrate_brings_a_new_database_to_this_version_alone() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_plume"))
            .args(["migrate", "--data-dir"])
            .arg(dir.path())
            .output()
            .expect("running plume migrate")
    };
    let first = migrate();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let said = String::from_utf8_lossy(&first.stdout);
    // The schema version is the highest migration number (branches may number
    // theirs apart, leaving gaps); every migration file is applied.
    let numbers: Vec<u32> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite"))
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.split('_').next()?.parse::<u32>().ok())
        .collect();
    let (versions, highest) = (numbers.len(), numbers.iter().max().unwrap());
    assert!(said.contains(&format!("schema version {highest}")), "{said}");
    // Nothing to do the second time; a server then starts ready.
    assert!(migrate().status.success());
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", dir.path().join("plume.db").display()))
        .await
        .unwrap();
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&db).await.unwrap();
    assert_eq!(applied, versions as i64);
    let server = Server::start(dir.path());
    let (status, _, _) = server.get_text("/readyz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_older_build_serves_on_a_database_a_newer_build_migrated() {
    let dir = tempfile::tempdir().unwrap();
    Server::start_process(dir.path(), &[], &[]).terminate();
    // What a newer build's migration leaves, as far as this one can tell.
    let db = writable_database(dir.path()).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990001, 'from a newer build', true, '', 0)",
    )
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    // It starts (sqlx would refuse "migration 99990001 … is missing"), serves,
    // and says what it is: the replica a rolling upgrade replaces next.
    let server = Server::start(dir.path());
    let (status, body, _) = server.get_text("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("schema version 99990001, newer than this build's"), "{body}");
    let spans = vec![span(1, 1, 0, "still served", 1, 2, vec![])];
    assert_eq!(server.export(&request(vec![], spans), Some("upgrading")).await.status(), 200);
}

#[tokio::test]
async fn sigterm_turns_readyz_away_first_and_serves_through_the_shutdown_delay() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &["--shutdown-delay", "3s"], &[]);
    assert_eq!(server.get_text("/readyz").await.0, 200);
    server.sigterm();
    let mut turned = None;
    for _ in 0..100 {
        let (status, body, _) = server.get_text("/readyz").await;
        if status == 503 {
            turned = Some(body);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(turned.as_deref(), Some("shutting down"));
    // The load balancer has not noticed yet: what still comes is served.
    let spans = vec![span(1, 1, 0, "late", 1, 2, vec![])];
    assert_eq!(server.export(&request(vec![], spans), Some("draining")).await.status(), 200);
    let (status, log) = server.terminate();
    assert!(status.success(), "plume exited with {status}");
    assert!(log.iter().any(|line| line.contains("stopped")), "{log:?}");
    let server = Server::start(dir.path());
    assert_eq!(server.get_json("/v1/projects/draining/spans").await["data"].as_array().unwrap().len(), 1);
}
