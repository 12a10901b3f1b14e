//! The result of one photo: the framing verdict, the person, and for each garment found its box
//! and the most similar products. Plain data, serialised as JSON by the CLI and as a JS object
//! by the wasm façade. Boxes and points are fractions of the photo (0..1), so they survive any
//! resizing of the displayed image.

use serde::{Deserialize, Serialize};

use crate::catalog::{Audience, Wear};
use crate::colour::Colour;
use crate::geometry::{Point, Rect};
use crate::photo::Limits;

/// What a look is asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whose products to show; `None` shows all audiences ([`Audience::seen_by`]).
    pub audience: Option<Audience>,
    /// Products per garment.
    pub k: usize,
    /// The photo's size limits, checked before decoding.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options { audience: None, k: 5, limits: Limits::default() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Look {
    pub verdict: Verdict,
    /// The person the look is about, when one was found.
    pub person: Option<Person>,
    /// One entry per garment found, in the order top, bottom, foot (or dress, foot).
    pub garments: Vec<Garment>,
    pub timings: Vec<Timing>,
}

/// Whether the photo is a full shot, and why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub full_shot: bool,
    /// Human-readable, e.g. "full shot", "not a full shot: feet not visible".
    pub message: String,
    /// Machine-readable reasons, e.g. ["feet_not_visible"], or ["upside_down"] /
    /// ["lying_sideways"] for a turned person the photo turned upright does not show upright;
    /// empty for a full shot.
    pub reasons: Vec<&'static str>,
    /// How many people the photo shows.
    pub people: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub rect: Rect,
    pub score: f32,
    /// The 33 BlazePose landmarks (fractions of the photo) with their visibility.
    pub landmarks: Vec<LandmarkOut>,
    /// Which way they face the camera ("front", "back", "side"), `null` when the pose cannot
    /// tell ([`crate::body::facing`]); a product gallery's look is the first full shot facing
    /// the front.
    pub facing: Option<crate::body::Facing>,
    /// Whether they stand upright in the photo as it is shown (false: the photo had to be
    /// turned a quarter turn or more to find them upright); a gallery prefers upright photos.
    pub upright: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LandmarkOut {
    pub name: &'static str,
    pub point: Point,
    pub visibility: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Garment {
    pub wear: Wear,
    pub rect: Rect,
    /// Confidence that the box holds this garment, 0..1.
    pub score: f32,
    /// What refined the box, e.g. "pose", "pose+mask", "ssd".
    pub source: &'static str,
    /// The garment's colour, the largest share of its histogram read on the person
    /// ([`crate::colour::histogram_of_person`]), which the search joins to the embedding.
    pub colour: Option<Colour>,
    pub products: Vec<Recommendation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub id: String,
    pub title: String,
    pub link: String,
    pub image: String,
    pub price: String,
    pub category: String,
    /// Similarity of the garment crop and the product's region, -1..1: the embeddings' cosine
    /// joined with their colours' ([`crate::index::Hit::similarity`]).
    pub similarity: f32,
}

/// One stage of a look ("decode", "ssd", "pose_detector", "landmarks", "embed_top",
/// "search_top", ..., "total"): its wall time and the multiply-adds of the networks it ran
/// (tract's count, [`crate::engine::Net::multiply_adds`] per run; "total" is the sum). The
/// "landmarks" stage includes the pose detector's look at the chosen person's box; a
/// "pose_detector" stage (its look over the whole photo or its tiles) is there only when the SSD
/// found nobody, or nobody it found gave a pose. Issue 24 counts a look's cost in multiply-adds:
/// wall times swing with the host.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub stage: &'static str,
    pub ms: f64,
    pub multiply_adds: f64,
}
