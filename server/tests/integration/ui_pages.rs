//! The UI's pages as served HTML: the trace list's keyset paging, sorting and
//! filters (all from the URL), 404s for unknown ids, and escaping of span data.

use crate::common::pages::*;
use crate::common::*;
use serde_json::json;

/// Traces in project `ui`: 120 of them, trace `i` starting at `i` seconds and
/// lasting `i % 7` seconds (many ties, to test paging by latency); every 10th
/// root span fails; trace 3's input is a `<script>` payload.
async fn seeded() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut spans = Vec::new();
    for i in 1..=120u64 {
        let input = if i == 3 { "<script>alert(1)</script>".to_owned() } else { format!("question number {i}") };
        let mut root = span(
            u128::from(i),
            i * 10,
            0,
            &format!("root-{i}"),
            i * 1000,
            (i % 7) * 1000 + 1,
            vec![attr("openinference.span.kind", "CHAIN"), attr("input.value", &input)],
        );
        if i % 10 == 0 {
            root.status = Some(opentelemetry_proto::tonic::trace::v1::Status { message: "boom".into(), code: 2 });
        }
        spans.push(root);
        spans.push(span(
            u128::from(i),
            i * 10 + 1,
            i * 10,
            "llm",
            i * 1000,
            1,
            vec![attr("openinference.span.kind", "LLM")],
        ));
    }
    assert_eq!(server.export(&request(vec![], spans), Some("ui")).await.status(), 200);
    (dir, server)
}

#[tokio::test]
async fn keyset_pages_cover_every_trace_once_in_order() {
    let (_dir, server) = seeded().await;
    let by_time = all_pages(&server, "/projects/ui").await;
    assert_eq!(by_time.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 20]);
    assert_eq!(by_time.concat(), (1..=120).rev().collect::<Vec<_>>());

    let ascending = all_pages(&server, "/projects/ui?dir=asc").await.concat();
    assert_eq!(ascending, (1..=120).collect::<Vec<_>>());

    // Latency ties are broken by rowid, so no trace is skipped or repeated.
    let by_latency = all_pages(&server, "/projects/ui?sort=latency").await.concat();
    let mut expected: Vec<u64> = (1..=120).collect();
    expected.sort_by_key(|i| std::cmp::Reverse((i % 7, *i)));
    assert_eq!(by_latency, expected);

    // A filter stays on while paging.
    let errors = all_pages(&server, "/projects/ui?status=error&sort=latency&dir=asc").await.concat();
    let mut expected: Vec<u64> = (1..=12).map(|i| i * 10).collect();
    expected.sort_by_key(|i| (i % 7, *i));
    assert_eq!(errors, expected);
}

#[tokio::test]
async fn filters_read_from_the_url() {
    let (_dir, server) = seeded().await;
    let only = |path: &'static str| {
        let server = &server;
        async move { all_pages(server, path).await.concat() }
    };
    assert_eq!(only("/projects/ui?q=number+11").await, [119, 118, 117, 116, 115, 114, 113, 112, 111, 110, 11]);
    assert_eq!(only("/projects/ui?kind=LLM").await, Vec::<u64>::new());
    assert_eq!(only("/projects/ui?kind=chain&q=number+7").await.len(), 11); // 7, 70–79
    let from_to = "/projects/ui?from=2023-11-14T22:14:00&to=2023-11-14T22:14:05";
    assert_eq!(only(from_to).await, [44, 43, 42, 41, 40]);

    // Annotations: has name / label / score range, and "not yet annotated".
    let annotate = json!({"data": [
        {"span_id": span_hex(50), "name": "quality", "annotator_kind": "HUMAN", "result": {"label": "good", "score": 0.9}},
        {"span_id": span_hex(60), "name": "quality", "annotator_kind": "LLM", "result": {"label": "bad", "score": 0.1}},
        {"span_id": span_hex(70), "name": "tone", "annotator_kind": "LLM", "result": {"label": "good"}},
        {"span_id": span_hex(81), "name": "quality", "annotator_kind": "LLM", "result": {"label": "good"}},
    ]});
    let (status, body) = server.send_json(reqwest::Method::POST, "/v1/span_annotations?sync=true", &annotate).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(only("/projects/ui?ann=quality").await, [6, 5], "child span annotations don't count");
    assert_eq!(only("/projects/ui?ann=quality&label=good").await, [5]);
    assert_eq!(only("/projects/ui?label=good").await, [7, 5]);
    assert_eq!(only("/projects/ui?min_score=0.5").await, [5]);
    assert_eq!(only("/projects/ui?ann=quality&max_score=0.5").await, [6]);
    let unannotated = only("/projects/ui?unannotated=1").await;
    assert_eq!(unannotated.len(), 117);
    assert!(!unannotated.contains(&5) && unannotated.contains(&8));
    assert_eq!(only("/projects/ui?unannotated=1&ann=tone").await.len(), 119);

    // The row shows the chips.
    let (_, html) = page(&server, "/projects/ui?ann=quality&label=good").await;
    assert!(html.contains("quality</span>: <span class=\"chip-verdict\">good · 0.9</span>"), "{html}");
}

