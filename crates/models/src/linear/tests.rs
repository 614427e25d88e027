//! Pins against scikit-learn (constants from `scripts/crosscheck_linear.py`), determinism, validation, properties.

use super::bayes::SparseNbParams;
use super::logistic::SparseLogisticParams;
use super::sklearn_pins as pins;
use super::svm::SparseSvmParams;
use super::*;
use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use proptest::prelude::*;
use sprs::{CsMat, TriMat};

/// The matrix of `scripts/crosscheck_linear.py`, same formula.
fn pin_matrix() -> CsMat<f64> {
    let (n, d) = (60, 25);
    let mut t = TriMat::new((n, d));
    for i in 0..n {
        for j in 0..d {
            if (i * 3 + j * 5) % 4 == 0 {
                t.add_triplet(i, j, ((i * 7 + j * 13) % 11 + 1) as f64 / 4.0);
            }
        }
    }
    t.to_csr()
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}[{k}]: got {g}, scikit-learn {w} (tol {tol})"
        );
    }
}

fn flat<const N: usize, const M: usize>(a: &[[f64; N]; M]) -> Vec<f64> {
    a.iter().flatten().copied().collect()
}

fn first_rows(x: &CsMat<f64>, k: usize) -> CsMat<f64> {
    x.slice_outer(0..k).to_owned()
}

#[test]
fn logistic_matches_sklearn_liblinear_binary_and_ovr() {
    let x = pin_matrix();
    let x6 = first_rows(&x, 6);
    let cases = [
        (
            1.0,
            &pins::LR2_C1_COEF,
            &pins::LR2_C1_INTERCEPT,
            flat(&pins::LR2_C1_PROBA),
            &pins::LR3_C1_COEF,
            &pins::LR3_C1_INTERCEPT,
            flat(&pins::LR3_C1_PROBA),
        ),
        (
            0.1,
            &pins::LR2_C01_COEF,
            &pins::LR2_C01_INTERCEPT,
            flat(&pins::LR2_C01_PROBA),
            &pins::LR3_C01_COEF,
            &pins::LR3_C01_INTERCEPT,
            flat(&pins::LR3_C01_PROBA),
        ),
    ];
    for (c, coef2, icpt2, proba2, coef3, icpt3, proba3) in cases {
        let p = SparseLogisticParams {
            c,
            tol: 1e-10,
            max_iter: 1000,
            n_classes: None,
        }
        .check()
        .unwrap();
        // At tol 1e-10 TRON may instead stop on "reductions below 1e-12·|f|", as liblinear does; the weights are
        // what matters.
        let m = p.fit_csr(x.view(), &pins::Y2).unwrap();
        assert_close("LR2 coef", m.coef().as_slice().unwrap(), coef2, 1e-5);
        assert_close(
            "LR2 intercept",
            m.intercept().as_slice().unwrap(),
            icpt2,
            1e-5,
        );
        let pr = m.predict_proba(x6.view().into()).unwrap();
        assert_close("LR2 proba", pr.as_slice().unwrap(), &proba2, 1e-6);

        let m = p.fit_csr(x.view(), &pins::Y3).unwrap();
        assert_eq!(m.machine_classes(), &[0, 1, 2]);
        assert_close("LR3 coef", m.coef().as_slice().unwrap(), &flat(coef3), 1e-5);
        assert_close(
            "LR3 intercept",
            m.intercept().as_slice().unwrap(),
            icpt3,
            1e-5,
        );
        let pr = m.predict_proba(x6.view().into()).unwrap();
        assert_close("LR3 proba", pr.as_slice().unwrap(), &proba3, 1e-6);
    }
}

#[test]
fn svm_matches_sklearn_linear_svc() {
    let x = pin_matrix();
    let p = SparseSvmParams {
        tol: 1e-8,
        max_iter: 100_000,
        ..Default::default()
    }
    .check()
    .unwrap();
    let m = p.fit_csr(x.view(), &pins::Y2).unwrap();
    assert!(m.solve_info()[0].converged);
    assert_close(
        "SVC2 coef",
        m.coef().as_slice().unwrap(),
        &pins::SVC2_COEF,
        1e-3,
    );
    assert_close(
        "SVC2 intercept",
        m.intercept().as_slice().unwrap(),
        &pins::SVC2_INTERCEPT,
        1e-3,
    );
    let m = p.fit_csr(x.view(), &pins::Y3).unwrap();
    assert_close(
        "SVC3 coef",
        m.coef().as_slice().unwrap(),
        &flat(&pins::SVC3_COEF),
        1e-3,
    );
    assert_close(
        "SVC3 intercept",
        m.intercept().as_slice().unwrap(),
        &pins::SVC3_INTERCEPT,
        1e-3,
    );
}

