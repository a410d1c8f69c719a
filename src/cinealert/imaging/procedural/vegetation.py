"""Painting trees (round, conifer, palm, bare or burnt; bent by the wind) and bands of forest."""
from __future__ import annotations

import math

import numpy as np

from cinealert.imaging.procedural.basics import circle, colour, mix
from cinealert.imaging.procedural.canvas import Scene
from cinealert.regions import Region


def draw_tree(sc: Scene, x, d, kind="round", color=None, bend=0.0, snow=False, region=None, burnt=False,
          scale=1.0):
    """A tree at (x, depth d): a round clumpy crown, a conifer, a pine, a palm, or bare."""
    rng = sc.rng
    p = sc.ppm(d) * scale
    yb = sc.y_of(d)
    cv = sc.cv
    region = Region.FOLIAGE if region is None else region
    trunk_c = sc.shd(colour(0.36, 0.25, 0.18)) if not burnt else colour(0.08, 0.06, 0.05)
    if color is None:
        color = sc.pick(sc.pal["trees"][:2]) if kind != "round" or sc.season != "spring" else sc.pick(sc.pal["trees"])
    if kind in ("pine", "conifer"):
        color = mix(color, colour(0.12, 0.30, 0.20), 0.5) if sc.season in ("autumn", "spring") else color
    if burnt:
        color = colour(0.10, 0.08, 0.07)
    ht = sc.uni(7, 11) * p
    if kind == "bare" or (kind == "round" and sc.season == "winter" and not snow and sc.family != "typhoon"):
        draw_bare_tree(sc, x, yb, ht, d, burnt=burnt)
        return
    if kind == "palm":
        ht *= 1.15
        t = np.linspace(0, 1, 12)
        lean = bend * ht * 0.45
        cxs = x + lean * t ** 2
        cys = yb - ht * t
        wdt = (0.45 - 0.2 * t) * p
        trunk = np.concatenate([np.stack([cxs - wdt, cys], 1), np.stack([cxs + wdt, cys], 1)[::-1]])
        cv.fill([trunk], trunk_c, Region.NONE, d)
        tx, ty = cxs[-1], cys[-1]
        fronds = []
        for k in range(8):
            ang = -math.pi / 2 + (k - 3.5) * 0.42 + bend * 0.9
            L = sc.uni(3.5, 4.8) * p
            s = np.linspace(0, 1, 8)
            droop = (s ** 2) * L * 0.55 * (1 - 0.6 * bend * math.cos(ang))
            fx = tx + math.cos(ang) * L * s + bend * L * 0.6 * s ** 2
            fy = ty + math.sin(ang) * L * s + droop
            wv = 0.45 * p * np.sin(np.pi * s)
            nx, ny = -math.sin(ang), math.cos(ang)
            fronds.append(np.concatenate([np.stack([fx + nx * wv, fy + ny * wv], 1), np.stack([fx - nx * wv, fy - ny * wv], 1)[::-1]]))
        cv.fill(fronds, sc.shd(color), region, d)
        cv.fill(fronds[::2], sc.lit(color), region, d)
        sc.note("palm tree")
        return
    # trunk (bent by the wind)
    lean = bend * ht * 0.35
    t = np.linspace(0, 1, 10)
    cxs = x + lean * t ** 2
    cys = yb - ht * 0.55 * t
    wdt = (0.32 - 0.12 * t) * p
    trunk = np.concatenate([np.stack([cxs - wdt, cys], 1), np.stack([cxs + wdt, cys], 1)[::-1]])
    cv.fill([trunk], trunk_c if kind != "pine" else sc.shd(colour(0.55, 0.30, 0.20)), Region.NONE, d)
    hi = sc.lit(color, 1.1)
    mid = sc.lit(color, 0.85)
    lo = sc.shd(color, 0.9)
    if kind == "conifer":
        tiers = int(rng.integers(3, 5))
        polys_lo, polys_hi = [], []
        for k in range(tiers):
            f = k / tiers
            wy = yb - ht * (0.25 + 0.7 * f)
            hw = (2.2 - 1.5 * f) * p
            apex = yb - ht * (0.25 + 0.7 * f) - ht * 0.35
            cxk = x + lean * (0.6 + f)
            polys_lo.append(np.array([[cxk - hw, wy], [cxk + hw, wy], [cxk + bend * p, apex]]))
            side = -1 if sc.sun_left else 1
            polys_hi.append(np.array([[cxk + side * hw * 0.9, wy - 0.1 * p], [cxk, wy], [cxk + bend * p, apex]]))
        cv.fill(polys_lo, lo, region, d)
        cv.fill(polys_hi, mid, region, d)
        if snow:
            sn = [np.array([[q[0][0] + (q[2][0] - q[0][0]) * 0.35, q[0][1] + (q[2][1] - q[0][1]) * 0.35],
                            [q[2][0], q[2][1]],
                            [q[1][0] + (q[2][0] - q[1][0]) * 0.35, q[1][1] + (q[2][1] - q[1][1]) * 0.35],
                            [q[1][0] * 0.9 + q[0][0] * 0.1, q[1][1] - 0.4 * p],
                            [q[0][0] * 0.9 + q[1][0] * 0.1, q[0][1] - 0.4 * p]]) for q in polys_lo]
            cv.fill(sn, sc.lit(colour(0.97, 0.98, 1.0)), region, d)
        sc.note("conifer")
        return
    # round / pine crowns made of leaf clumps
    ncl = int(rng.integers(6, 11)) if kind == "round" else int(rng.integers(4, 7))
    ccx = x + lean
    ccy = yb - ht * (0.68 if kind == "round" else 0.8)
    R = ht * (0.32 if kind == "round" else 0.26)
    clumps_lo, clumps_mid, clumps_hi = [], [], []
    for k in range(ncl):
        a = rng.uniform(0, 2 * math.pi)
        rr = rng.uniform(0.0, 0.7) * R
        ox = math.cos(a) * rr * (1.3 if kind == "pine" else 1.0) + bend * R * 0.5
        oy = math.sin(a) * rr * (0.45 if kind == "pine" else 0.8)
        cr = R * rng.uniform(0.45, 0.7)
        ry = cr * (0.55 if kind == "pine" else 0.9)
        clumps_lo.append(circle(ccx + ox, ccy + oy, cr, ry, 18))
        sgn = -1 if sc.sun_left else 1
        clumps_mid.append(circle(ccx + ox + sgn * cr * 0.15, ccy + oy - cr * 0.15, cr * 0.8, ry * 0.8, 16))
        clumps_hi.append(circle(ccx + ox + sgn * cr * 0.35, ccy + oy - cr * 0.35, cr * 0.4, ry * 0.4, 12))
    cv.fill(clumps_lo, lo, region, d)
    cv.fill(clumps_mid, mid, region, d)
    cv.fill(clumps_hi[::2], hi, region, d)
    if snow:
        sn = [circle(q[:, 0].mean(), q[:, 1].min() + (q[:, 1].max() - q[:, 1].min()) * 0.25,
                      (q[:, 0].max() - q[:, 0].min()) * 0.42, (q[:, 1].max() - q[:, 1].min()) * 0.2, 14) for q in clumps_mid]
        cv.fill(sn, sc.lit(colour(0.97, 0.98, 1.0)), region, d)
    sc.note("pine tree" if kind == "pine" else "tree")


