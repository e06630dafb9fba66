//! Detection statistics: how likely is it that an image without the watermark decodes to `k`
//! or more bits matching a known `n`-bit message?
//!
//! Under the null hypothesis each decoded bit agrees with the message with probability 1/2,
//! independently, so the number of matches is Binomial(n, 1/2). The p-value is its upper
//! tail, computed exactly in log space (no normal approximation), and the decision fires when
//! the p-value is at or below the configured false-positive rate.

/// `ln C(n, k)`.
fn ln_choose(n: u64, k: u64) -> f64 {
    let k = k.min(n - k);
    (1..=k)
        .map(|j| ((n - k + j) as f64).ln() - (j as f64).ln())
        .sum()
}

/// P(X >= k) for X ~ Binomial(n, 1/2). Exact to floating-point rounding; tiny values
/// (down to about 1e-300) are represented, not flushed to zero early.
pub fn binomial_tail(k: u64, n: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let ln_half_n = n as f64 * std::f64::consts::LN_2;
    let terms: Vec<f64> = {
        let mut v = Vec::with_capacity((n - k + 1) as usize);
        let mut ln_c = ln_choose(n, k);
        for i in k..=n {
            v.push(ln_c - ln_half_n);
            if i < n {
                ln_c += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
            }
        }
        v
    };
    let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = terms.iter().map(|t| (t - m).exp()).sum();
    (m + s.ln()).exp().min(1.0)
}

/// The smallest number of matching bits out of `n` whose p-value is at most `fpr`
/// (`n + 1` when even all `n` matching is not that unlikely).
pub fn match_threshold(n: u64, fpr: f64) -> u64 {
    (0..=n)
        .find(|&k| binomial_tail(k, n) <= fpr)
        .unwrap_or(n + 1)
}

/// Bonferroni correction for having tried `tries` independent readings and kept the best.
pub fn correct_for_tries(p: f64, tries: usize) -> f64 {
    (p * tries.max(1) as f64).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cases_are_exact() {
        assert_eq!(binomial_tail(0, 10), 1.0);
        assert!((binomial_tail(10, 10) - 1.0 / 1024.0).abs() < 1e-15);
        assert!((binomial_tail(9, 10) - 11.0 / 1024.0).abs() < 1e-15);
        assert!((binomial_tail(5, 10) - 638.0 / 1024.0).abs() < 1e-12);
        assert_eq!(binomial_tail(11, 10), 0.0);
    }

    #[test]
    fn tail_is_monotone_and_tiny_values_survive() {
        let mut last = 1.0;
        for k in 0..=48 {
            let p = binomial_tail(k, 48);
            assert!(p <= last);
            last = p;
        }
        assert!(binomial_tail(48, 48) > 0.0);
        assert!((binomial_tail(48, 48) - 0.5f64.powi(48)).abs() / 0.5f64.powi(48) < 1e-9);
        let p = binomial_tail(1000, 1000);
        assert!(p > 0.0 && p < 1e-300);
    }

    #[test]
    fn thresholds_for_the_sdxl_message() {
        // 48 bits: P(X >= 41) = 2.28e-7... the threshold at 1e-6 is 41 matches.
        let k = match_threshold(48, 1e-6);
        assert!(binomial_tail(k, 48) <= 1e-6);
        assert!(binomial_tail(k - 1, 48) > 1e-6);
        assert_eq!(k, 41);
        assert_eq!(correct_for_tries(0.4, 3), 1.0);
        assert_eq!(correct_for_tries(1e-7, 2), 2e-7);
    }
}
