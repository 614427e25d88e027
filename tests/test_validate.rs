use crate::workdir::Workdir;

const GOLD: &str = "labels/gold.csv";

/// Rewrites field values of the record on `line` (1-based file line; header is line 1) and writes the file back.
fn edit_row(wd: &Workdir, line: usize, edit: impl Fn(&mut Vec<String>)) {
    let text = wd.read(GOLD);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    edit(&mut rows[line - 1]);
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for r in &rows {
        w.write_record(r).unwrap();
    }
    wd.write(GOLD, w.into_inner().unwrap());
}

fn field(name: &str) -> usize {
    [
        "id", "doc", "start", "end", "unit", "holder", "stance", "text", "note",
    ]
    .iter()
    .position(|f| *f == name)
    .unwrap()
}

/// Asserts that `validate` fails and that one line of its output names `location` and says `message`.
fn expect_problem(wd: &Workdir, location: &str, message: &str) {
    let run = wd.run(&["validate"]);
    run.code(2);
    let stderr = run.stderr();
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&format!("{location}: ")) && l.contains(message)),
        "no line '{location}: …{message}…' in:\n{stderr}"
    );
}

#[test]
fn shipped_gold_passes_and_prints_the_summary() {
    let wd = Workdir::with_repo_data();
    wd.run(&["validate"])
        .ok()
        .stdout_has("gold data OK")
        .stdout_has("units per level and stance")
        .stdout_has("sentence")
        .stdout_has("units per holder")
        .stdout_has("Jens Stoltenberg")
        .stdout_has("units per document")
        .stdout_has("doc000")
        .stdout_has("warning: class 'oppose' has only");
}

#[test]
fn wrong_header() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 1, |r| r[field("stance")] = "label".into());
    expect_problem(
        &wd,
        "labels/gold.csv:1",
        "expected 'id,doc,start,end,unit,holder,stance,text,note'",
    );
}

#[test]
fn wrong_number_of_fields() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 4, |r| {
        r.pop();
    });
    expect_problem(&wd, "labels/gold.csv:4", "expected 9 fields");
}

#[test]
fn unknown_stance() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 6, |r| r[field("stance")] = "favor".into());
    expect_problem(&wd, "labels/gold.csv:6", "field 'stance' is 'favor'");
}

#[test]
fn unknown_unit_level() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 6, |r| r[field("unit")] = "paragraph".into());
    expect_problem(&wd, "labels/gold.csv:6", "field 'unit' is 'paragraph'");
}

#[test]
fn duplicate_id() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 7, |r| r[field("id")] = "doc000.s01".into());
    expect_problem(
        &wd,
        "labels/gold.csv:7",
        "duplicate id 'doc000.s01' (first used at labels/gold.csv:2)",
    );
}

#[test]
fn offsets_out_of_range() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 26, |r| r[field("end")] = "9999".into());
    expect_problem(&wd, "labels/gold.csv:26", "out of range");
}

#[test]
fn offsets_not_a_number() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 3, |r| r[field("start")] = "12a".into());
    expect_problem(&wd, "labels/gold.csv:3", "field 'start' is '12a'");
}

#[test]
fn offset_inside_a_multibyte_character() {
    // Row 5 (doc000.s04) starts with a three-byte opening quote at 319.
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 5, |r| r[field("start")] = "320".into());
    expect_problem(
        &wd,
        "labels/gold.csv:5",
        "falls inside a multi-byte character",
    );
}

#[test]
fn text_differs_from_the_seed_slice() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 9, |r| r[field("text")] = "It's self-defence.".into());
    expect_problem(&wd, "labels/gold.csv:9", "does not equal the seed slice");
}

#[test]
fn shifted_offsets_are_caught_by_the_text_check() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 9, |r| {
        r[field("start")] = "787".into();
        r[field("end")] = "805".into();
    });
    expect_problem(&wd, "labels/gold.csv:9", "did the offsets shift?");
}

#[test]
fn unknown_document() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 2, |r| r[field("doc")] = "doc999".into());
    expect_problem(
        &wd,
        "labels/gold.csv:2",
        "'doc999', which is not a seed in the manifest (known: doc000)",
    );
}