def draw_bare_tree(sc, x, yb, ht, d, burnt=False):
    rng = sc.rng
    segs = []
    col = colour(0.10, 0.08, 0.07) if burnt else sc.shd(colour(0.40, 0.32, 0.26))
    p = sc.ppm(d)

    def branch(x0, y0, ang, L, w, depth):
        x1 = x0 + math.cos(ang) * L
        y1 = y0 + math.sin(ang) * L
        nx, ny = -math.sin(ang), math.cos(ang)
        segs.append(np.array([[x0 + nx * w, y0 + ny * w], [x1 + nx * w * 0.6, y1 + ny * w * 0.6],
                              [x1 - nx * w * 0.6, y1 - ny * w * 0.6], [x0 - nx * w, y0 - ny * w]]))
        if depth > 0:
            for s in (-1, 1):
                branch(x1, y1, ang + s * rng.uniform(0.3, 0.7), L * rng.uniform(0.6, 0.78), w * 0.62, depth - 1)
    branch(x, yb, -math.pi / 2 + rng.uniform(-0.1, 0.1), ht * 0.38, 0.35 * p, 4)
    sc.cv.fill(segs, col, Region.NONE, d)
    sc.note("bare tree")


def draw_forest_band(sc: Scene, ridge, base_row, depth, color, density=1.0, region=Region.NONE, top_only=False,
                 burnt=False, rows=(0.0, 1.0)):
    """Many small tree silhouettes covering a slope between ``ridge`` and ``base_row`` (one batch)."""
    rng = sc.rng
    W = sc.W
    p = sc.ppm(depth)
    n = int(density * W / max(1.6 * p, 2.0) * (1 if top_only else 4))
    xs = rng.uniform(0, W, n)
    xi = np.clip(xs.astype(int), 0, W - 1)
    f = rng.uniform(rows[0], rows[1], n) ** 1.5 if not top_only else rng.uniform(0, 0.05, n)
    ys = ridge[xi] + (base_row - ridge[xi]) * f + 0.6 * p
    order = np.argsort(ys)
    lo, hi = [], []
    for k in order:
        x, y = xs[k], ys[k]
        s = p * rng.uniform(1.6, 2.6)
        if sc.family in ("wildfire", "heavy_snow") or burnt or rng.random() < 0.5:
            tri = np.array([[x - s * 0.45, y], [x + s * 0.45, y], [x, y - s * 1.6]])
            lo.append(tri)
            hi.append(np.array([[x - s * 0.45 if sc.sun_left else x + s * 0.45, y], [x, y], [x, y - s * 1.6]]))
        else:
            lo.append(circle(x, y - s * 0.5, s * 0.55, s * 0.6, 10))
            hi.append(circle(x - s * 0.15 * (1 if sc.sun_left else -1), y - s * 0.62, s * 0.32, s * 0.35, 8))
    if burnt:
        sc.cv.fill(lo, colour(0.09, 0.07, 0.06), region, depth)
        return
    sc.cv.fill(lo, sc.shd(color, 0.85), region, depth)
    sc.cv.fill(hi, sc.lit(color, 0.95), region, depth)
    sc.note("forest")
