//! The trace list's filter bar: a plain `GET` form, so the filters land in
//! the URL and work without JavaScript. On narrow screens the stylesheet
//! folds it behind a "Filters (n)" checkbox and its label (no JavaScript
//! either); on wide screens both are hidden and the form shows as it is.
//! A refused advanced condition unfolds it, so its message is in view.

use leptos::prelude::*;

use crate::model::{TraceListQuery, TraceSort};

/// OpenInference span kinds, for the kind filter.
const SPAN_KINDS: [&str; 11] = [
    "LLM",
    "CHAIN",
    "AGENT",
    "TOOL",
    "RETRIEVER",
    "EMBEDDING",
    "RERANKER",
    "GUARDRAIL",
    "EVALUATOR",
    "PROMPT",
    "UNKNOWN",
];

/// A `<select>` whose first option (empty value) means "any".
#[component]
fn Choice(
    name: &'static str,
    label: &'static str,
    any: &'static str,
    options: Vec<(&'static str, &'static str)>,
    selected: Option<String>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select name=name>
                <option value="">{any}</option>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let chosen = selected.as_deref() == Some(value);
                        view! { <option value=value selected=chosen>{text}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// A text-like `<input>` with its label.
#[component]
fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] placeholder: &'static str,
    value: Option<String>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input type=kind name=name placeholder=placeholder value=value.unwrap_or_default() step="any" />
        </label>
    }
}

/// The advanced filter: a condition in the span query's Python language,
/// copied to or from a notebook's `get_spans_dataframe(query=…)`. When it
/// was refused the input is marked invalid, described by the message (which
/// is announced as the page loads) and focused, ready to be corrected.
#[component]
fn ConditionField(value: Option<String>, error: Option<String>) -> impl IntoView {
    let invalid = error.is_some().then_some("true");
    let described = if error.is_some() { "condition-error condition-help" } else { "condition-help" };
    view! {
        <div class="field condition-field">
            <label for="condition">"Condition (any span)"</label>
            <input
                type="text"
                id="condition"
                name="condition"
                class="condition-input"
                spellcheck="false"
                autocomplete="off"
                placeholder="span_kind == 'LLM' and annotations['user feedback'].label == 'thumbs-down'"
                value=value.unwrap_or_default()
                aria-invalid=invalid
                aria-describedby=described
                autofocus=invalid.is_some()
            />
            {error.map(|error| view! { <p id="condition-error" class="error" role="alert">{error}</p> })}
            <p id="condition-help" class="hint">
                "Python, as in the notebook's span queries: traces where one span matches it all."
            </p>
        </div>
    }
}

/// Every filter of the trace list, filled in from `query`; `condition_error`
/// says why its advanced condition was refused.
#[component]
pub fn TraceFilters(
    query: TraceListQuery,
    #[prop(into)] clear_href: String,
    condition_error: Option<String>,
) -> impl IntoView {
    let sort = match query.sort {
        TraceSort::Time => None,
        TraceSort::Latency => Some("latency".to_owned()),
    };
    let dir = query.ascending.then(|| "asc".to_owned());
    let kinds = SPAN_KINDS.iter().map(|k| (*k, *k)).collect();
    let toggle = format!("Filters ({})", query.active_filters());
    view! {
        <input type="checkbox" id="filters-toggle" class="filters-toggle" aria-controls="trace-filters"
            checked=condition_error.is_some() />
        <label for="filters-toggle" class="button filters-button">{toggle}</label>
        <form id="trace-filters" method="get" class="filters" role="search" aria-label="Filter traces">
            <div class="filters-main">
                <input
                    class="search"
                    type="search"
                    name="q"
                    placeholder="Search input and output"
                    aria-label="Search input and output"
                    value=query.text.clone().unwrap_or_default()
                />
                <button type="submit" class="button primary">"Apply"</button>
                <a class="button" href=clear_href>"Clear"</a>
            </div>
            <div class="filters-grid">
                <Choice name="status" label="Status" any="Any status" selected=query.status.clone()
                    options=vec![("OK", "OK"), ("ERROR", "Error"), ("UNSET", "Unset")] />
                <Choice name="kind" label="Span kind" any="Any kind" selected=query.kind.clone() options=kinds />
                <Field name="from" label="From (UTC)" kind="datetime-local" value=query.from.clone() />
                <Field name="to" label="To (UTC)" kind="datetime-local" value=query.to.clone() />
                <Field name="ann" label="Annotation" placeholder="e.g. user feedback" value=query.annotation.clone() />
                <Field name="label" label="Label is" placeholder="e.g. thumbs-up" value=query.label.clone() />
                <Field name="min_score" label="Score ≥" kind="number" value=query.min_score.clone() />
                <Field name="max_score" label="Score ≤" kind="number" value=query.max_score.clone() />
                <label class="field check">
                    <input type="checkbox" name="unannotated" value="1" checked=query.unannotated />
                    <span>"Not yet annotated"</span>
                </label>
                <Choice name="sort" label="Sort by" any="Start time" selected=sort options=vec![("latency", "Latency")] />
                <Choice name="dir" label="Order" any="Descending" selected=dir options=vec![("asc", "Ascending")] />
                <ConditionField value=query.condition.clone() error=condition_error />
            </div>
        </form>
    }
}
