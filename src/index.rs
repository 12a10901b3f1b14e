//! The catalog index: one nearest-neighbour index per category (audience x wear), built natively
//! with a fixed seed and read everywhere, the browser included. Each product is its embedding
//! and its garment's colour histogram ([`crate::colour`]), and products are ranked by the two
//! joined ([`Code::similarity`]): (1 - [`colour::WEIGHT`]) x the embeddings' cosine +
//! [`colour::WEIGHT`] x the histograms' Bhattacharyya coefficient, so that the same kind of
//! garment in the shopper's colour comes first (issue 23). Embeddings are stored as int8 with
//! one scale each plus a 4-bit remainder per value, histograms as the square roots of their
//! shares in 8 bits (208 bytes a product at 128-d) and searched in two steps: the int8 part finds
//! candidates (an instant-distance HNSW for big categories, an exact scan where a category is
//! small enough that it is as fast), and the int8 + 4-bit value ranks them against the f32
//! query. int8 alone reorders near-ties: recall@5 0.963 against exact f32 on Fashion-MNIST
//! embeddings, 0.998 with the re-rank (BENCHMARKS.md).
//!
//! File `index.bin`: magic, format version, the embedder's sha256 and dimension, the colour
//! rules' version (`colour::RULES`), the sha256 of the product metadata (`products.json`, beside it), the embedder's file name when it is not the
//! shipped one (a retailer's own, `vitrine train`, copied into the index folder by `vitrine index
//! build --embedder`; empty for the shipped `models/vitrine_embedder.onnx`), the postcard payload,
//! and a sha256 of all that. Loading a file of another version or embedder, or a damaged one,
//! fails with a message that says so. [`embedder_of`] reads which embedder an index needs from
//! its header alone, so a shell can fetch that embedder before it has the whole index.

use std::collections::BTreeMap;
use std::sync::Mutex;

use instant_distance::{Builder, HnswMap, Point, Search};
use serde::{Deserialize, Serialize};
use serde_big_array::BigArray;
use sha2::{Digest, Sha256};

use crate::catalog::{Category, Product};
use crate::colour::{self, BINS};
use crate::error::{Error, Result};
use crate::vector::{int8_scale, to_int8};

const MAGIC: &[u8; 8] = b"VITRIDX\n";
/// 4: the header names the embedder's file when it is not the shipped one. 5: each product
/// carries its colour histogram, and the ranking joins it; the header records the colour rules
/// (`colour::RULES`, which a change of the bins or of `colour::WEIGHT` bumps), and an index of
/// other rules is refused.
const VERSION: u32 = 5;
/// The longest embedder file name the header holds (bytes).
const MAX_FILE_NAME: usize = 255;
/// The embedding width every index stores: the shipped embedder's (`Embedder::DIM`, which a
/// compile-time assertion in `models::embedder` keeps equal, so that search needs no model
/// code). Codes are fixed-size arrays (no length prefixes, no heap pointer per code: 3 bytes less
/// per product on disk, and the graph's points sit inline in memory).
pub const DIM: usize = 128;
/// Candidates the int8 step hands to the re-rank, per requested hit. The 5th-best and the
/// swapped-in products differ by ~0.0004 cosine; the true top 5 are within the int8 top 10.
const CANDIDATES_PER_HIT: usize = 4;

/// How an index is built. The defaults are the shipped settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// HNSW's layer seed: the same seed gives the same file.
    pub seed: u64,
    /// Categories up to this size are scanned exactly (no build cost, nothing missed). Measured
    /// natively on 10k Fashion-MNIST embeddings, 128-d: an exact scan takes 0.39-0.40 ms, an HNSW
    /// search at ef 48 0.12-0.16 ms, both with recall@5 0.998 against exact f32 (`vitrine bench
    /// search`); at 5k the scan is ~0.2 ms.
    pub exact_max: usize,
    /// HNSW build and search breadth. The search hands its best `4 k` to the re-rank, so ef
    /// only has to cover those: at 100k, ef 48 finds what an exact scan finds (recall@5 0.997
    /// vs 0.998) in 0.57 ms (ef 200 took 1.6 ms in an earlier, slower run).
    pub ef_construction: usize,
    pub ef_search: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { seed: 1, exact_max: 5_000, ef_construction: 200, ef_search: 48 }
    }
}

