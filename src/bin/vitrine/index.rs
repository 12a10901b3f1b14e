//! `vitrine index build`: embeds every product photo of a catalog and writes the index folder
//! the browser and `vitrine recommend` read (`index.bin`, `products.json`, thumbnails). It is
//! built here, natively, because embedding a whole catalog is too slow for a page. The folder
//! is built beside OUT and swapped in at the end, so a failed build leaves the old index whole.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use vitrine::catalog::{self, Product, ReadOptions};
use vitrine::index::IndexEmbedder;
use vitrine::models::{expected_sha256, sha256_hex, Embedder};
use vitrine::photo::{Limits, Photo};

use crate::files::{local_image, par_map, read, thumbnail_path, write_atomic, Staging};

/// `vitrine index`'s subcommands.
#[derive(Subcommand)]
pub enum IndexCommand {
    /// Embeds every product photo and writes OUT/index.bin and OUT/products.json.
    Build(BuildArgs),
}

/// `vitrine index build`'s arguments.
#[derive(Args)]
pub struct BuildArgs {
    /// Catalog CSV: id, title, link, image, price, gender, wear (or a Merchant Center feed with
    /// product_type / google_product_category); comma, tab or semicolon separated.
    #[arg(long)]
    catalog: PathBuf,
    /// Folder the catalog's image paths are relative to.
    #[arg(long)]
    images: PathBuf,
    /// Index folder to write.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// The embedder to embed the products with (default: MODELS/vitrine_embedder.onnx). A
    /// retailer's own (`vitrine train --out FILE`) is copied into OUT as embedder.onnx and the
    /// index names it, so that `vitrine recommend` and the page load it from there.
    #[arg(long)]
    embedder: Option<PathBuf>,
    /// HNSW seed (the build is deterministic for a given seed).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Leave out rows whose wear (top, bottom, foot, dress) neither wear, product_type nor
    /// google_product_category decides, instead of refusing the catalog; the summary lists them.
    #[arg(long)]
    skip_undecided: bool,
}

/// Runs `vitrine index ...`.
pub fn run(cmd: IndexCommand) -> Result<ExitCode> {
    match cmd {
        IndexCommand::Build(args) => build(args),
    }
}

