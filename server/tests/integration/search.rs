//! Text search and counts at scale (issue 17): a planted phrase among
//! 100,000 spans is found on the first page in every sort while a near miss
//! is not, FTS5 syntax and `LIKE` wildcards in a query are plain text, a
//! deleted span leaves the results, and the projects page's counts equal a
//! `COUNT(*)` after concurrent ingestion and deletes.

use std::time::Duration;

use serde_json::Value;

use crate::common::pages::*;
use crate::common::*;

/// Traces of five spans (an agent and four LLM calls), numbered from
/// `first`: trace `t` starts at `t` seconds and lasts `t % 97` ms + 1.
/// `input(t)` is the root's input; the LLM calls answer in plain lorem.
fn traces(first: u64, count: u64, input: impl Fn(u64) -> String) -> Vec<opentelemetry_proto::tonic::trace::v1::Span> {
    (first..first + count)
        .flat_map(|t| {
            let root = span(
                u128::from(t),
                t * 8,
                0,
                "agent",
                t * 1000,
                t % 97 + 1,
                vec![attr("openinference.span.kind", "AGENT"), attr("input.value", &input(t))],
            );
            let calls = (1..5).map(move |i| {
                span(
                    u128::from(t),
                    t * 8 + i,
                    t * 8,
                    "llm",
                    t * 1000,
                    1,
                    vec![attr("openinference.span.kind", "LLM"), attr("output.value", "lorem ipsum dolor sit amet")],
                )
            });
            std::iter::once(root).chain(calls)
        })
        .collect()
}

/// The planted trace and what its root says; near misses of it.
const PLANTED: u64 = 12_345;
const PHRASE: &str = "The customer said: order #42 never arrived (zebra-crossing)";
const NEAR_MISSES: [(u64, &str); 2] = [(777, "order #4 2 never arrived"), (778, "zebra crossing ahead")];

fn input(t: u64) -> String {
    match t {
        PLANTED => PHRASE.to_owned(),
        _ => NEAR_MISSES
            .iter()
            .find(|(n, _)| *n == t)
            .map_or_else(|| format!("question {t}: lorem ipsum dolor sit amet"), |(_, text)| (*text).to_owned()),
    }
}

