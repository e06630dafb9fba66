//! `audit`: does a suspect collection derive from a marked copy, and whose?

use super::files::{self, extension, walk, READABLE};
use super::manifest::Manifest;
use super::{sha256_hex, Progress};
use crate::detector::DEFAULT_FPR;
use crate::error::{Error, Result};
use crate::image::{Image, Limits};
use crate::payload::Bits;
use crate::scheme::{Reading, Scheme};
use crate::stats;
use crate::EdgemarkV3;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Files named per recipient in [`RecipientEvidence::found`] (the rest are counted).
const LISTED: usize = 100;
/// Read errors kept in [`Audit::errors`] (the rest are counted in `unreadable`).
const ERRORS_KEPT: usize = 20;

/// How [`audit`] decides.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    fpr: f64,
    limits: Limits,
}

impl Default for AuditOptions {
    /// False-positive rate [`DEFAULT_FPR`] (1e-6) for the whole audit, default decode limits.
    fn default() -> Self {
        AuditOptions {
            fpr: DEFAULT_FPR,
            limits: Limits::default(),
        }
    }
}

impl AuditOptions {
    /// The false-positive rate of the audit's decision (0 < fpr < 1): the chance that a
    /// collection unrelated to every manifest is reported as derived from one.
    pub fn with_fpr(mut self, fpr: f64) -> Result<AuditOptions> {
        self.fpr = crate::detector::check_fpr(fpr)?;
        Ok(self)
    }

    /// Decode limits for the suspect images.
    pub fn with_limits(mut self, limits: Limits) -> AuditOptions {
        self.limits = limits;
        self
    }
}

/// The audit's answer (the JSON `edgemark dataset audit` prints).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Audit {
    /// Whether the collection derives from a marked copy (`p_value <= fpr`).
    pub detected: bool,
    /// The smallest recipient p-value (each already corrected for the number of recipients).
    pub p_value: f64,
    /// The recipient named, when detected.
    pub recipient: Option<String>,
    /// Images read.
    pub images: u64,
    /// Images that alone name the recipient reported (or the most likely one) at `fpr`.
    pub marked_found: u64,
    /// Image files that could not be read (corrupt, too small or flat for the reader).
    pub unreadable: u64,
    /// Files that are not images (skipped).
    pub other_files: u64,
    /// The false-positive rate decided at.
    pub fpr: f64,
    /// Evidence per recipient, in the manifests' order.
    pub recipients: Vec<RecipientEvidence>,
    /// Read errors, at most 20 of them, sorted (all are counted in `unreadable`).
    pub errors: Vec<String>,
    /// Wall time of the audit.
    pub seconds: f64,
    /// Images read per second.
    pub images_per_second: f64,
    /// Threads used.
    pub threads: usize,
}

/// The evidence for one recipient.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RecipientEvidence {
    /// The recipient's name.
    pub recipient: String,
    /// Their payload (hex).
    pub payload: String,
    /// `min(1, 2 * min(copies_p_value, weak.p_value) * recipients)`.
    pub p_value: f64,
    /// `p_value <= fpr`.
    pub detected: bool,
    /// Copies: the smallest per-image p-value times the number of images.
    pub copies_p_value: f64,
    /// Images that alone name this recipient at `fpr` (their p-value times the number of
    /// recipients at most `fpr`).
    pub marked_found: u64,
    /// Files byte-identical to this recipient's marked files (the manifest's digests).
    pub exact_copies: u64,
    /// Weak traces: the collection's matched code bits taken together.
    pub weak: WeakEvidence,
    /// Up to 100 of the images in `marked_found`, sorted.
    pub found: Vec<String>,
}

