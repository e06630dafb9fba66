#!/usr/bin/env python3
"""Makes the browser tests' images in OUT (a scratch folder) from the fetched photographs.

  make-fixtures.py PHOTOS_DIR OUT_DIR

Writes, for a few photographs: a clean centre crop (PNG), the same crop watermarked the way
Stable Diffusion XL does it by the real reference (tests/python/imw.py embed --path float:
imwatermark's dwtDct, 48 bits 0xB3EC907BB19E on the float image), JPEG copies (quality 95,
4:4:4) of one clean and one marked crop, a 40x40 crop too small for the scheme, a corrupt
file, a 1024x1024 SDXL-marked image for the latency benchmark, and two AI-generated images for
the extension's verdict: one marked the way Stable Diffusion 1's txt2img.py marks its output
(imw.py generator --name sd1), one with AUTOMATIC1111's `parameters` text chunk and no mark;
and two JPEGs with C2PA manifests signed by the real C2PA SDK (tests/python/c2pa_sign.py, a
test CA): an AI one (`trainedAlgorithmicMedia`, ai-c2pa-*.jpg) and a camera one
(`digitalCapture`, camera-c2pa-*.jpg, which must not be flagged).
"""
import os
import subprocess
import sys

from PIL import Image
from PIL.PngImagePlugin import PngInfo

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMW = os.path.join(ROOT, "tests", "python", "imw.py")
C2PA_SIGN = os.path.join(ROOT, "tests", "python", "c2pa_sign.py")
PHOTOS = ["astronaut.png", "baboon.jpg", "chelsea.png", "fruits.jpg", "building.jpg", "coffee.png"]


def crop(img, w, h):
    img = img.convert("RGB")
    if img.width < w or img.height < h:
        scale = max(w / img.width, h / img.height)
        img = img.resize((round(img.width * scale + 0.5), round(img.height * scale + 0.5)), Image.LANCZOS)
    x, y = (img.width - w) // 2, (img.height - h) // 2
    return img.crop((x, y, x + w, y + h))


def sdxl(src, dst):
    subprocess.run([sys.executable, IMW, "embed", "--path", "float", src, dst], check=True,
                   stdout=subprocess.DEVNULL)


def main():
    photos, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    names = [p for p in PHOTOS if os.path.exists(os.path.join(photos, p))]
    if len(names) < 3:
        names = sorted(p for p in os.listdir(photos) if p.endswith((".png", ".jpg")))[:6]
    for i, name in enumerate(names):
        stem = os.path.splitext(name)[0]
        w, h = (384, 256) if i % 2 else (320, 320)
        clean = os.path.join(out, f"clean-{stem}.png")
        crop(Image.open(os.path.join(photos, name)), w, h).save(clean)
        marked = os.path.join(out, f"sdxl-{stem}.png")
        sdxl(clean, marked)
        if i == 0:
            for src in (clean, marked):
                Image.open(src).save(src[:-4] + ".jpg", quality=95, subsampling=0)
    first = os.path.splitext(names[0])[0]
    subprocess.run([sys.executable, IMW, "generator", "--name", "sd1", os.path.join(out, f"clean-{first}.png"),
                    os.path.join(out, f"ai-sd1-{first}.png")], check=True, stdout=subprocess.DEVNULL)
    second = os.path.splitext(names[1])[0]
    info = PngInfo()
    info.add_text("parameters", "a photo\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 384x256")
    Image.open(os.path.join(out, f"clean-{second}.png")).save(os.path.join(out, f"ai-meta-{second}.png"), pnginfo=info)
    third = os.path.splitext(names[2])[0]
    signed = os.path.join(out, "c2pa")
    subprocess.run([sys.executable, C2PA_SIGN, os.path.join(out, f"clean-{third}.png"), signed],
                   check=True, stdout=subprocess.DEVNULL)
    os.replace(os.path.join(signed, "ai.jpg"), os.path.join(out, f"ai-c2pa-{third}.jpg"))
    os.replace(os.path.join(signed, "camera.jpg"), os.path.join(out, f"camera-c2pa-{third}.jpg"))
    crop(Image.open(os.path.join(photos, names[0])), 40, 40).save(os.path.join(out, "tiny.png"))
    with open(os.path.join(out, "corrupt.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    big = os.path.join(out, "bench", "clean-1024.png")
    os.makedirs(os.path.dirname(big), exist_ok=True)
    crop(Image.open(os.path.join(photos, names[0])), 1024, 1024).save(big)
    sdxl(big, os.path.join(out, "bench", "sdxl-1024.png"))


if __name__ == "__main__":
    main()
