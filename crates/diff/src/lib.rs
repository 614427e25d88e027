//! `stance diff`: two finished runs side by side, whatever their settings (scheme, seed, experiment) — the gate
//! only compares a run with the baseline of the same experiment; this compares any two reports.
//!
//! For every configuration both runs hold and every metric both report: A's value, B's value and Δ = B − A.
//!
//! * **Paired** (both runs evaluated the same items: same ids, same gold labels, same classes, predictions in both
//!   `report.json` files): Δ gets a paired bootstrap interval — every replicate resamples the shared items (or
//!   their documents/groups, when either run resampled those) once and re-scores *both* runs' pooled out-of-fold
//!   predictions on that same draw ([`Replicates`], the runner's own bootstrap), so the interval is the
//!   percentile interval of the replicate differences. The p-value is the exact paired permutation test of
//!   [`stance_eval::permutation`] on the same units (the runner's verdict; the bootstrap's p-value is
//!   anti-conservative at small n). Each configuration also gets McNemar's exact test on the items each run gets right in most of its repeats
//!   ([`OutOfFold::discordant`]), and the flip list names every item whose majority-vote correctness changed.
//! * **Unpaired** (different items, or predictions left out of a large `report.json`): the two runs' own
//!   bootstrap intervals are turned into standard errors assuming normality (`se = half-width / z`, `z` the
//!   normal quantile of each run's confidence level), and Δ gets the approximate interval
//!   `Δ ± z₉₅ · sqrt(se_A² + se_B²)` and the two-sided p-value `2 · Φ(−|Δ| / sqrt(se_A² + se_B²))` — an
//!   approximation that ignores any correlation between the runs and the asymmetry of percentile intervals.
//!
//! A diff tests every configuration × metric at once, so its p-values are Holm-adjusted over that whole family
//! (`p_holm`, `significant`, the `*` of the renderings): without it, 26 configurations × 6 metrics would show a
//! few chance differences as significant in every diff.
//!
//! The library computes; [`render`] writes text and Markdown; JSON is the [`Diff`] serialised.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-eval`,
//! `stance-results`, `stance-report`; never a crate above it.

pub mod render;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use stance_eval::bootstrap::{Replicates, Scoring, CONFIDENCE_LEVEL};
use stance_eval::oof::OutOfFold;
use stance_eval::permutation::{
    units_of, Method as PermutationMethod, Pairing as PermPairing, PermutationTest, Tail,
};
use stance_eval::results::{BootstrapUnit, ConfigResult, Estimate};
use stance_eval::stats::{derive_seed, holm, mcnemar_exact, ClusterBootstrap};
use stance_eval::MetricName;
use stance_results::{consistency, describe_predictions, read_report, ReadError, RunReport};

/// Why a run could not be read for a diff.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// Neither a file nor a folder.
    #[error(
        "{}: no such file or folder; give a report folder (e.g. reports/default) or its report.json",
        path.display()
    )]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// A folder without `report.json`.
    #[error(
        "{}: this folder has no report.json; give a report folder written by `stance run` or a report.json",
        path.display()
    )]
    NoReport {
        /// The folder given.
        path: PathBuf,
    },
    /// Not JSON, not a report, or another schema version.
    #[error(transparent)]
    Unreadable(#[from] ReadError),
    /// The report parses but contradicts itself (hand-edited or truncated).
    #[error("{}: not a usable report: {detail}", path.display())]
    Inconsistent {
        /// The report.json path.
        path: PathBuf,
        /// The first contradiction found.
        detail: String,
    },
}

/// Reads a run from a report folder or a `report.json`; returns the file actually read and the report.
pub fn load_run(path: &Path) -> Result<(PathBuf, RunReport), DiffError> {
    let file = if path.is_dir() {
        let f = path.join("report.json");
        if !f.is_file() {
            return Err(DiffError::NoReport {
                path: path.to_path_buf(),
            });
        }
        f
    } else if path.exists() {
        path.to_path_buf()
    } else {
        return Err(DiffError::Missing {
            path: path.to_path_buf(),
        });
    };
    let report = read_report(&file)?;
    consistency(&report).map_err(|detail| DiffError::Inconsistent {
        path: file.clone(),
        detail,
    })?;
    Ok((file, report))
}

/// What to compare and how to resample.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffOptions {
    /// Metrics to compare (empty: every metric both runs report).
    pub metrics: Vec<MetricName>,
    /// Paired bootstrap replicates (0: no paired interval; McNemar and the flip list remain).
    pub bootstrap: usize,
    /// Seed of the paired bootstrap.
    pub seed: u64,
}

