//! SSD MobileNetV2 trained on OpenImages v4 (MediaPipe Objectron's first stage): person and
//! footwear boxes. vitrine uses it to pick the person and to refine the foot-wear boxes.

use super::anchors::{ssd_anchors, Anchor, AnchorOptions};
use super::{sigmoid, verify, Signature};
use crate::engine::{Net, Tensor};
use crate::error::Result;
use crate::geometry::Affine;
use crate::geometry::{nms, Rect, Scored};
use crate::photo::Photo;

/// Input side (NHWC, RGB in [-1, 1], the photo stretched to a square).
const SIZE: usize = 300;
/// Score columns: the shipped model keeps only the 4 labels below of the 24 it was trained on
/// (its recipe drops the other class channels; each label has its own sigmoid).
const CLASSES: usize = 4;
/// TF object detection API box coder scales (y, x, h, w).
const SCALE_XY: f32 = 10.0;
const SCALE_WH: f32 = 5.0;
const NMS_IOU: f32 = 0.45;

/// The labels the shipped model scores (its `scores` columns, in OpenImages label-map order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Person,
    Boot,
    HighHeels,
    Footwear,
}

impl Label {
    const ALL: [(Label, usize); 4] =
        [(Label::Person, 1), (Label::Boot, 0), (Label::HighHeels, 2), (Label::Footwear, 3)];

    pub fn is_footwear(self) -> bool {
        matches!(self, Label::Boot | Label::HighHeels | Label::Footwear)
    }
}

/// One detected object, in photo pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub label: Label,
    pub score: f32,
    pub rect: Rect,
}

impl Scored for Detection {
    fn rect(&self) -> Rect {
        self.rect
    }
    fn score(&self) -> f32 {
        self.score
    }
}

#[derive(Debug)]
pub struct ObjectDetector {
    net: Net,
    anchors: Vec<Anchor>,
}

impl ObjectDetector {
    pub const FILE: &'static str = "ssd_oidv4.onnx";
    pub const SIGNATURE: Signature = Signature { input: [1, SIZE, SIZE, 3], outputs: &["boxes", "scores"] };

    /// Multiply-adds of one run of the network ([`crate::engine::Net::multiply_adds`]).
    pub fn multiply_adds(&self) -> f64 {
        self.net.multiply_adds()
    }

    pub fn new(bytes: &[u8]) -> Result<ObjectDetector> {
        verify(Self::FILE, bytes)?;
        let net = Self::SIGNATURE.load(Self::FILE, bytes)?;
        let anchors = ssd_anchors(&AnchorOptions {
            input_size: SIZE,
            min_scale: 0.2,
            max_scale: 0.95,
            strides: &[16, 32, 64, 128, 256, 512],
            aspect_ratios: &[1.0, 2.0, 0.5, 3.0, 0.3333],
            reduce_boxes_in_lowest_layer: true,
            interpolated_scale_aspect_ratio: 1.0,
            fixed_anchor_size: false,
        });
        debug_assert_eq!(anchors.len(), 1917);
        Ok(ObjectDetector { net, anchors })
    }

    /// People and footwear with a score of at least `min_score`, best first, suppressed per
    /// label. This model's scores run low: a clear person scores about 0.5.
    pub fn detect(&self, photo: &Photo, min_score: f32) -> Result<Vec<Detection>> {
        let (w, h) = (photo.width() as f32, photo.height() as f32);
        let map = Affine::stretch((SIZE, SIZE), 0.0, 0.0, w, h);
        let pixels = photo.sample(SIZE, SIZE, &map, [0.0; 3]);
        let input = Tensor::new(vec![1, SIZE, SIZE, 3], pixels.iter().map(|v| v / 127.5 - 1.0).collect());
        let outputs = self.net.run(input)?;
        let (boxes, scores) = (&outputs[0].data, &outputs[1].data);
        let mut found = Vec::new();
        for (i, a) in self.anchors.iter().enumerate() {
            for (label, class) in Label::ALL {
                let score = sigmoid(scores[i * CLASSES + class]);
                if score < min_score {
                    continue;
                }
                let r = &boxes[i * 4..i * 4 + 4]; // ty, tx, th, tw
                let cy = r[0] / SCALE_XY * a.h + a.cy;
                let cx = r[1] / SCALE_XY * a.w + a.cx;
                let bh = (r[2] / SCALE_WH).exp() * a.h;
                let bw = (r[3] / SCALE_WH).exp() * a.w;
                // Boxes may run past the border; callers get them clipped to the photo.
                let Some(rect) = Rect::from_center(cx * w, cy * h, bw * w, bh * h).clip(w, h) else {
                    continue;
                };
                found.push(Detection { label, score, rect });
            }
        }
        let mut kept = Vec::new();
        for (label, _) in Label::ALL {
            kept.extend(nms(found.iter().filter(|d| d.label == label).cloned().collect(), NMS_IOU));
        }
        kept.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(kept)
    }
}
