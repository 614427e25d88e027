//! Atomic writes: a reader (or an interrupted run) never sees a half-written file or a mix of two runs.
//!
//! Single files are written to a temporary file in the same directory and renamed over the target. A report
//! folder is built complete in a staging directory beside its target, then swapped in with two renames.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ReportError;

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|source| ReportError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(
            ".{}.",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|source| ReportError::Io {
            path: dir.clone(),
            source,
        })?;
    tmp.write_all(bytes).map_err(|source| ReportError::Io {
        path: tmp.path().to_path_buf(),
        source,
    })?;
    tmp.as_file().sync_all().map_err(|source| ReportError::Io {
        path: tmp.path().to_path_buf(),
        source,
    })?;
    tmp.persist(path).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// A staging directory that is removed unless [`Staging::commit`] swaps it into place.
#[derive(Debug)]
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    target: PathBuf,
}

/// The file that marks a directory as a harness report folder (the only kind `stance` will replace).
pub const MARKER: &str = "report.json";

impl Staging {
    /// Creates a staging directory beside `target`. Refuses a `target` that exists and is not a report folder,
    /// so a mistyped `--out` can never delete someone's files.
    pub fn new(target: &Path) -> Result<Staging, ReportError> {
        if target.exists() {
            let is_empty_dir = fs::read_dir(target)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !target.is_dir() || (!is_empty_dir && !target.join(MARKER).is_file()) {
                return Err(ReportError::NotAReportFolder {
                    path: target.to_path_buf(),
                });
            }
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|source| ReportError::Io {
            path: parent.clone(),
            source,
        })?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "report".into());
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .tempdir_in(&parent)
            .map_err(|source| ReportError::Io {
                path: parent.clone(),
                source,
            })?;
        Ok(Staging {
            dir: Some(dir),
            target: target.to_path_buf(),
        })
    }

    /// The staging directory to write into.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("present until commit").path()
    }

    /// Replaces the target with the staged folder. The old folder is moved aside first and deleted last, so at
    /// every instant the target is either the old complete report or the new complete one (or, between the two
    /// renames, absent, with the old one kept as `.<name>.old-*`).
    pub fn commit(mut self) -> Result<PathBuf, ReportError> {
        let staged = self.dir.take().expect("present until commit").keep();
        let target = self.target.clone();
        let old = if target.exists() {
            let parent = staged
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let aside = parent.join(format!(".{name}.old-{}", std::process::id()));
            fs::rename(&target, &aside).map_err(|source| ReportError::Io {
                path: target.clone(),
                source,
            })?;
            Some(aside)
        } else {
            None
        };
        fs::rename(&staged, &target).map_err(|source| ReportError::Io {
            path: target.clone(),
            source,
        })?;
        if let Some(old) = old {
            fs::remove_dir_all(&old).map_err(|source| ReportError::Io {
                path: old.clone(),
                source,
            })?;
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn staging_swaps_whole_folders_and_refuses_foreign_ones() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rep");
        let s = Staging::new(&target).unwrap();
        fs::write(s.path().join(MARKER), "1").unwrap();
        fs::write(s.path().join("extra.csv"), "x").unwrap();
        s.commit().unwrap();
        let s = Staging::new(&target).unwrap();
        fs::write(s.path().join(MARKER), "2").unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(target.join(MARKER)).unwrap(), "2");
        assert!(
            !target.join("extra.csv").exists(),
            "a folder holds exactly one run"
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no staging or old folders left"
        );

        let foreign = dir.path().join("mine");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("notes.txt"), "keep me").unwrap();
        assert!(matches!(
            Staging::new(&foreign),
            Err(ReportError::NotAReportFolder { .. })
        ));
    }

    #[test]
    fn dropped_staging_leaves_the_old_report_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rep");
        fs::create_dir(&target).unwrap();
        fs::write(target.join(MARKER), "old").unwrap();
        {
            let s = Staging::new(&target).unwrap();
            fs::write(s.path().join(MARKER), "half").unwrap();
            // dropped without commit: an interrupted run
        }
        assert_eq!(fs::read_to_string(target.join(MARKER)).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
