//! Reading results back through Plume's REST API.

use serde_json::Value;

/// Follows the cursors of a paginated `{"data": [...], "next_cursor": …}`
/// listing from `url` (which carries the other query parameters), handing
/// each page to `visit` until it answers `false` or the pages run out.
pub async fn walk(client: &reqwest::Client, url: &str, mut visit: impl FnMut(&Value) -> bool) {
    let mut cursor = String::new();
    loop {
        let page: Value = client
            .get(format!("{url}&cursor={cursor}"))
            .send()
            .await
            .expect("listing")
            .json()
            .await
            .expect("a JSON page");
        if !visit(&page) {
            return;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return,
        }
    }
}

/// Counts the items of a paginated listing (see [`walk`]).
pub async fn count(client: &reqwest::Client, url: &str) -> usize {
    let mut total = 0;
    walk(client, url, |page| {
        total += page["data"].as_array().map_or(0, Vec::len);
        true
    })
    .await;
    total
}
