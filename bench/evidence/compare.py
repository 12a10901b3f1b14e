# Issue 24's evidence: how far a variant's looks (looks.sh) stray from the reference's, photo by
# photo. Usage: python3 compare.py REF_DIR VARIANT_DIR [VARIANT_DIR...]
# Per variant: verdict agreement (full shot or not; the same message), people-count agreement,
# mean IoU of the garment boxes (per wear; a box one side has and the other not scores 0), the
# foot box's alone, and the photos that differ most (their drawn sheets are beside the JSON).
import json
import os
import statistics
import sys


def looks(folder):
    out = {}
    for f in sorted(os.listdir(os.path.join(folder, "looks"))):
        if f.endswith(".json"):
            try:
                look = json.load(open(os.path.join(folder, "looks", f)))
                for t in look["timings"]:
                    t.setdefault("multiply_adds", None)
                out[f[:-5]] = look
            except ValueError:
                err = open(os.path.join(folder, "looks", f[:-5] + ".err")).read().strip()
                out[f[:-5]] = {"error": err}
    return out


def iou(a, b):
    ix = max(0.0, min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]))
    iy = max(0.0, min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]))
    inter = ix * iy
    area = lambda r: (r["x1"] - r["x0"]) * (r["y1"] - r["y0"])
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 1.0


def boxes(look):
    return {g["wear"]: g["rect"] for g in look.get("garments", [])}


def compare(ref, var):
    names = sorted(set(ref) & set(var))
    verdicts = messages = people = 0
    ious, foot, per_photo = [], [], []
    for n in names:
        r, v = ref[n], var[n]
        if "error" in r or "error" in v:
            same = ("error" in r) == ("error" in v)
            verdicts += same
            messages += same
            people += same
            per_photo.append((0.0 if not same else 1.0, n, "error: " + (r.get("error") or v.get("error"))[:80]))
            continue
        verdicts += r["verdict"]["full_shot"] == v["verdict"]["full_shot"]
        messages += r["verdict"]["message"] == v["verdict"]["message"]
        people += r["verdict"]["people"] == v["verdict"]["people"]
        rb, vb = boxes(r), boxes(v)
        scores = []
        for wear in sorted(set(rb) | set(vb)):
            s = iou(rb[wear], vb[wear]) if wear in rb and wear in vb else 0.0
            scores.append(s)
            ious.append(s)
            if wear == "foot":
                foot.append(s)
        why = r["verdict"]["message"] if r["verdict"]["message"] == v["verdict"]["message"] else (
            f"'{r['verdict']['message']}' -> '{v['verdict']['message']}'")
        worst = min(scores) if scores else 1.0
        if r["verdict"]["full_shot"] != v["verdict"]["full_shot"]:
            worst = -1.0
        per_photo.append((worst, n, why + "; boxes " + " ".join(
            f"{w}:{iou(rb[w], vb[w]):.2f}" if w in rb and w in vb else f"{w}:{'ref' if w in rb else 'variant'} only"
            for w in sorted(set(rb) | set(vb)))))
    k = len(names)
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
    return {
        "photos": k,
        "verdict agreement": verdicts / k,
        "same message": messages / k,
        "same people count": people / k,
        "garment boxes": len(ious),
        "mean garment-box IoU": mean(ious),
        "foot boxes": len(foot),
        "mean foot-box IoU": mean(foot),
        "worst": sorted(per_photo)[:8],
    }


def work(looks_, full_shots):
    """Median and mean multiply-adds (G) of a look, over the full shots or all looks; None for a
    build whose looks do not count them."""
    totals = [t["multiply_adds"] for l in looks_.values() if "timings" in l
              and (l["verdict"]["full_shot"] or not full_shots) for t in l["timings"] if t["stage"] == "total"]
    if not totals or None in totals:
        return None
    return f"{statistics.median(totals) / 1e9:.2f} ({statistics.mean(totals) / 1e9:.2f})"


ref = looks(sys.argv[1])
print(f"reference {sys.argv[1]}: {len(ref)} looks, "
      f"{sum(1 for l in ref.values() if l.get('verdict', {}).get('full_shot'))} full shots")
for folder in sys.argv[2:]:
    var = looks(folder)
    c = compare(ref, var)
    print(f"\n## {folder}")
    for key, value in c.items():
        if key == "worst":
            print("worst cases (lowest box IoU; -1: the verdict differs):")
            for score, name, why in value:
                print(f"  {score:5.2f}  {name}: {why}")
        else:
            print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    for side, l in (("reference", ref), ("variant", var)):
        full, every = work(l, True), work(l, False)
        if full is not None:
            print(f"{side}: multiply-adds, median (mean): a look {every} G, a full-shot look {full} G")
