//! Where the top garment ends. The joints say where the hips are, not where a shirt, a kurta, a
//! long coat or a crop top ends; the photo does, and no clothing parser ships in a reachable
//! registry. So this is classic image analysis: the top's colours are taken from the chest
//! (inside the person mask), then the body is walked down in bands of rows, and the garment ends
//! where a band's colours stop matching the chest's. [`crate::garments`] moves the top box's
//! bottom edge (and the bottom box's top edge) to that hem when it is far from where the joints
//! put it.

use image::RgbImage;
use palette::{IntoColor, Lab, Srgb};

use crate::geometry::Point;

/// Colour distance (in [`lab`] units, lightness halved) within which a pixel has a palette
/// colour. Measured on the test photos (chest palettes and band similarities printed while
/// tuning): at 10 and 13 bus.jpg's teddy coat splits into a light and a shaded colour and its own
/// bands score only 0.61-0.72, next to [`SAME_GARMENT`]; from 16 to 20 the hems found on
/// messi5.jpg (row 236), bus.jpg (697) and the painted long garment of tests/garment_extent.rs
/// (256) do not move; at 26 a third colour (the beige of the shirt's logo and skin) joins
/// messi5.jpg's palette and its shirt's bands fall to 0.64. The blue and garnet of its stripes
/// lie 70 apart.
pub const TOLERANCE: f32 = 16.0;
/// A band is still the top garment when it shows at least this much of the chest's palette
/// ([`Palette::similarity`]). With [`TOLERANCE`] 16 the garments' own bands scored 0.67-1.0
/// (messi5.jpg's striped shirt 0.67-0.95, bus.jpg's coat 0.74-1.0, the painted garment
/// 0.95-1.0) and the first bands past their hems 0.0-0.51 (messi5.jpg's garnet shorts under its
/// blue-and-garnet shirt 0.38-0.51, as they match one stripe; bus.jpg's jeans 0.0-0.27; the
/// painted photo's legs 0.42 and less). The cost: a top of 60% or more of one colour runs on
/// into trousers of that colour, unless the legs part above where it ends ([`legs_part`]).
pub const SAME_GARMENT: f32 = 0.6;
/// Band height as a fraction of the torso (shoulder centre to hip centre); the hem is found to
/// this step.
pub const BAND: f32 = 0.05;
/// Consecutive failing bands that end the garment: one band may fail on a hand or a belt
/// buckle across it.
pub const ENDING_BANDS: usize = 2;
/// Palette colours covering less of the chest than this are dropped (a logo, a hand, a strap).
const MIN_SHARE: f32 = 0.1;
/// Fewer person pixels than this in a band (or the chest) say nothing about colour.
const MIN_SAMPLES: usize = 12;
/// A torso shorter than this (pixels) has too few rows for bands of [`BAND`] to mean anything.
const MIN_TORSO: f32 = 8.0;
/// Samples across the torso's length: the sampling step is the torso over this.
const SAMPLES_PER_TORSO: f32 = 60.0;

/// The body's joints the walk needs, in photo pixels.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    pub shoulders: [Point; 2],
    pub hips: [Point; 2],
    pub knees: [Point; 2],
    pub ankles: [Point; 2],
}

impl Body {
    /// The shoulders' and the hips' midpoints and the torso's length between them (photo
    /// pixels); `None` when there is no torso to walk (under [`MIN_TORSO`] pixels, or the hips
    /// not below the shoulders).
    fn torso(&self) -> Option<(Point, Point, f32)> {
        let (shoulder, hip) =
            (self.shoulders[0].midpoint(self.shoulders[1]), self.hips[0].midpoint(self.hips[1]));
        let torso = shoulder.distance(hip);
        (torso >= MIN_TORSO && hip.y > shoulder.y).then_some((shoulder, hip, torso))
    }
}

/// What the walk found: the chest's colours, and the row where the garment ends (photo pixels;
/// the lowest row walked when it never ends).
#[derive(Debug, Clone)]
pub struct Hem {
    pub y: f32,
    pub palette: Palette,
    /// Each band walked: its top row and its similarity to the palette (for tests and tuning).
    pub bands: Vec<(f32, f32)>,
}

