//! Loading an experiment's data (gold labels checked against their seeds, or a labelled CSV), its sampling and
//! class filtering, and its behavioural cases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use stance_behaviour::Case;
use stance_corpus::gold::{load_gold, select_units};
use stance_corpus::sample::stratified_subset;
use stance_corpus::table::{read_table, TableSpec, TableStats};
use stance_corpus::{Dataset, Item};
use stance_eval::metrics::MetricName;

use crate::errors::*;
use crate::paths::*;
use crate::schema::*;
use crate::Experiment;

/// The loaded data and what was left out.
#[derive(Debug, Clone)]
pub struct LoadedData {
    /// The items.
    pub dataset: Dataset,
    /// Rows read and left out.
    pub stats: TableStats,
    /// sha256 of what identifies each outside system (see [`LoadedData::inputs`]).
    pub system_inputs: BTreeMap<String, String>,
    /// The answers of the systems that read a predictions file, per system in declaration order (`None` for
    /// commands, which run later: [`Experiment::answer_systems`]).
    pub system_answers: Vec<Option<stance_eval::system::Answers>>,
}

/// A stratified random sample of `n` items (class shares kept, at least one per present class), in original
/// order ([`stance_corpus::sample::stratified_subset`]).
pub fn stratified_sample(ds: &Dataset, n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005A_4D50_4C45);
    let total = ds.items.len();
    let rows: Vec<usize> = (0..total).collect();
    let labels = ds.labels();
    let keep = stratified_subset(
        &rows,
        &labels,
        ds.classes.len(),
        |len| len as f64 * n as f64 / total as f64,
        &mut rng,
    );
    Dataset {
        classes: ds.classes.clone(),
        items: keep.into_iter().map(|i| ds.items[i].clone()).collect(),
        input_hashes: ds.input_hashes.clone(),
    }
}

impl Experiment {
    /// The expanded behavioural cases this experiment runs: `[behaviour] suites` (resolved against the
    /// experiment's folder), or for gold data the `behaviour` folder beside the gold labels when it exists
    /// (`labels/behaviour` for the default `labels/gold.csv`); none when disabled.
    pub fn behaviour_cases(&self) -> Result<Vec<Case>, ConfigError> {
        let dir = match (&self.file.behaviour, &self.file.data) {
            (Some(b), _) if !b.enabled => return Ok(Vec::new()),
            (
                Some(BehaviourSpec {
                    suites: Some(d), ..
                }),
                _,
            ) => self.existing("behaviour.suites", d)?,
            _ => match self.default_behaviour_folder() {
                Some(beside) => shown(&beside),
                None => return Ok(Vec::new()),
            },
        };
        let suites = stance_behaviour::suite::load_dir(&dir)?;
        Ok(stance_behaviour::expand::expand_all(&suites)?)
    }

    /// For gold data, the `behaviour` folder beside the gold labels (inside a folder of label files), when it
    /// exists: where the suites are read from unless `[behaviour]` says otherwise. Resolved (absolute).
    pub(crate) fn default_behaviour_folder(&self) -> Option<PathBuf> {
        let DataSpec::Gold(g) = &self.file.data else {
            return None;
        };
        let labels = self.source.resolve(&g.labels);
        let beside = if labels.is_dir() {
            labels.join(DEFAULT_BEHAVIOUR_DIR)
        } else {
            labels.parent()?.join(DEFAULT_BEHAVIOUR_DIR)
        };
        beside.is_dir().then_some(beside)
    }

