//! `POST /v1/document_annotations` (Phoenix's contract) and
//! `GET`/`DELETE /v1/projects/{p}/document_annotations` against a real
//! server, and the span page's retrieved documents with their 👍/👎.

use crate::common::accounts::Team;
use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Stores span `id` (trace 1) in `project` with `documents` retrieved
/// documents, as OpenInference sends them (flat `retrieval.documents.N.…` keys).
async fn ingest(server: &Server, project: &str, id: u64, documents: usize) {
    let mut attributes = vec![attr("openinference.span.kind", "RETRIEVER")];
    for n in 0..documents {
        attributes.push(attr(&format!("retrieval.documents.{n}.document.id"), &format!("doc-{n}")));
        attributes.push(attr(&format!("retrieval.documents.{n}.document.content"), &format!("content <b>{n}</b>")));
        attributes.push(attr(&format!("retrieval.documents.{n}.document.metadata"), r#"{"source": "wiki"}"#));
    }
    let spans = vec![span(1, id, 0, "retrieve", id, 1, attributes)];
    assert_eq!(server.export(&request(vec![], spans), Some(project)).await.status(), 200);
}

fn item(span: u64, position: i64, name: &str, label: &str) -> Value {
    json!({"span_id": span_hex(span), "document_position": position, "name": name, "annotator_kind": "LLM",
        "result": {"label": label, "score": 0.5, "explanation": "because"}, "metadata": {"judge": "gpt"}})
}

async fn post(server: &Server, query: &str, data: Vec<Value>) -> (u16, Value) {
    let (status, text) =
        server.send_json(Method::POST, &format!("/v1/document_annotations?{query}"), &json!({ "data": data })).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The project's document annotations of span `id`, newest first.
async fn listed(server: &Server, project: &str, id: u64) -> Vec<Value> {
    let path = format!("/v1/projects/{project}/document_annotations?span_ids={}&limit=100", span_hex(id));
    server.get_json(&path).await["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sync_writes_answer_ids_list_in_phoenix_shape_and_upsert_by_document() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", 1, 3).await;
    let (status, body) =
        post(&server, "sync=true", vec![item(1, 0, "relevance", "yes"), item(1, 2, "relevance", "no")]).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);

    let listed_now = listed(&server, "p", 1).await;
    assert_eq!(listed_now.len(), 2);
    let first = listed_now.iter().find(|a| a["document_position"] == 0).unwrap();
    assert_eq!(first["id"], ids[0]);
    assert_eq!(first["span_id"], span_hex(1));
    assert_eq!(first["name"], "relevance");
    assert_eq!(first["annotator_kind"], "LLM");
    assert_eq!(first["result"], json!({"label": "yes", "score": 0.5, "explanation": "because"}));
    assert_eq!(first["metadata"], json!({"judge": "gpt"}));
    assert_eq!(first["identifier"], "");
    assert_eq!(first["source"], "API");
    let keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(&keys[keys.len() - 2..], ["span_id", "document_position"]);

    // Same span, position and name: replaced in place, same id.
    let (status, body) = post(&server, "sync=true", vec![item(1, 0, "relevance", "changed")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["id"], ids[0]);
    let after = listed(&server, "p", 1).await;
    assert_eq!(after.len(), 2);
    assert_eq!(after.iter().find(|a| a["document_position"] == 0).unwrap()["result"]["label"], "changed");
    // Span annotations are another list.
    let spans = server.get_json(&format!("/v1/projects/p/span_annotations?span_ids={}", span_hex(1))).await;
    assert_eq!(spans["data"], json!([]));
}

#[tokio::test]
async fn sync_checks_spans_and_positions_and_writes_nothing_of_a_refused_batch() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", 1, 2).await;
    let (status, body) = post(&server, "sync=true", vec![item(1, 0, "r", "ok"), item(1, 2, "r", "past the end")]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("Document position 2 is out of bounds"), "{body}");
    let (status, _) = post(&server, "sync=true", vec![item(1, -1, "r", "negative")]).await;
    assert_eq!(status, 422);
    let (status, body) = post(&server, "sync=true", vec![item(1, 0, "r", "ok"), item(7, 0, "r", "no span")]).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.to_string().contains(&span_hex(7)), "{body}");
    assert_eq!(listed(&server, "p", 1).await, Vec::<Value>::new());
    // A body without document_position is invalid.
    let mut missing = item(1, 0, "r", "x");
    missing.as_object_mut().unwrap().remove("document_position");
    let (status, body) = post(&server, "sync=true", vec![missing]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("document_position"), "{body}");
}

#[tokio::test]
async fn a_non_empty_identifier_is_refused_like_phoenix() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", 1, 1).await;
    for query in ["sync=true", "sync=false"] {
        let mut named = item(1, 0, "r", "x");
        named["identifier"] = json!("run-1");
        let (status, body) = post(&server, query, vec![item(1, 0, "r", "x"), named]).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body.to_string().contains("Non-empty identifier 'run-1' is not supported"), "{body}");
    }
    assert_eq!(listed(&server, "p", 1).await, Vec::<Value>::new());
    // Blank is empty enough for Phoenix.
    let mut blank = item(1, 0, "r", "x");
    blank["identifier"] = json!("  ");
    assert_eq!(post(&server, "sync=true", vec![blank]).await.0, 200);
}

#[tokio::test]
async fn deferred_annotations_wait_for_their_span_and_drop_missing_positions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (status, body) = post(&server, "", vec![item(5, 1, "r", "early"), item(5, 4, "r", "no such document")]).await;
    assert_eq!((status, body), (200, json!({"data": []})));
    ingest(&server, "p", 5, 2).await;
    let stored = listed(&server, "p", 5).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        (stored[0]["document_position"].clone(), stored[0]["result"]["label"].clone()),
        (json!(1), json!("early"))
    );
    // Known span, sync=false: written at once.
    assert_eq!(post(&server, "sync=false", vec![item(5, 0, "r", "later")]).await.0, 200);
    assert_eq!(listed(&server, "p", 5).await.len(), 2);
}