/// Default number of paired bootstrap replicates.
pub const DEFAULT_BOOTSTRAP: usize = 2000;

/// Default seed of the paired bootstrap.
pub const DEFAULT_SEED: u64 = 1;

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions {
            metrics: Vec::new(),
            bootstrap: DEFAULT_BOOTSTRAP,
            seed: DEFAULT_SEED,
        }
    }
}

/// One run as the diff describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSide {
    /// The report.json read.
    pub path: String,
    /// Experiment name.
    pub experiment: String,
    /// Evaluation scheme.
    pub scheme: String,
    /// Folds per repeat, when fixed.
    pub k: Option<usize>,
    /// Repeats.
    pub repeats: usize,
    /// Grouping of a group scheme.
    pub group: Option<String>,
    /// The run's seed.
    pub seed: u64,
    /// Items evaluated.
    pub n_items: usize,
    /// The run's bootstrap replicates.
    pub bootstrap: usize,
    /// What the run's bootstrap resampled.
    pub bootstrap_unit: String,
    /// The run's interval level.
    pub confidence_level: f64,
    /// Whether report.json left the predictions out.
    pub predictions_omitted: bool,
}

impl RunSide {
    fn of(path: &Path, r: &RunReport) -> RunSide {
        let e = &r.run.evaluation;
        RunSide {
            path: path.display().to_string(),
            experiment: r.experiment.name.clone(),
            scheme: e.scheme.name().to_string(),
            k: e.k,
            repeats: e.repeats,
            group: e.group.map(|g| g.name().to_string()),
            seed: e.seed,
            n_items: r.run.items.len(),
            bootstrap: e.bootstrap,
            bootstrap_unit: e.bootstrap_unit.to_string(),
            confidence_level: e.confidence_level,
            predictions_omitted: r.predictions_omitted,
        }
    }
}

/// Whether the runs could be compared item by item, and how the paired bootstrap resampled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pairing {
    /// Whether Δ's interval is the paired bootstrap's and McNemar's test and the flip list exist.
    pub paired: bool,
    /// Why (or why not), in a sentence.
    pub reason: String,
    /// Item ids both runs hold.
    pub shared_items: usize,
    /// What the paired bootstrap resampled (`item`, `doc` or `group`, the items' `doc` field for the last two);
    /// `None` when unpaired or with no replicates.
    pub unit: Option<String>,
    /// Resampling units drawn per replicate.
    pub units: usize,
    /// Paired bootstrap replicates (0 when unpaired).
    pub replicates: usize,
    /// The paired bootstrap's seed (also the seed of Monte Carlo permutation patterns).
    pub seed: u64,
    /// What the permutation test swaps (`item`, `doc` or `group`); `None` when unpaired.
    pub test_unit: Option<String>,
    /// Units the permutation test swaps.
    pub test_units: usize,
}

/// How Δ's interval and p-value were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Percentile interval of the paired replicate differences.
    PairedBootstrap,
    /// Normal approximation from the two runs' own intervals.
    NormalApproximation,
    /// No interval (a run without bootstrap intervals, or no replicates).
    None,
}

/// One configuration × metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDiff {
    /// The metric.
    pub metric: MetricName,
    /// A's value with A's own interval.
    pub a: Estimate,
    /// B's value with B's own interval.
    pub b: Estimate,
    /// `B − A` with its 95% interval.
    pub delta: Estimate,
    /// Two-sided p-value of Δ = 0: the exact paired permutation test when paired, the normal approximation when
    /// not (`None` without either).
    pub p_value: Option<f64>,
    /// `p_value` Holm-adjusted over every configuration × metric row with a p-value (the diff's family).
    pub p_holm: Option<f64>,
    /// Whether `p_holm < alpha`.
    pub significant: bool,
    /// How the interval was computed.
    pub method: Method,
    /// How the p-value was computed.
    pub test: Test,
}

/// How a [`MetricDiff`]'s p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Test {
    /// Every swap pattern of the differing units enumerated ([`stance_eval::permutation`]).
    ExactPermutation,
    /// Seeded random swap patterns (more than [`stance_eval::permutation::MAX_EXACT_UNITS`] differing units).
    MonteCarloPermutation,
    /// The normal approximation from the two runs' own intervals (unpaired runs).
    NormalApproximation,
    /// No p-value.
    None,
}

