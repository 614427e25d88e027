#!/usr/bin/env bash
# Proves a refactor changed no output: runs every shipped experiment with a given binary into a folder, or compares
# two such folders byte for byte (ignoring timings.json and the harness's commit, which differ by design).
#
#   scripts/same-outputs.sh capture BINARY DIR    # run experiments/*.toml with BINARY, reports into DIR/<name>
#   scripts/same-outputs.sh compare DIR_A DIR_B   # exit 0 only if every file is identical
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
capture)
  bin=$(realpath "$2"); out=$3; mkdir -p "$out"
  for exp in experiments/*.toml; do
    name=$(basename "$exp" .toml)
    "$bin" run "$exp" --out "$out/$name" --quiet >"$out/$name.stdout"
  done
  ;;
compare)
  a=$2; b=$3; status=0
  norm() { sed -E 's/"git_commit": ?"[^"]*"/"git_commit":"-"/; s/(harness [0-9.]+)( \([0-9a-f+dirty]+\))?/\1/g; s/commit [0-9a-f]{12}(\+dirty)?/commit -/g; s/^wrote .* in [0-9.]+ s$/wrote -/' "$1"; }
  while IFS= read -r f; do
    rel=${f#"$a"/}
    [[ $rel == timings.json || $rel == */timings.json ]] && continue
    if [[ ! -e $b/$rel ]]; then echo "missing in $b: $rel"; status=1; continue; fi
    if ! cmp -s "$f" "$b/$rel"; then
      case $rel in
        *.png) echo "differs: $rel"; status=1 ;;
        *) if ! diff -q <(norm "$f") <(norm "$b/$rel") >/dev/null; then echo "differs: $rel"; status=1; fi ;;
      esac
    fi
  done < <(find "$a" -type f | sort)
  while IFS= read -r f; do rel=${f#"$b"/}; [[ -e $a/$rel ]] || { echo "extra in $b: $rel"; status=1; }; done < <(find "$b" -type f | sort)
  [[ $status == 0 ]] && echo "identical: $(find "$a" -type f ! -name timings.json | wc -l) files"
  exit $status
  ;;
*) sed -n 2,7p "$0"; exit 2 ;;
esac
