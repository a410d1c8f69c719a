"""Painting the land: ridges, mountain ranges faded by aerial perspective, and the ground plane."""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import colour, fbm, fbm1d, mix, smooth
from cinealert.imaging.procedural.canvas import Scene
from cinealert.regions import Region


def draw_ridge(sc: Scene, base_row, amp, cells, octaves=5, sharp=0.5):
    n = fbm1d(sc.rng, sc.W, cells, octaves, 0.5)
    r = 1.0 - np.abs(fbm1d(sc.rng, sc.W, cells * 0.7, 3, 0.5))
    prof = (1 - sharp) * (0.5 + 0.35 * n) + sharp * r
    prof = (prof - prof.min()) / max(prof.max() - prof.min(), 1e-6)
    return base_row - amp * (0.25 + 0.75 * prof)


def paint_range(sc: Scene, ridge, color, depth, base_row=None, snow=0.0, facet=True, region=None,
                 trees=None):
    """A mountain range under ``ridge`` (row of the ridgeline per column) down to ``base_row``."""
    W, H = sc.W, sc.H
    base_row = sc.h + 2 if base_row is None else base_row
    pts = np.concatenate([np.stack([np.arange(W, dtype=np.float64), ridge], 1),
                          [[W - 1 + 2, ridge[-1]], [W + 2, base_row], [-2, base_row], [-2, ridge[0]]]])
    top = int(max(math.floor(ridge.min()) - 2, 0))
    bot = int(min(math.ceil(base_row) + 2, H))
    if bot <= top:
        return
    ys = sc.ys[top:bot, None]
    # faceted shading: faces whose slope faces the sun are lit; facets run diagonally downhill
    col = np.empty((bot - top, W, 3), np.float32)
    lit_c, sh_c = sc.lit(color), sc.shd(color)
    if facet:
        slope = np.gradient(cv2.GaussianBlur(ridge.astype(np.float32)[None], (0, 0), 8 * sc.u + 1)[0])
        s = np.tanh(slope * 3.0)
        if not sc.sun_left:
            s = -s
        below = np.clip(ys - ridge[None, :], 0, None)
        xi = np.clip((sc.xs[None, :] + below * 0.6 * np.sign(s[None, :] + 1e-6)).astype(np.int32), 0, W - 1)
        k = (0.5 - 0.5 * s[xi])  # 1 = lit side (ridge rising toward the light)
        k = cv2.GaussianBlur(k.astype(np.float32), (0, 0), max(2.0 * sc.u, 1.0))
        k = np.clip(k + 0.2 * fbm(sc.rng, bot - top, W, 2, 8, 3, res=0.5), 0, 1)
        col[:] = sh_c + (lit_c - sh_c) * k[..., None]
    else:
        col[:] = lit_c * 0.6 + sh_c * 0.4
    if trees is not None:
        tn = fbm(sc.rng, bot - top, W, 6 * (bot - top) / max(H, 1) + 2, 60, 2, res=0.5)
        col *= (0.9 + 0.12 * np.clip(tn, -1, 1))[..., None]
    if snow > 0:
        depth_below = ys - ridge[None, :]
        sn = fbm(sc.rng, bot - top, W, 3, 14, 3, res=0.5)
        cap = (snow * (ridge.max() - ridge.min() + 5) * (0.5 + 0.3 * sn)) - (ridge[None, :] - ridge.min()) * 0.6
        sm = smooth(-1, 1, cap - depth_below)
        scol = mix(sc.lit(colour(0.95, 0.96, 1.0)), sc.shd(colour(0.9, 0.93, 1.0)), 0.35)
        col += (scol - col) * sm[..., None]
    full = np.zeros((H, W, 3), np.float32)
    full[top:bot] = col
    sc.cv.fill([pts], full, region=Region.NONE if region is None else region, depth=depth)


