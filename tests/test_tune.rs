//! Nested tuning: parameters given as lists are tuned per outer fold, the chosen values reach report.json and
//! report.md, the choice does not depend on the thread count, and a one-value list changes nothing.

use serde_json::Value;

use crate::workdir::Workdir;

fn json(wd: &Workdir, rel: &str) -> Value {
    serde_json::from_str(&wd.read(rel)).expect("valid JSON")
}

fn config<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no configuration {id}"))
}

#[test]
fn the_shipped_tuned_experiment_reports_the_value_chosen_in_every_fold() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "experiments/tuned.toml", "-q", "--out", "t"])
        .ok();
    let r = json(&wd, "t/report.json");
    let c = config(
        &r,
        "words(ngram∈{[1,1],[1,2]}) + logistic(alpha∈{0.01,0.1,1,10})",
    );
    let t = &c["tuning"];
    assert_eq!(t["candidates"].as_array().unwrap().len(), 8);
    assert_eq!(t["candidates"][0], "ngram=[1,1], alpha=0.01");
    let folds = r["folds"].as_array().unwrap().len();
    assert_eq!(t["per_fold"].as_array().unwrap().len(), folds);
    let counted: u64 = t["chosen_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(counted as usize, folds);
    assert!(t["refit"]["chosen"].as_str().unwrap().starts_with("ngram="));
    // Untuned configurations carry no tuning field at all.
    assert!(config(&r, "lexicon+negation+shape + naive-bayes")
        .get("tuning")
        .is_none());
    let md = wd.read("t/report.md");
    assert!(md.contains("## Tuning"), "{md}");
    assert!(md.contains("Chosen per outer fold"));
    let first = t["per_fold"][0]["chosen"].as_str().unwrap();
    assert!(
        md.contains(&format!(
            "r0f0 {}",
            first.replace('[', "\\[").replace(']', "\\]")
        )),
        "{md}"
    );
}

#[test]
fn the_chosen_values_do_not_depend_on_the_thread_count() {
    let wd = Workdir::with_repo_data();
    for (jobs, out) in [("1", "one"), ("2", "two")] {
        wd.run(&[
            "run",
            "experiments/tuned.toml",
            "-q",
            "--jobs",
            jobs,
            "--out",
            out,
        ])
        .ok();
    }
    for f in ["report.json", "report.md", "metrics.csv", "predictions.csv"] {
        assert!(
            wd.read(&format!("one/{f}")) == wd.read(&format!("two/{f}")),
            "{f} differs between --jobs 1 and --jobs 2"
        );
    }
}

const ONE_VALUE: &str = r#"
name = "NAME"
seed = 3
bootstrap = 0
[data]
source = "gold"
unit = "finest"
classes = ["support", "oppose", "neutral"]
[evaluation]
scheme = "stratified-kfold"
k = 4
repeats = 2
[[features]]
name = "words"
extractors = [{ type = "word-ngrams", ngram = NGRAM }]
[[classifiers]]
type = "logistic"
alpha = ALPHA
[[classifiers]]
type = "linear-svm"
c = C
# Every configuration's top features, so the comparison below covers them all.
[report]
top_features = ["all"]
"#;

