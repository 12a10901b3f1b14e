//! MediaPipe's SSD anchor grid (`SsdAnchorsCalculator`), shared by the BlazePose detector and the
//! OpenImages SSD: the raw outputs are offsets from these anchors, in this exact order.

/// One anchor: centre and size in fractions of the model input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    pub cx: f32,
    pub cy: f32,
    pub w: f32,
    pub h: f32,
}

pub struct AnchorOptions {
    pub input_size: usize,
    pub min_scale: f32,
    pub max_scale: f32,
    pub strides: &'static [usize],
    pub aspect_ratios: &'static [f32],
    pub reduce_boxes_in_lowest_layer: bool,
    pub interpolated_scale_aspect_ratio: f32,
    /// Every anchor 1 x 1 (the regressors then carry the whole size).
    pub fixed_anchor_size: bool,
}

fn layer_scale(o: &AnchorOptions, layer: usize) -> f32 {
    let n = o.strides.len();
    if n == 1 {
        (o.min_scale + o.max_scale) / 2.0
    } else {
        o.min_scale + (o.max_scale - o.min_scale) * layer as f32 / (n - 1) as f32
    }
}

pub fn ssd_anchors(o: &AnchorOptions) -> Vec<Anchor> {
    let n = o.strides.len();
    let mut anchors = Vec::new();
    let mut layer = 0;
    while layer < n {
        // Layers with the same stride share one feature map: their anchors interleave per cell.
        let mut sizes: Vec<(f32, f32)> = Vec::new(); // (scale, aspect ratio)
        let mut last = layer;
        while last < n && o.strides[last] == o.strides[layer] {
            let scale = layer_scale(o, last);
            if last == 0 && o.reduce_boxes_in_lowest_layer {
                sizes.extend([(0.1, 1.0), (scale, 2.0), (scale, 0.5)]);
            } else {
                sizes.extend(o.aspect_ratios.iter().map(|&r| (scale, r)));
                if o.interpolated_scale_aspect_ratio > 0.0 {
                    let next = if last == n - 1 { 1.0 } else { layer_scale(o, last + 1) };
                    sizes.push(((scale * next).sqrt(), o.interpolated_scale_aspect_ratio));
                }
            }
            last += 1;
        }
        let cells = o.input_size.div_ceil(o.strides[layer]);
        for y in 0..cells {
            for x in 0..cells {
                for &(scale, ratio) in &sizes {
                    let (w, h) = if o.fixed_anchor_size {
                        (1.0, 1.0)
                    } else {
                        (scale * ratio.sqrt(), scale / ratio.sqrt())
                    };
                    let cx = (x as f32 + 0.5) / cells as f32;
                    let cy = (y as f32 + 0.5) / cells as f32;
                    anchors.push(Anchor { cx, cy, w, h });
                }
            }
        }
        layer = last;
    }
    anchors
}
