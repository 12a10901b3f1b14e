//! A garment's colour as a shopper names it: each pixel of the garment falls in one of
//! [`Colour::ALL`]'s twelve bins by its CIE L\*C\*h° (D65) lightness, chroma and hue; the
//! garment's [`histogram`] is the share of its pixels in each bin and its colour the largest
//! share. The index ranks products by the embedding joined with the histogram at [`WEIGHT`]
//! ([`crate::index::Code::similarity`]); a look's crops take theirs inside the person mask
//! ([`histogram_of_person`]), and so do the catalog's worn regions. `vitrine eval` uses the
//! histogram to measure colour (issue 23's colour@5: the share of the 5 nearest whose colour is
//! the query's) and to score weights ([`joined`]).
//!
//! The bin edges are hue angles and lightnesses of named sRGB colours (CSS Color 4's keywords,
//! converted to L\*C\*h° with `palette`; `tests` pins one example per bin), with one exception
//! set from photos: the edge between grey and white (see [`Colour::of_pixel`]).

use image::RgbImage;
use palette::{IntoColor, Lch, Srgb};

use crate::geometry::{Point, Rect};
use crate::regions::Backdrop;

/// The colour names a garment can get (serialised lowercase: "red").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    Black,
    Grey,
    White,
    Beige,
    Brown,
    Red,
    Orange,
    Yellow,
    Green,
    Blue,
    Purple,
    Pink,
}

/// Bins in a colour histogram.
pub const BINS: usize = 12;
/// The colour histogram's weight in the index's ranking (see [`joined`]): chosen on the
/// validation split with `vitrine eval --colour-weight` (BENCHMARKS.md, "Colour in the
/// ranking"): at 0.2 the share of the 5 nearest in the query's colour rises from 0.28 to 0.63 on
/// the clothing set, for 0.007 of P@5.
pub const WEIGHT: f32 = 0.2;
/// The version of the binning rules ([`Colour::of_pixel`], [`histogram`],
/// [`histogram_of_person`]): histograms stored by an earlier version (`vitrine eval`'s feature
/// cache) are computed again, and an index of other rules is refused. Bump it when the bins,
/// the reading of a region or [`WEIGHT`] change. 3: worn catalog regions are read on the person.
pub const RULES: u32 = 3;

impl Colour {
    /// Every colour, in histogram order.
    pub const ALL: [Colour; BINS] = [
        Colour::Black,
        Colour::Grey,
        Colour::White,
        Colour::Beige,
        Colour::Brown,
        Colour::Red,
        Colour::Orange,
        Colour::Yellow,
        Colour::Green,
        Colour::Blue,
        Colour::Purple,
        Colour::Pink,
    ];

