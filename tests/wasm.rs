//! The wasm façade in a real browser (`wasm-pack test --headless --chrome`, run by
//! scripts/test.sh): the real models load from bytes, a catalog index built here by the real
//! embedder is searched, and every error reaches JS as an `Error` with the core's message.
//! The full look on real photos is tested end to end in tests/browser/.
#![cfg(target_arch = "wasm32")]

use image::{DynamicImage, Rgb, RgbImage};
use vitrine::catalog::{Audience, Category, Product, Wear};
use vitrine::colour;
use vitrine::index::{self, IndexEmbedder, Settings};
use vitrine::models::{expected_sha256, sha256_hex, Embedder};
use vitrine::photo::Photo;
use vitrine::wasm::{index_embedder, model_files, Matcher, Vitrine, VitrineLoader};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DETECTOR: &[u8] = include_bytes!("../models/pose_detector.onnx");
const LANDMARKS: &[u8] = include_bytes!("../models/pose_landmarks_lite.onnx");
const SSD: &[u8] = include_bytes!("../models/ssd_oidv4.onnx");
const EMBEDDER: &[u8] = include_bytes!("../models/vitrine_embedder.onnx");

fn png(image: RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Plain coloured squares as products, embedded by the real embedder.
fn catalog() -> (Vec<u8>, Vec<u8>) {
    catalog_for(&IndexEmbedder::shipped(expected_sha256(Embedder::FILE).unwrap()))
}

/// `catalog()` with the index naming `built_by` as its embedder.
fn catalog_for(built_by: &IndexEmbedder) -> (Vec<u8>, Vec<u8>) {
    let embedder = Embedder::new(EMBEDDER).unwrap();
    let colours = [[200, 30, 30], [30, 160, 40], [40, 40, 200], [230, 220, 40]];
    let mut products = Vec::new();
    let mut embeddings = Vec::new();
    let mut histograms = Vec::new();
    for (i, rgb) in colours.iter().enumerate() {
        for wear in [Wear::Top, Wear::Bottom, Wear::Foot] {
            let photo =
                Photo::from_image(DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 64, Rgb(*rgb)))).unwrap();
            embeddings.push(embedder.embed_whole(&photo).unwrap());
            histograms.push(colour::histogram(photo.rgb(), None));
            products.push(Product {
                id: format!("{}-{i}", wear.name()),
                title: format!("Colour {i} {}", wear.name()),
                link: format!("products/{i}.html"),
                image: format!("images/{i}.jpg"),
                price: "EUR 1.00".into(),
                category: Category { audience: Audience::Unisex, wear },
                region: None,
            });
        }
    }
    index::build_for(built_by, &products, &embeddings, &histograms, Settings::default()).unwrap()
}

fn vitrine(index: &[u8], products_json: &[u8]) -> Result<Vitrine, JsValue> {
    Vitrine::new(
        DETECTOR,
        "pose_landmarks_lite.onnx",
        LANDMARKS,
        SSD,
        EMBEDDER,
        "test-index",
        index,
        products_json,
    )
    .map_err(JsValue::from)
}

fn message(error: JsValue) -> String {
    error.dyn_into::<js_sys::Error>().expect("a JS Error").message().into()
}

fn field(value: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(value.clone(), |v, key| js_sys::Reflect::get(&v, &JsValue::from_str(key)).unwrap())
}

#[wasm_bindgen_test]
fn model_files_name_every_model_with_its_sha256() {
    let files = js_sys::Array::from(&model_files(true).map_err(JsValue::from).unwrap());
    assert_eq!(files.length(), 4);
    let landmarks = files.get(1);
    assert_eq!(field(&landmarks, &["file"]).as_string().unwrap(), "pose_landmarks_lite.onnx");
    assert_eq!(field(&landmarks, &["sha256"]).as_string().unwrap().len(), 64);
}

