use serde_json::Value;

use crate::workdir::Workdir;

/// Statements with a stance and a topic: 12 pro, 12 con, over six topics.
fn corpus(skip: &[&str]) -> String {
    let pro = [
        "we should lift the limits now",
        "lifting the limits is self defense",
        "allow them to strike back",
        "the limits must go",
        "strikes on bases are legitimate",
        "lift every limit today",
        "they have the right to strike",
        "limits only help the attacker",
        "defense needs long range weapons",
        "let them hit the launch sites",
        "the restrictions should be lifted",
        "striking back is fair",
    ];
    let con = [
        "this risks a wider war",
        "escalation is too dangerous",
        "keep the limits in place",
        "we cannot risk escalation",
        "strikes would provoke a war",
        "the limits keep us safe",
        "no strikes inside their territory",
        "a wider war helps nobody",
        "the restrictions must stay",
        "do not allow strikes on their soil",
        "escalation would be a disaster",
        "keep the weapons for defense only",
    ];
    let mut s = String::from("id,statement,stance,topic\n");
    for (prefix, label, texts) in [("p", "1", &pro), ("c", "-1", &con)] {
        for (i, t) in texts.iter().enumerate() {
            let id = format!("{prefix}{i}");
            if !skip.contains(&id.as_str()) {
                s.push_str(&format!("{id},\"{t}\",{label},t{}\n", i % 6));
            }
        }
    }
    s
}

/// An experiment on `data` (an absolute path) under `scheme`.
fn experiment(name: &str, data: &str, scheme: &str) -> String {
    format!(
        r#"name = "{name}"
seed = 11
bootstrap = 300

[data]
source = "csv"
path = "{data}"
text = "statement"
label = "stance"
id = "id"
group = "topic"
label_names = {{ "1" = "pro", "-1" = "con" }}
classes = ["pro", "con"]

[evaluation]
{scheme}

[[features]]
name = "words"
extractors = [{{ type = "word-ngrams", weighting = "binary" }}]

[[classifiers]]
type = "naive-bayes"

[[classifiers]]
type = "logistic"

[[classifiers]]
type = "majority"
"#
    )
}

const STRATIFIED: &str = "scheme = \"stratified-kfold\"\nk = 3\nrepeats = 3";
// No `evaluation.group`: group schemes on CSV data group by data.group's column by default.
const GROUPED: &str = "scheme = \"group-kfold\"\nk = 3\nrepeats = 3";

/// Writes the corpus (minus `skip`) and runs `name` under `scheme` into the report folder `out`.
fn run(wd: &Workdir, name: &str, scheme: &str, skip: &[&str], out: &str) {
    let csv = format!("{name}.csv");
    wd.write(&csv, corpus(skip));
    let data = wd.path().join(&csv).display().to_string();
    wd.write(&format!("{name}.toml"), experiment(name, &data, scheme));
    wd.run(&["run", &format!("{name}.toml"), "-q", "--out", out])
        .ok();
}

fn json_diff(wd: &Workdir, a: &str, b: &str) -> Value {
    let run = wd.run(&["diff", a, b, "--format", "json"]);
    run.ok();
    serde_json::from_str(&run.stdout()).expect("diff --format json is JSON")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn two_runs_of_the_same_experiment_differ_by_nothing() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "-q", "--out", "a"]).ok();
    wd.run(&["run", "-q", "--out", "b"]).ok();
    wd.run(&["diff", "a", "b"])
        .ok()
        .stdout_has("settings: identical")
        .stdout_has("paired: both runs evaluated the same 11 items")
        .stdout_has("lexicon + linear-svm")
        .stdout_has("+0.000 [+0.000, +0.000]")
        .stdout_has("no item changed majority-vote correctness");
    let d = json_diff(&wd, "a", "b");
    assert_eq!(d["pairing"]["paired"], true);
    assert_eq!(d["configs"].as_array().unwrap().len(), 26);
    assert!(d["flips"].as_array().unwrap().is_empty());
    for c in d["configs"].as_array().unwrap() {
        assert_eq!(c["mcnemar"]["p_value"], 1.0);
        for m in c["metrics"].as_array().unwrap() {
            assert_eq!(f(&m["delta"]["point"]), 0.0, "{m}");
            assert_eq!(m["method"], "paired-bootstrap");
        }
    }
}

