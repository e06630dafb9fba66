//! Whether an image's edges run exactly along its pixel rows and columns: what a screenshot
//! (at any zoom, cropped, re-encoded) keeps and a camera photo of a screen loses.
//!
//! A camera turned about the vertical axis (yaw) tilts the screen's horizontal lines (all but
//! the one through the centre); turned about the horizontal axis (pitch), its vertical lines.
//! A screenshot's lines of text, rules and panel edges lie exactly on pixel rows and columns,
//! so summing the vertical luma differences along each row adds them up coherently, while
//! summing along lines that drift by 8 or 16 pixels across the image smears them over several
//! rows. The rows' ratio is the energy of the first profile over that of the strongest
//! drifting one (about 1 or less for content without such lines), the columns' the same
//! transposed. The screen overlay's reader skips the camera views of an image with both
//! ([`Alignment::on_the_pixel_grid`]).
//!
//! Measured (session 33; `edgemark-eval`'s families on the 16 evaluation pages of
//! `scripts/eval-screen.sh`, seeds 24301 and 777): on 256 simulated camera photos the rows'
//! ratio stays at or under 1.60 once the yaw reaches 1 degree (1.27 from 2 degrees, 1.20 from
//! 4), the columns' at or under 2.31 once the pitch reaches 2 degrees, and no photo has both
//! at [`ALIGNED`] or more; on the pages as rendered and re-encoded as JPEG both are 2 or more
//! on 8 of the 16 (code, dashboards, spreadsheets, the image pages: the rows' ratio is 2.2-26,
//! but plain text has few long vertical edges), and on 128 zoomed (0.5-3x), cropped and
//! re-encoded screenshots on 52. Tried and not kept: skipping only the keystone views when the
//! rows alone are aligned (yaw under about 1 degree), which halves a clean text page's trace
//! but lost one of the 128 camera photos of the evaluation (yaw 0.38 degrees, read through a
//! keystone view that there only resampled it).

use super::sync::Plane;

/// Ratio from which rows (or columns) count as aligned.
pub(crate) const ALIGNED: f32 = 2.0;
/// Strips each profile is summed in: a drifting line's offset is rounded to whole pixels in
/// each strip.
const STRIPS: usize = 32;
/// How far the drifting lines move across the image, in pixels, either way.
const DRIFTS: [usize; 2] = [8, 16];
/// Profile entries left out at each end: the largest drift moves a line by half of it either
/// way from the centre.
const MARGIN: usize = 9;
const _: () = assert!(MARGIN > DRIFTS[1] / 2);
/// Shorter side (pixels) under which nothing counts as aligned. The drifts are in pixels, so a
/// camera's tilt moves a small image's lines by fewer of them: the evaluation's camera photos
/// (shorter sides 480-1200 px) above, but made of the pages at 0.5x and 0.35x (shorter sides
/// 170-596 px, 128 photos each), include photos turned by 2-2.4 degrees with a rows' ratio
/// up to 5.5, and one photo each aligned both ways (292 and 198 px high).
const SMALLEST: usize = 480;

/// How exactly an image's edges lie along its rows and columns (see the module's notes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Alignment {
    pub rows: f32,
    pub columns: f32,
}

impl Alignment {
    /// The ratios of `p` (both 1, nothing aligned, on a plane under [`SMALLEST`] a side).
    pub(crate) fn of(p: &Plane) -> Alignment {
        let (w, h) = (p.w, p.h);
        if w.min(h) < SMALLEST.max(STRIPS).max(2 * MARGIN + 2) || p.v.len() != w * h {
            return Alignment {
                rows: 1.0,
                columns: 1.0,
            };
        }
        // Sums of each row over each vertical strip (`by_row[y * STRIPS + k]`) and of each
        // column over each horizontal strip (`by_column[k * w + x]`); their differences
        // between neighbouring rows (columns) are the strips' summed luma differences.
        let mut by_row = vec![0f32; h * STRIPS];
        let mut by_column = vec![0f32; STRIPS * w];
        for (y, row) in p.v.chunks_exact(w).enumerate() {
            for (k, sum) in by_row[y * STRIPS..(y + 1) * STRIPS].iter_mut().enumerate() {
                *sum = row[k * w / STRIPS..(k + 1) * w / STRIPS].iter().sum();
            }
            let strip = &mut by_column[(y * STRIPS / h) * w..][..w];
            strip.iter_mut().zip(row).for_each(|(s, &v)| *s += v);
        }
        // Strip k's differences between lines i and i + 1, i < n - 1.
        let rows = ratio(h, |k, y| {
            by_row[(y + 1) * STRIPS + k] - by_row[y * STRIPS + k]
        });
        let columns = ratio(w, |k, x| by_column[k * w + x + 1] - by_column[k * w + x]);
        Alignment { rows, columns }
    }

    /// Both: a screenshot (or another image drawn on the pixel grid), not a camera photo.
    pub(crate) fn on_the_pixel_grid(&self) -> bool {
        self.rows >= ALIGNED && self.columns >= ALIGNED
    }
}

