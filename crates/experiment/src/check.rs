//! The checks serde cannot do, one per section (top level, data, evaluation, kind, gate, feature sets,
//! classifiers), each error at the `file:line` of the offending value; and the checks of a plan against its loaded
//! data (folds that cannot be built, memory) at the line of the key that drives them.

use stance_core::diag::number;
use stance_corpus::table::TableSpec;
use stance_corpus::Dataset;
use stance_eval::plan::Plan;
use stance_eval::splits::{GroupBy, Scheme};
use stance_features::lexicon::LexiconParams;
use stance_features::{ExtractorSpec, FeatureError, FeatureSet, FeatureSetSpec};
use stance_models::{Classifier, ClassifierSpec, ModelError};

use crate::errors::*;
use crate::paths::*;
use crate::schema::*;
use crate::spans::Locator;
use crate::Experiment;

/// Largest `evaluation.repeats`: every repeat re-trains every configuration k times.
pub(crate) const MAX_REPEATS: usize = 1000;

/// Largest `evaluation.k`.
pub(crate) const MAX_K: usize = 1000;

/// Most `learning_curve.fractions`: each one re-runs the whole grid.
pub(crate) const MAX_FRACTIONS: usize = 20;

/// Name, non-empty sections, `alpha` and `bootstrap`.
pub(crate) fn check_top_level(file: &ExperimentFile, at: &Locator<'_>) -> Result<(), ConfigError> {
    if file.name.trim().is_empty() || file.name.contains(['/', '\\']) || file.name.starts_with('.')
    {
        return Err(at.invalid(
            &["name"],
            format!("name '{}' must be non-empty, without slashes, and not start with '.'; it names the report folder", file.name),
        ));
    }
    if file.features.is_empty() {
        return Err(at.invalid(
            &["features"],
            "declare at least one [[features]] set".into(),
        ));
    }
    if file.classifiers.iter().all(|c| c.is_baseline()) {
        return Err(at.invalid(
            &["classifiers"],
            "declare at least one classifier that is not a baseline".into(),
        ));
    }
    if !(file.alpha > 0.0 && file.alpha < 1.0) {
        return Err(at.invalid(
            &["alpha"],
            format!("alpha must be in (0, 1), got {}", number(file.alpha)),
        ));
    }
    check_favg_classes(file, at)?;
    // The same bound as `stance diff --bootstrap`.
    if let Some(why) = stance_eval::bootstrap::replicates_problem(file.bootstrap) {
        return Err(at.invalid(&["bootstrap"], format!("bootstrap = {why}")));
    }
    Ok(())
}

/// Sizes in `[data]`.
pub(crate) fn check_data(data: &DataSpec, at: &Locator<'_>) -> Result<(), ConfigError> {
    if let DataSpec::Csv(TableSpec {
        sample: Some(0), ..
    }) = data
    {
        return Err(at.invalid(
            &["data.sample"],
            "data.sample must be at least 1 (allowed: 1 or more rows; leave it out to keep every row)".into(),
        ));
    }
    Ok(())
}

/// `favg_classes`: at least one class, none twice, each one of the classes `[data]` declares (when it declares
/// them; otherwise the loaded data is checked in [`Experiment::load_data`]).
pub(crate) fn check_favg_classes(
    file: &ExperimentFile,
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    let Some(list) = &file.favg_classes else {
        return Ok(());
    };
    if list.is_empty() {
        return Err(at.invalid(
            &["favg_classes"],
            "favg_classes is empty; list the classes F_avg averages (e.g. [\"support\", \"oppose\"]) or remove it"
                .into(),
        ));
    }
    for (i, c) in list.iter().enumerate() {
        if list[..i].contains(c) {
            return Err(at.invalid(
                &["favg_classes"],
                format!("favg_classes lists '{c}' twice; list each class once"),
            ));
        }
    }
    let declared = match &file.data {
        DataSpec::Gold(g) => &g.classes,
        DataSpec::Csv(t) => &t.classes,
    };
    if let Some(c) = list
        .iter()
        .find(|c| !declared.is_empty() && !declared.contains(c))
    {
        return Err(at.invalid(
            &["favg_classes"],
            format!(
                "favg_classes lists '{c}', which is not one of the experiment's classes ({}); use names from \
                 data.classes",
                declared.join(", ")
            ),
        ));
    }
    Ok(())
}

