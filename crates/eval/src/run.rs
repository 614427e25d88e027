//! The evaluation stage end to end: folds → grid → out-of-fold scores → bootstrap → comparisons → views → refits,
//! assembled into a [`RunOutput`]: the [`Run`] (the results, as `report.json` holds them), the behavioural results
//! and the stage timings. Each step is its own module; this one only sequences them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::bootstrap::{Replicates, Scoring, Slot, CONFIDENCE_LEVEL};
use super::compare::{self, Evidence, Warning};
use super::grid::{extract_all, run_grid, GridOutput};
use super::metrics::{score_with, MetricName, Scores};
use super::permutation::Pairing;
use super::plan::{Cell, Clusters, Kind, Learner, Plan};
use super::results::*;
use super::splits::{describe, groups_of, make_folds, per_group_folds, Fold, GroupBy};
use super::stats::ClusterBootstrap;
use super::store::{Predictions, SharedPredictions};
use super::{explain, scores, tune, views, EvalError};
use stance_behaviour::run::CaseResult;
use stance_corpus::Dataset;
use stance_features::Extracted;
use stance_models::ClassifierKind;

/// Run-time options that do not change results.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Called with (tasks done, tasks total) as the grid progresses.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// Everything the evaluation stage measured, as `report.json` holds it (the report adds what identifies the run and
/// the behavioural summaries, and serialises these fields in place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// How the evaluation was run.
    pub evaluation: EvaluationInfo,
    /// Items, in data order.
    pub items: Vec<ItemRecord>,
    /// Folds, in order.
    pub folds: Vec<FoldRecord>,
    /// Configurations, in grid order.
    pub configs: Vec<ConfigResult>,
    /// Configuration ids by headline, best first.
    pub leaderboard: Vec<String>,
    /// The best non-baseline configuration.
    pub best: String,
    /// Every other ranked configuration against the best.
    pub comparisons: Vec<Comparison>,
    /// What the data can resolve.
    pub power: Power,
    /// Ablation rows (ablation runs).
    pub ablation: Option<Vec<AblationRow>>,
    /// Learning-curve points (learning-curve runs).
    pub learning_curve: Option<Vec<LearningPoint>>,
    /// Things a reader should know (small classes, folds missing a class, …), as sentences.
    pub warnings: Vec<String>,
}

/// What [`run`] returns: the results, the behavioural results they were summarised from, and the stage timings.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The results.
    pub run: Run,
    /// Behavioural test results per refitted configuration (configuration id, results), in grid order.
    pub behaviour: Vec<(String, Vec<CaseResult>)>,
    /// The out-of-fold predictions of a run with more than [`MAX_JSON_PREDICTIONS`] (whose configurations then
    /// hold none): compact classes, probabilities in memory or a spill file. `None`: they are in the results.
    pub predictions: Option<SharedPredictions>,
    /// Wall-clock time per stage (not part of the results).
    pub timings: StageTimings,
}

/// Wall-clock seconds of the evaluation's stages.
#[derive(Debug, Clone, Default)]
pub struct StageTimings {
    /// Tokenising and interning every item once per feature set.
    pub extract_seconds: f64,
    /// Cross-validation grid (wall clock).
    pub grid_seconds: f64,
    /// The grid's CPU seconds by stage, summed over threads.
    pub grid_stages: super::grid::StageSeconds,
    /// Bootstrap and tests.
    pub statistics_seconds: f64,
    /// Refits for top features.
    pub refit_seconds: f64,
    /// Summed fit + predict seconds per configuration.
    pub per_config_seconds: BTreeMap<String, f64>,
}

/// Runs a plan on a dataset.
pub fn run(plan: &Plan, ds: &Dataset, opts: &RunOptions<'_>) -> Result<RunOutput, EvalError> {
    let prepared = prepare(plan, ds)?;
    let cells = plan.cells();
    let started = Instant::now();
    let extractions = extract_all(plan, ds)?;
    let extract_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let grid = run_grid(
        plan,
        &cells,
        ds,
        prepared.fit_folds(),
        &extractions,
        opts.progress,
    )?;
    let grid_seconds = started.elapsed().as_secs_f64();
    let times = GridTimes {
        extract_seconds,
        grid_seconds,
    };
    finish(plan, ds, prepared, &extractions, grid, times)
}

