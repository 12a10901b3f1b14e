//! `vitrine bench search`: exact and HNSW search on the same embeddings at several catalog sizes
//! (build time, query time, recall@5 against exact, bytes per product); it also writes the
//! vectors for `bench/search_faiss.py`, which runs faiss on them. Products and queries have no
//! colour histogram, so the index ranks by the embedding alone, as faiss does.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::Args;
use indicatif::ProgressBar;
use serde::Serialize;
use vitrine::catalog::{Audience, Category, Product, Wear};
use vitrine::colour::BINS;
use vitrine::index::{self, CatalogIndex, Settings};
use vitrine::models::{expected_sha256, Embedder};
use vitrine::photo::Photo;
use vitrine::vector::dot;

use crate::datasets::{fashion_mnist_image, fashion_mnist_split};
use crate::files::{create_dir, par_map, read, write_atomic, write_json};

/// `vitrine bench search`'s arguments.
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
    create_dir(&args.out)?;
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

/// Runs `vitrine bench search`.
pub fn run(args: SearchArgs) -> Result<ExitCode> {
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
                region: None,
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
            let (bytes, json) = index::build(sha, &products, &vectors, &vec![[0.0; BINS]; n], settings)?;
            let build_s = t.elapsed().as_secs_f64();
            let index = CatalogIndex::from_bytes("bench", &bytes, &json)?;
            let t = Instant::now();
            let found: Vec<Vec<u32>> = queries
                .iter()
                .map(|q| {
                    index
                        .search(category, q, &[0.0; BINS], 5)
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
