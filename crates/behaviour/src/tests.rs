//! Tests of loading, expansion and evaluation, on the shipped suites and on small inline ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::expand::{cap_indices, expand_all, expand_suite};
use super::run::{evaluate, Outcome};
use super::suite::{load_dir, parse_suite};
use super::summary::{
    check_bounds, csv_rows, flipped, markdown_section, summarize, Violation, CSV_HEADER,
};
use super::{BehaviourError, Case, Expectation, TestType};
use stance_models::Prediction;

fn shipped_dir() -> PathBuf {
    stance_testkit::at_root("labels/behaviour")
}

fn shipped() -> Vec<Case> {
    let suites = load_dir(&shipped_dir()).expect("shipped suites load");
    expand_all(&suites).expect("shipped suites expand")
}

fn parse(src: &str) -> Result<Vec<Case>, BehaviourError> {
    let suite = parse_suite(src, Path::new("inline.toml"), "inline.toml", Path::new("."))?;
    expand_suite(&suite)
}

fn classes(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

const SUPPORT: usize = 0;
const OPPOSE: usize = 1;

#[test]
fn shipped_suites_are_large_enough_and_traceable() {
    let cases = shipped();
    assert!(cases.len() >= 200, "{} cases", cases.len());
    let tests: BTreeSet<(&str, &str)> = cases
        .iter()
        .map(|c| (c.suite.as_str(), c.test.as_str()))
        .collect();
    assert!(tests.len() >= 8, "{} tests", tests.len());
    let kinds: BTreeSet<TestType> = cases.iter().map(|c| c.kind).collect();
    assert_eq!(kinds.len(), 3);
    let ids: BTreeSet<(&str, &str)> = cases
        .iter()
        .map(|c| (c.suite.as_str(), c.id.as_str()))
        .collect();
    assert_eq!(ids.len(), cases.len(), "case ids are unique within a suite");
    for c in &cases {
        let text = std::fs::read_to_string(shipped_dir().join(&c.suite)).unwrap();
        assert!(
            c.line >= 1 && c.line <= text.lines().count(),
            "{}:{}",
            c.suite,
            c.line
        );
        assert!(!c.texts.is_empty());
        match c.kind {
            TestType::Mft => assert_eq!(c.texts.len(), 1, "{}", c.id),
            _ => {
                assert_eq!(c.texts.len(), 2, "{}", c.id);
                assert_ne!(
                    c.texts[0], c.texts[1],
                    "{}: the perturbation changed nothing",
                    c.id
                );
            }
        }
        assert!(
            !c.texts.iter().any(|t| t.contains('{')),
            "{}: unexpanded slot in {:?}",
            c.id,
            c.texts
        );
    }
    // Gold-derived cases name their gold unit; the gold negation cases expect the flipped gold label.
    let neg: Vec<&Case> = cases.iter().filter(|c| c.test == "gold_negation").collect();
    assert_eq!(neg.len(), 7);
    let s01 = neg
        .iter()
        .find(|c| c.origin.as_deref() == Some("doc000.s01"))
        .unwrap();
    assert_eq!(s01.expectation, Expectation::FlipTo("oppose".into()));
    assert!(s01.texts[1].contains("urged allies not to allow"));
    let s11 = neg
        .iter()
        .find(|c| c.origin.as_deref() == Some("doc000.s11"))
        .unwrap();
    assert_eq!(s11.expectation, Expectation::FlipTo("support".into()));
    // Template lines point at the template itself.
    let first = cases.iter().find(|c| c.test == "mft_support").unwrap();
    let src = std::fs::read_to_string(shipped_dir().join("mft.toml")).unwrap();
    assert!(src
        .lines()
        .nth(first.line - 1)
        .unwrap()
        .contains("must be allowed to strike targets inside Russia"));
}

#[test]
fn expansion_is_deterministic_in_declared_order() {
    let src = r#"
[[test]]
name = "t"
type = "mft"
expect = "support"
templates = ["{a}-{b}", "only {b}"]
fill.b = ["1", "2"]
fill.a = ["x", "y", "z"]
"#;
    let cases = parse(src).unwrap();
    let texts: Vec<&str> = cases.iter().map(|c| c.texts[0].as_str()).collect();
    // `b` is declared first, so it is the outer loop; a template only uses the slots it names.
    assert_eq!(
        texts,
        ["x-1", "y-1", "z-1", "x-2", "y-2", "z-2", "only 1", "only 2"]
    );
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids[0], "t.000");
    assert_eq!(ids[7], "t.007");
    assert_eq!(cases[0].line, 6);
    assert_eq!(parse(src).unwrap(), cases, "same input, same cases");

    let capped = parse(&src.replace(
        "expect = \"support\"",
        "expect = \"support\"\nmax_cases = 4",
    ))
    .unwrap();
    let texts: Vec<&str> = capped.iter().map(|c| c.texts[0].as_str()).collect();
    assert_eq!(texts, ["x-1", "z-1", "y-2", "only 1"]);
    assert_eq!(cap_indices(6, Some(3)), [0, 2, 4]);
    assert_eq!(cap_indices(3, Some(10)), [0, 1, 2]);
}

