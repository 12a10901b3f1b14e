//! vitrine: shop the look in the browser. From a full-shot photo of a person it finds the top,
//! bottom and foot wear and the most similar catalog products for each, all on the device.
//!
//! The pipeline, in the order the modules read: [`photo`] (decode, limits, EXIF orientation) ->
//! [`models`] (BlazePose detector and landmarks, the OpenImages SSD, the EfficientNet-Lite0
//! embedder) -> full-shot verdict -> garment boxes -> crops -> embeddings -> per-category search
//! -> the look. Only [`engine`] names tract types.

pub mod engine;
pub mod error;
pub mod geometry;
pub mod models;
pub mod photo;

pub use error::{Error, Result};
