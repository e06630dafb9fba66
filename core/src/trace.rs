//! Tracing a screenshot (or a photo of a screen) back to the viewer whose
//! [overlay](crate::overlay) it shows.
//!
//! The reader is `edgemark-v3`'s: it estimates the overlay's lattice (any zoom or device pixel
//! ratio from 0.3x to 3x, small rotations, crops down to about 300x300 pixels), folds the
//! screenshot into one tile and reads the 127 code bits of every candidate geometry. Then:
//!
//! - **Without a list of issued IDs** the BCH code decides: the p-value is the chance that an
//!   image without an overlay decodes to a valid, tagged code word, times the geometries tried.
//! - **With the issued IDs** ([`Tracer::with_ids`]) every ID's code word is tested against every
//!   geometry's bits (the scheme's p-value, which weighs the soft bits) and the best is kept; its
//!   p-value is corrected for the number of IDs times the number of geometries, so the chance
//!   of naming any ID on an image without an overlay stays at most the false-positive rate.
//!
//! "The geometries tried" are those read, or all the reader's views could give (130; 13 with
//! [`Tracer::screenshots_only`]) when the reading ended early because a geometry's code
//! already named an ID at the false-positive rate corrected for all of them: the other
//! candidate geometries and the camera views of a screenshot whose synchronization is weak but
//! whose bits decode (dense text) are then not read. Such a stop never makes the
//! false-positive condition easier to meet; with a list of IDs, the geometries not read could
//! still have changed which listed ID matches best (or vetoed it, below).
//!
//! Another viewer's overlay is not "no overlay", so the p-value does not bound naming a wrong
//! listed ID there. What does: two IDs' code words differ in at least 31 of 127 bits, so a
//! clean reading of viewer B matches A's word in at most 96 bits (p about 7e-9 before any
//! correction, which a short list could pass); and a listed ID is never named when the code
//! decodes another ID at the false-positive rate on its own (`decoded_id` then says which;
//! after an early stop, among the geometries read before it).

use crate::detector::{check_fpr, DEFAULT_FPR};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::overlay::{id_bits, id_from_bits};
use crate::payload::Bits;
use crate::scheme::{Reading, Scheme};
use crate::schemes::EdgemarkV3;
use crate::stats;

/// One issued ID and who (or what device) it was issued to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Issued {
    /// The overlay ID.
    pub id: u32,
    /// A name for it (the account or device); empty when the list gives none.
    pub name: String,
}

impl Issued {
    /// An issued ID.
    pub fn new(id: u32, name: impl Into<String>) -> Issued {
        Issued {
            id,
            name: name.into(),
        }
    }
}

/// Parses a list of issued IDs: one per line, `ID[,NAME]` (ID decimal or 0x-hex, the name is
/// the rest of the line). Blank lines and lines starting with `#` are skipped, and so is a first
/// line whose ID field is `id` (a CSV header), and a leading byte-order mark. A repeated ID is
/// an error.
pub fn parse_ids(text: &str) -> Result<Vec<Issued>> {
    let mut out: Vec<Issued> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, name) = match line.split_once(',') {
            Some((id, name)) => (id.trim(), name.trim()),
            None => (line, ""),
        };
        if out.is_empty() && id.eq_ignore_ascii_case("id") {
            continue;
        }
        let id = crate::overlay::parse_id(id)
            .map_err(|e| Error::config(format!("line {}: {e}", n + 1)))?;
        if !seen.insert(id) {
            return Err(Error::config(format!(
                "line {}: ID {id} is listed twice",
                n + 1
            )));
        }
        out.push(Issued::new(id, name.trim_matches('"')));
    }
    Ok(out)
}