#[test]
fn vary_and_pairs_expand_to_original_and_perturbed() {
    let src = r#"
[[test]]
name = "places"
type = "inv"
vary = "place"
templates = ["Strike from {place} with {w}."]
fill.place = ["Kharkiv", "Sumy", "Odesa"]
fill.w = ["ATACMS"]

[[test]]
name = "attr"
type = "dir"
expect = "opposite"
original = "support"
pairs = [["{who} said yes.", "{who} mocked the yes."]]
fill.who = ["A", "B"]
"#;
    let cases = parse(src).unwrap();
    assert_eq!(
        cases[0].texts,
        [
            "Strike from Kharkiv with ATACMS.",
            "Strike from Sumy with ATACMS."
        ]
    );
    assert_eq!(
        cases[1].texts,
        [
            "Strike from Kharkiv with ATACMS.",
            "Strike from Odesa with ATACMS."
        ]
    );
    assert_eq!(cases[0].expectation, Expectation::SameAsOriginal);
    assert_eq!(cases[2].texts, ["A said yes.", "A mocked the yes."]);
    assert_eq!(cases[2].expectation, Expectation::FlipTo("oppose".into()));
    assert_eq!(cases.len(), 4);
}

#[test]
fn class_mapping_renames_expectations() {
    let src = r#"
classes = { support = "1", oppose = "-1" }
[[test]]
name = "m"
type = "mft"
expect = "support"
texts = ["We should do it."]
[[test]]
name = "n"
type = "dir"
expect = "opposite"
original = "support"
perturb = "negate"
texts = ["We should do it."]
[[test]]
name = "u"
type = "dir"
expect = "opposite"
perturb = "negate"
texts = ["We should do it."]
"#;
    let cases = parse(src).unwrap();
    assert_eq!(cases[0].expectation, Expectation::Label("1".into()));
    assert_eq!(cases[1].expectation, Expectation::FlipTo("-1".into()));
    assert_eq!(cases[1].texts[1], "We should not do it.");
    assert_eq!(
        cases[2].expectation,
        Expectation::Opposite("1".into(), "-1".into())
    );
    let missing = parse(&src.replace("expect = \"support\"\ntexts", "expect = \"neutral\"\ntexts"))
        .unwrap_err();
    assert!(
        matches!(missing, BehaviourError::Invalid { line: 6, ref key, .. } if key == "expect"),
        "{missing}"
    );
}

/// The line an error reports, and its message.
fn error_line(src: &str) -> (usize, String) {
    match parse(src).unwrap_err() {
        e @ (BehaviourError::Invalid { line, .. } | BehaviourError::Toml { line, .. }) => {
            (line, stance_core::errors::chain(&e))
        }
        e => panic!("unexpected error {e}"),
    }
}

