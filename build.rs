//! Records the harness's git commit at build time, so every report says which code produced it.
//! Never fails: without git (or outside a checkout) the commit is simply unknown.
//!
//! It reruns when the sources, the manifests or the checked-out commit change, not when the git index does (any
//! `git status` touches the index, which made every test run rebuild the crate). So `+dirty` reflects the sources
//! at build time; an uncommitted change outside the sources alone does not mark the build dirty.
//!
//! Every path it watches exists: cargo treats a watched path that does not exist as changed on every build, so a
//! fixed `.git/packed-refs` (absent in a fresh `git init` + fetch, in a worktree, whose `.git` is a file, and in a
//! source tarball without `.git`) made every `cargo build` rerun this script and recompile the binary. The git
//! folders are asked of git itself (`--absolute-git-dir` holds `HEAD`; `--git-common-dir` holds `refs` and
//! `packed-refs`, which differ in a worktree); without git, only the sources are watched.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    // GIT_OPTIONAL_LOCKS=0 keeps `git status` from refreshing .git/index: a build script that rewrites a file it
    // might watch makes every later build rerun it.
    let out = Command::new("git")
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The git files whose change means another commit is checked out, those that exist.
fn git_triggers() -> Vec<PathBuf> {
    let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) else {
        return Vec::new();
    };
    let git_dir = PathBuf::from(git_dir);
    let common = git(&["rev-parse", "--git-common-dir"])
        .map(|c| {
            let c = PathBuf::from(c);
            if c.is_absolute() {
                c
            } else {
                std::env::current_dir().unwrap_or_default().join(c)
            }
        })
        .unwrap_or_else(|| git_dir.clone());
    [
        git_dir.join("HEAD"),
        common.join("refs"),
        common.join("packed-refs"),
    ]
    .into_iter()
    .filter(|p| p.exists())
    .collect()
}

fn main() {
    let sources = ["src", "crates", "Cargo.toml", "build.rs"];
    for path in sources.iter().map(Path::new).filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for path in git_triggers() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    if let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) {
        let dirty =
            git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
        let label = if dirty {
            format!("{commit}+dirty")
        } else {
            commit
        };
        println!("cargo:rustc-env=STANCE_GIT_COMMIT={label}");
    }
}