/// What [`Tracer::trace`] found in one image. Serializes with these field names (the
/// `edgemark trace --json` keys).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Trace {
    /// The traced ID when detected.
    pub id: Option<u32>,
    /// Its name in the list of issued IDs, when one was given and names it.
    pub name: Option<String>,
    /// Whether an overlay was found at the false-positive rate.
    pub detected: bool,
    /// The p-value of the decision (corrected for every ID and geometry tried, or that could
    /// have been tried when the reading stopped on decided bits: see the module docs); `None`
    /// when nothing could be read (a flat image).
    pub p_value: Option<f64>,
    /// Code bits of the best geometry that agree with the traced ID's code word (with a list of
    /// IDs), or that the code left uncorrected (without one).
    pub matched_bits: Option<usize>,
    /// Code bits the overlay carries (127).
    pub total_bits: usize,
    /// The ID the error-correcting code decodes on its own, listed or not: evidence, not a
    /// decision at the false-positive rate (`detected` and `id` are the decision).
    pub decoded_id: Option<u32>,
    /// IDs tested: the length of the list, or 0 when the code decided alone.
    pub candidates: usize,
    /// Geometries read (each counted in the p-value, which after a stop on decided bits counts
    /// all the views could give: 130, or 13 for screenshots only).
    pub geometries: usize,
    /// The best geometry: scale, angle, quarter-turns and synchronization strength.
    pub geometry: Option<String>,
}

/// Reads overlays back from screenshots (see the module documentation).
#[derive(Clone, Debug)]
pub struct Tracer {
    scheme: EdgemarkV3,
    ids: Vec<(Issued, Bits)>,
    /// The IDs' code words packed (bit `i` of the word is code bit `i`).
    packed: Vec<u128>,
    fpr: f64,
}

/// IDs per geometry whose exact p-value is computed (the best-matching ones).
const EXACT: usize = 8;

/// Up to 128 bits packed into a word (bit `i` is `bits[i]`).
fn pack(bits: &Bits) -> u128 {
    bits.as_slice()
        .iter()
        .take(128)
        .enumerate()
        .fold(0u128, |w, (i, &b)| w | (u128::from(b) << i))
}

impl Tracer {
    /// A tracer that lets the error-correcting code name the ID, at [`DEFAULT_FPR`] (1e-6).
    pub fn new() -> Result<Tracer> {
        Ok(Tracer {
            scheme: EdgemarkV3::screen()?,
            ids: Vec::new(),
            packed: Vec::new(),
            fpr: DEFAULT_FPR,
        })
    }

    /// Tests against the issued IDs instead. An empty list is an error (a list that failed to
    /// load must not fall back to naming whatever the code decodes), and so is a repeated ID.
    pub fn with_ids(mut self, ids: Vec<Issued>) -> Result<Tracer> {
        if ids.is_empty() {
            return Err(Error::config("the list of issued IDs is empty"));
        }
        let mut seen = std::collections::HashSet::new();
        let mut coded = Vec::with_capacity(ids.len());
        for issued in ids {
            if !seen.insert(issued.id) {
                return Err(Error::config(format!("ID {} is listed twice", issued.id)));
            }
            let word = self.scheme.code_word(&id_bits(issued.id))?;
            coded.push((issued, word));
        }
        self.packed = coded.iter().map(|(_, w)| pack(w)).collect();
        self.ids = coded;
        Ok(self)
    }

    /// Reads screenshots only: no camera photos of screens (see
    /// [`EdgemarkV3::screenshots_only`]), about 10x faster on images without an overlay.
    pub fn screenshots_only(mut self) -> Tracer {
        self.scheme = self.scheme.screenshots_only();
        self
    }

    /// Decides at `fpr` per image instead, in (0, 1).
    pub fn with_fpr(mut self, fpr: f64) -> Result<Tracer> {
        self.fpr = check_fpr(fpr)?;
        Ok(self)
    }

    /// The false-positive rate per image.
    pub fn fpr(&self) -> f64 {
        self.fpr
    }

