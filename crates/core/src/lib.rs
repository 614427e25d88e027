//! # stance-core — what every layer of the harness shares
//!
//! The bottom of the workspace: nothing here knows about corpora, features, models or reports. It owns
//!
//! * [`errors`] — the error convention (a cause is a source, never interpolated) and [`errors::chain`], the one way
//!   an error becomes text;
//! * [`diag`] — `file:line: message` diagnostics, collected rather than thrown, so `stance validate` lists every
//!   problem in one pass;
//! * [`tunable`] — a parameter given as one value or as a list to tune over;
//! * [`atomic`] — every byte the harness writes: files renamed into place, report folders swapped whole, the
//!   test-only write-fault hook;
//! * [`outputs`] — what a command writes checked against what it reads, before anything is written;
//! * [`spill`] — anonymous temporary files a run sets bytes aside in, to read them back before it ends.
//!
//! May use: std and the serde/CSV/TOML crates only. Every other `stance-*` crate may use it.
#![deny(missing_docs)]

pub mod atomic;
pub mod diag;
pub mod errors;
pub mod outputs;
pub mod spill;
pub mod tunable;
