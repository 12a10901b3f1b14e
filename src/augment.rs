//! The training augmentations of `vitrine train --fine-tune`, chosen to look like what a look
//! sends the embedder: a garment box cut a little differently each time (random resized crops,
//! as Szegedy et al., "Going deeper with convolutions", 2015, and torchvision's
//! `RandomResizedCrop`), mirrored, under other light (brightness and contrast jitter applied to
//! the three channels alike, so hue, what shoppers match on, is kept), and on another
//! background: a product's backdrop replaced by the mid-grey or white that fills what lies
//! outside a look's crop (the person mask's style).

use image::{imageops, Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::Rng;

use crate::regions::Backdrop;

/// Share of the image's area a random crop keeps, at least (at most all of it).
const MIN_CROP_AREA: f32 = 0.55;
/// Largest change of brightness and of contrast, as a factor's distance from 1.
const LIGHT_JITTER: f32 = 0.2;
/// Chance of replacing a uniform backdrop.
const BACKDROP_CHANCE: f64 = 0.5;

/// One random augmentation of `image` (a product photo or a garment crop), drawn from `rng`.
pub fn augment(image: &RgbImage, rng: &mut StdRng) -> RgbImage {
    let mut out = image.clone();
    if rng.gen_bool(BACKDROP_CHANCE) {
        let fill = if rng.gen_bool(0.5) { [127, 127, 127] } else { [255, 255, 255] };
        replace_backdrop(&mut out, fill);
    }
    let (w, h) = out.dimensions();
    let area = rng.gen_range(MIN_CROP_AREA..=1.0) * (w * h) as f32;
    let aspect = rng.gen_range((3.0f32 / 4.0).ln()..=(4.0f32 / 3.0).ln()).exp();
    let cw = ((area * aspect).sqrt().round() as u32).clamp(1, w);
    let ch = ((area / aspect).sqrt().round() as u32).clamp(1, h);
    let (x, y) = (rng.gen_range(0..=w - cw), rng.gen_range(0..=h - ch));
    let mut out = imageops::crop_imm(&out, x, y, cw, ch).to_image();
    if rng.gen_bool(0.5) {
        imageops::flip_horizontal_in_place(&mut out);
    }
    let brightness = rng.gen_range(1.0 - LIGHT_JITTER..=1.0 + LIGHT_JITTER);
    let contrast = rng.gen_range(1.0 - LIGHT_JITTER..=1.0 + LIGHT_JITTER);
    let mean = out.pixels().map(|p| p.0.iter().map(|&c| c as f32).sum::<f32>() / 3.0).sum::<f32>()
        / (out.width() * out.height()).max(1) as f32;
    for p in out.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = (((*c as f32 - mean) * contrast + mean) * brightness).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// Paints `fill` over the backdrop: the pixels of the border's colour ([`Backdrop`]) reached
/// from the border through pixels of that colour, so a white shirt's inside stays when its
/// outline closes it off. Nothing changes when the border is not one colour (a scene).
pub fn replace_backdrop(image: &mut RgbImage, fill: [u8; 3]) {
    let (w, h) = image.dimensions();
    if w < 3 || h < 3 {
        return;
    }
    let backdrop = Backdrop::of(image, [0, 0, w, h]);
    if !backdrop.is_uniform() {
        return;
    }
    let mut seen = vec![false; (w * h) as usize];
    let mut stack: Vec<(u32, u32)> =
        (0..w).flat_map(|x| [(x, 0), (x, h - 1)]).chain((0..h).flat_map(|y| [(0, y), (w - 1, y)])).collect();
    while let Some((x, y)) = stack.pop() {
        let i = (y * w + x) as usize;
        if seen[i] || backdrop.differs(&image.get_pixel(x, y).0) {
            continue;
        }
        seen[i] = true;
        image.put_pixel(x, y, Rgb(fill));
        if x > 0 {
            stack.push((x - 1, y));
        }
        if x + 1 < w {
            stack.push((x + 1, y));
        }
        if y > 0 {
            stack.push((x, y - 1));
        }
        if y + 1 < h {
            stack.push((x, y + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A red square on a light-grey backdrop with a white hole inside it.
    fn product() -> RgbImage {
        RgbImage::from_fn(60, 60, |x, y| {
            let inside = (15..45).contains(&x) && (15..45).contains(&y);
            let hole = (27..33).contains(&x) && (27..33).contains(&y);
            Rgb(if hole {
                [230, 230, 230]
            } else if inside {
                [200, 20, 20]
            } else {
                [230, 230, 230]
            })
        })
    }

    #[test]
    fn the_backdrop_is_replaced_from_the_border_and_the_garment_is_kept() {
        let mut image = product();
        replace_backdrop(&mut image, [127, 127, 127]);
        assert_eq!(image.get_pixel(2, 2).0, [127, 127, 127]);
        assert_eq!(image.get_pixel(20, 20).0, [200, 20, 20]);
        // Enclosed by the garment: not backdrop.
        assert_eq!(image.get_pixel(30, 30).0, [230, 230, 230]);
    }

    #[test]
    fn augmentations_keep_hue_and_repeat_with_a_seed() {
        let image = product();
        let a = augment(&image, &mut StdRng::seed_from_u64(3));
        assert_eq!(a, augment(&image, &mut StdRng::seed_from_u64(3)));
        for seed in 0..20 {
            let out = augment(&image, &mut StdRng::seed_from_u64(seed));
            assert!(out.width() * out.height() >= (0.5 * 3600.0) as u32);
            // Every reddish pixel stays red: red well above green and blue.
            for p in out.pixels().map(|p| p.0.map(i32::from)).filter(|[r, g, _]| r > &(g + 40)) {
                let [r, g, b] = p;
                assert!(r - g > 60 && (g - b).abs() < 10, "{p:?}");
            }
        }
    }
}
