#!/usr/bin/env bash
# One process against N concurrent shard processes + merge, on one experiment: wall time and peak RSS of each
# process (/usr/bin/time -v), the shard phase's wall time (all shards at once, as a scheduler would start them), and
# a byte-for-byte check that the merged report folder equals the single run's (timings.json aside).
#
#   bench/shard.sh [EXPERIMENT] [N]    default: bench/experiments/ibm-30k-words-lr.toml 2
#
# Run from anywhere; experiments' data paths are resolved from the repository root (as bench/README.md says).
# STANCE_BIN picks the binary (default: target/release/stance, built first). Each shard runs with --jobs 1; the
# single run uses every CPU (the default) and, for reference, --jobs 1.
set -euo pipefail
cd "$(dirname "$0")/.."
exp=${1:-bench/experiments/ibm-30k-words-lr.toml}
n=${2:-2}
if [ -z "${STANCE_BIN:-}" ]; then
  cargo build --release --quiet
  STANCE_BIN=target/release/stance
fi
bin=$(realpath "$STANCE_BIN")
out=${TMPDIR:-/tmp}/stance-bench-shard-$(basename "$exp" .toml)-$n
rm -rf "$out"
mkdir -p "$out"

# wall seconds and peak RSS (MiB) from a /usr/bin/time -v log
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
row() { printf '| %-44s | %8s s | %8s MiB |\n' "$1" "$(wall "$2")" "$(rss "$2")"; }

/usr/bin/time -v -o "$out/single.time" "$bin" run "$exp" --out "$out/single" --quiet >/dev/null
/usr/bin/time -v -o "$out/single-j1.time" "$bin" run "$exp" --out "$out/single-j1" --quiet --jobs 1 >/dev/null

start=$(date +%s.%N)
pids=()
for ((i = 0; i < n; i++)); do
  /usr/bin/time -v -o "$out/shard-$i.time" "$bin" run "$exp" --shard "$i/$n" --out "$out/shards" --quiet --jobs 1 \
    >"$out/shard-$i.stdout" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
phase=$(echo "$(date +%s.%N) - $start" | bc)
/usr/bin/time -v -o "$out/merge.time" "$bin" merge "$out/shards" --out "$out/merged" >/dev/null 2>&1

echo "experiment: $exp, $n shards, $(nproc) CPUs"
echo
echo '| process | wall time | peak RSS |'
echo '|---|---:|---:|'
row "single run (all CPUs)" "$out/single.time"
row "single run (--jobs 1)" "$out/single-j1.time"
for ((i = 0; i < n; i++)); do row "shard $i/$n (--jobs 1, concurrent)" "$out/shard-$i.time"; done
printf '| %-44s | %8.1f s | %12s |\n' "all $n shards at once (wall)" "$phase" ""
row "merge" "$out/merge.time"
m=$(wall "$out/merge.time")
printf '| %-44s | %8.1f s | %12s |\n' "shards + merge" "$(echo "$phase + $m" | bc)" ""
echo
for ((i = 0; i < n; i++)); do ls -l "$out/shards/shard-$i-of-$n.json" | awk '{ printf "shard file %s: %.1f MB\n", $NF, $5 / 1e6 }'; done
if diff -r -x timings.json "$out/single" "$out/merged" >/dev/null; then
  echo "merged report folder: byte-identical to the single run ($(find "$out/merged" -type f ! -name timings.json | wc -l) files, timings.json aside)"
else
  echo "merged report folder DIFFERS from the single run:"
  diff -rq -x timings.json "$out/single" "$out/merged" || true
  exit 1
fi
