#!/usr/bin/env bash
# The full-shot verdict on the test photos and 34 copies made from them (flipped, grey, half
# size, top or bottom tenth cropped, messi5.jpg cut at 20-50% of its height or at 75-85%, and
# with a painted long skirt): one line per photo, "name<TAB>verdict<TAB>garment boxes"
# (fractions). Compare two builds (issue 22's before/after table in BENCHMARKS.md):
#   bench/framing/verdicts.sh BINARY INDEX OUT_DIR > verdicts.tsv
# OUT_DIR gets the copies, each look's JSON and its drawn sheet. Pillow comes from its PyPI
# wheel, unzipped onto PYTHONPATH (bench/pillow.sh); nothing is installed.
set -euo pipefail
bin=$(realpath "$1"); index=$(realpath "$2"); out=$3
cd "$(dirname "$0")/../.."
tests/fetch-photos.sh tests/photos >/dev/null
mkdir -p "$out/copies" "$out/looks"
pil=$(bench/pillow.sh)
PYTHONPATH=$pil python3 bench/framing/copies.py tests/photos "$out/copies"
for p in "$out"/copies/*.jpg; do
  n=$(basename "$p" .jpg)
  "$bin" recommend "$p" --index "$index" --json --draw "$out/looks/$n.png" > "$out/looks/$n.json" 2> "$out/looks/$n.err" || true
  python3 - "$out/looks/$n" "$n" <<'PY'
import json, sys
base, name = sys.argv[1], sys.argv[2]
try:
    look = json.load(open(base + ".json"))
except ValueError:
    print(f"{name}\terror: {open(base + '.err').read().strip()}")
    sys.exit()
boxes = " ".join(f"{g['wear']}:" + ",".join(f"{v:.2f}" for v in g["rect"].values()) for g in look["garments"])
print(f"{name}\t{look['verdict']['message']}\t{boxes}")
PY
done
