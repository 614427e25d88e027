//! The parallel grid: per task (one fold, one training fraction, one variant or the baselines) fit the feature set
//! on the fold's training rows only, transform both sides with the fitted set, fit every classifier and predict the
//! test rows. Output: every cell's out-of-fold predictions. A configuration with parameters given as lists is first
//! tuned by an inner cross-validation on the fold's training rows ([`super::tune`]).
//!
//! Tasks run on rayon; results are collected in task order (rayon's `collect` preserves it) and every random draw
//! is seeded by its coordinates, so the output is identical for any thread count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;
use stance_features::FeatureMatrix;

use super::fit::fit_transform;
use super::oof::OutOfFold;
use super::plan::{Cell, Plan, Task};
use super::splits::{describe, Fold};
use super::stats::{derive_seed, fit_seed, rng_for};
use super::store::{fold_of_new, Probabilities};
use super::tune;
use super::EvalError;
use stance_core::spill::SpillError;
use stance_corpus::sample::stratified_subset;
use stance_corpus::Dataset;
use stance_features::Extracted;
use stance_models::Prediction;

pub(crate) const SUBSAMPLE_TAG: u64 = 0x1C0;
const FIT_TAG: u64 = 0xF17;

/// What the grid produced for every cell, in cell order.
#[derive(Debug)]
pub struct GridOutput {
    /// Out-of-fold predicted classes per cell.
    pub oof: Vec<OutOfFold>,
    /// Per (repeat, item), the fold that tested it (the same for every cell).
    pub(crate) fold_of: Vec<u32>,
    /// The predictions' class probabilities.
    pub proba: Probabilities,
    /// Feature counts per cell, one per fold.
    pub n_features: Vec<Vec<usize>>,
    /// Training-set sizes per cell, one per fold.
    pub train_sizes: Vec<Vec<usize>>,
    /// Summed fit + predict seconds per cell (feature fitting shared evenly among a task's models).
    pub seconds: Vec<f64>,
    /// CPU seconds summed over tasks: fitting and applying feature sets, fitting models, predicting.
    pub stage_seconds: StageSeconds,
    /// Per cell, what nested tuning chose on each outer training fold, as (repeat, fold, choice) in task order;
    /// empty for untuned cells.
    pub tuning: Vec<Vec<(usize, usize, tune::Choice)>>,
}

/// CPU seconds of the grid's stages, summed over tasks (so over threads too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StageSeconds {
    /// Fitting feature sets on training folds and transforming both sides.
    pub features: f64,
    /// Fitting classifiers.
    pub fit: f64,
    /// Predicting test folds.
    pub predict: f64,
}

/// A feature set's column count and its training and test matrices on one fold.
type OuterMatrices = (usize, FeatureMatrix, FeatureMatrix);

/// One cell's output in one task.
///
/// Serialisable because a shard file (`stance run --shard`) carries these to `stance merge`: a field added here
/// travels through shards with no other change, and must round-trip exactly (f64s do, through serde_json).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellOutput {
    /// Index into the plan's cells.
    pub cell: usize,
    /// (item index, prediction) for every test row of the fold, in the fold's test order.
    pub predictions: Vec<(usize, Prediction)>,
    /// Features the fitted feature set produced (0 for baselines).
    pub n_features: usize,
    /// Fit + predict seconds, plus the task's feature seconds shared evenly among its models (timings only).
    pub seconds: f64,
    /// The same seconds by stage (timings only).
    pub stages: StageSeconds,
    /// What nested tuning chose on this training fold, for tuned configurations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<tune::Choice>,
}

/// What one task produced: the unit a shard runs and a merge reassembles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskOutput {
    /// Index into `plan.tasks(n_folds)`.
    pub task: usize,
    /// Training rows the task fitted on (after subsampling on learning curves).
    pub train_size: usize,
    /// Each of the task's cells, in cell order.
    pub cells: Vec<CellOutput>,
}

