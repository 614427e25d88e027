#!/usr/bin/env python3
"""How scikit-learn's liblinear logistic regression scales on the synthetic corpora (bench only).

Usage: python3 bench/sklearn_synth_scaling.py /tmp/stance-synth/synth-{30000,100000,300000}.csv

For each corpus: word 1–2-gram tf-idf (sublinear) fitted on the `split == train` rows, LogisticRegression
(liblinear, C = 1) fitted on them; prints rows, columns, the vectoriser's and the fit's seconds and liblinear's
iteration count, so the harness's own fit times (bench/scale.sh) can be read against the same solver family's.
"""
import sys
import time

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

print(f"{'rows':>9} {'train':>9} {'columns':>9} {'vectorise s':>12} {'fit s':>8} {'iterations':>10}")
for path in sys.argv[1:]:
    df = pd.read_csv(path)
    train = df[df["split"] == "train"]
    t0 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x = vec.fit_transform(train["text"])
    t1 = time.perf_counter()
    model = LogisticRegression(solver="liblinear", C=1.0).fit(x, train["label"])
    t2 = time.perf_counter()
    print(f"{len(df):>9} {len(train):>9} {x.shape[1]:>9} {t1 - t0:>12.1f} {t2 - t1:>8.1f} {int(model.n_iter_[0]):>10}")