#[test]
fn a_stratified_and_a_group_run_of_the_same_data_are_paired() {
    let wd = Workdir::new();
    run(&wd, "strat", STRATIFIED, &[], "strat");
    run(&wd, "group", GROUPED, &[], "group");
    let text = wd.run(&["diff", "strat", "group", "--max-flips", "100"]);
    text.ok()
        .stdout_has("scheme: stratified-kfold → group-kfold")
        .stdout_has("paired: both runs evaluated the same 24 items (same ids and gold labels)")
        .stdout_has("2000 replicates over 6 groups, seed 1")
        .stdout_has("McNemar (majority-vote correctness):")
        .stdout_has("words + naive-bayes");
    let d = json_diff(&wd, "strat", "group");
    assert_eq!(d["pairing"]["unit"], "group");
    assert_eq!(d["pairing"]["units"], 6);
    assert_eq!(d["pairing"]["test_units"], 6);
    let rows: usize = d["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["metrics"].as_array().unwrap().len())
        .sum();
    assert_eq!(d["family"].as_u64(), Some(rows as u64));
    assert!(text.stdout().contains(&format!(
        "p is Holm-adjusted over all {rows} configuration × metric rows"
    )));
    let flips = d["flips"].as_array().unwrap();
    for c in d["configs"].as_array().unwrap() {
        let id = c["config"].as_str().unwrap();
        // Every flip is a discordant item of McNemar's table and vice versa.
        let mc = &c["mcnemar"];
        let of_config: Vec<&Value> = flips.iter().filter(|x| x["config"] == id).collect();
        let broken = of_config.iter().filter(|x| x["change"] == "broken").count();
        let fixed = of_config.len() - broken;
        assert_eq!(mc["a_only_correct"].as_u64(), Some(broken as u64), "{id}");
        assert_eq!(mc["b_only_correct"].as_u64(), Some(fixed as u64), "{id}");
        for m in c["metrics"].as_array().unwrap() {
            let (a, b, delta) = (&m["a"]["point"], &m["b"]["point"], &m["delta"]);
            assert!((f(&delta["point"]) - (f(b) - f(a))).abs() < 1e-12, "{m}");
            assert!(f(&delta["lower"]) <= f(&delta["upper"]), "{m}");
            let p = f(&m["p_value"]);
            assert!((0.0..=1.0).contains(&p), "{m}");
            // The family is controlled: Holm over every configuration × metric row, and the star is its verdict.
            let holm = f(&m["p_holm"]);
            assert!(holm >= p && holm <= 1.0, "{m}");
            assert_eq!(m["significant"], holm < f(&d["alpha"]), "{m}");
            assert_eq!(m["test"], "exact-permutation", "{m}");
        }
        // In the text too: each flip line names its configuration, item, and both predictions.
        for x in &of_config {
            let line = format!(
                "  {id} | {} | {} | {} -> {} | {}",
                x["item"].as_str().unwrap(),
                x["gold"].as_str().unwrap(),
                x["a"].as_str().unwrap(),
                x["b"].as_str().unwrap(),
                x["change"].as_str().unwrap()
            );
            assert!(text.stdout().contains(&line), "{line}\n{}", text.stdout());
        }
    }
    // The majority baseline predicts the same class under both schemes: no change at all.
    let majority = d["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["config"] == "majority")
        .unwrap();
    assert_eq!(majority["mcnemar"]["p_value"], 1.0);
    // Deterministic: the same inputs and seed give the same bytes, whatever the thread count.
    let one = wd.run(&["diff", "strat", "group", "--format", "json"]);
    let again = wd
        .command(&["diff", "strat", "group", "--format", "json"])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert_eq!(one.ok().stdout().as_bytes(), &again.stdout[..]);
}

#[test]
fn runs_on_different_items_are_compared_unpaired() {
    let wd = Workdir::new();
    run(&wd, "all", STRATIFIED, &[], "all");
    run(&wd, "fewer", STRATIFIED, &["p0", "c1"], "fewer");
    wd.run(&["diff", "all", "fewer"])
        .ok()
        .stdout_has("unpaired: the runs evaluated different items (A 24, B 22, 22 shared ids)")
        .stdout_has("normal approximation")
        .stdout_has(" ≈");
    let d = json_diff(&wd, "all", "fewer");
    assert!(d["flips"].as_array().unwrap().is_empty());
    // Δ ± 1.96 · sqrt(se_A² + se_B²), se = half-width / 1.96 (both runs at the 95% level).
    let z = 1.959963984540054;
    for c in d["configs"].as_array().unwrap() {
        assert!(c["mcnemar"].is_null());
        for m in c["metrics"].as_array().unwrap() {
            assert_eq!(m["method"], "normal-approximation");
            let se = |e: &Value| (f(&e["upper"]) - f(&e["lower"])) / 2.0 / z;
            let se = (se(&m["a"]).powi(2) + se(&m["b"]).powi(2)).sqrt();
            let delta = f(&m["b"]["point"]) - f(&m["a"]["point"]);
            assert!(
                (f(&m["delta"]["lower"]) - (delta - z * se)).abs() < 1e-12,
                "{m}"
            );
            assert!(
                (f(&m["delta"]["upper"]) - (delta + z * se)).abs() < 1e-12,
                "{m}"
            );
        }
    }
}

#[test]
fn a_report_json_path_reads_like_its_folder() {
    let wd = Workdir::new();
    run(&wd, "strat", STRATIFIED, &[], "strat");
    run(&wd, "group", GROUPED, &[], "group");
    let folder = wd.run(&["diff", "strat", "group"]);
    let file = wd.run(&["diff", "strat/report.json", "group/report.json"]);
    assert_eq!(folder.ok().stdout(), file.ok().stdout());
    // Markdown to a file, written atomically; nothing on stdout.
    let md = wd.run(&[
        "diff",
        "strat",
        "group",
        "--format",
        "markdown",
        "--out",
        "d/diff.md",
    ]);
    assert!(md.ok().stdout().is_empty());
    let text = wd.read("d/diff.md");
    assert!(
        text.starts_with("## stance diff")
            && text.contains("| config | metric | A | B | Δ (95% interval) | p (Holm) |"),
        "{text}"
    );
    // Configurations only one run holds are listed, not compared.
    let exp = wd
        .read("group.toml")
        .replace("[[classifiers]]\ntype = \"logistic\"\n", "");
    wd.write("group.toml", exp);
    wd.run(&["run", "group.toml", "-q", "--out", "group"]).ok();
    wd.run(&["diff", "strat", "group"])
        .ok()
        .stdout_has("only in A: words + logistic");
}

#[test]
fn a_large_run_without_predictions_still_gets_metric_deltas() {
    let wd = Workdir::new();
    run(&wd, "strat", STRATIFIED, &[], "strat");
    run(&wd, "group", GROUPED, &[], "group");
    // What a run over 250,000 predictions writes: no predictions, no texts, and the flag.
    let mut v: Value = serde_json::from_str(&wd.read("group/report.json")).unwrap();
    v["predictions_omitted"] = Value::Bool(true);
    for c in v["configs"].as_array_mut().unwrap() {
        c["predictions"] = Value::Array(vec![]);
    }
    wd.write("big.json", serde_json::to_vec_pretty(&v).unwrap());
    wd.run(&["diff", "strat", "big.json"])
        .ok()
        .stdout_has("unpaired: the runs evaluated the same 24 items, but B's report.json left its out-of-fold predictions out")
        .stdout_has(" ≈");
}

#[test]
fn unreadable_inputs_are_named() {
    let wd = Workdir::new();
    run(&wd, "strat", STRATIFIED, &[], "strat");
    wd.run(&["diff", "strat", "nowhere"])
        .code(2)
        .stderr_has("nowhere: no such file or folder");
    std::fs::create_dir(wd.path().join("empty")).unwrap();
    wd.run(&["diff", "empty", "strat"])
        .code(2)
        .stderr_has("empty: this folder has no report.json");
    wd.write("bad.json", "{ not json");
    wd.run(&["diff", "strat", "bad.json"])
        .code(2)
        .stderr_has("bad.json: not valid JSON (line 1, column 3)");
    wd.write("old.json", "{\"schema_version\": 1, \"configs\": []}");
    wd.run(&["diff", "strat", "old.json"])
        .code(2)
        .stderr_has("old.json: schema_version is 1, this harness reads version 2");
    wd.write("partial.json", "{\"schema_version\": 2}");
    wd.run(&["diff", "strat", "partial.json"])
        .code(2)
        .stderr_has("partial.json: not a stance report: missing field");
    let mut v: Value = serde_json::from_str(&wd.read("strat/report.json")).unwrap();
    v["configs"][0]["predictions"][0][0]["class"] = serde_json::json!(5);
    wd.write("edited.json", serde_json::to_vec(&v).unwrap());
    wd.run(&["diff", "edited.json", "strat"])
        .code(2)
        .stderr_has("edited.json: not a usable report")
        .stderr_has("predicted class index 5 but there are 2 classes");
    wd.run(&["diff", "strat", "strat", "--metric", "f2"])
        .code(2)
        .stderr_has("unknown metric 'f2'");
}
