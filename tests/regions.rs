//! Catalog regions (issue 26), with the real models on real photos: `vitrine index build` run as
//! a retailer would on a catalog of model shots (the look must find the same person's garment
//! first, and it must do measurably worse when the photos are embedded whole), on packshots
//! (a padded packshot matches its unpadded self; Fashion-MNIST stays packshots in catalog
//! order), and incrementally (one changed photo is the only one embedded, and the folder equals a
//! full rebuild byte for byte).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{imageops, DynamicImage, Rgb, RgbImage};
use vitrine::catalog::Wear;
use vitrine::geometry::Rect;
use vitrine::models::{Embedder, ObjectDetector, PoseDetector, PoseLandmarker};
use vitrine::photo::{Limits, Photo};
use vitrine::regions::{self, Source};
use vitrine::{Crop, CropMatcher, Locator, ModelBytes, Options, Pipeline};

fn vitrine(args: &[&str]) -> Output {
    let models = common::root().join("models");
    Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(args)
        .args(["--models", models.to_str().unwrap()])
        .current_dir(common::root())
        .output()
        .unwrap()
}

/// `vitrine index build --json` of `catalog`; its summary.
fn index_build(catalog: &Path, images: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let (c, i, o) = (catalog.to_str().unwrap(), images.to_str().unwrap(), out.to_str().unwrap());
    let mut args = vec!["index", "build", "--catalog", c, "--images", i, "--out", o, "--json"];
    args.extend(extra);
    let run = vitrine(&args);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    serde_json::from_slice(&run.stdout).unwrap()
}

/// A fresh, empty folder for one test under cargo's test tmpdir.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn products_json(out: &Path) -> Vec<serde_json::Value> {
    serde_json::from_slice(&common::read(&out.join("products.json"))).unwrap()
}

fn rgb(bytes: &[u8], name: &str) -> RgbImage {
    Photo::decode(bytes, name, &Limits::default()).unwrap().rgb().clone()
}

fn save_png(image: &RgbImage, path: &Path) {
    image.save_with_format(path, image::ImageFormat::Png).unwrap();
}

/// The five copies a retailer's shoot might differ by: mirrored, cropped to the central 80%,
/// shifted in colour, scaled to 60%, and on a larger canvas of another background colour.
fn copies(image: &RgbImage) -> Vec<(&'static str, RgbImage)> {
    let (w, h) = image.dimensions();
    let cropped = imageops::crop_imm(image, w / 10, h / 10, w * 8 / 10, h * 8 / 10).to_image();
    let mut shifted = image.clone();
    for p in shifted.pixels_mut() {
        let [r, g, b] = p.0;
        p.0 = [r.saturating_add(24), g.saturating_sub(8), b.saturating_sub(16)];
    }
    let scaled = imageops::resize(image, w * 3 / 5, h * 3 / 5, imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(w * 13 / 10, h * 11 / 10, Rgb([40, 90, 160]));
    imageops::overlay(&mut canvas, image, i64::from(w * 3 / 20), i64::from(h / 20));
    vec![
        ("flipped", imageops::flip_horizontal(image)),
        ("cropped", cropped),
        ("shifted", shifted),
        ("scaled", scaled),
        ("background", canvas),
    ]
}

/// The clothing dataset's first `n` photos (in images.csv order) of each of `labels`.
fn clothing(dir: &Path, labels: &[&str], n: usize) -> Vec<(String, String)> {
    let csv = String::from_utf8(common::read(&dir.join("images.csv"))).unwrap();
    let mut taken: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let (image, label) = (cols[0], cols[2]);
        let Some(&wanted) = labels.iter().find(|l| **l == label) else { continue };
        let count = taken.entry(wanted).or_default();
        if *count < n {
            *count += 1;
            out.push((format!("{image}.jpg"), label.to_string()));
        }
    }
    out
}

fn wear_of(label: &str) -> &'static str {
    match label {
        "Pants" | "Shorts" | "Skirt" => "bottom",
        "Shoes" => "foot",
        _ => "top",
    }
}

