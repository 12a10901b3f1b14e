//! Writing and reading the trained embedding head inside the embedder's ONNX file (`vitrine
//! train` writes, `vitrine eval` and the tests read). Native only, behind the `train` feature:
//! the runtime never needs the head type.

use prost::Message;

use super::{pb, pb_tensor, raw_f32s};
use crate::error::{Error, Result};
use crate::head::{Head, Layer, QuantizedWeights};
use crate::tail::{Block, Conv, Tail};

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

/// Where the backbone's trainable tail ([`Tail`]) sits in its graph: the last `3 x blocks + 1`
/// `Conv` nodes (each block's expand, depthwise, project, then conv_head), checked to have that
/// form.
struct TailNodes {
    /// Indices of the Conv nodes in `graph.node`, in order.
    convs: Vec<usize>,
    /// The tensor the tail takes (the trunk's output).
    input: String,
}

/// The most MBConv blocks a tail may take: those at stride 1 on the 7 x 7 map, EfficientNet-Lite0's
/// last stage (1 block) and the last 3 of the 4 of the stage before it, whose first block halves
/// the map (Tan & Le 2019, Table 1, stages 7-8).
pub const MAX_TAIL_BLOCKS: usize = 4;

fn tail_nodes(file: &str, graph: &pb::GraphProto, blocks: usize) -> Result<TailNodes> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    if !(1..=MAX_TAIL_BLOCKS).contains(&blocks) {
        return Err(fail(format!("a tail of {blocks} blocks: give 1 to {MAX_TAIL_BLOCKS}")));
    }
    let convs: Vec<usize> =
        (graph.node.iter().enumerate()).filter(|(_, n)| n.op_type == "Conv").map(|(i, _)| i).collect();
    let count = 3 * blocks + 1;
    if convs.len() < count {
        return Err(fail(format!("has fewer than {count} convolutions: not EfficientNet-Lite0")));
    }
    let convs = convs[convs.len() - count..].to_vec();
    // Between and after them only ReLU6 (Clip), the skips (Add), the global average pool and
    // the head's nodes.
    let allowed = ["Clip", "ReduceMean", "LpNormalization", "DequantizeLinear", "MatMul", "Add", "Relu"];
    if let Some(n) =
        graph.node[convs[0]..].iter().find(|n| n.op_type != "Conv" && !allowed.contains(&n.op_type.as_str()))
    {
        return Err(fail(format!(
            "has a {} node in its last {blocks} blocks: not EfficientNet-Lite0's tail",
            n.op_type
        )));
    }
    // The candle tail runs stride 1 only (the 7 x 7 map throughout).
    let strided =
        |n: &pb::NodeProto| n.attribute.iter().any(|a| a.name == "strides" && a.ints.iter().any(|&s| s != 1));
    if let Some(&n) = convs.iter().find(|&&n| strided(&graph.node[n])) {
        return Err(fail(format!(
            "{} has a stride: the last {blocks} blocks are not all on one map; train fewer",
            graph.node[n].name
        )));
    }
    Ok(TailNodes { input: graph.node[convs[0]].input[0].clone(), convs })
}

/// The initializer `name`, or the int8 initializer behind the `DequantizeLinear` whose output is
/// `name`: its index and, for the latter, the scale initializer's index.
fn weight_source(graph: &pb::GraphProto, name: &str) -> Option<(usize, Option<usize>)> {
    let init = |n: &str| graph.initializer.iter().position(|t| t.name == n);
    if let Some(i) = init(name) {
        return Some((i, None));
    }
    let node = graph
        .node
        .iter()
        .find(|n| n.op_type == "DequantizeLinear" && n.output.first().is_some_and(|o| o == name))?;
    Some((init(node.input.first()?)?, Some(init(node.input.get(1)?)?)))
}