/// Holm's adjustment over every row with a p-value, across configurations × metrics, so a diff of 26
/// configurations × 6 metrics does not show chance differences as significant; returns the family's size.
fn control_family(configs: &mut [ConfigDiff], alpha: f64) -> usize {
    let mut rows: Vec<&mut MetricDiff> = configs
        .iter_mut()
        .flat_map(|c| c.metrics.iter_mut())
        .filter(|m| m.p_value.is_some())
        .collect();
    let p: Vec<f64> = rows.iter().map(|m| m.p_value.unwrap_or(1.0)).collect();
    for (row, adjusted) in rows.iter_mut().zip(holm(&p)) {
        row.p_holm = Some(adjusted);
        row.significant = adjusted < alpha;
    }
    rows.len()
}

/// McNemar's exact test between the two runs of one configuration, on majority-vote correctness.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McNemarDiff {
    /// Items only A gets right (in most of its repeats).
    pub a_only_correct: u64,
    /// Items only B gets right.
    pub b_only_correct: u64,
    /// Two-sided exact p-value.
    pub p_value: f64,
}

/// One configuration both runs hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigDiff {
    /// Configuration id.
    pub config: String,
    /// McNemar's test, when paired.
    pub mcnemar: Option<McNemarDiff>,
    /// One row per metric.
    pub metrics: Vec<MetricDiff>,
}

/// An item whose majority-vote correctness changed from A to B.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffFlip {
    /// Configuration id.
    pub config: String,
    /// Item id.
    pub item: String,
    /// The statement.
    pub text: String,
    /// Gold class.
    pub gold: String,
    /// A's prediction(s), e.g. `support` or `support 7/10, oppose 3/10`.
    pub a: String,
    /// B's prediction(s).
    pub b: String,
    /// `fixed` (wrong in A, right in B) or `broken` (right in A, wrong in B).
    pub change: String,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// Run A (the reference: Δ = B − A).
    pub a: RunSide,
    /// Run B.
    pub b: RunSide,
    /// Significance level of the stars (run A's `alpha`).
    pub alpha: f64,
    /// Rows in the Holm family (configuration × metric rows with a p-value).
    pub family: usize,
    /// Settings that differ between the runs (`scheme: stratified-kfold → group-kfold`).
    pub differences: Vec<String>,
    /// Whether and how the runs were paired.
    pub pairing: Pairing,
    /// Configurations both runs hold, in A's order.
    pub configs: Vec<ConfigDiff>,
    /// Configurations only A holds.
    pub only_in_a: Vec<String>,
    /// Configurations only B holds.
    pub only_in_b: Vec<String>,
    /// Items whose majority-vote correctness changed (paired runs only), by configuration then A's item order.
    pub flips: Vec<DiffFlip>,
}

/// Compares run `b` with run `a` (read from `path_a` and `path_b`, which only label the output).
pub fn diff(
    path_a: &Path,
    a: &RunReport,
    path_b: &Path,
    b: &RunReport,
    opts: &DiffOptions,
) -> Diff {
    let shared: Vec<(&ConfigResult, &ConfigResult)> = a
        .run
        .configs
        .iter()
        .filter_map(|ca| b.config(&ca.id).map(|cb| (ca, cb)))
        .collect();
    let only_in_a = a
        .run
        .configs
        .iter()
        .filter(|c| b.config(&c.id).is_none())
        .map(|c| c.id.clone())
        .collect();
    let only_in_b = b
        .run
        .configs
        .iter()
        .filter(|c| a.config(&c.id).is_none())
        .map(|c| c.id.clone())
        .collect();
    let (mut pairing, order) = pair(a, b);
    let mut configs = Vec::new();
    let mut flips = Vec::new();
    match order {
        Some(order) => {
            let paired = Paired::new(a, &order, &shared);
            let replicates = paired.replicates(a, b, &shared, opts, &mut pairing);
            let (unit, units) = paired.units(a, b);
            pairing.test_unit = Some(unit.to_string());
            pairing.test_units = units.len();
            for (k, (ca, cb)) in shared.iter().enumerate() {
                let metrics = metrics_of(ca, cb, opts)
                    .into_iter()
                    .map(|m| {
                        let mut row = paired_row(m, ca, cb, replicates.as_ref(), k);
                        let t = paired.permutation(a, &units, k, m, opts.seed);
                        row.p_value = Some(t.p_value);
                        row.test = match t.method {
                            PermutationMethod::Exact => Test::ExactPermutation,
                            PermutationMethod::MonteCarlo => Test::MonteCarloPermutation,
                        };
                        row
                    })
                    .collect();
                configs.push(ConfigDiff {
                    config: ca.id.clone(),
                    mcnemar: Some(paired.mcnemar(k)),
                    metrics,
                });
                flips.extend(paired.flips(a, k, &ca.id));
            }
        }
        None => {
            for (ca, cb) in &shared {
                let metrics = metrics_of(ca, cb, opts)
                    .into_iter()
                    .map(|m| unpaired_row(m, ca, cb, a, b))
                    .collect();
                configs.push(ConfigDiff {
                    config: ca.id.clone(),
                    mcnemar: None,
                    metrics,
                });
            }
        }
    }
    let alpha = a.run.evaluation.alpha;
    let family = control_family(&mut configs, alpha);
    Diff {
        a: RunSide::of(path_a, a),
        b: RunSide::of(path_b, b),
        alpha,
        family,
        differences: differences(a, b),
        pairing,
        configs,
        only_in_a,
        only_in_b,
        flips,
    }
}

