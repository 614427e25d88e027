//! Outputs against inputs: before a command writes anything, every path it will write is compared with every path
//! it reads, and with its other outputs, so no command can write over its own input.
//!
//! An atomic write protects a reader from a half-written file, not from the writer's own mistakes: `stance
//! submission --gold labels/gold.csv` would rename a file of gold labels over the project's gold labels, and
//! `stance diff --out A/report.json` would replace the report it compares. Each command therefore lists what it
//! reads and what it writes in an [`Io`], and [`Io::check`] refuses, before anything is written:
//!
//! * an output that *is* an input (same canonical path, or the same device and inode: a hard link);
//! * an output inside a folder the command reads (a file added to the seeds or a label folder changes the data;
//!   a file added to a report folder makes it a folder stance no longer replaces);
//! * an input inside an output folder (replacing a report folder deletes everything in it);
//! * two outputs that are the same path or one inside the other;
//! * an existing file output that is not a regular file, or a symbolic link to something that is not: a folder,
//!   a device (`/dev/null`, a terminal), a fifo or a socket. A file is written beside its target and renamed over
//!   it, which would replace the device or the link with a plain file (as root, `/dev/null` itself).
//!
//! Paths are compared canonically (symbolic links and `..` resolved; for a path that does not exist yet, its
//! deepest existing folder is resolved and the rest appended), so `./reports/../reports/default` and a link to it
//! are the same place.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// A path a command will write, refused before anything is written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// An output would write over (or into, or delete) something the command reads.
    #[error("{flag} {}: {relation} {what} {}, which this command reads; {consequence} — {fix}", output.display(), input.display())]
    OverInput {
        /// The option naming the output (`--out`).
        flag: String,
        /// The output as given.
        output: PathBuf,
        /// How the two paths relate (`this is`, `this is inside`, `this folder holds`).
        relation: &'static str,
        /// What the input is (`the report`, `the gold labels`).
        what: String,
        /// The input as given.
        input: PathBuf,
        /// What writing would do.
        consequence: &'static str,
        /// How to avoid it.
        fix: String,
    },
    /// Two outputs of one command are the same path, or one is inside the other.
    #[error(
        "{flag} {} and {other_flag} {} {relation}, so one would overwrite the other; give them different paths",
        output.display(), other.display()
    )]
    OverOutput {
        /// The first option.
        flag: String,
        /// Its path.
        output: PathBuf,
        /// The second option.
        other_flag: String,
        /// Its path.
        other: PathBuf,
        /// `name the same file`, `are one inside the other`.
        relation: &'static str,
    },
    /// An existing output is not a regular file (or links to something that is not).
    #[error(
        "{flag} {}: {kind}; stance writes a file beside its target and renames it over it, which would replace it \
         with a regular file — name a regular file{stdout}",
        path.display()
    )]
    NotAFile {
        /// The option.
        flag: String,
        /// The path as given.
        path: PathBuf,
        /// What is there (`it is a character device`, `it is a symbolic link to a fifo (/tmp/f)`).
        kind: String,
        /// `, or - for standard output` where the command takes it.
        stdout: &'static str,
    },
}

/// Whether an output is one file or a folder replaced whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file, written atomically.
    File,
    /// A report folder, staged and swapped in whole.
    Folder,
}

#[derive(Debug, Clone)]
struct Input {
    what: String,
    path: PathBuf,
}

#[derive(Debug, Clone)]
struct Output {
    flag: String,
    path: PathBuf,
    kind: Kind,
    stdout: bool,
}

/// What one command reads and writes, checked with [`Io::check`] before it writes.
#[derive(Debug, Clone, Default)]
pub struct Io {
    inputs: Vec<Input>,
    outputs: Vec<Output>,
}

/// Where a path is: canonical, and its device and inode when it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    canonical: PathBuf,
    inode: Option<(u64, u64)>,
    is_dir: bool,
}

impl Io {
    /// Nothing read, nothing written.
    pub fn new() -> Io {
        Io::default()
    }

    /// Adds something the command reads: `what` names it in messages (`the report`, `the experiment file`).
    pub fn reads(&mut self, what: impl Into<String>, path: impl AsRef<Path>) -> &mut Io {
        self.inputs.push(Input {
            what: what.into(),
            path: path.as_ref().to_path_buf(),
        });
        self
    }

    /// Adds a file the command writes, named by `flag` (`--out`) in messages.
    pub fn writes_file(&mut self, flag: impl Into<String>, path: impl AsRef<Path>) -> &mut Io {
        self.writes(flag, path, Kind::File, false)
    }

