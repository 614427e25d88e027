//! Tests of parsing, checking, paths and identity, through the public API.

#[cfg(test)]
use super::*;

const MINIMAL: &str = r#"
name = "t"
seed = 1
[data]
source = "gold"
classes = ["support", "oppose"]
[evaluation]
scheme = "stratified-kfold"
k = 3
[[features]]
name = "words"
extractors = [{ type = "word-ngrams" }]
[[classifiers]]
type = "logistic"
"#;

#[test]
fn the_built_in_default_parses() {
    let e = Experiment::from_source(DEFAULT_EXPERIMENT, None).unwrap();
    assert_eq!(e.file.name, "default");
    assert!(e.source.origin().contains("built-in"));
}

#[test]
fn minimal_experiment_gets_defaults() {
    let e = Experiment::from_source(MINIMAL, Some(Path::new("x.toml"))).unwrap();
    assert_eq!(e.file.bootstrap, 2000);
    assert_eq!(e.file.headline, MetricName::MacroF1);
    assert_eq!(
        e.gate_metrics(),
        vec![MetricName::MacroF1, MetricName::Accuracy]
    );
}

#[test]
fn unknown_keys_and_wrong_types_name_the_line() {
    let bad = MINIMAL.replace("k = 3", "k = 3\nshuffle = true");
    let err = Experiment::from_source(&bad, Some(Path::new("x.toml")))
        .map_err(|e| stance_core::errors::chain(&e))
        .unwrap_err();
    assert!(err.starts_with("x.toml:10:"), "{err}");
    assert!(err.contains("unknown field `shuffle`"), "{err}");
    let bad = MINIMAL.replace("seed = 1", "seed = \"one\"");
    let err = Experiment::from_source(&bad, Some(Path::new("x.toml")))
        .map_err(|e| stance_core::errors::chain(&e))
        .unwrap_err();
    assert!(err.starts_with("x.toml:3:"), "{err}");
}

#[test]
fn semantic_errors_are_explained() {
    let cases = [
        (MINIMAL.replace("k = 3", "k = 1"), "k must be at least 2"),
        (MINIMAL.replace("k = 3\n", ""), "needs `k`"),
        (
            MINIMAL.replace("seed = 1", "seed = 1\nbootstrap = 10"),
            "too few",
        ),
        (
            MINIMAL.replace("type = \"logistic\"", "type = \"majority\""),
            "not a baseline",
        ),
        (
            MINIMAL.replace("type = \"logistic\"", "type = \"logistic\"\nalpha = -2.0"),
            "alpha",
        ),
        (
            MINIMAL.replace("seed = 1", "seed = 1\nkind = \"ablation\""),
            "[ablation]",
        ),
    ];
    for (src, want) in cases {
        let err = Experiment::from_source(&src, Some(Path::new("x.toml")))
            .map_err(|e| stance_core::errors::chain(&e))
            .unwrap_err();
        assert!(err.contains(want), "wanted '{want}' in: {err}");
    }
}

/// The line `err` (a `file:line: message` string) points at.
fn line_of(src: &str) -> (u64, String) {
    let err = Experiment::from_source(src, Some(Path::new("x.toml")))
        .map_err(|e| stance_core::errors::chain(&e))
        .unwrap_err();
    let line = err
        .strip_prefix("x.toml:")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line in: {err}"));
    (line, err)
}

