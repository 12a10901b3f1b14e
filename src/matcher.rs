//! The second half of a look: a garment crop in, its most similar catalog products out
//! (embedding, then search in each category the shopper's audience sees). A [`CropMatcher`]
//! holds only the embedder and the index, so a second browser worker can match some crops on its
//! own decode of the same photo.

use serde::{Deserialize, Serialize};

use crate::catalog::{Audience, Category, Wear};
use crate::colour::BINS;
use crate::error::{Error, Result};
use crate::geometry::Rect;
use crate::index::{embedder_of, CatalogIndex, Hit};
use crate::look::{Options, Recommendation};
use crate::models::embedder::beside;
use crate::models::Embedder;
use crate::photo::Photo;
use crate::timing::{default_clock, Clock};
use crate::upright::Turn;

/// A garment region to embed and search, in pixels of the decoded photo.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Crop {
    pub wear: Wear,
    pub rect: Rect,
    /// How the person is turned in the photo: the region is embedded turned back upright, as
    /// catalog photos show garments. Upright when absent.
    #[serde(default)]
    pub turn: Turn,
    /// The garment's colour histogram ([`crate::colour::histogram_of_person`], taken where the
    /// person mask is known); all zero (the default) ranks by the embedding alone.
    #[serde(default)]
    pub colour: [f32; BINS],
}

/// The products one crop matched, and what its embedding and its search took (ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matched {
    pub wear: Wear,
    pub products: Vec<Recommendation>,
    pub embed_ms: f64,
    pub search_ms: f64,
    /// The embedding's multiply-adds ([`crate::models::Embedder::multiply_adds`]).
    #[serde(default)]
    pub multiply_adds: f64,
}

/// The embedder and the catalog index: turns crops into products.
pub struct CropMatcher {
    embedder: Embedder,
    index: CatalogIndex,
    clock: Clock,
}

impl CropMatcher {
    /// Loads the embedder the index names and the index (`index_name` names it in errors):
    /// `embedder` is the shipped `vitrine_embedder.onnx` for an index built with it, or the
    /// index's own embedder file (read from beside it) for one built with a retailer's own
    /// ([`crate::index::embedder_of`] says which); each is checked, against models/MANIFEST or
    /// against the sha256 the index records.
    ///
    /// Errors: the index's ([`Error::Index`]) and the embedder's ([`Error::Model`]).
    pub fn new(embedder: &[u8], index_name: &str, index: &[u8], products_json: &[u8]) -> Result<CropMatcher> {
        let built_by = embedder_of(index_name, index)?;
        let embedder = Embedder::for_index(index_name, &built_by, embedder)?;
        CropMatcher::with_embedder(embedder, index_name, index, products_json)
    }

    /// The same with an embedder already loaded; it must be the one that built the index.
    pub(crate) fn with_embedder(
        embedder: Embedder,
        index_name: &str,
        index: &[u8],
        products_json: &[u8],
    ) -> Result<CropMatcher> {
        let index = CatalogIndex::from_bytes(index_name, index, products_json)?;
        if index.embedder() != embedder.sha256() {
            let reason = match index.embedder_file() {
                // An index of an earlier shipped embedder.
                None if embedder.is_shipped() => format!(
                    "was built by embedder {}, but this vitrine embeds with {} ({}); rebuild it with `vitrine index build`",
                    index.embedder(),
                    Embedder::FILE,
                    embedder.sha256(),
                ),
                None => format!(
                    "was built by the shipped embedder {} ({}), but the embedder loaded is {} ({}); load models/{} (or rebuild the index with `vitrine index build --embedder {}`)",
                    Embedder::FILE,
                    index.embedder(),
                    embedder.file(),
                    embedder.sha256(),
                    Embedder::FILE,
                    embedder.file(),
                ),
                Some(file) => format!(
                    "was built by its own embedder {} ({}), but the embedder loaded is {} ({}); load the embedder file beside the index (or rebuild the index with `vitrine index build`)",
                    beside(index_name, file),
                    index.embedder(),
                    embedder.file(),
                    embedder.sha256(),
                ),
            };
            return Err(Error::Index { input: index_name.to_string(), reason });
        }
        Ok(CropMatcher { embedder, index, clock: default_clock })
    }

    /// Replaces the clock used for the stage timings.
    pub fn with_clock(mut self, clock: Clock) -> CropMatcher {
        self.clock = clock;
        self
    }

    /// Whether the catalog has products of `wear` that a shopper of `audience` sees (a dress
    /// crop, for one, is only made then).
    pub fn serves(&self, wear: Wear, audience: Option<Audience>) -> bool {
        let seen = Audience::seen_by(audience);
        self.index.categories().any(|(c, n)| c.wear == wear && seen.contains(&c.audience) && n > 0)
    }

    /// Embeds `crop` of `photo` and finds its best `options.k` products. A crop of a wear the
    /// catalog has none of for `options.audience` is not embedded (issue 24: a shoe shop's look
    /// embeds only the feet) and matches no products.
    ///
    /// Errors: [`Error::Call`] when the crop is not a region of this photo, and the embedder's
    /// errors.
    pub fn match_crop(&self, photo: &Photo, crop: &Crop, options: &Options) -> Result<Matched> {
        let r = &crop.rect;
        let (w, h) = (photo.width() as f32, photo.height() as f32);
        let inside = [r.x0, r.y0, r.x1, r.y1].iter().all(|v| v.is_finite())
            && r.x0 < r.x1
            && r.y0 < r.y1
            && r.x1 > 0.0
            && r.y1 > 0.0
            && r.x0 < w
            && r.y0 < h;
        if !inside {
            return Err(Error::Call(format!(
                "crop {r:?} is not a region of this {w}x{h} photo: pass the crops `locate` gave for it"
            )));
        }
        if !self.serves(crop.wear, options.audience) {
            return Ok(Matched {
                wear: crop.wear,
                products: Vec::new(),
                embed_ms: 0.0,
                search_ms: 0.0,
                multiply_adds: 0.0,
            });
        }
        let start = (self.clock)();
        let embedding = self.embedder.embed_turned(photo, r, crop.turn)?;
        let embedded = (self.clock)();
        let products = self.search(crop.wear, &embedding, &crop.colour, options);
        Ok(Matched {
            wear: crop.wear,
            products,
            embed_ms: embedded - start,
            search_ms: (self.clock)() - embedded,
            multiply_adds: self.embedder.multiply_adds(),
        })
    }

    /// The best `options.k` products for a garment across the categories the audience sees.
    fn search(
        &self,
        wear: Wear,
        embedding: &[f32],
        colour: &[f32; BINS],
        options: &Options,
    ) -> Vec<Recommendation> {
        let mut hits: Vec<Hit> = Audience::seen_by(options.audience)
            .iter()
            .flat_map(|&audience| {
                self.index.search(Category { audience, wear }, embedding, colour, options.k)
            })
            .collect();
        hits.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        hits.truncate(options.k);
        hits.into_iter()
            .map(|hit| Recommendation {
                id: hit.product.id.clone(),
                title: hit.product.title.clone(),
                link: hit.product.link.clone(),
                image: hit.product.image.clone(),
                price: hit.product.price.clone(),
                category: hit.product.category.to_string(),
                similarity: hit.similarity,
            })
            .collect()
    }
}
