//! Sessions: Phoenix's `/v1/sessions` routes (paging, lookups by global id
//! and by `session.id`, 404s and 422s), deletion with everything hanging on
//! a session's traces, who may delete, and the sessions tab and session page.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::accounts::{Team, with_credential};
use crate::common::pages::page;
use crate::common::*;

/// A session id that must come out escaped in HTML and encoded in URLs.
const ODD_SESSION: &str = "s <&> \"3\"";

/// Project `chat`: session `s-1` has traces 1–3, `s-2` traces 4–5,
/// [`ODD_SESSION`] trace 6, trace 7 has no session. Each root (span `n*10`)
/// says `question n` / `answer n`; its LLM child (span `n*10+1`) counts 10
/// prompt and `n` completion tokens. Project `other` holds session `o-1`
/// (trace 8).
async fn seeded(server: &Server) {
    let session_of = |n: u64| match n {
        1..=3 => Some("s-1"),
        4..=5 => Some("s-2"),
        6 => Some(ODD_SESSION),
        _ => None,
    };
    let mut spans = Vec::new();
    for n in 1..=7u64 {
        let mut attributes = vec![
            attr("openinference.span.kind", "CHAIN"),
            attr("input.value", &format!("question {n} zebra{n}")),
            attr("output.value", &format!("answer {n}")),
        ];
        if let Some(session) = session_of(n) {
            attributes.push(attr("session.id", session));
        }
        spans.push(span(u128::from(n), n * 10, 0, "turn", n * 1000, 500, attributes));
        spans.push(span(
            u128::from(n),
            n * 10 + 1,
            n * 10,
            "llm",
            n * 1000 + 10,
            100,
            vec![
                attr("openinference.span.kind", "LLM"),
                int_attr("llm.token_count.prompt", 10),
                int_attr("llm.token_count.completion", n as i64),
            ],
        ));
    }
    assert_eq!(server.export(&request(vec![], spans), Some("chat")).await.status(), 200);
    let other = span(8, 80, 0, "turn", 8000, 500, vec![attr("session.id", "o-1"), attr("input.value", "elsewhere")]);
    assert_eq!(server.export(&request(vec![], vec![other]), Some("other")).await.status(), 200);
}

