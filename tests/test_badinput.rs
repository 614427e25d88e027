//! Bad input of every kind: each case runs the real binary on a corrupted copy of the repository's data and
//! asserts exit code 2, a message naming the file (and line, where the input has one) and saying what to do, and
//! that no file that existed before the run changed, appeared or disappeared.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use crate::workdir::Workdir;

const GOLD: &str = "labels/gold.csv";
const MANIFEST: &str = "seeds/manifest.csv";
const SEED: &str = "seeds/000_2af097c08eccf118.txt";

/// A small, fast experiment on the gold data (one feature set, two classifiers, no bootstrap).
pub(crate) const TINY: &str = r#"
name = "tiny"
seed = 1
bootstrap = 0
[data]
source = "gold"
classes = ["support", "oppose"]
[evaluation]
scheme = "stratified-kfold"
k = 3
[[features]]
name = "lexicon"
extractors = [{ type = "lexicon" }]
[[classifiers]]
type = "naive-bayes"
[[classifiers]]
type = "majority"
"#;

/// A labelled-CSV experiment over `d.csv`.
pub(crate) const CSV_EXP: &str = r#"
name = "csv"
seed = 1
bootstrap = 0
[data]
source = "csv"
path = "d.csv"
text = "argument"
label = "stance"
id = "id"
classes = ["pro", "con"]
[evaluation]
scheme = "stratified-kfold"
k = 2
[[features]]
name = "lexicon"
extractors = [{ type = "lexicon" }]
[[classifiers]]
type = "naive-bayes"
[[classifiers]]
type = "majority"
"#;

pub(crate) const GOOD_CSV: &str = "id,argument,stance\na,we must lift the ban,pro\nb,keep the ban,con\nc,lift it now,pro\nd,never lift it,con\n";

/// Every file under the work dir with its bytes.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Runs `args` (with `stdin`), expects exit 2 and every needle in stderr, and checks no file changed.
pub(crate) fn bad(wd: &Workdir, args: &[&str], stdin: Option<&[u8]>, needles: &[&str]) -> String {
    bad_env(wd, args, &[], stdin, needles)
}

