//! Records the harness's git commit at build time, so every report says which code produced it.
//! Never fails: without git (or outside a checkout) the commit is simply unknown.
//!
//! It reruns when the sources, the manifest or the checked-out commit change, not when the git index does (any
//! `git status` touches the index, which made every test run rebuild the crate). So `+dirty` reflects the sources
//! at build time; an uncommitted change outside `src/` alone does not mark the build dirty.

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

fn main() {
    for path in [
        "src",
        "Cargo.toml",
        "build.rs",
        ".git/HEAD",
        ".git/refs",
        ".git/packed-refs",
    ] {
        println!("cargo:rerun-if-changed={path}");
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