/// The embedder an index was built with, as its header records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexEmbedder {
    /// Its sha256, lowercase hex (64 digits).
    pub sha256: String,
    /// Its file, a plain name relative to the index folder (`embedder.onnx`), when it is not the
    /// shipped `models/vitrine_embedder.onnx`; `None` for the shipped one.
    pub file: Option<String>,
}

impl IndexEmbedder {
    /// The shipped embedder of this sha256 (models/MANIFEST's).
    pub fn shipped(sha256: &str) -> IndexEmbedder {
        IndexEmbedder { sha256: sha256.to_string(), file: None }
    }
}

/// Whether `name` is a plain file name beside the index: 1-255 bytes of ASCII letters, digits,
/// '.', '-' and '_', not starting with '.' (no folders, no URL, nothing hidden).
fn plain_file_name(name: &str) -> bool {
    (1..=MAX_FILE_NAME).contains(&name.len())
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

/// A product as the index stores it: its L2-normalised embedding as int8 with one scale,
/// `v ~= scale * q`, and the remainder in 16ths of the scale, `v ~= scale * (q + rest / 16)`,
/// two 4-bit values per byte; and its colour histogram's Hellinger vector (the square roots of
/// its shares, a unit vector) in 255ths, all zero when the histogram is empty.
/// An embedding of another width is read as its first `DIM` values, zero-padded (`build` and
/// `from_bytes` refuse such embeddings with an error first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Code {
    scale: f32,
    #[serde(with = "BigArray")]
    q: [i8; DIM],
    #[serde(with = "BigArray")]
    rest: [u8; DIM / 2],
    colour: [u8; BINS],
}

impl Code {
    /// The code of a unit `embedding` and a colour `histogram` ([`colour::histogram`]; shares,
    /// normalised here to sum to 1; all zero for none: such a product scores 0 on colour against
    /// every coloured query, as a product of another colour would).
    pub fn encode(embedding: &[f32], histogram: &[f32; BINS]) -> Code {
        let v = &embedding[..embedding.len().min(DIM)];
        let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let scale = int8_scale(max);
        let mut q = [0i8; DIM];
        for (q, &x) in q.iter_mut().zip(v) {
            *q = to_int8(x, scale);
        }
        let nibble = |i: usize| -> u8 {
            let Some(x) = v.get(i) else { return 0 };
            let r = ((x / scale - q[i] as f32) * 16.0).round().clamp(-8.0, 7.0) as i8;
            (r as u8) & 0x0f
        };
        let mut rest = [0u8; DIM / 2];
        for (i, r) in rest.iter_mut().enumerate() {
            *r = nibble(2 * i) | (nibble(2 * i + 1) << 4);
        }
        // Shares from elsewhere (a crop's `colour` from JS) may not sum to 1: normalised here, so
        // the colour term stays a coefficient in 0..1; a histogram of no finite weight is none.
        let shares = histogram.map(|share| if share.is_finite() { share.max(0.0) } else { 0.0 });
        let total: f32 = shares.iter().sum();
        let colour = match total > 0.0 && total.is_finite() {
            true => shares.map(|share| ((share / total).sqrt() * 255.0).round().min(255.0) as u8),
            false => [0; BINS],
        };
        Code { scale, q, rest, colour }
    }

    /// Whether the code has a colour (its histogram was not empty).
    fn has_colour(&self) -> bool {
        self.colour.iter().any(|&c| c > 0)
    }

