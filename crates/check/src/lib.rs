//! The CI gate: compare a fresh run with a committed baseline, so a regression on gold data fails CI and a change
//! that does nothing — or only changes random streams — does not. What it judges, and its measured error rates,
//! are in docs/METHODS.md ("The CI gate").
//!
//! The order matters and is the library's, not the command's: [`load_baseline`] reads and vets the baseline
//! *before* anything runs (missing, unreadable, inconsistent or stale → refused, nothing written); then
//! [`run_experiment`] runs the candidate, [`compare()`] judges it under a [`Gate`], and [`render`] writes the
//! verdict for a terminal, a pull request and a CI test report.
//!
//! A baseline is a `report.json` ([`RunReport`]). It is stale when its seeds, labels or data changed, or its
//! experiment changed what is measured ([`Identity`]): those results are not comparable, and the fix is to
//! re-baseline on purpose. A changed feature-set or classifier definition is *not* stale — judging such a change
//! is the gate's job — and is listed so the reader knows why numbers moved.
//!
//! Each experiment has its own baseline ([`default_baseline_path`]). Two runs that the gate cannot compare (another
//! scheme, seed or experiment) are compared side by side by `stance diff` (`stance-diff`), which judges nothing.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-behaviour`,
//! `stance-eval`, `stance-experiment`, `stance-results`, `stance-report`; never a crate above it.

mod baseline;
mod compare;
pub mod render;

use std::collections::BTreeMap;

pub use baseline::{
    default_baseline_path, load_baseline, stale_reasons, BaselineError, Identity, StaleReason,
};
pub use compare::{
    compare, gated_configs, pooled_score, BehaviourCheck, BrokenItem, Flip, GateResult, GateRow,
    ItemCheck, Verdict,
};
pub use stance_results::consistency;

use stance_eval::{run as run_plan, EvalError, RunOptions};
use stance_experiment::{
    BehaviourGateSpec, ConfigError, Experiment, LoadedData, MetricName, SystemOptions,
};
use stance_results::{HarnessInfo, RunReport, Timings};

/// Gate settings after command-line overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// Metrics compared.
    pub metrics: Vec<MetricName>,
    /// Allowed absolute drop per metric (missing = 0).
    pub tolerance: BTreeMap<MetricName, f64>,
    /// Whether a drop must also be significant (exact paired permutation test, Holm over the gate's tests).
    pub require_significance: bool,
    /// Configurations gated besides the baseline's best.
    pub configs: Vec<String>,
    /// Most items a gated configuration may break.
    pub max_broken: usize,
    /// Share of the baseline's repeats an item must be right in to be protected.
    pub right_share: f64,
    /// Significance level.
    pub alpha: f64,
    /// Bounds on behavioural-test failure rates (`[gate.behaviour]`).
    pub behaviour: Option<BehaviourGateSpec>,
}

impl Gate {
    /// The experiment's `[gate]` table with the command line's tolerance overrides (a metric given a tolerance is
    /// gated even if the experiment does not list it) and `--require-significance`.
    pub fn for_experiment(
        exp: &Experiment,
        tolerances: &[(MetricName, f64)],
        require_significance: bool,
    ) -> Gate {
        let mut tolerance = exp.file.gate.tolerance.clone();
        let mut metrics = exp.gate_metrics();
        for (m, v) in tolerances {
            tolerance.insert(*m, *v);
            if !metrics.contains(m) {
                metrics.push(*m);
            }
        }
        Gate {
            metrics,
            tolerance,
            require_significance: require_significance || exp.file.gate.require_significance,
            alpha: exp.file.alpha,
            behaviour: exp.file.gate.behaviour.clone(),
            configs: exp.file.gate.configs.clone(),
            max_broken: exp.file.gate.max_broken,
            right_share: exp.file.gate.right_share,
        }
    }
}

/// Why the candidate run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The experiment cannot be planned.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The evaluation failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
}

/// Runs `exp` on its already loaded (and validated) data, its outside systems answered as `systems` says;
/// `progress` is called with (fits done, fits total).
pub fn run_experiment(
    exp: &Experiment,
    data: &LoadedData,
    harness: HarnessInfo,
    systems: &SystemOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<(RunReport, Timings), RunError> {
    let plan = exp.plan_answered(data, systems)?;
    let run = run_plan(&plan, &data.dataset, &RunOptions { progress })?;
    Ok(RunReport::assemble(exp, data, run, harness))
}
