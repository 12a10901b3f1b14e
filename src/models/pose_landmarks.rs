//! BlazePose GHUM landmarks (MediaPipe `pose_landmark_full` / `_lite`): 33 body points with
//! visibility, and a person mask, from the upright square crop the detector's [`Roi`] gives.

use super::{sigmoid, verify, Roi, Signature};
use crate::engine::{Net, Tensor};
use crate::error::{Error, Result};
use crate::geometry::Affine;
use crate::geometry::Point;
use crate::photo::Photo;

/// Input side (NHWC, RGB in [0, 1]); the mask has the same size.
const SIZE: usize = 256;
/// The model emits 39 points (33 body + 6 auxiliary for tracking) x (x, y, z, visibility, presence).
const POINTS: usize = 39;
const VALUES: usize = 5;

/// MediaPipe's names of the 33 body landmarks, by index.
pub const LANDMARK_NAMES: [&str; 33] = [
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
];

/// One body point in photo pixels; `z` is depth relative to the hips, in the same scale.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Landmark {
    pub x: f32,
    pub y: f32,
    pub z: f32,
    /// Probability the point is visible (not occluded).
    pub visibility: f32,
    /// Probability the point is inside the crop.
    pub presence: f32,
}

impl Landmark {
    pub fn point(&self) -> Point {
        Point::new(self.x, self.y)
    }
}

/// The model's person mask, kept in crop space and looked up in photo pixels.
#[derive(Debug, Clone)]
pub struct PersonMask {
    photo_to_mask: Affine,
    probabilities: Vec<f32>,
}

impl PersonMask {
    /// Probability that photo pixel `p` belongs to the person (0 outside the crop).
    pub fn at(&self, p: Point) -> f32 {
        let (u, v) = self.photo_to_mask.apply(p.x, p.y);
        if !(0.0..SIZE as f32).contains(&u) || !(0.0..SIZE as f32).contains(&v) {
            return 0.0;
        }
        self.probabilities[v as usize * SIZE + u as usize]
    }

    /// Whether photo pixel `p` is the person's: more likely than not ([`PersonMask::at`] > 0.5),
    /// the mask's own decision boundary. Every rule that reads the mask as a yes or no (garment
    /// boxes, hems, legs, colour) asks this.
    pub fn holds(&self, p: Point) -> bool {
        self.at(p) > 0.5
    }
}

#[cfg(test)]
impl PersonMask {
    /// A mask that holds no person, for poses made by hand in tests.
    pub(crate) fn empty() -> PersonMask {
        PersonMask {
            photo_to_mask: Affine { m: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0] },
            probabilities: vec![0.0; SIZE * SIZE],
        }
    }

    /// A mask that holds the person everywhere.
    pub(crate) fn everywhere() -> PersonMask {
        PersonMask { photo_to_mask: Affine { m: [0.0; 6] }, probabilities: vec![1.0; SIZE * SIZE] }
    }
}

/// One person's pose.
#[derive(Debug, Clone)]
pub struct Pose {
    /// Probability that a person is in the crop at all.
    pub presence: f32,
    /// The 33 body landmarks, indexed as [`LANDMARK_NAMES`].
    pub landmarks: Vec<Landmark>,
    pub mask: PersonMask,
    pub roi: Roi,
    /// The model's two alignment points (its auxiliary landmarks 33 and 34, photo pixels): the
    /// hip centre and a point of the full-body circle, as the detector's first two keypoints.
    /// MediaPipe makes the next frame's crop from them; [`Pose::aligned_roi`] does.
    pub alignment: [Point; 2],
}

impl Pose {
    /// The crop this pose says its person fills ([`Roi::aligned`] on [`Pose::alignment`]).
    pub fn aligned_roi(&self) -> Roi {
        Roi::aligned(self.alignment[0], self.alignment[1])
    }
}

#[derive(Debug)]
pub struct PoseLandmarker {
    net: Net,
}

impl PoseLandmarker {
    /// The default, more accurate variant.
    pub const FILE: &'static str = "pose_landmarks_full.onnx";
    /// Half the size and faster, less accurate.
    pub const LITE_FILE: &'static str = "pose_landmarks_lite.onnx";
    pub const SIGNATURE: Signature =
        Signature { input: [1, SIZE, SIZE, 3], outputs: &["landmarks", "presence", "mask"] };

    /// Multiply-adds of one run of the network ([`crate::engine::Net::multiply_adds`]).
    pub fn multiply_adds(&self) -> f64 {
        self.net.multiply_adds()
    }

    /// Loads either variant; `file` says which (and is checked against the manifest).
    pub fn new(file: &str, bytes: &[u8]) -> Result<PoseLandmarker> {
        if file != Self::FILE && file != Self::LITE_FILE {
            return Err(Error::Model {
                file: file.to_string(),
                reason: format!("is not a landmark model; use {} or {}", Self::FILE, Self::LITE_FILE),
            });
        }
        verify(file, bytes)?;
        let net = Self::SIGNATURE.load(file, bytes)?;
        Ok(PoseLandmarker { net })
    }

    /// The pose of the person inside `roi`.
    pub fn landmarks(&self, photo: &Photo, roi: &Roi) -> Result<Pose> {
        let map = Affine::rotated_square(SIZE, roi.center.x, roi.center.y, roi.side, roi.rotation);
        let pixels = photo.sample(SIZE, SIZE, &map, [0.0; 3]);
        let input = Tensor::new(vec![1, SIZE, SIZE, 3], pixels.iter().map(|v| v / 255.0).collect());
        let outputs = self.net.run(input)?;
        let (raw, presence, mask) = (&outputs[0].data, outputs[1].data[0], &outputs[2].data);
        debug_assert_eq!(raw.len(), POINTS * VALUES);
        let scale = roi.side / SIZE as f32;
        let point = |i: usize| {
            let (x, y) = map.apply(raw[i * VALUES], raw[i * VALUES + 1]);
            Point::new(x, y)
        };
        let alignment = [point(LANDMARK_NAMES.len()), point(LANDMARK_NAMES.len() + 1)];
        let landmarks = raw
            .chunks_exact(VALUES)
            .take(LANDMARK_NAMES.len())
            .map(|v| {
                let (x, y) = map.apply(v[0], v[1]);
                Landmark { x, y, z: v[2] * scale, visibility: sigmoid(v[3]), presence: sigmoid(v[4]) }
            })
            .collect();
        let mask = PersonMask {
            photo_to_mask: map.invert(),
            probabilities: mask.iter().map(|&l| sigmoid(l)).collect(),
        };
        Ok(Pose { presence, landmarks, mask, roi: *roi, alignment })
    }
}