    /// The Bhattacharyya coefficient of the two codes' histograms, 0..1 (0 when either is
    /// empty): the cosine of their Hellinger vectors.
    fn colour_similarity(&self, other: &Code) -> f32 {
        let dot: u32 =
            self.colour.iter().zip(&other.colour).map(|(a, b)| u32::from(*a) * u32::from(*b)).sum();
        dot as f32 / (255.0 * 255.0)
    }

    /// The joined similarity of the two codes, from their int8 parts: (1 - [`colour::WEIGHT`])
    /// x the embeddings' approximate cosine + [`colour::WEIGHT`] x the histograms'
    /// Bhattacharyya coefficient (as [`colour::joined`] vectors' cosine). The graph's distance
    /// and the candidate step.
    pub fn similarity(&self, other: &Code) -> f32 {
        let dot: i32 = self.q.iter().zip(&other.q).map(|(a, b)| *a as i32 * *b as i32).sum();
        colour::mix(dot as f32 * self.scale * other.scale, self.colour_similarity(other), colour::WEIGHT)
    }

    /// The joined similarity with a query (its f32 unit `embedding` and its code), the embedding
    /// part from int8 + remainder (16x finer): the ranking and the similarity a search reports.
    /// A query without colour gets the embeddings' cosine alone.
    pub fn fine_similarity(&self, embedding: &[f32], query: &Code) -> f32 {
        let mut coarse = 0.0f32;
        let mut fine = 0.0f32;
        for (i, (&q, &x)) in self.q.iter().zip(embedding).enumerate() {
            // Sign-extend the 4-bit remainder.
            let byte = self.rest[i / 2];
            let r = (((byte >> (4 * (i % 2))) << 4) as i8 >> 4) as f32;
            coarse += q as f32 * x;
            fine += r * x;
        }
        let cosine = (coarse + fine / 16.0) * self.scale;
        match query.has_colour() {
            true => colour::mix(cosine, self.colour_similarity(query), colour::WEIGHT),
            false => cosine,
        }
    }
}

impl Point for Code {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - self.similarity(other)
    }
}

#[derive(Serialize, Deserialize)]
enum Searcher {
    /// Codes and the product each belongs to, scanned in full.
    Exact(Vec<Code>, Vec<u32>),
    Hnsw(HnswMap<Code, u32>),
}

#[derive(Serialize, Deserialize)]
struct CategoryIndex {
    category: Category,
    searcher: Searcher,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    categories: Vec<CategoryIndex>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    pub product: &'a Product,
    /// The joined similarity of the query and the product ([`Code::fine_similarity`]), -1..1:
    /// the embeddings' cosine weighted with the colour histograms' Bhattacharyya coefficient.
    pub similarity: f32,
}

/// A loaded catalog index, ready to search.
pub struct CatalogIndex {
    embedder: String,
    embedder_file: Option<String>,
    categories: Vec<CategoryIndex>,
    products: Vec<Product>,
    /// instant-distance's scratch space, reused across queries as its docs advise.
    scratch: Mutex<Search>,
}

impl std::fmt::Debug for CatalogIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogIndex")
            .field("embedder", &self.embedder)
            .field("embedder_file", &self.embedder_file)
            .field("products", &self.products.len())
            .finish()
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds the two files of an index (`index.bin`, `products.json`) from products, their
/// embeddings (unit vectors, `DIM` values each), made by the shipped embedder of sha256
/// `embedder_sha256`, and their garments' colour histograms ([`colour::histogram`]; all zero
/// for a product without one). Deterministic: the same inputs and seed give the same bytes.
///
/// Errors: [`Error::Index`] when the counts differ, there are no products, an embedding is not
/// `DIM`-d or the sha256 is not 64 hex digits.
pub fn build(
    embedder_sha256: &str,
    products: &[Product],
    embeddings: &[Vec<f32>],
    colours: &[[f32; BINS]],
    settings: Settings,
) -> Result<(Vec<u8>, Vec<u8>)> {
    build_for(&IndexEmbedder::shipped(embedder_sha256), products, embeddings, colours, settings)
}

