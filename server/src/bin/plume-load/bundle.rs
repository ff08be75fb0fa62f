//! `plume-load bundle`: the browser bundle (the WASM and JS a page preloads,
//! and its stylesheet) as the server sends it: raw, gzip and brotli bytes,
//! against the budget of 400 KB gzipped.

/// The gzipped budget for WASM + JS + CSS, in bytes.
const BUDGET: usize = 400 * 1024;

/// The encodings measured, as `Accept-Encoding` values.
const ENCODINGS: [&str; 3] = ["identity", "gzip", "br"];

/// Reads the bundle's paths from the projects page and prints their sizes.
pub async fn run(url: &str) {
    let client = crate::client();
    let page = client.get(format!("{url}/")).send().await.expect("GET /").text().await.expect("reading /");
    let paths = preloaded(&page);
    assert!(!paths.is_empty(), "the page preloads no bundle: is the site built?");
    let mut totals = [0; ENCODINGS.len()];
    for path in &paths {
        let mut sizes = [0; ENCODINGS.len()];
        for (size, encoding) in sizes.iter_mut().zip(ENCODINGS) {
            let response =
                client.get(format!("{url}{path}")).header("accept-encoding", encoding).send().await.expect("GET");
            assert!(response.status().is_success(), "GET {path} answered {}", response.status());
            *size = response.bytes().await.expect("reading the asset").len();
        }
        println!("{path}: {} bytes, gzip {}, br {}", sizes[0], sizes[1], sizes[2]);
        totals.iter_mut().zip(sizes).for_each(|(total, size)| *total += size);
    }
    let verdict = if totals[1] < BUDGET { "within" } else { "OVER" };
    println!(
        "bundle: {} bytes, gzip {} ({:.0} KB, {verdict} the {} KB budget), br {}",
        totals[0],
        totals[1],
        totals[1] as f64 / 1024.0,
        BUDGET / 1024,
        totals[2]
    );
}

/// The `href`s of the page's `<link rel="modulepreload">`,
/// `<link rel="preload">` (the JS glue and the WASM) and `<link rel="stylesheet">`.
fn preloaded(page: &str) -> Vec<String> {
    page.split("<link ")
        .skip(1)
        .filter(|tag| {
            ["modulepreload", "preload", "stylesheet"].iter().any(|rel| tag.contains(&format!("rel=\"{rel}\"")))
        })
        .filter_map(|tag| {
            let href = tag.split("href=\"").nth(1)?;
            Some(href[..href.find('"')?].to_owned())
        })
        .collect()
}