/// Wall-clock seconds of the stages before [`finish`] (timings only).
#[derive(Debug, Clone, Copy, Default)]
pub struct GridTimes {
    /// Tokenising and interning every item once per feature set.
    pub extract_seconds: f64,
    /// The cross-validation grid.
    pub grid_seconds: f64,
}

/// The run's folds and the warnings about them.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The scheme's folds: what is scored per fold and recorded.
    pub folds: Vec<Fold>,
    /// For per-group runs, every fold split by group: the splits models are fitted on (see
    /// [`per_group_folds`]). `None`: models are fitted on [`Prepared::folds`].
    pub model_folds: Option<Vec<Fold>>,
    /// What a reader should know about the folds.
    pub warnings: Vec<Warning>,
}

impl Prepared {
    /// The splits the grid fits models on (its tasks index these).
    pub fn fit_folds(&self) -> &[Fold] {
        self.model_folds.as_deref().unwrap_or(&self.folds)
    }
}

/// The run's folds and the warnings about them: the first step of every run, whole or sharded (a shard and the
/// merge both need the folds, and a fold that cannot be trained on stops a shard as early as a whole run).
pub fn prepare(plan: &Plan, ds: &Dataset) -> Result<Prepared, EvalError> {
    let folds = make_folds(&plan.split, ds, plan.seed)?;
    // Per-group runs fit one model per group within each fold; everything scored stays keyed by the outer folds.
    let model_folds = match plan.per_group {
        Some(by) => Some(per_group_folds(&folds, &groups_of(ds, by)?)?),
        None => None,
    };
    let warnings = check_folds(model_folds.as_deref().unwrap_or(&folds), ds)?;
    Ok(Prepared {
        folds,
        model_folds,
        warnings,
    })
}

/// Outside systems' out-of-fold predictions (and class probabilities) placed in `grid` beside the fitted cells'.
fn add_systems(
    plan: &Plan,
    cells: &[Cell],
    folds: &[Fold],
    ds: &Dataset,
    grid: &mut GridOutput,
) -> Result<(), EvalError> {
    for (ci, cell) in cells.iter().enumerate() {
        if let Learner::System { system } = cell.learner {
            let sys = &plan.systems[system];
            grid.oof[ci] = sys.out_of_fold(folds, ds.items.len(), ds.classes.len())?;
            sys.put_probabilities(folds, ci, &mut grid.proba)?;
        }
    }
    Ok(())
}

/// Each configuration's headline score on each fold.
fn headlines_of(fold_scores: &[Vec<SplitScore>], headline: MetricName) -> Vec<Vec<f64>> {
    fold_scores
        .iter()
        .map(|fs| {
            fs.iter()
                .map(|s| s.metrics.get(&headline).copied().unwrap_or(0.0))
                .collect()
        })
        .collect()
}

/// Where the run's predictions stay until the report is written: a run small enough for report.json carries them
/// in its results, as it always has; a larger one leaves them in the store (returned), from which the report
/// writes its predictions file.
fn hold_predictions(
    store: Predictions,
    results: &mut [ConfigResult],
) -> Result<Option<SharedPredictions>, EvalError> {
    if store.count() <= MAX_JSON_PREDICTIONS {
        for (ci, r) in results.iter_mut().enumerate() {
            r.predictions = store.all_records(ci)?;
        }
        Ok(None)
    } else {
        Ok(Some(SharedPredictions(Arc::new(store))))
    }
}

