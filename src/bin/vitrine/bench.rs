//! `vitrine bench look`: the browser benchmark's numbers natively (tract, one thread): each
//! shipped model bare (no pre- or post-processing; the photo stretched to its input, as
//! `bench/bench.js` does),
//! then whole looks on a photo, stage by stage. The first run of each is reported apart (cold).
//!
//! `vitrine bench search`: exact and HNSW search on the same embeddings at several catalog sizes
//! (build time, query time, recall@5 against exact, bytes per product); it also writes the
//! vectors for `bench/search_faiss.py`, which runs faiss on them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use serde::Serialize;
use vitrine::catalog::{Audience, Category, Product, Wear};
use vitrine::engine::Step;
use vitrine::index::{self, CatalogIndex, Settings};
use vitrine::models::{
    expected_sha256, BareModel, Embedder, ObjectDetector, PoseDetector, PoseLandmarker, SHIPPED,
};
use vitrine::photo::{Limits, Photo};
use vitrine::timing::default_clock;
use vitrine::vector::dot;
use vitrine::{ModelBytes, Options, Pipeline};

use crate::datasets::{fashion_mnist_image, fashion_mnist_split};
use crate::{par_map, read, write_atomic};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Each model bare, then whole looks stage by stage.
    Look(LookArgs),
    /// Exact and HNSW search at several catalog sizes.
    Search(SearchArgs),
    /// Where tract spends each model's time: every step of its optimized plan, timed.
    Ops(OpsArgs),
}

pub fn run(cmd: BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Look(args) => look(args),
        BenchCommand::Search(args) => search(args),
        BenchCommand::Ops(args) => ops(args),
    }
}

#[derive(Args)]
pub struct LookArgs {
    /// Warm runs of each model and of the look.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    #[arg(long, default_value = "tests/photos/messi5.jpg")]
    photo: PathBuf,
    #[arg(long, default_value = "index/fashion-mnist")]
    index: PathBuf,
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Also write the results here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Serialize)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
    n: usize,
}

fn stats(mut ms: Vec<f64>) -> Stats {
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    let median = if n % 2 == 1 { ms[n / 2] } else { (ms[n / 2 - 1] + ms[n / 2]) / 2.0 };
    Stats { median, min: ms[0], max: ms[n - 1], n }
}

#[derive(Serialize)]
struct Timed {
    cold: f64,
    warm: Stats,
}

fn timed(runs: usize, mut run: impl FnMut() -> Result<()>) -> Result<Timed> {
    let once = |run: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        let t = Instant::now();
        run()?;
        Ok(t.elapsed().as_secs_f64() * 1e3)
    };
    let cold = once(&mut run)?;
    let warm = (0..runs).map(|_| once(&mut run)).collect::<Result<Vec<_>>>()?;
    Ok(Timed { cold, warm: stats(warm) })
}

#[derive(Serialize)]
struct ModelRow {
    file: &'static str,
    load: f64,
    #[serde(flatten)]
    timed: Timed,
}

