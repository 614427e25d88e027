use crate::workdir::Workdir;

/// Runs `stance predict ARGS --format csv` with `input` on stdin; returns (exit code, stdout, stderr).
fn predict_csv(wd: &Workdir, args: &[&str], input: &str) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut all = vec!["predict", "--format", "csv"];
    all.extend_from_slice(args);
    let mut cmd = wd.command(&all);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The gold statements plus a few new ones, one per line.
fn statements() -> String {
    let labels = std::fs::read_to_string(crate::workdir::repo().join("labels/gold.csv")).unwrap();
    let mut out =
        String::from("Escalation risks a world war.\nAllow Kyiv to strike, it is self-defense\n");
    let mut rdr = csv::Reader::from_reader(labels.as_bytes());
    let col = rdr.headers().unwrap().iter().position(|h| h == "text");
    if let Some(col) = col {
        for r in rdr.records().take(40) {
            let t = r.unwrap()[col].replace('\n', " ");
            if !t.trim().is_empty() {
                out.push_str(&t);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn train_uses_the_reports_best_and_the_saved_model_predicts_as_retraining_does() {
    let wd = Workdir::with_repo_data();
    wd.run(&["train", "--model", "m.json"])
        .code(2)
        .stderr_has("no report at reports/default/report.json")
        .stderr_has("run `stance run` first, or name one with --config");
    assert!(
        !wd.path().join("m.json").exists(),
        "nothing written on error"
    );

    wd.run(&["run", "-q"]).ok();
    let report: serde_json::Value =
        serde_json::from_str(&wd.read("reports/default/report.json")).unwrap();
    let best = report["best"].as_str().unwrap().to_string();
    wd.run(&["train", "--model", "models/m.json"])
        .ok()
        .stderr_has(&format!(
            "using the best configuration of reports/default/report.json: {best}"
        ))
        .stdout_has(&format!("trained {best} on 11 items of 'default'"))
        .stdout_has("wrote models/m.json (");
    let file: serde_json::Value = serde_json::from_str(&wd.read("models/m.json")).unwrap();
    assert_eq!(file["format"], "stance-model");
    assert_eq!(file["schema_version"], 1);
    assert_eq!(file["model"]["info"]["config"], best.as_str());
    assert_eq!(
        file["model"]["info"]["experiment"]["sha256"],
        report["experiment"]["sha256"]
    );
    assert_eq!(file["model"]["info"]["inputs"], report["inputs"]);
    assert_eq!(file["model"]["info"]["classes"], report["data"]["classes"]);

    // The saved model labels exactly as a model retrained in the same process would, and `predict` without
    // --model or --config trains the report's best too (and says so).
    let input = statements();
    let (code, saved, err) = predict_csv(&wd, &["--model", "models/m.json"], &input);
    assert_eq!(code, Some(0), "{err}");
    assert!(saved.lines().count() > 10);
    let (code, retrained, _) = predict_csv(&wd, &["--config", &best], &input);
    assert_eq!(code, Some(0));
    assert_eq!(saved, retrained);
    let (code, default, err) = predict_csv(&wd, &[], &input);
    assert_eq!(code, Some(0));
    assert_eq!(saved, default);
    assert!(
        err.contains("using the best configuration of reports/default/report.json"),
        "{err}"
    );

    // Training again gives the same bytes (deterministic), replacing the model file.
    let first = wd.read_bytes("models/m.json");
    wd.run(&["train", "--config", &best, "--model", "models/m.json"])
        .ok();
    assert_eq!(wd.read_bytes("models/m.json"), first);
}

#[test]
fn every_kind_of_model_saves_and_loads_including_trees_and_baselines() {
    let wd = Workdir::with_repo_data();
    let input = statements();
    for config in [
        "words-masked + naive-bayes",
        "chars + decision-tree",
        "words+lexicon+negation+shape + linear-svm",
        "stratified-random",
    ] {
        wd.run(&["train", "--config", config, "--model", "m.json"])
            .ok()
            .stdout_has(&format!("trained {config} on 11 items"));
        let (code, saved, err) = predict_csv(&wd, &["--model", "m.json"], &input);
        assert_eq!(code, Some(0), "{config}: {err}");
        let (_, retrained, _) = predict_csv(&wd, &["--config", config], &input);
        assert_eq!(saved, retrained, "{config}");
    }
    // Three classes (one-vs-rest models).
    wd.run(&[
        "train",
        "experiments/three-way.toml",
        "--config",
        "words + decision-tree",
        "--model",
        "three.json",
    ])
    .ok()
    .stdout_has("(support ");
    wd.run(&["predict", "--model", "three.json", "We must not escalate."])
        .ok()
        .stdout_has("loaded from three.json, trained on")
        .stdout_has("'three-way' (support / oppose / neutral)");
}

#[test]
fn bad_model_files_and_targets_are_refused_clearly() {
    let wd = Workdir::with_repo_data();
    wd.run(&["train", "--config", "words + logistic", "--model", "m.json"])
        .ok();
    let text = wd.read("m.json");

    wd.write(
        "old.json",
        text.replacen("\"schema_version\":1,", "\"schema_version\":2,", 1),
    );
    wd.run(&["predict", "--model", "old.json", "x"])
        .code(2)
        .stderr_has("old.json: model file schema version 2, but this stance")
        .stderr_has("reads version 1 only")
        .stderr_has(
            "retrain it with `stance train --config \"words + logistic\" --model old.json`",
        );

    wd.write("cut.json", &text[..text.len() / 3]);
    wd.run(&["predict", "--model", "cut.json", "x"])
        .code(2)
        .stderr_has("cut.json: the model file ends early");

    wd.run(&["predict", "--model", "experiments/default.toml", "x"])
        .code(2)
        .stderr_has("experiments/default.toml is not a stance model file");

    // train never replaces a file that is not a model file.
    let before = wd.read("experiments/default.toml");
    wd.run(&[
        "train",
        "--config",
        "words + logistic",
        "--model",
        "experiments/default.toml",
    ])
    .code(2)
    .stderr_has("--model experiments/default.toml: this is the experiment file");
    assert_eq!(wd.read("experiments/default.toml"), before);
    // A file the command does not read, but not a model file either.
    wd.write("notes.json", "my notes");
    wd.run(&[
        "train",
        "--config",
        "words + logistic",
        "--model",
        "notes.json",
    ])
    .code(2)
    .stderr_has("exists and is not a stance model file; refusing to replace it");
    assert_eq!(wd.read("notes.json"), "my notes");

    wd.run(&["train", "--config", "words + bert", "--model", "n.json"])
        .code(2)
        .stderr_has("configuration 'words + bert' is not in experiment 'default'")
        .stderr_has("'words + logistic'");
    wd.run(&[
        "predict",
        "--model",
        "m.json",
        "--config",
        "words + logistic",
        "x",
    ])
    .code(2)
    .stderr_has("cannot be used with");
}

#[test]
fn a_labelled_csv_outside_the_repository_trains_and_predicts_from_anywhere() {
    let data = Workdir::new();
    let mut csv = String::from("id,statement,stance\n");
    for (i, t) in [
        "we should lift the limits now",
        "lifting the limits is self defense",
        "allow them to strike back",
        "the limits must go",
        "they have the right to strike",
    ]
    .iter()
    .enumerate()
    {
        csv.push_str(&format!("p{i},\"{t}\",pro\n"));
    }
    for (i, t) in [
        "this risks a wider war",
        "escalation is too dangerous",
        "keep the limits in place",
        "we cannot risk escalation",
        "a wider war helps nobody",
    ]
    .iter()
    .enumerate()
    {
        csv.push_str(&format!("c{i},\"{t}\",con\n"));
    }
    data.write("corpus.csv", csv);
    let path = data.path().join("corpus.csv");
    data.write(
        "small.toml",
        format!(
            r#"name = "small"
seed = 3
bootstrap = 100

[data]
source = "csv"
path = "{}"
text = "statement"
label = "stance"
id = "id"
classes = ["pro", "con"]

[evaluation]
scheme = "stratified-kfold"
k = 2
repeats = 2

[[features]]
name = "words"
extractors = [{{ type = "word-ngrams", weighting = "binary" }}]

[[classifiers]]
type = "logistic"

[[classifiers]]
type = "majority"
"#,
            path.display()
        ),
    );
    let exp = data.path().join("small.toml");
    let exp = exp.to_str().unwrap();
    let model = data.path().join("out/small.json");
    let model = model.to_str().unwrap();
    let wd = Workdir::new();
    wd.run(&["run", exp, "-q"]).ok();
    wd.run(&["train", exp, "--model", model])
        .ok()
        .stderr_has("using the best configuration of reports/small/report.json: words + logistic")
        .stdout_has("trained words + logistic on 10 items of 'small' (pro 5 / con 5)");
    // From a directory with neither the experiment nor its data.
    let elsewhere = Workdir::new();
    let input = "we must lift the limits\nescalation risks a wider war\n";
    let (code, saved, err) = predict_csv(&elsewhere, &["--model", model], input);
    assert_eq!(code, Some(0), "{err}");
    let rows: Vec<&str> = saved.lines().collect();
    assert_eq!(rows[0], "text,predicted,p_pro,p_con,evidence");
    assert!(
        rows[1].starts_with("we must lift the limits,pro,"),
        "{saved}"
    );
    assert!(
        rows[2].starts_with("escalation risks a wider war,con,"),
        "{saved}"
    );
    let (_, retrained, _) = predict_csv(&wd, &["-e", exp, "--config", "words + logistic"], input);
    assert_eq!(saved, retrained);
}
