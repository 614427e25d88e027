//! Outside systems end to end below the evaluation: the `[[systems]]` checks at their lines, predictions files
//! and commands (POSIX sh scripts written into a temporary folder: no Python), identity, and every refusal.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use super::*;
use crate::Experiment;

/// A labelled CSV with raw labels `1` / `-1` (renamed by `data.label_names`) and its own id column.
const DATA: &str = "\
key,statement,stance,part
k1,Allow Kyiv to strike the launch sites.,1,train
k2,Lift the restrictions now.,1,test
k3,Do not lift the restrictions.,-1,test
k4,The risk of escalation is too high.,-1,train
k5,Kyiv must be allowed to hit targets in Russia.,1,test
k6,Keep the ban in place.,-1,test
k7,Give Ukraine the means to defend itself.,1,train
k8,Strikes inside Russia invite escalation.,-1,test
";

const ITEMS: [&str; 8] = ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"];

fn experiment(systems: &str) -> String {
    format!(
        r#"name = "sys"
seed = 3
bootstrap = 0

[data]
source = "csv"
path = "data.csv"
text = "statement"
label = "stance"
id = "key"
label_names = {{ "1" = "support", "-1" = "oppose" }}
classes = ["support", "oppose"]

[evaluation]
scheme = "stratified-kfold"
k = 2

[[features]]
name = "words"
extractors = [{{ type = "word-ngrams" }}]

[[classifiers]]
type = "logistic"

[[classifiers]]
type = "majority"

{systems}"#
    )
}

/// A folder holding `data.csv`, `x.toml` (with `systems`) and the given files.
fn folder(systems: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("data.csv"), DATA).unwrap();
    fs::write(dir.path().join("x.toml"), experiment(systems)).unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn load(dir: &Path) -> Result<(Experiment, LoadedData), String> {
    let exp = Experiment::load(&dir.join("x.toml")).map_err(|e| stance_core::errors::chain(&e))?;
    let data = exp
        .load_data()
        .map_err(|e| stance_core::errors::chain(&e))?;
    Ok((exp, data))
}

fn answered(dir: &Path) -> Result<Plan, String> {
    let (exp, data) = load(dir)?;
    exp.plan_answered(&data, &SystemOptions::default())
        .map_err(|e| stance_core::errors::chain(&e))
}

fn classes_of(plan: &Plan, system: usize) -> Vec<Option<usize>> {
    plan.systems[system]
        .answers
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|p| p.as_ref().map(|p| p.class))
        .collect()
}

/// A shell script that prints `lines` whatever it reads (after reading all of it).
fn replying(lines: &[&str]) -> String {
    let mut s = String::from("cat > /dev/null\n");
    for l in lines {
        s.push_str(&format!("printf '%s\\n' '{l}'\n"));
    }
    s
}

const CMD: &str = "[[systems]]\nname = \"cmd\"\ncommand = [\"sh\", \"model.sh\"]\ntimeout = 5\n";
const FILE: &str = "[[systems]]\nname = \"file\"\npredictions = \"preds.csv\"\n";

// ---------------------------------------------------------------------------------------------------------------
// The declaration.

