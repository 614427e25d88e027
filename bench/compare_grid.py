#!/usr/bin/env python3
"""The whole grid side by side: every configuration of a harness experiment against the same pipeline in
scikit-learn, on the same rows and the same folds, at the same thread count.

Usage: python3 bench/compare_grid.py EXPERIMENT.toml [--jobs N] [--rounds R] [--bin PATH ...] [--sklearn-only]
                                     [--stance-only] [--out DIR]

  --jobs N     the harness runs with `--jobs N`; scikit-learn runs the folds of each pipeline with
               joblib `n_jobs=N` (N = 1: one process, no joblib). Default 1.
  --rounds R   repeat the whole comparison R times, alternating the sides, so a noisy machine shows in the spread.
  --bin PATH   harness binary (repeatable: several binaries run one after another in each round, e.g. the binary
               before and after a change). Default $STANCE_BIN or target/release/stance.

Each configuration of the experiment (feature set x classifier, and the baselines) becomes one scikit-learn
pipeline, refitted from the text on every training fold as a Pipeline is:

  word-ngrams tfidf  -> TfidfVectorizer(ngram_range, sublinear_tf, norm)     (binary/count: CountVectorizer)
  char-ngrams        -> the same with analyzer='char_wb' (word_bounded) or 'char'
  logistic alpha     -> LogisticRegression(solver='liblinear', C=1/alpha)
  naive-bayes alpha  -> MultinomialNB(alpha)
  linear-svm c       -> LinearSVC(C=c)
  majority           -> DummyClassifier('most_frequent')

The folds are read from the first harness run's predictions.csv(.gz). Peak RSS is the largest sum of VmRSS over
the process and all its descendants, sampled every 20 ms (joblib's worker processes count), and at least the
kernel's own peak of the largest single process. Prints both walls, both peaks, the ratio and both pooled
macro-F1s per configuration (confusion summed over every repeat and fold, the harness's definition), with the
load average before and after every run. Python and scikit-learn are needed here only.
"""
import argparse
import csv
import gzip
import json
import os
import resource
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))


def load():
    return open("/proc/loadavg").read().split()[0]


def tree_rss_kib(root):
    """Summed VmRSS (KiB) of `root` and every descendant, from /proc."""
    children, rss = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss[int(pid)] = int(line.split()[1])
                        break
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def timed(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak MiB of the process tree, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.02)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out}\n{err}")
    single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest child so far: it only tells something when this child set a new record.
    if single > before:
        peak = max(peak, single)
    return wall, peak / 1024, out


def open_predictions(folder):
    gz = os.path.join(folder, "predictions.csv.gz")
    if os.path.exists(gz):
        return gzip.open(gz, "rt", newline="", encoding="utf-8")
    return open(os.path.join(folder, "predictions.csv"), newline="", encoding="utf-8")


def macro_f1(conf):
    k = len(conf)
    f1s = []
    for c in range(k):
        tp = conf[c][c]
        fp = sum(conf[g][c] for g in range(k)) - tp
        fn = sum(conf[c]) - tp
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / k


def harness_results(folder, classes):
    """Per configuration (in file order) the pooled macro-F1, and the folds of the first configuration."""
    index = {c: i for i, c in enumerate(classes)}
    confs, reps, rows, first = {}, {}, {}, None
    with open_predictions(folder) as fh:
        for r in csv.DictReader(fh):
            cfg = r["config"]
            conf = confs.setdefault(cfg, [[0] * len(classes) for _ in classes])
            conf[index[r["gold"]]][index[r["predicted"]]] += 1
            first = first or cfg
            if cfg == first:
                row = int(r["item"].split("-")[1])
                rows.setdefault(row, len(rows))
                reps.setdefault(int(r["repeat"]), {})[row] = int(r["fold"])
    order = sorted(rows)
    folds = {"rows": order, "repeats": [[reps[k][i] for i in order] for k in sorted(reps)]}
    return {c: macro_f1(m) for c, m in confs.items()}, folds


