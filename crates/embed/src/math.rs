//! The element-wise and per-row parts of the forward pass: GELU, LayerNorm, softmax attention.
//!
//! Each function has one body, marked `#[inline(always)]`, that is compiled three times (AVX-512, AVX2+FMA,
//! baseline) so the compiler vectorises it for the CPU at hand. The bodies use plain `+` and `*` only: Rust never
//! contracts them into fused operations, so all three copies give the same bits, and reductions use fixed lane
//! counts, so their order does not depend on the vector width either.

use crate::gemm::Isa;

/// Defines `$name(isa, args..)`, which runs `$body(args..)` compiled for the detected instruction set.
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),*) => $body:ident) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name(isa: Isa, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn v512($($arg: $ty),*) { $body($($arg),*) }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn v256($($arg: $ty),*) { $body($($arg),*) }
                match isa {
                    // SAFETY: these ISAs are only chosen when the CPU reports the features.
                    Isa::Avx512 => return unsafe { v512($($arg),*) },
                    Isa::Avx2Fma => return unsafe { v256($($arg),*) },
                    Isa::Portable => {}
                }
            }
            let _ = isa;
            $body($($arg),*)
        }
    };
}

const LANES: usize = 16;

/// e^x to about 2 ulp (Cephes' expf: reduction by ln 2 in two parts, degree-5 polynomial), written without
/// branches or library calls so that loops over it vectorise. Inputs below -87 give ~1e-38 rather than 0,
/// which is below anything that matters after the additions it feeds.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick, which stays vectorisable on SSE2.
    let n = (x * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * z + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// erf(x) by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), the formula PyTorch's vectorised CPU
/// `erf` uses, so GELU here tracks PyTorch's GELU closely.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (0.327_591_1 * a + 1.0);
    let r =
        (((1.061_405_4 * t - 1.453_152) * t + 1.421_413_8) * t - 0.284_496_74) * t + 0.254_829_6;
    let y = 1.0 - r * t * exp(-a * a);
    y.copysign(x)
}

#[inline(always)]
fn gelu_body(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

multiversion!(
    /// The exact (erf) GELU, PyTorch's default `nn.GELU()`, in place.
    pub(crate) fn gelu(x: &mut [f32]) => gelu_body
);

#[inline(always)]
fn sum_lanes(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            acc[l] += c[l];
        }
    }
    let mut s = 0.0;
    for a in acc {
        s += a;
    }
    for &v in chunks.remainder() {
        s += v;
    }
    s
}

#[inline(always)]
fn add_layer_norm_body(
    x: &mut [f32],
    residual: &[f32],
    h: usize,
    w: &[f32],
    b: &[f32],
    eps: f32,
    buf: &mut [f32],
) {
    for (row, res) in x.chunks_exact_mut(h).zip(residual.chunks_exact(h)) {
        for (v, r) in row.iter_mut().zip(res) {
            *v += *r;
        }
        layer_norm_row(row, w, b, eps, buf);
    }
}

#[inline(always)]
fn layer_norm_row(row: &mut [f32], w: &[f32], b: &[f32], eps: f32, buf: &mut [f32]) {
    let h = row.len();
    let mean = sum_lanes(row) / h as f32;
    for (d, v) in buf.iter_mut().zip(row.iter()) {
        *d = (*v - mean) * (*v - mean);
    }
    let var = sum_lanes(&buf[..h]) / h as f32;
    let rstd = 1.0 / (var + eps).sqrt();
    for ((v, w), b) in row.iter_mut().zip(w).zip(b) {
        *v = (*v - mean) * rstd * *w + *b;
    }
}

#[inline(always)]
fn layer_norm_body(x: &mut [f32], h: usize, w: &[f32], b: &[f32], eps: f32, buf: &mut [f32]) {
    for row in x.chunks_exact_mut(h) {
        layer_norm_row(row, w, b, eps, buf);
    }
}

multiversion!(
    fn add_layer_norm_isa(
        x: &mut [f32], residual: &[f32], h: usize, w: &[f32], b: &[f32], eps: f32, buf: &mut [f32]
    ) => add_layer_norm_body
);
multiversion!(
    fn layer_norm_isa(x: &mut [f32], h: usize, w: &[f32], b: &[f32], eps: f32, buf: &mut [f32]) => layer_norm_body
);

