//! Shard files: `stance run --shard i/n` writes one, `stance merge` checks a set of them and finishes the run.
//!
//! A shard file is one JSON document: what identifies the run (format version, harness version and commit, platform,
//! the experiment's text and sha256, the sha256 of every data input and of the behavioural cases), which shard it is,
//! the tasks it ran and their outputs ([`TaskOutput`]), and last a trailer with counts. A file cut short anywhere
//! does not parse; one whose trailer disagrees with its body is refused too.
//!
//! [`merge`] refuses, naming the file, a set of shards that is not exactly one run: a truncated or foreign file,
//! shards of different data, experiments, behavioural suites, harness builds or platforms, a shard index given twice or
//! missing. It then reloads the experiment (from the text the shards carry) and its data, checks the data still
//! has the hashes the shards saw, reassembles the grid and runs the rest of the evaluation, which gives exactly a
//! single run's results. It reads every file as a stream, twice (checked first, then its task outputs one at a
//! time), so it never holds a shard file or its predictions whole. It writes nothing: the caller writes the report
//! folder, atomically.
//!
//! `--shard auto` reads the shard from the environment ([`from_env`]); see `docs/SCALE.md` for the recipes.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`,
//! `stance-corpus`, `stance-eval`, `stance-experiment`, `stance-results`; never a crate above it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use stance_core::atomic::write_atomic;
use stance_core::atomic::WriteError;
use stance_corpus::sha256_hex;
use stance_eval::grid::{extract_all, GridBuilder, TaskOutput};
use stance_eval::partition::{tasks_of, GridGap, Reassembly, ShardId, ShardRun};
use stance_eval::results::MAX_JSON_PREDICTIONS;
use stance_eval::run::{finish, prepare, GridTimes, RunOutput};
use stance_eval::{EvalError, Plan};
use stance_experiment::{
    ConfigError, Experiment, LoadedData, SystemOptions, DEFAULT_EXPERIMENT, DEFAULT_EXPERIMENT_PATH,
};
use stance_results::HarnessInfo;

/// The `format` field of every shard file.
pub const FORMAT: &str = "stance-shard";

/// Version of the shard file layout; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Most shards a run may be split into, however the count is given (`--shard I/N`, the environment of `--shard
/// auto`, a shard file): far above any job array's size, and low enough that listing missing shards stays cheap.
pub const MAX_SHARDS: usize = 100_000;

/// Missing shards named one by one in a message; the rest are counted.
const MISSING_SHOWN: usize = 20;

/// The environment variables `--shard auto` reads, in order of precedence: (index, count, what sets them).
pub const ENV_SOURCES: [(&str, &str, &str); 3] = [
    (
        "STANCE_SHARD_INDEX",
        "STANCE_SHARD_COUNT",
        "set by you (e.g. from a CI matrix)",
    ),
    (
        "JOB_COMPLETION_INDEX",
        "STANCE_SHARD_COUNT",
        "Kubernetes Indexed Job",
    ),
    (
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "Slurm job array",
    ),
];