/// Everything after the grid: scores, bootstrap, comparisons, refits on all items, views. `grid` is the whole
/// grid's output (from [`run_grid`], or reassembled from shards), `extractions` those of [`extract_all`].
pub fn finish(
    plan: &Plan,
    ds: &Dataset,
    prepared: Prepared,
    extractions: &[Option<Extracted>],
    grid: GridOutput,
    times: GridTimes,
) -> Result<RunOutput, EvalError> {
    let Prepared {
        folds,
        model_folds,
        mut warnings,
    } = prepared;
    let folds = &folds[..];
    let cells = plan.cells();
    let started = Instant::now();
    let mut grid = grid;
    add_systems(plan, &cells, folds, ds, &mut grid)?;
    let gold = ds.labels();
    let evaluated: Vec<usize> = (0..ds.items.len())
        .filter(|&i| grid.oof.iter().any(|o| o.times_tested(i) > 0))
        .collect();
    let favg = plan.favg_indices(&ds.classes);
    let metrics: Vec<MetricName> = MetricName::ALL
        .into_iter()
        .filter(|m| *m != MetricName::FAvg || !favg.is_empty())
        .collect();
    let scoring = Scoring {
        gold: &gold,
        evaluated: &evaluated,
        classes: &ds.classes,
        metrics: &metrics,
        favg: &favg,
    };
    let points: Vec<Scores> = grid
        .oof
        .iter()
        .map(|o| {
            score_with(
                &o.pooled_confusion(&gold, &evaluated, None),
                &ds.classes,
                &favg,
            )
        })
        .collect();
    let (ranked, best) = compare::rank(&cells, &points, plan.headline);
    let (unit, units) = clusters(plan, ds, &evaluated);
    let boot = ClusterBootstrap::new(units.clone(), ds.items.len(), plan.seed);
    let replicates = Replicates::draw(&boot, plan.bootstrap, &grid.oof, &scoring);
    let fold_scores: Vec<Vec<SplitScore>> = grid
        .oof
        .iter()
        .map(|o| scores::per_fold(o, folds, &gold, &ds.classes, &favg, &metrics))
        .collect();
    let fold_headlines = headlines_of(&fold_scores, plan.headline);
    let ev = Evidence {
        cells: &cells,
        oof: &grid.oof,
        gold: &gold,
        points: &points,
        replicates: &replicates,
        headline: plan.headline,
        fold_headlines: &fold_headlines,
        fold_sizes: plan
            .split
            .k()
            .map(|_| compared_fold_sizes(folds, &grid.train_sizes[best])),
        pairing: Pairing {
            gold: &gold,
            units: &units,
            classes: &ds.classes,
            favg: &favg,
        },
        seed: plan.seed,
    };
    let comparisons = compare::against_best(&ev, &ranked, best, plan.alpha);
    let class_counts: Vec<usize> = (0..ds.classes.len())
        .map(|c| evaluated.iter().filter(|&&i| gold[i] == c).count())
        .collect();
    let mut results = config_results(
        plan,
        &cells,
        &grid,
        &scoring,
        &points,
        &replicates,
        &class_counts,
    );
    add_part_scores(plan, &cells, &grid, &scoring, fold_scores, ds, &mut results);
    let statistics_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let behaviour = explain_all(plan, &cells, ds, extractions, best, &mut results)?;
    let refit_seconds = started.elapsed().as_secs_f64();

    let ablation = (plan.kind == Kind::Ablation).then(|| views::ablation(plan, &ev, &results));
    let learning_curve = matches!(plan.kind, Kind::LearningCurve { .. })
        .then(|| views::learning_curve(plan, &cells, &results, &grid.train_sizes));
    // The power statement is statistics too, though it reads the results after the refit.
    let started = Instant::now();
    let (power, more): (Power, _) =
        compare::power(&ev, &results, &ranked, best, &class_counts, plan.alpha);
    let statistics_seconds = statistics_seconds + started.elapsed().as_secs_f64();
    warnings.extend(more);
    let mut warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    warnings.extend(word_vector_coverage(plan, ds));
    warnings.extend(ignored_system_rows(plan));
    let power = Power {
        headline_difference_halfwidth: compare::difference_halfwidth(&comparisons),
        ..power
    };
    let mut per_config_seconds = BTreeMap::new();
    for (cell, secs) in cells.iter().zip(&grid.seconds) {
        *per_config_seconds.entry(cell.id.clone()).or_default() += secs;
    }
    let predictions = hold_predictions(
        Predictions::new(grid.oof, grid.fold_of, grid.proba),
        &mut results,
    )?;
    let run = Run {
        evaluation: EvaluationInfo {
            per_group: plan
                .per_group
                .zip(model_folds.as_deref())
                .map(|(by, mf)| per_group_models(by, mf)),
            ..evaluation_info(plan, folds, &boot, unit)
        },
        items: item_records(ds),
        folds: folds.iter().map(fold_record).collect(),
        leaderboard: ranked.iter().map(|&ci| cells[ci].id.clone()).collect(),
        best: cells[best].id.clone(),
        configs: results,
        comparisons,
        power,
        ablation,
        learning_curve,
        warnings,
    };
    Ok(RunOutput {
        run,
        behaviour,
        predictions,
        timings: StageTimings {
            extract_seconds: times.extract_seconds,
            grid_seconds: times.grid_seconds,
            grid_stages: grid.stage_seconds,
            statistics_seconds,
            refit_seconds,
            per_config_seconds,
        },
    })
}

