//! Deleting traces (one by id, a project's by time range) and the retention
//! sweep: what goes with a trace (spans, annotations, notes, collection
//! items, search entries, counters), the tombstones collections keep and
//! exports show, `annotation.deleted` webhook events, bad input and permissions.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::accounts::Team;
use crate::common::pages::page;
use crate::common::*;
use crate::search::shown_counts;

/// Traces `first..first+count` of project `p`: a root `agent` span
/// (`t*10`) and an `llm` child (`t*10+1`) each, trace `t` starting `t`
/// seconds after the epoch of [`span`]; inputs say `parcel <t> question`.
fn traces(first: u64, count: u64) -> Vec<opentelemetry_proto::tonic::trace::v1::Span> {
    (first..first + count)
        .flat_map(|t| {
            let input = attr("input.value", &format!("parcel {t} question"));
            [
                span(u128::from(t), t * 10, 0, "agent", t * 1000, 50, vec![input.clone()]),
                span(u128::from(t), t * 10 + 1, t * 10, "llm", t * 1000 + 1, 10, vec![input]),
            ]
        })
        .collect()
}

async fn send(server: &Server, method: Method, path: &str, body: Value) -> (u16, Value) {
    let (status, text) = server.send_json(method, path, &body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Span ids of project `project`, sorted.
async fn span_ids(server: &Server, project: &str) -> Vec<String> {
    let spans = server.get_json(&format!("/v1/projects/{project}/spans?limit=1000")).await;
    let mut ids: Vec<String> = spans["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["context"]["span_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn deleting_a_trace_takes_everything_on_it_and_collections_keep_a_tombstone() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert_eq!(server.export(&request(vec![], traces(1, 3)), Some("p")).await.status(), 200);
    // A webhook listening for deletions (never reachable: only the recorded events count here).
    let (status, hook) = send(
        &server,
        Method::POST,
        "/v1/webhooks",
        json!({"url": "http://127.0.0.1:9/hook", "events": ["annotation.deleted"]}),
    )
    .await;
    assert_eq!(status, 200, "{hook}");
    let vote = |span: u64, label: &str| json!({"span_id": span_hex(span), "name": "user feedback", "annotator_kind": "HUMAN", "result": {"label": label}});
    let (status, body) = send(
        &server,
        Method::POST,
        "/v1/span_annotations?sync=true",
        json!({"data": [vote(11, "thumbs-up"), vote(21, "thumbs-down")]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let trace_vote = json!({"data": [{"trace_id": trace_hex(1), "name": "solved", "annotator_kind": "HUMAN", "result": {"label": "yes"}}]});
    assert_eq!(send(&server, Method::POST, "/v1/trace_annotations?sync=true", trace_vote).await.0, 200);
    let note = json!({"data": {"span_id": span_hex(11), "note": "wrong parcel"}});
    assert_eq!(send(&server, Method::POST, "/v1/span_notes", note).await.0, 200);
    let (status, collection) = send(&server, Method::POST, "/v1/collections", json!({"name": "bad answers"})).await;
    assert_eq!(status, 200, "{collection}");
    let collection = collection["data"]["id"].as_str().unwrap().to_owned();
    let items = json!({"span_ids": [span_hex(11), span_hex(21)], "note": "flagged, \"why\""});
    let (status, body) = send(&server, Method::POST, &format!("/v1/collections/{collection}/items"), items).await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = send(&server, Method::DELETE, &format!("/v1/traces/{}", trace_hex(1)), Value::Null).await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = send(&server, Method::DELETE, &format!("/v1/traces/{}", trace_hex(1)), Value::Null).await;
    assert_eq!(status, 404);
    assert!(body.to_string().contains(&format!("Trace with trace_id '{}' not found", trace_hex(1))), "{body}");
    assert_eq!(send(&server, Method::DELETE, "/v1/traces/Trace:999", Value::Null).await.0, 404);
    // By global id, as Phoenix also takes it.
    let listed = server.get_json("/v1/projects/p/traces?limit=10").await;
    let trace3 = listed["data"].as_array().unwrap().iter().find(|t| t["trace_id"] == trace_hex(3)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(send(&server, Method::DELETE, &format!("/v1/traces/{trace3}"), Value::Null).await.0, 204);

    assert_eq!(span_ids(&server, "p").await, vec![span_hex(20), span_hex(21)]);
    let db = database(dir.path()).await;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db).await.unwrap() }
    };
    // Trace 1's vote, note and trace annotation are gone; trace 2's vote stays.
    assert_eq!(count("SELECT count(*) FROM span_annotations").await, 1);
    assert_eq!(count("SELECT count(*) FROM trace_annotations").await, 0);
    assert_eq!(count("SELECT count(*) FROM collection_items").await, 1);
    // Their deletions were recorded for the webhook: vote, note and trace annotation.
    assert_eq!(count("SELECT count(*) FROM webhook_events WHERE event_type = 'annotation.deleted'").await, 3);

    // Counters and search follow.
    let (_, html) = page(&server, "/").await;
    assert_eq!(shown_counts(&html, "p"), (1, 2));
    let votes: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT CAST(sum(up) AS BIGINT), CAST(sum(total) AS BIGINT) FROM feedback_tallies \
         GROUP BY project_id, day HAVING sum(total) > 0",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(votes, vec![(0, 1)]);
    let found = server.get_json("/v1/projects/p/spans?q=parcel+1+question").await;
    assert_eq!(found["data"].as_array().unwrap().len(), 0, "{found}");
    let found = server.get_json("/v1/projects/p/spans?q=parcel+2+question").await;
    assert_eq!(found["data"].as_array().unwrap().len(), 2, "{found}");

    // The export lists the live item, then the removed one.
    let (status, text, _) = server.get_text(&format!("/v1/collections/{collection}/export")).await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["span_id"], span_hex(21));
    assert!(lines[0].get("removed").is_none());
    assert_eq!(lines[1]["span_id"], span_hex(11));
    assert_eq!(lines[1]["trace_id"], trace_hex(1));
    assert_eq!(lines[1]["name"], "llm");
    assert_eq!(lines[1]["note"], "flagged, \"why\"");
    assert_eq!(lines[1]["removed"], true);
    assert!(lines[1]["removed_at"].as_str().unwrap().starts_with("20"), "{}", lines[1]);
    let (_, text, _) = server.get_text(&format!("/v1/collections/{collection}/export?format=csv")).await;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cell = |row: &csv::StringRecord, column: &str| {
        row.get(header.iter().position(|h| h == column).unwrap()).unwrap().to_owned()
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(cell(&rows[0], "removed_at"), "");
    assert_eq!(cell(&rows[1], "span_id"), span_hex(11));
    assert_eq!(cell(&rows[1], "note"), "flagged, \"why\"");
    assert_ne!(cell(&rows[1], "removed_at"), "");
    // The collection page says so.
    let decoded = base64::engine::general_purpose::STANDARD.decode(&collection).unwrap();
    let rowid = String::from_utf8(decoded).unwrap().trim_start_matches("Collection:").to_owned();
    let (status, html) = page(&server, &format!("/collections/{rowid}")).await;
    assert_eq!(status, 200);
    let removed = &html[html.find("data-section=\"removed\"").expect("a Removed section")..];
    assert!(removed.contains(&span_hex(11)), "{removed}");
    assert!(!removed.contains(&span_hex(21)));

    // Removing an item by hand leaves no tombstone.
    let (status, _) =
        send(&server, Method::DELETE, &format!("/v1/collections/{collection}/items/{}", span_hex(21)), Value::Null)
            .await;
    assert_eq!(status, 204);
    let (_, text, _) = server.get_text(&format!("/v1/collections/{collection}/export")).await;
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[tokio::test]
async fn deleting_a_project_deletes_its_traces_and_their_spans() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert_eq!(server.export(&request(vec![], traces(1, 3)), Some("doomed")).await.status(), 200);
    assert_eq!(server.export(&request(vec![], traces(4, 1)), Some("kept")).await.status(), 200);
    assert_eq!(send(&server, Method::DELETE, "/v1/projects/doomed", Value::Null).await.0, 204);
    // On PostgreSQL spans have no foreign keys (migration 0016): a trigger on
    // traces takes their spans with them.
    let db = database(dir.path()).await;
    let left: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.span_id, coalesce(p.name, '') FROM spans s LEFT JOIN projects p ON p.id = s.project_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let orphans: i64 =
        sqlx::query_scalar("SELECT count(*) FROM spans WHERE trace_rowid NOT IN (SELECT id FROM traces)")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(orphans, 0);
    let mut expected = vec![(span_hex(40), "kept".to_owned()), (span_hex(41), "kept".to_owned())];
    let mut left = left;
    left.sort();
    expected.sort();
    assert_eq!(left, expected);
}

#[tokio::test]
async fn deleting_a_projects_traces_by_time_range() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert_eq!(server.export(&request(vec![], traces(1, 10)), Some("p")).await.status(), 200);
    // Trace t starts at 22:13:20 + t seconds: [23, 26) holds traces 3, 4 and 5.
    let range = "/v1/projects/p/traces?start_time=2023-11-14T22:13:23Z&end_time=2023-11-14T22:13:26Z";
    let (status, body) = send(&server, Method::DELETE, range, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"data": {"deleted_trace_count": 3}}));
    let left: Vec<String> =
        [1u64, 2, 6, 7, 8, 9, 10].iter().flat_map(|t| [span_hex(t * 10), span_hex(t * 10 + 1)]).collect();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(span_ids(&server, "p").await, left_sorted);
    // Only an end: everything before it.
    let (status, body) =
        send(&server, Method::DELETE, "/v1/projects/p/traces?end_time=2023-11-14T22:13:23Z", Value::Null).await;
    assert_eq!((status, body["data"]["deleted_trace_count"].as_u64()), (200, Some(2)));

    // Bad input.
    for (path, want) in [
        ("/v1/projects/p/traces", 422),
        ("/v1/projects/p/traces?start_time=yesterday", 422),
        ("/v1/projects/p/traces?start_time=2023-11-14T22:13:26Z&end_time=2023-11-14T22:13:23Z", 422),
        ("/v1/projects/nope/traces?end_time=2023-11-14T22:13:23Z", 404),
    ] {
        let (status, body) = send(&server, Method::DELETE, path, Value::Null).await;
        assert_eq!(status, want, "{path}: {body}");
    }
    assert_eq!(span_ids(&server, "p").await.len(), 10, "bad requests deleted nothing");

    // More than one batch (500 traces per transaction).
    for first in [1000u64, 1600] {
        assert_eq!(server.export(&request(vec![], traces(first, 600)), Some("bulk")).await.status(), 200);
    }
    let (status, body) =
        send(&server, Method::DELETE, "/v1/projects/bulk/traces?start_time=2000-01-01T00:00:00Z", Value::Null).await;
    assert_eq!((status, body["data"]["deleted_trace_count"].as_u64()), (200, Some(1200)), "{body}");
    let (_, html) = page(&server, "/").await;
    assert_eq!(shown_counts(&html, "bulk"), (0, 0));
    assert_eq!(shown_counts(&html, "p"), (5, 10));
}

/// Trace `t` of project `project` starting now (a root span only).
async fn fresh_trace(server: &Server, project: &str, t: u64) {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap() as u64;
    let mut root = span(u128::from(t), t * 10, 0, "fresh", 0, 1, vec![]);
    root.start_time_unix_nano = now + t * 1000;
    root.end_time_unix_nano = now + t * 1000 + 1_000_000;
    assert_eq!(server.export(&request(vec![], vec![root]), Some(project)).await.status(), 200);
}

#[tokio::test]
async fn the_retention_sweep_deletes_old_traces_and_keeps_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--retention-sweep-interval", "200ms"]);
    assert_eq!(server.export(&request(vec![], traces(1, 700)), Some("old")).await.status(), 200);
    for t in 5000..5003 {
        fresh_trace(&server, "old", t).await;
    }
    for t in 6000..6010 {
        fresh_trace(&server, "counted", t).await;
    }
    let (status, body) = send(&server, Method::GET, "/v1/projects/old/retention", Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["rule"], Value::Null);

    // Bad rules.
    for rule in [
        json!({"rule": {"type": "max_weeks", "max_weeks": 3}}),
        json!({"rule": {"type": "max_days", "max_days": -1}}),
        json!({"rule": {"type": "max_count", "max_count": "ten"}}),
        json!({"rules": null}),
    ] {
        let (status, body) = send(&server, Method::PATCH, "/v1/projects/old/retention", rule.clone()).await;
        assert_eq!(status, 422, "{rule}: {body}");
    }
    let (status, _) = send(
        &server,
        Method::PATCH,
        "/v1/projects/nope/retention",
        json!({"rule": {"type": "max_days", "max_days": 1}}),
    )
    .await;
    assert_eq!(status, 404);

    let rule = json!({"type": "max_days", "max_days": 30.0});
    let (status, body) = send(&server, Method::PATCH, "/v1/projects/old/retention", json!({"rule": rule})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["rule"], rule);
    assert_eq!(server.get_json("/v1/projects/old/retention").await["data"]["rule"], rule);
    let count_rule = json!({"type": "max_days_or_count", "max_days": 0, "max_count": 4});
    let (status, body) =
        send(&server, Method::PATCH, "/v1/projects/counted/retention", json!({"rule": count_rule})).await;
    assert_eq!(status, 200, "{body}");

    // The sweep runs every 200 ms: the 700 old traces (two batches) go, the new ones stay.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, html) = page(&server, "/").await;
        if shown_counts(&html, "old") == (3, 3) && shown_counts(&html, "counted").0 == 4 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the sweep did not finish: {:?}", shown_counts(&html, "old"));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let kept: Vec<String> = (5000..5003u64).map(|t| span_hex(t * 10)).collect();
    assert_eq!(span_ids(&server, "old").await, kept);
    // max_count keeps the newest.
    let newest: Vec<String> = (6006..6010u64).map(|t| span_hex(t * 10)).collect();
    assert_eq!(span_ids(&server, "counted").await, newest);
    // Ingestion goes on while the rule stands; a cleared rule keeps everything.
    let (status, body) = send(&server, Method::PATCH, "/v1/projects/counted/retention", json!({"rule": null})).await;
    assert_eq!((status, &body["data"]["rule"]), (200, &Value::Null), "{body}");
    for t in 6100..6103 {
        fresh_trace(&server, "counted", t).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(span_ids(&server, "counted").await.len(), 7);
    // The counters agree with COUNT(*).
    let db = database(dir.path()).await;
    let (traces, spans): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM traces), (SELECT count(*) FROM spans)")
            .fetch_one(&db)
            .await
            .unwrap();
    let (counted_traces, counted_spans): (i64, i64) =
        sqlx::query_as("SELECT CAST(sum(traces) AS BIGINT), CAST(sum(spans) AS BIGINT) FROM project_tallies")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((counted_traces, counted_spans), (traces, spans));
    assert_eq!(traces, 10);
}

