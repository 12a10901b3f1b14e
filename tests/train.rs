//! `vitrine train` and `vitrine eval` end to end on a real catalog: the Fashion-MNIST demo
//! catalog (Debian's dataset-fashion-mnist) labelled by its product_type column, through the real
//! backbone, trained, exported to ONNX and scored.

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

#[test]
fn a_catalog_trains_an_embedder_that_eval_scores() {
    if !Path::new(FASHION_MNIST).exists() {
        eprintln!(
            "SKIP: {FASHION_MNIST} is missing (apt-get install dataset-fashion-mnist; scripts/setup.sh does)"
        );
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("train-catalog");
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let out = vitrine(&["catalog", "fashion-mnist", "--out", d, "--per-class", "30"]);
    assert!(out.status.success(), "{}", text(&out));

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

    let out = vitrine(&[&["eval", "--embedder", &onnx, "--split", "test"][..], &data].concat());
    let table = text(&out);
    println!("{table}");
    assert!(out.status.success(), "{table}");
    let rows: Vec<&str> =
        table.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| embedding")).collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(rows[2].contains("trained head 128-d"), "{table}");
    // Every metric is a real fraction, computed from the held-out items.
    for row in &rows {
        for cell in row.split('|').skip(2).filter(|c| !c.trim().is_empty()) {
            let v: f32 = cell.trim().parse().unwrap();
            assert!((0.0..=1.0).contains(&v), "{row}");
        }
    }

    // Bad inputs name themselves; nothing is written.
    let bad = format!("{d}/never.onnx");
    let out = vitrine(&[&["train", "--label-column", "colour", "--out", &bad][..], &data].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no 'colour' column"), "{}", text(&out));
    assert!(!Path::new(&bad).exists());
    let out = vitrine(&[&["eval", "--embedder", "models/ssd_oidv4.onnx"][..], &data].concat());
    assert!(text(&out).contains("ssd_oidv4.onnx: has no trained head"), "{}", text(&out));
    let out = vitrine(&["train", "--out", &bad]);
    assert!(text(&out).contains("nothing to learn from"), "{}", text(&out));
}
