//! `vitrine recommend --draw`: the photo with the person's landmarks and each garment's box.

use anyhow::Result;
use image::{Rgb, RgbImage};
use vitrine::catalog::Wear;
use vitrine::geometry::Rect;
use vitrine::photo::Photo;
use vitrine::Look;

fn colour(wear: Wear) -> Rgb<u8> {
    match wear {
        Wear::Top => Rgb([230, 60, 60]),
        Wear::Bottom => Rgb([50, 110, 240]),
        Wear::Foot => Rgb([40, 200, 90]),
        Wear::Dress => Rgb([200, 60, 220]),
    }
}

fn rect(img: &mut RgbImage, r: &Rect, c: Rgb<u8>, thickness: u32) {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (x0, y0) = ((r.x0 * w) as i64, (r.y0 * h) as i64);
    let (x1, y1) = ((r.x1 * w) as i64, (r.y1 * h) as i64);
    let mut put = |x: i64, y: i64| {
        if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
            img.put_pixel(x as u32, y as u32, c);
        }
    };
    for t in 0..thickness as i64 {
        for x in x0..=x1 {
            put(x, y0 + t);
            put(x, y1 - t);
        }
        for y in y0..=y1 {
            put(x0 + t, y);
            put(x1 - t, y);
        }
    }
}

/// PNG bytes of the annotated photo.
pub fn look(photo: &Photo, look: &Look) -> Result<Vec<u8>> {
    let mut img = photo.rgb().clone();
    let thickness = (img.width().max(img.height()) / 300).max(2);
    if let Some(person) = &look.person {
        rect(&mut img, &person.rect, Rgb([250, 250, 250]), 1);
        let (w, h) = (img.width() as f32, img.height() as f32);
        for l in person.landmarks.iter().filter(|l| l.visibility >= 0.5) {
            let d = 2.0 / w.max(h) * thickness as f32;
            let dot = Rect::new(l.point.x - d, l.point.y - d, l.point.x + d, l.point.y + d);
            rect(&mut img, &dot, Rgb([255, 220, 0]), thickness);
        }
    }
    for g in &look.garments {
        rect(&mut img, &g.rect, colour(g.wear), thickness);
    }
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut png, image::ImageFormat::Png)?;
    Ok(png.into_inner())
}
