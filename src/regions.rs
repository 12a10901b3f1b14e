//! Catalog regions: the part of a catalog product photo that is embedded, so that the catalog
//! side compares garment with garment as a look does (issue 26). A fashion catalog photographs
//! most apparel worn by a model: the photo of a shirt also holds a face, trousers, shoes and the
//! studio. So each product photo goes through the look's own locate step ([`Locator`]) and:
//!
//! - **worn**: a person is found and the product's wear is boxed on them: the crop a look would
//!   embed for that wear (top, bottom, foot: both feet when both show; dress: the top's top to
//!   the bottom's bottom), turned upright with the person;
//! - **packshot**: nobody is found (a packshot on white, a flat-lay, a shoe alone), or only a
//!   person lying sideways, upside down or too small to box garments on, which in a catalog is
//!   mostly a product the pose detector took for one: the photo trimmed to the object, the box of what differs from the border
//!   colour ([`trim`]);
//! - **fallback**: several people, or a person on whom the product's wear is not boxed (a
//!   close-up of a collar, shoes cut off by the frame): the whole photo, with the reason.

use image::{DynamicImage, RgbImage};
use serde::{Deserialize, Serialize};

use crate::catalog::Wear;
use crate::colour::{self, BINS};
use crate::dress::DressCrop;
use crate::error::Result;
use crate::full_shot::{self, MIN_PERSON_HEIGHT};
use crate::geometry::Rect;
use crate::look::Options;
use crate::photo::Photo;
use crate::pipeline::Locator;
use crate::upright::Turn;

/// Where a product's embedding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Worn,
    Packshot,
    Fallback,
    /// The whole photo, as asked (`vitrine index build --whole`), without looking for a person.
    Whole,
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Worn, Source::Packshot, Source::Fallback, Source::Whole];

    pub fn name(self) -> &'static str {
        match self {
            Source::Worn => "worn",
            Source::Packshot => "packshot",
            Source::Fallback => "fallback",
            Source::Whole => "whole",
        }
    }
}

/// The region of a catalog photo to embed, in photo pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    pub rect: Rect,
    /// How the person is turned in the photo (worn regions): the embedder samples the region
    /// turned back upright, as [`crate::matcher::Crop`] does.
    pub turn: Turn,
    pub source: Source,
    /// Why a fallback fell back: "several_people" or "wear_not_visible"; `None` otherwise.
    pub reason: Option<&'static str>,
    /// The garment's colour histogram, as a look's crop reads it: on the person for a worn
    /// region ([`crate::colour::histogram_of_person`]), by the backdrop rules of
    /// [`crate::colour::histogram`] otherwise.
    pub colour: [f32; BINS],
}

impl Region {
    /// An upright region of `photo` without a person, its colour read by the backdrop rules.
    fn read(photo: &Photo, rect: Rect, source: Source, reason: Option<&'static str>) -> Region {
        let colour = colour::histogram(photo.rgb(), Some(rect));
        Region { rect, turn: Turn::UPRIGHT, source, reason, colour }
    }

    /// What products.json records: the region as fractions of the `width` x `height` photo.
    pub fn embedded(&self, width: f32, height: f32) -> Embedded {
        Embedded {
            source: self.source,
            rect: self.rect.normalized(width, height),
            reason: self.reason.map(String::from),
            colour: colour::dominant(&self.colour),
        }
    }
}

/// A product's region as products.json records it: its source and its box as fractions of the
/// product photo (0..1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedded {
    pub source: Source,
    pub rect: Rect,
    /// Why a fallback fell back (see [`Region::reason`]); null otherwise.
    pub reason: Option<String>,
    /// The garment's colour, the largest share of [`Region::colour`] (the index ranks by the
    /// whole histogram); null for a region without one.
    #[serde(default)]
    pub colour: Option<colour::Colour>,
}