/// The combined bit evidence of a whole collection for one recipient.
///
/// Per code bit `j`, `S_j` is the sum over images of the bit's soft value (its z, clipped to
/// +-3; each image's most certain reading, chosen without looking at any code word). The statistic is `T = sum_j y_j S_j`, `y_j = +-1` the recipient's code bit.
/// Under the null the collection is unrelated to the owner's key, so the recipient's payload
/// is a uniformly random 32-bit word given the images: then `E[T] = 0` and
/// `Var[T] = V = sum_g W_g^2` over the code's distinct payload dependencies `g` (bits that
/// are the same for every payload are left out; bits with the same dependency are summed into
/// one `W_g`). This holds whatever the images are: shared content, near-duplicates and
/// bits that natural images tend to read one way all enter through `S`, not through an
/// assumed independence of images. The p-value is the sub-Gaussian bound
/// `exp(-T^2 / (2 V))` (Hoeffding's, for `T > 0`), floored at 2^-32. Hoeffding's bound is
/// proven for independent signs; the code word's signs are pairwise (not fully) independent
/// functions of the payload, and a unit test checks the bound against 2^20 simulated random
/// payloads for several shapes of `S`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WeakEvidence {
    /// `exp(-z^2 / 2)` for `z > 0` (at least 2^-32: the null's only randomness is the
    /// 32-bit payload), else 1.
    pub p_value: f64,
    /// `T / sqrt(V)`.
    pub z: f64,
    /// Hard code bits matching the recipient's code word, over all images (the 123 bits that
    /// depend on the payload).
    pub matched_bits: u64,
    /// Code bits compared (123 per image).
    pub total_bits: u64,
    /// `matched_bits / total_bits`.
    pub bit_accuracy: f64,
}

/// One recipient's code word, and what they take from every image.
struct Target {
    /// The code word as +-1 per bit.
    signs: Vec<f64>,
    name: String,
    payload: Bits,
    /// The code word's payload-dependent bits (the version tag, the same in every code word,
    /// left out: an image carrying another copy's mark matches it).
    code: Bits,
    exact: HashSet<String>,
}

#[derive(Clone, Default)]
struct Acc {
    min_p: f64,
    found: u64,
    found_files: Vec<String>,
    exact: u64,
}

#[derive(Clone, Default)]
struct Tally {
    images: u64,
    unreadable: u64,
    other: u64,
    errors: Vec<String>,
    per: Vec<Acc>,
    /// Per code bit: images that read it as 1.
    ones: Vec<u64>,
    /// Per code bit: the sum of its clipped soft z over images, in fixed point (units of
    /// 1/[`SOFT_SCALE`]) so that the sum is exact and does not depend on the order in which
    /// rayon merges the images (floats would make the z differ in the last digit from run to
    /// run).
    soft: Vec<i64>,
}

/// Soft values enter the collection statistic clipped to this |z|.
const Z_CLIP: f64 = 3.0;

/// Fixed-point scale of [`Tally::soft`]: 2^32 per unit of z. With |z| <= 3 an i64 holds the
/// sum over more than 7e8 images.
const SOFT_SCALE: f64 = 4_294_967_296.0;

impl Tally {
    fn new(n: usize) -> Tally {
        Tally {
            per: vec![
                Acc {
                    min_p: 1.0,
                    ..Acc::default()
                };
                n
            ],
            ones: vec![0; crate::schemes::V3_CODE_BITS],
            soft: vec![0; crate::schemes::V3_CODE_BITS],
            ..Tally::default()
        }
    }

    fn merge(mut self, o: Tally) -> Tally {
        self.images += o.images;
        self.unreadable += o.unreadable;
        self.other += o.other;
        self.errors.extend(o.errors);
        self.errors.sort();
        self.errors.truncate(ERRORS_KEPT);
        for (a, b) in self.per.iter_mut().zip(o.per) {
            a.min_p = a.min_p.min(b.min_p);
            a.found += b.found;
            a.found_files.extend(b.found_files);
            a.found_files.sort();
            a.found_files.truncate(LISTED);
            a.exact += b.exact;
        }
        for (a, b) in self.ones.iter_mut().zip(o.ones) {
            *a += b;
        }
        for (a, b) in self.soft.iter_mut().zip(o.soft) {
            *a += b;
        }
        self
    }

    fn error(&mut self, e: String) {
        self.unreadable += 1;
        if self.errors.len() < ERRORS_KEPT {
            self.errors.push(e);
        }
    }
}

