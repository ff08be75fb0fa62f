//! Public links: token shown once and stored only hashed, expiry and
//! revocation (410 pages that say nothing), redaction, and no access to
//! anything but what was shared.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Project `p` with traces 1 and 2 (a root and an LLM child each, the child
/// carrying a user's e-mail), and collection `secret-name` holding span 11 with a note.
async fn seeded() -> (tempfile::TempDir, Server, String) {
    seeded_on(Server::start).await
}

/// [`seeded`] on the server `start` starts.
async fn seeded_on(start: impl FnOnce(&std::path::Path) -> Server) -> (tempfile::TempDir, Server, String) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let mut spans = Vec::new();
    for i in 1..=2u64 {
        spans.push(span(u128::from(i), i * 10, 0, &format!("root-{i}"), i * 1000, 5, vec![]));
        spans.push(span(
            u128::from(i),
            i * 10 + 1,
            i * 10,
            &format!("llm-{i}"),
            i * 1000 + 1,
            1,
            vec![
                attr("openinference.span.kind", "LLM"),
                attr("input.value", &format!("<script>alert({i})</script> question {i}")),
                attr("output.value", &format!("answer {i}")),
                attr("user.email", &format!("person{i}@example.com")),
                attr("user.id", &format!("user-{i}")),
                attr("session.token", &format!("sess-{i}")),
            ],
        ));
    }
    assert_eq!(server.export(&request(vec![], spans), Some("p")).await.status(), 200);
    let vote = json!({"data": [{"span_id": span_hex(11), "name": "user feedback", "annotator_kind": "HUMAN",
                                 "result": {"label": "thumbs-up", "score": 1, "explanation": "spot on"}}]});
    assert_eq!(server.send_json(Method::POST, "/v1/span_annotations?sync=true", &vote).await.0, 200);
    let (_, text) = server.send_json(Method::POST, "/v1/collections", &json!({"name": "secret-name"})).await;
    let id = serde_json::from_str::<Value>(&text).unwrap()["data"]["id"].as_str().unwrap().to_owned();
    let body = json!({"span_ids": [span_hex(11)], "note": "reviewed by ops"});
    assert_eq!(server.send_json(Method::POST, &format!("/v1/collections/{id}/items"), &body).await.0, 200);
    (dir, server, id)
}

async fn link(server: &Server, path: &str, body: Value) -> Value {
    let (status, text) = server.send_json(Method::POST, path, &body).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["data"].clone()
}

