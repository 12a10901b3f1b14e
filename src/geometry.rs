//! Points, boxes and non-maximum suppression, shared by the two detectors and the garment boxes.
//! Unless a doc says otherwise, coordinates are pixels of the (working-size) photo.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub fn new(x: f32, y: f32) -> Point {
        Point { x, y }
    }

    pub fn distance(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    pub fn midpoint(self, other: Point) -> Point {
        Point::new((self.x + other.x) / 2.0, (self.y + other.y) / 2.0)
    }
}

/// An axis-aligned box, `x0 <= x1`, `y0 <= y1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Rect {
    pub fn new(x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1) }
    }

    pub fn from_center(cx: f32, cy: f32, w: f32, h: f32) -> Rect {
        Rect::new(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
    }

    /// The smallest box holding all `points`; `None` for no points.
    pub fn around(points: impl IntoIterator<Item = Point>) -> Option<Rect> {
        points.into_iter().fold(None, |acc, p| {
            Some(match acc {
                None => Rect::new(p.x, p.y, p.x, p.y),
                Some(r) => Rect::new(r.x0.min(p.x), r.y0.min(p.y), r.x1.max(p.x), r.y1.max(p.y)),
            })
        })
    }

    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    pub fn area(&self) -> f32 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    pub fn center(&self) -> Point {
        Point::new((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    pub fn contains(&self, p: Point) -> bool {
        (self.x0..=self.x1).contains(&p.x) && (self.y0..=self.y1).contains(&p.y)
    }

    pub fn intersection(&self, other: &Rect) -> Option<Rect> {
        let r = Rect {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        };
        (r.x0 < r.x1 && r.y0 < r.y1).then_some(r)
    }

    pub fn iou(&self, other: &Rect) -> f32 {
        let inter = self.intersection(other).map_or(0.0, |r| r.area());
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }

    /// Grows (or shrinks, for negative values) each side by the given fractions of the size.
    pub fn pad(&self, left: f32, top: f32, right: f32, bottom: f32) -> Rect {
        let (w, h) = (self.width(), self.height());
        Rect::new(self.x0 - left * w, self.y0 - top * h, self.x1 + right * w, self.y1 + bottom * h)
    }

    /// Clips the box to a `width` x `height` image; `None` when nothing is left.
    pub fn clip(&self, width: f32, height: f32) -> Option<Rect> {
        self.intersection(&Rect::new(0.0, 0.0, width, height))
    }

    /// The box in fractions of a `width` x `height` image.
    pub fn normalized(&self, width: f32, height: f32) -> Rect {
        Rect::new(self.x0 / width, self.y0 / height, self.x1 / width, self.y1 / height)
    }
}

/// Something with a box and a score, for the suppression below.
pub trait Scored {
    fn rect(&self) -> Rect;
    fn score(&self) -> f32;
}

/// Greedy non-maximum suppression: keeps the best box, drops every box overlapping it by more
/// than `iou`, repeats. Output is sorted by score, best first.
pub fn nms<T: Scored>(mut items: Vec<T>, iou: f32) -> Vec<T> {
    items.sort_by(|a, b| b.score().total_cmp(&a.score()));
    let mut kept: Vec<T> = Vec::new();
    for item in items {
        if kept.iter().all(|k| k.rect().iou(&item.rect()) <= iou) {
            kept.push(item);
        }
    }
    kept
}

/// MediaPipe's weighted suppression: each kept detection is the score-weighted mean of the
/// cluster of boxes overlapping the best one by more than `iou` (steadier than greedy NMS for
/// the pose detector's keypoints). `merge` averages a cluster given (item, weight) pairs.
pub fn weighted_nms<T: Scored + Clone>(
    mut items: Vec<T>,
    iou: f32,
    merge: impl Fn(&[(&T, f32)]) -> T,
) -> Vec<T> {
    items.sort_by(|a, b| b.score().total_cmp(&a.score()));
    let mut kept = Vec::new();
    while !items.is_empty() {
        let best = items[0].rect();
        let (cluster, rest): (Vec<T>, Vec<T>) =
            items.into_iter().partition(|item| item.rect().iou(&best) > iou || item.rect() == best);
        let total: f32 = cluster.iter().map(|c| c.score()).sum();
        let weights: Vec<(&T, f32)> = cluster.iter().map(|c| (c, c.score() / total)).collect();
        kept.push(merge(&weights));
        items = rest;
    }
    kept
}

/// A 2-D affine map `(u, v) -> (a*u + b*v + c, d*u + e*v + f)`, from model-input pixels to photo
/// pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    pub m: [f32; 6],
}

impl Affine {
    pub fn apply(&self, u: f32, v: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.m;
        (a * u + b * v + c, d * u + e * v + f)
    }

    /// The inverse map (photo pixels to input pixels). Every map built here is invertible.
    pub fn invert(&self) -> Affine {
        let [a, b, c, d, e, f] = self.m;
        let det = a * e - b * d;
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        Affine { m: [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)] }
    }

    /// The largest stretch factor: how many photo pixels one input pixel spans.
    pub fn scale(&self) -> f32 {
        let [a, b, _, d, e, _] = self.m;
        (a * a + d * d).sqrt().max((b * b + e * e).sqrt())
    }

    /// Maps a `size` x `size` input onto the axis-aligned box `(x0, y0, w, h)` of the photo.
    pub fn stretch(size: (usize, usize), x0: f32, y0: f32, w: f32, h: f32) -> Affine {
        Affine { m: [w / size.0 as f32, 0.0, x0, 0.0, h / size.1 as f32, y0] }
    }

    /// Maps a square `size` input onto the square around `rect` (same centre, side of its long
    /// side): MediaPipe's letterbox, which keeps the aspect ratio and pads the short side.
    pub fn square_around(size: usize, rect: &Rect) -> Affine {
        let side = rect.width().max(rect.height()).max(1.0);
        let c = rect.center();
        Affine::stretch((size, size), c.x - side / 2.0, c.y - side / 2.0, side, side)
    }

    /// Maps a `size` x `size` input onto a square of side `side` (photo pixels) centred at
    /// `(cx, cy)` and turned by `rotation` radians (clockwise in image coordinates).
    pub fn rotated_square(size: usize, cx: f32, cy: f32, side: f32, rotation: f32) -> Affine {
        let s = side / size as f32;
        let (sin, cos) = rotation.sin_cos();
        let half = size as f32 / 2.0;
        // photo = centre + R * (s * (input - half))
        let (a, b, d, e) = (cos * s, -sin * s, sin * s, cos * s);
        Affine { m: [a, b, cx - a * half - b * half, d, e, cy - d * half - e * half] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug)]
    struct Det(Rect, f32);
    impl Scored for Det {
        fn rect(&self) -> Rect {
            self.0
        }
        fn score(&self) -> f32 {
            self.1
        }
    }

    #[test]
    fn iou_of_half_overlapping_boxes_is_one_third() {
        let a = Rect::new(0.0, 0.0, 2.0, 1.0);
        let b = Rect::new(1.0, 0.0, 3.0, 1.0);
        assert!((a.iou(&b) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(a.iou(&Rect::new(5.0, 5.0, 6.0, 6.0)), 0.0);
    }

    #[test]
    fn nms_keeps_the_best_of_each_cluster() {
        let dets = vec![
            Det(Rect::new(0.0, 0.0, 10.0, 10.0), 0.6),
            Det(Rect::new(1.0, 1.0, 11.0, 11.0), 0.9),
            Det(Rect::new(50.0, 50.0, 60.0, 60.0), 0.7),
        ];
        let kept = nms(dets, 0.3);
        assert_eq!(kept.iter().map(|d| d.1).collect::<Vec<_>>(), vec![0.9, 0.7]);
    }

    #[test]
    fn weighted_nms_averages_the_cluster_by_score() {
        let dets =
            vec![Det(Rect::new(0.0, 0.0, 10.0, 10.0), 0.75), Det(Rect::new(2.0, 0.0, 12.0, 10.0), 0.25)];
        let kept = weighted_nms(dets, 0.3, |c| {
            let x0 = c.iter().map(|(d, w)| d.0.x0 * w).sum();
            Det(Rect::new(x0, 0.0, x0 + 10.0, 10.0), c[0].0 .1)
        });
        assert_eq!(kept.len(), 1);
        assert!((kept[0].0.x0 - 0.5).abs() < 1e-6);
        assert_eq!(kept[0].1, 0.75);
    }
}
