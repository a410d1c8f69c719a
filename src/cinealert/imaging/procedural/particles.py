"""Painting what fills the air: rain, fire colours, smoke and dust clouds."""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import colour, fbm, grid_noise, mix, ramp, shift_down, smooth
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.palette import FIRE_RAMP


def fire_colour(i):
    return ramp(np.clip(i, 0, 1), FIRE_RAMP)


def smoke_field(sc: Scene, sources, wind=0.35, res=0.35, spread=0.35):
    """Smoke plumes rising from ``sources`` [(x, y, width)] and drifting with the wind.

    Returns (alpha, shade): a billowy outline (noise pushes the plume edge in and out) and a light/dark
    shading of the billows lit from above, both full-size (computed at ``res`` and resized up).
    """
    H, W, rng = sc.H, sc.W, sc.rng
    h, w = max(int(H * res), 8), max(int(W * res), 8)
    ys = np.arange(h, dtype=np.float32)[:, None] / res
    xs = np.arange(w, dtype=np.float32)[None, :] / res
    n = np.zeros((h, w), np.float32)
    for o in range(5):  # turbulence (sum of |noise|): rounded, cauliflower billows
        n += np.abs(grid_noise(rng, h, w, 3 * 2 ** o, 4 * 2 ** o)) * np.float32(0.55 ** o)
    n = (n - n.mean()) / (n.std() + 1e-6)
    warp = fbm(rng, h, w, 2, 3, 3, 0.5)
    dens = np.zeros((h, w), np.float32)
    for (x0, y0, w0) in sources:
        rise = np.clip(y0 - ys, 0, None)
        cx = x0 + wind * rise * (1 + rise / (H * 0.7)) + warp * (w0 * 0.3 + rise * 0.25)
        width = w0 * 0.5 + rise * spread
        prof = np.clip(1 - ((xs - cx) / np.maximum(width, 1)) ** 2, 0, 1)
        vert = smooth(0, w0 * 0.6 + 1, rise + 0.3 * w0 * n) * (ys < y0)
        dens = np.maximum(dens, prof * vert)
    f = dens + 0.28 * n * np.clip(dens * 3, 0, 1)
    alpha = smooth(0.22, 0.4, f)
    fb = cv2.GaussianBlur(f, (0, 0), 1.2)
    sh = max(int(2 * res / 0.35), 1)
    emb = np.clip(0.55 + (fb - shift_down(fb, sh)) * 3.0 + 0.15 * n, 0, 1)
    alpha = cv2.resize(alpha.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    emb = cv2.resize(emb.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    return alpha, emb


def draw_rain(sc: Scene, amount=0.5, angle=0.25, color=None):
    """Subtle painted rain streaks (the motion stage adds animated rain on top)."""
    H, W, rng = sc.H, sc.W, sc.rng
    n = int(W * H / 900 * amount)
    pts = np.zeros((H, W), np.float32)
    pts[rng.integers(0, H, n), rng.integers(0, W, n)] = rng.uniform(0.4, 1.0, n).astype(np.float32)
    L = max(int(26 * sc.u), 5)
    k = np.zeros((2 * L + 1, 2 * L + 1), np.float32)
    dx, dy = math.sin(angle), math.cos(angle)
    cv2.line(k, (int(L - dx * L), int(L - dy * L)), (int(L + dx * L), int(L + dy * L)), 1.0, 1, cv2.LINE_AA)
    k /= k.sum()
    st = cv2.filter2D(pts, -1, k) * (L * 0.9)
    a = np.clip(st, 0, 1) * 0.22
    col = mix(sc.sky_hor, colour(1, 1, 1), 0.5)
    sc.cv.layer(a.astype(np.float32), col, None, None)


def draw_dust_clouds(sc, sources, color, region, strength=0.7):
    """Billowy low dust clouds [(x, base_row, width)] drifting over the ground."""
    H, W, rng = sc.H, sc.W, sc.rng
    res = 0.35
    h, w = max(int(H * res), 8), max(int(W * res), 8)
    n = fbm(rng, h, w, 4, 8, 5, 0.55)
    ys = np.arange(h, dtype=np.float32)[:, None] / res
    xs = np.arange(w, dtype=np.float32)[None, :] / res
    dens = np.zeros((h, w), np.float32)
    for (x0, y0, wd) in sources:
        ht = wd * 0.45
        dx = (xs - x0) / (wd * 0.5)
        dy = (y0 - ys) / ht
        blob = np.exp(-dx ** 2) * smooth(-0.1, 0.25, dy) * smooth(1.1, 0.3, dy + 0.25 * n)
        dens = np.maximum(dens, blob)
    dens = np.clip(dens * (0.85 + 0.55 * n), 0, 1)
    emb = np.clip((n - shift_down(n, 2)) * 2.0 + 0.5, 0, 1)
    dens = cv2.resize(dens, (W, H), interpolation=cv2.INTER_LINEAR)
    emb = cv2.resize(emb, (W, H), interpolation=cv2.INTER_LINEAR)
    col = mix(sc.shd(color, 0.9), sc.lit(color, 1.1), 1.0)
    col = (sc.shd(color, 0.85)[None, None] + (sc.lit(color, 1.12) - sc.shd(color, 0.85))[None, None] * emb[..., None]).astype(np.float32)
    a = (smooth(0.15, 0.45, dens) * strength).astype(np.float32)
    depth = np.full((H, W), 1.0, np.float32)
    # dust takes the depth of the ground it rises from (per column, the nearest source's base)
    for (x0, y0, wd) in sources:
        depth = np.where(np.abs(sc.xs[None, :] - x0) < wd * 0.7, np.float32(sc.d_of(y0)), depth)
    depth = np.where(depth == 1.0, np.float32(sc.d_of(sources[0][1])), depth) if sources else depth
    sc.cv.layer(a, col, region, depth, thresh=0.35)
    sc.note("dust cloud", len(sources))
