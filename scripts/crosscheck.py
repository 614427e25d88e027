#!/usr/bin/env python3
"""Independent cross-checks of the harness's numbers with scikit-learn and scipy.

Not part of the product or CI (neither needs Python). Two uses:

1. `python3 scripts/crosscheck.py pins` prints the reference values pinned in the Rust unit tests, computed
   with scikit-learn/scipy on the same inputs (sections named as in the tests' doc comments).
2. `python3 scripts/crosscheck.py report reports/default` recomputes every configuration's metrics from the
   harness's own predictions.csv (or predictions.csv.gz) with scikit-learn and compares them with report.json (pooled over repeats,
   labels in the experiment's class order, zero_division=0). Exit status 1 on any mismatch > 1e-9.
3. `python3 scripts/crosscheck.py pvalues reports/default` recomputes every comparison's exact paired permutation
   p-value by enumerating all 2^d swap patterns with numpy (1e-12; a numpy Monte Carlo estimate within 0.02 beyond
   16 differing units), its Holm adjustment and its star. Exit status 1 on any mismatch.
4. `python3 scripts/crosscheck.py submission REPORT_DIR GOLD GUESS [CONFIG]` scores files written by
   `stance submission` the way the SemEval-2016 Task 6 scorer (eval.pl) does — F1 of FAVOR and of AGAINST with
   sklearn, averaged — and compares with the report's f_avg (fixed splits, or one repeat: one prediction per item).
5. `stance diff A B --format json --out d.json; python3 scripts/crosscheck.py diff A B d.json` recomputes every
   number of `stance diff` from the two runs' report.json files with independent code: Δ, the pairing decision,
   McNemar's discordant counts and exact p-value (scipy), the flip list, the normal-approximation interval and
   p-value (scipy.stats.norm) exactly (1e-9), the exact permutation p-values by enumeration (1e-12), their Holm
   adjustment over the configuration × metric family and the stars, and the paired bootstrap interval with its
   own numpy cluster bootstrap (another random stream, so it agrees only to Monte-Carlo precision: 0.02 on
   interval ends). Exit status 1 on any mismatch.

6. `stance check EXP --out DIR > check.txt; python3 scripts/crosscheck.py gate BASELINE.json DIR check.txt`
   recomputes the gate's one-sided exact p(worse) of every gated configuration × metric by enumeration (to the
   three decimals printed). Exit status 1 on any mismatch.

Requires: pip install scikit-learn scipy numpy
"""
import csv
import gzip
import json
import os
import sys

import numpy as np
from scipy.stats import binomtest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, cohen_kappa_score, f1_score,
                             matthews_corrcoef, precision_score, recall_score)
from sklearn.naive_bayes import MultinomialNB


def open_predictions(folder):
    """The run's predictions as CSV text: predictions.csv, or predictions.csv.gz for a run past report.json's
    250,000-prediction bound."""
    gz = os.path.join(folder, "predictions.csv.gz")
    if os.path.exists(gz):
        return gzip.open(gz, "rt", newline="", encoding="utf-8")
    return open(os.path.join(folder, "predictions.csv"), newline="", encoding="utf-8")


