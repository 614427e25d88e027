//! Outside systems (`[[systems]]`): a predictions file and a command (POSIX sh scripts, no Python) judged like the
//! harness's own configurations — leaderboard with intervals, paired tests, ≡ marks, per-class, confusion and error
//! tables, behavioural tests and heatmap, the gate with its flip list and staleness, `diff`, shards — and refused by
//! `stance train`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::workdir::Workdir;

/// The gold data with one feature set, a model and both baselines, three repeats, intervals, the bundled
/// behavioural suites, and two outside systems.
const EXPERIMENT: &str = r#"
name = "outside"
seed = 5
bootstrap = 200
[data]
source = "gold"
seeds = "../seeds"
labels = "../labels/gold.csv"
classes = ["support", "oppose"]
[evaluation]
scheme = "stratified-kfold"
k = 3
repeats = 3
[[features]]
name = "lexicon"
extractors = [{ type = "lexicon" }]
[[classifiers]]
type = "naive-bayes"
[[classifiers]]
type = "majority"
[[classifiers]]
type = "stratified-random"

[[systems]]
name = "always-support"
predictions = "preds.csv"

[[systems]]
name = "rule"
command = ["sh", "rule.sh"]
timeout = 120

# Systems are never the best, so the gate watches them only when named; one broken item is a regression here.
[gate]
configs = ["rule", "always-support"]
max_broken = 0
"#;

/// The command system: looks each id up in `answers.txt` (id, label), which is not on its command line and so not
/// part of its identity (like an LLM that answers differently from run to run); texts it has no answer for are
/// `oppose` when they say "not", else `support`.
const RULE: &str = r#"
while IFS= read -r line; do
  id=$(printf '%s\n' "$line" | sed 's/^{"id":"\([^"]*\)".*/\1/')
  label=$(awk -v id="$id" '$1 == id { print $2 }' answers.txt)
  if [ -z "$label" ]; then
    case "$line" in *" not "*) label=oppose ;; *) label=support ;; esac
  fi
  printf '{"id":"%s","label":"%s"}\n' "$id" "$label"
done
echo "rule: done" >&2
"#;

/// The gold support/oppose sentences.
const ITEMS: [&str; 11] = [
    "doc000.s01",
    "doc000.s02",
    "doc000.s03",
    "doc000.s05",
    "doc000.s06",
    "doc000.s07",
    "doc000.s08",
    "doc000.s09",
    "doc000.s10",
    "doc000.s11",
    "doc000.s12",
];

fn all_support() -> String {
    let mut s = String::from("id,predicted\n");
    for id in ITEMS {
        s.push_str(&format!("{id},support\n"));
    }
    s
}

/// The rule gets s12 right when `s12` is "oppose".
fn answers(s12: &str) -> String {
    format!("doc000.s10 oppose\ndoc000.s11 oppose\ndoc000.s12 {s12}\ndoc000.s01 oppose\n")
}

fn workdir() -> Workdir {
    let wd = Workdir::with_repo_data();
    wd.write("experiments/outside.toml", EXPERIMENT);
    wd.write("experiments/preds.csv", all_support());
    wd.write("experiments/rule.sh", RULE);
    wd.write("experiments/answers.txt", answers("oppose"));
    wd
}

fn report(wd: &Workdir, dir: &str) -> Value {
    serde_json::from_str(&wd.read(&format!("{dir}/report.json"))).expect("report.json parses")
}

fn config<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no configuration {id}"))
}

/// Every file under `dir` but timings.json.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                if rel != "timings.json" {
                    out.insert(rel, fs::read(&p).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same(wd: &Workdir, a: &str, b: &str) {
    let (fa, fb) = (folder(&wd.path().join(a)), folder(&wd.path().join(b)));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(*v == fb[k], "{k} differs between {a} and {b}");
    }
}