/// The shipped pipeline on the index in `dir`.
fn pipeline(models: &[Vec<u8>; 4], dir: &Path) -> Pipeline {
    let [det, lm, ssd, emb] = models;
    let bytes =
        ModelBytes { pose_detector: det, pose_landmarks: (PoseLandmarker::FILE, lm), ssd, embedder: emb };
    Pipeline::new(
        bytes,
        "index",
        &common::read(&dir.join("index.bin")),
        &common::read(&dir.join("products.json")),
    )
    .unwrap()
}

fn models() -> [Vec<u8>; 4] {
    [PoseDetector::FILE, PoseLandmarker::FILE, ObjectDetector::FILE, Embedder::FILE].map(common::model_bytes)
}

/// The share of rows, over the looks of `people` (photo, the wears its copies are listed as),
/// whose first product is a copy of that person's photo (product ids start with its stem).
fn first_is_the_same_person(pipeline: &Pipeline, people: &[(&str, &[&str])]) -> (f32, Vec<String>) {
    let (mut hits, mut rows, mut seen) = (0, 0, Vec::new());
    for (name, wears) in people {
        let look = pipeline.recommend(&common::photo(name).unwrap(), name, &Options::default()).unwrap();
        let stem = name.split('.').next().unwrap();
        for wear in *wears {
            rows += 1;
            let first =
                look.garments.iter().find(|g| g.wear.name() == *wear).and_then(|g| g.products.first());
            let id = first.map_or("(no row)".to_string(), |p| p.id.clone());
            hits += usize::from(id.starts_with(&format!("{stem}-")));
            seen.push(format!("{name} {wear}: {id}"));
        }
    }
    (hits as f32 / rows as f32, seen)
}

/// Issue 26: catalog photos of people wearing the products. Each copy of messi5.jpg (a full
/// shot) is listed as a top, a bottom and a foot product, each copy of astronaut.png (a
/// half-body portrait) as a top, among clothing-dataset packshots of the same wears. A look at
/// the original photo must find a copy of the same person's garment first in every row; with
/// the copies embedded whole (`--whole`, as before), measurably less often.
#[test]
fn model_shots_are_embedded_from_the_garment_and_found_first() {
    let (Some(messi), Some(astronaut), Some(zidane)) =
        (common::photo("messi5.jpg"), common::photo("astronaut.png"), common::photo("zidane.jpg"))
    else {
        return;
    };
    let Some(dataset) = common::clothing_dataset() else { return };
    let dir = scratch("regions-model-shots");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let mut csv = String::from("id,title,link,image,price,gender,wear\n");
    let mut row = |id: &str, image: &str, wear: &str| {
        csv.push_str(&format!("{id},{id},https://shop.example/{id},{image},1,unisex,{wear}\n"));
    };
    for (stem, bytes, wears) in
        [("messi5", &messi, &["top", "bottom", "foot"][..]), ("astronaut", &astronaut, &["top"][..])]
    {
        for (kind, copy) in copies(&rgb(bytes, stem)) {
            let file = format!("{stem}-{kind}.png");
            save_png(&copy, &images.join(&file));
            for wear in wears {
                row(&format!("{stem}-{kind}-{wear}"), &file, wear);
            }
        }
    }
    // The fallbacks: a half-body portrait listed as shoes, and a photo of two people.
    std::fs::write(images.join("astronaut.png"), &astronaut).unwrap();
    std::fs::write(images.join("zidane.jpg"), &zidane).unwrap();
    row("portrait-foot", "astronaut.png", "foot");
    row("two-people-top", "zidane.jpg", "top");
    for (file, label) in clothing(&dataset, &["T-Shirt", "Shirt", "Pants", "Shorts", "Shoes"], 8) {
        std::fs::copy(dataset.join("images").join(&file), images.join(&file)).unwrap();
        row(&format!("packshot-{}", file.trim_end_matches(".jpg")), &file, wear_of(&label));
    }
    let catalog = dir.join("catalog.csv");
    std::fs::write(&catalog, csv).unwrap();

    let by_region = dir.join("by-region");
    let summary = index_build(&catalog, &images, &by_region, &[]);
    let by_whole = dir.join("whole");
    index_build(&catalog, &images, &by_whole, &["--whole"]);

    // What each product was embedded from.
    let products = products_json(&by_region);
    let source = |id: &str| {
        let p = products.iter().find(|p| p["id"] == id).unwrap();
        (
            p["region"]["source"].as_str().unwrap().to_string(),
            p["region"]["reason"].as_str().map(String::from),
        )
    };
    for kind in ["flipped", "shifted", "scaled", "background"] {
        for wear in ["top", "bottom", "foot"] {
            assert_eq!(source(&format!("messi5-{kind}-{wear}")).0, "worn", "messi5 {kind} {wear}");
        }
    }
    assert_eq!(source("astronaut-flipped-top").0, "worn");
    assert_eq!(source("portrait-foot"), ("fallback".into(), Some("wear_not_visible".into())));
    assert_eq!(source("two-people-top"), ("fallback".into(), Some("several_people".into())));
    // A worn region is the garment, not the photo: messi5's top region is within his torso.
    let region = &products.iter().find(|p| p["id"] == "messi5-flipped-top").unwrap()["region"]["rect"];
    let rect: Rect = serde_json::from_value(region.clone()).unwrap();
    assert!(rect.width() < 0.5 && rect.height() < 0.5 && rect.y0 > 0.2, "messi5's top region {rect:?}");
    let sources = &summary["sources"];
    eprintln!("sources: {sources}; fallbacks: {}", summary["fallbacks"]);
    assert_eq!(summary["embedded"], products.len());

    let models = models();
    let people: [(&str, &[&str]); 2] =
        [("messi5.jpg", &["top", "bottom", "foot"]), ("astronaut.png", &["top"])];
    let (region_rate, region_rows) = first_is_the_same_person(&pipeline(&models, &by_region), &people);
    let (whole_rate, whole_rows) = first_is_the_same_person(&pipeline(&models, &by_whole), &people);
    eprintln!("the same person's garment first: by region {region_rate:.2} {region_rows:?}");
    eprintln!("                                 whole     {whole_rate:.2} {whole_rows:?}");
    assert_eq!(region_rate, 1.0, "{region_rows:?}");
    assert!(whole_rate < region_rate, "whole photos did as well: {whole_rows:?}");
}

