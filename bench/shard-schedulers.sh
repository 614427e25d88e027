#!/usr/bin/env bash
# Simulates each scheduler recipe of docs/SCALE.md on this machine: N concurrent `stance run --shard auto` processes
# with the environment the scheduler would give them (GitHub Actions matrix, Kubernetes Indexed Job, Slurm array
# counted from 1), then `stance merge`, and checks the merged folder against a single run byte for byte.
#
#   bench/shard-schedulers.sh [EXPERIMENT] [N]    default: experiments/default.toml 3
set -euo pipefail
cd "$(dirname "$0")/.."
exp=${1:-experiments/default.toml}
n=${2:-3}
if [ -z "${STANCE_BIN:-}" ]; then
  cargo build --release --quiet
  STANCE_BIN=target/release/stance
fi
bin=$(realpath "$STANCE_BIN")
out=${TMPDIR:-/tmp}/stance-shard-schedulers
rm -rf "$out"
mkdir -p "$out"
unset STANCE_SHARD_INDEX STANCE_SHARD_COUNT JOB_COMPLETION_INDEX SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN \
  SLURM_ARRAY_TASK_COUNT
"$bin" run "$exp" --out "$out/single" --quiet >/dev/null

for scheme in github-actions kubernetes slurm; do
  mkdir -p "$out/$scheme"
  for ((i = 0; i < n; i++)); do
    case $scheme in
      github-actions) vars=(STANCE_SHARD_INDEX=$i STANCE_SHARD_COUNT=$n) ;;
      kubernetes) vars=(JOB_COMPLETION_INDEX=$i STANCE_SHARD_COUNT=$n) ;;
      slurm) vars=(SLURM_ARRAY_TASK_ID=$((i + 1)) SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=$n) ;;
    esac
    env "${vars[@]}" "$bin" run "$exp" --shard auto --out "$out/$scheme/shards" --quiet --jobs 1 \
      >"$out/$scheme/shard-$i.log" 2>&1 &
  done
  wait
  head -qn1 "$out/$scheme"/shard-*.log | sed "s/^/$scheme: /"
  "$bin" merge "$out/$scheme/shards" --out "$out/$scheme/report" 2>&1 >/dev/null | sed "s/^/$scheme: /"
  if diff -r -x timings.json "$out/single" "$out/$scheme/report" >/dev/null; then
    echo "$scheme: merged report byte-identical to the single run"
  else
    echo "$scheme: merged report DIFFERS"; exit 1
  fi
done