/// The primal (trust-region Newton on the squared hinge, liblinear `-s 2`) reaches the optimum the dual reaches
/// and scikit-learn pinned.
#[test]
fn svm_primal_matches_sklearn_linear_svc() {
    let x = pin_matrix();
    let p = SparseSvmParams {
        tol: 1e-8,
        max_iter: 100_000,
        ..Default::default()
    }
    .check()
    .unwrap();
    let m = p
        .fit_primal(FeatureView::of_sparse(x.view()), &pins::Y2)
        .unwrap();
    assert!(m.solve_info()[0].converged);
    assert!(m.solve_info()[0].iterations < 50, "{:?}", m.solve_info());
    assert_close(
        "SVC2 coef",
        m.coef().as_slice().unwrap(),
        &pins::SVC2_COEF,
        1e-3,
    );
    assert_close(
        "SVC2 intercept",
        m.intercept().as_slice().unwrap(),
        &pins::SVC2_INTERCEPT,
        1e-3,
    );
    let m = p
        .fit_primal(FeatureView::of_sparse(x.view()), &pins::Y3)
        .unwrap();
    assert_close(
        "SVC3 coef",
        m.coef().as_slice().unwrap(),
        &flat(&pins::SVC3_COEF),
        1e-3,
    );
}

/// `auto` solves the primal on a tall matrix (60 rows, 24 columns) and the dual on a wide one (its first 12 rows).
#[test]
fn svm_auto_picks_the_primal_on_tall_and_the_dual_on_wide_matrices() {
    let x = pin_matrix();
    let p = SparseSvmParams::default().check().unwrap();
    let tall = FeatureView::of_sparse(x.view());
    assert_eq!(
        p.fit_auto(tall, &pins::Y2).unwrap(),
        p.fit_primal(tall, &pins::Y2).unwrap()
    );
    let few = first_rows(&x, 12);
    let wide = FeatureView::of_sparse(few.view());
    assert_eq!(
        p.fit_auto(wide, &pins::Y2[..12]).unwrap(),
        p.fit_rows(wide, &pins::Y2[..12]).unwrap()
    );
    assert_ne!(
        p.fit_primal(wide, &pins::Y2[..12]).unwrap(),
        p.fit_rows(wide, &pins::Y2[..12]).unwrap()
    );
}

#[test]
fn svm_without_shrinking_reaches_the_same_optimum() {
    let x = pin_matrix();
    let p = SparseSvmParams {
        tol: 1e-8,
        max_iter: 100_000,
        shrinking: false,
        ..Default::default()
    }
    .check()
    .unwrap();
    let m = p.fit_csr(x.view(), &pins::Y3).unwrap();
    assert_close(
        "SVC3 coef",
        m.coef().as_slice().unwrap(),
        &flat(&pins::SVC3_COEF),
        1e-3,
    );
}

#[test]
fn naive_bayes_matches_sklearn_multinomial_nb() {
    let x = pin_matrix();
    let x6 = first_rows(&x, 6);
    let p = SparseNbParams::default().check().unwrap();
    for (y, flp, prior, jll, proba) in [
        (
            &pins::Y2[..],
            flat(&pins::NB2_FEATURE_LOG_PROB),
            &pins::NB2_CLASS_LOG_PRIOR[..],
            flat(&pins::NB2_JLL),
            flat(&pins::NB2_PROBA),
        ),
        (
            &pins::Y3[..],
            flat(&pins::NB3_FEATURE_LOG_PROB),
            &pins::NB3_CLASS_LOG_PRIOR[..],
            flat(&pins::NB3_JLL),
            flat(&pins::NB3_PROBA),
        ),
    ] {
        let m = p.fit_csr(x.view(), y).unwrap();
        // scikit-learn stores classes × features.
        let got = m.feature_log_prob().t().iter().copied().collect::<Vec<_>>();
        assert_close("NB feature_log_prob", &got, &flp, 1e-12);
        assert_close(
            "NB class_log_prior",
            m.class_log_prior().as_slice().unwrap(),
            prior,
            1e-12,
        );
        let j = m.joint_log_likelihood(x6.view().into()).unwrap();
        assert_close("NB jll", j.as_slice().unwrap(), &jll, 1e-12);
        let pr = m.predict_proba(x6.view().into()).unwrap();
        assert_close("NB proba", pr.as_slice().unwrap(), &proba, 1e-12);
    }
}

