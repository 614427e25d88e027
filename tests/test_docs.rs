//! The README and docs/GUIDE.md, tested as they stand: both are read when the tests run, so an edit to the docs is
//! tested without touching this file.
//!
//! What the fences mean (the info string after the backticks: the language, then words separated by spaces or
//! commas, e.g. ```` ```sh ignore ```` or ```` ```sh,ignore ````):
//!
//! * ```` ```sh ```` — a shell snippet. Every one must invoke `stance` (or `cargo run --release --`, which becomes
//!   the built binary) unless it is marked `ignore`. It runs line by line under bash, in order, in a fresh working
//!   directory holding copies of the repository's `seeds/`, `labels/`, `experiments/` and `reports/baselines/`
//!   (and every `file=` block above it), with `stance` on `PATH`. Each line must exit 0, or the code a
//!   `# exit N` comment on it states. `cargo test` lines are skipped: that is the command running this test.
//! * ```` ```text output ```` — what the shell block before it printed (stdout and stderr together). Every line
//!   must appear, in order, in that output; blank lines are skipped, a line starting with `…` stands for lines left
//!   out, and `…` inside a line for text left out.
//! * ```` ```toml ```` (GUIDE) — a complete experiment: it is run (`stance run FILE --out DIR -q`) from
//!   `experiments/`, so its `../seeds` is the repository's.
//! * ```` ```toml fragment ```` / ```` ```toml fragment=PATH ```` — part of an experiment: each top-level key or
//!   table it shows replaces that of `experiments/default.toml` (or of `PATH`), and the result is run beside it.
//! * ```` ```LANG file=PATH ```` — a file the reader creates: written to `PATH` for every block after it (and run,
//!   if it is an experiment).
//! * `ignore` — not run (needs the IBM corpus, a browser, or a placeholder filled in).
//!
//! And: every key and value named in the GUIDE's reference tables appears in a tested experiment or a shipped one
//! (`experiments/*.toml`); the README is at most 200 lines; every relative link in the docs resolves, anchors too.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::workdir::{repo, Workdir};

/// The front door stays a front door.
const README_MAX_LINES: usize = 200;

/// A fenced code block of a Markdown file.
#[derive(Debug, Clone)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    /// The language: the info string's first word.
    lang: String,
    /// The info string's other words (`ignore`, `output`, `fragment=PATH`, `file=PATH`).
    attrs: Vec<String>,
    /// The lines between the fences, each with its 1-based line number.
    lines: Vec<(usize, String)>,
}

impl Block {
    fn has(&self, attr: &str) -> bool {
        self.attrs.iter().any(|a| a == attr)
    }

    /// The value of `key=VALUE`, if the info string has it.
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find_map(|a| a.strip_prefix(key)?.strip_prefix('='))
    }

    fn body(&self) -> String {
        let mut s = String::new();
        for (_, l) in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }
}

/// The fenced code blocks of `text`, in order. Fences are lines that start with three or more backticks; a block
/// ends at a line of at least as many backticks and nothing else.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Block)> = None;
    for (i, line) in text.lines().enumerate() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        match &mut open {
            Some((n, block)) => {
                if ticks >= *n && line.trim_end().chars().all(|c| c == '`') {
                    out.push(open.take().expect("open block").1);
                } else {
                    block.lines.push((i + 1, line.to_string()));
                }
            }
            None if ticks >= 3 => {
                let info = &line[ticks..];
                let mut words = info
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|w| !w.is_empty())
                    .map(str::to_string);
                let lang = words.next().unwrap_or_default();
                let block = Block {
                    line: i + 1,
                    lang,
                    attrs: words.collect(),
                    lines: Vec::new(),
                };
                open = Some((ticks, block));
            }
            None => {}
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    out
}

/// The lines of `text` outside code fences, with their 1-based numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fence = 0;
    for (i, line) in text.lines().enumerate() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        if fence == 0 && ticks >= 3 {
            fence = ticks;
        } else if fence > 0 && ticks >= fence && line.trim_end().chars().all(|c| c == '`') {
            fence = 0;
        } else if fence == 0 {
            out.push((i + 1, line));
        }
    }
    out
}