/// [`bad`] with environment variables set for the run.
pub(crate) fn bad_env(
    wd: &Workdir,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
    needles: &[&str],
) -> String {
    let before = snapshot(wd.path());
    let mut cmd = wd.command(args);
    cmd.envs(env.iter().copied());
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "stance {}: exit {:?}\n{stderr}",
        args.join(" "),
        out.status.code()
    );
    for n in needles {
        assert!(
            stderr.contains(n),
            "stance {}: stderr lacks {n:?}:\n{stderr}",
            args.join(" ")
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    // docs/BAD_INPUT.md quotes these messages; STANCE_BADINPUT_DUMP=DIR saves each case's stderr to regenerate it.
    if let Some(dir) = std::env::var_os("STANCE_BADINPUT_DUMP") {
        let name = std::thread::current()
            .name()
            .unwrap_or("case")
            .replace("::", "-");
        std::fs::write(Path::new(&dir).join(format!("{name}.txt")), &stderr).unwrap();
    }
    assert!(
        stderr.len() < 20_000,
        "stderr is {} bytes long",
        stderr.len()
    );
    let after = snapshot(wd.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "files appeared or disappeared"
    );
    for (k, v) in &before {
        assert!(after[k] == *v, "{k} changed");
    }
    stderr
}

fn replace_line(wd: &Workdir, rel: &str, line: usize, new: &str) {
    let text = wd.read(rel);
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[line - 1] = new.to_string();
    wd.write(rel, lines.join("\n") + "\n");
}

fn gold_line(wd: &Workdir, line: usize) -> String {
    wd.read(GOLD).lines().nth(line - 1).unwrap().to_string()
}

fn sha(bytes: &[u8]) -> String {
    stance::corpus::sha256_hex(bytes)
}

// ---- label files -------------------------------------------------------------------------------------------

#[test]
fn labels_empty_file() {
    let wd = Workdir::with_repo_data();
    wd.write(GOLD, "");
    bad(
        &wd,
        &["validate"],
        None,
        &["labels/gold.csv:1: the label file is empty"],
    );
}

#[test]
fn labels_header_only() {
    let wd = Workdir::with_repo_data();
    wd.write(GOLD, "id,doc,start,end,unit,holder,stance,text,note\n");
    bad(
        &wd,
        &["validate"],
        None,
        &[
            "labels/gold.csv:1: the label file has a header but no rows",
            "stance segment",
        ],
    );
}

#[test]
fn labels_unknown_stance() {
    let wd = Workdir::with_repo_data();
    let l = gold_line(&wd, 6)
        .replace(",support,", ",favour,")
        .replace(",neutral,", ",favour,")
        .replace(",oppose,", ",favour,");
    replace_line(&wd, GOLD, 6, &l);
    bad(
        &wd,
        &["validate"],
        None,
        &[
            "labels/gold.csv:6: field 'stance' is 'favour'",
            "expected one of",
        ],
    );
}

#[test]
fn labels_offset_not_a_number() {
    let wd = Workdir::with_repo_data();
    let l = gold_line(&wd, 3).replacen(",132,", ",x132,", 1);
    replace_line(&wd, GOLD, 3, &l);
    bad(
        &wd,
        &["validate"],
        None,
        &["labels/gold.csv:3: field 'start' is 'x132'"],
    );
}

#[test]
fn labels_invalid_utf8() {
    let wd = Workdir::with_repo_data();
    let mut bytes = wd.read_bytes(GOLD);
    let pos = bytes.len() - 3;
    bytes.insert(pos, 0xff);
    wd.write(GOLD, bytes);
    bad(
        &wd,
        &["validate"],
        None,
        &["labels/gold.csv:26:", "not valid UTF-8"],
    );
}

#[test]
fn labels_unclosed_quote() {
    let wd = Workdir::with_repo_data();
    replace_line(
        &wd,
        GOLD,
        10,
        "doc000.s09,doc000,805,928,sentence,Jens Stoltenberg,support,\"Some NATO countries,",
    );
    bad(
        &wd,
        &["validate"],
        None,
        &["labels/gold.csv:10:", "is never closed"],
    );
}

#[test]
fn labels_a_ten_megabyte_field_is_quoted_as_an_excerpt() {
    let wd = Workdir::with_repo_data();
    let l = gold_line(&wd, 6);
    let mut fields: Vec<&str> = l.splitn(8, ',').collect();
    let huge = "x".repeat(10 << 20);
    fields[6] = &huge;
    replace_line(&wd, GOLD, 6, &fields.join(","));
    let stderr = bad(
        &wd,
        &["validate"],
        None,
        &["labels/gold.csv:6: field 'stance' is 'xxxx", "…'"],
    );
    assert!(stderr.len() < 5_000);
}

#[test]
fn labels_nul_bytes_in_a_field() {
    let wd = Workdir::with_repo_data();
    let l = gold_line(&wd, 7)
        .replacen(",neutral,", ",neu\0tral,", 1)
        .replacen(",support,", ",sup\0port,", 1)
        .replacen(",oppose,", ",opp\0ose,", 1);
    replace_line(&wd, GOLD, 7, &l);
    bad(
        &wd,
        &["validate"],
        None,
        &["labels/gold.csv:7: field 'stance' is"],
    );
}

#[test]
fn labels_duplicate_id() {
    let wd = Workdir::with_repo_data();
    let l = gold_line(&wd, 7);
    let rest = l.split_once(',').unwrap().1;
    replace_line(&wd, GOLD, 7, &format!("doc000.s01,{rest}"));
    bad(
        &wd,
        &["validate"],
        None,
        &["labels/gold.csv:7: duplicate id 'doc000.s01' (first used at labels/gold.csv:2)"],
    );
}

#[test]
fn labels_directory_without_csv_files() {
    let wd = Workdir::with_repo_data();
    wd.write("empty-labels/README", "none here");
    bad(
        &wd,
        &["validate", "--labels", "empty-labels"],
        None,
        &["empty-labels: no *.csv label files"],
    );
}

#[test]
fn labels_missing_file() {
    let wd = Workdir::with_repo_data();
    bad(
        &wd,
        &["validate", "--labels", "labels/nope.csv"],
        None,
        &["labels/nope.csv: cannot read the label file"],
    );
}

#[test]
fn labels_wrong_field_count() {
    let wd = Workdir::with_repo_data();
    replace_line(&wd, GOLD, 4, "doc000.s03,doc000,1,2");
    bad(
        &wd,
        &["validate"],
        None,
        &["labels/gold.csv:4: expected 9 fields"],
    );
}

// ---- seeds and manifest ------------------------------------------------------------------------------------

#[test]
fn manifest_missing() {
    let wd = Workdir::with_repo_data();
    std::fs::remove_file(wd.path().join(MANIFEST)).unwrap();
    bad(
        &wd,
        &["validate"],
        None,
        &[
            "seeds/manifest.csv: cannot read the seed manifest",
            "id,file,sha256,description",
        ],
    );
}

#[test]
fn manifest_empty() {
    let wd = Workdir::with_repo_data();
    wd.write(MANIFEST, "");
    bad(
        &wd,
        &["validate"],
        None,
        &["seeds/manifest.csv:1: the manifest is empty"],
    );
}

#[test]
fn manifest_unclosed_quote() {
    let wd = Workdir::with_repo_data();
    let h = sha(&wd.read_bytes(SEED));
    wd.write("seeds/b.txt", "Another seed.");
    let hb = sha(b"Another seed.");
    wd.write(
        MANIFEST,
        format!("id,file,sha256,description\ndoc000,000_2af097c08eccf118.txt,{h},\"the article\ndoc001,b.txt,{hb},other\n"),
    );
    bad(
        &wd,
        &["validate"],
        None,
        &[
            "seeds/manifest.csv:2: field 'description' runs over a line break",
            "close the quote",
        ],
    );
}

#[test]
fn manifest_wrong_header() {
    let wd = Workdir::with_repo_data();
    replace_line(&wd, MANIFEST, 1, "id,path,hash,description");
    bad(
        &wd,
        &["validate"],
        None,
        &["seeds/manifest.csv:1: header is 'id,path,hash,description'"],
    );
}

#[test]
fn manifest_sha256_not_hex() {
    let wd = Workdir::with_repo_data();
    replace_line(
        &wd,
        MANIFEST,
        2,
        "doc000,000_2af097c08eccf118.txt,xyz,the article",
    );
    bad(
        &wd,
        &["validate"],
        None,
        &[
            "seeds/manifest.csv:2: field 'sha256' must be 64 hex digits",
            "sha256sum",
        ],
    );
}

#[test]
fn manifest_wrong_field_count() {
    let wd = Workdir::with_repo_data();
    let h = sha(&wd.read_bytes(SEED));
    replace_line(
        &wd,
        MANIFEST,
        2,
        &format!("doc000,000_2af097c08eccf118.txt,{h},an article, with a comma"),
    );
    bad(
        &wd,
        &["validate"],
        None,
        &[
            "seeds/manifest.csv:2: expected 4 fields",
            "quote a description",
        ],
    );
}

#[test]
fn manifest_path_outside_the_seeds_directory() {
    let wd = Workdir::with_repo_data();
    let h = sha(&wd.read_bytes(SEED));
    replace_line(
        &wd,
        MANIFEST,
        2,
        &format!("doc000,../labels/gold.csv,{h},x"),
    );
    bad(
        &wd,
        &["validate"],
        None,
        &["seeds/manifest.csv:2: field 'file' must be a file name inside the seeds directory"],
    );
}

#[test]
fn seed_changed() {
    let wd = Workdir::with_repo_data();
    let mut bytes = wd.read_bytes(SEED);
    bytes[0] = b'n';
    wd.write(SEED, bytes);
    bad(
        &wd,
        &["validate"],
        None,
        &[
            "seeds/manifest.csv:2: seed 'doc000'",
            "restore the original file",
        ],
    );
}

#[test]
fn seed_empty() {
    let wd = Workdir::with_repo_data();
    wd.write("seeds/empty.txt", "");
    let text = wd.read(MANIFEST);
    wd.write(
        MANIFEST,
        format!("{text}doc001,empty.txt,{},empty\n", sha(b"")),
    );
    bad(
        &wd,
        &["validate"],
        None,
        &["seeds/manifest.csv:3: seed 'doc001'", "is empty"],
    );
}

#[test]
fn seed_with_no_labelled_unit() {
    let wd = Workdir::with_repo_data();
    wd.write("seeds/b.txt", "A second seed. Nobody labelled it.");
    let text = wd.read(MANIFEST);
    wd.write(
        MANIFEST,
        format!(
            "{text}doc001,b.txt,{},second\n",
            sha(b"A second seed. Nobody labelled it.")
        ),
    );
    bad(
        &wd,
        &["validate"],
        None,
        &[
            "seeds/manifest.csv:3: seed 'doc001'",
            "has no labelled unit",
            "stance segment",
        ],
    );
}

#[test]
fn seed_not_utf8() {
    let wd = Workdir::with_repo_data();
    wd.write("seeds/b.bin", [0xffu8, 0xfe, b'a']);
    let text = wd.read(MANIFEST);
    wd.write(
        MANIFEST,
        format!("{text}doc001,b.bin,{},binary\n", sha(&[0xff, 0xfe, b'a'])),
    );
    bad(
        &wd,
        &["validate"],
        None,
        &["seeds/b.bin: seed is not valid UTF-8"],
    );
}

#[test]
fn segment_an_empty_seed() {
    let wd = Workdir::with_repo_data();
    wd.write("new/empty.txt", "  \n");
    bad(
        &wd,
        &["segment", "new/empty.txt"],
        None,
        &["new/empty.txt: the seed is empty"],
    );
}

#[test]
fn segment_beside_a_broken_manifest() {
    let wd = Workdir::with_repo_data();
    wd.write("new/a.txt", "One. Two.");
    wd.write(
        "new/manifest.csv",
        "id,file,sha256,description\nd1,b.txt,xyz,\"open\n",
    );
    bad(
        &wd,
        &["segment", "new/a.txt"],
        None,
        &["new/manifest.csv:2:", "pass --doc"],
    );
}

// ---- labelled CSVs -----------------------------------------------------------------------------------------

fn csv_case(csv: &str, needles: &[&str]) {
    let wd = Workdir::with_repo_data();
    wd.write("csv.toml", CSV_EXP);
    wd.write("d.csv", csv);
    bad(&wd, &["run", "csv.toml", "-q"], None, needles);
}

#[test]
fn csv_empty() {
    csv_case("", &["d.csv:1: the file is empty"]);
}

#[test]
fn csv_header_only() {
    csv_case(
        "id,argument,stance\n",
        &["d.csv:1: the file has a header but no rows"],
    );
}

#[test]
fn csv_missing_column() {
    csv_case(
        "id,text,stance\na,x,pro\n",
        &[
            "d.csv:1: the experiment's data.text names column 'argument'",
            "columns: id, text, stance",
        ],
    );
}

#[test]
fn csv_duplicate_id() {
    csv_case(
        &format!("{GOOD_CSV}a,again,pro\n"),
        &["d.csv:6: id 'a' in column 'id' was already used at line 2"],
    );
}

#[test]
fn csv_wrong_field_count() {
    csv_case(
        &GOOD_CSV.replace("b,keep the ban,con", "b,keep the ban"),
        &["d.csv:3: expected 3 fields"],
    );
}

#[test]
fn csv_empty_label() {
    csv_case(
        &GOOD_CSV.replace("c,lift it now,pro", "c,lift it now,"),
        &["d.csv:4: column 'stance' (the label) is empty"],
    );
}

#[test]
fn csv_invalid_utf8() {
    let mut bytes = GOOD_CSV.as_bytes().to_vec();
    bytes.splice(40..40, [0xff, 0xfe]);
    let wd = Workdir::with_repo_data();
    wd.write("csv.toml", CSV_EXP);
    wd.write("d.csv", bytes);
    bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            "d.csv:2: column 'argument' is not valid UTF-8",
            "save the file as UTF-8",
        ],
    );
}