/// The metrics compared: the requested ones (or all, in report order) that both configurations report.
fn metrics_of(ca: &ConfigResult, cb: &ConfigResult, opts: &DiffOptions) -> Vec<MetricName> {
    let wanted: Vec<MetricName> = if opts.metrics.is_empty() {
        MetricName::ALL.to_vec()
    } else {
        opts.metrics.clone()
    };
    wanted
        .into_iter()
        .filter(|m| ca.metrics.contains_key(m) && cb.metrics.contains_key(m))
        .collect()
}

/// Decides whether the runs pair item by item; when they do, `order[i]` is the index in B of A's item `i`.
fn pair(a: &RunReport, b: &RunReport) -> (Pairing, Option<Vec<usize>>) {
    let ids_b: HashMap<&str, usize> = b
        .run
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.id.as_str(), i))
        .collect();
    let shared_items = a
        .run
        .items
        .iter()
        .filter(|it| ids_b.contains_key(it.id.as_str()))
        .count();
    let (reason, order) = match items_match(a, b, &ids_b, shared_items) {
        Err(reason) => (reason, None),
        Ok(order) => match omitted_predictions(a, b) {
            Some(runs) => (
                format!(
                    "the runs evaluated the same {shared_items} items, but {runs}'s report.json left its \
                     out-of-fold predictions out (a large run keeps them in predictions.csv.gz), so the paired test \
                     and the flip list are unavailable"
                ),
                None,
            ),
            None => (
                format!(
                    "both runs evaluated the same {shared_items} items (same ids and gold labels)"
                ),
                Some(order),
            ),
        },
    };
    let pairing = Pairing {
        paired: order.is_some(),
        reason,
        shared_items,
        unit: None,
        units: 0,
        replicates: 0,
        seed: 0,
        test_unit: None,
        test_units: 0,
    };
    (pairing, order)
}

/// A's items in B (`order[i]` = B's index of A's item `i`) when both runs hold the same unique item ids with the
/// same classes and gold labels; else why not.
fn items_match(
    a: &RunReport,
    b: &RunReport,
    ids_b: &HashMap<&str, usize>,
    shared_items: usize,
) -> Result<Vec<usize>, String> {
    let unique_a: HashSet<&str> = a.run.items.iter().map(|i| i.id.as_str()).collect();
    if unique_a.len() != a.run.items.len() || ids_b.len() != b.run.items.len() {
        return Err("item ids repeat within a run, so items cannot be matched".into());
    }
    if a.run.items.len() != b.run.items.len() || shared_items != a.run.items.len() {
        return Err(format!(
            "the runs evaluated different items (A {}, B {}, {shared_items} shared ids)",
            a.run.items.len(),
            b.run.items.len()
        ));
    }
    if a.data.classes != b.data.classes {
        return Err(format!(
            "the runs have different classes (A: {}; B: {})",
            a.data.classes.join(", "),
            b.data.classes.join(", ")
        ));
    }
    let order: Vec<usize> = a.run.items.iter().map(|it| ids_b[it.id.as_str()]).collect();
    let relabelled: Vec<&str> = a
        .run
        .items
        .iter()
        .zip(&order)
        .filter(|(it, &j)| it.gold != b.run.items[j].gold)
        .map(|(it, _)| it.id.as_str())
        .collect();
    match relabelled.first() {
        Some(first) => Err(format!(
            "{} item(s) have another gold label in B (first: '{first}')",
            relabelled.len()
        )),
        None => Ok(order),
    }
}