/// [`build`] for any embedder: a retailer's own records its file name (beside the index), which
/// [`embedder_of`] and [`CatalogIndex::embedder_file`] give back.
///
/// Errors: those of [`build`], and [`Error::Index`] when the file is not a plain file name.
pub fn build_for(
    embedder: &IndexEmbedder,
    products: &[Product],
    embeddings: &[Vec<f32>],
    colours: &[[f32; BINS]],
    settings: Settings,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let fail = |reason: String| Error::Index { input: "(new index)".into(), reason };
    let file = embedder.file.as_deref().unwrap_or_default();
    if embedder.file.is_some() && !plain_file_name(file) {
        return Err(fail(format!(
            "embedder file '{file}' is not a plain file name (ASCII letters, digits, '.', '-', '_'); name it like embedder.onnx"
        )));
    }
    if products.len() != embeddings.len() || products.len() != colours.len() || products.is_empty() {
        return Err(fail(format!(
            "{} products but {} embeddings and {} colour histograms",
            products.len(),
            embeddings.len(),
            colours.len()
        )));
    }
    if let Some(bad) = embeddings.iter().position(|e| e.len() != DIM) {
        return Err(fail(format!(
            "product {} has a {}-d embedding, not {DIM}-d (the embedder's); embed the catalog with vitrine's embedder",
            products[bad].id,
            embeddings[bad].len()
        )));
    }
    let embedder_sha256 =
        decode_hex(&embedder.sha256).ok_or_else(|| fail("embedder id is not a sha256".into()))?;

    let mut groups: BTreeMap<Category, Vec<u32>> = BTreeMap::new();
    for (i, p) in products.iter().enumerate() {
        groups.entry(p.category).or_default().push(i as u32);
    }
    let categories = groups
        .into_iter()
        .map(|(category, members)| {
            let codes: Vec<Code> = members
                .iter()
                .map(|&i| Code::encode(&embeddings[i as usize], &colours[i as usize]))
                .collect();
            let searcher = if codes.len() <= settings.exact_max {
                Searcher::Exact(codes, members)
            } else {
                let builder = Builder::default()
                    .seed(settings.seed)
                    .ef_construction(settings.ef_construction)
                    .ef_search(settings.ef_search);
                // instant-distance inserts in parallel, and then the graph (and the file)
                // depends on thread timing: one thread makes the seed decide everything.
                let single = rayon::ThreadPoolBuilder::new().num_threads(1).build();
                Searcher::Hnsw(match single {
                    Ok(pool) => pool.install(|| builder.build(codes, members)),
                    Err(_) => builder.build(codes, members),
                })
            };
            CategoryIndex { category, searcher }
        })
        .collect();
    let products_json = serde_json::to_vec_pretty(products).map_err(|e| fail(e.to_string()))?;
    let payload = postcard::to_allocvec(&Payload { categories }).map_err(|e| fail(e.to_string()))?;

    let mut out = Vec::with_capacity(payload.len() + 128);
    out.extend(MAGIC);
    out.extend(VERSION.to_le_bytes());
    out.extend(embedder_sha256);
    out.extend((DIM as u32).to_le_bytes());
    out.extend(colour::RULES.to_le_bytes());
    out.extend(sha256(&products_json));
    out.extend((file.len() as u16).to_le_bytes());
    out.extend(file.as_bytes());
    out.extend((payload.len() as u64).to_le_bytes());
    out.extend(&payload);
    let checksum = sha256(&out);
    out.extend(checksum);
    Ok((out, products_json))
}

fn decode_hex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// An index file's header: what [`embedder_of`] and [`CatalogIndex::from_bytes`] read before
/// the payload.
struct Header {
    embedder: IndexEmbedder,
    dim: usize,
    /// The `colour::RULES` its products' histograms were read by.
    colour_rules: u32,
    products_sha256: [u8; 32],
    payload_len: usize,
    /// Where the payload starts.
    payload_at: usize,
}

