//! `stance run --shard` and `stance merge`: a run split over concurrent processes merges into the very report a
//! single run writes; a set of shards that is not exactly one run is refused, naming the file, with nothing written.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Child, Stdio};

use crate::workdir::Workdir;

/// Every environment variable `--shard auto` reads, removed from every command so the tests' own environment (a
/// CI runner inside Slurm, say) cannot leak in.
const SHARD_VARS: [&str; 6] = [
    "STANCE_SHARD_INDEX",
    "STANCE_SHARD_COUNT",
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_COUNT",
];

/// Every file under `dir` (relative path → bytes), timings.json aside.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if rel != "timings.json" {
                    out.insert(rel, fs::read(&path).expect("read file"));
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same_folder(a: &Path, b: &Path) {
    let (fa, fb) = (folder(a), folder(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "{} and {} hold different files",
        a.display(),
        b.display()
    );
    for (name, bytes) in &fa {
        assert!(
            *bytes == fb[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert!(fa.contains_key("report.json") && fa.contains_key("charts/leaderboard.png"));
}

/// Starts `stance run EXPERIMENT --shard i/n` for every i at once (concurrent processes, as a scheduler would).
fn spawn_shards(wd: &Workdir, experiment: &str, n: usize, dir: &str) -> Vec<Child> {
    (0..n)
        .map(|i| {
            let spec = format!("{i}/{n}");
            let mut cmd = wd.command(&[
                "run", experiment, "--shard", &spec, "--out", dir, "-q", "--jobs", "1",
            ]);
            for v in SHARD_VARS {
                cmd.env_remove(v);
            }
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect()
}

fn wait_all(children: Vec<Child>) {
    for c in children {
        let out = c.wait_with_output().expect("the shard runs");
        assert!(
            out.status.success(),
            "a shard failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn run_shards(wd: &Workdir, experiment: &str, n: usize, dir: &str) {
    wait_all(spawn_shards(wd, experiment, n, dir));
}

#[test]
fn sharded_runs_merge_into_the_single_runs_report_byte_for_byte() {
    let wd = Workdir::with_repo_data();
    for name in ["default", "ablation"] {
        let exp = format!("experiments/{name}.toml");
        wd.run(&["run", &exp, "-q", "--out", &format!("single-{name}")])
            .ok();
        for n in [1, 2, 3] {
            let shards = format!("shards-{name}-{n}");
            run_shards(&wd, &exp, n, &shards);
            for i in 0..n {
                assert!(wd
                    .path()
                    .join(&shards)
                    .join(format!("shard-{i}-of-{n}.json"))
                    .is_file());
            }
            let merged = format!("merged-{name}-{n}");
            wd.run(&["merge", &shards, "--out", &merged])
                .ok()
                .stdout_has("rank")
                .stdout_has(&format!("wrote {merged}/"));
            assert_same_folder(
                &wd.path().join(format!("single-{name}")),
                &wd.path().join(&merged),
            );
        }
    }
    // The gate reads a merged report like any other: as a baseline, the same experiment passes against it.
    wd.run(&[
        "check",
        "experiments/default.toml",
        "--baseline",
        "merged-default-3/report.json",
        "--out",
        "checked",
        "-q",
    ])
    .ok();
}

/// A run too large for report.json (3,000 items × 30 repeats × 3 configurations = 270,000 predictions) merges from
/// three shards into the single run's folder byte for byte: the merge streams the shard files and keeps the class
/// probabilities in a spill file (the single run keeps them in memory), and both write the same
/// predictions.csv.gz, report.json (predictions left out) and report.md (whose error analysis reads the
/// probabilities back). Covers models without probabilities (linear SVM) and the bootstrap.
#[test]
fn a_run_too_large_for_report_json_merges_byte_for_byte() {
    let wd = Workdir::new();
    let mut csv = String::from("id,text,stance\n");
    for i in 0..3000 {
        let stance = if i % 3 == 0 { "con" } else { "pro" };
        csv.push_str(&format!(
            "r{i},w{} w{} w{} x{},{stance}\n",
            i % 50,
            i % 37,
            i % 3,
            i % 7
        ));
    }
    wd.write("big.csv", csv);
    wd.write(
        "big.toml",
        r#"name = "big"
seed = 5
bootstrap = 100

[data]
source = "csv"
path = "big.csv"
text = "text"
label = "stance"
id = "id"
classes = ["pro", "con"]

[evaluation]
scheme = "stratified-kfold"
k = 2
repeats = 30

[[features]]
name = "words"
extractors = [{ type = "word-ngrams", weighting = "binary" }]

[[classifiers]]
type = "naive-bayes"

[[classifiers]]
type = "linear-svm"

[[classifiers]]
type = "majority"
"#,
    );
    wd.run(&["run", "big.toml", "-q", "--out", "single"]).ok();
    run_shards(&wd, "big.toml", 3, "shards");
    wd.run(&["merge", "shards", "--out", "merged", "-q"]).ok();
    assert!(wd.path().join("single/predictions.csv.gz").is_file());
    assert!(wd
        .read("single/report.json")
        .contains("\"predictions_omitted\": true"));
    assert!(wd.read("single/report.md").contains("## Error analysis"));
    assert_same_folder(&wd.path().join("single"), &wd.path().join("merged"));
}

#[test]
fn shard_auto_reads_the_schedulers_variables() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "-q", "--out", "single"]).ok();
    // Kubernetes Indexed Job: JOB_COMPLETION_INDEX plus the count we ask for; Slurm array counted from 1; and the
    // explicit pair (CI matrix). Each scheme's shards run concurrently.
    let schemes: [&[(&str, &str)]; 3] = [
        &[("STANCE_SHARD_COUNT", "2")],
        &[
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ],
        &[("STANCE_SHARD_COUNT", "2")],
    ];
    let index_vars = [
        "JOB_COMPLETION_INDEX",
        "SLURM_ARRAY_TASK_ID",
        "STANCE_SHARD_INDEX",
    ];
    let first_index = [0, 1, 0];
    for (s, (fixed, index_var)) in schemes.iter().zip(index_vars).enumerate() {
        let dir = format!("auto-{s}");
        let children: Vec<Child> = (0..2)
            .map(|i| {
                let mut cmd =
                    wd.command(&["run", "--shard", "auto", "--out", &dir, "-q", "--jobs", "1"]);
                for v in SHARD_VARS {
                    cmd.env_remove(v);
                }
                cmd.envs(fixed.iter().copied())
                    .env(index_var, (first_index[s] + i).to_string());
                cmd.stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("the binary starts")
            })
            .collect();
        wait_all(children);
        let merged = format!("merged-{s}");
        wd.run(&["merge", &dir, "--out", &merged]).ok();
        assert_same_folder(&wd.path().join("single"), &wd.path().join(&merged));
    }

    let auto = |vars: &[(&str, &str)]| {
        let mut cmd = wd.command(&["run", "--shard", "auto", "--out", "never", "-q"]);
        for v in SHARD_VARS {
            cmd.env_remove(v);
        }
        let out = cmd.envs(vars.iter().copied()).output().expect("runs");
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(auto(&[])
        .contains("none of STANCE_SHARD_INDEX, JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID"));
    assert!(auto(&[("JOB_COMPLETION_INDEX", "1")]).contains("STANCE_SHARD_COUNT is not"));
    assert!(
        auto(&[("STANCE_SHARD_INDEX", "2"), ("STANCE_SHARD_COUNT", "2")]).contains(
            "STANCE_SHARD_INDEX=2, STANCE_SHARD_COUNT=2: the index must be below the count"
        )
    );
    wd.run(&["run", "--shard", "2/2", "--out", "never", "-q"])
        .code(2)
        .stderr_has("--shard '2/2'");
    assert!(!wd.path().join("never").exists());
}

/// A labelled CSV small enough to shard in a blink; `flip` changes one label (other data, same experiment).
fn csv(flip: bool) -> String {
    let mut s = String::from("id,text,stance\n");
    let pro = [
        "lift the limits",
        "strike back now",
        "the limits must go",
        "allow the strikes",
    ];
    let con = [
        "keep the limits",
        "escalation is dangerous",
        "no strikes",
        "a wider war helps nobody",
    ];
    for (i, t) in pro.iter().enumerate() {
        let label = if flip && i == 0 { "con" } else { "pro" };
        s.push_str(&format!("p{i},{t},{label}\n"));
    }
    for (i, t) in con.iter().enumerate() {
        s.push_str(&format!("c{i},{t},con\n"));
    }
    s
}

fn csv_experiment(seed: u64) -> String {
    format!(
        r#"name = "tiny"
seed = {seed}
bootstrap = 100

[data]
source = "csv"
path = "data.csv"
text = "text"
label = "stance"
id = "id"
classes = ["pro", "con"]

[evaluation]
scheme = "stratified-kfold"
k = 2
repeats = 2

[[features]]
name = "words"
extractors = [{{ type = "word-ngrams", ngram = [1, 1] }}]

[[classifiers]]
type = "naive-bayes"

[[classifiers]]
type = "majority"
"#
    )
}

/// Merges and expects a refusal: exit 2, the message has every needle, and nothing is written.
fn refused(wd: &Workdir, shards: &[&str], needles: &[&str]) {
    let mut args = vec!["merge"];
    args.extend_from_slice(shards);
    args.extend_from_slice(&["--out", "merged"]);
    let run = wd.run(&args);
    run.code(2);
    for n in needles {
        run.stderr_has(n);
    }
    assert!(
        !wd.path().join("merged").exists(),
        "a refused merge wrote its folder"
    );
}

fn edit_json(wd: &Workdir, rel: &str, edit: impl Fn(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_str(&wd.read(rel)).unwrap();
    edit(&mut v);
    wd.write(rel, serde_json::to_vec(&v).unwrap());
}

#[test]
fn shards_that_are_not_exactly_one_run_are_refused_naming_the_file() {
    let wd = Workdir::new();
    wd.write("data.csv", csv(false));
    wd.write("exp.toml", csv_experiment(1));
    run_shards(&wd, "exp.toml", 3, "s");
    wd.run(&["merge", "s", "--out", "ok"]).ok();
    let (s0, s1, s2) = (
        "s/shard-0-of-3.json",
        "s/shard-1-of-3.json",
        "s/shard-2-of-3.json",
    );

    // Missing and duplicate shards.
    refused(
        &wd,
        &[s0, s2],
        &["missing shard(s) 1/3", "shard-1-of-3.json"],
    );
    refused(&wd, &[s0, s1, s2, s1], &["shard 1/3 is given twice", s1]);
    fs::copy(wd.path().join(s1), wd.path().join("copy-of-1.json")).unwrap();
    refused(
        &wd,
        &[s0, s1, s2, "copy-of-1.json"],
        &["given twice", "copy-of-1.json"],
    );

    // A truncated file, a file that is not a shard, a trailer that does not match the body.
    let bytes = wd.read_bytes(s1);
    for cut in [bytes.len() - 2, bytes.len() / 2, 1, 0] {
        wd.write("cut/shard-1-of-3.json", &bytes[..cut]);
        refused(
            &wd,
            &[s0, "cut/shard-1-of-3.json", s2],
            &["cut/shard-1-of-3.json", "truncated"],
        );
    }
    refused(
        &wd,
        &[s0, "ok/report.json", s2],
        &["ok/report.json", "not a stance shard file"],
    );
    fs::copy(wd.path().join(s1), wd.path().join("edited.json")).unwrap();
    edit_json(&wd, "edited.json", |v| v["end"]["predictions"] = 1.into());
    refused(
        &wd,
        &[s0, "edited.json", s2],
        &["edited.json", "does not match its body"],
    );
    fs::copy(wd.path().join(s1), wd.path().join("edited.json")).unwrap();
    edit_json(&wd, "edited.json", |v| {
        let first = v["outputs"][0]["cells"][0]["predictions"][0][0].clone();
        v["outputs"][0]["cells"][0]["predictions"][1][0] = first;
    });
    refused(
        &wd,
        &[s0, "edited.json", s2],
        &["edited.json", "other rows than the fold's"],
    );

    // Another harness build, among the shards or against the merging binary.
    fs::copy(wd.path().join(s1), wd.path().join("other-build.json")).unwrap();
    edit_json(&wd, "other-build.json", |v| {
        v["harness"]["version"] = "0.0.1".into()
    });
    refused(
        &wd,
        &[s0, "other-build.json", s2],
        &["other-build.json", "different harness builds", "0.0.1"],
    );
    fs::copy(wd.path().join(s1), wd.path().join("other-platform.json")).unwrap();
    edit_json(&wd, "other-platform.json", |v| {
        v["platform"] = "plan9-mips".into()
    });
    refused(
        &wd,
        &[s0, "other-platform.json", s2],
        &["other-platform.json", "different platforms", "plan9-mips"],
    );
    for f in ["b0.json", "b1.json", "b2.json"] {
        let i = &f[1..2];
        fs::copy(
            wd.path().join(format!("s/shard-{i}-of-3.json")),
            wd.path().join(f),
        )
        .unwrap();
        edit_json(&wd, f, |v| v["harness"]["version"] = "0.0.1".into());
    }
    refused(
        &wd,
        &["b0.json", "b1.json", "b2.json"],
        &["b0.json", "made by stance 0.0.1"],
    );

    // Another experiment: same data, another seed.
    wd.write("exp2.toml", csv_experiment(2));
    run_shards(&wd, "exp2.toml", 3, "e");
    refused(
        &wd,
        &[s0, "e/shard-1-of-3.json", s2],
        &["e/shard-1-of-3.json", "different experiments"],
    );

    // Another shard count.
    run_shards(&wd, "exp.toml", 2, "two");
    refused(
        &wd,
        &[s0, "two/shard-1-of-2.json", s2],
        &["two/shard-1-of-2.json", "different shard counts"],
    );

    // Other data: shard 1 run on a changed CSV; then all shards fine but the data changed before the merge.
    wd.write("data.csv", csv(true));
    run_shards(&wd, "exp.toml", 3, "d");
    refused(
        &wd,
        &[s0, "d/shard-1-of-3.json", s2],
        &["d/shard-1-of-3.json", "different data", "data.csv"],
    );
    refused(
        &wd,
        &["s"],
        &["has changed since the shards ran", "data.csv"],
    );

    // An existing report folder is left as it was by a refused merge.
    wd.write("data.csv", csv(false));
    let before = folder(&wd.path().join("ok"));
    let run = wd.run(&["merge", s0, s1, "--out", "ok"]);
    run.code(2).stderr_has("missing shard(s) 2/3");
    assert!(
        before == folder(&wd.path().join("ok")),
        "a refused merge changed the existing report"
    );
    // And with every input back in place, the merge goes through again.
    wd.run(&["merge", s0, s1, s2, "--out", "ok2"]).ok();
    assert_same_folder(&wd.path().join("ok"), &wd.path().join("ok2"));
}
