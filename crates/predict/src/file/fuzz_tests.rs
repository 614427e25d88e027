//! Fuzz tests of the model file reader: whatever a model file holds, `stance predict --model` refuses it with an
//! error naming the file, or loads it and labels statements, and never panics.
//!
//! The checksum stops an edit made by hand or by a damaged copy, so mutating bytes alone only ever reaches the
//! checksum. These tests also re-seal each mutated file (recompute its `sha256` the way loading does), which is what
//! a determined edit does: then only the file's own consistency checks stand between the edit and the model code (a
//! cut coefficient vector once panicked on an ndarray slice, a one-class list beside a two-class classifier in
//! `label`). The starting points are real model files of every classifier type and of sparse, dense-scaled and
//! masked feature sets; the edits are `stance_testkit`'s JSON edits (values replaced by wrong types, edge numbers,
//! short lists; fields removed; lists truncated or grown) and byte edits. Case count: `STANCE_FUZZ_CASES`.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use stance_testkit::{apply, apply_json, config, edit, json_edit};

/// Valid model files: every classifier type on sparse features, dense-scaled features and masked ones.
fn bases() -> &'static Vec<Vec<u8>> {
    static BASES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    BASES.get_or_init(|| {
        let exp = Experiment::load(&stance_testkit::at_root("experiments/default.toml")).unwrap();
        let data = exp.load_data().unwrap().dataset;
        let harness = HarnessInfo {
            version: "fuzz".into(),
            git_commit: None,
        };
        [
            "words + logistic",
            "lexicon + naive-bayes",
            "shape + linear-svm",
            "words-masked + decision-tree",
            "words+lexicon+negation+shape + logistic",
            "chars + naive-bayes",
            "majority",
            "stratified-random",
        ]
        .iter()
        .map(|config| {
            let m = TrainedModel::train_config(&exp, &data, config).unwrap();
            to_bytes(&m, &model_info(&m, &exp, &data, harness.clone())).unwrap()
        })
        .collect()
    })
}

/// `bytes` with its `sha256` recomputed as loading computes it, when its model parses at all (otherwise as is).
fn reseal(bytes: &[u8]) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<Value>(bytes) else {
        return bytes.to_vec();
    };
    let Some(body) = v.get("model").cloned() else {
        return bytes.to_vec();
    };
    let Ok(body) = serde_json::from_value::<BodyIn>(body) else {
        return bytes.to_vec();
    };
    let Ok(again) = serde_json::to_vec(&BodyOut {
        info: &body.info,
        features: body.features.as_ref(),
        classifier: body.classifier.clone(),
    }) else {
        return bytes.to_vec();
    };
    if let Some(slot) = v.get_mut("sha256") {
        *slot = Value::from(sha256_hex(&again));
    }
    serde_json::to_vec(&v).unwrap()
}

const TEXTS: [&str; 4] = [
    "Allow Kyiv to strike, it is self-defense",
    "Escalation risks a world war.",
    "",
    "NATO NATO NATO lift the restrictions now",
];

/// What `stance predict --model` does with a file's bytes: load, then label; every refusal names the file.
fn load_and_label(bytes: &[u8]) {
    let path = Path::new("fuzz-model.json");
    match from_bytes(bytes, path) {
        Ok(loaded) => {
            let _ = loaded.model.predict(&TEXTS);
            if let Ok(labelled) = loaded.model.label(&TEXTS, 5) {
                for l in labelled {
                    assert!(loaded.model.classes().contains(&l.class));
                }
            }
        }
        Err(e) => {
            let m = stance_core::errors::chain(&e);
            assert!(m.contains("fuzz-model.json"), "{m}");
            assert!(m.len() < 6000, "a long message: {m}");
        }
    }
}

fn model_bytes() -> impl Strategy<Value = Vec<u8>> {
    let n = bases().len();
    prop_oneof![
        6 => (0..n, prop::collection::vec(json_edit(), 1..4)).prop_map(|(b, e)| {
            let v: Value = serde_json::from_slice(&bases()[b]).unwrap();
            reseal(&serde_json::to_vec(&apply_json(&v, &e)).unwrap())
        }),
        1 => (0..n, prop::collection::vec(json_edit(), 1..4)).prop_map(|(b, e)| {
            let v: Value = serde_json::from_slice(&bases()[b]).unwrap();
            serde_json::to_vec(&apply_json(&v, &e)).unwrap()
        }),
        1 => (0..n, prop::collection::vec(edit(), 1..4)).prop_map(|(b, e)| apply(&bases()[b], &e)),
    ]
}

#[test]
fn resealing_an_unedited_file_changes_nothing_it_loads() {
    for b in bases() {
        let again = reseal(b);
        let (x, y) = (
            from_bytes(b, Path::new("a.json")).unwrap(),
            from_bytes(&again, Path::new("b.json")).unwrap(),
        );
        assert_eq!(x.info, y.info);
        assert_eq!(
            x.model.predict(&TEXTS).unwrap(),
            y.model.predict(&TEXTS).unwrap()
        );
    }
}

/// The two re-sealed files: a coefficient vector cut short (its shape made to agree), and a class list of
/// one class beside a two-class classifier. Both panicked before the consistency checks.
#[test]
fn finding_resealed_files_with_a_cut_coefficient_vector_or_one_class_are_refused() {
    let v: Value = serde_json::from_slice(&bases()[0]).unwrap();
    let mut cut = v.clone();
    let coef = cut
        .pointer_mut("/model/classifier/model/machines/coef")
        .expect("a logistic model's coefficients");
    let cols = coef["dim"][1].as_u64().unwrap();
    coef["dim"] = serde_json::json!([1, cols - 1]);
    let data = coef["data"].as_array_mut().unwrap();
    data.pop();
    let e = stance_core::errors::chain(
        &from_bytes(
            &reseal(&serde_json::to_vec(&cut).unwrap()),
            Path::new("m.json"),
        )
        .unwrap_err(),
    );
    assert!(
        e.starts_with("m.json: damaged model file: model.classifier: "),
        "{e}"
    );
    assert!(e.contains("coefficients are 1 ×"), "{e}");

    let mut one = v.clone();
    for field in ["classes", "class_counts"] {
        one.pointer_mut(&format!("/model/info/{field}"))
            .and_then(Value::as_array_mut)
            .unwrap()
            .truncate(1);
    }
    let e = stance_core::errors::chain(
        &from_bytes(
            &reseal(&serde_json::to_vec(&one).unwrap()),
            Path::new("m.json"),
        )
        .unwrap_err(),
    );
    assert!(
        e.contains("m.json: damaged model file: model.info.classes"),
        "{e}"
    );
    for b in bases() {
        load_and_label(b);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_model_file_reader_never_panics(bytes in model_bytes()) {
        load_and_label(&bytes);
    }
}