fn read_doc(rel: &str) -> String {
    fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

// ---- shell snippets -------------------------------------------------------------------------------------------

/// One command line of a shell block: its doc line, the text bash runs, and the exit code it must give.
#[derive(Debug)]
struct Step {
    line: usize,
    text: String,
    exit: i32,
}

/// Where a comment starts on a shell line: the first `#` outside quotes that starts a word.
fn comment_start(line: &str) -> Option<usize> {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

/// The exit code a `# exit N` comment states, else 0.
fn stated_exit(line: &str) -> i32 {
    let Some(at) = comment_start(line) else {
        return 0;
    };
    let comment = &line[at..];
    let Some(pos) = comment.find("exit ") else {
        return 0;
    };
    let digits: String = comment[pos + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(0)
}

/// Whether a shell line runs `stance` as a command: first word, after `;`, `&`, `|`, `(`, `do`, `then`, or after
/// environment assignments.
fn invokes_stance(line: &str) -> bool {
    let code = match comment_start(line) {
        Some(at) => &line[..at],
        None => line,
    };
    let words: Vec<&str> = code.split_whitespace().collect();
    words.iter().enumerate().any(|(i, w)| {
        let w = w.trim_start_matches('(');
        if w != "stance" {
            return false;
        }
        i == 0
            || words[..i].iter().all(|p| is_assignment(p))
            || matches!(words[i - 1], "do" | "then" | "&&" | "||" | "|" | ";")
            || words[i - 1].ends_with([';', '&', '|', '('])
    })
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        }
        None => false,
    }
}

/// The runnable steps of a shell block: `cargo run --release --` becomes `stance`, continuation lines are joined,
/// comments and blank lines dropped, `cargo test` skipped.
fn steps(doc: &str, block: &Block) -> Vec<Step> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (n, raw) in &block.lines {
        let (start, mut text) = match pending.take() {
            Some((start, prefix)) => (start, format!("{prefix} {}", raw.trim())),
            None => (*n, raw.trim().to_string()),
        };
        if text.ends_with('\\') {
            text.pop();
            pending = Some((start, text));
            continue;
        }
        if text.is_empty() || text.starts_with('#') || text.starts_with("cargo test") {
            continue;
        }
        let text = text.replace("cargo run --release -- ", "stance ");
        assert!(
            !text.starts_with("cargo "),
            "{doc}:{start}: `{text}` cannot run inside the tests; fence its block ```sh ignore"
        );
        out.push(Step {
            line: start,
            exit: stated_exit(&text),
            text,
        });
    }
    assert!(
        pending.is_none(),
        "{doc}:{}: a continuation line ends the block",
        block.line
    );
    out
}

/// A directory holding `stance`, a link to the binary under test.
fn bin_dir() -> Workdir {
    let bin = Workdir::new();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_stance"), bin.path().join("stance"))
        .expect("link the binary");
    bin
}

/// A working directory as the docs assume one: the repository's data, its committed baselines, and the files the
/// reader was asked to create above this point.
fn docs_workdir(files: &[(String, String)]) -> Workdir {
    let wd = Workdir::with_repo_data();
    let baselines = repo().join("reports/baselines");
    for entry in fs::read_dir(&baselines).expect("reports/baselines") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        wd.write(
            &format!("reports/baselines/{name}"),
            fs::read(entry.path()).expect("baseline"),
        );
    }
    for (path, contents) in files {
        wd.write(path, contents);
    }
    wd
}

