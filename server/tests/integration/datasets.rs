//! Datasets both ways: `POST /v1/datasets/upload` (JSON and gzipped CSV in
//! multipart, create/append/update, span links, splits, limits), dataset
//! versions, edited expected outputs (API and the chat export), Phoenix's
//! export routes and who may call them.

use std::io::Write as _;

use reqwest::Method;
use serde_json::{Value, json};

use crate::collections::{add, create, seeded};
use crate::common::accounts::Team;
use crate::common::*;

/// POSTs a JSON upload with `sync=true`: status and parsed body (or text).
async fn upload(server: &Server, body: &Value) -> (u16, Value) {
    let (status, text) = server.send_json(Method::POST, "/v1/datasets/upload?sync=true", body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A `multipart/form-data` body by hand: text fields, then a `file` part
/// with this content type and (optional) content encoding.
fn multipart(fields: &[(&str, &str)], file: &[u8], content_type: &str, encoding: Option<&str>) -> (String, Vec<u8>) {
    let boundary = "plume-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").unwrap();
    }
    write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"dataframe.csv\"\r\n")
        .unwrap();
    write!(body, "Content-Type: {content_type}\r\n").unwrap();
    if let Some(encoding) = encoding {
        write!(body, "Content-Encoding: {encoding}\r\n").unwrap();
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(file);
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn post_form(server: &Server, content_type: String, body: Vec<u8>) -> (u16, Value) {
    let response = server
        .http
        .post(server.at("/v1/datasets/upload?sync=true"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn examples(server: &Server, dataset: &str, query: &str) -> Value {
    server.get_json(&format!("/v1/datasets/{dataset}/examples{query}")).await["data"].clone()
}

#[tokio::test]
async fn json_uploads_create_append_and_link_spans() {
    let (_dir, server) = seeded().await;
    let body = json!({
        "action": "create", "name": "qa", "description": "questions",
        "inputs": [{"question": "2+2?"}, {"question": "capital of France?"}, {"question": "from a span"}],
        "outputs": [{"answer": "4"}, {"answer": "Paris"}, {"answer": "answer 1"}],
        "metadata": [{"topic": "math"}, {}, {"from": "trace"}],
        "splits": ["train", ["test", "train"], null],
        "span_ids": [null, null, span_hex(11)],
    });
    let (status, created) = upload(&server, &body).await;
    assert_eq!(status, 200, "{created}");
    let dataset = created["data"]["dataset_id"].as_str().unwrap().to_owned();
    let first_version = created["data"]["version_id"].as_str().unwrap().to_owned();
    assert_eq!(created["data"]["num_created_examples"], 3);

    let data = examples(&server, &dataset, "").await;
    assert_eq!(data["version_id"], first_version.as_str());
    let list = data["examples"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["input"], json!({"question": "2+2?"}));
    assert_eq!(list[0]["output"], json!({"answer": "4"}));
    assert_eq!(list[0]["metadata"], json!({"topic": "math"}));
    assert_eq!(list[2]["metadata"], json!({"from": "trace"}));
    // The link to the span shows on the collection's items.
    let items = server.get_json(&format!("/v1/collections/{dataset}/items")).await;
    assert_eq!(items["data"][2]["span_id"], span_hex(11));
    assert_eq!(items["data"][2]["trace_id"], trace_hex(1));
    assert_eq!(items["data"][0]["span_id"], Value::Null);
    assert_eq!(items["data"][1]["splits"], json!(["test", "train"]));

    // Splits filter the examples.
    let train = examples(&server, &dataset, "?split=train").await;
    assert_eq!(train["examples"].as_array().unwrap().len(), 2);
    assert_eq!(train["filtered_splits"], json!(["train"]));
    let test = examples(&server, &dataset, "?split=test&split=nope").await;
    assert_eq!(test["examples"][0]["input"], json!({"question": "capital of France?"}));
    assert_eq!(test["examples"].as_array().unwrap().len(), 1);

    // Create again: the name is taken. Append adds and makes a version.
    assert_eq!(upload(&server, &body).await.0, 409);
    let more = json!({"action": "append", "name": "qa", "inputs": [{"question": "Hamlet?"}], "outputs": [{"answer": "Shakespeare"}]});
    let (status, appended) = upload(&server, &more).await;
    assert_eq!(status, 200, "{appended}");
    assert_eq!(appended["data"]["dataset_id"], dataset.as_str());
    let second_version = appended["data"]["version_id"].as_str().unwrap().to_owned();
    assert_ne!(second_version, first_version);
    assert_eq!(examples(&server, &dataset, "").await["examples"].as_array().unwrap().len(), 4);
    let missing = json!({"action": "append", "name": "nope", "inputs": [{}]});
    assert_eq!(upload(&server, &missing).await.0, 404);

    // Versions: newest first; the latest reads, an older one is a 422, another's a 404.
    let versions = server.get_json(&format!("/v1/datasets/{dataset}/versions")).await;
    let ids: Vec<&str> =
        versions["data"].as_array().unwrap().iter().map(|v| v["version_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [second_version.as_str(), first_version.as_str()]);
    assert_eq!(versions["data"][1]["description"], "questions");
    let latest = examples(&server, &dataset, &format!("?version_id={second_version}")).await;
    assert_eq!(latest["examples"].as_array().unwrap().len(), 4);
    let (status, text, _) =
        server.get_text(&format!("/v1/datasets/{dataset}/examples?version_id={first_version}")).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("latest"), "{text}");
    assert_eq!(server.get_text(&format!("/v1/datasets/{dataset}/examples?version_id=bogus")).await.0, 422);

    // Update replaces the examples.
    let update = json!({"action": "update", "name": "qa", "inputs": [{"question": "only"}]});
    let (status, updated) = upload(&server, &update).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["data"]["num_deleted_examples"], 4);
    let now = examples(&server, &dataset, "").await;
    assert_eq!(now["examples"].as_array().unwrap().len(), 1);
    assert_eq!(now["examples"][0]["output"], json!({}));

    // Removing an uploaded example (no span) by its id is a change, too.
    let item = server.get_json(&format!("/v1/collections/{dataset}/items")).await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) =
        server.send_json(Method::DELETE, &format!("/v1/collections/{dataset}/items/{item}"), &json!({})).await;
    assert_eq!(status, 204);
    let after = server.get_json(&format!("/v1/datasets/{dataset}/versions")).await;
    assert_eq!(after["data"].as_array().unwrap().len(), 4);
    assert_eq!(server.get_json(&format!("/v1/datasets/{dataset}")).await["data"]["example_count"], 0);
}

#[tokio::test]
async fn bad_json_uploads_are_clear_4xx_and_store_nothing() {
    let (_dir, server) = seeded().await;
    for (body, status, says) in [
        (json!({"inputs": [{}]}), 422, "name is required"),
        (json!({"name": "x"}), 422, "input is required"),
        (json!({"name": "x", "inputs": [1]}), 422, "dictionary"),
        (json!({"name": "x", "inputs": [{}], "outputs": [{}, {}]}), 422, "same length"),
        (json!({"name": "x", "inputs": [{}], "splits": [7]}), 422, "Split value"),
        (json!({"name": "x", "inputs": [{}], "span_ids": [5]}), 422, "Span ID"),
        (json!({"name": "x", "inputs": [{}], "action": "merge"}), 422, "Invalid dataset action"),
        (json!({"name": "x", "inputs": [{}], "span_ids": ["00000000000000ff"]}), 404, "00000000000000ff"),
    ] {
        let (got, answer) = upload(&server, &body).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer.to_string().contains(says), "{body}: {answer}");
    }
    // Too many examples: 413, nothing stored.
    let inputs: Vec<Value> = (0..10_001).map(|i| json!({"i": i})).collect();
    let (status, answer) = upload(&server, &json!({"name": "big", "inputs": inputs})).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.to_string().contains("10000"), "{answer}");
    assert_eq!(server.get_json("/v1/datasets").await["data"], json!([]));
    // No content type / another one.
    let response = server.http.post(server.at("/v1/datasets/upload")).body("x").send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let response = server
        .http
        .post(server.at("/v1/datasets/upload"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    // Without sync: stored all the same, answered with null.
    let (status, text) =
        server.send_json(Method::POST, "/v1/datasets/upload", &json!({"name": "quiet", "inputs": [{"q": 1}]})).await;
    assert_eq!((status, text.as_str()), (200, "null"));
    assert_eq!(server.get_json("/v1/datasets?name=quiet").await["data"][0]["example_count"], 1);
}

#[tokio::test]
async fn gzipped_csv_uploads_like_the_client_sends_them() {
    let (_dir, server) = seeded().await;
    let csv = format!(
        "answer,question,topic,split,span\n4,2+2?,math,train,\n\"Paris, France\",capital?,geo,\"[\"\"test\"\",\"\"train\"\"]\",{}\n",
        span_hex(21)
    );
    let fields = [
        ("action", "update"),
        ("name", "from a frame"),
        ("description", ""),
        ("input_keys[]", "question"),
        ("output_keys[]", "answer"),
        ("metadata_keys[]", "topic"),
        ("split_key", "split"),
        ("span_id_key", "span"),
    ];
    let (content_type, body) = multipart(&fields, &gzip(csv.as_bytes()), "text/csv", Some("gzip"));
    let (status, answer) = post_form(&server, content_type, body).await;
    assert_eq!(status, 200, "{answer}");
    let dataset = answer["data"]["dataset_id"].as_str().unwrap().to_owned();
    let data = examples(&server, &dataset, "").await;
    let list = data["examples"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["input"], json!({"question": "capital?"}));
    assert_eq!(list[1]["output"], json!({"answer": "Paris, France"}));
    assert_eq!(list[1]["metadata"], json!({"topic": "geo"}));
    assert_eq!(examples(&server, &dataset, "?split=test").await["examples"].as_array().unwrap().len(), 1);
    let items = server.get_json(&format!("/v1/collections/{dataset}/items")).await;
    assert_eq!(items["data"][1]["span_id"], span_hex(21));
    // The description falls back to the file's name, as Phoenix's does.
    assert_eq!(server.get_json(&format!("/v1/datasets/{dataset}")).await["data"]["description"], "dataframe.csv");

    // A missing column, a pyarrow file, a broken gzip, a gzip bomb.
    let missing = [("name", "x"), ("input_keys[]", "nope")];
    let (content_type, body) = multipart(&missing, b"a\n1\n", "text/csv", None);
    let (status, answer) = post_form(&server, content_type, body).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.to_string().contains("nope"), "{answer}");
    let (content_type, body) = multipart(&[("name", "x")], b"ARROW", "application/x-pandas-pyarrow", None);
    assert_eq!(post_form(&server, content_type, body).await.0, 415);
    let (content_type, body) =
        multipart(&[("name", "x"), ("input_keys[]", "a")], b"not gzip", "text/csv", Some("gzip"));
    assert_eq!(post_form(&server, content_type, body).await.0, 422);
    let dir = tempfile::tempdir().unwrap();
    let small = Server::start_with(dir.path(), &["--max-body-bytes", "100000"]);
    let bomb = gzip(&vec![b'a'; 1_000_000]);
    let (content_type, body) = multipart(&[("name", "x"), ("input_keys[]", "a")], &bomb, "text/csv", Some("gzip"));
    let (status, answer) = post_form(&small, content_type, body).await;
    assert_eq!(status, 413, "{answer}");
    let (content_type, body) = multipart(&[("name", "x")], &vec![b'a'; 200_000], "text/csv", None);
    assert_eq!(post_form(&small, content_type, body).await.0, 413);
    assert_eq!(small.get_json("/v1/datasets").await["data"], json!([]));
}

/// The chat export's lines, parsed.
async fn chat(server: &Server, collection: &str) -> Vec<Value> {
    let (status, text, _) = server.get_text(&format!("/v1/collections/{collection}/export?format=chat")).await;
    assert_eq!(status, 200);
    text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect()
}

#[tokio::test]
async fn an_edited_expected_output_replaces_the_answer_in_the_chat_export() {
    let (_dir, server) = seeded().await;
    let id = create(&server, "fine-tune").await["id"].as_str().unwrap().to_owned();
    add(&server, &id, json!({"span_ids": [span_hex(11), span_hex(31)]})).await;
    let items = server.get_json(&format!("/v1/collections/{id}/items")).await;
    let good = items["data"][0]["id"].as_str().unwrap().to_owned();
    let bad = items["data"][1]["id"].as_str().unwrap().to_owned();
    let versions_before =
        server.get_json(&format!("/v1/datasets/{id}/versions")).await["data"].as_array().unwrap().len();

    // 👎 span 31 is left out of the chat export until a corrected answer is set.
    assert_eq!(chat(&server, &id).await.len(), 1);
    let path = format!("/v1/collections/{id}/items/{bad}");
    let (status, text) = server.send_json(Method::PATCH, &path, &json!({"expected_output": "corrected 3"})).await;
    assert_eq!(status, 204, "{text}");
    let lines = chat(&server, &id).await;
    assert_eq!(lines.len(), 2);
    let answer = lines[1]["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(answer, json!({"role": "assistant", "content": "corrected 3"}));
    assert_eq!(lines[1]["messages"][1]["content"], "question 3, \"quoted\", comma");
    // The 👍 one keeps its original answer; the items listing shows the edit.
    assert_eq!(lines[0]["messages"][2]["content"], "answer 1\nsecond line");
    let items = server.get_json(&format!("/v1/collections/{id}/items")).await;
    assert_eq!(items["data"][1]["expected_output"], "corrected 3");
    assert_eq!(items["data"][1]["output"], "answer 3");
    // The dataset example's output is the corrected one, and the edit is a version.
    let data = examples(&server, &id, "").await;
    assert_eq!(data["examples"][1]["output"], json!({"output": "corrected 3"}));
    let versions = server.get_json(&format!("/v1/datasets/{id}/versions")).await["data"].as_array().unwrap().len();
    assert_eq!(versions, versions_before + 1);

    // Clearing goes back to the original; bad requests are 4xx.
    let (status, _) = server.send_json(Method::PATCH, &path, &json!({"expected_output": null})).await;
    assert_eq!(status, 204);
    assert_eq!(chat(&server, &id).await.len(), 1);
    let huge = "x".repeat(300 * 1024);
    assert_eq!(server.send_json(Method::PATCH, &path, &json!({"expected_output": huge})).await.0, 413);
    assert_eq!(server.send_json(Method::PATCH, &path, &json!({})).await.0, 422);
    let other = create(&server, "other").await["id"].as_str().unwrap().to_owned();
    let elsewhere = format!("/v1/collections/{other}/items/{good}");
    assert_eq!(server.send_json(Method::PATCH, &elsewhere, &json!({"expected_output": "x"})).await.0, 404);
    let unknown = format!("/v1/collections/{id}/items/nope");
    assert_eq!(server.send_json(Method::PATCH, &unknown, &json!({"expected_output": "x"})).await.0, 404);
}

#[tokio::test]
async fn phoenix_exports_parse_back() {
    let (_dir, server) = seeded().await;
    let body = json!({
        "action": "create", "name": "chat set",
        "inputs": [
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
             "tools": [{"type": "function", "function": {"name": "f"}}]},
            {"question": "=cmd", "nested": {"a": 1}},
        ],
        "outputs": [{"messages": [{"role": "assistant", "content": "hello"}]}, {"answer": "42"}],
        "metadata": [{"tags": ["a", "b"]}, {}],
        "splits": ["train", null],
    });
    let (status, created) = upload(&server, &body).await;
    assert_eq!(status, 200, "{created}");
    let dataset = created["data"]["dataset_id"].as_str().unwrap().to_owned();

    let (status, text, headers) = server.get_text(&format!("/v1/datasets/{dataset}/csv")).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["content-disposition"], "attachment; filename*=UTF-8''chat%20set.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let cell = |row: &csv::StringRecord, column: &str| {
        row.get(header.iter().position(|h| h == column).unwrap_or_else(|| panic!("no {column} in {header:?}")))
            .unwrap()
            .to_owned()
    };
    assert_eq!(header[..2], ["id", "node_id"]);
    assert_eq!(cell(&rows[1], "input.nested.a"), "1");
    assert_eq!(cell(&rows[1], "input.question"), "'=cmd");
    assert_eq!(cell(&rows[1], "output.answer"), "42");
    assert_eq!(serde_json::from_str::<Value>(&cell(&rows[0], "metadata.tags")).unwrap(), json!(["a", "b"]));
    assert_eq!(serde_json::from_str::<Value>(&cell(&rows[0], "splits")).unwrap(), json!(["train"]));
    assert_eq!(cell(&rows[1], "splits"), "[]");

    let (status, text, _) = server.get_text(&format!("/v1/datasets/{dataset}/jsonl/openai_ft")).await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        lines[0],
        json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"},
                            {"role": "assistant", "content": "hello"}],
               "tools": [{"type": "function", "function": {"name": "f"}}]})
    );
    assert_eq!(lines.len(), 2);

    let (status, text, _) = server.get_text(&format!("/v1/datasets/{dataset}/jsonl/openai_evals")).await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["ideal"], "hello");
    assert_eq!(lines[0]["messages"].as_array().unwrap().len(), 2);
    assert_eq!(lines[1]["ideal"], "42");

    assert_eq!(server.get_text("/v1/datasets/RGF0YXNldDo5OQ==/csv").await.0, 404);
    let old =
        server.get_text(&format!("/v1/datasets/{dataset}/jsonl/openai_ft?version_id=RGF0YXNldFZlcnNpb246OTk=")).await;
    assert_eq!(old.0, 404);
}

