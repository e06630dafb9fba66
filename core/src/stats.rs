//! Detection statistics: how likely is it that an image without the watermark decodes to `k`
//! or more bits matching a known `n`-bit message?
//!
//! The naive null hypothesis, "each decoded bit agrees with the message with probability 1/2,
//! independently" (matches ~ Binomial(n, 1/2), [`binomial_tail`]), does not hold for real
//! decoders: on low-texture content (flat areas, screenshots, line art) a decoder reads bits
//! that the *content* determines, typically long runs of the same value (imwatermark's
//! `dwtDct` reads 0 in every flat block). A message with many equal bits then "matches" a
//! blank image perfectly (measured before this model: `0x000000000000` on a grey image,
//! 48/48, p = 7.1e-15).
//!
//! The detector therefore scores a reading with a **conditional (permutation) test**,
//! [`match_p_value`]: given how many ones the reading has (`r`) and how many the message has
//! (`w`), the null hypothesis is that the reading's ones sit at positions unrelated to the
//! message's, i.e. the overlap `|R ∩ M|` is hypergeometric. This holds whatever the bias of the
//! reading (all zeros, 90% zeros...), so content that fixes how many bits are 1 can no longer
//! fake a match: an all-zero reading has p = 1 against every message. The price is small: a
//! perfect match of a balanced 48-bit message has p = 1/C(48, 24) = 3.1e-14 instead of 2^-48 =
//! 3.6e-15. The p-value is exact (log space, no normal approximation), and the decision fires
//! when it is at or below the configured false-positive rate. `docs/calibration.md` measures
//! the resulting false-positive rates on photographs and synthetic low-texture images.
//!
//! The permutation argument assumes the positions of the reading's ones are unrelated to the
//! message's. Smooth content breaks that for messages made of long runs (neighbouring bits are
//! read from neighbouring blocks), and an all-zero or all-one message carries no evidence at
//! all (the best achievable p-value of a message with `w` ones is `1 / C(n, w)`), so messages
//! must be balanced and random-looking enough ([`check_message`]).

use crate::error::{Error, Result};
use crate::payload::Bits;

/// `ln C(n, k)`.
fn ln_choose(n: u64, k: u64) -> f64 {
    let k = k.min(n - k);
    (1..=k)
        .map(|j| ((n - k + j) as f64).ln() - (j as f64).ln())
        .sum()
}

/// P(X >= k) for X ~ Binomial(n, 1/2). Exact to floating-point rounding; tiny values
/// (down to about 1e-300) are represented, not flushed to zero early. The cost is
/// `O(min(k, n - k))` for the first coefficient plus the terms from `k` on until they fall
/// below 1e-22 of the largest past the mode (about `n / 2 - k` of them when `k < n / 2`).
pub fn binomial_tail(k: u64, n: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let ln_half_n = n as f64 * std::f64::consts::LN_2;
    // Running log-sum-exp of the terms C(n, i) / 2^n, i = k..=n; past the mode the terms fall
    // monotonically, so once one is below e^-50 of the largest the rest add less than
    // n * e^-50 (relative), under floating-point rounding for every n EdgeMark sees.
    let mut ln_c = ln_choose(n, k);
    let (mut m, mut s) = (f64::NEG_INFINITY, 0.0f64);
    for i in k..=n {
        let t = ln_c - ln_half_n;
        if t > m {
            s = s * (m - t).exp() + 1.0;
            m = t;
        } else {
            s += (t - m).exp();
        }
        if 2 * i > n && t < m - 50.0 {
            break;
        }
        if i < n {
            ln_c += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
        }
    }
    (m + s.ln()).exp().min(1.0)
}

/// The smallest number of matching bits out of `n` whose p-value is at most `fpr`
/// (`n + 1` when even all `n` matching is not that unlikely).
pub fn match_threshold(n: u64, fpr: f64) -> u64 {
    (0..=n)
        .find(|&k| binomial_tail(k, n) <= fpr)
        .unwrap_or(n + 1)
}

/// `ln C(n, k)` for any `k <= n` (the product form above is exact for small `k` too).
fn ln_c(n: u64, k: u64) -> f64 {
    if k > n {
        f64::NEG_INFINITY
    } else {
        ln_choose(n, k)
    }
}

/// `ln(sum(exp(terms)))`, without overflow.
fn ln_sum_exp(terms: &[f64]) -> f64 {
    let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
}

