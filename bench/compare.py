#!/usr/bin/env python3
"""Side by side on the same rows and the same folds: the harness against an equivalent scikit-learn pipeline.

Usage: python3 bench/compare.py EXPERIMENT.toml PIPELINE [--sklearn-only]
  PIPELINE: words-lr | chars-svm | nb | minilm-lr   (see PIPELINES below; each matches one
            bench/experiments/ibm-30k-*.toml; for minilm-lr, run `stance embed` once first so both sides read the
            embedding cache and only the classifier is compared)

1. Runs `target/release/stance run EXPERIMENT --out /tmp/stance-compare-<name>` under `/usr/bin/time -v` (wall
   time, peak RSS).
2. Reads the fold of every item in every repeat from the run's predictions.csv or .gz (items are `row-<line>` of the CSV).
3. Runs the scikit-learn pipeline in a separate process under `/usr/bin/time -v` on exactly those folds: vectoriser
   fitted on each training fold, classifier fitted and predicting the test fold.
4. Prints both wall times, both peak memories, the ratio and both pooled macro-F1s (confusion summed over every
   repeat and fold, the harness's definition).
The harness's time includes reading the CSV, tokenising, its bootstrap (if any), refits and writing the report;
scikit-learn's includes reading the CSV and the fold file. Python and scikit-learn are needed here only.
"""
import csv
import gzip
import json
import os
import re
import subprocess
import sys
import time

PIPELINES = {
    "words-lr": "TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + LogisticRegression(solver='liblinear', C=1)",
    "chars-svm": "TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5), sublinear_tf=True) + LinearSVC(C=1)",
    "nb": "CountVectorizer(binary=True) + MultinomialNB(alpha=1)",
    "minilm-lr": "the harness's own all-MiniLM-L6-v2 embeddings (stance embed, .npy) + "
    "LogisticRegression(solver='liblinear', C=1)",
    "words-lr-tuned": "GridSearchCV(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + "
    "LogisticRegression(solver='liblinear'), C in [10, 1, 0.1], StratifiedKFold(3), f1_macro, n_jobs=2) per outer fold",
}


