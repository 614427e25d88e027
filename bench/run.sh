#!/usr/bin/env bash
# Wall time and peak memory of whole runs (the release binary), on the gold data and, when present, on samples of
# the IBM corpus in ../shared/corpora. Usage: bench/run.sh [sample sizes…]   (default: 2000 6000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/stance
measure() { # label, args…
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o /tmp/stance-bench-time "$bin" "$@" --quiet > /dev/null
  read -r secs kb < /tmp/stance-bench-time
  printf '%-44s %8.1f s  %8.0f MiB peak RSS\n' "$label" "$secs" "$((kb / 1024))"
}
measure "gold: experiments/default.toml" run experiments/default.toml --out /tmp/stance-bench-default
measure "gold: experiments/three-way.toml" run experiments/three-way.toml --out /tmp/stance-bench-three
corpus=../shared/corpora/ibm-argq-30k/arg_quality_rank_30k.csv
if [ ! -f "$corpus" ]; then
  echo "skipping IBM runs: $corpus not found"
  exit 0
fi
for n in "${@:-2000 6000}"; do
  for size in $n; do
    # The copy lives in /tmp: point its data path (relative to the original file's folder) at the corpus itself.
    sed "s/^sample = 6000/sample = $size/; s/^name = \"ibm-argq-sample\"/name = \"ibm-argq-$size\"/; s#^path = .*#path = \"$(realpath "$corpus")\"#" \
      bench/experiments/ibm-argq-sample.toml > "/tmp/stance-bench-ibm-$size.toml"
    measure "ibm: $size arguments, group 5-fold" run "/tmp/stance-bench-ibm-$size.toml" --out "/tmp/stance-bench-ibm-$size"
  done
done
