//! Outside systems (`[[systems]]`): models trained elsewhere — a fine-tuned transformer, a prompted LLM, a keyword
//! rule — judged on the same items, folds and tests as the harness's own configurations.
//!
//! A system gives its predictions one of two ways:
//!
//! * `predictions = "file.csv"` (module `predictions`): `id,predicted[,p_<class>…]`, one row per item, read and
//!   checked when the data is loaded ([`Experiment::load_data`]), so a bad file stops a run before anything is
//!   fitted. It cannot label new text, so behavioural cases are skipped for it.
//! * `command = ["python3", "model.py"]` (module `command`): a process, started without a shell in the experiment
//!   file's folder, that reads `{"id","text"}` JSON lines on stdin and writes `{"id","label"[,"probabilities"]}`
//!   lines on stdout in any order. It is called once on the items and once on the behavioural cases' texts
//!   ([`Experiment::answer_systems`]), each call killed after `timeout` seconds.
//!
//! Labels are the data's class names (after `data.label_names`), or a CSV's raw label values that
//! `data.label_names` maps to one. What identifies a system — its predictions file's sha256, or its command line
//! and the sha256 of every file the command line names — is an input of the run ([`LoadedData::inputs`]), so a
//! baseline made with another model is stale and a merge cannot mix shards of different systems.
//!
//! Everything the evaluation does with the answers is `stance_eval::system`'s.

mod command;
pub(crate) mod error;
mod predictions;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use stance_corpus::{sha256_hex, Dataset, SplitRole};
use stance_eval::plan::{Plan, System};
use stance_eval::results::SystemSource;
use stance_eval::splits::Scheme;
use stance_eval::system::{case_texts, Answers};
use stance_models::Prediction;

use crate::errors::ConfigError;
use crate::paths::shown;
use crate::schema::{DataSpec, ExperimentFile, SystemSpec};
use crate::spans::Locator;
use crate::{Experiment, LoadedData};

pub use error::{SystemError, MAX_TIMEOUT};

/// Seconds a call of a system's command may take unless `timeout` says otherwise.
pub const DEFAULT_TIMEOUT: u64 = 600;

/// How outside systems' commands run (nothing here changes results).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemOptions {
    /// Pass the commands' stderr through to ours (`--verbose`) instead of capturing it for error messages.
    pub verbose: bool,
}

