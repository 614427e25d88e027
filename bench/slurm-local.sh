#!/usr/bin/env bash
# Runs the Slurm recipe of docs/SCALE.md under a real, private, single-node Slurm on this machine, and checks it:
#
#   setup: installs slurm-wlm and munge with apt-get when missing; writes a slurm.conf for this host (its
#      hostname, nproc CPUs, RealMemory from /proc/meminfo) with every state, spool, log, pid and socket file in one
#      temp folder; creates a munge key there; starts munged, slurmctld and slurmd (root, no systemd) on loopback
#      ports; waits until sinfo shows the node idle;
#   0. in a scratch copy of the repository, submits the two sbatch files exactly as docs/SCALE.md shows (no
#      settings: experiments/default.toml, shards/default, reports/default) and compares reports/default with a
#      single run byte for byte;
#   1. runs EXPERIMENT once (`stance run`, the reference), then submits the shipped docs/scale/slurm-shards.sbatch
#      (array 0-3) and docs/scale/slurm-merge.sbatch with --dependency=afterok:<array job>, and compares the merged
#      folder with the single run byte for byte;
#   2. the fault: submits the array again, kills task 1 mid-run (scancel --signal=KILL <jid>_1), submits a merge that
#      starts while shard 1 is absent (--dependency=afterany:<jid>: it must refuse, exit 2, naming 1/4), recovers the
#      task as the sbatch header says (scontrol requeue, or resubmitting the one index: --recover resubmit), lets the
#      held merge run, and compares it byte for byte again;
#   3. submits a merge of a copy of the shards with one file cut in half: it must refuse, exit 2, naming the file;
#   teardown: stops the daemons it started (by pid), removes the temp folder, and checks with ps that none is left.
#
#   bench/slurm-local.sh [--recover requeue|resubmit] [--kill job|step] [EXPERIMENT]
#       --kill job (default): scancel --signal=KILL <jid>_1, which Slurm turns into a cancel of the task (CANCELLED);
#       --kill step: scancel --signal=KILL <jid>_1.0, SIGKILL to the running stance process only (task FAILED).
#       EXPERIMENT defaults to bench/experiments/ibm-30k-words-lr.toml (the 30k corpus in ../shared/corpora: a
#       shard runs long enough to be killed mid-run). STANCE_BIN=path skips `cargo build --release`.
#       SLURM_LOCAL_PORT (default 16817; it and the next port must be free) sets slurmctld's and slurmd's ports.
#
# Exit 0 only if every check held. Took 46-64 s on this 2-core machine (shared with other builds) once Slurm was
# installed and the binary built; installing the 9 Debian packages took 5 s more (apt-get update included).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
t0=$SECONDS
log() { printf '[%3ds] %s\n' $((SECONDS - t0)) "$*"; }
die() { log "FAIL: $*"; exit 1; }

recover=requeue
kill_what=job
while [ $# -gt 0 ]; do
  case $1 in
    --recover) recover=${2:?--recover requeue|resubmit}; shift 2 ;;
    --kill) kill_what=${2:?--kill job|step}; shift 2 ;;
    -*) sed -n 2,29p "$0"; exit 2 ;;
    *) break ;;
  esac
done
case $recover in requeue | resubmit) ;; *) die "--recover takes requeue or resubmit, not '$recover'" ;; esac
case $kill_what in job | step) ;; *) die "--kill takes job or step, not '$kill_what'" ;; esac
exp=${1:-bench/experiments/ibm-30k-words-lr.toml}
[ -f "$exp" ] || die "no experiment file $exp"
n=4        # the shipped array is --array=0-3
k=1        # the task to kill
unset STANCE_SHARD STANCE_SHARD_INDEX STANCE_SHARD_COUNT JOB_COMPLETION_INDEX SLURM_ARRAY_TASK_ID \
  SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_COUNT SBATCH_EXPORT SLURM_EXPORT_ENV

# --- the binary -------------------------------------------------------------------------------------------------
if [ -z "${STANCE_BIN:-}" ]; then
  log "building: cargo build --release"
  nice -n 10 cargo build --release --quiet
  STANCE_BIN=${CARGO_TARGET_DIR:-target}/release/stance
fi
bin=$(realpath "$STANCE_BIN")
[ -x "$bin" ] || die "no binary at $STANCE_BIN"

