#!/usr/bin/env bash
# Proves a refactor kept the model-file format: trains every configuration of every shipped experiment with two
# binaries and compares the model files byte for byte (ignoring the harness's commit and the file checksum over it,
# which differ by design between two builds); then predicts with each model file of OLD using both binaries and
# compares the outputs (a file written before the change still loads and predicts the same).
#
#   scripts/same-models.sh OLD_BINARY NEW_BINARY [DIR]    # DIR defaults to a temporary folder
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { sed -n 2,7p "$0"; exit 2; }
old=$(realpath "$1"); new=$(realpath "$2"); d=${3:-$(mktemp -d)}; mkdir -p "$d"
norm() { sed -E 's/"git_commit":"[^"]*"/"git_commit":"-"/; s/^(\{"format":"stance-model","schema_version":[0-9]+,"sha256":)"[0-9a-f]{64}"/\1"-"/' "$1"; }
statements=("We must lift the restrictions on Ukraine now." "This would not start a world war, would it?"
  "“I believe we should not escalate,” said Stoltenberg in 2023." "Self-defense is a right; we cannot deny them weapons.")
n=0; same=0; pred=0; predsame=0; status=0
for e in experiments/*.toml; do
  name=$(basename "$e" .toml)
  # The configurations, as the refusal of an unknown one lists them.
  configs=$("$new" train "$e" --config '?' --model "$d/x.json" 2>&1 | sed -E 's/.*choose one of: //' | grep -o "'[^']*'" | tr -d "'" || true)
  while IFS= read -r c; do
    [[ -z $c ]] && continue
    f=$(echo "$name-$c" | tr ' +/−' '____')
    "$old" train "$e" --config "$c" --model "$d/$f.old.json" >/dev/null 2>&1 || { echo "old binary failed: $name / $c"; status=1; continue; }
    "$new" train "$e" --config "$c" --model "$d/$f.new.json" >/dev/null 2>&1 || { echo "new binary failed: $name / $c"; status=1; continue; }
    n=$((n + 1))
    if cmp -s <(norm "$d/$f.old.json") <(norm "$d/$f.new.json"); then same=$((same + 1)); else echo "model differs: $name / $c"; status=1; fi
    pred=$((pred + 1))
    "$old" predict --model "$d/$f.old.json" --format csv --top 3 "${statements[@]}" >"$d/$f.pold" 2>&1 || true
    "$new" predict --model "$d/$f.old.json" --format csv --top 3 "${statements[@]}" >"$d/$f.pnew" 2>&1 || true
    if cmp -s "$d/$f.pold" "$d/$f.pnew"; then predsame=$((predsame + 1)); else echo "predictions differ: $name / $c"; status=1; fi
  done <<<"$configs"
done
echo "models: $same of $n identical; predict --model with the old files: $predsame of $pred identical"
exit $status
