//! The key-derived tile of `edgemark-v3`: a `TILE x TILE` periodic pattern made of cosines at
//! chosen frequencies of the tile's Fourier grid. Some frequencies carry a fixed synchronization
//! signal (known phase), the others one code bit each (phase flipped by the bit). Every
//! frequency lies in a mid band (periods of 10 to 26 pixels at the embedding resolution) that
//! survives JPEG, blur and down-scaling to 0.3x; distinct frequencies keep the bits orthogonal.

use super::fft;
use rustfft::num_complex::Complex32;
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

/// The tile for a code word (`CODE_BITS` bits), row-major `TILE x TILE`, unit RMS.
pub(crate) fn tile(code: &[bool]) -> Vec<f32> {
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
    for (b, &bit) in l.data.iter().zip(code) {
        put(b, if bit { b.phase } else { b.phase + PI });
    }
    let mut t = fft::inverse_real(spec, n, n);
    let rms = (t.iter().map(|v| v * v).sum::<f32>() / t.len() as f32).sqrt();
    if rms > 0.0 {
        t.iter_mut().for_each(|v| *v /= rms);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

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