def timed(cmd):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak MiB, stdout)."""
    out = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout}\n{out.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", out.stderr)
    h, m, s = wall.groups()
    secs = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    return secs, rss / 1024, out.stdout


def open_predictions(folder):
    """The run's predictions as CSV text: predictions.csv, or predictions.csv.gz for a run past report.json's
    250,000-prediction bound."""
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


def embeddings(corpus, n):
    """The corpus's MiniLM embeddings in record order, as `stance embed` computes them (the harness's own, so both
    sides fit the same features); written once to /tmp and read from the embedding cache after."""
    import numpy as np

    path = "/tmp/stance-compare-minilm.npy"
    if not os.path.exists(path):
        model = os.path.join(os.path.dirname(corpus), "../../models/all-MiniLM-L6-v2")
        subprocess.run([os.environ.get("STANCE_BIN", "target/release/stance"), "embed", "--model", model, "--csv",
                        corpus, "--text", "argument", "--out", path, "--quiet"], check=True, capture_output=True)
    emb = np.load(path).astype(np.float64)
    assert emb.shape[0] == n, (emb.shape, n)
    return emb


def sklearn_side(corpus, folds_path, pipeline):
    """Runs in its own process (so its peak memory is its own): prints JSON with macro-F1 and fit seconds."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.svm import LinearSVC

    folds = json.load(open(folds_path))
    # Items are named by the line their record starts on (`row-<line>`), which multi-line fields make differ from
    # the record index.
    by_line = {}
    with open(corpus, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        start = reader.line_num + 1
        for rec in reader:
            by_line[start] = dict(zip(header, rec))
            start = reader.line_num + 1
    rows = [by_line[line] for line in folds["rows"]]
    texts = [r["argument"] for r in rows]
    y = np.array([0 if r["stance_WA"] == "1" else 1 for r in rows])  # harness class order: pro, con
    items = np.arange(len(rows))
    if pipeline == "minilm-lr":
        emb = embeddings(corpus, len(by_line))
        record_of = {line: k for k, line in enumerate(sorted(by_line))}
        x = emb[[record_of[line] for line in folds["rows"]]]
    t0 = time.perf_counter()
    conf = [[0, 0], [0, 0]]
    for rep in folds["repeats"]:
        rep = np.array(rep)
        for f in sorted(set(rep.tolist())):
            train, test = items[rep != f], items[rep == f]
            if pipeline == "words-lr-tuned":
                # Nested: the grid search's inner folds see only this outer training fold; the vectoriser is refitted
                # on every inner training fold (a Pipeline), then on the whole outer training fold with the best C.
                from sklearn.model_selection import GridSearchCV, StratifiedKFold
                from sklearn.pipeline import Pipeline

                search = GridSearchCV(
                    Pipeline([("vec", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                              ("clf", LogisticRegression(solver="liblinear"))]),
                    {"clf__C": [10, 1, 0.1]},  # alpha = 1/C in [0.1, 1, 10]
                    cv=StratifiedKFold(3, shuffle=True, random_state=0),
                    scoring="f1_macro",
                    n_jobs=2,
                )
                search.fit([texts[i] for i in train], y[train])
                pred = search.predict([texts[i] for i in test])
                print(f"outer fold {f}: C = {search.best_params_['clf__C']}", file=sys.stderr)
                for g, p in zip(y[test], pred):
                    conf[g][p] += 1
                continue
            if pipeline == "minilm-lr":
                clf = LogisticRegression(solver="liblinear", C=1).fit(x[train], y[train])
                for g, p in zip(y[test], clf.predict(x[test])):
                    conf[g][p] += 1
                continue
            if pipeline == "words-lr":
                vec, clf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(solver="liblinear", C=1)
            elif pipeline == "chars-svm":
                vec, clf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True), LinearSVC(C=1)
            else:
                vec, clf = CountVectorizer(binary=True), MultinomialNB(alpha=1)
            xtr = vec.fit_transform([texts[i] for i in train])
            clf.fit(xtr, y[train])
            pred = clf.predict(vec.transform([texts[i] for i in test]))
            for g, p in zip(y[test], pred):
                conf[g][p] += 1
    print(json.dumps({"macro_f1": macro_f1(conf), "cv_seconds": time.perf_counter() - t0}))


def main():
    if sys.argv[1] == "--sklearn-side":
        return sklearn_side(*sys.argv[2:5])
    exp, pipeline = sys.argv[1], sys.argv[2]
    assert pipeline in PIPELINES, f"PIPELINE must be one of {', '.join(PIPELINES)}"
    name = os.path.splitext(os.path.basename(exp))[0]
    out = f"/tmp/stance-compare-{name}"
    text = open(exp, encoding="utf-8").read()
    # Relative data paths in an experiment resolve against the experiment file's folder.
    corpus = os.path.join(os.path.dirname(os.path.abspath(exp)), re.search(r'^path = "(.*)"', text, re.M).group(1))
    h_secs, h_mib, _ = timed([os.environ.get("STANCE_BIN", "target/release/stance"), "run", exp, "--out", out, "--quiet"])
    # Fold assignment and pooled macro-F1 of the harness, from its own predictions.csv(.gz).
    reps, conf, rows = {}, [[0, 0], [0, 0]], {}
    classes = {"pro": 0, "con": 1}
    with open_predictions(out) as fh:
        first = None
        for r in csv.DictReader(fh):
            first = first or r["config"]
            if r["config"] != first:
                break
            row = int(r["item"].split("-")[1])
            rows.setdefault(row, len(rows))
            reps.setdefault(int(r["repeat"]), {})[row] = int(r["fold"])
            conf[classes[r["gold"]]][classes[r["predicted"]]] += 1
    order = sorted(rows)
    folds = {"rows": order, "repeats": [[reps[k][i] for i in order] for k in sorted(reps)]}
    folds_path = f"{out}.folds.json"
    json.dump(folds, open(folds_path, "w"))
    s_secs, s_mib, s_out = timed([sys.executable, __file__, "--sklearn-side", corpus, folds_path, pipeline])
    s = json.loads(s_out)
    print(f"{name}: {len(order)} rows, {len(folds['repeats'])} repeats; scikit-learn: {PIPELINES[pipeline]}")
    print(f"| | wall | peak RSS | macro-F1 |")
    print(f"|---|---:|---:|---:|")
    print(f"| stance | {h_secs:.1f} s | {h_mib:.0f} MiB | {macro_f1(conf):.4f} |")
    print(f"| scikit-learn | {s_secs:.1f} s | {s_mib:.0f} MiB | {s['macro_f1']:.4f} |")
    print(f"speed-up {s_secs / h_secs:.1f}×, memory ratio {h_mib / s_mib:.2f}, Δ macro-F1 {macro_f1(conf) - s['macro_f1']:+.4f}")


if __name__ == "__main__":
    main()