#[tokio::test]
async fn a_collection_link_shows_only_the_collection_redacted_and_escaped() {
    let (_dir, server, id) = seeded().await;
    let created =
        link(&server, &format!("/v1/collections/{id}/public_links"), json!({"redact": ["*.email", "session.*"]})).await;
    let token = created["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "32 random bytes, base64url");
    assert_eq!(created["url"], format!("{}/share/{token}", server.url));
    assert!(created["id"].as_str().is_some());
    // Default lifetime: 7 days.
    let expires = chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((6.9..=7.0).contains(&days), "{days}");

    let (status, html, headers) = server.get_text(&format!("/share/{token}")).await;
    assert_eq!(status, 200);
    assert!(headers.get("set-cookie").is_none());
    assert!(html.contains("secret-name"));
    assert!(html.contains("reviewed by ops"));
    assert!(html.contains("llm-1"));
    assert!(html.contains("spot on"));
    assert!(html.contains("answer 1"));
    assert!(html.contains("user-1"), "attributes not matching a pattern stay");
    // Redacted values never reach the page (nor its hydration data).
    assert!(!html.contains("person1@example.com"));
    assert!(!html.contains("sess-1"));
    assert!(html.contains("[redacted]"));
    // Span data is escaped.
    assert!(!html.contains("<script>alert(1)</script>"));
    // Only what was shared: not the other trace, no navigation, no forms.
    assert!(!html.contains("llm-2") && !html.contains("person2"));
    assert!(!html.contains("href=\"/\"") && !html.contains("href=\"/projects"));
    assert!(!html.contains("<form"));
    assert!(html.contains("noindex"));
}

#[tokio::test]
async fn a_trace_link_shows_the_trace() {
    let (_dir, server, _) = seeded().await;
    let created = link(&server, "/v1/public_links", json!({"trace_id": trace_hex(2), "redact": ["user.*"]})).await;
    let (status, html, _) = server.get_text(&format!("/share/{}", created["token"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert!(html.contains("root-2") && html.contains("llm-2"));
    assert!(!html.contains("llm-1") && !html.contains("secret-name"));
    assert!(!html.contains("person2@example.com") && !html.contains("user-2"));

    // Bad requests are clear 4xx.
    let cases = [
        (json!({}), 422),
        (json!({"trace_id": "ffffffffffffffffffffffffffffffff"}), 404),
        (json!({"trace_id": trace_hex(2), "expires_in_seconds": 0}), 422),
        (json!({"trace_id": trace_hex(2), "expires_in_seconds": 400 * 86400}), 422),
        (json!({"trace_id": trace_hex(2), "redact": [""]}), 422),
        (json!({"trace_id": trace_hex(2), "redact": "user.*"}), 422),
    ];
    for (body, expected) in cases {
        assert_eq!(server.send_json(Method::POST, "/v1/public_links", &body).await.0, expected, "{body}");
    }
    let (status, _) = server.send_json(Method::POST, "/v1/collections/nope/public_links", &json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn revoked_and_expired_links_are_410_pages_that_leak_nothing() {
    let (_dir, server, id) = seeded().await;
    let created = link(&server, &format!("/v1/collections/{id}/public_links"), json!({})).await;
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(server.get_text(&format!("/share/{token}")).await.0, 200);

    // Listed without the token, active.
    let listed = server.get_json("/v1/public_links").await;
    let entry = &listed["data"][0];
    assert_eq!(entry["id"], created["id"]);
    assert_eq!(entry["collection_id"], id.as_str());
    assert_eq!(entry["status"], "active");
    assert!(entry.get("token").is_none());
    assert!(!listed.to_string().contains(&token));

    let path = format!("/v1/public_links/{}", created["id"].as_str().unwrap());
    assert_eq!(server.http.delete(server.at(&path)).send().await.unwrap().status(), 204);
    assert_eq!(server.http.delete(server.at(&path)).send().await.unwrap().status(), 204, "revoking twice is fine");
    assert_eq!(server.http.delete(server.at("/v1/public_links/nope")).send().await.unwrap().status(), 404);
    let (status, html, _) = server.get_text(&format!("/share/{token}")).await;
    assert_eq!(status, 410);
    assert!(!html.contains("secret-name") && !html.contains("llm-1") && !html.contains("reviewed"));
    assert_eq!(server.get_json("/v1/public_links").await["data"][0]["status"], "revoked");

    // Expiry.
    let short = link(&server, &format!("/v1/collections/{id}/public_links"), json!({"expires_in_seconds": 1})).await;
    let short_path = format!("/share/{}", short["token"].as_str().unwrap());
    assert_eq!(server.get_text(&short_path).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (status, html, _) = server.get_text(&short_path).await;
    assert_eq!(status, 410);
    assert!(!html.contains("secret-name"));
    assert_eq!(server.get_json("/v1/public_links").await["data"][0]["status"], "expired");

    // An unknown token is a 404 of the same kind.
    let (status, html, _) = server.get_text("/share/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(status, 404);
    assert!(!html.contains("secret-name"));
}

#[tokio::test]
async fn the_database_holds_only_the_token_hash() {
    let (dir, server, id) = seeded_on(|dir| Server::start_process(dir, &[], &[])).await;
    let created = link(&server, &format!("/v1/collections/{id}/public_links"), json!({})).await;
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(server.get_text(&format!("/share/{token}")).await.0, 200);
    let (_, log) = server.terminate();
    assert!(log.iter().any(|line| line.contains("/share/…")), "the request is logged, without its token");
    let bytes = stored_bytes(dir.path());
    assert!(bytes.len() > 4096, "the database was read");
    assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "the token is stored");
    assert!(!log.iter().any(|line| line.contains(&token)), "the token is not logged");
    // The stored hash is the token's SHA-256.
    let server = Server::start(dir.path());
    let (status, _, _) = server.get_text(&format!("/share/{token}")).await;
    assert_eq!(status, 200, "the hash alone lets the link work after a restart");
    let hash = app::store::token_hash(&token);
    assert_eq!(hash.len(), 32);
}

#[tokio::test]
async fn the_token_opens_nothing_else() {
    let (_dir, server, id) = seeded().await;
    let created = link(&server, "/v1/public_links", json!({"trace_id": trace_hex(1)})).await;
    let token = created["token"].as_str().unwrap().to_owned();
    // The token is not an id, a name or a credential anywhere else.
    for path in [
        format!("/v1/collections/{token}"),
        format!("/v1/collections/{token}/items"),
        format!("/v1/collections/{token}/export"),
        format!("/v1/datasets/{token}"),
        format!("/v1/projects/{token}"),
        format!("/v1/public_links/{token}"),
        format!("/share/{token}/x"),
        format!("/projects/{token}"),
    ] {
        let response = server.http.get(server.at(&path)).bearer_auth(&token).send().await.unwrap();
        assert!(matches!(response.status().as_u16(), 404 | 405), "{path}: {}", response.status());
    }
    let revoke = server.http.delete(server.at(&format!("/v1/public_links/{token}"))).send().await.unwrap();
    assert_eq!(revoke.status(), 404, "a token cannot revoke (or name) a link");
    // A trace link does not open the collection, and vice versa.
    let (_, html, _) = server.get_text(&format!("/share/{token}")).await;
    assert!(!html.contains("secret-name") && !html.contains("reviewed by ops"));
    let collection = link(&server, &format!("/v1/collections/{id}/public_links"), json!({})).await;
    let (_, html, _) = server.get_text(&format!("/share/{}", collection["token"].as_str().unwrap())).await;
    assert!(!html.contains("root-1"), "only the flagged span, not the rest of its trace");
}

#[tokio::test]
async fn links_use_the_public_url_when_one_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--public-url", "https://plume.example/"]);
    assert_eq!(
        server.export(&request(vec![], vec![span(1, 1, 0, "root", 0, 1, vec![])]), Some("p")).await.status(),
        200
    );
    let created = link(&server, "/v1/public_links", json!({"trace_id": trace_hex(1)})).await;
    let url = created["url"].as_str().unwrap();
    assert!(url.starts_with("https://plume.example/share/"), "{url}");
    // Without it, the address the request came to.
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = Server::start(plain_dir.path());
    assert_eq!(
        plain.export(&request(vec![], vec![span(1, 1, 0, "root", 0, 1, vec![])]), Some("p")).await.status(),
        200
    );
    let created = link(&plain, "/v1/public_links", json!({"trace_id": trace_hex(1)})).await;
    assert!(created["url"].as_str().unwrap().starts_with(&format!("{}/share/", plain.url)), "{created}");
}
