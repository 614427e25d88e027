//! The newer commands (`diff`, `submission`, `train`, `--shard`/`merge`, `check --summary`) as careful as the old
//! ones (issue 24): no output written over an input or over something that is not a regular file, sizes given as
//! flags bounded as their TOML twins are, negative flag values named with their flag, every experiment key's error at
//! that key's own line, and nothing left behind by a killed run that the next run does not clean. Each case runs the
//! real binary and asserts exit 2, the message (file, line, flag) and that no file changed.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::test_badinput::{bad, snapshot, TINY};
use crate::workdir::Workdir;

/// A gold-data work dir with the tiny experiment run once into `reports/tiny`.
fn with_tiny_report() -> Workdir {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.run(&["run", "tiny.toml", "-q"]).ok();
    wd
}

// ---- never write over an input ------------------------------------------------------------------------------

#[test]
fn submission_never_writes_over_the_report_or_the_gold_labels_it_reads() {
    let wd = with_tiny_report();
    bad(
        &wd,
        &[
            "submission",
            "reports/tiny",
            "--out",
            "reports/tiny/report.json",
        ],
        None,
        &[
            "--out reports/tiny/report.json: this is inside the report reports/tiny",
            "choose a --out outside that folder",
        ],
    );
    bad(
        &wd,
        &[
            "submission",
            "reports/tiny/report.json",
            "--out",
            "reports/tiny/report.json",
        ],
        None,
        &[
            "--out reports/tiny/report.json: this is the report",
            "replace its own input",
        ],
    );
    // The project's gold labels are what the report was scored against: `--gold` there would replace them.
    bad(
        &wd,
        &[
            "submission",
            "reports/tiny",
            "--out",
            "guess.tsv",
            "--gold",
            "labels/gold.csv",
        ],
        None,
        &[
            "--gold labels/gold.csv: this is the gold labels the report came from",
            "choose another --gold",
        ],
    );
    bad(
        &wd,
        &[
            "submission",
            "reports/tiny",
            "--out",
            "same.tsv",
            "--gold",
            "./same.tsv",
        ],
        None,
        &["--out same.tsv and --gold ./same.tsv name the same file"],
    );
    // A hard link is the same file under another name.
    std::fs::hard_link(
        wd.path().join("labels/gold.csv"),
        wd.path().join("gold-link.csv"),
    )
    .unwrap();
    bad(
        &wd,
        &["submission", "reports/tiny", "--out", "gold-link.csv"],
        None,
        &["--out gold-link.csv: this is the gold labels the report came from"],
    );
    // And the ordinary use still works.
    wd.run(&[
        "submission",
        "reports/tiny",
        "--out",
        "guess.tsv",
        "--gold",
        "gold.tsv",
    ])
    .ok();
    assert!(wd.path().join("guess.tsv").is_file() && wd.path().join("gold.tsv").is_file());
}

#[test]
fn diff_never_writes_over_either_run_or_the_data_they_came_from() {
    let wd = with_tiny_report();
    bad(
        &wd,
        &[
            "diff",
            "reports/tiny",
            "reports/tiny",
            "--out",
            "reports/tiny/report.json",
        ],
        None,
        &["--out reports/tiny/report.json: this is inside run A reports/tiny"],
    );
    bad(
        &wd,
        &[
            "diff",
            "reports/tiny",
            "reports/tiny",
            "--out",
            "labels/gold.csv",
        ],
        None,
        &["--out labels/gold.csv: this is the gold labels the report came from"],
    );
    bad(
        &wd,
        &["diff", "reports/tiny", "reports/tiny", "--out", "tiny.toml"],
        None,
        &["--out tiny.toml: this is the experiment file the report came from"],
    );
}

#[test]
fn train_check_and_shard_runs_never_write_over_what_the_experiment_reads() {
    let wd = with_tiny_report();
    bad(
        &wd,
        &["train", "tiny.toml", "--model", "labels/gold.csv"],
        None,
        &["--model labels/gold.csv: this is the gold labels (data.labels)"],
    );
    bad(
        &wd,
        &["train", "tiny.toml", "--model", "tiny.toml"],
        None,
        &["--model tiny.toml: this is the experiment file"],
    );
    // A shard file written into the seeds folder would change the data the next run reads.
    bad(
        &wd,
        &["run", "tiny.toml", "--shard", "0/2", "--out", "seeds", "-q"],
        None,
        &["--out seeds/shard-0-of-2.json: this is inside the seeds folder (data.seeds)"],
    );
    wd.run(&["check", "tiny.toml", "--update-baseline", "-q"])
        .ok();
    bad(
        &wd,
        &["check", "tiny.toml", "-q", "--summary", "labels/gold.csv"],
        None,
        &["--summary labels/gold.csv: this is the gold labels (data.labels)"],
    );
    bad(
        &wd,
        &[
            "check",
            "tiny.toml",
            "-q",
            "--junit",
            "reports/baselines/tiny.json",
        ],
        None,
        &["--junit reports/baselines/tiny.json: this is the baseline"],
    );
    bad(
        &wd,
        &[
            "check",
            "tiny.toml",
            "-q",
            "--summary",
            "reports/tiny/summary.md",
        ],
        None,
        &["--out reports/tiny and --summary reports/tiny/summary.md are one inside the other"],
    );
}