/// Audits the folder `suspect` (any depth; images in any format EdgeMark reads) against the
/// manifests of every marked copy handed out. Reads every image once, streaming (memory does
/// not grow with the collection), on all of rayon's threads; `progress` is called after each
/// file. See the [module docs](super) for the statistics.
pub fn audit(
    manifests: &[Manifest],
    suspect: &Path,
    opts: &AuditOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Audit> {
    if manifests.is_empty() {
        return Err(Error::config("no manifest given: nothing to audit against"));
    }
    if !suspect.is_dir() {
        return Err(Error::config(format!(
            "{} is not a folder",
            suspect.display()
        )));
    }
    let scheme = EdgemarkV3::new()?;
    let groups = dependency_groups(&code_masks(&scheme)?.1);
    let mut dependent: Vec<usize> = groups.iter().flatten().copied().collect();
    dependent.sort_unstable();
    let targets: Vec<Target> = manifests
        .iter()
        .map(|m| {
            let payload = m.payload_bits()?;
            let code = scheme.code_word(&payload)?;
            Ok(Target {
                signs: code
                    .as_slice()
                    .iter()
                    .map(|&b| if b { 1.0 } else { -1.0 })
                    .collect(),
                name: m.recipient.clone(),
                code: pick(&code, &dependent),
                payload,
                exact: m.marked_hashes().map(String::from).collect(),
            })
        })
        .collect::<Result<_>>()?;
    let r = targets.len() as f64;
    let ctx = Context {
        scheme,
        targets: &targets,
        dependent: &dependent,
        opts,
    };
    let start = std::time::Instant::now();
    let total = walk(suspect).count() as u64;
    let done = AtomicU64::new(0);
    let tally = walk(suspect)
        .par_bridge()
        .fold(
            || Tally::new(targets.len()),
            |mut t, item| {
                match item {
                    Ok((abs, rel)) => read_one(&mut t, &abs, &rel, &ctx),
                    Err(e) => t.error(e.to_string()),
                }
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                progress(Progress { done: d, total });
                t
            },
        )
        .reduce(|| Tally::new(targets.len()), Tally::merge);

    let recipients: Vec<RecipientEvidence> = targets
        .iter()
        .zip(&tally.per)
        .map(|(t, a)| {
            let copies = stats::correct_for_tries(a.min_p, tally.images.max(1) as usize);
            let weak = weak_evidence(t, &tally, &groups);
            let p = (2.0 * copies.min(weak.p_value) * r).min(1.0);
            RecipientEvidence {
                recipient: t.name.clone(),
                payload: t.payload.to_hex(),
                p_value: p,
                detected: tally.images > 0 && p <= opts.fpr,
                copies_p_value: copies,
                marked_found: a.found,
                exact_copies: a.exact,
                weak,
                found: a.found_files.clone(),
            }
        })
        .collect();
    let best = recipients
        .iter()
        .min_by(|a, b| a.p_value.total_cmp(&b.p_value));
    let seconds = start.elapsed().as_secs_f64();
    Ok(Audit {
        detected: best.is_some_and(|b| b.detected),
        p_value: best.map_or(1.0, |b| b.p_value),
        recipient: best.filter(|b| b.detected).map(|b| b.recipient.clone()),
        images: tally.images,
        marked_found: best.map_or(0, |b| b.marked_found),
        unreadable: tally.unreadable,
        other_files: tally.other,
        fpr: opts.fpr,
        recipients,
        errors: tally.errors,
        seconds,
        images_per_second: tally.images as f64 / seconds.max(1e-9),
        threads: rayon::current_num_threads(),
    })
}

/// What reading one file needs.
struct Context<'a> {
    scheme: EdgemarkV3,
    targets: &'a [Target],
    /// The payload-dependent code bits.
    dependent: &'a [usize],
    opts: &'a AuditOptions,
}

