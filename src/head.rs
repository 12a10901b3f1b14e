//! The embedding head trained by `vitrine train` (issue 5): dense layers with ReLU between them,
//! applied to the backbone's unit-length feature. Plain data, so the CLI can apply it to cached
//! features without the model, and `engine` can write it into the shipped embedder. Weights are
//! shipped as int8 with one scale per output (as the convolutions are): `quantized` gives the
//! head exactly as the ONNX file holds it.

use serde::{Deserialize, Serialize};

use crate::vector::{int8_scale, to_int8};

/// One dense layer, `weights` row-major `inputs x outputs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

/// A layer's weights as int8: `w[i][j] ~= q[i][j] * scales[j]`.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedWeights {
    pub q: Vec<i8>,
    pub scales: Vec<f32>,
}

impl Layer {
    /// Symmetric int8, one scale per output column (max |w| / 127).
    pub fn quantize(&self) -> QuantizedWeights {
        let mut scales = vec![0.0f32; self.outputs];
        for row in self.weights.chunks(self.outputs) {
            scales.iter_mut().zip(row).for_each(|(s, w)| *s = s.max(w.abs()));
        }
        scales.iter_mut().for_each(|s| *s = int8_scale(*s));
        let q = (self.weights.chunks(self.outputs))
            .flat_map(|row| row.iter().zip(&scales).map(|(&w, &s)| to_int8(w, s)))
            .collect();
        QuantizedWeights { q, scales }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub layers: Vec<Layer>,
}

impl Head {
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    pub fn dim(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// The head with its weights rounded to int8 and back: what the shipped file computes.
    pub fn quantized(&self) -> Head {
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let QuantizedWeights { q, scales } = l.quantize();
                let weights = q
                    .chunks(l.outputs)
                    .flat_map(|row| row.iter().zip(&scales).map(|(&q, s)| q as f32 * s))
                    .collect();
                Layer { weights, ..l.clone() }
            })
            .collect();
        Head { layers }
    }

    /// The head's output for one backbone feature (not normalised).
    pub fn embed(&self, feature: &[f32]) -> Vec<f32> {
        let mut x = feature.to_vec();
        for (i, layer) in self.layers.iter().enumerate() {
            let mut y = layer.bias.clone();
            for (xi, row) in x.iter().zip(layer.weights.chunks(layer.outputs)) {
                y.iter_mut().zip(row).for_each(|(yj, w)| *yj += xi * w);
            }
            if i + 1 < self.layers.len() {
                y.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            x = y;
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_weights_stay_within_half_a_step_per_output() {
        let weights: Vec<f32> =
            (0..12).map(|i| ((i * 37 % 11) as f32 - 5.0) * if i % 3 == 2 { 0.01 } else { 1.0 }).collect();
        let layer = Layer { inputs: 4, outputs: 3, weights: weights.clone(), bias: vec![0.0; 3] };
        let QuantizedWeights { q, scales } = layer.quantize();
        // Column 2 holds small weights: its own scale keeps them from rounding to zero.
        assert!(scales[2] < scales[0] / 50.0, "{scales:?}");
        let back = Head { layers: vec![layer] }.quantized().layers.remove(0).weights;
        for (j, (w, b)) in weights.iter().zip(&back).enumerate() {
            assert!((w - b).abs() <= scales[j % 3] / 2.0 + 1e-7, "{w} -> {b} ({:?})", q);
        }
    }
}