/// Walks `body` down in `image` from the middle of the torso and says where the top garment's
/// colours end; `inside` says which pixels are the person's. `None` when there is no torso to
/// walk (under [`MIN_TORSO`] pixels, or the hips not below the shoulders), when the chest shows
/// too few person pixels to take its colours, or when fewer than [`ENDING_BANDS`] bands lie
/// between the chest and the knees or ankles (legs the model placed at the hips: nothing could
/// end the garment, and its start is no hem).
pub fn hem(image: &RgbImage, inside: impl Fn(Point) -> bool, body: &Body) -> Option<Hem> {
    let mid = |[a, b]: [Point; 2]| a.midpoint(b);
    let (shoulder, _, torso) = body.torso()?;
    let step = (torso / SAMPLES_PER_TORSO).max(1.0);
    let samples = |y0: f32, y1: f32| -> Vec<[f32; 3]> {
        let mut out = Vec::new();
        let mut y = y0 + step / 2.0;
        while y < y1 && y < image.height() as f32 {
            if let Some((x0, x1)) = span(body, y) {
                let mut x = x0.max(0.0) + step / 2.0;
                while x < x1.min(image.width() as f32) {
                    let p = Point::new(x, y);
                    if y >= 0.0 && inside(p) {
                        out.push(lab(image.get_pixel(x as u32, y as u32).0));
                    }
                    x += step;
                }
            }
            y += step;
        }
        out
    };
    // The chest: from a fifth of the torso below the shoulders (under the collar) to half way.
    let chest = samples(shoulder.y + 0.2 * torso, shoulder.y + 0.5 * torso);
    let palette = Palette::of(&chest)?;
    let band = BAND * torso;
    let last = mid(body.ankles).y.max(mid(body.knees).y).min(image.height() as f32);
    let mut bands = Vec::new();
    let mut y = shoulder.y + 0.5 * torso;
    while y + band <= last {
        let pixels = samples(y, y + band);
        let similarity = if pixels.len() < MIN_SAMPLES { 0.0 } else { palette.similarity(&pixels) };
        bands.push((y, similarity));
        y += band;
    }
    if bands.len() < ENDING_BANDS {
        return None;
    }
    let end =
        bands.windows(ENDING_BANDS).find(|w| w.iter().all(|b| b.1 < SAME_GARMENT)).map_or(y, |w| w[0].0);
    Some(Hem { y: end, palette, bands })
}

/// Where the legs part, walking down from the hips: the first row (photo pixels) where the
/// point midway between the two leg lines (hip to knee, then knee to ankle) and the points a
/// [`GAP`] of the torso to either side of it are not the person's (`inside`), in two rows
/// running; `None` when the legs stay together down to the ankles (a long skirt, a gown, feet
/// together) or the torso is too short to walk. Trousers part at the crotch; a dress, a kurta
/// or a closed coat hides the legs down to its hem.
pub fn legs_part(inside: impl Fn(Point) -> bool, body: &Body) -> Option<f32> {
    let (_, hip, torso) = body.torso()?;
    let step = (torso / SAMPLES_PER_TORSO).max(1.0);
    let mid = |[a, b]: [Point; 2]| a.midpoint(b);
    let (knees, last) = (mid(body.knees).y, mid(body.ankles).y);
    let mut run = 0;
    let mut y = hip.y;
    while y <= last {
        let [upper, lower] = if y < knees { [body.hips, body.knees] } else { [body.knees, body.ankles] };
        let c = (x_at(upper[0], lower[0], y) + x_at(upper[1], lower[1], y)) / 2.0;
        let gap = [-GAP, 0.0, GAP].iter().all(|dx| !inside(Point::new(c + dx * torso, y)));
        run = if gap { run + 1 } else { 0 };
        if run == 2 {
            return Some(y - step);
        }
        y += step;
    }
    None
}

