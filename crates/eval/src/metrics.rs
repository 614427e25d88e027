//! Classification metrics from a confusion matrix, in `f64`, following their textbook definitions.
//!
//! **Orientation: rows are gold classes, columns are predicted classes** (`counts[gold][pred]`), the same as
//! scikit-learn's `confusion_matrix(y_true, y_pred)`. linfa's `ConfusionMatrix`, built the way its docs show
//! (`pred.confusion_matrix(&truth)`), is the transpose; it is not used here.
//!
//! Conventions, matching scikit-learn with `zero_division=0` and an explicit label list:
//!
//! * precision/recall/F1 are 0 when their denominator is 0, and the class is listed in `zero_division`;
//! * macro-F1 averages over **all** the experiment's classes, including one absent from a resample;
//! * balanced accuracy averages recall over classes with at least one gold item;
//! * MCC is the multi-class (Gorodkin) form, 0 when undefined; Cohen's kappa is 0 when chance agreement is 1;
//! * F_avg is the mean F1 of `support` and `oppose` (SemEval-2016 Task 6), or of an experiment's `favg_classes`, computed on the full confusion matrix
//!   so predictions of a third class still count as errors.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A metric that can be the headline or be gated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Variants are declared in the alphabetical order of their keys: `Ord` follows declaration order, and maps keyed
// by `MetricName` must serialise in the same order as the string-keyed maps of schema 1 did.
pub enum MetricName {
    /// Share of items predicted correctly.
    Accuracy,
    /// Mean recall over classes.
    BalancedAccuracy,
    /// Mean F1 of `support` and `oppose` only (SemEval-2016 Task 6).
    FAvg,
    /// Cohen's kappa between gold and predicted labels.
    Kappa,
    /// Unweighted mean F1 over the experiment's classes.
    MacroF1,
    /// Matthews correlation coefficient (multi-class form).
    Mcc,
}

impl MetricName {
    /// Every metric, in report order.
    pub const ALL: [MetricName; 6] = [
        MetricName::MacroF1,
        MetricName::FAvg,
        MetricName::Accuracy,
        MetricName::BalancedAccuracy,
        MetricName::Mcc,
        MetricName::Kappa,
    ];

    /// The key used in files (`macro_f1`).
    pub fn key(self) -> &'static str {
        match self {
            MetricName::Accuracy => "accuracy",
            MetricName::BalancedAccuracy => "balanced_accuracy",
            MetricName::MacroF1 => "macro_f1",
            MetricName::FAvg => "f_avg",
            MetricName::Mcc => "mcc",
            MetricName::Kappa => "kappa",
        }
    }

    /// Parses a key.
    pub fn from_key(key: &str) -> Option<MetricName> {
        MetricName::ALL.into_iter().find(|m| m.key() == key)
    }

    /// A human label (`macro-F1`).
    pub fn label(self) -> &'static str {
        match self {
            MetricName::Accuracy => "accuracy",
            MetricName::BalancedAccuracy => "balanced accuracy",
            MetricName::MacroF1 => "macro-F1",
            MetricName::FAvg => "F_avg",
            MetricName::Mcc => "MCC",
            MetricName::Kappa => "Cohen's kappa",
        }
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.key())
    }
}

/// A confusion matrix over a fixed, ordered class list; rows = gold, columns = predicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    n: usize,
    counts: Vec<f64>,
}

impl Confusion {
    /// An empty matrix over `n` classes.
    pub fn new(n: usize) -> Confusion {
        Confusion {
            n,
            counts: vec![0.0; n * n],
        }
    }

    /// Builds a matrix from paired gold/predicted class indices.
    pub fn from_pairs(n: usize, gold: &[usize], pred: &[usize]) -> Confusion {
        let mut c = Confusion::new(n);
        for (&g, &p) in gold.iter().zip(pred) {
            c.add(g, p, 1.0);
        }
        c
    }

    /// Adds `weight` observations of (gold, predicted). Weights let a bootstrap replicate count an item twice.
    pub fn add(&mut self, gold: usize, pred: usize, weight: f64) {
        self.counts[gold * self.n + pred] += weight;
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n
    }