#[test]
fn errors_report_the_right_line_and_key() {
    let base = "[[test]]\nname = \"t\"\ntype = \"mft\"\nexpect = \"support\"\n";
    let (line, msg) = error_line(&format!(
        "{base}templates = [\n  \"ok\",\n  \"{{who}} said so\",\n]\n"
    ));
    assert_eq!(line, 7, "{msg}");
    assert!(
        msg.starts_with("inline.toml:7: key 'templates'") && msg.contains("who"),
        "{msg}"
    );

    let (line, msg) = error_line("[[test]]\nname = \"t\"\ntype = \"dir\"\nexpect = \"opposite\"\ntexts = [\"x must go\"]\nperturb = \"negation\"\n");
    assert_eq!(line, 6, "{msg}");
    assert!(
        msg.contains("key 'perturb'") && msg.contains("negation"),
        "{msg}"
    );

    let (line, msg) = error_line(&format!("{base}texts = [\"a\"]\nbogus = 1\n"));
    assert_eq!(line, 6, "{msg}");
    assert!(msg.contains("bogus"), "{msg}");

    let (line, msg) = error_line(&format!("{base}texts = [\"a\"\n"));
    assert!(line >= 5, "{line}: {msg}");

    let (line, msg) = error_line(
        "[[test]]\nname = \"t\"\ntype = \"mft\"\nexpect = \"favour\"\ntexts = [\"a\"]\n",
    );
    assert_eq!(line, 4, "{msg}");
    assert!(msg.contains("key 'expect'"), "{msg}");

    // A perturbation that cannot apply is an error at the text's line, not a silent no-op case.
    let (line, msg) = error_line("[[test]]\nname = \"t\"\ntype = \"dir\"\nexpect = \"opposite\"\nperturb = \"negate\"\ntexts = [\n \"Fine.\",\n \"Nothing to negate here\",\n]\n");
    assert_eq!(line, 7, "{msg}");
    assert!(msg.contains("negate does not apply"), "{msg}");

    let (line, msg) = error_line("[[test]]\nname = \"t\"\ntype = \"inv\"\ntexts = [\"a\"]\n");
    assert_eq!(line, 2, "{msg}");

    // One label per input, in order; none for MFT tests; a class the guideline knows.
    let inv = "[[test]]\nname = \"t\"\ntype = \"inv\"\nperturb = \"punctuation\"\ntexts = [\"A, b.\", \"C, d.\"]\n";
    let (line, msg) = error_line(&format!("{inv}originals = [\"support\"]\n"));
    assert_eq!(line, 6, "{msg}");
    assert!(msg.contains("1 label(s) for 2 input(s)"), "{msg}");
    let (line, msg) = error_line(&format!("{inv}originals = [\"support\", \"favour\"]\n"));
    assert_eq!(line, 6, "{msg}");
    assert!(
        msg.contains("key 'originals'") && msg.contains("favour"),
        "{msg}"
    );
    let (line, msg) = error_line(&format!(
        "{inv}original = \"support\"\noriginals = [\"support\", \"oppose\"]\n"
    ));
    assert_eq!(line, 7, "{msg}");
    assert!(msg.contains("not both"), "{msg}");
    let (line, msg) = error_line(&format!("{base}texts = [\"a\"]\noriginal = \"support\"\n"));
    assert_eq!(line, 2, "{msg}");
    assert!(
        msg.contains("an MFT test states its label in expect"),
        "{msg}"
    );
    let ok = parse(&format!("{inv}originals = [\"support\", \"oppose\"]\n")).unwrap();
    assert_eq!(ok[0].original.as_deref(), Some("support"));
    assert_eq!(ok.last().unwrap().original.as_deref(), Some("oppose"));
}

/// The strict reading fails an invariant case whose original is predicted wrong; the reading as tested passes it.
#[test]
fn the_strict_reading_requires_the_original_to_be_right() {
    let cases = parse(
        "[[test]]\nname = \"t\"\ntype = \"inv\"\nperturb = \"punctuation\"\ntexts = [\"A, b.\", \"C, d.\"]\noriginals = [\"support\", \"oppose\"]\n",
    )
    .unwrap();
    let results = evaluate(&cases, &classes(&["support", "oppose"]), &constant(SUPPORT));
    assert!(results.iter().all(|r| r.outcome == Outcome::Pass));
    for r in &results {
        let want = if r.case.original.as_deref() == Some("support") {
            Outcome::Pass
        } else {
            Outcome::Fail
        };
        assert_eq!(r.strict, want, "{:?}", r.case.texts);
    }
    let s = summarize("constant", &results);
    assert_eq!(s.tests[0].failure_rate, Some(0.0));
    assert_eq!(s.tests[0].strict_failure_rate, Some(0.5));
    assert_eq!(s.tests[0].headline_rate(), Some(0.5));
    assert!(csv_rows("constant", &results)
        .iter()
        .any(|r| r[9] == "false" && r[8] == "true"));
}

fn constant(class: usize) -> impl Fn(&[&str]) -> Vec<Prediction> {
    move |texts: &[&str]| {
        texts
            .iter()
            .map(|_| Prediction {
                class,
                proba: None,
                tied: false,
            })
            .collect()
    }
}

const OPPOSE_CUES: [&str; 10] = [
    "refused", "escalat", "war", "reckless", "stay", "remain", "never", "madness", "rejected",
    "mocked",
];