/// Which runs lack predictions (`A`, `B` or `A and B`): left out of a large report.json, or (hand-edited) a
/// configuration without any.
fn omitted_predictions(a: &RunReport, b: &RunReport) -> Option<String> {
    let omitted: Vec<&str> = [("A", a), ("B", b)]
        .iter()
        .filter(|(_, r)| {
            r.predictions_omitted
                || (!r.run.items.is_empty()
                    && r.run.configs.iter().any(|c| c.predictions.is_empty()))
        })
        .map(|(n, _)| *n)
        .collect();
    (!omitted.is_empty()).then(|| omitted.join(" and "))
}

/// The paired runs' out-of-fold predictions in A's item order: `oof[2k]` is A's configuration `k`, `oof[2k + 1]`
/// B's.
struct Paired {
    gold: Vec<usize>,
    oof: Vec<OutOfFold>,
}

impl Paired {
    fn new(a: &RunReport, order: &[usize], shared: &[(&ConfigResult, &ConfigResult)]) -> Paired {
        let n_classes = a.data.classes.len();
        let mut oof = Vec::with_capacity(2 * shared.len());
        for (ca, cb) in shared {
            oof.push(OutOfFold::new(ca.predictions.clone(), n_classes));
            let reordered = cb
                .predictions
                .iter()
                .map(|rep| order.iter().map(|&j| rep[j].clone()).collect())
                .collect();
            oof.push(OutOfFold::new(reordered, n_classes));
        }
        Paired {
            gold: a.run.items.iter().map(|i| i.gold).collect(),
            oof,
        }
    }

    /// Items every configuration of both runs tested (all of them under cross-validation).
    fn evaluated(&self) -> Vec<usize> {
        (0..self.gold.len())
            .filter(|&i| self.oof.iter().all(|o| o.times_tested(i) > 0))
            .collect()
    }

    /// What the paired bootstrap resamples and the permutation test swaps: documents or groups (the items' `doc`)
    /// when either run resampled those and every item has one, so items of one document stay together; else items.
    fn units(&self, a: &RunReport, b: &RunReport) -> (BootstrapUnit, Vec<Vec<usize>>) {
        let evaluated = self.evaluated();
        let clustered = [a, b]
            .iter()
            .map(|r| r.run.evaluation.bootstrap_unit)
            .find(|u| *u != BootstrapUnit::Item);
        let doc = |i: usize| a.run.items[i].doc.clone();
        let units = units_of(&evaluated, &doc, clustered.is_some());
        match clustered {
            Some(unit) if units.len() < evaluated.len() => (unit, units),
            _ => (BootstrapUnit::Item, units),
        }
    }

    /// The exact paired permutation test of B − A for configuration `k` on metric `m` (two-sided).
    fn permutation(
        &self,
        a: &RunReport,
        units: &[Vec<usize>],
        k: usize,
        m: MetricName,
        seed: u64,
    ) -> PermutationTest {
        let favg = stance_eval::metrics::favg_for(
            a.experiment.config.favg_classes.as_deref(),
            &a.data.classes,
        );
        let pairing = PermPairing {
            gold: &self.gold,
            units,
            classes: &a.data.classes,
            favg: &favg,
        };
        pairing.test(
            &self.oof[2 * k + 1],
            &self.oof[2 * k],
            m,
            Tail::TwoSided,
            derive_seed(seed, &[k as u64, m as u64]),
        )
    }

    /// The paired bootstrap's replicates of every configuration of both runs (`None` with no replicates).
    fn replicates(
        &self,
        a: &RunReport,
        b: &RunReport,
        shared: &[(&ConfigResult, &ConfigResult)],
        opts: &DiffOptions,
        pairing: &mut Pairing,
    ) -> Option<Replicates> {
        if opts.bootstrap == 0 || shared.is_empty() {
            return None;
        }
        let evaluated = self.evaluated();
        let (unit, units) = self.units(a, b);
        pairing.unit = Some(unit.to_string());
        pairing.units = units.len();
        pairing.replicates = opts.bootstrap;
        pairing.seed = opts.seed;
        let boot = ClusterBootstrap::new(units, self.gold.len(), opts.seed);
        let metrics: Vec<MetricName> = MetricName::ALL
            .into_iter()
            .filter(|m| {
                shared
                    .iter()
                    .any(|(ca, cb)| ca.metrics.contains_key(m) && cb.metrics.contains_key(m))
            })
            .collect();
        // F_avg as run A defined it (its favg_classes, else support and oppose).
        let favg = stance_eval::metrics::favg_for(
            a.experiment.config.favg_classes.as_deref(),
            &a.data.classes,
        );
        let scoring = Scoring {
            gold: &self.gold,
            evaluated: &evaluated,
            classes: &a.data.classes,
            metrics: &metrics,
            favg: &favg,
        };
        Some(Replicates::draw(&boot, opts.bootstrap, &self.oof, &scoring))
    }

