//! Seed documents and their manifest.
//!
//! `seeds/manifest.csv` (`id,file,sha256,description`) names every seed document. A seed is the ground the gold
//! data stands on, so a seed whose bytes no longer match the manifest's hash is an error: every offset in the
//! gold file would silently point at different text.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::sha256_hex;
use stance_core::diag::{excerpt, CsvLines, Diagnostic};

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
    /// The manifest line that lists the seed.
    pub line: u64,
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

/// One row of the manifest that parsed (its seed file is not read yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The document id.
    pub id: String,
    /// The seed's file name inside the seeds directory.
    pub file: String,
    /// The sha256 the manifest records, as written.
    pub sha256: String,
    /// One-line description.
    pub description: String,
    /// The manifest line the row is on.
    pub line: u64,
}

/// The parsed manifest: the rows that are well formed, and a problem for every other one.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Well-formed rows, in file order.
    pub entries: Vec<ManifestEntry>,
    /// Every file name the manifest mentions (also in rows with problems), so such files are not reported as
    /// unlisted on top of the row's own problem.
    pub files: HashSet<String>,
    /// Problems, each at its line.
    pub problems: Vec<Diagnostic>,
}

impl Manifest {
    /// The entry whose file is `file`, if any.
    pub fn by_file(&self, file: &str) -> Option<&ManifestEntry> {
        self.entries.iter().find(|e| e.file == file)
    }
}

/// Parses a manifest's bytes (`path` names it in messages). Never fails and never reads a seed; the only manifest
/// parser in the harness, so `validate`, `run` and `segment` agree on what a manifest says.
pub fn parse_manifest(path: &Path, bytes: &[u8]) -> Manifest {
    let mut m = Manifest::default();
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        m.problems.push(Diagnostic::at(
            path,
            1,
            "the manifest is empty; its first line must be the header id,file,sha256,description",
        ));
        return m;
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    if let Err(d) = check_manifest_header(path, &mut rdr) {
        m.problems.push(d);
        return m;
    }
    let mut ids_seen = HashSet::new();
    let mut lines = CsvLines::new(bytes);
    let mut record = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = lines.line(e.position());
                m.problems.push(Diagnostic::at(
                    path,
                    line,
                    format!("cannot parse this row: {e}"),
                ));
                break;
            }
        }
        let line = lines.line(record.position());
        if let Some(f) = record.get(1) {
            m.files.insert(String::from_utf8_lossy(f).into_owned());
        }
        let fields = match manifest_fields(path, line, &record) {
            Ok(f) => f,
            Err(d) => {
                m.problems.push(d);
                // An unclosed quote swallows the rest of the file: nothing after it can be trusted.
                if record.iter().any(|f| f.contains(&b'\n')) {
                    break;
                }
                continue;
            }
        };
        match manifest_entry(path, line, fields, &mut ids_seen) {
            Ok(e) => m.entries.push(e),
            Err(d) => m.problems.push(d),
        }
    }
    m
}

/// The header row must be exactly `id,file,sha256,description`.
fn check_manifest_header(path: &Path, rdr: &mut csv::Reader<&[u8]>) -> Result<(), Diagnostic> {
    let h = rdr
        .byte_headers()
        .map_err(|e| Diagnostic::at(path, 1, format!("cannot parse the header: {e}")))?;
    let got: Vec<String> = h
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    if got != MANIFEST_HEADER {
        return Err(Diagnostic::at(
            path,
            1,
            format!(
                "header is '{}', expected '{}'",
                excerpt(&got.join(",")),
                MANIFEST_HEADER.join(",")
            ),
        ));
    }
    Ok(())
}

/// A row's fields as one-line UTF-8 strings, or the first field that is not.
fn manifest_fields(
    path: &Path,
    line: u64,
    record: &csv::ByteRecord,
) -> Result<Vec<String>, Diagnostic> {
    let mut fields = Vec::with_capacity(record.len());
    for (i, raw) in record.iter().enumerate() {
        let name = MANIFEST_HEADER.get(i).copied().unwrap_or("(extra)");
        let f = std::str::from_utf8(raw).map_err(|_| {
            Diagnostic::at(
                path,
                line,
                format!("field '{name}' is not valid UTF-8; the manifest must be UTF-8 text"),
            )
        })?;
        // Every manifest field is one line; a line break means a quote was left open and swallowed the rows
        // after it (which would then be reported as unlisted files).
        if f.contains('\n') || f.contains('\r') {
            return Err(Diagnostic::at(
                path,
                line,
                format!(
                    "field '{name}' runs over a line break (\"{}\"): a quote opened in this row is never closed, so it swallows the lines after it; close the quote",
                    excerpt(f)
                ),
            ));
        }
        fields.push(f.to_string());
    }
    Ok(fields)
}

