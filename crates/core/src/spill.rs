//! Spill files: bytes a process sets aside on disk and reads back later in the same run, so that what grows with a
//! run's size need not stay in memory until the end (the merge's class probabilities, written out only with the
//! report).
//!
//! A spill file is an anonymous temporary file in the system's temporary folder (`TMPDIR`, else `/tmp`): it has no
//! name, so no other process sees it and nothing is left behind however the process ends (exit, error, kill).
//! Chunks are appended and read back by the offset [`SpillFile::append`] returned; reads may come from any thread.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;

/// A spill file could not be created, written or read back (a full or failing disk).
#[derive(Debug, thiserror::Error)]
#[error(
    "{dir}: cannot {what} the temporary file that holds out-of-fold predictions until the report is written; free \
     space there or set TMPDIR to a folder with room (it needs 5 bytes per prediction plus 8 per class)"
)]
pub struct SpillError {
    /// The folder the file is in.
    pub dir: PathBuf,
    /// `create`, `write` or `read back`.
    pub what: &'static str,
    /// The underlying error.
    pub source: std::io::Error,
}

/// An anonymous temporary file that chunks are appended to and read back from.
#[derive(Debug)]
pub struct SpillFile {
    dir: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: BufWriter<File>,
    len: u64,
    /// Whether bytes were appended since the buffer was last flushed (a read must see them).
    dirty: bool,
}

impl SpillFile {
    /// A new, empty spill file in the system's temporary folder.
    pub fn new() -> Result<SpillFile, SpillError> {
        let dir = std::env::temp_dir();
        let file = tempfile::tempfile_in(&dir).map_err(|source| SpillError {
            dir: dir.clone(),
            what: "create",
            source,
        })?;
        Ok(SpillFile {
            dir,
            inner: Mutex::new(Inner {
                file: BufWriter::with_capacity(1 << 20, file),
                len: 0,
                dirty: false,
            }),
        })
    }

    fn error(&self, what: &'static str, source: std::io::Error) -> SpillError {
        SpillError {
            dir: self.dir.clone(),
            what,
            source,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the file as consistent as any partial write: offsets handed out
        // are only those of completed appends.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends `bytes`; returns the offset to read them back from.
    pub fn append(&self, bytes: &[u8]) -> Result<u64, SpillError> {
        let mut inner = self.lock();
        let offset = inner.len;
        // Not through `atomic::write_through`: the write-fault hook counts the files a user gets, and a spill file
        // is none of them.
        inner
            .file
            .write_all(bytes)
            .map_err(|e| self.error("write", e))?;
        inner.len += bytes.len() as u64;
        inner.dirty = true;
        Ok(offset)
    }

    /// Reads back `len` bytes appended at `offset`.
    pub fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, SpillError> {
        let mut inner = self.lock();
        if inner.dirty {
            inner.file.flush().map_err(|e| self.error("write", e))?;
            inner.dirty = false;
        }
        let mut out = vec![0; len];
        let file = inner.file.get_mut();
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut out))
            .map_err(|e| self.error("read back", e))?;
        // Appends continue at the end, wherever this read left the cursor.
        file.seek(SeekFrom::End(0))
            .map_err(|e| self.error("read back", e))?;
        Ok(out)
    }

    /// Bytes appended so far.
    pub fn len(&self) -> u64 {
        self.lock().len
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_read_back_in_any_order_between_appends() {
        let s = SpillFile::new().unwrap();
        let a = s.append(b"first chunk").unwrap();
        let b = s.append(&[0, 1, 2, 255]).unwrap();
        assert_eq!(s.read(b, 4).unwrap(), vec![0, 1, 2, 255]);
        // An append after a read lands at the end, not where the read left the cursor.
        let c = s.append(b"third").unwrap();
        assert_eq!((a, b, c), (0, 11, 15));
        assert_eq!(s.read(a, 11).unwrap(), b"first chunk");
        assert_eq!(s.read(c, 5).unwrap(), b"third");
        assert_eq!(s.len(), 20);
        let e = s.read(18, 5).unwrap_err();
        assert_eq!(e.what, "read back");
        assert!(e.to_string().contains("TMPDIR"), "{e}");
    }
}