# --- packages ---------------------------------------------------------------------------------------------------
missing=()
for c in slurmctld slurmd sbatch; do command -v $c >/dev/null || { missing+=(slurm-wlm); break; }; done
command -v munged >/dev/null || missing+=(munge)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
  log "installing ${missing[*]} (apt-get)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "$(id -u)" = 0 ] || die "slurmd must run as root here"
log "$(slurmctld -V) / $(munged -V 2>&1 | head -1)"

# --- private cluster --------------------------------------------------------------------------------------------
# Such daemons already running (not ours: left alone, and not counted as left behind).
before=$(ps -eo pid=,comm= | awk '$2 ~ /^(munged|slurmctld|slurmd|slurmstepd)$/ {print $1}')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stance-slurm.XXXXXX")
chmod 755 "$tmp"
mkdir -p "$tmp"/{key,munge,state,spool,log,run,jobs}
chmod 700 "$tmp/key"
pids=()          # daemons started here, in start order
# Our slurmstepd processes (slurmd forks them; they detach from it): those whose environment has our SLURM_CONF.
our_steps() {
  local p
  for p in $(ps -eo pid=,stat=,comm= | awk '$3 ~ /^slurmstepd/ && $2 !~ /Z/ {print $1}'); do
    { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$tmp/slurm.conf" && echo "$p"
  done
  return 0
}
cleanup() {
  local status=$? p left
  set +e
  if [ ${#pids[@]} -ge 3 ]; then
    left=$(squeue -h -o %A 2>/dev/null | sort -u)
    if [ -n "$left" ]; then
      log "cancelling jobs still queued: $(echo $left)"
      scancel $left 2>/dev/null
      for _ in $(seq 30); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1; done
    fi
    for _ in $(seq 30); do [ -z "$(our_steps)" ] && break; sleep 1; done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null
    for _ in $(seq 50); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.2; done
    kill -0 "${pids[i]}" 2>/dev/null && kill -KILL "${pids[i]}" 2>/dev/null
    wait "${pids[i]}" 2>/dev/null
  done
  if [ ${#pids[@]} -gt 0 ]; then
    local alive=() steps
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    steps=$(our_steps | tr '\n' ' ')
    if [ ${#alive[@]} -gt 0 ] || [ -n "$steps" ]; then
      log "FAIL: left running: daemons ${alive[*]:-none}, slurmstepd ${steps:-none}; killing them"
      for p in "${alive[@]}" $steps; do kill -KILL "$p" 2>/dev/null; done
      status=1
    fi
    # Exited slurmstepd processes stay zombies (state Z) until pid 1 reaps them: wait a little for that.
    local ps_left zombies
    for _ in $(seq 20); do
      ps -eo comm= | grep -qE '^(munged|slurmctld|slurmd|slurmstepd)$' || break; sleep 0.5
    done
    ps_left=$(ps -eo pid=,stat=,comm= | awk '$3 ~ /^(munged|slurmctld|slurmd|slurmstepd)$/ && $2 !~ /Z/' |
      grep -vwFf <(echo "${before:--}") | tr -s ' ' | tr '\n' ';')
    zombies=$(ps -eo stat=,comm= | awk '$2 ~ /^slurmstepd$/ && $1 ~ /Z/' | wc -l)
    log "stopped munged, slurmctld, slurmd (pids ${pids[*]}); ps: ${ps_left:-no munged, slurmctld, slurmd or slurmstepd running}$(
      [ "$zombies" = 0 ] || echo " ($zombies exited slurmstepd not yet reaped by pid 1)")"
    [ -z "$ps_left" ] || status=1
  fi
  if [ -n "${SLURM_LOCAL_KEEP:-}" ]; then log "kept $tmp"; else rm -rf "$tmp" && log "removed $tmp"; fi
  if [ $status = 0 ]; then log "VERDICT: PASS (wall time $((SECONDS - t0)) s)"; else log "VERDICT: FAIL"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=${SLURM_LOCAL_PORT:-16817}
if command -v ss >/dev/null && ss -Hltn | awk '{print $4}' | grep -qE ":($port|$((port + 1)))\$"; then
  die "port $port or $((port + 1)) is in use: set SLURM_LOCAL_PORT"
fi
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF
# written by bench/slurm-local.sh: a private one-node cluster, everything under $tmp
ClusterName=stancelocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=3600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
mungekey -c -k "$tmp/key/munge.key" 2>/dev/null || { dd if=/dev/urandom of="$tmp/key/munge.key" bs=1024 count=1 2>/dev/null; }
chmod 400 "$tmp/key/munge.key"
munged -F --key-file="$tmp/key/munge.key" --socket="$tmp/munge/munge.socket" --pid-file="$tmp/run/munged.pid" \
  --log-file="$tmp/log/munged.log" --seed-file="$tmp/key/munged.seed" >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/munge/munge.socket" ] && break; sleep 0.1; done
munge -S "$tmp/munge/munge.socket" -n | unmunge -S "$tmp/munge/munge.socket" >/dev/null || die "munged does not answer"
slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
log "cluster: munged pid ${pids[0]}, slurmctld pid ${pids[1]}, slurmd pid ${pids[2]}; node $host CPUs=$cpus" \
  "RealMemory=$mem, ports $port/$((port + 1)) on 127.0.0.1, SelectType=select/cons_tres; state under $tmp"
state=
for _ in $(seq 120); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || { tail -20 "$tmp"/log/*.out; die "node not idle after 60 s (state '$state')"; }
log "sinfo: $(sinfo -h -o '%P %a %D %T %N')"

# --- helpers ----------------------------------------------------------------------------------------------------
field() { { grep -oE "(^| )$1=[^ ]*" || true; } | head -1 | sed 's/^ //; s/^[^=]*=//'; }
# One line per job (per array task): id state exit-code reason.
states() {
  scontrol show job -o "$1" | while IFS= read -r line; do
    local id atid
    id=$(field JobId <<<"$line"); atid=$(field ArrayTaskId <<<"$line")
    [ -n "$atid" ] && id="$(field ArrayJobId <<<"$line")_$atid"
    printf '    %-8s %-10s ExitCode=%-5s Reason=%s\n' "$id" "$(field JobState <<<"$line")" \
      "$(field ExitCode <<<"$line")" "$(field Reason <<<"$line")"
  done
}
# Waits until no task of job $1 is pending or running (or, with $2, until job $1 is pending for reason $2).
wait_done() {
  local deadline=$((SECONDS + ${WAIT_LIMIT:-600}))
  while [ $SECONDS -lt $deadline ]; do
    local live
    live=$(scontrol show job -o "$1" | grep -cE 'JobState=(PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED)' || true)
    [ "$live" = 0 ] && return 0
    if [ -n "${2:-}" ] && scontrol show job -o "$1" | grep -q "Reason=$2"; then return 0; fi
    sleep 1
  done
  states "$1"; die "job $1 still not done after ${WAIT_LIMIT:-600} s"
}
# The job's JobState and ExitCode, e.g. "COMPLETED 0:0".
outcome() { local l; l=$(scontrol show job -o "$1" | head -1); echo "$(field JobState <<<"$l") $(field ExitCode <<<"$l")"; }
same() { # same REPORT: byte comparison with the single run, timings.json aside
  if diff -r -q -x timings.json "$tmp/single" "$1" >"$tmp/diff.txt"; then
    log "merged report $1 byte-identical to the single run: $(find "$1" -type f ! -name timings.json | wc -l) files (timings.json aside)"
  else
    head "$tmp/diff.txt"; die "merged report $1 DIFFERS from the single run"
  fi
}
shards_of() { local l; l=$(ls -A "$1" | tr '\n' ' '); echo "${l:-(none)}"; }  # every file, not only shard-*.json
submit_shards() { # DIR [sbatch options...]: the shipped array, shards into DIR
  local dir=$1; shift
  mkdir -p "$dir"
  env STANCE_BIN="$bin" STANCE_EXPERIMENT="$exp" STANCE_SHARDS_DIR="$dir" \
    sbatch --parsable --output="$tmp/jobs/slurm-%A_%a.out" "$@" docs/scale/slurm-shards.sbatch
}
submit_merge() { # SHARDS REPORT [sbatch options...]
  local dir=$1 report=$2; shift 2
  env STANCE_BIN="$bin" STANCE_SHARDS_DIR="$dir" STANCE_REPORT_DIR="$report" \
    sbatch --parsable --output="$tmp/jobs/slurm-merge-%j.out" "$@" docs/scale/slurm-merge.sbatch
}
show_out() { sed 's/^/    | /' "$1"; }

# --- 0. the documented commands, verbatim, in a scratch copy of the repository --------------------------------------
# No STANCE_* settings: the sbatch files' defaults (target/release/stance, experiments/default.toml, shards/default,
# reports/default), submitted from the copy's root exactly as docs/SCALE.md says.
d=$tmp/repo
mkdir -p "$d/target/release"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$d"
ln -s "$bin" "$d/target/release/stance"
(cd "$d" && "$bin" run experiments/default.toml --out "$tmp/default-single" --quiet >/dev/null)
log "0. documented usage in a copy of the repository: mkdir -p shards/default;" \
  "jid=\$(sbatch --parsable docs/scale/slurm-shards.sbatch); sbatch --dependency=afterok:\$jid docs/scale/slurm-merge.sbatch"
jid=$(cd "$d" && mkdir -p shards/default && sbatch --parsable docs/scale/slurm-shards.sbatch)
mid=$(cd "$d" && sbatch --parsable --dependency=afterok:"$jid" docs/scale/slurm-merge.sbatch)
log "array job $jid, merge job $mid"
wait_done "$jid"; wait_done "$mid"
states "$jid"; states "$mid"
[ "$(outcome "$mid")" = "COMPLETED 0:0" ] || { show_out "$d/shards/default/slurm-merge-$mid.out"; die "merge job $mid: $(outcome "$mid")"; }
head -qn2 "$d/shards/default/slurm-${jid}"_*.out | sed 's/^/    | /'
if diff -r -q -x timings.json "$tmp/default-single" "$d/reports/default" >"$tmp/diff.txt"; then
  log "reports/default byte-identical to a single run of experiments/default.toml:" \
    "$(find "$d/reports/default" -type f ! -name timings.json | wc -l) files (timings.json aside)"
else
  head "$tmp/diff.txt"; die "reports/default DIFFERS from the single run"
fi

# --- reference: one process -------------------------------------------------------------------------------------
log "single run: stance run $exp --out <tmp>/single"
"$bin" run "$exp" --out "$tmp/single" --quiet | sed 's/^/    /'

# --- 1. the documented recipe -------------------------------------------------------------------------------------
a=$tmp/a
jid=$(submit_shards "$a/shards")
mid=$(submit_merge "$a/shards" "$a/report" --dependency=afterok:"$jid")
log "1. recipe: array job $jid (docs/scale/slurm-shards.sbatch, --array=0-3), merge job $mid (--dependency=afterok:$jid)"
wait_done "$jid"; wait_done "$mid"
states "$jid"; states "$mid"
[ "$(outcome "$mid")" = "COMPLETED 0:0" ] || { show_out "$tmp/jobs/slurm-merge-$mid.out"; die "merge job $mid: $(outcome "$mid")"; }
for i in 0 1 2 3; do sed 's/^/    | /' "$tmp/jobs/slurm-${jid}_$i.out"; done
show_out "$tmp/jobs/slurm-merge-$mid.out"
same "$a/report"

# --- 2. the fault: one task killed mid-run ------------------------------------------------------------------------
b=$tmp/b
jid=$(submit_shards "$b/shards")
mid=$(submit_merge "$b/shards" "$b/report" --dependency=afterok:"$jid")
log "2. fault: array job $jid, merge job $mid (--dependency=afterok:$jid)"
deadline=$((SECONDS + 300))
until scontrol show job -o "${jid}_$k" | grep -q 'JobState=RUNNING'; do
  [ $SECONDS -lt $deadline ] || die "task ${jid}_$k never ran"; sleep 0.2
done
tjid=$(scontrol show job -o "${jid}_$k" | field JobId)
until squeue -h -s -j "$tjid" -o %i 2>/dev/null | grep -qE "^(${jid}_$k|$tjid)\.0\$"; do  # srun's step: stance started
  [ $SECONDS -lt $deadline ] || die "task ${jid}_$k never started its step"; sleep 0.2
done
sleep 1
[ -e "$b/shards/shard-$k-of-$n.json" ] && die "shard $k finished before the kill: use a longer experiment"
log "task ${jid}_$k (job $tjid) running for $(scontrol show job -o "${jid}_$k" | field RunTime), its step $tjid.0 (stance) started;" \
  "files in the shards folder: $(shards_of "$b/shards")"
if [ $kill_what = job ]; then
  log "scancel --signal=KILL ${jid}_$k"
  scancel --signal=KILL "${jid}_$k"
else
  log "scancel --signal=KILL ${jid}_$k.0   (SIGKILL to the stance process itself, as an OOM kill would)"
  scancel --signal=KILL "${jid}_$k.0"
fi
eid=$(submit_merge "$b/shards" "$b/early-report" --dependency=afterany:"$jid")
log "early merge job $eid (--dependency=afterany:$jid: starts once every task ended, with shard $k absent)"
wait_done "$eid"
states "$jid"; states "$mid"; states "$eid"
log "files in the shards folder: $(shards_of "$b/shards")"
sed 's/^/    | /' "$tmp/jobs/slurm-${jid}_$k.out"
log "early merge job $eid output:"
show_out "$tmp/jobs/slurm-merge-$eid.out"
[ "$(outcome "$eid")" = "FAILED 2:0" ] || die "the early merge should fail with exit 2, got $(outcome "$eid")"
grep -q "missing shard(s) $k/$n" "$tmp/jobs/slurm-merge-$eid.out" || die "the early merge does not name shard $k/$n"
[ -e "$b/early-report" ] && die "the refused merge wrote $b/early-report"
log "early merge refused: $(outcome "$eid"), named $k/$n, wrote nothing"
scontrol show job -o "$mid" | grep -q 'Reason=DependencyNeverSatisfied' || die "merge $mid not held: $(states "$mid")"

if [ $recover = requeue ]; then
  log "recover: scontrol requeue ${jid}_$k; scontrol update JobId=${jid}_$k StartTime=now;" \
    "scontrol update JobId=$mid Dependency=afterok:${jid}_0:${jid}_1:${jid}_2:${jid}_3"
  scontrol requeue "${jid}_$k"
  scontrol update JobId="${jid}_$k" StartTime=now
  scontrol update JobId="$mid" Dependency="afterok:${jid}_0:${jid}_1:${jid}_2:${jid}_3"
  again=${jid}_$k; out_again=$tmp/jobs/slurm-${jid}_$k.out
else
  jid2=$(STANCE_SHARD=$k/$n submit_shards "$b/shards" --array="$k")
  log "recover: STANCE_SHARD=$k/$n sbatch --array=$k docs/scale/slurm-shards.sbatch -> job $jid2;" \
    "scontrol update JobId=$mid Dependency=afterany:$jid,afterok:$jid2"
  scontrol update JobId="$mid" Dependency="afterany:$jid,afterok:$jid2"
  again=$jid2; out_again=$tmp/jobs/slurm-${jid2}_$k.out
fi
wait_done "$again"; wait_done "$mid"
states "$jid"; [ $recover = resubmit ] && states "$jid2"; states "$mid"
sed 's/^/    | /' "$out_again"
show_out "$tmp/jobs/slurm-merge-$mid.out"
[ "$(outcome "$mid")" = "COMPLETED 0:0" ] || die "merge job $mid after the $recover: $(outcome "$mid")"
same "$b/report"

# --- 3. a shard file cut short --------------------------------------------------------------------------------------
c=$tmp/c
mkdir -p "$c/shards"
cp "$b"/shards/shard-*.json "$c/shards/"
f=$c/shards/shard-2-of-$n.json
size=$(stat -c %s "$f")
truncate -s $((size / 2)) "$f"
tid=$(submit_merge "$c/shards" "$c/report")
log "3. truncated: shard-2-of-$n.json cut from $size to $((size / 2)) bytes in a copy; merge job $tid"
wait_done "$tid"
states "$tid"
show_out "$tmp/jobs/slurm-merge-$tid.out"
[ "$(outcome "$tid")" = "FAILED 2:0" ] || die "the merge of a truncated set should fail with exit 2, got $(outcome "$tid")"
grep -q "shard-2-of-$n.json: the shard file is truncated" "$tmp/jobs/slurm-merge-$tid.out" ||
  die "the merge does not name the truncated file"
[ -e "$c/report" ] && die "the refused merge wrote $c/report"
log "truncated merge refused: $(outcome "$tid"), named the file, wrote nothing"
