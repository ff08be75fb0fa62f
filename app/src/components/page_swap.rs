//! Page swaps: with JavaScript on, the app's plain forms and its `data-swap`
//! links update the page in place instead of reloading it.
//!
//! Every page is server-rendered HTML whose forms post to a server function
//! and redirect back (so they work with JavaScript off). Once this island is
//! hydrated it intercepts those posts: it sends the form to the server
//! function, shows the error next to the form if there is one, and otherwise
//! fetches the page again and swaps its `<main>` in, keeping the scroll
//! position. Links marked `data-swap` (the trace page's span tree) are
//! fetched and swapped the same way, with a history entry of their own.
//!
//! A server function that redirects (`leptos_axum::redirect`) has the page
//! swapped to where it points (a new history entry) instead of reloaded.
//!
//! After a form's swap, keyboard focus goes back to the same control of the
//! same form in the new page (else to `<main>`), and the page's live region
//! announces the form's `data-done` text ("Annotation saved"; "Saved" by
//! default), so keyboard and screen-reader users are not lost. A form marked
//! `data-focus-main` sends focus to `<main>` instead (the review page's, whose
//! keys act on the page, not on a focused button).
//!
//! A swap keeps every island whose component and props are unchanged (their
//! client state, such as a one-time link shown after creating it, survives)
//! and hydrates the new ones. Forms inside islands are the islands' own
//! business and are left alone. Islands ask for a refresh after they change
//! data by calling [`refresh_on_success`].

use leptos::prelude::*;

/// The window event that asks the page swapper to reload `<main>`.
#[cfg(feature = "hydrate")]
const REFRESH_EVENT: &str = "plume:refresh";

/// The window event sent after `<main>` was swapped.
#[cfg(feature = "hydrate")]
pub const SWAPPED_EVENT: &str = "plume:swapped";

/// Installs the page swapper (renders nothing).
#[island]
pub fn PageSwap() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    browser::install();
}