/// One manifest entry from a row's fields: four of them, a new non-empty id, a bare file name, a sha256.
fn manifest_entry(
    path: &Path,
    line: u64,
    fields: Vec<String>,
    ids_seen: &mut HashSet<String>,
) -> Result<ManifestEntry, Diagnostic> {
    let at = |message: String| Diagnostic::at(path, line, message);
    if fields.len() != MANIFEST_HEADER.len() {
        return Err(at(format!(
            "expected {} fields (id,file,sha256,description), found {}; quote a description that contains a comma",
            MANIFEST_HEADER.len(),
            fields.len()
        )));
    }
    let [id, file, hash, description]: [String; 4] =
        fields.try_into().expect("length checked above");
    if id.trim().is_empty() {
        return Err(at(
            "field 'id' is empty; give the seed a document id such as doc001".to_string(),
        ));
    }
    if !ids_seen.insert(id.clone()) {
        return Err(at(format!(
            "duplicate seed id '{}'; every seed needs its own id",
            excerpt(&id)
        )));
    }
    if file.contains('/') || file.contains('\\') || file.is_empty() || file == "." || file == ".." {
        return Err(at(format!(
            "field 'file' must be a file name inside the seeds directory, got '{}'",
            excerpt(&file)
        )));
    }
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(at(format!(
            "field 'sha256' must be 64 hex digits, got '{}' (compute it with `sha256sum seeds/{}`)",
            excerpt(&hash),
            excerpt(&file)
        )));
    }
    Ok(ManifestEntry {
        id,
        file,
        sha256: hash,
        description,
        line,
    })
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
    let parsed = parse_manifest(&manifest, &bytes);
    set.problems = parsed.problems;
    let mut listed = parsed.files;
    listed.insert(MANIFEST_FILE.to_string());
    for entry in parsed.entries {
        let ManifestEntry {
            id,
            file,
            sha256: hash,
            description,
            line,
        } = entry;
        let path = dir.join(&file);
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
        if !actual.eq_ignore_ascii_case(&hash) {
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
        if data.iter().all(|b| b.is_ascii_whitespace()) {
            set.problems.push(Diagnostic::at(
                &manifest,
                line,
                format!(
                    "seed '{id}' ({}) is empty: there is no text to label; copy the real document or remove this row",
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
                        "seed is not valid UTF-8 (first bad byte at offset {}); seeds must be UTF-8 text",
                        e.utf8_error().valid_up_to()
                    ),
                ));
                continue;
            }
        };
        set.seeds.insert(
            id.clone(),
            Seed {
                id,
                path,
                description,
                sha256: actual,
                text,
                line,
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
    // Manifest-level and seed-level problems were found in two passes; report them in line order.
    set.problems.sort_by_key(|p| p.line);
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

    #[test]
    fn an_unclosed_quote_is_an_error_at_its_line_not_an_unlisted_file() {
        let dir = tempfile::tempdir().unwrap();
        let h = sha256_hex(b"A.");
        write(dir.path(), "a.txt", b"A.");
        write(dir.path(), "b.txt", b"A.");
        write(
            dir.path(),
            MANIFEST_FILE,
            format!("id,file,sha256,description\nd1,a.txt,{h},\"one\nd2,b.txt,{h},two\n")
                .as_bytes(),
        );
        let set = read_seeds(dir.path());
        assert_eq!(set.problems.len(), 1, "{:?}", set.problems);
        assert_eq!(set.problems[0].line, Some(2));
        assert!(
            set.problems[0].message.contains("never closed"),
            "{}",
            set.problems[0]
        );
        assert!(set.unlisted.iter().all(|p| !p.ends_with("a.txt")));
    }

    #[test]
    fn an_empty_seed_and_an_empty_manifest_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), MANIFEST_FILE, b"");
        let set = read_seeds(dir.path());
        assert!(set.problems[0].message.contains("the manifest is empty"));
        write(dir.path(), "e.txt", b"");
        let h = sha256_hex(b"");
        write(
            dir.path(),
            MANIFEST_FILE,
            format!("id,file,sha256,description\nd1,e.txt,{h},x\n").as_bytes(),
        );
        let set = read_seeds(dir.path());
        assert_eq!(set.problems.len(), 1, "{:?}", set.problems);
        assert!(
            set.problems[0].message.contains("is empty"),
            "{}",
            set.problems[0]
        );
        assert_eq!(set.problems[0].line, Some(2));
    }
}
