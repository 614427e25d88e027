//! `.npy` round trips and refusals; the embedding cache's hits, misses and damaged entries.

use crate::common;

use ndarray::Array2;
use stance_embed::npy::{self, NpyArray};
use stance_embed::{encode_cached, EmbedError, EmbeddingCache, SentenceEncoder};

fn sample(r: usize, c: usize) -> Array2<f32> {
    Array2::from_shape_fn((r, c), |(i, j)| {
        (i as f32 - 1.5) * 0.25 + j as f32 * 1e-3 - 1e30 * (i == 2 && j == 0) as u8 as f32
    })
}

#[test]
fn npy_round_trip_is_exact_and_the_header_is_numpys() {
    let dir = tempfile::tempdir().unwrap();
    for (r, c) in [(3, 5), (0, 384), (1, 1), (17, 3)] {
        let a = sample(r, c);
        let p = dir.path().join(format!("a{r}x{c}.npy"));
        npy::write_npy_f32(&p, &a.view()).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let header_end = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!(header_end % 64, 0, "data starts on a 64-byte boundary");
        assert_eq!(bytes[header_end - 1], b'\n');
        let h = std::str::from_utf8(&bytes[10..header_end]).unwrap();
        assert!(
            h.starts_with(&format!(
                "{{'descr': '<f4', 'fortran_order': False, 'shape': ({r}, {c}), }}"
            )),
            "{h}"
        );
        match npy::read_npy(&p).unwrap() {
            NpyArray::F32(b) => {
                assert_eq!(b.dim(), (r, c));
                assert!(a
                    .iter()
                    .zip(b.iter())
                    .all(|(x, y)| x.to_bits() == y.to_bits()));
            }
            other => panic!("{other:?}"),
        }
    }
    // A transposed (non-standard-layout) view is written in logical C order.
    let a = sample(4, 3);
    let p = dir.path().join("t.npy");
    npy::write_npy_f32(&p, &a.t()).unwrap();
    assert_eq!(npy::read_npy(&p).unwrap(), NpyArray::F32(a.t().to_owned()));
}

fn npy_bytes(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.to_string();
    let pad = (64 - (10 + h.len() + 1) % 64) % 64;
    h.push_str(&" ".repeat(pad));
    h.push('\n');
    [
        &b"\x93NUMPY\x01\x00"[..],
        &(h.len() as u16).to_le_bytes(),
        h.as_bytes(),
        data,
    ]
    .concat()
}

