//! The file helpers the commands share, so that each reads, writes and names files the same
//! way: errors name the file, and writes go through a temporary file and a rename, so nothing
//! half-written is left; an index folder is built beside its place and swapped in at the end
//! (`Staging`). `par_map` is here too: it is how every command that reads many photos
//! spreads them over the cores.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use serde::Serialize;
use vitrine::catalog::Product;

/// The bytes of `path`, or an error naming it.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename. Errors
/// name `path` (not the temporary file, which is removed): a folder that does not exist is
/// said so.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !folder.is_dir() {
        bail!(
            "{}: cannot write: the folder {} does not exist; create it or name a file in a folder that does",
            path.display(),
            folder.display()
        );
    }
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let written = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.with_context(|| format!("{}: cannot write", path.display()))
}

/// `image` as JPEG bytes at `quality` (1-100), as every photo and thumbnail vitrine writes.
pub fn jpeg(image: &image::RgbImage, quality: u8) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(image)?;
    Ok(bytes)
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
    outln!("\nwritten: {}", path.display())?;
    Ok(())
}

/// The file of a product's photo under `images`, or an error naming the catalog (`name`) and
/// the product's `line` in it (as catalog errors do), the product and what to do.
pub fn local_image(name: &str, line: u64, product: &Product, images: &Path) -> Result<PathBuf> {
    let (image, id) = (&product.image, &product.id);
    if image.starts_with("http://") || image.starts_with("https://") {
        bail!("{name} line {line}: product '{id}': image '{image}' is a URL; download the images and give paths under --images");
    }
    let path = images.join(image);
    if path.is_dir() {
        bail!(
            "{name} line {line}: product '{id}': image {} is a folder; give the photo's file",
            path.display()
        );
    }
    if !path.is_file() {
        bail!(
            "{name} line {line}: product '{id}': image {} does not exist; check the image column, or --images (the folder image paths are relative to)",
            path.display()
        );
    }
    Ok(path)
}

/// A product's thumbnail, relative to the index folder: `images/STEM-HASH.jpg`, STEM the id's
/// ASCII letters, digits, '-' and '_' (others become '_', at most 40 kept) so a person can
/// tell the files apart, HASH the first 12 hex digits of the id's sha256 so that distinct ids
/// never share a file (`シャツ-1` and `パンツ-1` both have the stem `___-1`; `P1` and `p1`
/// are one file on a case-insensitive disk).
pub fn thumbnail_path(id: &str) -> String {
    let stem: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(40)
        .collect();
    format!("images/{stem}-{}.jpg", &vitrine::models::sha256_hex(id.as_bytes())[..12])
}

/// The staging folders being written now: a Ctrl-C or SIGTERM removes them
/// ([`remove_staging_on_interrupt`]), since `Drop` does not run when a signal ends the process.
/// A folder leaves the list when its swap into place begins: from then on it holds the old index.
static BUILDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Makes Ctrl-C and SIGTERM remove the staging folders of builds in progress, then exit with
/// status 130 (the shell's code for an interrupt), so an interrupted build leaves `out` as it was
/// and no `.NAME.building-PID` folder beside it.
pub fn remove_staging_on_interrupt() -> Result<()> {
    ctrlc::set_handler(|| {
        let dirs = BUILDING.lock().map(|d| d.clone()).unwrap_or_default();
        for dir in dirs {
            // The build's threads may still be writing into it: a second try takes what they added.
            for _ in 0..3 {
                if fs::remove_dir_all(&dir).is_ok() || !dir.exists() {
                    break;
                }
            }
        }
        eprintln!("vitrine: interrupted; the output was left as it was");
        std::process::exit(130);
    })
    .context("cannot install the Ctrl-C handler")
}

fn building(dir: &Path, now: bool) {
    if let Ok(mut dirs) = BUILDING.lock() {
        dirs.retain(|d| d != dir);
        if now {
            dirs.push(dir.to_path_buf());
        }
    }
}

/// An index folder being built: everything is written into `.NAME.building-PID` beside `out`
/// (same parent, so renames stay on one disk), then [`Staging::commit`] puts it in place. A
/// build that fails or is dropped removes it and leaves `out` as it was (or absent).
pub struct Staging {
    /// Where the new index is written.
    pub dir: PathBuf,
    out: PathBuf,
    /// Parents of `out` this build created, deepest first, removed again on failure.
    created: Vec<PathBuf>,
    done: bool,
}

/// What an index folder holds (`embedder.onnx` only when it was built with a retailer's own
/// embedder); the rest of `out` (e.g. the catalog and its photos, when the catalog folder is also
/// the index folder) is not the index's and stays.
const INDEX_ENTRIES: [&str; 5] =
    ["images", "index.bin", "products.json", crate::embed_cache::FILE, "embedder.onnx"];

