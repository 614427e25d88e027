use crate::workdir::Workdir;

const BASELINE: &str = "reports/baselines/default.json";

fn with_baseline() -> Workdir {
    let wd = Workdir::with_repo_data();
    wd.run(&["check", "-q", "--update-baseline"])
        .ok()
        .stdout_has("baseline written to reports/baselines/default.json");
    wd
}

/// Replaces the built-in lexicon of the `lexicon` feature set with one useless cue.
fn weaken_lexicon(wd: &Workdir) {
    wd.write(
        "weak-cues.toml",
        "[[cue]]\npattern = \"zebra\"\nstance = \"support\"\nrationale = \"deliberately useless\"\n",
    );
    let exp = wd.read("experiments/default.toml");
    let from = "name = \"lexicon\"\nextractors = [{ type = \"lexicon\" }]";
    assert!(exp.contains(from));
    wd.write(
        "experiments/default.toml",
        exp.replacen(
            from,
            "name = \"lexicon\"\nextractors = [{ type = \"lexicon\", path = \"../weak-cues.toml\" }]",
            1,
        ),
    );
}

#[test]
fn an_unchanged_run_passes_and_leaves_the_baseline_untouched() {
    let wd = with_baseline();
    let before = wd.read_bytes(BASELINE);
    wd.run(&[
        "check",
        "-q",
        "--summary",
        "summary.md",
        "--junit",
        "junit.xml",
    ])
    .ok()
    .stdout_has("gated: lexicon + linear-svm (the baseline's best)")
    .stdout_has("0 of the 10 item(s) right in at least 80% of the baseline's repeats are now wrong")
    .stdout_has("no out-of-fold prediction of a gated configuration changed")
    .stdout_has("behavioural tests: no case of a gated configuration changed outcome")
    .stdout_has("PASS");
    assert_eq!(wd.read_bytes(BASELINE), before);
    let junit = wd.read("junit.xml");
    assert!(
        junit.contains("failures=\"0\"")
            && junit.contains("lexicon + linear-svm :: macro_f1")
            && junit.contains("lexicon + linear-svm :: broken items"),
        "{junit}"
    );
    assert!(wd.read("summary.md").contains("✅ pass"));
}

#[test]
fn a_weakened_feature_set_is_a_regression_with_a_flip_list() {
    let wd = with_baseline();
    let before = wd.read_bytes(BASELINE);
    weaken_lexicon(&wd);
    let run = wd.run(&[
        "check",
        "-q",
        "--summary",
        "summary.md",
        "--junit",
        "junit.xml",
    ]);
    // Two stable items break (not more than max_broken = 2) and the drop is not significant on 11 items, but the
    // behavioural suites see what the gold items cannot: opposing statements are now read as support.
    run.code(1)
        .stdout_has("lexicon + linear-svm")
        .stdout_has("broken doc000.s10 | oppose |")
        .stdout_has("lexicon + linear-svm | mft_oppose: ")
        .stdout_has("REGRESSION")
        .stdout_has("changed since the baseline: feature set 'lexicon'")
        .stdout_has("changed prediction(s)")
        .stdout_has("doc000.s10")
        .stdout_has("FAIL:")
        .stdout_has("--update-baseline");
    // The flip list names the statement, its gold label and both predictions.
    assert!(
        run.stdout().lines().any(
            |l| l.contains("lexicon + linear-svm | doc000.s11 | oppose | ")
                && l.contains("-> support |")
        ),
        "{}",
        run.stdout()
    );
    assert_eq!(
        wd.read_bytes(BASELINE),
        before,
        "the baseline is never written without --update-baseline"
    );
    let summary = wd.read("summary.md");
    assert!(
        summary.contains("regression(s)")
            && summary.contains("![leaderboard](reports/default/charts/leaderboard.png)"),
        "{summary}"
    );
    let junit = wd.read("junit.xml");
    assert!(
        junit.contains("<failure") && !junit.contains("failures=\"0\""),
        "{junit}"
    );
}

