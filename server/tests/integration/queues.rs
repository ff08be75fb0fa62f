//! Review queues (issue 14): items are in a queue once, k reviewers per
//! item, reservations that expire, truly concurrent `next` calls that never
//! share an item at k = 1, completion, progress, the 409s and who may do what.

use std::collections::HashSet;

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::accounts::{ADMIN_EMAIL, ADMIN_PASSWORD, Team, key_of};
use crate::common::*;

/// `n` traces in project `p`, each a root span `i*10` with an LLM child `i*10+1`;
/// odd traces' roots are ERROR.
fn traces(n: u64) -> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    let mut spans = Vec::new();
    for i in 1..=n {
        let mut root = span(
            u128::from(i),
            i * 10,
            0,
            "agent",
            i * 1000,
            50,
            vec![
                attr("openinference.span.kind", "CHAIN"),
                attr("input.value", &format!("question {i}")),
                attr("output.value", &format!("answer {i}")),
            ],
        );
        if i % 2 == 1 {
            root.status = Some(opentelemetry_proto::tonic::trace::v1::Status { message: "bad".into(), code: 2 });
        }
        spans.push(root);
        spans.push(span(u128::from(i), i * 10 + 1, i * 10, "llm", i * 1000 + 1, 10, vec![]));
    }
    request(vec![], spans)
}

/// Sends as `credential` (`""`: none) and parses the JSON answer (`null` when empty).
async fn call(server: &Server, credential: &str, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    let (status, text) = server.send_as(credential, method, path, body).await;
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
}

/// Creates a queue as `credential`; its global id.
async fn create_queue(server: &Server, credential: &str, body: Value) -> String {
    let (status, answer) = call(server, credential, Method::POST, "/v1/annotation_queues", Some(&body)).await;
    assert_eq!(status, 200, "{answer}");
    answer["data"]["id"].as_str().unwrap().to_owned()
}

/// `POST …/items` as `credential`: (added, already_present).
async fn add(server: &Server, credential: &str, queue: &str, body: Value) -> (u64, u64) {
    let path = format!("/v1/annotation_queues/{queue}/items");
    let (status, answer) = call(server, credential, Method::POST, &path, Some(&body)).await;
    assert_eq!(status, 200, "{answer}");
    (answer["data"]["added"].as_u64().unwrap(), answer["data"]["already_present"].as_u64().unwrap())
}

/// `POST …/next` as `credential`: the item id, or `None` on 204.
async fn next(server: &Server, credential: &str, queue: &str) -> Option<String> {
    let path = format!("/v1/annotation_queues/{queue}/next");
    let (status, answer) = call(server, credential, Method::POST, &path, None).await;
    match status {
        200 => Some(answer["data"]["item_id"].as_str().unwrap().to_owned()),
        204 => None,
        other => panic!("next answered {other}: {answer}"),
    }
}

/// `POST …/items/{item}/complete` as `credential`: the status and answer.
async fn complete(server: &Server, credential: &str, queue: &str, item: &str, body: Value) -> (u16, Value) {
    let path = format!("/v1/annotation_queues/{queue}/items/{item}/complete");
    call(server, credential, Method::POST, &path, Some(&body)).await
}

/// The queue's `progress`.
async fn progress(server: &Server, credential: &str, queue: &str) -> Value {
    let (status, answer) = call(server, credential, Method::GET, &format!("/v1/annotation_queues/{queue}"), None).await;
    assert_eq!(status, 200, "{answer}");
    answer["data"]["progress"].clone()
}