async fn call(server: &Server, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = server.http.request(method, server.at(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn session_ids(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|s| s["session_id"].as_str().unwrap().to_owned()).collect()
}

fn trace_ids(session: &Value) -> Vec<String> {
    session["traces"].as_array().unwrap().iter().map(|t| t["trace_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn sessions_are_listed_paged_and_read_as_phoenix_does() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    seeded(&server).await;

    let all = server.get_json("/v1/projects/chat/sessions").await;
    assert_eq!(session_ids(&all), ["s-1", "s-2", ODD_SESSION], "by rowid, ascending by default");
    assert_eq!(all["next_cursor"], Value::Null);
    let first = &all["data"][0];
    assert_eq!(trace_ids(first), [trace_hex(1), trace_hex(2), trace_hex(3)]);
    assert_eq!(first["project_id"], server.get_json("/v1/projects/chat").await["data"]["id"]);
    assert_eq!(first["token_count_prompt"], 30);
    assert_eq!(first["token_count_completion"], 1 + 2 + 3);
    assert_eq!(first["token_count_total"], 36);
    assert_eq!(first["start_time"], "2023-11-14T22:13:21+00:00");
    assert_eq!(first["end_time"], "2023-11-14T22:13:23.500000+00:00");
    assert!(first["traces"][0]["id"].as_str().unwrap().len() > 4);

    // Cursor paging: inclusive cursors, every session once, both orders.
    for (order, expected) in [("asc", vec!["s-1", "s-2", ODD_SESSION]), ("desc", vec![ODD_SESSION, "s-2", "s-1"])] {
        let mut seen = Vec::new();
        let mut path = format!("/v1/projects/chat/sessions?limit=2&order={order}");
        loop {
            let page = server.get_json(&path).await;
            assert!(page["data"].as_array().unwrap().len() <= 2);
            seen.extend(session_ids(&page));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/v1/projects/chat/sessions?limit=2&order={order}&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, expected, "order={order}");
    }
    assert_eq!(session_ids(&server.get_json("/v1/projects/other/sessions").await), ["o-1"]);

    // One session, by session.id and by global id, with its traces.
    let one = server.get_json("/v1/sessions/s-2").await["data"].clone();
    assert_eq!(trace_ids(&one), [trace_hex(4), trace_hex(5)]);
    let id = one["id"].as_str().unwrap();
    assert_eq!(server.get_json(&format!("/v1/sessions/{id}")).await["data"], one);
    let odd = server.get_json("/v1/sessions/s%20%3C%26%3E%20%223%22").await["data"].clone();
    assert_eq!(odd["session_id"], ODD_SESSION);
    assert_eq!(trace_ids(&odd), [trace_hex(6)]);

    // Errors name the problem.
    let (status, body) = call(&server, Method::GET, "/v1/sessions/nope", None).await;
    assert_eq!((status, body.as_str()), (404, Some("Session with session_id nope not found")));
    let missing_rowid = app::ids::global_id("ProjectSession", 999);
    let (status, body) = call(&server, Method::GET, &format!("/v1/sessions/{missing_rowid}"), None).await;
    assert_eq!(status, 404);
    assert!(body.as_str().unwrap().contains(&missing_rowid));
    assert_eq!(call(&server, Method::GET, "/v1/projects/nope/sessions", None).await.0, 404);
    for bad in ["limit=0", "limit=x", "order=sideways", "cursor=%25%25"] {
        let (status, body) = call(&server, Method::GET, &format!("/v1/projects/chat/sessions?{bad}"), None).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

/// The traces of project `chat` on its trace list's first page.
async fn listed_traces(server: &Server, query: &str) -> Vec<u64> {
    let (status, html) = page(server, &format!("/projects/chat{query}")).await;
    assert_eq!(status, 200);
    crate::common::pages::rows(&html)
}

/// The trace and span counts of `project` on the projects page (kept by triggers).
async fn counts(server: &Server, project: &str) -> (String, String) {
    let (_, html) = page(server, "/").await;
    let row = html.split(&format!("data-project=\"{project}\"")).nth(1).unwrap();
    let cell = |class: &str| {
        let rest = row.split(&format!("class=\"num {class}\">")).nth(1).unwrap();
        rest[..rest.find('<').unwrap()].to_owned()
    };
    (cell("traces"), cell("spans"))
}

#[tokio::test]
async fn deleting_a_session_deletes_its_traces_spans_and_annotations_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    seeded(&server).await;
    assert_eq!(counts(&server, "chat").await, ("7".into(), "14".into()));
    // A webhook listening for deletions (never reachable: only the recorded events count here).
    let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["annotation.deleted"]});
    assert_eq!(call(&server, Method::POST, "/v1/webhooks", Some(hook)).await.0, 200);
    // Annotations and notes on a span, a trace and the session; one on s-2 too.
    let annotate = |path: &'static str, key: &'static str, id: String, name: &'static str| {
        let mut item = json!({"name": name, "annotator_kind": "HUMAN", "result": {"label": "thumbs-down"}});
        item[key] = json!(id);
        let body = json!({ "data": [item] });
        let server = &server;
        async move {
            let (status, body) = call(server, Method::POST, &format!("{path}?sync=true"), Some(body)).await;
            assert_eq!(status, 200, "{path}: {body}");
        }
    };
    annotate("/v1/span_annotations", "span_id", span_hex(10), "user feedback").await;
    annotate("/v1/span_annotations", "span_id", span_hex(40), "user feedback").await;
    annotate("/v1/trace_annotations", "trace_id", trace_hex(2), "quality").await;
    annotate("/v1/session_annotations", "session_id", "s-1".into(), "resolved").await;
    let (status, _) =
        call(&server, Method::POST, "/v1/span_notes", Some(json!({"data": {"span_id": span_hex(11), "note": "n"}})))
            .await;
    assert_eq!(status, 200);
    assert_eq!(listed_traces(&server, "?q=zebra2").await, [2], "searchable before");

    assert_eq!(call(&server, Method::DELETE, "/v1/sessions/s-1", None).await.0, 204);

    assert_eq!(call(&server, Method::GET, "/v1/sessions/s-1", None).await.0, 404);
    let (status, body) = call(&server, Method::DELETE, "/v1/sessions/s-1", None).await;
    assert_eq!((status, body.as_str()), (404, Some("Session with session_id 's-1' not found")));
    for n in 1..=3u128 {
        let spans = server.get_json(&format!("/v1/projects/chat/spans?trace_id={}", trace_hex(n))).await;
        assert_eq!(spans["data"], json!([]), "the spans of trace {n} are gone");
    }
    let left: Vec<String> = server.get_json("/v1/projects/chat/traces").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, [trace_hex(7), trace_hex(6), trace_hex(5), trace_hex(4)], "the other traces stay");
    // Listing annotations of targets that are gone is Phoenix's 404 ("none of them exist").
    let annotations = |kind: &'static str, key: &'static str, ids: Vec<String>| {
        let server = &server;
        async move {
            let query: Vec<String> = ids.iter().map(|id| format!("{key}={}", app::model::percent_encode(id))).collect();
            let (status, body) =
                call(server, Method::GET, &format!("/v1/projects/chat/{kind}?{}", query.join("&")), None).await;
            (status, body["data"].as_array().map_or(0, Vec::len))
        }
    };
    assert_eq!(annotations("span_annotations", "span_ids", vec![span_hex(10), span_hex(11)]).await, (404, 0));
    assert_eq!(
        annotations("span_annotations", "span_ids", vec![span_hex(10), span_hex(40)]).await,
        (200, 1),
        "s-2's vote stays"
    );
    assert_eq!(annotations("trace_annotations", "trace_ids", vec![trace_hex(2)]).await.1, 0);
    assert_eq!(annotations("session_annotations", "session_ids", vec!["s-1".into()]).await.1, 0);
    // The span vote, the note and the trace annotation went the way of every trace
    // delete: each deletion is recorded for the webhook.
    let deleted = "SELECT count(*) FROM webhook_events WHERE event_type = 'annotation.deleted'";
    let events: i64 = sqlx::query_scalar(deleted).fetch_one(&database(dir.path()).await).await.unwrap();
    assert_eq!(events, 3);
    // The triggers kept the counts and the search index right.
    assert_eq!(counts(&server, "chat").await, ("4".into(), "8".into()));
    assert_eq!(listed_traces(&server, "?q=zebra2").await, Vec::<u64>::new(), "gone from search");
    assert_eq!(listed_traces(&server, "?q=zebra5").await, [5]);
    assert_eq!(listed_traces(&server, "").await, [7, 6, 5, 4]);

    // A late span of the deleted session starts it afresh.
    let late = span(9, 90, 0, "turn", 9000, 5, vec![attr("session.id", "s-1"), attr("input.value", "again")]);
    assert_eq!(server.export(&request(vec![], vec![late]), Some("chat")).await.status(), 200);
    assert_eq!(trace_ids(&server.get_json("/v1/sessions/s-1").await["data"]), [trace_hex(9)]);
}

#[tokio::test]
async fn bulk_delete_takes_one_kind_of_identifier_and_skips_unknown_ones() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    seeded(&server).await;
    let s2 = server.get_json("/v1/sessions/s-2").await["data"]["id"].as_str().unwrap().to_owned();
    let unknown = app::ids::global_id("ProjectSession", 999);

    let too_many: Vec<String> = (0..1001).map(|n| format!("x{n}")).collect();
    for (body, why) in [
        (json!({"session_identifiers": []}), "empty"),
        (json!({"session_identifiers": [s2, "s-1"]}), "mixed"),
        (json!({"session_identifiers": too_many}), "too many"),
        (json!({"session_identifiers": "s-1"}), "not a list"),
        (json!({}), "missing"),
    ] {
        let (status, answer) = call(&server, Method::POST, "/v1/sessions/delete", Some(body)).await;
        assert_eq!(status, 422, "{why}: {answer}");
    }
    assert_eq!(session_ids(&server.get_json("/v1/projects/chat/sessions").await).len(), 3, "nothing deleted");

    let (status, _) =
        call(&server, Method::POST, "/v1/sessions/delete", Some(json!({"session_identifiers": [s2, unknown]}))).await;
    assert_eq!(status, 204);
    assert_eq!(session_ids(&server.get_json("/v1/projects/chat/sessions").await), ["s-1", ODD_SESSION]);
    let body = json!({"session_identifiers": [ODD_SESSION, "o-1", "never-seen"]});
    assert_eq!(call(&server, Method::POST, "/v1/sessions/delete", Some(body)).await.0, 204);
    assert_eq!(session_ids(&server.get_json("/v1/projects/chat/sessions").await), ["s-1"]);
    assert_eq!(session_ids(&server.get_json("/v1/projects/other/sessions").await), Vec::<String>::new());
    assert_eq!(listed_traces(&server, "").await, [7, 3, 2, 1]);
}