/// The region of `photo`, a catalog photo of a product of `wear`, to embed (see the module
/// docs). Photos under [`MIN_PERSON_HEIGHT`] pixels tall cannot hold a person the pose model
/// places (Fashion-MNIST's 28 x 28) and are taken as packshots without running the networks.
///
/// Errors: the networks' errors.
pub fn region(locator: &Locator, photo: Photo, wear: Wear) -> Result<(Photo, Region)> {
    if (photo.height() as f32) < MIN_PERSON_HEIGHT {
        let rect = trim(&photo);
        let region = Region::read(&photo, rect, Source::Packshot, None);
        return Ok((photo, region));
    }
    let dresses = if wear == Wear::Dress { DressCrop::Always } else { DressCrop::Never };
    let located = locator.locate(photo, &Options::default(), dresses)?;
    let people = located.verdict().people;
    let crop = located.crops().iter().find(|c| c.wear == wear).copied();
    // Catalog photos show people upright: a "person" lying sideways or upside down is the pose
    // detector seeing one in a product (a sneaker on white), not a model.
    // The same for a person too small to box garments on (an ankle boot on white, padded into
    // a large canvas, was a 0.65 face): the trim then takes what stands out of the backdrop.
    let turned = located.verdict().reasons.iter().any(|r| matches!(*r, "upside_down" | "lying_sideways"));
    let posed = located.person().is_some() && !turned && !full_shot::too_small(located.verdict());
    let photo = located.into_photo();
    let whole = Rect::new(0.0, 0.0, photo.width() as f32, photo.height() as f32);
    let fallback = |reason| Region::read(&photo, whole, Source::Fallback, Some(reason));
    let region = if people > 1 {
        fallback("several_people")
    } else if let Some(crop) = crop.filter(|_| posed) {
        let rect = crop.rect.clip(whole.x1, whole.y1).unwrap_or(whole);
        Region { rect, turn: crop.turn, source: Source::Worn, reason: None, colour: crop.colour }
    } else if posed {
        fallback("wear_not_visible")
    } else {
        Region::read(&photo, trim(&photo), Source::Packshot, None)
    };
    Ok((photo, region))
}

/// The whole of `photo`, as [`Source::Whole`].
pub fn whole(photo: &Photo) -> Region {
    let rect = Rect::new(0.0, 0.0, photo.width() as f32, photo.height() as f32);
    Region::read(photo, rect, Source::Whole, None)
}

/// Levels (of 255, largest channel difference) by which a pixel must differ from the border
/// colour to be part of the object: above JPEG noise and a studio backdrop's gentle gradient,
/// below the contrast of a white shirt's shadowed folds on white (~40).
const OBJECT_CONTRAST: i32 = 28;
/// Share of the border that must be within [`OBJECT_CONTRAST`] of its median colour for the
/// photo to have a background to trim: more than half, so that the median is the background's
/// colour. A product may run off the edges (trousers from waistband to hem touch the top and
/// the bottom), while a close-up or a scene, whose border is many colours, is not trimmed.
const UNIFORM_BORDER: f32 = 0.5;

/// The box of `photo` (pixels) that holds its object: the rows and columns where at least a
/// few pixels (1 in 200 of the row or column and at least 2, so that JPEG specks and dust do
/// not count)
/// differ from the border's median colour by more than [`OBJECT_CONTRAST`]. The whole photo
/// when its border is not one colour or nothing stands out. No margin: the embedder widens the
/// box to a square of the photo around it, and a margin the photo's edge cut short on one side
/// would make a padded copy of a product that touches the edge embed differently.
pub fn trim(photo: &Photo) -> Rect {
    let rgb = photo.rgb();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let whole = Rect::new(0.0, 0.0, w as f32, h as f32);
    if w < 3 || h < 3 {
        return whole;
    }
    let backdrop = Backdrop::of(rgb, [0, 0, w as u32, h as u32]);
    if !backdrop.is_uniform() {
        return whole;
    }
    let differs = |p: &[u8; 3]| backdrop.differs(p);
    let (mut rows, mut cols) = (vec![0usize; h], vec![0usize; w]);
    for (x, y, p) in rgb.enumerate_pixels() {
        if differs(&p.0) {
            rows[y as usize] += 1;
            cols[x as usize] += 1;
        }
    }
    let span = |counts: &[usize], across: usize| {
        let enough = (across / 200).max(2);
        let first = counts.iter().position(|&n| n >= enough)?;
        let last = counts.iter().rposition(|&n| n >= enough)?;
        Some((first as f32, last as f32 + 1.0))
    };
    let (Some((y0, y1)), Some((x0, x1))) = (span(&rows, w), span(&cols, h)) else {
        return whole;
    };
    Rect::new(x0, y0, x1, y1)
}

/// What surrounds an object in a photo: the median colour of a box's border, and how much of
/// the border lies within [`OBJECT_CONTRAST`] of it. [`trim`] and the garment colour
/// ([`crate::colour::histogram`]) leave out what matches it.
pub(crate) struct Backdrop {
    colour: [u8; 3],
    uniform: f32,
}