    /// The colour's name as a shopper reads it and the look's JSON writes it: "red".
    pub fn name(self) -> &'static str {
        const NAMES: [&str; BINS] = [
            "black", "grey", "white", "beige", "brown", "red", "orange", "yellow", "green", "blue", "purple",
            "pink",
        ];
        NAMES[self as usize]
    }

    /// The bin of one sRGB pixel, by its L\*C\*h° (values below are CSS Color 4 keywords').
    /// Below chroma 12 a colour reads as grey to a shopper (`gray`, `dimgray`, `gainsboro`
    /// have 0; `darkslategray` 12.3 and `beige` 12.8 are just over); those split by lightness
    /// into black (L\* < 30: `#333` is 21), grey and white (L\* > 75: `silver` 78; white shirts
    /// photographed indoors, in the clothing dataset, were called grey with the edge at 85). Warm
    /// hues that are dark are brown (h 45-75° under L\* 60: `saddlebrown` 37 at 57°, `sienna`
    /// 44, `chocolate` 56; `darkorange` 70 and `orange` 75 are not; or h 45-100° under L\*
    /// 40); light, weakly coloured warm ones are beige (h 45-115°, L\* over 50, chroma under
    /// 32: `beige`, `wheat`, `tan`, camel #c19a6b, khaki drill #968c64). Then hue: red from
    /// 10° (`crimson` 25°, `maroon` 38°, `red` 40°), orange from 50° (`darkorange` 64°),
    /// yellow from 75° (`gold` 91°, `yellow` 103°), green from 110° (`green` 136°, `teal`
    /// 196°), blue from 200° (`steelblue` 263°, `navy` 306°), purple from 312° (`indigo` 314°,
    /// `purple` 328°), pink from 340° (`hotpink` 351°, `deeppink` 356°); light reds (L\* over
    /// 70: `lightpink` 81 at 10°) are pink too.
    pub fn of_pixel(rgb: [u8; 3]) -> Colour {
        let lch: Lch = Srgb::new(rgb[0], rgb[1], rgb[2]).into_format::<f32>().into_color();
        let (l, c, h) = (lch.l, lch.chroma, lch.hue.into_positive_degrees());
        if c < 12.0 {
            return match l {
                l if l < 30.0 => Colour::Black,
                l if l > 75.0 => Colour::White,
                _ => Colour::Grey,
            };
        }
        if (45.0..75.0).contains(&h) && l < 60.0 || (45.0..100.0).contains(&h) && l < 40.0 {
            return Colour::Brown;
        }
        if (45.0..115.0).contains(&h) && l > 50.0 && c < 32.0 {
            return Colour::Beige;
        }
        match h {
            h if h < 10.0 => Colour::Pink,
            h if h < 50.0 && l > 70.0 => Colour::Pink,
            h if h < 50.0 => Colour::Red,
            h if h < 75.0 => Colour::Orange,
            h if h < 110.0 => Colour::Yellow,
            h if h < 200.0 => Colour::Green,
            h if h < 312.0 => Colour::Blue,
            h if h < 340.0 => Colour::Purple,
            _ => Colour::Pink,
        }
    }
}

/// When the region's border is not one colour (a floor, a scene, a person's crop), the central
/// [`CENTRE`] of the region is taken as the garment.
/// Side of the central box, as a share of the region's sides.
const CENTRE: f32 = 0.6;
/// An object on a backdrop covers between this share and 1 minus it of the region; outside
/// that, the region is taken whole.
const MIN_OBJECT: f32 = 0.1;

/// The share of the garment's pixels in each of [`Colour::ALL`]'s bins (sums to 1; all zero for
/// an empty region), for the pixels of `image` inside `region` (photo pixels; the whole photo
/// when `None`) that are not its backdrop ([`Backdrop`], as the packshot trim finds it): those
/// differing from the region border's median colour when that border is mostly one colour and
/// they cover 10-90% of the region (an object
/// on a backdrop); all of them when the border is one colour but nothing, or nearly everything,
/// stands out (a close crop of the garment); those in the central 60% when the border is many
/// colours (a floor, a scene). A close crop of a garment with a large print on it counts the
/// print's colour: the look's crops would need the person mask to do better.
pub fn histogram(image: &RgbImage, region: Option<Rect>) -> [f32; BINS] {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let r = region.unwrap_or(Rect::new(0.0, 0.0, w, h));
    let (x0, y0) = (r.x0.clamp(0.0, w) as u32, r.y0.clamp(0.0, h) as u32);
    let (x1, y1) = (r.x1.clamp(0.0, w) as u32, r.y1.clamp(0.0, h) as u32);
    let mut counts = [0u32; BINS];
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return [0.0; BINS];
    }
    let px = |x: u32, y: u32| image.get_pixel(x, y).0;
    let backdrop = Backdrop::of(image, [x0, y0, x1, y1]);
    let differs = |p: &[u8; 3]| backdrop.differs(p);
    let (cw, ch) = ((x1 - x0) as f32 * (1.0 - CENTRE) / 2.0, (y1 - y0) as f32 * (1.0 - CENTRE) / 2.0);
    let centre = Rect::new(x0 as f32 + cw, y0 as f32 + ch, x1 as f32 - cw, y1 as f32 - ch);
    let pixels = (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y)));
    let area = ((x1 - x0) * (y1 - y0)) as f32;
    let object = pixels.clone().filter(|&(x, y)| differs(&px(x, y))).count() as f32 / area;
    // A backdrop frames an object; a region that is (almost) all one colour, or whose "object"
    // fills it, is a close crop of the garment itself.
    let on_backdrop = backdrop.is_uniform() && (MIN_OBJECT..=1.0 - MIN_OBJECT).contains(&object);
    let scene = !backdrop.is_uniform();
    for (x, y) in pixels {
        let p = px(x, y);
        let garment = match (on_backdrop, scene) {
            (true, _) => differs(&p),
            (false, true) => centre.contains(Point { x: x as f32 + 0.5, y: y as f32 + 0.5 }),
            (false, false) => true,
        };
        if garment {
            counts[Colour::of_pixel(p) as usize] += 1;
        }
    }
    let total = counts.iter().sum::<u32>().max(1) as f32;
    counts.map(|n| n as f32 / total)
}

