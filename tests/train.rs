//! `vitrine train` and `vitrine eval` end to end on a real catalog: the Fashion-MNIST demo
//! catalog (Debian's dataset-fashion-mnist) labelled by its product_type column, through the real
//! backbone, trained, exported to ONNX and scored.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FASHION_MNIST: &str = "/usr/share/datasets/fashion-mnist";

fn vitrine(args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO_BIN_EXE_vitrine")).args(args).current_dir(root).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A fresh Fashion-MNIST catalog of `per_class` photos a class in the test target folder `name`;
/// `None` (skipped, or failed under VITRINE_REQUIRE_DATA=1) without the dataset.
fn catalog(name: &str, per_class: &str) -> Option<PathBuf> {
    if !Path::new(FASHION_MNIST).exists() {
        common::skip(&format!(
            "{FASHION_MNIST} is missing (apt-get install dataset-fashion-mnist; scripts/setup.sh does)"
        ));
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let out =
        vitrine(&["catalog", "fashion-mnist", "--out", dir.to_str().unwrap(), "--per-class", per_class]);
    assert!(out.status.success(), "{}", text(&out));
    Some(dir)
}

#[test]
fn a_catalog_trains_an_embedder_that_eval_scores() {
    let Some(dir) = catalog("train-catalog", "30") else { return };
    let d = dir.to_str().unwrap();

    let (csv, cache, onnx) =
        (format!("{d}/catalog.csv"), format!("{d}/features"), format!("{d}/embedder.onnx"));
    let data = ["--catalog", &csv, "--images", d, "--cache", &cache];
    let out = vitrine(&[&["train", "--epochs", "5", "--out", &onnx][..], &data].concat());
    let log = text(&out);
    println!("{log}");
    assert!(out.status.success(), "{log}");
    // 9 classes of 30, about 70% of them in the training split.
    assert!(log.contains("labels)") && log.contains("epoch   5  loss"), "{log}");
    assert!(std::fs::metadata(&onnx).unwrap().len() > 3_000_000);

    let eval = ["eval", "--embedder", &onnx, "--split", "test", "--colour-weight", "0.3"];
    let out = vitrine(&[&eval[..], &data].concat());
    let table = text(&out);
    println!("{table}");
    assert!(out.status.success(), "{table}");
    let (metrics, confusions) = table.split_once("colour@5: share").unwrap();
    let rows: Vec<&str> =
        metrics.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| embedding")).collect();
    assert_eq!(rows.len(), 4, "{table}");
    assert!(rows[2].contains("trained head 128-d"), "{table}");
    assert!(rows[3].contains("trained head + colour at 0.3"), "{table}");
    let cells = |row: &str| -> Vec<f64> {
        row.split('|').skip(2).filter(|c| !c.trim().is_empty()).map(|c| c.trim().parse().unwrap()).collect()
    };
    // Every metric is a real fraction, computed from the held-out items.
    for row in &rows {
        assert!(cells(row).iter().all(|v| (0.0..=1.0).contains(v)), "{row}");
    }
    // The per-label table is the head's: its precisions, weighted by the labels' items, make
    // the head's precision@5.
    let per_label: Vec<Vec<f64>> = confusions
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| label"))
        .map(|l| l.split('|').skip(2).take(2).map(|c| c.trim().parse().unwrap()).collect())
        .collect();
    assert_eq!(per_label.len(), 9, "{table}");
    let items: f64 = per_label.iter().map(|r| r[0]).sum();
    let weighted = per_label.iter().map(|r| r[0] * r[1]).sum::<f64>() / items;
    assert!((weighted - cells(rows[2])[0]).abs() < 0.002, "{weighted} vs {}", rows[2]);

    // Bad inputs name themselves; nothing is written.
    let bad = format!("{d}/never.onnx");
    let out = vitrine(&[&["train", "--label-column", "colour", "--out", &bad][..], &data].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no 'colour' column"), "{}", text(&out));
    assert!(!Path::new(&bad).exists());
    // A column of unique values leaves no two products similar.
    let out = vitrine(&[&["train", "--label-column", "id", "--out", &bad][..], &data].concat());
    assert!(text(&out).contains("column 'id' gives every product its own label"), "{}", text(&out));
    assert!(!Path::new(&bad).exists());
    let out = vitrine(&[&["eval", "--embedder", "models/ssd_oidv4.onnx"][..], &data].concat());
    assert!(text(&out).contains("ssd_oidv4.onnx: has no trained head"), "{}", text(&out));
    let out = vitrine(&["train", "--out", &bad]);
    assert!(text(&out).contains("nothing to learn from"), "{}", text(&out));
}

/// A spreadsheet's empty row (separators only), which `index build` skips, does not put the
/// labels out of step with the products when a catalog trains or is scored: `eval` reads the
/// same feed and scores it. Labels are matched whatever their capitals, and the features cached
/// for a product photo are not used for another photo under its name.
#[test]
fn an_empty_spreadsheet_row_leaves_the_labels_in_step() {
    let Some(dir) = catalog("blank-row", "3") else { return };
    let d = dir.to_str().unwrap();
    let csv = std::fs::read_to_string(dir.join("catalog.csv")).unwrap();
    let mut rows: Vec<&str> = csv.lines().collect();
    let blank = ",".repeat(rows[0].matches(',').count());
    rows.insert(3, &blank);
    // A label spelt in other capitals is the same label ("9 labels" below).
    let (head, label) = rows[5].rsplit_once(',').unwrap();
    let shouted = format!("{head},{}", label.to_uppercase());
    assert_ne!(shouted, rows[5]);
    rows[5] = &shouted;
    let with_blank = dir.join("with-blank.csv");
    std::fs::write(&with_blank, rows.join("\n") + "\n").unwrap();
    let cache = format!("{d}/features");
    let args = [
        "eval",
        "--catalog",
        with_blank.to_str().unwrap(),
        "--images",
        d,
        "--cache",
        &cache,
        "--split",
        "test",
    ];
    let out = vitrine(&args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("9 labels") && text(&out).contains("precision@5"), "{}", text(&out));

    // A product photo re-shot under the same name is not read from the cache of the old one.
    let cached = || std::fs::read_dir(&cache).unwrap().count();
    let before = cached();
    let image = rows[0].split(',').position(|c| c == "image").unwrap();
    let photo = dir.join(rows[1].split(',').nth(image).unwrap());
    let other = std::fs::read(dir.join(rows[2].split(',').nth(image).unwrap())).unwrap();
    std::fs::write(&photo, other).unwrap();
    assert!(vitrine(&args).status.success());
    assert!(cached() > before, "the features of the old photo were used again");
}

/// `vitrine train --fine-tune` end to end on the same small catalog, one short epoch: the
/// backbone's tail (its last two blocks: a 5x5 depthwise and a skip, then the last stage's
/// block) and the head trained on cached, augmented trunk activations, written as one
/// embedder that tract runs, scored by `vitrine eval` running the file whole, and the same bytes
/// again from the same seed.
#[test]
fn fine_tuning_trains_the_tail_and_repeats_with_a_seed() {
    let Some(dir) = catalog("fine-tune-catalog", "12") else { return };
    let d = dir.to_str().unwrap();
    let (csv, cache) = (format!("{d}/catalog.csv"), format!("{d}/features"));
    let data = ["--catalog", &csv, "--images", d, "--cache", &cache];
    let train = |onnx: &str| {
        let args = ["train", "--fine-tune", "--tail-blocks", "2", "--views", "2", "--epochs", "2"];
        let args = [&args[..], &["--warmup-epochs", "1", "--out", onnx]].concat();
        let out = vitrine(&[&args[..], &data].concat());
        let log = text(&out);
        println!("{log}");
        assert!(out.status.success(), "{log}");
        assert!(log.contains("trunk activations (2 views each)") && log.contains("epoch   2  loss"), "{log}");
        assert!(log.contains("its last 2 blocks and conv_head fine-tuned"), "{log}");
        std::fs::read(onnx).unwrap()
    };
    let (first, second) = (format!("{d}/a.onnx"), format!("{d}/b.onnx"));
    let bytes = train(&first);
    // Cached views the second time; the same seed gives the same file.
    assert_eq!(bytes, train(&second), "same seed, same bytes");
    let views = std::fs::read_dir(&cache)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "activations"))
        .count();
    assert_eq!(views, 1, "one cache file of the training split's views");

    let out = vitrine(&[&["eval", "--embedder", &first, "--split", "test"][..], &data].concat());
    let table = text(&out);
    println!("{table}");
    assert!(out.status.success(), "{table}");
    let row = table
        .lines()
        .find(|l| l.starts_with("| fine-tuned embedder 128-d"))
        .unwrap_or_else(|| panic!("{table}"));
    let cells: Vec<f64> =
        row.split('|').skip(2).filter(|c| !c.trim().is_empty()).map(|c| c.trim().parse().unwrap()).collect();
    assert_eq!(cells.len(), 6, "{row}");
    assert!(cells.iter().all(|v| (0.0..=1.0).contains(v)), "{row}");
    // The tail really changed: the file is not the backbone plus a head.
    let backbone =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/efficientnet_lite0.onnx")).unwrap();
    let (old, _) = vitrine::engine::read_tail("backbone", &backbone, 2).unwrap();
    let (new, _) = vitrine::engine::read_tail(&first, &bytes, 2).unwrap();
    for (old, new) in old.blocks.iter().zip(&new.blocks) {
        assert_ne!(old.project.weights, new.project.weights);
        assert_eq!(old.expand.weights.len(), new.expand.weights.len());
    }
}
