//! A tiny random-weight BERT sentence-transformers folder, written by the tests into a temp dir, and a naive f64
//! forward pass to check the crate's against.

// The reference is written as the formulas read, index by index.
#![allow(dead_code, clippy::needless_range_loop)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::TensorView;
use safetensors::Dtype;

pub const HIDDEN: usize = 16;
pub const HEADS: usize = 2;
/// Not a multiple of the kernel's 48-column panels, so partial panels are exercised.
pub const INTERMEDIATE: usize = 40;
pub const LAYERS: usize = 2;
pub const MAX_POS: usize = 16;
pub const MAX_SEQ: usize = 8;

pub const VOCAB: &[&str] = &[
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "war", "peace", "and", "of", "nato",
    "kyiv", "russia", "is", "a", "should", "not", "we", "zelensky", "—", "«", "»", "ки", "##і",
    "##в", "good", "bad", ".", ",", "!", "##s", "strike", "k", "##y", "##i", "##v",
];

pub fn tokenizer_json() -> String {
    let vocab: serde_json::Map<String, serde_json::Value> = VOCAB
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), serde_json::json!(i)))
        .collect();
    let added: Vec<_> = [0usize, 1, 2, 3, 4]
        .iter()
        .map(|&i| {
            serde_json::json!({"id": i, "special": true, "content": VOCAB[i], "single_word": false,
                "lstrip": false, "rstrip": false, "normalized": false})
        })
        .collect();
    serde_json::json!({
        "version": "1.0",
        // Deliberately different from max_seq_length, as in all-MiniLM-L6-v2's file: the encoder must override it.
        "truncation": {"max_length": 128, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": {"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": null, "pad_id": 0,
            "pad_type_id": 0, "pad_token": "[PAD]"},
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
            "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100, "vocab": vocab}
    })
    .to_string()
}

pub fn config_json() -> serde_json::Value {
    serde_json::json!({
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": HIDDEN, "num_attention_heads": HEADS, "num_hidden_layers": LAYERS,
        "intermediate_size": INTERMEDIATE, "layer_norm_eps": 1e-12, "max_position_embeddings": MAX_POS,
        "position_embedding_type": "absolute", "type_vocab_size": 2, "vocab_size": VOCAB.len(),
        "pad_token_id": 0
    })
}

/// Tensor name → (shape, values), in the layout `BertModel.save_pretrained` writes.
pub type Weights = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

pub fn random_weights(seed: u64) -> Weights {
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let mut w = Weights::new();
    let mut put = |name: String, shape: Vec<usize>, scale: f32, offset: f32| {
        let n = shape.iter().product();
        let v = (0..n).map(|_| offset + scale * next()).collect();
        w.insert(name, (shape, v));
    };
    let (h, i) = (HIDDEN, INTERMEDIATE);
    put(
        "embeddings.word_embeddings.weight".into(),
        vec![VOCAB.len(), h],
        0.5,
        0.0,
    );
    put(
        "embeddings.position_embeddings.weight".into(),
        vec![MAX_POS, h],
        0.3,
        0.0,
    );
    put(
        "embeddings.token_type_embeddings.weight".into(),
        vec![2, h],
        0.3,
        0.0,
    );
    put("embeddings.LayerNorm.weight".into(), vec![h], 0.2, 1.0);
    put("embeddings.LayerNorm.bias".into(), vec![h], 0.1, 0.0);
    for l in 0..LAYERS {
        let p = format!("encoder.layer.{l}");
        for part in ["query", "key", "value"] {
            put(
                format!("{p}.attention.self.{part}.weight"),
                vec![h, h],
                0.4,
                0.0,
            );
            put(format!("{p}.attention.self.{part}.bias"), vec![h], 0.1, 0.0);
        }
        put(
            format!("{p}.attention.output.dense.weight"),
            vec![h, h],
            0.4,
            0.0,
        );
        put(
            format!("{p}.attention.output.dense.bias"),
            vec![h],
            0.1,
            0.0,
        );
        put(
            format!("{p}.attention.output.LayerNorm.weight"),
            vec![h],
            0.2,
            1.0,
        );
        put(
            format!("{p}.attention.output.LayerNorm.bias"),
            vec![h],
            0.1,
            0.0,
        );
        put(
            format!("{p}.intermediate.dense.weight"),
            vec![i, h],
            0.4,
            0.0,
        );
        put(format!("{p}.intermediate.dense.bias"), vec![i], 0.1, 0.0);
        put(format!("{p}.output.dense.weight"), vec![h, i], 0.3, 0.0);
        put(format!("{p}.output.dense.bias"), vec![h], 0.1, 0.0);
        put(format!("{p}.output.LayerNorm.weight"), vec![h], 0.2, 1.0);
        put(format!("{p}.output.LayerNorm.bias"), vec![h], 0.1, 0.0);
    }
    put("pooler.dense.weight".into(), vec![h, h], 0.4, 0.0);
    put("pooler.dense.bias".into(), vec![h], 0.1, 0.0);
    w
}

