//! Error correction for payloads: a binary BCH code of length 127 over GF(2^7).
//!
//! [`Bch::new`] builds the narrow-sense primitive code that corrects `t` errors; for `t = 15`
//! it carries 36 data bits in 127 (the code `edgemark-v3` uses). Hard-decision decoding:
//! syndromes, Berlekamp-Massey, Chien search.
//!
//! Open-set decisions need the chance that a *random* word decodes at all: a word within
//! distance `e` of some code word is drawn with probability `2^(k-n) * V(n, e)` (`V` the
//! volume of a Hamming ball), which [`Bch::false_decode_probability`] returns; it is exact for
//! `e <= t` because the balls do not overlap.

use crate::error::{Error, Result};

const M: usize = 7;
const N: usize = (1 << M) - 1; // 127
/// x^7 + x^3 + 1, primitive over GF(2).
const PRIMITIVE: u32 = 0b1000_1001;

/// GF(2^7) arithmetic through exponent / logarithm tables.
#[derive(Clone, Debug)]
struct Field {
    exp: [u8; 2 * N],
    log: [u8; N + 1],
}

impl Field {
    fn new() -> Field {
        let mut exp = [0u8; 2 * N];
        let mut log = [0u8; N + 1];
        let mut x: u32 = 1;
        for (i, e) in exp.iter_mut().enumerate().take(N) {
            *e = x as u8;
            log[x as usize] = i as u8;
            x <<= 1;
            if x & (1 << M) != 0 {
                x ^= PRIMITIVE;
            }
        }
        for i in N..2 * N {
            exp[i] = exp[i - N];
        }
        Field { exp, log }
    }
    fn mul(&self, a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            0
        } else {
            self.exp[self.log[a as usize] as usize + self.log[b as usize] as usize]
        }
    }
    fn div(&self, a: u8, b: u8) -> u8 {
        // b != 0 is guaranteed by the callers (Berlekamp-Massey divides by a non-zero
        // discrepancy).
        if a == 0 || b == 0 {
            0
        } else {
            self.exp[(self.log[a as usize] as usize + N - self.log[b as usize] as usize) % N]
        }
    }
}

/// A binary BCH code of length 127 correcting `t` errors, systematic: a code word is the
/// `k` data bits followed by `127 - k` parity bits.
#[derive(Clone, Debug)]
pub struct Bch {
    field: Field,
    t: usize,
    k: usize,
    /// Generator polynomial over GF(2), index = degree.
    generator: Vec<bool>,
}

/// A decoded word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Corrected {
    /// The `k` data bits.
    pub data: Vec<bool>,
    /// How many bits were corrected (the distance from the received word to the code word).
    pub errors: usize,
}

impl Bch {
    /// The length-127 BCH code correcting `t` errors (1 <= t <= 31).
    pub fn new(t: usize) -> Result<Bch> {
        if !(1..=31).contains(&t) {
            return Err(Error::config(format!(
                "BCH(127) corrects 1..=31 errors, not {t}"
            )));
        }
        let field = Field::new();
        // Generator = product of the minimal polynomials of alpha^1..alpha^(2t), each coset once.
        let mut seen = [false; N];
        let mut g: Vec<u8> = vec![1]; // coefficients in GF(2^7), index = degree
        for i in 1..=2 * t {
            if seen[i % N] {
                continue;
            }
            let mut c = i % N;
            loop {
                seen[c] = true;
                // g *= (x - alpha^c)
                let root = field.exp[c];
                let mut next = vec![0u8; g.len() + 1];
                for (d, &coef) in g.iter().enumerate() {
                    next[d + 1] ^= coef;
                    next[d] ^= field.mul(coef, root);
                }
                g = next;
                c = (c * 2) % N;
                if c == i % N {
                    break;
                }
            }
        }
        if g.iter().any(|&c| c > 1) {
            return Err(Error::config(
                "BCH generator is not binary (field tables broken)",
            ));
        }
        let generator: Vec<bool> = g.iter().map(|&c| c == 1).collect();
        let k = N - (generator.len() - 1);
        Ok(Bch {
            field,
            t,
            k,
            generator,
        })
    }

