#!/usr/bin/env python3
"""Independent cross-checks of the harness's numbers with scikit-learn and scipy.

Not part of the product or CI (neither needs Python). Two uses:

1. `python3 scripts/crosscheck.py pins` prints the reference values pinned in the Rust unit tests, computed
   with scikit-learn/scipy on the same inputs (sections named as in the tests' doc comments).
2. `python3 scripts/crosscheck.py report reports/default` recomputes every configuration's metrics from the
   harness's own predictions.csv with scikit-learn and compares them with report.json (pooled over repeats,
   labels in the experiment's class order, zero_division=0). Exit status 1 on any mismatch > 1e-9.
3. `python3 scripts/crosscheck.py pvalues reports/default` redraws every comparison's paired-bootstrap p-value with
   numpy (its own generator, 20,000 resamples of the report's bootstrap units) and checks that the harness's p lies
   within Monte Carlo tolerance of it. Exit status 1 on any comparison outside it.
4. `python3 scripts/crosscheck.py submission REPORT_DIR GOLD GUESS [CONFIG]` scores files written by
   `stance submission` the way the SemEval-2016 Task 6 scorer (eval.pl) does — F1 of FAVOR and of AGAINST with
   sklearn, averaged — and compares with the report's f_avg (fixed splits, or one repeat: one prediction per item).

Requires: pip install scikit-learn scipy numpy
"""
import csv
import json
import sys

import numpy as np
from scipy.stats import binomtest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, cohen_kappa_score, f1_score,
                             matthews_corrcoef, precision_score, recall_score)
from sklearn.naive_bayes import MultinomialNB