#[test]
fn a_predictions_file_and_a_command_are_judged_like_configurations() {
    let wd = workdir();
    let run = wd.run(&[
        "run",
        "experiments/outside.toml",
        "--out",
        "a",
        "-q",
        "-j",
        "1",
    ]);
    run.ok()
        .stdout_has("always-support (system) ≡ majority")
        .stdout_has("rule (system)")
        .stdout_has("note: system 'rule' (command sh rule.sh): its predictions were made outside the harness");
    // The command's stderr is captured without --verbose.
    assert!(!run.stderr().contains("rule: done"), "{}", run.stderr());
    let r = report(&wd, "a");
    let best = r["best"].as_str().unwrap();
    assert!(
        best != "rule" && best != "always-support",
        "a system is never the best: {best}"
    );
    let board: Vec<&str> = r["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        board.contains(&"rule") && board.contains(&"always-support"),
        "{board:?}"
    );

    let file = config(&r, "always-support");
    assert_eq!(file["system"]["kind"], "predictions");
    assert!(file["system"]["path"]
        .as_str()
        .unwrap()
        .ends_with("preds.csv"));
    assert_eq!(file["degenerate"]["kind"], "equals-majority");
    assert!(file.get("classifier").is_none() && file["baseline"] == false);
    let rule = config(&r, "rule");
    assert_eq!(rule["system"]["argv"], serde_json::json!(["sh", "rule.sh"]));
    // The rule's answers: s01 wrong (oppose), s10–s12 right: 10 of 11 in each of 3 repeats.
    assert_eq!(rule["confusion"], serde_json::json!([[21, 3], [0, 9]]));
    let macro_f1 = &rule["metrics"]["macro_f1"];
    assert!(macro_f1["lower"].as_f64().unwrap() < macro_f1["point"].as_f64().unwrap());
    assert_eq!(rule["repeat_sd"]["macro_f1"], 0.0);
    // One prediction per item, the same in every repeat, each in the fold that tests the item.
    let preds = rule["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 3);
    for rep in preds {
        let classes: Vec<&Value> = rep
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["class"])
            .collect();
        let first: Vec<&Value> = preds[0]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["class"])
            .collect();
        assert_eq!(classes, first);
    }
    // Paired tests against the best, like every other configuration.
    for id in ["rule", "always-support"] {
        let cmp = r["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["config"] == id)
            .unwrap_or_else(|| panic!("no comparison for {id}"));
        assert!(cmp["p_value"].is_number() && cmp["mcnemar"]["p_value"].is_number());
    }
    // Behavioural tests: the command answered them, the predictions file skips them all.
    let outcomes = &r["behaviour"]["outcomes"];
    let rule_outcomes = outcomes["rule"].as_str().unwrap();
    assert!(
        rule_outcomes.contains('p') && rule_outcomes.contains('f'),
        "{rule_outcomes}"
    );
    assert!(outcomes["always-support"]
        .as_str()
        .unwrap()
        .chars()
        .all(|c| c == 's'));
    assert!(r["inputs"]["system:rule:file:rule.sh"].is_string());
    assert!(r["inputs"]["system:always-support:predictions"].is_string());

    let md = wd.read("a/report.md");
    for needle in [
        "| `rule` *(system)* |",
        "`always-support` *(system)* **≡ majority**",
        "**Outside systems were not cross-validated by the harness:**",
        "Outside system `rule`, counted the same way:",
        "## Error analysis: `rule` *(system)*",
        "| doc000.s01 |",
        "| `rule` | oppose | 3 |",
        "every case is skipped for `always-support`",
    ] {
        assert!(md.contains(needle), "report.md lacks {needle:?}");
    }
    let predictions = wd.read("a/predictions.csv");
    assert_eq!(
        predictions
            .lines()
            .filter(|l| l.starts_with("rule,"))
            .count(),
        33
    );
    assert!(wd.read("a/behaviour.csv").contains("always-support,"));
    for chart in ["leaderboard", "behaviour", "per-class-f1"] {
        let png = wd.read_bytes(&format!("a/charts/{chart}.png"));
        stance_testkit::png_size(&png).unwrap();
    }
    // The same bytes whatever --jobs; --verbose passes the command's stderr through and changes nothing else.
    let verbose = wd.run(&[
        "run",
        "experiments/outside.toml",
        "--out",
        "b",
        "-q",
        "-j",
        "2",
        "--verbose",
    ]);
    verbose.ok().stderr_has("rule: done");
    assert_same(&wd, "a", "b");
}

