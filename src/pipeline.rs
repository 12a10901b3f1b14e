//! The whole look, in the order the data flows: photo bytes -> decode -> people (SSD) -> pose of
//! the largest, most central person -> full-shot verdict -> garment boxes -> crops ->
//! embeddings -> per-category search -> top products per garment. Built from bytes only (no file
//! system), so the browser uses it unchanged.
//!
//! Dresses: a dress covers top and bottom, so when the catalog has dresses for the shopper's
//! audience, the region from the top box's top to the bottom box's bottom is embedded and
//! searched among dresses too. The dress replaces the top and bottom rows when its best match
//! is more similar than both the best top and the best bottom match: the catalog itself says
//! which reading of the photo it can serve better.
//!
//! A look comes in three steps so that a page can spread it over two workers: [`Pipeline::locate`]
//! (decode to garment crops), [`Matcher::match_crop`] per crop (embedding and search; a
//! [`Matcher`] holds only the embedder and the index, so a second worker can run some crops on
//! its own decode of the same photo), and [`Pipeline::finish`]. [`Pipeline::recommend`] runs the
//! three in a row.

use serde::{Deserialize, Serialize};

use crate::catalog::{Audience, Category, Wear};
use crate::error::{Error, Result};
use crate::framing;
use crate::garments::{garment_boxes, GarmentBox};
use crate::geometry::Rect;
use crate::index::{CatalogIndex, Hit};
use crate::look::{Garment, LandmarkOut, Look, Person, Recommendation, Timing, Verdict};
use crate::models::{
    expected_sha256, Embedder, Label, ObjectDetector, PoseDetector, PoseLandmarker, LANDMARK_NAMES,
};
use crate::photo::{Limits, Photo};

/// SSD scores run low on this model: a clear person scores about 0.5.
const MIN_SSD_SCORE: f32 = 0.3;
/// Below this pose presence there is no person in the crop.
const MIN_PRESENCE: f32 = 0.5;
/// Other people count when their box is at least this fraction of the chosen one's.
const PEOPLE_MIN_AREA: f32 = 0.25;

/// The model files, as bytes (read from disk natively, fetched in the browser).
pub struct ModelBytes<'a> {
    pub pose_detector: &'a [u8],
    /// File name (full or lite variant) and bytes.
    pub pose_landmarks: (&'a str, &'a [u8]),
    pub ssd: &'a [u8],
    pub embedder: &'a [u8],
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Whose products to show; `None` shows all audiences.
    pub audience: Option<Audience>,
    /// Products per garment.
    pub k: usize,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options { audience: None, k: 5, limits: Limits::default() }
    }
}

/// A millisecond clock: `performance.now()` in the browser, `Instant` natively.
pub type Clock = fn() -> f64;

pub struct Pipeline {
    detector: PoseDetector,
    landmarker: PoseLandmarker,
    ssd: ObjectDetector,
    matcher: Matcher,
    clock: Clock,
}

/// A garment region to embed and search, in pixels of the decoded photo.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Crop {
    pub wear: Wear,
    pub rect: Rect,
}

/// The products one crop matched, and what its embedding and its search took (ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matched {
    pub wear: Wear,
    pub products: Vec<Recommendation>,
    pub embed_ms: f64,
    pub search_ms: f64,
}

/// A look up to its garment crops (see [`Pipeline::locate`]).
pub struct Located {
    photo: Photo,
    options: Options,
    verdict: Verdict,
    person: Option<Person>,
    boxes: Vec<GarmentBox>,
    crops: Vec<Crop>,
    timer: Timer,
}

impl Located {
    /// The look so far, for a page to show while the crops are matched: the verdict, the person
    /// and the garment boxes (top, bottom, foot: the dress rule needs the matches) without
    /// products, and the stages timed until now.
    pub fn preview(&self) -> Look {
        let (w, h) = (self.photo.width() as f32, self.photo.height() as f32);
        Look {
            verdict: self.verdict.clone(),
            person: self.person.clone(),
            garments: self.boxes.iter().map(|b| garment(b, Vec::new(), w, h)).collect(),
            timings: self.timer.laps.clone(),
        }
    }

