//! Inter-rater reliability, as pure arithmetic: percent agreement, Cohen's
//! kappa and Krippendorff's alpha (nominal and interval). No SQL and no
//! annotation types here, so the figures can be checked against published
//! worked examples (see the tests).
//!
//! Alpha uses the coincidence-matrix formulation (Krippendorff 2011,
//! "Computing Krippendorff's Alpha-Reliability"): a unit contributes its
//! `m_u` values only when `m_u >= 2` ("pairable" values), each ordered pair
//! of values weighted by `1 / (m_u - 1)`, so missing ratings simply shrink a
//! unit. Both disagreements reduce to sums per unit, so nothing quadratic in
//! the number of values or units is ever built:
//!
//! - nominal: `D_o = Σ_u (m_u² − Σ_c n_uc²) / (m_u − 1) / n` and
//!   `D_e = (n² − Σ_c n_c²) / (n (n − 1))`;
//! - interval (δ² = (c − k)²): `Σ_{i≠j} (v_i − v_j)² = 2 m Σv² − 2 (Σv)²`,
//!   per unit for `D_o` and over all pairable values for `D_e`.

use std::collections::HashMap;
use std::hash::Hash;

/// Running sums for nominal alpha and percent agreement over units of
/// category values (any hashable category: a label, an interned id).
#[derive(Debug)]
pub struct NominalSums<C> {
    /// Pairable values per category (the coincidence matrix's margins).
    totals: HashMap<C, f64>,
    /// Σ_u (m_u² − Σ_c n_uc²) / (m_u − 1).
    observed: f64,
    /// Unordered pairs within units, and those that agree.
    pairs: f64,
    agreeing_pairs: f64,
    /// Scratch counts of the unit being added.
    unit: Vec<(C, f64)>,
}

impl<C: Eq + Hash + Clone> Default for NominalSums<C> {
    fn default() -> Self {
        NominalSums { totals: HashMap::new(), observed: 0.0, pairs: 0.0, agreeing_pairs: 0.0, unit: Vec::new() }
    }
}

impl<C: Eq + Hash + Clone> NominalSums<C> {
    /// Adds one unit's values (one per rater who gave one); a unit with
    /// fewer than two values is not pairable and changes nothing.
    pub fn add_unit<'a>(&mut self, values: impl IntoIterator<Item = &'a C>)
    where
        C: 'a,
    {
        self.unit.clear();
        for value in values {
            match self.unit.iter_mut().find(|(c, _)| c == value) {
                Some((_, count)) => *count += 1.0,
                None => self.unit.push((value.clone(), 1.0)),
            }
        }
        let m: f64 = self.unit.iter().map(|(_, n)| n).sum();
        if m < 2.0 {
            return;
        }
        let same: f64 = self.unit.iter().map(|(_, n)| n * n).sum();
        self.observed += (m * m - same) / (m - 1.0);
        self.pairs += m * (m - 1.0) / 2.0;
        self.agreeing_pairs += self.unit.iter().map(|(_, n)| n * (n - 1.0) / 2.0).sum::<f64>();
        for (category, n) in self.unit.drain(..) {
            *self.totals.entry(category).or_insert(0.0) += n;
        }
    }

    /// Share of the unordered pairs of ratings within units that agree;
    /// `None` without any pair.
    pub fn percent_agreement(&self) -> Option<f64> {
        (self.pairs > 0.0).then(|| self.agreeing_pairs / self.pairs)
    }

    /// Krippendorff's alpha for nominal data; `None` when no unit is
    /// pairable or every pairable value is the same (alpha is undefined
    /// without variation).
    pub fn alpha(&self) -> Option<f64> {
        let n: f64 = self.totals.values().sum();
        let expected = (n * n - self.totals.values().map(|c| c * c).sum::<f64>()) / (n * (n - 1.0));
        alpha_of(self.observed / n, expected, n)
    }
}

