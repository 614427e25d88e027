use crate::workdir::Workdir;

#[test]
fn segment_reproduces_the_gold_sentence_boundaries() {
    let wd = Workdir::with_repo_data();
    let run = wd.run(&["segment", "seeds/000_2af097c08eccf118.txt"]);
    run.ok();
    let parse = |text: &str| -> Vec<(String, String, String, String)> {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        rdr.records()
            .map(|r| r.unwrap())
            .filter(|r| &r[4] == "sentence")
            .map(|r| {
                (
                    r[0].to_string(),
                    r[2].to_string(),
                    r[3].to_string(),
                    r[7].to_string(),
                )
            })
            .collect()
    };
    let proposed = parse(&run.stdout());
    let gold = parse(&wd.read("labels/gold.csv"));
    assert_eq!(proposed.len(), 20);
    assert_eq!(proposed, gold);
    // The proposal is ready for labelling: same header, stance left empty.
    assert!(run
        .stdout()
        .starts_with("id,doc,start,end,unit,holder,stance,text,note\n"));
    assert!(run
        .stdout()
        .lines()
        .nth(1)
        .unwrap()
        .contains(",sentence,,,"));
}

#[test]
fn segment_output_validates_once_labelled() {
    let wd = Workdir::with_repo_data();
    let out = wd
        .run(&["segment", "seeds/000_2af097c08eccf118.txt"])
        .stdout();
    let labelled = out.replace(",sentence,,,", ",sentence,someone,neutral,");
    wd.write("labels/gold.csv", labelled);
    wd.run(&["validate"]).ok();
}

#[test]
fn segment_names_a_missing_file() {
    let wd = Workdir::new();
    wd.run(&["segment", "nope.txt"])
        .code(2)
        .stderr_has("nope.txt: cannot read the seed");
}