/// `[evaluation]`: `k` and `repeats` in range and only where the scheme uses them; `group` only for group schemes.
pub(crate) fn check_evaluation(eval: &EvalSpec, at: &Locator<'_>) -> Result<(), ConfigError> {
    let needs_k = matches!(eval.scheme, Scheme::StratifiedKfold | Scheme::GroupKfold);
    match (needs_k, eval.k) {
        (true, None) => {
            return Err(at.invalid(
                &["evaluation.scheme", "evaluation"],
                "this scheme needs `k` (the number of folds)".into(),
            ))
        }
        (true, Some(k)) if !(2..=MAX_K).contains(&k) => {
            return Err(at.invalid(
                &["evaluation.k"],
                format!("k must be at least 2 and at most {MAX_K} (allowed: 2..={MAX_K}), got {k}"),
            ))
        }
        (false, Some(_)) => {
            return Err(at.invalid(
                &["evaluation.k"],
                format!("`k` does not apply to scheme {:?}; remove it", eval.scheme),
            ))
        }
        _ => {}
    }
    if !(1..=MAX_REPEATS).contains(&eval.repeats) {
        return Err(at.invalid(
            &["evaluation.repeats"],
            format!(
                "repeats must be at least 1 and at most {MAX_REPEATS} (allowed: 1..={MAX_REPEATS}), got {}",
                eval.repeats
            ),
        ));
    }
    if eval.repeats > 1 && !needs_k {
        return Err(at.invalid(
            &["evaluation.repeats"],
            "repeats > 1 only makes sense for shuffled schemes (stratified-kfold, group-kfold)"
                .into(),
        ));
    }
    let group_scheme = matches!(eval.scheme, Scheme::LeaveOneGroupOut | Scheme::GroupKfold);
    if !group_scheme && !eval.per_group && eval.group.is_some() {
        return Err(at.invalid(
            &["evaluation.group"],
            "`group` applies only to leave-one-group-out, group-kfold and per_group = true".into(),
        ));
    }
    if group_scheme && eval.per_group {
        return Err(at.invalid(
            &["evaluation.per_group"],
            format!(
                "per_group = true trains each group's model on that group's training items, but {} holds whole \
                 groups out of training, so a held-out group would have no model; use stratified-kfold, \
                 leave-one-out or fixed-split with per_group",
                eval.scheme
            ),
        ));
    }
    Ok(())
}

/// `[evaluation] inner_k` is in 2..=20, and given only when some feature set or classifier lists values to tune.
pub(crate) fn check_inner_k(
    eval: &EvalSpec,
    feature_sets: &[FeatureSet],
    classifiers: &[Classifier],
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    let Some(k) = eval.inner_k else {
        return Ok(());
    };
    if !(2..=MAX_INNER_K).contains(&k) {
        return Err(at.invalid(
            &["evaluation.inner_k"],
            format!("inner_k must be at least 2 and at most {MAX_INNER_K} (allowed: 2..={MAX_INNER_K}), got {k}"),
        ));
    }
    let tuned = feature_sets.iter().any(FeatureSet::is_tuned)
        || classifiers.iter().any(Classifier::is_tuned);
    if !tuned {
        return Err(at.invalid(
            &["evaluation.inner_k"],
            "inner_k sets the inner folds of tuning, but no parameter is given as a list of values to tune; \
             remove it, or give a parameter as a list (alpha = [0.1, 1, 10])"
                .into(),
        ));
    }
    Ok(())
}

