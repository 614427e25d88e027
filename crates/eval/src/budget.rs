//! The memory a run will need, estimated before it starts, and the memory the machine has.
//!
//! A run too large for the machine used to abort half-way with a failed allocation (or be killed by the kernel)
//! after minutes of work. [`estimate`] adds up, from the plan and the loaded data alone, the structures that grow
//! with the experiment's sizes: the out-of-fold predictions (items × repeats × configurations × classes, held by
//! the run, by the report and as `predictions.csv`), the feature matrices of the folds fitted at the same time
//! (one per worker thread), the dense copy the decision tree needs, the bootstrap replicates and the report. Each
//! term is an upper estimate (every item's every n-gram distinct, every allocation at its full size), so a run
//! that fits is not refused: the shipped experiments and the 30k-argument benchmarks need well under 1 GiB by this
//! count, against peaks of 0.2–1.2 GiB measured (bench/README.md). [`available`] reads what the machine can give:
//! `MemAvailable` in `/proc/meminfo`, lowered by a cgroup's memory limit.

use std::path::Path;

use super::plan::Plan;
use super::splits::Split;
use stance_corpus::Dataset;
use stance_features::ExtractorSpec;
use stance_models::{ClassifierKind, DENSE_BUDGET_BYTES};

/// What drives one part of the estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// What is held (`out-of-fold predictions`, …).
    pub what: &'static str,
    /// Bytes.
    pub bytes: u64,
    /// How the bytes come about, with the numbers (`30000 items × 10 repeats × …`).
    pub detail: String,
    /// The experiment keys whose values drive this term, most telling first (`evaluation.repeats`, …).
    pub keys: Vec<String>,
}

/// A run's estimated peak memory, by term.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The terms, largest first.
    pub terms: Vec<Term>,
}

impl Estimate {
    /// The whole estimate in bytes.
    pub fn total(&self) -> u64 {
        self.terms
            .iter()
            .fold(0u64, |a, t| a.saturating_add(t.bytes))
    }

    /// The largest term the experiment controls (the process's fixed cost is never the one to change).
    pub fn dominant(&self) -> Option<&Term> {
        self.terms.iter().find(|t| !t.keys.is_empty())
    }
}

/// Fixed cost of the process: the binary, the thread pool, the report's charts.
const BASE_BYTES: u64 = 64 << 20;

/// Bytes of one held prediction: the record with its probabilities in the run's results and again in the
/// report (64 bytes and 8 per class each time), and its line of `predictions.csv` (about 40 bytes and 12 per class).
pub fn bytes_per_prediction(classes: u64) -> u64 {
    2 * (64 + 8 * classes) + 40 + 12 * classes
}

/// Bytes of one term occurrence while a fold's features are built: the term as a string (about 40 bytes) while
/// the vocabulary is counted, its interned id kept for the whole run, its slot in the training or test matrix (an
/// f64 value and a u32 column) and the vocabulary's hash map, with room to spare: measured peaks of the 30k
/// benchmarks stay at a half to a third of this count.
const BYTES_PER_TERM: u64 = 100;

/// Estimates the peak memory of running `plan` on `ds` with `jobs` worker threads.
pub fn estimate(plan: &Plan, ds: &Dataset, jobs: usize) -> Estimate {
    let sizes = Sizes::of(plan, ds, jobs);
    let mut terms = held_results(&sizes);
    terms.extend(feature_terms(plan, &sizes));
    terms.extend(statistics_terms(plan, &sizes));
    terms.sort_by_key(|t| std::cmp::Reverse(t.bytes));
    Estimate { terms }
}

/// The experiment's sizes every term is a product of.
struct Sizes {
    /// Items.
    n: u64,
    /// Classes.
    classes: u64,
    /// Configurations (grid cells).
    cells: u64,
    /// Repeats of the split.
    repeats: u64,
    /// Folds over all repeats.
    folds: u64,
    /// Folds fitted at the same time: one per worker thread, at most one per task.
    concurrent: u64,
    /// Out-of-fold predictions: every item is tested once per repeat, by every configuration.
    predictions: u64,
    /// Average characters per item, rounded up.
    chars: u64,
}

