//! Telling generators apart. Two watermarks of the same per-block rule with different
//! messages are not independent: an image marked with message `A` (`n_a` bits, block `i`
//! carrying `A[i mod n_a]`) read with another message length `n_b` gives, at bit `j`, the
//! majority of `A`'s bits over the blocks `i = j mod n_b`: a known mixture of `A`. Messages
//! made of ASCII text share structure (every byte's top bit is 0, letters set the next one),
//! and Stable Diffusion 1's message is the start of its inpainting model's, so such a reading
//! can match `B`'s message far better than chance although the image carries `A`.
//!
//! When two such findings are both detected, the weaker one (`B`) is tested again on the bits
//! where `A`'s mark would make `B`'s reading disagree with `B`'s message: there `B`'s own mark
//! reads `B`'s message while `A`'s reads the opposite. On an unmarked image those bits are as
//! fair as the others (the positions depend only on the two messages and the image's size),
//! so the re-test only removes detections and the false-positive rate cannot rise. A finding
//! that fails it is reported as not detected, with `explained_by` naming `A`, and with the
//! re-test's p-value as its p-value (then also its `watermark_p_value`). An explaining finding
//! may itself be explained away later; either way only detections are removed.
//!
//! Before that, a detected reading that repeats with the block layout's period more than its
//! message does is set aside as repeating content (stripes, table columns: see
//! [`periodic_reading`]), with `explained_by` saying so and its p-value kept.

use crate::detector::Finding;
use crate::payload::Bits;
use crate::stats;
use crate::watermark::Watermark;

/// Positions whose predicted reading is closer to one half than this are left out.
const MIXED: f64 = 0.1;

/// Re-tests every pair of detected findings of the same rule against each other (see the
/// module documentation). `findings[i]` is `watermarks[i]`'s, with its own (not yet
/// family-wise) p-value; decisions are at `fpr`. A finding is dropped when another one still
/// standing explains it while it does not explain that one; when each explains the other
/// (the bits cannot tell them apart), the weaker is dropped.
pub(crate) fn explain_away(
    watermarks: &[Watermark],
    findings: &mut [Finding],
    width: u32,
    height: u32,
    fpr: f64,
) {
    let layouts: Vec<_> = watermarks
        .iter()
        .map(|w| w.scheme().repeating_layout(width, height).zip(w.message()))
        .collect();
    // First, readings that repeat with the layout's period where the message does not.
    for (f, layout) in findings.iter_mut().zip(&layouts) {
        if let (true, Some((layout, message))) = (f.detected, layout) {
            if let Some(g) = periodic_reading(&f.bits, message, layout.columns) {
                f.detected = false;
                f.explained_by = Some(format!("content repeating every {g} blocks across"));
            }
        }
    }
    let mut order: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].detected && layouts[i].is_some())
        .collect();
    if order.len() < 2 {
        return;
    }
    order.sort_by(|&a, &b| {
        let p = |i: usize| findings[i].p_value.unwrap_or(1.0);
        p(a).total_cmp(&p(b))
    });
    // p-value of `b` re-tested given `a`'s mark, or `None` when the two are not comparable.
    let retest = |b: usize, a: usize| -> Option<f64> {
        let (layout_b, msg_b) = layouts[b].as_ref()?;
        let (layout_a, msg_a) = layouts[a].as_ref()?;
        let blocks = &layout_b.blocks;
        if layout_a.rule != layout_b.rule || msg_a == msg_b {
            return None;
        }
        let (fa, fb) = (&findings[a], &findings[b]);
        let flip = inverted(fa) != inverted(fb);
        let predicted = predict(msg_a, msg_b.len(), blocks);
        let keep: Vec<usize> = (0..msg_b.len())
            .filter(|&j| {
                predicted[j].is_some_and(|bit| (bit != flip) != msg_b.get(j).unwrap_or(false))
            })
            .collect();
        if keep.is_empty() {
            return Some(1.0);
        }
        let pick = |bits: &Bits| Bits::new(keep.iter().filter_map(|&j| bits.get(j)).collect());
        // The finding's correction for its readings, applied to the re-test too.
        let full = stats::match_p_value(&fb.bits, msg_b);
        let tries = match fb.p_value {
            Some(p) if full > 0.0 => (p / full).max(1.0),
            _ => 1.0,
        };
        Some((stats::match_p_value(&pick(&fb.bits), &pick(msg_b)) * tries).min(1.0))
    };
    let mut dropped: Vec<Option<(usize, f64)>> = vec![None; findings.len()];
    for (k, &b) in order.iter().enumerate() {
        for (m, &a) in order.iter().enumerate() {
            if a == b || dropped[a].is_some() {
                continue;
            }
            let Some(p) = retest(b, a) else { continue };
            if p <= fpr {
                continue;
            }
            // `a` explains `b`; unless `b` explains `a` as well and is the stronger.
            let mutual = retest(a, b).is_some_and(|q| q > fpr);
            if !mutual || m < k {
                dropped[b] = Some((a, p));
                break;
            }
        }
    }
    for (b, d) in dropped.into_iter().enumerate() {
        if let Some((a, p)) = d {
            let f = &mut findings[b];
            f.detected = false;
            f.p_value = Some(p);
            f.explained_by = Some(watermarks[a].name().to_string());
        }
    }
}