/// Reads one file into the tally.
fn read_one(t: &mut Tally, abs: &Path, rel: &str, ctx: &Context<'_>) {
    let (scheme, targets, dependent, opts) = (&ctx.scheme, ctx.targets, ctx.dependent, ctx.opts);
    let recipients = targets.len() as f64;
    if !extension(abs).is_some_and(|e| READABLE.contains(&e.as_str())) {
        t.other += 1;
        return;
    }
    let readings = files::read(abs).and_then(|bytes| {
        let hash = sha256_hex(&bytes);
        for (acc, target) in t.per.iter_mut().zip(targets) {
            if target.exact.contains(&hash) {
                acc.exact += 1;
            }
        }
        let image = Image::decode_with_limits(&bytes, &opts.limits)?;
        scheme.decode(&image)
    });
    let readings: Vec<Reading> = match readings {
        Ok(r) if !r.is_empty() => r,
        Ok(_) => return t.error(format!("{rel}: no reading")),
        Err(e) => return t.error(format!("{rel}: {e}")),
    };
    t.images += 1;
    let read: Vec<Bits> = readings.iter().map(|r| pick(&r.bits, dependent)).collect();
    for (acc, target) in t.per.iter_mut().zip(targets) {
        // The known-payload p-value of the best reading (conditional on the numbers of ones of
        // the hard bits: the detector weighs v3's soft bits since session 29, so it finds a
        // weak copy the audit may not), corrected for the readings tried.
        let best = read
            .iter()
            .map(|b| stats::match_p_value(b, &target.code))
            .fold(1.0f64, f64::min);
        let p = stats::correct_for_tries(best, read.len());
        acc.min_p = acc.min_p.min(p);
        if p * recipients <= opts.fpr {
            acc.found += 1;
            if acc.found_files.len() < LISTED {
                acc.found_files.push(rel.to_string());
            }
        }
    }
    // The most certain reading (largest mean |soft|): chosen without looking at any code word,
    // which is all the collection statistic's null needs (see `WeakEvidence`).
    let first = readings
        .iter()
        .max_by(|a, b| a.certainty().total_cmp(&b.certainty()))
        .unwrap_or(&readings[0]);
    for ((ones, soft), (&b, &p)) in t
        .ones
        .iter_mut()
        .zip(t.soft.iter_mut())
        .zip(first.bits.as_slice().iter().zip(&first.soft))
    {
        *ones += b as u64;
        *soft += (z_of(p) * SOFT_SCALE).round() as i64;
    }
}

/// The bits of `bits` at `positions`.
fn pick(bits: &Bits, positions: &[usize]) -> Bits {
    Bits::new(
        positions
            .iter()
            .map(|&j| bits.get(j).unwrap_or(false))
            .collect(),
    )
}

/// The clipped z of a v3 soft bit ([`crate::schemes::soft_z`]).
fn z_of(p: f32) -> f64 {
    crate::schemes::soft_z(p).clamp(-Z_CLIP, Z_CLIP)
}

/// The code's linear structure: bit `j` of the code word of payload `d` is
/// `c0_j xor <mask_j, d>`. Returns `c0` (the code word of payload 0) and each bit's `mask`, the
/// 32-bit mask of payload bits it is the parity of.
fn code_masks(scheme: &EdgemarkV3) -> Result<(Vec<bool>, Vec<u32>)> {
    let width = crate::schemes::V3_PAYLOAD_BITS;
    let word = |d: u32| -> Result<Vec<bool>> {
        Ok(scheme
            .code_word(&Bits::from_u128(d as u128, width)?)?
            .as_slice()
            .to_vec())
    };
    let c0 = word(0)?;
    let mut mask = vec![0u32; c0.len()];
    for i in 0..width {
        let ci = word(1u32 << i)?;
        for (j, m) in mask.iter_mut().enumerate() {
            if ci[j] != c0[j] {
                *m |= 1 << i;
            }
        }
    }
    Ok((c0, mask))
}

/// The code bits that depend on the payload, grouped by mask (see [`code_masks`]); bits with
/// mask 0 (the version tag, and any bit the payload does not reach) are left out.
fn dependency_groups(mask: &[u32]) -> Vec<Vec<usize>> {
    let mut by_mask: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (j, &m) in mask.iter().enumerate() {
        if m != 0 {
            by_mask.entry(m).or_default().push(j);
        }
    }
    by_mask.into_values().collect()
}

/// The smallest p-value the collection statistic reports: the null's only randomness is the
/// 32-bit payload, so no outcome is rarer than one payload in 2^32.
const WEAK_FLOOR: f64 = 1.0 / 4_294_967_296.0;

