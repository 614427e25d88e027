//! What a run will do, typed: the feature-set variants, the classifiers, the split, the kind of run and its
//! statistical settings. An experiment file is turned into a [`Plan`] once (`Experiment::plan`); the evaluation
//! stage reads only this, never the experiment file.
//!
//! The grid is the product of variants × classifiers × training fractions ([`Cell`]s, one per reported
//! configuration) and, per fold, one [`Task`] that fits a variant once and every model on it (or every baseline).
//! Outside [`System`]s are cells too, after the grid's: they belong to no task, since nothing is fitted for them.

use super::metrics::MetricName;
use super::splits::{GroupBy, Split};
pub use super::system::System;
use stance_behaviour::Case;
use stance_core::tunable::ParamGrid;
use stance_features::{FeatureError, FeatureSet, FeatureSetSpec};
use stance_models::Classifier;

/// What kind of run.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Every feature set × every classifier.
    Compare,
    /// The first variant is the full feature set, each following one leaves out one extractor.
    Ablation,
    /// Every feature set × classifier at each training-set fraction (strictly increasing, in (0, 1]).
    LearningCurve {
        /// Shares of each training fold to train on.
        fractions: Vec<f64>,
    },
}

/// What the bootstrap resamples when the data has clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clusters {
    /// The gold documents.
    Doc,
    /// The labelled CSV's group column.
    Group,
    /// No clusters: resample items.
    None,
}

/// A feature set as the grid fits it.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The validated feature set.
    pub features: FeatureSet,
    /// For ablation variants, the extractor left out (`None` for the full set and for compare runs).
    pub left_out: Option<String>,
}

/// A validated run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Feature-set variants, in report order.
    pub variants: Vec<Variant>,
    /// Classifiers (baselines included), in declaration order.
    pub classifiers: Vec<Classifier>,
    /// The cross-validation scheme.
    pub split: Split,
    /// What kind of run.
    pub kind: Kind,
    /// The one seed every random choice derives from.
    pub seed: u64,
    /// Bootstrap replicates (0: no intervals).
    pub bootstrap: usize,
    /// What the bootstrap resamples.
    pub clusters: Clusters,
    /// The metric the leaderboard ranks by.
    pub headline: MetricName,
    /// Significance level.
    pub alpha: f64,
    /// Behavioural test cases run on every model refitted on all items (empty: none).
    pub behaviour: Vec<Case>,
    /// Train one model per value of this grouping (each fold's training items of that group) instead of one model
    /// per fold; `None`: one model per fold.
    pub per_group: Option<GroupBy>,
    /// The classes F_avg averages, when the experiment declares them; `None`: `support` and `oppose` when present.
    pub favg_classes: Option<Vec<String>>,
    /// Inner folds of the nested cross-validation that tunes listed parameters ([`super::tune`]).
    pub inner_k: usize,
    /// The configurations refitted on all items for their top features (`[report] top_features`).
    pub top_features: Vec<Explain>,
    /// Outside systems judged beside the grid, in declaration order; their answers are added before the run.
    pub systems: Vec<System>,
}

/// A configuration whose top features the report shows (one entry of `[report] top_features`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explain {
    /// The run's best configuration (known only once the grid is scored).
    Best,
    /// Every configuration that is not a baseline.
    All,
    /// One configuration, by its id without a learning curve's ` @ 50%` (the refit is on all items).
    Config(String),
}

impl Explain {
    /// Reads one entry as written: `best`, `all`, or a configuration id.
    pub fn parse(entry: &str) -> Explain {
        match entry {
            "best" => Explain::Best,
            "all" => Explain::All,
            id => Explain::Config(id.to_string()),
        }
    }
}

/// A model configuration's id: `feature set + classifier`, each with the grid it tunes (a learning curve adds
/// ` @ 50%`). The one place the form is spelled, so `[report] top_features` can be checked against it at load.
pub fn config_id(features: &FeatureSet, classifier: &Classifier) -> String {
    format!(
        "{}{} + {}{}",
        features.spec().name,
        grid_suffix(features.grid()),
        classifier.name(),
        grid_suffix(classifier.grid()),
    )
}

/// What makes a cell's predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learner {
    /// A classifier fitted on a feature-set variant.
    Model {
        /// Index into [`Plan::variants`].
        variant: usize,
        /// Index into [`Plan::classifiers`].
        classifier: usize,
    },
    /// A baseline: a classifier that sees no features.
    Baseline {
        /// Index into [`Plan::classifiers`].
        classifier: usize,
    },
    /// An outside system: predictions made elsewhere, never fitted here.
    System {
        /// Index into [`Plan::systems`].
        system: usize,
    },
}

/// One reported configuration: a variant × a classifier × a training fraction, a baseline, or an outside system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `feature set + classifier` (with ` @ 50%` on learning curves); a baseline's classifier name; a system's
    /// name.
    pub id: String,
    /// What makes its predictions.
    pub learner: Learner,
    /// Index into [`Plan::fractions`] (a system's is the last: it has no training set to shrink).
    pub fraction: usize,
}

impl Cell {
    /// The variant it fits, for models.
    pub fn variant(&self) -> Option<usize> {
        match self.learner {
            Learner::Model { variant, .. } => Some(variant),
            _ => None,
        }
    }