/// Energy of the straight profile over that of the strongest drifting one, for `n` lines
/// whose strip `k`'s difference to the next line is `diff(k, i)`.
fn ratio(n: usize, diff: impl Fn(usize, usize) -> f32) -> f32 {
    let energy = |drift: usize, sign: f32| -> f64 {
        let drift = sign * drift as f32;
        let shifts: Vec<isize> = (0..STRIPS)
            .map(|k| (drift * ((k as f32 + 0.5) / STRIPS as f32 - 0.5)).round() as isize)
            .collect();
        (MARGIN..n - 1 - MARGIN)
            .map(|i| {
                let p: f32 = shifts
                    .iter()
                    .enumerate()
                    .map(|(k, &s)| diff(k, (i as isize + s) as usize))
                    .sum();
                f64::from(p) * f64::from(p)
            })
            .sum()
    };
    let straight = energy(0, 1.0);
    let drifting = DRIFTS
        .iter()
        .flat_map(|&d| [energy(d, 1.0), energy(d, -1.0)])
        .fold(0.0, f64::max);
    ((straight + 1e-9) / (drifting + 1e-9)) as f32
}

/// A page of "text" for tests: dark bars of varying length on white, in lines, with a few
/// vertical rules, drawn on the pixel grid, plus a little noise (at least 64x48 pixels).
#[cfg(test)]
pub(crate) fn test_page(w: usize, h: usize) -> Plane {
    let mut v = vec![240f32; w * h];
    let mut rng = super::pattern::SplitMix::new(7);
    let mut next = || (rng.next_u64() >> 33) as usize;
    for line in (20..h - 20).step_by(18) {
        let mut x = 30;
        while x < w - 60 {
            let len = 5 + next() % 40;
            for y in line..line + 9 {
                for xx in x..(x + len).min(w - 30) {
                    v[y * w + xx] = 30.0;
                }
            }
            x += len + 4 + next() % 6;
        }
    }
    for x in [12, w / 2, w - 14] {
        for y in 0..h {
            v[y * w + x] = 90.0;
        }
    }
    for p in v.iter_mut() {
        *p += (next() % 5) as f32 - 2.0;
    }
    Plane { w, h, v }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `p` turned by `degrees` about its centre (bilinear, white outside).
    fn turned(p: &Plane, degrees: f32) -> Plane {
        let (s, c) = degrees.to_radians().sin_cos();
        let (cx, cy) = (p.w as f32 / 2.0, p.h as f32 / 2.0);
        let mut v = vec![240f32; p.w * p.h];
        for y in 0..p.h {
            for x in 0..p.w {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let (sx, sy) = (cx + c * dx + s * dy, cy - s * dx + c * dy);
                if sx < 0.0 || sy < 0.0 || sx >= (p.w - 1) as f32 || sy >= (p.h - 1) as f32 {
                    continue;
                }
                let (x0, y0) = (sx as usize, sy as usize);
                let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                let at = |x: usize, y: usize| p.v[y * p.w + x];
                v[y * p.w + x] = (at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx) * (1.0 - fy)
                    + (at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
            }
        }
        Plane { w: p.w, h: p.h, v }
    }

    #[test]
    fn a_page_on_the_pixel_grid_is_aligned_and_a_camera_view_of_it_is_not() {
        let page = test_page(960, 540);
        let a = Alignment::of(&page);
        assert!(a.on_the_pixel_grid(), "{a:?}");
        // A camera turned sideways: the rows tilt (the keystone turns columns too little).
        let yawed = Alignment::of(&page.keystone(0.1, 0.0));
        assert!(
            yawed.rows < ALIGNED && !yawed.on_the_pixel_grid(),
            "{yawed:?}"
        );
        // Turned by a degree: neither.
        let t = Alignment::of(&turned(&page, 1.0));
        assert!(t.rows < ALIGNED && t.columns < ALIGNED, "{t:?}");
    }

    #[test]
    fn flat_noisy_and_small_planes_are_not_aligned() {
        let flat = Plane {
            w: 600,
            h: 500,
            v: vec![128.0; 600 * 500],
        };
        let a = Alignment::of(&flat);
        assert!(a.rows < ALIGNED && a.columns < ALIGNED, "{a:?}");
        let mut rng = crate::schemes::v3::pattern::SplitMix::new(3);
        let noise: Vec<f32> = (0..600 * 500).map(|_| rng.unit() * 255.0).collect();
        let a = Alignment::of(&Plane {
            w: 600,
            h: 500,
            v: noise,
        });
        assert!(a.rows < ALIGNED && a.columns < ALIGNED, "{a:?}");
        // Under `SMALLEST` a side, not measured: even a page on the pixel grid.
        let small = Alignment::of(&test_page(960, SMALLEST - 1));
        assert_eq!((small.rows, small.columns), (1.0, 1.0));
        assert!(Alignment::of(&test_page(960, SMALLEST)).on_the_pixel_grid());
    }
}
