//! The backbone's tail that `vitrine train --fine-tune` trains with the head: EfficientNet-Lite0's
//! last MBConv blocks (1x1 expand, depthwise k x k, 1x1 project; ReLU6 after the first two; the
//! input added back when the block keeps its width) and `conv_head` (1x1, 320 -> 1280, ReLU6),
//! before the global average pool. Tan & Le, "EfficientNet" (ICML 2019), Table 1: stage 8's one
//! block (3x3, 192 -> 320, no skip), before it stage 7's blocks (5x5, 192 -> 192, with skip),
//! and stage 9's conv; the Lite variant drops squeeze-and-excitation and uses ReLU6 (TensorFlow's
//! efficientnet-lite README). Batch norm is folded into each convolution's weights and bias in
//! the shipped file, so each convolution here is weights + bias. Plain data: `engine` reads it
//! from and writes it into the ONNX file, `train` turns it into candle variables.

use serde::{Deserialize, Serialize};

use crate::vector::{int8_scale, to_int8};

/// One convolution, weights in ONNX order `outputs x inputs_per_group x kernel x kernel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conv {
    pub outputs: usize,
    pub inputs_per_group: usize,
    /// Kernel side (square kernels only).
    pub kernel: usize,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Conv {
    /// Symmetric int8 with one scale per output channel (max |w| / 127), as models/build's
    /// recipe quantizes every convolution: `w ~= q * scales[output]`.
    pub fn quantize(&self) -> (Vec<i8>, Vec<f32>) {
        let per_output = self.weights.len() / self.outputs.max(1);
        let scales: Vec<f32> = (self.weights.chunks(per_output))
            .map(|w| int8_scale(w.iter().fold(0.0f32, |m, v| m.max(v.abs()))))
            .collect();
        let q = (self.weights.chunks(per_output).zip(&scales))
            .flat_map(|(w, &s)| w.iter().map(move |&v| to_int8(v, s)))
            .collect();
        (q, scales)
    }
}

/// One MBConv block at stride 1: expand, depthwise (`depthwise.kernel` square, zero padding
/// `kernel / 2`), project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub expand: Conv,
    pub depthwise: Conv,
    pub project: Conv,
}

impl Block {
    /// Whether the block adds its input to its output (MBConv's identity skip: stride 1 and the
    /// same width in and out).
    pub fn skip(&self) -> bool {
        self.project.outputs == self.expand.inputs_per_group
    }
}

/// The trained tail: input `[channels, 7, 7]` (the trunk's activations for a 224x224 input),
/// output the 1280-d feature before the average pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tail {
    /// The backbone's last MBConv blocks, in order (at least one).
    pub blocks: Vec<Block>,
    pub head_conv: Conv,
}

impl Tail {
    /// Channels of the activations the tail takes.
    pub fn inputs(&self) -> usize {
        self.blocks.first().map_or(self.head_conv.inputs_per_group, |b| b.expand.inputs_per_group)
    }

    /// Width of the pooled feature it gives.
    pub fn outputs(&self) -> usize {
        self.head_conv.outputs
    }

    /// Its convolutions, in graph order (each block's expand, depthwise, project; conv_head).
    pub fn convs(&self) -> Vec<&Conv> {
        (self.blocks.iter())
            .flat_map(|b| [&b.expand, &b.depthwise, &b.project])
            .chain([&self.head_conv])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_weights_keep_one_scale_per_output_channel() {
        let conv = Conv {
            outputs: 2,
            inputs_per_group: 3,
            kernel: 1,
            weights: vec![1.27, -0.5, 0.25, 0.0254, -0.01, 0.0],
            bias: vec![0.0; 2],
        };
        let (q, scales) = conv.quantize();
        // Channel 1's small weights get their own scale, so they do not round to zero.
        assert_eq!(q, vec![127, -50, 25, 127, -50, 0]);
        assert!((scales[1] - 0.0002).abs() < 1e-9, "{scales:?}");
    }
}