/// A team whose server holds `n` traces.
async fn team_with_traces(dir: &std::path::Path, n: u64) -> Team {
    let team = Team::start(dir).await;
    let response = team
        .server
        .http
        .post(team.server.at("/v1/traces"))
        .bearer_auth(&team.scope_keys["ingest"])
        .header("x-project-name", "p")
        .header("content-type", "application/x-protobuf")
        .body(prost::Message::encode_to_vec(&traces(n)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    team
}

/// `n` service keys allowed to annotate: `n` distinct reviewers.
async fn reviewer_keys(team: &Team, n: usize) -> Vec<String> {
    let admin = team.server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
    let mut keys = Vec::with_capacity(n);
    for i in 0..n {
        let body = json!({ "data": { "name": format!("reviewer {i}"), "scopes": ["annotate"] } });
        let (status, text) = team.server.send_as(&admin, Method::POST, "/v1/system/api_keys", Some(&body)).await;
        assert_eq!(status, 201, "{text}");
        keys.push(key_of(&text));
    }
    keys
}

#[tokio::test]
async fn an_item_is_in_a_queue_once_however_often_it_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert_eq!(server.export(&traces(6), Some("p")).await.status(), 200);
    let queue = create_queue(&server, "", json!({"name": "triage", "project": "p"})).await;

    let (s10, s20) = (span_hex(10), span_hex(20));
    assert_eq!(add(&server, "", &queue, json!({"span_ids": [s10, s20, s10]})).await, (2, 0));
    assert_eq!(add(&server, "", &queue, json!({"span_ids": [s10]})).await, (0, 1));
    // The trace list's filter: ERROR roots are spans 10, 30, 50; 10 is in already.
    assert_eq!(add(&server, "", &queue, json!({"filter": {"status": "ERROR"}})).await, (2, 1));
    assert_eq!(add(&server, "", &queue, json!({"filter": "status=ERROR&project=p"})).await, (0, 3));
    // Traces are items of their own, also once.
    let (t1, t2) = (trace_hex(1), trace_hex(2));
    assert_eq!(add(&server, "", &queue, json!({"trace_ids": [t1, t2, t1]})).await, (2, 0));
    assert_eq!(add(&server, "", &queue, json!({"trace_ids": [t2]})).await, (0, 1));

    let items = server.get_json(&format!("/v1/annotation_queues/{queue}/items?limit=3")).await;
    assert_eq!(items["data"].as_array().unwrap().len(), 3);
    assert_eq!(items["data"][0]["span_id"], json!(s10));
    assert_eq!(items["data"][0]["status"], "pending");
    let rest = server
        .get_json(&format!("/v1/annotation_queues/{queue}/items?cursor={}", items["next_cursor"].as_str().unwrap()))
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 3);
    assert_eq!(rest["data"][2]["trace_id"], json!(t2));
    assert_eq!(progress(&server, "", &queue).await["total"], 6);

    // Bad input is named, and nothing is added.
    let path = format!("/v1/annotation_queues/{queue}/items");
    let missing = json!({"span_ids": [span_hex(10), span_hex(999)]});
    let (status, answer) = call(&server, "", Method::POST, &path, Some(&missing)).await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer.as_str().unwrap().contains(&span_hex(999)));
    let both = json!({"span_ids": [], "trace_ids": []});
    assert_eq!(call(&server, "", Method::POST, &path, Some(&both)).await.0, 422);
    let unknown = json!({"filter": {"colour": "red"}});
    assert_eq!(call(&server, "", Method::POST, &path, Some(&unknown)).await.0, 422);
    let refused = json!({"filter": {"condition": "len(name) > 1"}});
    let (status, answer) = call(&server, "", Method::POST, &path, Some(&refused)).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.to_string().contains("function call"), "{answer}");
    let bad_k = json!({"name": "x", "reviewers_per_item": 0});
    assert_eq!(call(&server, "", Method::POST, "/v1/annotation_queues", Some(&bad_k)).await.0, 422);
    let blank = json!({"name": "  "});
    assert_eq!(call(&server, "", Method::POST, "/v1/annotation_queues", Some(&blank)).await.0, 422);
    assert_eq!(progress(&server, "", &queue).await["total"], 6);

    // Removing an item, then a second removal is a 404.
    let first = items["data"][0]["id"].as_str().unwrap();
    let item_path = format!("/v1/annotation_queues/{queue}/items/{first}");
    assert_eq!(call(&server, "", Method::DELETE, &item_path, None).await.0, 204);
    assert_eq!(call(&server, "", Method::DELETE, &item_path, None).await.0, 404);
    assert_eq!(progress(&server, "", &queue).await["total"], 5);
}

