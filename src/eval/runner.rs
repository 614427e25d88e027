//! The comparison engine: runs the grid (feature set × classifier × repeat × fold) and turns out-of-fold
//! predictions into a [`RunReport`].
//!
//! Per fold, each feature set is fitted on the fold's training rows only, both training and test rows are
//! transformed by that fitted set, and every classifier is fitted and asked to predict the test rows. Tasks run
//! on rayon; results are collected in task order (rayon's `collect` preserves it) and every random draw is seeded
//! by its coordinates, so the report is byte-identical for any thread count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ndarray::Array2;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use super::metrics::{score, Confusion, Scores};
use super::results::*;
use super::splits::{make_folds, Fold};
use super::stats::{
    holm, mcnemar_exact, min_discordant_for_significance, percentile_interval, rng_for,
    ClusterBootstrap,
};
use super::EvalError;
use crate::corpus::Dataset;
use crate::experiment::{
    DataSpec, Experiment, ExperimentKind, GroupBy, LoadedData, MetricName, Scheme,
};
use crate::features::{Doc, FeatureError, FeatureSet, FeatureSetSpec, FittedFeatureSet};
use crate::models::{Explanation, Prediction};

/// Interval level of every reported interval.
pub const CONFIDENCE_LEVEL: f64 = 0.95;

/// How many top features per class the report keeps.
pub const TOP_FEATURES: usize = 10;

const SUBSAMPLE_TAG: u64 = 0x1C0;
const FIT_TAG: u64 = 0xF17;

/// Run-time options that do not change results.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Harness version and commit, recorded in the report.
    pub harness: Option<HarnessInfo>,
    /// Called with (tasks done, tasks total) as the grid progresses.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// One cell of the grid.
#[derive(Debug, Clone)]
struct Config {
    id: String,
    variant: Option<usize>,
    classifier: usize,
    fraction: usize,
}

/// The feature-set variants a run fits: the declared sets, or an ablation's full set and its leave-one-outs.
fn variants(exp: &Experiment) -> Result<Vec<(FeatureSet, Option<String>)>, EvalError> {
    match (&exp.file.kind, &exp.file.ablation) {
        (ExperimentKind::Ablation, Some(a)) => {
            let full = exp
                .feature_sets
                .iter()
                .find(|f| f.spec().name == a.feature_set)
                .expect("checked at load");
            let mut out = vec![(full.clone(), None)];
            let spec = full.spec();
            for (i, e) in spec.extractors.iter().enumerate() {
                let dup = spec
                    .extractors
                    .iter()
                    .filter(|x| x.kind() == e.kind())
                    .count()
                    > 1;
                let label = if dup {
                    format!("{}#{}", e.kind(), i + 1)
                } else {
                    e.kind().to_string()
                };
                let mut extractors = spec.extractors.clone();
                extractors.remove(i);
                let variant = FeatureSetSpec {
                    name: format!("{} − {label}", spec.name),
                    mask_holders: spec.mask_holders,
                    extractors,
                };
                out.push((
                    variant.check().map_err(|source| EvalError::Feature {
                        config: variant.name.clone(),
                        source,
                    })?,
                    Some(label),
                ));
            }
            Ok(out)
        }
        _ => Ok(exp.feature_sets.iter().map(|f| (f.clone(), None)).collect()),
    }
}

fn fractions(exp: &Experiment) -> Vec<f64> {
    match &exp.file.learning_curve {
        Some(lc) if exp.file.kind == ExperimentKind::LearningCurve => lc.fractions.clone(),
        _ => vec![1.0],
    }
}

/// A stratified subsample of training rows: per class `max(1, round(f · n_c))`, seeded by the fold.
fn subsample(
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
    let mut keep = Vec::new();
    for c in 0..n_classes {
        let mut idx: Vec<usize> = train.iter().copied().filter(|&i| labels[i] == c).collect();
        if idx.is_empty() {
            continue;
        }
        let want = ((idx.len() as f64 * f).round() as usize).clamp(1, idx.len());
        idx.shuffle(&mut rng);
        keep.extend_from_slice(&idx[..want]);
    }
    keep.sort_unstable();
    keep
}