#[wasm_bindgen_test]
fn a_photo_without_a_person_is_a_plain_look_object_with_the_reason() {
    let (index, products) = catalog();
    let vitrine = vitrine(&index, &products).unwrap();
    let mut wall = RgbImage::from_pixel(320, 480, Rgb([235, 230, 220]));
    for (x, _, p) in wall.enumerate_pixels_mut() {
        if x % 40 < 20 {
            *p = Rgb([120, 110, 100]);
        }
    }
    let look = vitrine.recommend(&png(wall), "wall.png", "").map_err(JsValue::from).unwrap();
    assert_eq!(field(&look, &["verdict", "full_shot"]).as_bool(), Some(false));
    assert_eq!(
        field(&look, &["verdict", "message"]).as_string().unwrap(),
        "not a full shot: no person found"
    );
    assert!(field(&look, &["person"]).is_null());
    let timings = js_sys::Array::from(&field(&look, &["timings"]));
    assert!(timings.length() >= 2, "decode and SSD are timed");
    assert!(field(&timings.get(0), &["ms"]).as_f64().unwrap() >= 0.0);
}

#[wasm_bindgen_test]
fn errors_reach_js_as_errors_with_the_core_message() {
    let (index, products) = catalog();
    let vitrine = vitrine(&index, &products).unwrap();

    let text = message(
        vitrine.recommend(b"hello, not a photo", "notes.txt", "").map_err(JsValue::from).unwrap_err(),
    );
    assert!(text.contains("notes.txt"), "{text}");

    let bad_audience = message(vitrine.recommend(b"", "x.jpg", "kids").map_err(JsValue::from).unwrap_err());
    assert!(bad_audience.contains("'kids'"), "{bad_audience}");

    let mut damaged = index.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0xff;
    let text = message(self::vitrine(&damaged, &products).err().unwrap());
    assert!(text.contains("test-index"), "{text}");

    let truncated = &LANDMARKS[..LANDMARKS.len() / 2];
    let text = message(
        Vitrine::new(DETECTOR, "pose_landmarks_lite.onnx", truncated, SSD, EMBEDDER, "i", &index, &products)
            .map(|_| ())
            .map_err(JsValue::from)
            .unwrap_err(),
    );
    assert!(text.contains("pose_landmarks_lite.onnx") && text.contains("sha256"), "{text}");

    // The loader the worker uses, a model at a time.
    let mut loader = VitrineLoader::new();
    let text = message(loader.add("notes.onnx", EMBEDDER).map_err(JsValue::from).unwrap_err());
    assert!(text.starts_with("model notes.onnx: is not one of the pipeline's models"), "{text}");
    loader.add("vitrine_embedder.onnx", EMBEDDER).map_err(JsValue::from).unwrap();
    let text = message(loader.finish("i", &index, &products).map(|_| ()).map_err(JsValue::from).unwrap_err());
    assert!(text.contains("pose_detector.onnx: was not loaded"), "{text}");
}

/// Issue 26: an index built with its own embedder names it (`indexEmbedder`), and the façade
/// checks the bytes it is given against the sha256 the index records. The shipped file stands in
/// for a retailer's own here (none is committed; tests/browser/trained.test.js trains one): what
/// counts is that the index names a file beside it.
#[wasm_bindgen_test]
fn an_index_with_its_own_embedder_names_it_and_checks_its_bytes() {
    let sha = sha256_hex(EMBEDDER);
    let url = "https://shop.example/index/mine/";
    let (index, products) =
        catalog_for(&IndexEmbedder { sha256: sha.clone(), file: Some("embedder.onnx".into()) });
    let named = index_embedder(url, &index[..512]).map_err(JsValue::from).unwrap();
    assert_eq!(field(&named, &["file"]).as_string().unwrap(), "embedder.onnx");
    assert_eq!(field(&named, &["sha256"]).as_string().unwrap(), sha);
    let shipped = index_embedder(url, &catalog().0).map_err(JsValue::from).unwrap();
    assert!(field(&shipped, &["file"]).is_null());

    assert!(Matcher::new(EMBEDDER, url, &index, &products).is_ok());
    let text =
        message(Matcher::new(SSD, url, &index, &products).map(|_| ()).map_err(JsValue::from).unwrap_err());
    let ssd = sha256_hex(SSD);
    for needed in ["https://shop.example/index/mine/embedder.onnx", &sha, &ssd, "rebuild the index"] {
        assert!(text.contains(needed), "'{needed}' is not in: {text}");
    }
    let mut loader = VitrineLoader::new();
    let own = format!("{url}embedder.onnx");
    let text = message(loader.add_trained(&own, SSD, &sha).map_err(JsValue::from).unwrap_err());
    assert!(text.starts_with(&format!("model {own}: sha256 {ssd}")), "{text}");
}