#[test]
fn a_one_value_list_predicts_exactly_what_the_fixed_value_does() {
    let wd = Workdir::with_repo_data();
    let fixed = ONE_VALUE
        .replace("NAME", "fixed")
        .replace("NGRAM", "[1, 2]")
        .replace("ALPHA", "0.1")
        .replace("C", "3");
    let listed = ONE_VALUE
        .replace("NAME", "listed")
        .replace("NGRAM", "[[1, 2]]")
        .replace("ALPHA", "[0.1]")
        .replace("C", "[3]");
    wd.write("fixed.toml", fixed);
    wd.write("listed.toml", listed);
    wd.run(&["run", "fixed.toml", "-q", "--out", "a"]).ok();
    wd.run(&["run", "listed.toml", "-q", "--out", "b"]).ok();
    let (a, b) = (json(&wd, "a/report.json"), json(&wd, "b/report.json"));
    for (fixed_id, listed_id) in [
        (
            "words + logistic",
            "words(ngram∈{[1,2]}) + logistic(alpha∈{0.1})",
        ),
        (
            "words + linear-svm",
            "words(ngram∈{[1,2]}) + linear-svm(c∈{3})",
        ),
    ] {
        let (x, y) = (config(&a, fixed_id), config(&b, listed_id));
        assert_eq!(x["predictions"], y["predictions"], "{listed_id}");
        assert!(x["top_features"].is_object(), "{fixed_id}");
        assert_eq!(x["top_features"], y["top_features"], "{listed_id}");
        assert_eq!(y["tuning"]["per_fold"][0]["inner_folds"], 0);
    }
}

/// A labelled CSV outside the repository, grouped by topic: the inner folds are grouped too.
#[test]
fn tuning_works_on_a_labelled_csv_with_grouped_folds() {
    let wd = Workdir::new();
    let mut csv = String::from("id,text,stance,topic\n");
    let pro = [
        "lift the limits now",
        "strikes are self defense",
        "allow strikes back",
        "the limits must go",
    ];
    let con = [
        "this risks a wider war",
        "escalation is dangerous",
        "keep the limits",
        "no strikes inside",
    ];
    for t in 0..4 {
        for (i, s) in pro.iter().enumerate() {
            csv.push_str(&format!("p{t}{i},\"{s} {t}\",pro,t{t}\n"));
        }
        for (i, s) in con.iter().enumerate() {
            csv.push_str(&format!("c{t}{i},\"{s} {t}\",con,t{t}\n"));
        }
    }
    wd.write("data/d.csv", csv);
    wd.write(
        "exp.toml",
        r#"
name = "csv-tuned"
seed = 11
bootstrap = 0
[data]
source = "csv"
path = "data/d.csv"
text = "text"
label = "stance"
id = "id"
group = "topic"
classes = ["pro", "con"]
[evaluation]
scheme = "group-kfold"
k = 2
inner_k = 2
[[features]]
name = "words"
extractors = [{ type = "word-ngrams", max_features = [5, 50] }]
[[classifiers]]
type = "naive-bayes"
alpha = [0.1, 1]
[[classifiers]]
type = "majority"
"#,
    );
    wd.run(&["run", "exp.toml", "-q", "--out", "r"]).ok();
    let r = json(&wd, "r/report.json");
    let t = &config(
        &r,
        "words(max_features∈{5,50}) + naive-bayes(alpha∈{0.1,1})",
    )["tuning"];
    assert!(
        t["inner"].as_str().unwrap().starts_with("group 2-fold"),
        "{t}"
    );
    assert_eq!(t["per_fold"].as_array().unwrap().len(), 2);
    assert_eq!(t["per_fold"][0]["inner_folds"], 2);
    assert!(wd.read("r/report.md").contains("## Tuning"));
}

#[test]
fn predict_uses_the_value_the_refit_chose() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "experiments/tuned.toml", "-q", "--out", "t"])
        .ok();
    let r = json(&wd, "t/report.json");
    let chosen = config(
        &r,
        "words(ngram∈{[1,1],[1,2]}) + logistic(alpha∈{0.01,0.1,1,10})",
    )["tuning"]["refit"]["chosen"]
        .as_str()
        .unwrap()
        .to_string();
    let out = wd
        .run(&[
            "predict",
            "--experiment",
            "experiments/tuned.toml",
            "--feature-set",
            "words",
            "--classifier",
            "logistic",
            "we must lift the restrictions",
        ])
        .ok()
        .stdout();
    // Bigram evidence appears exactly when the refit chose the [1,2] range.
    assert_eq!(
        out.contains("word:lift the"),
        chosen.contains("ngram=[1,2]"),
        "{chosen}\n{out}"
    );
}