#[test]
fn bad_lists_to_tune_are_refused_at_their_line_with_the_index() {
    let cases = [
        (
            MINIMAL.replace("type = \"logistic\"", "type = \"logistic\"\nalpha = []"),
            "alpha = []",
            "'alpha' is an empty list",
        ),
        (
            MINIMAL.replace(
                "type = \"logistic\"",
                "type = \"logistic\"\nalpha = [0.1, -1, 10]",
            ),
            "alpha = [",
            "'alpha[1]' must be a number in (0, 1e12]",
        ),
        (
            MINIMAL.replace(
                "type = \"logistic\"",
                "type = \"logistic\"\nalpha = [0.1, 0.1]",
            ),
            "alpha = [",
            "'alpha[1]' lists 0.1 twice",
        ),
        (
            MINIMAL.replace(
                "{ type = \"word-ngrams\" }",
                "{ type = \"word-ngrams\", ngram = [[1, 1], [2, 1]] }",
            ),
            "extractors",
            "'ngram[1]' must be [min, max]",
        ),
        (
            MINIMAL.replace(
                "{ type = \"word-ngrams\" }",
                "{ type = \"word-ngrams\", max_features = [10, 0] }",
            ),
            "extractors",
            "'max_features[1]' must be at least 1",
        ),
        (
            MINIMAL.replace("k = 3", "k = 3\ninner_k = 3"),
            "inner_k",
            "no parameter is given as a list",
        ),
        (
            MINIMAL
                .replace("k = 3", "k = 3\ninner_k = 1")
                .replace("type = \"logistic\"", "type = \"logistic\"\nalpha = [1, 2]"),
            "inner_k",
            "inner_k must be at least 2",
        ),
    ];
    for (src, at, want) in cases {
        let (line, err) = line_of(&src);
        assert!(err.contains(want), "wanted '{want}' in: {err}");
        // An extractor's error is at the extractor's own line, not at the feature set's `name`.
        let expected = if at == "extractors" {
            line_starting(&src, "extractors = [")
        } else {
            line_starting(&src, at)
        };
        assert_eq!(line, expected, "{err}");
    }
}

#[test]
fn lists_make_one_configuration_whose_id_shows_the_grid() {
    let src = MINIMAL
        .replace(
            "type = \"logistic\"",
            "type = \"logistic\"\nalpha = [0.01, 1, 10]",
        )
        .replace(
            "{ type = \"word-ngrams\" }",
            "{ type = \"word-ngrams\", ngram = [[1, 1], [1, 2]] }",
        );
    let e = Experiment::from_source(&src, None).unwrap();
    let plan = e.plan().unwrap();
    let ids: Vec<String> = plan.cells().into_iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        vec!["words(ngram∈{[1,1],[1,2]}) + logistic(alpha∈{0.01,1,10})"]
    );
    assert_eq!(plan.inner_k, stance_eval::tune::DEFAULT_INNER_K);
    assert_eq!(
        stance_eval::tune::settings(Some(&plan.variants[0].features), &plan.classifiers[0])[1],
        "ngram=[1,1], alpha=1"
    );
    // A fixed experiment serializes as before: no `inner_k`, plain numbers.
    let fixed = Experiment::from_source(MINIMAL, None).unwrap();
    let json = serde_json::to_string(&fixed.file).unwrap();
    assert!(
        !json.contains("inner_k") && json.contains("\"alpha\":1.0"),
        "{json}"
    );
}

/// 1-based line of the first line of `src` that starts with `prefix`.
fn line_starting(src: &str, prefix: &str) -> u64 {
    src.lines().position(|l| l.starts_with(prefix)).unwrap() as u64 + 1
}

/// `MINIMAL` with a description and comments that mention every key the errors below are about, above the
/// keys themselves: a substring search would point at these.
fn decoy() -> String {
    MINIMAL.replace(
        "name = \"t\"\n",
        "name = \"t\"\ndescription = \"k, repeats, alpha, bootstrap, fractions, \\\"words\\\", \\\"logistic\\\"\"\n\
         # k = 5 repeats = 3 alpha bootstrap fractions name = \"words\" type = \"logistic\"\n",
    )
}

