use std::collections::BTreeMap;

use stance::results::RunReport;

use crate::workdir::{repo, Workdir};

const REPORT_FILES: [&str; 8] = [
    "behaviour.csv",
    "report.md",
    "report.html",
    "report.json",
    "metrics.csv",
    "predictions.csv",
    "metrics.json",
    "timings.json",
];
const CHARTS: [&str; 5] = [
    "charts/fold-scores.png",
    "charts/leaderboard.png",
    "charts/confusion.png",
    "charts/per-class-f1.png",
    "charts/behaviour.png",
];

fn report(wd: &Workdir, dir: &str) -> RunReport {
    serde_json::from_str(&wd.read(&format!("{dir}/report.json")))
        .expect("report.json parses as a RunReport")
}

/// A small labelled CSV "outside the repository": statements with a stance column and a topic group.
fn small_csv() -> String {
    let pro = [
        "we should lift the limits now",
        "lifting the limits is self defense",
        "allow them to strike back",
        "the limits must go",
        "strikes on bases are legitimate",
        "lift every limit today",
        "they have the right to strike",
        "limits only help the attacker",
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
    ];
    let mut s = String::from("id,statement,stance,topic,set\n");
    for (i, t) in pro.iter().enumerate() {
        s.push_str(&format!(
            "p{i},\"{t}\",1,t{},{}\n",
            i % 4,
            if i < 6 { "train" } else { "test" }
        ));
    }
    for (i, t) in con.iter().enumerate() {
        s.push_str(&format!(
            "c{i},\"{t}\",-1,t{},{}\n",
            i % 4,
            if i < 6 { "train" } else { "test" }
        ));
    }
    s
}

fn small_experiment(data_path: &str, scheme: &str) -> String {
    format!(
        r#"name = "small"
description = "A small labelled CSV | with a pipe in the description."
seed = 7
bootstrap = 200

[data]
source = "csv"
path = "{data_path}"
text = "statement"
label = "stance"
id = "id"
group = "topic"
split = "set"
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
type = "majority"
"#
    )
}

#[test]
fn the_default_experiment_writes_the_whole_report_folder() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "-q"])
        .ok()
        .stdout_has("rank")
        .stdout_has("(baseline)")
        .stdout_has("wrote reports/default/");
    for f in REPORT_FILES.iter().chain(CHARTS.iter()) {
        assert!(
            wd.path().join("reports/default").join(f).is_file(),
            "missing {f}"
        );
    }
    // report.json round-trips through its serde types, byte for byte.
    let json = wd.read("reports/default/report.json");
    let r: RunReport = serde_json::from_str(&json).unwrap();
    assert_eq!(
        String::from_utf8(stance::report::to_json(&r)).unwrap(),
        json
    );
    assert_eq!(r.schema_version, 2);
    assert_eq!(r.data.classes, vec!["support", "oppose"]);
    assert_eq!(r.run.items.len(), 11);
    assert_eq!(r.run.folds.len(), 30);
    assert!(r.inputs.keys().any(|k| k.starts_with("labels:")));
    assert!(r.inputs.keys().any(|k| k.starts_with("seeds/")));
    assert!(r.inputs.keys().any(|k| k.starts_with("experiment:")));
    // Every item has exactly one out-of-fold prediction per repeat, for every configuration.
    for c in &r.run.configs {
        assert_eq!(c.predictions.len(), 10);
        assert!(
            c.predictions
                .iter()
                .all(|rep| rep.iter().all(|p| p.is_some())),
            "{}",
            c.id
        );
        let total: u64 = c.confusion.iter().flatten().sum();
        assert_eq!(
            total, 110,
            "{}: confusion pools 11 items × 10 repeats",
            c.id
        );
    }
    // metrics.csv: one row per configuration × metric with bounds.
    let mut rdr = csv::Reader::from_path(wd.path().join("reports/default/metrics.csv")).unwrap();
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        vec![
            "config",
            "feature_set",
            "classifier",
            "baseline",
            "train_fraction",
            "metric",
            "value",
            "lower",
            "upper"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), r.run.configs.len() * (6 + 3 * 2));
    for row in &rows {
        let v: f64 = row[6].parse().unwrap();
        let (lo, hi): (f64, f64) = (row[7].parse().unwrap(), row[8].parse().unwrap());
        assert!(
            (0.0..=1.0).contains(&v) || &row[5] == "mcc" || &row[5] == "kappa",
            "{row:?}"
        );
        assert!(lo <= hi, "{row:?}");
    }
    // predictions.csv: configuration × item × repeat.
    let mut rdr =
        csv::Reader::from_path(wd.path().join("reports/default/predictions.csv")).unwrap();
    assert_eq!(rdr.records().count(), r.run.configs.len() * 11 * 10);
    // metrics.json: flat numbers per configuration (what `dvc metrics show` reads).
    let flat: BTreeMap<String, BTreeMap<String, f64>> =
        serde_json::from_str(&wd.read("reports/default/metrics.json")).unwrap();
    assert_eq!(flat.len(), r.run.configs.len());
    assert!(flat[&r.run.best].contains_key("macro_f1_lower"));
    // Every chart decodes as a PNG of a sensible size.
    for chart in CHARTS {
        let (width, height) =
            stance_testkit::png_size(&wd.read_bytes(&format!("reports/default/{chart}"))).unwrap();
        assert!(width >= 800 && height >= 400, "{chart}: {width}x{height}");
    }
    // The Markdown report has the sections an engineer looks for.
    let md = wd.read("reports/default/report.md");
    for section in [
        "## What this data can and cannot tell",
        "## Leaderboard",
        "## Per-class results",
        "## Confusion matrix of the best configuration",
        "## Top features",
        "## Error analysis",
        "![leaderboard](charts/leaderboard.png)",
        "![headline per fold](charts/fold-scores.png)",
    ] {
        assert!(md.contains(section), "report.md lacks {section}");
    }
}