/// Runs a shell block's steps in one bash process (so `cd` and files carry over from line to line) and returns
/// everything it printed; panics naming the doc line of the first step whose exit code is not the stated one.
fn run_shell(doc: &str, block: &Block, steps: &[Step], wd: &Workdir, bin: &Workdir) -> String {
    let mut script = String::from("set -o pipefail\nexec 2>&1\n");
    for s in steps {
        script.push_str(&s.text);
        script.push_str(&format!(
            "\n__rc=$?; if [ \"$__rc\" -ne {exit} ]; then echo; echo \"__DOCS_STEP_FAILED__ {line} $__rc\"; exit 97; fi\n",
            exit = s.exit,
            line = s.line
        ));
    }
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .current_dir(wd.path())
        .env("PATH", path)
        .env_remove("RAYON_NUM_THREADS")
        .env_remove("STANCE_TEST_FAIL_WRITES_AFTER_BYTES")
        .env_remove("STANCE_SHARD_INDEX")
        .env_remove("STANCE_SHARD_COUNT")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    if let Some(at) = printed.find("__DOCS_STEP_FAILED__ ") {
        let mut words = printed[at..].split_whitespace().skip(1);
        let line: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let rc = words.next().unwrap_or("?");
        let step = steps
            .iter()
            .find(|s| s.line == line)
            .expect("the failed step");
        panic!(
            "{doc}:{line}: `{}` exited {rc}, the docs expect {}\n--- everything the block at line {} printed ---\n{}",
            step.text,
            step.exit,
            block.line,
            &printed[..at]
        );
    }
    assert!(
        output.status.success(),
        "{doc}:{}: the block failed outside its steps ({:?})\n{printed}{}",
        block.line,
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

/// Whether an expected output line matches an actual one: equal, or with `…` standing for any text.
fn line_matches(expected: &str, actual: &str) -> bool {
    if !expected.contains('…') {
        return expected == actual;
    }
    let pieces: Vec<&str> = expected.split('…').collect();
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !actual.starts_with(first)
        || !actual.ends_with(last)
        || actual.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Checks an output block against what its shell block printed.
fn check_output(doc: &str, expected: &Block, printed: &str) {
    let actual: Vec<&str> = printed.lines().map(str::trim_end).collect();
    let mut from = 0;
    for (n, line) in &expected.lines {
        let want = line.trim_end();
        if want.trim().is_empty() || want.trim_start().starts_with('…') {
            continue;
        }
        match actual[from..].iter().position(|a| line_matches(want, a)) {
            Some(i) => from += i + 1,
            None => panic!(
                "{doc}:{n}: this output line was not printed (in this order) by the block above it:\n{want}\n\
                 --- what the block printed ---\n{printed}"
            ),
        }
    }
}

/// What the snippets of one document exercised.
#[derive(Debug, Default)]
struct Tally {
    shell_blocks: usize,
    commands: usize,
    outputs: usize,
    ignored: usize,
}

/// Runs every shell block of a document, in order, and checks the output blocks that follow them.
fn run_shell_snippets(doc: &str) -> Tally {
    let text = read_doc(doc);
    let bin = bin_dir();
    let mut tally = Tally::default();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut last: Option<(usize, String)> = None;
    for block in blocks(&text) {
        if let Some(path) = block.attr("file") {
            files.push((path.to_string(), block.body()));
        }
        match block.lang.as_str() {
            "sh" | "bash" | "shell" if block.has("ignore") => {
                tally.ignored += 1;
                last = None;
            }
            "sh" | "bash" | "shell" => {
                let steps = steps(doc, &block);
                assert!(
                    steps.iter().any(|s| invokes_stance(&s.text)),
                    "{doc}:{}: a shell block that does not run stance: run it or fence it ```sh ignore",
                    block.line
                );
                let wd = docs_workdir(&files);
                let printed = run_shell(doc, &block, &steps, &wd, &bin);
                tally.shell_blocks += 1;
                tally.commands += steps.len();
                last = Some((block.line, printed));
            }
            _ if block.has("output") => {
                let (_, printed) = last.as_ref().unwrap_or_else(|| {
                    panic!(
                        "{doc}:{}: an output block with no tested shell block before it",
                        block.line
                    )
                });
                check_output(doc, &block, printed);
                tally.outputs += 1;
            }
            _ => {}
        }
    }
    eprintln!(
        "{doc}: {} shell blocks ({} commands) run, {} outputs checked, {} blocks marked ignore",
        tally.shell_blocks, tally.commands, tally.outputs, tally.ignored
    );
    tally
}

#[test]
fn every_readme_snippet_runs_and_prints_what_the_readme_shows() {
    let tally = run_shell_snippets("README.md");
    assert!(tally.shell_blocks >= 2 && tally.outputs >= 1, "{tally:?}");
}

#[test]
fn every_guide_snippet_runs_and_prints_what_the_guide_shows() {
    let tally = run_shell_snippets("docs/GUIDE.md");
    assert!(tally.shell_blocks >= 10 && tally.outputs >= 10, "{tally:?}");
}

// ---- experiments ----------------------------------------------------------------------------------------------

/// A tested TOML experiment: where it was written in the working directory and what it holds.
struct Tested {
    line: usize,
    path: String,
    table: toml::Table,
}

fn parse_toml(doc: &str, line: usize, text: &str) -> toml::Table {
    text.parse::<toml::Table>()
        .unwrap_or_else(|e| panic!("{doc}:{line}: not TOML: {e}"))
}

fn is_experiment(table: &toml::Table) -> bool {
    table.contains_key("name") && table.contains_key("data")
}

/// The GUIDE's experiments, complete or fragments, written into `wd` (with the `file=` blocks) and returned with
/// the tables whose keys they exercise. Fragments are returned as written, not merged, so a key counts as
/// exercised only where the GUIDE shows it.
fn guide_experiments(wd: &Workdir) -> Vec<Tested> {
    let doc = "docs/GUIDE.md";
    let text = read_doc(doc);
    let mut tested = Vec::new();
    for block in blocks(&text) {
        if block.has("ignore") {
            continue;
        }
        if let Some(path) = block.attr("file") {
            wd.write(path, block.body());
            if block.lang == "toml" {
                let table = parse_toml(doc, block.line, &block.body());
                if is_experiment(&table) {
                    tested.push(Tested {
                        line: block.line,
                        path: path.to_string(),
                        table,
                    });
                }
            }
            continue;
        }
        if block.lang != "toml" {
            continue;
        }
        let table = parse_toml(doc, block.line, &block.body());
        if block.has("fragment") || block.attr("fragment").is_some() {
            let base = block.attr("fragment").unwrap_or("experiments/default.toml");
            let mut merged = parse_toml(doc, block.line, &wd.read(base));
            for (key, value) in &table {
                merged.insert(key.clone(), value.clone());
            }
            let dir = Path::new(base).parent().expect("a folder");
            let path = dir.join(format!("guide-line-{}.toml", block.line));
            let path = path.to_string_lossy().into_owned();
            wd.write(&path, toml::to_string(&merged).expect("TOML out"));
            tested.push(Tested {
                line: block.line,
                path,
                table,
            });
        } else {
            assert!(
                is_experiment(&table),
                "{doc}:{}: a ```toml block that is not an experiment: mark it fragment, file=PATH or ignore",
                block.line
            );
            let path = format!("experiments/guide-line-{}.toml", block.line);
            wd.write(&path, block.body());
            tested.push(Tested {
                line: block.line,
                path,
                table,
            });
        }
    }
    tested
}

#[test]
fn every_guide_experiment_runs() {
    let wd = docs_workdir(&[]);
    let tested = guide_experiments(&wd);
    assert!(
        tested.len() >= 10,
        "only {} experiments found in the GUIDE",
        tested.len()
    );
    for t in &tested {
        let out = format!("guide-out/line-{}", t.line);
        let run = wd.run(&["run", &t.path, "--out", &out, "-q"]);
        assert!(
            run.output.status.success(),
            "docs/GUIDE.md:{}: the experiment does not run ({:?})\n{}",
            t.line,
            run.output.status.code(),
            run.stderr()
        );
    }
    eprintln!(
        "docs/GUIDE.md: {} experiments (complete, fragments, files) run",
        tested.len()
    );
}

// ---- keys -----------------------------------------------------------------------------------------------------

/// Every key path (`data.path`, `features.extractors.ngram`) and every string value by path in a TOML table;
/// arrays are transparent (`[[features]]` tables are at `features`).
fn collect(
    prefix: &str,
    table: &toml::Table,
    keys: &mut BTreeSet<String>,
    values: &mut BTreeSet<(String, String)>,
) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        keys.insert(path.clone());
        collect_value(&path, value, keys, values);
    }
}

fn collect_value(
    path: &str,
    value: &toml::Value,
    keys: &mut BTreeSet<String>,
    values: &mut BTreeSet<(String, String)>,
) {
    match value {
        toml::Value::Table(t) => collect(path, t, keys, values),
        toml::Value::Array(items) => {
            for item in items {
                collect_value(path, item, keys, values);
            }
        }
        toml::Value::String(s) => {
            values.insert((path.to_string(), s.clone()));
        }
        _ => {}
    }
}

/// The backticked words of a Markdown table cell.
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// What the GUIDE's reference tables name: key paths (tables headed `<section> key`) and values by path (tables
/// headed `extractor type`, `classifier type`, `scheme`).
fn reference(text: &str) -> (BTreeMap<String, usize>, BTreeMap<(String, String), usize>) {
    let mut keys = BTreeMap::new();
    let mut values = BTreeMap::new();
    let lines = prose(text);
    let mut i = 0;
    while i + 1 < lines.len() {
        let (_, header) = lines[i];
        let is_table = header.starts_with('|') && lines[i + 1].1.starts_with("|---");
        if !is_table {
            i += 1;
            continue;
        }
        let first = header
            .trim_matches('|')
            .split('|')
            .next()
            .unwrap_or("")
            .replace('`', "");
        let first = first.trim();
        enum Kind {
            Keys(String),
            Values(String),
        }
        let kind = if let Some(section) = first.strip_suffix(" key") {
            let path = match section {
                "top-level" => String::new(),
                "extractor" => "features.extractors".to_string(),
                s => s.trim_matches(|c| c == '[' || c == ']').to_string(),
            };
            Some(Kind::Keys(path))
        } else {
            match first {
                "extractor type" => Some(Kind::Values("features.extractors.type".into())),
                "classifier type" => Some(Kind::Values("classifiers.type".into())),
                "scheme" => Some(Kind::Values("evaluation.scheme".into())),
                _ => None,
            }
        };
        i += 2;
        while i < lines.len() && lines[i].1.starts_with('|') {
            let (n, row) = lines[i];
            let cell = row.trim_start_matches('|').split('|').next().unwrap_or("");
            for word in backticked(cell) {
                match &kind {
                    Some(Kind::Keys(section)) if section.is_empty() => {
                        keys.insert(word, n);
                    }
                    Some(Kind::Keys(section)) => {
                        keys.insert(format!("{section}.{word}"), n);
                    }
                    Some(Kind::Values(path)) => {
                        values.insert((path.clone(), word), n);
                    }
                    None => {}
                }
            }
            i += 1;
        }
    }
    (keys, values)
}

#[test]
fn every_key_the_guide_documents_is_exercised() {
    let text = read_doc("docs/GUIDE.md");
    let (documented, documented_values) = reference(&text);
    assert!(
        documented.len() >= 60,
        "the reference tables name only {} keys",
        documented.len()
    );
    assert!(documented_values.len() >= 15, "{documented_values:?}");

    let wd = docs_workdir(&[]);
    let mut keys = BTreeSet::new();
    let mut values = BTreeSet::new();
    for t in guide_experiments(&wd) {
        collect("", &t.table, &mut keys, &mut values);
    }
    let shipped = repo().join("experiments");
    for entry in fs::read_dir(&shipped).expect("experiments/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let table = parse_toml(
                &path.display().to_string(),
                1,
                &fs::read_to_string(&path).expect("read"),
            );
            collect("", &table, &mut keys, &mut values);
        }
    }
    let untested: Vec<String> = documented
        .iter()
        .filter(|(k, _)| !keys.contains(*k))
        .map(|(k, n)| format!("docs/GUIDE.md:{n}: {k}"))
        .collect();
    assert!(
        untested.is_empty(),
        "documented keys no tested or shipped experiment uses:\n{}",
        untested.join("\n")
    );
    let untested: Vec<String> = documented_values
        .iter()
        .filter(|(v, _)| !values.contains(*v))
        .map(|((k, v), n)| format!("docs/GUIDE.md:{n}: {k} = \"{v}\""))
        .collect();
    assert!(
        untested.is_empty(),
        "documented values no tested or shipped experiment uses:\n{}",
        untested.join("\n")
    );
    eprintln!(
        "docs/GUIDE.md: {} documented keys and {} documented values, all exercised",
        documented.len(),
        documented_values.len()
    );
}

