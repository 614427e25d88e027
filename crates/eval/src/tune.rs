//! Nested hyper-parameter tuning: a classifier parameter (`alpha`, `c`) or an extractor option (`ngram`,
//! `max_features`) given as a list is chosen by an inner cross-validation on each outer training fold, and the
//! outer test fold scores the tuned model — so the reported score is not the optimistic score of the value that
//! won on the folds it is scored on.
//!
//! **Grid.** A configuration's candidates are the product of its feature set's lists (first listed parameter
//! slowest) and its classifier's list: `words(ngram∈{[1,1],[1,2]}) + logistic(alpha∈{0.1,1})` has four. One
//! configuration is reported per declared pair, its id showing the grid.
//!
//! **Inner folds.** On each outer training fold (after a learning curve's subsampling), `inner_k` folds
//! (`[evaluation] inner_k`, default 3): stratified, or grouped by the outer scheme's grouping when the outer
//! scheme is grouped (leave-one-group-out, group k-fold), so tuning never scores a candidate on a group it was
//! trained on. `inner_k` is lowered to the smallest class count in the training fold (stratified) or to its number
//! of groups (grouped); below 2 the run stops with an error naming the fold. Grouped inner folds whose training
//! part holds fewer than two classes are left out; none left is an error. The folds are seeded by the outer
//! fold's coordinates (repeat, fold, fraction), so every thread count gives the same choice.
//!
//! **No leakage.** For each candidate the feature set is fitted on the inner-training rows only (vocabulary, idf,
//! `max_features` cut) and applied to the inner-validation rows; the outer test rows are never seen. The run's
//! tokenisation ([`stance_features::Extracted`]) is reused: only counting and weighting are redone per fold.
//!
//! **Choice.** The candidate with the highest mean headline metric over the inner validation folds wins; exact
//! ties go to the earlier candidate in grid order (the values as listed). The chosen candidate is then fitted on
//! the whole outer training fold and predicts the outer test fold, with the same seed an untuned configuration
//! uses — so a one-element list runs no inner folds and predicts exactly what the fixed value does.
//!
//! **Refit on all items** (top features, behavioural tests, `stance predict`): the same inner cross-validation on
//! all items picks the value; the report shows it.

use serde::{Deserialize, Serialize};
use stance_features::FeatureMatrix;

use super::fit::fit_transform;
use super::metrics::{score, score_with, Confusion, MetricName};
use super::plan::{Cell, Plan};
use super::results::{TuningChoice, TuningResult};
use super::splits::{group_kfold, groups_of, stratified_kfold};
use super::stats::{derive_seed, fit_seed};
use super::EvalError;
use stance_core::tunable::ParamGrid;
use stance_corpus::Dataset;
use stance_features::{Extracted, FeatureSet};
use stance_models::{classes_present, Classifier};

/// Inner folds when `[evaluation] inner_k` is not given.
pub const DEFAULT_INNER_K: usize = 3;

const INNER_TAG: u64 = 0x7E1E;
const INNER_FIT_TAG: u64 = 0x7E1F;
/// The coordinate that marks the refit on all items (no outer fold has this index).
const ALL_ITEMS: u64 = u64::MAX;

/// Inner folds as (inner-training, inner-validation) item indices.
pub type InnerFolds = Vec<(Vec<usize>, Vec<usize>)>;

/// One candidate's (inner-training, inner-validation) matrices on each inner fold.
type FoldMatrices = Vec<(FeatureMatrix, FeatureMatrix)>;

/// What tuning chose on one training set (an outer training fold, or all items for the refit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The chosen candidate's index in grid order.
    pub candidate: usize,
    /// Mean inner-validation headline metric of every candidate, in grid order (empty when the grid has one
    /// candidate: nothing to compare, no inner folds run).
    pub inner_scores: Vec<f64>,
    /// Inner folds the means are over (0 when none ran).
    pub inner_folds: usize,
}