#[test]
fn the_built_in_default_runs_when_experiments_is_absent() {
    let wd = Workdir::with_repo_data();
    std::fs::remove_dir_all(wd.path().join("experiments")).unwrap();
    wd.run(&["run", "-q"])
        .ok()
        .stdout_has("<built-in experiments/default.toml>");
    assert_eq!(report(&wd, "reports/default").experiment.sha256, {
        let bytes = std::fs::read(repo().join("experiments/default.toml")).unwrap();
        stance::corpus::sha256_hex(&bytes)
    });
}

#[test]
fn results_are_byte_identical_for_one_and_two_threads() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "-q", "--jobs", "1", "--out", "one"]).ok();
    wd.run(&["run", "-q", "--jobs", "2", "--out", "two"]).ok();
    let mut compared = 0;
    for f in REPORT_FILES
        .iter()
        .chain(CHARTS.iter())
        .filter(|f| **f != "timings.json")
    {
        assert!(
            wd.read_bytes(&format!("one/{f}")) == wd.read_bytes(&format!("two/{f}")),
            "{f} differs"
        );
        compared += 1;
    }
    assert_eq!(compared, 12);
    let t1: serde_json::Value = serde_json::from_str(&wd.read("one/timings.json")).unwrap();
    let t2: serde_json::Value = serde_json::from_str(&wd.read("two/timings.json")).unwrap();
    assert_eq!(t1["threads"], 1);
    assert_eq!(t2["threads"], 2);
}

#[test]
fn every_shipped_experiment_runs_on_the_gold_data() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "experiments/three-way.toml", "-q"])
        .ok()
        .stdout_has("f_avg");
    wd.run(&["run", "experiments/ablation.toml", "-q"]).ok();
    wd.run(&["run", "experiments/learning-curve.toml", "-q"])
        .ok();
    let ablation = report(&wd, "reports/ablation");
    let rows = ablation.run.ablation.expect("ablation rows");
    assert!(rows
        .iter()
        .any(|r| r.left_out.as_deref() == Some("lexicon")));
    assert!(wd
        .read("reports/ablation/report.md")
        .contains("## Ablation"));
    assert!(wd
        .path()
        .join("reports/ablation/charts/ablation.png")
        .is_file());
    let lc = report(&wd, "reports/learning-curve");
    let points = lc.run.learning_curve.expect("learning curve");
    let fractions: std::collections::BTreeSet<String> =
        points.iter().map(|p| format!("{}", p.fraction)).collect();
    assert_eq!(fractions.len(), 4);
    assert!(wd
        .read("reports/learning-curve/report.md")
        .contains("## Learning curve"));
    assert!(wd
        .path()
        .join("reports/learning-curve/charts/learning-curve.png")
        .is_file());
    let three = report(&wd, "reports/three-way");
    assert_eq!(
        three.run.evaluation.headline,
        stance::eval::MetricName::FAvg
    );
}