    /// What to embed and search, in order: the garment boxes' crops, then the dress region when
    /// the catalog has dresses and there are a top and a bottom.
    pub fn crops(&self) -> &[Crop] {
        &self.crops
    }

    pub fn photo(&self) -> &Photo {
        &self.photo
    }

    pub fn options(&self) -> &Options {
        &self.options
    }
}

/// The embedder and the catalog index: turns crops into products.
pub struct Matcher {
    embedder: Embedder,
    index: CatalogIndex,
    clock: Clock,
}

impl Matcher {
    /// Loads the embedder and the index (`index_name` names it in errors) and checks that the
    /// index was built by this embedder.
    pub fn new(embedder: &[u8], index_name: &str, index: &[u8], products_json: &[u8]) -> Result<Matcher> {
        Matcher::with_embedder(Embedder::new(embedder)?, index_name, index, products_json)
    }

    fn with_embedder(
        embedder: Embedder,
        index_name: &str,
        index: &[u8],
        products_json: &[u8],
    ) -> Result<Matcher> {
        let index = CatalogIndex::from_bytes(index_name, index, products_json)?;
        let ours = expected_sha256(Embedder::FILE).unwrap_or_default();
        if index.embedder() != ours {
            return Err(Error::Index {
                input: index_name.to_string(),
                reason: format!(
                    "was built by embedder {}, but this vitrine embeds with {} ({ours}); rebuild it with `vitrine index build`",
                    index.embedder(),
                    Embedder::FILE,
                ),
            });
        }
        Ok(Matcher { embedder, index, clock: default_clock })
    }

    /// Replaces the clock used for the stage timings.
    pub fn with_clock(mut self, clock: Clock) -> Matcher {
        self.clock = clock;
        self
    }

    fn has_dresses(&self) -> bool {
        self.index.categories().any(|(c, n)| c.wear == Wear::Dress && n > 0)
    }

