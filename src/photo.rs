//! Photo bytes in, an upright RGB photo out: size limits checked before any pixel is decoded,
//! EXIF orientation applied (phone photos), grey / CMYK / alpha / 16-bit inputs made RGB8, and a
//! sampler that cuts the model inputs (letterboxes, rotated crops) out of it.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use crate::error::{Error, Result};
use crate::geometry::Affine;

/// Sizes a photo may have before vitrine refuses it. Checked on the header, before decoding, so
/// a hostile file cannot make the browser allocate gigabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_width: u32,
    pub max_height: u32,
    pub max_pixels: u64,
}

impl Default for Limits {
    /// Room for any phone camera (50 MP) and no more.
    fn default() -> Limits {
        Limits { max_bytes: 40 << 20, max_width: 16_384, max_height: 16_384, max_pixels: 50_000_000 }
    }
}

/// Photos are kept at most this many pixels on their long side after decoding: every model
/// input is smaller, and it bounds the memory of everything downstream.
pub const WORKING_SIDE: u32 = 1280;

/// An upright RGB photo, downscaled to [`WORKING_SIDE`] if it was larger.
#[derive(Debug, Clone)]
pub struct Photo {
    rgb: RgbImage,
}

impl Photo {
    /// Decodes `bytes` (named `input` in errors) within `limits`.
    pub fn decode(bytes: &[u8], input: &str, limits: &Limits) -> Result<Photo> {
        let decode_error = |reason: String| Error::Decode { input: input.to_string(), reason };
        let too_large =
            |what, actual: u64, limit: u64| Error::TooLarge { input: input.to_string(), what, actual, limit };
        if bytes.is_empty() {
            return Err(decode_error("the file is empty; choose a photo".into()));
        }
        let size = bytes.len() as u64;
        if size > limits.max_bytes {
            return Err(too_large("the file size in bytes", size, limits.max_bytes));
        }
        let reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| decode_error(e.to_string()))?;
        if reader.format().is_none() {
            return Err(decode_error(
                "not an image (expected JPEG, PNG, WebP, GIF or BMP); choose a photo".into(),
            ));
        }
        // The JPEG decoder fills a cut-off file with grey instead of failing: check the end.
        if reader.format() == Some(image::ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
            return Err(decode_error("the JPEG is truncated (no end marker); upload the whole file".into()));
        }
        let mut decoder = reader.into_decoder().map_err(|e| decode_error(describe(e)))?;
        let (width, height) = decoder.dimensions();
        if width > limits.max_width {
            return Err(too_large("the width in pixels", width.into(), limits.max_width.into()));
        }
        if height > limits.max_height {
            return Err(too_large("the height in pixels", height.into(), limits.max_height.into()));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > limits.max_pixels {
            return Err(too_large("the pixel count", pixels, limits.max_pixels));
        }
        if pixels == 0 {
            return Err(decode_error("the image has no pixels; choose a photo".into()));
        }
        let mut decoder_limits = image::Limits::default();
        decoder_limits.max_image_width = Some(limits.max_width);
        decoder_limits.max_image_height = Some(limits.max_height);
        // 16-bit RGBA is the widest buffer a decoder makes, plus room for its own tables.
        decoder_limits.max_alloc = Some(pixels * 8 + (64 << 20));
        decoder.set_limits(decoder_limits).map_err(|e| decode_error(describe(e)))?;
        // A broken EXIF block must not lose the photo: it just stays as stored.
        let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(describe(e)))?;
        image.apply_orientation(orientation);
        Photo::from_image(image).map_err(|e| match e {
            Error::Decode { reason, .. } => decode_error(reason),
            other => other,
        })
    }

    /// Wraps an already decoded image (applying the same alpha and size rules as `decode`).
    pub fn from_image(image: DynamicImage) -> Result<Photo> {
        // into_rgb8: a decoded JPEG is RGB8 already, and a copy would double the peak memory.
        let rgb = if image.color().has_alpha() { over_white(&image) } else { image.into_rgb8() };
        let long = rgb.width().max(rgb.height());
        let rgb = if long > WORKING_SIDE {
            let scale = WORKING_SIDE as f32 / long as f32;
            let w = ((rgb.width() as f32 * scale).round() as u32).max(1);
            let h = ((rgb.height() as f32 * scale).round() as u32).max(1);
            downscale(&rgb, w, h)?
        } else {
            rgb
        };
        Ok(Photo { rgb })
    }

    pub fn width(&self) -> u32 {
        self.rgb.width()
    }

    pub fn height(&self) -> u32 {
        self.rgb.height()
    }

    pub fn rgb(&self) -> &RgbImage {
        &self.rgb
    }

    /// Samples a `width` x `height` RGB image (HWC, values 0..=255) whose pixel (u, v) comes from
    /// the photo at `map.apply(u + 0.5, v + 0.5)` (photo pixels, continuous coordinates).
    /// Outside the photo the value is `fill`. When the map shrinks the photo, each output pixel
    /// averages a grid of samples, so small model inputs do not alias.
    pub fn sample(&self, width: usize, height: usize, map: &Affine, fill: [f32; 3]) -> Vec<f32> {
        let step = map.scale().ceil().clamp(1.0, 4.0) as usize;
        let inv = 1.0 / (step * step) as f32;
        let mut out = Vec::with_capacity(width * height * 3);
        for v in 0..height {
            for u in 0..width {
                let mut acc = [0.0f32; 3];
                for sy in 0..step {
                    for sx in 0..step {
                        let fu = u as f32 + (sx as f32 + 0.5) / step as f32;
                        let fv = v as f32 + (sy as f32 + 0.5) / step as f32;
                        let (x, y) = map.apply(fu, fv);
                        let px = self.bilinear(x, y).unwrap_or(fill);
                        for c in 0..3 {
                            acc[c] += px[c];
                        }
                    }
                }
                out.extend(acc.iter().map(|a| a * inv));
            }
        }
        out
    }

    /// Bilinear lookup at continuous coordinates (pixel centres at +0.5), `None` outside.
    fn bilinear(&self, x: f32, y: f32) -> Option<[f32; 3]> {
        let (w, h) = (self.rgb.width() as f32, self.rgb.height() as f32);
        if !(0.0..w).contains(&x) || !(0.0..h).contains(&y) {
            return None;
        }
        let fx = (x - 0.5).clamp(0.0, w - 1.0);
        let fy = (y - 0.5).clamp(0.0, h - 1.0);
        let (x0, y0) = (fx.floor() as u32, fy.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(self.rgb.width() - 1), (y0 + 1).min(self.rgb.height() - 1));
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let p = |x, y| self.rgb.get_pixel(x, y).0;
        let (p00, p10, p01, p11) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
        let mut out = [0.0; 3];
        for c in 0..3 {
            let top = p00[c] as f32 * (1.0 - ax) + p10[c] as f32 * ax;
            let bottom = p01[c] as f32 * (1.0 - ax) + p11[c] as f32 * ax;
            out[c] = top * (1.0 - ay) + bottom * ay;
        }
        Some(out)
    }
}

