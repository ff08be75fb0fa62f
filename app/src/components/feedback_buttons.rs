//! The one-click 👍/👎 form: a `user feedback` annotation on one span.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::GiveFeedback;
use crate::model::{THUMBS_DOWN, THUMBS_UP};

/// Two submit buttons posting `label = thumbs-up | thumbs-down`; works
/// without JavaScript. `current` marks the button already given.
#[component]
pub fn FeedbackButtons(
    #[prop(into)] span_id: String,
    #[prop(default = None)] current: Option<String>,
) -> impl IntoView {
    let action = ServerAction::<GiveFeedback>::new();
    let buttons =
        [(THUMBS_UP, "up", "👍", "Good (1)", "Thumbs up"), (THUMBS_DOWN, "down", "👎", "Bad (2)", "Thumbs down")];
    view! {
        <ActionForm action attr:class="thumbs">
            <input type="hidden" name="span_id" value=span_id />
            {buttons
                .into_iter()
                .map(|(label, which, icon, title, name)| {
                    let pressed = if current.as_deref() == Some(label) { "true" } else { "false" };
                    view! {
                        <button type="submit" name="label" value=label class=format!("thumb thumb-{which}")
                            data-thumb=which title=title aria-label=name aria-pressed=pressed>
                            {icon}
                        </button>
                    }
                })
                .collect_view()}
        </ActionForm>
    }
}
