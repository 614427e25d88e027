//! Records the harness's git commit at build time, so every report says which code produced it.
//! Never fails: without git (or outside a checkout) the commit is simply unknown.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
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
        ".git/index",
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
