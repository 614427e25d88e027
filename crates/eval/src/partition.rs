//! Scale-out over processes: which of the grid's tasks a shard runs, running them, and putting the tasks of every
//! shard back into the grid a single run would have produced.
//!
//! A task (one fold × one training fraction × one variant, or the baselines) is the unit: each is seeded by its
//! coordinates, so it gives the same predictions in whichever process runs it. Tasks are dealt to shards by
//! greedy longest-processing-time on an estimated cost (ties by task index), so the deal depends only on the plan
//! and the folds. [`Reassembly`] checks that the outputs cover every task exactly once and look like the tasks
//! they claim to be, places each as it comes, and forms every list and sum in task order, as a single run does,
//! so the report is byte-identical. Reading and writing shard files is one layer up (`stance_shard`).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::grid::{extract_some, run_tasks, GridBuilder, GridOutput, TaskOutput};
use super::plan::{Plan, Task};
use super::run::{prepare, GridTimes, RunOptions};
use super::splits::Fold;
use super::store::Probabilities;
use super::EvalError;
use stance_core::spill::SpillError;
use stance_corpus::Dataset;
use stance_models::ClassifierKind;

/// One shard of a run: `index` of `count`, counted from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardId {
    /// This shard, in `0..count`.
    pub index: usize,
    /// How many shards the run is split into (at least 1).
    pub count: usize,
}

impl std::fmt::Display for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Relative cost of fitting one model of a kind (per training row), for dealing tasks only: a rough ranking
/// measured on the shipped experiments (trees and SVMs are the slow ones, baselines are nearly free). A wrong
/// estimate makes shards uneven, never results different.
fn model_weight(kind: ClassifierKind) -> u64 {
    match kind {
        ClassifierKind::Logistic => 8,
        ClassifierKind::LinearSvm => 12,
        ClassifierKind::NaiveBayes | ClassifierKind::GaussianNb => 2,
        ClassifierKind::DecisionTree => 24,
        ClassifierKind::Majority | ClassifierKind::StratifiedRandom => 1,
    }
}

/// Relative cost of fitting and applying one extractor per training row (more when holders are masked: those sets
/// are tokenised per fold, not once per run).
fn extractor_weight(masks_holders: bool) -> u64 {
    if masks_holders {
        8
    } else {
        3
    }
}

/// Estimated cost of every task of `plan.tasks(folds.len())`: training rows × (feature extraction + every model
/// the task fits), in arbitrary integer units.
pub fn task_costs(plan: &Plan, folds: &[Fold]) -> Vec<u64> {
    let cells = plan.cells();
    plan.tasks(folds.len())
        .iter()
        .map(|t| {
            let rows = (folds[t.fold].train.len() as f64 * plan.fractions()[t.fraction])
                .round()
                .max(1.0) as u64;
            let models: u64 = cells
                .iter()
                .filter(|c| c.in_task(t))
                .filter_map(|c| c.fitted())
                .map(|(_, clf)| model_weight(plan.classifiers[clf].kind()))
                .sum();
            let features = t.variant.map_or(0, |v| {
                let spec = plan.variants[v].features.spec();
                spec.extractors.len() as u64 * extractor_weight(spec.mask_holders)
            });
            rows.saturating_mul(models + features)
        })
        .collect()
}

/// Deals tasks to `count` shards: the costliest task first (ties: lower task index first), each to the shard with
/// the least estimated load so far (ties: lower shard index). Returns the shard of every task.
pub fn assign(costs: &[u64], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].cmp(&costs[a]).then(a.cmp(&b)));
    let mut load = vec![0u64; count.max(1)];
    let mut owner = vec![0; costs.len()];
    for t in order {
        let s = (0..load.len()).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        owner[t] = s;
        load[s] = load[s].saturating_add(costs[t]);
    }
    owner
}

/// The task indices (ascending) a shard runs.
pub fn tasks_of(plan: &Plan, folds: &[Fold], shard: ShardId) -> Vec<usize> {
    assign(&task_costs(plan, folds), shard.count)
        .into_iter()
        .enumerate()
        .filter(|&(_, s)| s == shard.index)
        .map(|(t, _)| t)
        .collect()
}

/// What a shard ran.
#[derive(Debug, Clone)]
pub struct ShardRun {
    /// The grid's task count (all shards).
    pub n_tasks: usize,
    /// This shard's tasks' outputs, in task order.
    pub outputs: Vec<TaskOutput>,
    /// Wall-clock seconds of its extraction and grid (timings only).
    pub times: GridTimes,
}

