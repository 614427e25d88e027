//! An on-disk cache of embeddings, keyed by model fingerprint and text.
//!
//! One file per entry, under a two-hex-digit shard folder so no folder gets huge: a 30k-text corpus is 30k small
//! files. An entry is written to a temporary file in its shard folder and renamed into place, so a reader sees
//! either the whole old entry or the whole new one, never a partial write; concurrent writers of the same entry
//! write the same bytes. Every entry carries a sha256 over its key and payload, so a truncated, damaged or
//! misplaced file is detected, treated as a miss, and rewritten by `encode_cached`.
//!
//! Entry layout: magic `STEMB001` (8 bytes), dim (u32 LE), 4 zero bytes, sha256(key ‖ payload) (32 bytes),
//! payload (dim f32 LE). The floats are stored bit for bit, so a hit equals the fresh embedding exactly.

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use sha2::{Digest, Sha256};

use crate::encoder::hex;
use crate::{EmbedError, SentenceEncoder};

const MAGIC: &[u8; 8] = b"STEMB001";
const HEADER: usize = 8 + 4 + 4 + 32;

/// The default cache folder: `$XDG_CACHE_HOME/stance`, else `~/.cache/stance`; `None` when neither variable
/// gives an absolute path.
pub fn default_cache_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(x) = from("XDG_CACHE_HOME") {
        return Some(x.join("stance"));
    }
    from("HOME").map(|h| h.join(".cache").join("stance"))
}

/// A folder of cached embeddings.
#[derive(Debug, Clone)]
pub struct EmbeddingCache {
    dir: PathBuf,
}

impl EmbeddingCache {
    /// Opens (creating if needed) a cache in `dir`.
    pub fn open(dir: &Path) -> Result<EmbeddingCache, EmbedError> {
        std::fs::create_dir_all(dir).map_err(|source| EmbedError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(EmbeddingCache {
            dir: dir.to_path_buf(),
        })
    }

    /// The cache's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// sha256 over the fingerprint's and the text's lengths and bytes: unambiguous for any pair of strings.
    fn key(fingerprint: &str, text: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((fingerprint.len() as u64).to_le_bytes());
        h.update(fingerprint.as_bytes());
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
        h.finalize().into()
    }

    /// Where the entry for a key lives.
    pub fn entry_path(&self, model_fingerprint: &str, text: &str) -> PathBuf {
        let k = hex(&Self::key(model_fingerprint, text));
        self.dir.join(&k[..2]).join(format!("{}.emb", &k[2..]))
    }

    /// The cached embedding of `text` under the model, or `None` when there is none or the entry is damaged in
    /// any way (wrong size, bad header, checksum mismatch, unreadable).
    pub fn get(&self, model_fingerprint: &str, text: &str) -> Option<Vec<f32>> {
        let key = Self::key(model_fingerprint, text);
        let bytes = std::fs::read(self.entry_path(model_fingerprint, text)).ok()?;
        if bytes.len() < HEADER || &bytes[..8] != MAGIC || bytes[12..16] != [0; 4] {
            return None;
        }
        let dim = u32::from_le_bytes(bytes[8..12].try_into().ok()?) as usize;
        let payload = &bytes[HEADER..];
        if payload.len() != dim.checked_mul(4)? {
            return None;
        }
        let mut h = Sha256::new();
        h.update(key);
        h.update(payload);
        if h.finalize().as_slice() != &bytes[16..48] {
            return None;
        }
        Some(
            payload
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        )
    }

    /// Stores an embedding, replacing any entry for the same key atomically.
    pub fn put(
        &self,
        model_fingerprint: &str,
        text: &str,
        embedding: &[f32],
    ) -> Result<(), EmbedError> {
        let key = Self::key(model_fingerprint, text);
        let path = self.entry_path(model_fingerprint, text);
        let shard = path.parent().expect("entries live in a shard folder");
        let werr = |p: &Path| {
            let p = p.to_path_buf();
            move |source| EmbedError::Write { path: p, source }
        };
        std::fs::create_dir_all(shard).map_err(werr(shard))?;
        let mut payload = Vec::with_capacity(embedding.len() * 4);
        for v in embedding {
            payload.extend_from_slice(&v.to_le_bytes());
        }
        let mut h = Sha256::new();
        h.update(key);
        h.update(&payload);
        let mut bytes = Vec::with_capacity(HEADER + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(embedding.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&h.finalize());
        bytes.extend_from_slice(&payload);
        // Same folder as the entry, so the rename cannot cross file systems.
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(shard)
            .map_err(werr(shard))?;
        tmp.write_all(&bytes).map_err(werr(tmp.path()))?;
        tmp.persist(&path).map_err(|e| EmbedError::Write {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

/// Embeds `texts` like [`SentenceEncoder::encode`], taking what it can from `cache` and encoding only the
/// misses (in input order), which are then stored. Hits are bitwise equal to fresh embeddings.
///
/// `progress` receives the number of hits first, then the encoder's reports for the misses. A failure to store
/// an entry is returned as an error (pass `None` to run without a cache).
pub fn encode_cached(
    encoder: &SentenceEncoder,
    cache: Option<&EmbeddingCache>,
    texts: &[&str],
    progress: &mut dyn FnMut(usize),
) -> Result<Array2<f32>, EmbedError> {
    let Some(cache) = cache else {
        return encoder.encode(texts, progress);
    };
    let dim = encoder.dim();
    let fp = encoder.fingerprint();
    let mut out = Array2::<f32>::zeros((texts.len(), dim));
    let mut misses = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        match cache.get(fp, t).filter(|v| v.len() == dim) {
            Some(v) => out.row_mut(i).assign(&ndarray::ArrayView1::from(&v)),
            None => misses.push(i),
        }
    }
    if texts.len() > misses.len() {
        progress(texts.len() - misses.len());
    }
    if misses.is_empty() {
        return Ok(out);
    }
    let miss_texts: Vec<&str> = misses.iter().map(|&i| texts[i]).collect();
    let fresh = encoder.encode(&miss_texts, progress)?;
    for (row, &i) in fresh.rows().into_iter().zip(&misses) {
        let v = row
            .as_slice()
            .expect("rows of a standard-layout array are contiguous");
        cache.put(fp, texts[i], v)?;
        out.row_mut(i).assign(&row);
    }
    Ok(out)
}
