#!/usr/bin/env bash
# Fetches the real test photos from package registries (never committed; see ../shared/README.md):
# bus.jpg and zidane.jpg from the ultralytics wheel, messi5.jpg, basketball1.png and basketball2.png
# (grey; for bench/evidence) from Debian's opencv-doc, astronaut.png from the scikit-image wheel;
# messi5.avif is messi5.jpg saved as AVIF by Pillow's wheel (the browser tests' photo only the
# browser decodes); gallery-*.jpg are crops of messi5.jpg by Pillow, a product gallery's other
# photos for the sample product page and the widget's tests: a close crop (chest to thighs), a
# mirrored crop from the neck down (no face, as a photo of the back shows none) and the half
# body (head to hips), each twice the size. Idempotent: skips what is already there.
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
if [ ! -s messi5.avif ] || [ ! -s gallery-3-half.jpg ]; then
  # Pillow's wheels carry libavif; unzipped and put on PYTHONPATH, nothing is installed.
  python3 -m pip download -q --no-deps --only-binary=:all: pillow==12.0.0 -d "$tmp/p"
  unzip -q -o "$tmp"/p/pillow-*.whl -d "$tmp/p/x"
  PYTHONPATH="$tmp/p/x" python3 - <<'PY'
from PIL import Image, ImageOps
messi = Image.open("messi5.jpg")
messi.save("messi5.avif.part", "AVIF", quality=60)
w, h = messi.size
# (name, box as fractions x0, y0, x1, y1, mirrored)
for name, (x0, y0, x1, y1), mirror in [
    ("gallery-1-close", (0.30, 0.38, 0.62, 0.75), False),
    ("gallery-2-back", (0.12, 0.40, 0.85, 1.00), True),
    ("gallery-3-half", (0.10, 0.00, 0.85, 0.66), False),
]:
    crop = messi.crop((round(x0 * w), round(y0 * h), round(x1 * w), round(y1 * h)))
    crop = crop.resize((crop.width * 2, crop.height * 2), Image.LANCZOS)
    (ImageOps.mirror(crop) if mirror else crop).save(f"{name}.part.jpg", quality=90)
PY
  for f in gallery-1-close gallery-2-back gallery-3-half; do mv "$f.part.jpg" "$f.jpg"; done
  mv messi5.avif.part messi5.avif
fi
ls -la "$dest"