#[derive(Serialize)]
struct Report {
    runs: usize,
    models: Vec<ModelRow>,
    photo: String,
    verdict: String,
    /// Stages in pipeline order.
    look_cold: Vec<(&'static str, f64)>,
    look_warm: Vec<(&'static str, Stats)>,
}

fn look(args: LookArgs) -> Result<ExitCode> {
    let runs = args.runs.max(1);
    let photo = read(&args.photo)?;
    let name = args.photo.display().to_string();
    let decoded = Photo::decode(&photo, &name, &Limits::default())?;
    let mut models = Vec::new();
    for (file, _) in SHIPPED {
        let bytes = read(&args.models.join(file))?;
        let t = Instant::now();
        let model = BareModel::new(file, &bytes, &decoded)?;
        let load = t.elapsed().as_secs_f64() * 1e3;
        models.push(ModelRow { file, load, timed: timed(runs, || Ok(model.run().map(drop)?))? });
    }

    let model = |file: &str| read(&args.models.join(file));
    let (detector, landmarks, ssd, embedder) = (
        model(PoseDetector::FILE)?,
        model(PoseLandmarker::FILE)?,
        model(ObjectDetector::FILE)?,
        model(Embedder::FILE)?,
    );
    let pipeline = Pipeline::new(
        ModelBytes {
            pose_detector: &detector,
            pose_landmarks: (PoseLandmarker::FILE, &landmarks),
            ssd: &ssd,
            embedder: &embedder,
        },
        &args.index.display().to_string(),
        &read(&args.index.join("index.bin"))?,
        &read(&args.index.join("products.json"))?,
    )?;
    let looks = (0..=runs)
        .map(|_| pipeline.recommend(&photo, &name, &Options::default()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut stages: Vec<(&'static str, Vec<f64>)> = Vec::new();
    for t in looks[1..].iter().flat_map(|look| &look.timings) {
        match stages.iter_mut().find(|(stage, _)| *stage == t.stage) {
            Some((_, ms)) => ms.push(t.ms),
            None => stages.push((t.stage, vec![t.ms])),
        }
    }
    let report = Report {
        runs,
        models,
        photo: name,
        verdict: looks[0].verdict.message.clone(),
        look_cold: looks[0].timings.iter().map(|t| (t.stage, t.ms)).collect(),
        look_warm: stages.into_iter().map(|(stage, ms)| (stage, stats(ms))).collect(),
    };

    let spread = |s: &Stats| format!("{:.1} ({:.1}-{:.1})", s.median, s.min, s.max);
    println!("tract native, one thread; {runs} warm runs\n");
    println!("| model | load | cold | warm median (min-max) |\n|---|---|---|---|");
    for m in &report.models {
        println!("| {} | {:.1} | {:.1} | {} |", m.file, m.load, m.timed.cold, spread(&m.timed.warm));
    }
    println!("\nlook on {} ({})\n", report.photo, report.verdict);
    println!("| stage | cold | warm median (min-max) |\n|---|---|---|");
    for (stage, s) in &report.look_warm {
        let cold = report.look_cold.iter().find(|(c, _)| c == stage).map_or(f64::NAN, |(_, ms)| *ms);
        println!("| {stage} | {cold:.1} | {} |", spread(s));
    }
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct OpsArgs {
    /// Timed runs per model (after one untimed).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Only this model file (default: every shipped one).
    #[arg(long)]
    model: Option<String>,
    #[arg(long, default_value = "tests/photos/messi5.jpg")]
    photo: PathBuf,
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Also write the results here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Serialize)]
struct OpsRow {
    file: &'static str,
    steps: Vec<Step>,
}

fn ops(args: OpsArgs) -> Result<ExitCode> {
    let photo = read(&args.photo)?;
    let decoded = Photo::decode(&photo, &args.photo.display().to_string(), &Limits::default())?;
    let files: Vec<&'static str> = match &args.model {
        None => SHIPPED.iter().map(|(file, _)| *file).collect(),
        Some(m) => match SHIPPED.iter().find(|(file, _)| file == m) {
            Some((file, _)) => vec![*file],
            None => bail!("--model {m}: not a shipped model; one of {:?}", SHIPPED.map(|(f, _)| f)),
        },
    };
    let mut rows = Vec::new();
    for file in files {
        let model = BareModel::new(file, &read(&args.models.join(file))?, &decoded)?;
        model.profile(default_clock)?;
        let runs =
            (0..args.runs.max(1)).map(|_| model.profile(default_clock)).collect::<Result<Vec<_>, _>>()?;
        // Each step's median over the runs.
        let steps = (0..runs[0].len())
            .map(|i| Step { ms: stats(runs.iter().map(|r| r[i].ms).collect()).median, ..runs[0][i].clone() })
            .collect::<Vec<_>>();
        print_ops(file, &steps);
        rows.push(OpsRow { file, steps });
    }
    if let Some(path) = &args.json {
        write_json(path, &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Per op: the steps' medians summed, their share, how many steps, and the multiply-adds they
/// do per second (against the arithmetic, how well each kind of step runs).
fn print_ops(file: &str, steps: &[Step]) {
    let mut by_op: Vec<(&str, f64, f64, usize)> = Vec::new();
    for s in steps {
        match by_op.iter_mut().find(|(op, ..)| *op == s.op) {
            Some((_, ms, macs, n)) => {
                *ms += s.ms;
                *macs += s.macs;
                *n += 1;
            }
            None => by_op.push((&s.op, s.ms, s.macs, 1)),
        }
    }
    by_op.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = steps.iter().map(|s| s.ms).sum();
    let macs: f64 = steps.iter().map(|s| s.macs).sum();
    println!(
        "\n{file}: {total:.1} ms in {} steps (medians), {:.0} M multiply-adds, {} G/s\n",
        steps.len(),
        macs / 1e6,
        gmacs(macs, total)
    );
    println!("| op | ms | share | steps | M multiply-adds | G/s |\n|---|---|---|---|---|---|");
    for (op, ms, macs, n) in by_op {
        println!(
            "| {op} | {ms:.2} | {:.0}% | {n} | {:.1} | {} |",
            100.0 * ms / total,
            macs / 1e6,
            gmacs(macs, ms)
        );
    }
}

/// Multiply-adds per second, in G, or "-" for steps that count none.
fn gmacs(macs: f64, ms: f64) -> String {
    if macs > 0.0 && ms > 0.0 {
        format!("{:.2}", macs / ms / 1e6)
    } else {
        "-".into()
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    write_atomic(path, &serde_json::to_vec_pretty(value)?)?;
    println!("\nwritten: {}", path.display());
    Ok(())
}

#[derive(Args)]
pub struct SearchArgs {
    /// Catalog sizes.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    sizes: Vec<usize>,
    /// Sizes up to this also get vitrine's HNSW (built on one thread, as `vitrine index build`
    /// does: deterministic, but ~2 h at 1M on this machine).
    #[arg(long, default_value_t = 100_000)]
    hnsw_max: usize,
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// HNSW build breadth (the shipped setting by default).
    #[arg(long, default_value_t = Settings::default().ef_construction)]
    ef_construction: usize,
    /// HNSW search breadth (the shipped setting by default).
    #[arg(long, default_value_t = Settings::default().ef_search)]
    ef_search: usize,
    #[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
    fashion_mnist: PathBuf,
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Where the vectors (for faiss), the cached embeddings and search.json go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
}

/// Real embeddings: the shipped embedder on Fashion-MNIST images (test set: the catalog; training
/// set: the queries), cached in `out`.
fn fashion_mnist_embeddings(args: &SearchArgs, prefix: &str, take: usize) -> Result<Vec<Vec<f32>>> {
    let path = args.out.join(format!(
        "embeddings-{prefix}-{take}-{}.f32",
        &expected_sha256(Embedder::FILE).unwrap_or_default()[..12]
    ));
    if let Ok(bytes) = fs::read(&path) {
        if bytes.len() == take * Embedder::DIM * 4 {
            return Ok(from_le(&bytes).chunks(Embedder::DIM).map(<[f32]>::to_vec).collect());
        }
    }
    let (images, _) = fashion_mnist_split(&args.fashion_mnist, prefix, take)?;
    if images.len() < take {
        bail!("{}: only {} {prefix} images, {take} wanted", args.fashion_mnist.display(), images.len());
    }
    let embedder = Embedder::new(&read(&args.models.join(Embedder::FILE))?)?;
    let bar = ProgressBar::new(take as u64).with_message(format!("embedding Fashion-MNIST {prefix}"));
    let vectors = par_map(&images, &bar, |pixels| {
        embedder.embed_whole(&Photo::from_image(fashion_mnist_image(pixels))?)
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    bar.finish_and_clear();
    fs::create_dir_all(&args.out).with_context(|| format!("{}: cannot create", args.out.display()))?;
    write_atomic(&path, &to_le(vectors.iter().flatten()))?;
    Ok(vectors)
}

fn to_le<'a>(values: impl Iterator<Item = &'a f32>) -> Vec<u8> {
    values.flat_map(|v| v.to_le_bytes()).collect()
}

fn from_le(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

/// `n` catalog vectors: the real ones first, then (beyond them) each real vector again with
/// Gaussian noise of norm ~0.35 (cosine ~0.94 to its source), renormalised: a bigger catalog
/// with the same kind of neighbourhoods, since there are not a million real garment photos here.
fn catalog_vectors(real: &[Vec<f32>], n: usize) -> Vec<Vec<f32>> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut gauss = move || {
        // Box-Muller on a xorshift generator: fixed, so every run benchmarks the same vectors.
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (u, v) = (uniform().max(1e-12), uniform());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    };
    let sigma = 0.35 / (Embedder::DIM as f32).sqrt();
    (0..n)
        .map(|i| {
            let source = &real[i % real.len()];
            if i < real.len() {
                return source.clone();
            }
            let mut v: Vec<f32> = source.iter().map(|x| x + sigma * gauss()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            v
        })
        .collect()
}

fn top5(scores: impl Iterator<Item = f32>) -> Vec<u32> {
    let mut all: Vec<(u32, f32)> = scores.enumerate().map(|(i, s)| (i as u32, s)).collect();
    all.select_nth_unstable_by(4, |a, b| b.1.total_cmp(&a.1));
    all.truncate(5);
    all.sort_by(|a, b| b.1.total_cmp(&a.1));
    all.into_iter().map(|(i, _)| i).collect()
}

#[derive(Serialize)]
struct SearchRow {
    size: usize,
    method: String,
    build_s: f64,
    query_ms: f64,
    recall_at_5: f64,
    bytes_per_product: f64,
}

fn search(args: SearchArgs) -> Result<ExitCode> {
    let largest = args.sizes.iter().copied().max().unwrap_or(0);
    if largest < 5 || args.queries == 0 {
        bail!("--sizes must hold a size of at least 5 and --queries must be above 0");
    }
    let real = fashion_mnist_embeddings(&args, "t10k", 10_000.min(largest))?;
    let queries = fashion_mnist_embeddings(&args, "train", args.queries)?;
    let mut rows = Vec::new();
    let mut print = |row: SearchRow| {
        println!(
            "| {} | {} | {:.2} | {:.3} | {:.3} | {:.0} |",
            row.size, row.method, row.build_s, row.query_ms, row.recall_at_5, row.bytes_per_product
        );
        rows.push(row);
    };
    println!("| products | method | build s | query ms | recall@5 | bytes per product |\n|---|---|---|---|---|---|");
    for &n in &args.sizes {
        let vectors = catalog_vectors(&real, n);
        // faiss reads the same numbers: n x 128 f32, then the queries.
        write_atomic(&args.out.join(format!("base-{n}.f32")), &to_le(vectors.iter().flatten()))?;
        write_atomic(&args.out.join("queries.f32"), &to_le(queries.iter().flatten()))?;

        let per_query = |t: Instant| t.elapsed().as_secs_f64() * 1e3 / queries.len() as f64;
        let t = Instant::now();
        let truth: Vec<Vec<u32>> = queries.iter().map(|q| top5(vectors.iter().map(|v| dot(q, v)))).collect();
        let exact_ms = per_query(t);
        let recall = |found: &[Vec<u32>]| {
            let hits: usize =
                found.iter().zip(&truth).map(|(f, t)| f.iter().filter(|i| t.contains(i)).count()).sum();
            hits as f64 / (5 * truth.len()) as f64
        };
        let f32_bytes = (Embedder::DIM * 4) as f64;
        print(SearchRow {
            size: n,
            method: "exact cosine, f32".into(),
            build_s: 0.0,
            query_ms: exact_ms,
            recall_at_5: 1.0,
            bytes_per_product: f32_bytes,
        });

        let t = Instant::now();
        let found: Vec<Vec<u32>> = queries
            .iter()
            .map(|q| {
                top5(vectors.iter().map(|v| -v.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum::<f32>()))
            })
            .collect();
        print(SearchRow {
            size: n,
            method: "exact Euclidean, f32".into(),
            build_s: 0.0,
            query_ms: per_query(t),
            recall_at_5: recall(&found),
            bytes_per_product: f32_bytes,
        });

        // vitrine's own index, as `vitrine index build` writes it: the exact scan (categories up
        // to 5k) and, forced, the HNSW graph (bigger ones).
        let category = Category { audience: Audience::Unisex, wear: Wear::Top };
        let products: Vec<Product> = (0..n)
            .map(|i| Product {
                id: i.to_string(),
                title: String::new(),
                link: String::new(),
                image: String::new(),
                price: String::new(),
                category,
            })
            .collect();
        let exact = Settings { exact_max: usize::MAX, ..Settings::default() };
        let hnsw = Settings {
            exact_max: 0,
            ef_construction: args.ef_construction,
            ef_search: args.ef_search,
            ..Settings::default()
        };
        let hnsw_method = format!(
            "instant-distance HNSW + re-rank (vitrine > 5k; ef {}/{})",
            args.ef_construction, args.ef_search
        );
        let sha = expected_sha256(Embedder::FILE).unwrap_or_default();
        let mut runs = vec![("exact scan + re-rank (vitrine <= 5k)".to_string(), exact)];
        if n <= args.hnsw_max {
            runs.push((hnsw_method, hnsw));
        }
        for (method, settings) in runs {
            let t = Instant::now();
            let (bytes, json) = index::build(sha, &products, &vectors, settings)?;
            let build_s = t.elapsed().as_secs_f64();
            let index = CatalogIndex::from_bytes("bench", &bytes, &json)?;
            let t = Instant::now();
            let found: Vec<Vec<u32>> = queries
                .iter()
                .map(|q| {
                    index
                        .search(category, q, 5)
                        .iter()
                        .map(|h| h.product.id.parse().unwrap_or(u32::MAX))
                        .collect()
                })
                .collect();
            print(SearchRow {
                size: n,
                method,
                build_s,
                query_ms: per_query(t),
                recall_at_5: recall(&found),
                bytes_per_product: bytes.len() as f64 / n as f64,
            });
        }
    }
    write_json(&args.out.join("search.json"), &rows)?;
    Ok(ExitCode::SUCCESS)
}