#[test]
fn declaration_errors_name_the_key_and_line() {
    let cases = [
        (
            "[[systems]]\nname = \"a\"\npredictions = \"p.csv\"\ncommand = [\"sh\"]\n",
            4,
            "both `predictions` and `command`",
        ),
        ("[[systems]]\nname = \"a\"\n", 2, "needs `predictions"),
        ("[[systems]]\nname = \"a\"\ncommand = []\n", 3, "must name a program"),
        (
            "[[systems]]\nname = \"a\"\ncommand = [\"sh\"]\ntimeout = 0\n",
            4,
            "allowed: 1..=86400",
        ),
        (
            "[[systems]]\nname = \"a\"\npredictions = \"p.csv\"\ntimeout = 5\n",
            4,
            "remove it",
        ),
        ("[[systems]]\nname = \"majority\"\ncommand = [\"sh\"]\n", 2, "also a classifier's name"),
        ("[[systems]]\nname = \"bert + lora\"\ncommand = [\"sh\"]\n", 2, "without ' + '"),
        ("[[systems]]\nname = \" a\"\ncommand = [\"sh\"]\n", 2, "non-empty"),
        (
            "[[systems]]\nname = \"a\"\ncommand = [\"sh\"]\n\n[[systems]]\nname = \"a\"\ncommand = [\"sh\"]\n",
            6,
            "used twice",
        ),
        (
            "[[systems]]\nname = \"a\"\nscript = \"x.py\"\n",
            3,
            "unknown field `script`",
        ),
    ];
    let base_lines = experiment("").lines().count() as u64;
    for (systems, line, want) in cases {
        let text = experiment(systems);
        let err = Experiment::from_source(&text, Some(Path::new("x.toml")))
            .map(|_| ())
            .map_err(|e| stance_core::errors::chain(&e))
            .unwrap_err();
        let at = format!("x.toml:{}:", base_lines + line);
        assert!(err.starts_with(&at), "want {at} in: {err}");
        assert!(err.contains(want), "want '{want}' in: {err}");
    }
}

#[test]
fn the_plan_has_every_declared_system_after_the_grid_and_none_is_answered() {
    let dir = folder(&format!("{CMD}\n{FILE}"), &[]);
    let exp = Experiment::load(&dir.path().join("x.toml")).unwrap();
    let plan = exp.plan().unwrap();
    let cells = plan.cells();
    let ids: Vec<&str> = cells.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["words + logistic", "majority", "cmd", "file"]);
    assert!(plan.systems.iter().all(|s| s.answers.is_none()));
    assert!(matches!(
        plan.systems[1].source,
        SystemSource::Predictions { ref path } if path.ends_with("preds.csv")
    ));
    // No grid task fits a system.
    let tasks = plan.tasks(2);
    assert!(cells[2..]
        .iter()
        .all(|c| tasks.iter().all(|t| !c.in_task(t))));
}

// ---------------------------------------------------------------------------------------------------------------
// Predictions files.

#[test]
fn a_predictions_file_is_read_by_id_with_raw_or_renamed_labels_and_probabilities() {
    // Out of data order, raw labels and class names mixed, an extra column, and one row for an id the run lacks.
    let preds = "\
note,id,predicted,p_support,p_oppose
x,k8,-1,0.1,0.9
x,k1,support,0.8,0.2
x,k2,1,0.6,0.4
x,k3,oppose,0.3,0.7
x,k4,support,0.5,0.5
x,k5,support,1,0
x,k6,-1,0.2,0.8
x,k7,oppose,0.4,0.6
x,k99,support,0.5,0.5
";
    let dir = folder(FILE, &[("preds.csv", preds)]);
    let plan = answered(dir.path()).unwrap();
    assert_eq!(
        classes_of(&plan, 0),
        [0, 0, 1, 0, 0, 1, 1, 1].map(Some).to_vec()
    );
    let answers = plan.systems[0].answers.as_ref().unwrap();
    assert_eq!(answers.ignored, 1);
    assert!(answers.cases.is_none(), "a file cannot label new text");
    assert_eq!(
        answers.items[7].as_ref().unwrap().proba,
        Some(vec![0.1, 0.9])
    );
}

#[test]
fn a_fixed_split_needs_predictions_for_its_test_side_only() {
    let dir = folder(FILE, &[]);
    let text = fs::read_to_string(dir.path().join("x.toml"))
        .unwrap()
        .replace(
            "scheme = \"stratified-kfold\"\nk = 2",
            "scheme = \"fixed-split\"",
        )
        .replace("id = \"key\"", "id = \"key\"\nsplit = \"part\"");
    fs::write(dir.path().join("x.toml"), text).unwrap();
    let rows = [
        "k2,support",
        "k3,oppose",
        "k5,support",
        "k6,oppose",
        "k8,oppose",
    ];
    fs::write(
        dir.path().join("preds.csv"),
        format!("id,predicted\n{}\n", rows.join("\n")),
    )
    .unwrap();
    let plan = answered(dir.path()).unwrap();
    let got = classes_of(&plan, 0);
    assert_eq!(got[0], None, "k1 is on the training side");
    assert_eq!(got[1], Some(0));
}

