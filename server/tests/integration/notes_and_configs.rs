//! Trace and session annotations, notes, annotation configs and `/openapi.json`
//! against a real server.

use crate::common::*;
use serde_json::{Value, json};

async fn send(server: &Server, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut call = server.http.request(method, server.at(path));
    if let Some(body) = body {
        call = call.json(&body);
    }
    let response = call.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    send(server, reqwest::Method::POST, path, Some(body)).await
}

async fn get(server: &Server, path: &str) -> (u16, Value) {
    send(server, reqwest::Method::GET, path, None).await
}

/// Trace 1 with span 1 in session `s-1`, project `p`.
async fn ingest(server: &Server) {
    let spans = vec![span(1, 1, 0, "root", 0, 5, vec![attr("session.id", "s-1")])];
    assert_eq!(server.export(&request(vec![], spans), Some("p")).await.status(), 200);
}

#[tokio::test]
async fn trace_and_session_annotations_follow_the_span_contract() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server).await;
    let t = trace_hex(1);
    let item = |label: &str| json!({"trace_id": t, "name": "q", "annotator_kind": "HUMAN", "result": {"label": label}});
    let (status, body) =
        post(&server, "/v1/trace_annotations?sync=true", json!({"data": [item("a"), item("b")]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["id"], "VHJhY2VBbm5vdGF0aW9uOjE=");
    assert_eq!(body["data"][0], body["data"][1]);
    let (status, body) = get(&server, &format!("/v1/projects/p/trace_annotations?trace_ids={t}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["trace_id"], t);
    assert_eq!(body["data"][0]["result"]["label"], "b");
    let (status, body) = post(
        &server,
        "/v1/trace_annotations?sync=true",
        json!({"data": [{"trace_id": "ff", "name": "q", "annotator_kind": "HUMAN"}]}),
    )
    .await;
    assert_eq!((status, body), (404, Value::String("Traces with IDs ff do not exist.".into())));
    let (status, body) = post(
        &server,
        "/v1/trace_annotations",
        json!({"data": [{"span_id": "x", "name": "q", "annotator_kind": "HUMAN"}]}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "data", 0, "trace_id"]));

    let session =
        json!({"data": [{"session_id": "s-1", "name": "q", "annotator_kind": "CODE", "result": {"score": 0}}]});
    let (status, body) = post(&server, "/v1/session_annotations?sync=true", session).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["id"], "UHJvamVjdFNlc3Npb25Bbm5vdGF0aW9uOjE=");
    let (status, body) = get(&server, "/v1/projects/p/session_annotations?session_ids=s-1").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["session_id"], "s-1");
    assert_eq!(body["data"][0]["result"]["score"], json!(0.0));
    assert_eq!(get(&server, "/v1/projects/p/session_annotations?session_ids=s-9").await.0, 404);

    // Pending annotations wait for traces and sessions too.
    let later = json!({"data": [{"session_id": "s-2", "name": "q", "annotator_kind": "HUMAN"}]});
    assert_eq!(post(&server, "/v1/session_annotations?sync=false", later).await.0, 200);
    let later = json!({"data": [{"trace_id": trace_hex(2), "name": "q", "annotator_kind": "HUMAN"}]});
    assert_eq!(post(&server, "/v1/trace_annotations?sync=false", later).await.0, 200);
    let spans = vec![span(2, 2, 0, "root", 0, 5, vec![attr("session.id", "s-2")])];
    assert_eq!(server.export(&request(vec![], spans), Some("p")).await.status(), 200);
    let (status, body) = get(&server, "/v1/projects/p/session_annotations?session_ids=s-2").await;
    assert_eq!((status, body["data"].as_array().unwrap().len()), (200, 1));
    let (status, body) = get(&server, &format!("/v1/projects/p/trace_annotations?trace_ids={}", trace_hex(2))).await;
    assert_eq!((status, body["data"].as_array().unwrap().len()), (200, 1));

    let (status, _) =
        send(&server, reqwest::Method::DELETE, "/v1/projects/p/trace_annotations?delete_all=true", None).await;
    assert_eq!(status, 204);
    assert_eq!(get(&server, &format!("/v1/projects/p/trace_annotations?trace_ids={t}")).await.1["data"], json!([]));
    assert_eq!(send(&server, reqwest::Method::DELETE, "/v1/projects/p/session_annotations", None).await.0, 422);
}