/// Errors of sharding and merging.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// `--shard` is neither `auto` nor `INDEX/COUNT` with 0 ≤ INDEX < COUNT.
    #[error("--shard '{spec}': {why}")]
    BadSpec {
        /// What was given.
        spec: String,
        /// What is wrong and what is expected.
        why: String,
    },
    /// `--shard auto` found no usable variables, or inconsistent ones.
    #[error("--shard auto: {0}")]
    Env(String),
    /// A file or directory could not be read.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A directory given to merge holds no shard file.
    #[error("{path}: no shard files (shard-<i>-of-<n>.json) in this directory")]
    EmptyDir {
        /// The directory.
        path: PathBuf,
    },
    /// Merge was given nothing.
    #[error(
        "no shard files given; pass the shard files (or the directory holding them) of one run"
    )]
    NoShards,
    /// The file ends before its JSON does.
    #[error(
        "{path}: the shard file is truncated ({bytes} bytes, its JSON ends early at line {line}); the shard run was \
         interrupted or the copy is incomplete: copy it again or re-run that shard"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: usize,
        /// Where the text stops.
        line: usize,
    },
    /// The file is not a shard file this harness reads.
    #[error(
        "{path}: not a stance shard file (format {FORMAT} version {FORMAT_VERSION}): {message}"
    )]
    NotAShard {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file is not JSON, or not JSON of a shard file.
    #[error("{path}: not a stance shard file (format {FORMAT} version {FORMAT_VERSION})")]
    ShardJson {
        /// The file.
        path: PathBuf,
        /// The parser's error, with its line and column.
        source: serde_json::Error,
    },
    /// Two shards do not come from the same run.
    #[error(
        "{path} and {first} are shards of different runs: different {what} ({found} vs {expected}); merge only the \
         shards of one run (same data, experiment and harness build), re-running the odd one out"
    )]
    Mixed {
        /// The odd shard.
        path: PathBuf,
        /// The first shard, compared against.
        first: PathBuf,
        /// What differs.
        what: String,
        /// Its value in `path`.
        found: String,
        /// Its value in `first`.
        expected: String,
    },
    /// A shard index is given twice.
    #[error("shard {shard} is given twice: {first} and {second}; pass each shard once")]
    Duplicate {
        /// The shard.
        shard: ShardId,
        /// Its first file.
        first: PathBuf,
        /// Its second file.
        second: PathBuf,
    },
    /// Shards are missing.
    #[error(
        "missing shard(s) {} of {count} ({}); a merge needs every shard of the run: run the missing ones (stance \
         run EXPERIMENT --shard I/{count}) or find their files",
        shown(missing.iter().map(|i| format!("{i}/{count}")), missing.len()),
        shown(missing.iter().map(|i| shard_file_name(ShardId { index: *i, count: *count })), missing.len())
    )]
    Missing {
        /// The shard count.
        count: usize,
        /// The indices not given.
        missing: Vec<usize>,
    },
    /// The shards were made by another harness build than the one merging.
    #[error(
        "{path} was made by stance {shard}, this is stance {ours}; merge with the same build, on the same platform, \
         that ran the shards (the rest of the evaluation runs here, and must compute exactly as they did)"
    )]
    OtherHarness {
        /// A shard.
        path: PathBuf,
        /// The shard's harness.
        shard: String,
        /// The merging harness.
        ours: String,
    },
    /// An input changed between the shard runs and the merge.
    #[error(
        "{path}: {input} has changed since the shards ran (sha256 {then} then, {now} now); the merge re-reads the \
         data, so run it where the shards' inputs are unchanged, or re-run every shard"
    )]
    InputChanged {
        /// The first shard.
        path: PathBuf,
        /// The input (a file, or the behavioural cases).
        input: String,
        /// Its hash in the shards.
        then: String,
        /// Its hash now.
        now: String,
    },
    /// A shard's tasks are not those the plan deals it, or one of its outputs does not fit its task.
    #[error("{path}: {problem}; the file was edited or comes from another run: re-run this shard")]
    BadTasks {
        /// The shard.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The experiment could not be loaded.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The evaluation failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The experiment as a shard carries it: its text, so the merge evaluates exactly what the shards did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardExperiment {
    /// Its name.
    pub name: String,
    /// The path it was read from, as given (`None`: the built-in default).
    pub path: Option<PathBuf>,
    /// sha256 of its text.
    pub sha256: String,
    /// Its text.
    pub text: String,
}

/// Wall-clock seconds of a shard's stages (timings only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardTimes {
    /// Reading the data.
    pub load_seconds: f64,
    /// Extracting the variants the shard fits.
    pub extract_seconds: f64,
    /// Its share of the grid.
    pub grid_seconds: f64,
}

/// The trailer: written last, checked against the body (a guard against a spliced or hand-edited file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    /// Task outputs in the file.
    pub tasks: usize,
    /// Predictions in the file, over every task and configuration.
    pub predictions: usize,
}

/// One shard file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The harness that ran the shard.
    pub harness: HarnessInfo,
    /// Operating system and architecture it ran on (floating-point library functions may differ between them).
    pub platform: String,
    /// The experiment.
    pub experiment: ShardExperiment,
    /// sha256 of every data input (seeds, labels or CSV), as the report's `inputs` lists them.
    pub inputs: BTreeMap<String, String>,
    /// sha256 of the behavioural cases the run evaluates (they are read from files beside the experiment).
    pub behaviour_sha256: String,
    /// Which shard.
    pub shard: ShardId,
    /// The grid's task count (all shards).
    pub n_tasks: usize,
    /// The tasks this shard ran, ascending.
    pub tasks: Vec<usize>,
    /// Timings.
    pub times: ShardTimes,
    /// The tasks' outputs, in task order.
    pub outputs: Vec<TaskOutput>,
    /// Counts, last in the file.
    pub end: Trailer,
}

/// The first [`MISSING_SHOWN`] of `items`, then how many more there are.
fn shown(items: impl Iterator<Item = String>, total: usize) -> String {
    let mut out: Vec<String> = items.take(MISSING_SHOWN).collect();
    if total > MISSING_SHOWN {
        out.push(format!("… and {} more", total - MISSING_SHOWN));
    }
    out.join(", ")
}

/// What is wrong with shard `index` of `count`, or `None` when 1 ≤ count ≤ [`MAX_SHARDS`] and index < count.
pub fn shard_problem(index: usize, count: usize) -> Option<String> {
    if count == 0 {
        return Some("COUNT must be at least 1".into());
    }
    if count > MAX_SHARDS {
        return Some(format!(
            "COUNT {count} is more than {MAX_SHARDS} shards; split the run into fewer"
        ));
    }
    (index >= count).then(|| {
        format!(
            "INDEX counts from 0, so it must be below COUNT: 0/{count} … {}/{count}",
            count - 1
        )
    })
}