/// `x = LayerNorm(x + residual)` row by row (BERT's post-norm residual blocks).
pub(crate) fn add_layer_norm(
    isa: Isa,
    x: &mut [f32],
    residual: &[f32],
    h: usize,
    w: &[f32],
    b: &[f32],
    eps: f32,
) {
    let mut buf = vec![0.0f32; h];
    add_layer_norm_isa(isa, x, residual, h, w, b, eps, &mut buf)
}

/// `x = LayerNorm(x)` row by row.
pub(crate) fn layer_norm(isa: Isa, x: &mut [f32], h: usize, w: &[f32], b: &[f32], eps: f32) {
    let mut buf = vec![0.0f32; h];
    layer_norm_isa(isa, x, h, w, b, eps, &mut buf)
}

/// Shapes of one sequence's self-attention.
pub(crate) struct AttnShape {
    /// Tokens of the sequence.
    pub len: usize,
    pub heads: usize,
    pub head_dim: usize,
}

/// Block width of attention's register accumulators.
const BLOCK: usize = 16;

/// Scratch floats attention needs for a sequence of `len` tokens and heads of `head_dim`: (scores, keys).
pub(crate) fn attention_scratch(len: usize, head_dim: usize) -> (usize, usize) {
    let padded = len.div_ceil(BLOCK) * BLOCK;
    (padded, padded * head_dim)
}

#[inline(always)]
fn attention_body(qkv: &[f32], s: &AttnShape, ctx: &mut [f32], scores: &mut [f32], kt: &mut [f32]) {
    let (n, d) = (s.len, s.head_dim);
    let hidden = s.heads * d;
    let stride = 3 * hidden;
    let scale = 1.0 / (d as f32).sqrt();
    let (np, _) = attention_scratch(n, d);
    let scores = &mut scores[..np];
    let kt = &mut kt[..d * np];
    // Columns n..np of the transposed keys stay zero; their scores are computed and ignored.
    kt.fill(0.0);
    for h in 0..s.heads {
        let (qo, ko, vo) = (h * d, hidden + h * d, 2 * hidden + h * d);
        // The head's keys transposed (d rows of np), so a block of 16 scores is built in registers by d
        // vectorised steps: every score is the plain sequential sum over the head dimension, with no horizontal
        // sums, and blocks (like rows in `gemm`) do not change the order.
        for j in 0..n {
            let k = &qkv[j * stride + ko..j * stride + ko + d];
            for (c, &kv) in k.iter().enumerate() {
                kt[c * np + j] = kv;
            }
        }
        for i in 0..n {
            let q = &qkv[i * stride + qo..i * stride + qo + d];
            for jb in (0..np).step_by(BLOCK) {
                let mut acc = [0.0f32; BLOCK];
                for (c, &qc) in q.iter().enumerate() {
                    let row = &kt[c * np + jb..c * np + jb + BLOCK];
                    for l in 0..BLOCK {
                        acc[l] += qc * row[l];
                    }
                }
                scores[jb..jb + BLOCK].copy_from_slice(&acc);
            }
            let sc = &mut scores[..n];
            let mut max = f32::NEG_INFINITY;
            for v in sc.iter_mut() {
                *v *= scale;
                max = max.max(*v);
            }
            for v in sc.iter_mut() {
                *v = exp(*v - max);
            }
            let mut sum = 0.0f32;
            for &v in sc.iter() {
                sum += v;
            }
            let out = &mut ctx[i * hidden + qo..i * hidden + qo + d];
            let mut cb = 0;
            while cb + BLOCK <= d {
                let mut acc = [0.0f32; BLOCK];
                for (j, &p) in sc.iter().enumerate() {
                    let v = &qkv[j * stride + vo + cb..j * stride + vo + cb + BLOCK];
                    for l in 0..BLOCK {
                        acc[l] += p * v[l];
                    }
                }
                for l in 0..BLOCK {
                    out[cb + l] = acc[l] / sum;
                }
                cb += BLOCK;
            }
            for c in cb..d {
                let mut a = 0.0f32;
                for (j, &p) in sc.iter().enumerate() {
                    a += p * qkv[j * stride + vo + c];
                }
                out[c] = a / sum;
            }
        }
    }
}