/// The safetensors bytes of `w` with every name prefixed by `prefix`, as F32 (or F64 for the names in `as_f64`).
pub fn safetensors_bytes(w: &Weights, prefix: &str, as_f64: &[&str]) -> Vec<u8> {
    let data: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = w
        .iter()
        .map(|(name, (shape, v))| {
            if as_f64.contains(&name.as_str()) {
                let b = v.iter().flat_map(|x| (*x as f64).to_le_bytes()).collect();
                (format!("{prefix}{name}"), Dtype::F64, shape.clone(), b)
            } else {
                let b = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                (format!("{prefix}{name}"), Dtype::F32, shape.clone(), b)
            }
        })
        .collect();
    let views: Vec<(String, TensorView)> = data
        .iter()
        .map(|(n, d, s, b)| {
            (
                n.clone(),
                TensorView::new(*d, s.clone(), b).expect("consistent view"),
            )
        })
        .collect();
    safetensors::serialize(views, None).expect("serialise")
}

/// What the tiny folder looks like; every field is a knob a test turns.
pub struct Tiny {
    pub pooling: &'static str,
    pub normalize: bool,
    pub weights: Weights,
}

impl Default for Tiny {
    fn default() -> Self {
        Tiny {
            pooling: "mean",
            normalize: true,
            weights: random_weights(42),
        }
    }
}

impl Tiny {
    /// Writes the folder into `dir` and returns it.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let write = |name: &str, text: String| {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        let mut modules = vec![
            serde_json::json!({"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}),
            serde_json::json!({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}),
        ];
        if self.normalize {
            modules.push(
                serde_json::json!({"idx": 2, "name": "2", "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize"}),
            );
        }
        write(
            "modules.json",
            serde_json::Value::Array(modules).to_string(),
        );
        write("config.json", config_json().to_string());
        write(
            "sentence_bert_config.json",
            format!("{{\"max_seq_length\": {MAX_SEQ}, \"do_lower_case\": false}}"),
        );
        let flag = |m: &str| self.pooling == m;
        write(
            "1_Pooling/config.json",
            serde_json::json!({
                "word_embedding_dimension": HIDDEN,
                "pooling_mode_cls_token": flag("cls"),
                "pooling_mode_mean_tokens": flag("mean"),
                "pooling_mode_max_tokens": flag("max"),
                "pooling_mode_mean_sqrt_len_tokens": flag("mean_sqrt_len_tokens"),
            })
            .to_string(),
        );
        write("tokenizer.json", tokenizer_json());
        std::fs::write(
            dir.join("model.safetensors"),
            safetensors_bytes(&self.weights, "", &[]),
        )
        .unwrap();
        dir.to_path_buf()
    }

