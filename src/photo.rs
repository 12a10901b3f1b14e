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
        if bytes.is_empty() {
            return Err(decode_error("the file is empty; choose a photo".into()));
        }
        if let Some(Unsupported { format, fix }) = unsupported(bytes) {
            return Err(Error::Unsupported { input: input.to_string(), format, fix });
        }
        let size = bytes.len() as u64;
        if size > limits.max_bytes {
            let (input, what) = (input.to_string(), "the file size in bytes");
            return Err(Error::TooLarge { input, what, actual: size, limit: limits.max_bytes });
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
        if reader.format() == Some(image::ImageFormat::Jpeg) {
            match walk_jpeg(bytes, true).end {
                JpegEnd::Complete => {}
                JpegEnd::Truncated => {
                    return Err(decode_error(
                        "the JPEG is truncated (no end marker); upload the whole file".into(),
                    ))
                }
                JpegEnd::Damaged => {
                    return Err(decode_error(
                        "the JPEG is damaged (its segments break off mid-file); export or copy it again"
                            .into(),
                    ))
                }
            }
        }
        let mut decoder = reader.into_decoder().map_err(|e| decode_error(describe(e)))?;
        let (width, height) = decoder.dimensions();
        let pixels = check_size(width, height, input, limits)?;
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

    /// Wraps RGBA pixels (`width` x `height`, row by row, not premultiplied, upright) that a shell
    /// decoded itself: the browser, for the formats vitrine has no decoder for (see
    /// [`decodes`]). The same size limits, alpha and working-size rules as `decode` apply.
    pub fn from_rgba(rgba: Vec<u8>, width: u32, height: u32, input: &str, limits: &Limits) -> Result<Photo> {
        check_size(width, height, input, limits)?;
        let expected = u64::from(width) * u64::from(height) * 4;
        let image = image::RgbaImage::from_raw(width, height, rgba).ok_or_else(|| Error::Decode {
            input: input.to_string(),
            reason: format!(
                "the decoded pixels are not {width} x {height} RGBA ({expected} bytes); try another photo"
            ),
        })?;
        // Opaque photos (nearly all) skip the composite over white and its copy.
        let image = if image.pixels().all(|p| p.0[3] == 255) {
            DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(image).into_rgb8())
        } else {
            DynamicImage::ImageRgba8(image)
        };
        Photo::from_image(image).map_err(|e| match e {
            Error::Decode { reason, .. } => Error::Decode { input: input.to_string(), reason },
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

/// Whether [`Photo::decode`] has a decoder for the format of `bytes`, judged by their signature
/// (the file may still be damaged or too large). A shell with a decoder of its own (the
/// browser's) decodes the others itself and passes the pixels to [`Photo::from_rgba`]; where it
/// cannot either, `decode`'s error says what the format is and what to do.
pub fn decodes(bytes: &[u8]) -> bool {
    unsupported(bytes).is_none() && image::guess_format(bytes).is_ok_and(|f| f.reading_enabled())
}

/// The size rules of [`Limits`] for a `width` x `height` photo named `input`; its pixel count.
fn check_size(width: u32, height: u32, input: &str, limits: &Limits) -> Result<u64> {
    let too_large =
        |what, actual: u64, limit: u64| Error::TooLarge { input: input.to_string(), what, actual, limit };
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
        return Err(Error::Decode {
            input: input.to_string(),
            reason: "the image has no pixels; choose a photo".into(),
        });
    }
    Ok(pixels)
}

/// A format people send that vitrine recognises but cannot decode: what to call it, and how to
/// get a photo it reads.
#[derive(Debug, Clone, Copy)]
struct Unsupported {
    format: &'static str,
    fix: &'static str,
}

const RESAVE: &str = "save it as JPEG, PNG or WebP and try again";
const HEIC: Unsupported = Unsupported {
    format: "a HEIC/HEIF photo (the iPhone's default)",
    fix: "export it as JPEG (on iPhone: Settings > Camera > Formats > Most Compatible) and try again",
};
const AVIF: Unsupported = Unsupported { format: "an AVIF image", fix: RESAVE };
const VIDEO: Unsupported =
    Unsupported { format: "a video (MP4/MOV)", fix: "choose a photo, or save a still of the video as JPEG" };

/// The brands of an ISO-BMFF `ftyp` box (HEIF, AVIF, camera raw, video), most specific first:
/// an AVIF lists the generic HEIF brand mif1 too, and a HEIC may list video brands.
const BRANDS: &[(&[u8; 4], Unsupported)] = &[
    (b"avif", AVIF),
    (b"avis", AVIF),
    (b"heic", HEIC),
    (b"heix", HEIC),
    (b"heim", HEIC),
    (b"heis", HEIC),
    (b"hevc", HEIC),
    (b"hevx", HEIC),
    (b"hevm", HEIC),
    (b"hevs", HEIC),
    (b"crx ", Unsupported { format: "a Canon raw photo (CR3)", fix: RESAVE }),
    (b"mif1", HEIC),
    (b"mif2", HEIC),
    (b"msf1", HEIC),
    (b"qt  ", VIDEO),
    (b"isom", VIDEO),
    (b"iso2", VIDEO),
    (b"mp41", VIDEO),
    (b"mp42", VIDEO),
    (b"M4V ", VIDEO),
    (b"3gp4", VIDEO),
    (b"3gp5", VIDEO),
];

/// Other formats' leading bytes. Camera raw files (DNG, NEF, CR2, ARW) are TIFF inside.
const SIGNATURES: &[(&[u8], Unsupported)] = &[
    (b"\xFF\x0A", Unsupported { format: "a JPEG XL image", fix: RESAVE }),
    (b"\0\0\0\x0CJXL \r\n\x87\n", Unsupported { format: "a JPEG XL image", fix: RESAVE }),
    (b"\0\0\0\x0CjP  \r\n\x87\n", Unsupported { format: "a JPEG 2000 image", fix: RESAVE }),
    (b"\xFF\x4F\xFF\x51", Unsupported { format: "a JPEG 2000 image", fix: RESAVE }),
    (b"II*\0", Unsupported { format: "a TIFF or camera raw image", fix: RESAVE }),
    (b"MM\0*", Unsupported { format: "a TIFF or camera raw image", fix: RESAVE }),
    (b"II+\0", Unsupported { format: "a TIFF or camera raw image", fix: RESAVE }),
    (b"8BPS", Unsupported { format: "a Photoshop document", fix: "export it as JPEG or PNG and try again" }),
    (b"%PDF", Unsupported { format: "a PDF document", fix: "choose a photo (JPEG, PNG or WebP)" }),
];

/// JPEG codings other than the Huffman-coded baseline, extended and progressive ones the decoder
/// reads, by their start-of-frame marker (or DHP, which opens a hierarchical one).
const JPEG_FRAMES: &[(u8, Unsupported)] = {
    const ARITHMETIC: Unsupported = Unsupported {
        format: "an arithmetic-coded JPEG",
        fix: "re-save it as a standard JPEG (e.g. `jpegtran -optimize`, or any photo editor's \"save as JPEG\") and try again",
    };
    const LOSSLESS: Unsupported = Unsupported {
        format: "a lossless JPEG",
        fix: "re-save it as a standard JPEG or as PNG and try again",
    };
    const HIERARCHICAL: Unsupported =
        Unsupported { format: "a hierarchical JPEG", fix: "re-save it as a standard JPEG and try again" };
    &[
        (0xC3, LOSSLESS),
        (0xC5, HIERARCHICAL),
        (0xC6, HIERARCHICAL),
        (0xC7, LOSSLESS),
        (0xC9, ARITHMETIC),
        (0xCA, ARITHMETIC),
        (0xCB, LOSSLESS),
        (0xCD, ARITHMETIC),
        (0xCE, ARITHMETIC),
        (0xCF, LOSSLESS),
        (0xDE, HIERARCHICAL),
    ]
};

/// The format of `bytes` when it is one vitrine recognises but cannot decode.
fn unsupported(bytes: &[u8]) -> Option<Unsupported> {
    if bytes.get(4..8) == Some(b"ftyp") {
        // Major brand at 8..12, minor version at 12..16, compatible brands up to the box's end.
        let end = bytes[..4].try_into().map_or(0, |n| u32::from_be_bytes(n) as usize).min(bytes.len());
        let listed: Vec<&[u8]> =
            bytes.get(8..12).into_iter().chain(bytes.get(16..end).unwrap_or(&[]).chunks_exact(4)).collect();
        return BRANDS.iter().find(|(b, _)| listed.contains(&&b[..])).map(|&(_, u)| u);
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Known by the first scan: the entropy-coded data (most of the file) is not walked.
        let marker = walk_jpeg(bytes, false).frame?;
        return JPEG_FRAMES.iter().find(|&&(m, _)| m == marker).map(|&(_, u)| u);
    }
    SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)).map(|&(_, u)| u)
}

