//! Per-group models (`[evaluation] per_group = true`) and the SemEval submission format (`stance submission`).

use stance::results::RunReport;

use crate::workdir::Workdir;

/// Two targets with their own vocabularies (what predicts stance on one target is noise on the other), each with a
/// fixed train/test split, as in SemEval-2016 Task 6.
fn two_target_csv() -> String {
    let mut s = String::from("id,text,stance,target,set\n");
    let targets = [
        (
            "weapons",
            ["lift the limits", "strike their bases", "self defense now"],
            ["risks a wider war", "keep the limits", "escalation danger"],
        ),
        (
            "climate",
            ["cut emissions fast", "green energy jobs", "tax carbon now"],
            [
                "hurts the economy",
                "jobs lost to rules",
                "energy prices up",
            ],
        ),
    ];
    for (t, pro, con) in targets {
        for i in 0..12 {
            let set = if i < 8 { "train" } else { "test" };
            // Mixed phrases so the classifiers have something to weigh and not every item is trivially separable.
            let p = format!("{} and {}", pro[i % 3], pro[(i + 1) % 3]);
            let c = format!("{} and {}", con[i % 3], pro[(i + 2) % 3]);
            s.push_str(&format!("{t}-p{i},\"{p}\",support,{t},{set}\n"));
            s.push_str(&format!("{t}-c{i},\"{c}\",oppose,{t},{set}\n"));
        }
    }
    s
}

fn experiment(name: &str, data: &str, evaluation: &str) -> String {
    format!(
        r#"name = "{name}"
seed = 11
bootstrap = 100

[data]
source = "csv"
path = "{data}"
text = "text"
label = "stance"
id = "id"
group = "target"
split = "set"
classes = ["support", "oppose"]

[evaluation]
{evaluation}

[[features]]
name = "words"
extractors = [{{ type = "word-ngrams", ngram = [1, 2], weighting = "tfidf" }}]

[[classifiers]]
type = "logistic"
alpha = 10.0

[[classifiers]]
type = "naive-bayes"

[[classifiers]]
type = "majority"
"#
    )
}

fn report(wd: &Workdir, dir: &str) -> RunReport {
    serde_json::from_str(&wd.read(&format!("{dir}/report.json"))).expect("report.json parses")
}

fn only_target(csv: &str, target: &str) -> String {
    csv.lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.contains(&format!(",{target},")))
        .map(|(_, l)| format!("{l}\n"))
        .collect()
}

#[test]
fn per_group_predictions_are_each_groups_own_model_concatenated() {
    let wd = Workdir::new();
    let csv = two_target_csv();
    wd.write("all.csv", &csv);
    wd.write("weapons.csv", only_target(&csv, "weapons"));
    wd.write("climate.csv", only_target(&csv, "climate"));
    let fixed = "scheme = \"fixed-split\"\nper_group = true";
    wd.write("pg.toml", experiment("pg", "all.csv", fixed));
    wd.write(
        "w.toml",
        experiment("w", "weapons.csv", "scheme = \"fixed-split\""),
    );
    wd.write(
        "c.toml",
        experiment("c", "climate.csv", "scheme = \"fixed-split\""),
    );
    for (exp, out) in [("pg.toml", "pg"), ("w.toml", "w"), ("c.toml", "c")] {
        wd.run(&["run", exp, "--out", out, "-q"]).ok();
    }
    let pg = report(&wd, "pg");
    let info = pg
        .run
        .evaluation
        .per_group
        .as_ref()
        .expect("per_group recorded");
    assert_eq!((info.groups, info.models), (2, 2));
    for part in ["w", "c"] {
        let sub = report(&wd, part);
        for c in &pg.run.configs {
            let s = sub.run.configs.iter().find(|s| s.id == c.id).unwrap();
            for (j, item) in sub.run.items.iter().enumerate() {
                let i = pg.run.items.iter().position(|x| x.id == item.id).unwrap();
                let (a, b) = (&c.predictions[0][i], &s.predictions[0][j]);
                assert_eq!(
                    a.as_ref().map(|p| (p.class, p.proba.clone())),
                    b.as_ref().map(|p| (p.class, p.proba.clone())),
                    "{} on {}: the per-group model must be the group's own model",
                    c.id,
                    item.id
                );
            }
        }
    }
    // One model per group is not one pooled model: the pooled run differs somewhere.
    wd.write(
        "pooled.toml",
        experiment("pooled", "all.csv", "scheme = \"fixed-split\""),
    );
    wd.run(&["run", "pooled.toml", "--out", "pooled", "-q"])
        .ok();
    let pooled = report(&wd, "pooled");
    assert!(pooled.run.evaluation.per_group.is_none());
    let md = wd.read("pg/report.md");
    assert!(md.contains(
        "one model per group (grouped by column 'target': 2 groups, 2 models per configuration)"
    ));
    assert!(md.contains("no single model to explain"));
    assert!(pg.run.configs.iter().all(|c| c.top_features.is_none()));
    assert_eq!(
        pg.run.configs[0].per_group.len(),
        2,
        "per-group scores of the per-group run"
    );
}

