#!/usr/bin/env bash
# Fetches the real test photos from package registries (never committed; see ../shared/README.md):
# bus.jpg and zidane.jpg from the ultralytics wheel, messi5.jpg, basketball1.png and basketball2.png
# (grey; for bench/evidence) from Debian's opencv-doc, astronaut.png from the scikit-image wheel;
# messi5.avif is messi5.jpg saved as AVIF by Pillow's wheel (the browser tests' photo only the
# browser decodes). Idempotent: skips what is already there.
set -euo pipefail
dest=${1:-"$(dirname "$0")/photos"}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
cd "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

if [ ! -s bus.jpg ] || [ ! -s zidane.jpg ]; then
  python3 -m pip download -q --no-deps ultralytics==8.4.190 -d "$tmp/u"
  unzip -q -o -j "$tmp"/u/ultralytics-*.whl 'ultralytics/assets/bus.jpg' 'ultralytics/assets/zidane.jpg' -d "$tmp/u/x"
  mv "$tmp"/u/x/bus.jpg "$tmp"/u/x/zidane.jpg .
fi
if [ ! -s messi5.jpg ] || [ ! -s basketball1.png ] || [ ! -s basketball2.png ]; then
  # apt-get download writes as the _apt user: give it a folder it may write to.
  mkdir -m 777 "$tmp/apt" && (cd "$tmp/apt" && apt-get download -qq opencv-doc >/dev/null)
  dpkg-deb -x "$tmp"/apt/opencv-doc_*.deb "$tmp/o"
  d="$tmp/o/usr/share/doc/opencv-doc/examples/data"
  for f in messi5.jpg basketball1.png basketball2.png; do
    if [ -f "$d/$f" ]; then cp "$d/$f" .; elif [ -f "$d/$f.gz" ]; then gunzip -c "$d/$f.gz" > "$f"; fi
  done
fi
if [ ! -s astronaut.png ]; then
  python3 -m pip download -q --no-deps --only-binary=:all: scikit-image==0.26.0 -d "$tmp/s"
  unzip -q -o -j "$tmp"/s/scikit_image-*.whl 'skimage/data/astronaut.png' -d "$tmp/s/x"
  mv "$tmp"/s/x/astronaut.png .
fi
if [ ! -s messi5.avif ]; then
  # Pillow's wheels carry libavif; unzipped and put on PYTHONPATH, nothing is installed.
  python3 -m pip download -q --no-deps --only-binary=:all: pillow==12.0.0 -d "$tmp/p"
  unzip -q -o "$tmp"/p/pillow-*.whl -d "$tmp/p/x"
  PYTHONPATH="$tmp/p/x" python3 -c 'from PIL import Image; Image.open("messi5.jpg").save("messi5.avif.part", "AVIF", quality=60)'
  mv messi5.avif.part messi5.avif
fi
ls -la "$dest"