/// Whether a JPEG's segments run through to its end-of-image marker. Walks the segments (so an
/// EXIF thumbnail's own end marker does not count) and the entropy-coded scans; data after the
/// end marker (motion photos append a video) is fine.
fn jpeg_is_complete(b: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 1 < b.len() {
        if b[i] != 0xFF {
            return false;
        }
        let marker = b[i + 1];
        match marker {
            0xD9 => return true,
            0xFF => i += 1, // fill byte
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let Some(len) = b.get(i + 2..i + 4).map(|l| u16::from_be_bytes([l[0], l[1]]) as usize) else {
                    return false;
                };
                i += 2 + len;
                if marker == 0xDA {
                    // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00
                    // or a restart marker.
                    while i + 1 < b.len()
                        && !(b[i] == 0xFF && b[i + 1] != 0 && !(0xD0..=0xD7).contains(&b[i + 1]))
                    {
                        i += 1;
                    }
                }
            }
        }
    }
    false
}

/// `rgb` resized to `w` x `h` (smaller) with a triangle (bilinear) filter spread over the whole
/// shrink, as image's `FilterType::Triangle` does, by fast_image_resize's SIMD kernels: a 4032 x
/// 2516 photo's decode took 465 ms in the browser with image's resize, 183 with this one
/// (BENCHMARKS.md "Camera-sized photos").
fn downscale(rgb: &RgbImage, w: u32, h: u32) -> Result<RgbImage> {
    use fast_image_resize::images::{TypedImage, TypedImageRef};
    use fast_image_resize::pixels::U8x3;
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
    let fail = |reason: String| Error::Decode {
        input: "the photo".to_string(),
        reason: format!("it could not be scaled down to {w}x{h} ({reason}); try another photo"),
    };
    // Typed to RGB8: the untyped API compiles every pixel format in (+0.26 MB brotli of wasm).
    let src = TypedImageRef::<U8x3>::from_buffer(rgb.width(), rgb.height(), rgb.as_raw())
        .map_err(|e| fail(e.to_string()))?;
    let mut out = vec![0u8; w as usize * h as usize * 3];
    let mut dst = TypedImage::<U8x3>::from_buffer(w, h, &mut out).map_err(|e| fail(e.to_string()))?;
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize_typed(&src, &mut dst, &options).map_err(|e| fail(e.to_string()))?;
    RgbImage::from_raw(w, h, out).ok_or_else(|| fail("a buffer of the wrong size".into()))
}

/// Product photos are often transparent PNGs; their transparent pixels are usually black, which
/// would turn a white shirt's background black. Composite over white instead.
fn over_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let a = a as u32;
        let blend = |c: u8| ((c as u32 * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn describe(e: image::ImageError) -> String {
    match e {
        image::ImageError::Limits(l) => format!("{l}; use a smaller photo"),
        image::ImageError::Unsupported(u) => format!("{u}; use a JPEG, PNG or WebP photo"),
        other => format!("{other}; the file may be truncated or damaged"),
    }
}
