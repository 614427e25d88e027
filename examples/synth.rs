//! Writes a synthetic labelled corpus for benchmarks: deterministic for a seed, any size from a few rows to
//! millions, in the CSV layout the harness reads (`[data] source = "csv"`). Never needed by the harness or its
//! tests; `bench/scale.sh` uses it.
//!
//! ```text
//! cargo run --release --example synth -- --n 100000 --seed 1 --out /tmp/synth-100k.csv
//! ```
//!
//! Columns: `id`, `text`, `label` (`pro` / `con`, balanced), `topic` (50 groups) and `split` (`train` for about
//! 80% of rows, `test` otherwise, for the `fixed-split` scheme). How the text is made: `benches/support/synth.rs`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

// `texts` serves the extraction benchmark only.
#[allow(dead_code)]
#[path = "../benches/support/synth.rs"]
mod synth;

/// Writes a synthetic labelled corpus (CSV) for benchmarks.
#[derive(Debug, Clone, Parser)]
struct Args {
    /// Number of statements (rows).
    #[arg(long)]
    n: usize,
    /// Seed of the random stream; the same seed and options give the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output CSV (written to a temporary file beside it, then renamed).
    #[arg(long)]
    out: PathBuf,
    /// Number of word types in the vocabulary.
    #[arg(long, default_value_t = 60_000)]
    vocab: u64,
    /// Exponent of the Zipf distribution of word ranks.
    #[arg(long, default_value_t = 1.05)]
    zipf: f64,
    /// Cue words per class.
    #[arg(long, default_value_t = 150)]
    cues: usize,
    /// Probability that a word slot holds a cue word.
    #[arg(long, default_value_t = 0.08)]
    cue_rate: f64,
    /// Share of labels flipped after the text is written (label noise).
    #[arg(long, default_value_t = 0.05)]
    flip: f64,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let params = synth::SynthParams {
        n: a.n,
        seed: a.seed,
        vocab: a.vocab,
        zipf: a.zipf,
        cues: a.cues,
        cue_rate: a.cue_rate,
        flip: a.flip,
    };
    let dir = match a.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A half-written corpus never appears under the final name.
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    {
        let mut buf = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        synth::generate(&params, &mut buf)?;
        buf.flush()?;
    }
    // Temporary files are private (0600); the corpus is not.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(&a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    Ok(())
}

// The generator's own tests live here, where `cargo test` runs them (`test = true` in Cargo.toml).
#[cfg(test)]
mod tests {
    use super::synth::{generate, word, SynthParams};

    fn bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        generate(&SynthParams::new(n, seed), &mut out).unwrap();
        out
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a = bytes(7, 300);
        assert_eq!(a, bytes(7, 300));
        assert_ne!(a, bytes(8, 300));
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count(), 301);
        assert!(text.starts_with("id,text,label,topic,split\n"));
        let pro = text.lines().filter(|l| l.contains(",pro,")).count();
        assert!((100..200).contains(&pro), "{pro} of 300 rows are pro");
    }

    #[test]
    fn words_are_distinct_and_short_for_frequent_ranks() {
        let ws: Vec<String> = (0..60_000).map(word).collect();
        let mut sorted = ws.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ws.len());
        assert!(ws[0].len() <= 2 && ws[59_999].len() >= 4);
    }
}