/// P(O >= o) for O ~ Hypergeometric: the number of marked items among `draws` drawn without
/// replacement from `n` items of which `marked` are marked.
pub fn hypergeometric_tail(o: u64, n: u64, marked: u64, draws: u64) -> f64 {
    if marked > n || draws > n {
        return 0.0;
    }
    let lo = draws.saturating_sub(n - marked);
    let hi = marked.min(draws);
    if o <= lo {
        return 1.0;
    }
    if o > hi {
        return 0.0;
    }
    let total = ln_c(n, draws);
    let terms: Vec<f64> = (o..=hi)
        .map(|j| ln_c(marked, j) + ln_c(n - marked, draws - j) - total)
        .collect();
    ln_sum_exp(&terms).exp().min(1.0)
}

/// The p-value of `reading` matching `message` as well as it does, conditional on how many
/// ones each has (see the module documentation): the probability that a reading with the same
/// number of ones, at positions unrelated to the message, matches at least as many bits.
/// Compares the first `min(len)` bits. An all-zero or all-one reading (or message) gives 1.
pub fn match_p_value(reading: &Bits, message: &Bits) -> f64 {
    let n = reading.len().min(message.len());
    let (r, m) = (&reading.as_slice()[..n], &message.as_slice()[..n]);
    let ones_r = r.iter().filter(|&&b| b).count() as u64;
    let ones_m = m.iter().filter(|&&b| b).count() as u64;
    let overlap = r.iter().zip(m).filter(|(&a, &b)| a && b).count() as u64;
    // matches = n - ones_r - ones_m + 2 * overlap: more matches is exactly more overlap.
    hypergeometric_tail(overlap, n as u64, ones_m, ones_r)
}

/// Largest magnitude one soft bit counts in [`soft_match_p_value`], in noise standard
/// deviations: bits read beyond it count alike (as hard decisions do), bits read nearer
/// noise count less. Readings are heavier-tailed than Gaussian (content left in a frequency
/// after the fold), so a low clip does best: on `edgemark-v3`'s 5-sample evaluation (3325
/// trials, seed 24301; 3100 detected with hard bits) a clip of 3 / 2 / 1.5 / 1 / 0.5
/// detected 3109 / 3111 / 3112 / 3114 / 3109 (3 with Pinelis' larger constant, 4.46; the
/// training photos alone rank them the same), none lost at 1.
pub const SOFT_CLIP: f32 = 1.0;

/// The constant of Bentkus and Dzindzalieta's bound (Bernoulli 21, 2015, 1231-1237; the
/// smallest possible): for independent fair signs `e_i` and weights with `sum a_i^2 <= 1`,
/// `P(sum a_i e_i >= x) <= c P(Z >= x)` with `c = 1 / (4 P(Z >= sqrt 2))`, about 3.18.
// 3.17866 rounded up, which also covers `normal_tail`'s error (1.2e-7 of its value).
const GAUSSIAN_BOUND: f64 = 3.178_7;

/// The p-value of soft bits `z` (positive: read as 1; in noise standard deviations, or any
/// odd, increasing function of them) matching `message`, weighted by how sure each bit is:
/// `x = sum s_i c_i / sqrt(sum c_i^2)`, where `s_i` is +1 for a 1 in the message and -1 for a
/// 0, and `c_i` is `z_i` clipped to [`SOFT_CLIP`]. Bits read near noise count little, sure
/// ones count more, so a weak mark reaches a given p-value with fewer matching bits than
/// [`match_p_value`] needs (its hard decisions throw away how sure each bit was).
///
/// Null hypothesis: given the magnitudes, the signs of the `z_i` are independent and
/// equally likely (a reader whose bits are projections on key-chosen phases that unmarked
/// content does not follow). Then `x` is a weighted sum of symmetric signs, whose tail is at
/// most `min(exp(-x^2 / 2), 3.18 P(Z >= x))` (Hoeffding; Bentkus and Dzindzalieta) whatever
/// the weights: a bound, not a normal approximation. Unlike [`match_p_value`] it is not
/// conditional on the count of ones, so it suits only readers whose signs content cannot
/// bias.
pub fn soft_match_p_value(z: &[f32], message: &Bits) -> f64 {
    let n = z.len().min(message.len());
    let (mut sum, mut norm) = (0.0f64, 0.0f64);
    for (&v, &m) in z[..n].iter().zip(&message.as_slice()[..n]) {
        let c = f64::from(v.clamp(-SOFT_CLIP, SOFT_CLIP));
        sum += if m { c } else { -c };
        norm += c * c;
    }
    // Nothing to go on (no bits, all at 0, or not numbers): no evidence.
    let evidence = norm > 0.0 && sum > 0.0 && norm.is_finite() && sum.is_finite();
    if !evidence {
        return 1.0;
    }
    let x = sum / norm.sqrt();
    (-0.5 * x * x)
        .exp()
        .min(GAUSSIAN_BOUND * normal_tail(x))
        .min(1.0)
}

