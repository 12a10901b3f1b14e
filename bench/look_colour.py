#!/usr/bin/env python3
"""How often a look's top 5 share the worn garment's colour (issue 23), on photos of people and
hue-rotated copies of them (the same garments in other colours).

    bench/look_colour.py VITRINE INDEX_DIR OUT_DIR PHOTO... [--colours-from INDEX_DIR]

Runs `VITRINE recommend --index INDEX_DIR --json` on each photo and on copies with the hue
turned by 60, 120, ..., 300 degrees (PIL's HSV), and prints, per look and in all, the share of
each garment's 5 products whose colour (products.json's `region.colour`, from the index named by
--colours-from, default INDEX_DIR) is the garment's (the look's `colour`; with --colours-from
the garment colours come from a look made with that index's vitrine: pass --garments FILE.json
written by an earlier run). Chance is the share of the category's products in that colour.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

from PIL import Image


def hue_turned(src, out_dir, degrees):
    name = os.path.splitext(os.path.basename(src))[0]
    path = os.path.join(out_dir, f"{name}-hue{degrees:03d}.png")
    if not os.path.exists(path):
        rgb = Image.open(src).convert("RGB")
        h, s, v = rgb.convert("HSV").split()
        h = h.point(lambda x: (x + round(degrees * 256 / 360)) % 256)
        Image.merge("HSV", (h, s, v)).convert("RGB").save(path)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vitrine")
    ap.add_argument("index")
    ap.add_argument("out")
    ap.add_argument("photos", nargs="+")
    ap.add_argument("--colours-from", help="index folder whose products.json gives the colours")
    ap.add_argument("--garments", help="garment colours per look, JSON written by a run with --save")
    ap.add_argument("--save", help="write the garment colours per look to this JSON file")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    products = json.load(open(os.path.join(a.colours_from or a.index, "products.json")))
    colour_of = {p["id"]: (p.get("region") or {}).get("colour") for p in products}
    per_category = collections.defaultdict(collections.Counter)
    for p in products:
        c = p["category"]
        per_category[c["wear"]][colour_of[p["id"]]] += 1
    given = json.load(open(a.garments)) if a.garments else {}
    saved = {}
    same = total = 0
    chance = 0.0
    for src in a.photos:
        for degrees in range(0, 360, 60):
            photo = src if degrees == 0 else hue_turned(src, a.out, degrees)
            run = subprocess.run([a.vitrine, "recommend", "--index", a.index, photo, "--json"],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"{photo}: {run.stderr}")
            look = json.loads(run.stdout)
            key = f"{os.path.basename(src)}@{degrees}"
            row = []
            for g in look["garments"]:
                colour = given.get(key, {}).get(g["wear"]) if given else g.get("colour")
                saved.setdefault(key, {})[g["wear"]] = g.get("colour")
                if colour is None:
                    continue
                hits = sum(colour_of.get(p["id"]) == colour for p in g["products"])
                n = len(g["products"])
                same += hits
                total += n
                counts = per_category[g["wear"]]
                chance += n * counts[colour] / max(1, sum(counts.values()))
                row.append(f"{g['wear']} {colour} {hits}/{n}")
            print(f"{key}: {look['verdict']['message']}; " + ", ".join(row))
    print(f"\nshare of the 5 products in the garment's colour: {same}/{total} = {same / max(1, total):.3f}"
          f" (at random {chance / max(1, total):.3f})")
    if a.save:
        json.dump(saved, open(a.save, "w"), indent=1)


main()