// ---- the README's size and every doc's links ------------------------------------------------------------------

#[test]
fn the_readme_is_a_front_door() {
    let lines = read_doc("README.md").lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines; at most {README_MAX_LINES} (move reference to docs/GUIDE.md)"
    );
}

/// GitHub's anchor for a heading: lower-cased, punctuation dropped, spaces turned into hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code), duplicates numbered as GitHub numbers them.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let n = seen.entry(base.clone()).or_insert(0);
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// The link targets of a Markdown file's prose: `[text](target)`.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in prose(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((n, after[..end].to_string()));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut checked = 0;
    for doc in [
        "README.md",
        "docs/GUIDE.md",
        "docs/METHODS.md",
        "bench/README.md",
    ] {
        let text = read_doc(doc);
        let dir: PathBuf = repo().join(doc).parent().expect("folder").to_path_buf();
        for (n, target) in links(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                repo().join(doc)
            } else {
                dir.join(file)
            };
            assert!(
                path.exists(),
                "{doc}:{n}: the link ({target}) names {}, which does not exist",
                path.display()
            );
            if let Some(anchor) = anchor {
                let target_text = fs::read_to_string(&path).expect("a linked Markdown file");
                assert!(
                    anchors(&target_text).contains(anchor),
                    "{doc}:{n}: the link ({target}) names an anchor {} does not have",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} links found");
}