/// Half the width (fraction of the torso) of the gap [`legs_part`] looks for between the legs:
/// ~2 cm on a ~50 cm torso, so a gap ~4 cm wide, wider than the mask's ragged edge between two
/// trouser legs that touch. Twice this missed the gap between basketball2.png's jeans (its man
/// stands with his lower legs a little apart) on bench/evidence's darkened copies.
const GAP: f32 = 0.04;

/// Where the line from `a` to `b` crosses row `y` (the nearer end outside the segment's rows).
fn x_at(a: Point, b: Point, y: f32) -> f32 {
    let t = if (b.y - a.y).abs() < 1.0 { 0.0 } else { ((y - a.y) / (b.y - a.y)).clamp(0.0, 1.0) };
    a.x + t * (b.x - a.x)
}

/// The columns to look at in row `y`: the torso's inner 70% (clear of the arms at its sides)
/// down to the hips, then the legs' span (between the two thigh or shin lines, padded by a
/// third of the hips' width: the lines are the bones, not the leg's outline).
fn span(body: &Body, y: f32) -> Option<(f32, f32)> {
    let lerp = |a: Point, b: Point| x_at(a, b, y);
    let mid_y = |[a, b]: [Point; 2]| (a.y + b.y) / 2.0;
    let hips_y = mid_y(body.hips);
    let (x0, x1) = if y < hips_y {
        let [l, r] = [0, 1].map(|i| lerp(body.shoulders[i], body.hips[i]));
        let (c, half) = ((l + r) / 2.0, (l - r).abs() / 2.0 * 0.7);
        (c - half, c + half)
    } else {
        let [upper, lower] =
            if y < mid_y(body.knees) { [body.hips, body.knees] } else { [body.knees, body.ankles] };
        let [l, r] = [0, 1].map(|i| lerp(upper[i], lower[i]));
        let pad = body.hips[0].distance(body.hips[1]) / 3.0;
        (l.min(r) - pad, l.max(r) + pad)
    };
    (x1 > x0).then_some((x0, x1))
}

/// A garment's colours: a few centres and the share of the chest each covers (within
/// [`TOLERANCE`]; the shares sum to at most 1).
#[derive(Debug, Clone)]
pub struct Palette {
    colours: Vec<([f32; 3], f32)>,
}

impl Palette {
    /// The dominant colours of `pixels` ([`lab`]): k-means with three centres seeded at the
    /// lightness quantiles, centres closer than [`TOLERANCE`] merged, each with the share of
    /// `pixels` within [`TOLERANCE`] of it, those covering less than [`MIN_SHARE`] dropped.
    /// `None` for too few pixels.
    pub fn of(pixels: &[[f32; 3]]) -> Option<Palette> {
        if pixels.len() < MIN_SAMPLES {
            return None;
        }
        let mut sorted = pixels.to_vec();
        sorted.sort_by(|a, b| a[0].total_cmp(&b[0]));
        let mut centres: Vec<[f32; 3]> = [1, 3, 5].map(|k| sorted[k * sorted.len() / 6]).to_vec();
        let mut counts = vec![0usize; centres.len()];
        for _ in 0..10 {
            let mut sums = vec![[0.0f32; 3]; centres.len()];
            counts.iter_mut().for_each(|c| *c = 0);
            for p in pixels {
                let k = nearest(&centres, p).0;
                (0..3).for_each(|i| sums[k][i] += p[i]);
                counts[k] += 1;
            }
            for (k, c) in centres.iter_mut().enumerate() {
                if counts[k] > 0 {
                    *c = sums[k].map(|s| s / counts[k] as f32);
                }
            }
        }
        // Merge centres of one colour (a garment's light and shaded sides).
        let mut merged: Vec<([f32; 3], usize)> = Vec::new();
        for (c, count) in centres.into_iter().zip(counts) {
            match merged.iter_mut().find(|(m, _)| distance(m, &c) < TOLERANCE) {
                Some((m, n)) => {
                    let (a, b) = (*n as f32, count as f32);
                    *m = [0, 1, 2].map(|i| (m[i] * a + c[i] * b) / (a + b).max(1.0));
                    *n += count;
                }
                None => merged.push((c, count)),
            }
        }
        let centres: Vec<[f32; 3]> = merged.into_iter().map(|m| m.0).collect();
        let colours: Vec<([f32; 3], f32)> =
            centres.iter().copied().zip(shares(&centres, pixels)).filter(|c| c.1 >= MIN_SHARE).collect();
        (!colours.is_empty()).then_some(Palette { colours })
    }