/// The collection statistic for one recipient (see [`WeakEvidence`]).
fn weak_evidence(t: &Target, tally: &Tally, groups: &[Vec<usize>]) -> WeakEvidence {
    let n = tally.images;
    let (mut stat, mut var) = (0.0f64, 0.0f64);
    for g in groups {
        let w: f64 = g
            .iter()
            .map(|&j| t.signs[j] * (tally.soft[j] as f64 / SOFT_SCALE))
            .sum();
        stat += w;
        var += w * w;
    }
    let z = if var > 0.0 { stat / var.sqrt() } else { 0.0 };
    let p_value = if z > 0.0 {
        (-z * z / 2.0).exp().max(WEAK_FLOOR)
    } else {
        1.0
    };
    let matched: u64 = groups
        .iter()
        .flatten()
        .map(|&j| {
            let ones = tally.ones[j];
            if t.signs[j] > 0.0 {
                ones
            } else {
                n - ones
            }
        })
        .sum();
    let total = n * groups.iter().map(Vec::len).sum::<usize>() as u64;
    WeakEvidence {
        p_value,
        z,
        matched_bits: matched,
        total_bits: total,
        bit_accuracy: if total > 0 {
            matched as f64 / total as f64
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64* for the simulation.
    struct Rng(u64);
    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn unit(&mut self) -> f32 {
            (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
        }
    }

    #[test]
    fn the_version_tag_is_left_out_and_the_rest_is_in_distinct_groups() {
        let scheme = EdgemarkV3::new().unwrap();
        let groups = dependency_groups(&code_masks(&scheme).unwrap().1);
        let bits: usize = groups.iter().map(Vec::len).sum();
        assert_eq!(bits, 123, "127 code bits minus the 4 version bits");
    }

    /// The sub-Gaussian bound against the statistic's real null: `S` fixed, the payload drawn
    /// uniformly (2^20 times) and encoded by the code's linearity. For several shapes of `S`
    /// (even, heavy-tailed, a few dominant bits) the share of payloads reaching each z is at
    /// most the bound (plus sampling slack).
    #[test]
    fn the_tail_bound_holds_over_random_payloads() {
        let scheme = EdgemarkV3::new().unwrap();
        let (c0, mask) = code_masks(&scheme).unwrap();
        let groups = dependency_groups(&mask);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let shapes: Vec<Vec<f64>> = vec![
            (0..127).map(|_| rng.unit() as f64 * 2.0 - 1.0).collect(),
            (0..127)
                .map(|_| {
                    let u = rng.unit() as f64;
                    (u - 0.5).signum() * (1.0 / (1e-3 + u.min(1.0 - u))).powf(0.8)
                })
                .collect(),
            (0..127)
                .map(|j| {
                    if j % 40 == 0 {
                        30.0
                    } else {
                        rng.unit() as f64 - 0.5
                    }
                })
                .collect(),
        ];
        let draws = 1u32 << 20;
        for s in &shapes {
            let var: f64 = groups
                .iter()
                .map(|g| {
                    let w: f64 = g.iter().map(|&j| if c0[j] { s[j] } else { -s[j] }).sum();
                    w * w
                })
                .sum();
            let zs = [2.0f64, 3.0, 3.5, 4.0];
            let mut over = [0u32; 4];
            for _ in 0..draws {
                let d = (rng.next_u64() & 0xFFFF_FFFF) as u32;
                let t: f64 = groups
                    .iter()
                    .flatten()
                    .map(|&j| {
                        let bit = c0[j] ^ ((mask[j] & d).count_ones() & 1 == 1);
                        if bit {
                            s[j]
                        } else {
                            -s[j]
                        }
                    })
                    .sum();
                let z = t / var.sqrt();
                for (o, &zt) in over.iter_mut().zip(&zs) {
                    *o += (z >= zt) as u32;
                }
            }
            for (&o, &z) in over.iter().zip(&zs) {
                let share = o as f64 / draws as f64;
                let bound = (-z * z / 2.0).exp();
                eprintln!("z {z}: {share:.2e} of payloads, bound {bound:.2e}");
                assert!(
                    share <= bound * 1.1 + 5.0 / draws as f64,
                    "z {z}: {share:.2e} of payloads vs bound {bound:.2e}"
                );
            }
        }
    }
}
