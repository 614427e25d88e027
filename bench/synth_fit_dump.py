#!/usr/bin/env python3
"""Same-matrix fit check on a synthetic corpus (bench only).

Usage: python3 bench/synth_fit_dump.py SYNTH.csv OUT.bin [REPEATS]

Builds scikit-learn's word 1–2-gram tf-idf (sublinear) of the corpus's `split == train` rows, times
LogisticRegression(liblinear, C = 1) on it (best of REPEATS, default 3), and dumps the matrix and labels in the
format `cargo run --release --example fit_linear -- OUT.bin` reads (see scripts/linear_fit_compare.py), so the
harness's solvers can be timed on exactly the same matrix.
"""
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
path, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(path); df = df[df["split"] == "train"]
x = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(df["text"]).tocsr(); x.sort_indices()
y = (df["label"] == "pro").to_numpy().astype(np.uint8)
print("shape", x.shape, "nnz", x.nnz)
best = 1e9
for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 3):
    t = time.perf_counter(); m = LogisticRegression(solver="liblinear", C=1.0).fit(x, y); best = min(best, time.perf_counter() - t)
print(f"sklearn liblinear LR fit best of 3: {best:.3f} s, n_iter {m.n_iter_}, |coef| {np.linalg.norm(m.coef_):.6f}, intercept {m.intercept_[0]:.6f}")
with open(out, "wb") as f:
    f.write(np.array([x.shape[0], x.shape[1], x.nnz], dtype="<u8").tobytes())
    f.write(x.indptr.astype("<u8").tobytes()); f.write(x.indices.astype("<u4").tobytes())
    f.write(x.data.astype("<f8").tobytes()); f.write(y.tobytes())