#[test]
fn the_gate_lists_a_systems_flips_and_refuses_a_baseline_made_with_another_system() {
    let wd = workdir();
    let exp = "experiments/outside.toml";
    wd.run(&["check", exp, "--update-baseline", "-q"]).ok();
    wd.run(&["check", exp, "-q"])
        .ok()
        .stdout_has("rule")
        .stdout_has("always-support");
    // The command now answers s12 wrongly, with the same command line and script: comparable, and a regression.
    wd.write("experiments/answers.txt", answers("support"));
    wd.run(&["check", exp, "-q"])
        .code(1)
        .stdout_has("doc000.s12")
        .stdout_has("regression");
    // Another script, another predictions file or another command line: the baseline is stale.
    wd.write("experiments/rule.sh", format!("{RULE}\n# v2\n"));
    wd.run(&["check", exp, "-q"])
        .code(2)
        .stderr_has("stale")
        .stderr_has("system:rule:file:rule.sh");
    wd.write("experiments/rule.sh", RULE);
    wd.write(
        "experiments/preds.csv",
        all_support().replace("s12,support", "s12,oppose"),
    );
    wd.run(&["check", exp, "-q"])
        .code(2)
        .stderr_has("system:always-support:predictions");
    wd.write("experiments/preds.csv", all_support());
    wd.write(
        "experiments/outside.toml",
        EXPERIMENT.replace("\"rule.sh\"]", "\"rule.sh\", \"fast\"]"),
    );
    wd.run(&["check", exp, "-q"])
        .code(2)
        .stderr_has("system:rule:command");
}

