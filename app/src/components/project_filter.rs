//! The projects page's filter box: hides the rows whose project name does
//! not contain the text typed (an island; without JavaScript every project
//! stays listed).

use leptos::prelude::*;

/// The filter box of the projects table (`tr[data-project]` rows).
#[island]
pub fn ProjectFilter() -> impl IntoView {
    view! {
        <input
            class="search"
            type="search"
            placeholder="Filter projects"
            aria-label="Filter projects"
            on:input=move |ev| filter_rows(&event_target_value(&ev))
        />
    }
}

/// Shows the rows whose `data-project` contains `text`, case-insensitively.
#[cfg(feature = "hydrate")]
fn filter_rows(text: &str) {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::HtmlElement;

    let needle = text.to_lowercase();
    let Ok(rows) = document().query_selector_all("tr[data-project]") else { return };
    for row in (0..rows.length()).filter_map(|i| rows.item(i)?.dyn_into::<HtmlElement>().ok()) {
        let name = row.get_attribute("data-project").unwrap_or_default().to_lowercase();
        row.set_hidden(!name.contains(&needle));
    }
}

/// On the server there is nothing to filter.
#[cfg(not(feature = "hydrate"))]
fn filter_rows(_text: &str) {}
