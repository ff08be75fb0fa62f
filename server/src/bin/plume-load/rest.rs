//! Reading results back through Plume's REST API.

/// Counts the items of a paginated `{"data": [...], "next_cursor": …}` listing,
/// following the cursors from `url` (which carries the other query parameters).
pub async fn count(client: &reqwest::Client, url: &str) -> usize {
    let mut total = 0;
    let mut cursor = String::new();
    loop {
        let page: serde_json::Value = client
            .get(format!("{url}&cursor={cursor}"))
            .send()
            .await
            .expect("listing")
            .json()
            .await
            .expect("a JSON page");
        total += page["data"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return total,
        }
    }
}