/// `shard-<i>-of-<n>.json`.
pub fn shard_file_name(shard: ShardId) -> String {
    format!("shard-{}-of-{}.json", shard.index, shard.count)
}

fn harness_text(h: &HarnessInfo) -> String {
    match &h.git_commit {
        Some(c) => format!("{} ({c})", h.version),
        None => format!("{} (commit unknown)", h.version),
    }
}

fn trailer(outputs: &[TaskOutput]) -> Trailer {
    Trailer {
        tasks: outputs.len(),
        predictions: outputs
            .iter()
            .flat_map(|o| &o.cells)
            .map(|c| c.predictions.len())
            .sum(),
    }
}

/// `os-arch` of this process.
pub fn platform() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// sha256 of the behavioural cases a plan runs (their JSON).
pub fn behaviour_sha256(plan: &Plan) -> String {
    sha256_hex(&serde_json::to_vec(&plan.behaviour).expect("cases serialise"))
}

/// Parses `INDEX/COUNT` (0 ≤ INDEX < COUNT, counted from 0).
pub fn parse_spec(spec: &str) -> Result<ShardId, ShardError> {
    let bad = |why: &str| ShardError::BadSpec {
        spec: spec.to_string(),
        why: why.to_string(),
    };
    let (i, n) = spec
        .split_once('/')
        .ok_or_else(|| bad("expected INDEX/COUNT (e.g. 0/4, counted from 0) or auto"))?;
    let index: usize = i
        .trim()
        .parse()
        .map_err(|_| bad("INDEX must be a whole number (e.g. 0/4)"))?;
    let count: usize = n
        .trim()
        .parse()
        .map_err(|_| bad("COUNT must be a whole number (e.g. 0/4)"))?;
    if let Some(why) = shard_problem(index, count) {
        return Err(bad(&why));
    }
    Ok(ShardId { index, count })
}

/// The shard `--shard auto` runs, from environment variables read through `var` (in order of precedence):
///
/// 1. `STANCE_SHARD_INDEX` and `STANCE_SHARD_COUNT` (e.g. from a CI matrix);
/// 2. `JOB_COMPLETION_INDEX` (Kubernetes Indexed Job) with `STANCE_SHARD_COUNT` (Kubernetes sets no count);
/// 3. `SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` (0 when unset) and `SLURM_ARRAY_TASK_COUNT`.
///
/// Returns the shard and a description of where it came from.
pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<(ShardId, String), ShardError> {
    let number =
        |name: &str| -> Result<Option<usize>, ShardError> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| {
                    ShardError::Env(format!("{name}='{v}' is not a whole number ≥ 0"))
                }),
            }
        };
    for (index_var, count_var, what) in ENV_SOURCES {
        let Some(raw) = number(index_var)? else {
            continue;
        };
        let count = number(count_var)?.ok_or_else(|| {
            ShardError::Env(format!(
                "{index_var} is set ({what}) but {count_var} is not; set {count_var} to the number of shards{}",
                if index_var == "JOB_COMPLETION_INDEX" {
                    " (the Job's spec.completions)"
                } else {
                    ""
                }
            ))
        })?;
        let (index, described) = if index_var == "SLURM_ARRAY_TASK_ID" {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = raw.checked_sub(min).ok_or_else(|| {
                ShardError::Env(format!(
                    "SLURM_ARRAY_TASK_ID={raw} is below SLURM_ARRAY_TASK_MIN={min}"
                ))
            })?;
            (
                index,
                format!(
                    "SLURM_ARRAY_TASK_ID={raw} − SLURM_ARRAY_TASK_MIN={min}, {count_var}={count}"
                ),
            )
        } else {
            (raw, format!("{index_var}={raw}, {count_var}={count}"))
        };
        if count == 0 {
            return Err(ShardError::Env(format!("{count_var} must be at least 1")));
        }
        if count > MAX_SHARDS {
            return Err(ShardError::Env(format!(
                "{count_var}={count} is more than {MAX_SHARDS} shards; split the run into fewer"
            )));
        }
        if index >= count {
            return Err(ShardError::Env(format!(
                "{described}: the index must be below the count (shards are counted from 0{})",
                if index_var == "SLURM_ARRAY_TASK_ID" {
                    "; use a contiguous --array range with step 1"
                } else {
                    ""
                }
            )));
        }
        return Ok((ShardId { index, count }, described));
    }
    Err(ShardError::Env(
        "none of STANCE_SHARD_INDEX, JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID is set; set \
         STANCE_SHARD_INDEX and STANCE_SHARD_COUNT, or give --shard INDEX/COUNT"
            .into(),
    ))
}

