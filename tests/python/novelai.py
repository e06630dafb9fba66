#!/usr/bin/env python3
"""Writes NovelAI-style files for EdgeMark's provenance tests (tests/tests/provenance.rs).

  novelai.py COVER OUTDIR  -> files in OUTDIR; prints one JSON object:
                              {"public_key": base64, "files": [{"file", "source",
                               "signature": "verified" | "failed" | "none", "comment",
                               "copies": file-level copies of the comment (0 or 1)}]}

What NovelAI writes (its novelai-image-metadata scripts describe the format and nai_sig.py
checks it):
- PNG text chunks `Software` "NovelAI", `Source`, `Comment` (JSON, with `signed_hash`); in WebP
  the comment goes to EXIF `UserComment` (ASCII) and `Source` to `Software`;
- a "stealth" copy in the alpha channel's least significant bits: the magic `stealth_pngcomp`,
  a 32-bit big-endian length in bits, then gzip of the JSON of the text chunks; bits run down
  each column, then to the next column, most significant first; unused alpha is 255 and
  carrying alpha is 254 | bit;
- `signed_hash`: base64 of an Ed25519 signature over the RGB bytes (row-major) followed by
  `json.dumps(comment without signed_hash)`.

NovelAI's private key is NovelAI's: these files are signed with a fixed test key (PyNaCl,
libsodium), whose public half is printed. The comment holds the values whose JSON spelling
differs between languages (floats such as 5.0, 1e-05 and 1e+16, big integers, non-ASCII text,
escapes), so a verifier that does not reproduce Python's `json.dumps` byte for byte fails; one
file stores its comment in another spelling (compact, raw non-ASCII, a repeated key, numbers
such as 1E5 and 2.50), so a verifier that only cuts `signed_hash` out of the stored text fails.
AUTOMATIC1111's stealth-pnginfo extension writes its parameters the same way with the magic
`stealth_pnginfo` (no compression).
"""
import base64
import gzip
import json
import os
import sys

import numpy as np
from nacl.signing import SigningKey
from PIL import Image
from PIL.PngImagePlugin import PngInfo


def put_stealth(rgba, magic, payload):
    """Writes magic + length in bits + payload into the alpha LSBs, column by column."""
    data = magic + (len(payload) * 8).to_bytes(4, "big") + payload
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    cols = rgba[:, :, 3].T.copy()  # row i of `cols` is column i of the image
    flat = cols.reshape(-1)
    assert bits.size <= flat.size, "image too small for the payload"
    flat[:] = 255
    flat[: bits.size] = 0xFE | bits
    rgba[:, :, 3] = flat.reshape(cols.shape).T