/// Runs every task and gathers the predictions per cell. `progress` is called with (done, total).
pub fn run_grid(
    plan: &Plan,
    cells: &[Cell],
    ds: &Dataset,
    folds: &[Fold],
    extractions: &[Option<Extracted>],
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<GridOutput, EvalError> {
    let all: Vec<usize> = (0..plan.tasks(folds.len()).len()).collect();
    let outputs = run_tasks(plan, cells, ds, folds, extractions, &all, progress)?;
    let proba = GridBuilder::probabilities(cells.len(), ds, folds, false)?;
    let mut grid = GridBuilder::new(plan, cells.len(), ds, folds, proba);
    for out in outputs {
        grid.add(out)?;
    }
    Ok(grid.finish())
}

/// Runs the tasks with these indices into `plan.tasks(folds.len())` (a shard's share, or all of them); returns
/// their outputs in the order given. `progress` is called with (done, total) over these tasks.
pub fn run_tasks(
    plan: &Plan,
    cells: &[Cell],
    ds: &Dataset,
    folds: &[Fold],
    extractions: &[Option<Extracted>],
    which: &[usize],
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Vec<TaskOutput>, EvalError> {
    let tasks = plan.tasks(folds.len());
    let done = AtomicUsize::new(0);
    let run = |ti: usize| -> Result<TaskOutput, EvalError> {
        let (train_size, cells) = run_task(plan, cells, ds, folds, extractions, &tasks[ti])?;
        let now = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(p) = progress {
            p(now, which.len());
        }
        Ok(TaskOutput {
            task: ti,
            train_size,
            cells,
        })
    };
    // Largest first from one shared queue, each thread taking the next task when it is free. Why: the tasks'
    // sizes differ by an order of magnitude (a fold of character n-grams with three classifiers against one of
    // unigrams), and splitting the list in task order left the largest for last, with one thread finishing them
    // while the other waited (0.6–0.9 s of an 8 s grid at `--jobs 2`). Every task is seeded by its coordinates,
    // so the order in which they run changes no output.
    let cost = |ti: usize| {
        let t = &tasks[ti];
        let size = t
            .variant
            .and_then(|v| extractions[v].as_ref())
            .map_or(0, Extracted::size);
        let fits = cells.iter().filter(|c| c.in_task(t)).count();
        size.saturating_mul(fits)
    };
    let mut order: Vec<usize> = (0..which.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(cost(which[k])));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<TaskOutput, EvalError>>>> =
        which.iter().map(|_| Mutex::new(None)).collect();
    let workers = rayon::current_num_threads().min(which.len());
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&pos) = order.get(k) else { break };
                let out = run(which[pos]);
                *slots[pos].lock().unwrap_or_else(PoisonError::into_inner) = Some(out);
            });
        }
    });
    // Returned in the order asked, and the first error in that order: which task failed first in time would
    // change with the thread count.
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .expect("every task ran")
        })
        .collect()
}

/// What a task's output leaves once its predictions are placed: the small per-cell values whose lists and sums
/// are formed in task order.
#[derive(Debug)]
struct TaskMeta {
    train_size: usize,
    cells: Vec<CellMeta>,
}

#[derive(Debug)]
struct CellMeta {
    cell: usize,
    n_features: usize,
    seconds: f64,
    stages: StageSeconds,
    tuning: Option<tune::Choice>,
}

/// Gathers task outputs, given in any order, into the grid's per-cell results: each prediction goes straight to
/// its place (its class into the cell's [`OutOfFold`], its probabilities into [`Probabilities`]), and what is
/// formed in order (per-cell lists, sums of seconds) waits for [`GridBuilder::finish`], which forms it in task
/// order. So a merge that feeds shard after shard gives the grid a single run gives, while holding no more of
/// the predictions than their classes.
#[derive(Debug)]
pub struct GridBuilder {
    /// Per task: its fold's (repeat, index) in the fitted folds.
    task_folds: Vec<(usize, usize)>,
    n_items: usize,
    oof: Vec<OutOfFold>,
    fold_of: Vec<u32>,
    proba: Probabilities,
    meta: Vec<Option<TaskMeta>>,
}

