#!/usr/bin/env bash
# Builds everything (the native CLI, the default demo catalog index, the wasm module, the web
# bundle) and serves the demo on http://127.0.0.1:${PORT:-8080}/ (the widget: /pdp.html).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-web.sh
exec node scripts/serve.js dist "${PORT:-8080}"
