//! The head of a project's views (its traces, its sessions): breadcrumbs,
//! the title and the tabs between the views, written once for all of them.

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

impl ProjectTab {
    /// Every view, in tab order.
    const ALL: [ProjectTab; 2] = [ProjectTab::Traces, ProjectTab::Sessions];

    /// The tab's label and the page's title.
    fn label(self) -> &'static str {
        match self {
            ProjectTab::Traces => "Traces",
            ProjectTab::Sessions => "Sessions",
        }
    }

    /// The view's path under `/projects/{p}`.
    fn path(self) -> &'static str {
        match self {
            ProjectTab::Traces => "",
            ProjectTab::Sessions => "/sessions",
        }
    }
}

/// Breadcrumbs, the view's title (beside `children`, e.g. a hint), and links
/// to the project's other views, the current one marked with
/// `aria-current="page"` (plain links: they work without JavaScript, and a
/// screen reader hears which view it is on).
#[component]
pub fn ProjectHead(
    #[prop(into)] project: String,
    current: ProjectTab,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let base = format!("/projects/{}", percent_encode(&project));
    view! {
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/">"Projects"</a>
            <span>"/"</span>
            <span>{project}</span>
        </nav>
        <div class="page-head">
            <h1>{current.label()}</h1>
            {children.map(|children| children())}
        </div>
        <nav class="tabs" aria-label="Project views">
            {ProjectTab::ALL
                .into_iter()
                .map(|tab| {
                    let here = (tab == current).then_some("page");
                    view! { <a class="tab" href=format!("{base}{}", tab.path()) aria-current=here>{tab.label()}</a> }
                })
                .collect_view()}
        </nav>
    }
}
