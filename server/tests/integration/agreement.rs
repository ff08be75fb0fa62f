//! Agreement between annotators (`GET /v1/projects/{p}/annotation_agreement`
//! and the `/projects/{p}/agreement` page) and bulk annotation of a
//! selection (`POST /v1/projects/{p}/span_annotations/bulk`), against a real
//! server. The figures are checked against an independent, deliberately
//! naive computation (every pair of values spelled out).

use crate::common::accounts::Team;
use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Spans 1..=n, one trace each, in `project`.
async fn ingest(server: &Server, project: &str, n: u64) {
    let spans = (1..=n).map(|i| span(u128::from(i), i, 0, "s", i, 1, vec![])).collect();
    assert_eq!(server.export(&request(vec![], spans), Some(project)).await.status(), 200);
}

/// A rating by `rater` (its identifier) of `kind`.
fn rating(span: u64, name: &str, rater: &str, kind: &str, label: &str, score: f64) -> Value {
    json!({"span_id": span_hex(span), "name": name, "annotator_kind": kind, "identifier": rater,
           "result": {"label": label, "score": score}})
}

async fn annotate(server: &Server, items: Vec<Value>) {
    let (status, text) =
        server.send_json(Method::POST, "/v1/span_annotations?sync=true", &json!({ "data": items })).await;
    assert_eq!(status, 200, "{text}");
}

/// "quality" by alice and bob (HUMAN) and judge (LLM); "tone" by alice and bob only.
async fn seeded() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", 5).await;
    let q = |span, rater, kind, label, score| rating(span, "quality", rater, kind, label, score);
    annotate(
        &server,
        vec![
            q(1, "alice", "HUMAN", "good", 1.0),
            q(1, "bob", "HUMAN", "good", 1.0),
            q(1, "judge", "LLM", "good", 0.9),
            q(2, "alice", "HUMAN", "bad", 0.0),
            q(2, "bob", "HUMAN", "good", 1.0),
            q(2, "judge", "LLM", "bad", 0.2),
            q(3, "alice", "HUMAN", "good", 1.0),
            q(3, "bob", "HUMAN", "bad", 0.0),
            q(3, "judge", "LLM", "good", 0.8),
            q(4, "alice", "HUMAN", "bad", 0.0),
            q(4, "bob", "HUMAN", "bad", 0.0),
            // Alone on span 5: not an overlap target.
            q(5, "alice", "HUMAN", "good", 1.0),
        ],
    )
    .await;
    let t = |span, rater, label| rating(span, "tone", rater, "HUMAN", label, 0.0);
    let tone = [("good", "good"), ("bad", "good"), ("good", "bad"), ("bad", "bad"), ("good", "good")];
    let mut items = Vec::new();
    for (i, (a, b)) in tone.iter().enumerate() {
        items.push(t(i as u64 + 1, "alice", a));
        items.push(t(i as u64 + 1, "bob", b));
    }
    annotate(&server, items).await;
    (dir, server)
}

/// Krippendorff's alpha by its definition, every pair of pairable values
/// spelled out: D_o from pairs within units weighted 1/(m_u − 1), D_e from
/// all pairs of pairable values.
fn naive_alpha(units: &[Vec<f64>], delta: fn(f64, f64) -> f64) -> f64 {
    let pairable: Vec<&Vec<f64>> = units.iter().filter(|u| u.len() >= 2).collect();
    let all: Vec<f64> = pairable.iter().flat_map(|u| u.iter().copied()).collect();
    let n = all.len() as f64;
    let observed: f64 = pairable.iter().map(|unit| pair_sum(unit, delta) / (unit.len() as f64 - 1.0)).sum();
    1.0 - (observed / n) / (pair_sum(&all, delta) / (n * (n - 1.0)))
}

/// Σ δ(v_i, v_j) over the ordered pairs of distinct positions i ≠ j.
fn pair_sum(values: &[f64], delta: fn(f64, f64) -> f64) -> f64 {
    let mut sum = 0.0;
    for (i, a) in values.iter().enumerate() {
        for (j, b) in values.iter().enumerate() {
            if i != j {
                sum += delta(*a, *b);
            }
        }
    }
    sum
}

fn close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("a number, not {actual}"));
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

