//! Decoding photos: hostile inputs get clear errors (never a panic), phone orientation is
//! applied, and every pixel format ends up as upright RGB. Images are built in code (one from a
//! test photo).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use vitrine::photo::{self, Limits, Photo, WORKING_SIDE};
use vitrine::Error;

mod common;
use common::{photo, png_header};

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn decode(bytes: &[u8]) -> vitrine::Result<Photo> {
    Photo::decode(bytes, "upload.jpg", &Limits::default())
}

#[test]
fn empty_text_and_truncated_files_are_refused_by_name() {
    let msg = decode(&[]).unwrap_err().to_string();
    assert!(msg.starts_with("upload.jpg: ") && msg.contains("empty"), "{msg}");

    let msg = decode(b"name,price\nshirt,10\n").unwrap_err().to_string();
    assert!(msg.contains("not an image"), "{msg}");

    // A noisy photo, so that the cut falls inside the image data. The JPEG decoder would fill
    // the missing part with grey and succeed: the end-marker check catches it.
    let noisy =
        RgbImage::from_fn(256, 256, |x, y| Rgb([(x * 7 + y * 13) as u8, (x * y) as u8, (x ^ y) as u8]));
    let jpeg = encode(&DynamicImage::ImageRgb8(noisy), ImageFormat::Jpeg);
    let err = decode(&jpeg[..jpeg.len() / 3]).unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("truncated"), "{err}");
    // A whole file with bytes overwritten where a segment should start is damaged, not cut off.
    let mut overwritten = jpeg.clone();
    let start = 2 + 2 + u16::from_be_bytes([jpeg[4], jpeg[5]]) as usize; // after SOI and the first segment
    overwritten[start..start + 64].fill(0x5A);
    let err = decode(&overwritten).unwrap_err().to_string();
    assert!(err.contains("damaged") && !err.contains("truncated"), "{err}");
    // Data after the end marker (a motion photo's video) is not truncation.
    let mut motion = jpeg.clone();
    motion.extend(b"\0\0\0\x18ftypmp42 a video follows");
    assert_eq!(decode(&motion).unwrap().width(), 256);
}

#[test]
fn a_huge_image_is_refused_from_its_header_before_decoding() {
    let err = decode(&png_header(30_000, 30_000)).unwrap_err();
    match &err {
        Error::TooLarge { what, actual, .. } => {
            assert_eq!(*what, "the width in pixels");
            assert_eq!(*actual, 30_000);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(err.to_string().contains("use a smaller photo"), "{err}");

    // Within the side limits but over the pixel count.
    let limits = Limits { max_pixels: 1_000_000, ..Limits::default() };
    let err = Photo::decode(&png_header(2000, 2000), "big.png", &limits).unwrap_err();
    assert!(err.to_string().starts_with("big.png: the pixel count is 4000000"), "{err}");

    let limits = Limits { max_bytes: 10, ..Limits::default() };
    let err = Photo::decode(&png_header(4, 4), "big.png", &limits).unwrap_err();
    assert!(err.to_string().contains("file size"), "{err}");
}

/// Inserts an EXIF block with the given orientation tag right after the JPEG's SOI marker.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01".to_vec();
    tiff.extend([0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]); // tag 0x0112, SHORT, count 1
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xff, 0xe1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

#[test]
fn exif_orientation_turns_phone_photos_upright() {
    // 32 x 16, red top-left quadrant, blue elsewhere; EXIF 6 means "rotate 90 degrees clockwise".
    let image =
        RgbImage::from_fn(32, 16, |x, y| if x < 16 && y < 8 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) });
    let jpeg = with_exif_orientation(&encode(&DynamicImage::ImageRgb8(image), ImageFormat::Jpeg), 6);
    let photo = decode(&jpeg).unwrap();
    assert_eq!((photo.width(), photo.height()), (16, 32));
    let px = |x, y| photo.rgb().get_pixel(x, y).0;
    assert!(px(12, 4)[0] > 200 && px(12, 4)[2] < 60, "top-right should be red: {:?}", px(12, 4));
    assert!(px(4, 4)[2] > 200 && px(4, 4)[0] < 60, "top-left should be blue: {:?}", px(4, 4));
}