#[test]
fn a_labelled_csv_outside_the_repository_runs_through_the_same_command() {
    let data = Workdir::new();
    data.write("corpus.csv", small_csv());
    let wd = Workdir::new();
    let path = data.path().join("corpus.csv");
    wd.write(
        "small.toml",
        small_experiment(
            &path.display().to_string(),
            "scheme = \"group-kfold\"\nk = 2\nrepeats = 3",
        ),
    );
    wd.run(&["run", "small.toml", "-q"])
        .ok()
        .stdout_has("words + naive-bayes");
    let r = report(&wd, "reports/small");
    assert_eq!(r.data.n_items, 16);
    assert_eq!(r.data.classes, vec!["pro", "con"]);
    assert_eq!(
        r.run.evaluation.bootstrap_unit,
        stance::eval::results::BootstrapUnit::Group,
        "resampling follows the group column"
    );
    assert_eq!(r.run.evaluation.bootstrap_units, 4);
}

#[test]
fn a_fixed_split_column_trains_on_train_and_tests_on_test() {
    let wd = Workdir::new();
    wd.write("corpus.csv", small_csv());
    wd.write(
        "small.toml",
        small_experiment("corpus.csv", "scheme = \"fixed-split\""),
    );
    wd.run(&["run", "small.toml", "-q"]).ok();
    let r = report(&wd, "reports/small");
    assert_eq!(r.run.folds.len(), 1);
    assert_eq!((r.run.folds[0].train, r.run.folds[0].test), (12, 4));
    let tested = r.run.configs[0].predictions[0]
        .iter()
        .filter(|p| p.is_some())
        .count();
    assert_eq!(tested, 4);
}

/// Golden test of report.md on a small fixture. Regenerate with `UPDATE_GOLDEN=1 cargo test golden`.
#[test]
fn golden_report_markdown() {
    let wd = Workdir::new();
    wd.write("corpus.csv", small_csv());
    wd.write(
        "small.toml",
        small_experiment(
            "corpus.csv",
            "scheme = \"stratified-kfold\"\nk = 4\nrepeats = 2",
        ),
    );
    wd.run(&["run", "small.toml", "-q"]).ok();
    let md = wd.read("reports/small/report.md");
    // The harness version line names the commit, which changes with every commit: normalise it.
    let md: String = md
        .lines()
        .map(|l| {
            if l.starts_with("Harness ") {
                "Harness <version>; <rest of line normalised>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let golden = repo().join("tests/golden/small-report.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &md).unwrap();
    }
    let want = std::fs::read_to_string(&golden)
        .expect("tests/golden/small-report.md exists (UPDATE_GOLDEN=1 creates it)");
    assert!(
        md == want,
        "report.md differs from the golden file; diff it:\n--- got ---\n{md}\n--- want ---\n{want}"
    );
    assert!(
        md.contains("with a pipe in the description")
            && md.contains("A small labelled CSV \\| with a pipe")
    );
}

#[test]
fn an_unknown_key_in_an_experiment_names_its_line() {
    let wd = Workdir::with_repo_data();
    let text = wd
        .read("experiments/default.toml")
        .replace("repeats = 10", "repeats = 10\nshuffle = true");
    wd.write("bad.toml", text);
    wd.run(&["run", "bad.toml"])
        .code(2)
        .stderr_has("bad.toml:")
        .stderr_has("unknown field `shuffle`");
}

#[test]
fn too_many_folds_for_the_smallest_class_is_refused() {
    let wd = Workdir::with_repo_data();
    let text = wd
        .read("experiments/default.toml")
        .replace("k = 3 ", "k = 5 ");
    // Beside the original, so its relative paths (`../seeds`) still resolve.
    wd.write("experiments/bad.toml", text);
    wd.run(&["run", "experiments/bad.toml", "-q"])
        .code(2)
        .stderr_has("k = 5 folds is more than the 3 item(s) of class 'oppose'");
    assert!(
        !wd.path().join("reports/default").exists(),
        "nothing is written on error"
    );
}

#[test]
fn grouping_by_holder_that_leaves_one_class_is_explained() {
    let wd = Workdir::with_repo_data();
    let text = wd
        .read("experiments/default.toml")
        .replace("scheme = \"stratified-kfold\"", "scheme = \"leave-one-group-out\"\ngroup = \"holder\"")
        .replace("k = 3          # the smallest class (oppose) has 3 sentences: k cannot exceed that\nrepeats = 10", "");
    wd.write("experiments/logo.toml", text);
    wd.run(&["run", "experiments/logo.toml", "-q"])
        .code(2)
        .stderr_has("held-out group 'Jens Stoltenberg'")
        .stderr_has("hold only oppose (no support)");
}

#[test]
fn an_existing_folder_that_is_not_a_report_is_never_replaced() {
    let wd = Workdir::with_repo_data();
    wd.write("mine/notes.txt", "precious");
    wd.run(&["run", "-q", "--out", "mine"])
        .code(2)
        .stderr_has("is not a stance report folder");
    assert_eq!(wd.read("mine/notes.txt"), "precious");
}

#[test]
fn a_second_run_replaces_the_report_folder_whole() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "-q"]).ok();
    wd.write("reports/default/stray.txt", "from an older run");
    wd.run(&["run", "-q"]).ok();
    assert!(
        !wd.path().join("reports/default/stray.txt").exists(),
        "a folder holds exactly one run"
    );
    let leftovers: Vec<String> = std::fs::read_dir(wd.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, vec!["default"], "no staging folders left behind");
}

