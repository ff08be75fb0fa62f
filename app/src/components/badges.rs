//! Small labels: span status, span kind and annotation chips.

use leptos::prelude::*;

use super::formatting::status_class;
use crate::model::AnnotationChip;

/// A span's status code as a coloured dot, named in text (for screen
/// readers) and in a title (on hover): never by colour alone.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    view! { <span class=status_class(&status) title=format!("Status: {status}")>{status.clone()}</span> }
}

/// A span's OpenInference kind.
#[component]
pub fn KindBadge(#[prop(into)] kind: String) -> impl IntoView {
    let class = format!("kind kind-{}", kind.to_lowercase());
    view! { <span class=class>{kind}</span> }
}

/// `name: label · score` for each annotation.
#[component]
pub fn AnnotationChips(chips: Vec<AnnotationChip>) -> impl IntoView {
    view! {
        <span class="chips">
            {chips
                .into_iter()
                .map(|chip| {
                    let verdict = chip.verdict();
                    let class = match chip.label.as_deref() {
                        Some(crate::model::THUMBS_UP) => "chip chip-up",
                        Some(crate::model::THUMBS_DOWN) => "chip chip-down",
                        _ => "chip",
                    };
                    let name = chip.name.clone();
                    view! {
                        <span class=class data-annotation=name>
                            <span class="chip-name">{chip.name}</span>
                            ": "
                            <span class="chip-verdict">{verdict}</span>
                        </span>
                    }
                })
                .collect_view()}
        </span>
    }
}