/// A keyword model that ignores negation: oppose on an opposition cue, else support.
fn keyword(text: &str) -> usize {
    let t = text.to_lowercase();
    if OPPOSE_CUES.iter().any(|c| t.contains(c)) {
        OPPOSE
    } else {
        SUPPORT
    }
}

fn rate(results: &[super::CaseResult], test: &str) -> (usize, usize, usize) {
    let rs: Vec<_> = results.iter().filter(|r| r.case.test == test).collect();
    let f = rs.iter().filter(|r| r.outcome == Outcome::Fail).count();
    let p = rs.iter().filter(|r| r.outcome == Outcome::Pass).count();
    let s = rs.iter().filter(|r| r.outcome == Outcome::Skipped).count();
    (p, f, s)
}

#[test]
fn always_support_fails_the_oppose_and_negation_tests() {
    let cases = shipped();
    let cls = classes(&["support", "oppose"]);
    let results = evaluate(&cases, &cls, &constant(SUPPORT));
    assert_eq!(results.len(), cases.len());
    let (p, f, _) = rate(&results, "mft_support");
    assert_eq!((p, f), (40, 0));
    let (p, f, _) = rate(&results, "mft_oppose");
    assert_eq!((p, f), (0, 40));
    let (p, _, _) = rate(&results, "negation_of_support");
    assert_eq!(p, 0);
    // Invariance holds trivially for a constant model.
    for t in ["inv_place", "inv_typo", "gold_typo", "gold_sentence_order"] {
        let (_, f, s) = rate(&results, t);
        assert_eq!((f, s), (0, 0), "{t}");
    }
    // Neutral items are skipped by a two-class model, and hedging without probabilities.
    let (p, f, s) = rate(&results, "mft_off_target");
    assert_eq!((p, f), (0, 0));
    assert!(s > 0);
    let hedge: Vec<_> = results.iter().filter(|r| r.case.test == "hedge").collect();
    assert!(hedge
        .iter()
        .all(|r| r.outcome == Outcome::Skipped && r.reason.contains("no probabilities")));
}

#[test]
fn a_model_ignoring_negation_fails_the_negation_tests() {
    let cases = shipped();
    let cls = classes(&["support", "oppose"]);
    let ignoring = |texts: &[&str]| -> Vec<Prediction> {
        texts
            .iter()
            .map(|t| Prediction {
                class: keyword(t),
                proba: None,
                tied: false,
            })
            .collect()
    };
    let ign = evaluate(&cases, &cls, &ignoring);
    for test in [
        "negation_of_support",
        "negation_of_oppose",
        "negation_forms",
    ] {
        let (p, f, s) = rate(&ign, test);
        assert_eq!(s, 0, "{test}");
        assert!(
            f >= 2 * p,
            "{test}: the negation-blind model must fail most cases ({p} passed, {f} failed)"
        );
    }
    // The blind model fails the gold negation test too.
    let (_, f, _) = rate(&ign, "gold_negation");
    assert!(f >= 5, "{f}");
    // The gate sees a repaired test as flips: every failed case that now passes.
    let repaired: Vec<super::CaseResult> = ign
        .iter()
        .cloned()
        .map(|mut r| {
            if r.case.test == "negation_of_support" {
                r.outcome = Outcome::Pass;
            }
            r
        })
        .collect();
    let (_, failed, _) = rate(&ign, "negation_of_support");
    let flips = flipped(&ign, &repaired);
    assert_eq!(flips.len(), failed);
    assert!(flips
        .iter()
        .all(|x| x.test == "negation_of_support" && x.after == Outcome::Pass));

    let summary = summarize("blind", &ign);
    let neg = summary.test("negation_of_oppose").next().unwrap();
    let (lo, hi) = neg.interval.unwrap();
    assert!(lo > 0.3 && hi <= 1.0, "{lo} {hi}");
    let mut bounds = BTreeMap::new();
    bounds.insert("negation_of_oppose".to_string(), 0.1);
    bounds.insert("no_such_test".to_string(), 0.5);
    let v = check_bounds(&summary, &bounds);
    assert_eq!(v.len(), 2);
    assert!(
        matches!(&v[0], Violation::TooManyFailures { test, .. } if test == "negation_of_oppose")
    );
    assert!(matches!(&v[1], Violation::UnknownTest { test } if test == "no_such_test"));
    bounds.remove("no_such_test");
    bounds.insert("negation_of_oppose".to_string(), 1.0);
    assert!(check_bounds(&summary, &bounds).is_empty());
}