/// The Fashion-MNIST demo catalog: packshots on white. They are all embedded as packshots, in
/// catalog order; and each of them, padded small in a canvas three times its size (as shops
/// pad photos to one aspect ratio), is trimmed back to the product, matches its own unpadded
/// photo first, and gets a card of the product, not of the canvas.
#[test]
fn packshots_are_trimmed_and_a_padded_one_matches_its_unpadded_self() {
    if !Path::new("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists() {
        common::skip(
            "Fashion-MNIST is missing (apt-get install dataset-fashion-mnist; scripts/setup.sh does)",
        );
        return;
    }
    let dir = scratch("regions-fashion-mnist");
    let d = dir.to_str().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(["catalog", "fashion-mnist", "--out", d, "--per-class", "3"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let summary = index_build(&dir.join("catalog.csv"), &dir, &dir, &[]);
    let csv = String::from_utf8(common::read(&dir.join("catalog.csv"))).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(summary["sources"], serde_json::json!({ "packshot": rows.len() }));
    let built: Vec<String> =
        products_json(&dir).iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(built, rows.iter().map(|r| r[0]).collect::<Vec<_>>());

    let locator = Locator::new(
        &common::model_bytes(PoseDetector::FILE),
        (PoseLandmarker::FILE, &common::model_bytes(PoseLandmarker::FILE)),
        &common::model_bytes(ObjectDetector::FILE),
    )
    .unwrap();
    let matcher = CropMatcher::new(
        &common::model_bytes(Embedder::FILE),
        "index",
        &common::read(&dir.join("index.bin")),
        &common::read(&dir.join("products.json")),
    )
    .unwrap();
    for row in &rows {
        let (id, image) = (row[0], row[3]);
        let wear = *Wear::ALL.iter().find(|w| w.name() == row[6]).unwrap();
        let photo = Photo::decode(&common::read(&dir.join(image)), image, &Limits::default()).unwrap();
        let product = photo.rgb();
        let (w, h) = product.dimensions();
        let mut canvas = RgbImage::from_pixel(w * 3, h * 3, Rgb([255, 255, 255]));
        let (dx, dy) = (w as f32, (h / 2) as f32);
        imageops::overlay(&mut canvas, product, i64::from(w), i64::from(h / 2));
        let padded = Photo::from_image(DynamicImage::ImageRgb8(canvas)).unwrap();
        let (padded, region) = regions::region(&locator, padded, wear).unwrap();
        assert_eq!(region.source, Source::Packshot, "{id}");
        // Within the pasted photo (and the trim's margin), and not a speck of it.
        let pasted = Rect::new(dx, dy, dx + w as f32, dy + h as f32);
        let inside = region.rect.intersection(&pasted).map_or(0.0, |r| r.area()) / region.rect.area();
        assert!(
            inside > 0.9 && region.rect.area() > 0.05 * pasted.area(),
            "{id}: trimmed to {:?}, pasted at {pasted:?}",
            region.rect
        );
        let crop = Crop { wear, rect: region.rect, turn: region.turn, colour: region.colour };
        let matched = matcher.match_crop(&padded, &crop, &Options::default()).unwrap();
        let found: Vec<(&str, f32)> =
            matched.products.iter().map(|p| (p.id.as_str(), p.similarity)).collect();
        assert_eq!(found[0].0, id, "{id}: {found:?}");
        let card =
            regions::thumbnail(&padded, &region.embedded(padded.width() as f32, padded.height() as f32).rect);
        let (cw, ch) = card.dimensions();
        // The product and its margin fill the card: a card of the canvas would be 3x larger.
        assert!(cw.max(ch) == regions::THUMBNAIL_SIDE, "{id}: card {cw}x{ch}");
        let side = region.rect.width().max(region.rect.height()) * 1.16;
        assert!(side < 1.5 * w as f32, "{id}: the card shows {side} px of a {w} px product");
    }
}

/// Every file under `dir` except the staging leftovers, relative, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), common::read(&path));
            }
        }
    }
    files
}