    /// Adds a file the command writes where `-` would mean standard output (said in the refusal of a device).
    pub fn writes_file_or_stdout(
        &mut self,
        flag: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> &mut Io {
        self.writes(flag, path, Kind::File, true)
    }

    /// Adds a folder the command replaces whole (a report folder).
    pub fn writes_folder(&mut self, flag: impl Into<String>, path: impl AsRef<Path>) -> &mut Io {
        self.writes(flag, path, Kind::Folder, false)
    }

    fn writes(
        &mut self,
        flag: impl Into<String>,
        path: impl AsRef<Path>,
        kind: Kind,
        stdout: bool,
    ) -> &mut Io {
        self.outputs.push(Output {
            flag: flag.into(),
            path: path.as_ref().to_path_buf(),
            kind,
            stdout,
        });
        self
    }

    /// Refuses the first output that is not a regular file where a file goes, or that clashes with an input or
    /// with another output (see the module documentation). Boxed: the refusal names two paths and the fix, and
    /// an `Ok` is the common case.
    pub fn check(&self) -> Result<(), Box<OutputError>> {
        for o in &self.outputs {
            if o.kind == Kind::File {
                not_a_file(&o.path).map_or(Ok(()), |kind| {
                    Err(Box::new(OutputError::NotAFile {
                        flag: o.flag.clone(),
                        path: o.path.clone(),
                        kind,
                        stdout: if o.stdout {
                            ", or - for standard output"
                        } else {
                            ""
                        },
                    }))
                })?;
            }
        }
        let outs: Vec<Place> = self.outputs.iter().map(|o| place(&o.path)).collect();
        let ins: Vec<Place> = self.inputs.iter().map(|i| place(&i.path)).collect();
        for (o, op) in self.outputs.iter().zip(&outs) {
            for (i, ip) in self.inputs.iter().zip(&ins) {
                if let Some((relation, consequence)) = over_input(o.kind, op, ip) {
                    let fix = match relation {
                        Relation::Same => format!("choose another {}", o.flag),
                        Relation::InsideInput => {
                            format!("choose a {} outside that folder", o.flag)
                        }
                        Relation::HoldsInput => format!(
                            "choose another {}, or move the input out of that folder",
                            o.flag
                        ),
                    };
                    return Err(Box::new(OutputError::OverInput {
                        flag: o.flag.clone(),
                        output: o.path.clone(),
                        relation: relation.words(),
                        what: i.what.clone(),
                        input: i.path.clone(),
                        consequence,
                        fix,
                    }));
                }
            }
        }
        for (a, (o, op)) in self.outputs.iter().zip(&outs).enumerate() {
            for (p, pp) in self.outputs.iter().zip(&outs).skip(a + 1) {
                let relation = if same(op, pp) {
                    Some("name the same file")
                } else if op.canonical.starts_with(&pp.canonical)
                    || pp.canonical.starts_with(&op.canonical)
                {
                    Some("are one inside the other")
                } else {
                    None
                };
                if let Some(relation) = relation {
                    return Err(Box::new(OutputError::OverOutput {
                        flag: o.flag.clone(),
                        output: o.path.clone(),
                        other_flag: p.flag.clone(),
                        other: p.path.clone(),
                        relation,
                    }));
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Same,
    InsideInput,
    HoldsInput,
}

impl Relation {
    fn words(self) -> &'static str {
        match self {
            Relation::Same => "this is",
            Relation::InsideInput => "this is inside",
            Relation::HoldsInput => "this folder holds",
        }
    }
}

fn same(a: &Place, b: &Place) -> bool {
    a.canonical == b.canonical || (a.inode.is_some() && a.inode == b.inode)
}

/// How output `o` (of `kind`) meets input `i`, and what writing it would do.
fn over_input(kind: Kind, o: &Place, i: &Place) -> Option<(Relation, &'static str)> {
    if same(o, i) {
        let consequence = match kind {
            Kind::File => "writing it would replace its own input",
            Kind::Folder => "replacing the folder would delete its own input",
        };
        return Some((Relation::Same, consequence));
    }
    if i.is_dir && o.canonical.starts_with(&i.canonical) {
        return Some((
            Relation::InsideInput,
            "writing there would change what the command reads",
        ));
    }
    if i.canonical.starts_with(&o.canonical) {
        let consequence = match kind {
            Kind::File => "writing there would replace the folder holding the input",
            Kind::Folder => "replacing the folder would delete the input",
        };
        return Some((Relation::HoldsInput, consequence));
    }
    None
}

/// The canonical place of `path`: resolved when it exists; otherwise its deepest existing ancestor resolved, with
/// the rest of the path appended (`.` dropped, `..` applied lexically).
fn place(path: &Path) -> Place {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let absolute = lexical(&absolute);
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let canonical = loop {
        if let Ok(c) = existing.canonicalize() {
            let mut c = c;
            for part in rest.iter().rev() {
                c.push(part);
            }
            break c;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break absolute.clone(),
        }
    };
    let meta = fs::metadata(path).ok();
    Place {
        canonical,
        inode: meta.as_ref().and_then(inode),
        is_dir: meta.is_some_and(|m| m.is_dir()),
    }
}

#[cfg(unix)]
fn inode(m: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// `p` with `.` dropped and `..` applied to the component before it (lexically: no link is resolved, so a path
/// that does not exist yet normalises too).
pub fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Why an existing `path` cannot be replaced by a regular file, or `None` (absent, a regular file, a link to one,
/// or a dangling link, which the write replaces).
fn not_a_file(path: &Path) -> Option<String> {
    let link = fs::symlink_metadata(path).ok()?;
    if link.file_type().is_symlink() {
        let target = fs::metadata(path).ok()?;
        if target.is_file() {
            return None;
        }
        let to = fs::read_link(path)
            .map(|t| format!(" ({})", t.display()))
            .unwrap_or_default();
        return Some(format!(
            "it is a symbolic link to {}{to}",
            describe(&target.file_type())
        ));
    }
    if link.is_file() {
        return None;
    }
    Some(format!("it is {}", describe(&link.file_type())))
}

fn describe(t: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a fifo (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(io: &Io) -> String {
        io.check().unwrap_err().to_string()
    }

    #[test]
    fn an_output_that_is_an_input_is_refused_by_path_link_or_inode() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("r")).unwrap();
        fs::write(d.join("r/report.json"), "{}").unwrap();
        let mut io = Io::new();
        io.reads("the report", d.join("r/report.json"))
            .writes_file("--out", d.join("r/../r/./report.json"));
        let e = err(&io);
        assert!(e.starts_with("--out "), "{e}");
        assert!(e.contains("this is the report"), "{e}");
        assert!(e.contains("replace its own input"), "{e}");

        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("r/report.json"), d.join("link.json")).unwrap();
            let mut io = Io::new();
            io.reads("the report", d.join("r/report.json"))
                .writes_file("--gold", d.join("link.json"));
            assert!(err(&io).contains("this is the report"));
            fs::hard_link(d.join("r/report.json"), d.join("hard.json")).unwrap();
            let mut io = Io::new();
            io.reads("the report", d.join("r/report.json"))
                .writes_file("--out", d.join("hard.json"));
            assert!(err(&io).contains("this is the report"));
        }
    }

    #[test]
    fn outputs_inside_input_folders_and_folders_holding_inputs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("labels")).unwrap();
        fs::write(d.join("labels/gold.csv"), "x").unwrap();
        let mut io = Io::new();
        io.reads("the label folder", d.join("labels"))
            .writes_file("--summary", d.join("labels/new/s.md"));
        assert!(err(&io).contains("this is inside the label folder"));
        let mut io = Io::new();
        io.reads("the data", d.join("labels/gold.csv"))
            .writes_folder("--out", d.join("labels"));
        let e = err(&io);
        assert!(e.contains("this folder holds the data"), "{e}");
        assert!(e.contains("would delete the input"), "{e}");
        // Beside an input, not over it: fine.
        let mut io = Io::new();
        io.reads("the data", d.join("labels/gold.csv"))
            .writes_file("--out", d.join("labels/gold.csv.bak"))
            .writes_folder("--out", d.join("reports/x"));
        io.check().unwrap();
    }

    #[test]
    fn two_outputs_may_not_meet() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut io = Io::new();
        io.writes_file("--out", d.join("g.txt"))
            .writes_file("--gold", d.join("./g.txt"));
        assert!(err(&io).contains("--out") && err(&io).contains("name the same file"));
        let mut io = Io::new();
        io.writes_folder("--out", d.join("rep"))
            .writes_file("--summary", d.join("rep/summary.md"));
        assert!(err(&io).contains("one inside the other"));
    }