impl Backdrop {
    /// The backdrop of the box `[x0, y0, x1, y1)` of `image` (pixels, inside it, at least 3 x 3).
    pub(crate) fn of(image: &RgbImage, [x0, y0, x1, y1]: [u32; 4]) -> Backdrop {
        let px = |x: u32, y: u32| image.get_pixel(x, y).0;
        let border: Vec<[u8; 3]> = (x0..x1)
            .flat_map(|x| [px(x, y0), px(x, y1 - 1)])
            .chain((y0 + 1..y1 - 1).flat_map(|y| [px(x0, y), px(x1 - 1, y)]))
            .collect();
        let median = |c: usize| {
            let mut v: Vec<u8> = border.iter().map(|p| p[c]).collect();
            v.sort_unstable();
            v[v.len() / 2]
        };
        let mut backdrop = Backdrop { colour: [median(0), median(1), median(2)], uniform: 0.0 };
        backdrop.uniform =
            border.iter().filter(|p| !backdrop.differs(p)).count() as f32 / border.len() as f32;
        backdrop
    }

    /// Whether pixel `p` differs from the backdrop's colour by more than [`OBJECT_CONTRAST`] in
    /// some channel.
    pub(crate) fn differs(&self, p: &[u8; 3]) -> bool {
        (0..3).any(|c| (i32::from(p[c]) - i32::from(self.colour[c])).abs() > OBJECT_CONTRAST)
    }

    /// Whether the border is one colour ([`UNIFORM_BORDER`]): a backdrop, not a scene.
    pub(crate) fn is_uniform(&self) -> bool {
        self.uniform >= UNIFORM_BORDER
    }
}

/// Share of the region's longer side added around it in the card thumbnail, so a garment's
/// edges are not cut.
const THUMBNAIL_MARGIN: f32 = 0.08;
/// The card thumbnail's longer side, pixels.
pub const THUMBNAIL_SIDE: u32 = 256;

/// The product card's picture of a region `rect` (fractions of `photo`): the region with a
/// margin of [`THUMBNAIL_MARGIN`], clipped to the photo, at most [`THUMBNAIL_SIDE`] pixels on
/// its longer side, so the shopper sees the product rather than the model's face.
pub fn thumbnail(photo: &Photo, rect: &Rect) -> RgbImage {
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let px = Rect::new(rect.x0 * w, rect.y0 * h, rect.x1 * w, rect.y1 * h);
    let m = THUMBNAIL_MARGIN * px.width().max(px.height());
    let r =
        Rect::new(px.x0 - m, px.y0 - m, px.x1 + m, px.y1 + m).clip(w, h).unwrap_or(Rect::new(0.0, 0.0, w, h));
    let (x, y) = (r.x0.floor() as u32, r.y0.floor() as u32);
    let (cw, ch) =
        ((r.x1.ceil() as u32).saturating_sub(x).max(1), (r.y1.ceil() as u32).saturating_sub(y).max(1));
    let region = image::imageops::crop_imm(photo.rgb(), x, y, cw, ch).to_image();
    DynamicImage::ImageRgb8(region).thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn photo(image: RgbImage) -> Photo {
        Photo::from_image(DynamicImage::ImageRgb8(image)).unwrap()
    }

    #[test]
    fn a_dark_object_on_white_is_trimmed_to_its_box() {
        let mut image = RgbImage::from_pixel(400, 300, Rgb([250, 250, 250]));
        for y in 100..200 {
            for x in 150..250 {
                image.put_pixel(x, y, Rgb([180, 20, 30]));
            }
        }
        // A speck of dust is not the object.
        image.put_pixel(10, 10, Rgb([0, 0, 0]));
        let r = trim(&photo(image));
        assert_eq!((r.x0, r.y0, r.x1, r.y1), (150.0, 100.0, 250.0, 200.0));
    }

    #[test]
    fn a_photo_whose_border_is_not_one_colour_is_not_trimmed() {
        let image = RgbImage::from_fn(200, 100, |x, _| Rgb([(x % 256) as u8, 0, 255 - (x % 256) as u8]));
        let r = trim(&photo(image));
        assert_eq!((r.x0, r.y0, r.x1, r.y1), (0.0, 0.0, 200.0, 100.0));
    }

    #[test]
    fn a_blank_photo_is_not_trimmed() {
        let r = trim(&photo(RgbImage::from_pixel(50, 60, Rgb([255, 255, 255]))));
        assert_eq!((r.x0, r.y0, r.x1, r.y1), (0.0, 0.0, 50.0, 60.0));
    }
}
