#!/usr/bin/env bash
# The looks of issue 24's evidence set (photos.py) by one build of vitrine: each photo's look as
# JSON and its drawn sheet in OUT/looks. Compare two runs with compare.py.
#   bench/evidence/looks.sh BINARY INDEX OUT [recommend options, e.g. --lite]
# The photos are made once in OUT/../photos from tests/fetch-photos.sh's. Pillow comes from its
# PyPI wheel, unzipped onto PYTHONPATH (bench/pillow.sh); nothing is installed.
set -euo pipefail
bin=$(realpath "$1"); index=$(realpath "$2"); out=$3; shift 3
cd "$(dirname "$0")/../.."
tests/fetch-photos.sh tests/photos >/dev/null
pil=$(bench/pillow.sh)
photos=$(dirname "$out")/photos
[ -d "$photos" ] || PYTHONPATH=$pil python3 bench/evidence/photos.py tests/photos "$photos"
mkdir -p "$out/looks"
# Two at a time: each call loads the models, then makes one look.
ls "$photos"/*.jpg | xargs -P 2 -I{} sh -c '
  bin=$0 index=$1 out=$2 photo=$3; shift 3
  n=$(basename "$photo" .jpg)
  "$bin" recommend "$photo" --index "$index" --json --draw "$out/looks/$n.png" "$@" \
    > "$out/looks/$n.json" 2> "$out/looks/$n.err" || true
' "$bin" "$index" "$out" {} "$@"
echo "$(ls "$out"/looks/*.json | wc -l) looks in $out/looks"