/// Runs one shard's share of the grid. Only the variants its tasks fit are extracted.
pub fn run_shard(
    plan: &Plan,
    ds: &Dataset,
    shard: ShardId,
    opts: &RunOptions<'_>,
) -> Result<ShardRun, EvalError> {
    let prepared = prepare(plan, ds)?;
    let folds = prepared.fit_folds();
    let tasks = plan.tasks(folds.len());
    let mine = tasks_of(plan, folds, shard);
    let mut wanted = vec![false; plan.variants.len()];
    for &t in &mine {
        if let Some(v) = tasks[t].variant {
            wanted[v] = true;
        }
    }
    let cells = plan.cells();
    let started = Instant::now();
    let extractions = extract_some(plan, ds, &wanted)?;
    let extract_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let outputs = run_tasks(plan, &cells, ds, folds, &extractions, &mine, opts.progress)?;
    Ok(ShardRun {
        n_tasks: tasks.len(),
        outputs,
        times: GridTimes {
            extract_seconds,
            grid_seconds: started.elapsed().as_secs_f64(),
        },
    })
}

/// Why a set of task outputs is not one whole grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridGap {
    /// No output for these tasks.
    Missing(Vec<usize>),
    /// Two outputs for this task.
    Repeated(usize),
    /// This task's output does not fit the plan and folds (hand-edited, or from another run).
    Bad {
        /// The task (its index into the grid's tasks, or the out-of-range index found).
        task: usize,
        /// What is wrong.
        problem: String,
    },
}

impl std::fmt::Display for GridGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GridGap::Missing(t) => write!(f, "no output for task(s) {t:?}"),
            GridGap::Repeated(t) => write!(f, "two outputs for task {t}"),
            GridGap::Bad { task, problem } => write!(f, "task {task}: {problem}"),
        }
    }
}

/// Checks one task's output against the task it claims to be: its cells, its fold's test rows in order, and
/// well-formed predictions (so assembling can neither panic nor silently mix runs).
fn check_output(
    plan: &Plan,
    ds: &Dataset,
    folds: &[Fold],
    tasks: &[Task],
    out: &TaskOutput,
) -> Result<(), String> {
    let task = tasks
        .get(out.task)
        .ok_or_else(|| format!("the grid has only {} tasks", tasks.len()))?;
    let expected: Vec<usize> = plan
        .cells()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.in_task(task))
        .map(|(ci, _)| ci)
        .collect();
    let found: Vec<usize> = out.cells.iter().map(|c| c.cell).collect();
    if found != expected {
        return Err(format!(
            "holds configurations {found:?}, the plan's task has {expected:?}"
        ));
    }
    let test = &folds[task.fold].test;
    let k = ds.classes.len();
    for c in &out.cells {
        let rows_match = c.predictions.len() == test.len()
            && c.predictions.iter().zip(test).all(|((i, _), t)| i == t);
        if !rows_match {
            return Err(format!(
                "configuration {} predicts other rows than the fold's {} test rows",
                c.cell,
                test.len()
            ));
        }
        let bad = c
            .predictions
            .iter()
            .find(|(_, p)| p.class >= k || p.proba.as_ref().is_some_and(|pr| pr.len() != k));
        if let Some((item, _)) = bad {
            return Err(format!(
                "configuration {}: the prediction for item {item} is not over the {k} classes",
                c.cell
            ));
        }
    }
    Ok(())
}

/// Puts the outputs of every shard back into the grid a single run produces, one output at a time (so a merge
/// holds one task's output, not every shard's): [`Reassembly::check`] each output against the task it claims to
/// be and against the outputs added so far, [`Reassembly::add`] it, and [`Reassembly::finish`] once every shard
/// is read, which checks that every task came.
#[derive(Debug)]
pub struct Reassembly<'a> {
    plan: &'a Plan,
    ds: &'a Dataset,
    folds: &'a [Fold],
    tasks: Vec<Task>,
    grid: GridBuilder,
}