/// `[report] top_features` names `best`, `all` or configurations the experiment has (model configurations only:
/// a baseline has no weights), by the id reports give them.
pub(crate) fn check_report(
    file: &ExperimentFile,
    feature_sets: &[FeatureSet],
    classifiers: &[Classifier],
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    let Some(report) = &file.report else {
        return Ok(());
    };
    let variants: Vec<FeatureSet> = match (&file.ablation, file.kind) {
        (Some(a), ExperimentKind::Ablation) => {
            let full = feature_sets
                .iter()
                .find(|fs| fs.spec().name == a.feature_set);
            match full.map(stance_eval::plan::ablation_variants) {
                Some(Ok(v)) => v.into_iter().map(|v| v.features).collect(),
                // The plan reports a variant that is not a valid feature set.
                _ => return Ok(()),
            }
        }
        _ => feature_sets.to_vec(),
    };
    let ids: Vec<String> = variants
        .iter()
        .flat_map(|fs| {
            classifiers
                .iter()
                .filter(|c| !c.kind().is_baseline())
                .map(move |c| stance_eval::plan::config_id(fs, c))
        })
        .collect();
    let all = "report.top_features";
    for (i, entry) in report.top_features.iter().enumerate() {
        if entry == "best" || entry == "all" || ids.contains(entry) {
            continue;
        }
        let what = if classifiers
            .iter()
            .any(|c| c.kind().is_baseline() && c.name() == entry)
        {
            format!("'{entry}' is a baseline, which has no weights to list")
        } else {
            format!("'{entry}' is not a configuration of this experiment")
        };
        return Err(at.invalid(
            &[&format!("{all}[{i}]"), all, "report"],
            format!(
                "top_features: {what}; list \"best\", \"all\" or configuration ids as reports name them ({})",
                ids.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Every configuration tunes over at most [`MAX_GRID`](stance_core::tunable::MAX_GRID) candidates: its feature
/// set's combinations times its classifier's values (each list is bounded on its own when it is checked; this
/// bounds their product). Refused at the classifier's list, or at the feature set when the classifier tunes
/// nothing.
pub(crate) fn check_tuning_size(
    feature_sets: &[FeatureSet],
    classifiers: &[Classifier],
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    use stance_core::tunable::{candidates, MAX_GRID};
    for (j, c) in classifiers.iter().enumerate() {
        if c.spec().is_baseline() {
            continue;
        }
        let values = c.candidates().len().max(1);
        for (i, fs) in feature_sets.iter().enumerate() {
            let combos = fs.candidates().len().max(1);
            let total = candidates([combos, values]);
            if total.is_some_and(|t| t <= MAX_GRID) {
                continue;
            }
            let param = c.grid().first().map(|g| g.param.clone());
            let key = param
                .as_ref()
                .map(|p| format!("classifiers[{j}].{p}"))
                .unwrap_or_else(|| format!("features[{i}].extractors"));
            return Err(at.invalid(
                &[&key, &format!("classifiers[{j}]"), &format!("features[{i}]")],
                format!(
                    "configuration '{} + {}' would tune over {} candidates ({combos} combination(s) of feature set \
                     '{}' × {values} value(s) of classifier '{}'), more than {MAX_GRID}; shorten the lists",
                    fs.spec().name,
                    c.name(),
                    total.map_or_else(|| "more".to_string(), |t| t.to_string()),
                    fs.spec().name,
                    c.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Largest `evaluation.inner_k`: every inner fold re-fits every candidate on every outer fold.
pub(crate) const MAX_INNER_K: usize = 20;

/// The one way to name the grouping column: `data.group` (CSV). `evaluation.group` only chooses between the
/// natural groups (left out, or `"doc"` for gold data) and `"holder"`; the older spelling `group = "group"` and
/// `"doc"` on CSV data are refused with the fix. A group scheme on CSV data needs a column to group by.
pub(crate) fn check_grouping(
    data: &DataSpec,
    eval: &EvalSpec,
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    let here = ["evaluation.group", "evaluation"];
    let column = match data {
        DataSpec::Csv(t) => t.group.as_deref(),
        DataSpec::Gold(_) => None,
    };
    match (data, eval.group) {
        (DataSpec::Csv(_), Some(GroupBy::Group)) => {
            let fix = match column {
                Some(c) => format!("remove the line: group schemes group by the column data.group names ('{c}')"),
                None => "remove the line and name the column in [data] instead, e.g. group = \"topic\"".into(),
            };
            Err(at.invalid(
                &here,
                format!("evaluation.group = \"group\" is no longer accepted; the grouping column is named in one place, data.group: {fix}"),
            ))
        }
        (DataSpec::Gold(_), Some(GroupBy::Group)) => Err(at.invalid(
            &here,
            "evaluation.group = \"group\" is no longer accepted; gold data groups by seed document: remove the line \
             (or write group = \"holder\" to group by stance holder)"
                .into(),
        )),
        (DataSpec::Csv(_), Some(GroupBy::Doc)) => Err(at.invalid(
            &here,
            format!(
                "evaluation.group = \"doc\" applies to gold data (seed documents); CSV data groups by the column \
                 data.group names{}: remove the line (or write group = \"holder\" to group by data.holder)",
                column.map(|c| format!(" ('{c}')")).unwrap_or_default()
            ),
        )),
        (DataSpec::Csv(_), None) if column.is_none() && eval.per_group => Err(at.invalid(
            &["evaluation.per_group", "evaluation"],
            "per_group = true trains one model per group: name the CSV column that holds each row's group (target, \
             topic) in [data], e.g. group = \"topic\" (or set evaluation.group = \"holder\" to group by data.holder)"
                .into(),
        )),
        (DataSpec::Csv(_), None)
            if column.is_none()
                && matches!(eval.scheme, Scheme::GroupKfold | Scheme::LeaveOneGroupOut) =>
        {
            Err(at.invalid(
                &["evaluation.scheme", "evaluation"],
                format!(
                    "scheme {} needs groups: name the CSV column to group by in [data], e.g. group = \"topic\" \
                     (or set evaluation.group = \"holder\" to group by data.holder)",
                    eval.scheme.name()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// `kind` has the table it needs and no other; then that table's own checks.
pub(crate) fn check_kind(file: &ExperimentFile, at: &Locator<'_>) -> Result<(), ConfigError> {
    match (file.kind, &file.ablation, &file.learning_curve) {
        (ExperimentKind::Ablation, None, _) => Err(at.invalid(
            &["kind"],
            "kind = \"ablation\" needs an [ablation] table naming feature_set".into(),
        )),
        (ExperimentKind::LearningCurve, _, None) => Err(at.invalid(
            &["kind"],
            "kind = \"learning-curve\" needs a [learning_curve] table with fractions".into(),
        )),
        (ExperimentKind::Compare, Some(_), _) | (ExperimentKind::Compare, _, Some(_)) => Err(at
            .invalid(
                &["kind", "ablation", "learning_curve"],
                "[ablation] / [learning_curve] need kind = \"ablation\" / \"learning-curve\""
                    .into(),
            )),
        (_, ablation, learning_curve) => {
            if let Some(a) = ablation {
                check_ablation(a, &file.features, at)?;
            }
            match learning_curve {
                Some(lc) => check_learning_curve(lc, at),
                None => Ok(()),
            }
        }
    }
}

/// `[ablation]` names a declared feature set with something to leave out.
pub(crate) fn check_ablation(
    a: &AblationSpec,
    features: &[FeatureSetSpec],
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    let here = ["ablation.feature_set", "ablation"];
    match features.iter().find(|f| f.name == a.feature_set) {
        None => Err(at.invalid(
            &here,
            format!(
                "[ablation] feature_set '{}' is not one of the [[features]] names",
                a.feature_set
            ),
        )),
        Some(f) if f.extractors.len() < 2 => Err(at.invalid(
            &here,
            format!(
                "feature set '{}' has one extractor; nothing to leave out",
                f.name
            ),
        )),
        _ => Ok(()),
    }
}

/// `[learning_curve] fractions`: 1..=20 strictly increasing values in (0, 1].
pub(crate) fn check_learning_curve(
    lc: &LearningCurveSpec,
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    let all = "learning_curve.fractions";
    let len = lc.fractions.len();
    if len == 0 || len > MAX_FRACTIONS {
        return Err(at.invalid(
            &[all],
            format!("fractions must be a non-empty list of at most {MAX_FRACTIONS} numbers in (0, 1] (allowed: 1..={MAX_FRACTIONS} values), got {len}"),
        ));
    }
    if let Some(i) = lc.fractions.iter().position(|f| !(*f > 0.0 && *f <= 1.0)) {
        return Err(at.invalid(
            &[&format!("{all}[{i}]"), all],
            format!(
                "fractions must be a non-empty list of numbers in (0, 1]; got {}",
                number(lc.fractions[i])
            ),
        ));
    }
    if let Some(i) = lc.fractions.windows(2).position(|w| w[0] >= w[1]) {
        return Err(at.invalid(
            &[&format!("{all}[{}]", i + 1), all],
            "fractions must be strictly increasing".into(),
        ));
    }
    Ok(())
}

/// `[gate]` tolerances are finite and non-negative, `right_share` is a share of repeats, `configs` are named once.
pub(crate) fn check_gate(gate: &GateSpec, at: &Locator<'_>) -> Result<(), ConfigError> {
    if !(gate.right_share > 0.0 && gate.right_share <= 1.0) {
        return Err(at.invalid(
            &["gate.right_share", "gate"],
            format!(
                "gate.right_share is the share of the baseline's repeats an item must be right in, in (0, 1]; got {}",
                gate.right_share
            ),
        ));
    }
    for (i, c) in gate.configs.iter().enumerate() {
        if c.trim().is_empty() || gate.configs[..i].contains(c) {
            return Err(at.invalid(
                &[&format!("gate.configs[{i}]"), "gate.configs", "gate"],
                format!(
                    "gate.configs[{i}] '{c}' must be a configuration id (e.g. \"lexicon + linear-svm\"), named once"
                ),
            ));
        }
    }
    if let Some(b) = &gate.behaviour {
        for (test, max) in &b.max_failure_rate {
            if !(0.0..=1.0).contains(max) {
                return Err(at.invalid(
                    &[
                        &format!("gate.behaviour.max_failure_rate.{test}"),
                        "gate.behaviour.max_failure_rate",
                        "gate.behaviour",
                    ],
                    format!("the failure-rate bound of behaviour test '{test}' must be in [0, 1], got {}", number(*max)),
                ));
            }
        }
    }
    for (m, t) in &gate.tolerance {
        if !(t.is_finite() && *t >= 0.0) {
            return Err(at.invalid(
                &[&format!("gate.tolerance.{}", m.key()), "gate.tolerance"],
                format!("gate tolerance for {m} must be >= 0, got {}", number(*t)),
            ));
        }
    }
    Ok(())
}

/// The feature sets with every path they read (a lexicon, a model folder, vectors files) resolved against the
/// experiment's folder (absolute), for validation, which reads them; the declaration itself keeps the paths as
/// written.
pub(crate) fn lexicons_resolved(
    specs: &[FeatureSetSpec],
    source: &ExperimentSource,
) -> Vec<FeatureSetSpec> {
    let mut specs = specs.to_vec();
    for e in specs.iter_mut().flat_map(|fs| fs.extractors.iter_mut()) {
        match e {
            ExtractorSpec::Lexicon(LexiconParams { path: Some(p), .. }) => *p = source.resolve(p),
            ExtractorSpec::Encoder(p) => p.model = source.resolve(&p.model),
            ExtractorSpec::Vectors(p) => {
                p.path = source.resolve(&p.path);
                if let Some(ids) = &mut p.ids {
                    *ids = source.resolve(ids);
                }
            }
            ExtractorSpec::WordVectors(p) => p.path = source.resolve(&p.path),
            _ => {}
        }
    }
    specs
}

/// Unique names, then each feature set's own validation.
pub(crate) fn check_feature_sets(
    specs: &[FeatureSetSpec],
    at: &Locator<'_>,
) -> Result<Vec<FeatureSet>, ConfigError> {
    let mut names = std::collections::HashSet::new();
    for (i, fs) in specs.iter().enumerate() {
        if !names.insert(fs.name.as_str()) {
            return Err(at.invalid(
                &[&format!("features[{i}].name"), &format!("features[{i}]")],
                format!("feature set name '{}' is used twice", fs.name),
            ));
        }
    }
    specs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            f.check_at().map_err(|(extractor, source)| {
                let param = match &source {
                    FeatureError::InvalidParam { param, .. } => Some(param.as_str()),
                    _ => None,
                };
                // The extractor's own parameter, else the extractor, else the set's key or name.
                let mut keys = Vec::new();
                match (extractor, param) {
                    (Some(j), Some(p)) => keys.push(format!("features[{i}].extractors[{j}].{p}")),
                    (None, Some(p)) => keys.push(format!("features[{i}].{p}")),
                    _ => {}
                }
                if let Some(j) = extractor {
                    keys.push(format!("features[{i}].extractors[{j}]"));
                }
                keys.push(format!("features[{i}].name"));
                keys.push(format!("features[{i}]"));
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                ConfigError::Feature {
                    origin: at.origin.clone(),
                    line: at.line(&keys),
                    source,
                }
            })
        })
        .collect()
}

/// Unique names, then each classifier's own validation, located at the parameter it names when it names one.
pub(crate) fn check_classifiers(
    specs: &[ClassifierSpec],
    at: &Locator<'_>,
) -> Result<Vec<Classifier>, ConfigError> {
    let mut names = std::collections::HashSet::new();
    for (i, c) in specs.iter().enumerate() {
        if !names.insert(c.name()) {
            return Err(at.invalid(
                &[
                    &format!("classifiers[{i}].name"),
                    &format!("classifiers[{i}].type"),
                ],
                format!(
                    "classifier name '{}' is used twice; give one of them a `name`",
                    c.name()
                ),
            ));
        }
    }
    specs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.check().map_err(|source| {
                let param = match &source {
                    ModelError::InvalidParam { param, .. } => format!("classifiers[{i}].{param}"),
                    _ => String::new(),
                };
                ConfigError::Model {
                    origin: at.origin.clone(),
                    line: at.line(&[
                        &param,
                        &format!("classifiers[{i}].type"),
                        &format!("classifiers[{i}]"),
                    ]),
                    source,
                }
            })
        })
        .collect()
}

impl Experiment {
    /// Refuses, before anything is fitted, a plan the loaded data cannot run (more folds than items in a class,
    /// too few groups, inner folds tuning cannot fill, …), naming the key to change at its `file:line` with a value
    /// the parser accepts. The rules are the run's own (see [`stance_eval::feasible`]).
    pub fn check_against(&self, plan: &Plan, ds: &Dataset) -> Result<(), ConfigError> {
        // Vectors computed elsewhere must cover every item: a run cannot start with one missing.
        for (i, fs) in self.feature_sets.iter().enumerate() {
            for t in fs.vector_tables() {
                if let Some(id) = t.first_missing(ds.items.iter().map(|it| it.id.as_str())) {
                    let missing = ds
                        .items
                        .iter()
                        .filter(|it| t.first_missing([it.id.as_str()]).is_some())
                        .count();
                    let key = format!("features[{i}].extractors");
                    return Err(self.invalid_at(
                        &[&key, &format!("features[{i}].name")],
                        format!(
                            "{} has no vector for item '{id}' ({missing} of the data's {} items have none); \
                             compute a vector for every item, keyed by the data's ids",
                            t.path().display(),
                            ds.items.len()
                        ),
                    ));
                }
            }
        }
        stance_eval::feasible::check(plan, ds).map_err(|e| {
            let keys: Vec<&str> = e.keys.iter().map(String::as_str).collect();
            self.invalid_at(&keys, e.message)
        })
    }

    /// Refuses a run whose estimated peak memory (see [`stance_eval::budget`]) exceeds `limit` bytes (the
    /// `--memory-limit` given) or, without one, what the machine has available, before anything runs. The message
    /// gives the estimate, its largest part and the keys that drive it at their `file:line`. Where the machine's
    /// memory cannot be read (not Linux) and no limit is given, nothing is refused.
    pub fn check_memory(
        &self,
        plan: &Plan,
        ds: &Dataset,
        jobs: usize,
        limit: Option<u64>,
    ) -> Result<(), ConfigError> {
        use stance_eval::budget::{self, human, Available};
        let available = match limit {
            Some(bytes) => Available {
                bytes,
                source: "--memory-limit".into(),
            },
            None => match budget::available() {
                Some(a) => a,
                None => return Ok(()),
            },
        };
        let estimate = budget::estimate(plan, ds, jobs);
        let total = estimate.total();
        let Some(top) = estimate.dominant().filter(|_| total > available.bytes) else {
            return Ok(());
        };
        let origin = self.source.origin();
        let driven: Vec<String> = top
            .keys
            .iter()
            .filter_map(|k| self.line_of(&[k]).map(|l| format!("{k} ({origin}:{l})")))
            .collect();
        let others: Vec<String> = estimate
            .terms
            .iter()
            .filter(|t| t.what != top.what)
            .take(3)
            .map(|t| format!("{} {}", t.what, human(t.bytes)))
            .collect();
        let keys: Vec<&str> = top.keys.iter().map(String::as_str).collect();
        Err(self.invalid_at(
            &keys,
            format!(
                "this run needs an estimated {} of memory, more than the {} available ({}), so it was not \
                 started; the largest part is the {}, {}: {}{}; then {}. Make the run smaller (fewer \
                 evaluation.repeats, a data.sample, fewer configurations, a smaller bootstrap), use fewer --jobs, \
                 or pass --memory-limit SIZE (e.g. --memory-limit 32GiB) if the machine can give more",
                human(total),
                human(available.bytes),
                available.source,
                top.what,
                human(top.bytes),
                top.detail,
                if driven.is_empty() {
                    String::new()
                } else {
                    format!(", driven by {}", driven.join(", "))
                },
                others.join(", ")
            ),
        ))
    }
}
