#!/usr/bin/env python3
"""Writes the HTML of the screen pages EdgeMark's screen-overlay evaluation photographs
(scripts/eval-screen.sh): documents, dense text, code, a dark dashboard, a spreadsheet, a chat,
an image page and slides, two variants each, deterministic (seeded). Standard library only.

    make-screens.py OUT_DIR [PHOTO_DIR]   # PHOTO_DIR: photos for the image pages
"""
import html
import os
import random
import sys

WORDS = (
    "the of and to in is was for that on with as by at from this be are it an or have not which "
    "has had but were their been one all also new more two first after who other its into time can "
    "only may over some such most where many these years through during than between used would "
    "then them under well both when made there called later city since while being three known "
    "four around however part until area world state people revenue quarter budget contract "
    "customer account release schedule merger forecast confidential draft review"
).split()


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def page(body, style):
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{style}</style></head><body>{body}</body></html>"


def doc(rng):
    paras = "".join(f"<h2>{words(rng, 4).title()}</h2>" * (i % 3 == 0) + f"<p>{words(rng, rng.randint(50, 140))}.</p>" for i in range(12))
    return page(f"<h1>{words(rng, 5).title()}</h1>{paras}",
                "body{font-family:serif;font-size:16px;margin:40px auto;max-width:%dpx;color:#222}" % rng.choice([760, 900, 1100]))


def dense(rng):
    paras = "".join(f"<p>{words(rng, rng.randint(100, 200))}.</p>" for _ in range(16))
    return page(paras, "body{font-family:sans-serif;font-size:%dpx;margin:8px;color:#111}" % rng.choice([12, 13, 14]))


def code(rng):
    lines = []
    for _ in range(90):
        ind = "    " * rng.randint(0, 3)
        lines.append(html.escape(f"{ind}{rng.choice(WORDS)}_{rng.choice(WORDS)}({words(rng, rng.randint(1, 4)).replace(' ', ', ')});  // {words(rng, rng.randint(0, 6))}"))
    bg, fg = rng.choice([("#ffffff", "#1a1a1a"), ("#1e1e1e", "#d4d4d4"), ("#fdf6e3", "#586e75")])
    return page(f"<pre>{chr(10).join(lines)}</pre>",
                f"body{{margin:0;background:{bg};color:{fg}}}pre{{font-size:13px;line-height:17px;margin:10px}}")


def dashboard(rng):
    rows = "".join("<tr>" + "".join(f"<td>{rng.randint(0, 99999):,}</td>" for _ in range(9)) + "</tr>" for _ in range(36))
    cards = "".join(f"<div class=c><b>{words(rng, 2)}</b><br><span>{rng.randint(1, 999)}.{rng.randint(0, 9)}k</span></div>" for _ in range(4))
    return page(f"<h2>{words(rng, 3).title()}</h2><div>{cards}</div><table>{rows}</table>",
                "body{background:#1e1e1e;color:#ddd;font-family:sans-serif;font-size:14px;margin:20px}"
                ".c{display:inline-block;background:#2d2d30;padding:14px;margin:6px;width:200px;border-radius:6px}"
                "table{border-collapse:collapse;margin-top:12px}td{border:1px solid #444;padding:4px 10px}")


def sheet(rng):
    head = "<tr><th></th>" + "".join(f"<th>{chr(65 + i)}</th>" for i in range(12)) + "</tr>"
    rows = "".join(f"<tr><th>{r + 1}</th>" + "".join(f"<td>{rng.choice(['', rng.randint(0, 9999), round(rng.random() * 100, 2)])}</td>" for _ in range(12)) + "</tr>" for r in range(40))
    return page(f"<table>{head}{rows}</table>",
                "body{margin:0;font-family:sans-serif;font-size:13px}table{border-collapse:collapse}"
                "td,th{border:1px solid #d0d0d0;padding:2px 6px;min-width:70px;height:18px}th{background:#f3f3f3;color:#555}")


def chat(rng):
    msgs = "".join(f"<div class='m {'me' if rng.random() < 0.5 else ''}'>{words(rng, rng.randint(3, 40))}</div>" for _ in range(22))
    return page(f"<div class=w>{msgs}</div>",
                "body{background:#e5ddd5;margin:0;font-family:sans-serif;font-size:15px}.w{max-width:760px;margin:auto;padding:10px}"
                ".m{background:#fff;margin:6px 0;padding:8px 12px;border-radius:8px;max-width:70%;clear:both;float:left}.me{background:#dcf8c6;float:right}")


def images(rng, photos):
    figs = "".join(f"<figure><img src='file://{p}'><figcaption>{words(rng, 6)}</figcaption></figure>" for p in rng.sample(photos, min(6, len(photos))))
    return page(f"<h1>{words(rng, 3).title()}</h1>{figs}",
                "body{font-family:sans-serif;margin:16px}figure{display:inline-block;margin:8px;width:380px}img{width:380px;height:260px;object-fit:cover}")


def slides(rng):
    bg, fg = rng.choice([("#0b3d91", "#ffffff"), ("#ffffff", "#0b3d91"), ("#f4b400", "#202124")])
    items = "".join(f"<li>{words(rng, rng.randint(3, 8))}</li>" for _ in range(5))
    return page(f"<h1>{words(rng, 4).title()}</h1><ul>{items}</ul>",
                f"body{{background:{bg};color:{fg};font-family:sans-serif;margin:60px;font-size:30px}}h1{{font-size:54px}}")


def main():
    out = sys.argv[1]
    photo_dir = sys.argv[2] if len(sys.argv) > 2 else None
    photos = sorted(os.path.join(os.path.abspath(photo_dir), f) for f in os.listdir(photo_dir) if f.lower().endswith((".jpg", ".png"))) if photo_dir else []
    os.makedirs(out, exist_ok=True)
    kinds = [("doc", doc), ("dense", dense), ("code", code), ("dashboard", dashboard), ("sheet", sheet), ("chat", chat), ("slides", slides)]
    for variant in range(2):
        for name, make in kinds:
            rng = random.Random(f"{name}-{variant}")
            with open(os.path.join(out, f"{name}-{variant}.html"), "w") as f:
                f.write(make(rng))
        if photos:
            rng = random.Random(f"images-{variant}")
            with open(os.path.join(out, f"images-{variant}.html"), "w") as f:
                f.write(images(rng, photos))


if __name__ == "__main__":
    main()