#[tokio::test]
async fn unknown_ids_are_404_and_span_data_is_escaped() {
    let (_dir, server) = seeded().await;
    for path in
        ["/projects/nope", &format!("/projects/nope/spans/{}", span_hex(10)), "/projects/ui/spans/0000000000000001"]
    {
        assert_eq!(page(&server, path).await.0, 404, "{path}");
    }
    assert_eq!(page(&server, &format!("/projects/ui/traces/{}", trace_hex(999))).await.0, 404);

    let (status, html) = page(&server, &format!("/projects/ui/traces/{}", trace_hex(3))).await;
    assert_eq!(status, 200);
    assert!(html.contains("root-3"));
    let (status, html) = page(&server, &format!("/projects/ui/spans/{}", span_hex(30))).await;
    assert_eq!(status, 200);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    let (_, list) = page(&server, "/projects/ui?q=%3Cscript").await;
    assert!(list.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !list.contains("<script>alert(1)"));
}

#[tokio::test]
async fn the_advanced_condition_matches_traces_by_any_span() {
    let (_dir, server) = seeded().await;
    // Traces 4, 8 and 12 get a TOOL span below their root; trace 9's LLM span is judged.
    let tool = |trace: u64, name: &str| {
        let kind = attr("openinference.span.kind", "TOOL");
        span(
            u128::from(trace),
            trace * 10 + 2,
            trace * 10,
            "lookup",
            trace * 1000,
            1,
            vec![kind, attr("tool.name", name)],
        )
    };
    let extra = vec![tool(4, "weather"), tool(8, "weather"), tool(12, "stocks")];
    assert_eq!(server.export(&request(vec![], extra), Some("ui")).await.status(), 200);
    let judged = json!({"data": [{"span_id": span_hex(91), "name": "quality", "annotator_kind": "LLM",
        "result": {"label": "bad", "score": 0.2}}]});
    let (status, body) = server.send_json(reqwest::Method::POST, "/v1/span_annotations?sync=true", &judged).await;
    assert_eq!(status, 200, "{body}");

    let matching = |condition: &str, rest: &str| {
        let path = format!("/projects/ui?condition={}{rest}", app::model::percent_encode(condition));
        let server = &server;
        async move { all_pages(server, &path).await.concat() }
    };
    assert_eq!(matching("tool.name == 'weather'", "").await, [8, 4], "an attribute of a span below the root");
    assert_eq!(matching("span_kind == 'TOOL' and tool.name != 'weather'", "").await, [12]);
    let either = matching("attributes['tool.name'] == 'weather' or 'number 11' in input.value", "").await;
    assert_eq!(either, [119, 118, 117, 116, 115, 114, 113, 112, 111, 110, 11, 8, 4]);
    assert_eq!(matching("annotations['quality'].label == 'bad'", "").await, [9], "an annotation of a child span");
    assert_eq!(matching("evals['quality'].score < 0.5 and span_kind == 'LLM'", "").await, [9]);
    // One span must match the whole condition: no span is both TOOL and LLM.
    assert_eq!(matching("span_kind == 'TOOL' and annotations['quality'].label == 'bad'", "").await, Vec::<u64>::new());
    assert_eq!(matching("span_kind != 'TOOL'", "").await.len(), 120, "every trace has a span that is not a tool");
    // With the other filters, and kept while paging and sorting.
    assert_eq!(matching("span_kind == 'TOOL'", "&q=number+8").await, [8]);
    assert_eq!(matching("latency_ms >= 0", "&dir=asc").await, (1..=120).collect::<Vec<_>>());
    // Quotes in literals and keys are values, never SQL.
    assert_eq!(matching("name == \"x' OR 1=1 --\"", "").await, Vec::<u64>::new());
    assert_eq!(matching("attributes[\"tool.name') OR 1=1 --\"] is not None", "").await, Vec::<u64>::new());

    // A refused condition: 422, the reason beside the box (announced, and
    // tied to the input), the filters unfolded, and no rows.
    for (condition, reason) in [
        ("len(name) > 3", "function call"),
        ("name == ", "invalid Python expression"),
        ("attributes['a\"b'] == 1", "unsupported attribute key"),
        ("start_time > 'soon'", "ISO 8601"),
    ] {
        let (status, html) =
            page(&server, &format!("/projects/ui?condition={}", app::model::percent_encode(condition))).await;
        assert_eq!(status, 422, "{condition}");
        assert!(rows(&html).is_empty(), "{condition}");
        let message = html.split("id=\"condition-error\"").nth(1).expect("the reason is shown");
        assert!(message[..message.find("</p>").unwrap()].contains(reason), "{condition}: {message}");
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("aria-invalid=\"true\"") && html.contains("aria-describedby=\"condition-error"));
        assert!(html.contains("aria-controls=\"trace-filters\" checked"), "unfolded");
    }
    let (status, html) = page(&server, "/projects/ui?condition=span_kind+%3D%3D+%27TOOL%27").await;
    assert_eq!(status, 200);
    assert!(!html.contains("aria-invalid") && html.contains("name=\"condition\""));
    assert!(html.contains("value=\"span_kind == ") && html.contains("TOOL"), "the box keeps the condition");

    // What acts on every matching trace refuses a bad condition too.
    let flag = |filter: &'static str| flag_matching(&server, &html, filter, "tools");
    let refused = flag("?condition=len(name)").await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("function call"));
    let flagged = flag("?condition=span_kind%20%3D%3D%20%27TOOL%27").await;
    assert_eq!(flagged.json::<String>().await.unwrap(), "Added 3 spans to tools");
    // Led by an annotation test, the selection starts from the annotated spans: the same traces.
    let judged = flag("?condition=annotations%5B%27quality%27%5D.label%20%3D%3D%20%27bad%27").await;
    assert_eq!(judged.json::<String>().await.unwrap(), "Added to tools", "trace 9's root");
    let spans = flagged_spans(&server, "tools").await;
    assert_eq!(spans, [span_hex(40), span_hex(80), span_hex(90), span_hex(120)], "the roots of traces 4, 8, 9 and 12");
}

