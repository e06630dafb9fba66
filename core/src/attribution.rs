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
//! that fails it is reported as not detected, with `explained_by` naming `A`.

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
        let ((rule_b, blocks), msg_b) = layouts[b].as_ref()?;
        let ((rule_a, _), msg_a) = layouts[a].as_ref()?;
        if rule_a != rule_b || msg_a == msg_b {
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
