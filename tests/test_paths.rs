//! Paths in an experiment resolve against the experiment file's folder, whatever the working directory; a missing
//! path is named by its resolved absolute path; outside a project the binary says what it looked for; the grouping
//! column has one spelling.

use std::path::{Path, PathBuf};

use stance::results::RunReport;

use crate::workdir::Workdir;

/// A labelled CSV: 8 pro and 8 con statements over 4 topics.
fn labelled_csv() -> String {
    let mut s = String::from("id,statement,stance,topic\n");
    let pro = [
        "lift the limits",
        "strike back now",
        "the limits must go",
        "allow the strikes",
    ];
    let con = [
        "this risks escalation",
        "keep the limits",
        "no strikes please",
        "a wider war looms",
    ];
    for i in 0..8 {
        s.push_str(&format!("p{i},\"{} {i}\",1,t{}\n", pro[i % 4], i % 4));
        s.push_str(&format!("c{i},\"{} {i}\",-1,t{}\n", con[i % 4], i % 4));
    }
    s
}

/// An experiment reading `data_path` (as written), group 2-fold by the `topic` column, plus `extra` in
/// `[evaluation]`.
fn experiment(data_path: &str, extra: &str) -> String {
    format!(
        r#"name = "beside"
seed = 3
bootstrap = 0

[data]
source = "csv"
path = "{data_path}"
text = "statement"
label = "stance"
id = "id"
group = "topic"
label_names = {{ "1" = "pro", "-1" = "con" }}
classes = ["pro", "con"]

[evaluation]
scheme = "group-kfold"
k = 2
{extra}

[[features]]
name = "words"
extractors = [{{ type = "word-ngrams", weighting = "binary" }}]

[[classifiers]]
type = "naive-bayes"

[[classifiers]]
type = "majority"
"#
    )
}

/// `dir` with symbolic links resolved, as the harness names it in messages.
fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().expect("the temp dir exists")
}

#[test]
fn a_csv_beside_its_experiment_is_found_from_another_working_directory() {
    let project = Workdir::new();
    project.write("exp/data.csv", labelled_csv());
    project.write("exp/beside.toml", experiment("data.csv", ""));
    let elsewhere = Workdir::new();
    let toml = project.path().join("exp/beside.toml");
    elsewhere
        .run(&["run", toml.to_str().unwrap(), "-q"])
        .ok()
        .stdout_has("words + naive-bayes");
    let r: RunReport = serde_json::from_str(&elsewhere.read("reports/beside/report.json")).unwrap();
    assert_eq!(r.data.n_items, 16);
    // The data input is keyed by file name, whatever the working directory; the declaration keeps the path as
    // written.
    assert!(
        r.inputs.contains_key("data:data.csv"),
        "{:?}",
        r.inputs.keys()
    );
    let written = serde_json::to_value(&r.experiment.config.data).unwrap();
    assert_eq!(written["path"], "data.csv");
    // Grouped by the data.group column without naming it again in [evaluation].
    assert_eq!(
        r.run.evaluation.group,
        Some(stance::eval::splits::GroupBy::Group)
    );
    assert!(r.run.evaluation.bootstrap_units > 0 || r.run.evaluation.bootstrap == 0);
}

#[test]
fn the_shipped_experiments_run_from_another_working_directory() {
    let project = Workdir::with_repo_data();
    let elsewhere = Workdir::new();
    let toml = project.path().join("experiments/default.toml");
    elsewhere
        .run(&["run", toml.to_str().unwrap(), "-q"])
        .ok()
        .stdout_has("wrote reports/default/");
    let r: RunReport =
        serde_json::from_str(&elsewhere.read("reports/default/report.json")).unwrap();
    // The same input keys as from the project root: labels relative to the project, seeds by file name.
    assert!(
        r.inputs.contains_key("labels:labels/gold.csv"),
        "{:?}",
        r.inputs.keys()
    );
    assert!(r.inputs.keys().any(|k| k.starts_with("seeds/")));
    // The behavioural suites beside the gold labels were found too.
    assert!(r.behaviour.is_some(), "labels/behaviour was not found");
}

#[test]
fn a_missing_file_is_named_by_its_resolved_absolute_path() {
    let project = Workdir::new();
    project.write("exp/beside.toml", experiment("../data/missing.csv", ""));
    let elsewhere = Workdir::new();
    let toml = project.path().join("exp/beside.toml");
    let base = canonical(&project.path().join("exp"));
    let resolved = canonical(project.path()).join("data/missing.csv");
    elsewhere
        .run(&["run", toml.to_str().unwrap(), "-q"])
        .code(2)
        .stderr_has("data.path = \"../data/missing.csv\"")
        .stderr_has(&format!(
            "names {}, which does not exist",
            resolved.display()
        ))
        .stderr_has(&format!(
            "against the experiment file's folder, {}",
            base.display()
        ));
    assert!(!elsewhere.path().join("reports").exists());
}

#[test]
fn outside_a_project_the_binary_says_what_it_looked_for_and_how_to_point_it_at_data() {
    let empty = Workdir::new();
    let manifest = canonical(empty.path()).join("seeds/manifest.csv");
    {
        empty
            .run(&["run"])
            .code(2)
            .stderr_has("no stance project here")
            .stderr_has(&format!("looked for {}", manifest.display()))
            .stderr_has("pass an experiment file whose [data] points at your data")
            .stderr_has("stance run my-experiment.toml");
    }
    assert_eq!(
        std::fs::read_dir(empty.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn the_old_grouping_spelling_is_refused_with_the_fix() {
    let wd = Workdir::new();
    wd.write("data.csv", labelled_csv());
    wd.write("old.toml", experiment("data.csv", "group = \"group\""));
    let line = experiment("data.csv", "group = \"group\"")
        .lines()
        .position(|l| l == "group = \"group\"")
        .unwrap()
        + 1;
    wd.run(&["run", "old.toml", "-q"])
        .code(2)
        .stderr_has(&format!(
            "old.toml:{line}: evaluation.group = \"group\" is no longer accepted"
        ))
        .stderr_has(
            "remove the line: group schemes group by the column data.group names ('topic')",
        );
    // Naming the column in [evaluation] instead is refused with where column names go.
    wd.write("col.toml", experiment("data.csv", "group = \"topic\""));
    wd.run(&["run", "col.toml", "-q"])
        .code(2)
        .stderr_has(&format!("col.toml:{line}: "))
        .stderr_has("evaluation.group is \"doc\" or \"holder\", not 'topic'")
        .stderr_has("name it in [data] (group = \"topic\")");
}
