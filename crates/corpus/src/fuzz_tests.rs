//! Fuzz tests of the three readers of user files: whatever the bytes, they return problems or data, never panic.
//!
//! Each reader gets arbitrary bytes and, more usefully, a valid file corrupted by a few byte-level edits (quotes,
//! separators, line breaks, multi-byte characters, digits), which reaches the code behind the CSV parser. The
//! number of cases per reader is `STANCE_FUZZ_CASES` (default 2000, so `cargo test` stays fast); for a long run:
//! `STANCE_FUZZ_CASES=340000 cargo test --release --lib corpus::fuzz_tests`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use stance_testkit::{apply, config, edit};

use super::gold::{cross_check, parse_labels, GoldCheck};
use super::seeds::{parse_manifest, Seed, SeedSet};
use super::sha256_hex;
use super::table::{parse_table, TableSpec};

/// Arbitrary bytes, or `base` with up to six edits.
fn input(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..300),
        4 => prop::collection::vec(edit(), 1..7).prop_map(move |e| apply(base, &e)),
    ]
}

const SEED_TEXT: &str = "Hello “world”. Lift the ban now, he said. It is self-defence.\n\nNo.";

const GOLD: &[u8] = "id,doc,start,end,unit,holder,stance,text,note\n\
d.s1,d,0,18,sentence,journalist,neutral,Hello “world”.,\n\
d.s2,d,19,45,sentence,he,support,\"Lift the ban now, he said.\",\"a, note\"\n\
d.s2.c1,d,19,35,clause,he,support,Lift the ban now,\n\
d.s3,d,46,65,sentence,journalist,oppose,It is self-defence.,\n\
d.s4,d,67,70,sentence,journalist,neutral,No.,\n"
    .as_bytes();

const MANIFEST: &[u8] = b"id,file,sha256,description\n\
d,a.txt,0000000000000000000000000000000000000000000000000000000000000000,\"one, two\"\n\
e,b.txt,ABCDEF0000000000000000000000000000000000000000000000000000000000,plain\n";

const TABLE: &[u8] = "argument,topic,stance,id\n\
\"a, b\",t1,1,x1\n\
\"multi\nline “q”\",t2,-1,x2\n\
c,t2,0,x3\n\
d,t3,1,x4\n"
    .as_bytes();

fn seeds() -> SeedSet {
    let mut set = SeedSet::default();
    set.seeds.insert(
        "d".into(),
        Seed {
            id: "d".into(),
            path: PathBuf::from("seeds/a.txt"),
            description: String::new(),
            sha256: sha256_hex(SEED_TEXT.as_bytes()),
            text: SEED_TEXT.into(),
            line: 2,
        },
    );
    set
}

fn check_gold_bytes(bytes: &[u8]) -> GoldCheck {
    let mut check = GoldCheck {
        seeds: seeds(),
        ..GoldCheck::default()
    };
    let path = Path::new("labels/gold.csv");
    parse_labels(path, bytes, &mut check);
    cross_check(&mut check, Path::new("seeds/manifest.csv"), path);
    check
}

fn spec(with_id: bool) -> TableSpec {
    TableSpec {
        path: PathBuf::from("d.csv"),
        text: "argument".into(),
        label: "stance".into(),
        id: with_id.then(|| "id".into()),
        group: Some("topic".into()),
        holder: None,
        split: None,
        train_values: vec!["train".into()],
        test_values: vec!["test".into()],
        label_names: BTreeMap::from([("1".to_string(), "pro".to_string())]),
        classes: Vec::new(),
        sample: None,
    }
}

/// Every message names the file, and none quotes more than a short excerpt of the input.
fn assert_messages_are_short<'a>(
    messages: impl Iterator<Item = &'a stance_core::diag::Diagnostic>,
) {
    for d in messages {
        assert!(d.message.len() < 1000, "a long message: {d}");
        assert!(!d.message.contains('\n'), "a message over two lines: {d}");
    }
}

#[test]
fn the_unedited_inputs_are_valid() {
    let check = check_gold_bytes(GOLD);
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert_eq!(check.units.len(), 5);
    assert!(parse_manifest(Path::new("m.csv"), MANIFEST)
        .problems
        .is_empty());
    assert_eq!(
        parse_table(&spec(true), TABLE, &[]).unwrap().0.items.len(),
        4
    );
}

// Findings of earlier fuzz runs, kept as regression tests.

/// Found by fuzzing: a coverage gap spanning a paragraph break was quoted over several lines of output.
#[test]
fn finding_an_uncovered_gap_is_quoted_on_one_line() {
    let without_s3: Vec<u8> = String::from_utf8_lossy(GOLD)
        .lines()
        .filter(|l| !l.starts_with("d.s3,") && !l.starts_with("d.s4,"))
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect();
    let check = check_gold_bytes(&without_s3);
    let gap = check
        .problems
        .iter()
        .find(|p| p.message.contains("not covered"))
        .expect("the gap is reported");
    assert!(gap.message.contains("self-defence.\\n\\nNo."), "{gap}");
    assert_messages_are_short(check.problems.iter());
}

/// Found by fuzzing (the 1M-input run of issue 11): a unit id holding a line break (a quoted field) was quoted
/// raw in the message about overlapping units, so the message ran over two lines.
#[test]
fn finding_an_id_with_a_line_break_is_quoted_on_one_line() {
    let mut gold = GOLD.to_vec();
    gold.extend_from_slice(b"\"x\nd.s4\",d,67,70,sentence,journalist,neutral,No.,\n");
    let check = check_gold_bytes(&gold);
    let dup = check
        .problems
        .iter()
        .find(|p| p.message.contains("duplicates"))
        .expect("the duplicate unit is reported");
    assert!(dup.message.contains("'x\\nd.s4'"), "{dup}");
    assert_messages_are_short(check.problems.iter());
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_gold_reader_never_panics(bytes in input(GOLD)) {
        let check = check_gold_bytes(&bytes);
        assert_messages_are_short(check.problems.iter());
    }

    #[test]
    fn the_manifest_reader_never_panics(bytes in input(MANIFEST)) {
        let m = parse_manifest(Path::new("seeds/manifest.csv"), &bytes);
        assert_messages_are_short(m.problems.iter());
        prop_assert!(m.problems.iter().all(|p| p.line.is_some()));
    }

    #[test]
    fn the_labelled_csv_reader_never_panics(bytes in input(TABLE), with_id in any::<bool>()) {
        if let Err(super::CorpusError::Invalid { problems }) = parse_table(&spec(with_id), &bytes, &[]) {
            assert_messages_are_short(problems.0.iter());
        }
    }
}
