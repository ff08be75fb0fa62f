//! The tabs over a project's views: its traces and its sessions.

use leptos::prelude::*;

use crate::model::percent_encode;

/// Which of a project's views a page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectTab {
    /// `/projects/{p}`: the trace list.
    Traces,
    /// `/projects/{p}/sessions`: the session list.
    Sessions,
}

/// Links to the project's traces and sessions, the current one marked with
/// `aria-current="page"` (plain links: they work without JavaScript, and a
/// screen reader hears which view it is on).
#[component]
pub fn ProjectTabs(#[prop(into)] project: String, current: ProjectTab) -> impl IntoView {
    let base = format!("/projects/{}", percent_encode(&project));
    let tabs =
        [(ProjectTab::Traces, "Traces", base.clone()), (ProjectTab::Sessions, "Sessions", format!("{base}/sessions"))];
    view! {
        <nav class="tabs" aria-label="Project views">
            {tabs
                .into_iter()
                .map(|(tab, label, href)| {
                    let here = (tab == current).then_some("page");
                    view! { <a class="tab" href=href aria-current=here>{label}</a> }
                })
                .collect_view()}
        </nav>
    }
}
