//! The annotations of a span: each with who, what and when, editable and
//! deletable in place by its author or an admin (plain forms, so without
//! JavaScript too). With accounts on, "Mine / Everyone" narrows the list to
//! the viewer's own (`?annotations=mine`).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};

use super::formatting::format_time;
use crate::api::{DeleteAnnotation, SaveAnnotation};
use crate::model::{Annotation, NOTE_NAME, format_score};

/// Every annotation but notes, newest first, then the notes.
#[component]
pub fn AnnotationsPanel(#[prop(into)] project: String, annotations: Vec<Annotation>) -> impl IntoView {
    let save = ServerAction::<SaveAnnotation>::new();
    let delete = ServerAction::<DeleteAnnotation>::new();
    let viewer = crate::api::viewer();
    let mine_only = viewer.is_some() && use_query_map().read_untracked().get("annotations").as_deref() == Some("mine");
    let annotations: Vec<Annotation> = match (&viewer, mine_only) {
        (Some(viewer), true) => annotations.into_iter().filter(|a| a.made_by.user_id == viewer.user_id).collect(),
        _ => annotations,
    };
    let (notes, annotations): (Vec<_>, Vec<_>) = annotations.into_iter().partition(|a| a.name == NOTE_NAME);
    let list = if annotations.is_empty() {
        view! { <p class="muted empty-annotations">"No annotations yet. Use the form below or press 1 / 2."</p> }
            .into_any()
    } else {
        let project = project.clone();
        view! {
            <ul class="annotations">
                {annotations
                    .into_iter()
                    .map(|annotation| view! { <AnnotationItem project=project.clone() annotation save delete /> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        {viewer.is_some().then(|| view! { <MineOrEveryone mine_only /> })}
        {list}
        {(!notes.is_empty()).then(|| view! {
            <h4>"Notes"</h4>
            <ul class="notes">
                {notes
                    .into_iter()
                    .map(|note| view! {
                        <li class="note">
                            <p>{note.result.explanation.clone().unwrap_or_default()}</p>
                            <span class="muted">"by " {author_of(&note)} " · " {format_time(note.updated_at)}</span>
                            {crate::api::may_change(note.made_by).then(|| view! {
                                <DeleteButton project=project.clone() id=note.id.to_string() delete />
                            })}
                        </li>
                    })
                    .collect_view()}
            </ul>
        })}
    }
}

/// One annotation with its edit and delete forms.
#[component]
fn AnnotationItem(
    project: String,
    annotation: Annotation,
    save: ServerAction<SaveAnnotation>,
    delete: ServerAction<DeleteAnnotation>,
) -> impl IntoView {
    let result = annotation.result.clone();
    let author = author_of(&annotation);
    let changeable = crate::api::may_change(annotation.made_by);
    let span_id = match &annotation.target {
        crate::model::AnnotationTarget::Span(id) => id.clone(),
        _ => String::new(),
    };
    let (name, identifier) = (annotation.name.clone(), annotation.identifier.clone());
    view! {
        <li class="annotation" data-annotation=annotation.name.clone()>
            <div class="annotation-head">
                <strong class="annotation-name">{annotation.name.clone()}</strong>
                <span class="kind">{annotation.annotator_kind.as_str()}</span>
                {result.label.clone().map(|label| view! { <span class="chip annotation-label">{label}</span> })}
                {result.score.map(|score| view! { <span class="annotation-score">"score " {format_score(score)}</span> })}
            </div>
            {result.explanation.clone().map(|text| view! { <p class="annotation-explanation">{text}</p> })}
            <div class="annotation-meta muted">
                <span>"by " {author}</span>
                <span>{format_time(annotation.updated_at)}</span>
            </div>
            {changeable.then(|| view! {
            <div class="annotation-actions">
                <details class="edit">
                    <summary>"Edit"</summary>
                    <ActionForm action=save attr:class="stack-form">
                        <input type="hidden" name="span_id" value=span_id />
                        <input type="hidden" name="name" value=name />
                        <input type="hidden" name="identifier" value=identifier />
                        <label class="field">
                            <span>"Label"</span>
                            <input name="label" value=result.label.clone().unwrap_or_default() />
                        </label>
                        <label class="field">
                            <span>"Score"</span>
                            <input name="score" type="number" step="any"
                                value=result.score.map(format_score).unwrap_or_default() />
                        </label>
                        <label class="field">
                            <span>"Explanation"</span>
                            <textarea name="explanation" rows="2">{result.explanation.clone().unwrap_or_default()}</textarea>
                        </label>
                        <button type="submit" class="button primary">"Save changes"</button>
                    </ActionForm>
                </details>
                <DeleteButton project=project.clone() id=annotation.id.to_string() delete />
            </div>
            })}
        </li>
    }
}

/// Who made an annotation: the user's email or the key's name; else (work
/// from before accounts) where it came from.
pub(super) fn author_of(annotation: &Annotation) -> String {
    annotation.author.clone().unwrap_or_else(|| match annotation.source.as_str() {
        "APP" => "the UI".to_owned(),
        _ => "the API".to_owned(),
    })
}

/// Links that switch the list between the viewer's annotations and everyone's,
/// keeping the rest of the address (the trace page's selected span).
#[component]
fn MineOrEveryone(mine_only: bool) -> impl IntoView {
    let path = use_location().pathname.get_untracked();
    let query = use_query_map().read_untracked().clone();
    let href = |mine: bool| {
        let mut pairs: Vec<(String, String)> = query
            .clone()
            .into_iter()
            .filter(|(key, _)| key != "annotations")
            .map(|(k, v)| (k.into_owned(), v))
            .collect();
        if mine {
            pairs.push(("annotations".into(), "mine".into()));
        }
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", crate::model::percent_encode(k), crate::model::percent_encode(v)))
            .collect();
        match encoded.is_empty() {
            true => path.clone(),
            false => format!("{path}?{}", encoded.join("&")),
        }
    };
    let current = |on: bool| if on { Some("page") } else { None };
    view! {
        <nav class="annotation-scope" aria-label="Whose annotations">
            <a href=href(false) aria-current=current(!mine_only)>"Everyone"</a>
            " · "
            <a href=href(true) aria-current=current(mine_only)>"Mine"</a>
        </nav>
    }
}

/// A form with one "Delete" button.
#[component]
fn DeleteButton(project: String, id: String, delete: ServerAction<DeleteAnnotation>) -> impl IntoView {
    view! {
        <ActionForm action=delete attr:class="inline-form">
            <input type="hidden" name="project" value=project />
            <input type="hidden" name="id" value=id />
            <button type="submit" class="button danger small">"Delete"</button>
        </ActionForm>
    }
}