impl Staging {
    /// Creates the staging folder (with `images/`) beside `out`.
    pub fn new(out: &Path) -> Result<Staging> {
        // `--out .` or `--out idx/..` has no name of its own until resolved.
        let out = &out.canonicalize().unwrap_or_else(|_| out.to_path_buf());
        let Some(name) = out.file_name() else {
            bail!("{}: give --out a folder name", out.display());
        };
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let created: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        let dir = parent.join(format!(".{}.building-{}", name.to_string_lossy(), std::process::id()));
        if out.exists() && !out.is_dir() {
            bail!(
                "{}: is a file, not a folder; give --out a folder (new or an earlier index)",
                out.display()
            );
        }
        let staging = Staging { dir, out: out.to_path_buf(), created, done: false };
        // A folder left by a killed build of the same pid is stale.
        if staging.dir.exists() {
            fs::remove_dir_all(&staging.dir)
                .with_context(|| format!("{}: cannot remove", staging.dir.display()))?;
        }
        remove_stale_staging(parent, &name.to_string_lossy());
        building(&staging.dir, true);
        create_dir(&staging.dir.join("images"))?;
        Ok(staging)
    }

    /// Puts the new index in place: a fresh `out` is the staging folder renamed; an existing
    /// one has its index entries (images/, index.bin, products.json, embeddings.cache,
    /// embedder.onnx) moved aside and the new ones renamed in, then the old ones deleted (an old
    /// embedder.onnx goes even when the new index has none). If a rename fails, the old entries
    /// moved so far are put back.
    pub fn commit(mut self) -> Result<()> {
        building(&self.dir, false);
        let cannot = |path: &Path| format!("{}: cannot replace", path.display());
        if !self.out.exists() {
            fs::rename(&self.dir, &self.out).with_context(|| cannot(&self.out))?;
            self.done = true;
            return Ok(());
        }
        if !self.out.is_dir() {
            bail!("{}: is a file, not an index folder", self.out.display());
        }
        let old = self.dir.join(".old");
        create_dir(&old)?;
        let (mut aside, mut placed) = (Vec::new(), Vec::new());
        let mut swap = || -> Result<()> {
            for entry in INDEX_ENTRIES {
                let current = self.out.join(entry);
                if current.exists() {
                    fs::rename(&current, old.join(entry)).with_context(|| cannot(&current))?;
                    aside.push(entry);
                }
                let new = self.dir.join(entry);
                if new.exists() {
                    fs::rename(new, &current).with_context(|| cannot(&current))?;
                    placed.push(entry);
                }
            }
            Ok(())
        };
        if let Err(e) = swap() {
            // Best effort: the new entries go back to staging (deleted with it), the old return.
            for entry in placed {
                let _ = fs::rename(self.out.join(entry), self.dir.join(entry));
            }
            for entry in aside {
                let _ = fs::rename(old.join(entry), self.out.join(entry));
            }
            return Err(e);
        }
        self.done = true;
        fs::remove_dir_all(&self.dir)
            .with_context(|| format!("{}: cannot remove the old index", self.dir.display()))
    }

    /// Puts the staging folder in place of the whole of `out` (a folder one command makes
    /// entire, e.g. `vitrine catalog clothing-subset`'s): an old `out` is moved aside, the new
    /// one renamed in, then the old one deleted; if the rename fails the old one is put back.
    pub fn replace_all(mut self) -> Result<()> {
        building(&self.dir, false);
        let old = self.dir.with_extension("old");
        let existed = self.out.exists();
        if existed {
            fs::rename(&self.out, &old).with_context(|| format!("{}: cannot replace", self.out.display()))?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.out) {
            if existed {
                let _ = fs::rename(&old, &self.out);
            }
            return Err(e).with_context(|| format!("{}: cannot replace", self.out.display()));
        }
        self.done = true;
        if existed {
            fs::remove_dir_all(&old).with_context(|| format!("{}: cannot remove", old.display()))?;
        }
        Ok(())
    }
}

/// Removes the `.NAME.building-PID` folders in `parent` whose build has gone without cleaning
/// up (killed by SIGKILL, the OOM killer or a power cut: no handler runs), so they do not pile
/// up, or get published, beside an index in a web root. A build is gone when its process is:
/// where `/proc` lists processes (Linux), `/proc/PID` is absent. Elsewhere, and for a folder
/// holding `.old` (a build killed while swapping, whose old entries are there), nothing is
/// removed. Best effort: a folder that cannot be removed stays.
fn remove_stale_staging(parent: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let prefix = format!(".{name}.building-");
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid.is_empty() || proc.join(pid).exists() {
            continue;
        }
        let dir = entry.path();
        if dir.is_dir() && !dir.join(".old").exists() {
            let _ = fs::remove_dir_all(&dir);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        building(&self.dir, false);
        if !self.done {
            let _ = fs::remove_dir_all(&self.dir);
            for dir in &self.created {
                // Only if still empty: never anything another process put there.
                let _ = fs::remove_dir(dir);
            }
        }
    }
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
