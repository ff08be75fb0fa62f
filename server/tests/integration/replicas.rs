//! Several `plume` replicas on one PostgreSQL: what must hold across them.
//! Annotations that arrive before their spans are attached whichever replica
//! stores each, even when both commit at the same moment or a replica dies
//! between its commit and the attaching; nothing acknowledged is lost when a
//! replica is SIGKILLed mid-load; every span reaches the search index; and
//! rate limits count across replicas.
//!
//! These tests start their own database, whatever the round: they run in
//! the PostgreSQL round only (`PLUME_TEST_DATABASE=postgres`), not twice.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::*;

const PROJECT: &str = "replicas";

/// Whether this round runs the replica tests (see the module's doc).
fn in_this_round() -> bool {
    if !on_postgres() {
        eprintln!("replica tests run in the PostgreSQL round");
    }
    on_postgres()
}

/// A replica on database `url` with `extra` flags (a data directory of its own).
fn replica(url: &str, extra: &[&str]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut flags = vec!["--database-url", url];
    flags.extend_from_slice(extra);
    (Server::start_process(dir.path(), &flags, &[]), dir)
}

/// Spans `ids` (each its own trace), named so that a search finds them all.
fn spans_request(ids: &[u64]) -> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    request(
        vec![],
        ids.iter().map(|&id| span(u128::from(id), id, 0, &format!("replicated {id}"), id, 1, vec![])).collect(),
    )
}

/// An annotation of span `id` named `name`.
fn annotation(id: u64, name: &str) -> Value {
    json!({"span_id": span_hex(id), "name": name, "annotator_kind": "CODE", "result": {"label": "ok", "score": 1.0}})
}

/// POSTs annotations to `/v1/span_annotations?sync=…`; the status.
async fn annotate(server: &Server, sync: bool, items: Vec<Value>) -> u16 {
    let call = server.http.post(server.at(&format!("/v1/span_annotations?sync={sync}"))).json(&json!({"data": items}));
    call.send().await.unwrap().status().as_u16()
}