/// Refits on all items what the report reads ([`explain::to_refit`]): top features for the configurations
/// `[report] top_features` names, tuning choices on all items for those, behavioural tests for every
/// configuration when there are cases; returns the behavioural results per configuration. A per-group run has no
/// single model to explain: its refit would not be any of the models it scored, so it refits nothing.
fn explain_all(
    plan: &Plan,
    cells: &[Cell],
    ds: &Dataset,
    extractions: &[Option<Extracted>],
    best: usize,
    results: &mut [ConfigResult],
) -> Result<Vec<(String, Vec<CaseResult>)>, EvalError> {
    let refits = if plan.per_group.is_some() {
        Vec::new()
    } else {
        let which = explain::to_refit(plan, cells, best);
        explain::refit(plan, cells, ds, extractions, &which)?
    };
    let mut behaviour = Vec::new();
    for (ci, top, cases, choice) in refits {
        if explain::explained(plan, cells, best, ci) {
            results[ci].top_features = top;
        }
        if let (Some(t), Some(c)) = (results[ci].tuning.as_mut(), choice) {
            t.refit = Some(tune::choice_record(&t.candidates, None, &c));
        }
        if !cases.is_empty() {
            behaviour.push((cells[ci].id.clone(), cases));
        }
    }
    // Outside systems are not refitted: a command labelled the cases' texts itself, a predictions file skips them.
    if !plan.behaviour.is_empty() {
        for cell in cells {
            if let Learner::System { system } = cell.learner {
                let cases = plan.systems[system].behaviour(&plan.behaviour, &ds.classes)?;
                behaviour.push((cell.id.clone(), cases));
            }
        }
    }
    Ok(behaviour)
}

/// For each outside system whose predictions file has rows for ids that are not items of this run: how many were
/// ignored (they are usually items `data.classes` or `data.sample` left out, but may be misspelt ids).
fn ignored_system_rows(plan: &Plan) -> Vec<String> {
    plan.systems
        .iter()
        .filter_map(|s| Some((s, s.answers.as_ref()?.ignored)))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| {
            format!(
                "system '{}': {n} row(s) of its {} name ids that are not items of this run (left out by \
                 data.classes, data.unit, data.sample or the fixed split's training side, or misspelt) and were \
                 ignored",
                s.name,
                s.source.describe()
            )
        })
        .collect()
}

/// For each feature set with static word vectors: how many of the items' words its vectors file lacks (they add
/// nothing to a statement's row, so a high share means the vectors barely describe the data).
fn word_vector_coverage(plan: &Plan, ds: &Dataset) -> Vec<String> {
    let texts: Vec<&str> = ds.items.iter().map(|i| i.text.as_str()).collect();
    let mut out = Vec::new();
    for v in &plan.variants {
        for (path, known, total) in v.features.word_vector_coverage(&texts) {
            let missing = total - known;
            out.push(format!(
                "feature set '{}': {missing} of the data's {total} words ({:.1}%) are out of vocabulary in {} and \
                 contribute nothing to their statements' rows",
                v.features.spec().name,
                100.0 * missing as f64 / total.max(1) as f64,
                path.display()
            ));
        }
    }
    out
}

/// How a per-group run trained its models: the grouping, the distinct groups that got a model, and the models
/// per configuration.
fn per_group_models(by: GroupBy, model_folds: &[Fold]) -> PerGroupModels {
    PerGroupModels {
        by,
        groups: model_folds
            .iter()
            .filter_map(|f| f.model_group.as_ref())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        models: model_folds.len(),
    }
}

