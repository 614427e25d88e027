//! The Wilson score interval for a failure rate.
//!
//! Behavioural tests have tens of cases and failure rates near 0 or 1, where the normal ("Wald") interval
//! collapses to a point or leaves [0, 1]; the Wilson interval stays inside [0, 1] and keeps near-nominal
//! coverage for small n.

/// The two-sided 95% normal quantile, Φ⁻¹(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `k` successes out of `n` at normal quantile `z`; `(0, 1)` when `n` is 0.
pub fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned against statsmodels 0.14 `proportion_confint(k, n, alpha=0.05, method="wilson")`.
    #[test]
    fn wilson_matches_statsmodels() {
        let expected = [
            (0, 10, 0.000000000000000, 0.277532799862889),
            (3, 10, 0.107791267406301, 0.603221852538855),
            (7, 20, 0.181191824101082, 0.567145723314764),
            (20, 20, 0.838874841947180, 1.000000000000000),
            (1, 1, 0.206549314377237, 1.000000000000000),
            (45, 120, 0.293524297864468, 0.464230493740208),
        ];
        for (k, n, lo, hi) in expected {
            let (l, h) = wilson(k, n, Z95);
            assert!((l - lo).abs() < 1e-12, "{k}/{n}: {l} vs {lo}");
            assert!((h - hi).abs() < 1e-12, "{k}/{n}: {h} vs {hi}");
        }
        assert_eq!(wilson(0, 0, Z95), (0.0, 1.0));
    }
}
