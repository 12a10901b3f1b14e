//! The only module that names tract types. It turns ONNX bytes into a runnable plan and runs it on
//! plain f32 tensors, so the model structs (and the rest of the crate) do not move when tract's
//! API does. The same code runs natively and on wasm32: models always come in as bytes.

use std::sync::Arc;

use prost::Message;
use tract_onnx::pb;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::Cost;
use tract_onnx::tract_core::plan;

use crate::error::{Error, Result};
use crate::head::{Head, Layer, QuantizedWeights};

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
        let unreadable = |e: String| fail(format!("not a readable ONNX model ({e}); rebuild models/"));
        let mut proto = pb::ModelProto::decode(bytes).map_err(|e| unreadable(e.to_string()))?;
        if let Some(graph) = proto.graph.as_mut() {
            dequantize_weights(graph);
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
        Ok(Net { file: file.to_string(), input_shape: input_shape.to_vec(), plan })
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

/// Replaces each `DequantizeLinear` of stored int8/uint8 weights by its f32 result. tract would
/// compute the same values while analysing the graph, but with a generic broadcasting loop per
/// element: 55-60% of a model's load time, natively and in the browser. Nodes in any other form
/// (non-raw storage, blocked scales, computed inputs) stay for tract.
fn dequantize_weights(graph: &mut pb::GraphProto) {
    use pb::tensor_proto::DataType;
    let raw = |name: &str| graph.initializer.iter().position(|t| t.name == name && !t.raw_data.is_empty());
    let mut folded = Vec::new();
    for (n, node) in graph.node.iter().enumerate() {
        if node.op_type != "DequantizeLinear" || node.output.len() != 1 || node.input.len() < 2 {
            continue;
        }
        let attr = |name: &str| node.attribute.iter().find(|a| a.name == name).map(|a| a.i);
        if attr("block_size").is_some_and(|b| b != 0) {
            continue;
        }
        let Some(inputs) = node.input.iter().map(|i| raw(i)).collect::<Option<Vec<usize>>>() else {
            continue;
        };
        let (x, scale) = (&graph.initializer[inputs[0]], &graph.initializer[inputs[1]]);
        let zero = inputs.get(2).map(|&i| &graph.initializer[i]);
        let signed = match DataType::try_from(x.data_type) {
            Ok(DataType::Int8) => true,
            Ok(DataType::Uint8) => false,
            _ => continue,
        };
        let dims: Vec<usize> = x.dims.iter().map(|&d| d as usize).collect();
        let count: usize = dims.iter().product();
        let axis = attr("axis").unwrap_or(1);
        let axis = if axis < 0 { axis + dims.len() as i64 } else { axis } as usize;
        let channels =
            if scale.dims.is_empty() || scale.dims == [1] { 1 } else { dims.get(axis).copied().unwrap_or(0) };
        let scales = raw_f32s(scale);
        let value = |b: u8| if signed { b as i8 as f32 } else { b as f32 };
        let zeros: Vec<f32> = match zero {
            Some(z) if z.data_type == x.data_type => z.raw_data.iter().map(|&b| value(b)).collect(),
            Some(_) => continue,
            None => vec![0.0; channels],
        };
        if x.raw_data.len() != count || channels == 0 || scales.len() != channels || zeros.len() != channels {
            continue;
        }
        // Per axis, runs of `inner` values share a channel; the channels repeat in that order.
        let inner: usize = if channels == 1 { count } else { dims[axis + 1..].iter().product() };
        let mut data = Vec::with_capacity(4 * count);
        for (run, values) in x.raw_data.chunks(inner.max(1)).enumerate() {
            let (zero, scale) = (zeros[run % channels], scales[run % channels]);
            values.iter().for_each(|&b| data.extend_from_slice(&((value(b) - zero) * scale).to_le_bytes()));
        }
        folded.push((n, pb_tensor(node.output[0].clone(), &dims, DataType::Float, data)));
    }
    let weights: Vec<String> =
        folded.iter().flat_map(|(n, _)| graph.node[*n].input.iter().take(3).cloned()).collect();
    for (n, _) in folded.iter().rev() {
        graph.node.remove(*n);
    }
    graph.initializer.extend(folded.into_iter().map(|(_, t)| t));
    // The int8 tensors go unless something else still reads them (a subgraph might: keep all).
    if graph.node.iter().any(|n| n.attribute.iter().any(|a| a.g.is_some() || !a.graphs.is_empty())) {
        return;
    }
    let read: std::collections::HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter())
        .chain(graph.input.iter().map(|i| &i.name))
        .chain(graph.output.iter().map(|o| &o.name))
        .map(String::as_str)
        .collect();
    let unread: std::collections::HashSet<String> =
        weights.into_iter().filter(|w| !read.contains(w.as_str())).collect();
    graph.initializer.retain(|t| !unread.contains(&t.name));
}

/// A float tensor's values as stored in its raw (little-endian) bytes.
fn raw_f32s(t: &pb::TensorProto) -> Vec<f32> {
    t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn pb_tensor(
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

fn pb_node(op: &str, inputs: &[&str], output: &str, attributes: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attributes,
        ..Default::default()
    }
}

fn pb_int(name: &str, i: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i,
        ..Default::default()
    }
}