/// Running sums for interval alpha over units of numbers.
#[derive(Debug, Default)]
pub struct IntervalSums {
    /// Pairable values, their sum and sum of squares.
    n: f64,
    sum: f64,
    squares: f64,
    /// Σ_u Σ_{i≠j} (v_i − v_j)² / (m_u − 1).
    observed: f64,
}

impl IntervalSums {
    /// Adds one unit's values; fewer than two change nothing.
    pub fn add_unit(&mut self, values: impl IntoIterator<Item = f64>) {
        let (mut m, mut sum, mut squares) = (0.0, 0.0, 0.0);
        for value in values {
            m += 1.0;
            sum += value;
            squares += value * value;
        }
        if m < 2.0 {
            return;
        }
        self.observed += (2.0 * m * squares - 2.0 * sum * sum) / (m - 1.0);
        self.n += m;
        self.sum += sum;
        self.squares += squares;
    }

    /// Krippendorff's alpha for interval data (δ² = (c − k)²); `None` as
    /// for [`NominalSums::alpha`].
    pub fn alpha(&self) -> Option<f64> {
        let n = self.n;
        let expected = (2.0 * n * self.squares - 2.0 * self.sum * self.sum) / (n * (n - 1.0));
        alpha_of(self.observed / n, expected, n)
    }
}

/// `1 − D_o / D_e`, when defined.
fn alpha_of(observed: f64, expected: f64, n: f64) -> Option<f64> {
    // Rounding can leave a hair above zero when every value is equal.
    (n >= 2.0 && expected > 1e-12).then(|| 1.0 - observed / expected)
}