def pipelines(exp):
    """(configuration id as the harness names it, description, factory of a fresh pipeline) per configuration."""
    from sklearn.dummy import DummyClassifier
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    def vectoriser(fs):
        (e,) = fs["extractors"]  # one extractor per feature set: what a Pipeline's vectoriser is
        kw = {"ngram_range": tuple(e.get("ngram", [1, 1]))}
        if e["type"] == "char-ngrams":
            kw["analyzer"] = "char_wb" if e.get("word_bounded") else "char"
        else:
            assert e["type"] == "word-ngrams", e
        weighting = e.get("weighting", "tfidf")
        if weighting == "tfidf":
            norm = e.get("norm", "l2")
            return lambda: TfidfVectorizer(sublinear_tf=e.get("sublinear_tf", False),
                                           norm=None if norm == "none" else norm, **kw)
        assert e.get("norm", "none") == "none", "a CountVectorizer does not normalise"
        return lambda: CountVectorizer(binary=weighting == "binary", **kw)

    def classifier(c):
        t = c["type"]
        if t == "logistic":
            return "LogisticRegression(liblinear, C=%g)" % (1 / c.get("alpha", 1.0)), \
                lambda: LogisticRegression(solver="liblinear", C=1 / c.get("alpha", 1.0))
        if t == "naive-bayes":
            return "MultinomialNB(alpha=%g)" % c.get("alpha", 1.0), lambda: MultinomialNB(alpha=c.get("alpha", 1.0))
        if t == "linear-svm":
            return "LinearSVC(C=%g)" % c.get("c", 1.0), lambda: LinearSVC(C=c.get("c", 1.0))
        raise SystemExit(f"no scikit-learn pipeline for classifier type {t}")

    out = []
    models = [c for c in exp["classifiers"] if c["type"] not in ("majority", "stratified-random")]
    for fs in exp["features"]:
        vec = vectoriser(fs)
        for c in models:
            desc, clf = classifier(c)
            name = c.get("name", c["type"])
            out.append((f"{fs['name']} + {name}", desc,
                        (lambda vec=vec, clf=clf: make_pipeline(vec(), clf()))))
    for c in exp["classifiers"]:
        if c["type"] == "majority":
            out.append((c.get("name", "majority"), "DummyClassifier(most_frequent)",
                        lambda: DummyClassifier(strategy="most_frequent")))
    return out


def fit_predict(make, texts, y, train, test):
    import numpy as np

    t0 = time.perf_counter()
    model = make().fit([texts[i] for i in train], y[train])
    pred = model.predict([texts[i] for i in test])
    conf = np.zeros((int(y.max()) + 1,) * 2, dtype=np.int64)
    np.add.at(conf, (y[test], pred), 1)
    return conf, time.perf_counter() - t0


