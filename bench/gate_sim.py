#!/usr/bin/env python3
"""The CI gate's error rates by simulation (docs/METHODS.md, "The CI gate").

Runs the experiment once as the baseline, then N more times with the same seed, data and settings but other random
streams (the test-only STANCE_TEST_STREAM_SALT hook salts every model fit's seed: the linear SVM's coordinate
order, the stratified-random baseline, the refits), and has `gate-sim` (benches/gate_sim.rs, the gate's own code)
judge each run (a) as it is, (b) with 3 items the baseline's best got right turned wrong in every repeat and
(c) with one behavioural test of the best broken. Then the same for --seed-runs runs with other seeds (other fold
assignments and streams: more noise than any change that keeps the seed, and a run the real gate would refuse as
stale; judged here by the gate's comparison alone, to show what the rules do under that much noise). Prints the
Markdown tables METHODS.md quotes.

    python3 bench/gate_sim.py [--runs 200] [--seed-runs 100] [--experiment experiments/default.toml]
                              [--work DIR] [--jobs 1] [--parallel 2] [--no-build]

Cost: runs + seed-runs + 1 runs of the experiment (the default: under a second of CPU each), --parallel at a
time. Runs are kept in --work (default: a temp folder) and reused when the script is run again with the same
--work, so an interrupted measurement resumes.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--experiment", default="experiments/default.toml")
    ap.add_argument("--work", default=None, help="folder for the runs (kept; default: a temp folder)")
    ap.add_argument("--jobs", default="1", help="--jobs of each run")
    ap.add_argument("--seed-runs", type=int, default=100)
    ap.add_argument("--parallel", type=int, default=2, help="runs at a time")
    ap.add_argument("--broken-test", default="mft_oppose")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already in CARGO_TARGET_DIR")
    args = ap.parse_args()

    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    # Two builds, not one: built together the packages unify features differently and rebuild both.
    build = ["nice", "-n", "10", "cargo", "build", "--release", "-q", "-p"]
    if not args.no_build:
        subprocess.run([*build, "stance", "--bin", "stance"], cwd=ROOT, check=True)
    stance = target / "release" / "stance"
    sim = target / "release" / "gate-sim"
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="gate-sim-"))
    work.mkdir(parents=True, exist_ok=True)

    env = {k: v for k, v in os.environ.items() if k != "STANCE_TEST_STREAM_SALT"}
    base = work / "baseline.json"
    if not base.exists():
        subprocess.run(
            [stance, "check", args.experiment, "--baseline", base, "--update-baseline",
             "--out", work / "baseline", "-q", "-j", args.jobs],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )
    exp_text = (ROOT / args.experiment).read_text()
    exp_dir = (ROOT / args.experiment).parent
    seed_line = next(l for l in exp_text.splitlines() if l.startswith("seed = "))

    def job(kind: str, k: int):
        out = work / f"{kind}-{k:03}"
        report = out / "report.json"
        if report.exists():
            return str(report), False
        run_env, exp = env, args.experiment
        if kind == "salt":
            run_env = {**env, "STANCE_TEST_STREAM_SALT": str(k)}
        else:
            # Another seed: a copy of the experiment with its relative paths made absolute.
            text = exp_text.replace(seed_line, f"seed = {1000 + k}").replace('"../', f'"{exp_dir.parent}/')
            exp = work / f"seed-{k:03}.toml"
            exp.write_text(text)
        subprocess.run(
            ["nice", "-n", "10", stance, "run", exp, "--out", out, "-q", "-j", args.jobs],
            cwd=ROOT, env=run_env, check=True, stdout=subprocess.DEVNULL,
        )
        return str(report), True

    start = time.time()
    jobs = [("salt", k) for k in range(1, args.runs + 1)] + [("seed", k) for k in range(1, args.seed_runs + 1)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel) as pool:
        results = list(pool.map(lambda j: job(*j), jobs))
    load = os.getloadavg()
    print(f"{len(jobs)} runs in {work} ({sum(new for _, new in results)} new, {time.time() - start:.0f} s; load "
          f"average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})", flush=True)
    if not args.no_build:
        subprocess.run([*build, "stance-bench", "--bin", "gate-sim"], cwd=ROOT, check=True)
    salted = [r for (kind, _), (r, _) in zip(jobs, results) if kind == "salt"]
    seeded = [r for (kind, _), (r, _) in zip(jobs, results) if kind == "seed"]
    for reports, noise in [(salted, "same seed, other random streams (STANCE_TEST_STREAM_SALT)"),
                           (seeded, "other seeds: other folds and streams (stale for the real gate)")]:
        if reports:
            subprocess.run(
                [sim, args.experiment, base, *reports, "--broken-test", args.broken_test, "--noise", noise],
                cwd=ROOT, check=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
