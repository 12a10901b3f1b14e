//! vitrine: shop the look in the browser. From a full-shot photo of a person it finds the top,
//! bottom and foot wear and the most similar catalog products for each, all on the device.
//!
//! The pipeline, in the order the modules read: [`photo`] (decode, limits, EXIF orientation) ->
//! [`models`] (BlazePose detector and landmarks, the OpenImages SSD, the EfficientNet-Lite0
//! embedder) -> [`person`] (whose look it is, turned [`upright`]) -> [`full_shot`] (the verdict, in the words of
//! [`body`]) -> [`garments`] (boxes, down to the top's [`hem`]) and [`dress`] (the dress rule) -> [`matcher`] (crops to
//! embeddings to products, searching the [`index`] of a [`catalog`] per category) -> the
//! [`look`]. [`pipeline`] runs them in that order, [`loader`] loads its models, [`timing`] times
//! the stages. The catalog side runs the same locate step on each product photo and embeds the
//! garment's [`regions`]. Only [`engine`] names tract types. Natively, with the `train` feature, `train`
//! fits the embedding `head` with the weighted triplet loss and `retrieval` scores it.

pub mod body;
pub mod catalog;
pub mod colour;
pub mod dress;
pub mod full_shot;
pub mod garments;
pub mod hem;
pub mod index;
pub mod loader;
pub mod look;
pub mod matcher;
pub mod models;
pub mod person;
pub mod photo;
pub mod pipeline;
pub mod regions;
pub mod timing;
pub mod upright;

#[cfg(feature = "train")]
pub mod augment;
#[cfg(feature = "train")]
pub mod head;
#[cfg(feature = "train")]
pub mod retrieval;
#[cfg(feature = "train")]
pub mod tail;
#[cfg(feature = "train")]
pub mod train;

pub mod engine;
pub mod error;
pub mod geometry;
pub mod vector;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
pub use loader::{ModelBytes, PipelineLoader};
pub use look::{Look, Options};
pub use matcher::{Crop, CropMatcher, Matched};
pub use pipeline::{Located, Locator, Pipeline};