def pins():
    np.set_printoptions(precision=17)
    print("## corrected resampled t (src/eval/stats.rs): Nadeau & Bengio 2003, J = 10, n_train 80, n_test 20")
    from scipy import stats as sst
    d = np.array([0.05, -0.02, 0.08, 0.03, 0.0, 0.06, -0.01, 0.04, 0.02, 0.07])
    t = d.mean() / np.sqrt((1 / len(d) + 20 / 80) * d.var(ddof=1))
    print("t", repr(t), "p", repr(2 * sst.t.sf(abs(t), len(d) - 1)))
    print()
    print("## permutation (crates/eval/src/permutation.rs): exact sign-flip p by enumeration, 8 support + 3 oppose")
    gold = np.array([0] * 8 + [1] * 3)
    for wrong in ([0, 1, 2, 8], [0, 1, 2, 3, 8, 9]):
        a = np.ones((11, 2)) * 0
        a[np.arange(11), gold] = 1  # all right
        b = a.copy()
        b[wrong] = b[wrong][:, ::-1]
        d = len(wrong)
        bits = (np.arange(2**d)[:, None] >> np.arange(d)) & 1

        def conf(v):
            c = np.zeros((2, 2))
            for i in range(11):
                c[gold[i]] += v[i]
            return c
        ts = []
        for row in bits:
            va, vb = a.copy(), b.copy()
            sw = [w for w, bit in zip(wrong, row) if bit]
            va[sw], vb[sw] = b[sw], a[sw]
            ts.append(_headline_batch(conf(va), "macro_f1", ["support", "oppose"])
                      - _headline_batch(conf(vb), "macro_f1", ["support", "oppose"]))
        ts = np.array(ts)
        print(f"{d} items all one way: two-sided p", repr(float(np.mean(np.abs(ts) >= abs(ts[0]) - 1e-10))))
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

    print("\n## diff normal approximation (src/check/diff/mod.rs): A 0.70 [0.60, 0.78], B 0.64 [0.50, 0.76]")
    from scipy.stats import norm
    for level_a in [0.95, 0.9]:
        se = np.hypot(0.09 / norm.ppf(1 - (1 - level_a) / 2), 0.13 / norm.ppf(0.975))
        delta = 0.64 - 0.70
        print(f"level A {level_a}: lower", repr(delta - norm.ppf(0.975) * se), "upper",
              repr(delta + norm.ppf(0.975) * se), "p", repr(2 * norm.cdf(-abs(delta) / se)))


def report(folder):
    with open(f"{folder}/report.json", encoding="utf-8") as fh:
        rep = json.load(fh)
    classes = rep["data"]["classes"]
    labels = list(range(len(classes)))
    by_config, by_fold, by_group = {}, {}, {}
    with open_predictions(folder) as fh:
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
        favg = rep["experiment"]["config"].get("favg_classes")
        if favg:
            theirs["f_avg"] = float(np.mean([f1[classes.index(c)] for c in favg]))
        elif "support" in classes and "oppose" in classes:
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


def _headline_batch(conf, headline, classes):
    """The headline of a batch of confusion matrices (shape [..., k, k], rows gold), by the textbook formulas."""
    k = conf.shape[-1]
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    pred, gold = conf.sum(-2), conf.sum(-1)
    prec = np.divide(tp, pred, out=np.zeros_like(tp), where=pred > 0)
    rec = np.divide(tp, gold, out=np.zeros_like(tp), where=gold > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros_like(tp), where=(prec + rec) > 0)
    if headline == "accuracy":
        return tp.sum(-1) / conf.sum((-2, -1))
    if headline == "macro_f1":
        return f1.mean(-1)
    if headline == "f_avg":
        return (f1[..., classes.index("support")] + f1[..., classes.index("oppose")]) / 2
    raise SystemExit(f"pvalues: headline {headline} is not cross-checked here")


def _holm(p):
    order = sorted(range(len(p)), key=lambda i: (p[i], i))
    out, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        out[i] = running
    return out