#[tokio::test]
async fn agreement_figures_match_an_independent_computation() {
    let (_dir, server) = seeded().await;
    let body = server.get_json("/v1/projects/p/annotation_agreement?name=quality").await;
    let data = &body["data"];
    assert_eq!(data["name"], "quality");
    assert_eq!(data["targets"], 4, "span 5 has one rater");
    assert_eq!(data["annotators"], 3);
    assert_eq!(data["cohen_kappa"], Value::Null, "three annotators");
    // Pairs agreeing: span 1 3/3, span 2 1/3, span 3 1/3, span 4 1/1.
    close(&data["percent_agreement"], 6.0 / 10.0);
    let (good, bad) = (1.0, 0.0);
    let labels = vec![vec![good, good, good], vec![bad, good, bad], vec![good, bad, good], vec![bad, bad]];
    let scores = vec![vec![1.0, 1.0, 0.9], vec![0.0, 1.0, 0.2], vec![1.0, 0.0, 0.8], vec![0.0, 0.0]];
    let nominal = naive_alpha(&labels, |a, b| if a == b { 0.0 } else { 1.0 });
    let interval = naive_alpha(&scores, |a, b| (a - b) * (a - b));
    close(&data["krippendorff_alpha"]["nominal"], nominal);
    close(&data["krippendorff_alpha"]["interval"], interval);

    let versus = &data["human_vs_llm"];
    assert_eq!(versus["targets"], 3);
    assert_eq!(versus["label_confusion"]["labels"], json!(["bad", "good"]));
    // Rows: the human's label; columns: the LLM's.
    assert_eq!(versus["label_confusion"]["counts"], json!([[1, 1], [1, 3]]));
    close(&versus["score_mean_abs_diff"], (0.1 + 0.1 + 0.2 + 0.8 + 0.2 + 0.8) / 6.0);

    assert_eq!(data["disagreement_count"], 2);
    let listed: Vec<&str> =
        data["disagreements"].as_array().unwrap().iter().map(|d| d["span_id"].as_str().unwrap()).collect();
    assert_eq!(listed, [span_hex(2), span_hex(3)]);
    let values = data["disagreements"][0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 3);
    assert!(values.contains(&json!({"annotator": "judge", "annotator_kind": "LLM", "label": "bad", "score": 0.2})));

    // Two raters: Cohen's kappa, p_o = 3/5, p_e = 0.6² + 0.4².
    let tone = server.get_json("/v1/projects/p/annotation_agreement?name=tone").await;
    let (observed, chance) = (0.6, 0.6 * 0.6 + 0.4 * 0.4);
    close(&tone["data"]["cohen_kappa"], (observed - chance) / (1.0 - chance));
    assert_eq!(tone["data"]["human_vs_llm"], Value::Null, "no LLM ratings");
    assert_eq!(tone["data"]["annotators"], 2);
}

#[tokio::test]
async fn agreement_refuses_unknown_projects_and_missing_names() {
    let (_dir, server) = seeded().await;
    let (status, text, _) = server.get_text("/v1/projects/nope/annotation_agreement?name=quality").await;
    assert_eq!(status, 404, "{text}");
    let (status, text, _) = server.get_text("/v1/projects/p/annotation_agreement").await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("name"), "{text}");
    // A name nobody used: zero targets, no figures.
    let body = server.get_json("/v1/projects/p/annotation_agreement?name=unused").await;
    assert_eq!(body["data"]["targets"], 0);
    assert_eq!(body["data"]["krippendorff_alpha"]["nominal"], Value::Null);
    let document = server.get_json("/openapi.json").await;
    assert!(document["paths"]["/v1/projects/{project}/annotation_agreement"]["get"].is_object());
}

#[tokio::test]
async fn the_agreement_page_shows_the_figures_and_links_each_disagreement() {
    let (_dir, server) = seeded().await;
    let (status, html) = pages::page(&server, "/projects/p/agreement?name=tone").await;
    assert_eq!(status, 200, "{html}");
    // κ = 0.08 / 0.48.
    assert!(html.contains("0.167"), "kappa shown: {html}");
    assert!(html.contains(&format!("href=\"/projects/p/spans/{}\"", span_hex(2))), "{html}");
    let (_, html) = pages::page(&server, "/projects/p/agreement?name=quality").await;
    assert!(html.contains("role=\"img\""), "the heat map: {html}");
    assert!(html.contains("<option") && html.contains(">tone</option>"), "the name choice: {html}");
    // Without a name the page offers the choice.
    let (status, html) = pages::page(&server, "/projects/p/agreement").await;
    assert_eq!(status, 200);
    assert!(html.contains(">quality</option>"), "{html}");
    let (_, html) = pages::page(&server, "/projects/p").await;
    assert!(html.contains("href=\"/projects/p/agreement\""), "linked from the trace list: {html}");
}

/// Whether span `n` of `p` has an annotation `name` (any identifier).
async fn has(server: &Server, n: u64, name: &str) -> bool {
    let path = format!("/v1/projects/p/span_annotations?span_ids={}&limit=100", span_hex(n));
    let body = server.get_json(&path).await;
    body["data"].as_array().unwrap().iter().any(|a| a["name"] == name)
}

