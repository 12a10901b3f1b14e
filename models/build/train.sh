#!/usr/bin/env bash
# Trains the shipped embedder (issue 5): the head on frozen EfficientNet-Lite0 features of the
# clothing dataset (../shared, CC0) and Fashion-MNIST (Debian dataset-fashion-mnist), with the
# weighted triplet loss; writes models/vitrine_embedder.onnx and MANIFEST, then prints the test
# table. Deterministic: the same backbone, data and settings give the same bytes. Backbone
# features are cached in target/features (~4 min to compute on a 2-core machine, once).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --bin vitrine
data=(--dataset clothing --dataset fashion-mnist)
target/release/vitrine train "${data[@]}" --out models/vitrine_embedder.onnx
(cd models && sha256sum *.onnx > MANIFEST)
target/release/vitrine eval "${data[@]}" --embedder models/vitrine_embedder.onnx --split test
