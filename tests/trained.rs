//! A retailer's own embedder, end to end through the real `vitrine` binary (issue 26): a head
//! trained on a small catalog of real clothing photos (../shared/data/clothing-dataset) is used
//! by `index build --embedder`, which copies it into the index folder and names it in the index;
//! `recommend` loads it from there and checks it against the sha256 the index records, so a
//! replaced file is refused naming both hashes. The shipped embedder keeps its manifest check.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vitrine::index::{embedder_of, CatalogIndex};
use vitrine::models::{expected_sha256, sha256_hex, Embedder};

/// Labels of the clothing dataset taken into the catalog, with their wear.
const LABELS: [(&str, &str); 5] =
    [("T-Shirt", "top"), ("Longsleeve", "top"), ("Pants", "bottom"), ("Shorts", "bottom"), ("Shoes", "foot")];
/// Products per label: 50 photos, so features, training and the index take seconds.
const PER_LABEL: usize = 10;

fn vitrine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vitrine")).args(args).current_dir(common::root()).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A catalog CSV of the first `PER_LABEL` adult photos of each of `LABELS`, labelled by
/// product_type (what `vitrine train --catalog` learns from); image paths are relative to the
/// dataset's images/ folder.
fn write_catalog(dataset: &Path, csv: &Path) {
    let labels = std::fs::read_to_string(dataset.join("images.csv")).unwrap();
    let mut rows = vec!["id,title,link,image,price,gender,wear,product_type".to_string()];
    for (label, wear) in LABELS {
        let images = labels
            .lines()
            .skip(1)
            .filter_map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                (f.len() == 4 && f[2] == label && f[3] == "False").then(|| f[0].to_string())
            })
            .take(PER_LABEL);
        for (i, image) in images.enumerate() {
            rows.push(format!(
                "{label}-{i},{label} {i},https://shop.example/{label}-{i},{image}.jpg,EUR 10.00,unisex,{wear},{label}"
            ));
        }
    }
    assert_eq!(rows.len(), 1 + LABELS.len() * PER_LABEL, "the dataset has {PER_LABEL} photos of each label");
    std::fs::write(csv, rows.join("\n") + "\n").unwrap();
}

/// `vitrine recommend` on messi5.jpg with `index`, as JSON.
fn recommend(index: &Path) -> Output {
    vitrine(&["recommend", "tests/photos/messi5.jpg", "--index", index.to_str().unwrap(), "--json"])
}

/// The look's rows: every garment of messi5.jpg has products, all from the catalog.
fn assert_rows(out: &Output) {
    assert!(out.status.success(), "{}", text(out));
    let look: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(look["verdict"]["full_shot"], true, "{look}");
    let garments = look["garments"].as_array().unwrap();
    assert_eq!(garments.len(), 3, "{look}");
    for g in garments {
        let products = g["products"].as_array().unwrap();
        assert_eq!(products.len(), 5, "{g}");
        for p in products {
            assert!(p["link"].as_str().unwrap().starts_with("https://shop.example/"), "{p}");
        }
    }
}

