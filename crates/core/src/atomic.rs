//! Atomic writes: a reader (or an interrupted run) never sees a half-written file or a mix of two runs.
//!
//! Single files are written to a temporary file in the same directory and renamed over the target. A report
//! folder is built complete in a staging directory beside its target, then swapped in with two renames.
//!
//! Replacing a folder deletes it, so the harness only ever replaces a folder it wrote itself: every report folder
//! carries a [`MARKER`] file, and a folder without one is refused (unless it is empty, or holds nothing but the
//! files an older harness without markers wrote). A killed run leaves its staging folder or temporary file behind;
//! their names carry the writer's process id, and the next write into the same folder removes every such entry
//! whose process is gone (whatever target it was for). A run killed between the two renames of a swap leaves the
//! previous report moved aside and the target absent: the next write to that target moves it back first, so a
//! report is never lost to a kill.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Why a write failed. The report layer wraps it transparently, so its messages are the ones users see.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A file could not be written or read.
    #[error("{path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The output folder exists and is not a report folder.
    #[error(
        "{path} exists and is not a stance report folder (it has no .stance-report marker and holds files stance did not write); refusing to replace it — choose \
         another --out"
    )]
    NotAReportFolder {
        /// The folder.
        path: PathBuf,
    },
}

/// The file that marks a directory as a report folder written by the harness (the only kind it will replace).
pub const MARKER: &str = ".stance-report";

/// The marker's contents: fixed (no time, no version), so report folders stay byte-identical between runs.
pub const MARKER_CONTENTS: &str = "{\n  \"written_by\": \"stance\",\n  \"kind\": \"report-folder\",\n  \"note\": \"stance replaces this whole folder on its next run to the same place; keep your own files elsewhere\"\n}\n";

/// The files a report folder written before markers existed may hold; such a folder is still recognised as the
/// harness's own, so upgrading does not make every existing `reports/<name>/` unreplaceable.
const LEGACY_FILES: [&str; 6] = [
    "report.md",
    "report.json",
    "metrics.csv",
    "predictions.csv",
    "metrics.json",
    "timings.json",
];

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name_of(path: &Path, default: &str) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| default.to_string())
}

/// An error about `path` with a message of our own (the path is what the user named, not an internal one).
fn error_at(path: &Path, message: String) -> WriteError {
    WriteError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(message),
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    prepare(path, bytes)?.persist()
}

