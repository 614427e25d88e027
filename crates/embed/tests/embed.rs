//! The crate's integration tests, as one test binary (one compile and one link of the crate's dependencies
//! instead of four).

mod common;
mod errors;
mod minilm;
mod npy_cache;
mod tiny;