    /// Code length (127).
    pub fn n(&self) -> usize {
        N
    }
    /// Data bits per code word.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Errors corrected.
    pub fn t(&self) -> usize {
        self.t
    }

    /// The code word for `data` (exactly `k` bits): the data, then the parity.
    pub fn encode(&self, data: &[bool]) -> Result<Vec<bool>> {
        if data.len() != self.k {
            return Err(Error::message(format!(
                "BCH(127,{}) encodes {} bits, got {}",
                self.k,
                self.k,
                data.len()
            )));
        }
        let r = N - self.k;
        // Bit j of the word is the coefficient of x^(N-1-j). Remainder of data(x) * x^r by g.
        let mut rem = [false; N];
        for (j, &b) in data.iter().enumerate() {
            rem[N - 1 - j] = b;
        }
        for deg in (r..N).rev() {
            if rem[deg] {
                for (d, &gc) in self.generator.iter().enumerate() {
                    if gc {
                        rem[deg - r + d] ^= true;
                    }
                }
            }
        }
        let mut word = data.to_vec();
        word.extend((0..r).rev().map(|deg| rem[deg]));
        Ok(word)
    }

    /// Corrects up to `t` errors in a received 127-bit word; `None` when it is not within `t`
    /// of any code word (detected as uncorrectable).
    pub fn decode(&self, word: &[bool]) -> Option<Corrected> {
        if word.len() != N {
            return None;
        }
        let f = &self.field;
        // Syndromes S_i = r(alpha^i), i = 1..2t: the odd ones summed (the exponent of bit j,
        // i (N - 1 - j) mod N, stepped down by i), the even ones S_2i = S_i^2 (a binary word).
        let mut syn = vec![0u8; 2 * self.t];
        for i in (1..=2 * self.t).step_by(2) {
            let step = i % N;
            let mut e = (i * (N - 1)) % N;
            let mut acc = 0u8;
            for &b in word {
                if b {
                    acc ^= f.exp[e];
                }
                e = if e >= step { e - step } else { e + N - step };
            }
            syn[i - 1] = acc;
        }
        for i in (2..=2 * self.t).step_by(2) {
            syn[i - 1] = f.mul(syn[i / 2 - 1], syn[i / 2 - 1]);
        }
        let mut fixed = word.to_vec();
        if syn.iter().all(|&s| s == 0) {
            return Some(Corrected {
                data: fixed[..self.k].to_vec(),
                errors: 0,
            });
        }
        // Berlekamp-Massey: error locator C(x).
        let mut c = vec![1u8];
        let mut b = vec![1u8];
        let (mut l, mut m, mut bd) = (0usize, 1usize, 1u8);
        for n in 0..syn.len() {
            let mut d = syn[n];
            for i in 1..=l.min(c.len() - 1) {
                d ^= f.mul(c[i], syn[n - i]);
            }
            if d == 0 {
                m += 1;
                continue;
            }
            let coef = f.div(d, bd);
            let mut next = c.clone();
            if next.len() < b.len() + m {
                next.resize(b.len() + m, 0);
            }
            for (i, &bi) in b.iter().enumerate() {
                next[i + m] ^= f.mul(coef, bi);
            }
            if 2 * l <= n {
                b = c;
                l = n + 1 - l;
                bd = d;
                m = 1;
            } else {
                m += 1;
            }
            c = next;
        }
        while c.len() > 1 && c[c.len() - 1] == 0 {
            c.pop();
        }
        let degree = c.len() - 1;
        if degree != l || l > self.t {
            return None;
        }
        // Chien search: an error at degree p when C(alpha^-p) = 0. Term i is
        // c_i alpha^(-i p): its exponent log c_i - i p (mod N) steps down by i per p. A
        // polynomial of degree l has at most l roots, so the search stops at the l-th.
        let mut terms: Vec<(usize, usize)> = c
            .iter()
            .enumerate()
            .filter(|&(_, &ci)| ci != 0)
            .map(|(i, &ci)| (f.log[ci as usize] as usize, i % N))
            .collect();
        let mut found = 0;
        for p in 0..N {
            let mut v = 0u8;
            for (e, step) in terms.iter_mut() {
                v ^= f.exp[*e];
                *e = if *e >= *step {
                    *e - *step
                } else {
                    *e + N - *step
                };
            }
            if v == 0 {
                let j = N - 1 - p;
                fixed[j] = !fixed[j];
                found += 1;
                if found == l {
                    break;
                }
            }
        }
        if found != l {
            return None;
        }
        Some(Corrected {
            data: fixed[..self.k].to_vec(),
            errors: found,
        })
    }