impl GridBuilder {
    /// An empty grid of `cells` over the tasks of `plan.tasks(folds.len())`, keeping probabilities in `proba`
    /// (see [`GridBuilder::probabilities`]).
    pub fn new(
        plan: &Plan,
        n_cells: usize,
        ds: &Dataset,
        folds: &[Fold],
        proba: Probabilities,
    ) -> GridBuilder {
        let n = ds.items.len();
        let repeats = repeats_of(folds);
        let tasks = plan.tasks(folds.len());
        GridBuilder {
            task_folds: tasks
                .iter()
                .map(|t| (folds[t.fold].repeat, folds[t.fold].index))
                .collect(),
            n_items: n,
            oof: (0..n_cells)
                .map(|_| OutOfFold::empty(n, repeats, ds.classes.len()))
                .collect(),
            fold_of: fold_of_new(repeats, n),
            proba,
            meta: (0..tasks.len()).map(|_| None).collect(),
        }
    }

    /// Where the probabilities of `n_cells` cells on these folds are kept: in memory, or with `spill` in a spill
    /// file.
    pub fn probabilities(
        n_cells: usize,
        ds: &Dataset,
        folds: &[Fold],
        spill: bool,
    ) -> Result<Probabilities, SpillError> {
        let (r, n, k) = (repeats_of(folds), ds.items.len(), ds.classes.len());
        if spill {
            Probabilities::spilled(n_cells, r, n, k)
        } else {
            Ok(Probabilities::in_memory(n_cells, r, n, k))
        }
    }

    /// Whether task `task` has been added.
    pub fn has(&self, task: usize) -> bool {
        self.meta.get(task).is_some_and(Option::is_some)
    }

    /// The tasks not added yet.
    pub fn missing(&self) -> Vec<usize> {
        (0..self.meta.len()).filter(|&t| !self.has(t)).collect()
    }

    /// Places one task's output. It must fit its task (cells, rows, classes: [`super::partition`] checks outputs
    /// that come from files) and not have been added before.
    pub fn add(&mut self, out: TaskOutput) -> Result<(), SpillError> {
        let (repeat, fold) = self.task_folds[out.task];
        let n = self.n_items;
        let mut cells = Vec::with_capacity(out.cells.len());
        for r in out.cells {
            let oof = &mut self.oof[r.cell];
            for (item, p) in &r.predictions {
                oof.set(repeat, *item, p.class, p.tied);
                self.fold_of[repeat * n + item] = fold as u32;
            }
            self.proba.put(r.cell, repeat, &r.predictions)?;
            cells.push(CellMeta {
                cell: r.cell,
                n_features: r.n_features,
                seconds: r.seconds,
                stages: r.stages,
                tuning: r.tuning,
            });
        }
        self.meta[out.task] = Some(TaskMeta {
            train_size: out.train_size,
            cells,
        });
        Ok(())
    }

    /// The grid: per-cell lists and sums formed in task order, as a single run forms them.
    pub fn finish(self) -> GridOutput {
        let n_cells = self.oof.len();
        let mut n_features = vec![Vec::new(); n_cells];
        let mut train_sizes = vec![Vec::new(); n_cells];
        let mut seconds = vec![0.0; n_cells];
        let mut stage_seconds = StageSeconds::default();
        let mut tuning = vec![Vec::new(); n_cells];
        for (task, meta) in self.meta.into_iter().enumerate() {
            let Some(meta) = meta else { continue };
            let (repeat, fold) = self.task_folds[task];
            for r in meta.cells {
                n_features[r.cell].push(r.n_features);
                train_sizes[r.cell].push(meta.train_size);
                seconds[r.cell] += r.seconds;
                stage_seconds.features += r.stages.features;
                stage_seconds.fit += r.stages.fit;
                stage_seconds.predict += r.stages.predict;
                if let Some(choice) = r.tuning {
                    tuning[r.cell].push((repeat, fold, choice));
                }
            }
        }
        GridOutput {
            oof: self.oof,
            fold_of: self.fold_of,
            proba: self.proba,
            n_features,
            train_sizes,
            seconds,
            stage_seconds,
            tuning,
        }
    }
}