#[tokio::test]
async fn notes_accumulate_unless_named_and_need_their_target() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server).await;
    let s = span_hex(1);
    for text in ["one", "two"] {
        let (status, body) = post(&server, "/v1/span_notes", json!({"data": {"span_id": s, "note": text}})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["data"]["id"].is_string());
    }
    for text in ["three", "four"] {
        let note = json!({"data": {"span_id": s, "note": text, "identifier": "mine"}});
        assert_eq!(post(&server, "/v1/span_notes", note).await.0, 200);
    }
    let (_, body) = get(&server, &format!("/v1/projects/p/span_annotations?span_ids={s}")).await;
    let notes = body["data"].as_array().unwrap();
    assert_eq!(notes.len(), 3);
    assert!(notes.iter().all(|n| n["name"] == "note" && n["annotator_kind"] == "HUMAN"));
    let explanations: Vec<&str> = notes.iter().map(|n| n["result"]["explanation"].as_str().unwrap()).collect();
    assert_eq!(explanations, ["four", "two", "one"]);

    assert_eq!(
        post(&server, "/v1/span_notes", json!({"data": {"span_id": "0000000000000009", "note": "x"}})).await.0,
        404
    );
    let (status, body) = post(&server, "/v1/span_notes", json!({"data": {"span_id": s}})).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "data", "note"]));
    let trace_note = json!({"data": {"trace_id": trace_hex(1), "note": "t"}});
    assert_eq!(post(&server, "/v1/trace_notes", trace_note).await.0, 200);
    let session_note = json!({"data": {"session_id": "s-1", "note": "s"}});
    assert_eq!(post(&server, "/v1/session_notes", session_note).await.0, 200);
    assert_eq!(post(&server, "/v1/session_notes", json!({"data": {"session_id": "nope", "note": "s"}})).await.0, 404);
}

