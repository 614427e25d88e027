#!/usr/bin/env python3
"""Times scikit-learn's liblinear fits on the IBM ArgQ 30k corpus and dumps the TF-IDF matrix for
`cargo run --release --example fit_linear -- <dump>`.

Usage: python3 scripts/linear_fit_compare.py CSV OUT.bin
Dump format (little-endian): u64 rows, u64 cols, u64 nnz, u64 indptr[rows+1], u32 indices[nnz], f64 data[nnz],
u8 labels[rows] (1 for stance_WA = 1, else 0).
"""
import csv as csvmod
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

csv, out = sys.argv[1], sys.argv[2]
with open(csv, newline="", encoding="utf-8") as fh:
    rows = list(csvmod.DictReader(fh))
t = time.perf_counter()
x = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform([r["argument"] for r in rows]).tocsr()
x.sort_indices()
y = np.array([int(r["stance_WA"]) == 1 for r in rows], dtype=np.uint8)
print(f"vectorise: {time.perf_counter() - t:.2f} s, shape {x.shape}, nnz {x.nnz}, positives {y.sum()}")
with open(out, "wb") as f:
    np.array([x.shape[0], x.shape[1], x.nnz], dtype="<u8").tofile(f)
    x.indptr.astype("<u8").tofile(f)
    x.indices.astype("<u4").tofile(f)
    x.data.astype("<f8").tofile(f)
    y.tofile(f)
for name, model in [
    ("LogisticRegression(liblinear, C=1)", LogisticRegression(solver="liblinear", C=1.0)),
    ("LinearSVC(C=1)", LinearSVC(C=1.0, random_state=0)),
]:
    times = []
    for _ in range(3):
        t = time.perf_counter()
        model.fit(x, y)
        times.append(time.perf_counter() - t)
    acc = (model.predict(x) == y).mean()
    print(f"{name}: fit {min(times):.3f} s (best of 3, all {', '.join(f'{v:.3f}' for v in times)}), "
          f"train acc {acc:.5f}, |coef| {np.linalg.norm(model.coef_):.6f}, intercept {model.intercept_[0]:.6f}, "
          f"n_iter {model.n_iter_}")