    /// Soft-decision decoding (Chase II): tries the hard word, then every pattern of flips of
    /// its `flips` least reliable bits (`reliability[i]`: larger means surer), and keeps the
    /// code word nearest to the hard word among those that decode and that `accept` takes
    /// (e.g. a version tag). Returns it with its distance to the hard word; `None` when no
    /// pattern decodes. `2^flips` decodings are tried: a caller's false-decode bound must
    /// count them (`false_decode_probability(t, ..) * 2^flips`).
    pub fn decode_soft(
        &self,
        hard: &[bool],
        reliability: &[f32],
        flips: usize,
        accept: &dyn Fn(&Corrected) -> bool,
    ) -> Option<Corrected> {
        if hard.len() != N || reliability.len() != N || flips > 16 {
            return None;
        }
        let mut order: Vec<usize> = (0..N).collect();
        order.sort_by(|&a, &b| reliability[a].total_cmp(&reliability[b]));
        let weak = &order[..flips];
        let mut best: Option<Corrected> = None;
        let mut word = hard.to_vec();
        for pattern in 0u32..(1u32 << flips) {
            for (j, &i) in weak.iter().enumerate() {
                word[i] = hard[i] ^ (pattern >> j & 1 == 1);
            }
            let Some(c) = self.decode(&word) else {
                continue;
            };
            if !accept(&c) {
                continue;
            }
            // Distance from the hard word to the code word found.
            let flipped = pattern.count_ones() as usize;
            let code = match self.encode(&c.data) {
                Ok(code) => code,
                Err(_) => continue,
            };
            let distance = code.iter().zip(hard).filter(|(a, b)| a != b).count();
            debug_assert!(distance <= c.errors + flipped);
            if best.as_ref().is_none_or(|b| distance < b.errors) {
                best = Some(Corrected {
                    data: c.data,
                    errors: distance,
                });
            }
        }
        best
    }

    /// Probability that a uniformly random 127-bit word decodes with at most `errors`
    /// corrections to a code word whose data bits lie in a set of `2^free_bits` allowed
    /// values (`free_bits <= k`; fixed data bits such as a version tag shrink the set).
    pub fn false_decode_probability(&self, errors: usize, free_bits: usize) -> f64 {
        let ln_ball = ln_hamming_ball(N, errors.min(N));
        let ln2 = std::f64::consts::LN_2;
        ((free_bits.min(self.k) as f64 - N as f64) * ln2 + ln_ball)
            .exp()
            .min(1.0)
    }
}