    /// Embeds `crop` of `photo` and finds its best `options.k` products.
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
        let start = (self.clock)();
        let embedding = self.embedder.embed(photo, r)?;
        let embedded = (self.clock)();
        let products = self.search(crop.wear, &embedding, options);
        Ok(Matched {
            wear: crop.wear,
            products,
            embed_ms: embedded - start,
            search_ms: (self.clock)() - embedded,
        })
    }

    /// The best `options.k` products for a garment across the categories the audience sees.
    fn search(&self, wear: Wear, embedding: &[f32], options: &Options) -> Vec<Recommendation> {
        let audiences: &[Audience] = match options.audience {
            None => &Audience::ALL,
            Some(Audience::Women) => &[Audience::Women, Audience::Unisex],
            Some(Audience::Men) => &[Audience::Men, Audience::Unisex],
            Some(Audience::Unisex) => &[Audience::Unisex],
        };
        let mut hits: Vec<Hit> = audiences
            .iter()
            .flat_map(|&audience| self.index.search(Category { audience, wear }, embedding, options.k))
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

/// The four networks loaded one at a time, in any order, then made into a [`Pipeline`] with the
/// index: a page loads each model as soon as its download ends, while the others still arrive.
#[derive(Debug, Default)]
pub struct PipelineLoader {
    detector: Option<PoseDetector>,
    landmarker: Option<PoseLandmarker>,
    ssd: Option<ObjectDetector>,
    embedder: Option<Embedder>,
}

impl PipelineLoader {
    /// Loads the model in `bytes`; `file` is its name in models/ (which model it is).
    pub fn add(&mut self, file: &str, bytes: &[u8]) -> Result<()> {
        match file {
            PoseDetector::FILE => self.detector = Some(PoseDetector::new(bytes)?),
            PoseLandmarker::FILE | PoseLandmarker::LITE_FILE => {
                self.landmarker = Some(PoseLandmarker::new(file, bytes)?)
            }
            ObjectDetector::FILE => self.ssd = Some(ObjectDetector::new(bytes)?),
            Embedder::FILE => self.embedder = Some(Embedder::new(bytes)?),
            _ => {
                return Err(Error::Model {
                    file: file.to_string(),
                    reason: format!(
                        "is not one of the pipeline's models ({}, {} or {}, {}, {})",
                        PoseDetector::FILE,
                        PoseLandmarker::FILE,
                        PoseLandmarker::LITE_FILE,
                        ObjectDetector::FILE,
                        Embedder::FILE
                    ),
                })
            }
        }
        Ok(())
    }

    /// The pipeline, once every model is in; `index_name` names the index in errors.
    pub fn finish(self, index_name: &str, index: &[u8], products_json: &[u8]) -> Result<Pipeline> {
        let missing = |file: &str| Error::Model {
            file: file.to_string(),
            reason: "was not loaded; add it before making the pipeline".to_string(),
        };
        let embedder = self.embedder.ok_or_else(|| missing(Embedder::FILE))?;
        Ok(Pipeline {
            detector: self.detector.ok_or_else(|| missing(PoseDetector::FILE))?,
            landmarker: self.landmarker.ok_or_else(|| missing(PoseLandmarker::FILE))?,
            ssd: self.ssd.ok_or_else(|| missing(ObjectDetector::FILE))?,
            matcher: Matcher::with_embedder(embedder, index_name, index, products_json)?,
            clock: default_clock,
        })
    }
}

impl Pipeline {
    /// Loads the models and the index (`index_name` names it in errors) and checks that the
    /// index was built by this embedder.
    pub fn new(models: ModelBytes, index_name: &str, index: &[u8], products_json: &[u8]) -> Result<Pipeline> {
        let mut loader = PipelineLoader::default();
        loader.add(PoseDetector::FILE, models.pose_detector)?;
        loader.add(models.pose_landmarks.0, models.pose_landmarks.1)?;
        loader.add(ObjectDetector::FILE, models.ssd)?;
        loader.add(Embedder::FILE, models.embedder)?;
        loader.finish(index_name, index, products_json)
    }

    /// Replaces the clock used for the stage timings.
    pub fn with_clock(mut self, clock: Clock) -> Pipeline {
        self.clock = clock;
        self.matcher = self.matcher.with_clock(clock);
        self
    }

    /// The embedder and index half, for matching crops here.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// The look of the photo in `bytes` (`name` is used in errors): [`Pipeline::locate`], each
    /// crop matched here, [`Pipeline::finish`].
    pub fn recommend(&self, bytes: &[u8], name: &str, options: &Options) -> Result<Look> {
        let located = self.locate(bytes, name, options)?;
        let matched = located
            .crops
            .iter()
            .map(|crop| self.matcher.match_crop(&located.photo, crop, options))
            .collect::<Result<Vec<_>>>()?;
        self.finish(located, matched)
    }

    /// The first part of a look: decode, people, pose, verdict, garment boxes and the crops to
    /// match (none when there is no person).
    pub fn locate(&self, bytes: &[u8], name: &str, options: &Options) -> Result<Located> {
        let mut timer = Timer::new(self.clock);
        let photo = Photo::decode(bytes, name, &options.limits)?;
        timer.lap("decode");
        let (w, h) = (photo.width() as f32, photo.height() as f32);

        let objects = self.ssd.detect(&photo, MIN_SSD_SCORE)?;
        timer.lap("ssd");
        let people: Vec<&Rect> =
            objects.iter().filter(|d| d.label == Label::Person).map(|d| &d.rect).collect();
        let main = main_person(&people, w, h);

        // The pose detector looks at the chosen person first: with several people it would
        // otherwise pick whoever its face detector likes. It finds people by their face, so when
        // the chosen one turns away it looks at the whole photo and the person is whoever it
        // finds there.
        let mut detection = match main {
            Some(r) => self.detector.detect_in(&photo, &r.pad(0.25, 0.15, 0.25, 0.15))?.into_iter().next(),
            None => None,
        };
        let mut main = main;
        let mut who = "the largest, most central one";
        if detection.is_none() {
            who = "the one facing the camera";
            detection = self.detector.detect(&photo)?.into_iter().next();
            main =
                detection.as_ref().and_then(|d| people.iter().copied().find(|r| r.contains(d.keypoints[0])));
        }
        timer.lap("pose_detector");
        let pose = match &detection {
            Some(d) => {
                Some(self.landmarker.landmarks(&photo, &d.roi())?).filter(|p| p.presence >= MIN_PRESENCE)
            }
            None => None,
        };
        timer.lap("landmarks");

        let count = match (main, &pose) {
            (_, None) => 0,
            (None, Some(_)) => people.len().max(1),
            (Some(m), Some(_)) => {
                people.iter().filter(|r| r.area() >= PEOPLE_MIN_AREA * m.area()).count().max(1)
            }
        };
        let verdict = framing::verdict(pose.as_ref(), w, h, count, who);
        let (Some(pose), Some(detection)) = (pose, detection) else {
            return Ok(Located {
                photo,
                options: options.clone(),
                verdict,
                person: None,
                boxes: Vec::new(),
                crops: Vec::new(),
                timer,
            });
        };

        // Without an SSD box, the person is where the landmarks are (the detector's own box is
        // the face).
        let person_rect = main.copied().unwrap_or_else(|| {
            let seen = pose.landmarks.iter().filter(|l| l.visibility >= framing::MIN_VISIBILITY);
            let around = Rect::around(seen.map(|l| l.point())).unwrap_or(detection.rect);
            around.pad(0.1, 0.1, 0.1, 0.1).clip(w, h).unwrap_or(around)
        });
        let person = Person {
            rect: person_rect.normalized(w, h),
            score: detection.score,
            landmarks: LANDMARK_NAMES
                .iter()
                .zip(&pose.landmarks)
                .map(|(name, l)| LandmarkOut {
                    name,
                    point: crate::geometry::Point::new(l.x / w, l.y / h),
                    visibility: l.visibility,
                })
                .collect(),
        };

        let boxes = garment_boxes(&pose, &objects, w, h);
        let mut crops: Vec<Crop> = boxes.iter().map(|b| Crop { wear: b.wear, rect: b.crop }).collect();
        let find = |wear| boxes.iter().find(|b| b.wear == wear);
        if let (Some(t), Some(b), true) = (find(Wear::Top), find(Wear::Bottom), self.matcher.has_dresses()) {
            let rect = Rect::new(t.rect.x0.min(b.rect.x0), t.rect.y0, t.rect.x1.max(b.rect.x1), b.rect.y1);
            crops.push(Crop { wear: Wear::Dress, rect });
        }
        Ok(Located { photo, options: options.clone(), verdict, person: Some(person), boxes, crops, timer })
    }

    /// The look from `located` and what its crops matched (`matched[i]` for `crops()[i]`, from
    /// this pipeline or any [`Matcher`] on the same photo and index).
    pub fn finish(&self, located: Located, matched: Vec<Matched>) -> Result<Look> {
        let Located { photo, verdict, person, boxes, crops, mut timer, .. } = located;
        if matched.len() != crops.len() || crops.iter().zip(&matched).any(|(c, m)| c.wear != m.wear) {
            let wears = |w: Vec<Wear>| w.iter().map(|w| w.name()).collect::<Vec<_>>().join(", ");
            return Err(Error::Call(format!(
                "the look needs matches for [{}] in that order, got [{}]",
                wears(crops.iter().map(|c| c.wear).collect()),
                wears(matched.iter().map(|m| m.wear).collect())
            )));
        }
        for m in &matched {
            timer.add(stage("embed", m.wear), m.embed_ms);
            timer.add(stage("search", m.wear), m.search_ms);
        }
        let (w, h) = (photo.width() as f32, photo.height() as f32);
        let mut matched = matched.into_iter();
        let garments: Vec<(GarmentBox, Vec<Recommendation>)> =
            boxes.into_iter().zip(matched.by_ref()).map(|(b, m)| (b, m.products)).collect();
        let dress = crops.last().filter(|c| c.wear == Wear::Dress).copied().zip(matched.next());
        let garments = dress_rule(garments, dress);
        let garments = garments.into_iter().map(|(b, hits)| garment(&b, hits, w, h)).collect();
        Ok(Look { verdict, person, garments, timings: timer.finish() })
    }
}

/// A garment of the look: `b`'s box as fractions of the `w` x `h` photo, with its products.
fn garment(b: &GarmentBox, products: Vec<Recommendation>, w: f32, h: f32) -> Garment {
    Garment { wear: b.wear, rect: b.rect.normalized(w, h), score: b.score, source: b.source, products }
}

/// Applies the dress rule of the module docs: the dress crop and its matches replace the top and
/// the bottom when its best match beats both of theirs.
fn dress_rule(
    garments: Vec<(GarmentBox, Vec<Recommendation>)>,
    dress: Option<(Crop, Matched)>,
) -> Vec<(GarmentBox, Vec<Recommendation>)> {
    let Some((crop, dress)) = dress else {
        return garments;
    };
    let best = |hits: &[Recommendation]| hits.first().map_or(-1.0, |h| h.similarity);
    let of = |wear| garments.iter().find(|(b, _)| b.wear == wear);
    let (Some((t, top)), Some((b, bottom))) = (of(Wear::Top), of(Wear::Bottom)) else {
        return garments;
    };
    let dress_best = best(&dress.products);
    if dress_best <= best(top) || dress_best <= best(bottom) {
        return garments;
    }
    let dress_box = GarmentBox {
        wear: Wear::Dress,
        rect: crop.rect,
        crop: crop.rect,
        score: t.score.min(b.score),
        source: "pose+dress",
    };
    let mut out = vec![(dress_box, dress.products)];
    out.extend(garments.into_iter().filter(|(b, _)| b.wear == Wear::Foot));
    out
}

/// The largest, most central person: area weighted by closeness to the photo's centre.
fn main_person<'a>(people: &[&'a Rect], w: f32, h: f32) -> Option<&'a Rect> {
    let diagonal = w.hypot(h);
    let weight = |r: &Rect| {
        let c = r.center();
        let off = (c.x - w / 2.0).hypot(c.y - h / 2.0) / diagonal;
        r.area() * (1.0 - off)
    };
    people.iter().copied().max_by(|a, b| weight(a).total_cmp(&weight(b)))
}