#[tokio::test]
async fn deleting_needs_the_manage_permission() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let server = &team.server;
    let admin = &team.role_keys["ADMIN"];
    let (status, text) = server.send_as(admin, Method::POST, "/v1/projects", Some(&json!({"name": "p"}))).await;
    assert_eq!(status, 200, "{text}");
    let calls: [(Method, String, Option<Value>); 3] = [
        (Method::DELETE, format!("/v1/traces/{}", trace_hex(1)), None),
        (Method::DELETE, "/v1/projects/p/traces?end_time=2030-01-01T00:00:00Z".into(), None),
        (
            Method::PATCH,
            "/v1/projects/p/retention".into(),
            Some(json!({"rule": {"type": "max_count", "max_count": 5}})),
        ),
    ];
    for role in ["VIEWER", "ANNOTATOR"] {
        for (method, path, body) in &calls {
            let (status, text) = server.send_as(&team.role_keys[role], method.clone(), path, body.as_ref()).await;
            assert_eq!(status, 403, "{role} {method} {path}: {text}");
        }
        let (status, _) = server.send_as(&team.role_keys[role], Method::GET, "/v1/projects/p/retention", None).await;
        assert_eq!(status, 200, "{role} reads the rule");
    }
    let member = &team.role_keys["MEMBER"];
    let expected = [404, 200, 200];
    for ((method, path, body), want) in calls.iter().zip(expected) {
        let (status, text) = server.send_as(member, method.clone(), path, body.as_ref()).await;
        assert_eq!(status, want, "MEMBER {method} {path}: {text}");
    }
}