/// One configuration's output in one task: (config, (item, prediction) pairs, feature count, seconds).
type ConfigOutput = (usize, Vec<(usize, Prediction)>, usize, f64);

/// Output of one grid task.
struct TaskOutput {
    fold: usize,
    results: Vec<ConfigOutput>,
    train_size: usize,
}

/// Fits a feature set on the given rows of a dataset and on nothing else. Every fit in a run goes through here:
/// the training rows of a fold during cross-validation, all rows for the top-feature refit.
pub fn fit_on_rows(
    fs: &FeatureSet,
    ds: &Dataset,
    rows: &[usize],
) -> Result<FittedFeatureSet, FeatureError> {
    let docs: Vec<Doc<'_>> = rows
        .iter()
        .map(|&i| Doc {
            text: &ds.items[i].text,
            holder: ds.items[i].holder.as_deref(),
        })
        .collect();
    fs.fit(&docs)
}

fn dense(m: &sprs::CsMat<f64>) -> Array2<f64> {
    m.to_dense()
}

/// Runs an experiment on loaded data.
pub fn run(
    exp: &Experiment,
    data: &LoadedData,
    opts: &RunOptions<'_>,
) -> Result<(RunReport, Timings), EvalError> {
    let started = Instant::now();
    let ds = &data.dataset;
    let seed = exp.file.seed;
    let n = ds.items.len();
    let k = ds.classes.len();
    let labels = ds.labels();
    let folds = make_folds(&exp.file.evaluation, ds, seed)?;
    let mut warnings = Vec::new();
    check_folds(&folds, ds, &mut warnings)?;

    let variants = variants(exp)?;
    let fractions = fractions(exp);
    let models: Vec<usize> = (0..exp.classifiers.len())
        .filter(|&c| !exp.classifiers[c].spec().is_baseline())
        .collect();
    let baselines: Vec<usize> = (0..exp.classifiers.len())
        .filter(|&c| exp.classifiers[c].spec().is_baseline())
        .collect();
    let lc = fractions.len() > 1;
    let suffix = |fi: usize| {
        if lc {
            format!(" @ {:.0}%", fractions[fi] * 100.0)
        } else {
            String::new()
        }
    };
    let mut configs = Vec::new();
    for fi in 0..fractions.len() {
        for (v, (fs, _)) in variants.iter().enumerate() {
            for &c in &models {
                let id = format!(
                    "{} + {}{}",
                    fs.spec().name,
                    exp.classifiers[c].name(),
                    suffix(fi)
                );
                configs.push(Config {
                    id,
                    variant: Some(v),
                    classifier: c,
                    fraction: fi,
                });
            }
        }
        for &c in &baselines {
            configs.push(Config {
                id: format!("{}{}", exp.classifiers[c].name(), suffix(fi)),
                variant: None,
                classifier: c,
                fraction: fi,
            });
        }
    }
    let config_index: BTreeMap<(Option<usize>, usize, usize), usize> = configs
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.variant, c.classifier, c.fraction), i))
        .collect();

    // Tasks: (fraction, Some(variant) | None for baselines, fold).
    let mut tasks: Vec<(usize, Option<usize>, usize)> = Vec::new();
    for fi in 0..fractions.len() {
        for v in 0..variants.len() {
            for f in 0..folds.len() {
                tasks.push((fi, Some(v), f));
            }
        }
        if !baselines.is_empty() {
            for f in 0..folds.len() {
                tasks.push((fi, None, f));
            }
        }
    }
    let done = AtomicUsize::new(0);
    let total = tasks.len();
    let grid_started = Instant::now();
    let outputs: Vec<TaskOutput> = tasks
        .par_iter()
        .map(|&(fi, variant, f)| -> Result<TaskOutput, EvalError> {
            let fold = &folds[f];
            let train = subsample(
                &fold.train,
                &labels,
                k,
                fractions[fi],
                seed,
                &[
                    SUBSAMPLE_TAG,
                    fold.repeat as u64,
                    fold.index as u64,
                    fi as u64,
                ],
            );
            let y: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
            let mut results = Vec::new();
            match variant {
                Some(v) => {
                    let fs = &variants[v].0;
                    let t0 = Instant::now();
                    let fitted =
                        fit_on_rows(fs, ds, &train).map_err(|source| EvalError::Feature {
                            config: fs.spec().name.clone(),
                            source,
                        })?;
                    let train_texts: Vec<&str> =
                        train.iter().map(|&i| ds.items[i].text.as_str()).collect();
                    let test_texts: Vec<&str> = fold
                        .test
                        .iter()
                        .map(|&i| ds.items[i].text.as_str())
                        .collect();
                    let x_train = dense(&fitted.transform(&train_texts));
                    let x_test = dense(&fitted.transform(&test_texts));
                    let feature_seconds = t0.elapsed().as_secs_f64();
                    for &c in &models {
                        let ci = config_index[&(Some(v), c, fi)];
                        let t1 = Instant::now();
                        let clf = &exp.classifiers[c];
                        let model =
                            clf.fit(&x_train, &y, k, seed ^ (ci as u64))
                                .map_err(|source| EvalError::Model {
                                    config: configs[ci].id.clone(),
                                    fold: describe(fold),
                                    source,
                                })?;
                        let preds = model.predict(&x_test);
                        let secs = t1.elapsed().as_secs_f64()
                            + feature_seconds / models.len().max(1) as f64;
                        results.push((
                            ci,
                            fold.test.iter().copied().zip(preds).collect(),
                            fitted.n_features(),
                            secs,
                        ));
                    }
                }
                None => {
                    let x_train = Array2::zeros((train.len(), 0));
                    let x_test = Array2::zeros((fold.test.len(), 0));
                    for &c in &baselines {
                        let ci = config_index[&(None, c, fi)];
                        let t1 = Instant::now();
                        let fit_seed = super::stats::derive_seed(
                            seed,
                            &[FIT_TAG, ci as u64, fold.repeat as u64, fold.index as u64],
                        );
                        let model = exp.classifiers[c].fit(&x_train, &y, k, fit_seed).map_err(
                            |source| EvalError::Model {
                                config: configs[ci].id.clone(),
                                fold: describe(fold),
                                source,
                            },
                        )?;
                        let preds = model.predict(&x_test);
                        results.push((
                            ci,
                            fold.test.iter().copied().zip(preds).collect(),
                            0,
                            t1.elapsed().as_secs_f64(),
                        ));
                    }
                }
            }
            let now = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(p) = opts.progress {
                p(now, total);
            }
            Ok(TaskOutput {
                fold: f,
                results,
                train_size: train.len(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let grid_seconds = grid_started.elapsed().as_secs_f64();

    // Gather predictions per configuration: [config][repeat][item].
    let repeats = folds.iter().map(|f| f.repeat).max().map_or(1, |r| r + 1);
    let mut preds: Vec<Vec<Vec<Option<PredictionRecord>>>> =
        vec![vec![vec![None; n]; repeats]; configs.len()];
    let mut n_features: Vec<Vec<usize>> = vec![Vec::new(); configs.len()];
    let mut train_sizes: Vec<Vec<usize>> = vec![Vec::new(); configs.len()];
    let mut per_config_seconds: BTreeMap<String, f64> = BTreeMap::new();
    for out in &outputs {
        let fold = &folds[out.fold];
        for (ci, list, nf, secs) in &out.results {
            for (item, p) in list {
                preds[*ci][fold.repeat][*item] = Some(PredictionRecord {
                    fold: fold.index,
                    class: p.class,
                    proba: p.proba.clone(),
                });
            }
            n_features[*ci].push(*nf);
            train_sizes[*ci].push(out.train_size);
            *per_config_seconds
                .entry(configs[*ci].id.clone())
                .or_default() += secs;
        }
    }

    let stats_started = Instant::now();
    let metric_keys: Vec<MetricName> = MetricName::ALL
        .into_iter()
        .filter(|m| {
            *m != MetricName::FAvg
                || (ds.classes.iter().any(|c| c == "support")
                    && ds.classes.iter().any(|c| c == "oppose"))
        })
        .collect();
    // Per config, per item: how often each class was predicted (over repeats).
    let counts: Vec<Vec<Vec<u32>>> = preds
        .iter()
        .map(|per_repeat| {
            let mut c = vec![vec![0u32; k]; n];
            for rep in per_repeat {
                for (i, p) in rep.iter().enumerate() {
                    if let Some(p) = p {
                        c[i][p.class] += 1;
                    }
                }
            }
            c
        })
        .collect();
    let evaluated: Vec<usize> = (0..n)
        .filter(|&i| counts.iter().any(|c| c[i].iter().any(|&v| v > 0)))
        .collect();
    let pooled = |ci: usize, weights: Option<&[u32]>| -> Scores {
        let mut conf = Confusion::new(k);
        for &i in &evaluated {
            let w = weights.map_or(1.0, |w| w[i] as f64);
            if w == 0.0 {
                continue;
            }
            for (p, &cnt) in counts[ci][i].iter().enumerate() {
                if cnt > 0 {
                    conf.add(labels[i], p, w * cnt as f64);
                }
            }
        }
        score(&conf, &ds.classes)
    };
    let points: Vec<Scores> = (0..configs.len()).map(|ci| pooled(ci, None)).collect();
    let headline = exp.file.headline;
    let headline_of = |s: &Scores| s.get(headline).unwrap_or(0.0);

    // Leaderboard: the largest training fraction only (all configs otherwise).
    let last = fractions.len() - 1;
    let mut ranked: Vec<usize> = (0..configs.len())
        .filter(|&ci| configs[ci].fraction == last)
        .collect();
    ranked.sort_by(|&a, &b| {
        headline_of(&points[b])
            .total_cmp(&headline_of(&points[a]))
            .then_with(|| configs[a].id.cmp(&configs[b].id))
    });
    let best = *ranked
        .iter()
        .find(|&&ci| configs[ci].variant.is_some())
        .expect("at least one model is declared");

    // Bootstrap.
    let (unit_name, units) = bootstrap_units(exp, ds, &evaluated);
    let boot = ClusterBootstrap::new(units, n, seed);
    let flatten = |s: &Scores| -> Vec<f64> {
        let mut v: Vec<f64> = metric_keys
            .iter()
            .map(|m| s.get(*m).unwrap_or(0.0))
            .collect();
        for c in &s.per_class {
            v.extend([c.precision, c.recall, c.f1]);
        }
        v
    };
    let replicates: Vec<Vec<Vec<f64>>> = (0..exp.file.bootstrap)
        .into_par_iter()
        .map(|b| {
            let w = boot.replicate(b);
            (0..configs.len())
                .map(|ci| flatten(&pooled(ci, Some(&w))))
                .collect()
        })
        .collect();
    let interval = |ci: usize, slot: usize| -> (Option<f64>, Option<f64>) {
        if replicates.is_empty() {
            return (None, None);
        }
        let vals: Vec<f64> = replicates.iter().map(|r| r[ci][slot]).collect();
        let (lo, hi) = percentile_interval(&vals, CONFIDENCE_LEVEL);
        (Some(lo), Some(hi))
    };
    let estimate = |ci: usize, slot: usize, point: f64| {
        let (lower, upper) = interval(ci, slot);
        Estimate {
            point,
            lower,
            upper,
        }
    };
    let headline_slot = metric_keys
        .iter()
        .position(|m| *m == headline)
        .expect("headline validated against classes");
    let diff_estimate = |a: usize, b: usize| -> Estimate {
        let point = headline_of(&points[a]) - headline_of(&points[b]);
        if replicates.is_empty() {
            return Estimate {
                point,
                lower: None,
                upper: None,
            };
        }
        let vals: Vec<f64> = replicates
            .iter()
            .map(|r| r[a][headline_slot] - r[b][headline_slot])
            .collect();
        let (lo, hi) = percentile_interval(&vals, CONFIDENCE_LEVEL);
        Estimate {
            point,
            lower: Some(lo),
            upper: Some(hi),
        }
    };
    let majority_correct = |ci: usize| -> Vec<Option<bool>> {
        (0..n)
            .map(|i| {
                let total: u32 = counts[ci][i].iter().sum();
                (total > 0).then(|| 2 * counts[ci][i][labels[i]] > total)
            })
            .collect()
    };
    let mcnemar_counts = |a: usize, b: usize| -> (u64, u64) {
        let (ca, cb) = (majority_correct(a), majority_correct(b));
        let mut only_a = 0;
        let mut only_b = 0;
        for (x, y) in ca.iter().zip(&cb) {
            match (x, y) {
                (Some(true), Some(false)) => only_a += 1,
                (Some(false), Some(true)) => only_b += 1,
                _ => {}
            }
        }
        (only_a, only_b)
    };

    // Comparisons with the best.
    let others: Vec<usize> = ranked.iter().copied().filter(|&ci| ci != best).collect();
    let raw_p: Vec<(u64, u64, f64)> = others
        .iter()
        .map(|&ci| {
            let (b_only, c_only) = mcnemar_counts(best, ci);
            (b_only, c_only, mcnemar_exact(b_only, c_only))
        })
        .collect();
    let adjusted = holm(&raw_p.iter().map(|x| x.2).collect::<Vec<_>>());
    let comparisons: Vec<Comparison> = others
        .iter()
        .zip(raw_p.iter().zip(&adjusted))
        .map(|(&ci, (&(b_only, c_only, p), &p_holm))| Comparison {
            config: configs[ci].id.clone(),
            best: configs[best].id.clone(),
            difference: diff_estimate(ci, best),
            best_only_correct: b_only,
            config_only_correct: c_only,
            p_value: p,
            p_holm,
            significant: p_holm < exp.file.alpha,
        })
        .collect();

    let class_counts: Vec<usize> = (0..k)
        .map(|c| evaluated.iter().filter(|&&i| labels[i] == c).count())
        .collect();
    // Per-config results.
    let mut results: Vec<ConfigResult> = configs
        .iter()
        .enumerate()
        .map(|(ci, cfg)| {
            let s = &points[ci];
            let mut metrics = BTreeMap::new();
            for (slot, m) in metric_keys.iter().enumerate() {
                metrics.insert(
                    m.key().to_string(),
                    estimate(ci, slot, s.get(*m).unwrap_or(0.0)),
                );
            }
            let per_class = s
                .per_class
                .iter()
                .enumerate()
                .map(|(c, cs)| {
                    let base = metric_keys.len() + 3 * c;
                    ClassResult {
                        class: ds.classes[c].clone(),
                        precision: estimate(ci, base, cs.precision),
                        recall: estimate(ci, base + 1, cs.recall),
                        f1: estimate(ci, base + 2, cs.f1),
                        support: class_counts[c],
                    }
                })
                .collect();
            let mut conf = Confusion::new(k);
            for &i in &evaluated {
                for (p, &cnt) in counts[ci][i].iter().enumerate() {
                    conf.add(labels[i], p, cnt as f64);
                }
            }
            let repeat_sd = if repeats > 1 {
                let per_repeat: Vec<Scores> = (0..repeats)
                    .map(|r| {
                        let mut c = Confusion::new(k);
                        for (i, p) in preds[ci][r].iter().enumerate() {
                            if let Some(p) = p {
                                c.add(labels[i], p.class, 1.0);
                            }
                        }
                        score(&c, &ds.classes)
                    })
                    .collect();
                metric_keys
                    .iter()
                    .map(|m| {
                        let vals: Vec<f64> = per_repeat
                            .iter()
                            .map(|s| s.get(*m).unwrap_or(0.0))
                            .collect();
                        (m.key().to_string(), sample_sd(&vals))
                    })
                    .collect()
            } else {
                BTreeMap::new()
            };
            let clf = &exp.classifiers[cfg.classifier];
            ConfigResult {
                id: cfg.id.clone(),
                feature_set: cfg.variant.map(|v| variants[v].0.spec().name.clone()),
                classifier: clf.name().to_string(),
                classifier_type: clf.spec().kind().to_string(),
                baseline: cfg.variant.is_none(),
                train_fraction: fractions[cfg.fraction],
                mean_features: mean(&n_features[ci].iter().map(|&v| v as f64).collect::<Vec<_>>()),
                metrics,
                repeat_sd,
                per_class,
                confusion: conf.rows(),
                zero_division: s.zero_division.clone(),
                predictions: preds[ci].clone(),
                top_features: None,
            }
        })
        .collect();
    let statistics_seconds = stats_started.elapsed().as_secs_f64();

    // Top features: refit each model on all items.
    let refit_started = Instant::now();
    let all: Vec<usize> = (0..n).collect();
    let refit_targets: Vec<usize> = (0..configs.len())
        .filter(|&ci| configs[ci].variant.is_some() && configs[ci].fraction == last)
        .collect();
    let tops: Vec<(usize, Option<TopFeatures>)> = refit_targets
        .par_iter()
        .map(|&ci| -> Result<(usize, Option<TopFeatures>), EvalError> {
            let fs = &variants[configs[ci].variant.expect("filtered")].0;
            let fitted = fit_on_rows(fs, ds, &all).map_err(|source| EvalError::Feature {
                config: configs[ci].id.clone(),
                source,
            })?;
            let texts: Vec<&str> = ds.items.iter().map(|i| i.text.as_str()).collect();
            let x = dense(&fitted.transform(&texts));
            let model = exp.classifiers[configs[ci].classifier]
                .fit(&x, &labels, k, seed)
                .map_err(|source| EvalError::Model {
                    config: configs[ci].id.clone(),
                    fold: "all items".into(),
                    source,
                })?;
            Ok((
                ci,
                top_features(model.explain(), |j| fitted.feature_name(j), &ds.classes),
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (ci, t) in tops {
        results[ci].top_features = t;
    }
    let refit_seconds = refit_started.elapsed().as_secs_f64();

    // Ablation and learning-curve views.
    let ablation = (exp.file.kind == ExperimentKind::Ablation).then(|| {
        let mut rows = Vec::new();
        for &c in &models {
            let full = config_index[&(Some(0), c, 0)];
            for (v, (_, left_out)) in variants.iter().enumerate() {
                let ci = config_index[&(Some(v), c, 0)];
                let (a, b) = mcnemar_counts(full, ci);
                rows.push(AblationRow {
                    variant: if v == 0 {
                        "full".to_string()
                    } else {
                        format!("− {}", left_out.clone().unwrap_or_default())
                    },
                    left_out: left_out.clone(),
                    classifier: exp.classifiers[c].name().to_string(),
                    config: configs[ci].id.clone(),
                    headline: results[ci].metrics[headline.key()],
                    delta: if v == 0 {
                        Estimate {
                            point: 0.0,
                            lower: Some(0.0),
                            upper: Some(0.0),
                        }
                    } else {
                        diff_estimate(ci, full)
                    },
                    p_value: if v == 0 { 1.0 } else { mcnemar_exact(a, b) },
                });
            }
        }
        rows
    });
    let learning_curve = lc.then(|| {
        configs
            .iter()
            .enumerate()
            .map(|(ci, cfg)| LearningPoint {
                feature_set: results[ci].feature_set.clone(),
                classifier: results[ci].classifier.clone(),
                fraction: fractions[cfg.fraction],
                train_size: mean(
                    &train_sizes[ci]
                        .iter()
                        .map(|&v| v as f64)
                        .collect::<Vec<_>>(),
                ),
                headline: results[ci].metrics[headline.key()],
                config: cfg.id.clone(),
            })
            .collect()
    });

    // What the data can resolve.
    let class_counts: Vec<usize> = (0..k)
        .map(|c| evaluated.iter().filter(|&&i| labels[i] == c).count())
        .collect();
    let min_discordant = min_discordant_for_significance(exp.file.alpha);
    let widths: Vec<f64> = ranked
        .iter()
        .filter(|&&ci| configs[ci].variant.is_some())
        .filter_map(|&ci| results[ci].metrics[headline.key()].width())
        .collect();
    let power = Power {
        n_items: evaluated.len(),
        per_class: ds
            .classes
            .iter()
            .cloned()
            .zip(class_counts.iter().copied())
            .collect(),
        min_discordant,
        min_detectable_accuracy_difference: (min_discordant as f64 / evaluated.len().max(1) as f64)
            .min(1.0),
        best_interval_width: results[best].metrics[headline.key()].width(),
        mean_interval_width: (!widths.is_empty()).then(|| mean(&widths)),
    };
    for (c, &cnt) in ds.classes.iter().zip(&class_counts) {
        if cnt < 30 {
            warnings.push(format!(
                "class '{c}' has only {cnt} evaluated item(s): per-class scores move by {:.2} or more when a single item flips, and every interval is wide",
                1.0 / cnt.max(1) as f64
            ));
        }
    }
    if min_discordant as usize > evaluated.len() {
        warnings.push(format!(
            "with {} items no difference between two models can be significant at alpha = {} (McNemar needs at least {} discordant items)",
            evaluated.len(), exp.file.alpha, min_discordant
        ));
    }

    let eval = &exp.file.evaluation;
    let inputs = {
        let mut m = ds.input_hashes.clone();
        m.insert(
            format!("experiment:{}", exp.source.origin()),
            exp.source.sha256.clone(),
        );
        m
    };
    let report = RunReport {
        schema_version: SCHEMA_VERSION,
        harness: opts.harness.clone().unwrap_or(HarnessInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: None,
        }),
        experiment: ExperimentInfo {
            name: exp.file.name.clone(),
            source: exp.source.origin(),
            sha256: exp.source.sha256.clone(),
            identity: exp.identity_fingerprint(),
            config: exp.file.clone(),
        },
        inputs,
        data: DataSummary {
            n_items: n,
            classes: ds.classes.clone(),
            class_counts: ds.class_counts(),
            dropped_by_label: data.stats.dropped_by_label.clone(),
            dropped_by_split: data.stats.dropped_by_split,
            n_groups: {
                let g: std::collections::BTreeSet<&String> =
                    ds.items.iter().filter_map(|i| i.doc.as_ref()).collect();
                (!g.is_empty()).then_some(g.len())
            },
        },
        evaluation: EvaluationInfo {
            scheme: scheme_name(eval.scheme).into(),
            k: eval.k,
            repeats,
            n_folds: folds.len(),
            group: matches!(eval.scheme, Scheme::GroupKfold | Scheme::LeaveOneGroupOut)
                .then(|| format!("{:?}", eval.group.unwrap_or(GroupBy::Doc)).to_lowercase()),
            seed,
            bootstrap: exp.file.bootstrap,
            bootstrap_unit: unit_name,
            bootstrap_units: boot.n_units(),
            confidence_level: CONFIDENCE_LEVEL,
            alpha: exp.file.alpha,
            headline: headline.key().into(),
        },
        items: ds
            .items
            .iter()
            .map(|i| ItemRecord {
                id: i.id.clone(),
                text: i.text.clone(),
                gold: i.label,
                holder: i.holder.clone(),
                doc: i.doc.clone(),
            })
            .collect(),
        folds: folds
            .iter()
            .map(|f| FoldRecord {
                repeat: f.repeat,
                fold: f.index,
                train: f.train.len(),
                test: f.test.len(),
                group: f.group.clone(),
            })
            .collect(),
        leaderboard: ranked.iter().map(|&ci| configs[ci].id.clone()).collect(),
        best: configs[best].id.clone(),
        configs: results,
        comparisons,
        power,
        ablation,
        learning_curve,
        warnings,
    };
    let timings = Timings {
        total_seconds: started.elapsed().as_secs_f64(),
        grid_seconds,
        statistics_seconds,
        refit_seconds,
        per_config_seconds,
        threads: rayon::current_num_threads(),
        platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    Ok((report, timings))
}

/// The scheme's name as written in experiment files.
pub fn scheme_name(s: Scheme) -> &'static str {
    match s {
        Scheme::StratifiedKfold => "stratified-kfold",
        Scheme::LeaveOneOut => "leave-one-out",
        Scheme::LeaveOneGroupOut => "leave-one-group-out",
        Scheme::GroupKfold => "group-kfold",
        Scheme::FixedSplit => "fixed-split",
    }
}

fn describe(f: &Fold) -> String {
    match &f.group {
        Some(g) => format!(
            "repeat {} fold {} (held-out group '{g}')",
            f.repeat, f.index
        ),
        None => format!("repeat {} fold {}", f.repeat, f.index),
    }
}

/// Every training fold must hold two classes; a fold missing some class is allowed but reported.
fn check_folds(folds: &[Fold], ds: &Dataset, warnings: &mut Vec<String>) -> Result<(), EvalError> {
    for f in folds {
        let present = crate::models::classes_present(
            &f.train
                .iter()
                .map(|&i| ds.items[i].label)
                .collect::<Vec<_>>(),
            ds.classes.len(),
        );
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
            warnings.push(format!(
                "{}: the training rows have no '{}' items, so no model can predict that class there",
                describe(f),
                missing.join("', '")
            ));
        }
    }
    Ok(())
}

/// The bootstrap's resampling units: documents (gold with several), the CSV's groups, or items.
fn bootstrap_units(
    exp: &Experiment,
    ds: &Dataset,
    evaluated: &[usize],
) -> (String, Vec<Vec<usize>>) {
    let key = |i: usize| -> Option<&String> {
        match &exp.file.data {
            DataSpec::Gold(_) => ds.items[i].doc.as_ref(),
            DataSpec::Csv(t) => t.group.as_ref().and(ds.items[i].group.as_ref()),
        }
    };
    let mut by: BTreeMap<&String, Vec<usize>> = BTreeMap::new();
    let mut all_keyed = true;
    for &i in evaluated {
        match key(i) {
            Some(k) => by.entry(k).or_default().push(i),
            None => all_keyed = false,
        }
    }
    if all_keyed && by.len() > 1 {
        let name = match &exp.file.data {
            DataSpec::Gold(_) => "doc",
            DataSpec::Csv(_) => "group",
        };
        (name.to_string(), by.into_values().collect())
    } else {
        (
            "item".to_string(),
            evaluated.iter().map(|&i| vec![i]).collect(),
        )
    }
}

fn top_features(
    explanation: Explanation,
    name: impl Fn(usize) -> String,
    classes: &[String],
) -> Option<TopFeatures> {
    match explanation {
        Explanation::ClassWeights(w) => Some(TopFeatures::PerClass {
            classes: (0..w.ncols())
                .map(|c| {
                    let mut idx: Vec<usize> = (0..w.nrows()).filter(|&j| w[[j, c]] > 0.0).collect();
                    idx.sort_by(|&a, &b| w[[b, c]].total_cmp(&w[[a, c]]).then(a.cmp(&b)));
                    ClassFeatures {
                        class: classes[c].clone(),
                        features: idx
                            .into_iter()
                            .take(TOP_FEATURES)
                            .map(|j| (name(j), w[[j, c]]))
                            .collect(),
                    }
                })
                .collect(),
        }),
        Explanation::Importance(v) => {
            let mut idx: Vec<usize> = (0..v.len()).filter(|&j| v[j] > 0.0).collect();
            idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]).then(a.cmp(&b)));
            Some(TopFeatures::Importance {
                features: idx
                    .into_iter()
                    .take(TOP_FEATURES)
                    .map(|j| (name(j), v[j]))
                    .collect(),
            })
        }
        Explanation::None => None,
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn sample_sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Item;
    use crate::eval::splits::stratified_kfold;
    use proptest::prelude::*;

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
