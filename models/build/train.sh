#!/usr/bin/env bash
# Trains the shipped embedder (issues 5 and 23): EfficientNet-Lite0's last MBConv block and
# conv_head fine-tuned together with a 128-d head on the clothing dataset (../shared, CC0) and
# Fashion-MNIST (Debian dataset-fashion-mnist), with the weighted triplet loss; writes
# models/vitrine_embedder.onnx and MANIFEST, then prints the test table. Deterministic: the same
# backbone, data and settings give the same bytes.
#
# Cost on the 2-core dev VM (no GPU): the trunk's activations of 4 views of every training item
# (~12 min, once; cached in target/features, ~1.4 GB), then 12 epochs (~26 min), then eval runs
# the new file on every item (~5 min). Peak memory ~1.7 GB. GNU time reports both when present.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --bin vitrine
vitrine="${CARGO_TARGET_DIR:-target}/release/vitrine"
data=(--dataset clothing --dataset fashion-mnist)
timed=()
if [ -x /usr/bin/time ]; then timed=(/usr/bin/time -f "train: %e s wall, %M KB max RSS"); fi
"${timed[@]}" "$vitrine" train "${data[@]}" --fine-tune --views 4 --epochs 12 --warmup-epochs 2 \
    --out models/vitrine_embedder.onnx
(cd models && sha256sum *.onnx > MANIFEST)
"$vitrine" eval "${data[@]}" --embedder models/vitrine_embedder.onnx --split test
