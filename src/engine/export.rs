//! Writing and reading the trained embedding head inside the embedder's ONNX file (`vitrine
//! train` writes, `vitrine eval` and the tests read). Native only, behind the `train` feature:
//! the runtime never needs the head type.

use prost::Message;

use super::{pb, pb_tensor, raw_f32s};
use crate::error::{Error, Result};
use crate::head::{Head, Layer, QuantizedWeights};

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