/// Cohen's kappa for two raters over the units both rated: `pairs` holds
/// each such unit's (first rater's, second rater's) category. `None`
/// without pairs or when chance agreement is certain (one category only).
pub fn cohen_kappa<C: Eq + Hash>(pairs: &[(C, C)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let total = pairs.len() as f64;
    let mut first: HashMap<&C, f64> = HashMap::new();
    let mut second: HashMap<&C, f64> = HashMap::new();
    let mut agree = 0.0;
    for (a, b) in pairs {
        *first.entry(a).or_insert(0.0) += 1.0;
        *second.entry(b).or_insert(0.0) += 1.0;
        if a == b {
            agree += 1.0;
        }
    }
    let observed = agree / total;
    let chance: f64 = first.iter().map(|(c, n)| n / total * second.get(c).copied().unwrap_or(0.0) / total).sum();
    (chance < 1.0 - 1e-12).then(|| (observed - chance) / (1.0 - chance))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Missing rating.
    const NA: f64 = f64::NAN;

    /// Krippendorff's own reliability data: 4 observers × 12 units, values
    /// 1–5, with missing ratings. Krippendorff, K. (2011), "Computing
    /// Krippendorff's Alpha-Reliability", https://repository.upenn.edu/asc_papers/43,
    /// example C: nominal α = 0.743, interval α = 0.849 (ordinal 0.815 and
    /// ratio 0.797, also asserted for this data by the `krippendorff` Python
    /// package's tests/test_krippendorff.py).
    const KRIPPENDORFF_2011: [[f64; 12]; 4] = [
        [1., 2., 3., 3., 2., 1., 4., 1., 2., NA, NA, NA],
        [1., 2., 3., 3., 2., 2., 4., 1., 2., 5., NA, 3.],
        [NA, 3., 3., 3., 2., 3., 4., 2., 2., 5., 1., NA],
        [1., 2., 3., 3., 2., 4., 4., 1., 2., 5., 1., NA],
    ];

    /// Wikipedia's "Krippendorff's alpha" computational example: 3 coders ×
    /// 15 units; nominal α = 0.691358 and interval α = 0.810845 (as the
    /// `krippendorff` Python package's tests assert for the same data).
    const WIKIPEDIA: [[f64; 15]; 3] = [
        [NA, NA, NA, NA, NA, 3., 4., 1., 2., 1., 1., 3., 3., NA, 3.],
        [1., NA, 2., 1., 3., 3., 4., 3., NA, NA, NA, NA, NA, NA, NA],
        [NA, NA, 2., 1., 3., 4., 4., NA, 2., 1., 1., 3., 3., NA, 4.],
    ];

    /// The values of unit `u` (the observers who rated it).
    fn unit<const U: usize>(data: &[[f64; U]], u: usize) -> Vec<f64> {
        data.iter().map(|row| row[u]).filter(|v| !v.is_nan()).collect()
    }

    fn nominal<const U: usize>(data: &[[f64; U]]) -> NominalSums<i64> {
        let mut sums = NominalSums::default();
        for u in 0..U {
            let values: Vec<i64> = unit(data, u).into_iter().map(|v| v as i64).collect();
            sums.add_unit(&values);
        }
        sums
    }

    fn interval<const U: usize>(data: &[[f64; U]]) -> IntervalSums {
        let mut sums = IntervalSums::default();
        for u in 0..U {
            sums.add_unit(unit(data, u));
        }
        sums
    }

    fn round3(x: Option<f64>) -> f64 {
        (x.expect("defined") * 1000.0).round() / 1000.0
    }

    #[test]
    fn krippendorffs_own_example_with_missing_ratings() {
        assert_eq!(round3(nominal(&KRIPPENDORFF_2011).alpha()), 0.743);
        assert_eq!(round3(interval(&KRIPPENDORFF_2011).alpha()), 0.849);
    }

    #[test]
    fn wikipedias_worked_example() {
        let alpha = nominal(&WIKIPEDIA).alpha().unwrap();
        assert!((alpha - 0.691358).abs() < 1e-6, "{alpha}");
        let alpha = interval(&WIKIPEDIA).alpha().unwrap();
        assert!((alpha - 0.810845).abs() < 1e-6, "{alpha}");
    }

    #[test]
    fn percent_agreement_counts_pairs_within_units() {
        // Units: {1,1} agree (1 pair of 1); {1,2,2}: 1 of 3 pairs agree; {3} alone is not pairable.
        let mut sums = NominalSums::default();
        sums.add_unit(&[1, 1]);
        sums.add_unit(&[1, 2, 2]);
        sums.add_unit(&[3]);
        assert_eq!(sums.percent_agreement(), Some(2.0 / 4.0));
        assert_eq!(NominalSums::<i64>::default().percent_agreement(), None);
    }

    /// Wikipedia's "Cohen's kappa" example: 50 proposals, both say yes 20,
    /// A yes / B no 5, A no / B yes 10, both no 15 → p_o = 0.7, p_e = 0.5, κ = 0.4.
    #[test]
    fn cohens_kappa_textbook_table() {
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n(("yes", "yes"), 20));
        pairs.extend(std::iter::repeat_n(("yes", "no"), 5));
        pairs.extend(std::iter::repeat_n(("no", "yes"), 10));
        pairs.extend(std::iter::repeat_n(("no", "no"), 15));
        assert_eq!(round3(cohen_kappa(&pairs)), 0.4);
    }

    #[test]
    fn undefined_figures_are_none() {
        let mut same = NominalSums::default();
        same.add_unit(&["a", "a"]);
        same.add_unit(&["a", "a"]);
        assert_eq!(same.alpha(), None);
        assert_eq!(same.percent_agreement(), Some(1.0));
        assert_eq!(IntervalSums::default().alpha(), None);
        assert_eq!(cohen_kappa::<&str>(&[]), None);
        assert_eq!(cohen_kappa(&[("a", "a"), ("a", "a")]), None);
        // Perfect agreement with variation is 1.
        let mut perfect = IntervalSums::default();
        perfect.add_unit([1.0, 1.0]);
        perfect.add_unit([3.0, 3.0]);
        assert_eq!(perfect.alpha(), Some(1.0));
    }
}
