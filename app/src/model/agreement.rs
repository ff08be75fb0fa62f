//! How far annotators agree on one annotation name: what
//! `GET /v1/projects/{p}/annotation_agreement` answers and the agreement page
//! shows, and the one function that computes it from ratings grouped by
//! target (the store reads them; [`super::reliability`] holds the formulas).
//!
//! An annotator is the annotation's user when it has one, else its
//! `identifier`, else its `annotator_kind`: REST clients that set an
//! identifier per rater get agreement without accounts. A rating counts when
//! it has a label or a score; its nominal value is the label, else the score.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::reliability::{IntervalSums, NominalSums, cohen_kappa};
use super::{AnnotationTarget, AnnotatorKind};

/// At most this many disagreements are listed (`disagreement_count` has them all).
pub const MAX_LISTED_DISAGREEMENTS: usize = 100;

/// The agreement figures of one annotation name in a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Agreement {
    /// The annotation name.
    pub name: String,
    /// Targets (spans and traces) that two or more annotators rated.
    pub targets: u64,
    /// Distinct annotators on those targets.
    pub annotators: u64,
    /// Share of the pairs of ratings on one target that agree (0–1).
    pub percent_agreement: Option<f64>,
    /// Cohen's kappa; `null` unless exactly two annotators.
    pub cohen_kappa: Option<f64>,
    /// Krippendorff's alpha.
    pub krippendorff_alpha: Alpha,
    /// Human ratings against LLM ratings of the same targets; `null` when no
    /// target has both.
    pub human_vs_llm: Option<HumanVsLlm>,
    /// The first [`MAX_LISTED_DISAGREEMENTS`] targets whose values differ.
    pub disagreements: Vec<Disagreement>,
    /// How many targets' values differ in all.
    pub disagreement_count: u64,
}

/// Krippendorff's alpha at two levels of measurement; `null` when undefined
/// (no pairable values, or no variation at all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Alpha {
    /// Over the labels (a score stands for a missing label).
    pub nominal: Option<f64>,
    /// Over the scores; `null` without scores.
    pub interval: Option<f64>,
}

/// HUMAN against LLM ratings on the targets that have both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HumanVsLlm {
    /// Targets with at least one HUMAN and one LLM rating.
    pub targets: u64,
    /// Every (HUMAN label, LLM label) pair on one target.
    pub label_confusion: LabelConfusion,
    /// Mean |HUMAN score − LLM score| over the pairs with both scores.
    pub score_mean_abs_diff: Option<f64>,
}

/// A confusion matrix: `counts[i][j]` pairs where the human said `labels[i]`
/// and the LLM `labels[j]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelConfusion {
    /// The labels of rows and columns, sorted.
    pub labels: Vec<String>,
    /// Rows: HUMAN label; columns: LLM label.
    pub counts: Vec<Vec<u64>>,
}

/// A target whose annotators gave different values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Disagreement {
    /// `span_id` or `trace_id`.
    #[serde(flatten)]
    pub target: AnnotationTarget,
    /// Each annotator's rating.
    pub values: Vec<RatingValue>,
}

/// One annotator's rating of a target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RatingValue {
    /// The user's email, else the identifier, else the annotator kind.
    pub annotator: String,
    /// Who judged.
    pub annotator_kind: AnnotatorKind,
    /// The label, if any.
    pub label: Option<String>,
    /// The score, if any.
    pub score: Option<f64>,
}

/// What the agreement page shows: the names to choose from and the
/// chosen name's figures (none when the project has no annotations).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgreementView {
    /// The project's annotation names (notes left out), sorted.
    pub names: Vec<String>,
    /// The figures of the chosen name (the first one when none was chosen).
    pub agreement: Option<Agreement>,
}

/// A figure as the page shows it: three decimals, or a dash when undefined.
pub fn format_figure(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
}

/// One rating as the store reads it, with the annotator and the label
/// interned (indexes into the name tables the caller keeps), so reading
/// 100,000 of them allocates no string per row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rating {
    /// Index of the annotator.
    pub annotator: u32,
    /// Who judged.
    pub kind: AnnotatorKind,
    /// Index of the label.
    pub label: Option<u32>,
    /// The score.
    pub score: Option<f64>,
}

/// A rating's nominal value: its label, else its score (by bits, so that
/// equal scores are one category).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Category {
    Label(u32),
    Score(u64),
}

