//! The file helpers the commands share, so that each reads, writes and names files the same
//! way: errors name the file, and writes go through a temporary file and a rename, so nothing
//! half-written is left. `par_map` is here too: it is how every command that reads many photos
//! spreads them over the cores.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use serde::Serialize;
use vitrine::catalog::Product;

/// The bytes of `path`, or an error naming it.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    fs::write(&tmp, bytes).with_context(|| format!("{}: cannot write", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
}

/// Creates `dir` and its parents, or an error naming it.
pub fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))
}

/// Writes `value` to `path` as pretty JSON (creating its folder) and says so on stdout.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    write_atomic(path, &serde_json::to_vec_pretty(value)?)?;
    println!("\nwritten: {}", path.display());
    Ok(())
}

/// The file of a product's photo under `images`, or an error naming the catalog (`name`), the
/// product and what to do.
pub fn local_image(name: &str, product: &Product, images: &Path) -> Result<PathBuf> {
    let image = &product.image;
    if image.starts_with("http://") || image.starts_with("https://") {
        bail!("{name}: product '{}': image '{image}' is a URL; download the images and give paths under --images", product.id);
    }
    let path = images.join(image);
    if !path.is_file() {
        bail!("{name}: product '{}': image {} does not exist", product.id, path.display());
    }
    Ok(path)
}

/// `f` of every item, in order, on as many threads as there are cores (the models run one
/// thread each); `bar` counts the items done.
pub fn par_map<T: Sync, R: Send>(items: &[T], bar: &ProgressBar, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let (f, bar) = (&f, bar.clone());
                s.spawn(move || {
                    part.iter()
                        .map(|item| {
                            let r = f(item);
                            bar.inc(1);
                            r
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker thread panicked")).collect()
    })
}