#[test]
fn npy_reads_f64_and_refuses_what_it_does_not_support() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    let f64s: Vec<u8> = [1.0f64, -2.5, 3.25, 0.0, 1e-300, 7.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(
        &p,
        npy_bytes(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
            &f64s,
        ),
    )
    .unwrap();
    let a = npy::read_npy(&p).unwrap();
    assert_eq!(a.shape(), (2, 3));
    assert_eq!(a.into_f64()[[1, 1]], 1e-300);

    let f32s = vec![0u8; 24];
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            npy_bytes(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                &f32s,
            ),
            "fortran_order",
        ),
        (
            npy_bytes(
                "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
                &f32s,
            ),
            "'<i4'",
        ),
        (
            npy_bytes(
                "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
                &f32s,
            ),
            "'>f4'",
        ),
        (
            npy_bytes(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }",
                &f32s,
            ),
            "2-D",
        ),
        (
            npy_bytes(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                &f32s[..20],
            ),
            "truncated data",
        ),
        (
            npy_bytes(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                &[0; 28],
            ),
            "trailing",
        ),
        (
            npy_bytes("{'descr': '<f4', 'shape': (2, 3), }", &f32s),
            "fortran_order",
        ),
        (
            npy_bytes("{'descr': '<f4' 'fortran_order': False}", &f32s),
            "bad .npy header",
        ),
        (
            b"\x93NUMPY\x01\x00\xff\x00{'descr'".to_vec(),
            "truncated .npy header",
        ),
        (b"PK\x03\x04 not npy".to_vec(), "magic"),
        (Vec::new(), "magic"),
    ];
    for (bytes, what) in cases {
        std::fs::write(&p, &bytes).unwrap();
        let e = npy::read_npy(&p).unwrap_err();
        assert!(matches!(e, EmbedError::Npy { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("x.npy") && msg.contains(what),
            "{msg:?} should mention {what:?}"
        );
    }
    let e = npy::read_npy(&dir.path().join("absent.npy")).unwrap_err();
    assert!(matches!(e, EmbedError::MissingFile { .. }) && e.to_string().contains("absent.npy"));
}

#[test]
fn cache_hits_are_bitwise_fresh_and_damaged_entries_are_rewritten() {
    let model_dir = tempfile::tempdir().unwrap();
    common::Tiny::default().write(model_dir.path());
    let enc = SentenceEncoder::load(model_dir.path()).unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = EmbeddingCache::open(&cache_dir.path().join("c")).unwrap();
    let texts = [
        "the war",
        "",
        "Zelensky — «Київ»",
        "peace and war",
        "the war",
    ];
    let fresh = enc.encode(&texts, &mut |_| {}).unwrap();

    let mut reported = 0;
    let first = encode_cached(&enc, Some(&cache), &texts, &mut |n| reported += n).unwrap();
    assert_eq!(reported, texts.len());
    assert_eq!(
        first.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        fresh.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    for (i, t) in texts.iter().enumerate() {
        let hit = cache.get(enc.fingerprint(), t).expect("stored");
        assert!(hit
            .iter()
            .zip(fresh.row(i))
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
    assert!(
        cache.get("another model", "the war").is_none(),
        "keys include the model"
    );

    // Damage three entries in three ways; each is a miss, and encode_cached rewrites it.
    let paths: Vec<_> = texts[..3]
        .iter()
        .map(|t| cache.entry_path(enc.fingerprint(), t))
        .collect();
    let good = std::fs::read(&paths[0]).unwrap();
    std::fs::write(&paths[0], &good[..good.len() - 4]).unwrap();
    let mut flipped = std::fs::read(&paths[1]).unwrap();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    std::fs::write(&paths[1], &flipped).unwrap();
    let mut header = std::fs::read(&paths[2]).unwrap();
    header[0] = b'X';
    std::fs::write(&paths[2], &header).unwrap();
    for t in &texts[..3] {
        assert!(
            cache.get(enc.fingerprint(), t).is_none(),
            "damaged entry for {t:?} must be a miss"
        );
    }
    // An entry copied under another key fails its checksum too.
    let misplaced = cache.entry_path(enc.fingerprint(), "peace and war");
    let target = cache.entry_path(enc.fingerprint(), "misplaced");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(&misplaced, &target).unwrap();
    assert!(cache.get(enc.fingerprint(), "misplaced").is_none());

    let again = encode_cached(&enc, Some(&cache), &texts, &mut |_| {}).unwrap();
    assert_eq!(
        again.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        fresh.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    for (i, t) in texts[..3].iter().enumerate() {
        let hit = cache.get(enc.fingerprint(), t).expect("rewritten");
        assert!(hit
            .iter()
            .zip(fresh.row(i))
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
    // No temporary files are left behind.
    for shard in std::fs::read_dir(cache.dir()).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let name = f.unwrap().file_name().into_string().unwrap();
            assert!(
                name.ends_with(".emb") && !name.starts_with(".tmp"),
                "{name}"
            );
        }
    }
    let none = encode_cached(&enc, None, &texts, &mut |_| {}).unwrap();
    assert_eq!(none, fresh);
}

#[test]
fn default_cache_dir_follows_xdg() {
    // One test owns the environment variables, so there is no race with another test reading them.
    let saved = (std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"));
    std::env::set_var("XDG_CACHE_HOME", "/tmp/xdg");
    assert_eq!(
        stance_embed::default_cache_dir(),
        Some("/tmp/xdg/stance".into())
    );
    std::env::set_var("XDG_CACHE_HOME", "relative");
    std::env::set_var("HOME", "/home/u");
    assert_eq!(
        stance_embed::default_cache_dir(),
        Some("/home/u/.cache/stance".into())
    );
    std::env::remove_var("XDG_CACHE_HOME");
    std::env::remove_var("HOME");
    assert_eq!(stance_embed::default_cache_dir(), None);
    match saved.0 {
        Some(v) => std::env::set_var("XDG_CACHE_HOME", v),
        None => std::env::remove_var("XDG_CACHE_HOME"),
    }
    if let Some(v) = saved.1 {
        std::env::set_var("HOME", v);
    }
}