impl Rating {
    fn category(&self) -> Option<Category> {
        match (self.label, self.score) {
            (Some(label), _) => Some(Category::Label(label)),
            (None, Some(score)) => Some(Category::Score((score + 0.0).to_bits())),
            (None, None) => None,
        }
    }
}

/// The figures and the disagreeing targets (first [`MAX_LISTED_DISAGREEMENTS`],
/// with their ratings), before the caller names targets, labels and annotators.
#[derive(Debug)]
pub struct AgreementFigures<T> {
    /// Everything but the disagreements' names.
    pub agreement: Agreement,
    /// The listed disagreements: target and ratings.
    pub disagreements: Vec<(T, Vec<Rating>)>,
}

/// Computes the figures over `units`: each target with its ratings in the
/// order written (an annotator who rated a target twice counts once, with
/// the later rating). `labels` names the label indexes.
pub fn compute_agreement<T>(
    name: &str,
    units: impl IntoIterator<Item = (T, Vec<Rating>)>,
    labels: &[String],
) -> AgreementFigures<T> {
    let mut nominal = NominalSums::<Category>::default();
    let mut interval = IntervalSums::default();
    let mut annotators: Vec<u32> = Vec::new();
    let mut by_pair: HashMap<(u32, u32), Vec<(Category, Category)>> = HashMap::new();
    let mut targets = 0u64;
    let mut human_vs_llm = HumanLlmSums::default();
    let mut disagreements = Vec::new();
    let mut disagreement_count = 0u64;
    let mut values: Vec<Category> = Vec::new();
    for (target, ratings) in units {
        let ratings = last_per_annotator(ratings);
        human_vs_llm.add(&ratings);
        values.clear();
        values.extend(ratings.iter().filter_map(Rating::category));
        if values.len() < 2 {
            continue;
        }
        targets += 1;
        nominal.add_unit(&values);
        interval.add_unit(ratings.iter().filter_map(|r| r.score));
        for rating in ratings.iter().filter(|r| r.category().is_some()) {
            if let Err(at) = annotators.binary_search(&rating.annotator) {
                annotators.insert(at, rating.annotator);
            }
        }
        if let [a, b] = ratings.iter().filter(|r| r.category().is_some()).collect::<Vec<_>>()[..] {
            let (a, b) = if a.annotator <= b.annotator { (a, b) } else { (b, a) };
            by_pair.entry((a.annotator, b.annotator)).or_default().push((a.category().unwrap(), b.category().unwrap()));
        }
        if values.iter().any(|v| *v != values[0]) {
            disagreement_count += 1;
            if disagreements.len() < MAX_LISTED_DISAGREEMENTS {
                disagreements.push((target, ratings));
            }
        }
    }
    // Kappa needs exactly two annotators, so every overlap target is theirs.
    let cohen_kappa = match (annotators.as_slice(), by_pair.len()) {
        ([a, b], 1) => by_pair.get(&(*a, *b)).and_then(|pairs| cohen_kappa(pairs)),
        _ => None,
    };
    let agreement = Agreement {
        name: name.to_owned(),
        targets,
        annotators: annotators.len() as u64,
        percent_agreement: nominal.percent_agreement(),
        cohen_kappa,
        krippendorff_alpha: Alpha { nominal: nominal.alpha(), interval: interval.alpha() },
        human_vs_llm: human_vs_llm.finish(labels),
        disagreements: Vec::new(),
        disagreement_count,
    };
    AgreementFigures { agreement, disagreements }
}

/// A target's ratings with one per annotator (the last written), in order.
fn last_per_annotator(mut ratings: Vec<Rating>) -> Vec<Rating> {
    let mut kept = 0;
    for i in 0..ratings.len() {
        let later = ratings[i + 1..].iter().any(|r| r.annotator == ratings[i].annotator);
        if !later {
            ratings[kept] = ratings[i];
            kept += 1;
        }
    }
    ratings.truncate(kept);
    ratings
}

/// Running sums of the human-versus-LLM view.
#[derive(Default)]
struct HumanLlmSums {
    targets: u64,
    confusion: HashMap<(u32, u32), u64>,
    score_diffs: f64,
    score_pairs: u64,
}