#[test]
fn grey_alpha_and_16_bit_images_become_rgb() {
    let grey = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(8, 8, image::Luma([90])));
    let photo = decode(&encode(&grey, ImageFormat::Png)).unwrap();
    assert_eq!(photo.rgb().get_pixel(3, 3).0, [90, 90, 90]);

    // Transparent pixels of product PNGs are often black: they must come out white.
    let mut rgba = image::RgbaImage::from_pixel(8, 8, image::Rgba([0, 0, 0, 0]));
    rgba.put_pixel(0, 0, image::Rgba([10, 200, 10, 255]));
    let photo = decode(&encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png)).unwrap();
    assert_eq!(photo.rgb().get_pixel(5, 5).0, [255, 255, 255]);
    assert_eq!(photo.rgb().get_pixel(0, 0).0, [10, 200, 10]);

    let deep = image::ImageBuffer::<Rgb<u16>, _>::from_pixel(8, 8, Rgb([65535, 32768, 0]));
    let photo = decode(&encode(&DynamicImage::ImageRgb16(deep), ImageFormat::Png)).unwrap();
    assert_eq!(photo.rgb().get_pixel(1, 1).0, [255, 128, 0]);
}

#[test]
fn big_photos_are_scaled_to_the_working_size() {
    let image = RgbImage::from_pixel(3000, 1500, Rgb([1, 2, 3]));
    let photo = decode(&encode(&DynamicImage::ImageRgb8(image), ImageFormat::Png)).unwrap();
    assert_eq!((photo.width(), photo.height()), (WORKING_SIDE, WORKING_SIDE / 2));
}

#[test]
fn downscaling_to_the_working_size_matches_a_triangle_filter() {
    // messi5.jpg enlarged 5x (2740 x 1710), as a camera photo is larger than the working size.
    let Some(jpeg) = photo("messi5.jpg") else { return };
    let small = image::load_from_memory(&jpeg).unwrap().into_rgb8();
    let (w, h) = (small.width() * 5, small.height() * 5);
    let large = image::imageops::resize(&small, w, h, image::imageops::FilterType::Triangle);
    let photo = decode(&encode(&DynamicImage::ImageRgb8(large.clone()), ImageFormat::Png)).unwrap();
    let (pw, ph) = (photo.width(), photo.height());
    assert_eq!((pw, ph), (WORKING_SIDE, (h as f32 * WORKING_SIDE as f32 / w as f32).round() as u32));
    let reference = image::imageops::resize(&large, pw, ph, image::imageops::FilterType::Triangle);
    let worst = photo.rgb().as_raw().iter().zip(reference.as_raw()).map(|(a, b)| a.abs_diff(*b)).max();
    assert!(worst <= Some(1), "the downscale differs from image's Triangle filter by {worst:?} levels");
}

