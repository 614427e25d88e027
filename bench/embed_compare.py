#!/usr/bin/env python3
"""Compare crates/embed (stance-embed) with sentence-transformers: same numbers, and how fast.

Usage (from the repository root):
    python3 bench/embed_compare.py [--equality-limit 2000] [--speed-limit 0] [--threads 1,2] [--skip-speed]
                                   [--skip-equality]

1. Builds the crate's example (`cargo build --release --example embed`, CARGO_TARGET_DIR as set in the
   environment, else ./target) and runs it; Python only compares.
2. Equality: the 25 gold units (labels/gold.csv, column `text`) and the first --equality-limit arguments of
   IBM-ArgQ-Rank-30k (column `argument`): max |delta| between the crate's embeddings and
   `SentenceTransformer(folder, device="cpu").encode(texts)`, the row where it occurs, the mean |delta|. Also checks
   that numpy reads the crate's .npy output, and prints the values tests/minilm.rs pins.
3. Speed: for each thread count N, the crate and sentence-transformers encode the corpus (all 30,497 arguments,
   or --speed-limit N), back to back, each in its own process under /usr/bin/time -v: texts/s of the encode call
   (model loading excluded; both load in well under a second), wall time and peak RSS of the whole process. Torch
   gets torch.set_num_threads(N) and OMP/MKL_NUM_THREADS=N; both get RAYON_NUM_THREADS=N (the HF tokenizers
   library parallelises batch tokenisation with rayon). The full-corpus outputs of the N=1 runs are compared too.

The machine may be shared: the load average is printed before each run; read ratios, not absolute rates.
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shared(rel):
    """shared/ sits beside the repository (CI, worktrees under /work); /work/shared is this machine's copy."""
    for base in (os.path.join(ROOT, "..", "shared"), "/work/shared"):
        p = os.path.join(base, rel)
        if os.path.exists(p):
            return os.path.abspath(p)
    sys.exit(f"{rel} not found beside the repository nor in /work/shared")


MODEL = shared("models/all-MiniLM-L6-v2")
CORPUS = shared("corpora/ibm-argq-30k/arg_quality_rank_30k.csv")
GOLD = os.path.join(ROOT, "labels", "gold.csv")
PINNED = ["NATO allies should let Kyiv strike targets in Russia.", "I disagree.", ""]
# Tokeniser and truncation edge cases: empty and blank texts, texts past max_seq_length (256 tokens), scripts
# BertNormalizer treats specially (CJK, accents, combining marks), emoji, control characters, an over-long word.
EDGE = ["", "   ", "\t\n", " ".join(["argument"] * 400), " ".join(["Kyiv", "Zelensky", "NATO's", "self-defense"] * 90),
        "Zelensky — «Київ»", "日本語のテキストと中文字符を含む", "emoji 😀👍🏽 and accents: café naïve Ångström",
        "control\x07chars and\u00a0nbsp\u200b zero-width", "UPPER lower MiXeD", "a" * 150, "x"]


def read_column(path, column, limit=None):
    with open(path, newline="", encoding="utf-8") as fh:
        texts = [row[column] for row in csv.DictReader(fh)]
    return texts[:limit] if limit else texts


def loadavg():
    return "load average " + " ".join(open("/proc/loadavg").read().split()[:3])


def build():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    cmd = ["cargo", "build", "--release", "--example", "embed", "--manifest-path",
           os.path.join(ROOT, "crates", "embed", "Cargo.toml")]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return os.path.join(target, "release", "examples", "embed")