/// The trust rules of the comparison, on every shipped experiment: the star is exactly the exact test's
/// (Holm-adjusted) p < alpha, the error table never shows the gold class as the wrong prediction, and per-fold
/// scores exist for every configuration.
#[test]
fn verdicts_agree_with_their_intervals_on_every_shipped_experiment() {
    let wd = Workdir::with_repo_data();
    for exp in ["default", "three-way", "ablation", "learning-curve"] {
        wd.run(&["run", &format!("experiments/{exp}.toml"), "-q"])
            .ok();
        let r = report(&wd, &format!("reports/{exp}"));
        let alpha = r.run.evaluation.alpha;
        for c in &r.run.comparisons {
            // The star is the exact test's: p (Holm) < alpha, and nothing else.
            assert_eq!(
                c.significant,
                c.p_holm < alpha,
                "{exp}: {} significant={} with exact p (Holm) {}",
                c.config,
                c.significant,
                c.p_holm
            );
            assert!(c.p_holm >= c.p_value, "{exp}: {c:?}");
            // Enumerated exactly up to the limit, Monte Carlo beyond it.
            use stance::eval::permutation::{Method, MAX_EXACT_UNITS, MONTE_CARLO_DRAWS};
            if c.differing_units <= MAX_EXACT_UNITS {
                assert_eq!(c.method, Method::Exact, "{exp}");
                assert_eq!(c.patterns, 1u64 << c.differing_units, "{exp}: {c:?}");
            } else {
                assert_eq!(c.method, Method::MonteCarlo, "{exp}");
                assert_eq!(c.patterns, MONTE_CARLO_DRAWS as u64, "{exp}");
            }
            assert!(c.differing_units <= r.run.items.len(), "{exp}");
        }
        for cfg in &r.run.configs {
            assert_eq!(cfg.per_fold.len(), r.run.folds.len(), "{exp}: {}", cfg.id);
            assert_eq!(cfg.per_repeat.len(), r.run.evaluation.repeats, "{exp}");
        }
        // Error analysis: the "predicted" column is a wrong prediction, never the gold class.
        let md = wd.read(&format!("reports/{exp}/report.md"));
        if let Some(section) = md.split("## Error analysis").nth(1) {
            let rows: Vec<&str> = section
                .lines()
                .skip_while(|l| !l.starts_with("|---"))
                .skip(1)
                .take_while(|l| l.starts_with('|'))
                .collect();
            assert!(!rows.is_empty(), "{exp}: the error table has rows");
            for row in rows {
                let cells: Vec<&str> = row.split(" | ").collect();
                assert_ne!(cells[3], cells[4], "{exp}: gold = predicted in {row}");
            }
        }
    }
    let default = report(&wd, "reports/default");
    assert!(
        default
            .run
            .configs
            .iter()
            .any(|c| c.degenerate == Some(stance::eval::results::Degenerate::EqualsMajority)),
        "text models that predict the majority class everywhere are marked"
    );
    assert!(wd.read("reports/default/report.md").contains("≡ majority"));
}

