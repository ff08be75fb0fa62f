//! Reading the UI's trace list as served HTML: its rows and its paging.

use super::Server;

/// GETs a page: its status and HTML.
pub async fn page(server: &Server, path: &str) -> (u16, String) {
    let response = server.http.get(server.at(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The `data-trace` ids of the rows, in order, as trace numbers.
pub fn rows(html: &str) -> Vec<u64> {
    html.split("data-trace=\"").skip(1).map(|rest| u64::from_str_radix(&rest[..32], 16).unwrap()).collect()
}

/// The "Next page" link, unescaped.
pub fn next_link(html: &str) -> Option<String> {
    let at = html.find("rel=\"next\" href=\"")?;
    let rest = &html[at + 17..];
    Some(rest[..rest.find('"').unwrap()].replace("&amp;", "&"))
}

/// Follows "Next page" from `path` to the end; every row of every page.
pub async fn all_pages(server: &Server, path: &str) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(path) = next {
        let (status, html) = page(server, &path).await;
        assert_eq!(status, 200, "{path}");
        pages.push(rows(&html));
        next = next_link(&html);
        assert!(pages.len() <= 100, "paging does not end");
    }
    pages
}