/// The `action` of the page's first `<form>` that posts to `/api/{name}…`.
pub(crate) fn form_action(html: &str, name: &str) -> String {
    let start = html.find(&format!("action=\"/api/{name}")).expect("the page has the form") + 8;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn ui_forms_answer_scripts_with_statuses_and_plain_posts_with_a_redirect() {
    let (_dir, server) = seeded().await;
    let span_page = server.at(&format!("/projects/ui/spans/{}", span_hex(10)));
    let html = server.http.get(&span_page).send().await.unwrap().text().await.unwrap();
    let save = server.at(&form_action(&html, "save_annotation"));
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let post = |accept: &'static str, body: String| {
        plain
            .post(&save)
            .header("accept", accept)
            .header("referer", &span_page)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let name_only = format!("span_id={}&name=tone", span_hex(10));

    // The page swapper (JSON): a refusal is a 422 that says why, and stores nothing.
    let refused = post("application/json", name_only.clone()).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("Give a label, a score or an explanation"));
    // A browser without JavaScript is sent back to the page, which says why.
    let back = post("text/html", name_only).await.unwrap();
    assert_eq!(back.status(), 302);
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{span_page}?__path=")), "{location}");
    let html = server.http.get(&location).send().await.unwrap().text().await.unwrap();
    let refusal =
        r#"</form><p role="alert" data-swap-error="" class="error">Give a label, a score or an explanation</p>"#;
    assert!(html.contains(refusal), "{html}");

    let saved = post("application/json", format!("span_id={}&name=tone&label=calm", span_hex(10))).await.unwrap();
    assert_eq!(saved.status(), 200);
    let stored = server.get_json(&format!("/v1/projects/ui/span_annotations?span_ids={}", span_hex(10))).await;
    let names: Vec<&str> = stored["data"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["tone"]);
}

