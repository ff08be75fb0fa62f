//! `/collections/{n}`: a collection's examples (input, output, annotations,
//! note, link to the span), its annotation summary, downloads and public
//! links. The page of examples is in the URL (`?cursor=`). Creating a link is
//! an island: the link's URL is shown once, in place.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateCollectionLink, EditExpectedOutput, RevokeLink, UnflagSpan, load_collection};
use crate::components::{ExampleBody, KindBadge, QueueAdd, QueueAddTarget, StatusBadge, error_text, format_time};
use crate::model::{
    AnnotationChip, AnnotationSummary, CollectionExample, CollectionView, DEFAULT_LINK_TTL_SECONDS, NOTE_NAME,
    PublicLink, RemovedItem, SharedLinkUrl, format_score, percent_encode,
};

/// The collection page; an unknown collection is a 404.
#[component]
pub fn CollectionPage() -> impl IntoView {
    super::by_rowid::by_rowid("collection", load_collection, |view| view! { <Collection view /> })
}

/// Everything about one collection.
#[component]
fn Collection(view: CollectionView) -> impl IntoView {
    let CollectionView { collection, examples, next_cursor, summary, links, removed } = view;
    let id = collection.id;
    let export = |format: &str| format!("/v1/collections/{}/export?format={format}", percent_encode(&id.to_string()));
    let here = crate::model::collection_path(id);
    let next = next_cursor.map(|cursor| format!("{here}?cursor={cursor}"));
    let empty = examples.is_empty();
    view! {
        <Title text=format!("{} · Collections · Plume", collection.name) />
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/collections">"Collections"</a>
            <span>"/"</span>
            <span>{collection.name.clone()}</span>
        </nav>
        <div class="page-head">
            <h1>{collection.name.clone()}</h1>
            <span class="muted">
                {format!("{} examples · last change {}", collection.item_count, format_time(collection.updated_at))}
            </span>
            {(!empty && crate::api::may(crate::model::accounts::Permission::Annotate)).then(|| view! {
                <a class="button" href=format!("{here}/annotate")>"Annotate all…"</a>
            })}
            <details class="download-menu">
                <summary class="button">"Download"</summary>
                <div class="menu">
                    <a href=export("jsonl") download="">"JSONL (everything)"</a>
                    <a href=export("csv") download="">"CSV (spreadsheets)"</a>
                    <a href=export("chat") download="">"Chat fine-tuning (👍 outputs)"</a>
                </div>
            </details>
            {(collection.item_count > 0 && crate::api::may(crate::model::accounts::Permission::Manage)).then(|| view! {
                <QueueAdd target=QueueAddTarget::Collection(id.to_string()) label="Add all to a review queue" />
            })}
        </div>
        {collection.description.clone().map(|d| view! { <p class="collection-description">{d}</p> })}
        <div class="collection-side">
            <SummaryTable summary />
            <LinkPanel collection_id=id.to_string() links />
        </div>
        <h2>"Examples"</h2>
        {empty.then(|| view! { <p class="muted">"No examples yet: flag spans from a trace list or a span page."</p> })}
        <ol class="collection-examples">
            {examples
                .into_iter()
                .map(|example| view! { <Example collection_id=id.to_string() example /> })
                .collect_view()}
        </ol>
        <nav class="pager" aria-label="Pages">
            {next.is_some().then(|| view! { <a class="button" href=here.clone()>"« First page"</a> })}
            {next.map(|href| view! { <a class="button" rel="next" href=href>"Next page »"</a> })}
        </nav>
        <Removed removed />
    }
    .into_any()
}

/// The items whose spans were deleted (a trace delete or retention) after
/// they were flagged: what the collection still knows of them. Nothing when none.
#[component]
fn Removed(removed: (Vec<RemovedItem>, bool)) -> impl IntoView {
    let (removed, more) = removed;
    (!removed.is_empty()).then(|| {
        view! {
            <section class="panel" data-section="removed" aria-labelledby="removed-heading">
                <h2 id="removed-heading">"Removed"</h2>
                <p class="muted">"Deleted since they were flagged (by a trace delete or the project's retention); exports list them as removed."</p>
                <ul class="collection-removed">
                    {removed
                        .into_iter()
                        .map(|item| view! {
                            <li data-span=item.span_id.clone()>
                                <span class="name">{item.name}</span>
                                " " <code>{item.span_id.clone()}</code>
                                <span class="muted">" · removed " {format_time(item.removed_at)}</span>
                                {item.note.map(|note| view! { <p class="note">{note}</p> })}
                            </li>
                        })
                        .collect_view()}
                </ul>
                {more.then(|| view! { <p class="muted">"More removed items are listed in the export."</p> })}
            </section>
        }
    })
}