/// Every cell's metrics with intervals, per-class scores, confusion and split-to-split spread. Predictions and top
/// features are filled in later.
fn config_results(
    plan: &Plan,
    cells: &[Cell],
    grid: &GridOutput,
    scoring: &Scoring<'_>,
    points: &[Scores],
    replicates: &Replicates,
    class_counts: &[usize],
) -> Vec<ConfigResult> {
    let k = scoring.classes.len();
    cells
        .iter()
        .enumerate()
        .map(|(ci, cell)| {
            let s = &points[ci];
            let metrics = scoring
                .metrics
                .iter()
                .map(|&m| {
                    let point = s.get(m).unwrap_or(0.0);
                    (m, replicates.estimate(ci, Slot::Metric(m), point))
                })
                .collect();
            let per_class = s
                .per_class
                .iter()
                .enumerate()
                .map(|(c, cs)| ClassResult {
                    class: scoring.classes[c].clone(),
                    precision: replicates.estimate(ci, Slot::Precision(c), cs.precision),
                    recall: replicates.estimate(ci, Slot::Recall(c), cs.recall),
                    f1: replicates.estimate(ci, Slot::F1(c), cs.f1),
                    support: class_counts[c],
                })
                .collect();
            let oof = &grid.oof[ci];
            let repeats = oof.n_repeats();
            let repeat_sd = if repeats > 1 {
                let per_repeat: Vec<Scores> = (0..repeats)
                    .map(|r| {
                        score_with(
                            &oof.repeat_confusion(r, scoring.gold, k),
                            scoring.classes,
                            scoring.favg,
                        )
                    })
                    .collect();
                scoring
                    .metrics
                    .iter()
                    .map(|&m| {
                        let vals: Vec<f64> =
                            per_repeat.iter().map(|s| s.get(m).unwrap_or(0.0)).collect();
                        (m, sample_sd(&vals))
                    })
                    .collect()
            } else {
                BTreeMap::new()
            };
            let clf = cell.fitted().map(|(_, c)| &plan.classifiers[c]);
            ConfigResult {
                id: cell.id.clone(),
                feature_set: cell
                    .variant()
                    .map(|v| plan.variants[v].features.spec().name.clone()),
                classifier: clf.map(|c| c.name().to_string()),
                classifier_type: clf.map(|c| c.kind()),
                system: match cell.learner {
                    Learner::System { system } => Some(plan.systems[system].source.clone()),
                    _ => None,
                },
                baseline: cell.is_baseline(),
                train_fraction: plan.fractions()[cell.fraction],
                mean_features: views::mean(&grid.n_features[ci]),
                metrics,
                repeat_sd,
                per_class,
                confusion: oof
                    .pooled_confusion(scoring.gold, scoring.evaluated, None)
                    .rows(),
                zero_division: s.zero_division.clone(),
                predictions: Vec::new(),
                top_features: None,
                per_fold: Vec::new(),
                per_repeat: Vec::new(),
                per_group: Vec::new(),
                degenerate: None,
                tied_predictions: 0,
                tuning: tune::result(plan, cell, &grid.tuning[ci]),
            }
        })
        .collect()
}

fn evaluation_info(
    plan: &Plan,
    folds: &[Fold],
    boot: &ClusterBootstrap,
    unit: BootstrapUnit,
) -> EvaluationInfo {
    EvaluationInfo {
        scheme: plan.split.scheme(),
        k: plan.split.k(),
        repeats: folds.iter().map(|f| f.repeat).max().map_or(1, |r| r + 1),
        n_folds: folds.len(),
        group: plan.split.group(),
        seed: plan.seed,
        bootstrap: plan.bootstrap,
        bootstrap_unit: unit,
        bootstrap_units: boot.n_units(),
        confidence_level: CONFIDENCE_LEVEL,
        alpha: plan.alpha,
        headline: plan.headline,
        per_group: None,
    }
}

fn item_records(ds: &Dataset) -> Vec<ItemRecord> {
    ds.items
        .iter()
        .map(|i| ItemRecord {
            id: i.id.clone(),
            text: i.text.clone(),
            gold: i.label,
            holder: i.holder.clone(),
            doc: i.doc.clone(),
        })
        .collect()
}

fn fold_record(f: &Fold) -> FoldRecord {
    FoldRecord {
        repeat: f.repeat,
        fold: f.index,
        train: f.train.len(),
        test: f.test.len(),
        group: f.group.clone(),
    }
}