#[cfg(unix)]
#[test]
fn an_output_that_links_to_a_device_is_refused_not_replaced() {
    let wd = with_tiny_report();
    std::os::unix::fs::symlink("/dev/null", wd.path().join("null.tsv")).unwrap();
    bad(
        &wd,
        &["submission", "reports/tiny", "--out", "null.tsv"],
        None,
        &[
            "--out null.tsv: it is a symbolic link to a character device (/dev/null)",
            "name a regular file",
        ],
    );
    bad(
        &wd,
        &["diff", "reports/tiny", "reports/tiny", "--out", "null.tsv"],
        None,
        &[
            "symbolic link to a character device",
            "or - for standard output",
        ],
    );
    assert!(
        std::fs::symlink_metadata(wd.path().join("null.tsv"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced"
    );
    bad(
        &wd,
        &["train", "tiny.toml", "--model", "/dev/null"],
        None,
        &["--model /dev/null: it is a character device"],
    );
    // `-` is standard output for diff.
    let run = wd.run(&["diff", "reports/tiny", "reports/tiny", "--out", "-"]);
    assert!(!run.ok().stdout().is_empty());
}

// ---- every size bounded, wherever it is given -----------------------------------------------------------------

#[test]
fn absurd_sizes_and_negative_values_on_the_command_line_are_refused_naming_the_flag() {
    let wd = with_tiny_report();
    bad(
        &wd,
        &[
            "diff",
            "reports/tiny",
            "reports/tiny",
            "--bootstrap",
            "1000000000000",
        ],
        None,
        &["'--bootstrap <N>'", "100..=100000"],
    );
    bad(
        &wd,
        &["run", "tiny.toml", "--shard", "0/1000000000000", "-q"],
        None,
        &["--shard '0/1000000000000'", "more than 100000 shards"],
    );
    bad(
        &wd,
        &["run", "tiny.toml", "--shard", "0/0", "-q"],
        None,
        &["--shard '0/0'"],
    );
    let e = bad(
        &wd,
        &["run", "tiny.toml", "--shard", "-1/2", "-q"],
        None,
        &["--shard '-1/2'"],
    );
    assert!(!e.contains("unexpected argument"), "{e}");
    let e = bad(
        &wd,
        &["run", "tiny.toml", "--memory-limit", "-1", "-q"],
        None,
        &["'--memory-limit <SIZE>'"],
    );
    assert!(!e.contains("unexpected argument"), "{e}");
    bad(
        &wd,
        &["run", "tiny.toml", "--jobs", "100000000", "-q"],
        None,
        &["--jobs"],
    );
}

/// `tiny.toml` with `classifier` as its only classifier block.
fn tiny_with(classifiers: &str) -> String {
    let cut = TINY.find("[[classifiers]]").unwrap();
    format!("{}{classifiers}\n", &TINY[..cut])
}

fn line_of(text: &str, prefix: &str) -> usize {
    1 + text
        .lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix}"))
}

#[test]
fn tuning_lists_are_bounded_per_list_and_per_configuration_at_their_line() {
    let wd = Workdir::with_repo_data();
    let values = |n: usize| {
        (1..=n)
            .map(|i| format!("{}", i as f64 / 10.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // One list of 101 values: the 100-candidate limit covers classifier lists too.
    let text = tiny_with(&format!(
        "[[classifiers]]\ntype = \"logistic\"\nalpha = [{}]",
        values(101)
    ));
    wd.write("e.toml", &text);
    bad(
        &wd,
        &["run", "e.toml", "-q"],
        None,
        &[&format!("e.toml:{}:", line_of(&text, "alpha"))],
    );
    // Two lists within the limit each whose product (20 × 20 = 400 candidates) is not.
    let text = tiny_with(&format!(
        "[[classifiers]]\ntype = \"logistic\"\nalpha = [{}]",
        values(20)
    ))
    .replace(
        "{ type = \"lexicon\" }",
        &format!(
            "{{ type = \"word-ngrams\", max_features = [{}] }}",
            (1..=20)
                .map(|i| (i * 10).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    wd.write("e.toml", &text);
    let e = bad(&wd, &["run", "e.toml", "-q"], None, &["e.toml:", "400"]);
    assert!(e.contains("100"), "{e}");
}

// ---- every key at its own line ------------------------------------------------------------------------------

#[test]
fn schema_errors_point_at_the_key_in_every_table_not_at_its_header() {
    let wd = Workdir::with_repo_data();
    let cases = [
        // A wrong type in [data]: the key's line, not the header's.
        (
            TINY.replace("source = \"gold\"", "source = \"gold\"\nunit = 3"),
            "unit = 3",
            "invalid type",
        ),
        // An unknown key in the second classifier block: its line, not the first block's header.
        (
            TINY.replace("type = \"majority\"", "type = \"logistic\"\ncolour = 1"),
            "colour = 1",
            "unknown field `colour`",
        ),
        // A wrong type in the second block.
        (
            TINY.replace(
                "type = \"majority\"",
                "type = \"logistic\"\nmax_iterations = \"many\"",
            ),
            "max_iterations",
            "invalid type",
        ),
        // NaN is named as written, at its line.
        (
            TINY.replace("type = \"majority\"", "type = \"logistic\"\nalpha = nan"),
            "alpha = nan",
            "nan is not a number",
        ),
    ];
    for (text, at, want) in cases {
        wd.write("e.toml", &text);
        let e = bad(
            &wd,
            &["run", "e.toml", "-q"],
            None,
            &[&format!("e.toml:{}:", line_of(&text, at)), want],
        );
        assert!(!e.contains("null"), "{e}");
    }
    // An extractor's own key, in a list of extractors written over several lines: the extractor's line.
    let text = TINY.replace(
        "extractors = [{ type = \"lexicon\" }]",
        "extractors = [\n  { type = \"lexicon\" },\n  { type = \"word-ngrams\", colour = 2 },\n]",
    );
    wd.write("e.toml", &text);
    bad(
        &wd,
        &["run", "e.toml", "-q"],
        None,
        &[
            &format!("e.toml:{}:", line_of(&text, "{ type = \"word-ngrams\"")),
            "unknown field `colour`",
        ],
    );
}

#[test]
fn a_per_group_refusal_does_not_advise_the_scheme_already_in_use() {
    let wd = Workdir::new();
    wd.write(
        "pg.csv",
        "id,text,stance,target\na,lift the ban,pro,t1\nb,lift it now,pro,t1\nc,we must lift,pro,t1\n\
         d,keep the ban,con,t1\ne,allow strikes,pro,t2\nf,strike back,pro,t2\ng,no strikes,con,t2\n\
         h,never strike,con,t2\n",
    );
    let text = "name = \"pg\"\nseed = 1\nbootstrap = 0\n[data]\nsource = \"csv\"\npath = \"pg.csv\"\n\
                text = \"text\"\nlabel = \"stance\"\nid = \"id\"\ngroup = \"target\"\nclasses = [\"pro\", \"con\"]\n\
                [evaluation]\nscheme = \"stratified-kfold\"\nk = 2\nper_group = true\n[[features]]\n\
                name = \"words\"\nextractors = [{ type = \"word-ngrams\" }]\n[[classifiers]]\ntype = \"naive-bayes\"\n";
    wd.write("pg.toml", text);
    let e = bad(
        &wd,
        &["run", "pg.toml", "-q"],
        None,
        &[
            &format!("pg.toml:{}:", line_of(text, "per_group")),
            "the model of group 't1'",
            "evaluation.per_group = false",
        ],
    );
    assert!(!e.contains("use scheme = \"stratified-kfold\""), "{e}");
    assert!(!e.contains("scheme = stratified-kfold"), "{e}");
}

#[test]
fn a_declared_class_without_rows_and_a_sample_is_refused_at_the_classes_line() {
    // Once a panic (`clamp` with min > max in the sampler); the sampler now skips empty classes and the check of
    // declared classes names the line.
    let wd = Workdir::new();
    wd.write("d.csv", crate::test_badinput::GOOD_CSV);
    let text = crate::test_badinput::CSV_EXP.replace(
        "classes = [\"pro\", \"con\"]",
        "classes = [\"pro\", \"con\", \"neutral\"]\nsample = 3",
    );
    wd.write("e.toml", &text);
    bad(
        &wd,
        &["run", "e.toml", "-q"],
        None,
        &[
            &format!("e.toml:{}:", line_of(&text, "classes")),
            "class 'neutral' has no items",
        ],
    );
}

#[test]
fn diff_and_submission_refuse_a_report_without_items_naming_it() {
    let wd = with_tiny_report();
    let mut v: serde_json::Value =
        serde_json::from_str(&wd.read("reports/tiny/report.json")).unwrap();
    v["items"] = serde_json::json!([]);
    for c in v["configs"].as_array_mut().unwrap() {
        c["predictions"] = serde_json::json!([]);
    }
    wd.write("empty/report.json", serde_json::to_vec(&v).unwrap());
    for args in [
        &["diff", "empty", "reports/tiny"][..],
        &["submission", "empty", "--out", "s.tsv"][..],
    ] {
        bad(
            &wd,
            args,
            None,
            &["empty/report.json: not a usable report: it has no items"],
        );
    }
}

// ---- nothing left behind --------------------------------------------------------------------------------------

/// Starts `args` with every write hanging after `after` bytes, waits until `dir` holds an entry starting with
/// `prefix` (the half-written temporary), SIGKILLs the process and returns the entry's name.
fn kill_mid_write(wd: &Workdir, args: &[&str], after: u64, dir: &str, prefix: &str) -> String {
    let mut cmd = wd.command(args);
    cmd.env(stance::atomic::FAIL_WRITES_ENV, format!("{after}:HANG"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    let found = loop {
        let entry = std::fs::read_dir(wd.path().join(dir)).ok().and_then(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.starts_with(prefix))
        });
        if let Some(name) = entry {
            break name;
        }
        if start.elapsed() > Duration::from_secs(120) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!(
                "stance {} left no {dir}/{prefix}* while writing",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Give the writer time to reach the hang (the entry appears before its first bytes).
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    found
}

fn dot_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn what_a_killed_run_leaves_is_removed_by_the_next_write_into_the_folder() {
    let wd = with_tiny_report();
    let before = std::fs::read(wd.path().join("reports/tiny/report.json")).unwrap();
    // A report folder being staged when the run is killed.
    let staged = kill_mid_write(
        &wd,
        &["run", "tiny.toml", "-q", "--jobs", "1"],
        2000,
        "reports",
        ".tiny.staging-",
    );
    assert!(wd.path().join("reports").join(&staged).exists());
    assert_eq!(
        std::fs::read(wd.path().join("reports/tiny/report.json")).unwrap(),
        before,
        "the killed run changed the report"
    );
    // A file being written when the command is killed, beside another target in the same folder.
    let tmp = kill_mid_write(
        &wd,
        &["diff", "reports/tiny", "reports/tiny", "--out", "out/a.md"],
        10,
        "out",
        ".a.md.",
    );
    assert!(tmp.ends_with(".tmp"), "{tmp}");
    // The next writes into those folders (for other targets) clean both.
    wd.run(&["diff", "reports/tiny", "reports/tiny", "--out", "out/b.md"])
        .ok();
    assert_eq!(dot_entries(&wd.path().join("out")), Vec::<String>::new());
    wd.write(
        "other.toml",
        TINY.replace("name = \"tiny\"", "name = \"other\""),
    );
    wd.run(&["run", "other.toml", "-q"]).ok();
    assert_eq!(
        dot_entries(&wd.path().join("reports")),
        Vec::<String>::new()
    );
}

#[test]
fn a_check_whose_summary_cannot_be_written_leaves_the_previous_report() {
    let wd = with_tiny_report();
    wd.run(&["check", "tiny.toml", "--update-baseline", "-q"])
        .ok();
    // A summary path under a regular file cannot be created; the report folder (its timings differ run to run)
    // must be the previous one after the refusal.
    wd.write("notes.txt", "not a folder");
    let before = snapshot(&wd.path().join("reports"));
    let run = wd.run(&[
        "check",
        "tiny.toml",
        "-q",
        "--summary",
        "notes.txt/summary.md",
    ]);
    run.code(2).stderr_has("notes.txt/summary.md");
    assert!(
        before == snapshot(&wd.path().join("reports")),
        "a check that could not write its summary replaced the report"
    );
    // With a writable summary, all three are written.
    wd.run(&[
        "check",
        "tiny.toml",
        "-q",
        "--summary",
        "s.md",
        "--junit",
        "j.xml",
    ])
    .ok();
    assert!(wd.path().join("s.md").is_file() && wd.path().join("j.xml").is_file());
}

#[test]
fn a_check_killed_while_writing_its_summary_leaves_the_previous_report() {
    let wd = with_tiny_report();
    wd.run(&["check", "tiny.toml", "--update-baseline", "-q"])
        .ok();
    let before = snapshot(&wd.path().join("reports/tiny"));
    kill_mid_write(
        &wd,
        &[
            "check",
            "tiny.toml",
            "-q",
            "--jobs",
            "1",
            "--summary",
            "sum/s.md",
        ],
        10,
        "sum",
        ".s.md.",
    );
    assert!(
        before == snapshot(&wd.path().join("reports/tiny")),
        "the report was replaced before the summary was written"
    );
}
