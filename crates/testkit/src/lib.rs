//! # stance-testkit — what the workspace's tests share (a dev-dependency only, never part of the binary)
//!
//! * the byte-level edits every reader's fuzz test applies to a valid file ([`edit`], [`apply`]), the JSON-level
//!   ones the JSON readers' fuzz tests apply to a valid file's values ([`json_edit`], [`apply_json`]), and the case
//!   count they all read from `STANCE_FUZZ_CASES` ([`cases`], [`config`]);
//! * [`png_size`], a chart's size from its decoded PNG;
//! * [`root`], the workspace root, for tests that read the project's own files (seeds, gold labels, experiments,
//!   baselines): cargo runs each crate's tests in that crate's folder, not at the root.
//!
//! May use: proptest, png, serde_json. Used by: the tests of every other crate.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;

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

/// A JSON value replacing another: wrong types, numbers at and beyond the edges (shapes and indices are
/// numbers), odd strings, empty and short containers.
pub fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::Bool(true)),
        Just(serde_json::json!(u64::MAX)),
        Just(serde_json::json!(i64::MIN)),
        Just(serde_json::json!(-1)),
        Just(serde_json::json!(0)),
        Just(serde_json::json!(1)),
        Just(serde_json::json!(2)),
        Just(serde_json::json!(3)),
        Just(serde_json::json!(1e300)),
        Just(serde_json::json!(0.5)),
        Just(serde_json::json!("x")),
        Just(serde_json::json!("")),
        Just(serde_json::json!("é\u{202e}\u{0}")),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        Just(serde_json::json!([0, 1, 99])),
        Just(serde_json::json!(4)),
        Just(serde_json::json!(100)),
        Just(serde_json::json!(1e-300)),
        Just(serde_json::json!([0.5, 0.5])),
    ]
}

/// One JSON-level edit: the `at`-th node (in document order) is replaced, removed, truncated or duplicated.
#[derive(Debug, Clone)]
pub enum JsonEdit {
    /// Replace the node with a value.
    Replace(usize, Value),
    /// Remove the node from its object or array.
    Remove(usize),
    /// Truncate an array node to `n % (len + 1)` elements.
    Truncate(usize, usize),
    /// Append a copy of an array node's first element.
    DuplicateElement(usize),
}

/// A random [`JsonEdit`].
pub fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        3 => (any::<usize>(), replacement()).prop_map(|(a, v)| JsonEdit::Replace(a, v)),
        2 => any::<usize>().prop_map(JsonEdit::Remove),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| JsonEdit::Truncate(a, n)),
        1 => any::<usize>().prop_map(JsonEdit::DuplicateElement),
    ]
}

/// JSON pointers of every node under `v`, in document order.
pub fn pointers(v: &Value, here: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = format!("{here}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let p = format!("{here}/{i}");
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        _ => {}
    }
}

/// `base` with `edits` applied in turn; each edit's index picks a node modulo the nodes of the value as it is then.
pub fn apply_json(base: &Value, edits: &[JsonEdit]) -> Value {
    let mut v = base.clone();
    for e in edits {
        let mut all = Vec::new();
        pointers(&v, String::new(), &mut all);
        if all.is_empty() {
            break;
        }
        let at = |i: usize| all[i % all.len()].clone();
        match e {
            JsonEdit::Replace(i, new) => {
                if let Some(slot) = v.pointer_mut(&at(*i)) {
                    *slot = new.clone();
                }
            }
            JsonEdit::Remove(i) => {
                let p = at(*i);
                let (parent, last) = p.rsplit_once('/').unwrap_or(("", ""));
                match v.pointer_mut(parent) {
                    Some(Value::Object(m)) => {
                        m.remove(&last.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>() {
                            if i < a.len() {
                                a.remove(i);
                            }
                        }
                    }
                    _ => {}
                }
            }
            JsonEdit::Truncate(i, n) => {
                if let Some(Value::Array(a)) = v.pointer_mut(&at(*i)) {
                    let keep = n % (a.len() + 1);
                    a.truncate(keep);
                }
            }
            JsonEdit::DuplicateElement(i) => {
                if let Some(Value::Array(a)) = v.pointer_mut(&at(*i)) {
                    if let Some(first) = a.first().cloned() {
                        a.push(first);
                    }
                }
            }
        }
    }
    v
}