def main():
    cover, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rgb = np.array(Image.open(cover).convert("RGB"))
    h, w = rgb.shape[:2]
    key = SigningKey(bytes(range(32)))

    comment = {
        "prompt": "a cat in a caf\u00e9, \u2615 \U0001F408, \"quoted\" back\\slash / tab\t",
        "steps": 28,
        "height": h,
        "width": w,
        "scale": 5.0,
        "uncond_scale": 1.0,
        "cfg_rescale": 0.0,
        "seed": 3141592653,
        "big_seed": 123456789012345678901234567890,
        "noise": 0.1,
        "tiny": 1e-05,
        "huge": 1e16,
        "strength": 0.7,
        "negative": -0.0,
        "sampler": "k_euler_ancestral",
        "sm": False,
        "extra": None,
        "v4_prompt": {"caption": {"base_caption": "a cat", "char_captions": []}, "use_order": True},
        "request_type": "PromptGenerateRequest",
    }
    message = rgb.tobytes() + json.dumps(comment).encode("utf-8")
    signature = base64.b64encode(key.sign(message).signature).decode()
    # The signature sits among the other fields, as a verifier must find and drop it anywhere.
    signed = {}
    for k, v in comment.items():
        signed[k] = v
        if k == "seed":
            signed["signed_hash"] = signature
    comment_text = json.dumps(signed)

    texts = [
        ("Title", "NovelAI generated image"),
        ("Description", "a cat"),
        ("Software", "NovelAI"),
        ("Source", "Stable Diffusion XL C1E1DE52"),
        ("Generation time", "2.1"),
        ("Comment", comment_text),
    ]
    # The stealth copy: the text chunks but Title, as JSON, gzipped.
    stealth_json = json.dumps({k: v for k, v in texts if k != "Title"}).encode("utf-8")
    rgba = np.dstack([rgb, np.full((h, w), 255, np.uint8)])
    put_stealth(rgba, b"stealth_pngcomp", gzip.compress(stealth_json))

    files = []

    def save(name, pixels, source, signature, with_texts=True, chunks=texts, comment=comment_text, **kw):
        path = os.path.join(out, name)
        info = PngInfo()
        if with_texts:
            for k, v in chunks:
                info.add_text(k, v)  # Pillow writes iTXt for text that is not Latin-1
        if name.endswith(".png"):
            kw["pnginfo"] = info
        Image.fromarray(pixels).save(path, **kw)
        # File-level copies of the comment (a Comment text chunk, an EXIF UserComment).
        copies = int((with_texts and name.endswith(".png")) or "exif" in kw)
        files.append({"file": path, "source": source, "signature": signature, "comment": comment,
                      "copies": copies if source == "NovelAI" else 0})

    save("novelai-signed.png", rgba, "NovelAI", "verified")
    # Metadata stripped (a re-save without text chunks): the alpha copy remains.
    save("novelai-stripped.png", rgba, "NovelAI", "verified", with_texts=False)
    # Lossless WebP keeps the pixels and the alpha plane exactly.
    save("novelai-lossless.webp", rgba, "NovelAI", "verified", lossless=True, exact=True)
    # NovelAI's WebP files carry the comment in EXIF UserComment (ASCII), Source in Software.
    exif = Image.Exif()
    exif[0x0131] = "Stable Diffusion XL C1E1DE52"
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\0\0\0" + comment_text.encode("ascii")
    save("novelai-exif.webp", rgba, "NovelAI", "verified", lossless=True, exact=True, exif=exif)
    # One pixel changed after signing: the signature must fail.
    tampered = rgba.copy()
    tampered[h // 2, w // 2, 0] ^= 1
    save("novelai-tampered.png", tampered, "NovelAI", "failed")

    # A comment stored in another spelling than Python's json.dumps (compact separators, raw
    # non-ASCII, a repeated key, numbers and escapes that Python re-spells), signed as nai_sig.py
    # checks it: over json.dumps(json.loads(stored) without signed_hash).
    stored = ('{"prompt":"caf\u00e9 \u2615 \\/ \\u007f \\u0000 x","n":-42,"e":1E5,"small":0.0001,'
              '"big":1e22,"dup":1,"signed_hash":"SIG","dup":2,  "sp" :  [ 1 , 2.50, -0, 1e-7 ] }')
    loaded = json.loads(stored)
    del loaded["signed_hash"]
    sig = base64.b64encode(key.sign(rgb.tobytes() + json.dumps(loaded).encode("utf-8")).signature).decode()
    unusual_comment = stored.replace("SIG", sig)
    unusual_texts = [("Software", "NovelAI"), ("Comment", unusual_comment)]
    unusual = np.dstack([rgb, np.full((h, w), 255, np.uint8)])
    put_stealth(unusual, b"stealth_pngcomp",
                gzip.compress(json.dumps(dict(unusual_texts), ensure_ascii=False).encode("utf-8")))
    save("novelai-unusual.png", unusual, "NovelAI", "verified", chunks=unusual_texts,
         comment=unusual_comment)

    a1111 = np.dstack([rgb, np.full((h, w), 255, np.uint8)])
    params = ("a photo of a cat\nNegative prompt: blurry\n"
              "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512")
    put_stealth(a1111, b"stealth_pnginfo", params.encode("utf-8"))
    save("a1111-stealth.png", a1111, "AUTOMATIC1111", "none", with_texts=False, comment=None)

    print(json.dumps({
        "public_key": base64.b64encode(bytes(key.verify_key)).decode(),
        "files": files,
    }))


if __name__ == "__main__":
    main()
