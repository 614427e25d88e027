//! Where an experiment's relative paths point: resolved against the experiment file's folder (or the working
//! directory, or `./experiments` for the built-in default), and named in messages as the user would type them.

use std::path::{Path, PathBuf};

use stance_features::lexicon::LexiconParams;
use stance_features::ExtractorSpec;

use crate::errors::*;
use crate::schema::*;
use crate::{Experiment, DEFAULT_EXPERIMENT_PATH};

/// Where an experiment came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentSource {
    /// The file, or `None` for the built-in default.
    pub path: Option<PathBuf>,
    /// sha256 of the experiment's bytes.
    pub sha256: String,
    /// The absolute folder relative paths in the experiment resolve against: the experiment file's folder; the
    /// working directory for text without a file; `./experiments` for the built-in default.
    pub base_dir: PathBuf,
    /// Whether this is the built-in copy of `experiments/default.toml`.
    pub built_in: bool,
}

impl ExperimentSource {
    /// How to name the source in messages.
    pub fn origin(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => format!("<built-in {DEFAULT_EXPERIMENT_PATH}>"),
        }
    }

    /// The absolute path `p` names: `p` itself when absolute, else `p` under [`base_dir`](Self::base_dir),
    /// with `.` and `..` removed lexically (the folder may not exist, e.g. for the built-in default).
    pub fn resolve(&self, p: &Path) -> PathBuf {
        normalise(&self.base_dir.join(p))
    }
}

/// The working directory, absolute and with symbolic links resolved when possible (`.` if it cannot be read).
pub(crate) fn working_dir() -> PathBuf {
    std::env::current_dir()
        .map(|d| d.canonicalize().unwrap_or(d))
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// `p` with `.` components dropped and each `..` removing the component before it (lexically).
pub(crate) fn normalise(p: &Path) -> PathBuf {
    stance_core::outputs::lexical(p)
}

/// How a resolved path is handed to the loaders, and so named in their messages and in `report.json`'s input
/// keys: relative to the working directory when it lies inside it (the same text as before paths were resolved
/// against the experiment file, so a baseline made from the project root stays comparable), else absolute.
pub(crate) fn shown(resolved: &Path) -> PathBuf {
    match resolved.strip_prefix(working_dir()) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => resolved.to_path_buf(),
    }
}

impl Experiment {
    /// Every file and folder a run of this experiment reads, resolved (absolute), each with what it is: the
    /// experiment file, the data (the seeds folder and the label file or folder, or the CSV), the behavioural
    /// suites' folder, what the feature sets read (lexicons, encoder folders, vectors files) and what outside systems
    /// read (predictions files, files named on a command line). The commands check
    /// their outputs against these before writing (`stance_core::outputs`), so a run never writes over its input.
    pub fn read_paths(&self) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        if let Some(p) = &self.source.path {
            out.push(("the experiment file".to_string(), p.clone()));
        }
        match &self.file.data {
            DataSpec::Gold(g) => {
                out.push((
                    "the seeds folder (data.seeds)".into(),
                    self.source.resolve(&g.seeds),
                ));
                out.push((
                    "the gold labels (data.labels)".into(),
                    self.source.resolve(&g.labels),
                ));
            }
            DataSpec::Csv(t) => {
                out.push(("the data (data.path)".into(), self.source.resolve(&t.path)));
            }
        }
        match &self.file.behaviour {
            Some(b) if !b.enabled => {}
            Some(BehaviourSpec {
                suites: Some(d), ..
            }) => out.push((
                "the behavioural suites (behaviour.suites)".into(),
                self.source.resolve(d),
            )),
            _ => {
                if let Some(d) = self.default_behaviour_folder() {
                    out.push(("the behavioural suites".into(), d));
                }
            }
        }
        // Validated feature sets hold their paths resolved already (`lexicons_resolved`).
        for fs in &self.feature_sets {
            let name = &fs.spec().name;
            for e in &fs.spec().extractors {
                let mut add = |what: &str, p: &Path| {
                    out.push((format!("{what} of feature set '{name}'"), p.to_path_buf()))
                };
                match e {
                    ExtractorSpec::Lexicon(LexiconParams { path: Some(p), .. }) => {
                        add("the lexicon", p)
                    }
                    ExtractorSpec::Encoder(p) => add("the encoder folder", &p.model),
                    ExtractorSpec::Vectors(p) => {
                        add("the vectors file", &p.path);
                        if let Some(ids) = &p.ids {
                            add("the vectors' ids file", ids);
                        }
                    }
                    ExtractorSpec::WordVectors(p) => add("the word-vectors file", &p.path),
                    _ => {}
                }
            }
        }
        // An outside system's predictions file, and the files its command line names (its program when that is a
        // path, its scripts and weights): the same files its identity hashes.
        for s in &self.file.systems {
            if let Some(p) = &s.predictions {
                out.push((
                    format!("the predictions file of system '{}'", s.name),
                    self.source.resolve(p),
                ));
            }
            for (n, arg) in s.command.iter().flatten().enumerate() {
                let file = self.source.resolve(Path::new(arg));
                if (n > 0 || arg.contains('/')) && file.is_file() {
                    out.push((
                        format!("a file the command of system '{}' names", s.name),
                        file,
                    ));
                }
            }
        }
        out
    }

    /// `written` (the value of `field`) resolved against the experiment's folder, as the loaders should see it
    /// (see `shown`), or [`ConfigError::NotFound`] / [`ConfigError::NoProject`] when nothing is there.
    pub(crate) fn existing(&self, field: &str, written: &Path) -> Result<PathBuf, ConfigError> {
        let resolved = self.source.resolve(written);
        if resolved.exists() {
            return Ok(shown(&resolved));
        }
        if self.source.built_in {
            // The usual way to get here: the binary run outside a project, with no experiment named.
            return Err(self.no_project());
        }
        // A left-out key shows its default value: say so, so the message does not seem to quote a missing line.
        let defaulted = match field {
            "data.seeds" => written == default_seeds(),
            "data.labels" => written == default_labels(),
            _ => false,
        };
        Err(ConfigError::NotFound(Box::new(MissingPath {
            origin: self.source.origin(),
            field: field.to_string(),
            defaulted,
            written: written.to_path_buf(),
            resolved,
            base: self.source.base_dir.clone(),
        })))
    }

    /// [`ConfigError::NoProject`], naming the seed manifest the experiment's gold data would need.
    pub(crate) fn no_project(&self) -> ConfigError {
        let seeds = match &self.file.data {
            DataSpec::Gold(g) => g.seeds.clone(),
            DataSpec::Csv(_) => default_seeds(),
        };
        ConfigError::NoProject {
            looked_for: self
                .source
                .resolve(&seeds)
                .join(stance_corpus::seeds::MANIFEST_FILE),
        }
    }
}