#[tokio::test]
async fn only_manage_may_delete_sessions_and_read_may_list_them() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let server = &team.server;
    let ingest = &team.scope_keys["ingest"];
    let spans = vec![
        span(1, 10, 0, "turn", 0, 5, vec![attr("session.id", "a")]),
        span(2, 20, 0, "turn", 10, 5, vec![attr("session.id", "b")]),
    ];
    let response = with_credential(
        server.http.post(server.at("/v1/traces")).header("content-type", "application/x-protobuf"),
        ingest,
    )
    .body(prost::Message::encode_to_vec(&request(vec![], spans)))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);

    let viewer = &team.role_keys["VIEWER"];
    let (status, text) = server.send_as(viewer, Method::GET, "/v1/projects/default/sessions", None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(server.send_as(viewer, Method::GET, "/v1/sessions/a", None).await.0, 200);
    assert_eq!(server.send_as("", Method::GET, "/v1/sessions/a", None).await.0, 401);
    let bulk = json!({"session_identifiers": ["a"]});
    for role in ["VIEWER", "ANNOTATOR"] {
        let key = &team.role_keys[role];
        assert_eq!(server.send_as(key, Method::DELETE, "/v1/sessions/a", None).await.0, 403, "{role}");
        assert_eq!(server.send_as(key, Method::POST, "/v1/sessions/delete", Some(&bulk)).await.0, 403, "{role}");
    }
    assert_eq!(server.send_as(viewer, Method::GET, "/v1/sessions/a", None).await.0, 200, "still there");
    let member = &team.role_keys["MEMBER"];
    assert_eq!(server.send_as(member, Method::DELETE, "/v1/sessions/a", None).await.0, 204);
    let bulk = json!({"session_identifiers": ["b"]});
    assert_eq!(server.send_as(member, Method::POST, "/v1/sessions/delete", Some(&bulk)).await.0, 204);
    assert_eq!(server.send_as(viewer, Method::GET, "/v1/sessions/a", None).await.0, 404);
    assert_eq!(server.send_as(viewer, Method::GET, "/v1/sessions/b", None).await.0, 404);
}