/// Reads the header of `index` (`name` is used in errors): magic, version, then the fields.
/// Does not check the checksum (the whole file is needed for that).
fn header(name: &str, index: &[u8]) -> Result<Header> {
    let fail = |reason: String| Error::Index { input: name.to_string(), reason };
    let truncated = || fail("is truncated; rebuild or re-download it".into());
    // Cut short within the magic and version, it still starts as an index does.
    if index.len() < 12 && !index.is_empty() && MAGIC.starts_with(&index[..index.len().min(8)]) {
        return Err(truncated());
    }
    if index.len() < 12 || &index[..8] != MAGIC {
        return Err(fail("is not a vitrine index file; build one with `vitrine index build`".into()));
    }
    let version = u32::from_le_bytes(index[8..12].try_into().unwrap());
    if version > VERSION {
        return Err(fail(format!(
            "is index format version {version}, made by a newer vitrine than this one (it reads version {VERSION}); update vitrine, or rebuild the index with this one (`vitrine index build`)"
        )));
    }
    if version != VERSION {
        return Err(fail(format!(
            "is index format version {version}, this vitrine reads version {VERSION}; rebuild it with `vitrine index build`"
        )));
    }
    let mut at: usize = 12;
    let mut take = |n: usize| -> Result<&[u8]> {
        let bytes = index.get(at..at.saturating_add(n)).ok_or_else(truncated)?;
        at += n;
        Ok(bytes)
    };
    let embedder_sha256 = hex(take(32)?);
    let dim = u32::from_le_bytes(take(4)?.try_into().unwrap()) as usize;
    let colour_rules = u32::from_le_bytes(take(4)?.try_into().unwrap());
    let products_sha256: [u8; 32] = take(32)?.try_into().unwrap();
    let file_len = u16::from_le_bytes(take(2)?.try_into().unwrap()) as usize;
    let file = take(file_len)?;
    let file = match file_len {
        0 => None,
        _ => match std::str::from_utf8(file) {
            Ok(file) if plain_file_name(file) => Some(file.to_string()),
            _ => {
                return Err(fail(format!(
                    "names an embedder file '{}' that is not a plain file name beside the index; rebuild it with `vitrine index build`",
                    String::from_utf8_lossy(file)
                )))
            }
        },
    };
    let payload_len = u64::from_le_bytes(take(8)?.try_into().unwrap()) as usize;
    Ok(Header {
        embedder: IndexEmbedder { sha256: embedder_sha256, file },
        dim,
        colour_rules,
        products_sha256,
        payload_len,
        payload_at: at,
    })
}

/// Which embedder built the index in `index` (`name` is used in errors), read from its header
/// alone: `index` may be just the file's first 512 bytes. The shells load that embedder: the
/// shipped one from models/, or `file` from beside the index, checked against `sha256`
/// ([`crate::models::Embedder::for_index`]).
///
/// Errors: [`Error::Index`] for a file that is not an index, of another format version, or whose
/// header is truncated or names a file that is not a plain file name.
pub fn embedder_of(name: &str, index: &[u8]) -> Result<IndexEmbedder> {
    Ok(header(name, index)?.embedder)
}

