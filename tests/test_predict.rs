use crate::workdir::Workdir;

#[test]
fn labels_statements_given_as_arguments() {
    let wd = Workdir::with_repo_data();
    wd.run(&[
        "predict",
        "--feature-set",
        "lexicon",
        "--classifier",
        "naive-bayes",
        "Escalation risks a world war.",
    ])
    .ok()
    .stdout_has("trained on 11 items")
    .stdout_has("oppose (p = ")
    .stdout_has("evidence: lex:");
}

#[test]
fn labels_statements_from_stdin_and_csv_as_csv() {
    let wd = Workdir::with_repo_data();
    let mut cmd = wd.command(&["predict", "--feature-set", "words", "--format", "csv"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"Lift the restrictions now.\nNo strikes in Russia.\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["text", "predicted", "p_support", "p_oppose", "evidence"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        let p: f64 = r[2].parse::<f64>().unwrap() + r[3].parse::<f64>().unwrap();
        assert!((p - 1.0).abs() < 1e-9);
    }

    wd.write(
        "new.csv",
        "id,statement\n1,\"Allow Kyiv to strike, it is self-defense\"\n",
    );
    wd.run(&[
        "predict",
        "--feature-set",
        "lexicon",
        "--csv",
        "new.csv",
        "--text-column",
        "statement",
    ])
    .ok()
    .stdout_has("support");
    wd.run(&["predict", "--feature-set", "lexicon", "--csv", "new.csv"])
        .code(2)
        .stderr_has("new.csv:1: no column 'text'");
}

#[test]
fn unknown_names_list_what_is_available() {
    let wd = Workdir::with_repo_data();
    wd.run(&["predict", "--feature-set", "bert", "x"])
        .code(2)
        .stderr_has("feature set 'bert' is not in the experiment")
        .stderr_has("words, words-masked");
}

#[test]
fn without_a_configuration_predict_needs_a_report_and_feature_set_alone_says_its_classifier() {
    let wd = Workdir::with_repo_data();
    wd.run(&["predict", "x"])
        .code(2)
        .stderr_has("no report at reports/default/report.json")
        .stderr_has("--config");
    wd.run(&["predict", "--classifier", "logistic", "x"])
        .code(2)
        .stderr_has("--feature-set");
    wd.run(&["predict", "--feature-set", "words", "x"])
        .ok()
        .stdout_has("words + logistic trained on 11 items")
        .stderr_has("classifier: logistic (the default with --feature-set");
    wd.run(&[
        "predict",
        "--config",
        "lexicon + naive-bayes",
        "Escalation risks a world war.",
    ])
    .ok()
    .stdout_has("lexicon + naive-bayes trained on 11 items")
    .stdout_has("oppose (p = ");
}
