//! Embeds the texts of a CSV column (or of a file, one text per line) and writes them as `.npy`, for
//! bench/embed_compare.py, which compares the result with sentence-transformers' and times both.
//!
//! ```text
//! cargo run --release --example embed -- --model DIR (--csv FILE --text COLUMN | --lines FILE) --out FILE.npy
//!     [--limit N] [--threads N] [--cache DIR]
//! ```
//! Timings go to stderr as one `key=value` line, for the script to parse.

use std::path::PathBuf;
use std::time::Instant;

use stance_embed::{encode_cached, npy, EmbeddingCache, SentenceEncoder};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        let mut src = e.source();
        while let Some(s) = src {
            eprintln!("  caused by: {s}");
            src = s.source();
        }
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut model, mut csv, mut column, mut lines, mut out, mut limit, mut threads, mut cache) =
        (None, None, None, None, None, None, None, None);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--model" => model = Some(PathBuf::from(val()?)),
            "--csv" => csv = Some(PathBuf::from(val()?)),
            "--text" => column = Some(val()?),
            "--lines" => lines = Some(PathBuf::from(val()?)),
            "--out" => out = Some(PathBuf::from(val()?)),
            "--limit" => limit = Some(val()?.parse::<usize>()?),
            "--threads" => threads = Some(val()?.parse::<usize>()?),
            "--cache" => cache = Some(PathBuf::from(val()?)),
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    let model = model.ok_or("--model DIR is required")?;
    let out = out.ok_or("--out FILE.npy is required")?;
    let mut texts: Vec<String> = match (csv, lines) {
        (Some(csv), None) => {
            let column = column.ok_or("--csv needs --text COLUMN")?;
            let mut r = csv::Reader::from_path(&csv)?;
            let idx = r
                .headers()?
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| format!("{}: no column {column:?}", csv.display()))?;
            let mut v = Vec::new();
            for rec in r.records() {
                v.push(rec?.get(idx).unwrap_or("").to_string());
            }
            v
        }
        (None, Some(lines)) => std::fs::read_to_string(lines)?
            .lines()
            .map(str::to_string)
            .collect(),
        _ => return Err("give either --csv FILE --text COLUMN or --lines FILE".into()),
    };
    if let Some(n) = limit {
        texts.truncate(n);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()?;
    let t0 = Instant::now();
    let enc = SentenceEncoder::load(&model)?;
    let load_s = t0.elapsed().as_secs_f64();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let cache = cache.map(|d| EmbeddingCache::open(&d)).transpose()?;
    let t1 = Instant::now();
    let emb = pool.install(|| encode_cached(&enc, cache.as_ref(), &refs, &mut |_| {}))?;
    let encode_s = t1.elapsed().as_secs_f64();
    npy::write_npy_f32(&out, &emb.view())?;
    eprintln!(
        "texts={} threads={} load_s={load_s:.3} encode_s={encode_s:.3} texts_per_s={:.1} fingerprint={}",
        texts.len(),
        pool.current_num_threads(),
        texts.len() as f64 / encode_s,
        enc.fingerprint()
    );
    Ok(())
}