#[test]
fn csv_crlf_lines_are_right() {
    csv_case(
        &GOOD_CSV
            .replace("c,lift it now,pro", "c,,pro")
            .replace('\n', "\r\n"),
        &["d.csv:4: column 'argument' is empty"],
    );
}

// ---- command line ------------------------------------------------------------------------------------------

#[test]
fn cli_unknown_flag() {
    let wd = Workdir::with_repo_data();
    bad(&wd, &["validate", "--bogus"], None, &["--bogus"]);
}

#[test]
fn cli_missing_experiment_file() {
    let wd = Workdir::with_repo_data();
    bad(&wd, &["run", "nope.toml", "-q"], None, &["nope.toml"]);
}

#[test]
fn cli_zero_jobs() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    bad(
        &wd,
        &["run", "tiny.toml", "-q", "--jobs", "0"],
        None,
        &["invalid value '0' for '--jobs <N>'", "1..=1024"],
    );
}

#[test]
fn predict_empty_stdin() {
    let wd = Workdir::with_repo_data();
    bad(
        &wd,
        &["predict", "--feature-set", "lexicon"],
        Some(b""),
        &["stdin: no statements to label"],
    );
}

#[test]
fn predict_blank_lines_on_stdin() {
    let wd = Workdir::with_repo_data();
    bad(
        &wd,
        &["predict", "--feature-set", "lexicon"],
        Some(b"\n  \n\n"),
        &["stdin: no statements to label"],
    );
}