#[tokio::test]
async fn annotation_configs_crud_and_project_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let categorical = json!({"name": "quality", "type": "CATEGORICAL", "optimization_direction": "MAXIMIZE",
        "values": [{"label": "good", "score": 1}, {"label": "bad", "score": 0}]});
    let (status, body) = post(&server, "/v1/annotation_configs", categorical.clone()).await;
    assert_eq!(status, 200, "{body}");
    let config = body["data"].clone();
    assert_eq!(config["id"], "Q2F0ZWdvcmljYWxBbm5vdGF0aW9uQ29uZmlnOjE=");
    let keys: Vec<&str> = config.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["name", "type", "description", "optimization_direction", "values", "id"]);
    assert_eq!(config["values"][0], json!({"label": "good", "score": 1.0}));

    // Conflicts, semantic errors, unknown types.
    assert_eq!(post(&server, "/v1/annotation_configs", categorical.clone()).await.0, 409);
    let mut note = categorical.clone();
    note["name"] = json!("note");
    assert_eq!(post(&server, "/v1/annotation_configs", note).await.0, 409);
    let empty = json!({"name": "e", "type": "CATEGORICAL", "optimization_direction": "NONE", "values": []});
    assert_eq!(post(&server, "/v1/annotation_configs", empty).await.0, 400);
    let dupes = json!({"name": "d", "type": "CATEGORICAL", "optimization_direction": "NONE", "values": [{"label": "a"}, {"label": "a"}]});
    assert_eq!(post(&server, "/v1/annotation_configs", dupes).await.0, 400);
    let bounds = json!({"name": "c", "type": "CONTINUOUS", "optimization_direction": "MINIMIZE", "lower_bound": 2, "upper_bound": 1});
    assert_eq!(post(&server, "/v1/annotation_configs", bounds).await.0, 400);
    assert_eq!(post(&server, "/v1/annotation_configs", json!({"name": "b", "type": "BOOLEAN"})).await.0, 422);
    let bad_direction = json!({"name": "c", "type": "CONTINUOUS", "optimization_direction": "UP"});
    assert_eq!(post(&server, "/v1/annotation_configs", bad_direction).await.0, 422);

    let continuous = json!({"name": "latency", "type": "CONTINUOUS", "optimization_direction": "MINIMIZE", "lower_bound": 0, "upper_bound": 10});
    let (status, body) = post(&server, "/v1/annotation_configs", continuous).await;
    assert_eq!(status, 200);
    let continuous_id = body["data"]["id"].as_str().unwrap().to_owned();
    let (status, body) = post(&server, "/v1/annotation_configs", json!({"name": "comment", "type": "FREEFORM"})).await;
    assert_eq!(status, 200);
    assert!(body["data"]["id"].as_str().unwrap().len() > 4);

    // List with an inclusive cursor; get by id and by name.
    let (status, page) = get(&server, "/v1/annotation_configs?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(page["data"][0]["name"], "comment");
    assert_eq!(page["next_cursor"], config["id"]);
    let (_, page) = get(&server, &format!("/v1/annotation_configs?cursor={}", config["id"].as_str().unwrap())).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(get(&server, "/v1/annotation_configs?cursor=UHJvamVjdDox").await.0, 400);
    assert_eq!(get(&server, "/v1/annotation_configs/quality").await.1["data"], config);
    assert_eq!(get(&server, &format!("/v1/annotation_configs/{continuous_id}")).await.1["data"]["name"], "latency");
    assert_eq!(get(&server, "/v1/annotation_configs/nope").await.0, 404);

    // Replace, rename, conflict on rename.
    let renamed = json!({"name": "quality2", "type": "FREEFORM", "description": "d"});
    let (status, body) = send(&server, reqwest::Method::PUT, "/v1/annotation_configs/quality", Some(renamed)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["id"], "RnJlZWZvcm1Bbm5vdGF0aW9uQ29uZmlnOjE=");
    let clash = json!({"name": "latency", "type": "FREEFORM"});
    assert_eq!(send(&server, reqwest::Method::PUT, "/v1/annotation_configs/quality2", Some(clash)).await.0, 409);

    // Per project.
    assert_eq!(
        send(&server, reqwest::Method::PUT, "/v1/projects/default/annotation_configs/latency", None).await.0,
        200
    );
    assert_eq!(
        send(&server, reqwest::Method::PUT, "/v1/projects/default/annotation_configs/latency", None).await.0,
        200
    );
    assert_eq!(send(&server, reqwest::Method::PUT, "/v1/projects/nope/annotation_configs/latency", None).await.0, 404);
    let (_, page) = get(&server, "/v1/projects/default/annotation_configs").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let all = json!({"annotation_config_ids": [continuous_id, "RnJlZWZvcm1Bbm5vdGF0aW9uQ29uZmlnOjE="]});
    let (status, page) =
        send(&server, reqwest::Method::PUT, "/v1/projects/default/annotation_configs", Some(all)).await;
    assert_eq!((status, page["data"].as_array().unwrap().len()), (200, 2));
    let missing = json!({"annotation_config_ids": ["RnJlZWZvcm1Bbm5vdGF0aW9uQ29uZmlnOjk5"]});
    assert_eq!(
        send(&server, reqwest::Method::PUT, "/v1/projects/default/annotation_configs", Some(missing)).await.0,
        422
    );
    assert_eq!(get(&server, "/v1/projects/default/annotation_configs").await.1["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        send(&server, reqwest::Method::DELETE, "/v1/projects/default/annotation_configs/latency", None).await.0,
        204
    );
    assert_eq!(get(&server, "/v1/projects/default/annotation_configs").await.1["data"].as_array().unwrap().len(), 1);

    // Delete answers the config.
    let (status, body) = send(&server, reqwest::Method::DELETE, "/v1/annotation_configs/quality2", None).await;
    assert_eq!((status, body["data"]["name"].clone()), (200, json!("quality2")));
    assert_eq!(get(&server, "/v1/projects/default/annotation_configs").await.1["data"], json!([]));
    assert_eq!(send(&server, reqwest::Method::DELETE, "/v1/annotation_configs/quality2", None).await.0, 404);
}

#[tokio::test]
async fn openapi_document_covers_every_v1_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (status, doc) = get(&server, "/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let expected = [
        ("/v1/projects", vec!["get", "post"]),
        ("/v1/projects/{project}", vec!["get", "put", "delete"]),
        ("/v1/projects/{project}/spans", vec!["get"]),
        ("/v1/spans/{span}", vec!["delete"]),
        ("/v1/projects/{project}/traces", vec!["get"]),
        ("/v1/traces", vec!["post"]),
        ("/v1/span_annotations", vec!["post"]),
        ("/v1/trace_annotations", vec!["post"]),
        ("/v1/session_annotations", vec!["post"]),
        ("/v1/projects/{project}/span_annotations", vec!["get", "delete"]),
        ("/v1/projects/{project}/trace_annotations", vec!["get", "delete"]),
        ("/v1/projects/{project}/session_annotations", vec!["get", "delete"]),
        ("/v1/span_notes", vec!["post"]),
        ("/v1/trace_notes", vec!["post"]),
        ("/v1/session_notes", vec!["post"]),
        ("/v1/annotation_configs", vec!["get", "post"]),
        ("/v1/annotation_configs/{config}", vec!["get", "put", "delete"]),
        ("/v1/projects/{project}/annotation_configs", vec!["get", "put"]),
        ("/v1/projects/{project}/annotation_configs/{config}", vec!["put", "delete"]),
        ("/v1/feedback_tokens", vec!["post"]),
        ("/v1/feedback", vec!["post", "delete"]),
    ];
    for (path, methods) in expected {
        for method in methods {
            assert!(doc["paths"][path][method].is_object(), "{method} {path} missing");
        }
    }
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["SpanAnnotationData"]["properties"]["span_id"].is_object(), "{schemas}");
    assert!(schemas["TraceAnnotationData"]["properties"]["trace_id"].is_object());
    assert!(schemas["AnnotatorKind"].is_object());
}
