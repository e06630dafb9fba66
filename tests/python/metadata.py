#!/usr/bin/env python3
"""Writes files carrying provenance metadata the way generators write it, with Pillow, for
EdgeMark's provenance tests (tests/tests/provenance.rs).

  metadata.py COVER OUTDIR   -> one file per case in OUTDIR; prints one JSON line per file:
                                {"file", "ai": true|false, "source": expected evidence source}

`ai: false` files carry no AI evidence (the verdict must stay unknown). Formats of the tools:
- AUTOMATIC1111 (modules/images.py): PNG tEXt "parameters"; JPEG/WebP: EXIF UserComment via
  piexif.helper.UserComment.dump(text, encoding="unicode"): b"UNICODE\\0" + UTF-16 big-endian.
- ComfyUI (nodes.py SaveImage): PNG text chunks "prompt" and "workflow" (JSON).
- InvokeAI: PNG text chunk "invokeai_metadata" (JSON).
- NovelAI: PNG "Software" = "NovelAI", "Comment" = JSON with "signed_hash".
- FLUX (black-forest-labs/flux cli): EXIF Make "Black Forest Labs", Software "AI generated;txt2img;flux".
- IPTC DigitalSourceType in XMP (Iptc4xmpExt), as attribute and as rdf:resource; Midjourney adds
  its job in dc:description.
- GB 45438-2025 implicit label: PNG text chunk "AIGC" (JSON) and the XMP namespace
  http://www.tc260.org.cn/ns/AIGC/1.0/.
"""
import json
import os
import sys

from PIL import Image
from PIL.PngImagePlugin import PngInfo

A1111 = ("a photo of a cat, best quality\nNegative prompt: blurry\n"
         "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model: sd_xl_base_1.0")


def xmp_packet(body, ns=""):
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"{ns}>{body}</rdf:Description>'
            '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def user_comment(text):
    # piexif.helper.UserComment.dump(text, encoding="unicode")
    return b"UNICODE\0" + text.encode("utf-16-be")


def exif_with(ifd0=None, user=None):
    exif = Image.Exif()
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    if user is not None:
        exif.get_ifd(0x8769)[0x9286] = user_comment(user)
    return exif


def main():
    cover, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    img = Image.open(cover).convert("RGB")
    rows = []

    def save(name, ai, source, **kw):
        path = os.path.join(out, name)
        img.save(path, **kw)
        rows.append({"file": path, "ai": ai, "source": source})

    def png(name, ai, source, texts=(), itxt=()):
        info = PngInfo()
        for k, v in texts:
            info.add_text(k, v)
        for k, v, zip_ in itxt:
            info.add_itxt(k, v, zip=zip_)
        save(name, ai, source, pnginfo=info)

    png("a1111.png", True, "AUTOMATIC1111", texts=[("parameters", A1111)])
    png("comfyui.png", True, "ComfyUI",
        texts=[("prompt", json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1}}})),
               ("workflow", json.dumps({"nodes": [{"type": "KSampler"}]}))])
    png("invokeai.png", True, "InvokeAI",
        texts=[("invokeai_metadata", json.dumps({"positive_prompt": "a cat", "model": {"name": "sdxl"}}))])
    png("novelai.png", True, "NovelAI",
        texts=[("Software", "NovelAI"), ("Source", "Stable Diffusion XL C1E1DE52"),
               ("Comment", json.dumps({"prompt": "a cat", "signed_hash": "AAAA"}))])
    png("aigc-text.png", True, "GB 45438-2025",
        texts=[("AIGC", json.dumps({"Label": "1", "ContentProducer": "001191110108MA01234567", "ProduceID": "42"}))])
    # The same text compressed (zTXt) and as international text (iTXt, compressed).
    png("a1111-ztxt.png", True, "AUTOMATIC1111", itxt=[("parameters", A1111, True)])
    png("iptc-xmp.png", True, "IPTC DigitalSourceType",
        itxt=[("XML:com.adobe.xmp",
               xmp_packet(f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{TRAINED}"/>').decode(), False)])
    save("a1111.jpg", True, "AUTOMATIC1111", quality=92, exif=exif_with(user=A1111))
    save("a1111.webp", True, "AUTOMATIC1111", quality=90, exif=exif_with(user=A1111))
    save("flux.jpg", True, "FLUX", quality=92,
         exif=exif_with({0x010F: "Black Forest Labs", 0x0131: "AI generated;txt2img;flux"}))
    save("iptc.jpg", True, "IPTC DigitalSourceType", quality=92,
         xmp=xmp_packet(f'<Iptc4xmpExt:DigitalSourceType>{TRAINED}</Iptc4xmpExt:DigitalSourceType>'))
    save("midjourney.webp", True, "IPTC DigitalSourceType (Midjourney)", quality=90,
         xmp=xmp_packet(f'<Iptc4xmpExt:DigitalSourceType>{TRAINED}</Iptc4xmpExt:DigitalSourceType>'
                        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">a cat --v 6 Job ID: '
                        '0f0e0d0c-aaaa-bbbb-cccc-123456789abc</rdf:li></rdf:Alt></dc:description>'
                        '<dc:creator>midjourney</dc:creator>'))
    save("aigc-xmp.jpg", True, "GB 45438-2025", quality=92,
         xmp=xmp_packet('<AIGC:Label>1</AIGC:Label><AIGC:ContentProducer>0011</AIGC:ContentProducer>',
                        ' xmlns:AIGC="http://www.tc260.org.cn/ns/AIGC/1.0/"'))
    # No AI evidence: plain files, a camera's EXIF, an unsigned camera claim, unrelated text.
    save("plain.png", False, "")
    save("plain.jpg", False, "", quality=92)
    save("camera.jpg", False, "", quality=92,
         exif=exif_with({0x010F: "Canon", 0x0110: "Canon EOS R5", 0x0131: "Adobe Photoshop 25.0"}))
    save("camera-claim.webp", False, "", quality=90,
         xmp=xmp_packet('<Iptc4xmpExt:DigitalSourceType rdf:resource='
                        '"http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"/>'))
    png("titled.png", False, "", texts=[("Title", "holiday"), ("Software", "GIMP 2.10"),
                                         ("Comment", "parameters of the trip")])
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
