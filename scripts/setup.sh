#!/usr/bin/env bash
# Installs what building and testing vitrine needs, skipping what is already there. Everything
# comes from package registries (rustup's targets, crates.io, Debian, PyPI): nothing else is
# reachable on CI.
set -euo pipefail

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
# Fashion-MNIST is the default demo catalog.
apt_install unzip dataset-fashion-mnist
# apt-get download needs package lists.
[ -n "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] || apt-get update -qq
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