/// One number from the database.
async fn count(db: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

/// Polls `sql` until it answers `want` or 20 s pass; the last answer.
async fn settles(db: &PgPool, sql: &'static str, want: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = count(db, sql).await;
        if got == want || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A replica on a new database holding span 1, and that database.
async fn one_replica_with_span_1() -> (Server, tempfile::TempDir, PgPool) {
    let url = postgres::database();
    let (server, dir) = replica(&url, &[]);
    assert_eq!(server.export(&spans_request(&[1]), Some(PROJECT)).await.status(), 200);
    (server, dir, PgPool::connect(&url).await.unwrap())
}

/// Pending annotations whose target is stored: what must not stay.
const STRANDED: &str = "SELECT count(*) FROM pending_annotations p WHERE \
     (p.target_kind = 'span' AND EXISTS (SELECT 1 FROM spans s WHERE s.span_id = p.target_id)) \
     OR (p.target_kind = 'trace' AND EXISTS (SELECT 1 FROM traces t WHERE t.trace_id = p.target_id))";

#[tokio::test]
async fn an_annotation_left_pending_beside_its_stored_span_is_attached() {
    if !in_this_round() {
        return;
    }
    let (server, _dir, db) = one_replica_with_span_1().await;
    // What a replica killed between committing a pending annotation and
    // looking for its span leaves: pending rows whose targets are stored.
    for (kind, target) in [("span", span_hex(1)), ("trace", trace_hex(1))] {
        sqlx::query(
            "INSERT INTO pending_annotations (target_kind, target_id, name, label, metadata, annotator_kind, \
             identifier, source, received_at) VALUES ($1, $2, 'stranded', 'found', '{}', 'HUMAN', '', 'API', $3)",
        )
        .bind(kind)
        .bind(target)
        .bind(chrono::Utc::now().timestamp_nanos_opt().unwrap())
        .execute(&db)
        .await
        .unwrap();
    }
    assert_eq!(settles(&db, "SELECT count(*) FROM pending_annotations", 0).await, 0, "still pending");
    let spans = server.get_json(&format!("/v1/projects/{PROJECT}/span_annotations?span_ids={}", span_hex(1))).await;
    assert_eq!(spans["data"][0]["name"], "stranded", "{spans}");
    assert_eq!(spans["data"][0]["result"]["label"], "found");
    let traces = server.get_json(&format!("/v1/projects/{PROJECT}/trace_annotations?trace_ids={}", trace_hex(1))).await;
    assert_eq!(traces["data"][0]["name"], "stranded", "{traces}");
}

#[tokio::test]
async fn three_replicas_lose_nothing_acknowledged_when_one_is_killed_mid_load() {
    if !in_this_round() {
        return;
    }
    const BATCHES: u64 = 40;
    const PER_BATCH: u64 = 25;
    let url = postgres::database();
    let (ingest, _a) = replica(&url, &[]);
    let (annotations, _b) = replica(&url, &[]);
    let (reads, _c) = replica(&url, &[]);

    let reading = async {
        let mut pages = 0;
        let started = Instant::now();
        // Reads go on through the load (and the kill) on the third replica.
        while started.elapsed() < Duration::from_secs(2) || pages < 20 {
            let (status, body, _) = reads.get_text(&format!("/v1/projects/{PROJECT}/spans?limit=50")).await;
            assert!(status == 200 || (status == 404 && pages < 5 && body.contains("not found")), "{status} {body}");
            pages += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        pages
    };
    let loading = async {
        let mut alive = true;
        for batch in 0..BATCHES {
            let ids: Vec<u64> = (batch * PER_BATCH + 1..=(batch + 1) * PER_BATCH).collect();
            let request = spans_request(&ids);
            // Half the annotations go out with their spans, before these are
            // stored (sync=false: kept pending), to another replica.
            let early = ids.iter().filter(|id| *id % 2 == 0).map(|&id| annotation(id, "early")).collect();
            let kill_now = batch == BATCHES / 2;
            let spans = async {
                let sent = match alive {
                    true => ingest.try_export(&request, Some(PROJECT)).await.ok().map(|r| r.status()),
                    false => None,
                };
                // Not acknowledged (the replica died): a load balancer sends it elsewhere.
                if sent != Some(reqwest::StatusCode::OK) {
                    assert!(sent.is_none() || kill_now, "{sent:?}");
                    let retried = reads.export(&request, Some(PROJECT)).await;
                    assert_eq!(retried.status(), 200);
                }
            };
            let early = annotate(&annotations, false, early);
            let kill = async {
                if kill_now {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    let pid = ingest.pid().to_string();
                    let killed = std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap();
                    assert!(killed.success());
                }
            };
            let ((), early, ()) = tokio::join!(spans, early, kill);
            alive &= !kill_now;
            assert_eq!(early, 200, "sync=false is accepted");
            // The other half once the spans are acknowledged: sync=true.
            let late = ids.iter().filter(|id| *id % 2 == 1).map(|&id| annotation(id, "late")).collect();
            assert_eq!(annotate(&annotations, true, late).await, 200);
        }
    };
    let (pages, ()) = tokio::join!(reading, loading);
    assert!(pages >= 20);

    let db = PgPool::connect(&url).await.unwrap();
    let total = (BATCHES * PER_BATCH) as i64;
    assert_eq!(count(&db, "SELECT count(*) FROM spans").await, total, "every acknowledged span is stored");
    assert_eq!(settles(&db, STRANDED, 0).await, 0, "annotations stay pending beside their spans");
    assert_eq!(count(&db, "SELECT count(*) FROM pending_annotations").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM span_annotations").await, total, "every annotation is attached");
    // Every span reaches the search index, whichever replica stored it and
    // in whatever order their transactions committed.
    assert_eq!(settles(&db, "SELECT count(*) FROM span_text", total).await, total, "spans missing from the index");
    let found = reads.get_json(&format!("/v1/projects/{PROJECT}/spans?limit=1&search=replicated")).await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1), "{found}");
}

/// Votes on one token, alternating over `replicas`, until the first 429;
/// how many were accepted.
async fn votes_until_refused(replicas: &[&Server], token: &str) -> usize {
    for accepted in 0..100 {
        let server = replicas[accepted % replicas.len()];
        let body = json!({"token": token, "vote": if accepted % 2 == 0 { "up" } else { "down" }});
        let response = server.http.post(server.at("/v1/feedback")).json(&body).send().await.unwrap();
        match response.status().as_u16() {
            200 => {}
            429 => return accepted,
            status => panic!("vote answered {status}: {}", response.text().await.unwrap()),
        }
    }
    panic!("no vote was refused");
}

/// A feedback token for span 1 and end user `user`, minted by `server`.
async fn mint(server: &Server, user: &str) -> String {
    let body = json!({"span_id": span_hex(1), "user_id": user});
    let response = server.http.post(server.at("/v1/feedback_tokens")).json(&body).send().await.unwrap();
    response.json::<Value>().await.unwrap()["data"]["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn votes_spread_over_two_replicas_hit_429_at_the_same_count_as_on_one() {
    if !in_this_round() {
        return;
    }
    let url = postgres::database();
    let flags = ["--feedback-rate-per-token", "6", "--feedback-rate-per-ip", "1000"];
    let (first, _a) = replica(&url, &flags);
    let (second, _b) = replica(&url, &flags);
    assert_eq!(first.export(&spans_request(&[1]), Some(PROJECT)).await.status(), 200);
    let alone = votes_until_refused(&[&first], &mint(&first, "alone").await).await;
    let spread = votes_until_refused(&[&first, &second], &mint(&first, "spread").await).await;
    assert_eq!(alone, 6);
    assert_eq!(spread, alone, "two replicas let through more votes than one");
}

#[tokio::test]
async fn a_replica_writes_again_after_the_database_drops_its_connections() {
    if !in_this_round() {
        return;
    }
    let (server, _dir, db) = one_replica_with_span_1().await;
    // What a PostgreSQL restart (or a proxy's idle cut) does to a replica:
    // every connection it holds, the writer's included, is gone.
    let dropped: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(dropped.len() >= 2 && dropped.iter().all(|d| *d), "{dropped:?}");
    let stored = server.export(&spans_request(&[2]), Some(PROJECT)).await;
    assert_eq!(stored.status(), 200, "{}", stored.text().await.unwrap());
    assert_eq!(annotate(&server, true, vec![annotation(2, "after")]).await, 200);
    assert_eq!(count(&db, "SELECT count(*) FROM span_annotations").await, 1);
}
