//! The index folder's embedding cache, `embeddings.cache`: what `vitrine index build` found for
//! each product photo (its region, embedding and colour histogram, and its thumbnail's sha256),
//! keyed by the photo's sha256 and the product's wear, for the models (and colour rules) that
//! found it. A rebuild reads the old
//! folder's cache and embeds only new or changed photos, so a daily feed update costs the
//! changed products, not the catalog. A cache of other models or another format, or a damaged
//! one, is ignored whole (and the build says so): the result is then a full rebuild's.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use vitrine::catalog::Wear;
use vitrine::colour::BINS;
use vitrine::models::sha256_hex;
use vitrine::regions::Embedded;
use vitrine::upright::Turn;

/// The cache's file name in the index folder.
pub const FILE: &str = "embeddings.cache";
/// Bumped whenever what an entry holds, or how a region is found or embedded, changes.
const FORMAT: u32 = 2;

/// What the build found for one photo of one wear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub embedding: Vec<f32>,
    /// The region's colour histogram ([`vitrine::regions::Region::colour`]).
    pub colour: [f32; BINS],
    pub region: Embedded,
    pub turn: Turn,
    /// sha256 (hex) of the thumbnail JPEG the build wrote for it.
    pub thumbnail: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    models: String,
    entries: BTreeMap<String, Entry>,
}

/// The entries of one build, for one set of models.
pub struct Cache {
    models: String,
    entries: BTreeMap<String, Entry>,
}

/// The key of a photo's entry: its sha256 and the wear its region is for.
pub fn key(photo: &[u8], wear: Wear) -> String {
    format!("{}:{}", sha256_hex(photo), wear.name())
}

impl Cache {
    /// An empty cache for the models whose sha256s are `models` (in a fixed order).
    pub fn new(models: &[&str]) -> Cache {
        Cache { models: models.join(","), entries: BTreeMap::new() }
    }

    /// The cache in `dir` for these models; empty, with the reason, when there is none usable.
    pub fn load(dir: &Path, models: &[&str]) -> (Cache, Option<String>) {
        let mut cache = Cache::new(models);
        let path = dir.join(FILE);
        let Ok(bytes) = std::fs::read(&path) else {
            return (cache, None);
        };
        let why = match postcard::from_bytes::<File>(&bytes) {
            Ok(file) if file.format == FORMAT && file.models == cache.models => {
                cache.entries = file.entries;
                return (cache, None);
            }
            Ok(file) if file.format == FORMAT => "it was made with other models",
            _ => "it is of another vitrine version or damaged",
        };
        (cache, Some(format!("{}: not used ({why}); every photo is embedded", path.display())))
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    pub fn insert(&mut self, key: String, entry: Entry) {
        self.entries.insert(key, entry);
    }

    /// The cache file's bytes (postcard; entries in key order, so the same build writes the
    /// same bytes).
    pub fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let file = File { format: FORMAT, models: self.models.clone(), entries: self.entries.clone() };
        Ok(postcard::to_allocvec(&file)?)
    }
}
