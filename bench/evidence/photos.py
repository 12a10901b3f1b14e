# The evidence set of issue 24 (one person finder, lite landmarks, fewer crops): every photo of
# people the project can fetch (tests/fetch-photos.sh), people cut out of them as photos of their
# own, and transformed copies of each. Usage: python3 photos.py PHOTOS OUT
import os
import sys

from PIL import Image, ImageEnhance, ImageOps

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def load(name):
    return Image.open(os.path.join(src, name)).convert("RGB")


def cut(im, box):
    return im.crop(box)


# Base photos: the whole photos and the people in them cut out (pixel boxes read off the photos).
bus, ball2, zidane = load("bus.jpg"), load("basketball2.png"), load("zidane.jpg")
bases = {
    "messi5": load("messi5.jpg"),
    "bus": bus,
    "bus-coat": cut(bus, (20, 340, 300, 960)),  # the man in the beige coat, full length
    "bus-black": cut(bus, (190, 360, 400, 930)),  # the man in the black coat
    "basketball1": load("basketball1.png"),
    "basketball2": ball2,
    "basketball2-left": cut(ball2, (0, 0, 230, 480)),  # grey, full length
    "zidane": zidane,
    "zidane-right": cut(zidane, (700, 0, 1280, 720)),
    "astronaut": load("astronaut.png"),
}


def rotate(im, degrees):
    return im.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=(235, 235, 235))


def hue(im, turn):
    h, s, v = im.convert("HSV").split()
    h = h.point(lambda x: (x + turn) % 256)
    return Image.merge("HSV", (h, s, v)).convert("RGB")


def padded(im, by):
    w, h = im.size
    canvas = Image.new("RGB", (int(w * by), int(h * by)), (245, 245, 245))
    canvas.paste(im, ((canvas.width - w) // 2, (canvas.height - h) // 2))
    return canvas


copies = {
    "": lambda im: im,
    "-flip": ImageOps.mirror,
    "-grey": lambda im: ImageOps.grayscale(im).convert("RGB"),
    "-half": lambda im: im.resize((im.width // 2, im.height // 2), Image.LANCZOS),
    "-double": lambda im: im.resize((im.width * 2, im.height * 2), Image.BICUBIC),
    "-rot8": lambda im: rotate(im, 8),
    "-rot-8": lambda im: rotate(im, -8),
    "-hue": lambda im: hue(im, 85),
    "-dark": lambda im: ImageEnhance.Brightness(im).enhance(0.55),
    "-padded": lambda im: padded(im, 1.5),
    "-top10": lambda im: im.crop((0, im.height // 10, im.width, im.height)),
    "-bottom10": lambda im: im.crop((0, 0, im.width, im.height * 9 // 10)),
}
for base, im in bases.items():
    for suffix, make in copies.items():
        quality = 40 if suffix == "-dark" else 92  # a dim phone photo, saved small
        make(im).save(os.path.join(out, f"{base}{suffix}.jpg"), quality=quality)
print(f"{len(bases) * len(copies)} photos in {out}")
