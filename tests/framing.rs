//! The full-shot verdict on real photos made in code from messi5.jpg (issue 22): cut at the
//! chest (the usual photo of trousers: the head is out of the frame), cut at the knees, and
//! with the legs between hips and ankles under a flat-coloured long-skirt shape (a floor-length
//! garment hides the knees; the head and the feet are in the photo, so it is a full shot).

mod common;

use image::{Rgb, RgbImage};
use vitrine::dress::DressCrop;
use vitrine::look::Verdict;
use vitrine::models::{ObjectDetector, PoseDetector, PoseLandmarker};
use vitrine::photo::{Limits, Photo};
use vitrine::{Locator, Options};

fn locator() -> Locator {
    Locator::new(
        &common::model_bytes(PoseDetector::FILE),
        (PoseLandmarker::FILE, &common::model_bytes(PoseLandmarker::FILE)),
        &common::model_bytes(ObjectDetector::FILE),
    )
    .unwrap()
}

fn verdict(locator: &Locator, image: RgbImage) -> Verdict {
    let photo = Photo::from_image(image::DynamicImage::ImageRgb8(image)).unwrap();
    locator.locate(photo, &Options::default(), DressCrop::Never).unwrap().verdict().clone()
}

/// Rows `from` to `to` (fractions of the height) of `image`.
fn rows(image: &RgbImage, from: f32, to: f32) -> RgbImage {
    let (w, h) = image.dimensions();
    let (y0, y1) = ((from * h as f32) as u32, (to * h as f32) as u32);
    image::imageops::crop_imm(image, 0, y0, w, y1 - y0).to_image()
}

/// `image` with the quadrilateral `corners` (fractions of the photo, clockwise from the top
/// left, top and bottom edges horizontal) filled with `colour`.
fn paint(mut image: RgbImage, corners: [(f32, f32); 4], colour: [u8; 3]) -> RgbImage {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let [(tl, top), (tr, _), (br, bottom), (bl, _)] = corners;
    for y in (top * h) as u32..(bottom * h) as u32 {
        let t = (y as f32 / h - top) / (bottom - top);
        let (x0, x1) = ((tl + t * (bl - tl)) * w, (tr + t * (br - tr)) * w);
        for x in x0 as u32..x1 as u32 {
            image.put_pixel(x, y, Rgb(colour));
        }
    }
    image
}

#[test]
fn messi_cut_at_the_chest_the_knees_and_in_a_long_skirt() {
    let Some(bytes) = common::photo("messi5.jpg") else { return };
    let messi = Photo::decode(&bytes, "messi5.jpg", &Limits::default()).unwrap().rgb().clone();
    let locator = locator();
    let whole = verdict(&locator, messi.clone());
    assert!(whole.full_shot, "{}", whole.message);

    // From under the shoulders (0.36-0.39 of the height) down: no head. The landmark model
    // still places a face there (nose 0.59, eyes 0.36-0.38) and once turned the photo over it.
    let chest = verdict(&locator, rows(&messi, 0.42, 1.0));
    assert!(chest.message.starts_with("not a full shot: head not visible"), "{}", chest.message);
    let waist = verdict(&locator, rows(&messi, 0.5, 1.0));
    assert!(waist.message.starts_with("not a full shot: head not visible"), "{}", waist.message);

    // Head to knees.
    let knees = verdict(&locator, rows(&messi, 0.0, 0.75));
    assert_eq!(
        (knees.message.as_str(), knees.reasons.clone()),
        ("not a full shot: cut off at the knees", vec!["cut_at_knees"])
    );

    // A long skirt from the hips (0.60-0.65) to above the planted foot (its ankle at 0.93),
    // over both thighs and the planted leg; the kicking foot and the planted shoe stay out.
    let skirt = paint(messi, [(0.43, 0.63), (0.55, 0.63), (0.64, 0.90), (0.38, 0.90)], [150, 30, 40]);
    let v = verdict(&locator, skirt);
    assert_eq!((v.full_shot, v.message.as_str()), (true, "full shot"));
}