    /// Count (or weight) of items of class `gold` predicted as `pred`.
    pub fn get(&self, gold: usize, pred: usize) -> f64 {
        self.counts[gold * self.n + pred]
    }

    /// Total weight.
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    /// Gold total of class `k`.
    pub fn gold_total(&self, k: usize) -> f64 {
        (0..self.n).map(|p| self.get(k, p)).sum()
    }

    /// Predicted total of class `k`.
    pub fn pred_total(&self, k: usize) -> f64 {
        (0..self.n).map(|g| self.get(g, k)).sum()
    }

    /// The matrix as rows of whole counts (rows = gold).
    pub fn rows(&self) -> Vec<Vec<u64>> {
        (0..self.n)
            .map(|g| (0..self.n).map(|p| self.get(g, p).round() as u64).collect())
            .collect()
    }
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// TP / (TP + FP).
    pub precision: f64,
    /// TP / (TP + FN).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Number of gold items.
    pub support: f64,
}

/// Every metric of one confusion matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Share of items predicted correctly.
    pub accuracy: f64,
    /// Mean recall over classes with gold items.
    pub balanced_accuracy: f64,
    /// Mean F1 over all classes.
    pub macro_f1: f64,
    /// Mean F1 of `support` and `oppose`, when both are classes.
    pub f_avg: Option<f64>,
    /// Matthews correlation coefficient.
    pub mcc: f64,
    /// Cohen's kappa.
    pub kappa: f64,
    /// Per class, in class order.
    pub per_class: Vec<ClassScores>,
    /// Names of quantities that hit a zero denominator and were set to 0 (`precision[oppose]`, `mcc`, …).
    pub zero_division: Vec<String>,
}

impl Scores {
    /// The value of a named metric.
    pub fn get(&self, m: MetricName) -> Option<f64> {
        use MetricName::*;
        match m {
            Accuracy => Some(self.accuracy),
            BalancedAccuracy => Some(self.balanced_accuracy),
            MacroF1 => Some(self.macro_f1),
            FAvg => self.f_avg,
            Mcc => Some(self.mcc),
            Kappa => Some(self.kappa),
        }
    }
}

fn ratio(num: f64, den: f64, what: String, flags: &mut Vec<String>) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        flags.push(what);
        0.0
    }
}

/// The classes F_avg averages unless an experiment declares `favg_classes`: `support` and `oppose` when both exist
/// (SemEval-2016 Task 6), else none (no F_avg).
pub fn default_favg(classes: &[String]) -> Vec<usize> {
    let idx = |name: &str| classes.iter().position(|c| c == name);
    match (idx("support"), idx("oppose")) {
        (Some(s), Some(o)) => vec![s, o],
        _ => Vec::new(),
    }
}

/// The classes F_avg averages: the `declared` names (an experiment's `favg_classes`) that `classes` has, else
/// [`default_favg`].
pub fn favg_for(declared: Option<&[String]>, classes: &[String]) -> Vec<usize> {
    match declared {
        Some(names) => names
            .iter()
            .filter_map(|n| classes.iter().position(|c| c == n))
            .collect(),
        None => default_favg(classes),
    }
}

/// Every metric, with F_avg over the default classes ([`default_favg`]).
pub fn score(c: &Confusion, classes: &[String]) -> Scores {
    score_with(c, classes, &default_favg(classes))
}