#[test]
fn predict_empty_csv() {
    let wd = Workdir::with_repo_data();
    wd.write("in.csv", "text\n");
    bad(
        &wd,
        &["predict", "--feature-set", "lexicon", "--csv", "in.csv"],
        None,
        &["in.csv: no rows to label"],
    );
}

#[test]
fn predict_csv_without_the_column() {
    let wd = Workdir::with_repo_data();
    wd.write("in.csv", "statement\nlift the ban\n");
    bad(
        &wd,
        &["predict", "--feature-set", "lexicon", "--csv", "in.csv"],
        None,
        &["in.csv:1: no column 'text'", "--text-column"],
    );
}

#[test]
fn embed_csv_without_the_column_names_embeds_own_option() {
    let wd = Workdir::with_repo_data();
    wd.write("in.csv", "statement\nlift the ban\n");
    std::fs::create_dir_all(wd.path().join("model")).unwrap();
    // `bad` also checks that nothing in the directory changed: the existing --out file stays as it was.
    wd.write("keep.npy", "keep");
    bad(
        &wd,
        &[
            "embed", "--model", "model", "--csv", "in.csv", "--out", "keep.npy",
        ],
        None,
        &["in.csv:1: no column 'text'", "choose one with --text\n"],
    );
}

#[test]
fn predict_csv_with_an_empty_statement() {
    let wd = Workdir::with_repo_data();
    wd.write("in.csv", "text\nlift the ban\n\"\"\n");
    bad(
        &wd,
        &["predict", "--feature-set", "lexicon", "--csv", "in.csv"],
        None,
        &["in.csv:3: column 'text' is empty"],
    );
}