/// Reads an experiment keeping its text (a shard carries it to the merge): the file, or with no path what
/// `stance run` uses, `experiments/default.toml` or the built-in copy.
pub fn read_experiment(path: Option<&Path>) -> Result<(Experiment, String), ShardError> {
    let (text, path) = match path {
        Some(p) => (read_text(p)?, Some(p)),
        None if Path::new(DEFAULT_EXPERIMENT_PATH).exists() => (
            read_text(Path::new(DEFAULT_EXPERIMENT_PATH))?,
            Some(Path::new(DEFAULT_EXPERIMENT_PATH)),
        ),
        None => (DEFAULT_EXPERIMENT.to_string(), None),
    };
    Ok((Experiment::from_source(&text, path)?, text))
}

fn read_text(p: &Path) -> Result<String, ShardError> {
    fs::read_to_string(p).map_err(|source| {
        ShardError::Config(ConfigError::Io {
            path: p.to_path_buf(),
            source,
        })
    })
}

impl ShardFile {
    /// A shard file for a shard's run (`times.load_seconds` is left for the caller, who timed the load).
    pub fn new(
        exp: &Experiment,
        text: String,
        data: &LoadedData,
        plan: &Plan,
        harness: HarnessInfo,
        shard: ShardId,
        run: ShardRun,
    ) -> ShardFile {
        let end = trailer(&run.outputs);
        ShardFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            harness,
            platform: platform(),
            experiment: ShardExperiment {
                name: exp.file.name.clone(),
                path: exp.source.path.clone(),
                sha256: exp.source.sha256.clone(),
                text,
            },
            inputs: data.inputs(),
            behaviour_sha256: behaviour_sha256(plan),
            shard,
            n_tasks: run.n_tasks,
            tasks: run.outputs.iter().map(|o| o.task).collect(),
            times: ShardTimes {
                load_seconds: 0.0,
                extract_seconds: run.times.extract_seconds,
                grid_seconds: run.times.grid_seconds,
            },
            outputs: run.outputs,
            end,
        }
    }

    /// Writes the file as `dir/shard-<i>-of-<n>.json`, atomically (a reader never sees half of it); returns its
    /// path and size.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, usize), ShardError> {
        let path = dir.join(shard_file_name(self.shard));
        let mut bytes = serde_json::to_vec(self).expect("shard files serialise");
        bytes.push(b'\n');
        // Readable like any new file (write_atomic applies the umask), so a merge job running as another user on a
        // shared volume can read it.
        write_atomic(&path, &bytes)?;
        Ok((path, bytes.len()))
    }

    /// Reads and checks one shard file: complete JSON, this format and version, a trailer that matches its body.
    pub fn read(path: &Path) -> Result<ShardFile, ShardError> {
        let bytes = fs::read(path).map_err(|source| ShardError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let not_a_shard = |message: String| ShardError::NotAShard {
            path: path.to_path_buf(),
            message,
        };
        let file: ShardFile = serde_json::from_slice(&bytes).map_err(|e| {
            if e.is_eof() {
                ShardError::Truncated {
                    path: path.to_path_buf(),
                    bytes: bytes.len(),
                    line: e.line(),
                }
            } else {
                ShardError::ShardJson {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        check_header(
            path,
            (&file.format, file.format_version),
            file.shard,
            &file.experiment,
            &file.tasks,
            file.n_tasks,
        )?;
        let end = trailer(&file.outputs);
        let listed: Vec<usize> = file.outputs.iter().map(|o| o.task).collect();
        if end != file.end || listed != file.tasks {
            return Err(not_a_shard(format!(
                "its trailer or task list ({} tasks, {} predictions) does not match its body ({} tasks, {} \
                 predictions); the file was cut and spliced or edited",
                file.end.tasks, file.end.predictions, end.tasks, end.predictions
            )));
        }
        Ok(file)
    }

    /// Checks one shard file as [`ShardFile::read`] does (complete JSON, this format and version, a trailer that
    /// matches its body), reading it as a stream and keeping everything but its outputs, which are counted and
    /// left out (`outputs` is empty): a merge checks every shard this way first, then streams the outputs with
    /// [`stream_outputs`].
    pub fn read_header(path: &Path) -> Result<ShardFile, ShardError> {
        let o: ShardOutline = parse_streamed(path, |de| ShardOutline::deserialize(de))?;
        check_header(
            path,
            (&o.format, o.format_version),
            o.shard,
            &o.experiment,
            &o.tasks,
            o.n_tasks,
        )?;
        let end = Trailer {
            tasks: o.outputs.len(),
            predictions: o
                .outputs
                .iter()
                .flat_map(|t| &t.cells)
                .map(|c| c.predictions.0)
                .sum(),
        };
        let listed: Vec<usize> = o.outputs.iter().map(|t| t.task).collect();
        if end != o.end || listed != o.tasks {
            return Err(ShardError::NotAShard {
                path: path.to_path_buf(),
                message: format!(
                    "its trailer or task list ({} tasks, {} predictions) does not match its body ({} tasks, {} \
                     predictions); the file was cut and spliced or edited",
                    o.end.tasks, o.end.predictions, end.tasks, end.predictions
                ),
            });
        }
        Ok(ShardFile {
            format: o.format,
            format_version: o.format_version,
            harness: o.harness,
            platform: o.platform,
            experiment: o.experiment,
            inputs: o.inputs,
            behaviour_sha256: o.behaviour_sha256,
            shard: o.shard,
            n_tasks: o.n_tasks,
            tasks: o.tasks,
            times: o.times,
            outputs: Vec::new(),
            end: o.end,
        })
    }
}

/// The checks of a shard file that need none of its outputs: this format and version, a shard id within bounds, an
/// experiment text that matches its sha256, and a task list in ascending order within the run's tasks. Shared by
/// [`ShardFile::read`] and the streamed [`ShardFile::read_header`], so both refuse the same files.
fn check_header(
    path: &Path,
    format: (&str, u32),
    shard: ShardId,
    experiment: &ShardExperiment,
    tasks: &[usize],
    n_tasks: usize,
) -> Result<(), ShardError> {
    let not_a_shard = |message: String| ShardError::NotAShard {
        path: path.to_path_buf(),
        message,
    };
    if format.0 != FORMAT || format.1 != FORMAT_VERSION {
        return Err(not_a_shard(format!(
            "it says format {} version {}; re-run the shard with this harness",
            format.0, format.1
        )));
    }
    if let Some(why) = shard_problem(shard.index, shard.count) {
        return Err(not_a_shard(format!(
            "it says it is shard {} of {}, but {why}; the file was edited: re-run the shard",
            shard.index, shard.count
        )));
    }
    // The merge evaluates the text, so a text edited after the run (stale sha256) would report settings the
    // predictions were not made with.
    let text_sha = sha256_hex(experiment.text.as_bytes());
    if text_sha != experiment.sha256 {
        return Err(not_a_shard(format!(
                "its experiment text has sha256 {text_sha}, but the file says {}: the text was edited after the \
                 shard ran, so its predictions may come from other settings; re-run the shard",
                experiment.sha256
            )));
    }
    if let Some(w) = tasks.windows(2).find(|w| w[0] >= w[1]) {
        return Err(not_a_shard(format!(
                "its task list is not in ascending order without repeats (task {} before task {}); the file was \
                 edited: re-run the shard",
                w[0], w[1]
            )));
    }
    if let Some(t) = tasks.iter().find(|&&t| t >= n_tasks) {
        return Err(not_a_shard(format!(
                "it lists task {t}, but says the run has {} tasks; the file was edited: re-run the shard",
                n_tasks
            )));
    }
    Ok(())
}

/// A task output's outline, for checking a shard file without holding its predictions: its task and the number
/// of predictions of each cell.
#[derive(Deserialize)]
struct TaskOutline {
    task: usize,
    cells: Vec<CellOutline>,
}

#[derive(Deserialize)]
struct CellOutline {
    predictions: Counted,
}

/// The length of a JSON array, its elements skipped.
struct Counted(usize);

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Count;
        impl<'de> Visitor<'de> for Count {
            type Value = Counted;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Counted, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Counted(n))
            }
        }
        d.deserialize_seq(Count)
    }
}

