//! Keyboard shortcuts: j/k move through rows (`[data-nav]`), Enter opens the
//! row's link, 1/2 give 👍/👎, e focuses the explanation, f opens the flag
//! form, ? shows the list. On a review page (`[data-review]`): 1–9 pick the
//! label marked `data-review-key`, Enter submits the review, s skips, u goes
//! back to the previous item.
//! An island: only the hydrated page listens (and marks `<body
//! data-hydrated>`); the HTML works without it. The keys act on the page's
//! HTML (rows, buttons, links), so a page swap changes nothing for them.

use leptos::prelude::*;

/// The help overlay, and (in the browser) the window key listener.
#[island]
pub fn Shortcuts() -> impl IntoView {
    let (help, set_help) = signal(false);
    #[cfg(feature = "hydrate")]
    {
        let selected = StoredValue::new(None::<usize>);
        let keys = window_event_listener(leptos::ev::keydown, move |event| {
            keys::handle(&event, selected, set_help);
        });
        // A page swap brings new rows: mark the selected one again.
        let swapped = window_event_listener_untyped(super::page_swap::SWAPPED_EVENT, move |_| {
            if let Some(row) = selected.get_value().and_then(keys::row) {
                let _ = row.class_list().add_1("kbd-selected");
            }
        });
        on_cleanup(move || {
            keys.remove();
            swapped.remove();
        });
        // Tells people and browser tests that the page is interactive now.
        Effect::new(move |_| {
            if let Some(body) = document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        });
    }
    view! {
        <Show when=move || help.get()>
            <div class="shortcuts-backdrop" on:click=move |_| set_help.set(false)>
                <div class="shortcuts" role="dialog" aria-label="Keyboard shortcuts">
                    <h2>"Keyboard shortcuts"</h2>
                    <dl>
                        <dt><kbd>"j"</kbd> " / " <kbd>"k"</kbd></dt><dd>"Next / previous row"</dd>
                        <dt><kbd>"Enter"</kbd></dt><dd>"Open the row"</dd>
                        <dt><kbd>"1"</kbd> " / " <kbd>"2"</kbd></dt><dd>"👍 / 👎 the row (or this span)"</dd>
                        <dt><kbd>"e"</kbd></dt><dd>"Write an explanation"</dd>
                        <dt><kbd>"f"</kbd></dt><dd>"Flag the row (or this span) into a collection"</dd>
                        <dt><kbd>"?"</kbd></dt><dd>"Show or hide this list"</dd>
                    </dl>
                    <h3>"Reviewing a queue"</h3>
                    <dl>
                        <dt><kbd>"1"</kbd> "–" <kbd>"9"</kbd></dt><dd>"Pick a label"</dd>
                        <dt><kbd>"Enter"</kbd></dt><dd>"Submit and load the next item"</dd>
                        <dt><kbd>"s"</kbd></dt><dd>"Skip this item"</dd>
                        <dt><kbd>"u"</kbd></dt><dd>"Back to the previous item"</dd>
                    </dl>
                </div>
            </div>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
mod keys {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, HtmlElement, KeyboardEvent};

    fn document() -> leptos::web_sys::Document {
        leptos::prelude::document()
    }

    pub fn row(index: usize) -> Option<Element> {
        document().query_selector(&format!("[data-nav=\"{index}\"]")).ok().flatten()
    }

    fn click(element: Option<Element>) -> bool {
        match element.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            Some(element) => {
                element.click();
                true
            }
            None => false,
        }
    }

    /// Moves the selection to `index` (when that row exists).
    fn select(selected: StoredValue<Option<usize>>, index: usize) {
        let Some(next) = row(index) else { return };
        if let Some(previous) = selected.get_value().and_then(row) {
            let _ = previous.class_list().remove_1("kbd-selected");
        }
        let _ = next.class_list().add_1("kbd-selected");
        next.scroll_into_view_with_bool(false);
        selected.set_value(Some(index));
    }

    /// Clicks `[data-thumb=which]` in the selected row, else the page's first.
    fn thumb(selected: StoredValue<Option<usize>>, which: &str) -> bool {
        let selector = format!("[data-thumb=\"{which}\"]");
        let in_row = selected.get_value().and_then(row).and_then(|r| r.query_selector(&selector).ok().flatten());
        click(in_row.or_else(|| document().query_selector(&selector).ok().flatten()))
    }

    /// Opens the selected row's flag menu (else the page's first flag
    /// form) and focuses its collection field.
    fn flag(selected: StoredValue<Option<usize>>) -> bool {
        let in_row = selected.get_value().and_then(row).and_then(|r| r.query_selector("[data-flag]").ok().flatten());
        let Some(control) = in_row.or_else(|| document().query_selector("[data-flag]").ok().flatten()) else {
            return false;
        };
        if control.tag_name() == "DETAILS" {
            let _ = control.set_attribute("open", "");
        }
        if let Some(field) = control.query_selector("input[name=collection]").ok().flatten()
            && let Ok(field) = field.dyn_into::<HtmlElement>()
        {
            let _ = field.focus();
        }
        true
    }

    /// The review page's keys; `false` for any other key (the general ones apply).
    fn review(key: &str, target: Option<&Element>) -> bool {
        let first = |selector: &str| document().query_selector(selector).ok().flatten();
        match key {
            "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" => {
                click(first(&format!("[data-review-key=\"{key}\"]")))
            }
            // A focused button or link answers Enter itself.
            "Enter" if target.is_some_and(|t| matches!(t.tag_name().as_str(), "BUTTON" | "A" | "SUMMARY")) => false,
            "Enter" => click(first("[data-review-submit]")),
            "s" => click(first("[data-review-skip]")),
            "u" => click(first("[data-review-back]")),
            _ => false,
        }
    }

    pub fn handle(event: &KeyboardEvent, selected: StoredValue<Option<usize>>, set_help: WriteSignal<bool>) {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || event.default_prevented() {
            return;
        }
        let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
        // Radio buttons and checkboxes take no text: the keys still work on them.
        let typing = target
            .as_ref()
            .map(|t| {
                let choice = matches!(t.get_attribute("type").as_deref(), Some("radio" | "checkbox"));
                matches!(t.tag_name().as_str(), "TEXTAREA" | "SELECT")
                    || (t.tag_name() == "INPUT" && !choice)
                    || t.has_attribute("contenteditable")
            })
            .unwrap_or(false);
        if typing {
            if event.key() == "Escape"
                && let Some(element) = event.target().and_then(|t| t.dyn_into::<HtmlElement>().ok())
            {
                let _ = element.blur();
            }
            return;
        }
        if document().query_selector("[data-review]").ok().flatten().is_some() && review(&event.key(), target.as_ref())
        {
            event.prevent_default();
            return;
        }
        let handled = match event.key().as_str() {
            "j" => {
                select(selected, selected.get_value().map_or(0, |i| i + 1));
                true
            }
            "k" => {
                select(selected, selected.get_value().map_or(0, |i| i.saturating_sub(1)));
                true
            }
            "Enter" => match selected.get_value().and_then(row) {
                Some(row) => click(row.query_selector("[data-open]").ok().flatten()),
                None => false,
            },
            "1" => thumb(selected, "up"),
            "2" => thumb(selected, "down"),
            "e" => match document().get_element_by_id("annotation-explanation") {
                Some(field) => {
                    if let Ok(field) = field.dyn_into::<HtmlElement>() {
                        let _ = field.focus();
                    }
                    true
                }
                None => false,
            },
            "f" => flag(selected),
            "?" => {
                set_help.update(|shown| *shown = !*shown);
                true
            }
            "Escape" => {
                set_help.set(false);
                true
            }
            _ => false,
        };
        if handled {
            event.prevent_default();
        }
    }
}