#[test]
fn errors_point_at_the_value_not_at_a_mention() {
    let base = decoy();
    let cases: Vec<(String, &str, &str)> = vec![
        (
            base.replace("k = 3", "k = 1"),
            "k = 1",
            "k must be at least 2",
        ),
        (
            base.replace("k = 3", "k = 3\nrepeats = 0"),
            "repeats = 0",
            "repeats must be at least 1",
        ),
        (
            base.replace("seed = 1", "seed = 1\nalpha = 1.5"),
            "alpha = 1.5",
            "alpha must be in (0, 1)",
        ),
        (
            base.replace("seed = 1", "seed = 1\nbootstrap = 10"),
            "bootstrap = 10",
            "too few",
        ),
        (
            base.replace("seed = 1", "seed = 1\nkind = \"learning-curve\"")
                + "[learning_curve]\nfractions = [0.5, 0.25]\n",
            "fractions = ",
            "strictly increasing",
        ),
        (
            base.clone()
                + "[[features]]\nname = \"words\"\nextractors = [{ type = \"char-ngrams\" }]\n",
            "name = \"words\"\nextractors = [{ type = \"char",
            "used twice",
        ),
        (
            base.clone() + "[[classifiers]]\ntype = \"logistic\"\nname = \"l2\"\nalpha = -2.0\n",
            "alpha = -2.0",
            "alpha",
        ),
    ];
    for (src, at, want) in cases {
        let (line, err) = line_of(&src);
        let expected = src
            .find(at)
            .map(|o| stance_core::diag::line_of_offset(&src, o));
        assert_eq!(Some(line), expected, "{want}: {err}\n{src}");
        assert!(err.contains(want), "wanted '{want}' in: {err}");
    }
}

#[test]
fn sizes_are_bounded_with_the_allowed_range_in_the_message() {
    let lc = |fractions: &str| {
        MINIMAL.replace("seed = 1", "seed = 1\nkind = \"learning-curve\"")
            + &format!("[learning_curve]\nfractions = {fractions}\n")
    };
    let many: Vec<String> = (1..=21).map(|i| format!("{}", i as f64 / 21.0)).collect();
    let cases = [
        (
            MINIMAL.replace("seed = 1", "seed = 1\nbootstrap = 100001"),
            "bootstrap",
            "100..=100000",
        ),
        (MINIMAL.replace("k = 3", "k = 1001"), "k = ", "2..=1000"),
        (
            MINIMAL.replace("k = 3", "k = 3\nrepeats = 1001"),
            "repeats",
            "1..=1000",
        ),
        (lc(&format!("[{}]", many.join(", "))), "fractions", "1..=20"),
        (lc("[0.5, 1.5]"), "fractions", "(0, 1]"),
    ];
    for (src, key, want) in cases {
        let (line, err) = line_of(&src);
        assert_eq!(line, line_starting(&src, key), "{err}");
        assert!(err.contains(want), "wanted '{want}' in: {err}");
    }
    for ok in ["bootstrap = 0", "bootstrap = 100", "bootstrap = 100000"] {
        let src = MINIMAL.replace("seed = 1", &format!("seed = 1\n{ok}"));
        assert!(Experiment::from_source(&src, None).is_ok(), "{ok}");
    }
    let twenty: Vec<String> = (1..=20).map(|i| format!("{}", i as f64 / 20.0)).collect();
    assert!(Experiment::from_source(&lc(&format!("[{}]", twenty.join(", "))), None).is_ok());
}

#[test]
fn feature_and_tree_sizes_are_bounded_but_real_values_pass() {
    let words = |extra: &str| {
        MINIMAL.replace(
            "extractors = [{ type = \"word-ngrams\" }]",
            &format!("extractors = [{{ type = \"word-ngrams\", {extra} }}]"),
        )
    };
    let tree = |extra: &str| {
        MINIMAL.replace(
            "type = \"logistic\"",
            &format!("type = \"decision-tree\"\n{extra}"),
        )
    };
    let cases = [
        // An extractor's error is at the extractor, not at the feature set's name.
        (
            words("max_features = 2000000000"),
            "extractors = [",
            "1..=1000000000",
        ),
        (
            words("min_df = 2000000000"),
            "extractors = [",
            "1..=1000000000",
        ),
        (tree("max_depth = 100000"), "max_depth", "1..=10000"),
        (
            tree("min_samples_leaf = 1e30"),
            "min_samples_leaf",
            "[1, 1e9]",
        ),
        (
            tree("min_samples_split = 1e30"),
            "min_samples_split",
            "[1, 1e9]",
        ),
    ];
    for (src, key, want) in cases {
        let (line, err) = line_of(&src);
        assert_eq!(line, line_starting(&src, key), "{err}");
        assert!(err.contains(want), "wanted '{want}' in: {err}");
    }
    for ok in [
        words("max_features = 10000000, min_df = 100"),
        words("max_features = [1000, 10000000]"),
        tree("max_depth = 200\nmin_samples_leaf = 50\nmin_samples_split = 100"),
    ] {
        assert!(Experiment::from_source(&ok, None).is_ok(), "{ok}");
    }
}