    /// How much of this palette `pixels` show, 0..1: the histogram intersection of the two
    /// colour distributions over the palette's colours ([`shares`]), over the palette's own
    /// total, so that the chest itself scores 1 whatever share of it lies off its colours
    /// (stripes' blurred edges, folds). A band of one stripe's colour under a two-colour shirt
    /// scores that stripe's share only.
    pub fn similarity(&self, pixels: &[[f32; 3]]) -> f32 {
        let centres: Vec<[f32; 3]> = self.colours.iter().map(|c| c.0).collect();
        let total: f32 = self.colours.iter().map(|c| c.1).sum();
        let shown = shares(&centres, pixels);
        self.colours.iter().zip(shown).map(|(c, s)| c.1.min(s)).sum::<f32>() / total.max(f32::EPSILON)
    }
}

/// For each of `centres`, the share of `pixels` whose nearest centre it is, within
/// [`TOLERANCE`].
fn shares(centres: &[[f32; 3]], pixels: &[[f32; 3]]) -> Vec<f32> {
    let mut counts = vec![0usize; centres.len()];
    for p in pixels {
        let (k, d) = nearest(centres, p);
        if d < TOLERANCE {
            counts[k] += 1;
        }
    }
    let n = pixels.len().max(1) as f32;
    counts.into_iter().map(|c| c as f32 / n).collect()
}

fn nearest(centres: &[[f32; 3]], p: &[f32; 3]) -> (usize, f32) {
    centres.iter().enumerate().map(|(k, c)| (k, distance(c, p))).min_by(|a, b| a.1.total_cmp(&b.1)).unwrap()
}

