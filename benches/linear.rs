//! Fit times of the sparse linear models on a synthetic CSR matrix: 20 000 rows × 50 000 features, ~20 stored
//! values per row, binary labels from a hidden sparse weight vector plus 10% label noise (seeded).

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sprs::{CsMat, TriMat};
use stance::models::linear::bayes::SparseNbParams;
use stance::models::linear::logistic::SparseLogisticParams;
use stance::models::linear::svm::SparseSvmParams;

fn synthetic(rows: usize, cols: usize, per_row: usize, seed: u64) -> (CsMat<f64>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let hidden: Vec<f64> = (0..cols).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let mut t = TriMat::with_capacity((rows, cols), rows * per_row);
    let mut y = Vec::with_capacity(rows);
    for i in 0..rows {
        let mut cols_i: Vec<usize> = (0..per_row).map(|_| rng.gen_range(0..cols)).collect();
        cols_i.sort_unstable();
        cols_i.dedup();
        let mut score = 0.0;
        for &j in &cols_i {
            // TF-IDF-like non-negative values, so naive Bayes can use the same matrix.
            let v: f64 = rng.gen_range(0.05..0.5);
            score += v * hidden[j];
            t.add_triplet(i, j, v);
        }
        let label = usize::from(score > 0.0);
        y.push(if rng.gen_bool(0.1) { 1 - label } else { label });
    }
    (t.to_csr(), y)
}

fn bench(c: &mut Criterion) {
    let (x, y) = synthetic(20_000, 50_000, 20, 42);
    let mut g = c.benchmark_group("linear_fit_20k_x_50k");
    g.sample_size(10);
    let lr = SparseLogisticParams::default().check().expect("valid");
    g.bench_function("logistic_tron_c1", |b| {
        b.iter(|| lr.fit_csr(x.view(), &y).expect("fit"))
    });
    let svm = SparseSvmParams::default().check().expect("valid");
    g.bench_function("svm_dual_cd_c1", |b| {
        b.iter(|| svm.fit_csr(x.view(), &y).expect("fit"))
    });
    let nb = SparseNbParams::default().check().expect("valid");
    g.bench_function("multinomial_nb", |b| {
        b.iter(|| nb.fit_csr(x.view(), &y).expect("fit"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