/// A daily feed update: one product's photo changes. The rebuild embeds that photo only (the
/// others come from embeddings.cache, thumbnails included) and writes exactly what a full
/// build of the new catalog writes.
#[test]
fn a_rebuild_embeds_only_the_changed_photo_and_equals_a_full_build() {
    let Some(messi) = common::photo("messi5.jpg") else { return };
    let Some(dataset) = common::clothing_dataset() else { return };
    let dir = scratch("regions-incremental");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let mut csv = String::from("id,title,link,image,price,gender,wear\n");
    let mut files = Vec::new();
    for (kind, copy) in copies(&rgb(&messi, "messi5.jpg")).into_iter().take(2) {
        let file = format!("messi5-{kind}.png");
        save_png(&copy, &images.join(&file));
        files.push((file, "top".to_string()));
    }
    for (file, label) in clothing(&dataset, &["T-Shirt", "Pants", "Shoes"], 3) {
        std::fs::copy(dataset.join("images").join(&file), images.join(&file)).unwrap();
        files.push((file, wear_of(&label).to_string()));
    }
    for (file, wear) in &files {
        csv.push_str(&format!("{file},{file},https://shop.example/{file},{file},1,unisex,{wear}\n"));
    }
    let catalog = dir.join("catalog.csv");
    std::fs::write(&catalog, csv).unwrap();
    let out = dir.join("index");
    let first = index_build(&catalog, &images, &out, &[]);
    assert_eq!((first["embedded"].as_u64(), first["reused"].as_u64()), (Some(files.len() as u64), Some(0)));

    // The same product, a new photo: messi5 mirrored the other way round is the original.
    let changed = images.join(&files[0].0);
    save_png(&rgb(&messi, "messi5.jpg"), &changed);
    let again = index_build(&catalog, &images, &out, &[]);
    assert_eq!(
        (again["embedded"].as_u64(), again["reused"].as_u64()),
        (Some(1), Some(files.len() as u64 - 1))
    );

    let fresh = dir.join("fresh");
    index_build(&catalog, &images, &fresh, &[]);
    let (rebuilt, full) = (snapshot(&out), snapshot(&fresh));
    assert_eq!(rebuilt.keys().collect::<Vec<_>>(), full.keys().collect::<Vec<_>>());
    for (file, bytes) in &full {
        assert!(rebuilt[file] == *bytes, "{} differs from a full build's", file.display());
    }
}
