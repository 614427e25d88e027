#!/usr/bin/env python3
"""Cross-check a harness run on the IBM corpus with scikit-learn on the same rows.

Usage: python3 bench/sklearn_ibm.py reports/ibm-argq-sample
Reads the run's report.json (item ids are `row-<line>` of the corpus CSV), takes exactly those rows, and runs
scikit-learn's closest equivalents under GroupKFold(5) by topic: word 1-2-gram tf-idf (sublinear, min_df=2,
max_features=5000) with LogisticRegression(C=1) and with MultinomialNB(alpha=1). Fold assignment differs from the
harness's (scikit-learn's GroupKFold is not seeded), so agreement within about the harness's interval is the
expectation, not equality. Requires scikit-learn and pandas-free csv parsing only.
"""
import csv
import json
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

CORPUS = "../shared/corpora/ibm-argq-30k/arg_quality_rank_30k.csv"


def main(folder):
    rep = json.load(open(f"{folder}/report.json", encoding="utf-8"))
    wanted = {int(item["id"].split("-")[1]) for item in rep["items"]}
    texts, labels, groups = [], [], []
    with open(CORPUS, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        col = {name: i for i, name in enumerate(header)}
        start = reader.line_num + 1  # the harness numbers a record by the line it starts on
        for row in reader:
            line, start = start, reader.line_num + 1
            if line in wanted:
                texts.append(row[col["argument"]])
                labels.append(1 if row[col["stance_WA"]] == "1" else 0)
                groups.append(row[col["topic"]])
    texts, labels, groups = np.array(texts, dtype=object), np.array(labels), np.array(groups)
    print(f"{len(texts)} rows from {folder} ({len(set(groups))} topics)")
    for name, clf in [("words + logistic", LogisticRegression(C=1.0, max_iter=1000)), ("words + naive-bayes", MultinomialNB())]:
        start = time.time()
        pred = np.empty_like(labels)
        for train, test in GroupKFold(n_splits=5).split(texts, labels, groups):
            model = make_pipeline(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=5000), clf
            )
            model.fit(texts[train], labels[train])
            pred[test] = model.predict(texts[test])
        ours = next(c for c in rep["configs"] if c["id"] == name)["metrics"]
        print(
            f"{name:22s} scikit-learn macro-F1 {f1_score(labels, pred, average='macro'):.3f} "
            f"accuracy {accuracy_score(labels, pred):.3f} ({time.time() - start:.1f} s) | harness macro-F1 "
            f"{ours['macro_f1']['point']:.3f} [{ours['macro_f1']['lower']:.3f}, {ours['macro_f1']['upper']:.3f}]"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reports/ibm-argq-sample")
