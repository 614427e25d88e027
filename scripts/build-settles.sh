#!/usr/bin/env bash
# Proves the build settles: in a copy of the tree without .git (a source tarball) and in a fresh clone without
# .git/packed-refs, a second `cargo build --release` compiles nothing. (A watched path that does not exist makes
# cargo rerun the build script and recompile the binary on every build; build.rs watches only paths that exist.)
#
#   scripts/build-settles.sh            # builds the copies in a target folder of their own, removed afterwards
#
# Both copies are built at the same path one after the other, so the second reuses the first's workspace crates
# and only the binary's build script and crate are at stake. Exit 0 only if both second builds compile nothing.
# The copies never share this tree's target/: cargo names a workspace crate's artifacts by its path inside the
# workspace, not by the workspace's own path, so a copy built into the same target/ would leave artifacts whose
# baked-in CARGO_MANIFEST_DIR is the (deleted) copy, and the next `cargo test` here would use them and fail.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=$work/target
tree=$work/tree
status=0

second_build_compiles_nothing() {
  local what=$1
  (cd "$tree" && cargo build --release --locked -p stance --quiet 2>&1) >/dev/null
  local log
  log=$(cd "$tree" && cargo build --release --locked -p stance -v 2>&1)
  local compiled
  compiled=$(grep -E '^\s*(Compiling|Running `[^`]*build-script-build)' <<<"$log" || true)
  if [[ -n $compiled ]]; then
    echo "FAIL ($what): the second build did work:"
    sed 's/^/  /' <<<"$compiled"
    status=1
  else
    echo "ok ($what): the second cargo build compiled nothing ($(grep -c Fresh <<<"$log") units fresh)"
  fi
}

# 1. A source tarball: the committed tree, no .git at all.
mkdir -p "$tree"
git archive HEAD | tar -x -C "$tree"
second_build_compiles_nothing "no .git"

# 2. A fresh clone whose refs are loose files only (no .git/packed-refs), as after `git init` + `git fetch`.
rm -rf "$tree"
git clone --quiet --no-local "$repo" "$tree"
sha=$(git -C "$tree" rev-parse HEAD)
branch=$(git -C "$tree" symbolic-ref --short HEAD)
git -C "$tree" update-ref "refs/heads/$branch" "$sha"
rm -f "$tree/.git/packed-refs"
git -C "$tree" rev-parse --verify --quiet HEAD >/dev/null || { echo "FAIL: HEAD does not resolve without packed-refs"; exit 1; }
[[ ! -e $tree/.git/packed-refs ]] || { echo "FAIL: the clone still has .git/packed-refs"; exit 1; }
second_build_compiles_nothing "git checkout without .git/packed-refs"
exit $status
