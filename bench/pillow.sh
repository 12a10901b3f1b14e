#!/usr/bin/env bash
# Prints a folder to put on PYTHONPATH for Pillow: its PyPI wheel, unzipped once into
# target/pillow (nothing is installed). For the bench scripts that make photos (framing, evidence).
set -euo pipefail
cd "$(dirname "$0")/.."
pil=target/pillow
if [ ! -d "$pil" ]; then
  mkdir -p target
  tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: pillow==12.0.0 -d "$tmp" >&2
  unzip -q -o "$tmp"/pillow-*.whl -d "$pil.part"
  mv "$pil.part" "$pil"
  rm -rf "$tmp"
fi
realpath "$pil"