/// What tuning needs from a run: its seed, headline metric, inner folds and, for grouped schemes, every item's
/// group.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The run's seed.
    pub seed: u64,
    /// The metric candidates are compared on.
    pub headline: MetricName,
    /// Inner folds asked for.
    pub inner_k: usize,
    /// Every item's group when the outer scheme is grouped; `None` for stratified inner folds.
    pub groups: Option<Vec<String>>,
    /// The classes F_avg averages (the experiment's `favg_classes`); `None`: the default pair.
    pub favg: Option<Vec<usize>>,
}

impl Settings {
    /// The settings of a plan on a dataset (groups looked up only for grouped schemes).
    pub fn of(plan: &Plan, ds: &Dataset) -> Result<Settings, EvalError> {
        Ok(Settings {
            seed: plan.seed,
            headline: plan.headline,
            inner_k: plan.inner_k,
            groups: match plan.split.group() {
                Some(by) => Some(groups_of(ds, by)?),
                None => None,
            },
            favg: plan
                .favg_classes
                .as_ref()
                .map(|_| plan.favg_indices(&ds.classes)),
        })
    }
}

/// A configuration's candidates: each feature-set candidate (with its extraction) and each classifier candidate.
/// An untuned side has one candidate, itself.
pub struct Candidates<'a> {
    /// Feature sets, in grid order.
    pub features: Vec<(&'a FeatureSet, Option<&'a Extracted>)>,
    /// Classifiers, in grid order.
    pub classifiers: Vec<&'a Classifier>,
}

impl<'a> Candidates<'a> {
    /// The candidates of a feature set (with the run's extraction of it) and a classifier.
    pub fn of(
        fs: &'a FeatureSet,
        ex: Option<&'a Extracted>,
        clf: &'a Classifier,
    ) -> Candidates<'a> {
        let features = if fs.is_tuned() {
            fs.candidates()
                .iter()
                .enumerate()
                .map(|(i, (_, c))| (c, ex.map(|e| e.candidate(i))))
                .collect()
        } else {
            vec![(fs, ex)]
        };
        let classifiers = if clf.is_tuned() {
            clf.candidates().iter().map(|(_, c)| c).collect()
        } else {
            vec![clf]
        };
        Candidates {
            features,
            classifiers,
        }
    }

    /// Number of candidates (feature candidates × classifier candidates).
    pub fn len(&self) -> usize {
        self.features.len() * self.classifiers.len()
    }

    /// Whether there is no candidate (never, for validated specs).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Candidate `n` as (feature index, classifier index).
    pub fn split(&self, n: usize) -> (usize, usize) {
        (n / self.classifiers.len(), n % self.classifiers.len())
    }
}

