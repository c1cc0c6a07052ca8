#!/usr/bin/env python3
"""Draws media/icon.png (128×128): a small causal attention heatmap in viridis on a dark tile.

    python3 scripts/make_icon.py

Standard library only: the pixels are rendered at 4× and box-filtered down (smooth rounded
corners), then written as an 8-bit RGBA PNG by hand (signature, IHDR, one zlib IDAT, IEND).
Deterministic: the same bytes every run.
"""
import os
import struct
import zlib

SIZE = 128
SUPER = 4
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "media", "icon.png")

# viridis at five evenly spaced stops (matplotlib's values), interpolated linearly between them
VIRIDIS = [(0x44, 0x01, 0x54), (0x3B, 0x52, 0x8B), (0x21, 0x91, 0x8C), (0x5E, 0xC9, 0x62), (0xFD, 0xE7, 0x25)]
TILE = (0x1B, 0x1F, 0x33)           # the background tile
MASKED = (0x2A, 0x2F, 0x48)         # cells above the diagonal: masked, drawn a shade off the tile

# Attention weights of a causal head, one row per query: the first column is a sink, the diagonal
# and the previous token carry the rest. Upper-triangle cells are None (masked).
N = 6
WEIGHTS = [
    [1.00],
    [0.55, 0.45],
    [0.30, 0.62, 0.18],
    [0.22, 0.10, 0.58, 0.30],
    [0.18, 0.08, 0.12, 0.52, 0.35],
    [0.14, 0.06, 0.08, 0.15, 0.70, 0.42],
]


def viridis(t):
    t = min(max(t, 0.0), 1.0) * (len(VIRIDIS) - 1)
    i = min(int(t), len(VIRIDIS) - 2)
    f = t - i
    a, b = VIRIDIS[i], VIRIDIS[i + 1]
    return tuple(round(a[c] + (b[c] - a[c]) * f) for c in range(3))


def inside_rounded(x, y, x0, y0, x1, y1, r):
    """Is the point inside the rectangle [x0, x1)×[y0, y1) with corner radius r?"""
    if x < x0 or x >= x1 or y < y0 or y >= y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def cell_colour(row, col):
    if col > row:
        return MASKED
    w = WEIGHTS[row][col]
    return viridis(w ** 0.6)  # a gamma so small weights stay visible against the tile


def render():
    big = SIZE * SUPER
    margin, radius = 6 * SUPER, 22 * SUPER
    pad, gap = 18 * SUPER, 3 * SUPER
    cell = (big - 2 * pad - (N - 1) * gap) / N
    cell_radius = 3 * SUPER
    rgba = [[(0, 0, 0, 0)] * big for _ in range(big)]
    for y in range(big):
        row_pixels = rgba[y]
        for x in range(big):
            px, py = x + 0.5, y + 0.5
            if not inside_rounded(px, py, margin, margin, big - margin, big - margin, radius):
                continue
            colour = TILE
            gx, gy = px - pad, py - pad
            col, row = int(gx // (cell + gap)), int(gy // (cell + gap))
            if 0 <= col < N and 0 <= row < N:
                x0, y0 = pad + col * (cell + gap), pad + row * (cell + gap)
                if inside_rounded(px, py, x0, y0, x0 + cell, y0 + cell, cell_radius):
                    colour = cell_colour(row, col)
            row_pixels[x] = colour + (255,)
    return downsample(rgba, big)


def downsample(rgba, big):
    """Box filter SUPER×SUPER blocks, averaging colour weighted by alpha (no dark fringes)."""
    out = []
    for y in range(SIZE):
        line = []
        for x in range(SIZE):
            r = g = b = a = 0
            for yy in range(y * SUPER, (y + 1) * SUPER):
                for xx in range(x * SUPER, (x + 1) * SUPER):
                    pr, pg, pb, pa = rgba[yy][xx]
                    r += pr * pa
                    g += pg * pa
                    b += pb * pa
                    a += pa
            if a == 0:
                line.append((0, 0, 0, 0))
            else:
                line.append((round(r / a), round(g / a), round(b / a), round(a / (SUPER * SUPER))))
        out.append(line)
    return out


def png_bytes(pixels):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(v for px in line for v in px) for line in pixels)  # filter 0 per row
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(png_bytes(render()))
    print(f"wrote {OUT}")
