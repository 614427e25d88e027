//! The seventh pass's microbenchmark (bench/README.md): how much of a solver pass over a packed CSR block waits on
//! memory, and what software prefetching buys. Standalone, no dependencies, not part of the build:
//!
//!     rustc -C opt-level=3 -o /tmp/stream_probe bench/stream_probe.rs && /tmp/stream_probe [ROWS] [PER_ROW]
//!
//! It builds a block shaped like one training fold of the 30k grid's char n-gram matrix (24,000 rows of about
//! 275 entries over 59,000 columns, columns skewed towards small numbers as n-gram frequencies are, 8-byte entries
//! of a u32 column and an f32 value, as `Rows::pack_into` makes them) and times, over 480,000 row visits each:
//!
//! - `rows in order`: a dot product per row in row order (TRON's margins), with the packed buffer asked for
//!   0 (no hint), 2, 4, 8 or 16 KiB ahead of the row being read (`Rows::stream_ahead`);
//! - `gauss-newton`: a dot product then an axpy per row in row order (TRON's Hessian product), the same hints;
//! - `dual`: a dot product then an update depending on it, rows in a random order (the dual SVM's pass), with no
//!   prefetch and with the next row's lines prefetched (`Rows::prefetch_at`);
//! - the same with all rows' columns folded into 1,000 rows, a block that stays in cache, for the floor.
//!
//! Every variant prints a checksum: a prefetch is a hint, so equal checksums show the same arithmetic.
use std::time::Instant;

#[derive(Clone, Copy)]
#[repr(C)]
struct Entry {
    j: u32,
    v: f32,
}

/// Four interleaved partial sums by term position, as the dual's `packed_dot_split`.
fn dot(w: &[f64], row: &[Entry]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = row.chunks_exact(4);
    for c in &mut chunks {
        for l in 0..4 {
            acc[l] += w[c[l].j as usize] * f64::from(c[l].v);
        }
    }
    for (k, e) in chunks.remainder().iter().enumerate() {
        acc[k] += w[e.j as usize] * f64::from(e.v);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

fn axpy(w: &mut [f64], a: f64, row: &[Entry]) {
    for &Entry { j, v } in row {
        w[j as usize] += a * f64::from(v);
    }
}

struct Block {
    indptr: Vec<usize>,
    entries: Vec<Entry>,
}

impl Block {
    fn row(&self, i: usize) -> &[Entry] {
        &self.entries[self.indptr[i]..self.indptr[i + 1]]
    }

    /// Prefetches the lines of bytes `[from, to)` of the entries, clamped to the buffer.
    fn prefetch(&self, from: usize, to: usize) {
        let base = self.entries.as_ptr().cast::<u8>();
        let to = to.min(self.entries.len() * 8);
        let mut at = from & !63;
        while at < to {
            // SAFETY: a prefetch never faults; `at < to` keeps the pointer inside the buffer.
            #[cfg(target_arch = "x86_64")]
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    base.add(at).cast(),
                )
            };
            at += 64;
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(24_000, |a| a.parse().expect("ROWS"));
    let per: usize = args.next().map_or(275, |a| a.parse().expect("PER_ROW"));
    let cols = 59_000usize;
    let visits = 480_000usize;
    let mut state = 12_345u64;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let make = |rows: usize, rnd: &mut dyn FnMut() -> u64| {
        let mut indptr = vec![0];
        let mut entries = Vec::new();
        for _ in 0..rows {
            let mut c: Vec<u32> = (0..per)
                .map(|_| {
                    let u = (rnd() % 1_000_000) as f64 / 1e6;
                    ((cols as f64).powf(u) as u32).min(cols as u32 - 1)
                })
                .collect();
            c.sort_unstable();
            c.dedup();
            entries.extend(c.into_iter().map(|j| Entry {
                j,
                v: (rnd() % 1000) as f32 / 5000.0,
            }));
            indptr.push(entries.len());
        }
        Block { indptr, entries }
    };
    for (label, n) in [("out of cache", rows), ("in cache", 1_000)] {
        let block = make(n, &mut rnd);
        let mut order: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let j = k + (rnd() as usize % (n - k));
            order.swap(k, j);
        }
        let passes = visits / n;
        println!(
            "{label}: {n} rows, {} entries, {} MB, {passes} passes",
            block.entries.len(),
            block.entries.len() * 8 >> 20
        );
        for ahead in [0usize, 2048, 4096, 8192, 16384] {
            let w = vec![0.25f64; cols];
            let t = Instant::now();
            let mut sum = 0.0;
            for _ in 0..passes {
                for i in 0..n {
                    if ahead > 0 {
                        block
                            .prefetch(block.indptr[i] * 8 + ahead, block.indptr[i + 1] * 8 + ahead);
                    }
                    sum += dot(&w, block.row(i));
                }
            }
            let dots = t.elapsed().as_secs_f64();
            let mut w = vec![0.0f64; cols];
            let t = Instant::now();
            for _ in 0..passes {
                for i in 0..n {
                    if ahead > 0 {
                        block
                            .prefetch(block.indptr[i] * 8 + ahead, block.indptr[i + 1] * 8 + ahead);
                    }
                    let d = dot(&w, block.row(i));
                    axpy(&mut w, 1e-3 * (1.0 - d).clamp(-1.0, 1.0), block.row(i));
                }
            }
            println!(
                "  {ahead:>5} bytes ahead: rows in order {dots:.3} s, gauss-newton {:.3} s (checksums {sum:e} {:e})",
                t.elapsed().as_secs_f64(),
                w[cols / 2]
            );
        }
        for prefetch in [false, true] {
            let mut w = vec![0.0f64; cols];
            let t = Instant::now();
            let mut sum = 0.0;
            for _ in 0..passes {
                for (k, &i) in order.iter().enumerate() {
                    if prefetch && k + 1 < n {
                        let next = order[k + 1];
                        block.prefetch(block.indptr[next] * 8, block.indptr[next + 1] * 8);
                    }
                    let d = dot(&w, block.row(i));
                    sum += d;
                    axpy(&mut w, 1e-3 * (1.0 - d).clamp(-1.0, 1.0), block.row(i));
                }
            }
            println!(
                "  dual, random order, next row prefetched {prefetch}: {:.3} s (checksum {sum:e})",
                t.elapsed().as_secs_f64()
            );
        }
    }
}
