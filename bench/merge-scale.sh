#!/usr/bin/env bash
# The merge at scale (issue 25): a synthetic corpus of N statements (examples/synth.rs, seed 1) evaluated by
# bench/experiments/synth-merge.toml (10 configurations × stratified 5-fold: 10 × N out-of-fold predictions) as S
# shards, one after another, then `stance merge`, each under /usr/bin/time -v (wall time, peak RSS); then, unless
# --no-single, one single `stance run` of the same experiment, and a byte-for-byte comparison of its report folder
# with the merged one (timings.json aside). Prints a table, the shard files' sizes and where the merge's time went
# (its timings.json).
#
#   bench/merge-scale.sh [--n N] [--shards S] [--no-single] [--jobs J]     defaults: 1000000 3, every CPU
#
# STANCE_BIN picks the binary (default: $CARGO_TARGET_DIR/release/stance, built first, with the synth example);
# SYNTH_DIR holds the corpora (default /tmp/stance-synth; an existing corpus is reused: same seed, same bytes) and
# OUT the shards and reports (default ${TMPDIR:-/tmp}/stance-merge-scale-N).
set -euo pipefail
cd "$(dirname "$0")/.."
n=1000000 shards=3 single=1 jobs=()
while [ $# -gt 0 ]; do
  case $1 in
    --n) n=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --no-single) single=0; shift ;;
    --jobs) jobs=(--jobs "$2"); shift 2 ;;
    *) echo "usage: $0 [--n N] [--shards S] [--no-single] [--jobs J]" >&2; exit 2 ;;
  esac
done
target=${CARGO_TARGET_DIR:-target}
if [ -z "${STANCE_BIN:-}" ]; then
  cargo build --release --quiet --bin stance --example synth
  STANCE_BIN=$target/release/stance
fi
bin=$(realpath "$STANCE_BIN")
synth=$(dirname "$bin")/examples/synth
dir=${SYNTH_DIR:-/tmp/stance-synth}
out=${OUT:-${TMPDIR:-/tmp}/stance-merge-scale-$n}
mkdir -p "$dir"
rm -rf "$out"
mkdir -p "$out"
csv=$dir/synth-$n.csv
[ -f "$csv" ] || "$synth" --n "$n" --seed 1 --out "$csv"
sed "s#^path = .*#path = \"$csv\"#" bench/experiments/synth-merge.toml >"$out/synth-merge.toml"
exp=$out/synth-merge.toml

wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
row() { printf '| %-34s | %8s s | %8s MiB |\n' "$1" "$(wall "$2")" "$(rss "$2")"; }
stamp() { printf '[%s, load %s] %s\n' "$(date -u +%H:%M:%S)" "$(cut -d' ' -f1 /proc/loadavg)" "$*" >&2; }

for ((i = 0; i < shards; i++)); do
  stamp "shard $i/$shards"
  /usr/bin/time -v -o "$out/shard-$i.time" "$bin" run "$exp" --shard "$i/$shards" --out "$out/shards" --quiet \
    "${jobs[@]}" >"$out/shard-$i.log" 2>&1
done
stamp "merge"
/usr/bin/time -v -o "$out/merge.time" "$bin" merge "$out/shards" --out "$out/merged" "${jobs[@]}" \
  >"$out/merge.log" 2>&1
if [ "$single" = 1 ]; then
  stamp "single run"
  /usr/bin/time -v -o "$out/single.time" "$bin" run "$exp" --out "$out/single" --quiet "${jobs[@]}" \
    >"$out/single.log" 2>&1
fi
stamp "done"

echo "$n statements × 10 configurations × 5 folds = $((10 * n)) predictions; $shards shards; $(nproc) CPUs"
echo "binary: $bin"
echo
echo '| process | wall time | peak RSS |'
echo '|---|---:|---:|'
for ((i = 0; i < shards; i++)); do row "shard $i/$shards" "$out/shard-$i.time"; done
row "merge" "$out/merge.time"
[ "$single" = 1 ] && row "single run" "$out/single.time"
echo
for ((i = 0; i < shards; i++)); do
  f=$out/shards/shard-$i-of-$shards.json
  awk -v f="$(basename "$f")" -v b="$(stat -c %s "$f")" 'BEGIN { printf "shard file %s: %.1f MB\n", f, b / 1e6 }'
done
python3 - "$out/merged/timings.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
keys = ["load_seconds", "extract_seconds", "statistics_seconds", "refit_seconds", "render_seconds", "total_seconds"]
print("merge timings.json: " + ", ".join(f"{k.replace('_seconds', '')} {t[k]:.1f} s" for k in keys))
PY
ls -l "$out/merged" | awk '/predictions/ { printf "merged %s: %.1f MB\n", $NF, $5 / 1e6 }'
if [ "$single" = 1 ]; then
  if diff -r -x timings.json "$out/single" "$out/merged" >/dev/null; then
    echo "merged report folder: byte-identical to the single run ($(find "$out/merged" -type f ! -name timings.json | wc -l) files, timings.json aside)"
  else
    echo "merged report folder DIFFERS from the single run:"
    diff -rq -x timings.json "$out/single" "$out/merged" || true
    exit 1
  fi
fi