/// Repeats of a scheme's folds.
fn repeats_of(folds: &[Fold]) -> usize {
    folds.iter().map(|f| f.repeat).max().map_or(1, |r| r + 1)
}

/// Every variant's extraction of all items (tokenised and interned once per run, see [`Extracted`]); `None` for
/// sets that mask holders, which are extracted per fold.
pub fn extract_all(plan: &Plan, ds: &Dataset) -> Result<Vec<Option<Extracted>>, EvalError> {
    extract_some(plan, ds, &vec![true; plan.variants.len()])
}

/// Like [`extract_all`] for the variants marked in `wanted` only (`None` for the others): a shard extracts just
/// the variants its tasks fit.
pub fn extract_some(
    plan: &Plan,
    ds: &Dataset,
    wanted: &[bool],
) -> Result<Vec<Option<Extracted>>, EvalError> {
    let texts: Vec<&str> = ds.items.iter().map(|i| i.text.as_str()).collect();
    let ids: Vec<&str> = ds.items.iter().map(|i| i.id.as_str()).collect();
    plan.variants
        .par_iter()
        .zip(wanted)
        .map(|(v, &w)| {
            if !w {
                return Ok(None);
            }
            v.features
                .extract(&ids, &texts)
                .map_err(|source| EvalError::Feature {
                    config: v.features.spec().name.clone(),
                    source,
                })
        })
        .collect()
}