    fn mcnemar(&self, k: usize) -> McNemarDiff {
        let (a_only, b_only) = self.oof[2 * k].discordant(&self.oof[2 * k + 1], &self.gold);
        McNemarDiff {
            a_only_correct: a_only,
            b_only_correct: b_only,
            p_value: mcnemar_exact(a_only, b_only),
        }
    }

    /// The items of configuration `k` whose majority-vote correctness differs between the runs.
    fn flips(&self, a: &RunReport, k: usize, config: &str) -> Vec<DiffFlip> {
        let (oa, ob) = (&self.oof[2 * k], &self.oof[2 * k + 1]);
        let (ra, rb) = (
            oa.majority_correct(&self.gold),
            ob.majority_correct(&self.gold),
        );
        let mut out = Vec::new();
        for (i, (x, y)) in ra.iter().zip(&rb).enumerate() {
            let (Some(x), Some(y)) = (x, y) else {
                continue;
            };
            if x == y {
                continue;
            }
            let item = &a.run.items[i];
            out.push(DiffFlip {
                config: config.to_string(),
                item: item.id.clone(),
                text: item.text.clone(),
                gold: a.data.classes[item.gold].clone(),
                a: describe_predictions(a, oa, i),
                // B's predictions are in A's item order and the classes are the same (checked when pairing).
                b: describe_predictions(a, ob, i),
                change: if *y { "fixed" } else { "broken" }.into(),
            });
        }
        out
    }
}

fn paired_row(
    m: MetricName,
    ca: &ConfigResult,
    cb: &ConfigResult,
    replicates: Option<&Replicates>,
    k: usize,
) -> MetricDiff {
    let (ea, eb) = (ca.metrics[&m], cb.metrics[&m]);
    let point = eb.point - ea.point;
    let (delta, p_value, method) = match replicates {
        Some(r) => (
            r.difference(2 * k + 1, 2 * k, m, point),
            None,
            Method::PairedBootstrap,
        ),
        None => (
            Estimate {
                point,
                lower: None,
                upper: None,
            },
            None,
            Method::None,
        ),
    };
    MetricDiff {
        metric: m,
        a: ea,
        b: eb,
        delta,
        p_value,
        p_holm: None,
        significant: false,
        method,
        test: Test::None,
    }
}

fn unpaired_row(
    m: MetricName,
    ca: &ConfigResult,
    cb: &ConfigResult,
    a: &RunReport,
    b: &RunReport,
) -> MetricDiff {
    let (ea, eb) = (ca.metrics[&m], cb.metrics[&m]);
    let approx = approximate_difference(
        &ea,
        a.run.evaluation.confidence_level,
        &eb,
        b.run.evaluation.confidence_level,
    );
    let point = eb.point - ea.point;
    let (delta, p_value, method) = match approx {
        Some((lo, hi, p)) => (
            Estimate {
                point,
                lower: Some(lo),
                upper: Some(hi),
            },
            p,
            Method::NormalApproximation,
        ),
        None => (
            Estimate {
                point,
                lower: None,
                upper: None,
            },
            None,
            Method::None,
        ),
    };
    MetricDiff {
        metric: m,
        a: ea,
        b: eb,
        delta,
        test: if p_value.is_some() {
            Test::NormalApproximation
        } else {
            Test::None
        },
        p_value,
        p_holm: None,
        significant: false,
        method,
    }
}