impl<'a> Reassembly<'a> {
    /// An empty grid for `plan` on `folds` (the fitted folds), keeping the probabilities in `proba`.
    pub fn new(
        plan: &'a Plan,
        ds: &'a Dataset,
        folds: &'a [Fold],
        proba: Probabilities,
    ) -> Reassembly<'a> {
        let n_cells = plan.cells().len();
        Reassembly {
            plan,
            ds,
            folds,
            tasks: plan.tasks(folds.len()),
            grid: GridBuilder::new(plan, n_cells, ds, folds, proba),
        }
    }

    /// Whether `out` fits its task and its task has not come already.
    pub fn check(&self, out: &TaskOutput) -> Result<(), GridGap> {
        check_output(self.plan, self.ds, self.folds, &self.tasks, out).map_err(|problem| {
            GridGap::Bad {
                task: out.task,
                problem,
            }
        })?;
        if self.grid.has(out.task) {
            return Err(GridGap::Repeated(out.task));
        }
        Ok(())
    }

    /// Places an output that passed [`Reassembly::check`].
    pub fn add(&mut self, out: TaskOutput) -> Result<(), SpillError> {
        self.grid.add(out)
    }

    /// The whole grid, once every task has come.
    pub fn finish(self) -> Result<GridOutput, GridGap> {
        let missing = self.grid.missing();
        if !missing.is_empty() {
            return Err(GridGap::Missing(missing));
        }
        Ok(self.grid.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::CellOutput;
    use proptest::prelude::*;
    use stance_models::Prediction;

    proptest! {
        /// Every task goes to exactly one shard in range, the deal is a function of the costs, and greedy LPT keeps
        /// any two shards within one task's cost of each other.
        #[test]
        fn the_deal_is_a_balanced_partition(costs in prop::collection::vec(0u64..1000, 0..60), count in 1usize..7) {
            let owner = assign(&costs, count);
            prop_assert_eq!(owner.len(), costs.len());
            prop_assert!(owner.iter().all(|&s| s < count));
            prop_assert_eq!(&owner, &assign(&costs, count));
            let mut load = vec![0u64; count];
            for (t, &s) in owner.iter().enumerate() {
                load[s] += costs[t];
            }
            let biggest = costs.iter().copied().max().unwrap_or(0);
            let (lo, hi) = (load.iter().min().unwrap(), load.iter().max().unwrap());
            prop_assert!(hi - lo <= biggest, "loads {:?}, biggest task {}", load, biggest);
        }
    }

    #[test]
    fn equal_costs_are_dealt_round_robin_by_index() {
        assert_eq!(assign(&[5; 7], 3), vec![0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(assign(&[1, 9, 1, 9], 2), vec![0, 0, 1, 1]);
        // More shards than tasks: the last shards get none.
        assert_eq!(assign(&[3, 3], 4), vec![0, 1]);
    }

    /// A shard file carries every f64 through serde_json's text and back: the merge's scores are the single run's
    /// only if each probability comes back bit for bit.
    #[test]
    fn task_outputs_round_trip_exactly_through_json() {
        let awkward = [
            0.1 + 0.2,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
            5e-324,
            1e-300,
            0.999_999_999_999_999_9,
            f64::EPSILON,
            1.0 - f64::EPSILON / 2.0,
            123_456.789_012_345_68,
        ];
        let mut predictions = Vec::new();
        for (i, &p) in awkward.iter().enumerate() {
            predictions.push((
                i,
                Prediction {
                    class: i % 2,
                    proba: Some(vec![p, 1.0 - p]),
                    tied: i == 3,
                },
            ));
        }
        // Pseudo-random bit patterns too, not only hand-picked values.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_finite() {
                predictions.push((
                    i,
                    Prediction {
                        class: 0,
                        proba: Some(vec![v, (x >> 11) as f64 / (1u64 << 53) as f64]),
                        tied: false,
                    },
                ));
            }
        }
        let out = TaskOutput {
            task: 3,
            train_size: 10,
            cells: vec![CellOutput {
                cell: 1,
                predictions,
                n_features: 42,
                seconds: 0.123_456_789,
                stages: Default::default(),
                tuning: None,
            }],
        };
        let text = serde_json::to_string(&out).unwrap();
        let back: TaskOutput = serde_json::from_str(&text).unwrap();
        let bits = |o: &TaskOutput| -> Vec<u64> {
            o.cells[0]
                .predictions
                .iter()
                .flat_map(|(_, p)| p.proba.clone().unwrap())
                .map(f64::to_bits)
                .collect()
        };
        assert_eq!(bits(&back), bits(&out));
        assert_eq!(back, out);
    }
}