/// A file written in full beside its target but not yet in place: [`Pending::persist`] renames it over the target;
/// dropped, it is deleted and the target stays as it was. Lets a command write everything that can fail (a full
/// disk) before it replaces anything, e.g. `stance check --update-baseline`, whose baseline and report folder
/// change together or not at all.
#[derive(Debug)]
pub struct Pending {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Pending {
    /// Renames the written file over its target (a rename writes no data, so a full disk cannot fail it).
    pub fn persist(self) -> Result<(), WriteError> {
        let path = self.path;
        self.tmp.persist(&path).map_err(|e| WriteError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

/// Writes `bytes` in full to a temporary file beside `path`, to be put in place by [`Pending::persist`].
pub fn prepare(path: &Path, bytes: &[u8]) -> Result<Pending, WriteError> {
    let dir = parent_of(path);
    // The folders this call creates, deepest first: removed again (when still empty) if the write fails, so a
    // failed write leaves no trace, not even an empty `reports/baselines/`.
    let created: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    fs::create_dir_all(&dir).map_err(|source| WriteError::Io {
        path: dir.clone(),
        source,
    })?;
    prepare_in(path, &dir, bytes).inspect_err(|_| {
        for d in &created {
            let _ = fs::remove_dir(d);
        }
    })
}

fn prepare_in(path: &Path, dir: &Path, bytes: &[u8]) -> Result<Pending, WriteError> {
    let dir = dir.to_path_buf();
    let name = file_name_of(path, "file");
    let pid = std::process::id();
    remove_stale(&dir);
    let prefix = format!(".{name}.{pid}-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // A temporary file is private (0600); the file it becomes is a report, a baseline or a model meant to be read
    // and shipped, so it gets the permissions of any file the user creates (0666 less the umask, usually 0644).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(|e| {
        error_at(
            path,
            format!(
                "cannot create a temporary file in {} to write it: {e}",
                dir.display()
            ),
        )
    })?;
    // On failure `tmp` is dropped, which deletes the half-written temporary file.
    write_through(tmp.as_file_mut(), bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| {
            error_at(
                path,
                format!("cannot write it: {e}; the file there, if any, is left as it was"),
            )
        })?;
    Ok(Pending {
        tmp,
        path: path.to_path_buf(),
    })
}

/// The test hook that makes writes fail, as a full disk or a failing device would: `STANCE_TEST_FAIL_WRITES_AFTER_BYTES`.
///
/// Like git's `GIT_TEST_*` variables, it exists only so the tests can prove, without root or a small file system,
/// that a write failing half-way (ENOSPC, EIO) leaves every file that existed before the command unchanged and no
/// temporary file behind. Unset (always, outside tests) it costs one environment lookup per process. Its value is
/// `N` or `N:EIO`: after N bytes written by this process through [`write_through`] (every file the harness writes:
/// reports, baselines, models, shard files, submissions), the next write stores what fits and fails with ENOSPC
/// (or EIO). `N:HANG` stores what fits and then blocks forever, so a test can kill the process half-way through a
/// write (a SIGKILL runs no destructor, so temporary files and staging folders stay, as after a real kill).
pub const FAIL_WRITES_ENV: &str = "STANCE_TEST_FAIL_WRITES_AFTER_BYTES";

/// An injected write failure: after `after` bytes in total, fail with OS error `errno`, or with [`HANG`] stop
/// there for good (so a test can SIGKILL the process in the middle of a write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fault {
    after: u64,
    errno: i32,
}

/// The `errno` of `N:HANG`: not an error, the writing thread sleeps forever once N bytes are written.
const HANG: i32 = -1;

/// ENOSPC and EIO on Linux (and every Unix the harness targets).
const ENOSPC: i32 = 28;
const EIO: i32 = 5;

fn parse_fault(value: &str) -> Option<Fault> {
    let (n, errno) = match value.split_once(':') {
        Some((n, "EIO")) => (n, EIO),
        Some((n, "ENOSPC")) => (n, ENOSPC),
        Some((n, "HANG")) => (n, HANG),
        Some(_) => return None,
        None => (value, ENOSPC),
    };
    Some(Fault {
        after: n.trim().parse().ok()?,
        errno,
    })
}

fn env_fault() -> Option<Fault> {
    static FAULT: OnceLock<Option<Fault>> = OnceLock::new();
    *FAULT.get_or_init(|| {
        std::env::var(FAIL_WRITES_ENV)
            .ok()
            .and_then(|v| parse_fault(&v))
    })
}

#[cfg(test)]
thread_local! {
    /// A fault and its byte count for the unit tests of this thread only (the environment and a global count would
    /// be shared by every test thread).
    static TEST_FAULT: std::cell::Cell<Option<(Fault, u64)>> = const { std::cell::Cell::new(None) };
}

/// Bytes written through [`write_through`] by this process, counted only while a fault is set.
static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// The fault in force and the bytes written before this write of `len` bytes (counting it).
fn fault_and_count(len: u64) -> Option<(Fault, u64)> {
    #[cfg(test)]
    if let Some((f, before)) = TEST_FAULT.with(std::cell::Cell::get) {
        TEST_FAULT.with(|c| c.set(Some((f, before + len))));
        return Some((f, before));
    }
    let f = env_fault()?;
    Some((f, WRITTEN.fetch_add(len, Ordering::SeqCst)))
}

/// Writes `bytes` to `w`: the one place every output file's bytes pass through, so a fault can be injected here
/// (see [`FAIL_WRITES_ENV`]).
pub fn write_through(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let Some((fault, before)) = fault_and_count(bytes.len() as u64) else {
        return w.write_all(bytes);
    };
    let room = fault.after.saturating_sub(before);
    if room >= bytes.len() as u64 {
        return w.write_all(bytes);
    }
    // A full disk stores what fits, then fails: the file is left half-written, as it would be.
    w.write_all(&bytes[..room as usize])?;
    if fault.errno == HANG {
        let _ = w.flush();
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    Err(std::io::Error::from_raw_os_error(fault.errno))
}

/// A writer whose every write passes through [`write_through`]: a file written piece by piece (too large to
/// hold whole, like a big run's `predictions.csv.gz`) meets the write-fault hook exactly as one written at once.
#[derive(Debug)]
pub struct Through<W>(pub W);

impl<W: Write> Write for Through<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write_through(&mut self.0, buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Creates (or truncates) `path` and writes `bytes` to it through [`write_through`].
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    write_through(&mut f, bytes)
}

/// Whether process `pid` is still running. Only answerable where `/proc` exists; elsewhere every process counts
/// as alive, so nothing another run may still be writing is ever removed.
fn process_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// The process id in a name this module gave a temporary entry, or `None` for any other name:
/// `.<target>.<pid>-<random>.tmp` (a file being written), `.<target>.staging-<pid>-<random>` (a report folder being
/// built) or `.<target>.old-<pid>-<random>` (the previous report moved aside during a swap).
fn writer_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let rest = match name.strip_suffix(".tmp") {
        Some(stem) => stem.rsplit_once('.')?.1,
        None => {
            let (_, rest) = name
                .rsplit_once(".staging-")
                .or_else(|| name.rsplit_once(".old-"))?;
            rest
        }
    };
    let (pid, random) = rest.split_once('-')?;
    if random.is_empty() || !random.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    pid.parse().ok()
}

/// Removes every temporary entry of `dir` (see [`writer_pid`]) whose writer is gone, whatever target it was for:
/// the next write into a folder cleans what killed runs left there. Best effort: a leftover that cannot be removed
/// is left for the next run.
fn remove_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = writer_pid(&name) else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        let path = entry.path();
        let _ = if path.is_dir() && !path.is_symlink() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
    }
}