impl HumanLlmSums {
    fn add(&mut self, ratings: &[Rating]) {
        let of = |kind| ratings.iter().filter(move |r| r.kind == kind);
        if of(AnnotatorKind::Human).next().is_none() || of(AnnotatorKind::Llm).next().is_none() {
            return;
        }
        self.targets += 1;
        for human in of(AnnotatorKind::Human) {
            for llm in of(AnnotatorKind::Llm) {
                if let (Some(h), Some(l)) = (human.label, llm.label) {
                    *self.confusion.entry((h, l)).or_insert(0) += 1;
                }
                if let (Some(h), Some(l)) = (human.score, llm.score) {
                    self.score_diffs += (h - l).abs();
                    self.score_pairs += 1;
                }
            }
        }
    }

    fn finish(self, labels: &[String]) -> Option<HumanVsLlm> {
        if self.targets == 0 {
            return None;
        }
        let mut used: Vec<u32> = self.confusion.keys().flat_map(|(h, l)| [*h, *l]).collect();
        used.sort_unstable_by(|a, b| labels[*a as usize].cmp(&labels[*b as usize]));
        used.dedup();
        let position: HashMap<u32, usize> = used.iter().enumerate().map(|(i, label)| (*label, i)).collect();
        let mut counts = vec![vec![0; used.len()]; used.len()];
        for ((h, l), n) in &self.confusion {
            counts[position[h]][position[l]] += n;
        }
        Some(HumanVsLlm {
            targets: self.targets,
            label_confusion: LabelConfusion {
                labels: used.iter().map(|label| labels[*label as usize].clone()).collect(),
                counts,
            },
            score_mean_abs_diff: (self.score_pairs > 0).then(|| self.score_diffs / self.score_pairs as f64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(annotator: u32, kind: AnnotatorKind, label: Option<u32>, score: Option<f64>) -> Rating {
        Rating { annotator, kind, label, score }
    }

    #[test]
    fn two_annotators_and_an_llm() {
        use AnnotatorKind::{Human, Llm};
        let labels = vec!["bad".to_owned(), "good".to_owned()];
        let units = vec![
            // Both humans say good, the LLM bad.
            (
                1,
                vec![
                    rating(0, Human, Some(1), Some(1.0)),
                    rating(1, Human, Some(1), Some(1.0)),
                    rating(2, Llm, Some(0), Some(0.0)),
                ],
            ),
            // One human alone: not an overlap target.
            (2, vec![rating(0, Human, Some(0), None)]),
            // Humans disagree; the first changed their mind (the later rating counts).
            (
                3,
                vec![rating(0, Human, Some(0), None), rating(1, Human, Some(0), None), rating(0, Human, Some(1), None)],
            ),
        ];
        let figures = compute_agreement("quality", units, &labels);
        let a = figures.agreement;
        assert_eq!((a.targets, a.annotators, a.disagreement_count), (2, 3, 2));
        // Pairs: target 1: (g,g) agree, (g,b) ×2 differ; target 3: (b,g) differ → 1 of 4.
        assert_eq!(a.percent_agreement, Some(0.25));
        assert_eq!(a.cohen_kappa, None, "three annotators");
        let hl = a.human_vs_llm.expect("target 1 has both");
        assert_eq!(hl.targets, 1);
        assert_eq!(hl.label_confusion.labels, labels);
        assert_eq!(hl.label_confusion.counts, vec![vec![0, 0], vec![2, 0]]);
        assert_eq!(hl.score_mean_abs_diff, Some(1.0));
        assert_eq!(figures.disagreements.iter().map(|(t, r)| (*t, r.len())).collect::<Vec<_>>(), vec![(1, 3), (3, 2)]);
    }

    #[test]
    fn kappa_only_for_exactly_two() {
        use AnnotatorKind::Human;
        let labels = vec!["no".to_owned(), "yes".to_owned()];
        let pair = |a, b| vec![rating(0, Human, Some(a), None), rating(7, Human, Some(b), None)];
        let units = vec![(1, pair(1, 1)), (2, pair(1, 0)), (3, pair(0, 0)), (4, pair(0, 0))];
        let a = compute_agreement("x", units, &labels).agreement;
        // p_o = 3/4; p_e = (2/4·1/4) + (2/4·3/4) = 1/2; κ = 0.5.
        assert_eq!(a.cohen_kappa, Some(0.5));
        assert_eq!(a.human_vs_llm, None);
        assert_eq!(a.krippendorff_alpha.interval, None);
    }
}
