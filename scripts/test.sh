#!/usr/bin/env bash
# Runs every test: set-up, the real test photos, the Rust tests (real models on real photos),
# the browser build, the core's wasm tests in headless Chromium (wasm-pack test) and the demo
# page and widget end to end in headless Chromium (playwright-core), Firefox (puppeteer-core) and
# WebKitGTK (selenium-webdriver). Tests that need ../shared skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
tests/fetch-photos.sh tests/photos >/dev/null

cargo_log=$(mktemp)
wasm_log=$(mktemp)
browser_log=$(mktemp)
# Tests that lack their data (../shared, the test photos) skip and say so here; CI sets
# VITRINE_REQUIRE_DATA=1 so that they fail instead.
export VITRINE_SKIP_LOG=$(mktemp)
trap 'rm -f "$cargo_log" "$wasm_log" "$browser_log" "$VITRINE_SKIP_LOG"' EXIT
# One count per runner from the 'test result:' lines (cargo's last one is the doc tests').
count() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       END { printf "%d passed, %d failed", p, f }' "$1"
}

echo "[test] cargo test"
cargo test --quiet 2>&1 | tee "$cargo_log"

echo "[test] the browser build (scripts/build-web.sh)"
VITRINE_PROFILE=dev scripts/build-web.sh

echo "[test] wasm-pack test: the core's wasm façade in headless Chromium"
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} WASM_BINDGEN_TEST_TIMEOUT=900 \
  wasm-pack test --headless --chrome --release --mode no-install -- --no-default-features --test wasm 2>&1 \
  | grep -v '^ *Compiling ' | tee "$wasm_log"

# Which engine releases ran: the tests ask each browser what it validates rather than assume it,
# but a changed result is easier to read with the versions in the log.
webkit=$(dpkg-query -W -f='${Version}' libwebkit2gtk-4.1-0 2>/dev/null || echo unknown)
browsers="$("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | cut -d' ' -f1-2), $("${FIREFOX:-/usr/bin/firefox-esr}" --version 2>/dev/null | sed 's/^Mozilla //'), WebKitGTK ${webkit%%-*}"
echo "[test] the demo page and the widget in Chromium (playwright-core), Firefox (puppeteer-core), WebKit (selenium-webdriver): $browsers"
node --test --test-reporter=spec tests/browser/ 2>&1 | tee "$browser_log"
browser=$(awk 'NF == 3 && $2 == "pass" { p = $3 } NF == 3 && $2 == "fail" { f = $3 } END { printf "%d passed, %d failed", p, f }' "$browser_log")

skipped=$(wc -l < "$VITRINE_SKIP_LOG")
if [ "$skipped" -gt 0 ]; then
  echo "[test] $skipped skipped for want of data:"
  sed 's/^/  /' "$VITRINE_SKIP_LOG"
fi
echo "cargo: $(count "$cargo_log"), $skipped skipped; wasm: $(count "$wasm_log"); browser: $browser"
