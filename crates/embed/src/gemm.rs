//! The matrix product of every linear layer, `y = x·Wᵀ + b`, with weights packed once at load time.
//!
//! Why a kernel of our own rather than a GEMM crate (measured on this project's 2-core AMD EPYC, Zen 5 with
//! AVX-512, for the layer shapes of all-MiniLM-L6-v2 at 750 packed rows; bench/EMBED.md has the table):
//! - `matrixmultiply` 0.3 (what ndarray's `dot` calls) costs nothing to build (ndarray already depends on it) and
//!   its rows do not depend on the other rows, but its widest kernel is AVX2+FMA: 74–167 GFLOP/s.
//! - `gemm` 0.19 adds ~32–35 s to a cold release build on its own, reaches 90–119 GFLOP/s without its `x86-v4`
//!   feature and 133–189 with it, and takes another path for a one-row product: row 0 computed alone did not
//!   have the bits it has inside 750 rows, so packing texts together would change their embeddings.
//! - Here the weights are constant, so they are packed once at load time into 48-column panels, and an 8×48
//!   register tile of AVX-512 FMAs runs over the whole `k` in one pass: 152–243 GFLOP/s, nothing to build. Each
//!   output element is the same sequential chain of fused multiply-adds `acc = fma(x[i][p], w[j][p], acc)` for
//!   p = 0..k, plus the bias, whatever the number of rows, the row's place in a tile, or which kernel ran: the
//!   portable kernel (`f32::mul_add`, fused too) gives the same bits, which a test checks. That is what makes
//!   packing many texts into one matrix exact.

/// Columns of a packed panel and of the register tile (three 16-lane vectors).
pub(crate) const NR: usize = 48;
/// Rows of the register tile.
const MR: usize = 8;
/// Rows processed against every panel before moving on, so the rows' slice of `x` stays in L2 across panels.
const MB: usize = 64;

/// The instruction set the kernels were picked for, detected once when a model is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    /// AVX-512F kernels (the machine this crate is benchmarked on).
    Avx512,
    /// The AVX2 + FMA tile ([`tile_avx2`]), two rows at a time.
    Avx2Fma,
    /// The portable kernels for the baseline target; `mul_add` falls back to a software fma, slow but exact.
    Portable,
}

impl Isa {
    pub(crate) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2Fma;
            }
        }
        Isa::Portable
    }
}

/// A 64-byte aligned buffer, so panel rows start on cache lines and aligned vector loads can be used.
struct Aligned {
    buf: Vec<f32>,
    off: usize,
    len: usize,
}

impl Aligned {
    fn zeroed(len: usize) -> Aligned {
        let buf = vec![0.0f32; len + 16];
        let addr = buf.as_ptr() as usize;
        let off = ((64 - addr % 64) % 64) / 4;
        Aligned { buf, off, len }
    }
    fn as_slice(&self) -> &[f32] {
        &self.buf[self.off..self.off + self.len]
    }
    fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.buf[self.off..self.off + self.len]
    }
}

/// One linear layer with its weight packed into panels: panel `p` holds, for each `k` index in order, the 48
/// weights of output columns `48p..48p+48` (zero beyond `n`).
pub(crate) struct Linear {
    pub(crate) n: usize,
    pub(crate) k: usize,
    panels: Aligned,
    /// Bias padded with zeros to a whole number of panels.
    bias: Vec<f32>,
}

impl Linear {
    /// Packs a PyTorch `nn.Linear` weight (`n` rows of `k`, row-major) and its bias.
    pub(crate) fn new(weight: &[f32], bias: &[f32], n: usize, k: usize) -> Linear {
        assert_eq!(weight.len(), n * k, "weight length");
        assert_eq!(bias.len(), n, "bias length");
        let npanels = n.div_ceil(NR);
        let mut panels = Aligned::zeroed(npanels * k * NR);
        let dst = panels.as_mut_slice();
        for j in 0..n {
            let (p, jj) = (j / NR, j % NR);
            let base = p * k * NR + jj;
            for (kk, &w) in weight[j * k..(j + 1) * k].iter().enumerate() {
                dst[base + kk * NR] = w;
            }
        }
        let mut b = vec![0.0; npanels * NR];
        b[..n].copy_from_slice(bias);
        Linear {
            n,
            k,
            panels,
            bias: b,
        }
    }