def pvalues(folder):
    """Every comparison's exact paired permutation p-value, recomputed by enumerating all 2^d swap patterns with
    numpy (vectorised, independent of the harness's Gray-code loop): per resampling unit, the pooled vote
    contributions of the configuration and of the best; each pattern swaps the units whose bit is set; p is the
    share of patterns with |Δ*| ≥ |Δ| (two-sided). Holm over the comparisons. Comparisons with more than 16
    differing units (Monte Carlo in the harness) are checked to lie within 0.02 of a numpy Monte Carlo estimate."""
    rep = json.load(open(f"{folder}/report.json", encoding="utf-8"))
    classes = rep["data"]["classes"]
    k = len(classes)
    headline = rep["evaluation"]["headline"]
    gold = np.array([it["gold"] for it in rep["items"]])
    cfgs = {c["id"]: c for c in rep["configs"]}
    votes = {cid: _votes(rep, c) for cid, c in cfgs.items()}
    evaluated = [i for i in range(len(gold)) if votes[rep["best"]][i].sum() > 0]
    if rep["evaluation"]["bootstrap_unit"] == "item":
        units = [[i] for i in evaluated]
    else:
        by = {}
        for i in evaluated:
            by.setdefault(rep["items"][i].get("doc"), []).append(i)
        units = list(by.values())

    def contributions(v):
        out = np.zeros((len(units), k, k))
        for u, items in enumerate(units):
            for i in items:
                out[u, gold[i]] += v[i]
        return out

    cb = contributions(votes[rep["best"]])
    rng = np.random.default_rng(1)
    bad, ours = 0, []
    for c in rep["comparisons"]:
        ca = contributions(votes[c["config"]])
        diff = ca - cb
        rel = [u for u in range(len(units)) if np.any(diff[u] != 0)]
        a0, b0 = ca.sum(0), cb.sum(0)
        obs = _headline_batch(a0, headline, classes) - _headline_batch(b0, headline, classes)
        d = len(rel)
        if d <= 16:
            bits = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(float)
        else:
            bits = rng.integers(0, 2, (20000, d)).astype(float)
        delta = np.tensordot(bits, diff[rel], axes=(1, 0)) if d else np.zeros((1, k, k))
        t = _headline_batch(a0 - delta, headline, classes) - _headline_batch(b0 + delta, headline, classes)
        p = float(np.mean(np.abs(t) >= abs(obs) - 1e-10))
        ours.append(p)
        tol = 1e-12 if d <= 16 else 0.02
        ok = abs(p - c["p_value"]) <= tol and c["differing_units"] == d
        bad += not ok
        print(f"{'ok ' if ok else 'MISMATCH'} {c['config']}: d = {d}, harness p {c['p_value']:.6f}, numpy p {p:.6f}")
    # Holm over the harness's own p-values (each checked above; Monte Carlo ones only to their tolerance).
    for c, h in zip(rep["comparisons"], _holm([c["p_value"] for c in rep["comparisons"]])):
        if abs(h - c["p_holm"]) > 1e-12:
            bad += 1
            print(f"MISMATCH {c['config']}: Holm p {c['p_holm']} vs {h}")
        if c["significant"] != (c["p_holm"] < rep["evaluation"]["alpha"]):
            bad += 1
            print(f"MISMATCH {c['config']}: star {c['significant']} with Holm p {c['p_holm']}")
    print(f"{folder}: {len(rep['comparisons'])} comparisons, {bad} mismatches")
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


def _load_run(path):
    import os
    f = os.path.join(path, "report.json") if os.path.isdir(path) else path
    with open(f, encoding="utf-8") as fh:
        return json.load(fh)


def _votes(rep, cfg, order=None):
    """votes[item, class] over repeats, items in A's order when `order` maps A's item i to this run's index."""
    n, k = len(rep["items"]), len(rep["data"]["classes"])
    v = np.zeros((n, k))
    for repeat in cfg["predictions"]:
        for i, p in enumerate(repeat):
            if p is not None:
                v[i, p["class"]] += 1
    return v if order is None else v[order]


def _scores(conf, classes):
    """Every metric from a (weighted) confusion matrix, rows gold; checked against scikit-learn at the points."""
    tot = conf.sum()
    tp = np.diag(conf)
    gold, pred = conf.sum(1), conf.sum(0)
    prec = np.divide(tp, pred, out=np.zeros_like(tp), where=pred > 0)
    rec = np.divide(tp, gold, out=np.zeros_like(tp), where=gold > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros_like(tp), where=(prec + rec) > 0)
    acc = tp.sum() / tot
    pe = (gold * pred).sum() / tot**2
    kappa = 0.0 if pe == 1 else (acc - pe) / (1 - pe)
    cov = tp.sum() * tot - (gold * pred).sum()
    den = np.sqrt((tot**2 - (pred**2).sum()) * (tot**2 - (gold**2).sum()))
    out = {
        "accuracy": acc,
        "balanced_accuracy": rec[gold > 0].mean(),
        "macro_f1": f1.mean(),
        "mcc": cov / den if den > 0 else 0.0,
        "kappa": kappa,
    }
    if "support" in classes and "oppose" in classes:
        out["f_avg"] = (f1[classes.index("support")] + f1[classes.index("oppose")]) / 2
    return out