/// Every training fold must hold two classes; a fold missing some class is allowed but reported.
fn check_folds(folds: &[Fold], ds: &Dataset) -> Result<Vec<Warning>, EvalError> {
    let mut warnings = Vec::new();
    for f in folds {
        let labels: Vec<usize> = f.train.iter().map(|&i| ds.items[i].label).collect();
        let present = stance_models::classes_present(&labels, ds.classes.len());
        let missing: Vec<String> = (0..ds.classes.len())
            .filter(|c| !present.contains(c))
            .map(|c| ds.classes[c].clone())
            .collect();
        if present.len() < 2 {
            return Err(EvalError::FoldMissingClasses {
                fold: describe(f),
                present: present.iter().map(|&c| ds.classes[c].clone()).collect(),
                missing,
            });
        }
        if !missing.is_empty() {
            warnings.push(Warning::FoldMissingClasses {
                fold: describe(f),
                missing,
            });
        }
    }
    Ok(warnings)
}

/// The bootstrap's resampling units: the plan's clusters when every evaluated item has one and there are several,
/// else items.
fn clusters(plan: &Plan, ds: &Dataset, evaluated: &[usize]) -> (BootstrapUnit, Vec<Vec<usize>>) {
    let key = |i: usize| match plan.clusters {
        Clusters::Doc => ds.items[i].doc.as_ref(),
        Clusters::Group => ds.items[i].group.as_ref(),
        Clusters::None => None,
    };
    let mut by: BTreeMap<&String, Vec<usize>> = BTreeMap::new();
    let mut all_keyed = true;
    for &i in evaluated {
        match key(i) {
            Some(k) => by.entry(k).or_default().push(i),
            None => all_keyed = false,
        }
    }
    let unit = match plan.clusters {
        Clusters::Doc => BootstrapUnit::Doc,
        Clusters::Group => BootstrapUnit::Group,
        Clusters::None => BootstrapUnit::Item,
    };
    if all_keyed && by.len() > 1 {
        (unit, by.into_values().collect())
    } else {
        (
            BootstrapUnit::Item,
            evaluated.iter().map(|&i| vec![i]).collect(),
        )
    }
}

/// Per-fold, per-repeat and per-group scores, degenerate and tied predictions, for every cell.
fn add_part_scores(
    plan: &Plan,
    cells: &[Cell],
    grid: &GridOutput,
    scoring: &Scoring<'_>,
    fold_scores: Vec<Vec<SplitScore>>,
    ds: &Dataset,
    results: &mut [ConfigResult],
) {
    // A per-group run's groups are the ones its models were trained per; otherwise the data's group column.
    let groups: Vec<Option<String>> = match plan.per_group.map(|by| groups_of(ds, by)) {
        Some(Ok(g)) => g.into_iter().map(Some).collect(),
        _ => ds.items.iter().map(|i| i.group.clone()).collect(),
    };
    let (gold, classes, metrics, favg) =
        (scoring.gold, scoring.classes, scoring.metrics, scoring.favg);
    for ((ci, r), per_fold) in results.iter_mut().enumerate().zip(fold_scores) {
        let oof = &grid.oof[ci];
        let majority = cells.iter().position(|c| {
            c.fraction == cells[ci].fraction
                && c.fitted().is_some_and(|(_, clf)| {
                    plan.classifiers[clf].kind() == ClassifierKind::Majority
                })
        });
        r.per_fold = per_fold;
        r.per_repeat = scores::per_repeat(oof, gold, classes, favg, metrics);
        r.per_group = scores::per_group(oof, &groups, gold, classes, favg, metrics);
        r.degenerate = match majority {
            Some(m) if m == ci => None,
            m => scores::degenerate(oof, m.map(|m| &grid.oof[m]), classes),
        };
        r.tied_predictions = scores::tied(oof);
    }
}

/// Mean training and test sizes over folds (the corrected t-test's `n_train` and `n_test`). The training size is
/// what the compared cells trained on (`train_sizes`, one per fold): a learning curve's largest fraction below 1
/// trains on fewer items than the fold holds, and the correction `n_test / n_train` must see that (with the full
/// fold's size, t at fraction 0.5 and k = 3 would be inflated about 1.34×).
fn compared_fold_sizes(folds: &[Fold], train_sizes: &[usize]) -> (f64, f64) {
    let n = folds.len().max(1) as f64;
    let train = if train_sizes.is_empty() {
        folds.iter().map(|f| f.train.len() as f64).sum::<f64>() / n
    } else {
        views::mean(train_sizes)
    };
    let test = folds.iter().map(|f| f.test.len() as f64).sum::<f64>() / n;
    (train, test)
}

fn sample_sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}