#[test]
fn a_csv_sample_of_zero_is_refused_at_its_line() {
    let src = MINIMAL.replace(
        "source = \"gold\"\nclasses = [\"support\", \"oppose\"]",
        "source = \"csv\"\npath = \"x.csv\"\ntext = \"t\"\nlabel = \"l\"\nsample = 0",
    );
    let (line, err) = line_of(&src);
    assert_eq!(line, line_starting(&src, "sample"), "{err}");
    assert!(err.contains("at least 1"), "{err}");
}

#[test]
fn identity_fingerprint_ignores_features_but_not_data() {
    let a = Experiment::from_source(MINIMAL, None).unwrap();
    let b = Experiment::from_source(
        &MINIMAL.replace("word-ngrams\" }", "word-ngrams\", ngram = [1, 2] }"),
        None,
    )
    .unwrap();
    let c = Experiment::from_source(&MINIMAL.replace("k = 3", "k = 2"), None).unwrap();
    assert_eq!(a.identity_fingerprint(), b.identity_fingerprint());
    assert_ne!(a.identity_fingerprint(), c.identity_fingerprint());
}

#[test]
fn identity_fingerprint_ignores_data_paths_but_not_other_data_keys() {
    let a = Experiment::from_source(MINIMAL, None).unwrap();
    let moved = MINIMAL.replace(
        "source = \"gold\"",
        "source = \"gold\"\nseeds = \"../seeds\"\nlabels = \"../labels/gold.csv\"",
    );
    let b = Experiment::from_source(&moved, None).unwrap();
    let c = Experiment::from_source(
        &MINIMAL.replace("source = \"gold\"", "source = \"gold\"\nunit = \"finest\""),
        None,
    )
    .unwrap();
    assert_eq!(a.identity_fingerprint(), b.identity_fingerprint());
    assert!(Identity::of(&a.file)
        .changes(&Identity::of(&b.file))
        .is_empty());
    assert_ne!(a.identity_fingerprint(), c.identity_fingerprint());
    assert_eq!(
        Identity::of(&a.file).changes(&Identity::of(&c.file)),
        vec!["[data]"]
    );
}

#[test]
fn relative_paths_resolve_against_the_experiment_folder() {
    let e = Experiment::from_source(MINIMAL, Some(Path::new("/nowhere/exps/x.toml"))).unwrap();
    assert_eq!(e.source.base_dir, Path::new("/nowhere/exps"));
    assert_eq!(
        e.source.resolve(Path::new("../seeds")),
        Path::new("/nowhere/seeds")
    );
    assert_eq!(
        e.source.resolve(Path::new("./a/./b.csv")),
        Path::new("/nowhere/exps/a/b.csv")
    );
    assert_eq!(
        e.source.resolve(Path::new("/abs/c.csv")),
        Path::new("/abs/c.csv")
    );
    // Text without a file resolves against the working directory.
    let t = Experiment::from_source(MINIMAL, None).unwrap();
    assert_eq!(t.source.base_dir, working_dir());
}

#[test]
fn a_missing_data_path_names_the_resolved_path_and_its_base() {
    let e = Experiment::from_source(MINIMAL, Some(Path::new("/nowhere/exps/x.toml"))).unwrap();
    let err = e
        .load_data()
        .map_err(|e| stance_core::errors::chain(&e))
        .unwrap_err();
    assert!(
        err.starts_with("/nowhere/exps/x.toml: data.seeds = \"seeds\" (its default"),
        "{err}"
    );
    assert!(
        err.contains("names /nowhere/exps/seeds, which does not exist"),
        "{err}"
    );
    assert!(
        err.contains("against the experiment file's folder, /nowhere/exps"),
        "{err}"
    );
}