#[test]
fn every_bad_predictions_file_is_refused_at_its_line() {
    let header = "id,predicted\n";
    let good: Vec<String> = ITEMS.iter().map(|id| format!("{id},support")).collect();
    let with = |i: usize, row: &str| {
        let mut rows = good.clone();
        rows[i] = row.to_string();
        format!("{header}{}\n", rows.join("\n"))
    };
    let proba = |rows: &str| format!("id,predicted,p_support,p_oppose\n{rows}");
    let cases = [
        (with(2, "k3,maybe"), "preds.csv:4: label 'maybe' is not one of the classes (support, oppose) or a raw label"),
        (with(5, "k1,support"), "preds.csv:7: id 'k1' has a row already (line 2)"),
        (
            format!("{header}{}\n", good[..6].join("\n")),
            "preds.csv has no prediction for 'k7' (2 of the 8 that need one have none); give every scored item \
             exactly one row, keyed by the data's ids (the CSV's 'key' column, data.id)",
        ),
        ("id,label\nk1,support\n".to_string(), "preds.csv:1: the header is `id,label`"),
        (proba("k1,support,0.7,0.7\n"), "preds.csv:2: the probabilities sum to 1.4"),
        (proba("k1,support,0.2,0.8\n"), "the label is 'support' but the probabilities put 'oppose' higher"),
        (proba("k1,support,high,0\n"), "preds.csv:2: column p_support is 'high', not a number"),
        (proba("k1,support,1.5,-0.5\n"), "the probability of 'support' is 1.5"),
        (
            "id,predicted,p_support,p_neutral\nk1,support,0.9,0.1\n".to_string(),
            "a probability is given for 'neutral', which is not one of the classes",
        ),
        (format!("{header}k1,support,extra\n"), "preds.csv:2: not a valid CSV row"),
    ];
    for (file, want) in cases {
        let dir = folder(FILE, &[("preds.csv", &file)]);
        let err = load(dir.path()).map(|_| ()).unwrap_err();
        assert!(err.contains("x.toml:"), "the experiment line: {err}");
        assert!(err.contains(": system 'file': "), "the system: {err}");
        assert!(err.contains(want), "want '{want}' in: {err}");
    }
    let dir = folder(FILE, &[]);
    let err = load(dir.path()).map(|_| ()).unwrap_err();
    assert!(
        err.contains("systems[0].predictions = \"preds.csv\""),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Commands.

/// A model that answers support unless the text says "not", "risk", "ban" or "escalation", with probabilities,
/// writing its answers in reverse order and a log line on stderr.
const MODEL: &str = r#"
echo "model starting" >&2
tac | while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed 's/^{"id":"\([^"]*\)".*/\1/')
  case "$line" in
    *not*|*risk*|*ban*|*scalation*) printf '{"id":"%s","label":"oppose","probabilities":{"oppose":0.9,"support":0.1},"why":"cue"}\n' "$id" ;;
    *) printf '{"id":"%s","label":"1"}\n' "$id" ;;
  esac
done
"#;