def pins():
    np.set_printoptions(precision=17)
    print("## corrected resampled t (src/eval/stats.rs): Nadeau & Bengio 2003, J = 10, n_train 80, n_test 20")
    from scipy import stats as sst
    d = np.array([0.05, -0.02, 0.08, 0.03, 0.0, 0.06, -0.01, 0.04, 0.02, 0.07])
    t = d.mean() / np.sqrt((1 / len(d) + 20 / 80) * d.var(ddof=1))
    print("t", repr(t), "p", repr(2 * sst.t.sf(abs(t), len(d) - 1)))
    print()
    print("## tfidf (src/features/bag.rs)")
    v = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b").fit(["a b", "a c c", "b d"])
    print("idf", [repr(x) for x in v.idf_])
    print("transform('a a c z')", [repr(x) for x in v.transform(["a a c z"]).toarray()[0]])

    print("\n## char_wb (src/features/ngrams.rs)")
    cv = CountVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(["ab c"])
    print(sorted(cv.vocabulary_))

    print("\n## logistic (src/models/logistic.rs): C = 1/alpha = 1")
    X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 0.0], [3.0, 1.0], [0.5, 2.0], [2.5, 2.5]])
    y = [0, 0, 1, 1, 0, 1]
    m = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(X, y)
    print("P(class 1)", [repr(x) for x in m.predict_proba(X)[:, 1]])

    print("\n## naive_bayes (src/models/bayes.rs)")
    X = np.array([[2.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 3.0], [0.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
    y = [0, 0, 1, 1, 1]
    print("P(class 0)", [repr(x) for x in MultinomialNB(alpha=1.0).fit(X, y).predict_proba(X)[:, 0]])

    print("\n## metrics (src/eval/metrics.rs)")
    g = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2]
    p = [0, 0, 1, 2, 1, 0, 1, 2, 2, 0, 2, 1]
    L = [0, 1, 2]
    f1 = f1_score(g, p, labels=L, average=None, zero_division=0)
    print("accuracy", repr(accuracy_score(g, p)))
    print("balanced_accuracy", repr(balanced_accuracy_score(g, p)))
    print("macro_f1", repr(f1_score(g, p, labels=L, average="macro", zero_division=0)))
    print("f1 per class", [repr(x) for x in f1])
    print("precision per class", [repr(x) for x in precision_score(g, p, labels=L, average=None, zero_division=0)])
    print("f_avg (classes 0, 1)", repr((f1[0] + f1[1]) / 2))
    print("mcc", repr(matthews_corrcoef(g, p)))
    print("kappa", repr(cohen_kappa_score(g, p)))

    print("\n## mcnemar (src/eval/stats.rs): exact two-sided binomial test, p = 0.5")
    for b, c in [(5, 0), (6, 0), (1, 9), (7, 3), (4, 4)]:
        print(f"b={b} c={c}", repr(binomtest(min(b, c), b + c, 0.5).pvalue))


def report(folder):
    with open(f"{folder}/report.json", encoding="utf-8") as fh:
        rep = json.load(fh)
    classes = rep["data"]["classes"]
    labels = list(range(len(classes)))
    by_config, by_fold, by_group = {}, {}, {}
    with open(f"{folder}/predictions.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            gold = classes.index(row["gold"])
            pred = classes.index(row["predicted"])
            by_config.setdefault(row["config"], ([], []))
            by_config[row["config"]][0].append(gold)
            by_config[row["config"]][1].append(pred)
            key = (row["config"], int(row["repeat"]), int(row["fold"]))
            by_fold.setdefault(key, ([], []))
            by_fold[key][0].append(gold)
            by_fold[key][1].append(pred)
            if row.get("group"):
                gkey = (row["config"], row["group"])
                by_group.setdefault(gkey, ([], []))
                by_group[gkey][0].append(gold)
                by_group[gkey][1].append(pred)
    worst = 0.0
    checked = 0
    for cfg in rep["configs"]:
        g, p = by_config[cfg["id"]]
        f1 = f1_score(g, p, labels=labels, average=None, zero_division=0)
        ours = cfg["metrics"]
        theirs = {
            "accuracy": accuracy_score(g, p),
            "balanced_accuracy": balanced_accuracy_score(g, p),
            "macro_f1": f1_score(g, p, labels=labels, average="macro", zero_division=0),
            "mcc": matthews_corrcoef(g, p),
            "kappa": cohen_kappa_score(g, p) if len(set(g) | set(p)) > 1 else 0.0,
        }
        if "support" in classes and "oppose" in classes:
            theirs["f_avg"] = (f1[classes.index("support")] + f1[classes.index("oppose")]) / 2
        for name, value in theirs.items():
            if np.isnan(value):
                value = 0.0
            diff = abs(ours[name]["point"] - value)
            worst = max(worst, diff)
            checked += 1
            if diff > 1e-9:
                print(f"MISMATCH {cfg['id']} {name}: harness {ours[name]['point']!r}, scikit-learn {value!r}")
        for k, pc in enumerate(cfg["per_class"]):
            for name, fn in [("precision", precision_score), ("recall", recall_score), ("f1", f1_score)]:
                value = fn(g, p, labels=labels, average=None, zero_division=0)[k]
                diff = abs(pc[name]["point"] - value)
                worst = max(worst, diff)
                checked += 1
                if diff > 1e-9:
                    print(f"MISMATCH {cfg['id']} {name}[{pc['class']}]: harness {pc[name]['point']!r}, sklearn {value!r}")
        # Per-fold and per-group macro-F1 and accuracy, recomputed from the rows of predictions.csv.
        parts = [((cfg["id"], f["repeat"], f["fold"]), f, by_fold) for f in cfg.get("per_fold", [])]
        parts += [((cfg["id"], g["group"]), g, by_group) for g in cfg.get("per_group", [])]
        for key, part, table in parts:
            g2, p2 = table[key]
            for name, value in [
                ("macro_f1", f1_score(g2, p2, labels=labels, average="macro", zero_division=0)),
                ("accuracy", accuracy_score(g2, p2)),
            ]:
                diff = abs(part["metrics"][name] - value)
                worst = max(worst, diff)
                checked += 1
                if diff > 1e-9:
                    print(f"MISMATCH {cfg['id']} {key} {name}: harness {part['metrics'][name]!r}, sklearn {value!r}")
    print(f"{folder}: {checked} values over {len(rep['configs'])} configurations; largest difference {worst:.3g}")
    return 0 if worst <= 1e-9 else 1


def pvalues(folder, resamples=20000, seed=1):
    """The paired-bootstrap p of every comparison with the best, redrawn with numpy's own generator and resamples
    (so it agrees with the harness only up to Monte Carlo error): resample the report's bootstrap units with
    replacement, score both configurations on the pooled predictions weighted by each item's multiplicity, and
    apply the harness's documented rule p = min(1, 2·min(1 + #{d <= 0}, 1 + #{d >= 0}) / (B + 1))."""
    rep = json.load(open(f"{folder}/report.json", encoding="utf-8"))
    classes = rep["data"]["classes"]
    labels = list(range(len(classes)))
    headline = rep["evaluation"]["headline"]
    ids = [it["id"] for it in rep["items"]]
    index = {i: k for k, i in enumerate(ids)}
    rows = {}
    with open(f"{folder}/predictions.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(row["config"], []).append(
                (index[row["item"]], classes.index(row["gold"]), classes.index(row["predicted"])))
    unit = rep["evaluation"]["bootstrap_unit"]
    evaluated = sorted({i for r in rows.values() for i, _, _ in r})
    if unit == "item":
        units = [[i] for i in evaluated]
    else:
        by = {}
        for i in evaluated:
            by.setdefault(rep["items"][i].get("doc"), []).append(i)
        units = list(by.values())
    rng = np.random.default_rng(seed)

    arrays = {c: tuple(np.array([x[j] for x in r]) for j in range(3)) for c, r in rows.items()}

    def metric(cfg, w):
        item, g, p = arrays[cfg]
        sw = w[item]
        if headline == "accuracy":
            return float(np.sum(sw * (g == p)) / np.sum(sw))
        # The textbook per-class F1 from the weighted confusion matrix (scikit-learn's f1_score with sample_weight
        # gives the same numbers; it is too slow for 20,000 resamples × every configuration).
        k = len(labels)
        conf = np.bincount(g * k + p, weights=sw, minlength=k * k).reshape(k, k)
        tp = np.diag(conf)
        prec = np.divide(tp, conf.sum(0), out=np.zeros(k), where=conf.sum(0) > 0)
        rec = np.divide(tp, conf.sum(1), out=np.zeros(k), where=conf.sum(1) > 0)
        f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(k), where=(prec + rec) > 0)
        if headline == "macro_f1":
            return float(np.mean(f1))
        if headline == "f_avg":
            return float((f1[classes.index("support")] + f1[classes.index("oppose")]) / 2)
        raise SystemExit(f"pvalues: headline {headline} is not cross-checked here")

    draws = []
    for _ in range(resamples):
        w = np.zeros(len(ids))
        for u in rng.integers(0, len(units), len(units)):
            for i in units[u]:
                w[i] += 1
        draws.append(w)
    best = rep["best"]
    best_vals = np.array([metric(best, w) for w in draws])
    bad = 0
    for c in rep["comparisons"]:
        harness = c.get("p_value")
        if harness is None:
            continue
        d = np.array([metric(c["config"], w) for w in draws]) - best_vals
        le, ge = int(np.sum(d <= 0)), int(np.sum(d >= 0))
        ours = min(1.0, 2 * (1 + min(le, ge)) / (resamples + 1))
        # Monte Carlo standard errors of both estimates (the harness drew rep["evaluation"]["bootstrap"]).
        q = min(max(ours / 2, 1e-4), 0.5)
        se = 2 * np.sqrt(q * (1 - q)) * (1 / np.sqrt(rep["evaluation"]["bootstrap"]) + 1 / np.sqrt(resamples))
        tol = 4 * se + 2 / rep["evaluation"]["bootstrap"]
        ok = abs(ours - harness) <= tol
        bad += not ok
        print(f"{'ok ' if ok else 'MISMATCH'} {c['config']}: harness p {harness:.4f}, numpy p {ours:.4f} (tolerance {tol:.4f})")
    print(f"{folder}: {len(rep['comparisons'])} comparisons, {bad} outside Monte Carlo tolerance")
    return 1 if bad else 0


def submission(folder, gold_path, guess_path, config=None):
    rep = json.load(open(f"{folder}/report.json"))
    config = config or rep["best"]
    cfg = next(c for c in rep["configs"] if c["id"] == config)

    def stances(path):
        rows = [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8")]
        assert rows[0] == ["ID", "Target", "Tweet", "Stance"], rows[0]
        return [(r[0], r[3]) for r in rows[1:]]

    gold, guess = stances(gold_path), stances(guess_path)
    assert [g[0] for g in gold] == [p[0] for p in guess], "gold and guess list different items"
    y, p = [g[1] for g in gold], [q[1] for q in guess]
    favg = float(np.mean(f1_score(y, p, labels=["FAVOR", "AGAINST"], average=None, zero_division=0)))
    # Two classes that map to FAVOR and AGAINST (pro/con): the report has no f_avg, but macro-F1 is the same mean.
    name = "f_avg" if "f_avg" in cfg["metrics"] else "macro_f1"
    harness = cfg["metrics"][name]["point"]
    print(f"{config}: {len(y)} lines, scorer-style F_avg {favg!r}, report {name} {harness!r}")
    return 0 if abs(favg - harness) <= 1e-12 else 1


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "pins":
        pins()
    elif len(sys.argv) >= 3 and sys.argv[1] == "report":
        sys.exit(max(report(f) for f in sys.argv[2:]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "pvalues":
        sys.exit(max(pvalues(f) for f in sys.argv[2:]))
    elif len(sys.argv) >= 5 and sys.argv[1] == "submission":
        sys.exit(submission(*sys.argv[2:6]))
    else:
        print(__doc__)
        sys.exit(2)
