//! Loading the pipeline's four networks and the index: all at once from bytes
//! ([`crate::Pipeline::new`]), or one model at a time as each download ends ([`PipelineLoader`]),
//! which is how a page loads them while the others still arrive.

use crate::error::{Error, Result};
use crate::matcher::CropMatcher;
use crate::models::{Embedder, ObjectDetector, PoseDetector, PoseLandmarker};
use crate::pipeline::Pipeline;

/// The model files, as bytes (read from disk natively, fetched in the browser).
pub struct ModelBytes<'a> {
    pub pose_detector: &'a [u8],
    /// File name (full or lite variant) and bytes.
    pub pose_landmarks: (&'a str, &'a [u8]),
    pub ssd: &'a [u8],
    /// The embedder the index names ([`crate::index::embedder_of`]): the shipped
    /// `vitrine_embedder.onnx` (checked against models/MANIFEST), or the index's own file from
    /// beside it (checked against the sha256 the index records).
    pub embedder: &'a [u8],
}

/// The four networks loaded one at a time, in any order, then made into a [`Pipeline`] with the
/// index.
#[derive(Debug, Default)]
pub struct PipelineLoader {
    detector: Option<PoseDetector>,
    landmarker: Option<PoseLandmarker>,
    ssd: Option<ObjectDetector>,
    embedder: Option<Embedder>,
}

impl PipelineLoader {
    /// Loads the model in `bytes`; `file` is its name in models/ (which model it is).
    ///
    /// Errors: [`Error::Model`] for a file that is not one of the pipeline's models, or that
    /// does not match models/MANIFEST or cannot be loaded.
    pub fn add(&mut self, file: &str, bytes: &[u8]) -> Result<()> {
        match file {
            PoseDetector::FILE => self.detector = Some(PoseDetector::new(bytes)?),
            PoseLandmarker::FILE | PoseLandmarker::LITE_FILE => {
                self.landmarker = Some(PoseLandmarker::new(file, bytes)?)
            }
            ObjectDetector::FILE => self.ssd = Some(ObjectDetector::new(bytes)?),
            Embedder::FILE => self.embedder = Some(Embedder::new(bytes)?),
            // A retailer's own embedder is added with `add_trained`: its name is its index's.
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

    /// Loads a retailer's own embedder, the file an index names (`file`, its path or URL, names
    /// it in errors), checked against the sha256 that index records
    /// ([`crate::index::embedder_of`]); it replaces the shipped one. `finish` checks that it is
    /// the index's.
    ///
    /// Errors: those of [`Embedder::trained`].
    pub fn add_trained(&mut self, file: &str, bytes: &[u8], expected_sha256: &str) -> Result<()> {
        self.embedder = Some(Embedder::trained(file, bytes, expected_sha256)?);
        Ok(())
    }

    /// The pipeline, once every model is in; `index_name` names the index in errors.
    ///
    /// Errors: [`Error::Model`] naming a model not added yet, the index's errors, and
    /// [`Error::Index`] when the index was built by another embedder than the one added.
    pub fn finish(self, index_name: &str, index: &[u8], products_json: &[u8]) -> Result<Pipeline> {
        let missing = |file: &str| Error::Model {
            file: file.to_string(),
            reason: "was not loaded; add it before making the pipeline".to_string(),
        };
        let embedder = self.embedder.ok_or_else(|| missing(Embedder::FILE))?;
        Ok(Pipeline::from_parts(
            self.detector.ok_or_else(|| missing(PoseDetector::FILE))?,
            self.landmarker.ok_or_else(|| missing(PoseLandmarker::FILE))?,
            self.ssd.ok_or_else(|| missing(ObjectDetector::FILE))?,
            CropMatcher::with_embedder(embedder, index_name, index, products_json)?,
        ))
    }
}