#[tokio::test]
async fn each_item_is_reviewed_by_k_different_reviewers() {
    let dir = tempfile::tempdir().unwrap();
    let team = team_with_traces(dir.path(), 3).await;
    let server = &team.server;
    let member = &team.role_keys["MEMBER"];
    let queue = create_queue(server, member, json!({"name": "k2", "reviewers_per_item": 2})).await;
    let spans = json!({"span_ids": [span_hex(10), span_hex(20), span_hex(30)]});
    assert_eq!(add(server, member, &queue, spans).await, (3, 0));

    let reviewers = [&team.role_keys["ADMIN"], &team.role_keys["MEMBER"], &team.role_keys["ANNOTATOR"]];
    let mut done_by: Vec<HashSet<String>> = vec![HashSet::new(); 3];
    let mut reviews = 0;
    // Round-robin until nobody gets anything: 3 items × 2 reviews.
    loop {
        let mut any = false;
        for (who, key) in reviewers.iter().enumerate() {
            let Some(item) = next(server, key, &queue).await else { continue };
            assert!(done_by[who].insert(item.clone()), "reviewer {who} got {item} twice");
            let (status, answer) = complete(server, key, &queue, &item, json!({})).await;
            assert_eq!(status, 204, "{answer}");
            reviews += 1;
            any = true;
        }
        if !any {
            break;
        }
    }
    assert_eq!(reviews, 6, "each of 3 items reviewed by exactly 2");
    let mut per_item = std::collections::HashMap::<String, usize>::new();
    for item in done_by.iter().flatten() {
        *per_item.entry(item.clone()).or_default() += 1;
    }
    assert!(per_item.values().all(|n| *n == 2), "{per_item:?}");
    let progress = progress(server, member, &queue).await;
    assert_eq!((progress["total"].as_i64(), progress["done"].as_i64()), (Some(3), Some(3)));
    let counted: i64 = progress["by_reviewer"].as_array().unwrap().iter().map(|r| r["done"].as_i64().unwrap()).sum();
    assert_eq!(counted, 6);
    assert!(progress["by_reviewer"][0]["user_id"].is_string());

    // Raising k to 3 re-opens every item for the one who has not done it.
    let (status, _) = call(
        server,
        member,
        Method::PATCH,
        &format!("/v1/annotation_queues/{queue}"),
        Some(&json!({"reviewers_per_item": 3})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(self::progress(server, member, &queue).await["done"], 0);
    let items =
        server.send_as(member, Method::GET, &format!("/v1/annotation_queues/{queue}/items?status=done"), None).await;
    assert_eq!(serde_json::from_str::<Value>(&items.1).unwrap()["data"], json!([]));
}

#[tokio::test]
async fn a_reservation_expires_when_its_reviewer_walks_away() {
    let dir = tempfile::tempdir().unwrap();
    let team = team_with_traces(dir.path(), 1).await;
    let server = &team.server;
    let (member, annotator) = (&team.role_keys["MEMBER"], &team.role_keys["ANNOTATOR"]);
    let queue = create_queue(server, member, json!({"name": "short", "reservation_seconds": 1})).await;
    add(server, member, &queue, json!({"span_ids": [span_hex(10)]})).await;

    let held = next(server, member, &queue).await.expect("the member gets the item");
    // Asking again returns the same reservation; the other reviewer gets nothing.
    assert_eq!(next(server, member, &queue).await.as_deref(), Some(held.as_str()));
    assert_eq!(next(server, annotator, &queue).await, None);
    let reserved = server
        .send_as(member, Method::GET, &format!("/v1/annotation_queues/{queue}/items?status=reserved"), None)
        .await;
    assert_eq!(serde_json::from_str::<Value>(&reserved.1).unwrap()["data"].as_array().unwrap().len(), 1);

    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    // Expired: the item is free for the other reviewer, and the walker's
    // late completion is refused.
    assert_eq!(next(server, annotator, &queue).await.as_deref(), Some(held.as_str()));
    let (status, answer) = complete(server, member, &queue, &held, json!({})).await;
    assert_eq!(status, 409, "{answer}");
    let (status, answer) = complete(server, annotator, &queue, &held, json!({})).await;
    assert_eq!(status, 204, "{answer}");
    assert_eq!(progress(server, member, &queue).await["done"], 1);
}

#[tokio::test]
async fn concurrent_next_calls_on_two_replicas_never_hand_out_the_same_item_at_k_1() {
    const REVIEWERS: usize = 20;
    const ROUNDS: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let team = team_with_traces(dir.path(), 110).await;
    let server = &team.server;
    let member = &team.role_keys["MEMBER"];
    let keys = reviewer_keys(&team, REVIEWERS).await;
    let queue = create_queue(server, member, json!({"name": "race"})).await;
    assert_eq!(add(server, member, &queue, json!({"filter": {"project": "p"}})).await, (110, 0));
    // Half the reviewers ask a second process on the same database (a replica).
    let replica = Server::start_with_auth(dir.path(), &[]);
    let to = |i: usize| if i.is_multiple_of(2) { server } else { &replica };

    let mut seen = HashSet::new();
    for round in 0..ROUNDS {
        // All twenty ask at once: twenty requests in flight together.
        let asks = join_all(keys.iter().enumerate().map(|(i, key)| next(to(i), key, &queue))).await;
        let handed: Vec<String> =
            asks.into_iter().map(|item| item.expect("110 items are enough for 5 rounds of 20")).collect();
        let distinct: HashSet<&String> = handed.iter().collect();
        assert_eq!(distinct.len(), REVIEWERS, "round {round}: an item went to two reviewers: {handed:?}");
        // And all at once, each completes their own.
        let completions = join_all(
            keys.iter().zip(&handed).enumerate().map(|(i, (key, item))| complete(to(i), key, &queue, item, json!({}))),
        )
        .await;
        assert!(completions.iter().all(|(status, _)| *status == 204), "{completions:?}");
        for item in handed {
            assert!(seen.insert(item), "round {round}: an item came back after it was done");
        }
    }
    let progress = progress(server, member, &queue).await;
    assert_eq!(progress["done"], json!(REVIEWERS * ROUNDS));

    // More reviewers than items left: each item goes to one, the rest get 204.
    let asks = join_all(keys.iter().enumerate().map(|(i, key)| next(to(i), key, &queue))).await;
    let handed: Vec<&String> = asks.iter().flatten().collect();
    let distinct: HashSet<&&String> = handed.iter().collect();
    assert_eq!((handed.len(), distinct.len()), (10, 10), "{asks:?}");
    assert!(handed.iter().all(|item| !seen.contains(*item)));
}

#[tokio::test]
async fn completing_writes_the_reviewers_own_annotation_and_refuses_what_it_must() {
    let dir = tempfile::tempdir().unwrap();
    let team = team_with_traces(dir.path(), 2).await;
    let server = &team.server;
    let (member, annotator) = (&team.role_keys["MEMBER"], &team.role_keys["ANNOTATOR"]);
    let queue = create_queue(server, member, json!({"name": "labels"})).await;
    add(server, member, &queue, json!({"span_ids": [span_hex(10)], })).await;
    add(server, member, &queue, json!({"trace_ids": [trace_hex(2)]})).await;
    let items = server.send_as(member, Method::GET, &format!("/v1/annotation_queues/{queue}/items"), None).await;
    let items: Value = serde_json::from_str(&items.1).unwrap();
    let span_item = items["data"][0]["id"].as_str().unwrap().to_owned();

    // Not reserved yet: 409.
    let label = json!({"annotations": [{"name": "correctness", "result": {"label": "correct", "score": 1}}]});
    let (status, answer) = complete(server, annotator, &queue, &span_item, label.clone()).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(next(server, annotator, &queue).await.as_deref(), Some(span_item.as_str()));
    // An annotation of another span, or the reserved name, is refused, and the review stays open.
    let other = json!({"annotations": [{"span_id": span_hex(20), "name": "correctness", "result": {"label": "x"}}]});
    assert_eq!(complete(server, annotator, &queue, &span_item, other).await.0, 422);
    let note = json!({"annotations": [{"name": "note", "result": {"explanation": "x"}}]});
    assert_eq!(complete(server, annotator, &queue, &span_item, note).await.0, 422);
    let (status, answer) = complete(server, annotator, &queue, &span_item, label.clone()).await;
    assert_eq!(status, 204, "{answer}");
    // Twice: 409.
    assert_eq!(complete(server, annotator, &queue, &span_item, label.clone()).await.0, 409);

    // Written as the reviewer's own, source APP.
    let path = format!("/v1/projects/p/span_annotations?span_ids={}", span_hex(10));
    let (_, written) = call(server, member, Method::GET, &path, None).await;
    let written = &written["data"][0];
    assert_eq!(written["name"], "correctness");
    assert_eq!(written["result"]["label"], "correct");
    assert_eq!(written["source"], "APP");
    assert_eq!(written["annotator_kind"], "HUMAN");
    assert!(written["identifier"].as_str().unwrap().starts_with("user:"), "{written}");

    // The trace item: a trace annotation.
    let trace_item = next(server, annotator, &queue).await.expect("the trace item");
    let (status, answer) = complete(server, annotator, &queue, &trace_item, label).await;
    assert_eq!(status, 204, "{answer}");
    let path = format!("/v1/projects/p/trace_annotations?trace_ids={}", trace_hex(2));
    let (_, written) = call(server, member, Method::GET, &path, None).await;
    assert_eq!(written["data"][0]["result"]["label"], "correct");
    assert_eq!(next(server, annotator, &queue).await, None);

    let progress = progress(server, member, &queue).await;
    assert_eq!((progress["done"].as_i64(), progress["total"].as_i64()), (Some(2), Some(2)));
    assert_eq!(progress["by_reviewer"][0]["name"], "annotator.user@example.org");
    assert_eq!(progress["by_reviewer"][0]["done"], 2);
    // An item of no queue: 404.
    let (status, _) = complete(server, annotator, &queue, "QW5ub3RhdGlvblF1ZXVlSXRlbTo5OTk=", json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn who_may_make_and_work_a_queue() {
    let dir = tempfile::tempdir().unwrap();
    let team = team_with_traces(dir.path(), 2).await;
    let server = &team.server;
    let (member, annotator, viewer) =
        (&team.role_keys["MEMBER"], &team.role_keys["ANNOTATOR"], &team.role_keys["VIEWER"]);
    // An annotator cannot make a queue or fill one.
    let body = json!({"name": "nope"});
    assert_eq!(call(server, annotator, Method::POST, "/v1/annotation_queues", Some(&body)).await.0, 403);
    let queue = create_queue(server, member, json!({"name": "open"})).await;
    let items = format!("/v1/annotation_queues/{queue}/items");
    let spans = json!({"span_ids": [span_hex(10)]});
    assert_eq!(call(server, annotator, Method::POST, &items, Some(&spans)).await.0, 403);
    add(server, member, &queue, spans).await;
    // A viewer reads it but cannot work it.
    assert_eq!(call(server, viewer, Method::GET, &format!("/v1/annotation_queues/{queue}"), None).await.0, 200);
    let next_path = format!("/v1/annotation_queues/{queue}/next");
    assert_eq!(call(server, viewer, Method::POST, &next_path, None).await.0, 403);
    assert_eq!(call(server, &team.cookies["VIEWER"], Method::POST, &next_path, None).await.0, 403);

    // A queue listing its reviewers is theirs alone.
    let (status, users) = call(server, member, Method::GET, "/v1/users", None).await;
    let users: Vec<Value> = if status == 200 { users["data"].as_array().unwrap().clone() } else { Vec::new() };
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
    let (_, users) = if users.is_empty() {
        call(server, &admin, Method::GET, "/v1/users", None).await
    } else {
        (200, json!({"data": users}))
    };
    let member_id = users["data"].as_array().unwrap().iter().find(|u| u["email"] == "member.user@example.org").unwrap()
        ["id"]
        .clone();
    let listed = create_queue(server, member, json!({"name": "closed", "reviewer_ids": [member_id]})).await;
    add(server, member, &listed, json!({"span_ids": [span_hex(20)]})).await;
    let listed_next = format!("/v1/annotation_queues/{listed}/next");
    let (status, answer) = call(server, annotator, Method::POST, &listed_next, None).await;
    assert_eq!(status, 403, "{answer}");
    assert!(next(server, member, &listed).await.is_some());
    // Deleting: a member may, an annotator may not.
    let path = format!("/v1/annotation_queues/{listed}");
    assert_eq!(call(server, annotator, Method::DELETE, &path, None).await.0, 403);
    assert_eq!(call(server, member, Method::DELETE, &path, None).await.0, 204);
    assert_eq!(call(server, member, Method::GET, &path, None).await.0, 404);
}

/// Posts a form to server function `function` as a browser without
/// JavaScript would (`Accept: text/html`); the status and `Location`.
async fn post_form(server: &Server, cookie: &str, function: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client
        .post(server.at(&format!("/api/{function}")))
        .header("cookie", cookie)
        .header("origin", &server.url)
        .header("referer", server.at("/queues"))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (response.status().as_u16(), location)
}

/// GETs a page with a session cookie: status and HTML.
async fn page_as(server: &Server, cookie: &str, path: &str) -> (u16, String) {
    let response = server.http.get(server.at(path)).header("cookie", cookie).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The value of the first `attribute="…"` in `html`.
fn attribute<'a>(html: &'a str, attribute: &str) -> &'a str {
    let start = html.find(&format!("{attribute}=\"")).unwrap_or_else(|| panic!("no {attribute} in the page"))
        + attribute.len()
        + 2;
    &html[start..start + html[start..].find('"').unwrap()]
}

#[tokio::test]
async fn a_queue_is_made_and_worked_with_plain_forms() {
    let dir = tempfile::tempdir().unwrap();
    let team = team_with_traces(dir.path(), 2).await;
    let server = &team.server;
    let (member, annotator) = (&team.cookies["MEMBER"], &team.cookies["ANNOTATOR"]);
    let config = json!({"name": "correctness", "type": "CATEGORICAL", "optimization_direction": "MAXIMIZE",
        "values": [{"label": "correct", "score": 1}, {"label": "incorrect", "score": 0}]});
    let (status, config) = call(server, member, Method::POST, "/v1/annotation_configs", Some(&config)).await;
    assert_eq!(status, 200, "{config}");
    let config_field = format!("configs[{}]", config["data"]["id"].as_str().unwrap());

    // The new-queue form, then "add all matching" from the trace list's filter.
    let fields = [
        ("name", "Refunds"),
        ("instructions", "**Be strict.** <script>alert(1)</script> [x](javascript:alert(1))"),
        ("reviewers_per_item", "1"),
        (config_field.as_str(), "on"),
    ];
    let (status, location) = post_form(server, member, "create_queue", &fields).await;
    assert_eq!((status, location.as_str()), (302, "/queues/1"));
    let queue = app::ids::global_id("AnnotationQueue", 1);
    let fields = [("queue", queue.as_str()), ("project", "p"), ("filter", "")];
    assert_eq!(post_form(server, member, "add_to_queue", &fields).await, (302, "/queues/1".to_owned()));

    let (status, html) = page_as(server, member, "/queues/1").await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>Be strict.</strong>"), "the Markdown is rendered");
    assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;"), "raw HTML is text");
    assert!(!html.contains("javascript:alert"), "unsafe links are dropped");
    assert!(html.contains("0 / 2 done"), "progress");

    // The annotator opens the review page: it reserves an item and numbers the labels.
    let (status, html) = page_as(server, annotator, "/queues/1/review").await;
    assert_eq!(status, 200);
    let item = attribute(&html, "data-item").to_owned();
    assert!(html.contains("data-review-key=\"1\"") && html.contains("data-review-key=\"2\""));
    assert!(html.contains("question "), "the item's input is shown");
    // Submitting without a label is refused (and redirected back to the page with the error).
    let fields = [("queue", queue.as_str()), ("item", item.as_str())];
    let (status, location) = post_form(server, annotator, "complete_review", &fields).await;
    assert_eq!(status, 302);
    assert!(location.contains("__err"), "{location}");
    let fields = [("queue", queue.as_str()), ("item", item.as_str()), ("a[c0]", "correct"), ("explanation", "ok")];
    assert_eq!(post_form(server, annotator, "complete_review", &fields).await, (302, "/queues/1/review".to_owned()));
    // Skip the next one, which comes back as the only one left.
    let (_, html) = page_as(server, annotator, "/queues/1/review").await;
    let second = attribute(&html, "data-item").to_owned();
    assert_ne!(second, item);
    let fields = [("queue", queue.as_str()), ("item", second.as_str())];
    assert_eq!(post_form(server, annotator, "skip_review", &fields).await, (302, "/queues/1/review".to_owned()));
    let (_, html) = page_as(server, annotator, "/queues/1/review").await;
    assert_eq!(attribute(&html, "data-item"), second);
    // "Back" shows the item reviewed before, with the answer given.
    let (_, back) = page_as(server, annotator, &format!("/queues/1/review?item={item}")).await;
    assert!(back.contains("You reviewed this item already"), "revising");
    assert!(back.contains("value=\"correct\" checked"), "the answer given is checked");

    let (_, progress) = call(server, member, Method::GET, &format!("/v1/annotation_queues/{queue}"), None).await;
    assert_eq!(progress["data"]["progress"]["done"], 1);
    let (_, html) = page_as(server, member, "/queues").await;
    assert!(html.contains("1 / 2 done (50 %)"), "the list shows progress");
    // A viewer is told they cannot work it, and nothing is reserved for them.
    let (status, html) = page_as(server, &team.cookies["VIEWER"], "/queues/1/review").await;
    assert_eq!(status, 200);
    assert!(html.contains("You cannot work this queue"));
}
