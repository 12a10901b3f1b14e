//! The only module that names tract types. It turns ONNX bytes into a runnable plan and runs it on
//! plain f32 tensors, so the model structs (and the rest of the crate) do not move when tract's
//! API does. The same code runs natively and on wasm32: models always come in as bytes.
//! [`dequantize`] folds the int8 weights at load time; `export` (native, `train` feature) writes
//! a trained head into the embedder's ONNX file.

use std::sync::Arc;

use prost::Message;
use tract_onnx::pb;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::Cost;
use tract_onnx::tract_core::plan;

use crate::error::{Error, Result};

pub mod dequantize;
#[cfg(feature = "train")]
pub mod export;
#[cfg(feature = "train")]
pub use export::{append_head, read_head, read_tail, replace_tail, trunk, MAX_TAIL_BLOCKS};

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
    multiply_adds: f64,
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
        let unreadable = |e: String| fail(format!("not a readable ONNX model ({e}); rebuild models/"));
        let mut proto = pb::ModelProto::decode(bytes).map_err(|e| unreadable(e.to_string()))?;
        if let Some(graph) = proto.graph.as_mut() {
            dequantize::dequantize_weights(graph);
        }
        let model =
            tract_onnx::onnx().model_for_proto_model(&proto).map_err(|e| unreadable(format!("{e:#}")))?;
        // The f32 weights now live in tract's graph: this copy would only raise the peak (wasm
        // memory never shrinks).
        drop(proto);
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
        let model = plan.model();
        let multiply_adds = model.nodes().iter().map(|node| multiply_adds(model, node)).sum();
        Ok(Net { file: file.to_string(), input_shape: input_shape.to_vec(), plan, multiply_adds })
    }

    /// The multiply-adds of one run: tract's count over the optimized plan (convolutions and
    /// matrix products) at the input shape given at load time. A look's cost in
    /// [`crate::look::Timing::multiply_adds`] is these summed over the runs it made.
    pub fn multiply_adds(&self) -> f64 {
        self.multiply_adds
    }

    /// Runs the network on one input of the shape given at load time.
    pub fn run(&self, input: Tensor) -> Result<Vec<Tensor>> {
        let fail = |reason: String| Error::Model { file: self.file.clone(), reason };
        let outputs =
            self.plan.run(tvec!(self.input(input)?)).map_err(|e| fail(format!("inference failed: {e:#}")))?;
        outputs
            .iter()
            .map(|t| {
                let t = t.cast_to::<f32>().map_err(|e| fail(format!("{e:#}")))?;
                let view = t.to_plain_array_view::<f32>().map_err(|e| fail(format!("{e:#}")))?;
                Ok(Tensor::new(view.shape().to_vec(), view.iter().copied().collect()))
            })
            .collect()
    }

    /// Runs the network once and times each step of the optimized plan with `clock` (ms), in
    /// execution order. The op names are tract's own (e.g. a convolution runs as an im2col or a
    /// packing step and an `OptMatMul`), so they say where tract spends the time; the
    /// multiply-adds, tract's own count, say how fast each step ran against the arithmetic it does.
    pub fn profile(&self, input: Tensor, clock: fn() -> f64) -> Result<Vec<Step>> {
        let fail = |reason: String| Error::Model { file: self.file.clone(), reason };
        let input = self.input(input)?;
        let model = self.plan.model();
        let mut steps = Vec::new();
        let mut state = plan::SimpleState::new(&self.plan).map_err(|e| fail(format!("{e:#}")))?;
        state
            .run_plan_with_eval(tvec!(input), |session, op_state, node, inputs| {
                let start = clock();
                let out = plan::eval(session, op_state, node, inputs);
                let ms = clock() - start;
                steps.push(Step {
                    op: node.op().name().to_string(),
                    node: node.name.clone(),
                    ms,
                    macs: multiply_adds(model, node),
                });
                out
            })
            .map_err(|e| fail(format!("inference failed: {e:#}")))?;
        Ok(steps)
    }

    /// `input` as tract's value, checked against the shape given at load time.
    fn input(&self, input: Tensor) -> Result<TValue> {
        let fail = |reason: String| Error::Model { file: self.file.clone(), reason };
        if input.shape != self.input_shape {
            return Err(fail(format!("input shape {:?}, expected {:?}", input.shape, self.input_shape)));
        }
        let tensor = tract_ndarray::ArrayD::from_shape_vec(input.shape, input.data)
            .map_err(|e| fail(e.to_string()))?;
        Ok(tensor.into_tvalue())
    }
}

