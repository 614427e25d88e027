//! The forward pass on a tiny random BERT the tests write themselves: agreement with a naive f64 reference,
//! edge cases of tokenisation, pooling modes, and bitwise independence from threads and batching.

use crate::common;

use common::Tiny;
use stance_embed::{Pooling, SentenceEncoder};

fn load(t: &Tiny) -> (tempfile::TempDir, SentenceEncoder) {
    let dir = tempfile::tempdir().unwrap();
    t.write(dir.path());
    let enc = SentenceEncoder::load(dir.path()).unwrap();
    (dir, enc)
}

fn bits(a: &ndarray::Array2<f32>) -> Vec<u32> {
    a.iter().map(|v| v.to_bits()).collect()
}

const TEXTS: &[&str] = &[
    "the war",
    "",
    "Zelensky — «Київ»",
    "nato should strike russia and not kyiv , the war is bad",
    "peace peace peace peace peace peace peace peace peace peace peace",
    "we",
    "kyiv is good!",
    "unknownword and the peace of the war",
];

fn check_reference(t: &Tiny, enc: &SentenceEncoder) {
    let got = enc.encode(TEXTS, &mut |_| {}).unwrap();
    for (i, text) in TEXTS.iter().enumerate() {
        let want = t.reference(&common::ids(text));
        for (c, w) in want.iter().enumerate() {
            let g = got[[i, c]] as f64;
            assert!(
                (g - w).abs() < 1e-5,
                "{:?} text {text:?} dim {c}: {g} vs reference {w}",
                t.pooling
            );
        }
    }
}

#[test]
fn mean_pooling_with_normalize_matches_the_reference() {
    let t = Tiny::default();
    let (_d, enc) = load(&t);
    assert_eq!(
        (
            enc.dim(),
            enc.max_seq_length(),
            enc.pooling(),
            enc.normalize()
        ),
        (16, 8, Pooling::Mean, true)
    );
    check_reference(&t, &enc);
    let e = enc.encode(TEXTS, &mut |_| {}).unwrap();
    for row in e.rows() {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-6);
    }
}

#[test]
fn cls_pooling_without_normalize_matches_the_reference() {
    let t = Tiny {
        pooling: "cls",
        normalize: false,
        ..Tiny::default()
    };
    let (_d, enc) = load(&t);
    assert_eq!((enc.pooling(), enc.normalize()), (Pooling::Cls, false));
    check_reference(&t, &enc);
    let e = enc.encode(&["the war and peace"], &mut |_| {}).unwrap();
    let norm = e.row(0).iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!(
        (norm - 1.0).abs() > 1e-3,
        "no Normalize module: the norm is whatever the model gives ({norm})"
    );
}

#[test]
fn max_and_mean_sqrt_len_pooling_match_the_reference() {
    for (mode, want) in [
        ("max", Pooling::Max),
        ("mean_sqrt_len_tokens", Pooling::MeanSqrtLen),
    ] {
        let t = Tiny {
            pooling: mode,
            normalize: false,
            ..Tiny::default()
        };
        let (_d, enc) = load(&t);
        assert_eq!(enc.pooling(), want);
        check_reference(&t, &enc);
    }
}

#[test]
fn a_text_longer_than_max_seq_length_is_its_truncated_prefix() {
    let (_d, enc) = load(&Tiny::default());
    let long = "the war and the peace of nato and russia and kyiv";
    // [CLS] + 6 word tokens + [SEP] = max_seq_length 8.
    assert_eq!(common::ids(long).len(), 8);
    let prefix = "the war and the peace of";
    let e = enc.encode(&[long, prefix], &mut |_| {}).unwrap();
    assert_eq!(
        bits(&e.slice(ndarray::s![0..1, ..]).to_owned()),
        bits(&e.slice(ndarray::s![1..2, ..]).to_owned())
    );
    let other = enc.encode(&["the war and the peace"], &mut |_| {}).unwrap();
    assert_ne!(
        bits(&other),
        bits(&e.slice(ndarray::s![0..1, ..]).to_owned())
    );
}

#[test]
fn an_empty_text_is_cls_sep() {
    let (_d, enc) = load(&Tiny::default());
    assert_eq!(common::ids(""), vec![2, 3]);
    let e = enc.encode(&["", "   ", "\t\n"], &mut |_| {}).unwrap();
    assert!(e.iter().all(|v| v.is_finite()));
    assert_eq!(
        bits(&e.row(0).to_owned().insert_axis(ndarray::Axis(0))),
        bits(&e.row(1).to_owned().insert_axis(ndarray::Axis(0)))
    );
    assert_eq!(
        bits(&e.row(0).to_owned().insert_axis(ndarray::Axis(0))),
        bits(&e.row(2).to_owned().insert_axis(ndarray::Axis(0)))
    );
    assert_eq!(enc.encode(&[], &mut |_| {}).unwrap().dim(), (0, 16));
}