/// Pixels [`histogram_of_person`] reads at most per region: a sparse grid over the crop (up to
/// 1280 x 1280 at the working size, 1.6M colour conversions in the shopper's browser when read
/// whole). A share then moves by under 0.01 when all 4,096 count (standard error
/// sqrt(p (1 - p) / n) <= 0.008), 0.017 when only a fifth are on the person.
const MAX_SAMPLES: f32 = 4096.0;
/// Below this share of its pixels on the person, a region's person mask is taken as missing
/// and [`histogram`]'s backdrop rules read it instead.
const MIN_PERSON_SHARE: f32 = 0.2;
/// Below this share of the person's pixels standing out of a one-colour border, the garment is
/// taken to be the backdrop's colour.
const MIN_STANDING_OUT: f32 = 0.5;

/// The colour histogram of a garment worn in `image`: the shares of [`Colour::ALL`]'s bins among
/// the pixels of `region` (photo pixels) where `on_person` (the pose's person mask) holds and,
/// when the region's border is mostly one colour ([`Backdrop`]), that differ from it (unless
/// under [`MIN_STANDING_OUT`] of the person does: a garment of the backdrop's colour); read on a
/// grid of at most [`MAX_SAMPLES`] pixels. So the scene, the floor and the people beside do not
/// count; the person's skin and hair inside the box do (the mask does not separate them). When
/// under [`MIN_PERSON_SHARE`] of the region is on the person, [`histogram`] of the region. All
/// zero for a region of under 3 x 3 pixels (or not a number).
pub fn histogram_of_person(image: &RgbImage, region: Rect, on_person: impl Fn(Point) -> bool) -> [f32; BINS] {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (x0, y0) = (region.x0.clamp(0.0, w).floor(), region.y0.clamp(0.0, h).floor());
    let (x1, y1) = (region.x1.clamp(0.0, w).ceil(), region.y1.clamp(0.0, h).ceil());
    // Written so that a NaN box is refused too.
    if !(x1 - x0 >= 3.0 && y1 - y0 >= 3.0) {
        return [0.0; BINS];
    }
    // The mask is coarse at the edges (256 x 256 over the whole person): where the box's border
    // is one colour (grass around a shoe, a studio wall), that colour is left out too.
    let backdrop = Backdrop::of(image, [x0 as u32, y0 as u32, x1 as u32, y1 as u32]);
    let step = ((x1 - x0) * (y1 - y0) / MAX_SAMPLES).sqrt().max(1.0);
    let (nx, ny) = ((((x1 - x0) / step) as u32).max(1), (((y1 - y0) / step) as u32).max(1));
    // Per bin: every sample on the person, and those of them that stand out of the backdrop.
    let (mut on, mut standing_out) = ([0u32; BINS], [0u32; BINS]);
    for j in 0..ny {
        for i in 0..nx {
            let p = Point { x: x0 + (i as f32 + 0.5) * step, y: y0 + (j as f32 + 0.5) * step };
            if on_person(p) {
                let rgb = image
                    .get_pixel((p.x as u32).min(image.width() - 1), (p.y as u32).min(image.height() - 1))
                    .0;
                let bin = Colour::of_pixel(rgb) as usize;
                on[bin] += 1;
                if !backdrop.is_uniform() || backdrop.differs(&rgb) {
                    standing_out[bin] += 1;
                }
            }
        }
    }
    let (all, out) = (on.iter().sum::<u32>(), standing_out.iter().sum::<u32>());
    if (all as f32) < MIN_PERSON_SHARE * (nx * ny) as f32 {
        return histogram(image, Some(region));
    }
    // A garment of the backdrop's own colour (a white shirt on a white studio wall) leaves
    // mostly skin standing out: then the whole person counts.
    let (counts, n) =
        if out as f32 >= MIN_STANDING_OUT * all as f32 { (standing_out, out) } else { (on, all) };
    counts.map(|c| c as f32 / n as f32)
}