#[test]
fn a_command_labels_the_items_and_the_behavioural_texts_in_one_call_each() {
    let dir = folder(CMD, &[("model.sh", MODEL)]);
    let (exp, data) = load(dir.path()).unwrap();
    let mut plan = exp.plan().unwrap();
    plan.behaviour = stance_behaviour::expand::expand_all(
        &stance_behaviour::suite::load_dir(&stance_testkit::root().join("labels/behaviour"))
            .unwrap(),
    )
    .unwrap();
    exp.answer_systems(&mut plan, &data, &SystemOptions::default())
        .unwrap();
    assert_eq!(
        classes_of(&plan, 0),
        [0, 0, 1, 1, 0, 1, 0, 1].map(Some).to_vec()
    );
    let answers = plan.systems[0].answers.as_ref().unwrap();
    assert_eq!(
        answers.items[2].as_ref().unwrap().proba,
        Some(vec![0.1, 0.9])
    );
    let cases = answers.cases.as_ref().expect("a command labels new text");
    let texts = case_texts(&plan.behaviour);
    assert_eq!(cases.len(), texts.len());
    assert!(texts.iter().all(|t| cases.contains_key(*t)));
    // The behavioural results are judged on those answers.
    let results = plan.systems[0]
        .behaviour(&plan.behaviour, &data.dataset.classes)
        .unwrap();
    assert!(results
        .iter()
        .any(|r| r.outcome == stance_behaviour::run::Outcome::Pass));
}

#[test]
fn the_command_runs_in_the_experiment_folder_without_a_shell() {
    // `$HOME` stays unexpanded and `;` is an argument: no shell reads the command line.
    let script = "cat > /dev/null; pwd > where.txt; printf '%s\\n' \"$@\" > args.txt\n";
    let dir = folder(
        "[[systems]]\nname = \"cmd\"\ncommand = [\"sh\", \"model.sh\", \"$HOME\", \";\"]\ntimeout = 5\n",
        &[("model.sh", script)],
    );
    let err = answered(dir.path()).unwrap_err();
    assert!(
        err.contains("its output on the 8 items has no prediction for 'k1'"),
        "{err}"
    );
    let cwd = fs::read_to_string(dir.path().join("where.txt")).unwrap();
    assert_eq!(
        Path::new(cwd.trim()).canonicalize().unwrap(),
        dir.path().canonicalize().unwrap()
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("args.txt")).unwrap(),
        "$HOME\n;\n"
    );
}

#[test]
fn every_bad_answer_is_refused_naming_the_system_and_the_line() {
    let ok = |id: &str| format!("{{\"id\":\"{id}\",\"label\":\"support\"}}");
    let all: Vec<String> = ITEMS.iter().map(|id| ok(id)).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let mut dup = all.clone();
    dup.insert(3, all[0]);
    let mut unknown = all.clone();
    unknown[4] = r#"{"id":"k5","label":"maybe"}"#;
    let mut no_label = all.clone();
    no_label[1] = r#"{"id":"k2"}"#;
    let mut not_json = all.clone();
    not_json[2] = "k3 -> support";
    let mut stranger = all.clone();
    stranger.push(r#"{"id":"zz","label":"support"}"#);
    let cases: Vec<(String, &str)> = vec![
        (replying(&all[..7]), "its output on the 8 items has no prediction for 'k8' (1 of the 8 that need one have none); write one output line per input line"),
        (replying(&dup), "line 4 of its output on the 8 items: id 'k1' was answered already (line 1)"),
        (replying(&unknown), "line 5 of its output on the 8 items: label 'maybe' is not one of the classes"),
        (replying(&no_label), "line 2 of its output on the 8 items: not an {\"id\", \"label\"[, \"probabilities\"]} object (`{\"id\":\"k2\"}`)"),
        (replying(&not_json), "line 3 of its output on the 8 items: not JSON (`k3 -> support`)"),
        (replying(&stranger), "line 9 of its output on the 8 items: id 'zz' was not sent"),
        (
            "cat > /dev/null; echo 'loading weights' >&2; echo 'CUDA out of memory' >&2; exit 3\n".into(),
            "its command exited with status 3 on the 8 items, so none of its predictions are used; its stderr ended: loading weights | CUDA out of memory",
        ),
    ];
    for (script, want) in cases {
        let dir = folder(CMD, &[("model.sh", &script)]);
        let err = answered(dir.path()).unwrap_err();
        assert!(err.contains(": system 'cmd': "), "{err}");
        assert!(err.contains(want), "want '{want}' in: {err}");
    }
}

#[test]
fn a_hung_command_is_killed_at_its_timeout_with_what_it_started() {
    // The script starts a background sleep and waits for it: killing the script alone would leave the sleep
    // holding the output pipe.
    let script = "cat > /dev/null\nsleep 30 &\necho $! > sleep.pid\necho 'thinking' >&2\nwait\n";
    let dir = folder(
        "[[systems]]\nname = \"slow\"\ncommand = [\"sh\", \"model.sh\"]\ntimeout = 1\n",
        &[("model.sh", script)],
    );
    let started = Instant::now();
    let err = answered(dir.path()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        err.contains("system 'slow': its command did not finish on the 8 items within 1 s and was killed; its stderr ended: thinking"),
        "{err}"
    );
    // Gone, or a zombie nobody has reaped yet (a container's init may never reap): either way, not running.
    // A killed process may take a moment to be torn down on a busy machine; a live sleep would stay 30 s.
    let pid = fs::read_to_string(dir.path().join("sleep.pid")).unwrap();
    let running = || {
        let stat = fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next();
        !matches!(state, None | Some("Z") | Some("X"))
    };
    let waited = Instant::now();
    while running() && waited.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!running(), "the sleep {} outlived the timeout", pid.trim());
}