/// A file committed under tests/fixtures/ (how each was made: tests/fixtures/README.md).
fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Issue 21 item 6: an iPhone's HEIC (and an AVIF) was "not an image", with no word on what to do.
#[test]
fn heic_avif_and_other_formats_without_a_decoder_are_named_with_what_to_do() {
    let heic = fixture("gradient.heic");
    let err = Photo::decode(&heic, "photo.heic", &Limits::default()).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "photo.heic is a HEIC/HEIF photo (the iPhone's default), which vitrine cannot decode: export it \
         as JPEG (on iPhone: Settings > Camera > Formats > Most Compatible) and try again"
    );
    let avif = fixture("gradient.avif");
    let err = Photo::decode(&avif, "look.avif", &Limits::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "look.avif is an AVIF image, which vitrine cannot decode: save it as JPEG, PNG or WebP and try again"
    );
    // A shell with its own decoder (the browser's) is told to use it for these, and only these.
    assert!(!photo::decodes(&heic) && !photo::decodes(&avif));
    let png = encode(&DynamicImage::ImageRgb8(RgbImage::new(4, 4)), ImageFormat::Png);
    let jpeg = encode(&DynamicImage::ImageRgb8(RgbImage::new(4, 4)), ImageFormat::Jpeg);
    assert!(photo::decodes(&png) && photo::decodes(&jpeg));
    assert!(!photo::decodes(b"name,price\nshirt,10\n"));

    // The other members of the family, told by their ftyp brands (a HEIF whose major brand is the
    // generic mif1 lists heic among its compatible brands; an AVIF lists mif1 too), and the
    // formats told by their leading bytes. Only the header matters here, so only it is built.
    let ftyp = |major: &[u8; 4], compatible: &[&[u8; 4]]| {
        let mut b = ((16 + 4 * compatible.len()) as u32).to_be_bytes().to_vec();
        b.extend(b"ftyp");
        b.extend(major);
        b.extend([0, 0, 0, 0]);
        compatible.iter().for_each(|c| b.extend(*c));
        b.extend(b"\0\0\0\x08meta");
        b
    };
    let cases: [(Vec<u8>, &str); 9] = [
        (ftyp(b"mif1", &[b"mif1", b"heic"]), "a HEIC/HEIF photo (the iPhone's default)"),
        (ftyp(b"heix", &[b"mif1"]), "a HEIC/HEIF photo (the iPhone's default)"),
        (ftyp(b"msf1", &[b"hevc"]), "a HEIC/HEIF photo (the iPhone's default)"),
        (ftyp(b"avis", &[b"msf1", b"miaf"]), "an AVIF image"),
        (ftyp(b"qt  ", &[b"qt  "]), "a video (MP4/MOV)"),
        (b"\xFF\x0A\xFA\x7F\x01\x90\x08".to_vec(), "a JPEG XL image"),
        (b"\0\0\0\x0CJXL \r\n\x87\n\0\0\0\x14ftypjxl ".to_vec(), "a JPEG XL image"),
        (b"\0\0\0\x0CjP  \r\n\x87\n\0\0\0\x14ftypjp2 ".to_vec(), "a JPEG 2000 image"),
        (b"II*\0\x08\0\0\0\0\0".to_vec(), "a TIFF or camera raw image"),
    ];
    for (bytes, format) in cases {
        let err = decode(&bytes).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("upload.jpg is {format}, which vitrine cannot decode: ")),
            "{err}"
        );
        assert!(!photo::decodes(&bytes), "{format}");
    }
    // A motion photo is a JPEG with a video after it: still a JPEG.
    let mut motion = jpeg.clone();
    motion.extend(b"\0\0\0\x18ftypmp42 a video follows");
    assert!(photo::decodes(&motion));
}

/// Issue 21 item 6: an arithmetic-coded JPEG (`jpegtran -arithmetic`) was blamed as "truncated or
/// damaged".
#[test]
fn arithmetic_coded_and_lossless_jpegs_are_named_not_called_damaged() {
    let arithmetic = fixture("gradient-arithmetic.jpg");
    let err = Photo::decode(&arithmetic, "scan.jpg", &Limits::default()).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "scan.jpg is an arithmetic-coded JPEG, which vitrine cannot decode: re-save it as a standard JPEG \
         (e.g. `jpegtran -optimize`, or any photo editor's \"save as JPEG\") and try again"
    );
    assert!(!photo::decodes(&arithmetic));

    // A lossless JPEG (SOF3): libjpeg-turbo 2.1 cannot write one, so a baseline JPEG's frame
    // marker is changed; vitrine reads the marker before any of the scan.
    let jpeg = encode(&DynamicImage::ImageRgb8(RgbImage::new(16, 16)), ImageFormat::Jpeg);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("a baseline frame header");
    let mut lossless = jpeg.clone();
    lossless[sof + 1] = 0xC3;
    let err = decode(&lossless).unwrap_err();
    assert!(
        err.to_string().starts_with("upload.jpg is a lossless JPEG, which vitrine cannot decode: "),
        "{err}"
    );
    // The baseline one it was made from decodes, and so does a progressive one.
    assert_eq!(decode(&jpeg).unwrap().width(), 16);
    let mut progressive = jpeg.clone();
    progressive[sof + 1] = 0xC2;
    assert!(photo::decodes(&progressive));

    // A hierarchical JPEG opens with DHP and then a plain frame (T.81 B.3): named, not decoded
    // from its first, low-resolution frame.
    let mut hierarchical = jpeg[..sof].to_vec();
    hierarchical.extend([0xFF, 0xDE, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00]);
    hierarchical.extend(&jpeg[sof..]);
    let err = decode(&hierarchical).unwrap_err();
    assert!(
        err.to_string().starts_with("upload.jpg is a hierarchical JPEG, which vitrine cannot decode: "),
        "{err}"
    );
}