def sklearn_side(exp_path, corpus, folds_path, jobs):
    """Runs in its own process (so its peak memory is its own): prints JSON with each pipeline's macro-F1 and
    summed fit + predict seconds."""
    import numpy as np

    exp = tomllib.load(open(exp_path, "rb"))
    data = exp["data"]
    names = data.get("label_names", {})
    classes = data["classes"]
    folds = json.load(open(folds_path))
    by_line = {}
    with open(corpus, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        start = reader.line_num + 1
        for rec in reader:
            by_line[start] = dict(zip(header, rec))
            start = reader.line_num + 1
    rows = [by_line[line] for line in folds["rows"]]
    texts = [r[data["text"]] for r in rows]
    y = np.array([classes.index(names.get(r[data["label"]], r[data["label"]])) for r in rows])
    items = np.arange(len(rows))
    splits = []
    for rep in folds["repeats"]:
        rep = np.array(rep)
        splits += [(items[rep != f], items[rep == f]) for f in sorted(set(rep.tolist()))]
    results = {}
    if jobs > 1:
        from joblib import Parallel, delayed

        pool = Parallel(n_jobs=jobs)
    for cid, desc, make in pipelines(exp):
        if jobs > 1:
            parts = pool(delayed(fit_predict)(make, texts, y, tr, te) for tr, te in splits)
        else:
            parts = [fit_predict(make, texts, y, tr, te) for tr, te in splits]
        conf = sum(p[0] for p in parts)
        results[cid] = {"pipeline": desc, "macro_f1": macro_f1(conf.tolist()), "seconds": sum(p[1] for p in parts)}
    print(json.dumps(results))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--sklearn-side":
        return sklearn_side(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("experiment")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--bin", action="append")
    ap.add_argument("--sklearn-only", action="store_true")
    ap.add_argument("--stance-only", action="store_true")
    ap.add_argument("--out", default="/tmp/stance-compare-grid")
    args = ap.parse_args()
    bins = args.bin or [os.environ.get("STANCE_BIN", "target/release/stance")]
    exp = tomllib.load(open(args.experiment, "rb"))
    corpus = os.path.join(os.path.dirname(os.path.abspath(args.experiment)), exp["data"]["path"])
    classes = exp["data"]["classes"]
    os.makedirs(args.out, exist_ok=True)
    folds_path = os.path.join(args.out, "folds.json")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.jobs), OPENBLAS_NUM_THREADS=str(args.jobs),
               MKL_NUM_THREADS=str(args.jobs))
    name = exp["name"]
    print(f"{name}: --jobs {args.jobs}, {args.rounds} round(s); harness binaries: {', '.join(bins)}")
    walls = {}
    f1 = {}
    for rnd in range(args.rounds):
        for b, binary in enumerate(bins):
            if args.sklearn_only and os.path.exists(folds_path):
                break
            out = os.path.join(args.out, f"stance-{b}")
            l0 = load()
            secs, mib, _ = timed([binary, "run", args.experiment, "--out", out, "--quiet", "--jobs", str(args.jobs)])
            f1[binary], folds = harness_results(out, classes)
            if b == 0:
                json.dump(folds, open(folds_path, "w"))
            walls.setdefault(binary, []).append((secs, mib))
            print(f"round {rnd + 1}: stance {binary}: {secs:.1f} s, {mib:.0f} MiB (load {l0} -> {load()})",
                  flush=True)
        if args.stance_only:
            continue
        l0 = load()
        secs, mib, out = timed([sys.executable, __file__, "--sklearn-side", args.experiment, corpus, folds_path,
                                str(args.jobs)], env=env)
        sk = json.loads(out)
        walls.setdefault("scikit-learn", []).append((secs, mib))
        print(f"round {rnd + 1}: scikit-learn: {secs:.1f} s, {mib:.0f} MiB (load {l0} -> {load()})", flush=True)
    print()
    print("| side | wall (each round) | peak RSS | ratio to scikit-learn (each round) |")
    print("|---|---|---|---|")
    sk_walls = [w for w, _ in walls.get("scikit-learn", [])]
    for side, runs in walls.items():
        ratio = ", ".join(f"{s / w:.1f}×" for (w, _), s in zip(runs, sk_walls)) if side != "scikit-learn" else ""
        print(f"| {side} | {', '.join(f'{w:.1f} s' for w, _ in runs)} | "
              f"{max(m for _, m in runs):.0f} MiB | {ratio} |")
    if args.stance_only:
        return
    print()
    print("| configuration | scikit-learn pipeline | sklearn fit+predict s | macro-F1 sklearn | "
          + " | ".join(f"macro-F1 {os.path.basename(b)} (Δ)" for b in f1) + " |")
    print("|---|---|---:|---:|" + "---:|" * len(f1))
    for cid, r in sk.items():
        cells = []
        for b in f1:
            h = f1[b].get(cid)
            cells.append("—" if h is None else f"{h:.4f} ({h - r['macro_f1']:+.4f})")
        print(f"| {cid} | {r['pipeline']} | {r['seconds']:.1f} | {r['macro_f1']:.4f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