/// Writes the shipped embedder: the `backbone` ONNX model (one output, the pooled feature
/// [1, n]) with `head` appended after an L2 normalisation (the head was trained on unit-length
/// features), its weights int8 behind `DequantizeLinear` like the backbone's convolutions. The
/// one output is renamed `output` ([1, head.dim()]); `metadata` goes into the model's
/// metadata_props (what trained it).
pub fn append_head(
    file: &str,
    backbone: &[u8],
    head: &Head,
    output: &str,
    metadata: &[(&str, String)],
) -> Result<Vec<u8>> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    let mut model = pb::ModelProto::decode(backbone).map_err(|e| fail(format!("not an ONNX model ({e})")))?;
    let graph = model.graph.as_mut().ok_or_else(|| fail("has no graph".into()))?;
    let [feature] = &mut graph.output[..] else {
        return Err(fail(format!("has {} outputs, expected one (the pooled feature)", graph.output.len())));
    };
    let mut x = feature.name.clone();
    feature.name = output.into();
    if let Some(pb::type_proto::Value::TensorType(t)) = feature.r#type.as_mut().and_then(|t| t.value.as_mut())
    {
        if let Some(shape) = t.shape.as_mut() {
            if let Some(last) = shape.dim.last_mut() {
                last.value = Some(pb::tensor_shape_proto::dimension::Value::DimValue(head.dim() as i64));
            }
        }
    }
    let p2 = pb_int("p", 2);
    graph.node.push(pb_node("LpNormalization", &[&x], "head.input", vec![pb_int("axis", -1), p2]));
    x = "head.input".into();
    for (i, layer) in head.layers.iter().enumerate() {
        let QuantizedWeights { q, scales } = layer.quantize();
        let name = |part: &str| format!("head.{i}.{part}");
        let f32_bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        use pb::tensor_proto::DataType::{Float, Int8};
        graph.initializer.extend([
            pb_tensor(
                name("weight_q"),
                &[layer.inputs, layer.outputs],
                Int8,
                q.iter().map(|&v| v as u8).collect(),
            ),
            pb_tensor(name("weight_scale"), &[layer.outputs], Float, f32_bytes(&scales)),
            pb_tensor(name("weight_zero"), &[layer.outputs], Int8, vec![0; layer.outputs]),
            pb_tensor(name("bias"), &[layer.outputs], Float, f32_bytes(&layer.bias)),
        ]);
        let last = i + 1 == head.layers.len();
        let (w, mm, out) =
            (name("weight"), name("matmul"), if last { output.to_string() } else { name("add") });
        graph.node.push(pb_node(
            "DequantizeLinear",
            &[&name("weight_q"), &name("weight_scale"), &name("weight_zero")],
            &w,
            vec![pb_int("axis", 1)],
        ));
        graph.node.push(pb_node("MatMul", &[&x, &w], &mm, vec![]));
        graph.node.push(pb_node("Add", &[&mm, &name("bias")], &out, vec![]));
        x = out;
        if !last {
            graph.node.push(pb_node("Relu", &[&x], &name("relu"), vec![]));
            x = name("relu");
        }
    }
    model.metadata_props.extend(
        metadata.iter().map(|(k, v)| pb::StringStringEntryProto { key: k.to_string(), value: v.clone() }),
    );
    Ok(model.encode_to_vec())
}

/// The head that `append_head` wrote into `bytes` (int8 weights as stored, scaled back), and the
/// model's metadata_props.
pub fn read_head(file: &str, bytes: &[u8]) -> Result<(Head, Vec<(String, String)>)> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    let model = pb::ModelProto::decode(bytes).map_err(|e| fail(format!("not an ONNX model ({e})")))?;
    let graph = model.graph.as_ref().ok_or_else(|| fail("has no graph".into()))?;
    let find = |name: String| {
        graph.initializer.iter().find(|t| t.name == name).ok_or_else(|| fail(format!("has no tensor {name}")))
    };
    let mut layers = Vec::new();
    while let Ok(q) = find(format!("head.{}.weight_q", layers.len())) {
        let i = layers.len();
        let [inputs, outputs] = q.dims[..] else {
            return Err(fail(format!("head.{i}.weight_q is not a matrix")));
        };
        let (inputs, outputs) = (inputs as usize, outputs as usize);
        let scales = raw_f32s(find(format!("head.{i}.weight_scale"))?);
        let bias = raw_f32s(find(format!("head.{i}.bias"))?);
        if q.raw_data.len() != inputs * outputs || scales.len() != outputs || bias.len() != outputs {
            return Err(fail(format!("head layer {i} has inconsistent sizes")));
        }
        let weights = q
            .raw_data
            .chunks(outputs)
            .flat_map(|row| row.iter().zip(&scales).map(|(&v, s)| v as i8 as f32 * s))
            .collect();
        layers.push(Layer { inputs, outputs, weights, bias });
    }
    if layers.is_empty() {
        return Err(fail("has no trained head (made by `vitrine train`?)".into()));
    }
    let metadata = model.metadata_props.iter().map(|e| (e.key.clone(), e.value.clone())).collect();
    Ok((Head { layers }, metadata))
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
        dequantize_weights(&mut copy);
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