#[test]
fn naive_bayes_refuses_negative_values_naming_the_column() {
    let mut t = TriMat::new((3, 4));
    t.add_triplet(0, 1, 1.0);
    t.add_triplet(1, 3, -0.5);
    t.add_triplet(2, 0, 2.0);
    let x: CsMat<f64> = t.to_csr();
    let err = SparseNbParams::default()
        .check()
        .unwrap()
        .fit_csr(x.view(), &[0, 1, 0])
        .unwrap_err();
    assert!(
        matches!(
            err,
            LinearError::NegativeFeature {
                column: 3,
                row: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("feature column 3"), "{err}");
}

#[test]
fn svm_same_seed_same_weights_other_seed_close() {
    let x = pin_matrix();
    let fit = |seed| {
        SparseSvmParams {
            seed,
            ..Default::default()
        }
        .check()
        .unwrap()
        .fit_csr(x.view(), &pins::Y3)
        .unwrap()
    };
    let (a, b, c) = (fit(7), fit(7), fit(8));
    assert_eq!(
        a.coef(),
        b.coef(),
        "same seed must give bit-identical weights"
    );
    assert_eq!(a.intercept(), b.intercept());
    assert_ne!(
        a.coef(),
        c.coef(),
        "the seed should matter at default tolerance"
    );
    let logistic = |()| {
        SparseLogisticParams::default()
            .check()
            .unwrap()
            .fit_csr(x.view(), &pins::Y3)
            .unwrap()
    };
    assert_eq!(logistic(()), logistic(()));
}

#[test]
fn invalid_parameters_are_refused_with_clear_messages() {
    let bad_c = SparseLogisticParams {
        c: 0.0,
        ..Default::default()
    };
    let e = bad_c.check().unwrap_err().to_string();
    assert!(e.contains("'c'") && e.contains("> 0"), "{e}");
    let e = SparseLogisticParams {
        tol: f64::NAN,
        ..Default::default()
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.contains("'tol'"), "{e}");
    let e = SparseSvmParams {
        max_iter: 0,
        ..Default::default()
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.contains("'max_iter'"), "{e}");
    let e = SparseSvmParams {
        c: f64::INFINITY,
        ..Default::default()
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.contains("'c'"), "{e}");
    let e = SparseNbParams {
        alpha: -1.0,
        n_classes: None,
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.contains("'alpha'"), "{e}");
    let e = SparseNbParams {
        alpha: 1.0,
        n_classes: Some(1),
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.contains("'n_classes'"), "{e}");
}

#[test]
fn data_errors_are_reported() {
    let x = pin_matrix();
    let p = SparseLogisticParams::default().check().unwrap();
    let one_class = vec![1usize; 60];
    assert!(matches!(
        p.fit_csr(x.view(), &one_class),
        Err(LinearError::TooFewClasses { found: 1, .. })
    ));
    assert!(matches!(
        p.fit_csr(x.view(), &[0, 1]),
        Err(LinearError::Shape { .. })
    ));
    let csc = x.to_csc();
    assert!(matches!(
        p.fit_csr(csc.view(), &pins::Y2),
        Err(LinearError::NotCsr { .. })
    ));
    let p3 = SparseLogisticParams {
        n_classes: Some(2),
        ..Default::default()
    }
    .check()
    .unwrap();
    assert!(matches!(
        p3.fit_csr(x.view(), &pins::Y3),
        Err(LinearError::ClassOutOfRange { target: 2, .. })
    ));
    let m = p.fit_csr(x.view(), &pins::Y2).unwrap();
    let narrow: CsMat<f64> = CsMat::zero((2, 3));
    assert!(matches!(
        m.decision_function(narrow.view().into()),
        Err(LinearError::Shape { .. })
    ));
}

#[test]
fn absent_classes_get_zero_probability_and_no_weights() {
    // Targets 0 and 2 of four classes: a binary machine for class 2 against class 0.
    // Thirds do not fit in f32, so every value rounds.
    let mut x = pin_matrix();
    x.data_mut().iter_mut().for_each(|v| *v /= 3.0);
    let y: Vec<usize> = pins::Y2.iter().map(|&c| c * 2).collect();
    let lr = SparseLogisticParams {
        n_classes: Some(4),
        ..Default::default()
    }
    .check()
    .unwrap()
    .fit_csr(x.view(), &y)
    .unwrap();
    let pr = lr.predict_proba(x.view().into()).unwrap();
    assert_eq!(pr.ncols(), 4);
    assert!(pr.column(1).iter().chain(pr.column(3)).all(|&v| v == 0.0));
    let w = lr.weights();
    assert_eq!(w.column(0), w.column(2).mapv(|v| -v));
    assert!(w.column(3).iter().all(|&v| v == 0.0));
    let d = lr.decision_function(x.view().into()).unwrap();
    assert!(d.column(1).iter().all(|v| *v == f64::NEG_INFINITY));
    let nb = SparseNbParams {
        alpha: 1.0,
        n_classes: Some(4),
    }
    .check()
    .unwrap()
    .fit_csr(x.view(), &y)
    .unwrap();
    let pr = nb.predict_proba(x.view().into()).unwrap();
    assert!(pr.column(3).iter().all(|&v| v == 0.0));
    assert!(nb
        .predict_classes(x.view().into())
        .unwrap()
        .iter()
        .all(|&c| c == 0 || c == 2));
}

#[test]
fn linfa_traits_fit_and_predict_over_a_borrowed_csr() {
    let x = pin_matrix();
    let ds = DatasetBase::new(
        Features(x.view().into()),
        ndarray::Array1::from(pins::Y2.to_vec()),
    );
    let p = SparseSvmParams::default().check().unwrap();
    let m = Fit::fit(&p, &ds).unwrap();
    let pred: ndarray::Array1<usize> = m.predict(&ds);
    assert_eq!(pred, m.predict_classes(x.view().into()).unwrap());
    let nb = Fit::fit(&SparseNbParams::default().check().unwrap(), &ds).unwrap();
    let pred: ndarray::Array1<usize> = nb.predict(&ds);
    assert_eq!(pred.len(), 60);
    let lr = Fit::fit(&SparseLogisticParams::default().check().unwrap(), &ds).unwrap();
    let pred: ndarray::Array1<usize> = lr.predict(&ds);
    let acc = pred.iter().zip(&pins::Y2).filter(|(a, b)| a == b).count();
    assert!(acc >= 45, "training accuracy {acc}/60");
}

fn random_problem() -> impl Strategy<Value = (CsMat<f64>, Vec<usize>, usize)> {
    (2usize..5, 4usize..30, 1usize..12).prop_flat_map(|(k, n, d)| {
        (
            proptest::collection::vec(proptest::option::weighted(0.4, 0.0f64..5.0), n * d),
            proptest::collection::vec(0..k, n),
            Just((k, n, d)),
        )
            .prop_filter_map("needs two classes", |(vals, y, (k, n, d))| {
                let mut seen = y.clone();
                seen.sort_unstable();
                seen.dedup();
                if seen.len() < 2 {
                    return None;
                }
                let mut t = TriMat::new((n, d));
                for (p, v) in vals.iter().enumerate() {
                    if let Some(v) = v {
                        t.add_triplet(p / d, p % d, *v);
                    }
                }
                Some((t.to_csr(), y, k))
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The solvers read packed rows; they must give exactly the unpacked rows' bits, or fitted weights would
    /// depend on whether the columns fit in 32 bits.
    #[test]
    fn packed_rows_compute_the_same_bits((x, _y, _k) in random_problem(), seed in 0u64..1000) {
        let wide = Rows::new(FeatureView::of_sparse(x.view()), "test").unwrap();
        let packed = wide.packed().expect("a small matrix fits in 32 bits");
        let tight = wide.with_packed(Some(&packed));
        let n = wide.ncols + 1;
        let w: Vec<f64> = (0..n).map(|j| ((j as u64 * 7919 + seed) % 97) as f64 / 13.0 - 3.0).collect();
        for i in 0..wide.nrows() {
            prop_assert_eq!(wide.dot(i, &w).to_bits(), tight.dot(i, &w).to_bits());
            prop_assert_eq!(wide.dot_split(i, &w).to_bits(), tight.dot_split(i, &w).to_bits());
            let (mut a, mut b) = (w.clone(), w.clone());
            wide.axpy(i, 0.37, &mut a);
            tight.axpy(i, 0.37, &mut b);
            let (mut c, mut d) = (w.clone(), w.clone());
            wide.add_squares(i, 1.9, &mut c);
            tight.add_squares(i, 1.9, &mut d);
            prop_assert!(a.iter().zip(&b).chain(c.iter().zip(&d)).all(|(p, q)| p.to_bits() == q.to_bits()));
        }
    }

    /// Four rows' dot products formed side by side must each be the bits of that row's own dot product, whatever
    /// the rows' lengths (equal, empty, repeated rows) and with or without packed entries.
    #[test]
    fn dots_of_four_rows_are_each_rows_own_dot((x, _y, _k) in random_problem(), seed in 0u64..1000,
                                               picks in proptest::collection::vec(0usize..1000, 4..24)) {
        let wide = Rows::new(FeatureView::of_sparse(x.view()), "test").unwrap();
        let packed = wide.packed().expect("a small matrix fits in 32 bits");
        let tight = wide.with_packed(Some(&packed));
        let w: Vec<f64> = (0..wide.ncols + 1).map(|j| ((j as u64 * 7919 + seed) % 97) as f64 / 13.0 - 3.0).collect();
        for quad in picks.chunks_exact(4) {
            let rows = [0, 1, 2, 3].map(|k| quad[k] % wide.nrows());
            for r in [wide, tight] {
                let got = r.dots(rows, &w);
                for (k, &i) in rows.iter().enumerate() {
                    prop_assert_eq!(got[k].to_bits(), r.dot(i, &w).to_bits());
                }
            }
        }
    }

    /// The dual SVM's dot product in four partial sums is the same sum as the in-order one up to rounding: within
    /// a few ulps of the sum of the terms' magnitudes (it fails if a term is dropped or counted twice).
    #[test]
    fn split_dot_is_the_dot_up_to_rounding((x, _y, _k) in random_problem(), seed in 0u64..1000) {
        let wide = Rows::new(FeatureView::of_sparse(x.view()), "test").unwrap();
        let packed = wide.packed().expect("a small matrix fits in 32 bits");
        let tight = wide.with_packed(Some(&packed));
        let w: Vec<f64> = (0..wide.ncols + 1).map(|j| ((j as u64 * 7919 + seed) % 97) as f64 / 13.0 - 3.0).collect();
        let abs_w: Vec<f64> = w.iter().map(|v| v.abs()).collect();
        for i in 0..wide.nrows() {
            let scale = tight.dot(i, &abs_w);
            let gap = (tight.dot_split(i, &w) - tight.dot(i, &w)).abs();
            prop_assert!(gap <= 1e-13 * scale.max(f64::MIN_POSITIVE), "row {}: gap {} at scale {}", i, gap, scale);
        }
    }

    /// The dual visits rows through permuted slots that carry each row's span, label, `Q_ii` and `α`; it must
    /// reach exactly the weights of the plain loop over permuted row numbers reading those from their own arrays
    /// (the loop it replaced, kept here as the reference), shrinking on or off, rows packed or not.
    #[test]
    fn dual_by_slots_keeps_the_bits_of_the_row_number_loop((x, y, _k) in random_problem(), seed in 0u64..1000,
                                                           shrinking in any::<bool>(), c in 0.05f64..20.0) {
        let wide = Rows::new(FeatureView::of_sparse(x.view()), "test").unwrap();
        let packed = wide.packed().expect("a small matrix fits in 32 bits");
        let tight = wide.with_packed(Some(&packed));
        let labels: Vec<f64> = y.iter().map(|&v| if v == 0 { 1.0 } else { -1.0 }).collect();
        let p = SparseSvmParams { c, seed, shrinking, max_iter: 300, ..Default::default() };
        for r in [wide, tight] {
            let row_sq: Vec<f64> = (0..r.nrows()).map(|i| r.sq_norm(i)).collect();
            let (got, info) = super::svm::dual_cd(r, &row_sq, &labels, &p, seed % 3);
            let (want, passes) = dual_by_row_numbers(r, &row_sq, &labels, &p, seed % 3);
            prop_assert_eq!(info.iterations, passes);
            prop_assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{:?} vs {:?}", got, want);
        }
    }

    #[test]
    fn predictions_stay_in_range_and_nb_probabilities_sum_to_one((x, y, k) in random_problem()) {
        let lr = SparseLogisticParams { n_classes: Some(k), ..Default::default() }.check().unwrap()
            .fit_csr(x.view(), &y).unwrap();
        let svm = SparseSvmParams { n_classes: Some(k), max_iter: 200, ..Default::default() }.check().unwrap()
            .fit_csr(x.view(), &y).unwrap();
        let nb = SparseNbParams { alpha: 0.5, n_classes: Some(k) }.check().unwrap()
            .fit_csr(x.view(), &y).unwrap();
        for pred in [lr.predict_classes(x.view().into()).unwrap(), svm.predict_classes(x.view().into()).unwrap(),
                     nb.predict_classes(x.view().into()).unwrap()] {
            prop_assert!(pred.iter().all(|&c| c < k && y.contains(&c)));
        }
        for pr in [nb.predict_proba(x.view().into()).unwrap(), lr.predict_proba(x.view().into()).unwrap()] {
            for r in pr.rows() {
                prop_assert!((r.sum() - 1.0).abs() < 1e-12, "row sums to {}", r.sum());
                prop_assert!(r.iter().all(|&p| (0.0..=1.0).contains(&p)));
            }
        }
    }
}

/// With a dense block beside the sparse one (an embedding beside n-grams), four rows' dot products formed side by
/// side must each still be the bits of that row's own dot product, packed or not, read from the interleaved quads
/// or not, for dense blocks of every width (the side-by-side dense sums must not regroup a row's terms).
#[test]
fn dots_of_four_rows_with_a_dense_block_are_each_rows_own_dot() {
    use ndarray::{s, Array2};
    use stance_matrix::FeatureMatrix;
    let n = 13;
    for d in [1usize, 3, 8, 37] {
        // Values that round in f32 and do not sum exactly, so a regrouped sum would show in the bits.
        let full = Array2::from_shape_fn((n, d + 4), |(i, j)| {
            if (i + j) % 4 == 0 {
                0.0
            } else {
                ((i * 37 + j * 11) % 29) as f64 / 7.0 - 2.1
            }
        });
        let m = FeatureMatrix::new(
            CsMat::csr_from_dense(full.slice(s![.., ..4]), 0.0),
            full.slice(s![.., 4..]).to_owned(),
        )
        .unwrap();
        let wide = Rows::new(m.view(), "test").unwrap();
        let packed = wide.packed().expect("a small matrix fits in 32 bits");
        let tight = wide.with_packed(Some(&packed));
        let mut quads = Vec::new();
        tight.quads_into(&mut quads);
        assert_eq!(quads.len(), n / 4 * 4 * d);
        let interleaved = tight.with_quads(Some(&quads));
        let w: Vec<f64> = (0..wide.ncols + 1)
            .map(|j| (j as f64 * 0.731).sin() * 3.0)
            .collect();
        for rows in [
            [0, 1, 2, 3],
            [8, 9, 10, 11],
            [12, 5, 5, 0],
            [7, 11, 3, 9],
            [1, 2, 3, 4],
        ] {
            for r in [wide, tight, interleaved] {
                let got = r.dots(rows, &w);
                for (k, &i) in rows.iter().enumerate() {
                    assert_eq!(
                        got[k].to_bits(),
                        r.dot(i, &w).to_bits(),
                        "width {d}, row {i}"
                    );
                }
            }
        }
    }
}

/// On a dense-only matrix the Gauss-Newton product walks whole quads of rows and reads their interleaved copy: it
/// must give the bits of the row-by-row product, with rows of no curvature (skipped) anywhere, and a row count
/// that leaves a partial quad.
#[test]
fn gauss_newton_product_by_quads_keeps_its_bits() {
    use ndarray::Array2;
    use stance_matrix::FeatureMatrix;
    let (n, d) = (23, 19);
    let full = Array2::from_shape_fn((n, d), |(i, j)| ((i * 13 + j * 7) % 31) as f64 / 9.0 - 1.7);
    let m = FeatureMatrix::dense(full);
    let plain = Rows::new(m.view(), "test").unwrap();
    let packed = plain.packed().unwrap();
    let tight = plain.with_packed(Some(&packed));
    let mut quads = Vec::new();
    tight.quads_into(&mut quads);
    let interleaved = tight.with_quads(Some(&quads));
    assert!(interleaved.dense_quads_only() && !tight.dense_quads_only());
    let v: Vec<f64> = (0..d + 1).map(|j| (j as f64 * 1.37).cos()).collect();
    // Curvatures with zeros: a whole quad (4..8), single rows, and the partial quad's last row.
    let c: Vec<f64> = (0..n)
        .map(|i| {
            if (4..8).contains(&i) || i % 5 == 2 || i == n - 1 {
                0.0
            } else {
                0.1 + i as f64 / 17.0
            }
        })
        .collect();
    let mut a = vec![0.0; d + 1];
    let mut b = vec![0.0; d + 1];
    super::tron::gauss_newton_product(tight, &c, &v, &mut a);
    super::tron::gauss_newton_product(interleaved, &c, &v, &mut b);
    assert_eq!(
        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    let mut margins_a = vec![0.0; n];
    let mut margins_b = vec![0.0; n];
    tight.margins(&v, &mut margins_a);
    interleaved.margins(&v, &mut margins_b);
    assert_eq!(
        margins_a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        margins_b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
}

/// A dense block is the same features as its CSR copy: every model fits the same machine from either (the sparse
/// copy stores the non-zeros in column order, the dense block sums in column order, so the arithmetic agrees), and
/// a matrix split into a sparse block and a dense block fits like the whole matrix stored sparse.
#[test]
fn a_dense_block_fits_like_the_same_values_stored_sparse() {
    use ndarray::{s, Array2};
    use stance_matrix::FeatureMatrix;
    let n = 60;
    let d = 7;
    // Deterministic values, some negative (embeddings are), some exactly zero.
    let full = Array2::from_shape_fn((n, d), |(i, j)| {
        let v = ((i * 31 + j * 17) % 23) as f64 / 11.0 - 1.0;
        if (i + j) % 5 == 0 {
            0.0
        } else {
            v
        }
    });
    let y: Vec<usize> = (0..n)
        .map(|i| usize::from(full[[i, 0]] + 0.3 * full[[i, 3]] > 0.0))
        .collect();
    let as_csr = CsMat::csr_from_dense(full.view(), 0.0);
    let dense = FeatureMatrix::dense(full.clone());
    let split = FeatureMatrix::new(
        CsMat::csr_from_dense(full.slice(s![.., ..3]), 0.0),
        full.slice(s![.., 3..]).to_owned(),
    )
    .unwrap();
    let lr = SparseLogisticParams::default().check().unwrap();
    let svm = SparseSvmParams::default().check().unwrap();
    let close = |a: &Array2<f64>, b: &Array2<f64>| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-12 * (1.0 + x.abs()))
    };
    for m in [&dense, &split] {
        let a = lr.fit_csr(as_csr.view(), &y).unwrap();
        let b = lr.fit_rows(m.view(), &y).unwrap();
        assert!(
            close(&a.coef(), &b.coef()),
            "{:?} vs {:?}",
            a.coef(),
            b.coef()
        );
        assert!(close(
            &a.predict_proba(as_csr.view().into()).unwrap(),
            &b.predict_proba(m.view()).unwrap()
        ));
        let a = svm.fit_csr(as_csr.view(), &y).unwrap();
        let b = svm.fit_rows(m.view(), &y).unwrap();
        assert!(
            close(&a.coef(), &b.coef()),
            "{:?} vs {:?}",
            a.coef(),
            b.coef()
        );
    }
    // Naive Bayes refuses the negative values wherever they sit, naming the column.
    let nb = SparseNbParams::default().check().unwrap();
    let err = nb.fit_rows(split.view(), &y).unwrap_err();
    assert!(matches!(err, LinearError::NegativeFeature { .. }), "{err}");
    // And fits a non-negative dense block as the same counts stored sparse.
    let counts = full.mapv(f64::abs);
    let a = nb
        .fit_csr(CsMat::csr_from_dense(counts.view(), 0.0).view(), &y)
        .unwrap();
    let b = nb
        .fit_rows(FeatureMatrix::dense(counts).view(), &y)
        .unwrap();
    assert!(close(a.feature_log_prob(), b.feature_log_prob()));
}

/// The logistic and SVM solvers read every stored value through [`stored`] (rounded to `f32`), in fit and in
/// predict, packed or not: a matrix whose values were rounded to `f32` beforehand fits and predicts the same bits
/// as the original. Fails if any read path (dot, axpy, squares, norms, dense block) uses the unrounded value.
#[test]
fn solvers_read_values_rounded_to_f32() {
    // Thirds do not fit in f32, so every value rounds.
    let mut x = pin_matrix();
    x.data_mut().iter_mut().for_each(|v| *v /= 3.0);
    let y: Vec<usize> = (0..x.rows()).map(|i| (i * 7 + i / 3) % 3).collect();
    let mut rounded = x.clone();
    rounded
        .data_mut()
        .iter_mut()
        .for_each(|v| *v = f64::from(*v as f32));
    assert!(
        x.data().iter().zip(rounded.data()).any(|(a, b)| a != b),
        "the pin matrix must have values that round"
    );
    let bits = |a: ndarray::Array2<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let lr = SparseLogisticParams {
        n_classes: Some(3),
        ..Default::default()
    }
    .check()
    .unwrap();
    let (a, b) = (
        lr.fit_csr(x.view(), &y).unwrap(),
        lr.fit_csr(rounded.view(), &y).unwrap(),
    );
    assert_eq!(bits(a.weights()), bits(b.weights()));
    assert_eq!(
        bits(a.predict_proba(x.view().into()).unwrap()),
        bits(b.predict_proba(rounded.view().into()).unwrap())
    );
    let svm = SparseSvmParams {
        n_classes: Some(3),
        ..Default::default()
    }
    .check()
    .unwrap();
    for primal in [false, true] {
        let fit = |m: &CsMat<f64>| match primal {
            false => svm.fit_csr(m.view(), &y).unwrap(),
            true => svm.fit_primal(m.view().into(), &y).unwrap(),
        };
        let (a, b) = (fit(&x), fit(&rounded));
        assert_eq!(bits(a.weights()), bits(b.weights()));
        assert_eq!(
            bits(a.decision_function(x.view().into()).unwrap()),
            bits(b.decision_function(rounded.view().into()).unwrap())
        );
    }
}

/// The dual coordinate descent as it was before the slots: row numbers permuted, each row's label, `Q_ii` and `α`
/// read from arrays indexed by row. The reference for `dual_by_slots_keeps_the_bits_of_the_row_number_loop`.
fn dual_by_row_numbers(
    rows: Rows<'_>,
    row_sq: &[f64],
    labels: &[f64],
    p: &SparseSvmParams,
    stream: u64,
) -> (Vec<f64>, usize) {
    use rand::{Rng, SeedableRng};
    let (l, b) = (rows.nrows(), rows.ncols);
    let diag = 0.5 / p.c;
    let qd: Vec<f64> = row_sq.iter().map(|s| s + 1.0 + diag).collect();
    let mut alpha = vec![0.0; l];
    let mut w = vec![0.0; b + 1];
    let mut index: Vec<usize> = (0..l).collect();
    let mut active = l;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(p.seed);
    rng.set_stream(stream);
    let mut pg_max_old = f64::INFINITY;
    let mut passes = 0;
    while passes < p.max_iter {
        for k in 0..active {
            let j = rng.gen_range(k..active);
            index.swap(k, j);
        }
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut s = 0;
        while s < active {
            let i = index[s];
            let g = labels[i] * (rows.dot_split(i, &w) + w[b]) - 1.0 + alpha[i] * diag;
            let pg = if alpha[i] == 0.0 {
                if p.shrinking && g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                }
                g.min(0.0)
            } else {
                g
            };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                rows.axpy(i, (alpha[i] - old) * labels[i], &mut w);
            }
            s += 1;
        }
        passes += 1;
        if pg_max - pg_min <= p.tol {
            if active == l {
                break;
            }
            active = l;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
    }
    (w, passes)
}
