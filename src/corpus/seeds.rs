//! Seed documents and their manifest.
//!
//! `seeds/manifest.csv` (`id,file,sha256,description`) names every seed document. A seed is the ground the gold
//! data stands on, so a seed whose bytes no longer match the manifest's hash is an error: every offset in the
//! gold file would silently point at different text.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::sha256_hex;
use crate::diag::Diagnostic;

/// The manifest's file name inside the seeds directory.
pub const MANIFEST_FILE: &str = "manifest.csv";

/// The manifest's header, in order.
pub const MANIFEST_HEADER: [&str; 4] = ["id", "file", "sha256", "description"];

/// A seed document whose bytes matched its manifest hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The document id used by gold rows.
    pub id: String,
    /// The file, as found on disk.
    pub path: PathBuf,
    /// One-line description from the manifest.
    pub description: String,
    /// sha256 of the file's bytes.
    pub sha256: String,
    /// The file's text (seeds are UTF-8).
    pub text: String,
}

/// The result of reading a seeds directory: the seeds that loaded and every problem found.
#[derive(Debug, Clone, Default)]
pub struct SeedSet {
    /// Seeds by id, in id order.
    pub seeds: BTreeMap<String, Seed>,
    /// Problems found (hash mismatches, missing files, bad manifest rows).
    pub problems: Vec<Diagnostic>,
    /// Files in the seeds directory that the manifest does not list.
    pub unlisted: Vec<PathBuf>,
}

impl SeedSet {
    /// sha256 of each seed, keyed `seeds/<file name>`.
    pub fn hashes(&self) -> BTreeMap<String, String> {
        self.seeds
            .values()
            .map(|s| {
                let name = s
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (format!("seeds/{name}"), s.sha256.clone())
            })
            .collect()
    }
}