impl Sizes {
    fn of(plan: &Plan, ds: &Dataset, jobs: usize) -> Sizes {
        let n = ds.items.len() as u64;
        let cells = plan.cells().len() as u64;
        let (repeats, folds) = match plan.split {
            Split::StratifiedKfold { k, repeats } | Split::GroupKfold { k, repeats, .. } => {
                (repeats as u64, (k * repeats) as u64)
            }
            Split::LeaveOneOut => (1, n),
            Split::LeaveOneGroupOut { by } => {
                let groups = super::splits::groups_of(ds, by)
                    .map(|g| g.iter().collect::<std::collections::BTreeSet<_>>().len() as u64)
                    .unwrap_or(n);
                (1, groups)
            }
            Split::FixedSplit => (1, 1),
        };
        Sizes {
            n,
            classes: ds.classes.len() as u64,
            cells,
            repeats,
            folds,
            concurrent: (jobs.max(1) as u64)
                .min(folds.saturating_mul(plan.variants.len().max(1) as u64)),
            predictions: n.saturating_mul(repeats).saturating_mul(cells),
            chars: ds.items.iter().map(|i| i.text.len() as u64).sum::<u64>() / n.max(1) + 1,
        }
    }
}

/// What the run holds for its whole length: the out-of-fold predictions and the folds' index lists.
fn held_results(s: &Sizes) -> Vec<Term> {
    let Sizes {
        n,
        classes,
        cells,
        repeats,
        folds,
        predictions,
        ..
    } = *s;
    vec![
        Term {
            what: "out-of-fold predictions",
            bytes: predictions.saturating_mul(bytes_per_prediction(classes)),
            detail: format!(
                "{n} items × {repeats} repeat(s) × {cells} configuration(s) = {predictions} predictions of {classes} \
                 class probabilities, held by the run, the report and predictions.csv"
            ),
            keys: vec![
                "evaluation.repeats".into(),
                "classifiers".into(),
                "features".into(),
                "data.sample".into(),
            ],
        },
        Term {
            what: "fold index lists",
            bytes: folds.saturating_mul(n).saturating_mul(8),
            detail: format!("{folds} folds × {n} item indices"),
            keys: vec!["evaluation.repeats".into(), "evaluation.k".into()],
        },
    ]
}