/// Every candidate's setting of a tuned configuration, in grid order (`ngram=[1,2], alpha=0.1`).
pub fn settings(fs: Option<&FeatureSet>, clf: &Classifier) -> Vec<String> {
    let f: Vec<&str> = match fs.filter(|f| f.is_tuned()) {
        Some(f) => f.candidates().iter().map(|(s, _)| s.as_str()).collect(),
        None => vec![""],
    };
    let c: Vec<&str> = if clf.is_tuned() {
        clf.candidates().iter().map(|(s, _)| s.as_str()).collect()
    } else {
        vec![""]
    };
    f.iter()
        .flat_map(|a| {
            c.iter().map(move |b| {
                [*a, *b]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        })
        .collect()
}

/// The inner folds over `rows` as (inner-train, inner-validation) item indices, see the module doc. `coords`
/// locate the training set (outer repeat, fold, fraction; or all items) and seed the folds.
pub fn inner_folds(
    rows: &[usize],
    labels: &[usize],
    n_classes: usize,
    settings: &Settings,
    coords: &[u64],
) -> Result<InnerFolds, String> {
    let local: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
    let mut key = vec![INNER_TAG];
    key.extend_from_slice(coords);
    let seed = derive_seed(settings.seed, &key);
    let folds = match &settings.groups {
        None => {
            let mut counts = vec![0usize; n_classes];
            for &c in &local {
                counts[c] += 1;
            }
            let smallest = counts.iter().copied().filter(|&n| n > 0).min().unwrap_or(0);
            let k = settings.inner_k.min(smallest);
            if k < 2 {
                return Err(format!(
                    "tuning needs at least 2 training items of every class for stratified inner folds, but a \
                     class has {smallest} here; use fewer outer folds, more data, or give the parameter one value"
                ));
            }
            stratified_kfold(&local, n_classes, k, 0, seed)
        }
        Some(groups) => {
            let local_groups: Vec<String> = rows.iter().map(|&i| groups[i].clone()).collect();
            let distinct: std::collections::BTreeSet<&String> = local_groups.iter().collect();
            let k = settings.inner_k.min(distinct.len());
            if k < 2 {
                return Err(format!(
                    "tuning needs at least 2 groups in a training fold for grouped inner folds, found {}; use \
                     another grouping or scheme, or give the parameter one value",
                    distinct.len()
                ));
            }
            group_kfold(&local_groups, k, 0, seed)
        }
    };
    let out: InnerFolds = folds
        .into_iter()
        .map(|f| {
            (
                f.train.iter().map(|&i| rows[i]).collect::<Vec<usize>>(),
                f.test.iter().map(|&i| rows[i]).collect::<Vec<usize>>(),
            )
        })
        .filter(|(train, _)| {
            let y: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
            classes_present(&y, n_classes).len() >= 2
        })
        .collect();
    if out.is_empty() {
        return Err(
            "no grouped inner fold keeps two classes in its training part, so no candidate can be scored; use \
             another grouping, or give the parameter one value"
                .into(),
        );
    }
    Ok(out)
}

/// Inner cross-validation over one training set, shared by the configurations of one task: the inner folds and,
/// per feature candidate, its matrices on each inner fold (fitted on the inner-training rows only), built when
/// first asked for.
pub struct InnerCv {
    folds: InnerFolds,
    features: Vec<Option<FoldMatrices>>,
    coords: Vec<u64>,
}

impl InnerCv {
    /// Inner folds over `rows` for up to `n_features` feature candidates. `coords`: see [`inner_folds`].
    pub fn new(
        rows: &[usize],
        ds: &Dataset,
        settings: &Settings,
        n_features: usize,
        coords: &[u64],
    ) -> Result<InnerCv, String> {
        let folds = inner_folds(rows, &ds.labels(), ds.classes.len(), settings, coords)?;
        Ok(InnerCv {
            folds,
            features: vec![None; n_features],
            coords: coords.to_vec(),
        })
    }

    /// The inner folds.
    pub fn folds(&self) -> &[(Vec<usize>, Vec<usize>)] {
        &self.folds
    }

    /// Chooses a candidate of `cands` (see the module doc). `config` names the configuration in the seeds of the
    /// inner fits and in errors.
    pub fn choose(
        &mut self,
        cands: &Candidates<'_>,
        ds: &Dataset,
        settings: &Settings,
        config: u64,
    ) -> Result<Choice, TuneError> {
        if cands.len() == 1 {
            return Ok(Choice {
                candidate: 0,
                inner_scores: Vec::new(),
                inner_folds: 0,
            });
        }
        let labels = ds.labels();
        let k = ds.classes.len();
        let mut scores = Vec::with_capacity(cands.len());
        for n in 0..cands.len() {
            let (f, c) = cands.split(n);
            if self.features[f].is_none() {
                let (fs, ex) = cands.features[f];
                let mats = self
                    .folds
                    .iter()
                    .map(|(tr, va)| fit_transform(fs, ex, ds, tr, va).map(|(_, a, b)| (a, b)))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(TuneError::Feature)?;
                self.features[f] = Some(mats);
            }
            let mats = self.features[f].as_ref().expect("filled above");
            let mut total = 0.0;
            for (j, ((tr, va), (xt, xv))) in self.folds.iter().zip(mats).enumerate() {
                let y: Vec<usize> = tr.iter().map(|&i| labels[i]).collect();
                let mut key = vec![INNER_FIT_TAG, config, n as u64, j as u64];
                key.extend_from_slice(&self.coords);
                let model = cands.classifiers[c]
                    .fit(xt.view(), &y, k, fit_seed(derive_seed(settings.seed, &key)))
                    .map_err(TuneError::Model)?;
                let pred: Vec<usize> = model.predict(xv.view()).iter().map(|p| p.class).collect();
                let gold: Vec<usize> = va.iter().map(|&i| labels[i]).collect();
                let conf = Confusion::from_pairs(k, &gold, &pred);
                let s = match &settings.favg {
                    Some(favg) => score_with(&conf, &ds.classes, favg),
                    None => score(&conf, &ds.classes),
                };
                total += s.get(settings.headline).unwrap_or(0.0);
            }
            scores.push(total / self.folds.len() as f64);
        }
        Ok(Choice {
            candidate: best(&scores),
            inner_scores: scores,
            inner_folds: self.folds.len(),
        })
    }
}

/// The index of the highest score; exact ties go to the earliest (the value listed first).
pub fn best(scores: &[f64]) -> usize {
    let mut b = 0;
    for (i, s) in scores.iter().enumerate() {
        if *s > scores[b] {
            b = i;
        }
    }
    b
}

/// Why a candidate could not be scored on an inner fold.
#[derive(Debug)]
pub enum TuneError {
    /// Fitting a feature candidate failed.
    Feature(stance_features::FeatureError),
    /// Fitting a classifier candidate failed.
    Model(stance_models::ModelError),
}

impl TuneError {
    /// The evaluation error, naming the configuration and where tuning ran.
    pub fn into_eval(self, config: &str, fold: &str) -> EvalError {
        match self {
            TuneError::Feature(source) => EvalError::Feature {
                config: format!("{config} (tuning, {fold})"),
                source,
            },
            TuneError::Model(source) => EvalError::Model {
                config: format!("{config} (tuning)"),
                fold: fold.into(),
                source,
            },
        }
    }
}

/// A tuned configuration's value on a training set: tunes by inner cross-validation on `rows`, then returns the
/// choice and the chosen feature set (with its extraction) and classifier.
#[allow(clippy::type_complexity)]
pub fn tune_on<'a>(
    cands: &Candidates<'a>,
    ds: &Dataset,
    rows: &[usize],
    settings: &Settings,
    config: (&str, u64),
    coords: &[u64],
    fold: &str,
) -> Result<
    (
        Choice,
        (&'a FeatureSet, Option<&'a Extracted>),
        &'a Classifier,
    ),
    EvalError,
> {
    let choice =
        if cands.len() == 1 {
            Choice {
                candidate: 0,
                inner_scores: Vec::new(),
                inner_folds: 0,
            }
        } else {
            let mut inner = InnerCv::new(rows, ds, settings, cands.features.len(), coords)
                .map_err(|message| EvalError::Tuning {
                    config: config.0.into(),
                    fold: fold.into(),
                    message,
                })?;
            inner
                .choose(cands, ds, settings, config.1)
                .map_err(|e| e.into_eval(config.0, fold))?
        };
    let (f, c) = cands.split(choice.candidate);
    Ok((choice, cands.features[f], cands.classifiers[c]))
}

/// The coordinates of the refit on all items.
pub fn all_items_coords() -> Vec<u64> {
    vec![ALL_ITEMS]
}

/// A configuration's key in the seeds of its inner fits: FNV-1a of its feature set and classifier names, so the
/// grid, the refit and `stance predict` (which knows only the names) draw the same seeds.
pub fn config_key(feature_set: &str, classifier: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in feature_set
        .bytes()
        .chain(std::iter::once(0))
        .chain(classifier.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A choice as the report records it.
pub fn choice_record(
    candidates: &[String],
    outer: Option<(usize, usize)>,
    c: &Choice,
) -> TuningChoice {
    TuningChoice {
        repeat: outer.map(|o| o.0),
        fold: outer.map(|o| o.1),
        chosen: candidates[c.candidate].clone(),
        inner_folds: c.inner_folds,
        inner_scores: c.inner_scores.clone(),
    }
}

/// The report's account of a tuned cell from its per-fold choices (`None` for untuned cells). The refit's choice
/// is added after the refit.
pub fn result(
    plan: &Plan,
    cell: &Cell,
    choices: &[(usize, usize, Choice)],
) -> Option<TuningResult> {
    let (variant, classifier) = cell.fitted().filter(|_| plan.is_tuned(cell))?;
    let clf = &plan.classifiers[classifier];
    let fs = variant.map(|v| &plan.variants[v].features);
    let mut grid: Vec<ParamGrid> = fs.map(|f| f.grid().to_vec()).unwrap_or_default();
    grid.extend(clf.grid().iter().cloned());
    let candidates = settings(fs, clf);
    let mut chosen_counts = vec![0; candidates.len()];
    for (_, _, c) in choices {
        chosen_counts[c.candidate] += 1;
    }
    let inner = match plan.split.group() {
        Some(by) => format!(
            "group {}-fold (by {}) on each outer training fold",
            plan.inner_k,
            by.name()
        ),
        None => format!(
            "stratified {}-fold on each outer training fold",
            plan.inner_k
        ),
    };
    Some(TuningResult {
        grid,
        candidates: candidates.clone(),
        inner,
        metric: plan.headline,
        chosen_counts,
        per_fold: choices
            .iter()
            .map(|(r, f, c)| choice_record(&candidates, Some((*r, *f)), c))
            .collect(),
        refit: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_first_listed_value() {
        assert_eq!(best(&[0.5, 0.7, 0.7]), 1);
        assert_eq!(best(&[0.4, 0.4, 0.4]), 0);
        assert_eq!(best(&[0.1, 0.2, 0.9]), 2);
    }

    #[test]
    fn stratified_inner_folds_stay_inside_the_training_rows() {
        let labels: Vec<usize> = (0..30).map(|i| i % 2).collect();
        let rows: Vec<usize> = (0..30).filter(|i| i % 5 != 0).collect();
        let s = Settings {
            seed: 7,
            headline: MetricName::MacroF1,
            inner_k: 3,
            groups: None,
            favg: None,
        };
        let folds = inner_folds(&rows, &labels, 2, &s, &[0, 1, 0]).unwrap();
        assert_eq!(folds.len(), 3);
        let mut seen: Vec<usize> = Vec::new();
        for (tr, va) in &folds {
            assert!(
                tr.iter().chain(va).all(|i| rows.contains(i)),
                "outer test row used"
            );
            assert!(tr.iter().all(|i| !va.contains(i)));
            seen.extend(va);
        }
        seen.sort_unstable();
        assert_eq!(seen, rows, "every training row is validated once");
        assert_eq!(
            folds,
            inner_folds(&rows, &labels, 2, &s, &[0, 1, 0]).unwrap()
        );
    }

    #[test]
    fn inner_k_shrinks_to_the_smallest_class_and_refuses_below_two() {
        let labels = vec![0, 0, 0, 0, 0, 1, 1, 1];
        let s = Settings {
            seed: 1,
            headline: MetricName::MacroF1,
            inner_k: 5,
            groups: None,
            favg: None,
        };
        let rows: Vec<usize> = (0..8).collect();
        assert_eq!(inner_folds(&rows, &labels, 2, &s, &[0]).unwrap().len(), 3);
        let err = inner_folds(&[0, 1, 2, 5], &labels, 2, &s, &[0]).unwrap_err();
        assert!(
            err.contains("at least 2 training items of every class"),
            "{err}"
        );
    }

    fn dataset(n: usize) -> Dataset {
        let items = (0..n)
            .map(|i| stance_corpus::Item {
                id: format!("i{i}"),
                // A token only this item has, beside shared vocabulary that differs by class.
                text: format!(
                    "uniq{i}q we {} lift the restrictions",
                    if i % 2 == 0 { "must" } else { "must not" }
                ),
                label: i % 2,
                doc: None,
                holder: None,
                group: None,
                split: None,
            })
            .collect();
        Dataset {
            classes: vec!["support".into(), "oppose".into()],
            items,
            input_hashes: Default::default(),
        }
    }

    fn spec<T: serde::de::DeserializeOwned>(src: &str) -> T {
        toml::from_str(src).unwrap()
    }

    /// The leakage guarantee of tuning: every inner fit learns from inner-training rows only — no token of the
    /// outer test fold or of the inner validation fold enters a vocabulary the candidates are scored with.
    #[test]
    fn tuning_never_learns_from_outer_test_or_inner_validation_rows() {
        let ds = dataset(24);
        let fs = spec::<stance_features::FeatureSetSpec>(
            "name = 'w'\nextractors = [{ type = 'word-ngrams', ngram = [[1, 1], [1, 2]] }]",
        )
        .check()
        .unwrap();
        let clf = spec::<stance_models::ClassifierSpec>("type = 'logistic'\nalpha = [0.1, 10]")
            .check()
            .unwrap();
        let texts: Vec<&str> = ds.items.iter().map(|i| i.text.as_str()).collect();
        let ids: Vec<&str> = ds.items.iter().map(|i| i.id.as_str()).collect();
        let ex = fs.extract(&ids, &texts).unwrap().unwrap();
        let settings = Settings {
            seed: 5,
            headline: MetricName::MacroF1,
            inner_k: 3,
            groups: None,
            favg: None,
        };
        for outer in stratified_kfold(&ds.labels(), 2, 3, 0, 9) {
            let cands = Candidates::of(&fs, Some(&ex), &clf);
            assert_eq!(cands.len(), 4);
            let mut inner = InnerCv::new(&outer.train, &ds, &settings, 2, &[0, 0, 0]).unwrap();
            let choice = inner.choose(&cands, &ds, &settings, 1).unwrap();
            assert_eq!(choice.inner_scores.len(), 4);
            for (f, (cfs, cex)) in cands.features.iter().enumerate() {
                let stored = inner.features[f].as_ref().unwrap();
                for ((tr, va), (xt, _)) in inner.folds().iter().zip(stored) {
                    assert!(tr.iter().chain(va).all(|i| outer.train.contains(i)));
                    let (fitted, _, _) = fit_transform(cfs, *cex, &ds, tr, va).unwrap();
                    assert_eq!(
                        xt.cols(),
                        fitted.n_features(),
                        "stored matrices are the inner-train fit"
                    );
                    let vocab = fitted.vocabulary();
                    for &t in outer.test.iter().chain(va) {
                        let token = format!("uniq{t}q");
                        assert!(!vocab.iter().any(|v| v.contains(&token)), "{token} leaked");
                    }
                }
            }
        }
    }

    #[test]
    fn a_single_candidate_runs_no_inner_folds() {
        let ds = dataset(6);
        let fs = spec::<stance_features::FeatureSetSpec>(
            "name = 'w'\nextractors = [{ type = 'word-ngrams', ngram = [[1, 2]] }]",
        )
        .check()
        .unwrap();
        let clf = spec::<stance_models::ClassifierSpec>("type = 'logistic'\nalpha = [1]")
            .check()
            .unwrap();
        let cands = Candidates::of(&fs, None, &clf);
        let settings = Settings {
            seed: 5,
            headline: MetricName::MacroF1,
            inner_k: 3,
            groups: None,
            favg: None,
        };
        // Two training rows could never make inner folds; one candidate needs none.
        let (choice, _, c) = tune_on(&cands, &ds, &[0, 1], &settings, ("x", 0), &[0], "f").unwrap();
        assert_eq!(choice.inner_folds, 0);
        assert_eq!(c.spec(), clf.candidates()[0].1.spec());
    }

    #[test]
    fn grouped_inner_folds_never_split_a_group() {
        let labels: Vec<usize> = (0..12).map(|i| i % 2).collect();
        let groups: Vec<String> = (0..12).map(|i| format!("g{}", i / 3)).collect();
        let s = Settings {
            seed: 3,
            headline: MetricName::Accuracy,
            inner_k: 3,
            groups: Some(groups.clone()),
            favg: None,
        };
        let rows: Vec<usize> = (0..12).collect();
        for (tr, va) in inner_folds(&rows, &labels, 2, &s, &[0]).unwrap() {
            for v in &va {
                assert!(tr.iter().all(|t| groups[*t] != groups[*v]));
            }
        }
    }
}
