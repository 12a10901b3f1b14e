#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md (issue 6), on this machine: the browser (tract vs
# onnxruntime-web per model, whole looks, first-load bytes, first and second visits over a slow link, the
# widget's wait after the press with and without preload), the
# same natively, per-op profiles of tract and onnxruntime, and catalog search (exact,
# instant-distance HNSW, faiss). Results in target/bench/*.json.
#   bench/bench.sh [RUNS] [SIZES]        (default 10 runs; sizes 10000,100000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
sizes=${2:-10000,100000}
bash scripts/setup.sh --browser
bash tests/fetch-photos.sh
bash scripts/build-web.sh
cargo build --release --bin vitrine
echo "[bench] browser: $(/usr/bin/chromium --version 2>/dev/null)"
node bench/bench-browser.js "$runs"
echo "[bench] first and second visits over a 20 Mbit/s link"
node bench/bench-first-visit.js 3 20 40
echo "[bench] the widget: press to rows over a 20 Mbit/s link, with and without preload"
node bench/bench-widget.js 3 20 40 10
echo "[bench] native look"
target/release/vitrine bench look --runs "$runs" --json target/bench/native.json
echo "[bench] where tract spends each model's time"
target/release/vitrine bench ops --runs "$runs" --json target/bench/ops.json
echo "[bench] search"
target/release/vitrine bench search --sizes "$sizes"
venv=target/bench/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet faiss-cpu==1.15.1 numpy==2.4.6
fi
"$venv/bin/pip" install --quiet onnxruntime==1.32.0 pillow==13.0.0
echo "[bench] where onnxruntime spends each model's time"
"$venv/bin/python" bench/ops_onnxruntime.py "$runs"
"$venv/bin/python" bench/search_faiss.py target/bench ${sizes//,/ }