#[tokio::test]
async fn listing_and_deleting_mirror_span_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", 1, 2).await;
    let data = vec![item(1, 0, "relevance", "a"), item(1, 1, "relevance", "b"), item(1, 1, "other", "c")];
    assert_eq!(post(&server, "sync=true", data).await.0, 200);
    let (status, _) = server.send_json(Method::GET, "/v1/projects/p/document_annotations", &json!({})).await;
    assert_eq!(status, 422, "span_ids or identifier is required");
    let (status, _, _) =
        server.get_text(&format!("/v1/projects/nope/document_annotations?span_ids={}", span_hex(1))).await;
    assert_eq!(status, 404);
    let only = server
        .get_json(&format!(
            "/v1/projects/p/document_annotations?span_ids={}&include_annotation_names=other",
            span_hex(1)
        ))
        .await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    // Paging: one per page, every annotation once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/projects/p/document_annotations?span_ids={}&limit=1", span_hex(1));
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = server.get_json(&path).await;
        seen.extend(page["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);

    let (status, body) =
        server.send_json(Method::DELETE, "/v1/projects/p/document_annotations?name=relevance", &json!({})).await;
    assert_eq!(status, 422, "unbounded without delete_all: {body}");
    let (status, body) = server
        .send_json(Method::DELETE, "/v1/projects/p/document_annotations?name=relevance&delete_all=true", &json!({}))
        .await;
    assert_eq!(status, 204, "{body}");
    let left: Vec<Value> = listed(&server, "p", 1).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["name"], "other");
}

#[tokio::test]
async fn writing_needs_annotate_and_reading_needs_read() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let ingest_key = &team.scope_keys["ingest"];
    let mut attributes = vec![];
    for n in 0..2 {
        attributes.push(attr(&format!("retrieval.documents.{n}.document.content"), "text"));
    }
    let spans = vec![span(1, 1, 0, "retrieve", 1, 1, attributes)];
    let exported = team.server.export_as(ingest_key, &request(vec![], spans), "p").await;
    assert_eq!(exported.status(), 200);
    let body = json!({"data": [item(1, 0, "relevance", "yes")]});
    let path = "/v1/document_annotations?sync=true";
    let (status, _) = team.server.send_as(&team.role_keys["VIEWER"], Method::POST, path, Some(&body)).await;
    assert_eq!(status, 403);
    let (status, _) = team.server.send_as(&team.scope_keys["read"], Method::POST, path, Some(&body)).await;
    assert_eq!(status, 403);
    let (status, text) = team.server.send_as(&team.role_keys["ANNOTATOR"], Method::POST, path, Some(&body)).await;
    assert_eq!(status, 200, "{text}");
    let list = format!("/v1/projects/p/document_annotations?span_ids={}", span_hex(1));
    let (status, text) = team.server.send_as(&team.role_keys["VIEWER"], Method::GET, &list, None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["data"].as_array().unwrap().len(), 1);
    let (status, _) = team.server.send_as("", Method::GET, &list, None).await;
    assert_eq!(status, 401);
    let delete = "/v1/projects/p/document_annotations?delete_all=true";
    let (status, _) = team.server.send_as(&team.role_keys["VIEWER"], Method::DELETE, delete, None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_span_page_shows_documents_escaped_and_rates_them_without_javascript() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", 1, 2).await;
    assert_eq!(post(&server, "sync=true", vec![item(1, 1, "judge", "on topic")]).await.0, 200);
    let page = server.at(&format!("/projects/p/spans/{}", span_hex(1)));
    let html = server.http.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Retrieved documents"), "{html}");
    assert!(html.contains("doc-1") && html.contains("content &lt;b&gt;1&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<b>1</b>"));
    assert!(html.contains("on topic"), "the document's annotation is shown");
    assert!(html.contains(r#"aria-label="Relevant: Document 0""#), "{html}");

    let action = server.at(&crate::ui_pages::form_action(&html, "rate_document"));
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let rate = |body: String| {
        plain
            .post(&action)
            .header("accept", "text/html")
            .header("referer", &page)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let back = rate(format!("span_id={}&position=0&label=relevant", span_hex(1))).await.unwrap();
    assert_eq!(back.status(), 302, "a browser without JavaScript is sent back");
    let stored = listed(&server, "p", 1).await;
    let vote = stored.iter().find(|a| a["name"] == "relevance").expect("the vote is stored");
    assert_eq!(vote["document_position"], 0);
    assert_eq!(vote["annotator_kind"], "HUMAN");
    assert_eq!(vote["result"]["label"], "relevant");
    assert_eq!(vote["result"]["score"], 1.0);
    // 👎 replaces 👍.
    rate(format!("span_id={}&position=0&label=irrelevant", span_hex(1))).await.unwrap();
    let stored = listed(&server, "p", 1).await;
    let votes: Vec<&Value> = stored.iter().filter(|a| a["name"] == "relevance").collect();
    assert_eq!(votes.len(), 1);
    assert_eq!(
        (votes[0]["result"]["label"].clone(), votes[0]["result"]["score"].clone()),
        (json!("irrelevant"), json!(0.0))
    );
    let html = server.http.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"aria-label="Not relevant: Document 0" aria-pressed="true""#), "{html}");
    // A position the span does not have is refused, and nothing is stored.
    let refused = plain
        .post(&action)
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("span_id={}&position=9&label=relevant", span_hex(1)))
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
    assert_eq!(listed(&server, "p", 1).await.len(), 2);
}