/// Fill bytes (0xFF) may come before any marker (T.81 B.1.1.2), restart markers inside a scan
/// too: such a JPEG was called damaged.
#[test]
fn fill_bytes_before_restart_markers_are_not_damage() {
    let jpeg = fixture("gradient-restart.jpg");
    let scan = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).expect("a scan");
    let mut filled = jpeg[..scan].to_vec();
    let mut restarts = 0;
    for (i, &byte) in jpeg.iter().enumerate().skip(scan) {
        if byte == 0xFF && matches!(jpeg.get(i + 1), Some(0xD0..=0xD7)) {
            filled.extend([0xFF, 0xFF]);
            restarts += 1;
        }
        filled.push(byte);
    }
    assert_eq!(restarts, 11);
    let (plain, filled) = (decode(&jpeg).unwrap(), decode(&filled).unwrap());
    assert_eq!((filled.width(), filled.height()), (64, 48));
    assert_eq!(filled.rgb(), plain.rgb());
}

#[test]
fn pixels_decoded_by_the_browser_make_the_same_photo_as_the_file() {
    // What the worker passes for a photo the browser decoded: RGBA, upright, not premultiplied.
    let image = RgbImage::from_fn(40, 30, |x, y| Rgb([(x * 6) as u8, (y * 8) as u8, ((x + y) * 3) as u8]));
    let png = encode(&DynamicImage::ImageRgb8(image.clone()), ImageFormat::Png);
    let rgba = DynamicImage::ImageRgb8(image).into_rgba8().into_raw();
    let from_pixels = Photo::from_rgba(rgba.clone(), 40, 30, "photo.avif", &Limits::default()).unwrap();
    assert_eq!(from_pixels.rgb(), decode(&png).unwrap().rgb());

    // Transparent pixels come out white, as from a PNG.
    let mut clear = rgba.clone();
    clear[3] = 0;
    let photo = Photo::from_rgba(clear, 40, 30, "photo.avif", &Limits::default()).unwrap();
    assert_eq!(photo.rgb().get_pixel(0, 0).0, [255, 255, 255]);

    // The buffer must be what the size says, and the size within the limits.
    let err = Photo::from_rgba(rgba[4..].to_vec(), 40, 30, "photo.avif", &Limits::default()).unwrap_err();
    assert!(
        err.to_string().starts_with("photo.avif: the decoded pixels are not 40 x 30 RGBA (4800 bytes)"),
        "{err}"
    );
    let limits = Limits { max_pixels: 1000, ..Limits::default() };
    let err = Photo::from_rgba(rgba, 40, 30, "photo.avif", &limits).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    let big = vec![255; 3000 * 1000 * 4];
    let photo = Photo::from_rgba(big, 3000, 1000, "photo.avif", &Limits::default()).unwrap();
    assert_eq!(
        (photo.width(), photo.height()),
        (WORKING_SIDE, (1000.0 * WORKING_SIDE as f32 / 3000.0).round() as u32)
    );
}
