#!/usr/bin/env bash
# Prints the house rules' state: upward dependencies between layers (crates), import cycles between the modules
# of a crate, and dependencies no code uses — each must be 0 (tests/test_layers.rs asserts it; CI runs it with
# the other tests and then this script for the log). Exit status: the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(cargo test --release --test integration test_layers -- --nocapture --test-threads 1 2>/dev/null) && rc=0 || rc=$?
grep -oE '(upward dependencies|module imports read|unused dependencies).*|^  .*' <<<"$out" || true
exit $rc