/// When `target` is absent and a dead run left its previous report aside (killed between the two renames of
/// [`Staging::commit`]), moves that report back, so the stale-entry sweep that follows cannot delete the only copy.
fn restore_aside(parent: &Path, name: &str, target: &Path) {
    if fs::symlink_metadata(target).is_ok() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let prefix = format!(".{name}.old-");
    for entry in entries.filter_map(Result::ok) {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        if !entry_name.starts_with(&prefix) {
            continue;
        }
        match writer_pid(&entry_name) {
            Some(pid) if pid != std::process::id() && !process_alive(pid) => {}
            _ => continue,
        }
        if entry.path().join(MARKER).is_file() && fs::rename(entry.path(), target).is_ok() {
            return;
        }
    }
}

/// Why `dir` may not be replaced, or `None` when the harness wrote it (or it is empty).
fn not_ours(dir: &Path) -> Option<String> {
    if !dir.is_dir() || dir.is_symlink() {
        return Some("it is not a folder".into());
    }
    if dir.join(MARKER).is_file() {
        return None;
    }
    let entries: Vec<fs::DirEntry> = match fs::read_dir(dir) {
        Ok(d) => d.filter_map(Result::ok).collect(),
        Err(e) => return Some(format!("it cannot be listed ({e})")),
    };
    if entries.is_empty() {
        return None;
    }
    let foreign = entries.iter().find(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_file = e.file_type().map(|t| t.is_file()).unwrap_or(false);
        if is_file {
            return !LEGACY_FILES.contains(&name.as_str());
        }
        if name != "charts" || !e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            return true;
        }
        // charts/ of an older report holds only PNGs.
        fs::read_dir(e.path())
            .map(|d| {
                d.filter_map(Result::ok).any(|c| {
                    !c.file_type().map(|t| t.is_file()).unwrap_or(false)
                        || !c.file_name().to_string_lossy().ends_with(".png")
                })
            })
            .unwrap_or(true)
    });
    match foreign {
        None if dir.join("report.json").is_file() => None,
        None => Some(format!(
            "it has no {MARKER} marker, so stance did not write it"
        )),
        Some(e) => Some(format!(
            "it has no {MARKER} marker and holds '{}', which stance does not write",
            crate::diag::excerpt(&e.file_name().to_string_lossy())
        )),
    }
}