def diff(path_a, path_b, diff_json, replicates=2000):
    from scipy.stats import norm
    a, b = _load_run(path_a), _load_run(path_b)
    with open(diff_json, encoding="utf-8") as fh:
        d = json.load(fh)
    bad = []

    def close(what, ours, theirs, tol):
        if ours is None or theirs is None:
            if ours is not theirs:
                bad.append(f"{what}: harness {ours!r}, crosscheck {theirs!r}")
            return 0.0
        diff = abs(ours - theirs)
        if diff > tol:
            bad.append(f"{what}: harness {ours!r}, crosscheck {theirs!r} (tolerance {tol})")
        return diff

    ids_a = [i["id"] for i in a["items"]]
    ids_b = {i["id"]: j for j, i in enumerate(b["items"])}
    classes = a["data"]["classes"]
    paired = (
        len(ids_a) == len(ids_b) == len(set(ids_a))
        and all(i in ids_b for i in ids_a)
        and classes == b["data"]["classes"]
        and all(it["gold"] == b["items"][ids_b[it["id"]]]["gold"] for it in a["items"])
        and not a.get("predictions_omitted") and not b.get("predictions_omitted")
    )
    if paired != d["pairing"]["paired"]:
        bad.append(f"pairing: harness {d['pairing']['paired']}, crosscheck {paired}")
    shared = [c for c in a["configs"] if any(x["id"] == c["id"] for x in b["configs"])]
    rows = {c["config"]: c for c in d["configs"]}
    if [c["id"] for c in shared] != list(rows):
        bad.append(f"configurations: harness {list(rows)}, crosscheck {[c['id'] for c in shared]}")
    worst = {"exact": 0.0, "lower": 0.0, "upper": 0.0, "p": 0.0}
    flips = set()
    if paired:
        order = [ids_b[i] for i in ids_a]
        gold = np.array([it["gold"] for it in a["items"]])
        n, k = len(gold), len(classes)
        # Resampling units: what the harness says it resampled (checked to be a run's own unit).
        unit = d["pairing"]["unit"]
        units_of_runs = {a["evaluation"]["bootstrap_unit"], b["evaluation"]["bootstrap_unit"]}
        if unit != "item" and unit not in units_of_runs:
            bad.append(f"bootstrap unit {unit} is neither run's ({units_of_runs})")
        if unit == "item":
            clusters = [[i] for i in range(n)]
        else:
            by = {}
            for i, it in enumerate(a["items"]):
                by.setdefault(it["doc"], []).append(i)
            clusters = [by[key] for key in sorted(by)]
        test_clusters = clusters if d["pairing"].get("test_unit", "item") != "item" else [[i] for i in range(n)]
        members = np.zeros((len(clusters), n))
        for u, items in enumerate(clusters):
            members[u, items] = 1
        rng = np.random.default_rng(12345)
        draws = rng.multinomial(len(clusters), np.full(len(clusters), 1 / len(clusters)), size=replicates)
        weights = draws @ members  # replicate x item multiplicities
        for ca in shared:
            cb = next(x for x in b["configs"] if x["id"] == ca["id"])
            row = rows[ca["id"]]
            va, vb = _votes(a, ca), _votes(b, cb, order)
            # McNemar on majority-vote correctness (strict majority of the repeats that tested the item).
            tested_a, tested_b = va.sum(1), vb.sum(1)
            right_a = 2 * va[np.arange(n), gold] > tested_a
            right_b = 2 * vb[np.arange(n), gold] > tested_b
            both = (tested_a > 0) & (tested_b > 0)
            only_a = int((right_a & ~right_b & both).sum())
            only_b = int((~right_a & right_b & both).sum())
            p = 1.0 if only_a + only_b == 0 else binomtest(only_a, only_a + only_b, 0.5).pvalue
            mc = row["mcnemar"]
            if (mc["a_only_correct"], mc["b_only_correct"]) != (only_a, only_b):
                bad.append(f"{ca['id']} McNemar counts: harness {mc['a_only_correct'], mc['b_only_correct']}, "
                           f"crosscheck {(only_a, only_b)}")
            worst["exact"] = max(worst["exact"], close(f"{ca['id']} McNemar p", mc["p_value"], p, 1e-9))
            for i in np.nonzero(both & (right_a != right_b))[0]:
                flips.add((ca["id"], ids_a[i], "fixed" if right_b[i] else "broken"))
            # Paired bootstrap: the same multiplicities re-score both runs' pooled votes.
            evaluated = both
            onehot = np.zeros((n, k, k))
            onehot_b = np.zeros((n, k, k))
            onehot[np.arange(n), gold, :] = va
            onehot_b[np.arange(n), gold, :] = vb
            onehot[~evaluated] = 0
            onehot_b[~evaluated] = 0
            conf_a = np.tensordot(weights, onehot, axes=1)
            conf_b = np.tensordot(weights, onehot_b, axes=1)
            point_a = _scores(onehot.sum(0), classes)
            for m in row["metrics"]:
                name = m["metric"]
                worst["exact"] = max(worst["exact"], close(f"{ca['id']} {name} A point", m["a"]["point"],
                                                           point_a[name], 1e-9))
                worst["exact"] = max(worst["exact"], close(f"{ca['id']} {name} delta", m["delta"]["point"],
                                                           cb["metrics"][name]["point"] - ca["metrics"][name]["point"],
                                                           1e-12))
                # The exact paired permutation p of B − A, by enumerating every swap pattern of the clusters whose
                # votes differ (the clusters the harness says its test swapped).
                ua = np.array([onehot[c].sum(0) for c in test_clusters])
                ub = np.array([onehot_b[c].sum(0) for c in test_clusters])
                rel = [u for u in range(len(test_clusters)) if np.any(ua[u] != ub[u])]
                if len(rel) <= 16:
                    bits = ((np.arange(2 ** len(rel))[:, None] >> np.arange(len(rel))) & 1).astype(float)
                    sw = np.tensordot(bits, (ub - ua)[rel], axes=(1, 0)) if rel else np.zeros((1, k, k))
                    a0, b0 = ua.sum(0), ub.sum(0)
                    ts = np.array([_scores(b0 - x, classes)[name] - _scores(a0 + x, classes)[name] for x in sw])
                    obs = ts[0]
                    perm_p = float(np.mean(np.abs(ts) >= abs(obs) - 1e-10))
                    worst["exact"] = max(worst["exact"], close(f"{ca['id']} {name} permutation p", m["p_value"],
                                                               perm_p, 1e-12))
                if m["method"] != "paired-bootstrap":
                    continue
                dd = np.array([_scores(conf_b[r], classes)[name] - _scores(conf_a[r], classes)[name]
                               for r in range(replicates)])
                lo, hi = np.percentile(dd, [2.5, 97.5])
                for what, ours, theirs, tol in [("lower", m["delta"]["lower"], lo, 0.02),
                                                ("upper", m["delta"]["upper"], hi, 0.02)]:
                    worst[what] = max(worst[what], close(f"{ca['id']} {name} bootstrap {what}", ours, theirs, tol))
        harness_flips = {(f["config"], f["item"], f["change"]) for f in d["flips"]}
        if harness_flips != flips:
            bad.append(f"flip list: {len(harness_flips ^ flips)} differences, e.g. {sorted(harness_flips ^ flips)[:3]}")
    else:
        z95 = norm.ppf(0.975)
        for ca in shared:
            cb = next(x for x in b["configs"] if x["id"] == ca["id"])
            for m in rows[ca["id"]]["metrics"]:
                ea, eb = ca["metrics"][m["metric"]], cb["metrics"][m["metric"]]
                if ea["lower"] is None or eb["lower"] is None:
                    continue
                za = norm.ppf(1 - (1 - a["evaluation"]["confidence_level"]) / 2)
                zb = norm.ppf(1 - (1 - b["evaluation"]["confidence_level"]) / 2)
                se = np.hypot((ea["upper"] - ea["lower"]) / 2 / za, (eb["upper"] - eb["lower"]) / 2 / zb)
                delta = eb["point"] - ea["point"]
                p = 2 * norm.cdf(-abs(delta) / se) if se > 0 else None
                for what, ours, theirs in [("lower", m["delta"]["lower"], delta - z95 * se),
                                           ("upper", m["delta"]["upper"], delta + z95 * se),
                                           ("p", m["p_value"], p)]:
                    worst["exact"] = max(worst["exact"],
                                         close(f"{ca['id']} {m['metric']} approx {what}", ours, theirs, 1e-9))
    # The family: Holm over every row with a p-value, and the star is p_holm < alpha.
    flat = [m for c in d["configs"] for m in c["metrics"] if m["p_value"] is not None]
    for m, h in zip(flat, _holm([m["p_value"] for m in flat])):
        close(f"Holm p of {m['metric']}", m["p_holm"], h, 1e-12)
        if m["significant"] != (m["p_holm"] < d["alpha"]):
            bad.append(f"star of {m['metric']}: {m['significant']} with Holm p {m['p_holm']}")
    if d["family"] != len(flat):
        bad.append(f"family: harness {d['family']}, crosscheck {len(flat)}")
    for line in bad:
        print("MISMATCH", line)
    print(f"{path_a} vs {path_b}: {'paired' if paired else 'unpaired'}, {len(shared)} configurations, "
          f"{len(flips)} flips; largest difference of exact values {worst['exact']:.3g}; paired bootstrap "
          f"(Monte-Carlo, another random stream): interval ends {max(worst['lower'], worst['upper']):.3g} "
          f"(tolerance 0.02); exact permutation p-values and their Holm adjustment to 1e-12")
    return 1 if bad else 0


