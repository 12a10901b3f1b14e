//! `vitrine index build`: embeds every product photo of a catalog and writes the index folder
//! the browser and `vitrine recommend` read (`index.bin`, `products.json`, thumbnails). Each
//! photo goes through the look's locate step and is embedded from the product's region: the
//! garment on the model, the trimmed packshot, or the whole photo as a fallback
//! ([`vitrine::regions`]); the card's thumbnail shows that region. It is built here, natively,
//! because locating and embedding a whole catalog is too slow for a page. The folder is built
//! beside OUT and swapped in at the end, so a failed build leaves the old index whole; its
//! `embeddings.cache` lets the next build embed only new or changed photos.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use vitrine::catalog::{self, Product, ReadOptions};
use vitrine::geometry::Rect;
use vitrine::index::IndexEmbedder;
use vitrine::models::{expected_sha256, sha256_hex, Embedder, ObjectDetector, PoseDetector, PoseLandmarker};
use vitrine::photo::{Limits, Photo};
use vitrine::regions::{self, Source};
use vitrine::Locator;

use crate::embed_cache::{self, Cache, Entry};
use crate::files::{jpeg, local_image, par_map, read, thumbnail_path, write_atomic, Staging};

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
    /// Print the build summary as JSON (products per category and region source, fallback
    /// reasons, photos embedded and reused, timings).
    #[arg(long)]
    json: bool,
    /// Embed every photo whole, without looking for the person and the garment (as vitrine did
    /// before catalog regions): faster, for catalogs of packshots only, and to compare.
    #[arg(long)]
    whole: bool,
}

/// Runs `vitrine index ...`.
pub fn run(cmd: IndexCommand) -> Result<ExitCode> {
    match cmd {
        IndexCommand::Build(args) => build(args),
    }
}