/// Per annotation name: count, mean score and the most used labels.
#[component]
fn SummaryTable(summary: Vec<AnnotationSummary>) -> impl IntoView {
    if summary.is_empty() {
        return view! {
            <section class="panel" data-section="summary">
                <h3>"Annotations"</h3>
                <p class="muted">"No annotations on these examples yet."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="panel" data-section="summary">
            <h3>"Annotations"</h3>
            <table class="table summary">
                <thead><tr><th>"Name"</th><th class="num">"Count"</th><th class="num">"Mean score"</th><th>"Top labels"</th></tr></thead>
                <tbody>
                    {summary
                        .into_iter()
                        .map(|s| {
                            let labels: Vec<String> =
                                s.top_labels.iter().map(|(label, count)| format!("{label} ({count})")).collect();
                            view! {
                                <tr data-annotation=s.name.clone()>
                                    <td>{s.name.clone()}</td>
                                    <td class="num">{s.count}</td>
                                    <td class="num">{s.mean_score.map(format_score).unwrap_or_else(|| "—".into())}</td>
                                    <td>{labels.join(", ")}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

/// Create (expiry, redaction), list and revoke public links.
#[component]
fn LinkPanel(collection_id: String, links: Vec<PublicLink>) -> impl IntoView {
    let revoke = ServerAction::<RevokeLink>::new();
    view! {
        <section class="panel" data-section="public-links">
            <h3>"Public links"</h3>
            {crate::api::may(crate::model::accounts::Permission::Manage).then(|| view! { <CreateLink collection_id created=crate::api::shown_once::take(crate::api::shown_once::NEW_PUBLIC_LINK) /> })}
            {(!links.is_empty()).then(|| view! {
                <table class="table links">
                    <thead><tr><th>"Created"</th><th>"Expires"</th><th>"Hidden"</th><th>"Status"</th><th></th></tr></thead>
                    <tbody>
                        {links.into_iter().map(|link| view! { <LinkRow link revoke /> }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
    .into_any()
}

/// The form that creates a public link, and the new link's URL (shown only
/// once: the server keeps a hash). With JavaScript on it then refreshes the
/// page's list of links; without, the page after the redirect passes the
/// link it was handed in `created`.
#[island]
fn CreateLink(collection_id: String, created: Option<SharedLinkUrl>) -> impl IntoView {
    let create = ServerAction::<CreateCollectionLink>::new();
    let default_days = (DEFAULT_LINK_TTL_SECONDS / 86_400).to_string();
    #[cfg(feature = "hydrate")]
    crate::components::refresh_on_success(move || matches!(create.value().get(), Some(Ok(_))));
    let created = move || {
        create.value().get().or_else(|| created.clone().map(Ok)).map(|result| match result {
            Ok(link) => view! {
                <div class="created-link" role="status">
                    <p>"Anyone with this link can read the collection until " {format_time(link.expires_at)} ". It is shown only now:"</p>
                    <input class="share-url" readonly=true value=link.url.clone() aria-label="Public link" />
                </div>
            }
            .into_any(),
            Err(error) => view! { <p class="error" role="alert">{error_text(&error)}</p> }.into_any(),
        })
    };
    view! {
        <ActionForm action=create attr:class="stack-form link-form">
            <input type="hidden" name="collection" value=collection_id />
            <div class="form-row">
                <label class="field">
                    <span>"Expires in (days)"</span>
                    <input name="expires_days" type="number" min="1" max="365" value=default_days />
                </label>
                <label class="field">
                    <span>"Hide attributes"</span>
                    <input name="redact" placeholder="e.g. *.email, user.*" />
                </label>
                <label class="field check">
                    <input type="checkbox" name="redact_explanations" value="on" />
                    <span>"Hide explanations"</span>
                </label>
                <label class="field check">
                    <input type="checkbox" name="redact_notes" value="on" />
                    <span>"Hide notes"</span>
                </label>
            </div>
            <button type="submit" class="button primary">"Create public link"</button>
        </ActionForm>
        {created}
    }
}

/// What a link hides, in a few words: its patterns, explanations, notes.
fn hidden_summary(link: &PublicLink) -> String {
    let flags = [(link.redact_explanations, "explanations"), (link.redact_notes, "notes")];
    let words = link.redact.iter().map(String::as_str).chain(flags.into_iter().filter(|(on, _)| *on).map(|(_, w)| w));
    words.collect::<Vec<_>>().join(", ")
}

/// One public link with its revoke button while it is active.
#[component]
fn LinkRow(link: PublicLink, revoke: ServerAction<RevokeLink>) -> impl IntoView {
    let active = link.status == "active";
    let id = link.id.to_string();
    view! {
        <tr data-link=link.id.to_string() data-status=link.status.clone()>
            <td>{format_time(link.created_at)}</td>
            <td>{format_time(link.expires_at)}</td>
            <td>{hidden_summary(&link)}</td>
            <td>{link.status.clone()}</td>
            <td>
                {(active && crate::api::may(crate::model::accounts::Permission::Manage)).then(|| view! {
                    <ActionForm action=revoke attr:class="inline-form">
                        <input type="hidden" name="id" value=id.clone() />
                        <button type="submit" class="button small danger">"Revoke"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
    .into_any()
}

/// One example: span (or "uploaded example"), note, input, output,
/// annotations, the edited expected output form, remove.
#[component]
fn Example(collection_id: String, example: CollectionExample) -> impl IntoView {
    let unflag = ServerAction::<UnflagSpan>::new();
    let CollectionExample { item, project } = example;
    let chips: Vec<AnnotationChip> = item
        .annotations
        .iter()
        .filter(|a| a.name != NOTE_NAME)
        .map(|a| AnnotationChip { name: a.name.clone(), label: a.result.label.clone(), score: a.result.score })
        .collect();
    let explanations: Vec<(String, String)> = item
        .annotations
        .iter()
        .filter_map(|a| a.result.explanation.clone().filter(|e| !e.is_empty()).map(|e| (a.name.clone(), e)))
        .collect();
    // What is removed: the span, or the item itself when it has none.
    let remove_key = item.span_id.clone().unwrap_or_else(|| item.id.to_string());
    let head = match (&item.span, &item.span_id) {
        (Some(span), Some(span_id)) => {
            let span_href = format!("/projects/{}/spans/{}", percent_encode(&project), span_id);
            view! {
                <a class="name" href=span_href>{span.name.clone()}</a>
                <KindBadge kind=span.span_kind.clone() />
                <StatusBadge status=span.status_code.clone() />
                <span class="muted">{project.clone()} " · flagged " {format_time(item.added_at)}</span>
            }
            .into_any()
        }
        _ => view! {
            <span class="name">"Uploaded example"</span>
            <span class="muted">"added " {format_time(item.added_at)}</span>
        }
        .into_any(),
    };
    // An uploaded example shows its own input and output.
    let attributes = match (&item.span, item.uploaded) {
        (Some(span), false) => span.attributes.clone(),
        _ => serde_json::Map::from_iter([
            ("input.value".to_owned(), item.input.clone()),
            ("output.value".to_owned(), item.output.clone()),
        ]),
    };
    let splits = (!item.splits.is_empty()).then(|| view! { <p class="muted">"Splits: " {item.splits.join(", ")}</p> });
    let (item_id, unflag_collection) = (item.id.to_string(), collection_id.clone());
    view! {
        <li class="panel collection-example" data-span=item.span_id.clone() data-item=item.id.to_string()>
            <header class="share-example-head">
                {head}
                {crate::api::may(crate::model::accounts::Permission::Annotate).then(|| view! {
                    <ActionForm action=unflag attr:class="inline-form push-right">
                        <input type="hidden" name="collection" value=unflag_collection />
                        <input type="hidden" name="span_id" value=remove_key />
                        <button type="submit" class="button small">"Remove"</button>
                    </ActionForm>
                })}
            </header>
            {splits}
            <ExampleBody note=item.note attributes chips explanations />
            <ExpectedOutput collection_id item_id expected=item.expected_output />
        </li>
    }
    .into_any()
}

/// The item's edited expected output (a corrected answer that the chat
/// export writes instead of the output), and a form to set or clear it.
#[component]
fn ExpectedOutput(collection_id: String, item_id: String, expected: Option<serde_json::Value>) -> impl IntoView {
    let edit = ServerAction::<EditExpectedOutput>::new();
    let text = expected.as_ref().map(crate::components::value_text).unwrap_or_default();
    let field_id = format!("expected-{}", item_id.replace(':', "-"));
    let may_edit = crate::api::may(crate::model::accounts::Permission::Annotate);
    view! {
        <section class="expected-output" data-section="expected-output">
            {match (may_edit, expected.is_some()) {
                (true, _) => view! {
                    <ActionForm action=edit attr:class="stack-form">
                        <input type="hidden" name="collection" value=collection_id />
                        <input type="hidden" name="item" value=item_id />
                        <label for=field_id.clone()>"Expected output (corrected answer; blank keeps the original)"</label>
                        <textarea id=field_id name="expected_output" rows="3">{text}</textarea>
                        <button type="submit" class="button small">"Save expected output"</button>
                    </ActionForm>
                }
                .into_any(),
                (false, true) => view! { <p>"Expected output: " {text}</p> }.into_any(),
                (false, false) => ().into_any(),
            }}
        </section>
    }
    .into_any()
}