/// Checks that every folder of the tree at `dir` lets us delete its entries, by creating (and dropping) a
/// temporary file in each. Asking the file system is the only answer that holds for every user, root included.
fn check_deletable(dir: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    tempfile::tempfile_in(dir).map_err(|e| (dir.to_path_buf(), e))?;
    for entry in fs::read_dir(dir)
        .map_err(|e| (dir.to_path_buf(), e))?
        .filter_map(Result::ok)
    {
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            check_deletable(&entry.path())?;
        }
    }
    Ok(())
}

/// A staging directory that is removed unless [`Staging::commit`] swaps it into place.
#[derive(Debug)]
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    target: PathBuf,
}

impl Staging {
    /// Creates a staging directory beside `target`, holding the [`MARKER`] already. Refuses a `target` that exists
    /// and was not written by the harness, so a mistyped `--out` can never delete someone's files. Removes staging
    /// folders of the same target left by runs that were killed.
    pub fn new(target: &Path) -> Result<Staging, WriteError> {
        if target.exists() || target.is_symlink() {
            if let Some(why) = not_ours(target) {
                if !target.join("report.json").exists() {
                    return Err(WriteError::NotAReportFolder {
                        path: target.to_path_buf(),
                    });
                }
                return Err(error_at(
                    target,
                    format!(
                        "exists and is not a stance report folder: {why}; refusing to replace it (that would \
                         delete its files) — choose another --out, or move the folder away"
                    ),
                ));
            }
        }
        let parent = parent_of(target);
        fs::create_dir_all(&parent).map_err(|source| WriteError::Io {
            path: parent.clone(),
            source,
        })?;
        let name = file_name_of(target, "report");
        restore_aside(&parent, &name, target);
        remove_stale(&parent);
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-{}-", std::process::id()))
            .tempdir_in(&parent)
            .map_err(|e| {
                error_at(
                    target,
                    format!(
                        "cannot create a staging folder in {} to write the report: {e}",
                        parent.display()
                    ),
                )
            })?;
        write_file(&dir.path().join(MARKER), MARKER_CONTENTS.as_bytes()).map_err(|e| {
            error_at(
                target,
                format!("cannot write the report folder's {MARKER} marker: {e}"),
            )
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
    /// renames, absent, with the old one kept as `.<name>.old-<pid>-*`). An old folder that cannot be deleted
    /// (read-only) is refused before anything moves, so it stays exactly as it was.
    pub fn commit(mut self) -> Result<PathBuf, WriteError> {
        let target = self.target.clone();
        let parent = parent_of(&target);
        let name = file_name_of(&target, "report");
        let old = if target.exists() {
            if let Err((dir, e)) = check_deletable(&target) {
                // self.dir is still held: the staged folder is removed on return.
                return Err(error_at(
                    &target,
                    format!(
                        "cannot replace the previous report: {} does not let stance delete its files ({e}); it is \
                         left as it was — make it writable, or choose another --out",
                        dir.display()
                    ),
                ));
            }
            let aside = tempfile::Builder::new()
                .prefix(&format!(".{name}.old-{}-", std::process::id()))
                .tempdir_in(&parent)
                .map_err(|e| {
                    error_at(
                        &target,
                        format!("cannot make room beside it to replace it: {e}"),
                    )
                })?
                .keep();
            // The rename needs an absent or empty destination: the fresh, empty folder just made is replaced.
            fs::rename(&target, &aside).map_err(|e| {
                let _ = fs::remove_dir(&aside);
                error_at(
                    &target,
                    format!("cannot move the previous report aside to replace it: {e}"),
                )
            })?;
            Some(aside)
        } else {
            None
        };
        let staged = self.dir.take().expect("present until commit").keep();
        if let Err(e) = fs::rename(&staged, &target) {
            // Put the previous report back so the target is never left missing.
            if let Some(old) = &old {
                let _ = fs::rename(old, &target);
            }
            let _ = fs::remove_dir_all(&staged);
            return Err(error_at(
                &target,
                format!("cannot move the new report into place: {e}"),
            ));
        }
        if let Some(old) = old {
            fs::remove_dir_all(&old).map_err(|e| {
                error_at(
                    &target,
                    format!(
                        "the new report is in place, but the previous one, moved to {}, cannot be deleted: {e}",
                        old.display()
                    ),
                )
            })?;
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_fault<T>(fault: Fault, f: impl FnOnce() -> T) -> T {
        TEST_FAULT.with(|c| c.set(Some((fault, 0))));
        let out = f();
        TEST_FAULT.with(|c| c.set(None));
        out
    }

    #[test]
    fn the_fault_hook_parses_only_its_own_spellings() {
        assert_eq!(
            parse_fault("100"),
            Some(Fault {
                after: 100,
                errno: ENOSPC
            })
        );
        assert_eq!(
            parse_fault("0:EIO"),
            Some(Fault {
                after: 0,
                errno: EIO
            })
        );
        assert_eq!(
            parse_fault("7:ENOSPC"),
            Some(Fault {
                after: 7,
                errno: ENOSPC
            })
        );
        assert_eq!(parse_fault("x"), None);
        assert_eq!(parse_fault("1:EPERM"), None);
    }

    #[test]
    fn a_full_disk_during_an_atomic_write_keeps_the_old_file_and_leaves_no_temporary() {
        for errno in [ENOSPC, EIO] {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("baseline.json");
            write_atomic(&p, b"the old baseline").unwrap();
            let err = with_fault(Fault { after: 5, errno }, || {
                write_atomic(&p, b"a new baseline, longer than five bytes")
            })
            .unwrap_err();
            let err = crate::errors::chain(&err);
            assert!(err.starts_with(&p.display().to_string()), "{err}");
            let cause = std::io::Error::from_raw_os_error(errno).to_string();
            assert!(err.contains(&cause), "{err}");
            assert!(err.contains("left as it was"), "{err}");
            assert_eq!(fs::read(&p).unwrap(), b"the old baseline");
            assert_eq!(
                fs::read_dir(dir.path()).unwrap().count(),
                1,
                "no temporary file left"
            );
        }
    }

    #[test]
    fn a_failed_write_removes_the_folders_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("reports/baselines/b.json");
        let err = with_fault(
            Fault {
                after: 3,
                errno: ENOSPC,
            },
            || write_atomic(&p, b"a baseline"),
        );
        assert!(err.is_err());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no empty folder left"
        );
        write_atomic(&p, b"a baseline").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"a baseline");
    }

    #[test]
    fn a_full_disk_while_staging_keeps_the_old_report_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rep");
        let s = Staging::new(&target).unwrap();
        fs::write(s.path().join("report.json"), "old").unwrap();
        s.commit().unwrap();
        // The marker alone is more than 10 bytes: creating the staging folder already fails.
        let err = with_fault(
            Fault {
                after: 10,
                errno: ENOSPC,
            },
            || Staging::new(&target),
        )
        .unwrap_err();
        let err = crate::errors::chain(&err);
        assert!(err.contains("No space left on device"), "{err}");
        // With room for the marker, a later file fails: the staging folder is dropped, not committed.
        with_fault(
            Fault {
                after: 300,
                errno: EIO,
            },
            || {
                let s = Staging::new(&target).unwrap();
                let e = write_file(&s.path().join("report.json"), &[b'x'; 1000]).unwrap_err();
                assert_eq!(e.raw_os_error(), Some(EIO));
            },
        );
        assert_eq!(
            fs::read_to_string(target.join("report.json")).unwrap(),
            "old"
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no staging left"
        );
    }

    #[test]
    fn a_pending_file_changes_nothing_until_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        write_atomic(&p, b"old").unwrap();
        drop(prepare(&p, b"new").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        prepare(&p, b"new").unwrap().persist().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
    }

    #[test]
    fn without_a_fault_writes_pass_through_whole() {
        let mut v = Vec::new();
        write_through(&mut v, b"abc").unwrap();
        assert_eq!(v, b"abc");
        let mut v = Vec::new();
        let e = with_fault(
            Fault {
                after: 2,
                errno: ENOSPC,
            },
            || write_through(&mut v, b"abcd"),
        );
        assert_eq!(e.unwrap_err().raw_os_error(), Some(ENOSPC));
        assert_eq!(v, b"ab", "what fits is written, as on a full disk");
    }

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
            Err(WriteError::NotAReportFolder { .. })
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

    #[test]
    fn every_report_folder_carries_the_fixed_marker() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rep");
        let s = Staging::new(&target).unwrap();
        fs::write(s.path().join("report.json"), "{}").unwrap();
        s.commit().unwrap();
        assert_eq!(
            fs::read_to_string(target.join(MARKER)).unwrap(),
            MARKER_CONTENTS
        );
        serde_json::from_str::<serde_json::Value>(MARKER_CONTENTS).expect("the marker is JSON");
    }

