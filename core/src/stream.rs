//! Video: a sliding-window detector. Each frame's soft bits are averaged, per watermark and
//! per way of reading, over the last `window` frames; the averaged bits are then scored like
//! a single image's (the scheme's p-value against the expected message, see [`crate::stats`],
//! corrected for the number of readings tried). A watermark too weak to be read from one
//! frame is found over several, because independent per-frame noise averages out while the
//! embedded bits do not.
//!
//! # False-positive rate
//!
//! [`StreamDetector::push`] makes one decision per frame, on the window ending at that frame,
//! at the detector's false-positive rate `fpr` (over all the watermarks: the findings'
//! p-values are family-wise, as [`Detector::detect`]'s). That rate is **per decision**, not per stream: a clean
//! stream of `F` frames is tested `F` times, on overlapping windows, so the probability that
//! it fires at least once is at most `F * fpr` (union bound; overlapping windows are strongly
//! dependent, so the real rate is lower, but not by a known factor). To bound the rate per
//! stream, divide: [`StreamDetector::for_stream`] sets the per-decision rate to
//! `stream_fpr / max_frames`, which keeps the probability of any false alarm in the first
//! `max_frames` frames after a [`StreamDetector::reset`] at most `stream_fpr`. With 48 bits a
//! perfect match of a balanced message reaches p ~ 3e-14, so per-stream rates of 1e-6 stay
//! reachable for streams of up to about 10^6 frames (a few hours at 30 fps; reset between
//! streams or scenes).

use crate::detector::{self, Detector, Finding, Report};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::scheme::Reading;
use crate::watermark::Watermark;
use std::collections::VecDeque;

/// The readings of one watermark in one frame, or why it could not be read.
type FrameReadings = std::result::Result<Vec<Reading>, Error>;

/// A detector over a sliding window of video frames.
#[derive(Debug)]
pub struct StreamDetector {
    detector: Detector,
    window: usize,
    /// One queue of per-frame readings for each watermark of the detector.
    history: Vec<VecDeque<FrameReadings>>,
    last_size: Option<(u32, u32)>,
}

/// The decision after one frame.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StreamReport {
    /// Frames the decision is made on (at most the window).
    pub frames: usize,
    /// Findings on the averaged soft bits (`width`/`height` are the last frame's).
    pub report: Report,
}

impl StreamDetector {
    /// A stream detector averaging over the last `window` frames (1..=1024).
    pub fn new(detector: Detector, window: usize) -> Result<StreamDetector> {
        if !(1..=1024).contains(&window) {
            return Err(Error::Config(format!(
                "window of {window} frames out of range 1..=1024"
            )));
        }
        let history = detector
            .watermarks()
            .iter()
            .map(|_| VecDeque::new())
            .collect();
        Ok(StreamDetector {
            detector,
            window,
            history,
            last_size: None,
        })
    }

    /// A stream detector whose false-alarm probability over the first `max_frames` frames (after
    /// creation or a [`StreamDetector::reset`]) is at most `stream_fpr`: each frame's decision is
    /// made at `stream_fpr / max_frames` (Bonferroni over the decisions, see the module
    /// documentation). The detector's own rate is replaced.
    pub fn for_stream(
        detector: Detector,
        window: usize,
        stream_fpr: f64,
        max_frames: u64,
    ) -> Result<StreamDetector> {
        if max_frames == 0 {
            return Err(Error::Config("max_frames must be at least 1".into()));
        }
        if !(stream_fpr > 0.0 && stream_fpr < 1.0) {
            return Err(Error::Config(format!(
                "stream false-positive rate {stream_fpr} must be in (0, 1)"
            )));
        }
        let per_frame = stream_fpr / max_frames as f64;
        StreamDetector::new(detector.with_fpr(per_frame)?, window)
    }

    /// The false-positive rate of each frame's decision.
    pub fn fpr_per_decision(&self) -> f64 {
        self.detector.fpr()
    }

    /// The window length in frames.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Frames currently in the window.
    pub fn frames(&self) -> usize {
        self.history.first().map_or(0, VecDeque::len)
    }

    /// Forgets every frame (a scene cut, a new stream).
    pub fn reset(&mut self) {
        self.history.iter_mut().for_each(VecDeque::clear);
        self.last_size = None;
    }

    /// Adds a frame and returns the decision over the window. A frame of another size than
    /// the previous one starts a new window (the bits would not line up).
    pub fn push(&mut self, image: &Image) -> StreamReport {
        let size = (image.width(), image.height());
        if self.last_size.is_some_and(|s| s != size) {
            self.reset();
        }
        self.last_size = Some(size);
        let fpr = self.detector.fpr();
        let session = image.memo_session();
        let mut findings = Vec::with_capacity(self.history.len());
        for (w, queue) in self.detector.watermarks().iter().zip(&mut self.history) {
            let read = w.scheme().decode(image).and_then(|r| {
                if r.is_empty() {
                    Err(detector::no_reading())
                } else {
                    Ok(r)
                }
            });
            if queue.len() == self.window {
                queue.pop_front();
            }
            queue.push_back(read);
            findings.push(decide(w, queue, fpr));
        }
        drop(session);
        StreamReport {
            frames: self.frames(),
            report: detector::report(self.detector.watermarks(), findings, size, fpr),
        }
    }
}

