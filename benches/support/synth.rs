//! The synthetic corpus behind `examples/synth.rs` and the extraction benchmark (`benches/extract.rs`), shared
//! by `#[path]` so both write the same rows for the same seed. Bench tooling only: the harness and its tests
//! never use it.
//!
//! The text imitates the statistics that make n-gram extraction and linear fits cost what they cost on real text:
//! - a Zipfian vocabulary (`vocab` word types, exponent `zipf`, sampled with `rand_distr::Zipf`) of pronounceable
//!   pseudo-words, shorter for frequent ranks as in natural language;
//! - sentence lengths from a normal distribution (mean 22 words, sd 7, clamped to 8–45), a capital letter, commas
//!   now and then and a full stop, so tokenisation sees punctuation;
//! - a learnable but noisy signal: each class has `cues` cue words drawn from ranks 200–5,000; each word slot is
//!   replaced by a cue word with probability `cue_rate`, 80% of the time one of the row's own class and 20% of
//!   the other's, and a share `flip` of the labels is flipped afterwards. Rows without an own-class cue are
//!   guesses, so words + logistic regression lands well above chance and well below 1.
//!
//! The same seed and parameters give byte-identical output on every machine (one ChaCha8 stream, no thread or
//! hash order involved).

use std::io::Write;

use anyhow::{ensure, Context};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Zipf};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthParams {
    /// Number of statements (rows).
    pub n: usize,
    /// Seed of the random stream.
    pub seed: u64,
    /// Number of word types.
    pub vocab: u64,
    /// Exponent of the Zipf distribution of word ranks.
    pub zipf: f64,
    /// Cue words per class.
    pub cues: usize,
    /// Probability that a word slot holds a cue word.
    pub cue_rate: f64,
    /// Share of labels flipped after the text is written.
    pub flip: f64,
}

impl SynthParams {
    /// The defaults `examples/synth.rs` documents, for `n` rows and `seed`.
    pub fn new(n: usize, seed: u64) -> SynthParams {
        SynthParams {
            n,
            seed,
            vocab: 60_000,
            zipf: 1.05,
            cues: 150,
            cue_rate: 0.08,
            flip: 0.05,
        }
    }
}

const CONSONANTS: &[&str] = &[
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "st",
    "tr", "ch", "sh",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ou"];
/// Values of the `topic` column.
pub const TOPICS: usize = 50;

/// The word of frequency rank `r` (0-based): consonant–vowel syllables, one for the first ranks, then two, three…
/// Each length block enumerates its syllable strings in order, and a syllable string splits into syllables one way
/// only (a syllable starts with a consonant, a vowel never does), so distinct ranks give distinct words.
pub fn word(mut r: u64) -> String {
    let syllables = (CONSONANTS.len() * VOWELS.len()) as u64;
    let mut len = 1;
    let mut block = syllables;
    while r >= block {
        r -= block;
        len += 1;
        block *= syllables;
    }
    let mut w = String::new();
    for _ in 0..len {
        let s = (r % syllables) as usize;
        r /= syllables;
        w.push_str(CONSONANTS[s / VOWELS.len()]);
        w.push_str(VOWELS[s % VOWELS.len()]);
    }
    w
}

/// Writes the CSV (`id,text,label,topic,split`; labels `pro`/`con`, about 80% `train`) to `out`.
pub fn generate(p: &SynthParams, out: impl Write) -> anyhow::Result<()> {
    ensure!(
        p.vocab >= 10_000,
        "the vocabulary must have at least 10,000 words"
    );
    ensure!(
        p.zipf > 0.0 && p.zipf.is_finite(),
        "the Zipf exponent must be positive"
    );
    ensure!(
        (0.0..=1.0).contains(&p.cue_rate) && (0.0..=0.5).contains(&p.flip),
        "the cue rate must be in [0, 1] and the flipped share in [0, 0.5]"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let words: Vec<String> = (0..p.vocab).map(word).collect();
    // Frequent enough to be learned, rare enough not to be stop words.
    let mut middle: Vec<usize> = (200..5_000).collect();
    middle.shuffle(&mut rng);
    ensure!(
        2 * p.cues <= middle.len(),
        "at most {} cue words per class",
        middle.len() / 2
    );
    let cue_sets = [&middle[..p.cues], &middle[p.cues..2 * p.cues]];
    let zipf = Zipf::new(p.vocab, p.zipf).context("Zipf distribution")?;
    let length = Normal::<f64>::new(22.0, 7.0).expect("valid normal");
    let labels = ["pro", "con"];
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["id", "text", "label", "topic", "split"])?;
    let mut text = String::new();
    for i in 0..p.n {
        let class = rng.gen_range(0..2usize);
        let topic = rng.gen_range(0..TOPICS);
        let len = length.sample(&mut rng).round().clamp(8.0, 45.0) as usize;
        text.clear();
        for k in 0..len {
            let id = if rng.gen_bool(p.cue_rate) {
                let side = if rng.gen_bool(0.8) { class } else { 1 - class };
                *cue_sets[side].choose(&mut rng).expect("non-empty cue set")
            } else {
                zipf.sample(&mut rng) as usize - 1
            };
            let wd = &words[id];
            if k == 0 {
                let mut cs = wd.chars();
                let first = cs.next().expect("non-empty word");
                text.extend(first.to_uppercase());
                text.push_str(cs.as_str());
            } else {
                text.push(' ');
                text.push_str(wd);
            }
            if k + 1 < len && rng.gen_bool(0.06) {
                text.push(',');
            }
        }
        text.push('.');
        let label = if rng.gen_bool(p.flip) {
            1 - class
        } else {
            class
        };
        let split = if rng.gen_bool(0.8) { "train" } else { "test" };
        w.write_record([
            format!("s{i}").as_str(),
            text.as_str(),
            labels[label],
            format!("t{topic:02}").as_str(),
            split,
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The texts of `n` rows (what `generate` writes in the `text` column), for benchmarks that need no file.
pub fn texts(n: usize, seed: u64) -> Vec<String> {
    let mut csv_bytes = Vec::new();
    generate(&SynthParams::new(n, seed), &mut csv_bytes).expect("in-memory generation");
    csv::Reader::from_reader(csv_bytes.as_slice())
        .records()
        .map(|r| r.expect("own CSV")[1].to_string())
        .collect()
}