/// Computes every metric; F_avg is the mean F1 of the classes `favg` indexes (none: no F_avg). `classes` names the rows (for F_avg and zero-division flags).
pub fn score_with(c: &Confusion, classes: &[String], favg: &[usize]) -> Scores {
    let n = c.n_classes();
    let total = c.total();
    let mut flags = Vec::new();
    let trace: f64 = (0..n).map(|k| c.get(k, k)).sum();
    let accuracy = ratio(trace, total, "accuracy".into(), &mut flags);
    let mut per_class = Vec::with_capacity(n);
    for (k, name) in classes.iter().enumerate().take(n) {
        let tp = c.get(k, k);
        let precision = ratio(
            tp,
            c.pred_total(k),
            format!("precision[{name}]"),
            &mut flags,
        );
        let recall = ratio(tp, c.gold_total(k), format!("recall[{name}]"), &mut flags);
        let f1 = ratio(
            2.0 * precision * recall,
            precision + recall,
            format!("f1[{name}]"),
            &mut flags,
        );
        per_class.push(ClassScores {
            precision,
            recall,
            f1,
            support: c.gold_total(k),
        });
    }
    let macro_f1 = per_class.iter().map(|s| s.f1).sum::<f64>() / n as f64;
    let with_gold: Vec<&ClassScores> = per_class.iter().filter(|s| s.support > 0.0).collect();
    let balanced_accuracy = if with_gold.is_empty() {
        flags.push("balanced_accuracy".into());
        0.0
    } else {
        with_gold.iter().map(|s| s.recall).sum::<f64>() / with_gold.len() as f64
    };
    // Summed in the listed order and divided once, so the default pair gives (F1_support + F1_oppose) / 2 exactly.
    // A class index beyond the matrix (a report edited to list fewer classes) scores 0, never out of bounds.
    let f_avg = (!favg.is_empty()).then(|| {
        favg.iter()
            .map(|&k| per_class.get(k).map_or(0.0, |s| s.f1))
            .sum::<f64>()
            / favg.len() as f64
    });
    // Multi-class MCC: (c·s − Σ p_k t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²)).
    let t: Vec<f64> = (0..n).map(|k| c.gold_total(k)).collect();
    let p: Vec<f64> = (0..n).map(|k| c.pred_total(k)).collect();
    let pt: f64 = t.iter().zip(&p).map(|(a, b)| a * b).sum();
    let cov_yy = total * total - t.iter().map(|v| v * v).sum::<f64>();
    let cov_pp = total * total - p.iter().map(|v| v * v).sum::<f64>();
    let mcc = ratio(
        trace * total - pt,
        (cov_yy * cov_pp).sqrt(),
        "mcc".into(),
        &mut flags,
    );
    // Cohen's kappa: (p_o − p_e) / (1 − p_e).
    let kappa = if total > 0.0 {
        let p_e = pt / (total * total);
        ratio(accuracy - p_e, 1.0 - p_e, "kappa".into(), &mut flags)
    } else {
        flags.push("kappa".into());
        0.0
    };
    Scores {
        accuracy,
        balanced_accuracy,
        macro_f1,
        f_avg,
        mcc,
        kappa,
        per_class,
        zero_division: flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn favg_averages_the_declared_classes_and_the_default_pair_is_unchanged() {
        let classes: Vec<String> = ["support", "oppose", "neutral"]
            .iter()
            .map(|c| c.to_string())
            .collect();
        let gold = [0, 0, 1, 1, 2, 2, 2];
        let pred = [0, 1, 1, 2, 2, 2, 0];
        let c = Confusion::from_pairs(3, &gold, &pred);
        let s = score(&c, &classes);
        let f1: Vec<f64> = s.per_class.iter().map(|p| p.f1).collect();
        // The default is bit-identical to the formula it replaced.
        assert_eq!(s.f_avg, Some((f1[0] + f1[1]) / 2.0));
        assert_eq!(
            score_with(&c, &classes, &[0, 2]).f_avg,
            Some((f1[0] + f1[2]) / 2.0)
        );
        assert_eq!(
            score_with(&c, &classes, &[0, 1, 2]).f_avg,
            Some((f1[0] + f1[1] + f1[2]) / 3.0)
        );
        assert_eq!(score_with(&c, &classes, &[]).f_avg, None);
        let names = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            favg_for(Some(&names(&["neutral", "support"])), &classes),
            [2, 0]
        );
        assert_eq!(favg_for(None, &names(&["pro", "con"])), Vec::<usize>::new());
    }

    fn names(n: usize) -> Vec<String> {
        ["support", "oppose", "neutral"][..n]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// Every expected value below is printed by `scripts/crosscheck.py` (section "metrics") with scikit-learn:
    /// accuracy_score, balanced_accuracy_score, f1_score(average=None/"macro", labels=[0, 1, 2],
    /// zero_division=0), matthews_corrcoef, cohen_kappa_score.
    #[test]
    fn three_class_metrics_match_scikit_learn() {
        let gold = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2];
        let pred = [0, 0, 1, 2, 1, 0, 1, 2, 2, 0, 2, 1];
        let s = score(&Confusion::from_pairs(3, &gold, &pred), &names(3));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(s.accuracy, 0.583_333_333_333_333_4), "{}", s.accuracy);
        assert!(
            close(s.balanced_accuracy, 0.588_888_888_888_888_9),
            "{}",
            s.balanced_accuracy
        );
        assert!(close(s.macro_f1, 0.579_365_079_365_079_4), "{}", s.macro_f1);
        assert!(close(s.per_class[0].f1, 0.5));
        assert!(close(s.per_class[1].f1, 0.571_428_571_428_571_4));
        assert!(
            close(s.per_class[2].f1, 0.666_666_666_666_666_6),
            "{}",
            s.per_class[2].f1
        );
        assert!(close(s.per_class[2].precision, 0.75));
        assert!(close(s.mcc, 0.378_968_364_479_933_54), "{}", s.mcc);
        assert!(close(s.kappa, 0.375), "{}", s.kappa);
        assert!(close(s.f_avg.unwrap(), 0.535_714_285_714_285_7));
        assert!(s.zero_division.is_empty());
    }

    #[test]
    fn zero_division_gives_zero_and_a_flag() {
        // Nothing is ever predicted as oppose.
        let s = score(&Confusion::from_pairs(2, &[0, 0, 1], &[0, 0, 0]), &names(2));
        assert_eq!(s.per_class[1].precision, 0.0);
        assert_eq!(s.per_class[1].f1, 0.0);
        assert!(s.zero_division.contains(&"precision[oppose]".to_string()));
        assert_eq!(s.mcc, 0.0);
        assert!(
            (s.macro_f1 - 0.4).abs() < 1e-12,
            "F1 support = 0.8, oppose = 0"
        );
        assert!(s.per_class.iter().all(|c| c.f1.is_finite()));
    }

    #[test]
    fn orientation_is_rows_gold_columns_predicted() {
        let c = Confusion::from_pairs(2, &[0, 0, 1], &[1, 1, 1]);
        assert_eq!(c.rows(), vec![vec![0, 2], vec![0, 1]]);
    }

    proptest! {
        #[test]
        fn metrics_stay_in_range_and_agree_with_counting(
            pairs in proptest::collection::vec((0usize..3, 0usize..3), 1..60)
        ) {
            let gold: Vec<usize> = pairs.iter().map(|p| p.0).collect();
            let pred: Vec<usize> = pairs.iter().map(|p| p.1).collect();
            let s = score(&Confusion::from_pairs(3, &gold, &pred), &names(3));
            let correct = gold.iter().zip(&pred).filter(|(g, p)| g == p).count();
            prop_assert!((s.accuracy - correct as f64 / gold.len() as f64).abs() < 1e-12);
            for v in [s.accuracy, s.balanced_accuracy, s.macro_f1] {
                prop_assert!((0.0..=1.0).contains(&v));
            }
            prop_assert!((-1.0..=1.0 + 1e-12).contains(&s.mcc));
            prop_assert!(s.kappa <= 1.0 + 1e-12);
            for c in &s.per_class {
                prop_assert!(c.f1 <= c.precision.max(c.recall) + 1e-12);
                prop_assert!(c.f1 >= c.precision.min(c.recall) - 1e-12 || c.f1 == 0.0);
            }
            if correct == gold.len() {
                prop_assert_eq!(s.accuracy, 1.0);
            }
        }

        #[test]
        fn weights_equal_repetition(pairs in proptest::collection::vec((0usize..2, 0usize..2), 1..20), w in 1u32..4) {
            let mut weighted = Confusion::new(2);
            let mut repeated = Confusion::new(2);
            for &(g, p) in &pairs {
                weighted.add(g, p, w as f64);
                for _ in 0..w {
                    repeated.add(g, p, 1.0);
                }
            }
            prop_assert_eq!(score(&weighted, &names(2)), score(&repeated, &names(2)));
        }
    }
}