/// What the folds fitted at the same time hold: their feature matrices, the dense blocks (embeddings, vectors)
/// and the dense copies the decision tree and Gaussian naive Bayes fit on.
fn feature_terms(plan: &Plan, s: &Sizes) -> Vec<Term> {
    let Sizes {
        n,
        concurrent,
        chars,
        ..
    } = *s;
    let words = chars / 5 + 1;
    let (per_item, set) = plan
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                terms_per_item(&v.features.spec().extractors, chars, words),
                i,
            )
        })
        .max()
        .unwrap_or((words, 0));
    let fold_bytes = n.saturating_mul(per_item).saturating_mul(BYTES_PER_TERM);
    let mut terms = vec![Term {
        what: "feature matrices",
        bytes: fold_bytes.saturating_mul(concurrent),
        detail: format!(
            "{concurrent} fold(s) at once (--jobs) × {n} items × about {per_item} terms per item (the largest \
             feature set, with {chars} characters per item on average)"
        ),
        keys: vec![format!("features[{set}].extractors"), "features".into()],
    }];

    // Dense blocks (embeddings, vectors): every item's rows once per run, and a fold's rows per fit at once.
    if let Some((width, set)) = plan
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| (v.features.dense_width() as u64, i))
        .filter(|(w, _)| *w > 0)
        .max()
    {
        let sets = plan
            .variants
            .iter()
            .filter(|v| v.features.dense_width() > 0)
            .count() as u64;
        terms.push(Term {
            what: "dense feature blocks",
            bytes: n
                .saturating_mul(width)
                .saturating_mul(8)
                .saturating_mul(sets.saturating_add(concurrent)),
            detail: format!(
                "({sets} feature set(s) extracted once + {concurrent} fold(s) at once) × {n} items × {width} \
                 dense columns × 8 bytes"
            ),
            keys: vec![format!("features[{set}].extractors"), "features".into()],
        });
    }

    // The decision tree and Gaussian naive Bayes fit on a dense copy of their training matrix, refused above
    // DENSE_BUDGET_BYTES per fit.
    if let Some(t) = plan.classifiers.iter().position(|c| {
        matches!(
            c.kind(),
            ClassifierKind::DecisionTree | ClassifierKind::GaussianNb
        )
    }) {
        let max_features = plan
            .variants
            .iter()
            .flat_map(|v| v.features.spec().extractors.iter())
            .map(max_features_of)
            .max()
            .flatten();
        let vocabulary = n.saturating_mul(per_item);
        let columns = max_features.map_or(vocabulary, |m| m.min(vocabulary));
        let dense = n
            .saturating_mul(columns)
            .saturating_mul(8)
            .min(DENSE_BUDGET_BYTES);
        terms.push(Term {
            what: "dense matrices for the decision tree or Gaussian naive Bayes",
            bytes: dense.saturating_mul(concurrent),
            detail: format!(
                "{concurrent} fit(s) at once × {n} rows × up to {columns} columns × 8 bytes (at most {} MiB per fit)",
                DENSE_BUDGET_BYTES >> 20
            ),
            keys: vec![
                format!("classifiers[{t}].type"),
                format!("features[{set}].extractors"),
            ],
        });
    }
    terms
}

/// What is computed after the grid: the bootstrap replicates, report.json, and the process's fixed cost.
fn statistics_terms(plan: &Plan, s: &Sizes) -> Vec<Term> {
    let Sizes {
        n,
        classes,
        cells,
        predictions,
        chars,
        ..
    } = *s;
    // Every replicate scores every configuration on every metric and every class's precision, recall and F1.
    let slots = 8 + 3 * classes;
    let replicates = plan.bootstrap as u64;
    // report.json keeps the predictions only below its own bound; the item texts are held once more.
    let kept = predictions.min(crate::results::MAX_JSON_PREDICTIONS as u64);
    let texts = n.saturating_mul(chars);
    vec![
        Term {
            what: "bootstrap replicates",
            bytes: replicates
                .saturating_mul(cells)
                .saturating_mul(slots * 8 + 24),
            detail: format!("{replicates} replicates × {cells} configuration(s) × {slots} scores"),
            keys: vec!["bootstrap".into()],
        },
        Term {
            what: "report.json",
            bytes: kept
                .saturating_mul(40 + 10 * classes)
                .saturating_add(texts.saturating_mul(3)),
            detail: format!(
                "{kept} predictions written out, and the item texts ({texts} bytes) held three times"
            ),
            keys: vec!["evaluation.repeats".into(), "data.sample".into()],
        },
        Term {
            what: "the process itself",
            bytes: BASE_BYTES,
            detail: "the program, its threads and the charts".into(),
            keys: Vec::new(),
        },
    ]
}

/// Term occurrences per item of a feature set: n-grams of each length in the widest range listed, plus a few per
/// word for the lexicon, negation and shape features.
fn terms_per_item(extractors: &[ExtractorSpec], chars: u64, words: u64) -> u64 {
    let orders = |ranges: &[[usize; 2]]| {
        ranges
            .iter()
            .map(|r| (r[1].saturating_sub(r[0]) + 1) as u64)
            .max()
            .unwrap_or(1)
    };
    extractors
        .iter()
        .map(|e| match e {
            ExtractorSpec::WordNgrams(p) => words.saturating_mul(orders(p.ngram.values())),
            ExtractorSpec::CharNgrams(p) => chars.saturating_mul(orders(p.ngram.values())),
            _ => words,
        })
        .fold(0u64, u64::saturating_add)
        .max(1)
}