#[tokio::test]
async fn uploads_need_manage_and_edits_annotate() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let server = &team.server;
    let body = json!({"name": "perm", "inputs": [{"q": 1}]});
    let (status, text) =
        server.send_as(&team.role_keys["ANNOTATOR"], Method::POST, "/v1/datasets/upload?sync=true", Some(&body)).await;
    assert_eq!(status, 403, "{text}");
    let (status, text) =
        server.send_as(&team.role_keys["MEMBER"], Method::POST, "/v1/datasets/upload?sync=true", Some(&body)).await;
    assert_eq!(status, 200, "{text}");
    let dataset = serde_json::from_str::<Value>(&text).unwrap()["data"]["dataset_id"].as_str().unwrap().to_owned();
    let (status, text) =
        server.send_as(&team.role_keys["VIEWER"], Method::GET, &format!("/v1/collections/{dataset}/items"), None).await;
    assert_eq!(status, 200, "{text}");
    let item = serde_json::from_str::<Value>(&text).unwrap()["data"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/collections/{dataset}/items/{item}");
    let edit = json!({"expected_output": {"a": 2}});
    assert_eq!(server.send_as(&team.role_keys["VIEWER"], Method::PATCH, &path, Some(&edit)).await.0, 403);
    assert_eq!(server.send_as(&team.role_keys["ANNOTATOR"], Method::PATCH, &path, Some(&edit)).await.0, 204);
    let (status, text) =
        server.send_as(&team.role_keys["VIEWER"], Method::GET, &format!("/v1/datasets/{dataset}/csv"), None).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("output.a"), "{text}");
}
