//! vitrine: shop the look in the browser. From a full-shot photo of a person it finds the top,
//! bottom and foot wear and the most similar catalog products for each, all on the device.
//!
//! The pipeline, in the order the modules read: [`photo`] (decode, limits, EXIF orientation) ->
//! [`models`] (BlazePose detector and landmarks, the OpenImages SSD, the EfficientNet-Lite0
//! embedder with its trained [`head`]) -> [`framing`] (the full-shot verdict) -> [`garments`]
//! (boxes) -> crops and embeddings -> [`index`] (per-category search over a [`catalog`]) -> the
//! [`look`]. [`pipeline`] runs them in that order. Only [`engine`] names tract types. Natively, with the `train`
//! feature, `train` fits the head with the weighted triplet loss and `retrieval` scores it.

pub mod catalog;
pub mod framing;
pub mod garments;
pub mod head;
pub mod index;
pub mod look;
pub mod models;
pub mod photo;
pub mod pipeline;

#[cfg(feature = "train")]
pub mod retrieval;
#[cfg(feature = "train")]
pub mod train;

pub mod engine;
pub mod error;
pub mod geometry;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
pub use look::Look;
pub use pipeline::{Crop, Located, Matched, Matcher, ModelBytes, Options, Pipeline, PipelineLoader};