/// Does the text hold a negation word: `not`, `no`, `never`, `cannot` or a word ending in `n't`?
fn has_negator(text: &str) -> bool {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .any(|w| {
            matches!(w, "not" | "no" | "never" | "cannot")
                || w.ends_with("n't")
                || w.ends_with("n’t")
        })
}

/// A rule baseline as a predictor, with the certainty of a rule (probability 1 for its class).
fn rule(decide: fn(&str) -> usize) -> impl Fn(&[&str]) -> Vec<Prediction> {
    move |texts: &[&str]| {
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
    }
}

/// The suites' self-test: two trivial rule baselines — a constant (each class in turn) and "oppose iff a negation
/// word" — must fail at least 40% of every INV and DIR test in the strict reading. Gold-sentence tests are the
/// gold data as it is (three of its eleven sentences carry a negator), so the negation rule is not held to them;
/// the constant is. A test a constant can pass cannot tell models apart, and before the strict reading every INV
/// test was such a test.
#[test]
fn rule_baselines_fail_the_tests_they_should() {
    let cases = shipped();
    let cls = classes(&["support", "oppose"]);
    fn support(_: &str) -> usize {
        SUPPORT
    }
    fn oppose(_: &str) -> usize {
        OPPOSE
    }
    fn negation(t: &str) -> usize {
        if has_negator(t) {
            OPPOSE
        } else {
            SUPPORT
        }
    }
    // (name, the rule, whether the gold-sentence tests concern it)
    type Rule = (&'static str, fn(&str) -> usize, bool);
    let rules: [Rule; 3] = [
        ("always support", support, true),
        ("always oppose", oppose, true),
        ("oppose iff a negation word", negation, false),
    ];
    for (name, decide, gold_too) in rules {
        let results = evaluate(&cases, &cls, &rule(decide));
        let summary = summarize(name, &results);
        let mut relevant = 0;
        for t in &summary.tests {
            if t.kind == TestType::Mft || (t.suite == "gold.toml" && !gold_too) {
                continue;
            }
            relevant += 1;
            assert_eq!(
                t.labelled, t.cases,
                "{}: every case states its original's label",
                t.test
            );
            let rate = t.strict_failure_rate.expect("judged");
            assert!(rate >= 0.4, "{name} fails only {rate:.2} of {}", t.test);
        }
        assert!(relevant >= 15, "{name}: {relevant} relevant tests");
    }
    // The rule is what the issue said it was: it gets every case of the old negation suite right as tested.
    assert!(
        has_negator("must not be allowed") && has_negator("shouldn't") && !has_negator("nobody")
    );
}

#[test]
fn hedging_needs_a_drop_in_probability() {
    let cases: Vec<Case> = shipped()
        .into_iter()
        .filter(|c| c.test == "hedge")
        .collect();
    assert_eq!(cases.len(), 24);
    let cls = classes(&["support", "oppose"]);
    let flat = |texts: &[&str]| -> Vec<Prediction> {
        texts
            .iter()
            .map(|t| Prediction {
                class: keyword(t),
                proba: Some(vec![0.5, 0.5]),
                tied: false,
            })
            .collect()
    };
    let unsure = |texts: &[&str]| -> Vec<Prediction> {
        texts
            .iter()
            .map(|t| {
                let k = keyword(t);
                let conf = if t.contains("perhaps") { 0.6 } else { 0.9 };
                let mut p = vec![1.0 - conf; 2];
                p[k] = conf;
                Prediction {
                    class: k,
                    proba: Some(p),
                    tied: false,
                }
            })
            .collect()
    };
    assert!(evaluate(&cases, &cls, &flat)
        .iter()
        .all(|r| r.outcome == Outcome::Fail));
    assert!(evaluate(&cases, &cls, &unsure)
        .iter()
        .all(|r| r.outcome == Outcome::Pass));
}

#[test]
fn a_predictor_returning_too_few_predictions_skips_everything() {
    let cases: Vec<Case> = shipped().into_iter().take(5).collect();
    let r = evaluate(&cases, &classes(&["support", "oppose"]), &|_: &[&str]| {
        Vec::new()
    });
    assert!(r
        .iter()
        .all(|r| r.outcome == Outcome::Skipped && r.reason.contains("returned 0")));
}

#[test]
fn csv_and_markdown_escape_and_cover_every_case() {
    let mut cases: Vec<Case> = shipped()
        .into_iter()
        .filter(|c| c.test == "mft_oppose_plain")
        .collect();
    cases[0].texts[0] = "a | b\nc".into();
    let cls = classes(&["support", "oppose"]);
    let results = evaluate(&cases, &cls, &constant(SUPPORT));
    let rows = csv_rows("cfg", &results);
    assert_eq!(rows.len(), cases.len());
    assert_eq!(CSV_HEADER[5], "text");
    assert_eq!(rows[0][0], "cfg");
    assert_eq!(rows[0][3], "MFT");
    assert_eq!(rows[0][6], "oppose");
    assert_eq!(rows[0][7], "support");
    assert_eq!(rows[0][8], "false");
    let md = markdown_section(&[summarize("cfg|x", &results), summarize("other", &results)]);
    assert!(md.starts_with("## Behavioural tests"));
    assert!(md.contains("a \\| b c"), "{md}");
    assert!(md.contains("cfg\\|x"));
    assert!(md.contains("100% (10/10) [72%, 100%]"), "{md}");
    // Every table row has the same number of unescaped separators as its header.
    let mut expected = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            expected = None;
            continue;
        }
        let n = line.replace("\\|", "").matches('|').count();
        assert_eq!(*expected.get_or_insert(n), n, "{line}");
    }
}

