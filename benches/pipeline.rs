//! Speed benchmarks (`cargo bench -p stance-bench`): feature fitting, the cross-validation grid with its bootstrap, and the IBM
//! corpus sample when `../shared/corpora/` is present (skipped otherwise). Tests assert behaviour; timing lives
//! here. Peak memory is measured by `bench/run.sh` with `/usr/bin/time -v`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use stance::eval::{run, RunOptions};
use stance::experiment::Experiment;
use stance::features::{Doc, FeatureSetSpec};

// Paths are relative to benches/: cargo runs a bench in its package folder, one level below the repository root.
const IBM: &str = "../../shared/corpora/ibm-argq-30k/arg_quality_rank_30k.csv";

fn gold(c: &mut Criterion) {
    let exp = Experiment::load(Path::new("../experiments/default.toml"))
        .expect("experiments/default.toml beside benches/");
    let data = exp.load_data().expect("gold data loads");
    let plan = exp.plan().expect("valid plan");
    c.bench_function(
        "gold/default experiment (26 configs x 30 folds + 2000 bootstrap)",
        |b| b.iter(|| run(&plan, &data.dataset, &RunOptions::default()).expect("runs")),
    );
    let spec: FeatureSetSpec = toml::from_str(
        "name = 'all'\nextractors = [{ type = 'word-ngrams', ngram = [1, 2] }, { type = 'char-ngrams', ngram = [2, 5] }, \
         { type = 'lexicon' }, { type = 'negation' }, { type = 'shape' }]",
    )
    .expect("valid");
    let fs = spec.check().expect("valid");
    let docs: Vec<Doc<'_>> = data
        .dataset
        .items
        .iter()
        .map(|i| Doc {
            text: &i.text,
            holder: i.holder.as_deref(),
        })
        .collect();
    c.bench_function("gold/fit+transform all extractors (11 items)", |b| {
        b.iter(|| {
            let fitted = fs.fit(&docs).expect("fits");
            let texts: Vec<&str> = docs.iter().map(|d| d.text).collect();
            fitted.transform(&texts)
        })
    });
}

fn ibm(c: &mut Criterion) {
    if !Path::new(IBM).exists() {
        eprintln!("skipping IBM benchmarks: {IBM} not found");
        return;
    }
    let src = std::fs::read_to_string("../bench/experiments/ibm-argq-sample.toml")
        .expect("bench experiment exists");
    // One size keeps `cargo bench` to minutes; `bench/run.sh` times larger samples end to end.
    let sizes: &[usize] = &[1000];
    for &n in sizes {
        let text = src
            .replace("sample = 6000", &format!("sample = {n}"))
            .replace("bootstrap = 1000", "bootstrap = 200");
        let exp = Experiment::from_source(
            &text,
            Some(Path::new("../bench/experiments/ibm-argq-sample.toml")),
        )
        .expect("valid");
        let data = exp.load_data().expect("corpus loads");
        let plan = exp.plan().expect("valid plan");
        let mut group = c.benchmark_group(format!("ibm/{n} arguments"));
        group.sample_size(10);
        group.bench_function("group 5-fold, 3 feature sets x (LR, NB) + baselines", |b| {
            b.iter(|| run(&plan, &data.dataset, &RunOptions::default()).expect("runs"))
        });
        let spec: FeatureSetSpec = toml::from_str(
            "name = 'words'\nextractors = [{ type = 'word-ngrams', ngram = [1, 2], sublinear_tf = true, min_df = 2, max_features = 5000 }]",
        )
        .expect("valid");
        let fs = spec.check().expect("valid");
        let docs: Vec<Doc<'_>> = data
            .dataset
            .items
            .iter()
            .map(|i| Doc {
                text: &i.text,
                holder: None,
            })
            .collect();
        group.bench_function("fit+transform word 1-2-grams", |b| {
            b.iter(|| {
                let fitted = fs.fit(&docs).expect("fits");
                let texts: Vec<&str> = docs.iter().map(|d| d.text).collect();
                fitted.transform(&texts)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, gold, ibm);
criterion_main!(benches);