#[tokio::test]
async fn the_sessions_tab_and_session_page_read_like_the_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    seeded(&server).await;
    let body = json!({"data": [{"span_id": span_hex(20), "name": "user feedback", "annotator_kind": "HUMAN",
        "result": {"label": "thumbs-up", "score": 1}}]});
    assert_eq!(call(&server, Method::POST, "/v1/span_annotations?sync=true", Some(body)).await.0, 200);
    let body = json!({"data": [{"span_id": span_hex(30), "name": "user feedback", "annotator_kind": "HUMAN",
        "result": {"label": "thumbs-down", "score": 0}}]});
    assert_eq!(call(&server, Method::POST, "/v1/span_annotations?sync=true", Some(body)).await.0, 200);
    let body = json!({"data": [{"session_id": "s-1", "name": "resolved", "annotator_kind": "LLM",
        "result": {"label": "<no>", "explanation": "kept asking"}}]});
    assert_eq!(call(&server, Method::POST, "/v1/session_annotations?sync=true", Some(body)).await.0, 200);

    // The tab: newest session first, turns, last input, votes.
    let (status, html) = page(&server, "/projects/chat/sessions").await;
    assert_eq!(status, 200);
    let order: Vec<&str> = html.split("data-session=\"").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]).collect();
    assert_eq!(order.len(), 3);
    assert_eq!(&order[1..], ["s-2", "s-1"]);
    assert!(
        order[0].starts_with("s ") && order[0].contains("&amp;") && order[0].contains("&quot;3&quot;"),
        "{}",
        order[0]
    );
    let s1 = html.split("data-session=\"s-1\"").nth(1).unwrap();
    assert!(s1.contains("href=\"/projects/chat/sessions/s-1\""));
    assert!(s1.contains(">3</td>"), "three turns: {s1}");
    assert!(s1.contains("question 3 zebra3"), "the last input");
    assert!(s1.contains("data-label=\"👍\" class=\"thumbs-up num\">1<"), "{s1}");
    assert!(s1.contains("data-label=\"👎\" class=\"thumbs-down num\">1<"), "{s1}");
    assert!(html.contains("href=\"/projects/chat/sessions/s%20%3C%26%3E%20%223%22\""), "encoded link");
    assert!(html.contains("aria-current=\"page\""));
    assert_eq!(page(&server, "/projects/nope/sessions").await.0, 404);

    // The session page: turns in order with input, output, votes and annotations.
    let (status, html) = page(&server, "/projects/chat/sessions/s-1").await;
    assert_eq!(status, 200);
    let turns: Vec<u64> = crate::common::pages::rows(&html);
    assert_eq!(turns, [1, 2, 3]);
    let (one, two, three) =
        (html.find("question 1").unwrap(), html.find("answer 2").unwrap(), html.find("question 3").unwrap());
    assert!(one < two && two < three, "in conversation order");
    let turn2 = html.split(&format!("data-trace=\"{}\"", trace_hex(2))).nth(1).unwrap();
    let turn2 = turn2.split("data-trace=").next().unwrap();
    assert!(turn2.contains("data-annotation=\"user feedback\""));
    let up = turn2.split("data-thumb=\"up\"").nth(1).unwrap();
    assert!(up[..up.find('>').unwrap()].contains("aria-pressed=\"true\""), "the 👍 given shows as pressed");
    let down = turn2.split("data-thumb=\"down\"").nth(1).unwrap();
    assert!(down[..down.find('>').unwrap()].contains("aria-pressed=\"false\""));
    assert!(turn2.contains(&format!("href=\"/projects/chat/traces/{}\"", trace_hex(2))));
    assert!(
        html.contains("resolved") && html.contains("&lt;no&gt;") && html.contains("kept asking"),
        "session annotation"
    );
    assert!(!html.contains("<no>"));

    let (status, html) = page(&server, "/projects/chat/sessions/s%20%3C%26%3E%20%223%22").await;
    assert_eq!(status, 200);
    assert!(html.contains("s &lt;&amp;&gt; &quot;3&quot;") || html.contains("s &lt;&amp;&gt; \"3\""));
    assert_eq!(crate::common::pages::rows(&html), [6]);
    assert_eq!(page(&server, "/projects/chat/sessions/nope").await.0, 404);
    assert_eq!(page(&server, "/projects/other/sessions/s-1").await.0, 404, "not a session of that project");

    // Linked from the trace list (rows with a session) and the trace page.
    let (_, list) = page(&server, "/projects/chat").await;
    assert_eq!(list.matches("class=\"session-link\"").count(), 6, "traces 1–6, not 7");
    let (_, trace) = page(&server, &format!("/projects/chat/traces/{}", trace_hex(4))).await;
    assert!(trace.contains("href=\"/projects/chat/sessions/s-2\""));
    let (_, trace) = page(&server, &format!("/projects/chat/traces/{}", trace_hex(7))).await;
    assert!(!trace.contains("class=\"session-link\""));
}