/// `favg_classes` makes F_avg the mean F1 of the declared classes (here pro and con, where the default pair does
/// not exist), and a class the data lacks is refused at its line.
#[test]
fn favg_classes_defines_f_avg_and_unknown_classes_are_refused() {
    let wd = Workdir::new();
    wd.write("corpus.csv", small_csv());
    let exp = small_experiment("corpus.csv", "scheme = \"stratified-kfold\"\nk = 2").replace(
        "seed = 7\n",
        "seed = 7\nheadline = \"f_avg\"\nfavg_classes = [\"pro\", \"con\"]\n",
    );
    wd.write("exp.toml", &exp);
    wd.run(&["run", "exp.toml", "--out", "r", "-q"]).ok();
    let r = report(&wd, "r");
    for c in &r.run.configs {
        let f1: Vec<f64> = c.per_class.iter().map(|p| p.f1.point).collect();
        let favg = c.metrics[&stance::eval::MetricName::FAvg].point;
        assert!((favg - (f1[0] + f1[1]) / 2.0).abs() < 1e-15, "{}", c.id);
    }
    assert!(wd
        .read("r/report.md")
        .contains("the mean F1 of pro and con, as favg_classes declares"));
    wd.write(
        "bad.toml",
        exp.replace(
            "favg_classes = [\"pro\", \"con\"]",
            "favg_classes = [\"pro\", \"neutral\"]",
        ),
    );
    wd.run(&["run", "bad.toml", "--out", "b", "-q"])
        .code(2)
        .stderr_has("bad.toml:5")
        .stderr_has("favg_classes lists 'neutral'");
    assert!(!wd.path().join("b").exists());
}