/// The checks of `[[systems]]` serde cannot do: names usable as configuration ids and unique, exactly one of
/// `predictions` and `command`, a non-empty command line, `timeout` only with a command and within range.
pub(crate) fn check_systems(file: &ExperimentFile, at: &Locator<'_>) -> Result<(), ConfigError> {
    for (i, s) in file.systems.iter().enumerate() {
        let key = |k: &str| format!("systems[{i}].{k}");
        let table = format!("systems[{i}]");
        let name = s.name.trim();
        let invalid = |k: &str, message: String| at.invalid(&[&key(k), &table], message);
        if name.is_empty() || name != s.name || s.name.chars().any(char::is_control) {
            return Err(invalid(
                "name",
                format!(
                    "system name '{}' must be non-empty, without leading or trailing spaces or control characters; \
                     it is the system's configuration id in every report",
                    stance_core::diag::excerpt(&s.name)
                ),
            ));
        }
        if s.name.contains(" + ") {
            return Err(invalid(
                "name",
                format!(
                    "system name '{}' contains ' + ', which the harness's configuration ids use (`feature set + \
                     classifier`); name it without ' + ' (e.g. '{}')",
                    s.name,
                    s.name.replace(" + ", "+")
                ),
            ));
        }
        if file.systems[..i].iter().any(|o| o.name == s.name) {
            return Err(invalid(
                "name",
                format!(
                    "system name '{}' is used twice; give each system its own name",
                    s.name
                ),
            ));
        }
        if let Some(c) = file.classifiers.iter().find(|c| c.name() == s.name) {
            return Err(invalid(
                "name",
                format!(
                    "system name '{}' is also a classifier's name ({}), and so a configuration id; rename the system",
                    s.name,
                    c.kind()
                ),
            ));
        }
        match (&s.predictions, &s.command) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "command",
                    format!(
                        "system '{}' has both `predictions` and `command`; give one: a predictions file, or a \
                         command that labels texts",
                        s.name
                    ),
                ))
            }
            (None, None) => {
                return Err(invalid(
                    "name",
                    format!(
                        "system '{}' needs `predictions = \"file.csv\"` (id,predicted[,p_<class>…]) or \
                         `command = [\"program\", \"arg\", …]`",
                        s.name
                    ),
                ))
            }
            (Some(_), None) if s.timeout.is_some() => {
                return Err(invalid(
                    "timeout",
                    format!(
                        "system '{}': `timeout` limits a command's calls, and this system reads a predictions file; \
                         remove it",
                        s.name
                    ),
                ))
            }
            (None, Some(argv)) if argv.first().is_none_or(|p| p.trim().is_empty()) => {
                return Err(invalid(
                    "command",
                    format!(
                        "system '{}': `command` must name a program first, e.g. [\"python3\", \"model.py\"]",
                        s.name
                    ),
                ))
            }
            _ => {}
        }
        if let Some(t) = s.timeout {
            if !(1..=MAX_TIMEOUT).contains(&t) {
                return Err(invalid(
                    "timeout",
                    format!(
                        "timeout must be at least 1 and at most {MAX_TIMEOUT} seconds (allowed: 1..={MAX_TIMEOUT}), \
                         got {t}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// How labels read: the data's class names, or (CSV data) raw label values `data.label_names` maps to one.
pub(crate) struct Labels<'a> {
    classes: &'a [String],
    renamed: Option<&'a BTreeMap<String, String>>,
}

impl Labels<'_> {
    /// The class a label names.
    fn class(&self, label: &str) -> Option<usize> {
        let name = match self.renamed.and_then(|m| m.get(label)) {
            Some(n) if !self.classes.iter().any(|c| c == label) => n.as_str(),
            _ => label,
        };
        self.classes.iter().position(|c| c == name)
    }

    /// What a label may be, for messages.
    fn allowed(&self) -> String {
        let raw: Vec<&str> = self
            .renamed
            .into_iter()
            .flatten()
            .filter(|(_, to)| self.classes.contains(to))
            .map(|(from, _)| from.as_str())
            .collect();
        let mut s = format!("one of the classes ({})", self.classes.join(", "));
        if !raw.is_empty() {
            s.push_str(&format!(
                " or a raw label data.label_names maps to one ({})",
                raw.join(", ")
            ));
        }
        s
    }

    /// A prediction from a label and optional probabilities by class, checked: a known label, probabilities for
    /// every class and no other, each in [0, 1], summing to 1 (±0.001), the label's the largest.
    fn prediction(
        &self,
        at: &str,
        label: &str,
        probabilities: Option<&[(String, f64)]>,
    ) -> Result<Prediction, SystemError> {
        let line = |message: String| SystemError::Line {
            at: at.to_string(),
            message,
        };
        let class = self.class(label).ok_or_else(|| {
            line(format!(
                "label '{}' is not {}; give every item one of those (a system with other classes must map its \
                 labels onto these)",
                stance_core::diag::excerpt(label),
                self.allowed()
            ))
        })?;
        let Some(given) = probabilities else {
            return Ok(Prediction {
                class,
                proba: None,
                tied: false,
            });
        };
        let mut proba = vec![f64::NAN; self.classes.len()];
        for (name, p) in given {
            let c = self.class(name).ok_or_else(|| {
                line(format!(
                    "a probability is given for '{}', which is not {}",
                    stance_core::diag::excerpt(name),
                    self.allowed()
                ))
            })?;
            if !proba[c].is_nan() {
                return Err(line(format!(
                    "two probabilities are given for class '{}'; give one per class",
                    self.classes[c]
                )));
            }
            if !(p.is_finite() && (0.0..=1.0).contains(p)) {
                return Err(line(format!(
                    "the probability of '{}' is {p}; probabilities must be numbers in [0, 1]",
                    self.classes[c]
                )));
            }
            proba[c] = *p;
        }
        if let Some(c) = proba.iter().position(|p| p.is_nan()) {
            return Err(line(format!(
                "no probability for class '{}'; give one for every class ({}) or none",
                self.classes[c],
                self.classes.join(", ")
            )));
        }
        let sum: f64 = proba.iter().sum();
        if (sum - 1.0).abs() > 1e-3 {
            return Err(line(format!(
                "the probabilities sum to {sum}, not 1; give each class's probability (they must sum to 1 ± 0.001)"
            )));
        }
        let top = proba.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if proba[class] < top {
            let other = proba.iter().position(|&p| p == top).unwrap_or(0);
            return Err(line(format!(
                "the label is '{}' but the probabilities put '{}' higher ({} > {}); the label must be a class of \
                 the largest probability",
                self.classes[class], self.classes[other], top, proba[class]
            )));
        }
        Ok(Prediction {
            class,
            proba: Some(proba),
            tied: false,
        })
    }
}

/// The items a system must predict: every item, except a fixed split's training side (never scored).
fn scored(exp: &Experiment, ds: &Dataset) -> Vec<bool> {
    let fixed = exp.file.evaluation.scheme == Scheme::FixedSplit;
    ds.items
        .iter()
        .map(|i| !fixed || i.split == Some(SplitRole::Test))
        .collect()
}

/// Where items' ids come from, for messages about missing ones.
fn id_hint(file: &ExperimentFile) -> String {
    let ids = match &file.data {
        DataSpec::Csv(t) => match &t.id {
            Some(c) => format!("the CSV's '{c}' column, data.id"),
            None => {
                "without data.id a CSV's ids are row-<line>; name its id column with data.id".into()
            }
        },
        DataSpec::Gold(_) => "the gold labels' id column".into(),
    };
    format!("; give every scored item exactly one row, keyed by the data's ids ({ids})")
}

/// What an outside system needs once the data is loaded: the identity of every system, and the answers of those
/// that read a predictions file.
pub(crate) struct Loaded {
    /// `system:<name>:…` → sha256.
    pub(crate) inputs: BTreeMap<String, String>,
    /// Per system, in declaration order: the predictions file's answers (`None` for commands).
    pub(crate) answers: Vec<Option<Answers>>,
}

impl Experiment {
    /// A system's errors, located at its `[[systems]]` entry.
    fn system_error(&self, i: usize, source: SystemError) -> ConfigError {
        ConfigError::System {
            origin: self.source.origin(),
            line: self.line_of(&[&format!("systems[{i}].name"), &format!("systems[{i}]")]),
            system: self.file.systems[i].name.clone(),
            source: Box::new(source),
        }
    }

    /// The plan's systems as declared, without answers.
    pub(crate) fn declared_systems(&self) -> Vec<System> {
        self.file
            .systems
            .iter()
            .map(|s| System {
                name: s.name.clone(),
                source: match (&s.predictions, &s.command) {
                    (Some(p), _) => SystemSource::Predictions {
                        path: shown(&self.source.resolve(p)).display().to_string(),
                    },
                    (None, argv) => SystemSource::Command {
                        argv: argv.clone().unwrap_or_default(),
                    },
                },
                answers: None,
            })
            .collect()
    }

    fn labels<'a>(&'a self, ds: &'a Dataset) -> Labels<'a> {
        Labels {
            classes: &ds.classes,
            renamed: match &self.file.data {
                DataSpec::Csv(t) => Some(&t.label_names),
                DataSpec::Gold(_) => None,
            },
        }
    }

    /// Reads every predictions file (checked against the items) and hashes what identifies every system: its
    /// predictions file; or its command line and each file the command line names (the program when it is a
    /// path, a script it is given). A program found on PATH (`python3`) is not hashed: it is the machine's.
    pub(crate) fn load_systems(&self, ds: &Dataset) -> Result<Loaded, ConfigError> {
        let mut inputs = BTreeMap::new();
        let mut answers = Vec::new();
        let scored = scored(self, ds);
        for (i, s) in self.file.systems.iter().enumerate() {
            let key = |k: &str| format!("system:{}:{k}", s.name);
            if let Some(p) = &s.predictions {
                let path = self.existing(&format!("systems[{i}].predictions"), p)?;
                let bytes = std::fs::read(&path).map_err(|source| {
                    self.system_error(
                        i,
                        SystemError::Io {
                            path: path.clone(),
                            source,
                        },
                    )
                })?;
                inputs.insert(key("predictions"), sha256_hex(&bytes));
                let read = predictions::read(&path, &bytes, ds, &scored, &self.labels(ds))
                    .map_err(|e| match e {
                        SystemError::Missing {
                            what,
                            item,
                            missing,
                            total,
                            ..
                        } => SystemError::Missing {
                            what,
                            item,
                            missing,
                            total,
                            hint: id_hint(&self.file),
                        },
                        e => e,
                    })
                    .map_err(|e| self.system_error(i, e))?;
                answers.push(Some(read));
                continue;
            }
            let argv = s.command.clone().unwrap_or_default();
            let json = serde_json::to_string(&argv).expect("strings serialise");
            inputs.insert(key("command"), sha256_hex(json.as_bytes()));
            for (n, arg) in argv.iter().enumerate() {
                // The program counts only when it is a path; an argument whenever it names a file.
                if n == 0 && !arg.contains('/') {
                    continue;
                }
                let file = self.source.resolve(Path::new(arg));
                if file.is_file() {
                    let bytes = std::fs::read(&file).map_err(|source| {
                        self.system_error(
                            i,
                            SystemError::Io {
                                path: shown(&file),
                                source,
                            },
                        )
                    })?;
                    inputs.insert(key(&format!("file:{arg}")), sha256_hex(&bytes));
                } else if n == 0 {
                    return Err(self.system_error(
                        i,
                        SystemError::Spawn {
                            program: arg.clone(),
                            dir: self.source.base_dir.clone(),
                            source: std::io::Error::new(
                                std::io::ErrorKind::NotFound,
                                format!("{} is not a file", shown(&file).display()),
                            ),
                        },
                    ));
                }
            }
            answers.push(None);
        }
        Ok(Loaded { inputs, answers })
    }

    /// Gives every system of `plan` its answers: a predictions file's, read with the data; a command's, from
    /// running it on the scored items and (when the plan has behavioural cases) once more on the cases' texts.
    /// Nothing is written; a failing or misbehaving command is refused naming the system and the line.
    pub fn answer_systems(
        &self,
        plan: &mut Plan,
        data: &LoadedData,
        opts: &SystemOptions,
    ) -> Result<(), ConfigError> {
        let ds = &data.dataset;
        let scored = scored(self, ds);
        for (i, spec) in self.file.systems.iter().enumerate() {
            let answers = match (&spec.command, data.system_answers.get(i).cloned().flatten()) {
                (None, Some(given)) => given,
                (None, None) => {
                    return Err(self.invalid_at(
                        &[&format!("systems[{i}].predictions")],
                        format!(
                            "system '{}': its predictions file was not read with the data; load the data with \
                             this experiment",
                            spec.name
                        ),
                    ))
                }
                (Some(argv), _) => self
                    .run_command(spec, argv, plan, ds, &scored, opts)
                    .map_err(|e| self.system_error(i, e))?,
            };
            if let Some(s) = plan.systems.iter_mut().find(|s| s.name == spec.name) {
                s.answers = Some(answers);
            }
        }
        Ok(())
    }

    /// The plan with every system answered ([`Experiment::plan`], then [`Experiment::answer_systems`]): what a run
    /// needs.
    pub fn plan_answered(
        &self,
        data: &LoadedData,
        opts: &SystemOptions,
    ) -> Result<Plan, ConfigError> {
        let mut plan = self.plan()?;
        self.answer_systems(&mut plan, data, opts)?;
        Ok(plan)
    }

    /// A command system's two calls: the scored items, then the behavioural cases' distinct texts.
    fn run_command(
        &self,
        spec: &SystemSpec,
        argv: &[String],
        plan: &Plan,
        ds: &Dataset,
        scored: &[bool],
        opts: &SystemOptions,
    ) -> Result<Answers, SystemError> {
        let call = command::Call {
            argv,
            dir: &self.source.base_dir,
            timeout: Duration::from_secs(spec.timeout.unwrap_or(DEFAULT_TIMEOUT)),
            verbose: opts.verbose,
        };
        let labels = self.labels(ds);
        let sent: Vec<(&str, &str)> = ds
            .items
            .iter()
            .zip(scored)
            .filter(|(_, &s)| s)
            .map(|(it, _)| (it.id.as_str(), it.text.as_str()))
            .collect();
        let what = format!("the {} items", sent.len());
        let mut by_id = call.label(&what, &sent, &labels)?;
        let mut items = Vec::with_capacity(ds.items.len());
        for it in &ds.items {
            items.push(by_id.remove(it.id.as_str()));
        }
        let cases = if plan.behaviour.is_empty() {
            None
        } else {
            let texts = case_texts(&plan.behaviour);
            let ids: Vec<String> = (1..=texts.len()).map(|n| format!("case-{n}")).collect();
            let sent: Vec<(&str, &str)> = ids
                .iter()
                .map(String::as_str)
                .zip(texts.iter().copied())
                .collect();
            let what = format!("the {} behavioural texts", sent.len());
            let mut by_id = call.label(&what, &sent, &labels)?;
            let map: HashMap<&str, &str> = sent.iter().copied().collect();
            Some(
                ids.iter()
                    .filter_map(|id| {
                        Some((map[id.as_str()].to_string(), by_id.remove(id.as_str())?))
                    })
                    .collect(),
            )
        };
        Ok(Answers {
            items,
            cases,
            ignored: 0,
        })
    }
}

impl LoadedData {
    /// sha256 of every input of the run: the data's files ([`Dataset::input_hashes`]) and what identifies each
    /// outside system (`system:<name>:predictions`, `system:<name>:command`, `system:<name>:file:<arg>`).
    pub fn inputs(&self) -> BTreeMap<String, String> {
        let mut out = self.dataset.input_hashes.clone();
        out.extend(self.system_inputs.clone());
        out
    }
}

#[cfg(test)]
mod tests;