/// The normal approximation for independent runs: `b − a` from two estimates with intervals at levels
/// `level_a` and `level_b`. Each interval's half-width over `z(level)` is taken as a standard error; returns the
/// 95% interval `Δ ± z₉₅ · se` with `se = sqrt(se_a² + se_b²)`, and the two-sided p-value `2 · Φ(−|Δ| / se)`
/// (`None` when `se` is 0). `None` when either estimate has no interval.
pub fn approximate_difference(
    a: &Estimate,
    level_a: f64,
    b: &Estimate,
    level_b: f64,
) -> Option<(f64, f64, Option<f64>)> {
    let normal = Normal::standard();
    let z = |level: f64| normal.inverse_cdf(1.0 - (1.0 - level) / 2.0);
    let se = |e: &Estimate, level: f64| Some(e.width()? / 2.0 / z(level));
    let (sa, sb) = (se(a, level_a)?, se(b, level_b)?);
    let se = (sa * sa + sb * sb).sqrt();
    let delta = b.point - a.point;
    let half = z(CONFIDENCE_LEVEL) * se;
    let p = (se > 0.0).then(|| (2.0 * normal.cdf(-delta.abs() / se)).min(1.0));
    Some((delta - half, delta + half, p))
}

/// Settings that differ between the runs, for the reader to see what changed.
fn differences(a: &RunReport, b: &RunReport) -> Vec<String> {
    let (sa, sb) = (RunSide::of(Path::new(""), a), RunSide::of(Path::new(""), b));
    let opt = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let pairs = [
        ("experiment", sa.experiment, sb.experiment),
        ("scheme", sa.scheme, sb.scheme),
        (
            "k",
            opt(sa.k.map(|k| k.to_string())),
            opt(sb.k.map(|k| k.to_string())),
        ),
        ("repeats", sa.repeats.to_string(), sb.repeats.to_string()),
        ("group", opt(sa.group), opt(sb.group)),
        ("seed", sa.seed.to_string(), sb.seed.to_string()),
        ("items", sa.n_items.to_string(), sb.n_items.to_string()),
        ("bootstrap unit", sa.bootstrap_unit, sb.bootstrap_unit),
    ];
    let mut out: Vec<String> = pairs
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(what, x, y)| format!("{what}: {x} → {y}"))
        .collect();
    let data = |r: &RunReport| -> BTreeMap<String, String> {
        r.inputs
            .iter()
            .filter(|(k, _)| !k.starts_with("experiment:"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    if data(a) != data(b) {
        out.push("data inputs: different files or contents (sha256)".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use stance_fixtures::sample_report;

    fn diff_of(a: &RunReport, b: &RunReport, opts: &DiffOptions) -> Diff {
        diff(Path::new("a"), a, Path::new("b"), b, opts)
    }

    #[test]
    fn a_run_against_itself_has_zero_deltas_and_no_flips() {
        let r = sample_report();
        let d = diff_of(&r, &r, &DiffOptions::default());
        assert!(d.pairing.paired, "{}", d.pairing.reason);
        assert_eq!(d.pairing.unit.as_deref(), Some("item"));
        assert!(d.flips.is_empty() && d.differences.is_empty());
        assert_eq!(d.configs.len(), r.run.configs.len());
        for c in &d.configs {
            let mc = c.mcnemar.expect("paired");
            assert_eq!(
                (mc.a_only_correct, mc.b_only_correct, mc.p_value),
                (0, 0, 1.0)
            );
            for m in &c.metrics {
                assert_eq!(m.delta.point, 0.0);
                assert_eq!((m.delta.lower, m.delta.upper), (Some(0.0), Some(0.0)));
                assert_eq!(m.p_value, Some(1.0));
                assert_eq!(m.p_holm, Some(1.0));
                assert!(!m.significant);
                assert_eq!(m.method, Method::PairedBootstrap);
                assert_eq!(m.test, Test::ExactPermutation);
            }
        }
    }

    /// The paired replicates score each run's pooled predictions: with no resampling (every replicate's weights
    /// would be 1) they reproduce the reports' own points, so the replicate differences are centred on Δ.
    #[test]
    fn the_paired_scores_reproduce_the_reports_points() {
        let r = sample_report();
        let shared: Vec<(&ConfigResult, &ConfigResult)> =
            r.run.configs.iter().map(|c| (c, c)).collect();
        let order: Vec<usize> = (0..r.run.items.len()).collect();
        let p = Paired::new(&r, &order, &shared);
        let all = p.evaluated();
        for (k, c) in r.run.configs.iter().enumerate() {
            let conf = p.oof[2 * k].pooled_confusion(&p.gold, &all, None);
            let s = stance_eval::metrics::score(&conf, &r.data.classes);
            let want = c.metrics[&MetricName::MacroF1].point;
            assert!((s.get(MetricName::MacroF1).unwrap() - want).abs() < 1e-12);
        }
    }

    #[test]
    fn reordered_items_still_pair_and_a_changed_prediction_is_a_flip() {
        let a = sample_report();
        let mut b = a.clone();
        // B lists its items in reverse order (and its predictions with them).
        b.run.items.reverse();
        for c in &mut b.run.configs {
            for rep in &mut c.predictions {
                rep.reverse();
            }
        }
        let d = diff_of(&a, &b, &DiffOptions::default());
        assert!(d.pairing.paired && d.flips.is_empty());
        // Make item 0 wrong in every repeat of B's first configuration (B holds it last).
        let n = b.run.items.len();
        let gold = a.run.items[0].gold;
        let k = a.data.classes.len();
        for rep in &mut b.run.configs[0].predictions {
            rep[n - 1].as_mut().expect("tested").class = (gold + 1) % k;
        }
        let d = diff_of(&a, &b, &DiffOptions::default());
        let first = &a.run.configs[0].id;
        let was_right = OutOfFold::new(a.run.configs[0].predictions.clone(), k)
            .majority_correct(&a.run.items.iter().map(|i| i.gold).collect::<Vec<_>>())[0]
            == Some(true);
        let flips: Vec<&DiffFlip> = d.flips.iter().filter(|f| &f.config == first).collect();
        if was_right {
            assert_eq!(flips.len(), 1, "{flips:?}");
            assert_eq!(flips[0].item, a.run.items[0].id);
            assert_eq!(flips[0].change, "broken");
            let mc = d.configs[0].mcnemar.unwrap();
            assert_eq!((mc.a_only_correct, mc.b_only_correct), (1, 0));
        } else {
            assert!(flips.is_empty());
        }
    }

    #[test]
    fn different_items_are_unpaired_and_use_the_normal_approximation() {
        let a = sample_report();
        let mut b = a.clone();
        b.run.items[0].id = "elsewhere".into();
        let d = diff_of(&a, &b, &DiffOptions::default());
        assert!(!d.pairing.paired);
        assert!(
            d.pairing
                .reason
                .contains("different items (A 11, B 11, 10 shared ids)"),
            "{}",
            d.pairing.reason
        );
        assert!(d.flips.is_empty() && d.configs.iter().all(|c| c.mcnemar.is_none()));
        // The sample run has no bootstrap, so there is no interval to approximate from.
        assert!(d.configs[0]
            .metrics
            .iter()
            .all(|m| m.method == Method::None));
        let mut emptied = a.clone();
        emptied.run.configs[1].predictions.clear();
        assert!(
            !diff_of(&emptied, &a, &DiffOptions::default())
                .pairing
                .paired
        );
        let mut omitted = a.clone();
        omitted.predictions_omitted = true;
        let d = diff_of(&a, &omitted, &DiffOptions::default());
        assert!(!d.pairing.paired);
        assert!(d
            .pairing
            .reason
            .contains("B's report.json left its out-of-fold predictions out"));
    }

    /// scipy: `scripts/crosscheck.py pins`, section "diff normal approximation".
    #[test]
    fn the_normal_approximation_matches_scipy() {
        let a = Estimate {
            point: 0.70,
            lower: Some(0.60),
            upper: Some(0.78),
        };
        let b = Estimate {
            point: 0.64,
            lower: Some(0.50),
            upper: Some(0.76),
        };
        let (lo, hi, p) = approximate_difference(&a, 0.95, &b, 0.95).unwrap();
        assert!((lo - -0.2181138830084189).abs() < 1e-12, "{lo}");
        assert!((hi - 0.09811388300841903).abs() < 1e-12, "{hi}");
        // statrs's normal CDF agrees with scipy's to about 1e-10 (erfc approximations differ).
        assert!((p.unwrap() - 0.4570252904253397).abs() < 1e-9, "{p:?}");
        // At another level the half-width maps to another standard error.
        let (lo, _, p) = approximate_difference(&a, 0.9, &b, 0.95).unwrap();
        assert!((lo - -0.22852526186165978).abs() < 1e-12, "{lo}");
        assert!((p.unwrap() - 0.4852988967196834).abs() < 1e-9, "{p:?}");
        let none = Estimate {
            point: 0.5,
            lower: None,
            upper: None,
        };
        assert_eq!(approximate_difference(&a, 0.95, &none, 0.95), None);
    }
}

#[cfg(test)]
mod fuzz_tests;