impl CatalogIndex {
    /// Reads an index (`name` is used in errors) and its product metadata.
    ///
    /// Errors: [`Error::Index`] for a file that is not an index, of another format version or
    /// width, damaged or truncated, or a `products.json` from another build.
    pub fn from_bytes(name: &str, index: &[u8], products_json: &[u8]) -> Result<CatalogIndex> {
        let fail = |reason: String| Error::Index { input: name.to_string(), reason };
        let Header { embedder, dim, colour_rules, products_sha256, payload_len, payload_at } =
            header(name, index)?;
        if index.len() < payload_at + 32 {
            return Err(fail("is truncated; rebuild or re-download it".into()));
        }
        let (body, checksum) = index.split_at(index.len() - 32);
        if sha256(body) != checksum {
            return Err(fail("is damaged (checksum mismatch); rebuild or re-download it".into()));
        }
        if dim != DIM {
            return Err(fail(format!(
                "holds {dim}-d embeddings, this vitrine's embedder makes {DIM}-d; rebuild it with `vitrine index build`"
            )));
        }
        if colour_rules != colour::RULES {
            return Err(fail(format!(
                "holds colours read by the rules of version {colour_rules}, this vitrine reads colours by version {}; rebuild it with `vitrine index build`",
                colour::RULES
            )));
        }
        if sha256(products_json) != products_sha256 {
            return Err(fail(
                "products.json is not the one built with this index (its sha256 differs): it was changed after the build \
                 (edited, reformatted, its line ends converted, as git's autocrlf does, or cut short) or comes from another \
                 build; copy index.bin and products.json unchanged from one build (in git, mark products.json binary \
                 in .gitattributes)"
                    .into(),
            ));
        }
        let payload = payload_at
            .checked_add(payload_len)
            .and_then(|end| body.get(payload_at..end))
            .ok_or_else(|| fail("is truncated".into()))?;
        let Payload { categories } =
            postcard::from_bytes(payload).map_err(|e| fail(format!("cannot be read ({e}); rebuild it")))?;
        let products: Vec<Product> =
            serde_json::from_slice(products_json).map_err(|e| fail(format!("products.json: {e}")))?;
        Ok(CatalogIndex {
            embedder: embedder.sha256,
            embedder_file: embedder.file,
            categories,
            products,
            scratch: Mutex::new(Search::default()),
        })
    }

    /// The sha256 of the embedder model that built this index.
    pub fn embedder(&self) -> &str {
        &self.embedder
    }

    /// The file of the embedder that built this index, relative to the index folder, when it is
    /// a retailer's own; `None` for the shipped embedder.
    pub fn embedder_file(&self) -> Option<&str> {
        self.embedder_file.as_deref()
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    pub fn categories(&self) -> impl Iterator<Item = (Category, usize)> + '_ {
        self.categories.iter().map(|c| {
            let n = match &c.searcher {
                Searcher::Exact(codes, _) => codes.len(),
                Searcher::Hnsw(map) => map.values.len(),
            };
            (c.category, n)
        })
    }

    /// The `k` products of `category` most similar to a garment, best first: its `embedding`
    /// (a unit vector) and its colour `histogram` ([`colour::histogram`]; all zero to rank by
    /// the embedding alone), joined as [`Code::similarity`] says.
    pub fn search(
        &self,
        category: Category,
        embedding: &[f32],
        histogram: &[f32; BINS],
        k: usize,
    ) -> Vec<Hit<'_>> {
        let Some(index) = self.categories.iter().find(|c| c.category == category) else {
            return Vec::new();
        };
        let code = Code::encode(embedding, histogram);
        let wanted = k * CANDIDATES_PER_HIT;
        let mut hits: Vec<(u32, f32)> = match &index.searcher {
            Searcher::Exact(codes, members) => {
                let mut all: Vec<(usize, f32)> =
                    codes.iter().enumerate().map(|(i, c)| (i, c.similarity(&code))).collect();
                let n = wanted.min(all.len());
                if n > 0 && n < all.len() {
                    all.select_nth_unstable_by(n - 1, |a, b| b.1.total_cmp(&a.1));
                }
                all.truncate(n);
                all.into_iter()
                    .map(|(i, _)| (members[i], codes[i].fine_similarity(embedding, &code)))
                    .collect()
            }
            Searcher::Hnsw(map) => {
                let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
                map.search(&code, &mut scratch)
                    .take(wanted)
                    .map(|item| (*item.value, item.point.fine_similarity(embedding, &code)))
                    .collect()
            }
        };
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(k);
        hits.into_iter()
            .map(|(i, similarity)| Hit { product: &self.products[i as usize], similarity })
            .collect()
    }
}
