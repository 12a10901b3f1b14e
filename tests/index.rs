//! The catalog index: HNSW recall against exact search at the shipped settings, int8 codes
//! against f32, and deterministic, round-tripping files.

use vitrine::catalog::{Audience, Category, Product, Wear};
use vitrine::index::{build, CatalogIndex, Code, Settings};
use vitrine::models::{expected_sha256, Embedder};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

fn products(n: usize, category: Category) -> Vec<Product> {
    (0..n)
        .map(|i| Product {
            id: format!("p{i}"),
            title: format!("Product {i}"),
            link: format!("https://shop.example/p{i}"),
            image: format!("images/p{i}.jpg"),
            price: "1".into(),
            category,
        })
        .collect()
}

fn top5_exact(query: &[f32], vectors: &[Vec<f32>]) -> Vec<usize> {
    let mut s: Vec<(f32, usize)> =
        vectors.iter().enumerate().map(|(i, v)| (v.iter().zip(query).map(|(a, b)| a * b).sum(), i)).collect();
    s.sort_by(|a, b| b.0.total_cmp(&a.0));
    s[..5].iter().map(|x| x.1).collect()
}

/// At 128-d, the trained embedding head's size (issue 5). Both searchers, the HNSW graph (forced,
/// exact_max 0) and the exact scan, against exact f32 search: the int8 step finds candidates,
/// the 4-bit remainder re-ranks them. Uniform random vectors are HNSW's worst case (no
/// clusters): the shipped ef_search is tuned on real embeddings (recall@5 0.997 at 100k, see
/// BENCHMARKS.md); here it gives 0.888 (0.994 at ef 150, measured), held to 0.85.
#[test]
fn recall_at_5_on_10k_random_vectors() {
    let seed = 0x5eed_1234_u64;
    println!("seed {seed:#x}");
    let (n, dim, queries) = (10_000, 128, 200);
    let mut rng = Rng(seed);
    let vectors: Vec<Vec<f32>> = (0..n).map(|_| rng.unit(dim)).collect();
    let category = Category { audience: Audience::Unisex, wear: Wear::Top };
    let items = products(n, category);
    let load = |settings: Settings| {
        let (bytes, json) = build(&"0".repeat(64), &items, &vectors, settings).unwrap();
        println!("{settings:?}: {:.0} bytes per product", bytes.len() as f64 / n as f64);
        CatalogIndex::from_bytes("random", &bytes, &json).unwrap()
    };
    let shipped = Settings::default();
    let hnsw = load(Settings { exact_max: 0, ..shipped });
    let exact = load(Settings { exact_max: usize::MAX, ..shipped });

    // The int8 codes alone, scanned exactly: what the re-rank improves on.
    let codes: Vec<Code> = vectors.iter().map(|v| Code::encode(v)).collect();
    let (mut hnsw_hits, mut exact_hits, mut int8_hits) = (0, 0, 0);
    for _ in 0..queries {
        let q = rng.unit(dim);
        let truth = top5_exact(&q, &vectors);
        let hits = |index: &CatalogIndex| -> usize {
            let found = index.search(category, &q, 5);
            found.iter().filter(|h| truth.contains(&h.product.id[1..].parse().unwrap())).count()
        };
        hnsw_hits += hits(&hnsw);
        exact_hits += hits(&exact);
        let qc = Code::encode(&q);
        let mut by_code: Vec<(f32, usize)> =
            codes.iter().enumerate().map(|(i, c)| (c.similarity(&qc), i)).collect();
        by_code.sort_by(|a, b| b.0.total_cmp(&a.0));
        int8_hits += by_code[..5].iter().filter(|x| truth.contains(&x.1)).count();
    }
    let recall = |hits: usize| hits as f64 / (5 * queries) as f64;
    let (hnsw, exact, int8) = (recall(hnsw_hits), recall(exact_hits), recall(int8_hits));
    println!(
        "recall@5 against exact f32: HNSW {hnsw:.4} (ef {}), exact scan {exact:.4}, int8 alone {int8:.4}",
        shipped.ef_search
    );
    assert!(hnsw >= 0.85, "HNSW recall@5 at the shipped ef: {hnsw} (seed {seed:#x})");
    assert!(exact >= 0.99, "exact-scan recall@5 {exact} (seed {seed:#x})");
    assert!(exact >= int8, "the re-rank must not lose to int8 alone: {exact} < {int8}");
}