fn build(args: BuildArgs) -> Result<ExitCode> {
    let BuildArgs { catalog: catalog_path, images, out, models, embedder, seed, skip_undecided, json, whole } =
        args;
    let started = Instant::now();
    let name = catalog_path.display().to_string();
    let feed =
        catalog::read(&name, &read(&catalog_path)?, ReadOptions { skip_undecided, ..Default::default() })?;
    let (mut products, lines, skipped) = (feed.products, feed.lines, feed.skipped);
    let model = |file: &str| read(&models.join(file));
    let locator = Locator::new(
        &model(PoseDetector::FILE)?,
        (PoseLandmarker::FILE, &model(PoseLandmarker::FILE)?),
        &model(ObjectDetector::FILE)?,
    )?;
    let (embedder, embedder_bytes) = match embedder {
        Some(path) => load_embedder(&path)?,
        // MODELS/vitrine_embedder.onnx is the shipped one, checked as every shipped model is: a
        // damaged or replaced file there must not become the index's own embedder.
        None => {
            let bytes = model(Embedder::FILE)?;
            let embedder = Embedder::new(&bytes).map_err(|e| match e {
                vitrine::Error::Model { reason, .. } => anyhow::anyhow!(
                    "model {}: {reason}; to build with an embedder of your own (`vitrine train`), give it with --embedder FILE",
                    models.join(Embedder::FILE).display()
                ),
                e => e.into(),
            })?;
            (embedder, bytes)
        }
    };
    // Check every image before the slow part, so a typo fails in a second, not an hour.
    let sources: Vec<PathBuf> = products
        .iter()
        .zip(&lines)
        .map(|(p, &line)| local_image(&name, line, p, &images))
        .collect::<Result<_>>()?;
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
    let mut model_ids: Vec<&str> = [PoseDetector::FILE, PoseLandmarker::FILE, ObjectDetector::FILE]
        .iter()
        .map(|f| expected_sha256(f).with_context(|| format!("{f} is not in models/MANIFEST")))
        .collect::<Result<_>>()?;
    // The embedder's own sha256: a retailer's own embedder is keyed like the shipped one.
    model_ids.push(embedder.sha256());
    if whole {
        model_ids.push("whole");
    }
    // Histograms read by other colour rules are read again.
    let colour_rules = format!("colour{}", vitrine::colour::RULES);
    model_ids.push(&colour_rules);
    let (old, ignored) = Cache::load(&out, &model_ids);
    if let Some(why) = ignored {
        eprintln!("{why}");
    }
    let staging = Staging::new(&out)?;

    let bar = ProgressBar::new(products.len() as u64).with_style(
        ProgressStyle::with_template("embedding {bar:40} {pos}/{len} products, {per_sec}, eta {eta}")
            .unwrap(),
    );
    let context = Builder {
        locator: (!whole).then_some(&locator),
        embedder: &embedder,
        cache: &old,
        old: &out,
        new: &staging.dir,
    };
    let items: Vec<(&Product, &PathBuf)> = products.iter().zip(&sources).collect();
    let results = par_map(&items, &bar, |(p, src)| embed_product(&context, p, src));
    bar.finish_and_clear();
    let mut cache = Cache::new(&model_ids);
    let mut embeddings = Vec::with_capacity(products.len());
    let mut colours = Vec::with_capacity(products.len());
    let mut summary = Summary::default();
    for ((p, line), r) in products.iter_mut().zip(&lines).zip(results) {
        let done = r.with_context(|| format!("{name} line {line}: product '{}'", p.id))?;
        summary.count(p, &done);
        // The file keeps its name (product pages may link it); the URL changes with its bytes,
        // so a browser or CDN that cached an earlier build's thumbnail fetches the new one.
        p.image = format!("{}?v={}", thumbnail_path(&p.id), &done.entry.thumbnail[..12]);
        p.region = Some(done.entry.region.clone());
        embeddings.push(done.entry.embedding.clone());
        colours.push(done.entry.colour);
        cache.insert(done.key, done.entry);
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
    let (index, products_json) =
        vitrine::index::build_for(&built_by, &products, &embeddings, &colours, settings)?;
    write_atomic(&staging.dir.join("index.bin"), &index)?;
    write_atomic(&staging.dir.join("products.json"), &products_json)?;
    write_atomic(&staging.dir.join(embed_cache::FILE), &cache.to_bytes()?)?;
    vitrine::index::CatalogIndex::from_bytes("new index", &index, &products_json)?;
    staging.commit()?;
    summary.out = out.display().to_string();
    summary.products = products.len();
    summary.seed = seed;
    summary.index_bytes = index.len();
    summary.embedder = Some(built_by.clone());
    summary.seconds = started.elapsed().as_secs_f64();
    summary.skipped = skipped.iter().map(|s| Skipped { line: s.line, id: s.id.clone() }).collect();
    if json {
        outln!("{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        summary.print()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The file name a retailer's own embedder gets in the index folder (`Staging` swaps it in).
const TRAINED_EMBEDDER: &str = "embedder.onnx";

/// The embedder `--embedder` names and its bytes: the shipped one (models/MANIFEST's sha256),
/// or a retailer's own, which the index will carry.
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

/// What every product's embedding needs: the networks, the old folder's cache and the folders.
struct Builder<'a> {
    /// `None` with `--whole`.
    locator: Option<&'a Locator>,
    embedder: &'a Embedder,
    cache: &'a Cache,
    /// The index folder being replaced (its thumbnails are reused with its cache entries).
    old: &'a Path,
    /// The staging folder the new index is written to.
    new: &'a Path,
}

/// One product's result: its cache key and entry, and whether it was embedded by this build.
struct Done {
    key: String,
    entry: Entry,
    embedded: bool,
}

/// Embeds one product photo from its region (or takes it from the cache when the photo and the
/// models are unchanged) and writes its thumbnail into the staging folder.
fn embed_product(cx: &Builder, product: &Product, src: &Path) -> Result<Done> {
    let bytes = read(src)?;
    let key = embed_cache::key(&bytes, product.category.wear);
    let rel = thumbnail_path(&product.id);
    let target = cx.new.join(&rel);
    if let Some(entry) = cx.cache.get(&key) {
        // The old thumbnail is this photo's region when its bytes are the ones the entry names.
        let old = cx.old.join(&rel);
        if std::fs::read(&old).is_ok_and(|b| sha256_hex(&b) == entry.thumbnail) {
            std::fs::copy(&old, &target).with_context(|| format!("{}: cannot copy", old.display()))?;
            return Ok(Done { key, entry: entry.clone(), embedded: false });
        }
    }
    let photo = Photo::decode(&bytes, &src.display().to_string(), &Limits::default())?;
    refuse_placeholder(&photo, src)?;
    let (photo, region) = match cx.locator {
        Some(locator) => regions::region(locator, photo, product.category.wear)?,
        None => {
            let region = regions::whole(&photo);
            (photo, region)
        }
    };
    let embedding = cx.embedder.embed_turned(&photo, &region.rect, region.turn)?;
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let embedded = region.embedded(w, h);
    let jpeg = thumbnail(&photo, &embedded.rect)?;
    write_atomic(&target, &jpeg)?;
    let entry = Entry {
        embedding,
        colour: region.colour,
        region: embedded,
        turn: region.turn,
        thumbnail: sha256_hex(&jpeg),
    };
    Ok(Done { key, entry, embedded: true })
}

/// A product photo with fewer pixels than this on a side is a feed's placeholder (a 1x1
/// tracking pixel), not a photo of the product: the smallest real ones vitrine indexes are
/// Fashion-MNIST's 28 x 28.
const MIN_PHOTO_SIDE: u32 = 16;

/// Refuses a product photo (`src`) that cannot show a product: smaller than
/// [`MIN_PHOTO_SIDE`], or one flat colour (a blank, or a fully transparent PNG, which is
/// composited over white). Indexed, such a photo's embedding matched shoppers' garments.
fn refuse_placeholder(photo: &Photo, src: &Path) -> Result<()> {
    let (w, h) = (photo.width(), photo.height());
    let rgb = photo.rgb();
    let what = if w.min(h) < MIN_PHOTO_SIDE {
        format!("is {w}x{h} pixels")
    } else if rgb.pixels().all(|p| p == rgb.get_pixel(0, 0)) {
        "is one flat colour (blank, or transparent all over)".to_string()
    } else {
        return Ok(());
    };
    bail!(
        "{}: the photo {what}: a placeholder, not a photo of the product; give the product's photo, or leave its row out",
        src.display()
    )
}

/// The card thumbnail of `rect` (fractions of the photo), as JPEG.
fn thumbnail(photo: &Photo, rect: &Rect) -> Result<Vec<u8>> {
    jpeg(&regions::thumbnail(photo, rect), 85)
}

/// What the build did, printed for a person or as JSON (`--json`).
#[derive(Default, Serialize)]
struct Summary {
    out: String,
    products: usize,
    seed: u64,
    /// Per category: products, and how many were embedded from each source.
    categories: BTreeMap<String, BTreeMap<&'static str, usize>>,
    /// Products per region source, all categories.
    sources: BTreeMap<&'static str, usize>,
    /// Fallbacks per reason.
    fallbacks: BTreeMap<String, usize>,
    /// Photos located and embedded by this build, and taken from the old folder's cache.
    embedded: usize,
    reused: usize,
    index_bytes: usize,
    /// The embedder the index names: the shipped one (no file) or its own, `embedder.onnx`.
    embedder: Option<IndexEmbedder>,
    seconds: f64,
    /// Rows left out by --skip-undecided.
    skipped: Vec<Skipped>,
}

#[derive(Serialize)]
struct Skipped {
    line: u64,
    id: String,
}

impl Summary {
    fn count(&mut self, product: &Product, done: &Done) {
        let source = done.entry.region.source.name();
        let category = self.categories.entry(product.category.to_string()).or_default();
        *category.entry("products").or_default() += 1;
        *category.entry(source).or_default() += 1;
        *self.sources.entry(source).or_default() += 1;
        if let Some(reason) = &done.entry.region.reason {
            *self.fallbacks.entry(reason.clone()).or_default() += 1;
        }
        if done.embedded {
            self.embedded += 1;
        } else {
            self.reused += 1;
        }
    }

    fn print(&self) -> std::io::Result<()> {
        outln!("{}: {} products, seed {}", self.out, self.products, self.seed)?;
        let of = |counts: &BTreeMap<&str, usize>| {
            Source::ALL
                .iter()
                .filter_map(|s| Some(format!("{} {}", s.name(), counts.get(s.name())?)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (category, counts) in &self.categories {
            outln!("  {category}: {} ({})", counts["products"], of(counts))?;
        }
        outln!("  embedded from: {}", of(&self.sources))?;
        if !self.fallbacks.is_empty() {
            let why: Vec<String> = self.fallbacks.iter().map(|(r, n)| format!("{r} {n}")).collect();
            outln!("  fallbacks to the whole photo: {}", why.join(", "))?;
        }
        outln!(
            "  {} photos located and embedded, {} reused from {}; {:.1} s ({:.1} products per second)",
            self.embedded,
            self.reused,
            embed_cache::FILE,
            self.seconds,
            self.products as f64 / self.seconds.max(1e-9),
        )?;
        outln!(
            "  index.bin {} bytes ({:.0} per product)",
            self.index_bytes,
            self.index_bytes as f64 / self.products as f64
        )?;
        match &self.embedder {
            Some(IndexEmbedder { file: Some(file), sha256 }) => {
                outln!("  embedder: {file} (its own, sha256 {sha256})")?
            }
            _ => outln!("  embedder: {} (shipped)", Embedder::FILE)?,
        }
        if !self.skipped.is_empty() {
            let at: Vec<String> = self.skipped.iter().map(|s| format!("{} ('{}')", s.line, s.id)).collect();
            outln!(
                "  left out {} rows whose wear is undecided (--skip-undecided), at lines {}",
                self.skipped.len(),
                at.join(", ")
            )?;
        }
        Ok(())
    }
}