#[test]
fn the_grouping_column_is_named_once() {
    let csv = MINIMAL.replace(
        "source = \"gold\"\nclasses = [\"support\", \"oppose\"]",
        "source = \"csv\"\npath = \"x.csv\"\ntext = \"t\"\nlabel = \"l\"\ngroup = \"topic\"",
    );
    let group_kfold = |src: &str, group: &str| {
        src.replace(
            "scheme = \"stratified-kfold\"",
            &format!("scheme = \"group-kfold\"{group}"),
        )
    };
    let ok = Experiment::from_source(&group_kfold(&csv, ""), None).unwrap();
    assert_eq!(
        ok.plan().unwrap().split,
        Split::GroupKfold {
            k: 3,
            repeats: 1,
            by: GroupBy::Group
        }
    );
    for (src, want) in [
        (
            group_kfold(&csv, "\ngroup = \"group\""),
            "data.group names ('topic')",
        ),
        (
            group_kfold(&csv, "\ngroup = \"doc\""),
            "applies to gold data",
        ),
        (
            group_kfold(MINIMAL, "\ngroup = \"group\""),
            "gold data groups by seed document",
        ),
        (
            group_kfold(&csv.replace("group = \"topic\"\n", ""), ""),
            "name the CSV column to group by in [data]",
        ),
    ] {
        let (line, err) = line_of(&src);
        assert!(err.contains(want), "wanted '{want}' in: {err}");
        assert!(line > 0, "{err}");
    }
    let holder = group_kfold(&csv, "\ngroup = \"holder\"");
    assert!(Experiment::from_source(&holder, None).is_ok());
}

#[test]
fn report_top_features_must_name_configurations_of_the_experiment() {
    let ok = format!("{MINIMAL}[report]\ntop_features = [\"best\", \"words + logistic\"]\n");
    let e = Experiment::from_source(&ok, None).unwrap();
    assert_eq!(e.top_features(), vec!["best", "words + logistic"]);
    assert_eq!(
        Experiment::from_source(MINIMAL, None)
            .unwrap()
            .top_features(),
        vec!["best"]
    );
    let with_majority = MINIMAL.to_string() + "[[classifiers]]\ntype = \"majority\"\n";
    for (entry, want) in [
        (
            "words + svm",
            "'words + svm' is not a configuration of this experiment",
        ),
        (
            "majority",
            "'majority' is a baseline, which has no weights to list",
        ),
    ] {
        let src = format!("{with_majority}[report]\ntop_features = [\"best\", \"{entry}\"]\n");
        let (line, err) = line_of(&src);
        assert!(err.contains(want), "wanted '{want}' in: {err}");
        assert!(err.contains("(words + logistic)"), "{err}");
        assert_eq!(line, line_starting(&src, "top_features"), "{err}");
    }
}

#[test]
fn gate_keys_default_to_the_simulated_gate_and_bad_values_are_refused_at_their_line() {
    let e = Experiment::from_source(MINIMAL, None).unwrap();
    let g = &e.file.gate;
    assert!(g.require_significance && g.configs.is_empty());
    assert_eq!(
        (g.max_broken, g.right_share),
        (DEFAULT_MAX_BROKEN, DEFAULT_RIGHT_SHARE)
    );
    let gate = |body: &str| format!("{MINIMAL}\n[gate]\n{body}\n");
    for (src, key, want) in [
        (gate("right_share = 0.0"), "right_share", "in (0, 1]"),
        (gate("right_share = 1.5"), "right_share", "in (0, 1]"),
        (
            gate("configs = [\"lexicon + logistic\", \"lexicon + logistic\"]"),
            "configs",
            "named once",
        ),
    ] {
        let (line, err) = line_of(&src);
        assert_eq!(line, line_starting(&src, key), "{err}");
        assert!(err.contains(want), "wanted '{want}' in: {err}");
    }
    let ok = Experiment::from_source(
        &gate("configs = [\"lexicon + logistic\"]\nmax_broken = 0\nright_share = 1.0"),
        None,
    )
    .unwrap();
    assert_eq!(ok.file.gate.max_broken, 0);
}
