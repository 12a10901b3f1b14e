#!/usr/bin/env bash
# Builds the browser side into dist/: the wasm module twice (wasm-pack, offline: simd128, and
# simd128 + relaxed-simd for the browsers that have it, whose fused multiply-add speeds up the
# matrix and depthwise kernels of tract; the page picks one, see www/wasm.js), the default
# demo catalog index when it is missing or older than what makes it (the models, the index
# format, the catalog regions, the catalog's titles and the committed photos), the sample looks,
# the webpack bundle and its precompressed copies, and the benchmark page beside it (bench/webpack.config.js;
# bench/bench-browser.js runs it).
# VITRINE_PROFILE=dev uses the test build of the CLI (scripts/test.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${VITRINE_PROFILE:-release}

echo "[web] wasm-pack build (wasm32, simd128)"
wasm-pack --quiet build --target web --mode no-install --release --no-pack --out-dir pkg -- --no-default-features
echo "[web] wasm-pack build (wasm32, simd128 + relaxed-simd)"
# Its own target dir, so that neither build invalidates the other's cache.
RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" CARGO_TARGET_DIR=target/wasm-relaxed \
  wasm-pack --quiet build --target web --mode no-install --release --no-pack --out-dir target/pkg-relaxed -- --no-default-features
# Both modules must fit the one JS glue in pkg/: same exports, same imports.
cmp -s target/pkg-relaxed/vitrine.js pkg/vitrine.js || { echo "[web] the two wasm builds have different JS glue" >&2; exit 1; }
cp target/pkg-relaxed/vitrine_bg.wasm pkg/vitrine_relaxed_bg.wasm
# What the browser downloads carries no custom sections: the function names alone are 2.2 MB
# raw, 0.36 MB of the brotli'd module, for stack traces and profilers, nothing a shopper needs
# (panics and errors keep their messages). wasm-pack has no switch for it, and cargo's `strip`
# also drops the section wasm-bindgen reads the target features from. VITRINE_WASM_NAMES=1
# keeps them, e.g. to read a trap's stack.
if [ "${VITRINE_WASM_NAMES:-}" != 1 ]; then
  command -v wasm-strip >/dev/null || { echo "[web] wasm-strip is missing: run scripts/setup.sh (Debian's wabt)" >&2; exit 1; }
  wasm-strip pkg/vitrine_bg.wasm
  wasm-strip pkg/vitrine_relaxed_bg.wasm
fi

# The default demo catalog: the committed subset of the CC0 clothing dataset (data/clothing-demo),
# made into a catalog (titles, prices, product pages: src/bin/vitrine/catalog.rs) and indexed.
index=index/clothing
stale=0
for source in models/MANIFEST src/index.rs src/regions.rs src/bin/vitrine/catalog.rs data/clothing-demo/images.csv; do
  if [ "$source" -nt "$index/index.bin" ]; then stale=1; fi
done
if [ ! -s "$index/index.bin" ] || [ "$stale" = 1 ]; then
  echo "[web] building the default demo catalog ($index, ~1.5 min)"
  cargo build --quiet --profile "$profile" --bin vitrine
  dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
  "target/$dir/vitrine" catalog clothing --dataset data/clothing-demo --out "$index"
  "target/$dir/vitrine" index build --catalog "$index/catalog.csv" --images "$index" --out "$index"
fi

tests/fetch-photos.sh tests/photos >/dev/null
echo "[web] webpack -> dist/"
npx --no-install webpack --mode production --stats errors-warnings
echo "[web] webpack -> dist/ (the benchmark page)"
npx --no-install webpack --mode production --stats errors-warnings --config bench/webpack.config.js
echo "[web] precompressing dist/ (.br, .gz; ~1 min)"
node scripts/compress.js dist