#[tokio::test]
async fn bulk_annotation_of_a_filter_or_a_collection() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", 6).await;
    let bulk = "/v1/projects/p/span_annotations/bulk";
    let body = json!({"filter": {"span_id": [span_hex(1), span_hex(2), span_hex(3)]},
                      "annotation": {"name": "reviewed", "label": "ok", "score": 1}});
    let (status, text) = server.send_json(Method::POST, bulk, &body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["data"]["annotated"], 3);
    assert!(has(&server, 1, "reviewed").await && has(&server, 3, "reviewed").await);
    assert!(!has(&server, 4, "reviewed").await);

    let (_, text) = server.send_json(Method::POST, "/v1/collections", &json!({"name": "c"})).await;
    let collection = serde_json::from_str::<Value>(&text).unwrap()["data"]["id"].as_str().unwrap().to_owned();
    let items = json!({"span_ids": [span_hex(5), span_hex(6)]});
    let (status, text) = server.send_json(Method::POST, &format!("/v1/collections/{collection}/items"), &items).await;
    assert_eq!(status, 200, "{text}");
    let body = json!({"collection_id": collection, "annotation": {"name": "picked", "explanation": "good example"}});
    let (status, text) = server.send_json(Method::POST, bulk, &body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["data"]["annotated"], 2);
    assert!(has(&server, 6, "picked").await && !has(&server, 1, "picked").await);

    // Bad requests name the problem and write nothing.
    for (body, status) in [
        (json!({"annotation": {"name": "x", "label": "y"}}), 422),
        (json!({"filter": {}, "collection_id": collection, "annotation": {"name": "x", "label": "y"}}), 422),
        (json!({"filter": {}, "annotation": {"name": "x"}}), 422),
        (json!({"filter": {}, "annotation": {"name": " ", "label": "y"}}), 422),
        (json!({"filter": {"project": "other"}, "annotation": {"name": "x", "label": "y"}}), 422),
        (json!({"filter": {"span_kind": 3}, "annotation": {"name": "x", "label": "y"}}), 422),
        (json!({"collection_id": "Collection:999", "annotation": {"name": "x", "label": "y"}}), 404),
    ] {
        let (got, text) = server.send_json(Method::POST, bulk, &body).await;
        assert_eq!(got, status, "{body}: {text}");
    }
    assert!(!has(&server, 1, "x").await);
    let (status, _) = server
        .send_json(
            Method::POST,
            "/v1/projects/nope/span_annotations/bulk",
            &json!({"filter": {}, "annotation": {"name": "x", "label": "y"}}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bulk_annotation_over_the_cap_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    // One trace of 10,001 spans: a root and 10,000 children.
    let spans = (1..=10_001).map(|i| span(1, i, if i == 1 { 0 } else { 1 }, "s", i, 1, vec![])).collect();
    assert_eq!(server.export(&request(vec![], spans), Some("p")).await.status(), 200);
    let body = json!({"filter": {}, "annotation": {"name": "too many", "label": "x"}});
    let (status, text) = server.send_json(Method::POST, "/v1/projects/p/span_annotations/bulk", &body).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("10000"), "names the cap: {text}");
    assert!(!has(&server, 1, "too many").await);
    // One span fewer is within the cap.
    let body = json!({"filter": {"parent_id": span_hex(1)}, "annotation": {"name": "child", "label": "x"}});
    let (status, text) = server.send_json(Method::POST, "/v1/projects/p/span_annotations/bulk", &body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["data"]["annotated"], 10_000);
    assert!(has(&server, 10_001, "child").await && !has(&server, 1, "child").await);
}