#[tokio::test]
async fn flag_all_matching_takes_the_root_of_every_matching_trace_on_every_page() {
    let (_dir, server) = seeded().await;
    let (_, html) = page(&server, "/projects/ui").await;
    let flag = |filter: &'static str, collection: &'static str| flag_matching(&server, &html, filter, collection);
    let said = |response: reqwest::Response| async move { response.json::<String>().await.unwrap() };
    // 120 traces: three pages of the list, all flagged.
    assert_eq!(said(flag("", "everything").await).await, "Added 120 spans to everything");
    assert_eq!(said(flag("?status=ERROR", "errors").await).await, "Added 12 spans to errors");
    assert_eq!(said(flag("?status=ERROR", "everything").await).await, "Already in everything");

    let mut expected: Vec<String> = (1..=12).map(|i| span_hex(i * 100)).collect();
    expected.sort();
    assert_eq!(flagged_spans(&server, "errors").await, expected, "the root spans of traces 10, 20, …, 120");
    let all = flagged_spans(&server, "everything").await;
    assert_eq!(all.len(), 120);
}

/// "Flag all matching" as a browser on the trace list `html` posts it (server
/// functions refuse requests from other sites): the traces matching `filter`
/// (the list's query string) into `collection`.
async fn flag_matching(server: &Server, html: &str, filter: &str, collection: &str) -> reqwest::Response {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("project", "ui")
        .append_pair("filter", filter)
        .append_pair("collection", collection)
        .finish();
    let request = server.http.post(server.at(&form_action(html, "flag_matching")));
    let request = request.header("accept", "application/json").header("origin", &server.url);
    request.header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap()
}

/// The span ids flagged into the collection named `name`, sorted.
async fn flagged_spans(server: &Server, name: &str) -> Vec<String> {
    let collections = server.get_json("/v1/collections").await;
    let found = collections["data"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    let path = format!("/v1/collections/{}/items?limit=1000", found["id"].as_str().unwrap());
    let items = server.get_json(&path).await;
    let mut spans: Vec<String> =
        items["data"].as_array().unwrap().iter().map(|i| i["span_id"].as_str().unwrap().to_owned()).collect();
    spans.sort();
    spans
}

#[tokio::test]
async fn the_theme_cookie_is_rendered_in_the_first_response() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let page = |cookie: Option<&'static str>| {
        let mut call = server.http.get(server.at("/collections"));
        if let Some(cookie) = cookie {
            call = call.header("cookie", cookie);
        }
        async move { call.send().await.unwrap().text().await.unwrap() }
    };
    assert!(page(None).await.contains("<html lang=\"en\">"), "no choice: the browser's preference rules");
    assert!(page(Some("plume_theme=dark")).await.contains("<html lang=\"en\" data-theme=\"dark\">"));
    assert!(page(Some("plume_theme=light")).await.contains("<html lang=\"en\" data-theme=\"light\">"));
    assert!(page(Some("plume_theme=\"><script>")).await.contains("<html lang=\"en\">"), "only known themes");

    // The header's switch: a form post that sets the cookie and goes back.
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let switch = |theme: &'static str, next: &'static str| {
        plain
            .post(server.at("/theme"))
            .header("origin", &server.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([("theme", theme), ("next", next)])
                    .finish(),
            )
            .send()
    };
    let response = switch("dark", "/collections?x=1").await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/collections?x=1");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("plume_theme=dark;") && cookie.contains("Max-Age=31536000"), "{cookie}");
    let response = switch("dark", "https://evil.example/").await.unwrap();
    assert_eq!(response.headers()["location"], "/", "only paths of this server");
}