/// Reads `<dir>/manifest.csv` and every seed it lists, checking hashes. Never fails: problems are collected.
pub fn read_seeds(dir: &Path) -> SeedSet {
    let mut set = SeedSet::default();
    let manifest = dir.join(MANIFEST_FILE);
    let bytes = match fs::read(&manifest) {
        Ok(b) => b,
        Err(e) => {
            set.problems.push(Diagnostic::file(
                &manifest,
                format!("cannot read the seed manifest ({e}); it lists each seed as id,file,sha256,description"),
            ));
            return set;
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    match rdr.headers() {
        Ok(h) => {
            let got: Vec<&str> = h.iter().collect();
            if got != MANIFEST_HEADER {
                set.problems.push(Diagnostic::at(
                    &manifest,
                    1,
                    format!(
                        "header is '{}', expected '{}'",
                        got.join(","),
                        MANIFEST_HEADER.join(",")
                    ),
                ));
                return set;
            }
        }
        Err(e) => {
            set.problems.push(Diagnostic::at(
                &manifest,
                1,
                format!("cannot parse the header: {e}"),
            ));
            return set;
        }
    }
    let mut ids_seen = HashSet::new();
    let mut listed = HashSet::new();
    listed.insert(MANIFEST_FILE.to_string());
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = crate::diag::csv_line(&bytes, e.position());
                set.problems.push(Diagnostic::at(
                    &manifest,
                    line,
                    format!("cannot parse this row: {e}"),
                ));
                break;
            }
        };
        let line = crate::diag::csv_line(&bytes, record.position());
        if record.len() != MANIFEST_HEADER.len() {
            set.problems.push(Diagnostic::at(
                &manifest,
                line,
                format!(
                    "expected {} fields (id,file,sha256,description), found {}",
                    MANIFEST_HEADER.len(),
                    record.len()
                ),
            ));
            continue;
        }
        let (id, file, hash, description) = (&record[0], &record[1], &record[2], &record[3]);
        listed.insert(file.to_string());
        if id.trim().is_empty() {
            set.problems
                .push(Diagnostic::at(&manifest, line, "field 'id' is empty"));
            continue;
        }
        if !ids_seen.insert(id.to_string()) {
            set.problems.push(Diagnostic::at(
                &manifest,
                line,
                format!("duplicate seed id '{id}'"),
            ));
            continue;
        }
        if file.contains('/') || file.contains('\\') || file.is_empty() {
            set.problems.push(Diagnostic::at(
                &manifest,
                line,
                format!(
                    "field 'file' must be a file name inside {}, got '{file}'",
                    dir.display()
                ),
            ));
            continue;
        }
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            set.problems.push(Diagnostic::at(
                &manifest,
                line,
                format!("field 'sha256' must be 64 hex digits, got '{hash}' (compute it with `sha256sum seeds/{file}`)"),
            ));
            continue;
        }
        let path = dir.join(file);
        let data = match fs::read(&path) {
            Ok(d) => d,
            Err(e) => {
                set.problems.push(Diagnostic::at(
                    &manifest,
                    line,
                    format!("seed '{id}': cannot read {}: {e}", path.display()),
                ));
                continue;
            }
        };
        let actual = sha256_hex(&data);
        if !actual.eq_ignore_ascii_case(hash) {
            set.problems.push(Diagnostic::at(
                &manifest,
                line,
                format!(
                    "seed '{id}' ({}) has sha256 {actual}, but the manifest says {hash}: the seed's bytes changed. \
                     Seeds are never edited: restore the original file (e.g. from ../shared/seeds/)",
                    path.display()
                ),
            ));
            continue;
        }
        let text = match String::from_utf8(data) {
            Ok(t) => t,
            Err(e) => {
                set.problems.push(Diagnostic::file(
                    &path,
                    format!(
                        "seed is not valid UTF-8 (first bad byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                ));
                continue;
            }
        };
        set.seeds.insert(
            id.to_string(),
            Seed {
                id: id.to_string(),
                path,
                description: description.to_string(),
                sha256: actual,
                text,
            },
        );
    }
    if let Ok(entries) = fs::read_dir(dir) {
        let mut unlisted: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .filter(|e| !listed.contains(&e.file_name().to_string_lossy().into_owned()))
            .map(|e| e.path())
            .collect();
        unlisted.sort();
        set.unlisted = unlisted;
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) {
        fs::write(dir.join(name), bytes).unwrap();
    }

    #[test]
    fn accepts_matching_hash_and_rejects_changed_bytes() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.txt", b"Hello world.");
        let hash = sha256_hex(b"Hello world.");
        write(
            dir.path(),
            MANIFEST_FILE,
            format!("id,file,sha256,description\nd1,a.txt,{hash},greeting\n").as_bytes(),
        );
        let set = read_seeds(dir.path());
        assert!(set.problems.is_empty(), "{:?}", set.problems);
        assert_eq!(set.seeds["d1"].text, "Hello world.");

        write(dir.path(), "a.txt", b"Hello world!");
        let set = read_seeds(dir.path());
        assert_eq!(set.problems.len(), 1);
        assert_eq!(set.problems[0].line, Some(2));
        assert!(
            set.problems[0].message.contains("bytes changed"),
            "{}",
            set.problems[0]
        );
    }

    #[test]
    fn reports_bad_header_missing_file_and_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), MANIFEST_FILE, b"id,path,hash\n");
        let set = read_seeds(dir.path());
        assert!(set.problems[0]
            .message
            .contains("expected 'id,file,sha256,description'"));

        let h = "0".repeat(64);
        write(
            dir.path(),
            MANIFEST_FILE,
            format!("id,file,sha256,description\nd1,nope.txt,{h},x\nd1,nope.txt,{h},x\n")
                .as_bytes(),
        );
        let set = read_seeds(dir.path());
        assert_eq!(set.problems.len(), 2);
        assert!(set.problems[0].message.contains("cannot read"));
        assert!(set.problems[1].message.contains("duplicate seed id"));
        assert_eq!(set.problems[1].line, Some(3));
    }
}