/// The experiment without behavioural suites, so only the gold items judge it.
fn without_suites(wd: &Workdir, gate: &str) {
    let exp = wd.read("experiments/default.toml");
    // Called again on its own output, it replaces the [behaviour] table it wrote as well as the [gate] one.
    let at = exp
        .find("[behaviour]")
        .or_else(|| exp.find("[gate]"))
        .expect("a [gate] table");
    wd.write(
        "experiments/default.toml",
        format!("{}[behaviour]\nenabled = false\n\n{gate}\n", &exp[..at]),
    );
}

#[test]
fn a_drop_the_exact_test_cannot_call_significant_passes_unless_significance_is_off() {
    let wd = with_baseline();
    weaken_lexicon(&wd);
    // The weak lexicon breaks 2 items (not more than max_broken = 2), and 2 items cannot make the exact test
    // significant: on the gold items alone the gate passes.
    without_suites(&wd, "[gate]\nmetrics = [\"macro_f1\", \"accuracy\"]");
    wd.run(&["check", "-q"])
        .ok()
        .stdout_has("2 of the 10 item(s) right in at least 80%")
        .stdout_has("PASS")
        .stdout_has("changed prediction(s)");
    // Without the significance requirement any drop beyond the tolerance (0) fails, as the old gate did.
    without_suites(
        &wd,
        "[gate]\nmetrics = [\"macro_f1\", \"accuracy\"]\nrequire_significance = false",
    );
    wd.run(&["check", "-q"]).code(1).stdout_has("REGRESSION");
    // A stricter item rule catches the two broken items.
    without_suites(&wd, "[gate]\nmax_broken = 1");
    wd.run(&["check", "-q"])
        .code(1)
        .stdout_has("(at most 1 allowed): REGRESSION")
        .stdout_has("broken doc000.s11 | oppose |");
}

#[test]
fn named_configurations_are_gated_and_a_missing_one_fails() {
    let wd = with_baseline();
    let exp = wd.read("experiments/default.toml");
    let named = exp.replace(
        "[gate]\n",
        "[gate]\nconfigs = [\"shape + decision-tree\"]\n",
    );
    wd.write("experiments/default.toml", &named);
    wd.run(&["check", "-q"])
        .ok()
        .stdout_has("gated: lexicon + linear-svm (the baseline's best), shape + decision-tree")
        .stdout_has("shape + decision-tree  macro_f1");
    wd.write(
        "experiments/default.toml",
        exp.replace("[gate]\n", "[gate]\nconfigs = [\"no-such + config\"]\n"),
    );
    wd.run(&["check", "-q"])
        .code(1)
        .stdout_has("no-such + config: MISSING from the baseline or from this run");
}

#[test]
fn a_tolerance_override_widens_the_gate() {
    let wd = with_baseline();
    weaken_lexicon(&wd);
    without_suites(&wd, "[gate]\nrequire_significance = false");
    wd.run(&["check", "-q"]).code(1);
    wd.run(&[
        "check",
        "-q",
        "--tolerance",
        "macro_f1=1.0",
        "--tolerance",
        "accuracy=1.0",
    ])
    .ok();
    wd.run(&["check", "-q", "--tolerance", "macro_f1=oops"])
        .code(2)
        .stderr_has("'oops' is not a number");
    wd.run(&["check", "-q", "--tolerance", "f2=0.1"])
        .code(2)
        .stderr_has("unknown metric 'f2'");
}

#[test]
fn a_flipped_gold_label_makes_the_baseline_stale() {
    let wd = with_baseline();
    let before = wd.read_bytes(BASELINE);
    let gold = wd.read("labels/gold.csv");
    let flipped = gold.replacen(
        "doc000.s05,doc000,418,485,sentence,Jens Stoltenberg,support",
        "doc000.s05,doc000,418,485,sentence,Jens Stoltenberg,oppose",
        1,
    );
    assert_ne!(gold, flipped);
    wd.write("labels/gold.csv", flipped);
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("the baseline is stale and was not compared")
        .stderr_has("labels:labels/gold.csv changed")
        .stderr_has("stance check --baseline reports/baselines/default.json --update-baseline");
    assert_eq!(wd.read_bytes(BASELINE), before);
}

#[test]
fn a_changed_evaluation_makes_the_baseline_stale() {
    let wd = with_baseline();
    let exp = wd
        .read("experiments/default.toml")
        .replace("repeats = 10", "repeats = 5");
    wd.write("experiments/default.toml", exp);
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("experiment what the experiment measures changed ([evaluation])");
}

