//! A fresh temporary working directory per test, and a way to run the real binary in it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary directory that is removed when dropped.
pub struct Workdir {
    dir: tempfile::TempDir,
}

#[allow(dead_code)]
impl Workdir {
    /// An empty working directory.
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::Builder::new()
                .prefix("stance-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    /// A working directory holding copies of the repository's seeds/, labels/ and experiments/, and the outside
    /// system `experiments/systems.toml` runs (examples/systems/).
    pub fn with_repo_data() -> Workdir {
        let wd = Workdir::new();
        for d in ["seeds", "labels", "experiments", "examples/systems"] {
            copy_dir(&repo().join(d), &wd.path().join(d));
        }
        wd
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating parent directories).
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(p, contents).expect("write file");
    }

    /// Reads a file as text.
    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path().join(rel))
            .unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    /// Reads a file as bytes.
    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    /// A command for the binary, run in this directory.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stance"));
        cmd.args(args)
            .current_dir(self.path())
            .env_remove("RAYON_NUM_THREADS")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the binary and returns its output.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().expect("the binary runs");
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            cwd: self.path().to_path_buf(),
            output,
        }
    }
}

/// The result of one run, with assertions that print everything on failure.
pub struct Run {
    args: Vec<String>,
    cwd: PathBuf,
    /// Raw output.
    pub output: Output,
}

#[allow(dead_code)]
impl Run {
    /// Standard output.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Standard error.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn describe(&self) -> String {
        format!(
            "command: stance {}\ncwd: {}\nstatus: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.cwd.display(),
            self.output.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Asserts the exit code.
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.output.status.code(),
            Some(expected),
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }

    /// Asserts success.
    pub fn ok(&self) -> &Run {
        self.code(0)
    }

    /// Asserts stdout contains `needle`.
    pub fn stdout_has(&self, needle: &str) -> &Run {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// Asserts stderr contains `needle`.
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// Asserts stderr does not contain `needle`.
    pub fn stderr_lacks(&self, needle: &str) -> &Run {
        assert!(
            !self.stderr().contains(needle),
            "stderr has {needle:?}\n{}",
            self.describe()
        );
        self
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy file");
        }
    }
}