fn build(args: BuildArgs) -> Result<ExitCode> {
    let BuildArgs { catalog: catalog_path, images, out, models, embedder, seed, skip_undecided } = args;
    let name = catalog_path.display().to_string();
    let feed = catalog::read(&name, &read(&catalog_path)?, ReadOptions { skip_undecided })?;
    let (mut products, lines, skipped) = (feed.products, feed.lines, feed.skipped);
    let (embedder, embedder_bytes) = load_embedder(&embedder.unwrap_or_else(|| models.join(Embedder::FILE)))?;
    // Check every image before the slow part, so a typo fails in a second, not an hour.
    let sources: Vec<PathBuf> =
        products.iter().map(|p| local_image(&name, p, &images)).collect::<Result<_>>()?;
    // Thumbnail names carry 48 bits of the id's hash: a clash is all but impossible, but it
    // would show one product's picture on another's card, so it is checked (case-insensitively,
    // for macOS and Windows disks).
    let mut names = std::collections::HashMap::new();
    for p in &products {
        if let Some(other) = names.insert(thumbnail_path(&p.id).to_lowercase(), &p.id) {
            bail!("{name}: products '{other}' and '{}' would share a thumbnail file; rename one id", p.id);
        }
    }
    // The swap replaces OUT/images whole: product photos kept there would be lost.
    if let Ok(thumbnails) = out.join("images").canonicalize() {
        if let Some(src) = sources.iter().find(|s| s.canonicalize().is_ok_and(|s| s.starts_with(&thumbnails)))
        {
            bail!(
                "{}: product photos inside {} would be replaced by the index's thumbnails; keep them in another folder",
                src.display(),
                thumbnails.display()
            );
        }
    }
    let staging = Staging::new(&out)?;

    let bar = ProgressBar::new(products.len() as u64).with_style(
        ProgressStyle::with_template("embedding {bar:40} {pos}/{len} products, {per_sec}, eta {eta}")
            .unwrap(),
    );
    let items: Vec<(&Product, &PathBuf)> = products.iter().zip(&sources).collect();
    let results = par_map(&items, &bar, |(p, src)| embed_product(&embedder, p, src, &staging.dir));
    bar.finish();
    let mut embeddings = Vec::with_capacity(products.len());
    for ((p, line), r) in products.iter_mut().zip(&lines).zip(results) {
        let (embedding, thumbnail) = r.with_context(|| format!("{name} line {line}: product '{}'", p.id))?;
        p.image = thumbnail;
        embeddings.push(embedding);
    }
    // A retailer's own embedder travels with its index: the index names it and records its sha256.
    let built_by = IndexEmbedder {
        sha256: embedder.sha256().to_string(),
        file: (!embedder.is_shipped()).then(|| TRAINED_EMBEDDER.to_string()),
    };
    if let Some(file) = &built_by.file {
        write_atomic(&staging.dir.join(file), &embedder_bytes)?;
    }
    let settings = vitrine::index::Settings { seed, ..Default::default() };
    let (index, products_json) = vitrine::index::build_for(&built_by, &products, &embeddings, settings)?;
    write_atomic(&staging.dir.join("index.bin"), &index)?;
    write_atomic(&staging.dir.join("products.json"), &products_json)?;
    let built = vitrine::index::CatalogIndex::from_bytes("new index", &index, &products_json)?;
    staging.commit()?;
    println!("{}: {} products, seed {seed}", out.display(), products.len());
    for (category, n) in built.categories() {
        println!("  {category}: {n}");
    }
    println!(
        "  index.bin {} bytes ({:.0} per product)",
        index.len(),
        index.len() as f64 / products.len() as f64
    );
    match &built_by.file {
        Some(file) => println!("  embedder: {file} (its own, sha256 {})", built_by.sha256),
        None => println!("  embedder: models/{} (shipped)", Embedder::FILE),
    }
    if !skipped.is_empty() {
        let at: Vec<String> = skipped.iter().map(|s| format!("{} ('{}')", s.line, s.id)).collect();
        println!(
            "  left out {} rows whose wear is undecided (--skip-undecided), at lines {}",
            skipped.len(),
            at.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The file name a retailer's own embedder gets in the index folder (`Staging` swaps it in).
const TRAINED_EMBEDDER: &str = "embedder.onnx";

/// The embedder in `path` and its bytes: the shipped one (models/MANIFEST's sha256), checked as
/// every shipped model is, or a retailer's own, which the index will carry.
fn load_embedder(path: &Path) -> Result<(Embedder, Vec<u8>)> {
    let bytes = read(path)?;
    let sha256 = sha256_hex(&bytes);
    let embedder = if expected_sha256(Embedder::FILE) == Some(sha256.as_str()) {
        Embedder::new(&bytes)?
    } else {
        Embedder::trained(&path.display().to_string(), &bytes, &sha256)?
    };
    Ok((embedder, bytes))
}

/// Embeds one product photo and writes its thumbnail under `dir`; returns the embedding and
/// the thumbnail's path relative to the index folder.
fn embed_product(
    embedder: &Embedder,
    product: &Product,
    src: &Path,
    dir: &Path,
) -> Result<(Vec<f32>, String)> {
    let bytes = read(src)?;
    let photo = Photo::decode(&bytes, &src.display().to_string(), &Limits::default())?;
    let embedding = embedder.embed_whole(&photo)?;
    let rel = thumbnail_path(&product.id);
    let thumb = image::DynamicImage::ImageRgb8(photo.rgb().clone()).thumbnail(256, 256).to_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85).encode_image(&thumb)?;
    write_atomic(&dir.join(&rel), &jpeg)?;
    Ok((embedding, rel))
}
