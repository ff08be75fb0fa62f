//! `/projects/{p}/agreement?name=`: whether the annotators (and the LLM
//! judge) agree on one annotation name: the figures, the human-versus-LLM
//! confusion matrix as a server-rendered SVG heat map with a table of the
//! same counts, and the targets they disagree on, each linking to its span
//! or trace. The name is chosen with a plain GET form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::load_agreement;
use crate::model::{
    Agreement, AgreementView, AnnotationTarget, Disagreement, HumanVsLlm, LabelConfusion, MAX_LISTED_DISAGREEMENTS,
    RatingValue, format_figure, format_score, percent_encode,
};
use crate::pages::NotFound;

/// The agreement page; an unknown project is a 404.
#[component]
pub fn AgreementPage() -> impl IntoView {
    let project = use_params_map().read_untracked().get("project").unwrap_or_default();
    let name = use_query_map().read_untracked().get("name").unwrap_or_default();
    let key = (project.clone(), name);
    let view = Resource::new(move || key.clone(), |(project, name)| load_agreement(project, name));
    view! {
        <Title text=format!("Agreement · {project} · Plume") />
        <Suspense fallback=|| view! { <p class="muted">"Loading agreement…"</p> }>
            {move || {
                let project = project.clone();
                Suspend::new(async move {
                    match view.await {
                        Ok(Some(view)) => view! { <AgreementBody project view /> }.into_any(),
                        Ok(None) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Header, name choice and, when there are annotations, the figures.
#[component]
fn AgreementBody(project: String, view: AgreementView) -> impl IntoView {
    let AgreementView { names, agreement } = view;
    let base = format!("/projects/{}", percent_encode(&project));
    let chosen = agreement.as_ref().map(|a| a.name.clone()).unwrap_or_default();
    view! {
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/">"Projects"</a>
            <span>"/"</span>
            <a href=base.clone()>{project.clone()}</a>
            <span>"/"</span>
            <span>"Agreement"</span>
        </nav>
        <div class="page-head">
            <h1>"Agreement"</h1>
        </div>
        {if names.is_empty() {
            view! { <p class="muted">"No annotations in this project yet."</p> }.into_any()
        } else {
            view! {
                <form method="get" action=format!("{base}/agreement") class="inline-form agreement-choice">
                    <label class="field">
                        <span>"Annotation name"</span>
                        <select name="name">
                            {names
                                .into_iter()
                                .map(|name| {
                                    let (selected, value) = (name == chosen, name.clone());
                                    view! { <option value=value selected=selected>{name}</option> }
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button">"Show"</button>
                </form>
            }
            .into_any()
        }}
        {agreement.map(|agreement| view! { <Figures base agreement /> })}
    }
}

/// The figures, the human-versus-LLM view and the disagreements of one name.
#[component]
fn Figures(base: String, agreement: Agreement) -> impl IntoView {
    let Agreement {
        name,
        targets,
        annotators,
        percent_agreement,
        cohen_kappa,
        krippendorff_alpha,
        human_vs_llm,
        disagreements,
        disagreement_count,
    } = agreement;
    let percent = percent_agreement.map_or_else(|| "—".to_owned(), |p| format!("{:.1} %", p * 100.0));
    let kappa_note = (annotators != 2).then_some(" (two annotators only)");
    view! {
        <section class="panel agreement-figures" aria-labelledby="figures-title">
            <h2 id="figures-title" class="panel-title">{format!("“{name}”")}</h2>
            {(targets == 0).then(|| view! {
                <p class="muted">"No target has been rated by two or more annotators yet, so there is nothing to compare."</p>
            })}
            <dl class="figure-list">
                <div><dt>"Targets rated by 2+ annotators"</dt><dd data-figure="targets">{targets}</dd></div>
                <div><dt>"Annotators"</dt><dd data-figure="annotators">{annotators}</dd></div>
                <div><dt>"Percent agreement"</dt><dd data-figure="percent">{percent}</dd></div>
                <div>
                    <dt>"Cohen's κ" {kappa_note}</dt>
                    <dd data-figure="kappa">{format_figure(cohen_kappa)}</dd>
                </div>
                <div>
                    <dt>"Krippendorff's α, labels (nominal)"</dt>
                    <dd data-figure="alpha-nominal">{format_figure(krippendorff_alpha.nominal)}</dd>
                </div>
                <div>
                    <dt>"Krippendorff's α, scores (interval)"</dt>
                    <dd data-figure="alpha-interval">{format_figure(krippendorff_alpha.interval)}</dd>
                </div>
            </dl>
            <p class="muted small">
                "κ and α are 1 for perfect agreement and 0 for agreement no better than chance; "
                "— means the figure is undefined here (too few annotators or no variation)."
            </p>
        </section>
        {human_vs_llm.map(|versus| view! { <HumanLlm versus /> })}
        <Disagreements base disagreements count=disagreement_count />
    }
}

/// Human against LLM: the heat map, its table and the score difference.
#[component]
fn HumanLlm(versus: HumanVsLlm) -> impl IntoView {
    let HumanVsLlm { targets, label_confusion, score_mean_abs_diff } = versus;
    view! {
        <section class="panel" aria-labelledby="versus-title">
            <h2 id="versus-title" class="panel-title">"Humans versus the LLM judge"</h2>
            <p>
                {format!("{targets} targets have both a human and an LLM rating. ")}
                {score_mean_abs_diff.map(|d| format!("Mean absolute score difference: {}.", format_score(d)))}
            </p>
            {if label_confusion.labels.is_empty() {
                view! { <p class="muted">"No pair of labels to compare."</p> }.into_any()
            } else {
                view! {
                    <div class="confusion">
                        <HeatMap confusion=label_confusion.clone() />
                        <ConfusionTable confusion=label_confusion />
                    </div>
                }
                .into_any()
            }}
        </section>
    }
}

/// Cell size (room for a five-digit count), the room for the axis labels,
/// and for the slanted column labels past the last column, in SVG units.
const CELL: usize = 60;
const MARGIN: usize = 96;
const OVERHANG: usize = 56;

/// The confusion matrix as a heat map, drawn on the server: darker cells
/// hold more pairs. One image to assistive technology, described by its
/// title; the table beside it has the same numbers.
#[component]
fn HeatMap(confusion: LabelConfusion) -> impl IntoView {
    let n = confusion.labels.len();
    let (width, height) = (MARGIN + n * CELL + OVERHANG, MARGIN + n * CELL);
    let max = confusion.counts.iter().flatten().copied().max().unwrap_or(0).max(1);
    let agreeing: u64 = (0..n).map(|i| confusion.counts[i][i]).sum();
    let total: u64 = confusion.counts.iter().flatten().sum();
    let summary = format!(
        "Heat map of human labels (rows) against LLM labels (columns): {agreeing} of {total} pairs agree. \
         The table that follows has the same counts."
    );
    let short = |label: &str| {
        let mut text: String = label.chars().take(12).collect();
        if label.chars().count() > 12 {
            text.push('…');
        }
        text
    };
    let cells = confusion.counts.iter().enumerate().flat_map(|(i, row)| {
        row.iter().enumerate().map(move |(j, count)| {
            // From a faint tint to a strong one, light enough for the text on it.
            let strength = 0.08 + 0.42 * (*count as f64 / max as f64);
            let (x, y) = (MARGIN + j * CELL, MARGIN + i * CELL);
            view! {
                <rect x=x y=y width=CELL height=CELL class="heat-cell" fill-opacity=format!("{strength:.2}") />
                <text x=x + CELL / 2 y=y + CELL / 2 class="heat-count" text-anchor="middle" dominant-baseline="central">
                    {*count}
                </text>
            }
        })
    });
    let column_labels = confusion.labels.iter().enumerate().map(|(j, label)| {
        let x = MARGIN + j * CELL + CELL / 2;
        view! {
            <text x=x y=MARGIN - 6 class="heat-label" text-anchor="start"
                transform=format!("rotate(-45 {x} {})", MARGIN - 6)>{short(label)}</text>
        }
    });
    let row_labels = confusion.labels.iter().enumerate().map(|(i, label)| {
        view! {
            <text x=MARGIN - 6 y=MARGIN + i * CELL + CELL / 2 class="heat-label" text-anchor="end"
                dominant-baseline="central">{short(label)}</text>
        }
    });
    view! {
        <svg class="heat-map" role="img" aria-labelledby="heat-title" viewBox=format!("0 0 {width} {height}")
            width=width height=height>
            <title id="heat-title">{summary}</title>
            <text x=4 y=14 class="heat-axis">"LLM →"</text>
            <text x=4 y=30 class="heat-axis">"Human ↓"</text>
            {column_labels.collect_view()}
            {row_labels.collect_view()}
            {cells.collect_view()}
        </svg>
    }
}

/// The confusion matrix as a data table (the heat map's text alternative).
#[component]
fn ConfusionTable(confusion: LabelConfusion) -> impl IntoView {
    let LabelConfusion { labels, counts } = confusion;
    view! {
        <div class="table-wrap">
            <table class="table confusion-table">
                <caption>"Pairs of labels on one target: human (rows) by LLM (columns)"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Human \\ LLM"</th>
                        {labels.iter().map(|label| view! { <th scope="col" class="num">{label.clone()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {labels
                        .iter()
                        .zip(counts)
                        .map(|(label, row)| view! {
                            <tr>
                                <th scope="row">{label.clone()}</th>
                                {row.into_iter().map(|count| view! { <td class="num">{count}</td> }).collect_view()}
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The targets whose values differ, each linking to its span or trace.
#[component]
fn Disagreements(base: String, disagreements: Vec<Disagreement>, count: u64) -> impl IntoView {
    let shown = disagreements.len() as u64;
    let heading = match count {
        0 => "No disagreements".to_owned(),
        _ if shown < count => format!("Disagreements: the first {MAX_LISTED_DISAGREEMENTS} of {count}"),
        _ => format!("Disagreements ({count})"),
    };
    view! {
        <section class="panel" aria-labelledby="disagreements-title">
            <h2 id="disagreements-title" class="panel-title">{heading}</h2>
            <ul class="disagreements">
                {disagreements
                    .into_iter()
                    .map(|d| {
                        let (href, text) = match &d.target {
                            AnnotationTarget::Span(id) => (format!("{base}/spans/{id}"), format!("Span {id}")),
                            AnnotationTarget::Trace(id) => (format!("{base}/traces/{id}"), format!("Trace {id}")),
                            AnnotationTarget::Session(id) => (base.clone(), format!("Session {id}")),
                        };
                        view! {
                            <li>
                                <a class="mono" href=href>{text}</a>
                                <ul class="disagreement-values">
                                    {d.values.into_iter().map(|value| view! { <li>{value_text(&value)}</li> }).collect_view()}
                                </ul>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// `alice (HUMAN): good · 1`
fn value_text(value: &RatingValue) -> String {
    let verdict: Vec<String> = value.label.iter().cloned().chain(value.score.map(format_score)).collect();
    format!("{} ({}): {}", value.annotator, value.annotator_kind.as_str(), verdict.join(" · "))
}