    /// The naive f64 forward pass of the sentence-transformers pipeline on one sequence of token ids.
    pub fn reference(&self, ids: &[u32]) -> Vec<f64> {
        let g = |n: &str| -> Vec<f64> { self.weights[n].1.iter().map(|&x| x as f64).collect() };
        let (h, n) = (HIDDEN, ids.len());
        let word = g("embeddings.word_embeddings.weight");
        let pos = g("embeddings.position_embeddings.weight");
        let tt = g("embeddings.token_type_embeddings.weight");
        let mut x: Vec<Vec<f64>> = (0..n)
            .map(|t| {
                (0..h)
                    .map(|c| word[ids[t] as usize * h + c] + tt[c] + pos[t * h + c])
                    .collect()
            })
            .collect();
        let ln = |v: &mut Vec<f64>, w: &[f64], b: &[f64]| {
            let m = v.iter().sum::<f64>() / h as f64;
            let var = v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / h as f64;
            for c in 0..h {
                v[c] = (v[c] - m) / (var + 1e-12).sqrt() * w[c] + b[c];
            }
        };
        let lin = |v: &[f64], w: &[f64], b: &[f64], out: usize| -> Vec<f64> {
            (0..out)
                .map(|j| (0..v.len()).map(|k| v[k] * w[j * v.len() + k]).sum::<f64>() + b[j])
                .collect()
        };
        let (lw, lb) = (
            g("embeddings.LayerNorm.weight"),
            g("embeddings.LayerNorm.bias"),
        );
        for v in x.iter_mut() {
            ln(v, &lw, &lb);
        }
        let d = h / HEADS;
        for l in 0..LAYERS {
            let p = |s: &str| format!("encoder.layer.{l}.{s}");
            let proj = |part: &str| -> Vec<Vec<f64>> {
                let (w, b) = (
                    g(&p(&format!("attention.self.{part}.weight"))),
                    g(&p(&format!("attention.self.{part}.bias"))),
                );
                x.iter().map(|v| lin(v, &w, &b, h)).collect()
            };
            let (q, k, vv) = (proj("query"), proj("key"), proj("value"));
            let mut ctx = vec![vec![0.0; h]; n];
            for hd in 0..HEADS {
                for i in 0..n {
                    let s: Vec<f64> = (0..n)
                        .map(|j| {
                            (0..d)
                                .map(|c| q[i][hd * d + c] * k[j][hd * d + c])
                                .sum::<f64>()
                                / (d as f64).sqrt()
                        })
                        .collect();
                    let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let e: Vec<f64> = s.iter().map(|a| (a - m).exp()).collect();
                    let z: f64 = e.iter().sum();
                    for c in 0..d {
                        ctx[i][hd * d + c] = (0..n).map(|j| e[j] / z * vv[j][hd * d + c]).sum();
                    }
                }
            }
            let (ow, ob) = (
                g(&p("attention.output.dense.weight")),
                g(&p("attention.output.dense.bias")),
            );
            let (l1w, l1b) = (
                g(&p("attention.output.LayerNorm.weight")),
                g(&p("attention.output.LayerNorm.bias")),
            );
            for i in 0..n {
                let a = lin(&ctx[i], &ow, &ob, h);
                let mut r: Vec<f64> = a.iter().zip(&x[i]).map(|(a, b)| a + b).collect();
                ln(&mut r, &l1w, &l1b);
                x[i] = r;
            }
            let (uw, ub) = (
                g(&p("intermediate.dense.weight")),
                g(&p("intermediate.dense.bias")),
            );
            let (dw, db) = (g(&p("output.dense.weight")), g(&p("output.dense.bias")));
            let (l2w, l2b) = (
                g(&p("output.LayerNorm.weight")),
                g(&p("output.LayerNorm.bias")),
            );
            for i in 0..n {
                let u: Vec<f64> = lin(&x[i], &uw, &ub, INTERMEDIATE)
                    .iter()
                    .map(|&a| 0.5 * a * (1.0 + erf(a / 2f64.sqrt())))
                    .collect();
                let dn = lin(&u, &dw, &db, h);
                let mut r: Vec<f64> = dn.iter().zip(&x[i]).map(|(a, b)| a + b).collect();
                ln(&mut r, &l2w, &l2b);
                x[i] = r;
            }
        }
        let mut out: Vec<f64> = match self.pooling {
            "cls" => x[0].clone(),
            "max" => (0..h)
                .map(|c| x.iter().map(|v| v[c]).fold(f64::NEG_INFINITY, f64::max))
                .collect(),
            "mean" => (0..h)
                .map(|c| x.iter().map(|v| v[c]).sum::<f64>() / n as f64)
                .collect(),
            "mean_sqrt_len_tokens" => (0..h)
                .map(|c| x.iter().map(|v| v[c]).sum::<f64>() / (n as f64).sqrt())
                .collect(),
            other => panic!("pooling {other}"),
        };
        if self.normalize {
            let norm = out.iter().map(|a| a * a).sum::<f64>().sqrt();
            out.iter_mut().for_each(|a| *a /= norm);
        }
        out
    }
}

/// erf in f64, for the reference.
pub fn erf(x: f64) -> f64 {
    // Taylor series below 3 (terms stay under ~1e3, so f64 keeps ~1e-13), the asymptotic series of erfc above.
    if x.abs() >= 3.0 {
        let x2 = x.abs() * x.abs();
        let series = 1.0 - 1.0 / (2.0 * x2) + 3.0 / (4.0 * x2 * x2) - 15.0 / (8.0 * x2 * x2 * x2)
            + 105.0 / (16.0 * x2 * x2 * x2 * x2);
        let erfc = (-x2).exp() / (x.abs() * std::f64::consts::PI.sqrt()) * series;
        return (1.0 - erfc).copysign(x);
    }
    let (mut term, mut sum) = (x, x);
    for n in 1..200 {
        term *= -x * x / n as f64;
        sum += term / (2 * n + 1) as f64;
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

/// Token ids as sentence-transformers would feed them: the tiny tokenizer, truncated to MAX_SEQ.
pub fn ids(text: &str) -> Vec<u32> {
    let mut tok = tokenizers::Tokenizer::from_bytes(tokenizer_json().as_bytes()).unwrap();
    tok.with_padding(None);
    tok.with_truncation(Some(tokenizers::TruncationParams {
        max_length: MAX_SEQ,
        ..Default::default()
    }))
    .unwrap();
    tok.encode(text, true).unwrap().get_ids().to_vec()
}