#[test]
fn empty_text_and_empty_holder() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 8, |r| {
        r[field("text")] = String::new();
        r[field("holder")] = " ".into();
    });
    let run = wd.run(&["validate"]);
    run.code(2)
        .stderr_has("labels/gold.csv:8: field 'text' is empty")
        .stderr_has("labels/gold.csv:8: field 'holder' is empty");
}

#[test]
fn overlapping_units_of_the_same_level() {
    let wd = Workdir::with_repo_data();
    // doc000.s02 (132..215) extended into doc000.s03: the text is updated too, so only the overlap is wrong.
    let seed = wd.read("seeds/000_2af097c08eccf118.txt");
    edit_row(&wd, 3, |r| {
        r[field("end")] = "230".into();
        r[field("text")] = seed[132..230].to_string();
    });
    expect_problem(
        &wd,
        "labels/gold.csv:4",
        "overlaps sentence unit 'doc000.s02'",
    );
}

#[test]
fn duplicate_units() {
    let wd = Workdir::with_repo_data();
    let text = wd.read(GOLD);
    let row = text
        .lines()
        .nth(1)
        .unwrap()
        .replacen("doc000.s01", "doc000.s01b", 1);
    wd.write(GOLD, format!("{text}{row}\n"));
    expect_problem(
        &wd,
        "labels/gold.csv:27",
        "duplicates sentence unit 'doc000.s01'",
    );
}

#[test]
fn clause_outside_every_sentence() {
    let wd = Workdir::with_repo_data();
    let seed = wd.read("seeds/000_2af097c08eccf118.txt");
    // doc000.s09.c1 moved to straddle the s08/s09 boundary.
    edit_row(&wd, 11, |r| {
        r[field("start")] = "795".into();
        r[field("end")] = "853".into();
        r[field("text")] = seed[795..853].to_string();
    });
    expect_problem(
        &wd,
        "labels/gold.csv:11",
        "does not lie inside any sentence unit",
    );
}

#[test]
fn an_unlabelled_sentence_is_reported() {
    let wd = Workdir::with_repo_data();
    let text = wd.read(GOLD);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("doc000.s08,"))
        .collect();
    wd.write(GOLD, kept.join("\n") + "\n");
    wd.run(&["validate"])
        .code(2)
        .stderr_has("bytes 785..805 of seed 'doc000' are not covered")
        .stderr_has("It's self-defense.");
}

#[test]
fn a_changed_seed_byte_fails_its_hash() {
    let wd = Workdir::with_repo_data();
    let mut bytes = wd.read_bytes("seeds/000_2af097c08eccf118.txt");
    bytes[0] = b'n';
    wd.write("seeds/000_2af097c08eccf118.txt", bytes);
    wd.run(&["validate"])
        .code(2)
        .stderr_has("seeds/manifest.csv:2: seed 'doc000'")
        .stderr_has("bytes changed");
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 6, |r| r[field("stance")] = "maybe".into());
    edit_row(&wd, 20, |r| r[field("unit")] = "para".into());
    let run = wd.run(&["validate"]);
    run.code(2)
        .stderr_has("labels/gold.csv:6:")
        .stderr_has("labels/gold.csv:20:")
        .stderr_has("2 problem(s) found");
}

#[test]
fn missing_label_file_is_a_clear_error() {
    let wd = Workdir::with_repo_data();
    wd.run(&["validate", "--labels", "labels/nope.csv"])
        .code(2)
        .stderr_has("labels/nope.csv: cannot read the label file");
}

#[test]
fn unclosed_quote_is_reported_with_its_line() {
    let wd = Workdir::with_repo_data();
    let text = wd.read(GOLD);
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // An opening quote that is never closed swallows the rest of the file into one field.
    lines[9] = "doc000.s09,doc000,805,928,sentence,Jens Stoltenberg,support,\"Some NATO countries,"
        .to_string();
    wd.write(GOLD, lines.join("\n") + "\n");
    wd.run(&["validate"])
        .code(2)
        .stderr_has("labels/gold.csv:10:");
}

#[test]
fn lines_are_right_in_a_crlf_file() {
    let wd = Workdir::with_repo_data();
    edit_row(&wd, 6, |r| r[field("stance")] = "favor".into());
    let crlf = wd.read(GOLD).replace('\n', "\r\n");
    wd.write(GOLD, crlf);
    expect_problem(&wd, "labels/gold.csv:6", "field 'stance' is 'favor'");
}
