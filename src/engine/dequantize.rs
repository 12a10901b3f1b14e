//! Load-time dequantization: the shipped models store int8 weights behind `DequantizeLinear`
//! nodes (4x smaller downloads); this folds them to f32 initializers before tract analyses the
//! graph, which is much faster than tract's own generic folding.

use super::{pb, pb_tensor, raw_f32s};

/// Replaces each `DequantizeLinear` of stored int8/uint8 weights by its f32 result. tract would
/// compute the same values while analysing the graph, but with a generic broadcasting loop per
/// element: 55-60% of a model's load time, natively and in the browser. Nodes in any other form
/// (non-raw storage, blocked scales, computed inputs) stay for tract.
pub fn dequantize_weights(graph: &mut pb::GraphProto) {
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