/// `P(Z >= x)` for a standard normal `Z`: the complementary error function of Numerical
/// Recipes' `erfcc` (fractional error under 1.2e-7 everywhere).
fn normal_tail(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        0.5 * erfc
    } else {
        1.0 - 0.5 * erfc
    }
}

/// The smallest p-value [`match_p_value`] can give for `message`: that of a perfect match,
/// `1 / C(n, w)` for a message with `w` ones.
pub fn best_p_value(message: &Bits) -> f64 {
    match_p_value(message, message)
}

/// Fewest ones and fewest zeros an `n`-bit message needs: a quarter of its bits.
pub fn min_minority_bits(n: usize) -> usize {
    n / 4
}

/// Fewest bit changes (`0` to `1` or back between neighbours) an `n`-bit message needs, and
/// fewest non-changes: `n / 3 - 1` of each, i.e. for 48 bits between 15 and 32 changes (a
/// random message has 23.5 on average, standard deviation 3.4).
pub fn min_changes(n: usize) -> usize {
    (n / 3).saturating_sub(1)
}

/// Refuses messages a blank or smooth image could match:
///
/// * too unbalanced: fewer than a quarter ones or a quarter zeros ([`min_minority_bits`]).
///   Content without a watermark reads long runs of equal bits (flat areas, screenshots, line
///   art), so such a message is matched by blank images under the naive binomial model and
///   carries little evidence under the conditional one ([`best_p_value`]);
/// * too regular: too few or too many changes between neighbouring bits ([`min_changes`]).
///   Bit `i` is carried by neighbouring blocks of bit `i + 1`, and smooth content (gradients,
///   most photographs at block scale) reads runs of equal bits that follow the image, which
///   a message made of long runs (`0xFFFFFF000000`) matches far more often than chance:
///   measured in docs/calibration.md, 5 of 10,300 clean windows fired at 1e-6 with that
///   message before this check.
///
/// Stable Diffusion XL's message (27 ones, 21 changes of 48 bits) is well inside.
pub fn check_message(message: &Bits) -> Result<()> {
    let bits = message.as_slice();
    let n = bits.len();
    let ones = bits.iter().filter(|&&b| b).count();
    let need = min_minority_bits(n);
    if ones < need || n - ones < need {
        return Err(Error::message(format!(
            "message {} has {ones} ones and {} zeros of {n} bits: at least {need} of each are \
             needed. Images without a watermark read runs of equal bits (a flat or blank image \
             reads all zeros with dwtDct), so a message this unbalanced would be \"found\" in \
             them; a perfect match could only reach p = {:.1e}",
            message.to_hex(),
            n - ones,
            best_p_value(message)
        )));
    }
    let changes = bits.windows(2).filter(|w| w[0] != w[1]).count();
    let need = min_changes(n);
    let most = n.saturating_sub(1) - need;
    if changes < need || changes > most {
        return Err(Error::message(format!(
            "message {} changes value {changes} times between neighbouring bits: {need} to \
             {most} are needed. Neighbouring bits sit in neighbouring image blocks, and smooth \
             or periodic images without a watermark read runs that such a regular message \
             matches far more often than chance; use a random-looking message",
            message.to_hex(),
        )));
    }
    Ok(())
}