def paint_mountains(sc: Scene, n=3, color=None, snow=0.0, max_height=0.5, near_hill=True):
    """Far mountain ranges faded by aerial perspective, then a nearer wooded hill line."""
    if "mountain" not in sc.want and n > 1:
        n = 1
    base = sc.h + 1.5
    far = sc.pal["far"] if color is None else color
    for i in range(n):
        f = i / max(n - 1, 1)
        amp = sc.h * max_height * (0.55 + 0.45 * (1 - f)) * sc.uni(0.8, 1.1)
        ridge = draw_ridge(sc, base, amp, sc.uni(2.5, 4.0) * (1 + 0.3 * i), sharp=0.55 - 0.2 * f)
        fade = 0.65 * (1 - f) + 0.12
        c = mix(far, sc.haze / np.maximum(sc.light, 0.3), fade)
        paint_range(sc, ridge, c, depth=70.0 - 14 * i, base_row=base, snow=snow * (1 - 0.5 * f))
    sc.note("mountain range", n)
    if near_hill:
        amp = sc.h * 0.12 * sc.uni(0.6, 1.2)
        ridge = draw_ridge(sc, base + sc.K * 0.02, amp, sc.uni(4, 7), sharp=0.15)
        paint_range(sc, ridge, mix(sc.pal["far"], sc.pal["grass"], 0.35) * 0.8, depth=sc.d_of(base + sc.K * 0.02),
                     base_row=base + sc.K * 0.02, facet=False, trees=True, snow=snow * 0.5)


def paint_ground(sc: Scene, color=None, fields=False, snow=False, texture=0.08, start=None):
    """The ground plane from the horizon to the bottom, optionally a patchwork of fields."""
    H, W = sc.H, sc.W
    y0 = int(max(math.floor(sc.h if start is None else start), 0))
    base = sc.pal["grass"] if color is None else color
    X, Z = sc.ground_coords()
    Xs, Zs = X[y0:] + np.float32(sc.uni(3, 20)), Z[y0:]
    col = np.empty((H - y0, W, 3), np.float32)
    col[:] = sc.lit(base)
    fade = np.exp(-sc.gdepth[y0:] / 12.0)
    if fields:
        fx = np.floor(Xs / 24.0 + 0.35 * np.floor(Zs / 30.0))
        fz = np.floor(Zs / 30.0)
        hsh = np.sin(fx * 12.9898 + fz * 78.233 + sc.uni(0, 100)) * 43758.5453
        hsh = (hsh - np.floor(hsh)).astype(np.float32)
        pal = [sc.pal["paddy"], mix(sc.pal["paddy"], base, 0.6), mix(sc.pal["paddy"], colour(0.8, 0.72, 0.4), 0.25),
               mix(sc.pal["paddy"], base * 0.8, 0.3)]
        idx = np.minimum((hsh * len(pal)).astype(np.int32), len(pal) - 1)
        pc = np.stack([sc.lit(p) for p in pal])[idx]
        # rows of rice / furrows
        rows = 0.5 + 0.5 * np.sin(Xs * 2.2 + fx)
        pc *= (1 - 0.10 * rows * np.clip(fade * 3, 0, 1))[..., None]
        # bunds between fields
        bx = np.abs(Xs / 24.0 + 0.35 * np.floor(Zs / 30.0) - np.round(Xs / 24.0 + 0.35 * np.floor(Zs / 30.0)))
        bz = np.abs(Zs / 30.0 - np.round(Zs / 30.0))
        px_per_m = sc.S / np.maximum(sc.gdepth[y0:], 1e-3)
        edge = np.minimum(bx * 24.0 * px_per_m, bz * 30.0 * px_per_m * (sc.K / (sc.hc * 1.6 * sc.S)) / np.maximum(sc.gdepth[y0:], 1))
        bund = smooth(1.6, 0.4, edge) * np.clip(fade * 4, 0, 1)
        col = pc + (sc.lit(mix(base, colour(0.55, 0.48, 0.32), 0.5)) - pc) * bund[..., None]
    tx = fbm(sc.rng, H - y0, W, 4, 8, 4, res=0.5)
    col *= (1.0 + texture * tx)[..., None]
    if snow:
        col[:] = mix(sc.lit(colour(0.96, 0.97, 1.0)), sc.shd(colour(0.92, 0.95, 1.0)), 0.18 + 0.18 * np.clip(tx, -1, 1)[..., None])
    full = np.zeros((H, W, 3), np.float32)
    full[y0:] = col
    a = np.zeros((H, W), np.float32)
    a[y0:] = 1.0
    if y0 > 0:
        a[y0] = np.clip(y0 + 1 - (sc.h if start is None else start), 0, 1)
    sc.cv.composite(a[y0:], (y0, H, 0, W), full, Region.NONE, sc.gdepth)      # the rows above stay as they are
    sc.ground_col = base