#[test]
fn predict_empty_argument() {
    let wd = Workdir::with_repo_data();
    bad(
        &wd,
        &["predict", "--feature-set", "lexicon", "lift it", ""],
        None,
        &["statement argument 2 is empty"],
    );
}

// ---- output folders ----------------------------------------------------------------------------------------

#[test]
fn out_is_a_file() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.write("out.txt", "mine");
    bad(
        &wd,
        &["run", "tiny.toml", "-q", "--out", "out.txt"],
        None,
        &["out.txt", "is not a stance report folder"],
    );
}

#[test]
fn out_is_a_user_folder_with_a_report_json() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.write("mine/report.json", "{\"mine\": true}");
    wd.write("mine/thesis.tex", "precious");
    bad(
        &wd,
        &["run", "tiny.toml", "-q", "--out", "mine"],
        None,
        &[
            "mine: exists and is not a stance report folder",
            "thesis.tex",
            "choose another --out",
        ],
    );
}

#[test]
fn out_is_a_user_folder() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.write("mine/notes.txt", "precious");
    bad(
        &wd,
        &["run", "tiny.toml", "-q", "--out", "mine"],
        None,
        &["mine", "is not a stance report folder"],
    );
}

// ---- things that are not errors ----------------------------------------------------------------------------

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let wd = Workdir::with_repo_data();
    let mut child = wd
        .command(&["validate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_report_folder_carries_the_marker_and_is_replaced() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.run(&["run", "tiny.toml", "-q"]).ok();
    assert_eq!(
        wd.read("reports/tiny/.stance-report"),
        stance::atomic::MARKER_CONTENTS
    );
    wd.run(&["run", "tiny.toml", "-q"]).ok();
    let names: Vec<String> = std::fs::read_dir(wd.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["tiny"]);
}

#[test]
fn tuning_a_bad_value_in_a_list() {
    let wd = Workdir::with_repo_data();
    wd.write(
        "tiny.toml",
        TINY.replace(
            "type = \"naive-bayes\"",
            "type = \"naive-bayes\"\nalpha = [1.0, 0]",
        ),
    );
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[
            "tiny.toml:16:",
            "parameter 'alpha[1]' must be in (0, 1e12], got 0",
        ],
    );
}

#[test]
fn tuning_with_too_few_items_for_inner_folds() {
    let wd = Workdir::with_repo_data();
    wd.write(
        "csv.toml",
        CSV_EXP.replace(
            "type = \"naive-bayes\"",
            "type = \"naive-bayes\"\nalpha = [0.1, 1]",
        ),
    );
    wd.write("d.csv", GOOD_CSV);
    bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            &format!("csv.toml:{}:", line_no(CSV_EXP, "k = ")),
            "lexicon + naive-bayes(alpha∈{0.1,1}), repeat 0 fold 0",
            "tuning needs at least 2 training items of every class",
            "give the parameter one value",
        ],
    );
}

/// The 1-based line of the first line of `text` starting with `prefix`.
fn line_no(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?}"))
        + 1
}

// ---- the plan against the loaded data (refused before anything is fitted) -----------------------------------

/// A CSV experiment with `[evaluation]` replaced by `eval` and a `topic` group column in the data.
fn csv_exp_with(eval: &str) -> String {
    CSV_EXP
        .replace("id = \"id\"", "id = \"id\"\ngroup = \"topic\"")
        .replace("scheme = \"stratified-kfold\"\nk = 2", eval)
}

const TOPIC_CSV: &str = "id,argument,stance,topic\na,we must lift the ban,pro,t1\nb,keep the ban,con,t1\n\
c,lift it now,pro,t2\nd,never lift it,con,t2\ne,lift the ban today,pro,t1\nf,the ban stays,con,t2\n";

#[test]
fn eval_k_larger_than_the_smallest_class() {
    let wd = Workdir::with_repo_data();
    let exp = csv_exp_with("scheme = \"stratified-kfold\"\nk = 5");
    wd.write("csv.toml", &exp);
    wd.write("d.csv", TOPIC_CSV);
    bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            &format!("csv.toml:{}:", line_no(&exp, "k = ")),
            "evaluation.k = 5 folds is more than the 3 item(s) of class 'pro'",
            "set evaluation.k to at most 3 (allowed here: 2..=3)",
        ],
    );
}