/// Greatest common divisor.
pub(crate) fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
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
    fn large_collections_match_the_normal_tail() {
        // 100,000 images of 127 code bits, 5 standard deviations above chance: the normal tail
        // (2.87e-7) within the continuity and skew error at this n.
        let n = 12_700_000u64;
        let k = n / 2 + (5.0 * (n as f64).sqrt() / 2.0).round() as u64;
        let p = binomial_tail(k, n);
        assert!((2.8e-7..2.95e-7).contains(&p), "{p}");
        assert!((binomial_tail(n / 2 + 1, n) - 0.5).abs() < 1e-3);
        assert_eq!(binomial_tail(1, n), 1.0);
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
    fn hypergeometric_small_cases_are_exact() {
        // 4 items, 2 marked, draw 2: P(O >= 1) = 5/6, P(O >= 2) = 1/6.
        assert!((hypergeometric_tail(1, 4, 2, 2) - 5.0 / 6.0).abs() < 1e-12);
        assert!((hypergeometric_tail(2, 4, 2, 2) - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(hypergeometric_tail(0, 4, 2, 2), 1.0);
        assert_eq!(hypergeometric_tail(3, 4, 2, 2), 0.0);
        // Draw 3 of 4 with 2 marked: at least one is always marked.
        assert_eq!(hypergeometric_tail(1, 4, 2, 3), 1.0);
    }

    #[test]
    fn constant_readings_never_match_and_perfect_matches_cost_one_over_c_n_w() {
        let sdxl = Bits::from_hex("0xB3EC907BB19E").unwrap();
        let zeros = Bits::new(vec![false; 48]);
        let ones = Bits::new(vec![true; 48]);
        assert_eq!(match_p_value(&zeros, &sdxl), 1.0);
        assert_eq!(match_p_value(&ones, &sdxl), 1.0);
        assert_eq!(match_p_value(&zeros, &zeros), 1.0);
        // 27 ones: 1 / C(48, 27).
        let expected = (-ln_choose(48, 27)).exp();
        assert!((best_p_value(&sdxl) / expected - 1.0).abs() < 1e-9);
        assert!(best_p_value(&sdxl) < 1e-12);
    }

    /// `ps` are the p-values of equally likely outcomes: P(p <= a) <= a at every level a.
    fn assert_valid(ps: &[f64], what: &str) {
        for &a in ps {
            let rate = ps.iter().filter(|&&p| p <= a).count() as f64 / ps.len() as f64;
            assert!(rate <= a * (1.0 + 1e-9), "{what}: P(p <= {a}) = {rate}");
        }
    }

    /// Exhaustive check of validity: over every 12-bit reading with a given number of ones,
    /// placed at random, P(p <= a) <= a for every level a, for balanced and unbalanced messages.
    #[test]
    fn the_conditional_p_value_is_valid_for_every_reading_weight() {
        let n = 12usize;
        for msg in [0b1011_0011_1110u32, 0b0000_0001_0000, 0b1111_1111_1110, 0] {
            let m = Bits::new((0..n).map(|i| (msg >> i) & 1 == 1).collect());
            for r in 0..=n {
                let ps: Vec<f64> = (0u32..1 << n)
                    .filter(|x| x.count_ones() as usize == r)
                    .map(|x| {
                        match_p_value(&Bits::new((0..n).map(|i| (x >> i) & 1 == 1).collect()), &m)
                    })
                    .collect();
                assert_valid(&ps, &format!("msg {msg:b}, r={r}"));
            }
        }
    }

    #[test]
    fn unbalanced_messages_are_refused_with_a_reason() {
        let e = check_message(&Bits::from_hex("0x000000000000").unwrap()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("0 ones and 48 zeros") && text.contains("at least 12"),
            "{text}"
        );
        assert!(check_message(&Bits::from_hex("0xFFFFFFFFFF00").unwrap()).is_err());
        // Balanced but regular: runs, or alternation.
        for m in [
            "0xFFFFFF000000",
            "0xFFFF00000000",
            "0xF0F0F0F0F0F0",
            "0xAAAAAAAAAAAA",
        ] {
            let e = check_message(&Bits::from_hex(m).unwrap()).unwrap_err();
            assert!(e.to_string().contains("15 to 32 are needed"), "{m}: {e}");
        }
        for m in ["0xE38E38E38E38", "0x888888888888", "0xC0FFEE42", "0x6869"] {
            assert!(check_message(&Bits::from_hex(m).unwrap()).is_ok(), "{m}");
        }
        assert!(check_message(&Bits::parse("text:EdgeMark").unwrap()).is_ok());
        assert!(check_message(&Bits::from_hex("0xB3EC907BB19E").unwrap()).is_ok());
        assert!(check_message(&Bits::from_hex("0xDEADBEEF").unwrap()).is_ok());
        assert!(check_message(&Bits::from_hex("0xA5").unwrap()).is_ok());
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

    #[test]
    fn the_normal_tail_matches_known_values() {
        for (x, want) in [
            (0.0, 0.5),
            (1.0, 0.158_655_253_9),
            (3.0, 1.349_898_032e-3),
            (5.0, 2.866_515_719e-7),
            (6.0, 9.865_876_45e-10),
            (-2.0, 0.977_249_868_1),
        ] {
            let got = normal_tail(x);
            assert!((got / want - 1.0).abs() < 1e-6, "{x}: {got} vs {want}");
        }
    }

    /// Exhaustive check of validity: for fixed magnitudes (uneven, some past the clip, one
    /// zero), every one of the 2^12 sign patterns equally likely, P(p <= a) <= a for every
    /// level a the p-value takes, for a balanced and an unbalanced message.
    #[test]
    fn the_soft_p_value_is_valid_for_any_magnitudes() {
        let n = 12usize;
        let mags = [
            0.1f32, 0.4, 0.7, 1.0, 1.3, 2.0, 2.9, 3.5, 9.0, 0.0, 0.25, 1.8,
        ];
        for msg in [0b1011_0011_1110u32, 0b1111_1111_1110] {
            let m = Bits::new((0..n).map(|i| (msg >> i) & 1 == 1).collect());
            let ps: Vec<f64> = (0u32..1 << n)
                .map(|signs| {
                    let z: Vec<f32> = (0..n)
                        .map(|i| {
                            if (signs >> i) & 1 == 1 {
                                mags[i]
                            } else {
                                -mags[i]
                            }
                        })
                        .collect();
                    soft_match_p_value(&z, &m)
                })
                .collect();
            assert_valid(&ps, &format!("msg {msg:b}"));
            // A perfect match of these magnitudes is far from certain with 12 bits.
            assert!(ps.iter().all(|&p| p > 1e-3));
        }
    }

    /// The bound's constant is tight: two equal weights, both signs matching (probability
    /// exactly 1/4 at x = sqrt 2), must not get a p-value under 1/4; a constant of 3.17
    /// instead of 1 / (4 P(Z >= sqrt 2)) would. Not-a-number soft bits carry no evidence.
    #[test]
    fn the_soft_bound_is_tight_at_two_equal_bits_and_nan_is_no_evidence() {
        let m = Bits::new(vec![true, false]);
        let ps: Vec<f64> = [[1.0f32, -1.0], [1.0, 1.0], [-1.0, -1.0], [-1.0, 1.0]]
            .iter()
            .map(|z| soft_match_p_value(z, &m))
            .collect();
        assert!(ps[0] >= 0.25 && ps[0] < 0.2501, "{}", ps[0]);
        assert_valid(&ps, "two equal bits");
        assert_eq!(soft_match_p_value(&[f32::NAN, 1.0], &m), 1.0);
        assert_eq!(soft_match_p_value(&[], &m), 1.0);
    }

    /// The reason the soft p-value exists: on Gaussian soft bits of a weak mark (mean 0.55
    /// noise deviations, 127 bits) it is smaller than the hard bits' conditional p-value in
    /// most readings, and on noise alone it fires no more often than its level.
    #[test]
    fn soft_bits_carry_more_evidence_than_hard_ones() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut unit = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut gauss = move || {
            let (a, b) = (unit(), unit());
            (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
        };
        let n = 127;
        let (mut softer, mut noise_hits) = (0, 0);
        let trials = 400;
        for t in 0..trials {
            let m = Bits::new((0..n).map(|i| (i * 7 + t) % 3 != 0).collect());
            let z: Vec<f32> = m
                .as_slice()
                .iter()
                .map(|&b| ((if b { 0.55 } else { -0.55 }) + gauss()) as f32)
                .collect();
            let hard = Bits::new(z.iter().map(|&v| v > 0.0).collect());
            if soft_match_p_value(&z, &m) < match_p_value(&hard, &m) {
                softer += 1;
            }
            let noise: Vec<f32> = (0..n).map(|_| gauss() as f32).collect();
            if soft_match_p_value(&noise, &m) <= 0.05 {
                noise_hits += 1;
            }
        }
        assert!(softer > trials * 3 / 4, "{softer} of {trials}");
        assert!(noise_hits <= trials / 20, "{noise_hits} of {trials}");
    }
}