def run_timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (its stderr, wall seconds, peak RSS in MiB, user+sys CPU seconds)."""
    full = ["/usr/bin/time", "-v"] + cmd
    p = subprocess.run(full, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    wall = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", p.stderr).group(1)) for k in ("User", "System"))
    return p.stderr, wall, rss, cpu


def ours(binary, out, threads, csv_path, column, limit=None):
    cmd = [binary, "--model", MODEL, "--csv", csv_path, "--text", column, "--out", out, "--threads", str(threads)]
    if limit:
        cmd += ["--limit", str(limit)]
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    err, wall, rss, cpu = run_timed(cmd, env)
    rate = float(re.search(r"texts_per_s=([\d.]+)", err).group(1))
    return rate, wall, rss, cpu


def st_worker(args):
    """Child process: sentence-transformers on the same texts; prints texts_per_s=... to stderr."""
    import torch
    torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer
    texts = read_column(args.csv, args.column, args.limit)
    model = SentenceTransformer(MODEL, device="cpu")
    t = time.perf_counter()
    emb = model.encode(texts)
    dt = time.perf_counter() - t
    np.save(args.out, emb.astype(np.float32))
    print(f"texts={len(texts)} threads={torch.get_num_threads()} encode_s={dt:.3f} "
          f"texts_per_s={len(texts) / dt:.1f}", file=sys.stderr)


def st(out, threads, csv_path, column, limit=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--st-worker", "--threads", str(threads), "--csv", csv_path,
           "--column", column, "--out", out]
    if limit:
        cmd += ["--limit", str(limit)]
    n = str(threads)
    env = dict(os.environ, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, RAYON_NUM_THREADS=n, TOKENIZERS_PARALLELISM="true")
    err, wall, rss, cpu = run_timed(cmd, env)
    rate = float(re.search(r"texts_per_s=([\d.]+)", err).group(1))
    return rate, wall, rss, cpu


def compare(name, ours_npy, ref):
    mine = np.load(ours_npy)  # numpy must read what the crate writes
    assert mine.dtype == np.float32 and mine.shape == ref.shape, (mine.dtype, mine.shape, ref.shape)
    d = np.abs(mine.astype(np.float64) - ref.astype(np.float64))
    row = int(np.unravel_index(np.argmax(d), d.shape)[0])
    print(f"{name}: {len(ref)} texts, max |delta| {d.max():.3e} (row {row}), mean |delta| {d.mean():.3e}, "
          f"rows with max |delta| > 1e-5: {int((d.max(axis=1) > 1e-5).sum())}")
    return d.max()


def equality(binary, tmp, equality_limit):
    from sentence_transformers import SentenceTransformer
    import torch
    import sentence_transformers
    print(f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, "
          f"numpy {np.__version__}; model {MODEL}")
    model = SentenceTransformer(MODEL, device="cpu")

    print("\n== equality (crate at 2 threads; sentence-transformers with its defaults)")
    edge_csv = os.path.join(tmp, "edge.csv")
    with open(edge_csv, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t in EDGE)
    assert read_column(edge_csv, "text") == EDGE
    for name, path, column, limit in [("gold units", GOLD, "text", None),
                                      (f"{len(EDGE)} edge cases", edge_csv, "text", None),
                                      (f"IBM-ArgQ first {equality_limit}", CORPUS, "argument",
                                       equality_limit)]:
        out = os.path.join(tmp, "eq.npy")
        ours(binary, out, 2, path, column, limit)
        ref = model.encode(read_column(path, column, limit))
        compare(name, out, ref)
    pinned = model.encode(PINNED)
    print("pinned (columns 0, 1, 100, 383) for tests/minilm.rs:")
    for t, row in zip(PINNED, pinned):
        print(f"  {t!r}: [{', '.join(f'{row[i]:.8f}' for i in (0, 1, 100, 383))}]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--equality-limit", type=int, default=2000)
    ap.add_argument("--speed-limit", type=int, default=0, help="0 = the whole corpus")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-equality", action="store_true")
    ap.add_argument("--st-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--csv", help=argparse.SUPPRESS)
    ap.add_argument("--column", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.st_worker:
        args.threads = int(args.threads)
        return st_worker(args)

    binary = build()
    tmp = tempfile.mkdtemp(prefix="embed_compare-")
    if not args.skip_equality:
        equality(binary, tmp, args.equality_limit)
    if args.skip_speed:
        return
    limit = args.speed_limit or None
    n_texts = len(read_column(CORPUS, "argument", limit))
    print(f"\n== speed: {n_texts} arguments, encode call only (model load excluded); wall and peak RSS of the process")
    print(f"{'threads':>7} {'side':<22} {'texts/s':>9} {'wall s':>8} {'CPU s':>7} {'peak RSS MiB':>13}  ratio   "
          "load before")
    for n in [int(x) for x in args.threads.split(",")]:
        la1 = loadavg()
        r_ours, w_ours, m_ours, c_ours = ours(binary, os.path.join(tmp, f"ours{n}.npy"), n, CORPUS, "argument", limit)
        la2 = loadavg()
        r_st, w_st, m_st, c_st = st(os.path.join(tmp, f"st{n}.npy"), n, CORPUS, "argument", limit)
        print(f"{n:>7} {'stance-embed':<22} {r_ours:>9.1f} {w_ours:>8.1f} {c_ours:>7.1f} {m_ours:>13.0f}  "
              f"{r_ours / r_st:4.2f}x  {la1}")
        print(f"{n:>7} {'sentence-transformers':<22} {r_st:>9.1f} {w_st:>8.1f} {c_st:>7.1f} {m_st:>13.0f}  1.00x  {la2}",
              flush=True)
    first = [int(x) for x in args.threads.split(",")][0]
    compare(f"full run, {first} thread(s)", os.path.join(tmp, f"ours{first}.npy"),
            np.load(os.path.join(tmp, f"st{first}.npy")))
    print(f"after: {loadavg()}")


if __name__ == "__main__":
    main()
