#!/usr/bin/env python3
"""Visibility of a mark: PSNR and CIEDE2000 colour difference between plain and marked images.

    visibility.py PLAIN MARKED [PLAIN MARKED ...]   # one line per pair, then the means

CIEDE2000 per pixel (sRGB D65 -> CIELAB, Sharma, Wu and Dalal's formulation): mean, 99th
percentile and maximum; a difference under 1 is generally taken as imperceptible side by side,
under 2.3 as a just-noticeable difference. Needs numpy and Pillow (scripts/setup-python.sh).
"""
import sys

import numpy as np
from PIL import Image


def lab(rgb):
    c = rgb / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def ciede2000(lab1, lab2):
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    C1, C2 = np.hypot(a1, b1), np.hypot(a2, b2)
    Cb = (C1 + C2) / 2
    G = 0.5 * (1 - np.sqrt(Cb ** 7 / (Cb ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dLp, dCp = L2 - L1, C2p - C1p
    dh = h2p - h1p
    dh = np.where(C1p * C2p == 0, 0, np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh)))
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh / 2))
    Lbp, Cbp = (L1 + L2) / 2, (C1p + C2p) / 2
    hs = h1p + h2p
    hbp = np.where(C1p * C2p == 0, hs, np.where(np.abs(h1p - h2p) <= 180, hs / 2, np.where(hs < 360, (hs + 360) / 2, (hs - 360) / 2)))
    T = 1 - 0.17 * np.cos(np.radians(hbp - 30)) + 0.24 * np.cos(np.radians(2 * hbp)) + 0.32 * np.cos(np.radians(3 * hbp + 6)) - 0.20 * np.cos(np.radians(4 * hbp - 63))
    dtheta = 30 * np.exp(-(((hbp - 275) / 25) ** 2))
    Rc = 2 * np.sqrt(Cbp ** 7 / (Cbp ** 7 + 25.0 ** 7))
    Sl = 1 + 0.015 * (Lbp - 50) ** 2 / np.sqrt(20 + (Lbp - 50) ** 2)
    Sc, Sh = 1 + 0.045 * Cbp, 1 + 0.015 * Cbp * T
    Rt = -np.sin(np.radians(2 * dtheta)) * Rc
    return np.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2 + Rt * (dCp / Sc) * (dHp / Sh))


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit(__doc__)
    rows = []
    for plain, marked in zip(args[::2], args[1::2]):
        a = np.asarray(Image.open(plain).convert("RGB"), dtype=np.float64)
        b = np.asarray(Image.open(marked).convert("RGB"), dtype=np.float64)
        if a.shape != b.shape:
            sys.exit(f"{plain} and {marked} differ in size")
        mse = np.mean((a - b) ** 2)
        psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
        de = ciede2000(lab(a), lab(b))
        rows.append((psnr, de.mean(), np.percentile(de, 99), de.max()))
        print(f"{marked}: PSNR {psnr:.2f} dB, CIEDE2000 mean {de.mean():.3f}, p99 {np.percentile(de, 99):.3f}, max {de.max():.3f}")
    m = np.mean(rows, axis=0)
    print(f"mean over {len(rows)}: PSNR {m[0]:.2f} dB, CIEDE2000 mean {m[1]:.3f}, p99 {m[2]:.3f}, max {m[3]:.3f}")


if __name__ == "__main__":
    main()