/// One task: returns the training-set size and each of its cells' predictions.
fn run_task(
    plan: &Plan,
    cells: &[Cell],
    ds: &Dataset,
    folds: &[Fold],
    extractions: &[Option<Extracted>],
    task: &Task,
) -> Result<(usize, Vec<CellOutput>), EvalError> {
    let fold = &folds[task.fold];
    let labels = ds.labels();
    let k = ds.classes.len();
    let train = subsample(
        &fold.train,
        &labels,
        k,
        plan.fractions()[task.fraction],
        plan.seed,
        &[
            SUBSAMPLE_TAG,
            fold.repeat as u64,
            fold.index as u64,
            task.fraction as u64,
        ],
    );
    let y: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
    // (cell, classifier) for every cell this task fits; outside systems belong to no task.
    let mine: Vec<(usize, usize)> = cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.in_task(task))
        .filter_map(|(ci, c)| c.fitted().map(|(_, clf)| (ci, clf)))
        .collect();
    let model_error = |ci: usize| {
        let id = cells[ci].id.clone();
        move |source| EvalError::Model {
            config: id,
            fold: describe(fold),
            source,
        }
    };
    let mut out = Vec::new();
    match task.variant {
        Some(v) => {
            let fs = &plan.variants[v].features;
            let ex = extractions[v].as_ref();
            let feature_error = |source| EvalError::Feature {
                config: fs.spec().name.clone(),
                source,
            };
            let t0 = Instant::now();
            // A tuned feature set has no shared matrices: each configuration fits the candidate it chose.
            let shared = if fs.is_tuned() {
                None
            } else {
                Some(fit_transform(fs, ex, ds, &train, &fold.test).map_err(feature_error)?)
            };
            let feature_seconds = t0.elapsed().as_secs_f64();
            let share = feature_seconds / mine.len().max(1) as f64;
            let settings = if mine.iter().any(|&(ci, _)| plan.is_tuned(&cells[ci])) {
                Some(tune::Settings::of(plan, ds)?)
            } else {
                None
            };
            let coords = [fold.repeat as u64, fold.index as u64, task.fraction as u64];
            let mut inner: Option<tune::InnerCv> = None;
            // Per feature candidate: its column count and outer train/test matrices, once a configuration chose it.
            let mut outer: Vec<Option<OuterMatrices>> = vec![None; fs.candidates().len()];
            for &(ci, c) in &mine {
                let clf = &plan.classifiers[c];
                let t1 = Instant::now();
                let (choice, model, (n_features, x_train, x_test)) = match &settings {
                    Some(settings) if plan.is_tuned(&cells[ci]) => {
                        let cands = tune::Candidates::of(fs, ex, clf);
                        let choice = choose(
                            &mut inner,
                            &cands,
                            (&train, &coords),
                            ds,
                            settings,
                            tune::config_key(&fs.spec().name, clf.name()),
                            (&cells[ci].id, fold),
                        )?;
                        let (f, c) = cands.split(choice.candidate);
                        let mats = match &shared {
                            Some((fitted, a, b)) => (fitted.n_features(), a, b),
                            None => {
                                if outer[f].is_none() {
                                    let (cfs, cex) = cands.features[f];
                                    let (fitted, a, b) =
                                        fit_transform(cfs, cex, ds, &train, &fold.test)
                                            .map_err(feature_error)?;
                                    outer[f] = Some((fitted.n_features(), a, b));
                                }
                                let (n, a, b) = outer[f].as_ref().expect("filled above");
                                (*n, a, b)
                            }
                        };
                        (Some(choice), cands.classifiers[c], mats)
                    }
                    _ => {
                        let (fitted, a, b) = shared.as_ref().expect("untuned sets share matrices");
                        (None, clf, (fitted.n_features(), a, b))
                    }
                };
                let model = model
                    .fit(x_train.view(), &y, k, fit_seed(plan.seed ^ (ci as u64)))
                    .map_err(model_error(ci))?;
                let fit = t1.elapsed().as_secs_f64();
                let t2 = Instant::now();
                let preds = model.predict(x_test.view());
                let predict = t2.elapsed().as_secs_f64();
                out.push(CellOutput {
                    cell: ci,
                    predictions: fold.test.iter().copied().zip(preds).collect(),
                    n_features,
                    seconds: fit + predict + share,
                    stages: StageSeconds {
                        features: share,
                        fit,
                        predict,
                    },
                    tuning: choice,
                });
            }
        }
        None => out = run_baselines(plan, cells, &mine, fold, &y, k, train.len())?,
    }
    Ok((train.len(), out))
}

/// The candidate nested tuning picks for one configuration on this task's training rows; the inner folds are built
/// once per task, on first use, and shared by its tuned configurations.
fn choose(
    inner: &mut Option<tune::InnerCv>,
    cands: &tune::Candidates<'_>,
    (train, coords): (&[usize], &[u64]),
    ds: &Dataset,
    settings: &tune::Settings,
    key: u64,
    (config, fold): (&str, &Fold),
) -> Result<tune::Choice, EvalError> {
    if cands.len() == 1 {
        return Ok(tune::Choice {
            candidate: 0,
            inner_scores: Vec::new(),
            inner_folds: 0,
        });
    }
    if inner.is_none() {
        *inner = Some(
            tune::InnerCv::new(train, ds, settings, cands.features.len(), coords).map_err(
                |message| EvalError::Tuning {
                    config: config.to_string(),
                    fold: describe(fold),
                    message,
                },
            )?,
        );
    }
    inner
        .as_mut()
        .expect("set above")
        .choose(cands, ds, settings, key)
        .map_err(|e| e.into_eval(config, &describe(fold)))
}