/// The trainable tail of `backbone` (EfficientNet-Lite0 as models/build writes it: int8 weights
/// behind `DequantizeLinear`, batch norm folded) with its last `blocks` MBConv blocks: its
/// convolutions' weights in f32, and the name of the tensor it takes.
///
/// Errors: [`Error::Model`] naming `file` when the graph does not end in that form, or `blocks`
/// is not 1 to [`MAX_TAIL_BLOCKS`].
pub fn read_tail(file: &str, backbone: &[u8], blocks: usize) -> Result<(Tail, String)> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    let model = pb::ModelProto::decode(backbone).map_err(|e| fail(format!("not an ONNX model ({e})")))?;
    let graph = model.graph.as_ref().ok_or_else(|| fail("has no graph".into()))?;
    let (tail, nodes) = tail_in(file, graph, blocks)?;
    Ok((tail, nodes.input))
}

/// [`read_tail`] on a decoded graph: the tail and where its nodes are.
fn tail_in(file: &str, graph: &pb::GraphProto, blocks: usize) -> Result<(Tail, TailNodes)> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    let nodes = tail_nodes(file, graph, blocks)?;
    let conv = |n: usize| -> Result<Conv> {
        let node = &graph.node[n];
        let source = |name: Option<&String>| {
            name.and_then(|name| weight_source(graph, name))
                .ok_or_else(|| fail(format!("{}: weights not stored", node.name)))
        };
        let (w, scale) = source(node.input.get(1))?;
        let w = &graph.initializer[w];
        let [outputs, inputs_per_group, kh, kw] = w.dims[..] else {
            return Err(fail(format!("{}: weights are not 4-d", node.name)));
        };
        let weights = match scale {
            Some(s) => {
                let scales = raw_f32s(&graph.initializer[s]);
                let per_output = w.raw_data.len() / outputs.max(1) as usize;
                if scales.len() != outputs as usize || per_output == 0 {
                    return Err(fail(format!("{}: not one int8 scale per output channel", node.name)));
                }
                (w.raw_data.chunks(per_output).zip(&scales))
                    .flat_map(|(q, s)| q.iter().map(move |&v| v as i8 as f32 * s))
                    .collect()
            }
            None => raw_f32s(w),
        };
        let bias = match node.input.get(2) {
            Some(b) => raw_f32s(&graph.initializer[source(Some(b))?.0]),
            None => vec![0.0; outputs as usize],
        };
        if kh != kw
            || weights.len() != (outputs * inputs_per_group * kh * kw) as usize
            || bias.len() != outputs as usize
        {
            return Err(fail(format!("{}: inconsistent weight sizes", node.name)));
        }
        Ok(Conv {
            outputs: outputs as usize,
            inputs_per_group: inputs_per_group as usize,
            kernel: kh as usize,
            weights,
            bias,
        })
    };
    let mut convs = nodes.convs.iter().map(|&n| conv(n)).collect::<Result<Vec<Conv>>>()?;
    let head_conv = convs.pop().expect("tail_nodes gives 3 x blocks + 1 convolutions");
    let mut parts = convs.into_iter();
    let blocks: Vec<Block> = std::iter::from_fn(|| {
        Some(Block { expand: parts.next()?, depthwise: parts.next()?, project: parts.next()? })
    })
    .collect();
    let mut width = blocks[0].expand.inputs_per_group;
    for b in &blocks {
        let (e, d, p) = (&b.expand, &b.depthwise, &b.project);
        let shaped = e.kernel == 1
            && e.inputs_per_group == width
            && d.inputs_per_group == 1
            && d.outputs == e.outputs
            && d.kernel % 2 == 1
            && p.kernel == 1
            && p.inputs_per_group == d.outputs;
        if !shaped {
            return Err(fail(
                "its last blocks are not expand 1x1, depthwise k x k (k odd), project 1x1".into(),
            ));
        }
        width = p.outputs;
    }
    if head_conv.kernel != 1 || head_conv.inputs_per_group != width {
        return Err(fail("its last convolution is not conv_head (1x1 on the last block)".into()));
    }
    // A block that keeps its width adds its input back (MBConv's skip): one Add each.
    let adds = (graph.node[nodes.convs[0]..*nodes.convs.last().unwrap_or(&0)].iter())
        .filter(|n| n.op_type == "Add")
        .count();
    if adds != blocks.iter().filter(|b| b.skip()).count() {
        return Err(fail("its last blocks' skips (Add) are not where their widths put them".into()));
    }
    Ok((Tail { blocks, head_conv }, nodes))
}

