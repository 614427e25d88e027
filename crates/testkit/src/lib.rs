//! # stance-testkit — what the workspace's tests share (a dev-dependency only, never part of the binary)
//!
//! * the byte-level edits every reader's fuzz test applies to a valid file ([`edit`], [`apply`]), and the case
//!   count they all read from `STANCE_FUZZ_CASES` ([`cases`], [`config`]);
//! * [`png_size`], a chart's size from its decoded PNG;
//! * [`root`], the workspace root, for tests that read the project's own files (seeds, gold labels, experiments,
//!   baselines): cargo runs each crate's tests in that crate's folder, not at the root.
//!
//! May use: proptest, png. Used by: the tests of every other crate.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;

/// The workspace root (the folder holding `seeds/`, `labels/`, `experiments/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// The width and height of a PNG, decoding it whole (so a truncated or damaged file is an error).
pub fn png_size(bytes: &[u8]) -> Result<(u32, u32), String> {
    decode_png(bytes).map(|(info, _)| (info.width, info.height))
}

/// An 8-bit RGB PNG's width, height and pixels (3 bytes each, row by row); any other colour type is an error.
pub fn decode_png_rgb(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let (info, pixels) = decode_png(bytes)?;
    if (info.color_type, info.bit_depth) != (png::ColorType::Rgb, png::BitDepth::Eight) {
        return Err(format!(
            "not an 8-bit RGB PNG: {:?} {:?}",
            info.color_type, info.bit_depth
        ));
    }
    Ok((info.width, info.height, pixels))
}

fn decode_png(bytes: &[u8]) -> Result<(png::OutputInfo, Vec<u8>), String> {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    Ok((info, buf))
}

/// A path under the workspace root.
pub fn at_root(rel: &str) -> PathBuf {
    root().join(rel)
}

/// Cases per fuzz test: `STANCE_FUZZ_CASES`, default 2000 (so `cargo test` stays fast).
pub fn cases() -> u32 {
    std::env::var("STANCE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// proptest's configuration for a fuzz test: [`cases`] cases, no failure files.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // A failure is kept as a regression test below by hand; proptest's own files would land in src/.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One edit of a file's bytes.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Insert bytes at a position.
    Insert(usize, Vec<u8>),
    /// Delete up to n bytes from a position.
    Delete(usize, usize),
    /// Replace the byte at a position with bytes.
    Replace(usize, Vec<u8>),
    /// Duplicate the line holding a position.
    DuplicateLine(usize),
}

/// Bytes that matter to a CSV reader or to the checks behind it.
fn interesting() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just("\u{201c}".as_bytes().to_vec()),
        Just("é".as_bytes().to_vec()),
        Just(vec![0xff]),
        Just(vec![0xe2, 0x80]),
        Just(b"9999999999999999999999".to_vec()),
        Just(b"-1".to_vec()),
        Just(b"0".to_vec()),
        Just(b"".to_vec()),
        prop::collection::vec(any::<u8>(), 1..4),
        "[0-9]{1,3}".prop_map(String::into_bytes),
    ]
}

/// One random edit.
pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), interesting()).prop_map(|(p, b)| Edit::Insert(p, b)),
        (any::<usize>(), 1usize..20).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), interesting()).prop_map(|(p, b)| Edit::Replace(p, b)),
        any::<usize>().prop_map(Edit::DuplicateLine),
    ]
}

/// `base` with `edits` applied in order (positions taken modulo the current length).
pub fn apply(base: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut v = base.to_vec();
    for e in edits {
        let len = v.len();
        match e {
            Edit::Insert(p, b) => {
                let p = p % (len + 1);
                v.splice(p..p, b.iter().copied());
            }
            Edit::Delete(p, n) if len > 0 => {
                let p = p % len;
                let end = (p + n).min(len);
                v.drain(p..end);
            }
            Edit::Replace(p, b) if len > 0 => {
                let p = p % len;
                v.splice(p..p + 1, b.iter().copied());
            }
            Edit::DuplicateLine(p) if len > 0 => {
                let p = p % len;
                let start = v[..p]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |i| i + 1);
                let end = v[p..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(len, |i| p + i + 1);
                let line = v[start..end].to_vec();
                v.splice(end..end, line);
            }
            _ => {}
        }
    }
    v
}
