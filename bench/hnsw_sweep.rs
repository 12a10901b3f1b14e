//! HNSW against an exact scan on 10k random int8 codes of the index's width (the embedder's,
//! 128): build time, recall@5, query time. `cargo run --release --example hnsw_sweep`. The
//! numbers behind `index::Settings`.

use instant_distance::{Builder, Search};
use std::time::Instant;
use vitrine::index::Code;
use vitrine::models::Embedder;
#[path = "../tests/common/rng.rs"]
mod rng;
use rng::Rng;

fn main() {
    let dim = Embedder::DIM;
    let n = 10_000;
    let mut rng = Rng(0x5eed1234);
    let codes: Vec<Code> = (0..n).map(|_| Code::encode(&rng.unit(dim), &[0.0; 12])).collect();
    let queries: Vec<Code> = (0..200).map(|_| Code::encode(&rng.unit(dim), &[0.0; 12])).collect();
    for (efc, efs) in [(100, 100), (200, 200), (200, 400)] {
        let t = Instant::now();
        let map = Builder::default()
            .seed(1)
            .ef_construction(efc)
            .ef_search(efs)
            .build(codes.clone(), (0..n as u32).collect::<Vec<_>>());
        let build = t.elapsed().as_secs_f64();
        let mut s = Search::default();
        let (mut hits, mut qt, mut et) = (0, 0.0, 0.0);
        for q in &queries {
            let t = Instant::now();
            let found: Vec<u32> = map.search(q, &mut s).take(5).map(|i| *i.value).collect();
            qt += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let mut all: Vec<(f32, u32)> =
                codes.iter().enumerate().map(|(i, c)| (c.similarity(q), i as u32)).collect();
            all.select_nth_unstable_by(4, |a, b| b.0.total_cmp(&a.0));
            et += t.elapsed().as_secs_f64();
            hits += all[..5].iter().filter(|x| found.contains(&x.1)).count();
        }
        println!(
            "dim {dim} efc {efc} efs {efs}: build {build:.1}s recall@5 {:.4} query {:.3} ms exact {:.3} ms",
            hits as f64 / 1000.0,
            qt / 0.2,
            et / 0.2
        );
    }
}