def gate(baseline_path, candidate_path, check_stdout):
    """The gate's one-sided exact p(worse) of every gated configuration × metric, recomputed by enumerating the swap
    patterns with numpy: per resampling unit (items, or documents when the candidate resampled documents), the
    pooled vote contributions of the baseline's and the candidate's predictions of the configuration; each pattern
    swaps the units whose bit is set; p is the share of patterns with Δ* ≤ Δ (new − old). Read against the table
    `stance check` printed (three decimals, so 0.0005; 0.02 beyond 16 differing units, where the harness draws)."""
    old, new = _load_run(baseline_path), _load_run(candidate_path)
    classes = new["data"]["classes"]
    k = len(classes)
    gold = np.array([it["gold"] for it in new["items"]])
    n = min(len(gold), len(old["items"]))
    if new["evaluation"]["bootstrap_unit"] == "item":
        units = [[i] for i in range(n)]
    else:
        by = {}
        for i in range(n):
            by.setdefault(new["items"][i].get("doc"), []).append(i)
        units = list(by.values()) if len(by) > 1 and None not in by else [[i] for i in range(n)]
    rows, lines = [], open(check_stdout, encoding="utf-8").read().splitlines()
    for j, line in enumerate(lines):
        if line.startswith("config") and "p(worse)" in line:
            for row in lines[j + 1:]:
                if not row.strip():
                    break
                t = row.split()
                rows.append((" ".join(t[:-8]), t[-8], t[-3]))
    rng = np.random.default_rng(2)
    bad = 0
    for config, metric, printed in rows:
        co = next(c for c in old["configs"] if c["id"] == config)
        cn = next(c for c in new["configs"] if c["id"] == config)
        vo, vn = _votes(old, co)[:n], _votes(new, cn)[:n]

        def contributions(v):
            out = np.zeros((len(units), k, k))
            for u, items in enumerate(units):
                for i in items:
                    out[u, gold[i]] += v[i]
            return out

        a, b = contributions(vn), contributions(vo)
        diff = a - b
        rel = [u for u in range(len(units)) if np.any(diff[u] != 0)]
        a0, b0 = a.sum(0), b.sum(0)
        obs = _headline_batch(a0, metric, classes) - _headline_batch(b0, metric, classes)
        d = len(rel)
        if d <= 16:
            bits = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(float)
        else:
            bits = rng.integers(0, 2, (20000, d)).astype(float)
        delta = np.tensordot(bits, diff[rel], axes=(1, 0)) if d else np.zeros((1, k, k))
        t = _headline_batch(a0 - delta, metric, classes) - _headline_batch(b0 + delta, metric, classes)
        p = float(np.mean(t <= obs + 1e-10))
        tol = 0.0005 if d <= 16 else 0.02
        ok = printed not in ("—", "-") and abs(p - float(printed)) <= tol
        bad += not ok
        print(f"{'ok ' if ok else 'MISMATCH'} {config} {metric}: d = {d}, Δ = {obs:+.4f}, stance p(worse) {printed}, "
              f"numpy p {p:.6f}")
    print(f"gate: {len(rows)} rows, {bad} mismatches")
    return 1 if bad or not rows else 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "pins":
        pins()
    elif len(sys.argv) == 5 and sys.argv[1] == "diff":
        sys.exit(diff(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "report":
        sys.exit(max(report(f) for f in sys.argv[2:]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "pvalues":
        sys.exit(max(pvalues(f) for f in sys.argv[2:]))
    elif len(sys.argv) == 5 and sys.argv[1] == "gate":
        sys.exit(gate(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif len(sys.argv) >= 5 and sys.argv[1] == "submission":
        sys.exit(submission(*sys.argv[2:6]))
    else:
        print(__doc__)
        sys.exit(2)
