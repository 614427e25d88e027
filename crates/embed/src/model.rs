//! BERT weights and the forward pass over a chunk of sequences packed into one matrix.
//!
//! Every per-token operation (embeddings, the fused query/key/value projection, the attention output projection,
//! the feed-forward layers, LayerNorm) runs on all tokens of all the chunk's sequences at once, stacked row after
//! row with no padding; only attention is computed sequence by sequence, over that sequence's own tokens. Since
//! each of those operations computes a row from that row alone, in an order that does not depend on the other
//! rows (see `gemm`), a text's embedding has the same bits whichever texts share its chunk.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use crate::config::{BertConfig, Pooling};
use crate::gemm::{Isa, Linear};
use crate::math::{self, AttnShape};
use crate::EmbedError;

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    ln1_w: Vec<f32>,
    ln1_b: Vec<f32>,
    up: Linear,
    down: Linear,
    ln2_w: Vec<f32>,
    ln2_b: Vec<f32>,
}

pub(crate) struct Bert {
    pub(crate) cfg: BertConfig,
    word: Vec<f32>,
    position: Vec<f32>,
    /// Row 0 of the token-type embeddings: sentence-transformers encodes single texts, all of type 0.
    token_type0: Vec<f32>,
    emb_ln_w: Vec<f32>,
    emb_ln_b: Vec<f32>,
    layers: Vec<Layer>,
}

/// Looks tensors up by name under the checkpoint's prefix and checks dtype and shape before copying them out.
struct Loader<'a> {
    path: &'a Path,
    st: SafeTensors<'a>,
    prefix: &'static str,
}