#[test]
fn codes_rank_finer_than_int8() {
    let mut rng = Rng(7);
    for _ in 0..100 {
        let (v, q) = (rng.unit(128), rng.unit(128));
        let exact: f32 = v.iter().zip(&q).map(|(a, b)| a * b).sum();
        let code = Code::encode(&v);
        let coarse = code.similarity(&Code::encode(&q));
        let fine = code.fine_similarity(&q);
        // int8 steps are max/127 (~0.002 here); the remainder takes them to 1/16th.
        assert!((fine - exact).abs() < 2e-4, "fine {fine} vs exact {exact}");
        assert!((coarse - exact).abs() < 3e-3, "coarse {coarse} vs exact {exact}");
    }
}

#[test]
fn hnsw_files_are_deterministic_for_a_seed() {
    let mut rng = Rng(9);
    let vectors: Vec<Vec<f32>> = (0..2000).map(|_| rng.unit(Embedder::DIM)).collect();
    let items = products(2000, Category { audience: Audience::Men, wear: Wear::Top });
    let settings = Settings { exact_max: 0, ..Settings::default() };
    let a = build(&"0".repeat(64), &items, &vectors, settings).unwrap();
    let b = build(&"0".repeat(64), &items, &vectors, settings).unwrap();
    assert!(a == b, "two HNSW builds with seed {} differ", settings.seed);
}

#[test]
fn small_categories_are_exact_and_files_are_deterministic() {
    let mut rng = Rng(42);
    let women_top = Category { audience: Audience::Women, wear: Wear::Top };
    let men_foot = Category { audience: Audience::Men, wear: Wear::Foot };
    let mut items = products(300, women_top);
    for p in items.iter_mut().skip(200) {
        p.category = men_foot;
    }
    let vectors: Vec<Vec<f32>> = (0..300).map(|_| rng.unit(Embedder::DIM)).collect();
    let id = expected_sha256(Embedder::FILE).unwrap();
    let (a, ja) = build(id, &items, &vectors, Settings::default()).unwrap();
    let (b, jb) = build(id, &items, &vectors, Settings::default()).unwrap();
    assert!(a == b && ja == jb, "same inputs and seed must give the same bytes");
    let index = CatalogIndex::from_bytes("small", &a, &ja).unwrap();
    assert_eq!(index.categories().collect::<Vec<_>>(), [(women_top, 200), (men_foot, 100)]);
    // A product's own vector finds it first, in its own category only.
    let hits = index.search(men_foot, &vectors[250], 5);
    assert_eq!(hits[0].product.id, "p250");
    assert!(hits[0].similarity > 0.99);
    assert!(hits.iter().all(|h| h.product.category == men_foot));
    assert!(index
        .search(Category { audience: Audience::Unisex, wear: Wear::Dress }, &vectors[0], 5)
        .is_empty());
}

/// An index holds the embedder's width only: embeddings of another width (another model's) are
/// refused with the product named, and nothing is built.
#[test]
fn embeddings_of_another_width_are_refused() {
    let mut rng = Rng(3);
    let items = products(3, Category { audience: Audience::Women, wear: Wear::Foot });
    let mut vectors: Vec<Vec<f32>> = (0..3).map(|_| rng.unit(Embedder::DIM)).collect();
    vectors[1] = rng.unit(64);
    let e = build(&"0".repeat(64), &items, &vectors, Settings::default()).unwrap_err().to_string();
    assert!(e.contains("p1") && e.contains("64-d") && e.contains("128-d"), "{e}");
}
