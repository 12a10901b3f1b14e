#!/usr/bin/env bash
# Rebuilds every models/*.onnx, models/reference/* and models/MANIFEST from the registry packages,
# in a venv of its own (multi-GB: TensorFlow + torch; CI never runs this). Deterministic: running
# it twice gives the same bytes (check with `sha256sum -c models/MANIFEST`).
#   models/build/build.sh            # venv in models/build/.venv, work files in models/build/work
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
models=$(dirname "$here")
venv=${VITRINE_MODELS_VENV:-$here/.venv}
work=$here/work
mkdir -p "$work/sources"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/pip" freeze | diff -q - <(grep -v '^#' "$here/requirements.lock") >/dev/null; then
  echo "[build] creating $venv from requirements.lock"
  python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip==24.3.1
  "$venv/bin/pip" install -q --no-deps -r "$here/requirements.lock"
fi

echo "[build] fetching sources"
cd "$work/sources"
[ -s mediapipe-pose-0.5.1675469404.tgz ] || npm pack -q @mediapipe/pose@0.5.1675469404 >/dev/null
[ -s mediapipe-objectron-0.4.1675468480.tgz ] || npm pack -q @mediapipe/objectron@0.4.1675468480 >/dev/null
sha256sum -c "$here/sources.sha256"
rm -rf pose objectron && mkdir pose objectron
tar xzf mediapipe-pose-0.5.1675469404.tgz -C pose
tar xzf mediapipe-objectron-0.4.1675468480.tgz -C objectron
"$models/../tests/fetch-photos.sh" "$work/photos" >/dev/null

echo "[build] converting"
# One thread and fixed seeds keep the conversion and the measured drift repeatable.
export OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=2
"$venv/bin/python" "$here/convert.py" "$work/sources" "$work/photos" "$models"

cd "$models"
sha256sum *.onnx > MANIFEST
cat MANIFEST
echo "[build] done; numbers for the model cards are in $work/report.json"