/// Waits until the writer has indexed every stored span for search (as
/// `/metrics` says: the index's bookkeeping differs between the engines).
async fn index_caught_up(server: &Server) {
    for _ in 0..600 {
        let (status, metrics, _) = server.get_text("/metrics").await;
        assert_eq!(status, 200, "{metrics}");
        if metrics.lines().any(|line| line == "plume_search_unindexed_spans 0") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the search index did not catch up");
}

#[tokio::test]
async fn a_planted_phrase_is_found_among_100000_spans_in_every_sort() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    for first in (1..=20_000).step_by(1000) {
        let response = server.export(&request(vec![], traces(first, 1000, input)), Some("big")).await;
        assert_eq!(response.status(), 200);
    }
    index_caught_up(&server).await;

    for order in ["", "&sort=latency", "&dir=asc", "&sort=latency&dir=asc"] {
        for query in ["order+%2342", "ORDER+%2342+never", "zebra-crossing", "customer+said%3A"] {
            let (status, html) = page(&server, &format!("/projects/big?q={query}{order}")).await;
            assert_eq!(status, 200);
            assert_eq!(rows(&html), [PLANTED], "?q={query}{order}");
        }
        // A near miss is found by its own words and is no false positive above.
        let (_, html) = page(&server, &format!("/projects/big?q=zebra+crossing{order}")).await;
        assert_eq!(rows(&html), [778], "{order}");
    }
    // A frequent word fills whole pages, in the list's order, and pages on.
    let (_, html) = page(&server, "/projects/big?q=ipsum").await;
    let first_page = rows(&html);
    assert_eq!(first_page.len(), 50);
    assert_eq!(first_page[0], 20_000);
    assert!(first_page.windows(2).all(|w| w[0] > w[1]), "{first_page:?}");
    assert!(next_link(&html).is_some());
    // Shorter than a trigram: still found (by reading the spans).
    let (_, html) = page(&server, "/projects/big?q=%234").await;
    assert_eq!(rows(&html), [PLANTED, 777]);

    // "Flag all N matching": counted exactly up to 10,000, from the
    // maintained counter without filters.
    for (filter, expected) in [
        ("q=zebra-crossing", serde_json::json!({"count": 1, "at_least": false})),
        ("q=ipsum", serde_json::json!({"count": 10_000, "at_least": true})),
        ("", serde_json::json!({"count": 20_000, "at_least": false})),
    ] {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("project", "big"), ("filter", filter)])
            .finish();
        let response = server
            .http
            .post(server.at("/api/count_matching_traces"))
            .header("origin", &server.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.json::<Value>().await.unwrap(), expected, "{filter}");
    }

    // The span API searches every span, with the same semantics.
    let found = server.get_json("/v1/projects/big/spans?q=never+arrived").await;
    let ids: Vec<&str> =
        found["data"].as_array().unwrap().iter().map(|s| s["context"]["span_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [span_hex(PLANTED * 8), span_hex(777 * 8)]);
    let answers = server.get_json("/v1/projects/big/spans?q=dolor+sit&limit=3").await;
    assert_eq!(answers["data"].as_array().unwrap().len(), 3);

    // As after an upgrade from a version without the index: every span is
    // to be indexed again. Searches answer meanwhile, and the list says so.
    // (Emptying the index and holding it back is done here with SQLite's
    // own commands: FTS5's 'delete-all' and its write lock.)
    if on_postgres() {
        return;
    }
    server.terminate();
    let url = format!("sqlite://{}", dir.path().join("plume.db").display());
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO span_text (span_text) VALUES ('delete-all')").execute(&mut db).await.unwrap();
    sqlx::query("UPDATE search_progress SET indexed_upto = 0").execute(&mut db).await.unwrap();
    // Holding the write lock keeps the index from catching up before the
    // first search (the server starts without writing; the given secret
    // spares it even that), so the notice is seen however fast the machine.
    sqlx::query("BEGIN IMMEDIATE").execute(&mut db).await.unwrap();
    let server = Server::start_with(dir.path(), &["--feedback-secret", &"s".repeat(32)]);
    let (_, html) = page(&server, "/projects/big?q=zebra-crossing").await;
    assert!(html.contains("search-catching-up"), "no catching-up notice");
    assert_eq!(rows(&html), [PLANTED]);
    sqlx::query("ROLLBACK").execute(&mut db).await.unwrap();
    index_caught_up(&server).await;
    let (_, html) = page(&server, "/projects/big?q=zebra-crossing").await;
    assert!(!html.contains("search-catching-up"));
    assert_eq!(rows(&html), [PLANTED]);
}

#[tokio::test]
async fn search_syntax_and_wildcards_are_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let texts = [
        "100% sure",
        "snake_case name",
        r#"she said "hi" OR NOT"#,
        "back\\slash",
        "1000 sure",
        "snakeXcase name",
        "prefix* NEAR(a b) col:value",
        "ünïcödé Straße",
    ];
    let spans = traces(1, texts.len() as u64, |t| texts[t as usize - 1].to_owned());
    assert_eq!(server.export(&request(vec![], spans), Some("syntax")).await.status(), 200);
    index_caught_up(&server).await;

    let cases: [(&str, &[u64]); 12] = [
        ("0% s", &[1]),
        ("snake_case", &[2]),
        (r#""hi" OR"#, &[3]),
        ("OR NOT", &[3]),
        ("k\\s", &[4]),
        ("prefix*", &[7]),
        ("NEAR(a b)", &[7]),
        ("col:value", &[7]),
        ("\"", &[3]),
        ("'; DROP TABLE spans; --", &[]),
        ("ünïcödé", &[8]),
        ("STRASSE", &[]),
    ];
    for (query, expected) in cases {
        let path = format!("/projects/syntax?q={}", urlencoding(query));
        let (status, html) = page(&server, &path).await;
        assert_eq!(status, 200, "{query}");
        let mut found = rows(&html);
        found.sort_unstable();
        assert_eq!(found, expected, "{query}");
        let (status, body, _) = server.get_text(&format!("/v1/projects/syntax/spans?q={}", urlencoding(query))).await;
        assert_eq!(status, 200, "{query}: {body}");
    }
    // Nothing was dropped.
    assert_eq!(server.get_json("/v1/projects/syntax/spans?limit=100").await["data"].as_array().unwrap().len(), 40);
}

#[tokio::test]
async fn a_deleted_span_leaves_the_search_results() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let spans = traces(1, 50, |t| format!("conversation {t} about a lost parcel"));
    assert_eq!(server.export(&request(vec![], spans), Some("gone")).await.status(), 200);
    index_caught_up(&server).await;
    let search = "/v1/projects/gone/spans?q=conversation+17+about";
    assert_eq!(server.get_json(search).await["data"].as_array().unwrap().len(), 1);
    // Index entries holding the trigrams of " 17 " (only trace 17's root).
    let db = database(dir.path()).await;
    let indexed = || async {
        let trigrams = if on_postgres() {
            "SELECT count(*) FROM span_text WHERE input LIKE '% 17 %'"
        } else {
            r#"SELECT count(*) FROM span_text WHERE span_text MATCH '"n 1" AND " 17" AND "17 "'"#
        };
        sqlx::query_scalar::<_, i64>(trigrams).fetch_one(&db).await.unwrap()
    };
    assert_eq!(indexed().await, 1);
    let (status, _) =
        server.send_json(reqwest::Method::DELETE, &format!("/v1/spans/{}", span_hex(17 * 8)), &Value::Null).await;
    assert_eq!(status, 204);
    assert_eq!(server.get_json(search).await["data"].as_array().unwrap().len(), 0);
    let (_, html) = page(&server, "/projects/gone?q=conversation+17+about").await;
    assert!(rows(&html).is_empty());
    assert_eq!(indexed().await, 0, "the search index still holds the deleted span");
}

