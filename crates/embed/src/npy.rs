//! Reading and writing 2-D `.npy` files, the format numpy's `np.save` / `np.load` use.
//!
//! The harness exchanges embedding matrices with Python scripts through `.npy`; this is the small subset needed
//! for that: little-endian f32 (`<f4`) and f64 (`<f8`) in C order, read from format versions 1–3 and written as
//! version 1.0 with the header padded to a multiple of 64 bytes, byte for byte what numpy writes.

use std::io::Write;
use std::path::Path;

use ndarray::{Array2, ArrayView2};

use crate::EmbedError;

const MAGIC: &[u8] = b"\x93NUMPY";

/// A 2-D array read from a `.npy` file, in the dtype it was stored in.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NpyArray {
    /// `<f4` data.
    F32(Array2<f32>),
    /// `<f8` data.
    F64(Array2<f64>),
}

impl NpyArray {
    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        match self {
            NpyArray::F32(a) => a.dim(),
            NpyArray::F64(a) => a.dim(),
        }
    }

    /// The array as f64 (exact for f32 data).
    pub fn into_f64(self) -> Array2<f64> {
        match self {
            NpyArray::F32(a) => a.mapv(f64::from),
            NpyArray::F64(a) => a,
        }
    }
}

fn bad(path: &Path, reason: impl Into<String>) -> EmbedError {
    EmbedError::Npy {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a 2-D `<f4` or `<f8` C-order `.npy` file; anything else (other dtypes, Fortran order, other ranks, a
/// damaged header, missing or extra data) is refused with an error naming the file and what is wrong.
pub fn read_npy(path: &Path) -> Result<NpyArray, EmbedError> {
    let bytes = std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            EmbedError::MissingFile {
                path: path.to_path_buf(),
                hint: "the .npy file to read",
            }
        } else {
            EmbedError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    parse(path, &bytes)
}

/// Parses the bytes of a `.npy` file (`path` is for messages).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<NpyArray, EmbedError> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad(path, "not a .npy file (no \\x93NUMPY magic)"));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (header_len, start): (usize, usize) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(bad(path, "truncated .npy header"));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        _ => {
            return Err(bad(
                path,
                format!("unsupported .npy format version {major}.{minor}"),
            ))
        }
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| {
            bad(
                path,
                format!(
                    "truncated .npy header: it declares {header_len} bytes, the file has {}",
                    bytes.len()
                ),
            )
        })?;
    let header = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| bad(path, "the .npy header is not text"))?;
    let h = Header::parse(header).map_err(|why| {
        bad(
            path,
            format!("bad .npy header {:?}: {why}", header.trim_end()),
        )
    })?;
    if h.fortran_order {
        return Err(bad(
            path,
            "fortran_order is True; save a C-order array (np.ascontiguousarray)",
        ));
    }
    let (rows, cols) = match h.shape.as_slice() {
        [r, c] => (*r, *c),
        s => {
            return Err(bad(
                path,
                format!("expected a 2-D array, the shape is {s:?}"),
            ))
        }
    };
    let item = match h.descr.as_str() {
        "<f4" => 4,
        "<f8" => 8,
        d => {
            return Err(bad(
                path,
                format!("dtype '{d}' is not supported (only '<f4' and '<f8')"),
            ))
        }
    };
    let want = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(item))
        .ok_or_else(|| bad(path, "shape overflows"))?;
    let data = &bytes[end..];
    if data.len() != want {
        return Err(bad(
            path,
            format!(
                "{} data: shape ({rows}, {cols}) of {} needs {want} bytes, the file has {}",
                if data.len() < want {
                    "truncated"
                } else {
                    "unexpected trailing"
                },
                h.descr,
                data.len()
            ),
        ));
    }
    Ok(if item == 4 {
        let v = data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        NpyArray::F32(Array2::from_shape_vec((rows, cols), v).expect("length checked"))
    } else {
        let v = data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        NpyArray::F64(Array2::from_shape_vec((rows, cols), v).expect("length checked"))
    })
}

/// Writes a 2-D f32 array as a version 1.0 `.npy` file, as `np.save` writes it.
pub fn write_npy_f32(path: &Path, a: &ArrayView2<f32>) -> Result<(), EmbedError> {
    let bytes = to_bytes_f32(a);
    let err = |source| EmbedError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::create(path).map_err(err)?;
    f.write_all(&bytes).map_err(err)?;
    f.sync_all().map_err(err)
}

/// The bytes of a version 1.0 `.npy` file holding `a` as `<f4`.
pub fn to_bytes_f32(a: &ArrayView2<f32>) -> Vec<u8> {
    let (r, c) = a.dim();
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({r}, {c}), }}");
    // numpy pads with spaces and ends with a newline so that magic + version + length + header is a multiple
    // of 64 bytes, which keeps the data aligned for memory mapping.
    let total = 10 + header.len() + 1;
    header.extend(std::iter::repeat_n(' ', (64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + r * c * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    // `iter` walks in logical (row-major) order whatever the view's strides, so the data is C order.
    for v in a.iter() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// The three keys of a `.npy` header, a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

impl Header {
    fn parse(s: &str) -> Result<Header, String> {
        let s = s.trim();
        let inner = s
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .ok_or("not a dict")?;
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        let mut rest = inner.trim_start();
        while !rest.is_empty() {
            let (key, after) = quoted(rest).ok_or("expected a quoted key")?;
            let after = after
                .trim_start()
                .strip_prefix(':')
                .ok_or("expected ':' after a key")?
                .trim_start();
            let after = match key {
                "descr" => {
                    let (d, a) = quoted(after).ok_or("descr is not a string")?;
                    descr = Some(d.to_string());
                    a
                }
                "fortran_order" => {
                    if let Some(a) = after.strip_prefix("False") {
                        fortran = Some(false);
                        a
                    } else if let Some(a) = after.strip_prefix("True") {
                        fortran = Some(true);
                        a
                    } else {
                        return Err("fortran_order is not True or False".into());
                    }
                }
                "shape" => {
                    let close = after.find(')').ok_or("shape is not a tuple")?;
                    let tuple = after.strip_prefix('(').ok_or("shape is not a tuple")?;
                    let dims = &tuple[..close - 1];
                    let mut v = Vec::new();
                    for d in dims.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                        v.push(
                            d.parse::<usize>()
                                .map_err(|_| format!("shape entry {d:?} is not a number"))?,
                        );
                    }
                    shape = Some(v);
                    &after[close + 1..]
                }
                k => return Err(format!("unknown key {k:?}")),
            };
            let after = after.trim_start();
            rest = match after.strip_prefix(',') {
                Some(a) => a.trim_start(),
                None if after.is_empty() => after,
                None => return Err("expected ',' between entries".into()),
            };
        }
        Ok(Header {
            descr: descr.ok_or("no 'descr'")?,
            fortran_order: fortran.ok_or("no 'fortran_order'")?,
            shape: shape.ok_or("no 'shape'")?,
        })
    }
}

/// A single- or double-quoted string at the start of `s`, and what follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let q = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &s[1..];
    let end = body.find(q)?;
    Some((&body[..end], &body[end + 1..]))
}
