//! BlazePose's person detector (MediaPipe `pose_detection.tflite`): finds people and, for each,
//! the hip centre and a point that sets the body's size and tilt, from which the landmark model's
//! rotated square crop (the [`Roi`]) is made, as MediaPipe's `pose_detection_to_roi` does.

use std::f32::consts::{FRAC_PI_2, PI};

use super::anchors::{ssd_anchors, Anchor, AnchorOptions};
use super::{sigmoid, verify, Signature};
use crate::engine::{Net, Tensor};
use crate::error::Result;
use crate::geometry::Affine;
use crate::geometry::{weighted_nms, Point, Rect, Scored};
use crate::photo::Photo;

/// Input side of the detector (NHWC, RGB in [-1, 1], letterboxed).
const SIZE: usize = 224;
const ANCHORS: usize = 2254;
/// Per anchor: box (cx, cy, w, h) then 4 keypoints (x, y), in input pixels.
const COORDS: usize = 12;
/// MediaPipe's thresholds for this model.
const MIN_SCORE: f32 = 0.5;
const NMS_IOU: f32 = 0.3;

/// One detected person, in photo pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonDetection {
    pub score: f32,
    pub rect: Rect,
    /// Hip centre, full-body circle point, shoulder centre, upper-body circle point.
    pub keypoints: [Point; 4],
}

impl Scored for PersonDetection {
    fn rect(&self) -> Rect {
        self.rect
    }
    fn score(&self) -> f32 {
        self.score
    }
}

/// The landmark model's crop: a square in photo pixels, turned so the person stands upright.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    pub center: Point,
    pub side: f32,
    /// Radians, clockwise in image coordinates.
    pub rotation: f32,
}

impl Roi {
    /// The landmark crop of a body whose hip centre is `hips` and whose full-body circle (around
    /// the hips) passes through `top`: centred on the hips, 1.25 x the circle's diameter, rotated
    /// so that the hips-to-`top` vector points up (MediaPipe's `AlignmentPointsRectsCalculator`
    /// and its 1.25 scale, for detections and landmarks alike).
    pub fn aligned(hips: Point, top: Point) -> Roi {
        let angle = FRAC_PI_2 - (-(top.y - hips.y)).atan2(top.x - hips.x);
        Roi { center: hips, side: 2.0 * hips.distance(top) * 1.25, rotation: normalize_angle(angle) }
    }
}

impl PersonDetection {
    /// The landmark crop ([`Roi::aligned`] on the hip centre and the full-body circle point).
    pub fn roi(&self) -> Roi {
        let [hips, top, ..] = self.keypoints;
        Roi::aligned(hips, top)
    }

    /// A stand-in detection for a person the detector missed but the SSD boxed (`rect`, photo
    /// pixels, with its `score`): hips at the box's centre and a full-body circle of half the
    /// box's long side, upright, so [`PersonDetection::roi`] is the box's square grown by 1.25.
    /// The landmark model's own alignment points then place the crop
    /// ([`crate::models::Pose::aligned_roi`]).
    pub fn around_person(rect: &Rect, score: f32) -> PersonDetection {
        let c = rect.center();
        let radius = rect.width().max(rect.height()) / 2.0;
        let top = Point::new(c.x, c.y - radius);
        PersonDetection { score, rect: *rect, keypoints: [c, top, c, top] }
    }
}

fn normalize_angle(a: f32) -> f32 {
    a - 2.0 * PI * ((a + PI) / (2.0 * PI)).floor()
}

#[derive(Debug)]
pub struct PoseDetector {
    net: Net,
    anchors: Vec<Anchor>,
}

impl PoseDetector {
    pub const FILE: &'static str = "pose_detector.onnx";
    pub const SIGNATURE: Signature = Signature { input: [1, SIZE, SIZE, 3], outputs: &["boxes", "scores"] };

    /// Multiply-adds of one run of the network ([`crate::engine::Net::multiply_adds`]).
    pub fn multiply_adds(&self) -> f64 {
        self.net.multiply_adds()
    }

    pub fn new(bytes: &[u8]) -> Result<PoseDetector> {
        verify(Self::FILE, bytes)?;
        let net = Self::SIGNATURE.load(Self::FILE, bytes)?;
        let anchors = ssd_anchors(&AnchorOptions {
            input_size: SIZE,
            min_scale: 0.1484375,
            max_scale: 0.75,
            strides: &[8, 16, 32, 32, 32],
            aspect_ratios: &[1.0],
            reduce_boxes_in_lowest_layer: false,
            interpolated_scale_aspect_ratio: 1.0,
            fixed_anchor_size: true,
        });
        debug_assert_eq!(anchors.len(), ANCHORS);
        Ok(PoseDetector { net, anchors })
    }

    /// The people in the photo, best first.
    pub fn detect(&self, photo: &Photo) -> Result<Vec<PersonDetection>> {
        self.detect_in(photo, &Rect::new(0.0, 0.0, photo.width() as f32, photo.height() as f32))
    }

    /// The people in `region` of the photo (letterboxed to the detector's square), best first,
    /// in photo pixels.
    pub fn detect_in(&self, photo: &Photo, region: &Rect) -> Result<Vec<PersonDetection>> {
        let map = Affine::square_around(SIZE, region);
        let pixels = photo.sample(SIZE, SIZE, &map, [0.0; 3]);
        let input = Tensor::new(vec![1, SIZE, SIZE, 3], pixels.iter().map(|v| v / 127.5 - 1.0).collect());
        let outputs = self.net.run(input)?;
        let (boxes, scores) = (&outputs[0].data, &outputs[1].data);
        let to_photo = |x: f32, y: f32, a: &Anchor| {
            let (px, py) = map.apply(x + a.cx * SIZE as f32, y + a.cy * SIZE as f32);
            Point::new(px, py)
        };
        let mut found = Vec::new();
        for (i, anchor) in self.anchors.iter().enumerate() {
            let score = sigmoid(scores[i].clamp(-100.0, 100.0));
            if score < MIN_SCORE {
                continue;
            }
            let r = &boxes[i * COORDS..(i + 1) * COORDS];
            let center = to_photo(r[0], r[1], anchor);
            let scale = map.scale();
            let rect = Rect::from_center(center.x, center.y, r[2] * scale, r[3] * scale);
            let keypoints = std::array::from_fn(|k| to_photo(r[4 + 2 * k], r[5 + 2 * k], anchor));
            found.push(PersonDetection { score, rect, keypoints });
        }
        Ok(weighted_nms(found, NMS_IOU, merge))
    }
}

/// Score-weighted mean of a cluster; the score stays the best one's (MediaPipe's WEIGHTED NMS).
fn merge(cluster: &[(&PersonDetection, f32)]) -> PersonDetection {
    let mean = |f: &dyn Fn(&PersonDetection) -> f32| cluster.iter().map(|(d, w)| f(d) * w).sum::<f32>();
    PersonDetection {
        score: cluster[0].0.score,
        rect: Rect::new(
            mean(&|d| d.rect.x0),
            mean(&|d| d.rect.y0),
            mean(&|d| d.rect.x1),
            mean(&|d| d.rect.y1),
        ),
        keypoints: std::array::from_fn(|k| {
            Point::new(mean(&|d| d.keypoints[k].x), mean(&|d| d.keypoints[k].y))
        }),
    }
}
