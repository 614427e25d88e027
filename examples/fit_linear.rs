//! Times the sparse linear fits on a CSR dump written by `scripts/linear_fit_compare.py`.
//!
//! `cargo run --release --example fit_linear -- /tmp/argq_tfidf.bin`

use std::time::Instant;

use sprs::CsMat;
use stance::models::linear::bayes::SparseNbParams;
use stance::models::linear::logistic::SparseLogisticParams;
use stance::models::linear::svm::SparseSvmParams;

fn u64s(b: &[u8], at: &mut usize, n: usize) -> Vec<u64> {
    let v = b[*at..*at + 8 * n]
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    *at += 8 * n;
    v
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).expect("usage: fit_linear DUMP");
    let b = std::fs::read(&path)?;
    let mut at = 0;
    let head = u64s(&b, &mut at, 3);
    let (rows, cols, nnz) = (head[0] as usize, head[1] as usize, head[2] as usize);
    let indptr: Vec<usize> = u64s(&b, &mut at, rows + 1)
        .into_iter()
        .map(|v| v as usize)
        .collect();
    let indices: Vec<usize> = b[at..at + 4 * nnz]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")) as usize)
        .collect();
    at += 4 * nnz;
    let data: Vec<f64> = b[at..at + 8 * nnz]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    at += 8 * nnz;
    let y: Vec<usize> = b[at..at + rows].iter().map(|&v| v as usize).collect();
    let x = CsMat::new((rows, cols), indptr, indices, data);
    println!(
        "{rows} × {cols}, nnz {nnz}, threads {}",
        rayon::current_num_threads()
    );

    let acc = |pred: &ndarray::Array1<usize>| {
        pred.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / rows as f64
    };
    let best = |f: &mut dyn FnMut() -> f64| -> (f64, f64) {
        let mut times = Vec::new();
        let mut last = 0.0;
        for _ in 0..3 {
            let t = Instant::now();
            last = f();
            times.push(t.elapsed().as_secs_f64());
        }
        (times.into_iter().fold(f64::INFINITY, f64::min), last)
    };

    let lr_p = SparseLogisticParams::default().check()?;
    let mut lr = None;
    let (t, _) = best(&mut || {
        lr = Some(lr_p.fit_csr(x.view(), &y).expect("fit"));
        0.0
    });
    let lr = lr.expect("fitted");
    let w = lr.coef();
    println!(
        "logistic (C=1, tol=1e-4): fit {t:.3} s (best of 3), train acc {:.5}, |coef| {:.6}, intercept {:.6}, {:?}",
        acc(&lr.predict_classes(x.view().into())?),
        w.iter().map(|v| v * v).sum::<f64>().sqrt(),
        lr.intercept()[0],
        lr.solve_info()
    );

    let svm_p = SparseSvmParams::default().check()?;
    let mut svm = None;
    let (t, _) = best(&mut || {
        svm = Some(svm_p.fit_csr(x.view(), &y).expect("fit"));
        0.0
    });
    let svm = svm.expect("fitted");
    let w = svm.coef();
    println!(
        "linear SVM (C=1, tol=1e-4): fit {t:.3} s (best of 3), train acc {:.5}, |coef| {:.6}, intercept {:.6}, {:?}",
        acc(&svm.predict_classes(x.view().into())?),
        w.iter().map(|v| v * v).sum::<f64>().sqrt(),
        svm.intercept()[0],
        svm.solve_info()
    );

    let nb_p = SparseNbParams::default().check()?;
    let mut nb = None;
    let (t, _) = best(&mut || {
        nb = Some(nb_p.fit_csr(x.view(), &y).expect("fit"));
        0.0
    });
    let nb = nb.expect("fitted");
    println!(
        "naive Bayes (alpha=1): fit {t:.3} s (best of 3), train acc {:.5}",
        acc(&nb.predict_classes(x.view().into())?)
    );
    Ok(())
}