    /// `y[m×n] = x[m×k]·Wᵀ + b`, row-major, overwriting `y`.
    pub(crate) fn forward(&self, isa: Isa, x: &[f32], m: usize, y: &mut [f32]) {
        // These bounds are what makes the raw-pointer kernels below stay inside the slices.
        assert_eq!(x.len(), m * self.k, "input length");
        assert_eq!(y.len(), m * self.n, "output length");
        if m == 0 {
            return;
        }
        let (k, n) = (self.k, self.n);
        let panels = self.panels.as_slice();
        let npanels = n.div_ceil(NR);
        for r0 in (0..m).step_by(MB) {
            let r1 = (r0 + MB).min(m);
            for p in 0..npanels {
                let c0 = p * NR;
                let ncols = NR.min(n - c0);
                let b = panels[p * k * NR..(p + 1) * k * NR].as_ptr();
                let bias = self.bias[c0..c0 + NR].as_ptr();
                let mut r = r0;
                while r < r1 {
                    let rows = MR.min(r1 - r);
                    let a = x[r * k..(r + rows) * k].as_ptr();
                    let c = y[r * n + c0..(r + rows - 1) * n + c0 + ncols].as_mut_ptr();
                    // SAFETY: `a` points at `rows` rows of `k` floats, `b` at `k` panel rows of NR floats
                    // (64-byte aligned: panels start at multiples of k·NR·4 = k·192 bytes of an aligned buffer),
                    // `bias` at NR floats, and `c` at `rows` rows of stride `n` with `ncols` writable columns each:
                    // all inside the slices taken just above. Avx512 is only chosen when the CPU reports avx512f.
                    unsafe { tile(isa, rows, k, a, k, b, bias, c, n, ncols) };
                    r += rows;
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn tile(
    isa: Isa,
    rows: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
    ncols: usize,
) {
    macro_rules! by_rows {
        ($f:ident) => {
            match rows {
                8 => $f::<8>(k, a, lda, b, bias, c, ldc, ncols),
                7 => $f::<7>(k, a, lda, b, bias, c, ldc, ncols),
                6 => $f::<6>(k, a, lda, b, bias, c, ldc, ncols),
                5 => $f::<5>(k, a, lda, b, bias, c, ldc, ncols),
                4 => $f::<4>(k, a, lda, b, bias, c, ldc, ncols),
                3 => $f::<3>(k, a, lda, b, bias, c, ldc, ncols),
                2 => $f::<2>(k, a, lda, b, bias, c, ldc, ncols),
                _ => $f::<1>(k, a, lda, b, bias, c, ldc, ncols),
            }
        };
    }
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => by_rows!(tile_avx512),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => portable_rows(rows, k, a, lda, b, bias, c, ldc, ncols, true),
        _ => portable_rows(rows, k, a, lda, b, bias, c, ldc, ncols, false),
    }
}

/// Two rows at a time (2×48 accumulators are twelve of AVX2's sixteen registers): the AVX2 + FMA tile when
/// `_fma`, else the portable one.
#[allow(clippy::too_many_arguments)]
unsafe fn portable_rows(
    rows: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
    ncols: usize,
    _fma: bool,
) {
    let mut r = 0;
    while r < rows {
        let take = 2.min(rows - r);
        let (ar, cr) = (a.add(r * lda), c.add(r * ldc));
        #[cfg(target_arch = "x86_64")]
        if _fma {
            if take == 2 {
                tile_avx2::<2>(k, ar, lda, b, bias, cr, ldc, ncols);
            } else {
                tile_avx2::<1>(k, ar, lda, b, bias, cr, ldc, ncols);
            }
            r += take;
            continue;
        }
        if take == 2 {
            tile_portable::<2>(k, ar, lda, b, bias, cr, ldc, ncols);
        } else {
            tile_portable::<1>(k, ar, lda, b, bias, cr, ldc, ncols);
        }
        r += take;
    }
}

/// The AVX2 + FMA tile: `R` ≤ 2 rows × 48 columns, twelve 8-lane accumulators held in registers. Why written out:
/// the portable kernel compiled for AVX2 spilled its accumulators to the stack on every step of `k` (measured on
/// an AVX2-only EPYC: 83% of the encoding time in that kernel, 58 texts/s). Each lane is still the sequential
/// chain `acc = fma(x[i][p], w[j][p], acc)` then `+ bias`, so the bits are the portable kernel's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
// `q` picks a vector of the panel row and the same vector of every row's accumulators.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn tile_avx2<const R: usize>(
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
    ncols: usize,
) {
    use std::arch::x86_64::*;
    let mut acc = [[_mm256_setzero_ps(); 6]; R];
    for p in 0..k {
        let bp = b.add(p * NR);
        let mut av = [_mm256_setzero_ps(); R];
        for (r, v) in av.iter_mut().enumerate() {
            *v = _mm256_set1_ps(*a.add(r * lda + p));
        }
        for q in 0..6 {
            let bq = _mm256_loadu_ps(bp.add(8 * q));
            for r in 0..R {
                acc[r][q] = _mm256_fmadd_ps(av[r], bq, acc[r][q]);
            }
        }
    }
    for (r, accr) in acc.iter().enumerate() {
        for (q, &v) in accr.iter().enumerate() {
            let sum = _mm256_add_ps(v, _mm256_loadu_ps(bias.add(8 * q)));
            let lo = 8 * q;
            if lo + 8 <= ncols {
                _mm256_storeu_ps(c.add(r * ldc + lo), sum);
            } else if lo < ncols {
                let mut tmp = [0.0f32; 8];
                _mm256_storeu_ps(tmp.as_mut_ptr(), sum);
                for (t, &x) in tmp.iter().enumerate().take(ncols - lo) {
                    *c.add(r * ldc + lo + t) = x;
                }
            }
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile_portable<const R: usize>(
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
    ncols: usize,
) {
    let mut acc = [[0.0f32; NR]; R];
    for p in 0..k {
        let bp = &*(b.add(p * NR) as *const [f32; NR]);
        for (r, accr) in acc.iter_mut().enumerate() {
            let av = *a.add(r * lda + p);
            for j in 0..NR {
                accr[j] = av.mul_add(bp[j], accr[j]);
            }
        }
    }
    for (r, accr) in acc.iter().enumerate() {
        for (j, &v) in accr.iter().enumerate().take(ncols) {
            *c.add(r * ldc + j) = v + *bias.add(j);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn tile_avx512<const R: usize>(
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
    ncols: usize,
) {
    use std::arch::x86_64::*;
    let mut acc = [[_mm512_setzero_ps(); 3]; R];
    for p in 0..k {
        let bp = b.add(p * NR);
        let b0 = _mm512_load_ps(bp);
        let b1 = _mm512_load_ps(bp.add(16));
        let b2 = _mm512_load_ps(bp.add(32));
        for (r, accr) in acc.iter_mut().enumerate() {
            let av = _mm512_set1_ps(*a.add(r * lda + p));
            accr[0] = _mm512_fmadd_ps(av, b0, accr[0]);
            accr[1] = _mm512_fmadd_ps(av, b1, accr[1]);
            accr[2] = _mm512_fmadd_ps(av, b2, accr[2]);
        }
    }
    let bs = [
        _mm512_loadu_ps(bias),
        _mm512_loadu_ps(bias.add(16)),
        _mm512_loadu_ps(bias.add(32)),
    ];
    if ncols == NR {
        for (r, accr) in acc.iter().enumerate() {
            for q in 0..3 {
                _mm512_storeu_ps(c.add(r * ldc + 16 * q), _mm512_add_ps(accr[q], bs[q]));
            }
        }
    } else {
        for q in 0..3 {
            let lo = 16 * q;
            if lo >= ncols {
                break;
            }
            let cnt = (ncols - lo).min(16);
            let mask: __mmask16 = if cnt == 16 { 0xFFFF } else { (1u16 << cnt) - 1 };
            for (r, accr) in acc.iter().enumerate() {
                _mm512_mask_storeu_ps(c.add(r * ldc + lo), mask, _mm512_add_ps(accr[q], bs[q]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// The sequential fused chain every kernel must reproduce bit for bit.
    fn reference(x: &[f32], w: &[f32], bias: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
        let mut y = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0f32;
                for p in 0..k {
                    acc = x[i * k + p].mul_add(w[j * k + p], acc);
                }
                y[i * n + j] = acc + bias[j];
            }
        }
        y
    }

    #[test]
    fn every_kernel_gives_the_reference_bits_whatever_the_shape() {
        let mut seed = 7;
        for &(m, n, k) in &[
            (1, 48, 16),
            (13, 100, 37),
            (70, 96, 384),
            (9, 5, 3),
            (64, 144, 64),
        ] {
            let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed)).collect();
            let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
            let bias: Vec<f32> = (0..n).map(|_| lcg(&mut seed)).collect();
            let want = reference(&x, &w, &bias, m, n, k);
            let lin = Linear::new(&w, &bias, n, k);
            let mut isas = vec![Isa::Portable];
            if Isa::detect() != Isa::Portable {
                isas.push(Isa::Avx2Fma);
            }
            if Isa::detect() == Isa::Avx512 {
                isas.push(Isa::Avx512);
            }
            for isa in isas {
                let mut y = vec![f32::NAN; m * n];
                lin.forward(isa, &x, m, &mut y);
                assert!(
                    y.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{isa:?} differs from the reference at m={m} n={n} k={k}"
                );
                // Every row alone gives the same bits as in the full matrix.
                for i in 0..m {
                    let mut yi = vec![0.0; n];
                    lin.forward(isa, &x[i * k..(i + 1) * k], 1, &mut yi);
                    assert!(yi
                        .iter()
                        .zip(&y[i * n..(i + 1) * n])
                        .all(|(a, b)| a.to_bits() == b.to_bits()));
                }
            }
        }
    }
}