#[test]
fn a_changed_seed_document_makes_the_baseline_stale_via_validation() {
    let wd = with_baseline();
    let mut bytes = wd.read_bytes("seeds/000_2af097c08eccf118.txt");
    bytes[5] = b'x';
    wd.write("seeds/000_2af097c08eccf118.txt", bytes);
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("seeds/manifest.csv:2:");
}

#[test]
fn update_baseline_is_the_only_writer_and_is_atomic() {
    let wd = with_baseline();
    weaken_lexicon(&wd);
    wd.run(&["check", "-q", "--update-baseline"]).ok();
    wd.run(&["check", "-q"]).ok();
    let leftovers: Vec<String> = std::fs::read_dir(wd.path().join("reports/baselines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_missing_or_corrupt_baseline_is_an_input_error() {
    let wd = Workdir::with_repo_data();
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("no baseline to compare with")
        .stderr_has("--update-baseline");
    wd.write(BASELINE, "{ not json");
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("reports/baselines/default.json: not valid JSON");
    wd.write(BASELINE, "{\"schema_version\": 99}");
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("schema_version is 99");
}

/// Puts a marker file in the run's report folder; a rewritten folder (replaced atomically) would lose it.
fn mark_report_folder(wd: &Workdir) -> Vec<u8> {
    wd.write("reports/default/untouched.txt", "marker");
    wd.read_bytes("reports/default/timings.json")
}

fn assert_report_folder_untouched(wd: &Workdir, timings: &[u8]) {
    assert_eq!(wd.read("reports/default/untouched.txt"), "marker");
    assert_eq!(wd.read_bytes("reports/default/timings.json"), timings);
}

#[test]
fn a_refused_baseline_leaves_the_report_folder_untouched() {
    let wd = with_baseline();
    let good = wd.read_bytes(BASELINE);
    let timings = mark_report_folder(&wd);
    // Stale: what the experiment measures changed.
    let exp = wd.read("experiments/default.toml");
    wd.write(
        "experiments/default.toml",
        exp.replace("repeats = 10", "repeats = 5"),
    );
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("the baseline is stale and was not compared");
    assert_report_folder_untouched(&wd, &timings);
    wd.write("experiments/default.toml", exp);
    // Corrupt, then of another schema version.
    wd.write(BASELINE, "{ not json");
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("not valid JSON");
    wd.write(BASELINE, "{\"schema_version\": 99}");
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("schema_version is 99");
    assert_report_folder_untouched(&wd, &timings);
    assert_eq!(
        std::fs::read(wd.path().join(BASELINE)).unwrap(),
        b"{\"schema_version\": 99}"
    );
    // The good baseline is still accepted (and this run does replace the folder).
    wd.write(BASELINE, good);
    wd.run(&["check", "-q"]).ok();
    assert!(!wd.path().join("reports/default/untouched.txt").exists());
}

/// The committed baseline, edited as JSON.
fn edit_baseline(wd: &Workdir, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&wd.read_bytes(BASELINE)).unwrap();
    edit(&mut v);
    wd.write(BASELINE, serde_json::to_vec_pretty(&v).unwrap());
}

#[test]
fn a_truncated_or_out_of_range_prediction_list_is_an_input_error() {
    let wd = with_baseline();
    let good = wd.read_bytes(BASELINE);
    let timings = mark_report_folder(&wd);
    edit_baseline(&wd, |v| {
        let preds = v["configs"][0]["predictions"][0].as_array_mut().unwrap();
        preds.pop();
    });
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("not a usable baseline")
        .stderr_has("repeat 1: 10 predictions for 11 items");
    wd.write(BASELINE, &good);
    edit_baseline(&wd, |v| {
        v["configs"][0]["predictions"][0][0]["class"] = serde_json::json!(9);
    });
    wd.run(&["check", "-q"])
        .code(2)
        .stderr_has("predicted class index 9 but there are 2 classes");
    assert_report_folder_untouched(&wd, &timings);
}

/// A negation-aware feature set under a `[gate.behaviour]` bound on the negation tests; the same set with its
/// negation handling removed must fail the gate on behaviour alone.
#[test]
fn a_feature_set_that_ignores_negation_fails_the_behaviour_bound() {
    let wd = Workdir::with_repo_data();
    let exp = |features: &str| {
        format!(
            r#"name = "negation-gate"
seed = 5
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
name = "neg"
extractors = {features}
[[classifiers]]
type = "naive-bayes"
[gate]
metrics = ["accuracy"]
tolerance = {{ accuracy = 1.0 }}
[gate.behaviour]
configs = ["neg + naive-bayes"]
max_failure_rate = {{ negation_of_support = 0.8 }}
"#
        )
    };
    let aware = r#"[{ type = "words", ngram = [1, 1], mark_negation = true }, { type = "lexicon" }, { type = "negation" }, { type = "shape" }]"#
        .replace("\"words\"", "\"word-ngrams\"");
    wd.write("experiments/neg.toml", exp(&aware));
    wd.run(&["check", "experiments/neg.toml", "-q", "--update-baseline"])
        .ok();
    wd.run(&["check", "experiments/neg.toml", "-q"])
        .ok()
        .stdout_has("PASS");
    let blind =
        r#"[{ type = "word-ngrams", ngram = [1, 1] }, { type = "lexicon" }, { type = "shape" }]"#;
    wd.write("experiments/neg.toml", exp(blind));
    wd.run(&["check", "experiments/neg.toml", "-q"])
        .code(1)
        .stdout_has("BEHAVIOUR REGRESSION neg + naive-bayes")
        .stdout_has("negation_of_support")
        .stdout_has("behavioural case(s) changed outcome");
}

/// Each experiment has its own baseline file: making the three-way experiment's never touches the default's, and
/// every hint names the three-way experiment's own file.
#[test]
fn each_experiment_keeps_its_own_baseline() {
    let wd = with_baseline();
    let default_before = wd.read_bytes(BASELINE);
    let own = "reports/baselines/three-way.json";
    wd.run(&["check", "experiments/three-way.toml", "-q"])
        .code(2)
        .stderr_has("reports/baselines/three-way.json: no baseline to compare with")
        .stderr_has(
            "stance check experiments/three-way.toml --baseline reports/baselines/three-way.json --update-baseline",
        );
    // Pointed at the default experiment's baseline, the gate refuses it as stale, and the hint re-baselines
    // into the three-way experiment's own file, never over the default's.
    let stale = wd.run(&[
        "check",
        "experiments/three-way.toml",
        "-q",
        "--baseline",
        BASELINE,
    ]);
    stale
        .code(2)
        .stderr_has("the baseline is for experiment 'default', this run is 'three-way'")
        .stderr_has(
            "stance check experiments/three-way.toml --baseline reports/baselines/three-way.json --update-baseline",
        )
        .stderr_has("stance diff OLD NEW");
    assert!(
        !stale
            .stderr()
            .contains("--baseline reports/baselines/default.json --update-baseline"),
        "{}",
        stale.stderr()
    );
    wd.run(&[
        "check",
        "experiments/three-way.toml",
        "-q",
        "--update-baseline",
    ])
    .ok()
    .stdout_has("baseline written to reports/baselines/three-way.json");
    wd.run(&["check", "experiments/three-way.toml", "-q"])
        .ok()
        .stdout_has("PASS");
    wd.run(&["check", "-q"]).ok().stdout_has("PASS");
    assert_eq!(wd.read_bytes(BASELINE), default_before);
    let three: serde_json::Value = serde_json::from_slice(&wd.read_bytes(own)).unwrap();
    assert_eq!(three["experiment"]["name"], "three-way");
    // A run replaces its report folder but never the baselines beside it.
    wd.run(&["run", "experiments/three-way.toml", "-q"]).ok();
    assert!(wd.path().join(own).is_file());
}

/// The repository's committed baseline is where `stance check` looks by default, and it is current.
#[test]
fn the_committed_baseline_is_the_default_experiments_default() {
    let wd = Workdir::with_repo_data();
    let committed =
        std::fs::read(crate::workdir::repo().join(BASELINE)).expect("committed baseline");
    wd.write(BASELINE, &committed);
    wd.run(&["check", "-q"]).ok().stdout_has("PASS");
}
