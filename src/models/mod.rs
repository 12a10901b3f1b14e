//! The shipped models, one struct each, every one owning its tract plan and its pre- and
//! post-processing. All load from bytes, natively and on wasm32, after a checksum check against
//! `models/MANIFEST` (written by `models/build/build.sh`), so a wrong, truncated or renamed
//! file fails with a message naming it instead of producing nonsense.

use sha2::{Digest, Sha256};

use crate::engine::Net;
use crate::error::{Error, Result};

mod anchors;
mod bare;
pub mod embedder;
pub mod pose_detector;
pub mod pose_landmarks;
pub mod ssd;

pub use bare::BareModel;
#[cfg(feature = "train")]
pub use embedder::Trunk;
pub use embedder::{Backbone, Embedder};
pub use pose_detector::{PersonDetection, PoseDetector, Roi};
pub use pose_landmarks::{Landmark, PersonMask, Pose, PoseLandmarker, LANDMARK_NAMES};
pub use ssd::{Detection, Label, ObjectDetector};

/// `sha256  file` lines, as `sha256sum` writes them.
const MANIFEST: &str = include_str!("../../models/MANIFEST");

/// The sha256 the manifest records for `file`.
pub fn expected_sha256(file: &str) -> Option<&'static str> {
    MANIFEST.lines().find_map(|line| {
        let (hash, name) = line.split_once("  ")?;
        (name.trim() == file).then_some(hash)
    })
}

/// The sha256 of `bytes` in lowercase hex, as models/MANIFEST writes it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that `bytes` are the model the manifest calls `file`.
pub fn verify(file: &str, bytes: &[u8]) -> Result<()> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    let expected = expected_sha256(file)
        .ok_or_else(|| fail("is not listed in models/MANIFEST; use a file from models/".into()))?;
    let actual = sha256_hex(bytes);
    if actual != expected {
        return Err(fail(format!(
            "sha256 {actual} ({} bytes) is not the expected {expected}: the file is damaged, \
             truncated or another model; restore it from models/ (or rebuild with models/build/build.sh)",
            bytes.len()
        )));
    }
    Ok(())
}

/// A model's one f32 input shape and its outputs, in the order its struct reads them.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    pub input: [usize; 4],
    pub outputs: &'static [&'static str],
}

impl Signature {
    fn load(&self, file: &str, bytes: &[u8]) -> Result<Net> {
        Net::load(file, bytes, &self.input, self.outputs)
    }
}

/// Every model file the page can load, with its signature.
pub const SHIPPED: [(&str, Signature); 5] = [
    (PoseDetector::FILE, PoseDetector::SIGNATURE),
    (PoseLandmarker::FILE, PoseLandmarker::SIGNATURE),
    (PoseLandmarker::LITE_FILE, PoseLandmarker::SIGNATURE),
    (ObjectDetector::FILE, ObjectDetector::SIGNATURE),
    (Embedder::FILE, Embedder::SIGNATURE),
];

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
