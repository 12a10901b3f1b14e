# What a look recommends, by kind: the share of each garment row's 5 products whose product type
# (the catalog's product_type column) is the kind of garment the person wears, hand-labelled
# below per person of the evidence set (photos.py; labels read off the photos and the drawn
# looks). The look-side analogue of `vitrine eval`'s precision@5, which ranks catalog photos
# against catalog photos: a change to the embedder is kept only if looks do not lose.
# Usage: python3 kinds.py CATALOG_CSV LOOKS_DIR [LOOKS_DIR...]   (LOOKS_DIR: looks.sh's OUT)
# Left out: astronaut (a space suit: no product type fits) and dress rows (none of the people
# wears one). basketball2's whole photo is its left man's look since 12-02 (before, the man cut
# off at the thighs, whose "bottom" was his shirt). Copies of one person are not independent:
# 8 people.
import csv
import json
import os
import sys
from collections import defaultdict

KINDS = {  # person -> wear -> the product types that count as the same kind
    "messi5": {"top": {"T-Shirt", "Polo"}, "bottom": {"Shorts"}, "foot": {"Shoes"}},  # football kit
    "basketball1": {"top": {"T-Shirt"}, "bottom": {"Pants"}, "foot": {"Shoes"}},  # the left man, jeans
    "basketball2": {"top": {"T-Shirt"}, "bottom": {"Pants"}, "foot": {"Shoes"}},  # the left man
    "basketball2-left": {"top": {"T-Shirt"}, "bottom": {"Pants"}, "foot": {"Shoes"}},
    "bus": {"top": {"Outwear"}, "bottom": {"Pants"}, "foot": {"Shoes"}},  # the beige coat's man
    "bus-coat": {"top": {"Outwear"}, "bottom": {"Pants"}, "foot": {"Shoes"}},
    "bus-black": {"top": {"Outwear"}, "bottom": {"Pants"}, "foot": {"Shoes"}},
    "zidane": {"top": {"Blazer"}, "bottom": {"Pants"}, "foot": {"Shoes"}},  # suit jackets
    "zidane-right": {"top": {"Blazer"}, "bottom": {"Pants"}, "foot": {"Shoes"}},
}
COPIES = ["", "-flip", "-grey", "-half", "-double", "-rot8", "-rot-8", "-hue", "-dark", "-padded",
          "-top10", "-bottom10"]  # photos.py's


def person(name):
    for base in sorted(KINDS, key=len, reverse=True):
        if name[len(base):] in COPIES and name.startswith(base):
            return base
    return None


types = {row["id"]: row["product_type"] for row in csv.DictReader(open(sys.argv[1]))}
for folder in sys.argv[2:]:
    same, rows, by_person = defaultdict(int), defaultdict(int), defaultdict(lambda: [0, 0])
    for f in sorted(os.listdir(os.path.join(folder, "looks"))):
        who = person(f[:-5]) if f.endswith(".json") else None
        if who is None:
            continue
        try:
            look = json.load(open(os.path.join(folder, "looks", f)))
        except ValueError:  # no look (the .err beside it says why)
            continue
        for g in look["garments"]:
            kinds = KINDS[who].get(g["wear"])
            if kinds is None:
                continue
            hits = sum(types[p["id"]] in kinds for p in g["products"][:5])
            same[g["wear"]] += hits
            rows[g["wear"]] += 1
            by_person[(who, g["wear"])][0] += hits
            by_person[(who, g["wear"])][1] += 1
    cells = [f"{w} {same[w] / (5 * rows[w]):.3f} ({rows[w]} rows)" for w in ("top", "bottom", "foot") if rows[w]]
    total = sum(same.values()) / (5 * sum(rows.values()))
    print(f"{folder}: type@5 {total:.3f}; " + ", ".join(cells))
    print("  " + "; ".join(f"{p} {w} {h / (5 * n):.2f}" for (p, w), (h, n) in sorted(by_person.items()) if w != "foot"))
