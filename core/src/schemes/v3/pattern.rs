//! The key-derived tile of `edgemark-v3`: a `TILE x TILE` periodic pattern made of cosines at
//! chosen frequencies of the tile's Fourier grid. Some frequencies carry a fixed synchronization
//! signal (known phase), the others one code bit each (phase flipped by the bit). Every
//! frequency lies in a mid band (periods of 10 to 26 pixels at the embedding resolution) that
//! survives JPEG, blur and down-scaling to 0.3x; distinct frequencies keep the bits orthogonal.

use std::f32::consts::PI;
use std::sync::OnceLock;

/// Tile side in pixels at the embedding resolution.
pub(crate) const TILE: usize = 128;
/// Frequency band, in cycles per tile.
const R_LO: f32 = 5.0;
const R_HI: f32 = 12.5;
/// Frequencies given to the synchronization signal.
const SYNC_BINS: usize = 48;
/// Code bits (BCH(127, 36)).
pub(crate) const CODE_BITS: usize = 127;
/// Seed of the public key that lays out the frequencies and phases.
const KEY: u64 = 0xED6E_3A4B_0003_5EED;

/// One frequency of the tile: `ku` cycles per tile along x, `kv` along y, and its phase.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bin {
    pub ku: i32,
    pub kv: i32,
    pub phase: f32,
}

/// Which frequency does what.
#[derive(Debug)]
pub(crate) struct Layout {
    pub sync: Vec<Bin>,
    pub data: Vec<Bin>,
    /// In-band frequencies left unused: a reference for the noise level.
    pub spare: Vec<(i32, i32)>,
}

/// SplitMix64: the key's pseudo-random stream (stable across platforms).
pub(crate) struct SplitMix(u64);
impl SplitMix {
    pub(crate) fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// The layout for the public key.
pub(crate) fn layout() -> &'static Layout {
    static LAYOUT: OnceLock<Layout> = OnceLock::new();
    LAYOUT.get_or_init(|| {
        let half = (TILE / 2) as i32;
        let mut bins = Vec::new();
        for kv in 0..half {
            for ku in -half + 1..half {
                if kv == 0 && ku <= 0 {
                    continue; // one of each +-k pair
                }
                let r = ((ku * ku + kv * kv) as f32).sqrt();
                if (R_LO..=R_HI).contains(&r) {
                    bins.push((ku, kv));
                }
            }
        }
        let mut rng = SplitMix::new(KEY);
        // Fisher-Yates with the key's stream.
        for i in (1..bins.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            bins.swap(i, j);
        }
        let mut take = |n: usize, from: &mut std::vec::IntoIter<(i32, i32)>| -> Vec<Bin> {
            from.by_ref()
                .take(n)
                .map(|(ku, kv)| Bin {
                    ku,
                    kv,
                    phase: 2.0 * PI * rng.unit(),
                })
                .collect()
        };
        let mut it = bins.into_iter();
        let sync = take(SYNC_BINS, &mut it);
        let data = take(CODE_BITS, &mut it);
        let spare = it.collect();
        Layout { sync, data, spare }
    })
}

/// The tile for a code word (`CODE_BITS` bits), row-major `TILE x TILE`, unit RMS: every
/// frequency a cosine of its phase (a code bit of 0 adds half a turn), summed directly.
///
/// Computed with basic IEEE operations only, in a fixed order ([`sin_cos`] instead of the
/// platform's `sin`/`cos`, no FFT whose SIMD paths differ by target), so that every platform
/// gets the same bits: the screen overlay's tile is quantized from it, and the CLI, the C ABI
/// and the npm package must render byte-identical tiles.
pub(crate) fn tile(code: &[bool]) -> Vec<f32> {
    let l = layout();
    let n = TILE;
    let turn = |m: usize| sin_cos(2.0 * std::f64::consts::PI * m as f64 / n as f64);
    let table: Vec<(f64, f64)> = (0..n).map(turn).collect();
    let term = |b: &Bin, flip: bool| {
        let (s, c) = sin_cos(f64::from(b.phase));
        let sign = if flip { -1.0 } else { 1.0 };
        (b.ku, b.kv, sign * c, sign * s)
    };
    let terms: Vec<(i32, i32, f64, f64)> = l
        .sync
        .iter()
        .map(|b| term(b, false))
        .chain(l.data.iter().zip(code).map(|(b, &bit)| term(b, !bit)))
        .collect();
    let mut t = vec![0.0f64; n * n];
    for (y, row) in t.chunks_exact_mut(n).enumerate() {
        for (x, v) in row.iter_mut().enumerate() {
            let mut acc = 0.0;
            for &(ku, kv, c, s) in &terms {
                // cos(2 pi (ku x + kv y) / n + phase)
                let m = (ku * x as i32 + kv * y as i32).rem_euclid(n as i32) as usize;
                let (sa, ca) = table[m];
                acc += ca * c - sa * s;
            }
            *v = acc;
        }
    }
    let rms = (t.iter().map(|v| v * v).sum::<f64>() / t.len() as f64).sqrt();
    let k = if rms > 0.0 { 1.0 / rms } else { 0.0 };
    t.iter().map(|v| (v * k) as f32).collect()
}