/// A shard file with its outputs outlined, not held.
#[derive(Deserialize)]
struct ShardOutline {
    format: String,
    format_version: u32,
    harness: HarnessInfo,
    platform: String,
    experiment: ShardExperiment,
    inputs: BTreeMap<String, String>,
    behaviour_sha256: String,
    shard: ShardId,
    n_tasks: usize,
    tasks: Vec<usize>,
    times: ShardTimes,
    outputs: Vec<TaskOutline>,
    end: Trailer,
}

/// Parses the shard file at `path` from a buffered reader (never the whole file in memory) with `parse`; a file
/// that ends early is [`ShardError::Truncated`].
fn parse_streamed<T>(
    path: &Path,
    parse: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::IoRead<io::BufReader<fs::File>>>,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, ShardError> {
    let io_error = |source| ShardError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io_error)?;
    let bytes = file.metadata().map_err(io_error)?.len() as usize;
    let mut de = serde_json::Deserializer::from_reader(io::BufReader::with_capacity(1 << 20, file));
    parse(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            if e.is_io() {
                ShardError::Io {
                    path: path.to_path_buf(),
                    source: e.into(),
                }
            } else if e.is_eof() {
                ShardError::Truncated {
                    path: path.to_path_buf(),
                    bytes,
                    line: e.line(),
                }
            } else {
                ShardError::ShardJson {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })
}

/// Streams the task outputs of a shard file, in file order, to `each` (one held at a time); every other field is
/// skipped ([`ShardFile::read_header`] checked them). An error of `each` stops the reading and is returned.
pub fn stream_outputs(
    path: &Path,
    mut each: impl FnMut(TaskOutput) -> Result<(), ShardError>,
) -> Result<(), ShardError> {
    struct Outputs<'a, F> {
        each: &'a mut F,
        failed: &'a mut Option<ShardError>,
    }
    impl<'de, F: FnMut(TaskOutput) -> Result<(), ShardError>> DeserializeSeed<'de> for Outputs<'_, F> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de, F: FnMut(TaskOutput) -> Result<(), ShardError>> Visitor<'de> for Outputs<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of task outputs")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(out) = seq.next_element::<TaskOutput>()? {
                if let Err(e) = (self.each)(out) {
                    *self.failed = Some(e);
                    return Err(serde::de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    struct File<'a, F> {
        each: &'a mut F,
        failed: &'a mut Option<ShardError>,
    }
    impl<'de, F: FnMut(TaskOutput) -> Result<(), ShardError>> Visitor<'de> for File<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a shard file")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut outputs = false;
            while let Some(key) = map.next_key::<String>()? {
                if key == "outputs" {
                    map.next_value_seed(Outputs {
                        each: &mut *self.each,
                        failed: &mut *self.failed,
                    })?;
                    outputs = true;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if !outputs {
                return Err(serde::de::Error::missing_field("outputs"));
            }
            Ok(())
        }
    }
    let mut failed = None;
    let parsed = parse_streamed(path, |de| {
        serde::Deserializer::deserialize_map(
            de,
            File {
                each: &mut each,
                failed: &mut failed,
            },
        )
    });
    match failed {
        Some(e) => Err(e),
        None => parsed,
    }
}

/// The files to merge: each file as given, each directory's `shard-*-of-*.json` (sorted by name).
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ShardError> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let io = |source| ShardError::Io {
            path: p.clone(),
            source,
        };
        let mut found = Vec::new();
        for entry in fs::read_dir(p).map_err(io)? {
            let name = entry.map_err(io)?.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("shard-") && name.contains("-of-") && name.ends_with(".json") {
                found.push(p.join(name.as_ref()));
            }
        }
        if found.is_empty() {
            return Err(ShardError::EmptyDir { path: p.clone() });
        }
        found.sort();
        out.extend(found);
    }
    if out.is_empty() {
        return Err(ShardError::NoShards);
    }
    Ok(out)
}