#[test]
fn eval_k_against_a_class_of_one_item_advises_what_the_parser_accepts() {
    let wd = Workdir::with_repo_data();
    let exp = csv_exp_with("scheme = \"stratified-kfold\"\nk = 2");
    wd.write("csv.toml", &exp);
    wd.write(
        "d.csv",
        "id,argument,stance,topic\na,lift the ban,pro,t1\nb,keep the ban,con,t1\nc,lift it now,pro,t2\n",
    );
    let err = bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            &format!("csv.toml:{}:", line_no(&exp, "k = ")),
            "the 1 item(s) of class 'con'",
            "add items of 'con', leave it out of data.classes",
        ],
    );
    assert!(
        !err.contains("at most 1"),
        "advice the parser refuses: {err}"
    );
}

#[test]
fn eval_a_single_class_after_filtering() {
    let wd = Workdir::with_repo_data();
    let exp = CSV_EXP.replace("classes = [\"pro\", \"con\"]", "classes = [\"pro\"]");
    wd.write("csv.toml", &exp);
    wd.write("d.csv", GOOD_CSV);
    bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            &format!("csv.toml:{}:", line_no(&exp, "classes = ")),
            "the data has 1 class(es) (pro)",
            "list two or more in data.classes",
        ],
    );
}

#[test]
fn eval_a_declared_class_without_items() {
    let wd = Workdir::with_repo_data();
    let exp = CSV_EXP.replace(
        "classes = [\"pro\", \"con\"]",
        "classes = [\"pro\", \"con\", \"neutral\"]",
    );
    wd.write("csv.toml", &exp);
    wd.write("d.csv", GOOD_CSV);
    bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            &format!("csv.toml:{}:", line_no(&exp, "classes = ")),
            "class 'neutral' has no items in the data",
            "remove it from data.classes",
        ],
    );
}

#[test]
fn eval_too_few_groups_for_group_kfold() {
    let wd = Workdir::with_repo_data();
    let exp = csv_exp_with("scheme = \"group-kfold\"\nk = 3");
    wd.write("csv.toml", &exp);
    wd.write("d.csv", TOPIC_CSV);
    bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            &format!("csv.toml:{}:", line_no(&exp, "k = ")),
            "the data has 2 distinct groups (values of the data.group column)",
            "set evaluation.k to at most 2 (allowed here: 2..=2)",
        ],
    );
}

#[test]
fn eval_leave_one_group_out_with_one_group() {
    let wd = Workdir::with_repo_data();
    let exp = csv_exp_with("scheme = \"leave-one-group-out\"");
    wd.write("csv.toml", &exp);
    wd.write("d.csv", TOPIC_CSV.replace(",t2", ",t1"));
    bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            &format!("csv.toml:{}:", line_no(&exp, "scheme = ")),
            "needs at least 2 distinct groups (values of the data.group column), but the data has 1",
            "use scheme = \"stratified-kfold\"",
        ],
    );
}

#[test]
fn eval_a_per_group_model_without_training_items() {
    let wd = Workdir::with_repo_data();
    let exp = csv_exp_with("scheme = \"stratified-kfold\"\nk = 2\nper_group = true");
    wd.write("csv.toml", &exp);
    // Topic t3 has a single item: whichever fold tests it has no training item of t3.
    wd.write("d.csv", format!("{TOPIC_CSV}g,lift it,pro,t3\n"));
    bad(
        &wd,
        &["run", "csv.toml", "-q"],
        None,
        &[
            &format!("csv.toml:{}:", line_no(&exp, "per_group = ")),
            "per-group models: group '",
            "per_group = false",
        ],
    );
}

#[test]
fn eval_refusals_also_stop_check_before_the_baseline_or_report_changes() {
    let wd = Workdir::with_repo_data();
    let exp = csv_exp_with("scheme = \"stratified-kfold\"\nk = 5");
    wd.write("csv.toml", &exp);
    wd.write("d.csv", TOPIC_CSV);
    bad(
        &wd,
        &["check", "csv.toml", "--update-baseline", "-q"],
        None,
        &[&format!("csv.toml:{}:", line_no(&exp, "k = "))],
    );
}

// ---- memory ---------------------------------------------------------------------------------------------------

#[test]
fn memory_a_run_larger_than_the_limit_is_refused_with_the_estimate() {
    let wd = Workdir::with_repo_data();
    let exp = TINY.replace("k = 3", "k = 3\nrepeats = 1000");
    wd.write("tiny.toml", &exp);
    bad(
        &wd,
        &["run", "tiny.toml", "-q", "--memory-limit", "1MiB"],
        None,
        &[
            &format!("tiny.toml:{}:", line_no(&exp, "repeats = ")),
            "this run needs an estimated",
            "more than the 1.0 MiB available (--memory-limit)",
            "the largest part is the out-of-fold predictions",
            &format!(
                "driven by evaluation.repeats (tiny.toml:{})",
                line_no(&exp, "repeats = ")
            ),
            "pass --memory-limit SIZE",
        ],
    );
}