#[test]
fn a_missing_program_is_refused_before_anything_runs() {
    let dir = folder(
        "[[systems]]\nname = \"cmd\"\ncommand = [\"./no-such-model\"]\n",
        &[],
    );
    let err = load(dir.path()).map(|_| ()).unwrap_err();
    assert!(
        err.contains("system 'cmd': cannot start `./no-such-model`"),
        "{err}"
    );
    let dir = folder(
        "[[systems]]\nname = \"cmd\"\ncommand = [\"no-such-program-on-path\"]\n",
        &[],
    );
    let err = answered(dir.path()).unwrap_err();
    assert!(
        err.contains("cannot start `no-such-program-on-path`: a bare name is looked up on PATH"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Identity.

#[test]
fn the_identity_is_the_predictions_file_or_the_command_line_and_the_files_it_names() {
    let dir = folder(&format!("{CMD}\n{FILE}"), &[("model.sh", MODEL)]);
    let preds: String = ITEMS.iter().map(|id| format!("{id},support\n")).collect();
    fs::write(
        dir.path().join("preds.csv"),
        format!("id,predicted\n{preds}"),
    )
    .unwrap();
    let (_, data) = load(dir.path()).unwrap();
    let keys: Vec<&str> = data.system_inputs.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "system:cmd:command",
            "system:cmd:file:model.sh",
            "system:file:predictions"
        ]
    );
    assert_eq!(
        data.system_inputs["system:file:predictions"],
        sha256_hex(fs::read(dir.path().join("preds.csv")).unwrap().as_slice())
    );
    let inputs = data.inputs();
    assert!(inputs.keys().any(|k| k == "data:data.csv"));
    assert!(inputs.contains_key("system:cmd:file:model.sh"));
    // A changed script, predictions file or command line changes its hash; nothing else's.
    fs::write(dir.path().join("model.sh"), format!("{MODEL}\n# v2\n")).unwrap();
    let (_, again) = load(dir.path()).unwrap();
    let changed: Vec<&String> = again
        .system_inputs
        .iter()
        .filter(|(k, v)| data.system_inputs.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(changed, ["system:cmd:file:model.sh"]);
    let text = fs::read_to_string(dir.path().join("x.toml"))
        .unwrap()
        .replace("\"model.sh\"]", "\"model.sh\", \"--fast\"]");
    fs::write(dir.path().join("x.toml"), text).unwrap();
    let (_, again) = load(dir.path()).unwrap();
    assert_ne!(
        again.system_inputs["system:cmd:command"],
        data.system_inputs["system:cmd:command"]
    );
}