/// A merged run, ready to be assembled into a report exactly as `stance run` assembles its own.
#[derive(Debug)]
pub struct Merged {
    /// The experiment, reloaded from the shards' text.
    pub experiment: Experiment,
    /// Its data, reloaded and checked against the shards' hashes.
    pub data: LoadedData,
    /// The evaluation's output: a single run's.
    pub run: RunOutput,
    /// The shards, in index order, with their timings.
    pub shards: Vec<(PathBuf, ShardTimes)>,
    /// Seconds spent reading and checking the shard files (timings only).
    pub read_seconds: f64,
    /// Seconds spent reloading the data (timings only).
    pub load_seconds: f64,
}

/// The shards are one run: the same harness build, platform, experiment, data, behavioural cases and shard count
/// as the first, every index once, and made by the merging build.
fn check_one_run(shards: &[(PathBuf, ShardFile)], harness: &HarnessInfo) -> Result<(), ShardError> {
    let (first_path, first) = shards.first().ok_or(ShardError::NoShards)?;
    for (path, s) in &shards[1..] {
        let mixed = |what: &str, found: String, expected: String| ShardError::Mixed {
            path: path.clone(),
            first: first_path.clone(),
            what: what.to_string(),
            found,
            expected,
        };
        if s.harness != first.harness {
            return Err(mixed(
                "harness builds",
                harness_text(&s.harness),
                harness_text(&first.harness),
            ));
        }
        if s.platform != first.platform {
            return Err(mixed(
                "platforms",
                s.platform.clone(),
                first.platform.clone(),
            ));
        }
        if s.experiment != first.experiment {
            return Err(mixed(
                "experiments",
                format!("'{}' sha256 {}", s.experiment.name, s.experiment.sha256),
                format!(
                    "'{}' sha256 {}",
                    first.experiment.name, first.experiment.sha256
                ),
            ));
        }
        let keys: BTreeSet<&String> = s.inputs.keys().chain(first.inputs.keys()).collect();
        if let Some(k) = keys
            .into_iter()
            .find(|k| s.inputs.get(*k) != first.inputs.get(*k))
        {
            let show = |m: &BTreeMap<String, String>| {
                m.get(k)
                    .map_or_else(|| format!("no {k}"), |h| format!("{k} sha256 {h}"))
            };
            return Err(mixed("data", show(&s.inputs), show(&first.inputs)));
        }
        if s.behaviour_sha256 != first.behaviour_sha256 {
            return Err(mixed(
                "behavioural cases",
                s.behaviour_sha256.clone(),
                first.behaviour_sha256.clone(),
            ));
        }
        if s.shard.count != first.shard.count || s.n_tasks != first.n_tasks {
            return Err(mixed(
                "shard counts",
                format!("{} shards of {} tasks", s.shard.count, s.n_tasks),
                format!("{} shards of {} tasks", first.shard.count, first.n_tasks),
            ));
        }
    }
    let count = first.shard.count;
    let mut by_index: BTreeMap<usize, &PathBuf> = BTreeMap::new();
    for (path, s) in shards {
        if let Some(prev) = by_index.insert(s.shard.index, path) {
            return Err(ShardError::Duplicate {
                shard: s.shard,
                first: prev.clone(),
                second: path.clone(),
            });
        }
    }
    let missing: Vec<usize> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing { count, missing });
    }
    if first.harness != *harness || first.platform != platform() {
        return Err(ShardError::OtherHarness {
            path: first_path.clone(),
            shard: format!("{} on {}", harness_text(&first.harness), first.platform),
            ours: format!("{} on {}", harness_text(harness), platform()),
        });
    }

    Ok(())
}

