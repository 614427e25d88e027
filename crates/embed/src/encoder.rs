//! `SentenceEncoder`: a loaded model folder and `encode`.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tokenizers::normalizers::{Lowercase, NormalizerWrapper, Sequence};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::config::{self, Pooling};
use crate::gemm::Isa;
use crate::model::Bert;
use crate::EmbedError;

/// Texts per chunk. A chunk is the unit of parallel work and is encoded as one packed matrix; its boundaries
/// depend on the input order only. Since a text's bits do not depend on its chunk-mates either, this number only
/// trades the weights' reuse within a chunk (larger is better) against balance across threads (smaller is).
const CHUNK: usize = 32;

/// A sentence-transformers BERT model loaded from a local folder, computing what
/// `SentenceTransformer(folder).encode(texts)` computes.
pub struct SentenceEncoder {
    tokenizer: Tokenizer,
    tokenizer_path: PathBuf,
    bert: Bert,
    pooling: Pooling,
    normalize: bool,
    max_seq_length: usize,
    fingerprint: String,
    file_hashes: Vec<(String, String)>,
    isa: Isa,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("dim", &self.dim())
            .field("layers", &self.bert.cfg.layers)
            .field("pooling", &self.pooling)
            .field("normalize", &self.normalize)
            .field("max_seq_length", &self.max_seq_length)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl SentenceEncoder {
    /// Loads a sentence-transformers folder: `modules.json` (Transformer → Pooling → optional Normalize), and in
    /// the Transformer module's folder `config.json` (a BERT), `model.safetensors`, `tokenizer.json`,
    /// `sentence_bert_config.json`, plus the pooling module's `config.json`.
    ///
    /// Anything this crate does not implement is refused with an error naming the file and field, never
    /// approximated.
    pub fn load(folder: &Path) -> Result<SentenceEncoder, EmbedError> {
        let modules_path = folder.join("modules.json");
        let modules_bytes = config::read_file(
            &modules_path,
            "a sentence-transformers model folder lists its modules there (save it with SentenceTransformer.save)",
        )?;
        let modules = config::modules(folder, &modules_path, &modules_bytes)?;
        let dir = &modules.transformer_dir;

        let config_path = dir.join("config.json");
        let config_bytes = config::read_file(
            &config_path,
            "the transformers model configuration is needed",
        )?;
        let cfg = config::bert_config(&config_path, &config_bytes)?;

        let sbert_path = dir.join("sentence_bert_config.json");
        let sbert_bytes = config::read_file(
            &sbert_path,
            "sentence-transformers writes it beside config.json",
        )?;
        let sbert = config::sbert_config(&sbert_path, &sbert_bytes)?;
        let max_seq_length = sbert.max_seq_length.unwrap_or(cfg.max_positions);
        if max_seq_length > cfg.max_positions {
            return Err(EmbedError::InvalidField {
                path: sbert_path,
                field: "max_seq_length".into(),
                reason: format!(
                    "{max_seq_length} exceeds max_position_embeddings {} in config.json",
                    cfg.max_positions
                ),
            });
        }

        let pooling_path = modules.pooling_dir.join("config.json");
        let pooling_bytes = config::read_file(
            &pooling_path,
            "the Pooling module's configuration is needed",
        )?;
        let pooling = config::pooling(&pooling_path, &pooling_bytes, cfg.hidden)?;

        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer_bytes =
            config::read_file(&tokenizer_path, "the fast-tokenizer file is needed")?;
        let tokenizer = build_tokenizer(
            &tokenizer_path,
            &tokenizer_bytes,
            max_seq_length,
            sbert.do_lower_case,
        )?;

        let weights_path = dir.join("model.safetensors");
        let weights_bytes = config::read_file(
            &weights_path,
            "the weights are read from safetensors only (convert pytorch_model.bin with the safetensors library)",
        )?;

        // The fingerprint covers every file that changes what encode computes, in a fixed order, each as its
        // name, its length and its bytes, so two folders with the same files have the same identity wherever
        // they are.
        let rel = |p: &Path| {
            p.strip_prefix(folder)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        };
        let files: [(String, &[u8]); 6] = [
            ("modules.json".into(), &modules_bytes),
            (rel(&config_path), &config_bytes),
            (rel(&weights_path), &weights_bytes),
            (rel(&tokenizer_path), &tokenizer_bytes),
            (modules.pooling_config_name.clone(), &pooling_bytes),
            (rel(&sbert_path), &sbert_bytes),
        ];
        let mut all = Sha256::new();
        let mut file_hashes = Vec::new();
        for (name, bytes) in &files {
            all.update((name.len() as u64).to_le_bytes());
            all.update(name.as_bytes());
            all.update((bytes.len() as u64).to_le_bytes());
            all.update(bytes);
            file_hashes.push((name.clone(), hex(&Sha256::digest(bytes))));
        }
        let fingerprint = hex(&all.finalize());

        let bert = Bert::from_safetensors(cfg, &weights_path, &weights_bytes)?;
        Ok(SentenceEncoder {
            tokenizer,
            tokenizer_path,
            bert,
            pooling,
            normalize: modules.normalize,
            max_seq_length,
            fingerprint,
            file_hashes,
            isa: Isa::detect(),
        })
    }

    /// sha256 (hex) over the model files (name, length and bytes of each, in a fixed order): the model's identity
    /// and the embedding cache's key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The files the fingerprint covers, in its order, each with its own sha256 (hex); names are relative to the
    /// model folder.
    pub fn file_hashes(&self) -> &[(String, String)] {
        &self.file_hashes
    }

    /// Length of an embedding (BERT's `hidden_size`).
    pub fn dim(&self) -> usize {
        self.bert.cfg.hidden
    }

    /// Tokens kept per text, `[CLS]` and `[SEP]` included; longer texts are truncated, as sentence-transformers does.
    pub fn max_seq_length(&self) -> usize {
        self.max_seq_length
    }

    /// The pooling mode the model declares.
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// Whether embeddings are scaled to unit L2 norm (a Normalize module in modules.json).
    pub fn normalize(&self) -> bool {
        self.normalize
    }

    /// Embeds `texts`, one row per text in input order.
    ///
    /// `progress` is called on the calling thread with the number of texts just finished, repeatedly; the numbers
    /// add up to `texts.len()`. Work is spread over the current rayon pool in chunks fixed by input order, and the
    /// result is bitwise the same whatever the pool's size and whichever other texts are encoded in the same call.
    pub fn encode(
        &self,
        texts: &[&str],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Array2<f32>, EmbedError> {
        let h = self.dim();
        let mut out = vec![0.0f32; texts.len() * h];
        let chunks: Vec<(usize, &[&str])> = texts
            .chunks(CHUNK)
            .enumerate()
            .map(|(i, c)| (i * CHUNK, c))
            .collect();
        // Chunks run in waves so that progress can be reported from this thread between waves; a wave's size
        // follows the pool's, which only decides when progress is reported, not what is computed.
        let wave = 4 * rayon::current_num_threads().max(1);
        let mut out_chunks: Vec<&mut [f32]> = out.chunks_mut(CHUNK * h).collect();
        for (wave_chunks, wave_out) in chunks.chunks(wave).zip(out_chunks.chunks_mut(wave)) {
            wave_chunks
                .par_iter()
                .zip(wave_out.par_iter_mut())
                .map(|(&(first, chunk), o)| self.encode_chunk(first, chunk, o))
                .collect::<Result<Vec<()>, EmbedError>>()?;
            progress(wave_chunks.iter().map(|(_, c)| c.len()).sum());
        }
        Ok(Array2::from_shape_vec((texts.len(), h), out).expect("rows × dim floats"))
    }

    /// Tokenises and embeds one chunk, single-threaded; `first` is the index of its first text, for messages.
    fn encode_chunk(
        &self,
        first: usize,
        texts: &[&str],
        out: &mut [f32],
    ) -> Result<(), EmbedError> {
        let vocab = self.bert.cfg.vocab;
        let mut seqs = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let enc =
                self.tokenizer
                    .encode_fast(*text, true)
                    .map_err(|source| EmbedError::Tokenize {
                        path: self.tokenizer_path.clone(),
                        index: first + i,
                        source,
                    })?;
            let ids = enc.get_ids();
            if let Some(&id) = ids.iter().find(|&&id| id as usize >= vocab) {
                return Err(EmbedError::TokenOutOfRange {
                    path: self.tokenizer_path.clone(),
                    index: first + i,
                    id,
                    vocab,
                });
            }
            // Truncation is set on the tokenizer; this only guards the position table if a tokenizer.json's
            // post-processor adds more than it declares.
            seqs.push(ids[..ids.len().min(self.max_seq_length)].to_vec());
        }
        self.bert
            .forward(self.isa, &seqs, self.pooling, self.normalize, out);
        Ok(())
    }
}

/// Loads tokenizer.json and sets it up as sentence-transformers' Transformer module calls it: truncation to
/// `max_seq_length` (longest-first, from the right, special tokens included), no padding (the packed forward
/// pass needs none), and, for `do_lower_case`, a `Lowercase` normaliser in front unless the normaliser already is
/// or contains one — the same test sentence-transformers makes.
fn build_tokenizer(
    path: &Path,
    bytes: &[u8],
    max_len: usize,
    lower: bool,
) -> Result<Tokenizer, EmbedError> {
    let err = |source| EmbedError::Tokenizer {
        path: path.to_path_buf(),
        source,
    };
    let mut tok = Tokenizer::from_bytes(bytes).map_err(err)?;
    tok.with_padding(None);
    tok.with_truncation(Some(TruncationParams {
        direction: TruncationDirection::Right,
        max_length: max_len,
        strategy: TruncationStrategy::LongestFirst,
        stride: 0,
    }))
    .map_err(err)?;
    if lower {
        let current = tok.get_normalizer().cloned();
        let has_lowercase = match &current {
            Some(NormalizerWrapper::Lowercase(_)) => true,
            Some(NormalizerWrapper::Sequence(s)) => s
                .as_ref()
                .iter()
                .any(|n| matches!(n, NormalizerWrapper::Lowercase(_))),
            _ => false,
        };
        if !has_lowercase {
            let mut list: Vec<NormalizerWrapper> = vec![Lowercase.into()];
            match current {
                Some(NormalizerWrapper::Sequence(s)) => list.extend(s),
                Some(n) => list.push(n),
                None => {}
            }
            tok.with_normalizer(Some(Sequence::new(list)))
                .map_err(err)?;
        }
    }
    Ok(tok)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_common as common;

    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Portable];
        if Isa::detect() != Isa::Portable {
            v.push(Isa::Avx2Fma);
        }
        if Isa::detect() == Isa::Avx512 {
            v.push(Isa::Avx512);
        }
        v
    }

    fn bits_with(enc: &mut SentenceEncoder, isa: Isa, texts: &[&str]) -> Vec<u32> {
        enc.isa = isa;
        enc.encode(texts, &mut |_| {})
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect()
    }

    /// The kernels for every instruction set compute the same sequence of IEEE operations, so a whole
    /// embedding has the same bits on any x86-64 machine, not only for any thread count.
    #[test]
    fn every_instruction_set_gives_the_same_embedding_bits() {
        let dir = tempfile::tempdir().unwrap();
        common::Tiny::default().write(dir.path());
        let mut enc = SentenceEncoder::load(dir.path()).unwrap();
        let texts = [
            "the war",
            "",
            "Zelensky — «Київ»",
            "nato should strike russia and not kyiv",
        ];
        let want = bits_with(&mut enc, Isa::Portable, &texts);
        for isa in isas() {
            assert_eq!(bits_with(&mut enc, isa, &texts), want, "{isa:?}");
        }
        // The real model too, where present, on the vector paths (the portable one emulates fma in software).
        let minilm = Path::new("/work/shared/models/all-MiniLM-L6-v2");
        if minilm.join("modules.json").is_file() && Isa::detect() == Isa::Avx512 {
            let mut enc = SentenceEncoder::load(minilm).unwrap();
            let texts = [
                "NATO allies should let Kyiv strike targets in Russia.",
                "I disagree.",
            ];
            assert_eq!(
                bits_with(&mut enc, Isa::Avx2Fma, &texts),
                bits_with(&mut enc, Isa::Avx512, &texts)
            );
        }
    }
}