/// `(sin x, cos x)` from basic IEEE operations only (reduction to a quarter turn, then Taylor
/// polynomials to the 17th/16th power, error under 1e-16 on `[-pi/4, pi/4]`): the same bits
/// on every platform, unlike the C library's or Rust's libm, which differ in the last bit.
pub(crate) fn sin_cos(x: f64) -> (f64, f64) {
    const HALF_PI: f64 = std::f64::consts::FRAC_PI_2;
    let q = (x / HALF_PI).round();
    let r = x - q * HALF_PI;
    let r2 = r * r;
    let s = r
        * (1.0
            + r2 * (-1.0 / 6.0
                + r2 * (1.0 / 120.0
                    + r2 * (-1.0 / 5040.0
                        + r2 * (1.0 / 362_880.0
                            + r2 * (-1.0 / 39_916_800.0
                                + r2 * (1.0 / 6_227_020_800.0
                                    + r2 * (-1.0 / 1_307_674_368_000.0
                                        + r2 * (1.0 / 355_687_428_096_000.0)))))))));
    let c = 1.0
        + r2 * (-0.5
            + r2 * (1.0 / 24.0
                + r2 * (-1.0 / 720.0
                    + r2 * (1.0 / 40_320.0
                        + r2 * (-1.0 / 3_628_800.0
                            + r2 * (1.0 / 479_001_600.0
                                + r2 * (-1.0 / 87_178_291_200.0
                                    + r2 * (1.0 / 20_922_789_888_000.0))))))));
    match (q as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fft;
    use super::*;
    use rustfft::num_complex::Complex32;

    #[test]
    fn layout_uses_distinct_in_band_frequencies() {
        let l = layout();
        assert_eq!((l.sync.len(), l.data.len()), (SYNC_BINS, CODE_BITS));
        let mut all: Vec<(i32, i32)> = l.sync.iter().chain(&l.data).map(|b| (b.ku, b.kv)).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), SYNC_BINS + CODE_BITS);
        for b in l.sync.iter().chain(&l.data) {
            let r = ((b.ku * b.ku + b.kv * b.kv) as f32).sqrt();
            assert!((R_LO..=R_HI).contains(&r));
        }
    }

    #[test]
    fn sin_cos_matches_the_library_to_the_last_bits() {
        for i in -2000..2000 {
            let x = i as f64 * 0.0123;
            let (s, c) = sin_cos(x);
            assert!(
                (s - x.sin()).abs() < 1e-14 && (c - x.cos()).abs() < 1e-14,
                "{x}"
            );
        }
    }

    #[test]
    fn tile_equals_the_inverse_fft_of_its_spectrum() {
        let code: Vec<bool> = (0..CODE_BITS).map(|i| i % 5 < 2).collect();
        let l = layout();
        let n = TILE;
        let mut spec = vec![Complex32::new(0.0, 0.0); n * n];
        let mut put = |b: &Bin, phase: f32| {
            let v = Complex32::from_polar(1.0, phase);
            spec[fft::bin(b.kv, n) * n + fft::bin(b.ku, n)] += v;
            spec[fft::bin(-b.kv, n) * n + fft::bin(-b.ku, n)] += v.conj();
        };
        for b in &l.sync {
            put(b, b.phase);
        }
        for (b, &bit) in l.data.iter().zip(&code) {
            put(b, if bit { b.phase } else { b.phase + PI });
        }
        let mut want = fft::inverse_real(spec, n, n);
        let rms = (want.iter().map(|v| v * v).sum::<f32>() / want.len() as f32).sqrt();
        want.iter_mut().for_each(|v| *v /= rms);
        for (a, b) in tile(&code).iter().zip(&want) {
            assert!((a - b).abs() < 1e-4, "{a} {b}");
        }
    }

    #[test]
    fn tile_has_unit_rms_and_each_bit_is_its_own_frequency() {
        let code: Vec<bool> = (0..CODE_BITS).map(|i| i % 3 == 0).collect();
        let t = tile(&code);
        let rms = (t.iter().map(|v| v * v).sum::<f32>() / t.len() as f32).sqrt();
        assert!((rms - 1.0).abs() < 1e-4);
        let spec = fft::forward_real(&t, TILE, TILE);
        for (b, &bit) in layout().data.iter().zip(&code) {
            let v = spec[fft::bin(b.kv, TILE) * TILE + fft::bin(b.ku, TILE)];
            let c = (v * Complex32::from_polar(1.0, -b.phase)).re;
            assert_eq!(c > 0.0, bit);
        }
    }
}
