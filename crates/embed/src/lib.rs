//! `stance-embed`: frozen sentence-transformers embeddings for the stance harness, in Rust.
//!
//! The harness compares tf-idf features with sentence embeddings plus a linear classifier. This crate owns
//! everything between a local sentence-transformers model folder and an embedding matrix, so that the harness
//! needs neither Python nor a deep-learning framework at run time:
//! - [`SentenceEncoder`] loads a BERT-architecture folder (all-MiniLM-L6-v2, BGE-small, E5-small, ...) and
//!   computes what `SentenceTransformer(folder).encode(texts)` computes (tokenizer.json through the `tokenizers`
//!   crate, the BERT forward pass in f32, the declared pooling and normalisation), refusing with a precise
//!   error anything it does not implement;
//! - the forward pass packs all tokens of many texts into one matrix (no padding) and parallelises over chunks
//!   fixed by input order, and every row is computed in an order independent of the rows it is packed with, so
//!   the output is bitwise the same for any thread count and any batching;
//! - [`npy`] reads and writes the `.npy` files the bench and Python scripts exchange;
//! - [`cache`] keeps embeddings on disk keyed by the model's [fingerprint](SentenceEncoder::fingerprint) and the
//!   text, so repeated runs encode only new texts.
//!
//! The library never prints; progress goes through a callback.
#![deny(missing_docs)]

pub mod cache;
mod config;
mod encoder;
mod error;
mod gemm;
mod math;
mod model;
pub mod npy;

/// The tiny model the integration tests write, shared with the unit tests that need crate internals.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod test_common;

pub use cache::{default_cache_dir, encode_cached, EmbeddingCache};
pub use config::Pooling;
pub use encoder::SentenceEncoder;
pub use error::EmbedError;
