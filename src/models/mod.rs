//! The shipped models, one struct each, every one owning its tract plan and its pre- and
//! post-processing. All load from bytes, natively and on wasm32, after a checksum check against
//! `models/MANIFEST` (written by `models/build/build.sh`), so a wrong, truncated or renamed
//! file fails with a message naming it instead of producing nonsense.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

mod anchors;
pub mod embedder;
pub mod pose_detector;
pub mod pose_landmarks;
pub mod ssd;

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

/// Checks that `bytes` are the model the manifest calls `file`.
pub fn verify(file: &str, bytes: &[u8]) -> Result<()> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    let expected = expected_sha256(file)
        .ok_or_else(|| fail("is not listed in models/MANIFEST; use a file from models/".into()))?;
    let actual: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    if actual != expected {
        return Err(fail(format!(
            "sha256 {actual} ({} bytes) is not the expected {expected}: the file is damaged, \
             truncated or another model; restore it from models/ (or rebuild with models/build/build.sh)",
            bytes.len()
        )));
    }
    Ok(())
}

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
