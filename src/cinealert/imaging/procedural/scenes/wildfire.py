"""The wildfire scene: a burning ridge with flame tongues and smoke."""
from __future__ import annotations

import numpy as np

from cinealert.imaging.procedural.basics import colour, fbm, fbm1d, mix, smooth
from cinealert.imaging.procedural.buildings import draw_house, draw_pole_line, draw_road
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.particles import fire_colour, smoke_field
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import draw_ridge, paint_ground, paint_mountains, paint_range
from cinealert.imaging.procedural.vegetation import draw_forest_band, draw_tree
from cinealert.regions import Region


def scene_wildfire(sc: Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    paint_sky(sc, cover=0.3)
    paint_mountains(sc, n=2, max_height=0.35, near_hill=False)
    paint_ground(sc, fields="paddy" in sc.want, color=mix(sc.pal["grass"], colour(0.6, 0.55, 0.3), 0.3))
    # the burning ridge
    Dr = sc.uni(7.0, 10.0)
    base = sc.y_of(Dr)
    top = sc.h * sc.uni(0.35, 0.55)
    ridge = draw_ridge(sc, base, base - top, sc.uni(1.5, 2.6), sharp=0.2)
    forest = colour(0.16, 0.32, 0.18) if sc.season != "autumn" else colour(0.45, 0.32, 0.15)
    paint_range(sc, ridge, forest, depth=Dr, base_row=base, trees=True)
    draw_forest_band(sc, ridge, base, Dr, mix(forest, colour(0.1, 0.25, 0.15), 0.4), density=1.2)
    # the fire front runs along the upper slope over part of the ridge
    span0, span1 = sc.uni(-0.1, 0.15) * W, sc.uni(0.8, 1.1) * W
    f = 0.18 + 0.22 * (0.5 + 0.5 * fbm1d(rng, W, 3, 3))
    yf = ridge + (base - ridge) * f
    active = smooth(span0, span0 + 0.08 * W, sc.xs) * smooth(span1, span1 - 0.08 * W, sc.xs)
    # burnt slope above the front: charred
    burnt = np.concatenate([np.stack([sc.xs, ridge - 1], 1), np.stack([sc.xs, yf], 1)[::-1]])
    ch = np.zeros((H, W), np.float32)
    m, box = sc.cv.mask([burnt])
    if m is not None:
        ch[box[0]:box[1], box[2]:box[3]] = m
    ch *= active[None, :]
    glow_n = fbm(rng, H, W, 10, 30, 3, res=0.5)
    char = colour(0.12, 0.08, 0.07)[None, None] + (colour(0.85, 0.25, 0.05) - colour(0.12, 0.08, 0.07))[None, None] * \
        np.clip(glow_n * 0.8 - 0.2, 0, 1)[..., None]
    sc.cv.layer(ch * 0.92, char.astype(np.float32), Region.NONE, None)
    draw_forest_band(sc, ridge, base, Dr, forest, density=0.6, burnt=True, rows=(0.0, 0.25))
    # smoke plumes rising from the front, drifting with the wind
    wind = sc.uni(0.12, 0.35) * (1 if rng.random() < 0.6 else -1)
    srcs = []
    ns = int(rng.integers(3, 6))
    for k in range(ns):
        x = span0 + (span1 - span0) * (k + rng.uniform(0.2, 0.8)) / ns
        xi = int(np.clip(x, 0, W - 1))
        srcs.append((x, yf[xi] - 0.06 * H, sc.uni(0.07, 0.12) * W))
    alpha, emb = smoke_field(sc, srcs, wind=wind)
    dark = colour(0.26, 0.23, 0.22) * sc.tod["dim"]
    light = mix(colour(0.80, 0.77, 0.73), sc.sky_hor, 0.2) * sc.tod["dim"]
    smoke = dark[None, None] + (light - dark)[None, None] * emb[..., None]
    fire_glow = np.exp(-np.clip(yf[None, :] - sc.ys[:, None], 0, None) / (0.16 * H)).astype(np.float32)
    smoke = smoke + (colour(1.0, 0.50, 0.16) - smoke) * (fire_glow * 0.7)[..., None]
    a = (alpha * 0.96).astype(np.float32)
    sc.cv.layer(a, smoke.astype(np.float32), Region.SMOKE, np.float32(Dr * 1.15), thresh=0.4)
    sc.note("smoke plume", ns)
    # flames: tongues with a hot core, taller where the fire is fiercest
    fh = (0.08 + 0.16 * (0.5 + 0.5 * fbm1d(rng, W, 5, 3))) * H * active
    tongues = fbm(rng, H, W, 3, 55, 4, 0.55, res=0.5)
    tt = (yf[None, :] - sc.ys[:, None]) / np.maximum(fh[None, :], 1)
    inten = (1.05 - tt) * np.clip(0.72 + 0.42 * tongues, 0.05, None) - 0.1 * np.abs(tongues)
    inten = np.where(tt < 0, 0.75 + tt * 5, inten)
    inten = np.where(tt > 1.8, 0.0, inten) * active[None, :]
    alpha = smooth(0.18, 0.32, inten).astype(np.float32)
    alpha *= (tt > -0.1)
    col = fire_colour(np.clip(inten * 0.95, 0, 1))
    sc.cv.layer(alpha, col, Region.FIRE, np.float32(Dr), glow=0.9)
    sc.note("flame front")
    # burning tree silhouettes against the flames, then a few large flame tongues
    draw_flame_tongues(sc, yf, fh, active, Dr, count=int(rng.integers(6, 11)))
    # foreground: fire-lit, unburnt
    sc.light = mix(sc.light, colour(1.0, 0.66, 0.42), 0.35)
    if "road" in sc.want:
        draw_road(sc, sc.uni(0.3, 0.7) * W, sc.uni(0.3, 0.7), d_far=Dr)
    spots = sc.scatter(int(rng.integers(3, 6)), 1.8, Dr * 0.75, 13)
    trees = sc.scatter(int(rng.integers(4, 8)), 1.3, Dr * 0.8, 5, avoid=[(x, sc.y_of(d), 6 * sc.ppm(d), 3) for x, d in spots])
    objs = [(x, d, 0) for x, d in spots] + [(x, d, 1) for x, d in trees]
    for (x, d, k) in sorted(objs, key=lambda o: -o[1]):
        if k == 0:
            draw_house(sc, x, d)
        else:
            draw_tree(sc, x, d, kind="pine" if rng.random() < 0.6 else "conifer", region=Region.NONE)
    if "pole" in sc.want:
        draw_pole_line(sc, 1.4, Dr * 0.8, sc.uni(0.05, 0.2), sc.uni(0.4, 0.8))
    # an orange cast over the whole scene from the fire
    sc.haze = mix(sc.haze, colour(0.85, 0.55, 0.35) * sc.tod["dim"], 0.5)
    sc.fog_amount = 0.75
    sc.info["fire_depth"] = round(Dr, 2)


def draw_flame_tongue(x, yb, b, hgt, lean, n=18):
    t = np.linspace(0, 1, n)
    w = b * 0.5 * np.sin(np.pi * np.clip(t * 0.9 + 0.1, 0, 1)) ** 0.8 * (1 - t) ** 0.6
    cxs = x + lean * hgt * t ** 2 + 0.08 * b * np.sin(t * 7)
    ys = yb - hgt * t
    return np.concatenate([np.stack([cxs - w, ys], 1), np.stack([cxs + w, ys], 1)[::-1]])


def draw_flame_tongues(sc, yf, fh, active, Dr, count=8):
    rng = sc.rng
    W = sc.W
    trees, outer, mid, core = [], [], [], []
    p = sc.ppm(Dr)
    for _ in range(count):
        x = rng.uniform(0, W)
        xi = int(np.clip(x, 0, W - 1))
        if active[xi] < 0.5:
            continue
        yb = yf[xi]
        s = p * rng.uniform(2.5, 4.5)
        trees.append(np.array([[x - s * 0.3, yb], [x + s * 0.3, yb], [x, yb - s * 2.8]]))
        hgt = fh[xi] * rng.uniform(1.0, 1.5)
        b = hgt * rng.uniform(0.35, 0.5)
        lean = rng.uniform(-0.2, 0.3)
        outer.append(draw_flame_tongue(x, yb + 0.1 * hgt, b, hgt, lean))
        mid.append(draw_flame_tongue(x, yb + 0.1 * hgt, b * 0.7, hgt * 0.7, lean))
        core.append(draw_flame_tongue(x, yb + 0.1 * hgt, b * 0.4, hgt * 0.4, lean))
    sc.cv.fill(trees, colour(0.08, 0.05, 0.04), Region.NONE, Dr * 0.99, alpha=0.9)
    sc.cv.fill(outer, colour(0.95, 0.35, 0.06), Region.FIRE, Dr * 0.99, glow=0.9)
    sc.cv.fill(mid, colour(1.0, 0.62, 0.12), Region.FIRE, Dr * 0.99, glow=0.95)
    sc.cv.fill(core, colour(1.0, 0.90, 0.55), Region.FIRE, Dr * 0.99, glow=1.0)
    sc.note("burning tree", len(trees))
