#!/usr/bin/env bash
# Runs every test: set-up, the real test photos, the Rust tests (real models on real photos),
# and a wasm32 build of the core. Tests that need ../shared skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
tests/fetch-photos.sh tests/photos >/dev/null
echo "[test] cargo check --target wasm32-unknown-unknown (the core builds for the browser)"
cargo check --quiet --lib --no-default-features --target wasm32-unknown-unknown
echo "[test] cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --quiet 2>&1 | tee "$log"
# One closing line for the whole run (cargo's last line is the doc tests', which has none).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "cargo: %d passed, %d failed\n", p, f }' "$log"