multiversion!(
    fn attention_isa(qkv: &[f32], shape: &AttnShape, ctx: &mut [f32], scores: &mut [f32], kt: &mut [f32])
        => attention_body
);

/// Softmax self-attention of one sequence over its own tokens only (no mask, no padding): `qkv` holds the
/// sequence's rows of the fused query|key|value projection, `ctx` receives its rows of the heads' outputs.
/// `scores` and `kt` are scratch space of at least the sizes [`attention_scratch`] gives.
pub(crate) fn attention(
    isa: Isa,
    qkv: &[f32],
    shape: &AttnShape,
    ctx: &mut [f32],
    scores: &mut [f32],
    kt: &mut [f32],
) {
    let (ns, nk) = attention_scratch(shape.len, shape.head_dim);
    assert!(
        qkv.len() == shape.len * 3 * shape.heads * shape.head_dim
            && scores.len() >= ns
            && kt.len() >= nk
    );
    attention_isa(isa, qkv, shape, ctx, scores, kt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_erf_are_accurate() {
        let mut worst_exp = 0.0f64;
        let mut worst_erf = 0.0f64;
        for i in -8000..=8000 {
            let x = i as f32 / 100.0;
            let e = exp(x) as f64;
            let want = (x as f64).exp();
            worst_exp = worst_exp.max(((e - want) / want).abs());
            let xe = x / 10.0;
            worst_erf = worst_erf.max((erf(xe) as f64 - libm_erf(xe as f64)).abs());
        }
        assert!(worst_exp < 3e-7, "exp relative error {worst_exp}");
        // A&S's 1.5e-7 plus f32 rounding of `1 - r·t·e^(-x²)` near x = 0, where the two terms nearly cancel:
        // a few ulps of 1.0. In GELU it is multiplied by x/2, so it stays below f32 resolution of the output.
        assert!(worst_erf < 6e-7, "erf absolute error {worst_erf}");
    }

    /// erf in f64, for the test only.
    fn libm_erf(x: f64) -> f64 {
        // Taylor series below 3 (terms stay under ~1e3, so f64 keeps ~1e-13), the asymptotic series of erfc above.
        if x.abs() >= 3.0 {
            let x2 = x.abs() * x.abs();
            let series = 1.0 - 1.0 / (2.0 * x2) + 3.0 / (4.0 * x2 * x2)
                - 15.0 / (8.0 * x2 * x2 * x2)
                + 105.0 / (16.0 * x2 * x2 * x2 * x2);
            let erfc = (-x2).exp() / (x.abs() * std::f64::consts::PI.sqrt()) * series;
            return (1.0 - erfc).copysign(x);
        }
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn every_isa_gives_the_same_bits() {
        let x: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin() * 4.0).collect();
        let mut isas = vec![Isa::Portable];
        if Isa::detect() != Isa::Portable {
            isas.push(Isa::Avx2Fma);
        }
        if Isa::detect() == Isa::Avx512 {
            isas.push(Isa::Avx512);
        }
        let run = |isa: Isa| {
            let mut g = x.clone();
            gelu(isa, &mut g);
            let w: Vec<f32> = (0..40).map(|i| 1.0 + i as f32 * 0.01).collect();
            let b: Vec<f32> = (0..40).map(|i| i as f32 * -0.02).collect();
            let mut l = x.clone();
            add_layer_norm(isa, &mut l, &x, 40, &w, &b, 1e-12);
            let shape = AttnShape {
                len: 5,
                heads: 2,
                head_dim: 10,
            };
            let mut ctx = vec![0.0; 5 * 20];
            let (ns, nk) = attention_scratch(5, 10);
            let (mut scores, mut kt) = (vec![0.0; ns], vec![0.0; nk]);
            attention(isa, &x[..300], &shape, &mut ctx, &mut scores, &mut kt);
            [g, l, ctx]
                .concat()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        let want = run(Isa::Portable);
        for isa in isas {
            assert_eq!(run(isa), want, "{isa:?}");
        }
    }
}
