"""onnxruntime's side of `vitrine bench ops` (issue 6): each shipped model natively, one thread,
its own profiler (SessionOptions.enable_profiling), per op type: the median over the runs of each
node's kernel time, summed. The input is the photo stretched to the model's input in [0, 1] (as
tract's, but resized by Pillow: the timings do not depend on the values). Writes
target/bench/ops-onnxruntime.json.

    python bench/ops_onnxruntime.py [RUNS]        (from the repository root)
"""
import collections
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

MODELS = ["pose_detector.onnx", "pose_landmarks_full.onnx", "pose_landmarks_lite.onnx",
          "ssd_oidv4.onnx", "vitrine_embedder.onnx"]


def profile(path, photo, runs, tmp):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    opts.enable_profiling = True
    opts.profile_file_prefix = os.path.join(tmp, path.stem)
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    nchw = shape[1] == 3
    h, w = (shape[2], shape[3]) if nchw else (shape[1], shape[2])
    x = np.asarray(photo.resize((w, h), Image.BILINEAR), dtype=np.float32)[None] / 255
    x = np.ascontiguousarray(x.transpose(0, 3, 1, 2) if nchw else x)
    for _ in range(runs + 1):  # the first run is left out below
        session.run(None, {session.get_inputs()[0].name: x})
    events = json.load(open(session.end_profiling()))
    per_node, model_runs = collections.defaultdict(list), []
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_node[(e["args"]["op_name"], e["name"][: -len("_kernel_time")])].append(e["dur"] / 1e3)
        elif e.get("cat") == "Session" and e["name"] == "model_run":
            model_runs.append(e["dur"] / 1e3)
    by_op = collections.defaultdict(lambda: [0.0, 0])
    for (op, _), ms in per_node.items():
        by_op[op][0] += float(np.median(ms[1:]))
        by_op[op][1] += 1
    ops = sorted(({"op": op, "ms": ms, "nodes": n} for op, (ms, n) in by_op.items()), key=lambda o: -o["ms"])
    return {"file": path.name, "run_median_ms": float(np.median(model_runs[1:])), "ops": ops}


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    photo = Image.open("tests/photos/messi5.jpg").convert("RGB")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in MODELS:
            row = profile(Path("models") / name, photo, runs, tmp)
            total = sum(o["ms"] for o in row["ops"])
            print(f"\n{name}: onnxruntime {ort.__version__}, one thread, run median {row['run_median_ms']:.1f} ms, "
                  f"nodes {total:.1f} ms\n\n| op | ms | share | nodes |\n|---|---|---|---|")
            for o in row["ops"]:
                print(f"| {o['op']} | {o['ms']:.2f} | {100 * o['ms'] / total:.0f}% | {o['nodes']} |")
            rows.append(row)
    out = Path("target/bench/ops-onnxruntime.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