    /// Loads the data the experiment names, keeping only its classes. Relative paths resolve against the
    /// experiment file's folder.
    pub fn load_data(&self) -> Result<LoadedData, ConfigError> {
        match &self.file.data {
            DataSpec::Gold(g) => {
                let seeds = self.existing("data.seeds", &g.seeds)?;
                if !seeds.join(stance_corpus::seeds::MANIFEST_FILE).exists() && self.source.built_in
                {
                    return Err(self.no_project());
                }
                let labels = self.existing("data.labels", &g.labels)?;
                let check = load_gold(&seeds, &labels)?;
                // Label files are named relative to the folder holding the seeds folder (the project), so the keys
                // (`labels:labels/gold.csv`) depend neither on the working directory nor on where the experiment
                // file sits; seeds are already keyed by file name.
                let project = self.source.resolve(&g.seeds);
                let project = project.parent().unwrap_or(&project);
                let input_hashes = check
                    .input_hashes()
                    .into_iter()
                    .map(|(k, v)| match k.strip_prefix("labels:") {
                        Some(p) => {
                            let abs = normalise(&working_dir().join(p));
                            let rel = abs.strip_prefix(project).unwrap_or(&abs);
                            (format!("labels:{}", rel.display()), v)
                        }
                        None => (k, v),
                    })
                    .collect();
                let units = select_units(&check.units, g.unit);
                for c in &g.classes {
                    if !stance_corpus::GOLD_STANCES.contains(&c.as_str()) {
                        return Err(self.invalid_at(
                            &["data.classes", "data"],
                            format!(
                                "data.classes lists '{c}', which is not a gold stance; use support, oppose and/or \
                                 neutral"
                            ),
                        ));
                    }
                }
                let mut items = Vec::new();
                let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
                for u in units {
                    match g.classes.iter().position(|c| *c == u.stance) {
                        Some(label) => items.push(Item {
                            id: u.id.clone(),
                            text: u.text.clone(),
                            label,
                            doc: Some(u.doc.clone()),
                            holder: Some(u.holder.clone()),
                            group: Some(u.doc.clone()),
                            split: None,
                        }),
                        None => *dropped.entry(u.stance.clone()).or_default() += 1,
                    }
                }
                let ds = Dataset {
                    classes: g.classes.clone(),
                    items,
                    input_hashes,
                };
                self.finish_data(
                    ds,
                    TableStats {
                        rows: 0,
                        dropped_by_label: dropped,
                        dropped_by_split: 0,
                    },
                )
            }
            DataSpec::Csv(t) => {
                let t = TableSpec {
                    path: self.existing("data.path", &t.path)?,
                    ..t.clone()
                };
                let (mut ds, stats) = read_table(&t, &t.classes)?;
                // Keyed by file name: stable whatever the working directory or the experiment file's folder.
                let key = |p: &Path| format!("data:{}", p.display());
                if let (Some(hash), Some(name)) =
                    (ds.input_hashes.remove(&key(&t.path)), t.path.file_name())
                {
                    ds.input_hashes.insert(key(Path::new(name)), hash);
                }
                let ds = match t.sample {
                    Some(n) if n < ds.items.len() => stratified_sample(&ds, n, self.file.seed),
                    _ => ds,
                };
                self.finish_data(ds, stats)
            }
        }
    }

    pub(crate) fn finish_data(
        &self,
        ds: Dataset,
        stats: TableStats,
    ) -> Result<LoadedData, ConfigError> {
        let counts = ds.class_counts();
        if ds.classes.len() < 2 {
            return Err(self.invalid_at(
                &["data.classes", "data.label", "data"],
                format!(
                    "the data has {} class(es) ({}); a stance experiment needs at least two: list two or more in \
                     data.classes, or point data.label at the column holding the stances",
                    ds.classes.len(),
                    ds.classes.join(", ")
                ),
            ));
        }
        for (c, n) in ds.classes.iter().zip(&counts) {
            if *n == 0 {
                return Err(self.invalid_at(
                    &["data.classes", "data.sample", "data"],
                    format!(
                        "class '{c}' has no items in the data (after data.unit, data.split and data.sample are \
                         applied); remove it from data.classes, or label items of it"
                    ),
                ));
            }
        }
        if let Some(c) = self
            .file
            .favg_classes
            .iter()
            .flatten()
            .find(|c| !ds.classes.contains(c))
        {
            return Err(self.invalid_at(
                &["favg_classes"],
                format!(
                    "favg_classes lists '{c}', which the data does not have (classes: {}); use names from the \
                     data's classes (after data.label_names)",
                    ds.classes.join(", ")
                ),
            ));
        }
        if self.file.favg_classes.is_none()
            && (self.file.headline == MetricName::FAvg
                || self.gate_metrics().contains(&MetricName::FAvg))
        {
            let has = |s: &str| ds.classes.iter().any(|c| c == s);
            if !(has("support") && has("oppose")) {
                return Err(self.invalid_at(
                    &["headline", "gate.metrics", "data"],
                    format!(
                        "F_avg is the mean F1 of the classes 'support' and 'oppose', which this data does not have \
                         (classes: {}); declare favg_classes (e.g. [\"pro\", \"con\"]), rename them with \
                         data.label_names, or choose another headline",
                        ds.classes.join(", ")
                    ),
                ));
            }
        }
        let systems = self.load_systems(&ds)?;
        Ok(LoadedData {
            dataset: ds,
            stats,
            system_inputs: systems.inputs,
            system_answers: systems.answers,
        })
    }
}