#[tokio::test]
async fn counts_stay_equal_to_count_star_under_concurrent_ingest_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let ingest = |project: &'static str, offset: u64| {
        let server = &server;
        async move {
            for round in 0..10 {
                let first = offset + round * 40 + 1;
                // Each trace twice: the second export widens it, adds nothing.
                for _ in 0..2 {
                    let response = server.export(&request(vec![], traces(first, 40, input)), Some(project)).await;
                    assert_eq!(response.status(), 200);
                }
            }
        }
    };
    let delete = || {
        let server = &server;
        async move {
            for t in (1..=400).step_by(7) {
                // Some spans are not stored yet: 404 is fine, a 5xx is not.
                let (status, body) = server
                    .send_json(reqwest::Method::DELETE, &format!("/v1/spans/{}", span_hex(t * 8 + 1)), &Value::Null)
                    .await;
                assert!(status == 204 || status == 404, "{status} {body}");
            }
        }
    };
    tokio::join!(ingest("one", 0), ingest("two", 100_000), ingest("doomed", 200_000), delete());
    let (status, _) = server.send_json(reqwest::Method::DELETE, "/v1/projects/doomed", &Value::Null).await;
    assert_eq!(status, 204);
    ingest("two", 300_000).await;

    let db = database(dir.path()).await;
    let (_, html) = page(&server, "/").await;
    for project in ["one", "two", "default"] {
        let (traces, spans): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM traces t JOIN projects p ON p.id = t.project_id WHERE p.name = $1), \
                    (SELECT count(*) FROM spans s JOIN projects p ON p.id = s.project_id WHERE p.name = $1)",
        )
        .bind(project)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(shown_counts(&html, project), (traces, spans), "{project}");
    }
    assert_eq!(shown_counts(&html, "one").0, 400);
    assert!(!html.contains("data-project=\"doomed\""));

    // The daily 👍 counts follow votes given, changed and deleted.
    // A vote of trace `t`'s root span, and a request that sends some at once.
    let item = |t: u64, label: &str| {
        serde_json::json!({"span_id": span_hex(t * 8), "name": "user feedback", "annotator_kind": "HUMAN",
            "result": {"label": label}})
    };
    let send = |items: Vec<Value>| {
        let server = &server;
        async move {
            let body = serde_json::json!({"data": items});
            let (status, text) = server.send_json(reqwest::Method::POST, "/v1/span_annotations?sync=true", &body).await;
            assert_eq!(status, 200, "{text}");
        }
    };
    let vote = |t: u64, label: &'static str| send(vec![item(t, label)]);
    for t in 1..=30 {
        vote(t, if t % 3 == 0 { "thumbs-down" } else { "thumbs-up" }).await;
    }
    for t in 1..=5 {
        vote(t, "thumbs-down").await; // changed its mind
    }
    vote(6, "meh").await; // no longer a vote
    // Many in one request (one statement): new votes, a non-vote, a change.
    let mut items: Vec<Value> = (31..=41u64)
        .map(|t| match t {
            41 => item(t, "meh"),
            t if t % 2 == 0 => item(t, "thumbs-up"),
            _ => item(t, "thumbs-down"),
        })
        .collect();
    items.push(item(12, "thumbs-up"));
    send(items).await;
    for t in [9, 10] {
        let (status, _) =
            server.send_json(reqwest::Method::DELETE, &format!("/v1/spans/{}", span_hex(t * 8)), &Value::Null).await;
        assert_eq!(status, 204);
    }
    let counted: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT day, CAST(sum(up) AS BIGINT), CAST(sum(total) AS BIGINT) FROM feedback_tallies \
             GROUP BY day HAVING sum(total) > 0 ORDER BY day",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let direct: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT created_at / 86400000000000, count(*) FILTER (WHERE label = 'thumbs-up'), count(*) FROM span_annotations \
         WHERE name = 'user feedback' AND label IN ('thumbs-up', 'thumbs-down') GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(counted, direct);
    let votes: i64 = direct.iter().map(|d| d.2).sum();
    // 30, less the changed label and two deleted spans, and 31 to 40.
    assert_eq!(votes, 37);
    // Down: 1, 2, 4, 5 and the multiples of 3 up to 30 but 6 (meh), 9 (deleted)
    // and 12 (changed back), and the odd ones of 31 to 40.
    assert_eq!(direct.iter().map(|d| d.1).sum::<i64>(), 37 - 11 - 5);
}

/// The trace and span counts the projects page shows for `project`.
pub(crate) fn shown_counts(html: &str, project: &str) -> (i64, i64) {
    let row = &html[html.find(&format!("data-project=\"{project}\"")).expect(project)..];
    let cell = |class: &str| -> i64 {
        let at = row.find(&format!("class=\"num {class}\">")).unwrap() + class.len() + 13;
        row[at..at + row[at..].find('<').unwrap()].parse().unwrap()
    };
    (cell("traces"), cell("spans"))
}

/// Percent-encodes a query value.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