#[tokio::test]
async fn bulk_annotation_permissions_and_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let server = &team.server;
    let spans = (1..=3).map(|i| span(u128::from(i), i, 0, "s", i, 1, vec![])).collect();
    let response = server
        .http
        .post(server.at("/v1/traces"))
        .bearer_auth(&team.scope_keys["ingest"])
        .header("content-type", "application/x-protobuf")
        .header("x-project-name", "p")
        .body(prost::Message::encode_to_vec(&request(vec![], spans)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bulk = "/v1/projects/p/span_annotations/bulk";
    let body = json!({"filter": {}, "annotation": {"name": "verdict", "identifier": "shared", "label": "fine"}});

    let (status, text) = server.send_as(&team.role_keys["VIEWER"], Method::POST, bulk, Some(&body)).await;
    assert_eq!(status, 403, "a viewer may not annotate: {text}");

    // Someone else's `verdict` (identifier `shared`) on span 2: a service
    // key that may annotate cannot replace it, and then span 1 gets nothing either.
    let theirs = json!({"data": [{"span_id": span_hex(2), "name": "verdict", "annotator_kind": "HUMAN",
                                  "identifier": "shared", "result": {"label": "bad"}}]});
    let (status, text) =
        server.send_as(&team.role_keys["ADMIN"], Method::POST, "/v1/span_annotations?sync=true", Some(&theirs)).await;
    assert_eq!(status, 200, "{text}");
    let (status, text) = server.send_as(&team.scope_keys["annotate"], Method::POST, bulk, Some(&body)).await;
    assert_eq!(status, 403, "{text}");
    let listed = |n: u64| format!("/v1/projects/p/span_annotations?span_ids={}", span_hex(n));
    let (_, text) = server.send_as(&team.role_keys["ADMIN"], Method::GET, &listed(1), None).await;
    assert!(!text.contains("verdict"), "nothing written: {text}");

    // An annotator's own identifier is theirs alone: all three spans.
    let (status, text) = server.send_as(&team.role_keys["ANNOTATOR"], Method::POST, bulk, Some(&body)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["data"]["annotated"], 3);
    let (_, text) = server.send_as(&team.role_keys["ADMIN"], Method::GET, &listed(1), None).await;
    assert!(text.contains("\"fine\"") && text.contains("\"source\":\"API\""), "{text}");
}

/// Posts `fields` to server function `endpoint` as a browser without
/// JavaScript on page `from` does (no redirect followed): status, headers, body.
async fn submit(
    server: &Server,
    from: &str,
    endpoint: &str,
    fields: &[(&str, &str)],
    html: bool,
) -> (u16, reqwest::header::HeaderMap, String) {
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let response = plain
        .post(server.at(&format!("/api/{endpoint}")))
        .header("accept", if html { "text/html" } else { "application/json" })
        .header("origin", &server.url)
        .header("referer", server.at(from))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn the_confirm_page_counts_then_annotates_without_javascript() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", 6).await;
    let (_, list) = pages::page(&server, "/projects/p").await;
    assert!(list.contains("href=\"/projects/p/annotate\""), "linked from the trace list: {list}");
    let (status, html) = pages::page(&server, "/projects/p/annotate").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-count=\"6\""), "the count before anything is written: {html}");
    assert!(html.contains("action=\"/api/annotate_selection\""), "{html}");
    assert!(html.contains("Annotate 6 spans"), "{html}");

    let fields = |expected: &'static str, confirm: &'static str| {
        vec![
            ("project", "p"),
            ("filter", ""),
            ("collection", ""),
            ("expected", expected),
            ("name", "triage"),
            ("label", "seen"),
            ("score", ""),
            ("explanation", ""),
            ("confirm", confirm),
        ]
    };
    // A stale count or no confirmation: refused, nothing written.
    let (status, _, text) =
        submit(&server, "/projects/p/annotate", "annotate_selection", &fields("5", "on"), false).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("now holds 6 spans"), "{text}");
    let (status, _, text) =
        submit(&server, "/projects/p/annotate", "annotate_selection", &fields("6", ""), false).await;
    assert_eq!(status, 422, "{text}");
    assert!(!has(&server, 1, "triage").await);

    let (status, headers, _) =
        submit(&server, "/projects/p/annotate", "annotate_selection", &fields("6", "on"), true).await;
    assert_eq!(status, 302, "redirected back");
    let cookie = set_cookie(&headers, "plume_bulk_done").expect("the outcome rides to the next page");
    assert!(has(&server, 1, "triage").await && has(&server, 6, "triage").await);
    let response = server.http.get(server.at("/projects/p/annotate")).header("cookie", cookie).send().await.unwrap();
    let html = response.text().await.unwrap();
    assert!(html.contains("Annotated 6 spans with “triage”"), "{html}");

    // A collection's confirm page counts its spans only.
    let (_, text) = server.send_json(Method::POST, "/v1/collections", &json!({"name": "c"})).await;
    let collection = serde_json::from_str::<Value>(&text).unwrap()["data"]["id"].as_str().unwrap().to_owned();
    let items = json!({"span_ids": [span_hex(2), span_hex(3)]});
    server.send_json(Method::POST, &format!("/v1/collections/{collection}/items"), &items).await;
    // The first collection of a fresh server.
    let path = "/collections/1".to_owned();
    let (_, html) = pages::page(&server, &path).await;
    assert!(html.contains(&format!("href=\"{path}/annotate\"")), "linked from the collection page: {html}");
    let (status, html) = pages::page(&server, &format!("{path}/annotate")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-count=\"2\""), "{html}");
    let (status, _) = pages::page(&server, "/collections/999/annotate").await;
    assert_eq!(status, 404);
}