/// Case counts per test, pinned so that an edit to a suite that changes the expansion is a visible decision.
#[test]
fn shipped_case_counts_are_pinned() {
    let cases = shipped();
    let mut by: Vec<(String, TestType, usize)> = Vec::new();
    for c in &cases {
        match by.last_mut() {
            Some(l) if l.0 == c.test => l.2 += 1,
            _ => by.push((c.test.clone(), c.kind, 1)),
        }
    }
    let got: Vec<(&str, TestType, usize)> =
        by.iter().map(|(t, k, n)| (t.as_str(), *k, *n)).collect();
    use TestType::{Dir, Inv, Mft};
    assert_eq!(
        got,
        [
            ("criticised_refusal", Dir, 32),
            ("negation_forms", Dir, 18),
            ("antonyms", Dir, 12),
            ("concession", Dir, 8),
            ("partial_lifting", Dir, 16),
            ("negation_of_support", Dir, 36),
            ("negation_of_oppose", Dir, 36),
            ("attribution", Dir, 48),
            ("hedge", Dir, 24),
            ("gold_negation", Dir, 7),
            ("gold_typo", Inv, 6),
            ("gold_punctuation", Inv, 16),
            ("gold_sentence_order", Inv, 4),
            ("inv_place", Inv, 48),
            ("inv_number", Inv, 12),
            ("inv_speaker_same_side", Inv, 32),
            ("inv_speaker_cross_side", Inv, 24),
            ("inv_reported_speech", Inv, 32),
            ("inv_conditional", Inv, 12),
            ("inv_rhetorical_question", Inv, 8),
            ("inv_typo", Inv, 24),
            ("inv_punctuation", Inv, 18),
            ("inv_sentence_order", Inv, 10),
            ("mft_support", Mft, 40),
            ("mft_support_plain", Mft, 10),
            ("mft_oppose", Mft, 40),
            ("mft_oppose_plain", Mft, 10),
            ("mft_off_target", Mft, 20),
            ("mft_on_target_neutral", Mft, 8),
        ]
    );
    assert_eq!(cases.len(), 611);
}

#[test]
fn the_ibm_suite_targets_pro_and_con_classes() {
    let suites = load_dir(&shipped_dir().join("ibm-argq")).unwrap();
    let cases = expand_all(&suites).unwrap();
    assert!(cases.len() >= 20, "{}", cases.len());
    assert!(cases.iter().all(|c| match &c.expectation {
        Expectation::Label(x) | Expectation::FlipTo(x) => x == "1" || x == "-1",
        _ => true,
    }));
    // Against the IBM classes, a model blind to negation fails; against the stance classes everything is skipped.
    let blind = |texts: &[&str]| -> Vec<Prediction> {
        texts
            .iter()
            .map(|_| Prediction {
                class: 0,
                proba: None,
                tied: false,
            })
            .collect()
    };
    let ibm = evaluate(&cases, &classes(&["1", "-1"]), &blind);
    assert!(ibm
        .iter()
        .filter(|r| r.case.kind == TestType::Dir)
        .all(|r| r.outcome == Outcome::Fail));
    let stance = evaluate(&cases, &classes(&["support", "oppose"]), &blind);
    assert!(stance
        .iter()
        .filter(|r| r.case.kind != TestType::Inv)
        .all(|r| r.outcome == Outcome::Skipped));
}