/// The largest `max_features` an extractor lists, `None` when one of its values has no limit.
fn max_features_of(e: &ExtractorSpec) -> Option<u64> {
    let values: &[Option<usize>] = match e {
        ExtractorSpec::WordNgrams(p) => p.max_features.values(),
        ExtractorSpec::CharNgrams(p) => p.max_features.values(),
        ExtractorSpec::Negation(p) => p.max_features.values(),
        _ => return Some(0),
    };
    values
        .iter()
        .map(|m| m.map(|m| m as u64))
        .try_fold(0u64, |a, m| m.map(|m| a.max(m)))
}

/// Memory the machine can give this run, and where that figure comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// Bytes.
    pub bytes: u64,
    /// Where the figure comes from (`MemAvailable in /proc/meminfo`, `the cgroup limit …`, `--memory-limit`).
    pub source: String,
}

/// What the machine can give: `MemAvailable` from `/proc/meminfo`, or the cgroup's memory limit (v2
/// `memory.max`, v1 `memory.limit_in_bytes`) less its current use when that is lower. `None` where neither can be
/// read (not Linux): nothing is refused then.
pub fn available() -> Option<Available> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let mut best = meminfo
        .as_deref()
        .and_then(mem_available)
        .map(|bytes| Available {
            bytes,
            source: "MemAvailable in /proc/meminfo".into(),
        });
    for (limit, usage) in [
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ] {
        let Some(max) = read_number(Path::new(limit)) else {
            continue;
        };
        let used = read_number(Path::new(usage)).unwrap_or(0);
        let free = max.saturating_sub(used);
        if best.as_ref().is_none_or(|b| free < b.bytes) {
            best = Some(Available {
                bytes: free,
                source: format!("the cgroup memory limit in {limit}, less what is in use"),
            });
        }
    }
    best
}

/// `MemAvailable:  23286856 kB` in `/proc/meminfo`, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// A cgroup file's number; `max` (no limit) and unreadable files are `None`.
fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Most worker threads a run may use, however it is given (`--jobs`, `RAYON_NUM_THREADS`): more threads than a
/// machine's cores only slow a run down and multiply its per-thread memory, and an absurd count would spawn threads
/// until the system refuses.
pub const MAX_JOBS: usize = 1024;

/// Parses a thread count (`--jobs`, `RAYON_NUM_THREADS`): a whole number in 1..=[`MAX_JOBS`].
pub fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{s}' is not a number of threads; give a whole number in 1..={MAX_JOBS}"
        )),
    }
}

/// Parses a size as `--memory-limit` takes it: a whole number of bytes, or a number with a unit (`512MiB`, `2GiB`,
/// `1.5GB`, `64k`); binary units (KiB, MiB, GiB, TiB, and K, M, G, T) count in 1024s, decimal ones (KB, MB, GB,
/// TB) in 1000s.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a size; write e.g. 2GiB, 512MiB or 4000000000"))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{s}'; use B, KiB, MiB, GiB, TiB (or KB, MB, GB, TB)"
            ))
        }
    };
    let bytes = value * factor;
    if !(bytes.is_finite() && (1.0..1.8e19).contains(&bytes)) {
        return Err(format!(
            "'{s}' is not a usable memory size; give at least 1 byte, e.g. 2GiB"
        ));
    }
    Ok(bytes as u64)
}

/// Bytes in the units people read: `512.0 MiB`, `3.2 GiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_and_sizes_parse() {
        let info = "MemTotal:       24731708 kB\nMemFree: 1 kB\nMemAvailable:   23286856 kB\n";
        assert_eq!(mem_available(info), Some(23286856 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert!(parse_size("2 parsecs").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("1e400").is_err());
        assert_eq!(human(3 << 29), "1.5 GiB");
        assert_eq!(human(10), "10 bytes");
    }

    #[test]
    fn this_machine_reports_some_memory_when_proc_exists() {
        if Path::new("/proc/meminfo").exists() {
            let a = available().expect("MemAvailable is readable");
            assert!(a.bytes > 0, "{a:?}");
        }
    }
}
