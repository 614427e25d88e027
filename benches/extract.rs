//! Extraction throughput (`cargo bench -p stance-bench --bench extract`), in bytes of statement text per second on one thread:
//! the once-per-run extraction of a feature set ([`FeatureSet::extract`]: tokenise, make the terms, intern
//! them), for word 1–2-grams and char_wb 2–5-grams, and tokenisation alone.
//!
//! The text is the 30,497 arguments of `../shared/corpora/` when present, else 30,000 synthetic statements
//! (`benches/support/synth.rs`, seed 1), a few MB either way. criterion reports the rate as MiB/s
//! (`Throughput::Bytes`). Nothing here spawns threads: `extract` runs on the calling thread.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stance::features::tokenize::tokenize;
use stance::features::FeatureSetSpec;

#[path = "support/synth.rs"]
mod synth;

// Paths are relative to benches/: cargo runs a bench in its package folder, one level below the repository root.
const IBM: &str = "../../shared/corpora/ibm-argq-30k/arg_quality_rank_30k.csv";

/// The benchmark's statements and where they come from.
fn corpus() -> (Vec<String>, &'static str) {
    if Path::new(IBM).exists() {
        let mut rdr = csv::Reader::from_path(IBM).expect("readable corpus");
        let col = rdr
            .headers()
            .expect("header")
            .iter()
            .position(|h| h == "argument")
            .expect("an 'argument' column");
        let texts = rdr
            .records()
            .map(|r| r.expect("valid row")[col].to_string())
            .collect();
        (texts, "ibm-30k")
    } else {
        eprintln!("{IBM} not found: benchmarking 30,000 synthetic statements");
        (synth::texts(30_000, 1), "synth-30k")
    }
}

fn bench(c: &mut Criterion) {
    let (texts, name) = corpus();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let bytes: usize = refs.iter().map(|t| t.len()).sum();
    eprintln!("{name}: {} statements, {bytes} bytes", refs.len());
    let mut g = c.benchmark_group(format!("extract/{name}"));
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("tokenize", |b| {
        b.iter(|| refs.iter().map(|t| tokenize(t).len()).sum::<usize>())
    });
    for (label, extractor) in [
        (
            "word 1-2-grams",
            "{ type = 'word-ngrams', ngram = [1, 2], sublinear_tf = true }",
        ),
        (
            "char_wb 2-5-grams",
            "{ type = 'char-ngrams', ngram = [2, 5], word_bounded = true }",
        ),
    ] {
        let spec: FeatureSetSpec =
            toml::from_str(&format!("name = 'x'\nextractors = [{extractor}]")).expect("valid");
        let set = spec.check().expect("valid");
        // Bag-of-terms extractors ignore ids; the texts stand in for them.
        g.bench_function(label, |b| {
            b.iter(|| {
                set.extract(&refs, &refs)
                    .expect("extracts")
                    .expect("no masking")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
