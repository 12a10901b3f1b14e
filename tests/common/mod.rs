//! Helpers shared by the integration tests: the shipped models, the real test photos (fetched
//! from package registries by tests/fetch-photos.sh, never committed) and ../shared data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn model_bytes(file: &str) -> Vec<u8> {
    let path = root().join("models").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A real test photo. Fetches them all once per test binary when missing; `None` (and a
/// message saying why the test is skipped) when they cannot be had, e.g. offline.
pub fn photo(name: &str) -> Option<Vec<u8>> {
    static FETCHED: OnceLock<bool> = OnceLock::new();
    let dir = root().join("tests").join("photos");
    let path = dir.join(name);
    if !path.exists() {
        let ok = *FETCHED.get_or_init(|| {
            std::process::Command::new("bash")
                .arg(root().join("tests").join("fetch-photos.sh"))
                .arg(&dir)
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        });
        if !ok || !path.exists() {
            eprintln!(
                "SKIP: test photo {name} is missing and tests/fetch-photos.sh could not fetch it"
            );
            return None;
        }
    }
    Some(std::fs::read(&path).unwrap())
}

/// ../shared/data/clothing-dataset, when this checkout has it.
pub fn clothing_dataset() -> Option<PathBuf> {
    let dir = root()
        .join("..")
        .join("shared")
        .join("data")
        .join("clothing-dataset");
    if dir.join("images.csv").exists() {
        Some(dir)
    } else {
        eprintln!("SKIP: ../shared/data/clothing-dataset is absent (see ../shared/README.md)");
        None
    }
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