#[test]
fn non_ascii_text_encodes() {
    let (_d, enc) = load(&Tiny::default());
    let ids = common::ids("Zelensky — «Київ»");
    // BertNormalizer lower-cases and strips accents (ї → і), then WordPiece splits київ into ки ##і ##в; the
    // nine tokens are truncated to eight, so » goes: zelensky — « ки ##і ##в between [CLS] and [SEP].
    assert_eq!(ids, vec![2, 18, 19, 20, 22, 23, 24, 3]);
    assert_eq!(enc.max_seq_length(), 8);
    let e = enc.encode(&["Zelensky — «Київ»"], &mut |_| {}).unwrap();
    assert!(e.iter().all(|v| v.is_finite()));
}

#[test]
fn bits_do_not_depend_on_threads_or_batching() {
    let (_d, enc) = load(&Tiny::default());
    // 100 texts cross several 32-text chunks, with lengths from 2 to 8 tokens.
    let words = [
        "the", "war", "peace", "and", "nato", "kyiv", "russia", "zelensky", "«", "good",
    ];
    let texts: Vec<String> = (0..100)
        .map(|i| {
            (0..(i * 7) % 9)
                .map(|j| words[(i + j * 3) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let run = |n: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap();
        pool.install(|| enc.encode(&refs, &mut |_| {})).unwrap()
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(bits(&one), bits(&two));
    let mut reported = 0;
    let three = {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        pool.install(|| enc.encode(&refs, &mut |n| reported += n))
            .unwrap()
    };
    assert_eq!(bits(&one), bits(&three));
    assert_eq!(reported, refs.len());
    for (i, t) in refs.iter().enumerate() {
        let alone = enc.encode(&[t], &mut |_| {}).unwrap();
        assert_eq!(
            bits(&alone),
            bits(&one.row(i).to_owned().insert_axis(ndarray::Axis(0))),
            "text {i} alone"
        );
    }
    // A different batch composition: every third text, then reversed.
    let picked: Vec<&str> = refs.iter().step_by(3).rev().copied().collect();
    let e = enc.encode(&picked, &mut |_| {}).unwrap();
    for (r, i) in (0..refs.len()).step_by(3).rev().enumerate() {
        assert_eq!(
            e.row(r).iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            one.row(i).iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn bert_prefixed_weight_names_load_the_same_model() {
    let t = Tiny::default();
    let dir = tempfile::tempdir().unwrap();
    t.write(dir.path());
    let plain = SentenceEncoder::load(dir.path())
        .unwrap()
        .encode(TEXTS, &mut |_| {})
        .unwrap();
    std::fs::write(
        dir.path().join("model.safetensors"),
        common::safetensors_bytes(&t.weights, "bert.", &[]),
    )
    .unwrap();
    let prefixed = SentenceEncoder::load(dir.path()).unwrap();
    assert_eq!(
        bits(&plain),
        bits(&prefixed.encode(TEXTS, &mut |_| {}).unwrap())
    );
}

#[test]
fn fingerprint_follows_the_files() {
    let t = Tiny::default();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    t.write(a.path());
    t.write(b.path());
    let ea = SentenceEncoder::load(a.path()).unwrap();
    let eb = SentenceEncoder::load(b.path()).unwrap();
    assert_eq!(
        ea.fingerprint(),
        eb.fingerprint(),
        "same files in another folder: same identity"
    );
    assert_eq!(ea.fingerprint().len(), 64);
    let names: Vec<&str> = ea.file_hashes().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "modules.json",
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "1_Pooling/config.json",
            "sentence_bert_config.json"
        ]
    );
    std::fs::write(
        b.path().join("sentence_bert_config.json"),
        "{\"max_seq_length\": 6}",
    )
    .unwrap();
    let eb = SentenceEncoder::load(b.path()).unwrap();
    assert_ne!(ea.fingerprint(), eb.fingerprint());
    assert_eq!(ea.file_hashes()[2], eb.file_hashes()[2]);
    assert_ne!(ea.file_hashes()[5], eb.file_hashes()[5]);
}

#[test]
fn do_lower_case_and_an_uncased_normalizer() {
    // The tiny tokenizer lower-cases already; do_lower_case only adds a Lowercase step in front: same ids.
    let t = Tiny::default();
    let dir = tempfile::tempdir().unwrap();
    t.write(dir.path());
    let before = SentenceEncoder::load(dir.path())
        .unwrap()
        .encode(&["The WAR"], &mut |_| {})
        .unwrap();
    std::fs::write(
        dir.path().join("sentence_bert_config.json"),
        "{\"max_seq_length\": 8, \"do_lower_case\": true}",
    )
    .unwrap();
    let after = SentenceEncoder::load(dir.path())
        .unwrap()
        .encode(&["The WAR"], &mut |_| {})
        .unwrap();
    assert_eq!(bits(&before), bits(&after));
}
