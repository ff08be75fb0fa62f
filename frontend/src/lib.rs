//! Browser entry point: hydrates the islands of the server-rendered Plume UI.

// Links the `app` crate, whose `#[island]` components are the WASM exports
// that Leptos's island script calls for each `<leptos-island>` of the page.
use app as _;

/// Called by the generated JS glue once the WASM module has loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