#[test]
fn memory_a_run_within_the_limit_runs() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.run(&["run", "tiny.toml", "-q", "--memory-limit", "64GiB"])
        .ok();
}

#[test]
fn memory_limit_not_a_size() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    bad(
        &wd,
        &["run", "tiny.toml", "-q", "--memory-limit", "2parsecs"],
        None,
        &["--memory-limit", "unknown unit 'parsecs'"],
    );
}

// ---- a failing write (full disk, I/O error), through the STANCE_TEST_FAIL_WRITES_AFTER_BYTES hook ----------

const FAIL: &str = "STANCE_TEST_FAIL_WRITES_AFTER_BYTES";

#[test]
fn write_a_full_disk_while_replacing_a_report_folder() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.run(&["run", "tiny.toml", "-q"]).ok();
    for (fault, cause) in [
        ("3000", "No space left on device"),
        ("0:EIO", "Input/output error"),
    ] {
        bad_env(
            &wd,
            &["run", "tiny.toml", "-q"],
            &[(FAIL, fault)],
            None,
            &["reports/tiny", cause],
        );
    }
}

#[test]
fn write_a_full_disk_while_updating_a_baseline() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.run(&["check", "tiny.toml", "--update-baseline", "-q"])
        .ok();
    let baseline = wd.read_bytes("reports/baselines/tiny.json").len();
    // Failing in the baseline itself, then in the report folder written after it: neither changes.
    for fault in ["100".to_string(), format!("{}", baseline + 2000)] {
        let err = bad_env(
            &wd,
            &["check", "tiny.toml", "--update-baseline", "-q"],
            &[(FAIL, &fault)],
            None,
            &["No space left on device"],
        );
        assert!(
            err.contains("reports/baselines/tiny.json") || err.contains("reports/tiny"),
            "{err}"
        );
    }
}

#[test]
fn write_a_full_disk_while_saving_a_model() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.run(&[
        "train",
        "tiny.toml",
        "--config",
        "lexicon + naive-bayes",
        "--model",
        "m.json",
    ])
    .ok();
    bad_env(
        &wd,
        &[
            "train",
            "tiny.toml",
            "--config",
            "lexicon + naive-bayes",
            "--model",
            "m.json",
        ],
        &[(FAIL, "10")],
        None,
        &["m.json", "No space left on device"],
    );
}

#[test]
fn write_a_full_disk_while_merging_shards() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.run(&["run", "tiny.toml", "-q", "--shard", "0/2"]).ok();
    wd.run(&["run", "tiny.toml", "-q", "--shard", "1/2"]).ok();
    let shards = [
        "shards/tiny/shard-0-of-2.json",
        "shards/tiny/shard-1-of-2.json",
    ];
    let mut args = vec!["merge", "-q"];
    args.extend(shards);
    wd.run(&args).ok();
    bad_env(
        &wd,
        &args,
        &[(FAIL, "3000")],
        None,
        &["reports/tiny", "No space left on device"],
    );
    // A shard file is written the same way.
    bad_env(
        &wd,
        &["run", "tiny.toml", "-q", "--shard", "0/2"],
        &[(FAIL, "100")],
        None,
        &["shard-0-of-2.json", "No space left on device"],
    );
}

#[test]
fn write_a_full_disk_while_writing_a_submission() {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", TINY);
    wd.run(&["run", "tiny.toml", "-q"]).ok();
    let args = [
        "submission",
        "reports/tiny",
        "--out",
        "guess.txt",
        "--gold",
        "gold.txt",
    ];
    wd.run(&args).ok();
    let guess = wd.read_bytes("guess.txt").len();
    // In the gold file (written first), then in the guess file: neither changes.
    for fault in [
        "10".to_string(),
        format!("{}", wd.read_bytes("gold.txt").len() + guess / 2),
    ] {
        bad_env(
            &wd,
            &args,
            &[(FAIL, &fault)],
            None,
            &["No space left on device", ".txt"],
        );
    }
}

/// The gold support/oppose sentences, in data order.
const GOLD_ITEMS: [&str; 11] = [
    "doc000.s01",
    "doc000.s02",
    "doc000.s03",
    "doc000.s05",
    "doc000.s06",
    "doc000.s07",
    "doc000.s08",
    "doc000.s09",
    "doc000.s10",
    "doc000.s11",
    "doc000.s12",
];

/// [`TINY`] with one outside system, `outside`, declared by `keys`.
fn with_system(keys: &str) -> String {
    format!("{TINY}\n[[systems]]\nname = \"outside\"\n{keys}\n")
}

/// Where every system refusal starts: the experiment line declaring the system, and its name.
const SYSTEM_AT: &str = "tiny.toml:20: system 'outside': ";