/// One step of a profiled run (`Net::profile`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Step {
    /// tract's op name.
    pub op: String,
    /// The graph node's name.
    pub node: String,
    pub ms: f64,
    /// Multiply-adds the step does (tract's own count; 0 for ops that count none).
    pub macs: f64,
}

/// The multiply-adds tract counts for `node` (its cost model: convolutions and matrix products;
/// element-wise ops count none).
fn multiply_adds(model: &TypedModel, node: &TypedNode) -> f64 {
    let Ok(facts) = model.node_input_facts(node.id) else { return 0.0 };
    let Ok(costs) = node.op.cost(&facts) else { return 0.0 };
    costs
        .iter()
        .filter(|(cost, _)| matches!(cost, Cost::FMA(_)))
        .filter_map(|(_, n)| n.to_i64().ok())
        .sum::<i64>() as f64
}

/// A float tensor's values as stored in its raw (little-endian) bytes.
pub(crate) fn raw_f32s(t: &pb::TensorProto) -> Vec<f32> {
    t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

pub(crate) fn pb_tensor(
    name: String,
    dims: &[usize],
    data_type: pb::tensor_proto::DataType,
    raw_data: Vec<u8>,
) -> pb::TensorProto {
    pb::TensorProto {
        name,
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: data_type as i32,
        raw_data,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedder has int8 weights behind `DequantizeLinear` on axis 0 (convolutions) and axis
    /// 1 (the head's MatMul): folding them before tract sees the graph must give tract's own
    /// numbers.
    #[test]
    fn dequantized_weights_run_as_tract_would_run_them() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/vitrine_embedder.onnx");
        let bytes = std::fs::read(path).unwrap();
        let shape = [1, 3, 224, 224];
        let input: Vec<f32> =
            (0..shape.iter().product::<usize>()).map(|i| ((i * 7919) % 255) as f32 / 128.0 - 1.0).collect();

        let folded = Net::load("vitrine_embedder.onnx", &bytes, &shape, &["embedding"]).unwrap();
        let ours = folded.run(Tensor::new(shape.to_vec(), input.clone())).unwrap().remove(0).data;

        let proto = pb::ModelProto::decode(&*bytes).unwrap();
        let graph = proto.graph.as_ref().unwrap();
        let stored = graph.node.iter().filter(|n| n.op_type == "DequantizeLinear").count();
        let mut copy = graph.clone();
        dequantize::dequantize_weights(&mut copy);
        assert!(stored >= 50 && copy.node.iter().all(|n| n.op_type != "DequantizeLinear"));
        assert!(copy.initializer.iter().all(|t| t.data_type != pb::tensor_proto::DataType::Int8 as i32));

        let plan = tract_onnx::onnx()
            .model_for_proto_model(&proto)
            .unwrap()
            .with_input_fact(0, f32::fact(shape).into())
            .unwrap()
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap();
        let input = tract_ndarray::ArrayD::from_shape_vec(shape.to_vec(), input).unwrap().into_tvalue();
        let theirs = plan.run(tvec!(input)).unwrap().remove(0);
        let theirs = theirs.to_plain_array_view::<f32>().unwrap();
        assert_eq!(ours.len(), 128);
        for (a, b) in ours.iter().zip(theirs.iter()) {
            assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}
