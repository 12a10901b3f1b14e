# Copies of the test photos for bench/framing/verdicts.sh (issue 22): python3 copies.py PHOTOS OUT
import sys, os
from PIL import Image, ImageOps, ImageDraw
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
names = ["messi5.jpg", "bus.jpg", "zidane.jpg", "basketball1.png", "astronaut.png"]
def save(im, name): im.convert("RGB").save(os.path.join(out, name), quality=92)
def rows(im, a, b):
    w, h = im.size; return im.crop((0, int(a*h), w, int(b*h)))
def paint(im, c, colour):
    im = im.copy(); w, h = im.size
    ImageDraw.Draw(im).polygon([(x*w, y*h) for x, y in c], fill=colour); return im
for n in names:
    im = Image.open(os.path.join(src, n)).convert("RGB"); b = n.split(".")[0]
    save(im, f"{b}.jpg")
    save(ImageOps.mirror(im), f"{b}-flip.jpg")
    save(ImageOps.grayscale(im), f"{b}-grey.jpg")
    save(im.resize((im.width//2, im.height//2)), f"{b}-half.jpg")
    save(rows(im, 0.1, 1.0), f"{b}-top10.jpg")
    save(rows(im, 0.0, 0.9), f"{b}-bottom10.jpg")
m = Image.open(os.path.join(src, "messi5.jpg")).convert("RGB")
for a in [0.2, 0.3, 0.42, 0.5]: save(rows(m, a, 1.0), f"messi5-from{int(a*100)}.jpg")
for b in [0.75, 0.85]: save(rows(m, 0.0, b), f"messi5-to{int(b*100)}.jpg")
skirt = [(0.43, 0.63), (0.55, 0.63), (0.64, 0.90), (0.38, 0.90)]
save(paint(m, skirt, (150, 30, 40)), "messi5-skirt.jpg")
save(paint(m, skirt, (20, 20, 20)), "messi5-skirt-black.jpg")
save(ImageOps.mirror(paint(m, skirt, (150, 30, 40))), "messi5-skirt-flip.jpg")