fn stage(what: &'static str, wear: Wear) -> &'static str {
    match (what, wear) {
        ("embed", Wear::Top) => "embed_top",
        ("embed", Wear::Bottom) => "embed_bottom",
        ("embed", Wear::Foot) => "embed_foot",
        ("embed", Wear::Dress) => "embed_dress",
        (_, Wear::Top) => "search_top",
        (_, Wear::Bottom) => "search_bottom",
        (_, Wear::Foot) => "search_foot",
        (_, Wear::Dress) => "search_dress",
    }
}

struct Timer {
    clock: Clock,
    start: f64,
    last: f64,
    laps: Vec<Timing>,
}

impl Timer {
    fn new(clock: Clock) -> Timer {
        let now = clock();
        Timer { clock, start: now, last: now, laps: Vec::new() }
    }

    /// A stage timed elsewhere (e.g. by another worker's matcher).
    fn add(&mut self, stage: &'static str, ms: f64) {
        self.laps.push(Timing { stage, ms });
    }

    fn lap(&mut self, stage: &'static str) {
        let now = (self.clock)();
        self.laps.push(Timing { stage, ms: now - self.last });
        self.last = now;
    }

    fn finish(mut self) -> Vec<Timing> {
        let total = (self.clock)() - self.start;
        self.laps.push(Timing { stage: "total", ms: total });
        self.laps
    }
}

/// Milliseconds since the first call: the native clock of the stage timings (and of
/// benchmarks and tests that time tract's steps).
#[cfg(not(target_arch = "wasm32"))]
pub fn default_clock() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

/// `Instant` panics on wasm32: the wasm façade installs `performance.now()` with `with_clock`.
#[cfg(target_arch = "wasm32")]
pub fn default_clock() -> f64 {
    0.0
}