/// Checks that `paths` are every shard of one run, each once, then finishes the run. `harness` is the merging
/// build, which must be the shards' build.
///
/// Memory does not follow the shard files' size: every file is first checked as a stream ([`ShardFile::read_header`]),
/// then read again one task output at a time, each placed and dropped ([`Reassembly`]). What stays is a few bytes
/// per prediction (its class); a run too large for `report.json` keeps its class probabilities in a spill file
/// until the report is written.
pub fn merge(
    paths: &[PathBuf],
    harness: &HarnessInfo,
    systems: &SystemOptions,
) -> Result<Merged, ShardError> {
    let started = Instant::now();
    let mut shards = Vec::new();
    for p in paths {
        shards.push((p.clone(), ShardFile::read_header(p)?));
    }
    check_one_run(&shards, harness)?;
    let (first_path, first) = shards.first().ok_or(ShardError::NoShards)?;
    let first_path = first_path.clone();

    let mut read_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let experiment =
        Experiment::from_source(&first.experiment.text, first.experiment.path.as_deref())?;
    let data = experiment.load_data()?;
    let load_seconds = started.elapsed().as_secs_f64();
    let mut plan = experiment.plan()?;
    let changed = |input: &str, then: &str, now: &str| ShardError::InputChanged {
        path: first_path.clone(),
        input: input.to_string(),
        then: then.to_string(),
        now: now.to_string(),
    };
    let now = &data.inputs();
    for (k, then) in first.inputs.iter() {
        let current = now.get(k).map_or("absent", String::as_str);
        if current != then {
            return Err(changed(k, then, current));
        }
    }
    if let Some((k, h)) = now.iter().find(|(k, _)| !first.inputs.contains_key(*k)) {
        return Err(changed(k, "absent", h));
    }
    let behaviour = behaviour_sha256(&plan);
    if behaviour != first.behaviour_sha256 {
        return Err(changed(
            "the behavioural cases",
            &first.behaviour_sha256,
            &behaviour,
        ));
    }

    // Outside systems are no grid task: their commands run here, once, after the inputs are known unchanged.
    experiment.answer_systems(&mut plan, &data, systems)?;
    let prepared = prepare(&plan, &data.dataset)?;
    let folds = prepared.fit_folds();
    let n_tasks = plan.tasks(folds.len()).len();
    let mut owner = BTreeMap::new();
    shards.sort_by_key(|(_, s)| s.shard.index);
    for (path, s) in &shards {
        let expected = tasks_of(&plan, folds, s.shard);
        if s.n_tasks != n_tasks || s.tasks != expected {
            return Err(ShardError::BadTasks {
                path: path.clone(),
                problem: format!(
                    "it ran tasks {:?} of {}, but shard {} of this run is dealt tasks {expected:?} of {n_tasks}",
                    s.tasks, s.n_tasks, s.shard
                ),
            });
        }
        for &t in &s.tasks {
            owner.insert(t, path.clone());
        }
    }
    // A run too large for report.json holds its probabilities in a spill file: they are needed only to write the
    // predictions file, and would otherwise be the one part of the merge that grows with the shard files.
    let n_cells = plan.cells().len();
    let repeats = folds.iter().map(|f| f.repeat).max().map_or(1, |r| r + 1);
    let spill = n_cells * repeats * data.dataset.items.len() > MAX_JSON_PREDICTIONS;
    let proba = GridBuilder::probabilities(n_cells, &data.dataset, folds, spill)
        .map_err(EvalError::from)?;
    let mut grid = Reassembly::new(&plan, &data.dataset, folds, proba);
    let started = Instant::now();
    let mut times = Vec::new();
    for (path, s) in shards {
        stream_outputs(&path, |out| {
            grid.check(&out).map_err(|gap| ShardError::BadTasks {
                path: path.clone(),
                problem: gap.to_string(),
            })?;
            grid.add(out).map_err(EvalError::from)?;
            Ok(())
        })?;
        times.push((path, s.times));
    }
    read_seconds += started.elapsed().as_secs_f64();
    let grid = grid.finish().map_err(|gap| {
        let task = match &gap {
            GridGap::Missing(t) => t.first().copied(),
            GridGap::Repeated(t) | GridGap::Bad { task: t, .. } => Some(*t),
        };
        ShardError::BadTasks {
            path: task
                .and_then(|t| owner.get(&t).cloned())
                .unwrap_or_else(|| first_path_of(&times)),
            problem: gap.to_string(),
        }
    })?;
    let started = Instant::now();
    let extractions = extract_all(&plan, &data.dataset)?;
    let grid_times = GridTimes {
        extract_seconds: started.elapsed().as_secs_f64(),
        grid_seconds: times
            .iter()
            .map(|(_, t)| t.grid_seconds)
            .fold(0.0, f64::max),
    };
    let run = finish(
        &plan,
        &data.dataset,
        prepared,
        &extractions,
        grid,
        grid_times,
    )?;
    Ok(Merged {
        experiment,
        data,
        run,
        shards: times,
        read_seconds,
        load_seconds,
    })
}

