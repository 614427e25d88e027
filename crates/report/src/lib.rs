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

/// The report folder's predictions file, name and bytes: `predictions.csv`, or past `max_json_predictions` (when
/// `report.json` leaves the predictions out and this file is their only copy) `predictions.csv.gz`. The limit is a
/// parameter so tests can cross it with a small report.
pub(crate) fn predictions_file(
    report: &RunReport,
    max_json_predictions: usize,
) -> (&'static str, Vec<u8>) {
    if report.bounded_at(max_json_predictions).omits_predictions() {
        (
            stance_results::PREDICTIONS_CSV_GZ,
            tables::predictions_csv_gz(report),
        )
    } else {
        (
            stance_results::PREDICTIONS_CSV,
            tables::predictions_csv(report),
        )
    }
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
    // The predictions file is the biggest (and, compressed, the slowest) to produce: it is built alongside the
    // charts. Each side is a pure function of the report, so the bytes do not depend on the thread count.
    let ((name, bytes), charts) = rayon::join(
        || predictions_file(report, stance_results::MAX_JSON_PREDICTIONS),
        || stance_charts::render_all(report),
    );
    files.insert(name.into(), bytes);
    let charts = charts?;
    let md = markdown::render(
        report,
        &charts.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
    );
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
        // Named as the file it would have become (the staging folder is removed on return, and never the user's
        // concern), with what went wrong: a full disk, a failing device.
        atomic::write_file(&path, bytes).map_err(|e| ReportError::Io {
            path: out.join(name),
            source: std::io::Error::new(
                e.kind(),
                format!(
                    "cannot write it: {e}; the previous report there, if any, is left as it was"
                ),
            ),
        })?;
        written.push(Written {
            name: name.clone(),
            bytes: bytes.len() as u64,
        });
    }
    staging.commit()?;
    Ok(written)
}
