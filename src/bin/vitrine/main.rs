//! The native command line: a thin shell over the library. It reads files, calls the core, and
//! writes files atomically (temporary file, then rename), so nothing half-written is left.

mod bench;
mod datasets;
mod draw;
#[cfg(feature = "train")]
mod learn;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use vitrine::catalog::{self, Audience, Product};
use vitrine::models::{expected_sha256, Embedder, PoseLandmarker};
use vitrine::photo::{Limits, Photo};
use vitrine::{ModelBytes, Options, Pipeline};

#[derive(Parser)]
#[command(
    name = "vitrine",
    version,
    about = "Shop the look: garments in a full-shot photo and the catalog products most like them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The look of a photo: the full-shot verdict, then top, bottom and foot wear with the most
    /// similar products.
    Recommend {
        photo: PathBuf,
        /// Index folder (made by `vitrine index build`).
        #[arg(long)]
        index: PathBuf,
        #[arg(long, default_value = "models")]
        models: PathBuf,
        /// Use the lite landmark model (smaller, less accurate).
        #[arg(long)]
        lite: bool,
        /// Only products for this audience (and unisex).
        #[arg(long, value_enum)]
        audience: Option<AudienceArg>,
        /// Products per garment.
        #[arg(long, default_value_t = 5)]
        k: usize,
        /// Print the look as JSON.
        #[arg(long)]
        json: bool,
        /// Write the photo with garment boxes and landmarks to this PNG.
        #[arg(long)]
        draw: Option<PathBuf>,
    },
    /// Catalog indexes.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Makes catalog folders (CSV, images, product pages) from public datasets.
    #[command(subcommand)]
    Catalog(datasets::CatalogCommand),
    /// Benchmarks: models and looks (tract, one thread), and catalog search.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Trains the embedding head on cached backbone features with the weighted triplet loss.
    #[cfg(feature = "train")]
    Train(learn::TrainArgs),
    /// Retrieval on a held-out split: raw backbone, PCA-128 and a trained head side by side.
    #[cfg(feature = "train")]
    Eval(learn::EvalArgs),
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Embeds every product photo and writes OUT/index.bin and OUT/products.json.
    Build {
        /// Catalog CSV: id, title, link, image, price, gender, wear (or a Merchant Center feed).
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
        /// HNSW seed (the build is deterministic for a given seed).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum AudienceArg {
    Women,
    Men,
    Unisex,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("vitrine: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    match Cli::parse().command {
        Command::Recommend { photo, index, models, lite, audience, k, json, draw } => {
            recommend(&photo, &index, &models, lite, audience, k, json, draw.as_deref())
        }
        Command::Index(IndexCommand::Build { catalog, images, out, models, seed }) => {
            build_index(&catalog, &images, &out, &models, seed)
        }
        Command::Catalog(cmd) => datasets::run(cmd),
        Command::Bench(cmd) => bench::run(cmd),
        #[cfg(feature = "train")]
        Command::Train(args) => learn::run_train(args),
        #[cfg(feature = "train")]
        Command::Eval(args) => learn::run_eval(args),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    fs::write(&tmp, bytes).with_context(|| format!("{}: cannot write", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
}

#[allow(clippy::too_many_arguments)]
fn recommend(
    photo: &Path,
    index: &Path,
    models: &Path,
    lite: bool,
    audience: Option<AudienceArg>,
    k: usize,
    json: bool,
    draw: Option<&Path>,
) -> Result<ExitCode> {
    let landmarks = if lite { PoseLandmarker::LITE_FILE } else { PoseLandmarker::FILE };
    let model = |f: &str| read(&models.join(f));
    let (detector, landmarker, ssd, embedder) =
        (model("pose_detector.onnx")?, model(landmarks)?, model("ssd_oidv4.onnx")?, model(Embedder::FILE)?);
    let pipeline = Pipeline::new(
        ModelBytes {
            pose_detector: &detector,
            pose_landmarks: (landmarks, &landmarker),
            ssd: &ssd,
            embedder: &embedder,
        },
        &index.display().to_string(),
        &read(&index.join("index.bin"))?,
        &read(&index.join("products.json"))?,
    )?;
    let bytes = read(photo)?;
    let name = photo.display().to_string();
    let options = Options {
        audience: audience.map(|a| match a {
            AudienceArg::Women => Audience::Women,
            AudienceArg::Men => Audience::Men,
            AudienceArg::Unisex => Audience::Unisex,
        }),
        k,
        ..Options::default()
    };
    let look = pipeline.recommend(&bytes, &name, &options)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&look)?);
    } else {
        println!("{name}: {}", look.verdict.message);
        for g in &look.garments {
            let r = g.rect;
            println!(
                "\n{} ({:.2},{:.2})-({:.2},{:.2}) score {:.2} [{}]",
                g.wear.name(),
                r.x0,
                r.y0,
                r.x1,
                r.y1,
                g.score,
                g.source
            );
            for (i, p) in g.products.iter().enumerate() {
                println!("  {}. {:.3}  {}  {}  {}", i + 1, p.similarity, p.title, p.price, p.link);
            }
        }
        let times: Vec<String> = look.timings.iter().map(|t| format!("{} {:.1}", t.stage, t.ms)).collect();
        println!("\ntimings (ms): {}", times.join(", "));
    }
    if let Some(out) = draw {
        let photo = Photo::decode(&bytes, &name, &Limits::default())?;
        let png = draw::look(&photo, &look)?;
        write_atomic(out, &png)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The file of a product's photo under `images`, or an error naming the catalog (`name`), the
/// product and what to do.
pub fn local_image(name: &str, product: &catalog::Product, images: &Path) -> Result<PathBuf> {
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

fn build_index(catalog_path: &Path, images: &Path, out: &Path, models: &Path, seed: u64) -> Result<ExitCode> {
    let name = catalog_path.display().to_string();
    let mut products = catalog::parse(&name, &read(catalog_path)?)?;
    let embedder = Embedder::new(&read(&models.join(Embedder::FILE))?)?;
    // Check every image before the slow part, so a typo fails in a second, not an hour.
    let sources: Vec<PathBuf> =
        products.iter().map(|p| local_image(&name, p, images)).collect::<Result<_>>()?;
    fs::create_dir_all(out.join("images")).with_context(|| format!("{}: cannot create", out.display()))?;

    let bar = ProgressBar::new(products.len() as u64).with_style(
        ProgressStyle::with_template("embedding {bar:40} {pos}/{len} products, {per_sec}, eta {eta}")
            .unwrap(),
    );
    let items: Vec<(&Product, &PathBuf)> = products.iter().zip(&sources).collect();
    let results = par_map(&items, &bar, |(p, src)| embed_product(&embedder, p, src, out));
    bar.finish();
    let mut embeddings = Vec::with_capacity(products.len());
    for (p, r) in products.iter_mut().zip(results) {
        let (embedding, thumbnail) = r?;
        p.image = thumbnail;
        embeddings.push(embedding);
    }
    let embedder_id = expected_sha256(Embedder::FILE).context("the embedder is not in models/MANIFEST")?;
    let settings = vitrine::index::Settings { seed, ..Default::default() };
    let (index, products_json) = vitrine::index::build(embedder_id, &products, &embeddings, settings)?;
    write_atomic(&out.join("index.bin"), &index)?;
    write_atomic(&out.join("products.json"), &products_json)?;
    let built = vitrine::index::CatalogIndex::from_bytes("new index", &index, &products_json)?;
    println!("{}: {} products, seed {seed}", out.display(), products.len());
    for (category, n) in built.categories() {
        println!("  {category}: {n}");
    }
    println!(
        "  index.bin {} bytes ({:.0} per product)",
        index.len(),
        index.len() as f64 / products.len() as f64
    );
    Ok(ExitCode::SUCCESS)
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

/// Embeds one product photo and writes its thumbnail; returns the embedding and the
/// thumbnail's path relative to the index folder.
fn embed_product(
    embedder: &Embedder,
    product: &Product,
    src: &Path,
    out: &Path,
) -> Result<(Vec<f32>, String)> {
    let bytes = read(src)?;
    let photo = Photo::decode(&bytes, &src.display().to_string(), &Limits::default())?;
    let embedding = embedder.embed_whole(&photo)?;
    let safe: String = product
        .id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let rel = format!("images/{safe}.jpg");
    let thumb = image::DynamicImage::ImageRgb8(photo.rgb().clone()).thumbnail(256, 256).to_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85).encode_image(&thumb)?;
    write_atomic(&out.join(&rel), &jpeg)?;
    Ok((embedding, rel))
}