/// The baselines of one task: fitted on the training labels alone (no features), each seeded by its coordinates.
fn run_baselines(
    plan: &Plan,
    cells: &[Cell],
    mine: &[(usize, usize)],
    fold: &Fold,
    y: &[usize],
    k: usize,
    n_train: usize,
) -> Result<Vec<CellOutput>, EvalError> {
    let x_train = FeatureMatrix::sparse(CsMat::zero((n_train, 0)));
    let x_test = FeatureMatrix::sparse(CsMat::zero((fold.test.len(), 0)));
    let mut out = Vec::new();
    for &(ci, c) in mine {
        let t1 = Instant::now();
        let seed = fit_seed(derive_seed(
            plan.seed,
            &[FIT_TAG, ci as u64, fold.repeat as u64, fold.index as u64],
        ));
        let model = plan.classifiers[c]
            .fit(x_train.view(), y, k, seed)
            .map_err(|source| EvalError::Model {
                config: cells[ci].id.clone(),
                fold: describe(fold),
                source,
            })?;
        let preds = model.predict(x_test.view());
        let seconds = t1.elapsed().as_secs_f64();
        out.push(CellOutput {
            cell: ci,
            predictions: fold.test.iter().copied().zip(preds).collect(),
            n_features: 0,
            seconds,
            stages: StageSeconds {
                fit: seconds,
                ..StageSeconds::default()
            },
            tuning: None,
        });
    }
    Ok(out)
}

/// A stratified subsample of training rows: per class `max(1, round(f · n_c))`, seeded by the fold
/// ([`stance_corpus::sample::stratified_subset`]).
pub fn subsample(
    train: &[usize],
    labels: &[usize],
    n_classes: usize,
    f: f64,
    seed: u64,
    coords: &[u64],
) -> Vec<usize> {
    if f >= 1.0 {
        return train.to_vec();
    }
    let mut rng = rng_for(seed, coords);
    stratified_subset(train, labels, n_classes, |len| len as f64 * f, &mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::fit_on_rows;
    use crate::splits::stratified_kfold;
    use proptest::prelude::*;
    use stance_corpus::Item;
    use stance_features::FeatureSetSpec;
    use std::collections::BTreeMap;

    fn dataset(n: usize) -> Dataset {
        let items = (0..n)
            .map(|i| Item {
                id: format!("i{i}"),
                // Every item has a token no other item has ("uniq<i>q") beside shared vocabulary.
                text: format!("we must not lift uniq{i}q the restrictions"),
                label: i % 2,
                doc: None,
                holder: Some(format!("Holder Name{i}")),
                group: None,
                split: None,
            })
            .collect();
        Dataset {
            classes: vec!["support".into(), "oppose".into()],
            items,
            input_hashes: BTreeMap::new(),
        }
    }

    proptest! {
        /// The leakage guarantee: for every fold, nothing learned from text (vocabulary, negated words, holder
        /// names) comes from a test row; and every training row's own token is learned.
        #[test]
        fn no_test_fold_token_reaches_a_fitted_vocabulary(n in 6usize..30, k in 2usize..4, seed in any::<u64>()) {
            let ds = dataset(n);
            let spec: FeatureSetSpec = toml::from_str(
                "name = 'all'\nmask_holders = true\nextractors = [{ type = 'word-ngrams', ngram = [1, 2] }, \
                 { type = 'negation' }, { type = 'lexicon' }, { type = 'shape' }]",
            ).unwrap();
            let fs = spec.check().unwrap();
            for fold in stratified_kfold(&ds.labels(), 2, k, 0, seed) {
                let fitted = fit_on_rows(&fs, &ds, &fold.train).unwrap();
                let vocab = fitted.vocabulary();
                for &t in &fold.test {
                    let token = format!("uniq{t}q");
                    prop_assert!(!vocab.iter().any(|v| v.contains(&token)), "test token {} leaked", token);
                    let name = format!("Name{t}");
                    prop_assert!(!fitted.masker().unwrap().names().contains(&name), "holder {} leaked", name);
                }
                for &r in &fold.train {
                    let token = format!("uniq{r}q");
                    prop_assert!(vocab.iter().any(|v| v == &token), "training token {} missing", token);
                }
            }
        }
    }
}