#[test]
fn diff_pairs_a_systems_predictions_and_lists_its_flips() {
    let wd = workdir();
    wd.run(&["run", "experiments/outside.toml", "--out", "a", "-q"])
        .ok();
    wd.write("experiments/answers.txt", answers("support"));
    wd.run(&["run", "experiments/outside.toml", "--out", "b", "-q"])
        .ok();
    let run = wd.run(&["diff", "a", "b", "--format", "json"]);
    run.ok();
    let d: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(d["pairing"]["paired"], true);
    let rule = d["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["config"] == "rule")
        .unwrap();
    assert_eq!(rule["mcnemar"]["a_only_correct"], 1);
    let flips: Vec<(&str, &str)> = d["flips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["config"].as_str().unwrap(), f["item"].as_str().unwrap()))
        .collect();
    assert!(flips.contains(&("rule", "doc000.s12")), "{flips:?}");
    assert!(
        !flips.iter().any(|(c, _)| *c == "always-support"),
        "{flips:?}"
    );
}

#[test]
fn shards_merge_with_systems_byte_for_byte_and_a_merge_cannot_mix_systems() {
    let wd = workdir();
    let exp = "experiments/outside.toml";
    wd.run(&["run", exp, "--out", "single", "-q"]).ok();
    for i in 0..2 {
        wd.run(&[
            "run",
            exp,
            "--shard",
            &format!("{i}/2"),
            "--out",
            "shards",
            "-q",
        ])
        .ok();
    }
    wd.run(&["merge", "shards", "--out", "merged", "-q"]).ok();
    assert_same(&wd, "single", "merged");
    // Shard 1 made with another predictions file.
    wd.write(
        "experiments/preds.csv",
        all_support().replace("s01,support", "s01,oppose"),
    );
    wd.run(&["run", exp, "--shard", "1/2", "--out", "shards", "-q"])
        .ok();
    let run = wd.run(&["merge", "shards", "--out", "mixed", "-q"]);
    run.code(2).stderr_has("system:always-support:predictions");
    assert!(!wd.path().join("mixed").exists());
}

#[test]
fn train_and_predict_refuse_an_outside_system() {
    let wd = workdir();
    wd.run(&[
        "train",
        "experiments/outside.toml",
        "--config",
        "rule",
        "--model",
        "m.json",
    ])
    .code(2)
    .stderr_has("'rule' is an outside system of experiment 'outside' (command sh rule.sh)")
    .stderr_has("--config ('lexicon + naive-bayes', 'majority', 'stratified-random')");
    wd.run(&[
        "predict",
        "-e",
        "experiments/outside.toml",
        "--config",
        "always-support",
        "Lift the ban.",
    ])
    .code(2)
    .stderr_has("'always-support' is an outside system");
    assert!(!wd.path().join("m.json").exists());
}

#[test]
fn a_csv_corpus_keys_a_systems_predictions_by_its_id_column() {
    let wd = Workdir::new();
    let mut csv = String::from("code,argument,side\n");
    let mut preds = String::from("id,predicted\n");
    for i in 0..12 {
        let (text, side) = if i % 2 == 0 {
            (format!("lift the ban now {i}"), "1")
        } else {
            (format!("keep the ban forever {i}"), "-1")
        };
        csv.push_str(&format!("c{i:02},{text},{side}\n"));
        // Raw labels, as the CSV writes them; one wrong.
        let said = if i == 3 { "1" } else { side };
        preds.push_str(&format!("c{i:02},{said}\n"));
    }
    wd.write("d.csv", csv);
    wd.write("p.csv", preds);
    wd.write(
        "x.toml",
        r#"
name = "csv-systems"
seed = 1
bootstrap = 0
[data]
source = "csv"
path = "d.csv"
text = "argument"
label = "side"
id = "code"
label_names = { "1" = "pro", "-1" = "con" }
[evaluation]
scheme = "stratified-kfold"
k = 3
[[features]]
name = "words"
extractors = [{ type = "word-ngrams" }]
[[classifiers]]
type = "naive-bayes"
[[classifiers]]
type = "majority"
[[systems]]
name = "external"
predictions = "p.csv"
"#,
    );
    wd.run(&["run", "x.toml", "--out", "r", "-q"])
        .ok()
        .stdout_has("external (system)");
    let r = report(&wd, "r");
    let classes: Vec<&str> = r["data"]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let con = classes.iter().position(|c| *c == "con").unwrap();
    let wrong = config(&r, "external")["confusion"][con]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(wrong[1 - con], 1, "c03 is a con predicted pro: {wrong:?}");
}

/// A system's predictions file and the script its command names are inputs of the run like the data: no command
/// writes over them, and nothing is written.
#[test]
fn no_command_writes_over_what_a_system_reads() {
    let wd = workdir();
    wd.write(
        "experiments/outside.toml",
        EXPERIMENT
            .replace(
                "predictions = \"preds.csv\"",
                "predictions = \"../sys/preds.csv\"",
            )
            .replace("\"sh\", \"rule.sh\"", "\"sh\", \"../bin/rule.sh\""),
    );
    wd.write("sys/preds.csv", all_support());
    wd.write("bin/rule.sh", RULE);
    let exp = "experiments/outside.toml";
    wd.run(&["run", exp, "--out", "sys", "-q"])
        .code(2)
        .stderr_has("the predictions file of system 'always-support'");
    wd.run(&[
        "train",
        exp,
        "--config",
        "lexicon + naive-bayes",
        "--model",
        "bin/rule.sh",
    ])
    .code(2)
    .stderr_has("a file the command of system 'rule' names");
    assert_eq!(wd.read("sys/preds.csv"), all_support());
    assert_eq!(wd.read("bin/rule.sh"), RULE);
    assert!(!wd.path().join("sys/report.json").exists());
}