#[test]
fn per_group_under_stratified_folds_trains_within_each_fold() {
    let wd = Workdir::new();
    wd.write("all.csv", two_target_csv());
    wd.write(
        "pg.toml",
        experiment(
            "pg",
            "all.csv",
            "scheme = \"stratified-kfold\"\nk = 3\nrepeats = 2\nper_group = true",
        ),
    );
    wd.run(&["run", "pg.toml", "--out", "pg", "-q"]).ok();
    let r = report(&wd, "pg");
    let info = r.run.evaluation.per_group.as_ref().unwrap();
    assert_eq!(info.groups, 2);
    assert_eq!(info.models, 2 * 3 * 2, "groups × folds × repeats");
    assert_eq!(r.run.folds.len(), 6, "fold records stay the outer folds");
    for c in &r.run.configs {
        for rep in &c.predictions {
            assert!(
                rep.iter().all(Option::is_some),
                "every item once per repeat"
            );
        }
    }
}

#[test]
fn per_group_with_a_group_scheme_is_refused_with_the_reason() {
    let wd = Workdir::new();
    wd.write("all.csv", two_target_csv());
    wd.write(
        "pg.toml",
        experiment(
            "pg",
            "all.csv",
            "scheme = \"leave-one-group-out\"\nper_group = true",
        ),
    );
    wd.run(&["run", "pg.toml", "-q"])
        .code(2)
        .stderr_has("pg.toml")
        .stderr_has("per_group")
        .stderr_has("holds whole groups out of training");
    assert!(!wd.path().join("reports").exists());
}

#[test]
fn a_group_without_training_items_is_named() {
    let wd = Workdir::new();
    let mut csv = two_target_csv();
    // A third target that only appears on the test side.
    csv.push_str("x1,\"lonely statement\",support,lonely,test\n");
    wd.write("all.csv", csv);
    wd.write(
        "pg.toml",
        experiment(
            "pg",
            "all.csv",
            "scheme = \"fixed-split\"\nper_group = true",
        ),
    );
    wd.run(&["run", "pg.toml", "-q"])
        .code(2)
        .stderr_has("group 'lonely' has 1 test item(s) in repeat 0 fold 0 but no training items");
}

/// F_avg as the SemEval-2016 scorer defines it, from the two submission files: the mean of FAVOR's and AGAINST's
/// F1 over all lines.
fn semeval_favg(gold: &str, guess: &str) -> f64 {
    let stance = |l: &str| l.rsplit('\t').next().unwrap().to_string();
    let g: Vec<String> = gold.lines().skip(1).map(stance).collect();
    let p: Vec<String> = guess.lines().skip(1).map(stance).collect();
    assert_eq!(g.len(), p.len());
    let f1 = |c: &str| {
        let tp = g.iter().zip(&p).filter(|(a, b)| *a == c && *b == c).count() as f64;
        let guessed = p.iter().filter(|b| *b == c).count() as f64;
        let gold = g.iter().filter(|a| *a == c).count() as f64;
        let (pr, re) = (
            if guessed > 0.0 { tp / guessed } else { 0.0 },
            if gold > 0.0 { tp / gold } else { 0.0 },
        );
        if pr + re > 0.0 {
            2.0 * pr * re / (pr + re)
        } else {
            0.0
        }
    };
    (f1("FAVOR") + f1("AGAINST")) / 2.0
}

#[test]
fn the_submission_files_score_what_the_report_says() {
    let wd = Workdir::new();
    wd.write("all.csv", two_target_csv());
    wd.write(
        "pg.toml",
        experiment(
            "pg",
            "all.csv",
            "scheme = \"fixed-split\"\nper_group = true",
        ),
    );
    wd.run(&["run", "pg.toml", "--out", "pg", "-q"]).ok();
    let r = report(&wd, "pg");
    for c in r.run.configs.iter().filter(|c| !c.baseline) {
        wd.run(&[
            "submission",
            "pg",
            "--config",
            &c.id,
            "--out",
            "guess.txt",
            "--gold",
            "gold.txt",
        ])
        .ok()
        .stdout_has("wrote 16 predictions");
        let (guess, gold) = (wd.read("guess.txt"), wd.read("gold.txt"));
        assert!(guess.starts_with("ID\tTarget\tTweet\tStance\n"));
        assert_eq!(guess.lines().count(), 17, "header + the 16 test items");
        assert!(guess.lines().skip(1).all(|l| l.split('\t').count() == 4));
        assert!(gold.contains("weapons-p8\tweapons\tself defense now and lift the limits\tFAVOR\n"));
        let favg = r.run.configs.iter().find(|x| x.id == c.id).unwrap().metrics
            [&stance::eval::MetricName::FAvg]
            .point;
        assert!(
            (semeval_favg(&gold, &guess) - favg).abs() < 1e-12,
            "{}: the files score {} but the report says {favg}",
            c.id,
            semeval_favg(&gold, &guess)
        );
    }
    wd.run(&["submission", "pg", "--out", "best.txt"])
        .ok()
        .stderr_has("using the report's best configuration");
    wd.run(&["submission", "pg", "--config", "nope", "--out", "x.txt"])
        .code(2)
        .stderr_has("no configuration 'nope'");
    assert!(!wd.path().join("x.txt").exists());
}