/// Averages each variant's soft bits over the frames that read it, and scores the result.
fn decide(w: &Watermark, queue: &VecDeque<FrameReadings>, fpr: f64) -> Finding {
    let n = w.scheme().code_len();
    // variant -> (sum of soft bits, frames)
    let mut sums: Vec<(String, Vec<f64>, usize)> = Vec::new();
    let mut last_error = None;
    for frame in queue {
        match frame {
            Ok(readings) => {
                for r in readings.iter().filter(|r| r.soft.len() == n) {
                    let at = match sums.iter().position(|s| s.0 == r.variant) {
                        Some(i) => i,
                        None => {
                            sums.push((r.variant.clone(), vec![0.0; n], 0));
                            sums.len() - 1
                        }
                    };
                    let entry = &mut sums[at];
                    entry
                        .1
                        .iter_mut()
                        .zip(&r.soft)
                        .for_each(|(s, &p)| *s += f64::from(p));
                    entry.2 += 1;
                }
            }
            Err(e) => last_error = Some(e),
        }
    }
    if sums.is_empty() {
        return match last_error {
            Some(e) => detector::failed(w, e),
            None => detector::failed(w, &Error::Unreadable("no frame could be read".into())),
        };
    }
    // The averaged reading of each variant, its bits decided by the scheme's own rule (as a
    // single image's are), then scored like a single image's readings.
    let readings: Vec<Reading> = sums
        .into_iter()
        .map(|(variant, sum, frames)| {
            let soft: Vec<f32> = sum.iter().map(|s| (s / frames as f64) as f32).collect();
            Reading::from_soft(w.scheme(), variant, soft)
        })
        .collect();
    detector::decide(w, &readings, fpr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Kind, Registry, Request};
    use crate::{Bits, Classic, Detector, Watermark};

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn cover(w: u32, h: u32) -> Image {
        let mut r = Rng(99);
        let rgb = (0..w * h * 3)
            .map(|i| {
                let base = (((i / 3) % w + (i / 3) / w) * 200 / (w + h)) as i64 + 30;
                (base + (r.next() % 21) as i64 - 10).clamp(0, 255) as u8
            })
            .collect();
        Image::from_rgb(w, h, rgb).unwrap()
    }

    /// Colourful noise (every channel uniform in 40..=215): chroma that varies from block to
    /// block, so the classical schemes' periodicity check has nothing to refuse (the grey
    /// gradient of [`cover`] carries a mark's own column pattern in its flat chroma).
    fn colourful(w: u32, h: u32) -> Image {
        let mut r = Rng(0x2545_F491_4F6C_DD1D);
        let rgb = (0..w * h * 3)
            .map(|_| (40 + r.next() % 176) as u8)
            .collect();
        Image::from_rgb(w, h, rgb).unwrap()
    }

    /// A frame of the marked image with independent noise of amplitude `amp`.
    fn noisy(img: &Image, amp: u64, seed: u64) -> Image {
        let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let rgb = img
            .rgb()
            .iter()
            .map(|&v| {
                (i64::from(v) + (r.next() % (2 * amp + 1)) as i64 - amp as i64).clamp(0, 255) as u8
            })
            .collect();
        Image::from_rgb(img.width(), img.height(), rgb).unwrap()
    }

    fn matched(r: &StreamReport) -> usize {
        r.report.findings[0].matched_bits.unwrap()
    }

    #[test]
    fn window_of_one_agrees_with_the_detector() {
        let img = Watermark::sdxl().embed(&cover(128, 128), None).unwrap();
        let mut s = StreamDetector::new(Detector::default(), 1).unwrap();
        for seed in 0..3 {
            let f = noisy(&img, 20, seed);
            let single = Detector::default().detect(&f);
            let got = s.push(&f);
            assert_eq!(got.frames, 1);
            assert_eq!(got.report.findings[0].bits, single.findings[0].bits);
            assert_eq!(got.report.findings[0].detected, single.findings[0].detected);
        }
    }

    /// For each classical scheme of the registry (and the sdxl preset): a one-frame stream
    /// decides exactly as the detector on noisy frames of a marked image: same bits, match,
    /// p-value and decision. The first frame is barely noisy (the mark is found, at a
    /// false-positive rate that 8 bits can reach), the others drown it. With 8 bits in
    /// 512x512 each bit has 512 votes, so some vote fractions fall between imwatermark's
    /// threshold 127/255 and one half, where a plain 0.5 threshold on the soft bits would
    /// read another bit than the detector; the test checks that such frames occur.
    #[test]
    fn one_frame_decides_like_the_detector_for_every_classical_scheme() {
        let registry = Registry::builtin();
        let mut marks = vec![Watermark::sdxl()];
        for e in registry
            .entries()
            .iter()
            .filter(|e| e.kind == Kind::Classical)
        {
            let req = Request::new().message(Some(Bits::parse("0xA5").unwrap()));
            marks.push(e.build(&req).unwrap());
        }
        assert!(marks.len() >= 3);
        let cover = colourful(512, 512);
        let (mut between, mut found) = (0, 0);
        for mark in marks {
            let marked = mark.embed(&cover, None).unwrap();
            let det = Detector::new().with(mark.clone()).with_fpr(0.05).unwrap();
            let mut s = StreamDetector::new(det.clone(), 1).unwrap();
            for seed in 0..6 {
                let f = noisy(&marked, if seed == 0 { 3 } else { 90 }, seed);
                let single = &det.detect(&f).findings[0];
                let streamed = &s.push(&f).report.findings[0];
                assert_eq!(
                    (&streamed.bits, streamed.matched_bits, streamed.p_value),
                    (&single.bits, single.matched_bits, single.p_value),
                    "{} frame {seed}",
                    mark.name()
                );
                assert_eq!(streamed.detected, single.detected);
                found += usize::from(single.detected);
                assert_eq!(streamed.variant, single.variant);
                between += mark
                    .scheme()
                    .decode(&f)
                    .unwrap()
                    .iter()
                    .flat_map(|r| &r.soft)
                    .filter(|&&p| p > 127.0 / 255.0 && p < 0.5)
                    .count();
            }
        }
        assert!(between > 0, "no soft bit fell between 127/255 and 1/2");
        assert!(
            found >= 3,
            "the lightly noisy frames were found {found} times"
        );
    }

    #[test]
    fn a_weak_watermark_is_found_over_several_frames() {
        // 64 bits in a 128x128 image: about 16 votes a bit, easily drowned by noise.
        let scheme = Classic::dwt_dct(64).unwrap();
        let msg = Bits::parse("text:EdgeMark").unwrap();
        let mark = Watermark::new("weak", scheme, Some(msg)).unwrap();
        let marked = mark.embed(&cover(128, 128), None).unwrap();
        let det = Detector::new().with(mark).with_fpr(1e-6).unwrap();
        let amp = 40;
        let mut single_detections = 0;
        let mut single_matches = Vec::new();
        let mut s = StreamDetector::new(det.clone(), 16).unwrap();
        let mut last = None;
        for seed in 0..16 {
            let f = noisy(&marked, amp, seed);
            let one = &det.detect(&f).findings[0];
            single_detections += usize::from(one.detected);
            single_matches.push(one.matched_bits.unwrap());
            last = Some(s.push(&f));
        }
        let last = last.unwrap();
        assert!(
            single_detections <= 2,
            "frames too easy: {single_matches:?}"
        );
        assert!(
            last.report.findings[0].detected,
            "window failed: {} bits",
            matched(&last)
        );
        assert_eq!(last.frames, 16);
        // Unmarked noisy frames never add up to a detection.
        let clean = cover(128, 128);
        s.reset();
        for seed in 100..116 {
            let r = s.push(&noisy(&clean, amp, seed));
            assert!(
                !r.report.findings[0].detected,
                "false positive: {} bits",
                matched(&r)
            );
        }
    }

    #[test]
    fn window_slides_and_size_change_resets() {
        let mut s = StreamDetector::new(Detector::default(), 3).unwrap();
        let img = cover(64, 64);
        for i in 1..=5 {
            assert_eq!(s.push(&img).frames, i.min(3));
        }
        assert_eq!(s.push(&cover(64, 72)).frames, 1);
        // Too small for the watermark: an error in the finding, not a panic.
        let r = s.push(&cover(8, 8));
        assert!(r.report.findings[0].error.is_some());
        assert!(!r.report.findings[0].detected);
        assert!(StreamDetector::new(Detector::default(), 0).is_err());
    }

    #[test]
    fn a_stream_budget_is_spread_over_its_frames() {
        let s = StreamDetector::for_stream(Detector::default(), 8, 1e-6, 1000).unwrap();
        assert!((s.fpr_per_decision() - 1e-9).abs() < 1e-21);
        assert_eq!(s.window(), 8);
        assert!(StreamDetector::for_stream(Detector::default(), 8, 1e-6, 0).is_err());
        assert!(StreamDetector::for_stream(Detector::default(), 8, 1.5, 10).is_err());
        // A marked stream is still found at the per-frame rate of a long stream.
        let img = Watermark::sdxl().embed(&cover(128, 128), None).unwrap();
        let mut s = StreamDetector::for_stream(Detector::default(), 4, 1e-6, 100_000).unwrap();
        let mut last = None;
        for seed in 0..4 {
            last = Some(s.push(&noisy(&img, 3, seed)));
        }
        let r = last.unwrap();
        assert!(r.report.any_detected(), "{:?}", r.report.findings[0]);
    }
}