    /// What the grid fits for it: (the variant, `None` for baselines; the classifier); `None` for systems.
    pub fn fitted(&self) -> Option<(Option<usize>, usize)> {
        match self.learner {
            Learner::Model {
                variant,
                classifier,
            } => Some((Some(variant), classifier)),
            Learner::Baseline { classifier } => Some((None, classifier)),
            Learner::System { .. } => None,
        }
    }

    /// Whether `task` fits this cell: same training fraction, and the task's variant (or its baselines).
    pub fn in_task(&self, task: &Task) -> bool {
        self.fraction == task.fraction && self.fitted().is_some_and(|(v, _)| v == task.variant)
    }

    /// Whether this is a baseline.
    pub fn is_baseline(&self) -> bool {
        matches!(self.learner, Learner::Baseline { .. })
    }
}

/// One unit of parallel work: one fold, one training fraction, one variant (all its models) or the baselines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    /// Index into [`Plan::fractions`].
    pub fraction: usize,
    /// Index into [`Plan::variants`]; `None` runs the baselines.
    pub variant: Option<usize>,
    /// Index into the run's folds.
    pub fold: usize,
}

impl Plan {
    /// The classes F_avg averages in this run: the plan's `favg_classes` (validated against the data at load),
    /// else [`default_favg`](crate::metrics::default_favg).
    pub fn favg_indices(&self, classes: &[String]) -> Vec<usize> {
        crate::metrics::favg_for(self.favg_classes.as_deref(), classes)
    }

    /// The training fractions (`[1.0]` unless this is a learning curve).
    pub fn fractions(&self) -> &[f64] {
        match &self.kind {
            Kind::LearningCurve { fractions } => fractions,
            _ => &[1.0],
        }
    }

    /// Indices of the classifiers that learn from features.
    pub fn models(&self) -> Vec<usize> {
        (0..self.classifiers.len())
            .filter(|&c| !self.classifiers[c].kind().is_baseline())
            .collect()
    }

    /// Indices of the baselines.
    pub fn baselines(&self) -> Vec<usize> {
        (0..self.classifiers.len())
            .filter(|&c| self.classifiers[c].kind().is_baseline())
            .collect()
    }

    /// Every reported configuration, in grid order: per fraction, each variant × each model, then the baselines;
    /// then the outside systems (at the last fraction, under their own names).
    pub fn cells(&self) -> Vec<Cell> {
        let fractions = self.fractions();
        let suffix = |fi: usize| {
            if fractions.len() > 1 {
                format!(" @ {:.0}%", fractions[fi] * 100.0)
            } else {
                String::new()
            }
        };
        let mut cells = Vec::new();
        for fi in 0..fractions.len() {
            for (v, variant) in self.variants.iter().enumerate() {
                for c in self.models() {
                    cells.push(Cell {
                        id: format!(
                            "{}{}",
                            config_id(&variant.features, &self.classifiers[c]),
                            suffix(fi)
                        ),
                        learner: Learner::Model {
                            variant: v,
                            classifier: c,
                        },
                        fraction: fi,
                    });
                }
            }
            for c in self.baselines() {
                cells.push(Cell {
                    id: format!("{}{}", self.classifiers[c].name(), suffix(fi)),
                    learner: Learner::Baseline { classifier: c },
                    fraction: fi,
                });
            }
        }
        for (system, s) in self.systems.iter().enumerate() {
            cells.push(Cell {
                id: s.name.clone(),
                learner: Learner::System { system },
                fraction: fractions.len() - 1,
            });
        }
        cells
    }

    /// Whether a cell tunes something: its feature set or its classifier lists values.
    pub fn is_tuned(&self, cell: &Cell) -> bool {
        match cell.fitted() {
            Some((variant, classifier)) => {
                variant.is_some_and(|v| self.variants[v].features.is_tuned())
                    || self.classifiers[classifier].is_tuned()
            }
            None => false,
        }
    }

    /// The grid's tasks over `n_folds` folds, in a fixed order (results are gathered in this order).
    pub fn tasks(&self, n_folds: usize) -> Vec<Task> {
        let has_baselines = !self.baselines().is_empty();
        let mut tasks = Vec::new();
        for fraction in 0..self.fractions().len() {
            let variants = (0..self.variants.len()).map(Some);
            let baselines = has_baselines.then_some(None);
            for variant in variants.chain(baselines) {
                tasks.extend((0..n_folds).map(|fold| Task {
                    fraction,
                    variant,
                    fold,
                }));
            }
        }
        tasks
    }
}

/// How a configuration id shows what is tuned: `(alpha∈{0.1,1,10})`, or nothing.
fn grid_suffix(grid: &[ParamGrid]) -> String {
    if grid.is_empty() {
        String::new()
    } else {
        format!("({})", stance_core::tunable::describe(grid))
    }
}

/// The variants of an ablation: the full set, then one per extractor left out (named by its kind, with `#i` when
/// a kind occurs twice).
pub fn ablation_variants(full: &FeatureSet) -> Result<Vec<Variant>, (String, FeatureError)> {
    let spec = full.spec();
    let mut out = vec![Variant {
        features: full.clone(),
        left_out: None,
    }];
    for (i, e) in spec.extractors.iter().enumerate() {
        let repeated = spec
            .extractors
            .iter()
            .filter(|x| x.kind() == e.kind())
            .count()
            > 1;
        let label = if repeated {
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
        let features = variant.check().map_err(|e| (variant.name.clone(), e))?;
        out.push(Variant {
            features,
            left_out: Some(label),
        });
    }
    Ok(out)
}