/// Readings more regular than their message: with `g = gcd(columns, n, 8)`, every block of a
/// bit lies in the same column modulo `g`, so content repeating every `g` blocks across makes
/// the reading repeat every `g` bits. Messages of bytes are regular at that period too
/// (ASCII), but less: at most 78 % of a preset's bits equal their class's majority. A reading
/// with at least [`REGULAR`] of its bits so, and [`MORE_REGULAR`] more than its message, is
/// taken for such content and not counted (it only removes detections). Returns `g`.
fn periodic_reading(reading: &Bits, message: &Bits, columns: usize) -> Option<usize> {
    let g = stats::gcd(stats::gcd(columns, message.len()), 8);
    if g < 2 || reading.len() != message.len() {
        return None;
    }
    let (r, m) = (regularity(reading, g), regularity(message, g));
    (r >= REGULAR && r >= m + MORE_REGULAR).then_some(g)
}

/// See [`periodic_reading`].
const REGULAR: f64 = 0.9;
const MORE_REGULAR: f64 = 0.1;

/// Share of the bits equal to the majority of their class modulo `g`.
fn regularity(bits: &Bits, g: usize) -> f64 {
    let b = bits.as_slice();
    if b.is_empty() {
        return 0.0;
    }
    let agree: usize = (0..g)
        .map(|c| {
            let (ones, all) = b
                .iter()
                .skip(c)
                .step_by(g)
                .fold((0, 0), |(o, a), &x| (o + usize::from(x), a + 1));
            ones.max(all - ones)
        })
        .sum();
    agree as f64 / b.len() as f64
}

fn inverted(f: &Finding) -> bool {
    f.variant.ends_with("inverted")
}

/// What a reading with `n` bits shows of a perfect mark of `message` spread over `blocks`
/// blocks per channel: per bit, the majority of the message bits its blocks carry, or `None`
/// when that majority is within [`MIXED`] of one half.
fn predict(message: &Bits, n: usize, blocks: &[usize]) -> Vec<Option<bool>> {
    let m = message.len().max(1);
    let mut ones = vec![0usize; n];
    let mut count = vec![0usize; n];
    for &total in blocks {
        for i in 0..total {
            ones[i % n] += usize::from(message.get(i % m).unwrap_or(false));
            count[i % n] += 1;
        }
    }
    ones.iter()
        .zip(&count)
        .map(|(&o, &c)| {
            let f = o as f64 / c.max(1) as f64;
            (c > 0 && (f - 0.5).abs() >= MIXED).then_some(f > 0.5)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regularity_counts_bits_that_follow_their_class() {
        let periodic = Bits::parse("bits:0110000001100000011000000110000001100000").unwrap();
        assert_eq!(regularity(&periodic, 8), 1.0);
        let sd2 = Bits::from_bytes(b"SDV2");
        assert!((regularity(&sd2, 8) - 25.0 / 32.0).abs() < 1e-9);
        // A reading that repeats every 8 bits, taken for content when the row of blocks is a
        // multiple of 8 long; the message itself is not.
        let bar = Bits::new((0..32).map(|j| j % 8 < 2).collect());
        assert_eq!(periodic_reading(&bar, &sd2, 128), Some(8));
        assert_eq!(periodic_reading(&sd2, &sd2, 128), None);
        // Rows of 9 blocks: no common period with the message, nothing to say.
        assert_eq!(periodic_reading(&bar, &sd2, 9), None);
    }

    #[test]
    fn a_prefix_message_predicts_its_own_bits() {
        // B is the first half of A; with as many blocks as A has bits, each B bit j sees A's
        // bits j and j + 8 of a 16-bit A.
        let a = Bits::parse("bits:1100101011110000").unwrap();
        let p = predict(&a, 8, &[16]);
        let want: Vec<Option<bool>> = (0..8)
            .map(|j| {
                let (x, y) = (a.get(j).unwrap(), a.get(j + 8).unwrap());
                (x == y).then_some(x)
            })
            .collect();
        assert_eq!(p, want);
    }
}
