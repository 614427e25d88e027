//! The experiment layer's errors: one variant per way an experiment file, its paths or its data can be wrong,
//! each naming `file:line` (or the path) and how to fix it.

use std::path::PathBuf;

use stance_behaviour::BehaviourError;
use stance_corpus::CorpusError;
use stance_features::FeatureError;
use stance_models::ModelError;

use crate::DEFAULT_EXPERIMENT_PATH;

/// Errors in an experiment file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read the experiment file")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a wrong type.
    #[error("{origin}:{line}")]
    Parse {
        /// The file (or `<built-in default>`).
        origin: String,
        /// 1-based line.
        line: u64,
        /// The parser's error: what is wrong.
        source: stance_core::errors::TomlCause,
    },
    /// A value is out of range or inconsistent with another.
    #[error("{origin}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The file.
        origin: String,
        /// 1-based line, when it can be located.
        line: Option<u64>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A feature set is invalid.
    #[error("{origin}{}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Feature {
        /// The file.
        origin: String,
        /// Line of the feature set's name, when found.
        line: Option<u64>,
        /// The feature error.
        source: FeatureError,
    },
    /// A classifier is invalid.
    #[error("{origin}{}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Model {
        /// The file.
        origin: String,
        /// Line of the classifier, when found.
        line: Option<u64>,
        /// The model error.
        source: ModelError,
    },
    /// The data the experiment names could not be loaded.
    #[error(transparent)]
    Data(#[from] CorpusError),
    /// The data does not fit the experiment (e.g. a class with no items).
    #[error("{0}")]
    DataMismatch(String),
    /// A behavioural suite could not be loaded or expanded.
    #[error(transparent)]
    Behaviour(#[from] BehaviourError),
    /// An outside system's predictions cannot be used: a bad predictions file, or a command that failed, timed out
    /// or answered badly.
    #[error("{origin}{}: system '{system}'", line.map(|l| format!(":{l}")).unwrap_or_default())]
    System {
        /// The experiment file.
        origin: String,
        /// Line of the system's `[[systems]]` entry, when found.
        line: Option<u64>,
        /// The system's name.
        system: String,
        /// What is wrong, where and how to fix it (boxed: large).
        source: Box<crate::systems::error::SystemError>,
    },
    /// A path the experiment names (or defaults to) does not exist (boxed: it is the largest variant).
    #[error("{0}")]
    NotFound(Box<MissingPath>),
    /// `stance run` / `stance check` without an experiment, outside a stance project: the built-in default
    /// experiment's gold data is not there.
    #[error(
        "no stance project here: looked for {} (the gold data of the built-in default experiment; no {} either). \
         Run inside a stance project (a folder holding seeds/, labels/ and experiments/), or pass an experiment \
         file whose [data] points at your data, e.g. `stance run my-experiment.toml` with [data] source = \"csv\" \
         and path = \"my-data.csv\" (relative to the experiment file; see \"Running on your own data\" in the README)",
        looked_for.display(), DEFAULT_EXPERIMENT_PATH
    )]
    NoProject {
        /// The absolute path looked for (`<working directory>/seeds/manifest.csv`).
        looked_for: PathBuf,
    },
}

/// A path in an experiment that resolves to nothing, for [`ConfigError::NotFound`].
#[derive(Debug, thiserror::Error)]
#[error(
    "{origin}: {field} = \"{}\"{} names {}, which does not exist (relative paths in an experiment are resolved \
     against the experiment file's folder, {}); correct the path in the experiment file",
    written.display(),
    if *defaulted { " (its default when left out)" } else { "" },
    resolved.display(),
    base.display()
)]
pub struct MissingPath {
    /// The experiment file.
    pub origin: String,
    /// The key, e.g. `data.seeds`.
    pub field: String,
    /// Whether the value is the key's default (the file may leave the key out).
    pub defaulted: bool,
    /// The path as written (or its default).
    pub written: PathBuf,
    /// The absolute path it resolved to.
    pub resolved: PathBuf,
    /// The folder it was resolved against.
    pub base: PathBuf,
}