    /// Traces one image. A flat image (nothing to read) is not detected, with no p-value; an
    /// image under 96 pixels a side is an error.
    pub fn trace(&self, image: &Image) -> Result<Trace> {
        let total_bits = self.scheme.code_len();
        let candidates = self.ids.len();
        // A reading whose code names an ID at the false-positive rate even when corrected for
        // every reading the views could give ends the reading (camera views of a screenshot
        // whose synchronization is weak but whose bits decode); the p-values are then
        // corrected for all of those readings.
        let bound = self.scheme.max_readings() * candidates.max(1);
        let decisive = |r: &Reading| {
            self.scheme
                .decode_payload(r)
                .is_some_and(|d| stats::correct_for_tries(d.p_value, bound) <= self.fpr)
        };
        let (readings, corrected_for) = match self.scheme.trace_readings(image, &decisive) {
            Ok(r) => r,
            Err(Error::Unreadable(_)) => (Vec::new(), 0),
            Err(e) => return Err(e),
        };
        let mut trace = Trace {
            id: None,
            name: None,
            detected: false,
            p_value: None,
            matched_bits: None,
            total_bits,
            decoded_id: None,
            candidates,
            geometries: readings.len(),
            geometry: None,
        };
        if readings.is_empty() {
            return Ok(trace);
        }
        let tries = corrected_for * candidates.max(1);
        // The code's own decoding: the most significant geometry.
        let decoded = readings
            .iter()
            .filter_map(|r| Some((r, self.scheme.decode_payload(r)?)))
            .min_by(|a, b| a.1.p_value.total_cmp(&b.1.p_value));
        if let Some((_, d)) = &decoded {
            trace.decoded_id = id_from_bits(&d.payload).ok();
        }
        // An ID the code names on its own at the false-positive rate.
        let confident = decoded
            .as_ref()
            .filter(|(_, d)| stats::correct_for_tries(d.p_value, tries) <= self.fpr)
            .and(trace.decoded_id);
        if candidates == 0 {
            let Some((r, d)) = decoded else {
                trace.p_value = Some(1.0);
                trace.geometry = readings.first().map(|r| r.variant.clone());
                return Ok(trace);
            };
            let p = stats::correct_for_tries(d.p_value, tries);
            trace.p_value = Some(p);
            trace.matched_bits = Some(total_bits - d.corrected);
            trace.geometry = Some(r.variant.clone());
            if p <= self.fpr {
                trace.detected = true;
                trace.id = trace.decoded_id;
            }
            return Ok(trace);
        }
        // Every listed ID against every geometry; keep the most significant pair. Matching
        // bits are counted on packed words for all IDs; the p-value (the scheme's, which
        // weighs the soft bits) is computed for the best-matching few per geometry.
        // Missing a slightly smaller p-value among the others can only make the reported one
        // larger, never a false detection more likely.
        let mut best: Option<(f64, usize, usize)> = None;
        let mut top: Vec<(u32, usize)> = Vec::with_capacity(EXACT + 1);
        for (ri, r) in readings.iter().enumerate() {
            let bits = pack(&r.bits);
            top.clear();
            for (ii, word) in self.packed.iter().enumerate() {
                let m = total_bits as u32 - (bits ^ word).count_ones();
                if top.len() < EXACT || m > top[top.len() - 1].0 {
                    let at = top.partition_point(|&(tm, _)| tm >= m);
                    top.insert(at, (m, ii));
                    top.truncate(EXACT);
                }
            }
            for &(_, ii) in &top {
                let p = self.scheme.match_p_value(r, &self.ids[ii].1);
                if best.is_none_or(|(bp, _, _)| p < bp) {
                    best = Some((p, ri, ii));
                }
            }
        }
        if let Some((p, ri, ii)) = best {
            let p = stats::correct_for_tries(p, tries);
            let (issued, word) = &self.ids[ii];
            trace.p_value = Some(p);
            trace.matched_bits = Some(readings[ri].bits.matches(word));
            trace.geometry = Some(readings[ri].variant.clone());
            // Never a listed ID when the code itself reads another one: that screenshot shows
            // someone else's overlay.
            let contradicted = confident.is_some_and(|c| c != issued.id);
            if p <= self.fpr && !contradicted {
                trace.detected = true;
                trace.id = Some(issued.id);
                trace.name = (!issued.name.is_empty()).then(|| issued.name.clone());
            }
        }
        Ok(trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::{Overlay, DEFAULT_STRENGTH};

    /// A light page of "text": lines 18 pixels apart, 9-pixel glyph rows of dark strokes in
    /// words separated by spaces.
    fn page(w: u32, h: u32, seed: u32) -> Image {
        let mut rgb = vec![250u8; (w * h * 3) as usize];
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for line in 0..h / 18 {
            let mut x = 8;
            while x + 8 < w {
                let glyphs = 2 + next() % 7;
                for _ in 0..glyphs {
                    // A 6x9 glyph: a few random vertical and horizontal strokes.
                    let strokes = next();
                    for y in 0..9 {
                        for dx in 0..6 {
                            let v = (strokes >> dx) & 1 == 1 && (dx == 0 || dx == 4);
                            let hz = (strokes >> (8 + y)) & 1 == 1 && y % 4 == 0;
                            if (v || hz) && x + dx < w {
                                let i = (((line * 18 + 5 + y) * w + x + dx) * 3) as usize;
                                rgb[i..i + 3].copy_from_slice(&[30, 30, 40]);
                            }
                        }
                    }
                    x += 7;
                }
                x += 5;
            }
        }
        Image::from_rgb(w, h, rgb).unwrap()
    }

    #[test]
    fn ids_list_parses_with_header_names_and_comments() {
        let ids = parse_ids("id,name\n# issued 2026-12\n7,alice\n0x10, \"bob\"\n\n99\n").unwrap();
        assert_eq!(
            ids,
            vec![
                Issued::new(7, "alice"),
                Issued::new(16, "bob"),
                Issued::new(99, "")
            ]
        );
        assert!(parse_ids("7,a\n0x7,b")
            .unwrap_err()
            .to_string()
            .contains("twice"));
        assert!(parse_ids("7\nseven")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
    }

    #[test]
    fn traces_the_right_id_with_and_without_a_list_and_nothing_on_a_plain_page() {
        let plain = page(400, 300, 1);
        let shown = Overlay::new(0xA11CE, DEFAULT_STRENGTH)
            .unwrap()
            .composite(&plain);
        let open = Tracer::new().unwrap();
        let t = open.trace(&shown).unwrap();
        assert!(t.detected, "{t:?}");
        assert_eq!(t.id, Some(0xA11CE));
        assert!(t.p_value.unwrap() <= 1e-6);
        let listed = Tracer::new()
            .unwrap()
            .with_ids(vec![Issued::new(5, "eve"), Issued::new(0xA11CE, "alice")])
            .unwrap();
        let t = listed.trace(&shown).unwrap();
        assert_eq!((t.id, t.name.as_deref()), (Some(0xA11CE), Some("alice")));
        assert_eq!(t.candidates, 2);
        // Without the overlay neither tracer names anyone; a list without the ID names nobody.
        for tracer in [&open, &listed] {
            let t = tracer.trace(&plain).unwrap();
            assert!(!t.detected && t.id.is_none(), "{t:?}");
        }
        let others = Tracer::new()
            .unwrap()
            .with_ids(vec![Issued::new(5, "eve"), Issued::new(0xA11CF, "mallory")])
            .unwrap();
        let t = others.trace(&shown).unwrap();
        assert!(!t.detected && t.id.is_none(), "{t:?}");
        assert_eq!(t.decoded_id, Some(0xA11CE));
    }

    /// A screenshot whose synchronization stays under the early-stop strength (noise of +-16
    /// levels over a page of text) but whose bits decode at once: the reading ends at that
    /// geometry (the screen view's other candidates and the camera views are not read), and
    /// the p-value is corrected for every reading the views could have given.
    #[test]
    fn bits_that_decode_end_the_reading_and_are_corrected_for_every_view() {
        let (w, h) = (640, 480);
        let shown = Overlay::new(0xA11CE, DEFAULT_STRENGTH)
            .unwrap()
            .composite(&page(w, h, 1));
        let mut s = 12345u32;
        let noisy: Vec<u8> = shown
            .rgb()
            .iter()
            .map(|&v| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (i32::from(v) + (s % 33) as i32 - 16).clamp(0, 255) as u8
            })
            .collect();
        let noisy = Image::from_rgb(w, h, noisy).unwrap();
        let t = Tracer::new().unwrap().trace(&noisy).unwrap();
        assert_eq!(t.id, Some(0xA11CE), "{t:?}");
        let geometry = t.geometry.as_deref().unwrap();
        let z: f32 = geometry.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(
            z < 20.0,
            "synchronized strongly enough to stop anyway: {geometry}"
        );
        // Without the early stop the screen view alone reads more geometries.
        let screen_view = EdgemarkV3::screen()
            .unwrap()
            .screenshots_only()
            .decode(&noisy)
            .unwrap()
            .len();
        assert!(
            screen_view > t.geometries,
            "{screen_view} readings of the screen view without the early stop, {} with it",
            t.geometries
        );
        // The same readings for screenshots only, corrected for that mode's bound instead.
        let fast = Tracer::new()
            .unwrap()
            .screenshots_only()
            .trace(&noisy)
            .unwrap();
        assert_eq!(t.geometries, fast.geometries);
        assert_eq!(fast.id, Some(0xA11CE), "{fast:?}");
        let ratio = t.p_value.unwrap() / fast.p_value.unwrap();
        let all = EdgemarkV3::screen().unwrap().max_readings();
        let only = EdgemarkV3::screen()
            .unwrap()
            .screenshots_only()
            .max_readings();
        // The bounds the documentation states: 10 views of at most 13 geometries, or one view.
        assert_eq!((all, only), (130, 13));
        let expected = all as f64 / only as f64;
        assert!(
            (ratio / expected - 1.0).abs() < 1e-9,
            "{ratio} vs {expected}"
        );
    }

    #[test]
    fn a_photo_mark_is_not_an_overlay() {
        let v3 = EdgemarkV3::new().unwrap();
        let marked = v3.embed(&page(320, 320, 3), &id_bits(0xA11CE)).unwrap();
        let t = Tracer::new().unwrap().trace(&marked).unwrap();
        assert!(!t.detected, "{t:?}");
        // Nor with the same ID listed: the tags differ, so the code words are far apart.
        let listed = Tracer::new()
            .unwrap()
            .with_ids(vec![Issued::new(0xA11CE, "alice")])
            .unwrap();
        let t = listed.trace(&marked).unwrap();
        assert!(!t.detected, "{t:?}");
    }

    #[test]
    fn a_thousand_ids_name_the_right_one_with_the_correction_for_all() {
        let shown = Overlay::new(0x5EC3_E7A1, DEFAULT_STRENGTH)
            .unwrap()
            .composite(&page(400, 300, 5));
        let one = Tracer::new()
            .unwrap()
            .with_ids(vec![Issued::new(0x5EC3_E7A1, "x")])
            .unwrap()
            .trace(&shown)
            .unwrap();
        // The listed ID sits among 999 others, 32 of them a single bit away.
        let ids: Vec<Issued> = (0..1000u32)
            .map(|i| match i {
                700 => Issued::new(0x5EC3_E7A1, "x"),
                0..=31 => Issued::new(0x5EC3_E7A1 ^ (1 << i), ""),
                _ => Issued::new(i.wrapping_mul(2_654_435_761), ""),
            })
            .collect();
        let many = Tracer::new().unwrap().with_ids(ids).unwrap();
        let t = many.trace(&shown).unwrap();
        assert_eq!(
            (t.id, t.name.as_deref(), t.candidates),
            (Some(0x5EC3_E7A1), Some("x"), 1000)
        );
        let ratio = t.p_value.unwrap() / one.p_value.unwrap();
        assert!((ratio - 1000.0).abs() < 1e-3, "{ratio}");
        assert!(Tracer::new().unwrap().with_ids(Vec::new()).is_err());
    }

    #[test]
    fn another_viewers_overlay_never_names_a_listed_id() {
        // Viewer B's screenshot, traced against a list that has A (one bit from B) but not B.
        let (a, b) = (0x0BAD_F00D, 0x0BAD_F00C);
        let shown = Overlay::new(b, DEFAULT_STRENGTH)
            .unwrap()
            .composite(&page(400, 300, 6));
        let t = Tracer::new()
            .unwrap()
            .with_ids(vec![Issued::new(a, "alice"), Issued::new(7, "bob")])
            .unwrap()
            .trace(&shown)
            .unwrap();
        assert!(!t.detected && t.id.is_none(), "{t:?}");
        assert_eq!(t.decoded_id, Some(b));
    }

    #[test]
    fn a_byte_order_mark_before_the_header_is_skipped() {
        assert_eq!(
            parse_ids("\u{feff}id,name\n7,a\n").unwrap(),
            vec![Issued::new(7, "a")]
        );
    }

    /// A photo of a screen taken with the camera turned about the vertical axis: the scale
    /// changes by a factor of about 1.7 across it (a keystone `a = -0.16`, off the reader's
    /// keystones of 0.07 and 0.15), with sensor noise. One lattice over the photo does not
    /// synchronize (`screenshots_only`, which reads only that, names nobody), the reader's
    /// keystone view does.
    #[test]
    fn a_camera_turned_sideways_is_read_through_a_keystone() {
        let (w, h) = (640usize, 400usize);
        let shown = Overlay::new(0xC0FFEE, DEFAULT_STRENGTH)
            .unwrap()
            .composite(&page(w as u32, h as u32, 7));
        let (a, cx, cy) = (-0.16f32, w as f32 / 2.0, h as f32 / 2.0);
        let d = (cx * cx + cy * cy).sqrt();
        let (src, mut out) = (shown.rgb(), vec![0u8; w * h * 3]);
        let mut state = 0x9E37_79B9u32;
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                let den = 1.0 + a * dx / d;
                let (sx, sy) = (cx + dx / den - 0.5, cy + dy / den - 0.5);
                if !(0.0..(w - 1) as f32).contains(&sx) || !(0.0..(h - 1) as f32).contains(&sy) {
                    continue;
                }
                let (x0, y0, fx, fy) = (sx as usize, sy as usize, sx.fract(), sy.fract());
                for c in 0..3 {
                    let p = |x: usize, y: usize| f32::from(src[(y * w + x) * 3 + c]);
                    let v = (p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx) * (1.0 - fy)
                        + (p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx) * fy;
                    // Noise of about 2.4 levels RMS: 6 x (the sum of two uniform draws - 1).
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    let n = (state & 0xFF) as f32 / 255.0 + (state >> 24) as f32 / 255.0 - 1.0;
                    out[(y * w + x) * 3 + c] = (v + 6.0 * n).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        let photo = Image::from_rgb(w as u32, h as u32, out).unwrap();
        let t = Tracer::new().unwrap().trace(&photo).unwrap();
        assert!(t.detected, "{t:?}");
        assert_eq!(t.id, Some(0xC0FFEE));
        assert!(
            t.geometry.as_deref().unwrap().starts_with("keystone"),
            "{t:?}"
        );
        let flat = Tracer::new()
            .unwrap()
            .screenshots_only()
            .trace(&photo)
            .unwrap();
        assert!(!flat.detected, "{flat:?}");
    }
}
