//! The real all-MiniLM-L6-v2 from the shared models folder against values computed by sentence-transformers
//! (bench/embed_compare.py prints them). Skipped, with a note, where the folder is absent.

use std::path::Path;

use stance_embed::{Pooling, SentenceEncoder};

const MODEL: &str = "/work/shared/models/all-MiniLM-L6-v2";

/// `SentenceTransformer(MODEL, device="cpu").encode(texts)` (sentence-transformers 6.2.0, torch 2.15.0), columns
/// 0, 1, 100 and 383.
const PINNED: &[(&str, [f32; 4])] = &[
    (
        "NATO allies should let Kyiv strike targets in Russia.",
        [0.01013541, 0.0791309, -0.00196006, -0.00856776],
    ),
    (
        "I disagree.",
        [-0.03933498, -0.00115381, -0.02293745, 0.02632117],
    ),
    ("", [-0.11883839, 0.04829884, 0.03594947, -0.01571732]),
];

fn model() -> Option<SentenceEncoder> {
    // The shared folder sits beside the repository: /work/shared here, ../shared from a clone's root in CI.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        Path::new(MODEL).to_path_buf(),
        here.join("../../../shared/models/all-MiniLM-L6-v2"),
    ];
    match candidates.iter().find(|p| p.join("modules.json").is_file()) {
        Some(p) => Some(SentenceEncoder::load(p).expect("the shared model loads")),
        None => {
            println!("note: skipped: all-MiniLM-L6-v2 not found at {MODEL} or ../shared/models/ beside the repository");
            None
        }
    }
}

#[test]
fn minilm_matches_sentence_transformers() {
    let Some(enc) = model() else { return };
    assert_eq!(
        (
            enc.dim(),
            enc.max_seq_length(),
            enc.pooling(),
            enc.normalize()
        ),
        (384, 256, Pooling::Mean, true)
    );
    let texts: Vec<&str> = PINNED.iter().map(|(t, _)| *t).collect();
    let e = enc.encode(&texts, &mut |_| {}).unwrap();
    for (i, (text, want)) in PINNED.iter().enumerate() {
        for (&c, w) in [0, 1, 100, 383].iter().zip(want) {
            assert!(
                (e[[i, c]] - w).abs() <= 1e-5,
                "{text:?} column {c}: {} vs sentence-transformers {w}",
                e[[i, c]]
            );
        }
        let norm = e.row(i).iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{text:?}: norm {norm}");
    }
    let hashes = enc.file_hashes();
    let weights = hashes
        .iter()
        .find(|(n, _)| n == "model.safetensors")
        .unwrap();
    assert_eq!(
        weights.1,
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    );
}

#[test]
fn minilm_truncates_at_256_tokens() {
    let Some(enc) = model() else { return };
    let long = "war ".repeat(400);
    let longer = format!("{long} and peace");
    let e = enc.encode(&[&long, &longer], &mut |_| {}).unwrap();
    assert_eq!(e.row(0), e.row(1), "both are [CLS] + 254 × war + [SEP]");
}
