#!/usr/bin/env bash
# The whole bench grid on the IBM corpus (issue "fast at any size": under 10 minutes on this 2-core machine): every
# bench/experiments/ibm-*.toml once, one after the other, with the release binary and its default --jobs. Prints
# each experiment's wall time, peak RSS (/usr/bin/time) and the 1-minute load average before it, then the total.
# The synthetic experiment (synth-*.toml) is bench/scale.sh's. Reports go to $GRID_DIR (default
# /tmp/stance-grid); each one's timings.json says where its time went.
# Usage: bench/grid.sh [experiment files…]   (default: bench/experiments/ibm-*.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpora/ibm-argq-30k/arg_quality_rank_30k.csv
if [ ! -f "$corpus" ]; then
  echo "$corpus not found: the bench grid needs the IBM corpus beside the repository" >&2
  exit 1
fi
cargo build --release --quiet --bin stance
bin=${CARGO_TARGET_DIR:-target}/release/stance
out=${GRID_DIR:-/tmp/stance-grid}
mkdir -p "$out"
total=0
printf '%-28s %9s %10s %6s\n' experiment "wall s" "peak MiB" load
for exp in "${@:-bench/experiments/ibm-*.toml}"; do
  for e in $exp; do
    name=$(basename "$e" .toml)
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %M" -o "$out/$name.time" "$bin" run "$e" --out "$out/$name" --quiet > /dev/null
    read -r secs kb < "$out/$name.time"
    total=$(python3 -c "print($total + $secs)")
    printf '%-28s %9.1f %10d %6s\n' "$name" "$secs" "$((kb / 1024))" "$load"
  done
done
printf '%-28s %9.1f s (%.1f min); load average after: %s\n' total "$total" "$(python3 -c "print($total / 60)")" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