/// A work dir whose `tiny.toml` reads `preds.csv`, written from the gold items' rows after `edit`.
fn predictions_case(edit: impl Fn(&mut Vec<String>)) -> Workdir {
    let wd = Workdir::with_repo_data();
    wd.write("tiny.toml", with_system("predictions = \"preds.csv\""));
    let mut rows: Vec<String> = GOLD_ITEMS
        .iter()
        .map(|id| format!("{id},support"))
        .collect();
    edit(&mut rows);
    wd.write("preds.csv", format!("id,predicted\n{}\n", rows.join("\n")));
    wd
}

/// A work dir whose `tiny.toml` runs `sh model.sh` (2 s timeout), the script printing the gold items' answer lines
/// after `edit`.
fn command_case(edit: impl Fn(&mut Vec<String>)) -> Workdir {
    let wd = Workdir::with_repo_data();
    wd.write(
        "tiny.toml",
        with_system("command = [\"sh\", \"model.sh\"]\ntimeout = 2"),
    );
    let mut lines: Vec<String> = GOLD_ITEMS
        .iter()
        .map(|id| format!("{{\"id\":\"{id}\",\"label\":\"support\"}}"))
        .collect();
    edit(&mut lines);
    let mut script = String::from("cat > /dev/null\n");
    for l in &lines {
        script.push_str(&format!("printf '%s\\n' '{l}'\n"));
    }
    wd.write("model.sh", script);
    wd
}

#[test]
fn systems_predictions_missing_id() {
    let wd = predictions_case(|rows| {
        rows.remove(3);
    });
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[SYSTEM_AT, "preds.csv has no prediction for 'doc000.s05' (1 of the 11 that need one have none); give every scored item exactly one row, keyed by the data's ids (the gold labels' id column)"],
    );
}

#[test]
fn systems_predictions_unknown_label() {
    let wd = predictions_case(|rows| rows[2] = "doc000.s03,neutral".into());
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[
            SYSTEM_AT,
            "preds.csv:4: label 'neutral' is not one of the classes (support, oppose)",
        ],
    );
}

#[test]
fn systems_predictions_duplicate_id() {
    let wd = predictions_case(|rows| rows.push(rows[0].clone()));
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[SYSTEM_AT, "preds.csv:13: id 'doc000.s01' has a row already (line 2); give every item exactly one prediction"],
    );
    // The gate refuses it the same way, before writing a baseline.
    bad(
        &wd,
        &["check", "tiny.toml", "--update-baseline", "-q"],
        None,
        &[SYSTEM_AT, "preds.csv:13:"],
    );
}

#[test]
fn systems_command_malformed_json_line() {
    let wd = command_case(|lines| lines[2] = "{\"id\": \"doc000.s03\", label: support}".into());
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[SYSTEM_AT, "line 3 of its output on the 11 items: not JSON (`{\"id\": \"doc000.s03\", label: support}`)", "logs go to stderr"],
    );
}

#[test]
fn systems_command_missing_id() {
    let wd = command_case(|lines| {
        lines.pop();
    });
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[SYSTEM_AT, "its output on the 11 items has no prediction for 'doc000.s12' (1 of the 11 that need one have none); write one output line per input line, with its id"],
    );
}

#[test]
fn systems_command_unknown_label() {
    let wd = command_case(|lines| lines[4] = "{\"id\":\"doc000.s06\",\"label\":\"pro\"}".into());
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[SYSTEM_AT, "line 5 of its output on the 11 items: label 'pro' is not one of the classes (support, oppose)"],
    );
}

#[test]
fn systems_command_duplicate_id() {
    let wd = command_case(|lines| lines.push(lines[7].clone()));
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[SYSTEM_AT, "line 12 of its output on the 11 items: id 'doc000.s09' was answered already (line 8); answer every input line exactly once"],
    );
}

#[test]
fn systems_command_crashes() {
    let wd = command_case(|_| {});
    wd.write(
        "model.sh",
        "cat > /dev/null\necho 'Traceback: model.bin not found' >&2\nexit 3\n",
    );
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[SYSTEM_AT, "its command exited with status 3 on the 11 items, so none of its predictions are used; its stderr ended: Traceback: model.bin not found"],
    );
}

#[test]
fn systems_command_hangs() {
    let wd = command_case(|_| {});
    wd.write("model.sh", "cat > /dev/null\nsleep 60\n");
    let started = std::time::Instant::now();
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[
            SYSTEM_AT,
            "its command did not finish on the 11 items within 2 s and was killed",
            "raise the system's `timeout`",
        ],
    );
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn systems_command_not_found() {
    let wd = command_case(|_| {});
    wd.write("tiny.toml", with_system("command = [\"./models/bert.sh\"]"));
    bad(
        &wd,
        &["run", "tiny.toml", "-q"],
        None,
        &[
            SYSTEM_AT,
            "cannot start `./models/bert.sh`",
            "a name with a slash is relative to the experiment file's folder",
        ],
    );
}
