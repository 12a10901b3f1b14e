//! The only module that names tract types. It turns ONNX bytes into a runnable plan and runs it on
//! plain f32 tensors, so the model structs (and the rest of the crate) do not move when tract's
//! API does. The same code runs natively and on wasm32: models always come in as bytes.

use std::sync::Arc;

use tract_onnx::prelude::*;

use crate::error::{Error, Result};

/// A dense f32 tensor in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Tensor {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Tensor { shape, data }
    }
}

/// One optimized ONNX network with a fixed input shape and named outputs.
pub struct Net {
    file: String,
    input_shape: Vec<usize>,
    plan: Arc<TypedRunnableModel>,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net").field("file", &self.file).field("input", &self.input_shape).finish()
    }
}

impl Net {
    /// Loads `bytes` (already checked against the manifest) with one f32 input of `input_shape`,
    /// and checks that the graph's outputs are exactly `outputs`, in that order: the model
    /// structs read outputs by position.
    pub fn load(file: &str, bytes: &[u8], input_shape: &[usize], outputs: &[&str]) -> Result<Net> {
        let fail = |reason: String| Error::Model { file: file.to_string(), reason };
        let model = tract_onnx::onnx()
            .model_for_read(&mut &*bytes)
            .map_err(|e| fail(format!("not a readable ONNX model ({e:#}); rebuild models/")))?;
        let names: Vec<String> = model
            .output_outlets()
            .map_err(|e| fail(format!("{e:#}")))?
            .iter()
            .map(|o| model.outlet_label(*o).unwrap_or(&model.node(o.node).name).to_string())
            .collect();
        if names != outputs {
            return Err(fail(format!("outputs are {names:?}, expected {outputs:?}")));
        }
        let plan = model
            .with_input_fact(0, f32::fact(input_shape).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| fail(format!("tract cannot run it: {e:#}")))?;
        Ok(Net { file: file.to_string(), input_shape: input_shape.to_vec(), plan })
    }

    /// Runs the network on one input of the shape given at load time.
    pub fn run(&self, input: Tensor) -> Result<Vec<Tensor>> {
        let fail = |reason: String| Error::Model { file: self.file.clone(), reason };
        if input.shape != self.input_shape {
            return Err(fail(format!("input shape {:?}, expected {:?}", input.shape, self.input_shape)));
        }
        let tensor = tract_ndarray::ArrayD::from_shape_vec(input.shape, input.data)
            .map_err(|e| fail(e.to_string()))?;
        let outputs = self
            .plan
            .run(tvec!(tensor.into_tvalue()))
            .map_err(|e| fail(format!("inference failed: {e:#}")))?;
        outputs
            .iter()
            .map(|t| {
                let t = t.cast_to::<f32>().map_err(|e| fail(format!("{e:#}")))?;
                let view = t.to_plain_array_view::<f32>().map_err(|e| fail(format!("{e:#}")))?;
                Ok(Tensor::new(view.shape().to_vec(), view.iter().copied().collect()))
            })
            .collect()
    }
}