/// A run past `report.json`'s 250,000-prediction bound writes its predictions gzip-compressed, names that file in
/// report.json, and every file is byte-identical for one and two threads (the gzip stream included).
#[test]
fn a_run_past_the_json_bound_writes_gzipped_predictions_identically_for_one_and_two_threads() {
    use std::io::Read;
    let wd = Workdir::new();
    // 5,000 items × 26 repeats × 2 configurations = 260,000 predictions.
    let mut csv = String::from("id,statement,stance\n");
    for i in 0..5000 {
        let stance = if i % 3 == 0 { "-1" } else { "1" };
        csv.push_str(&format!(
            "r{i},w{} w{} w{},{stance}\n",
            i % 50,
            i % 37,
            i % 3
        ));
    }
    wd.write("big.csv", csv);
    wd.write(
        "big.toml",
        r#"name = "big"
seed = 3
bootstrap = 0

[data]
source = "csv"
path = "big.csv"
text = "statement"
label = "stance"
id = "id"
label_names = { "1" = "pro", "-1" = "con" }
classes = ["pro", "con"]

[evaluation]
scheme = "stratified-kfold"
k = 2
repeats = 26

[[features]]
name = "words"
extractors = [{ type = "word-ngrams", weighting = "binary" }]

[[classifiers]]
type = "naive-bayes"

[[classifiers]]
type = "majority"
"#,
    );
    wd.run(&["run", "big.toml", "-q", "--jobs", "1", "--out", "one"])
        .ok();
    wd.run(&["run", "big.toml", "-q", "--jobs", "2", "--out", "two"])
        .ok();
    assert!(!wd.path().join("one/predictions.csv").exists());
    let gz = wd.read_bytes("one/predictions.csv.gz");
    assert_eq!(gz, wd.read_bytes("two/predictions.csv.gz"));
    for f in ["report.json", "report.md", "metrics.csv"] {
        assert!(
            wd.read_bytes(&format!("one/{f}")) == wd.read_bytes(&format!("two/{f}")),
            "{f} differs"
        );
    }
    let r = report(&wd, "one");
    assert!(r.predictions_omitted);
    assert_eq!(r.predictions_file(), "predictions.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(rows.records().count(), 260_000);
}

/// `[report] top_features`: by default only the best configuration is refitted for its top features; naming
/// configurations (or `"all"`) adds theirs, and a configuration's table does not depend on which others are listed.
#[test]
fn top_features_are_refitted_only_for_the_configurations_named() {
    let wd = Workdir::with_repo_data();
    let exp = |name: &str, report: &str| {
        format!(
            r#"
name = "{name}"
seed = 3
bootstrap = 0
[data]
source = "gold"
classes = ["support", "oppose"]
[evaluation]
scheme = "stratified-kfold"
k = 3
[behaviour]
enabled = false
[[features]]
name = "lexicon"
extractors = [{{ type = "lexicon" }}]
[[features]]
name = "words"
extractors = [{{ type = "word-ngrams" }}]
[[classifiers]]
type = "logistic"
[[classifiers]]
type = "naive-bayes"
[[classifiers]]
type = "majority"
{report}
"#
        )
    };
    wd.write("default.toml", exp("default", ""));
    wd.write("all.toml", exp("all", "[report]\ntop_features = [\"all\"]"));
    wd.write(
        "named.toml",
        exp(
            "named",
            "[report]\ntop_features = [\"words + naive-bayes\"]",
        ),
    );
    for name in ["default", "all", "named"] {
        wd.run(&["run", &format!("{name}.toml"), "-q"]).ok();
    }
    let (default, all, named) = (
        report(&wd, "reports/default"),
        report(&wd, "reports/all"),
        report(&wd, "reports/named"),
    );
    let with_top = |r: &RunReport| -> Vec<String> {
        r.run
            .configs
            .iter()
            .filter(|c| c.top_features.is_some())
            .map(|c| c.id.clone())
            .collect()
    };
    let best = default.run.leaderboard[0].clone();
    assert_eq!(with_top(&default), vec![best.clone()]);
    assert_eq!(with_top(&named), vec!["words + naive-bayes".to_string()]);
    assert_eq!(with_top(&all).len(), 4, "{:?}", with_top(&all));
    let top = |r: &RunReport, id: &str| {
        serde_json::to_string(&r.config(id).unwrap().top_features).unwrap()
    };
    assert_eq!(top(&default, &best), top(&all, &best));
    assert_eq!(
        top(&named, "words + naive-bayes"),
        top(&all, "words + naive-bayes")
    );
    let md = wd.read("reports/named/report.md");
    assert!(
        md.contains(
            "Shown for `words + naive-bayes` (`[report] top_features = [\"words + naive-bayes\"]`"
        ),
        "{md}"
    );
}

/// A learning curve whose largest fraction is below 1 compares configurations trained on that fraction, so the
/// corrected t-test's `n_test / n_train` uses the fraction's training size (the full fold's would inflate t about
/// 1.34× at fraction 0.5, k = 3): recomputed here from the report's own per-fold scores.
#[test]
fn a_learning_curve_below_full_size_corrects_t_with_the_fractions_training_size() {
    let wd = Workdir::with_repo_data();
    let exp = wd.read("experiments/learning-curve.toml").replace(
        "fractions = [0.25, 0.5, 0.75, 1.0]",
        "fractions = [0.25, 0.5]",
    );
    wd.write("experiments/half.toml", &exp);
    wd.run(&["run", "experiments/half.toml", "--out", "half", "-q"])
        .ok();
    let r = report(&wd, "half");
    let h = r.run.evaluation.headline;
    let best = r.config(&r.run.best).unwrap();
    let n_train = r
        .run
        .learning_curve
        .as_ref()
        .unwrap()
        .iter()
        .find(|p| p.config == r.run.best)
        .unwrap()
        .train_size;
    let full: f64 =
        r.run.folds.iter().map(|f| f.train as f64).sum::<f64>() / r.run.folds.len() as f64;
    assert!(n_train < 0.6 * full, "{n_train} vs {full}");
    let n_test: f64 =
        r.run.folds.iter().map(|f| f.test as f64).sum::<f64>() / r.run.folds.len() as f64;
    let mut checked = 0;
    for c in &r.run.comparisons {
        let Some(t) = c.corrected_t.as_ref().and_then(|t| t.t) else {
            continue;
        };
        let other = r.config(&c.config).unwrap();
        let d: Vec<f64> = other
            .per_fold
            .iter()
            .zip(&best.per_fold)
            .map(|(a, b)| a.metrics[&h] - b.metrics[&h])
            .collect();
        let j = d.len() as f64;
        let mean = d.iter().sum::<f64>() / j;
        let var = d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (j - 1.0);
        let want = mean / ((1.0 / j + n_test / n_train) * var).sqrt();
        assert!((t - want).abs() < 1e-9, "{}: t {t}, want {want}", c.config);
        checked += 1;
    }
    assert!(checked > 0);
}

/// The strict ("invariant and correct") behavioural scores separate the trivial rule baselines — a constant, and
/// "oppose iff a negation word" — from the default experiment's best configuration: its mean strict failure rate
/// over the INV and DIR tests is lower than each rule's.
#[test]
fn strict_behavioural_scores_separate_the_rule_baselines_from_the_best() {
    use stance::behaviour::{evaluate, expand_all, load_dir, summarize, TestType};
    use stance::models::Prediction;
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "-q"]).ok();
    let r = report(&wd, "reports/default");
    let b = r.behaviour.as_ref().expect("behavioural results");
    let best = b.summary(&r.run.best).expect("the best is refitted");
    let mean = |tests: &[stance::behaviour::summary::TestSummary]| {
        let rates: Vec<f64> = tests
            .iter()
            .filter(|t| t.kind != TestType::Mft)
            .filter_map(|t| t.strict_failure_rate)
            .collect();
        rates.iter().sum::<f64>() / rates.len() as f64
    };
    let ours = mean(&best.tests);
    let cases = expand_all(&load_dir(&repo().join("labels/behaviour")).unwrap()).unwrap();
    let classes = r.data.classes.clone();
    let negator = |t: &str| {
        t.to_lowercase()
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
            .any(|w| matches!(w, "not" | "no" | "never" | "cannot") || w.ends_with("n't"))
    };
    type Rule<'a> = &'a dyn Fn(&str) -> usize;
    let rules: [(&str, Rule); 3] = [
        ("always support", &|_| 0),
        ("always oppose", &|_| 1),
        ("oppose iff a negation word", &|t| usize::from(negator(t))),
    ];
    for (name, decide) in rules {
        let predict = |texts: &[&str]| -> Vec<Prediction> {
            texts
                .iter()
                .map(|t| {
                    let class = decide(t);
                    let mut proba = vec![0.0; 2];
                    proba[class] = 1.0;
                    Prediction {
                        class,
                        proba: Some(proba),
                        tied: false,
                    }
                })
                .collect()
        };
        let theirs = mean(&summarize(name, &evaluate(&cases, &classes, &predict)).tests);
        eprintln!(
            "strict INV/DIR failure rate: {name} {theirs:.3}, {} {ours:.3}",
            r.run.best
        );
        assert!(ours < theirs, "{name}: {theirs} vs the best's {ours}");
    }
}

/// Three-class experiments judge the neutral MFT tests (off-target and on-target neutral statements) that
/// support/oppose experiments skip.
#[test]
fn three_class_experiments_evaluate_the_neutral_tests() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "experiments/three-way.toml", "-q"]).ok();
    let r = report(&wd, "reports/three-way");
    let b = r.behaviour.as_ref().expect("behavioural results");
    let best = b.summary(&r.run.best).unwrap();
    for test in ["mft_off_target", "mft_on_target_neutral"] {
        let t = best.test(test).next().expect(test);
        assert!(t.evaluated > 0 && t.skipped == 0, "{test}: {t:?}");
    }
}
