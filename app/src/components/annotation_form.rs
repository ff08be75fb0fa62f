//! The annotation form of a span: the project's annotation configs as quick
//! forms, a free form (name, label, score, explanation), 👍/👎 and a notes box.
//! Every form is an `ActionForm`: it posts and redirects back without
//! JavaScript, and the page swapper updates the page in place with it.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::{FeedbackButtons, FormError};
use crate::api::{AddNote, SaveAnnotation};
use crate::model::{AnnotationConfig, AnnotationConfigKind, format_score};

/// Hidden fields every annotation form carries.
#[component]
fn Target(span_id: String, name: String) -> impl IntoView {
    view! {
        <input type="hidden" name="span_id" value=span_id />
        <input type="hidden" name="name" value=name />
    }
}

/// One config as a quick form.
#[component]
fn ConfigForm(span_id: String, config: AnnotationConfig, save: ServerAction<SaveAnnotation>) -> impl IntoView {
    let name = config.data.name.clone();
    let body = match config.data.kind {
        AnnotationConfigKind::Categorical { values, .. } => view! {
            <div class="choices">
                {values
                    .into_iter()
                    .map(|value| {
                        let (span_id, name) = (span_id.clone(), name.clone());
                        view! {
                        <ActionForm action=save attr:class="inline-form">
                            <Target span_id name />
                            <input type="hidden" name="label" value=value.label.clone() />
                            <input type="hidden" name="score" value=value.score.map(format_score).unwrap_or_default() />
                            <button type="submit" class="button choice">{value.label.clone()}</button>
                        </ActionForm>
                        }
                    })
                    .collect_view()}
            </div>
        }
        .into_any(),
        AnnotationConfigKind::Continuous { lower_bound, upper_bound, .. } => {
            let range = match (lower_bound, upper_bound) {
                (Some(low), Some(high)) => format!("{} – {}", format_score(low), format_score(high)),
                (Some(low), None) => format!("≥ {}", format_score(low)),
                (None, Some(high)) => format!("≤ {}", format_score(high)),
                (None, None) => "any number".to_owned(),
            };
            view! {
                <ActionForm action=save attr:class="inline-form">
                    <Target span_id=span_id.clone() name=name.clone() />
                    <input type="number" name="score" step="any" required=true aria-label=format!("{name} score")
                        min=lower_bound.map(format_score) max=upper_bound.map(format_score) placeholder=range />
                    <button type="submit" class="button">"Save"</button>
                </ActionForm>
            }
            .into_any()
        }
        AnnotationConfigKind::Freeform { .. } => view! {
            <ActionForm action=save attr:class="inline-form">
                <Target span_id=span_id.clone() name=name.clone() />
                <input type="text" name="explanation" required=true aria-label=format!("{name} text") />
                <button type="submit" class="button">"Save"</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <div class="config" data-config=config.data.name.clone()>
            <span class="config-name">{config.data.name.clone()}</span>
            {body}
        </div>
    }
}

/// The whole annotation area below a span's annotations.
#[component]
pub fn AnnotationForm(
    #[prop(into)] span_id: String,
    configs: Vec<AnnotationConfig>,
    #[prop(default = None)] current_feedback: Option<String>,
) -> impl IntoView {
    let save = ServerAction::<SaveAnnotation>::new();
    let note = ServerAction::<AddNote>::new();
    let names: Vec<String> = configs.iter().map(|c| c.data.name.clone()).collect();
    let (feedback_span, note_span, form_span) = (span_id.clone(), span_id.clone(), span_id.clone());
    view! {
        <div class="annotate">
            <div class="quick">
                <span class="muted">"Quick feedback"</span>
                <FeedbackButtons span_id=feedback_span current=current_feedback />
            </div>
            {(!configs.is_empty()).then(|| view! {
                <div class="configs">
                    {configs
                        .into_iter()
                        .map(|config| view! { <ConfigForm span_id=span_id.clone() config save /> })
                        .collect_view()}
                </div>
            })}
            <ActionForm action=save attr:class="stack-form annotation-form" attr:aria-label="New annotation" attr:data-done="Annotation saved">
                <input type="hidden" name="span_id" value=form_span />
                <div class="form-row">
                    <label class="field">
                        <span>"Name"</span>
                        <input name="name" required=true list="annotation-names" placeholder="e.g. correctness" />
                        <datalist id="annotation-names">
                            {names.into_iter().map(|name| view! { <option value=name></option> }).collect_view()}
                        </datalist>
                    </label>
                    <label class="field">
                        <span>"Label"</span>
                        <input name="label" placeholder="e.g. correct" />
                    </label>
                    <label class="field">
                        <span>"Score"</span>
                        <input name="score" type="number" step="any" placeholder="e.g. 1" />
                    </label>
                </div>
                <label class="field">
                    <span>"Explanation " <kbd>"e"</kbd></span>
                    <textarea id="annotation-explanation" name="explanation" rows="2"
                        placeholder="Why? (optional)"></textarea>
                </label>
                <button type="submit" class="button primary">"Save annotation"</button>
            </ActionForm>
            <FormError action=save />
            <ActionForm action=note attr:class="stack-form note-form" attr:data-done="Note added">
                <input type="hidden" name="span_id" value=note_span />
                <label class="field">
                    <span>"Note"</span>
                    <textarea name="note" rows="2" required=true placeholder="Anything worth remembering"></textarea>
                </label>
                <button type="submit" class="button">"Add note"</button>
            </ActionForm>
            <FormError action=note />
        </div>
    }
}