    #[cfg(unix)]
    #[test]
    fn devices_fifos_folders_and_links_to_them_are_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut io = Io::new();
        io.writes_file("--out", "/dev/null");
        let e = err(&io);
        assert!(
            e.contains("--out /dev/null: it is a character device"),
            "{e}"
        );
        let mut io = Io::new();
        io.writes_file_or_stdout("--out", "/dev/null");
        assert!(err(&io).contains("or - for standard output"));
        std::os::unix::fs::symlink("/dev/null", d.join("null")).unwrap();
        let mut io = Io::new();
        io.writes_file("--junit", d.join("null"));
        let e = err(&io);
        assert!(
            e.contains("symbolic link to a character device (/dev/null)"),
            "{e}"
        );
        let fifo = d.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if made {
            let mut io = Io::new();
            io.writes_file("--out", &fifo);
            assert!(err(&io).contains("a fifo"));
        }
        let mut io = Io::new();
        io.writes_file("--model", d);
        assert!(err(&io).contains("it is a folder"));
        // A regular file, a link to one and a dangling link are written as before.
        fs::write(d.join("f"), "x").unwrap();
        std::os::unix::fs::symlink(d.join("f"), d.join("to-f")).unwrap();
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling")).unwrap();
        let mut io = Io::new();
        io.writes_file("--a", d.join("f"))
            .writes_file("--b", d.join("dangling"))
            .writes_file("--c", d.join("new.txt"));
        io.check().unwrap();
    }
}