/// The colour with the largest share of `histogram` (the first on ties); `None` for an empty
/// one (a region with no pixels).
pub fn dominant(histogram: &[f32; BINS]) -> Option<Colour> {
    let best = (0..BINS).fold(0, |best, i| if histogram[i] > histogram[best] { i } else { best });
    (histogram[best] > 0.0).then_some(Colour::ALL[best])
}

/// The similarity of two garments joined from their embeddings' `cosine` and their histograms'
/// Bhattacharyya coefficient: (1 - `weight`) x cosine + `weight` x coefficient (the index ranks by
/// it at [`WEIGHT`]).
pub fn mix(cosine: f32, bhattacharyya: f32, weight: f32) -> f32 {
    (1.0 - weight) * cosine + weight * bhattacharyya
}

/// An embedding with the garment's colour joined to it: the unit-length `embedding` scaled by
/// sqrt(1 - `weight`) followed by the histogram's Hellinger vector (the square roots of its
/// shares, unit length) scaled by sqrt(`weight`), so that the cosine of two joined vectors is
/// [`mix`] of the embeddings' cosine and the histograms' Bhattacharyya coefficient. `weight` is
/// in 0..=1; an empty histogram adds zeros.
pub fn joined(embedding: &[f32], histogram: &[f32; BINS], weight: f32) -> Vec<f32> {
    let roots = histogram.map(f32::sqrt);
    let norm = roots.iter().map(|r| r * r).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
    let (a, b) = ((1.0 - weight).sqrt(), weight.sqrt() / norm);
    embedding.iter().map(|v| v * a).chain(roots.iter().map(|r| r * b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// One CSS Color 4 keyword per bin, and a few on either side of an edge.
    #[test]
    fn named_colours_fall_in_their_bins() {
        let cases: [([u8; 3], Colour); 27] = [
            ([0, 0, 0], Colour::Black),
            ([51, 51, 51], Colour::Black),
            ([128, 128, 128], Colour::Grey),
            ([90, 92, 95], Colour::Grey),
            ([220, 220, 220], Colour::White), // gainsboro
            ([255, 255, 255], Colour::White),
            ([245, 245, 220], Colour::Beige),
            ([210, 180, 140], Colour::Beige), // tan
            ([139, 69, 19], Colour::Brown),   // saddlebrown
            ([160, 82, 45], Colour::Brown),   // sienna
            ([255, 0, 0], Colour::Red),
            ([220, 20, 60], Colour::Red),    // crimson
            ([128, 0, 0], Colour::Red),      // maroon
            ([255, 140, 0], Colour::Orange), // darkorange
            ([255, 215, 0], Colour::Yellow), // gold
            ([255, 255, 0], Colour::Yellow),
            ([0, 128, 0], Colour::Green),
            ([0, 128, 128], Colour::Green), // teal
            ([0, 0, 128], Colour::Blue),    // navy
            ([70, 130, 180], Colour::Blue), // steelblue
            ([128, 0, 128], Colour::Purple),
            ([255, 20, 147], Colour::Pink),   // deeppink
            ([255, 182, 193], Colour::Pink),  // lightpink
            ([255, 105, 180], Colour::Pink),  // hotpink
            ([150, 140, 100], Colour::Beige), // khaki drill
            ([210, 105, 30], Colour::Brown),  // chocolate
            ([75, 0, 130], Colour::Purple),   // indigo
        ];
        for (rgb, colour) in cases {
            assert_eq!(Colour::of_pixel(rgb), colour, "{rgb:?}");
        }
        // The names are serde's.
        for colour in Colour::ALL {
            assert_eq!(serde_json::to_value(colour).unwrap(), colour.name());
        }
    }

    #[test]
    fn the_backdrop_is_left_out_and_a_scene_is_read_at_its_centre() {
        // A red garment on white: red, whatever the white's share.
        let packshot = RgbImage::from_fn(100, 100, |x, y| {
            Rgb(if (30..70).contains(&x) && (20..90).contains(&y) { [200, 20, 30] } else { [250, 250, 250] })
        });
        let h = histogram(&packshot, None);
        assert_eq!(dominant(&h), Some(Colour::Red));
        assert!((h[Colour::Red as usize] - 1.0).abs() < 1e-6, "{h:?}");
        // A border of many colours (a floor): the central 60% counts.
        let scene = RgbImage::from_fn(100, 100, |x, y| {
            Rgb(if (20..80).contains(&x) && (20..80).contains(&y) {
                [20, 40, 160]
            } else {
                [(x * 2) as u8, (y * 2) as u8, 90]
            })
        });
        assert_eq!(dominant(&histogram(&scene, None)), Some(Colour::Blue));
        // A region: only its pixels.
        let region = Rect::new(0.0, 0.0, 25.0, 100.0);
        assert_eq!(dominant(&histogram(&packshot, Some(region))), Some(Colour::White));
        assert_eq!(histogram(&packshot, Some(Rect::new(10.0, 10.0, 11.0, 11.0))), [0.0; BINS]);
        assert_eq!(dominant(&[0.0; BINS]), None);
    }

    /// A look's crop: a red top on a person in a blue shirted crowd. On the person only the
    /// red counts; a mask that misses the box falls back to the backdrop rules.
    #[test]
    fn a_worn_garment_is_read_on_the_person() {
        // 3000 x 3000: read on a grid, not pixel by pixel.
        let photo = RgbImage::from_fn(3000, 3000, |x, _| {
            Rgb(if (1000..2000).contains(&x) { [200, 20, 30] } else { [30, 40, 190] })
        });
        let box_ = Rect::new(500.0, 0.0, 2500.0, 3000.0);
        let person = |p: Point| (1000.0..2000.0).contains(&p.x);
        let h = histogram_of_person(&photo, box_, person);
        assert!((h[Colour::Red as usize] - 1.0).abs() < 1e-6, "{h:?}");
        // The box's border is blue and the red half of it stands out: the backdrop rule's red.
        let missed = histogram_of_person(&photo, box_, |p| p.x < 510.0);
        assert_eq!(dominant(&missed), Some(Colour::Red), "{missed:?}");
        assert_eq!(histogram_of_person(&photo, Rect::new(5.0, 5.0, 7.0, 90.0), person), [0.0; BINS]);
        let nan = Rect::new(f32::NAN, 0.0, 10.0, 10.0);
        assert_eq!(histogram_of_person(&photo, nan, person), [0.0; BINS]);
        // A white shirt on a white studio wall, a face above it: white, not skin.
        let studio = RgbImage::from_fn(300, 300, |x, y| {
            Rgb(match (x, y) {
                (100..200, 40..80) => [224, 172, 140],
                (100..200, 80..300) => [246, 246, 244],
                _ => [252, 252, 252],
            })
        });
        let shirt = histogram_of_person(&studio, Rect::new(50.0, 20.0, 250.0, 300.0), |p| {
            (100.0..200.0).contains(&p.x) && p.y >= 40.0
        });
        assert_eq!(dominant(&shirt), Some(Colour::White), "{shirt:?}");
    }

    #[test]
    fn joined_vectors_mix_the_two_cosines_by_the_weight() {
        let mut red = [0.0; BINS];
        red[Colour::Red as usize] = 1.0;
        let mut half = [0.0; BINS];
        half[Colour::Red as usize] = 0.5;
        half[Colour::Blue as usize] = 0.5;
        let (a, b) = (joined(&[1.0, 0.0], &red, 0.3), joined(&[0.0, 1.0], &half, 0.3));
        let cosine: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        // Embeddings orthogonal (0), histograms' Bhattacharyya coefficient sqrt(0.5).
        assert!((cosine - mix(0.0, 0.5f32.sqrt(), 0.3)).abs() < 1e-6, "{cosine}");
        assert!((mix(0.0, 0.5f32.sqrt(), 0.3) - 0.3 * 0.5f32.sqrt()).abs() < 1e-7);
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-6);
    }
}