/// Has the page swapper fetch the page again and swap `<main>` in whenever
/// `succeeded` turns true: an island's action changed data that the
/// server-rendered parts show.
#[cfg(feature = "hydrate")]
pub fn refresh_on_success(succeeded: impl Fn() -> bool + Send + Sync + 'static) {
    Effect::new(move |_| {
        if succeeded()
            && let Ok(event) = leptos::web_sys::Event::new(REFRESH_EVENT)
        {
            let _ = window().dispatch_event(&event);
        }
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;

    use gloo_net::http::Request;
    use leptos::ev;
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::{
        DomParser, Element, FormData, HtmlAnchorElement, HtmlElement, HtmlFormElement, MouseEvent, SubmitEvent,
        SupportedType, UrlSearchParams,
    };

    use super::{REFRESH_EVENT, SWAPPED_EVENT};

    thread_local! {
        /// Bumped by every swap; a response that is no longer the newest is dropped.
        static GENERATION: Cell<u64> = const { Cell::new(0) };
        /// The URL (without its fragment) of the page `<main>` shows.
        static SHOWN: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }

    /// What a swap does to the browser's history.
    #[derive(Clone, Copy, PartialEq)]
    enum History {
        /// A new entry (a link was followed).
        Push,
        /// Leave it (a refresh, or back/forward).
        Keep,
    }

    pub fn install() {
        SHOWN.with(|shown| *shown.borrow_mut() = without_fragment(&current_url()));
        let handles = [
            window_event_listener(ev::click, on_click),
            window_event_listener(ev::submit, on_submit),
            window_event_listener(ev::popstate, |_| {
                // A move within the page (the skip link's `#main`, say) fires
                // popstate too: only another page is fetched.
                if SHOWN.with(|shown| *shown.borrow() != without_fragment(&current_url())) {
                    spawn_local(swap(current_url(), History::Keep));
                }
            }),
            window_event_listener_untyped(REFRESH_EVENT, |_| spawn_local(swap(current_url(), History::Keep))),
        ];
        on_cleanup(move || handles.into_iter().for_each(|handle| handle.remove()));
    }

    fn current_url() -> String {
        window().location().href().unwrap_or_default()
    }

    /// `url` without its `#fragment`.
    fn without_fragment(url: &str) -> String {
        url.split('#').next().unwrap_or_default().to_owned()
    }

    /// `location` (a path or a URL) as an absolute URL on this origin, if it is on it.
    fn absolute_here(location: &str) -> Option<String> {
        let origin = window().location().origin().ok()?;
        let url = if location.starts_with('/') && !location.starts_with("//") {
            format!("{origin}{location}")
        } else {
            location.to_owned()
        };
        on_this_origin(&url, "/").then_some(url)
    }

    /// Whether absolute `url` is on this origin, under path `prefix` (`/` for any).
    fn on_this_origin(url: &str, prefix: &str) -> bool {
        window().location().origin().is_ok_and(|origin| url.starts_with(&format!("{origin}{prefix}")))
    }

    /// A plain left click on a same-origin `a[data-swap]`.
    fn on_click(event: MouseEvent) {
        if event.default_prevented()
            || event.button() != 0
            || event.ctrl_key()
            || event.meta_key()
            || event.shift_key()
            || event.alt_key()
        {
            return;
        }
        let link = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("a[data-swap]").ok().flatten())
            .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok());
        let Some(link) = link else { return };
        let href = link.href();
        if !on_this_origin(&href, "/") {
            return;
        }
        event.prevent_default();
        spawn_local(swap(href, History::Push));
    }

    /// A POST form of the page (not an island's) to a server function.
    fn on_submit(event: SubmitEvent) {
        if event.default_prevented() {
            return;
        }
        let Some(form) = event.target().and_then(|t| t.dyn_into::<HtmlFormElement>().ok()) else { return };
        let action = form.action();
        let in_island = form.closest("leptos-island").ok().flatten().is_some();
        if in_island || !on_this_origin(&action, "/api/") || !form.method().eq_ignore_ascii_case("post") {
            return;
        }
        // A second click while the first post is on its way would post twice (two notes).
        if form.has_attribute("aria-busy") {
            event.prevent_default();
            return;
        }
        let Some(body) = form_body(&form, event.submitter()) else { return };
        event.prevent_default();
        spawn_local(post(form, action, body));
    }

    /// The form's fields, and the clicked button's name and value, URL-encoded.
    fn form_body(form: &HtmlFormElement, submitter: Option<HtmlElement>) -> Option<String> {
        let data = FormData::new_with_form(form).ok()?;
        if let Some(button) = submitter
            && let Some(name) = button.get_attribute("name")
        {
            data.append_with_str(&name, &button.get_attribute("value").unwrap_or_default()).ok()?;
        }
        let params = UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
        Some(String::from(params.to_string()))
    }

    /// Sends the form; on success swaps the page in again, else shows why.
    async fn post(form: HtmlFormElement, action: String, body: String) {
        let _ = form.set_attribute("aria-busy", "true");
        let sent = Request::post(&action)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        let outcome = match sent {
            Ok(request) => request.send().await,
            Err(error) => Err(error),
        };
        let _ = form.remove_attribute("aria-busy");
        match outcome {
            Ok(response) if response.ok() => {
                clear_error(&form);
                let focus = FocusKey::of_active(&form, &action);
                // A server function that redirects (`leptos_axum::redirect`,
                // e.g. to the next item to review) takes the page there.
                match response.headers().get("location").and_then(|to| absolute_here(&to)) {
                    Some(to) if to != current_url() => swap(to, History::Push).await,
                    _ => swap(current_url(), History::Keep).await,
                }
                focus.restore();
                announce(&form.get_attribute("data-done").unwrap_or_else(|| "Saved".to_owned()));
            }
            Ok(response) => {
                let text = response.text().await.unwrap_or_default();
                show_error(&form, &error_message(&text, response.status()));
            }
            Err(_) => show_error(&form, "Could not reach the server; try again."),
        }
    }

    /// Where keyboard focus was when a form was posted: the form (by its
    /// action, class and hidden fields) and the control's name, value and text.
    struct FocusKey {
        form: String,
        control: Option<(String, String, String)>,
    }

    impl FocusKey {
        fn of_active(form: &HtmlFormElement, action: &str) -> FocusKey {
            // A form that brings new content to work on (the review page's)
            // sends focus to `<main>`, where the page's keys apply.
            if form.has_attribute("data-focus-main") {
                return FocusKey { form: String::new(), control: None };
            }
            let path = action.find("/api/").map_or(action, |at| &action[at..]);
            let mut selector = format!("form[action=\"{path}\"]");
            if let Some(class) = form.get_attribute("class").filter(|c| !c.contains(['"', '\\'])) {
                selector.push_str(&format!("[class=\"{class}\"]"));
            }
            if let Ok(hidden) = form.query_selector_all("input[type=hidden][name]") {
                for input in (0..hidden.length()).filter_map(|i| hidden.item(i)?.dyn_into::<Element>().ok()) {
                    let (name, value) = (input.get_attribute("name"), input.get_attribute("value"));
                    if let (Some(name), Some(value)) = (name, value)
                        && !value.contains(['"', '\\'])
                    {
                        selector.push_str(&format!(":has(input[name=\"{name}\"][value=\"{value}\"])"));
                    }
                }
            }
            let control = document().active_element().filter(|e| form.contains(Some(e.as_ref()))).map(|e| {
                let attr = |name: &str| e.get_attribute(name).unwrap_or_default();
                (attr("name"), attr("value"), e.text_content().unwrap_or_default())
            });
            FocusKey { form: selector, control }
        }

        /// Focuses the same control in the new page, else its form's first
        /// button, else `<main>`.
        fn restore(self) {
            let form = match self.form.is_empty() {
                true => None,
                false => document().query_selector(&format!("main {}", self.form)).ok().flatten(),
            };
            let target = form.as_ref().and_then(|form| {
                let controls = form.query_selector_all("button, input:not([type=hidden]), select, textarea").ok()?;
                let controls: Vec<Element> =
                    (0..controls.length()).filter_map(|i| controls.item(i)?.dyn_into::<Element>().ok()).collect();
                let same = self.control.as_ref().and_then(|(name, value, text)| {
                    controls.iter().find(|c| {
                        c.get_attribute("name").unwrap_or_default() == *name
                            && c.get_attribute("value").unwrap_or_default() == *value
                            && c.text_content().unwrap_or_default() == *text
                    })
                });
                same.or_else(|| controls.iter().find(|c| c.tag_name() == "BUTTON")).cloned()
            });
            let target = target.or_else(|| document().query_selector("main").ok().flatten());
            if let Some(target) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
                let _ = target.focus();
            }
        }
    }

    /// Says `message` through the page's live region (`#live`, outside `<main>`).
    fn announce(message: &str) {
        if let Ok(Some(live)) = document().query_selector("#live") {
            // Cleared first, so that the same message twice is announced twice.
            live.set_text_content(None);
            live.set_text_content(Some(message));
        }
    }

    /// A server function's error body (`ServerError|message`) as a message.
    fn error_message(body: &str, status: u16) -> String {
        let message = body.split_once('|').map_or(body, |(_, message)| message).trim();
        if message.is_empty() { format!("Error {status}") } else { message.to_owned() }
    }

    /// The `<p role="alert">` right after a form, if it has one.
    fn error_of(form: &HtmlFormElement) -> Option<Element> {
        form.next_element_sibling().filter(|e| e.has_attribute("data-swap-error"))
    }

    fn clear_error(form: &HtmlFormElement) {
        if let Some(old) = error_of(form) {
            old.remove();
        }
    }

    fn show_error(form: &HtmlFormElement, message: &str) {
        let paragraph = match error_of(form) {
            Some(existing) => existing,
            None => {
                let Ok(paragraph) = document().create_element("p") else { return };
                let _ = paragraph.set_attribute("class", "error");
                let _ = paragraph.set_attribute("role", "alert");
                let _ = paragraph.set_attribute("data-swap-error", "");
                let _ = form.insert_adjacent_element("afterend", &paragraph);
                paragraph
            }
        };
        // Text, never HTML: the message may quote user input.
        paragraph.set_text_content(Some(message));
    }

    /// Fetches `url` and swaps its `<main>` and title in. Anything unexpected
    /// (no `<main>`, a network error) falls back to a normal page load.
    async fn swap(url: String, history: History) {
        let generation = GENERATION.with(|g| {
            g.set(g.get() + 1);
            g.get()
        });
        let html = match Request::get(&url).header("Accept", "text/html").send().await {
            Ok(response) => response.text().await.ok(),
            Err(_) => None,
        };
        if GENERATION.with(Cell::get) != generation {
            return;
        }
        let swapped = html.and_then(|html| replace_main(&html));
        if swapped.is_none() {
            let _ = window().location().assign(&url);
            return;
        }
        SHOWN.with(|shown| *shown.borrow_mut() = without_fragment(&url));
        if history == History::Push
            && let Ok(history) = window().history()
        {
            let _ = history.push_state_with_url(&JsValue::NULL, "", Some(&url));
        }
        if let Ok(event) = leptos::web_sys::Event::new(SWAPPED_EVENT) {
            let _ = window().dispatch_event(&event);
        }
    }

    /// Replaces the page's `<main>` with the one in `html`, keeping unchanged
    /// islands and hydrating new ones.
    fn replace_main(html: &str) -> Option<()> {
        let parsed = DomParser::new().ok()?.parse_from_string(html, SupportedType::TextHtml).ok()?;
        let new_main = parsed.query_selector("main").ok()??;
        let old_main = document().query_selector("main").ok()??;
        let fresh = keep_islands(&old_main, &new_main);
        let new_main = document().adopt_node(&new_main).ok()?;
        old_main.replace_with_with_node_1(&new_main).ok()?;
        document().set_title(&parsed.title());
        hydrate(fresh);
        Some(())
    }

    fn islands(root: &Element) -> Vec<Element> {
        let Ok(list) = root.query_selector_all("leptos-island") else { return Vec::new() };
        (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).collect()
    }

    /// What makes two islands the same: component and props.
    fn identity(island: &Element) -> (Option<String>, Option<String>) {
        (island.get_attribute("data-component"), island.get_attribute("data-props"))
    }

    /// Moves each old island into the new `<main>` in place of an identical new
    /// one; returns the new islands that had no twin.
    fn keep_islands(old_main: &Element, new_main: &Element) -> Vec<Element> {
        let mut old = islands(old_main);
        let mut fresh = Vec::new();
        for island in islands(new_main) {
            match old.iter().position(|o| identity(o) == identity(&island)) {
                Some(at) => {
                    let _ = island.replace_with_with_node_1(&old.remove(at));
                }
                None => fresh.push(island),
            }
        }
        fresh
    }

    /// Hydrates islands through the function Leptos's island script defines.
    fn hydrate(islands: Vec<Element>) {
        let Ok(function) = js_sys::Reflect::get(&window(), &JsValue::from_str("__hydrateIsland")) else { return };
        let Ok(function) = function.dyn_into::<js_sys::Function>() else { return };
        for island in islands {
            let component = JsValue::from(island.get_attribute("data-component"));
            let _ = function.call2(&JsValue::NULL, &island, &component);
        }
    }
}