fn first_path_of(times: &[(PathBuf, ShardTimes)]) -> PathBuf {
    times.first().map(|(p, _)| p.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn id(index: usize, count: usize) -> ShardId {
        ShardId { index, count }
    }

    #[test]
    fn specs_count_from_zero() {
        assert_eq!(parse_spec("0/1").unwrap(), id(0, 1));
        assert_eq!(parse_spec("2/3").unwrap(), id(2, 3));
        assert!(parse_spec("0/100000").is_ok());
        for bad in [
            "3/3",
            "1/0",
            "a/2",
            "1",
            "-1/2",
            "1/2/3",
            "",
            "0/100001",
            "0/1000000000000",
        ] {
            let e = parse_spec(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("'{bad}'")), "{bad}: {e}");
        }
        assert!(parse_spec("3/3")
            .unwrap_err()
            .to_string()
            .contains("0/3 … 2/3"));
    }

    #[test]
    fn the_environment_is_read_in_order_of_precedence() {
        let (s, from) = from_env(env(&[
            ("STANCE_SHARD_INDEX", "1"),
            ("STANCE_SHARD_COUNT", "4"),
            ("JOB_COMPLETION_INDEX", "3"),
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ]))
        .unwrap();
        assert_eq!(
            (s, from.as_str()),
            (id(1, 4), "STANCE_SHARD_INDEX=1, STANCE_SHARD_COUNT=4")
        );
        let (s, _) = from_env(env(&[
            ("JOB_COMPLETION_INDEX", "2"),
            ("STANCE_SHARD_COUNT", "3"),
        ]))
        .unwrap();
        assert_eq!(s, id(2, 3));
        let (s, _) = from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "5"),
        ]))
        .unwrap();
        assert_eq!(s, id(4, 5));
        let (s, _) = from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ]))
        .unwrap();
        assert_eq!(s, id(0, 2));
    }

    #[test]
    fn missing_or_inconsistent_variables_are_named() {
        let msg = |pairs: &[(&str, &str)]| from_env(env(pairs)).unwrap_err().to_string();
        assert!(msg(&[]).contains("none of STANCE_SHARD_INDEX"));
        assert!(msg(&[("JOB_COMPLETION_INDEX", "0")]).contains("STANCE_SHARD_COUNT is not"));
        assert!(
            msg(&[("STANCE_SHARD_INDEX", "x"), ("STANCE_SHARD_COUNT", "2")])
                .contains("STANCE_SHARD_INDEX='x'")
        );
        assert!(
            msg(&[("STANCE_SHARD_INDEX", "2"), ("STANCE_SHARD_COUNT", "2")])
                .contains("must be below the count")
        );
        assert!(
            msg(&[("STANCE_SHARD_INDEX", "0"), ("STANCE_SHARD_COUNT", "0")]).contains("at least 1")
        );
        assert!(msg(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2")
        ])
        .contains("below SLURM_ARRAY_TASK_MIN"));
        assert!(msg(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "2")
        ])
        .contains("contiguous --array"));
    }
}

#[cfg(test)]
mod fuzz_tests;