impl Loader<'_> {
    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EmbedError> {
        let full = format!("{}{name}", self.prefix);
        let t = self
            .st
            .tensor(&full)
            .map_err(|_| EmbedError::MissingTensor {
                path: self.path.to_path_buf(),
                tensor: full.clone(),
            })?;
        if t.dtype() != Dtype::F32 {
            return Err(EmbedError::TensorDtype {
                path: self.path.to_path_buf(),
                tensor: full,
                found: format!("{:?}", t.dtype()),
            });
        }
        if t.shape() != shape {
            return Err(EmbedError::TensorShape {
                path: self.path.to_path_buf(),
                tensor: full,
                expected: shape.to_vec(),
                found: t.shape().to_vec(),
            });
        }
        // The data is copied out rather than reinterpreted: safetensors does not promise 4-byte alignment.
        Ok(t.data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn linear(&self, name: &str, n: usize, k: usize) -> Result<Linear, EmbedError> {
        let w = self.get(&format!("{name}.weight"), &[n, k])?;
        let b = self.get(&format!("{name}.bias"), &[n])?;
        Ok(Linear::new(&w, &b, n, k))
    }
}

impl Bert {
    /// Reads the weights from the bytes of a safetensors file (`path` is for messages).
    pub(crate) fn from_safetensors(
        cfg: BertConfig,
        path: &Path,
        bytes: &[u8],
    ) -> Result<Bert, EmbedError> {
        let st = SafeTensors::deserialize(bytes).map_err(|source| EmbedError::Safetensors {
            path: path.to_path_buf(),
            source,
        })?;
        // `BertModel.save_pretrained` writes bare names; checkpoints saved from a task model
        // (`BertForMaskedLM`, ...) put everything under `bert.`.
        let has = |n: &str| st.tensor(n).is_ok();
        let prefix = if !has("embeddings.word_embeddings.weight")
            && has("bert.embeddings.word_embeddings.weight")
        {
            "bert."
        } else {
            ""
        };
        let l = Loader { path, st, prefix };
        let (h, i) = (cfg.hidden, cfg.intermediate);
        let word = l.get("embeddings.word_embeddings.weight", &[cfg.vocab, h])?;
        let position = l.get(
            "embeddings.position_embeddings.weight",
            &[cfg.max_positions, h],
        )?;
        let token_type = l.get(
            "embeddings.token_type_embeddings.weight",
            &[cfg.type_vocab, h],
        )?;
        let emb_ln_w = l.get("embeddings.LayerNorm.weight", &[h])?;
        let emb_ln_b = l.get("embeddings.LayerNorm.bias", &[h])?;
        let mut layers = Vec::with_capacity(cfg.layers);
        for n in 0..cfg.layers {
            let p = format!("encoder.layer.{n}");
            // Query, key and value are one product with the three weights stacked: one pass over the activations.
            let mut w = Vec::with_capacity(3 * h * h);
            let mut b = Vec::with_capacity(3 * h);
            for part in ["query", "key", "value"] {
                w.extend(l.get(&format!("{p}.attention.self.{part}.weight"), &[h, h])?);
                b.extend(l.get(&format!("{p}.attention.self.{part}.bias"), &[h])?);
            }
            layers.push(Layer {
                qkv: Linear::new(&w, &b, 3 * h, h),
                attn_out: l.linear(&format!("{p}.attention.output.dense"), h, h)?,
                ln1_w: l.get(&format!("{p}.attention.output.LayerNorm.weight"), &[h])?,
                ln1_b: l.get(&format!("{p}.attention.output.LayerNorm.bias"), &[h])?,
                up: l.linear(&format!("{p}.intermediate.dense"), i, h)?,
                down: l.linear(&format!("{p}.output.dense"), h, i)?,
                ln2_w: l.get(&format!("{p}.output.LayerNorm.weight"), &[h])?,
                ln2_b: l.get(&format!("{p}.output.LayerNorm.bias"), &[h])?,
            });
        }
        Ok(Bert {
            token_type0: token_type[..h].to_vec(),
            cfg,
            word,
            position,
            emb_ln_w,
            emb_ln_b,
            layers,
        })
    }

    /// Embeds a chunk of token-id sequences (each already truncated to at most `max_positions` tokens and with
    /// ids below `vocab`) into `out`, one row of `hidden` floats per sequence.
    pub(crate) fn forward(
        &self,
        isa: Isa,
        seqs: &[Vec<u32>],
        pooling: Pooling,
        normalize: bool,
        out: &mut [f32],
    ) {
        let h = self.cfg.hidden;
        let total: usize = seqs.iter().map(Vec::len).sum();
        assert_eq!(out.len(), seqs.len() * h);
        let mut x = vec![0.0f32; total * h];
        let mut row = 0;
        for s in seqs {
            for (p, &id) in s.iter().enumerate() {
                let dst = &mut x[row * h..(row + 1) * h];
                let w = &self.word[id as usize * h..(id as usize + 1) * h];
                let pe = &self.position[p * h..(p + 1) * h];
                // Same association as transformers' BertEmbeddings: (word + token type) + position.
                for c in 0..h {
                    dst[c] = (w[c] + self.token_type0[c]) + pe[c];
                }
                row += 1;
            }
        }
        math::layer_norm(
            isa,
            &mut x,
            h,
            &self.emb_ln_w,
            &self.emb_ln_b,
            self.cfg.layer_norm_eps,
        );

        let heads = self.cfg.heads;
        let longest = seqs.iter().map(Vec::len).max().unwrap_or(0);
        let mut qkv = vec![0.0f32; total * 3 * h];
        let mut ctx = vec![0.0f32; total * h];
        let mut tmp = vec![0.0f32; total * h];
        let mut inter = vec![0.0f32; total * self.cfg.intermediate];
        let (ns, nk) = math::attention_scratch(longest, h / heads);
        let (mut scores, mut kt) = (vec![0.0f32; ns], vec![0.0f32; nk]);
        for layer in &self.layers {
            layer.qkv.forward(isa, &x, total, &mut qkv);
            let mut start = 0;
            for s in seqs {
                let len = s.len();
                let shape = AttnShape {
                    len,
                    heads,
                    head_dim: h / heads,
                };
                math::attention(
                    isa,
                    &qkv[start * 3 * h..(start + len) * 3 * h],
                    &shape,
                    &mut ctx[start * h..(start + len) * h],
                    &mut scores,
                    &mut kt,
                );
                start += len;
            }
            layer.attn_out.forward(isa, &ctx, total, &mut tmp);
            math::add_layer_norm(
                isa,
                &mut tmp,
                &x,
                h,
                &layer.ln1_w,
                &layer.ln1_b,
                self.cfg.layer_norm_eps,
            );
            std::mem::swap(&mut x, &mut tmp);
            layer.up.forward(isa, &x, total, &mut inter);
            math::gelu(isa, &mut inter);
            layer.down.forward(isa, &inter, total, &mut tmp);
            math::add_layer_norm(
                isa,
                &mut tmp,
                &x,
                h,
                &layer.ln2_w,
                &layer.ln2_b,
                self.cfg.layer_norm_eps,
            );
            std::mem::swap(&mut x, &mut tmp);
        }

        let mut start = 0;
        for (s, o) in seqs.iter().zip(out.chunks_exact_mut(h)) {
            let tokens = &x[start * h..(start + s.len()) * h];
            pool(tokens, h, pooling, o);
            if normalize {
                normalize_row(o);
            }
            start += s.len();
        }
    }
}

/// sentence-transformers' Pooling over one sequence's token rows (all tokens count: there is no padding here).
fn pool(tokens: &[f32], h: usize, pooling: Pooling, o: &mut [f32]) {
    let n = tokens.len() / h;
    match pooling {
        Pooling::Cls => o.copy_from_slice(&tokens[..h]),
        Pooling::Max => {
            o.fill(f32::NEG_INFINITY);
            for t in tokens.chunks_exact(h) {
                for (a, &b) in o.iter_mut().zip(t) {
                    *a = a.max(b);
                }
            }
        }
        Pooling::Mean | Pooling::MeanSqrtLen => {
            o.fill(0.0);
            for t in tokens.chunks_exact(h) {
                for (a, &b) in o.iter_mut().zip(t) {
                    *a += b;
                }
            }
            // sentence-transformers divides by the mask sum (clamped to 1e-9) or its square root, in f32.
            let d = if pooling == Pooling::Mean {
                n as f32
            } else {
                (n as f32).sqrt()
            };
            for a in o.iter_mut() {
                *a /= d;
            }
        }
    }
}

/// `torch.nn.functional.normalize(x, p=2, dim=1)`: x / max(‖x‖₂, 1e-12).
fn normalize_row(o: &mut [f32]) {
    let norm = o.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    for v in o.iter_mut() {
        *v /= norm;
    }
}