/// ln of sum_{i<=e} C(n, i).
fn ln_hamming_ball(n: usize, e: usize) -> f64 {
    let mut term = 0.0f64; // ln C(n, i)
    let mut ln_acc = 0.0f64; // ln of the sum so far
    for i in 1..=e {
        term += ((n - i + 1) as f64).ln() - (i as f64).ln();
        let (hi, lo) = if term > ln_acc {
            (term, ln_acc)
        } else {
            (ln_acc, term)
        };
        ln_acc = hi + (lo - hi).exp().ln_1p();
    }
    ln_acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng_bits(seed: u64, n: usize) -> Vec<bool> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 62) & 1 == 1
            })
            .collect()
    }

    #[test]
    fn t15_code_has_36_data_bits_and_encodes_to_code_words() {
        let code = Bch::new(15).unwrap();
        assert_eq!((code.n(), code.k()), (127, 36));
        let data = rng_bits(1, 36);
        let word = code.encode(&data).unwrap();
        assert_eq!(&word[..36], &data[..]);
        let back = code.decode(&word).unwrap();
        assert_eq!((back.data, back.errors), (data, 0));
    }

    #[test]
    fn corrects_up_to_t_errors_and_refuses_more() {
        let code = Bch::new(15).unwrap();
        let mut refused = 0;
        for trial in 0..40u64 {
            let data = rng_bits(100 + trial, 36);
            let word = code.encode(&data).unwrap();
            let errors = (trial % 20) as usize; // 0..19
            let mut noisy = word.clone();
            let mut s = trial * 7919 + 3;
            let mut flipped = std::collections::BTreeSet::new();
            while flipped.len() < errors {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                flipped.insert((s >> 33) as usize % 127);
            }
            for &p in &flipped {
                noisy[p] = !noisy[p];
            }
            match code.decode(&noisy) {
                Some(c) if errors <= 15 => {
                    assert_eq!(c.data, data, "trial {trial}");
                    assert_eq!(c.errors, errors);
                }
                Some(c) => assert_ne!(c.data, data, "more than t errors cannot decode right"),
                None => {
                    assert!(errors > 15, "{errors} errors must be corrected");
                    refused += 1;
                }
            }
        }
        assert!(refused > 0);
    }

    #[test]
    fn soft_decoding_corrects_beyond_t_when_the_extra_errors_are_unreliable() {
        let code = Bch::new(15).unwrap();
        let data = rng_bits(7, code.k());
        let word = code.encode(&data).unwrap();
        // 18 errors: beyond t = 15 for the hard decoder.
        let mut hard = word.clone();
        let mut reliability = vec![1.0f32; N];
        for i in 0..18 {
            let at = (i * 7 + 3) % N;
            hard[at] = !hard[at];
            // The last four errors are among the least reliable bits.
            if i >= 14 {
                reliability[at] = 0.01 * i as f32;
            }
        }
        assert!(code.decode(&hard).is_none());
        let any = |_: &Corrected| true;
        let c = code.decode_soft(&hard, &reliability, 6, &any).unwrap();
        assert_eq!(c.data, data);
        assert_eq!(c.errors, 18);
        // The same errors, all reliable: soft decoding cannot find them.
        let sure = vec![1.0f32; N];
        assert!(code
            .decode_soft(&hard, &sure, 6, &any)
            .is_none_or(|c| c.data != data));
        // `accept` filters what is returned.
        let none = |_: &Corrected| false;
        assert!(code.decode_soft(&hard, &reliability, 6, &none).is_none());
    }

    #[test]
    fn random_words_rarely_decode_as_the_formula_says() {
        let code = Bch::new(15).unwrap();
        // 2^(36-127) * V(127, 15): about 3e-9, so none of 2000 random words decodes.
        let p = code.false_decode_probability(15, 36);
        assert!(p > 1e-10 && p < 1e-7, "{p}");
        for seed in 0..2000 {
            assert!(code.decode(&rng_bits(seed + 10_000, 127)).is_none());
        }
        // A weak code (t = 1, k = 120) decodes random words at the rate 2^(120-127) * 128 = 1.
        let weak = Bch::new(1).unwrap();
        assert_eq!(weak.k(), 120);
        assert!((weak.false_decode_probability(1, 120) - 1.0).abs() < 1e-9);
        let decoded = (0..500)
            .filter(|&s| weak.decode(&rng_bits(s, 127)).is_some())
            .count();
        assert_eq!(
            decoded, 500,
            "Hamming(127,120) is perfect: every word decodes"
        );
        assert!((ln_hamming_ball(10, 10) - (1024f64).ln()).abs() < 1e-9);
    }
}
