//! Every fit of a feature set in a run goes through here: on a fold's training rows during cross-validation and
//! tuning, on all rows for the refit. Nothing else fits, which is what keeps test rows out of every vocabulary.

use stance_corpus::Dataset;
use stance_features::{Doc, Extracted, FeatureError, FeatureMatrix, FeatureSet, FittedFeatureSet};

/// Fits a feature set on the given rows of a dataset and on nothing else. Every fit in a run goes through here:
/// the training rows of a fold during cross-validation, all rows for the top-feature refit.
pub fn fit_on_rows(
    fs: &FeatureSet,
    ds: &Dataset,
    rows: &[usize],
) -> Result<FittedFeatureSet, FeatureError> {
    let docs: Vec<Doc<'_>> = rows
        .iter()
        .map(|&i| Doc {
            text: &ds.items[i].text,
            holder: ds.items[i].holder.as_deref(),
        })
        .collect();
    fs.fit(&docs)
}

/// Fits a variant on `train` and transforms `train` and `test`, from the run's extraction when there is one.
pub fn fit_transform(
    fs: &FeatureSet,
    extracted: Option<&Extracted>,
    ds: &Dataset,
    train: &[usize],
    test: &[usize],
) -> Result<(FittedFeatureSet, FeatureMatrix, FeatureMatrix), FeatureError> {
    match extracted {
        Some(ex) => {
            let fitted = fs.fit_extracted(ex, train)?;
            let x_train = fitted.transform_extracted(ex, train)?;
            let x_test = fitted.transform_extracted(ex, test)?;
            Ok((fitted, x_train, x_test))
        }
        None => {
            let fitted = fit_on_rows(fs, ds, train)?;
            let texts = |rows: &[usize]| -> Vec<&str> {
                rows.iter().map(|&i| ds.items[i].text.as_str()).collect()
            };
            let x_train = fitted.transform(&texts(train))?;
            let x_test = fitted.transform(&texts(test))?;
            Ok((fitted, x_train, x_test))
        }
    }
}