/// How a JPEG's segments end ([`walk_jpeg`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum JpegEnd {
    /// At the end-of-image marker.
    Complete,
    /// The bytes run out first: a cut-off upload or download.
    Truncated,
    /// Something that is not a marker where a segment should start: overwritten or mixed bytes.
    Damaged,
}

/// What [`walk_jpeg`] found in a JPEG.
struct JpegWalk {
    /// The first start-of-frame marker before the first scan (0xC0 to 0xCF, less DHT, JPG and
    /// DAC: ITU T.81 table B.1), or DHP (0xDE) when the hierarchical process's header comes
    /// first: the marker that names the coding process.
    frame: Option<u8>,
    /// How the segments end.
    end: JpegEnd,
}

/// Walks a JPEG's segments (ITU T.81 annex B) from its start-of-image marker to its end-of-image
/// marker, through the entropy-coded scans (so an EXIF thumbnail's own end marker does not
/// count); data after the end marker (motion photos append a video) is fine. Without
/// `through_scans` the walk stops at the first scan, where `frame` is known and `end` says nothing.
fn walk_jpeg(b: &[u8], through_scans: bool) -> JpegWalk {
    let mut walk = JpegWalk { frame: None, end: JpegEnd::Truncated };
    let mut scanned = false;
    let mut i = 2; // after SOI
    while i + 1 < b.len() {
        if b[i] != 0xFF {
            walk.end = JpegEnd::Damaged;
            return walk;
        }
        let marker = b[i + 1];
        match marker {
            0xD9 => {
                walk.end = JpegEnd::Complete;
                return walk;
            }
            0xFF => i += 1,               // fill byte
            0x01 | 0xD0..=0xD8 => i += 2, // no length: TEM, restarts, (a stray) SOI
            _ => {
                let Some(len) = b.get(i + 2..i + 4).map(|l| u16::from_be_bytes([l[0], l[1]]) as usize) else {
                    return walk;
                };
                // A hierarchical JPEG starts with DHP (0xDE), its first frame a plain one (B.3).
                let is_frame = matches!(marker, 0xC0..=0xCF | 0xDE) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
                if is_frame && !scanned && walk.frame.is_none() {
                    walk.frame = Some(marker);
                }
                i += 2 + len;
                if marker == 0xDA {
                    if !through_scans {
                        return walk;
                    }
                    scanned = true;
                    // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00
                    // or a restart marker; fill bytes (0xFF) may come before any marker (B.1.1.2).
                    while i + 1 < b.len() && (b[i] != 0xFF || matches!(b[i + 1], 0x00 | 0xFF | 0xD0..=0xD7)) {
                        i += 1;
                    }
                }
            }
        }
    }
    walk
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
