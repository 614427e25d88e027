//! Stage 5 — reports: the report folder, written atomically, every file rendered from a [`RunReport`].
//!
//! Layout (a folder holds exactly one run):
//!
//! ```text
//! <out>/report.md        the readable report
//! <out>/report.html      the same, one self-contained page to share (charts embedded, no outside resources)
//! <out>/report.json      everything, versioned schema (RunReport)
//! <out>/metrics.csv      one row per configuration × metric, with interval bounds
//! <out>/predictions.csv  one row per configuration × item × repeat (predictions.csv.gz, gzip, above
//!                         250,000 predictions)
//! <out>/metrics.json     flat metrics that `dvc metrics show/diff` reads as is
//! <out>/timings.json     wall-clock timings and environment (the only file that differs between identical runs)
//! <out>/charts/*.png     leaderboard, confusion matrices, per-class F1, ablation / learning curve
//! ```
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`,
//! `stance-behaviour`, `stance-eval`, `stance-experiment`, `stance-results`, `stance-charts`; never a crate above it.

pub mod csv_safe;
pub mod format;
pub mod html;
pub mod markdown;
pub mod submission;
pub mod tables;
pub mod text;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use stance_charts::PlotError;
use stance_core::atomic::{self, WriteError};
use stance_results::{RunReport, Timings};

/// Errors of the report layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file could not be written.
    #[error("{path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The report folder could not be staged or swapped in.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A chart could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A large run's predictions could not be read back from their spill file.
    #[error(transparent)]
    Spill(#[from] stance_eval::store::SpillError),
}

/// One file written, with its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Path relative to the report folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// Serialises a value as pretty JSON with a final newline.
pub fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(value).expect("report types serialise");
    v.push(b'\n');
    v
}

/// The report folder's predictions file's name: `predictions.csv`, or past `max_json_predictions` (when
/// `report.json` leaves the predictions out and this file is their only copy) `predictions.csv.gz`. The limit is a
/// parameter so tests can cross it with a small report.
pub(crate) fn predictions_file_name(
    report: &RunReport,
    max_json_predictions: usize,
) -> &'static str {
    if report.bounded_at(max_json_predictions).omits_predictions() {
        stance_results::PREDICTIONS_CSV_GZ
    } else {
        stance_results::PREDICTIONS_CSV
    }
}

/// Writes the predictions file (named by [`predictions_file_name`]) to `out` as it is produced.
pub(crate) fn write_predictions_file<W: std::io::Write>(
    report: &RunReport,
    max_json_predictions: usize,
    out: W,
) -> Result<W, tables::PredictionsError> {
    if report.bounded_at(max_json_predictions).omits_predictions() {
        tables::write_predictions_csv_gz(report, out)
    } else {
        tables::write_predictions_csv(report, out)
    }
}

/// The predictions file's name and bytes (in memory: for tests).
#[cfg(test)]
pub(crate) fn predictions_file(
    report: &RunReport,
    max_json_predictions: usize,
) -> (&'static str, Vec<u8>) {
    (
        predictions_file_name(report, max_json_predictions),
        write_predictions_file(report, max_json_predictions, Vec::new()).expect("in memory"),
    )
}

/// A file of the report folder could not be written: named as the file it would have become (the staging folder
/// is removed on return, and never the user's concern), with what went wrong (a full disk, a failing device).
fn cannot_write(out: &Path, name: &str, e: &std::io::Error) -> ReportError {
    ReportError::Io {
        path: out.join(name),
        source: std::io::Error::new(
            e.kind(),
            format!("cannot write it: {e}; the previous report there, if any, is left as it was"),
        ),
    }
}

/// Streams the predictions file into the staging folder `dir` (it is the one file that grows with the run, so it
/// is never held whole); returns its name and size.
fn stream_predictions(
    out: &Path,
    dir: &Path,
    report: &RunReport,
) -> Result<(&'static str, u64), ReportError> {
    let name = predictions_file_name(report, stance_results::MAX_JSON_PREDICTIONS);
    let file = fs::File::create(dir.join(name)).map_err(|e| cannot_write(out, name, &e))?;
    let w = atomic::Through(std::io::BufWriter::with_capacity(1 << 20, file));
    let mut w = write_predictions_file(report, stance_results::MAX_JSON_PREDICTIONS, w).map_err(
        |e| match e {
            tables::PredictionsError::Write(e) => cannot_write(out, name, &e),
            tables::PredictionsError::Spill(e) => ReportError::Spill(e),
        },
    )?;
    std::io::Write::flush(&mut w).map_err(|e| cannot_write(out, name, &e))?;
    let file =
        w.0.into_inner()
            .map_err(|e| cannot_write(out, name, e.error()))?;
    let bytes = file
        .metadata()
        .map_err(|e| cannot_write(out, name, &e))?
        .len();
    Ok((name, bytes))
}

/// Writes the whole report folder at `out`, replacing a previous report there atomically.
pub fn write_report_folder(
    out: &Path,
    report: &RunReport,
    timings: &Timings,
) -> Result<Vec<Written>, ReportError> {
    let render_started = std::time::Instant::now();
    let staging = atomic::Staging::new(out)?;
    let dir = staging.path().to_path_buf();
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert("report.json".into(), to_json(&report.bounded()));
    if report.behaviour.is_some() {
        files.insert("behaviour.csv".into(), tables::behaviour_csv(report));
    }
    files.insert(
        "metrics.json".into(),
        to_json(&tables::flat_metrics(report)),
    );
    files.insert("metrics.csv".into(), tables::metrics_csv(report));
    // The predictions file is the biggest (and, compressed, the slowest) to produce: it is streamed to its file
    // alongside the charts. Each side is a pure function of the report, so the bytes do not depend on the thread
    // count.
    let (predictions, charts) = rayon::join(
        || stream_predictions(out, &dir, report),
        || stance_charts::render_all(report),
    );
    let predictions = predictions?;
    let charts = charts?;
    let md = markdown::render(
        report,
        &charts.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
    )?;
    files.insert(
        "report.html".into(),
        html::render(
            &md,
            &format!("Stance report: {}", report.experiment.name),
            &charts,
        )
        .into_bytes(),
    );
    files.insert("report.md".into(), md.into_bytes());
    for (name, bytes) in charts {
        files.insert(name, bytes);
    }
    // Rendering is timed up to here; the timings file is the one thing rendered after.
    let render_seconds = render_started.elapsed().as_secs_f64();
    let timings = Timings {
        render_seconds,
        total_seconds: timings.total_seconds + render_seconds,
        ..timings.clone()
    };
    files.insert("timings.json".into(), to_json(&timings));
    let mut written = Vec::new();
    for (name, bytes) in &files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|source| ReportError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        atomic::write_file(&path, bytes).map_err(|e| cannot_write(out, name, &e))?;
        written.push(Written {
            name: name.clone(),
            bytes: bytes.len() as u64,
        });
    }
    written.push(Written {
        name: predictions.0.to_string(),
        bytes: predictions.1,
    });
    written.sort_by(|a, b| a.name.cmp(&b.name));
    staging.commit()?;
    Ok(written)
}
