#!/usr/bin/env bash
# Scaling of one whole `stance run` with n: word 1–2-gram tf-idf + logistic regression (C = 1) on one fixed
# train/test split (bench/experiments/synth-words-lr.toml: one fit on ~80% of the rows, one refit on all rows) of
# synthetic corpora written by `examples/synth.rs` (seed 1). Prints n, wall time, peak RSS (/usr/bin/time), time
# per 1,000 statements, that time relative to the first size's (1.00 = linear), from timings.json the fit's CPU
# seconds + the refit stage's seconds and the once-per-run extraction's seconds, macro-F1 on the test rows, and
# the 1-minute load average before each run.
#
# Usage: bench/scale.sh [sizes…]   (default: 10000 30000 100000 300000 1000000)
# Corpora and reports go to $SYNTH_DIR (default /tmp/stance-synth); existing corpora are reused (same seed, same
# bytes). Runs use every core (the harness's default --jobs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin stance --example synth
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/stance
dir=${SYNTH_DIR:-/tmp/stance-synth}
mkdir -p "$dir"
sizes=("${@:-10000 30000 100000 300000 1000000}")
printf '%9s %9s %10s %11s %7s %8s %8s %9s %6s\n' n "wall s" "peak MiB" "ms per 1k" ratio "fit+refit" "extract" macro_f1 load
base=""
for n in ${sizes[*]}; do
  csv=$dir/synth-$n.csv
  [ -f "$csv" ] || "$target/release/examples/synth" --n "$n" --seed 1 --out "$csv"
  sed "s#^path = .*#path = \"$csv\"#; s#^name = \"synth-words-lr\"#name = \"synth-words-lr-$n\"#" \
    bench/experiments/synth-words-lr.toml > "$dir/synth-$n.toml"
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %M" -o "$dir/time-$n" "$bin" run "$dir/synth-$n.toml" --out "$dir/out-$n" --quiet > /dev/null
  read -r secs kb < "$dir/time-$n"
  per1k=$(python3 -c "print(f'{1000 * $secs * 1000 / $n:.1f}')")
  [ -n "$base" ] || base=$per1k
  ratio=$(python3 -c "print(f'{$per1k / $base:.2f}')")
  fit=$(python3 -c "import json; t = json.load(open('$dir/out-$n/timings.json')); print(f\"{t['grid_fit_cpu_seconds']:.1f}+{t['refit_seconds']:.1f}\")")
  extr=$(python3 -c "import json; print(f\"{json.load(open('$dir/out-$n/timings.json'))['extract_seconds']:.1f}\")")
  f1=$(grep '^words + logistic,.*,macro_f1,' "$dir/out-$n/metrics.csv" | cut -d, -f7 | cut -c1-6)
  printf '%9d %9.1f %10d %11s %7s %8s %8s %9s %6s\n' "$n" "$secs" "$((kb / 1024))" "$per1k" "$ratio" "$fit" "$extr" "$f1" "$load"
done