/// `backbone` cut before its tail of `blocks` blocks: the graph that gives the activations
/// [`read_tail`]'s tail takes (`[1, channels, 7, 7]` for a 224x224 input), as its one output
/// named like that tensor.
pub fn trunk(file: &str, backbone: &[u8], blocks: usize) -> Result<(Vec<u8>, String)> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    let mut model = pb::ModelProto::decode(backbone).map_err(|e| fail(format!("not an ONNX model ({e})")))?;
    let graph = model.graph.as_mut().ok_or_else(|| fail("has no graph".into()))?;
    let nodes = tail_nodes(file, graph, blocks)?;
    // The nodes are in topological order: what comes before the tail's first convolution is all
    // the trunk needs (tract drops the weight nodes left unused).
    graph.node.truncate(nodes.convs[0]);
    graph.output = vec![pb::ValueInfoProto { name: nodes.input.clone(), ..Default::default() }];
    Ok((model.encode_to_vec(), nodes.input))
}

/// `backbone` with its tail's weights replaced by `tail`'s, stored as the recipe stores them
/// (int8 per output channel behind the same `DequantizeLinear` nodes; biases f32).
///
/// Errors: [`Error::Model`] when the graph has no such tail, `tail` has other shapes, or a bias
/// is stored int8.
pub fn replace_tail(file: &str, backbone: &[u8], tail: &Tail) -> Result<Vec<u8>> {
    let fail = |reason: String| Error::Model { file: file.to_string(), reason };
    let mut model = pb::ModelProto::decode(backbone).map_err(|e| fail(format!("not an ONNX model ({e})")))?;
    let graph = model.graph.as_mut().ok_or_else(|| fail("has no graph".into()))?;
    let (old, nodes) = tail_in(file, graph, tail.blocks.len())?;
    for (a, b) in old.convs().iter().zip(tail.convs()) {
        if (a.outputs, a.inputs_per_group, a.kernel, a.weights.len())
            != (b.outputs, b.inputs_per_group, b.kernel, b.weights.len())
        {
            return Err(fail("the trained tail's shapes are not this backbone's".into()));
        }
    }
    for (n, conv) in nodes.convs.into_iter().zip(tail.convs()) {
        let node = graph.node[n].clone();
        let (w, scale) = weight_source(graph, &node.input[1])
            .ok_or_else(|| fail(format!("{}: weights not stored", node.name)))?;
        match scale {
            Some(s) => {
                let (q, scales) = conv.quantize();
                graph.initializer[w].raw_data = q.iter().map(|&v| v as u8).collect();
                graph.initializer[s].raw_data = scales.iter().flat_map(|v| v.to_le_bytes()).collect();
            }
            None => {
                graph.initializer[w].raw_data = conv.weights.iter().flat_map(|v| v.to_le_bytes()).collect()
            }
        }
        let b = node
            .input
            .get(2)
            .and_then(|b| weight_source(graph, b))
            .ok_or_else(|| fail(format!("{}: no stored bias", node.name)))?;
        if b.1.is_some() {
            // The recipe quantizes weights only; f32 bytes in an int8 bias would be garbage.
            return Err(fail(format!(
                "{}: its bias is stored int8; vitrine writes f32 biases: export the backbone with f32 biases",
                node.name
            )));
        }
        graph.initializer[b.0].raw_data = conv.bias.iter().flat_map(|v| v.to_le_bytes()).collect();
    }
    Ok(model.encode_to_vec())
}