fn distance(a: &[f32; 3], b: &[f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// CIELAB (D65) of an sRGB pixel, with the lightness halved: a garment's folds and shade change
/// its lightness far more than its hue, so distances weigh hue and saturation twice as much.
pub fn lab(rgb: [u8; 3]) -> [f32; 3] {
    let lab: Lab = Srgb::new(rgb[0], rgb[1], rgb[2]).into_format::<f32>().into_color();
    [0.5 * lab.l, lab.a, lab.b]
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    const GARMENT: [u8; 3] = [200, 40, 50];
    const TROUSERS: [u8; 3] = [30, 40, 120];
    const SKIN: [u8; 3] = [220, 170, 140];

    /// The hand-made standing body of `crate::body::tests::standing`: shoulders at row 200,
    /// hips 400 (torso 200: bands of 10 rows), knees 550, ankles 680, sides at x 360 and 440.
    fn body() -> Body {
        let at = |y: f32| [Point::new(360.0, y), Point::new(440.0, y)];
        Body { shoulders: at(200.0), hips: at(400.0), knees: at(550.0), ankles: at(680.0) }
    }

    /// An 800 x 1000 photo painted row by row: `colour(x, y)`.
    fn photo(colour: impl Fn(u32, u32) -> [u8; 3]) -> RgbImage {
        RgbImage::from_fn(800, 1000, |x, y| Rgb(colour(x, y)))
    }

    /// The garment down to row `hem`, then `below`.
    fn garment_to(hem: u32, below: [u8; 3]) -> RgbImage {
        photo(|_, y| if y < hem { GARMENT } else { below })
    }

    fn hem_row(image: &RgbImage) -> f32 {
        hem(image, |_| true, &body()).unwrap().y
    }

    /// Within one band (10 rows) of `expected`.
    fn assert_near(found: f32, expected: f32) {
        assert!((found - expected).abs() <= 10.0, "hem at row {found}, expected {expected}");
    }

    #[test]
    fn the_legs_part_where_a_gap_shows_between_them() {
        // body(): legs along x 360 and 440, the gap looked at around x 400 (GAP: +-8 px).
        let legs = |width: f32| {
            move |p: Point| p.y < 430.0 || (p.x - 360.0).abs() < width || (p.x - 440.0).abs() < width
        };
        // Trouser legs 60 px wide from the crotch at row 430: parted there (samples 3.3 px apart).
        let y = legs_part(legs(30.0), &body()).unwrap();
        assert!((430.0..434.0).contains(&y), "parted at row {y}");
        // Legs that touch (a gap of 8 px, under 2 x GAP of the torso), and a gown's solid mask.
        assert_eq!(legs_part(legs(36.0), &body()), None);
        assert_eq!(legs_part(|_| true, &body()), None);
    }

    #[test]
    fn the_walk_ends_where_the_garments_colour_ends() {
        // A kurta to the knees, a shirt just past the hips, a crop top at mid-torso.
        assert_near(hem_row(&garment_to(550, TROUSERS)), 550.0);
        assert_near(hem_row(&garment_to(420, TROUSERS)), 420.0);
        assert_near(hem_row(&garment_to(330, SKIN)), 330.0);
        // A garment down past the ankles: the walk ends at the lowest row it walks.
        assert!(hem_row(&garment_to(1000, TROUSERS)) >= 670.0);
    }

    #[test]
    fn shade_on_the_garment_does_not_end_it() {
        // The garment darkens to 60% of its light down to the knees (a fold, the shade of a
        // coat's lower half); lightness weighs half in the distance.
        let shaded = photo(|_, y| {
            if y >= 550 {
                return TROUSERS;
            }
            let k = 1.0 - 0.4 * (y as f32 / 550.0);
            GARMENT.map(|c| (c as f32 * k) as u8)
        });
        assert_near(hem_row(&shaded), 550.0);
    }

    /// The messi5.jpg case: a shirt of blue and garnet stripes (half each) over garnet shorts
    /// matches the shorts with one stripe only, and ends at its hem. (A shirt of 60% garnet
    /// would run on into them: [`SAME_GARMENT`].)
    #[test]
    fn a_striped_shirt_ends_over_shorts_of_one_stripes_colour() {
        let garnet = [150, 30, 60];
        let striped = photo(|x, y| match (y < 420, (x as i32 - 400).rem_euclid(16) < 8) {
            (true, true) => [20, 40, 140],
            _ => garnet,
        });
        assert_near(hem_row(&striped), 420.0);
        let chest: Vec<[f32; 3]> =
            (0..96).map(|i| lab(striped.get_pixel(370 + i % 24, 250 + i / 24).0)).collect();
        let palette = Palette::of(&chest).unwrap();
        assert_eq!(palette.colours.len(), 2, "{palette:?}");
        let shorts = vec![lab(garnet); 50];
        assert!((palette.similarity(&shorts) - 0.5).abs() < 0.1, "{palette:?}");
        assert!(palette.similarity(&chest) > 0.99);
    }

    #[test]
    fn one_band_across_the_garment_does_not_end_it() {
        // A hand or a belt buckle 10 rows high across the hips, on a garment to the knees.
        let hand = photo(|_, y| match y {
            440..450 => SKIN,
            0..550 => GARMENT,
            _ => TROUSERS,
        });
        assert_near(hem_row(&hand), 550.0);
    }

    #[test]
    fn only_the_persons_pixels_count() {
        // The background is the garment's colour; the person (x 300..500) wears it to row 420.
        let image = photo(|x, y| if (300..500).contains(&x) && y >= 420 { TROUSERS } else { GARMENT });
        let person = |p: Point| (300.0..500.0).contains(&p.x);
        assert_near(hem(&image, person, &body()).unwrap().y, 420.0);
        // No person pixels on the chest: no colour to follow.
        assert!(hem(&image, |_| false, &body()).is_none());
    }
}