    #[test]
    fn a_user_folder_holding_a_report_json_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("mine");
        fs::create_dir(&mine).unwrap();
        fs::write(mine.join("report.json"), "my own").unwrap();
        fs::write(mine.join("thesis.tex"), "precious").unwrap();
        let err = crate::errors::chain(&Staging::new(&mine).unwrap_err());
        assert!(err.contains("mine"), "{err}");
        assert!(err.contains("is not a stance report folder"), "{err}");
        assert!(err.contains("thesis.tex"), "{err}");
        assert_eq!(
            fs::read_to_string(mine.join("thesis.tex")).unwrap(),
            "precious"
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no staging left"
        );
    }

    #[test]
    fn a_report_folder_from_before_markers_is_still_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("rep");
        fs::create_dir_all(old.join("charts")).unwrap();
        for f in LEGACY_FILES {
            fs::write(old.join(f), "old").unwrap();
        }
        fs::write(old.join("charts/leaderboard.png"), "png").unwrap();
        let s = Staging::new(&old).unwrap();
        fs::write(s.path().join("report.json"), "new").unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(old.join("report.json")).unwrap(), "new");
        assert!(old.join(MARKER).is_file());
    }

    #[test]
    fn leftovers_of_killed_runs_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // No process has a pid this large (Linux caps pids at 2^22).
        let dead = 4_000_000_000u32;
        let stale_staging = dir.path().join(format!(".rep.staging-{dead}-abc"));
        let stale_old = dir.path().join(format!(".rep.old-{dead}-abc"));
        let live_staging = dir.path().join(".rep.staging-1-abc");
        let foreign = dir.path().join(".rep.staging-notes");
        for d in [&stale_staging, &stale_old, &live_staging, &foreign] {
            fs::create_dir(d).unwrap();
            fs::write(d.join("f"), "x").unwrap();
        }
        let stale_tmp = dir.path().join(format!(".a.json.{dead}-xyz.tmp"));
        fs::write(&stale_tmp, "half").unwrap();
        Staging::new(&dir.path().join("rep"))
            .unwrap()
            .commit()
            .unwrap();
        write_atomic(&dir.path().join("a.json"), b"{}").unwrap();
        assert!(!stale_staging.exists() && !stale_old.exists() && !stale_tmp.exists());
        if Path::new("/proc/1").exists() {
            assert!(
                live_staging.exists(),
                "a running process's staging folder is kept"
            );
        }
        assert!(
            foreign.exists(),
            "a name without a pid is not ours to delete"
        );
    }

    #[test]
    fn only_names_this_module_makes_carry_a_writer() {
        assert_eq!(writer_pid(".a.json.123-Xy9z.tmp"), Some(123));
        assert_eq!(writer_pid(".default.staging-77-abc123"), Some(77));
        assert_eq!(writer_pid(".default.old-77-abc123"), Some(77));
        assert_eq!(writer_pid(".my.notes.tmp"), None);
        assert_eq!(writer_pid("a.json.123-x.tmp"), None);
        assert_eq!(writer_pid(".default.staging-notes"), None);
        assert_eq!(writer_pid(".default.staging-1-a.b"), None);
        assert_eq!(writer_pid(".x.12-.tmp"), None);
    }

    #[test]
    fn a_write_cleans_what_dead_runs_left_for_any_target_in_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let dead = 4_000_000_000u32;
        let other_tmp = dir.path().join(format!(".summary.md.{dead}-AbC.tmp"));
        fs::write(&other_tmp, "half").unwrap();
        let other_staging = dir.path().join(format!(".three-way.staging-{dead}-q1"));
        fs::create_dir(&other_staging).unwrap();
        write_atomic(&dir.path().join("b.json"), b"{}").unwrap();
        assert!(!other_tmp.exists() && !other_staging.exists());
    }

    #[test]
    fn a_report_moved_aside_by_a_killed_swap_is_put_back_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let dead = 4_000_000_000u32;
        let aside = dir.path().join(format!(".rep.old-{dead}-k9"));
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join(MARKER), MARKER_CONTENTS).unwrap();
        fs::write(aside.join("report.json"), "previous").unwrap();
        let target = dir.path().join("rep");
        let s = Staging::new(&target).unwrap();
        assert_eq!(
            fs::read_to_string(target.join("report.json")).unwrap(),
            "previous",
            "restored before the new run replaces it"
        );
        fs::write(s.path().join("report.json"), "new").unwrap();
        s.commit().unwrap();
        assert_eq!(
            fs::read_to_string(target.join("report.json")).unwrap(),
            "new"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_hang_fault_parses() {
        assert_eq!(
            parse_fault("9:HANG"),
            Some(Fault {
                after: 9,
                errno: HANG
            })
        );
    }

    #[test]
    fn a_read_only_previous_report_is_left_intact_and_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rep");
        let s = Staging::new(&target).unwrap();
        fs::write(s.path().join("report.json"), "old").unwrap();
        s.commit().unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o555)).unwrap();
        let locked = tempfile::tempfile_in(&target).is_err();
        let s = Staging::new(&target).unwrap();
        fs::write(s.path().join("report.json"), "new").unwrap();
        let result = s.commit();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
        if !locked {
            // Running as root: permissions do not bind, and the replacement is allowed.
            result.unwrap();
            return;
        }
        let err = result.unwrap_err().to_string();
        assert!(err.starts_with(&target.display().to_string()), "{err}");
        assert!(err.contains("left as it was"), "{err}");
        assert_eq!(
            fs::read_to_string(target.join("report.json")).unwrap(),
            "old"
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "nothing left beside it"
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_atomically_written_file_is_readable_by_others_like_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        write_atomic(&path, b"{}").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // 0666 less this process's umask (0644 under the usual 022), never the temporary file's private 0600.
        assert_ne!(mode, 0o600, "{mode:o}");
        assert_eq!(mode & 0o644, 0o644, "{mode:o}");
    }
}
