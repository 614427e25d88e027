//! Fuzz tests of `stance merge`: whatever a set of shard files holds, the merge refuses it with an error naming a
//! file (or saying which shards are missing), or finishes the run, and never panics, runs out of memory or accepts
//! a shard whose experiment text is not the one its predictions came from.
//!
//! A shard file carries a trailer that catches a cut or hand-edited body, so mutating values alone mostly reaches
//! the trailer check. These tests also re-seal each mutated file (recompute the trailer, and half of the time the
//! experiment text's sha256), as a determined edit would: then only the file's own checks and the merge's checks
//! of tasks against the plan stand between the edit and the evaluation. The starting point is a real two-shard run
//! of a small gold-data experiment; one of its files is mutated with `stance_testkit`'s JSON edits (which include
//! shard counts of 0 and `u64::MAX`, indices past the count, emptied or grown lists) or byte edits. Each case runs a
//! whole merge when the files pass, so the default case count is an eighth of `STANCE_FUZZ_CASES`.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use stance_eval::run::RunOptions;
use stance_testkit::{apply, apply_json, edit, json_edit};

const EXPERIMENT: &str = r#"
name = "fuzz"
seed = 1
bootstrap = 0
[data]
source = "gold"
seeds = "../seeds"
labels = "../labels/gold.csv"
classes = ["support", "oppose"]
[evaluation]
scheme = "stratified-kfold"
k = 3
[[features]]
name = "lexicon"
extractors = [{ type = "lexicon" }]
[[classifiers]]
type = "naive-bayes"
[[classifiers]]
type = "majority"
"#;

fn harness() -> HarnessInfo {
    HarnessInfo {
        version: "fuzz".into(),
        git_commit: None,
    }
}

/// The two shard files of one run, as JSON.
fn bases() -> &'static [Value; 2] {
    static BASES: OnceLock<[Value; 2]> = OnceLock::new();
    BASES.get_or_init(|| {
        let path = stance_testkit::at_root("experiments/fuzz-shard.toml");
        let exp = Experiment::from_source(EXPERIMENT, Some(&path)).unwrap();
        let data = exp.load_data().unwrap();
        let plan = exp.plan().unwrap();
        let shard = |index| {
            let id = ShardId { index, count: 2 };
            let opts = RunOptions { progress: None };
            let run = stance_eval::partition::run_shard(&plan, &data.dataset, id, &opts).unwrap();
            let file = ShardFile::new(&exp, EXPERIMENT.into(), &data, &plan, harness(), id, run);
            serde_json::to_value(&file).unwrap()
        };
        [shard(0), shard(1)]
    })
}

/// `v` with its trailer recomputed (and, when `text_too`, the experiment's sha256 from its text), when it reads
/// as a shard file at all.
fn reseal(v: &Value, text_too: bool) -> Value {
    let Ok(mut file) = serde_json::from_value::<ShardFile>(v.clone()) else {
        return v.clone();
    };
    file.end = trailer(&file.outputs);
    file.tasks = file.outputs.iter().map(|o| o.task).collect();
    if text_too {
        file.experiment.sha256 = sha256_hex(file.experiment.text.as_bytes());
    }
    serde_json::to_value(&file).unwrap()
}

/// What `stance merge` does with two shard files: every refusal names a shard file or the missing shards.
fn merge_both(first: &[u8], second: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let paths = [dir.path().join("a.json"), dir.path().join("b.json")];
    fs::write(&paths[0], first).unwrap();
    fs::write(&paths[1], second).unwrap();
    match merge(&paths, &harness(), &SystemOptions::default()) {
        Ok(merged) => {
            // Whatever merged is the run the shards' text describes.
            assert_eq!(
                merged.experiment.source.sha256,
                sha256_hex(EXPERIMENT.as_bytes())
            );
        }
        Err(e) => {
            let m = stance_core::errors::chain(&e);
            let named = paths.iter().any(|p| m.contains(&p.display().to_string()));
            assert!(
                named || m.starts_with("missing shard") || m.starts_with("shard "),
                "{m}"
            );
            assert!(m.len() < 6000, "a long message: {}", m.len());
        }
    }
}

fn shard_pair() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let edited = prop_oneof![
        4 => (0..2usize, prop::collection::vec(json_edit(), 1..4), any::<bool>()).prop_map(|(b, e, text)| {
            (b, serde_json::to_vec(&reseal(&apply_json(&bases()[b], &e), text)).unwrap())
        }),
        1 => (0..2usize, prop::collection::vec(json_edit(), 1..4)).prop_map(|(b, e)| {
            (b, serde_json::to_vec(&apply_json(&bases()[b], &e)).unwrap())
        }),
        1 => (0..2usize, prop::collection::vec(edit(), 1..4)).prop_map(|(b, e)| {
            (b, apply(&serde_json::to_vec(&bases()[b]).unwrap(), &e))
        }),
    ];
    edited.prop_map(|(b, bytes)| {
        let other = serde_json::to_vec(&bases()[1 - b]).unwrap();
        if b == 0 {
            (bytes, other)
        } else {
            (other, bytes)
        }
    })
}

#[test]
fn the_unedited_shards_merge() {
    let [a, b] = bases();
    merge_both(
        &serde_json::to_vec(a).unwrap(),
        &serde_json::to_vec(b).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.json");
    fs::write(&p, serde_json::to_vec(&reseal(a, false)).unwrap()).unwrap();
    let q = dir.path().join("b.json");
    fs::write(&q, serde_json::to_vec(b).unwrap()).unwrap();
    merge(&[p, q], &harness(), &SystemOptions::default()).unwrap();
}

/// The issue's accepted-though-wrong shard sets: "shard 0 of 0", a count of 10^12, and two shards whose experiment
/// text was edited alike (stale sha256). Each is refused naming the file and the field.
#[test]
fn finding_shard_zero_of_zero_a_huge_count_and_an_edited_text_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &Value| {
        let p = dir.path().join(name);
        fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
        p
    };
    let mut zero = bases()[0].clone();
    zero["shard"] = serde_json::json!({"index": 0, "count": 0});
    let e = merge(
        &[write("z.json", &zero)],
        &harness(),
        &SystemOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("z.json: not a stance shard file") && e.contains("shard 0 of 0"),
        "{e}"
    );
    assert!(e.contains("COUNT must be at least 1"), "{e}");
    let mut huge = bases()[0].clone();
    huge["shard"] = serde_json::json!({"index": 0, "count": 1_000_000_000_000u64});
    let e = merge(
        &[write("h.json", &huge)],
        &harness(),
        &SystemOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("h.json") && e.contains("more than 100000 shards"),
        "{e}"
    );
    let edited: Vec<_> = bases()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut v = v.clone();
            let text = v["experiment"]["text"]
                .as_str()
                .unwrap()
                .replace("seed = 1", "seed = 2");
            v["experiment"]["text"] = Value::from(text);
            write(&format!("e{i}.json"), &v)
        })
        .collect();
    let e = merge(&edited, &harness(), &SystemOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("e0.json") && e.contains("its experiment text has sha256"),
        "{e}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: (stance_testkit::cases() / 8).max(1),
        ..stance_testkit::config()
    })]

    #[test]
    fn the_merge_never_panics(pair in shard_pair()) {
        merge_both(&pair.0, &pair.1);
    }
}