#[test]
fn an_index_carries_its_own_embedder_and_recommend_checks_it() {
    let Some(dataset) = common::clothing_dataset() else { return };
    if common::photo("messi5.jpg").is_none() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trained-embedder");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("catalog.csv");
    write_catalog(&dataset, &csv);
    let images = dataset.join("images");
    let (c, i) = (csv.to_str().unwrap(), images.to_str().unwrap());
    let cache = dir.join("features");

    // Two heads on the same catalog, from two seeds: two different embedders.
    let started = std::time::Instant::now();
    let heads: Vec<PathBuf> = [1, 2]
        .iter()
        .map(|seed| {
            let onnx = dir.join(format!("head-{seed}.onnx"));
            let out = vitrine(&[
                "train",
                "--catalog",
                c,
                "--images",
                i,
                "--cache",
                cache.to_str().unwrap(),
                "--epochs",
                "3",
                "--seed",
                &seed.to_string(),
                "--out",
                onnx.to_str().unwrap(),
            ]);
            assert!(out.status.success(), "{}", text(&out));
            onnx
        })
        .collect();
    let (mine, other) = (common::read(&heads[0]), common::read(&heads[1]));
    let (mine_sha, other_sha) = (sha256_hex(&mine), sha256_hex(&other));
    assert_ne!(mine_sha, other_sha);
    println!("trained 2 heads in {:.1} s", started.elapsed().as_secs_f64());

    // The build copies the embedder into the index folder and names it in the index.
    let index = dir.join("index");
    let started = std::time::Instant::now();
    let build = |extra: &[&str]| {
        let o = index.to_str().unwrap();
        vitrine(&[&["index", "build", "--catalog", c, "--images", i, "--out", o][..], extra].concat())
    };
    let out = build(&["--embedder", heads[0].to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    println!("{}built in {:.1} s", text(&out), started.elapsed().as_secs_f64());
    assert!(
        text(&out).contains(&format!("embedder: embedder.onnx (its own, sha256 {mine_sha})")),
        "{}",
        text(&out)
    );
    assert_eq!(common::read(&index.join("embedder.onnx")), mine);
    let index_bin = common::read(&index.join("index.bin"));
    let built_by = embedder_of("index", &index_bin).unwrap();
    assert_eq!(
        (built_by.sha256.as_str(), built_by.file.as_deref()),
        (mine_sha.as_str(), Some("embedder.onnx"))
    );
    let loaded =
        CatalogIndex::from_bytes("index", &index_bin, &common::read(&index.join("products.json"))).unwrap();
    assert_eq!((loaded.embedder(), loaded.embedder_file()), (mine_sha.as_str(), Some("embedder.onnx")));

    // A look with it: recommend loads the index's embedder, not models/vitrine_embedder.onnx.
    let started = std::time::Instant::now();
    assert_rows(&recommend(&index));
    println!("a look with the index's own embedder in {:.1} s", started.elapsed().as_secs_f64());

    // Another head in its place is refused, naming the file and both hashes, and what to do.
    std::fs::write(index.join("embedder.onnx"), &other).unwrap();
    let out = recommend(&index);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    println!("{err}");
    let file = index.join("embedder.onnx");
    for needed in [file.to_str().unwrap(), &other_sha, &mine_sha, "restore", "rebuild the index"] {
        assert!(err.contains(needed), "'{needed}' is not in: {err}");
    }
    // So is a missing one: the error names the file.
    std::fs::remove_file(&file).unwrap();
    let out = recommend(&index);
    assert!(text(&out).contains(&format!("{}: cannot read", file.display())), "{}", text(&out));

    // Rebuilt with the shipped embedder (the default), the index names none and its old
    // embedder.onnx goes; the shipped one keeps its manifest check.
    std::fs::write(&file, &other).unwrap();
    let out = build(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("embedder: vitrine_embedder.onnx (shipped)"), "{}", text(&out));
    assert!(!file.exists(), "the old index's embedder.onnx is left in the folder");
    let built_by = embedder_of("index", &common::read(&index.join("index.bin"))).unwrap();
    assert_eq!(built_by.sha256, expected_sha256(Embedder::FILE).unwrap());
    assert_eq!(built_by.file, None);
    assert_rows(&recommend(&index));
    // Giving the shipped file explicitly is the same index.
    let shipped = common::root().join("models").join(Embedder::FILE);
    let before = common::read(&index.join("index.bin"));
    let out = build(&["--embedder", shipped.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(common::read(&index.join("index.bin")), before);

    // A models folder whose vitrine_embedder.onnx is another file (a trained head put there, or
    // a damaged download) is refused as `recommend` refuses it, and the index is left as it
    // was: before, the build took the file as the index's own embedder.
    let models = dir.join("models-swapped");
    std::fs::create_dir_all(&models).unwrap();
    for entry in std::fs::read_dir(common::root().join("models")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "onnx") {
            std::fs::copy(&path, models.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(models.join(Embedder::FILE), &other).unwrap();
    let out = build(&["--models", models.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let expected = format!("{}: sha256 {other_sha}", models.join(Embedder::FILE).display());
    assert!(text(&out).contains(&expected) && text(&out).contains("--embedder FILE"), "{}", text(&out));
    assert_eq!(common::read(&index.join("index.bin")), before);
}
