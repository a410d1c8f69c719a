"""The flood scene: a river burst over fields and a village, with floating debris."""
from __future__ import annotations

import math

import numpy as np

from cinealert.imaging.procedural.basics import colour, fbm, fbm1d, mix, rot, smooth
from cinealert.imaging.procedural.buildings import draw_apartment, draw_car, draw_greenhouses, draw_house, draw_pole_line, draw_road
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.particles import draw_rain
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import paint_ground, paint_mountains
from cinealert.imaging.procedural.vegetation import draw_tree
from cinealert.imaging.procedural.water import draw_water_plane, river_poly, water_texture
from cinealert.regions import Region


def scene_flood(sc: Scene):
    heavy = sc.key == "heavy_rain"
    rng = sc.rng
    paint_sky(sc)
    paint_mountains(sc, n=3, max_height=0.6)
    paint_ground(sc, fields=True)
    muddy = sc.lit(colour(0.58, 0.46, 0.32))
    deep = sc.shd(colour(0.40, 0.31, 0.21))
    tex = water_texture(sc, muddy, deep, foam=0.35, sky_reflect=0.35)
    W = sc.W
    if heavy:
        # a swollen brown river through the fields, a bridge, houses on the banks
        left, right, ds, Xc = river_poly(sc, 0.85, 40, sc.uni(0.35, 0.6) * W, sc.uni(0.3, 0.7) * W, sc.uni(38, 55), 0.5)
        sc.cv.fill([np.concatenate([left, right[::-1]])], tex, Region.WATER, sc.gdepth)
        bank = [np.concatenate([left, left[::-1] + (-3, 0)]), np.concatenate([right, right[::-1] + (3, 0)])]
        sc.cv.fill(bank, sc.shd(colour(0.45, 0.38, 0.28)), Region.NONE, None)
        sc.note("river")
        # flooded paddies: water patches beside the river
        X, Z = sc.ground_coords()
        pn = fbm(rng, sc.H, W, 3, 5, 3, res=0.5)
        patches = (smooth(0.35, 0.5, pn) * (sc.ys[:, None] > sc.h + 2)).astype(np.float32)
        sc.cv.layer(patches * 0.92, mix(tex, sc.sky_hor, 0.25), Region.WATER, sc.gdepth)
        sc.note("flooded paddies")
        spots = sc.scatter(int(rng.integers(5, 9)), 2.2, 14, 12, avoid=river_avoid(sc, left, right))
        if "bridge" in sc.want or True:
            draw_bridge(sc, left, right, ds, float(rng.uniform(3.0, 5.0)))
        objs = [(x, d, "house") for (x, d) in spots]
        objs += [(x, d, "tree") for (x, d) in sc.scatter(int(rng.integers(5, 9)), 1.6, 12, 6, avoid=river_avoid(sc, left, right))]
        for (x, d, kind) in sorted(objs, key=lambda o: -o[1]):
            if kind == "house":
                draw_house(sc, x, d)
            else:
                draw_tree(sc, x, d, kind="round", region=Region.NONE)
        if "pole" in sc.want:
            draw_pole_line(sc, 1.3, 9, 0.08, 0.25)
        draw_rain(sc, 0.9, 0.18)
        sc.info["water_level_m"] = 0.0
        return
    # flood: a water plane over the lower frame, the far shore beyond it
    d_shore = sc.uni(12, 18)
    shore = sc.y_of(d_shore) + fbm1d(rng, W, 4, 3) * sc.K * 0.012
    # dry land beyond the shore: small houses and trees
    far = [(x, d) for (x, d) in sc.scatter(int(rng.integers(4, 8)), d_shore * 1.05, d_shore * 2.0, 10)]
    for (x, d) in sorted(far, key=lambda s: -s[1]):
        if rng.random() < 0.5:
            draw_house(sc, x, d)
        else:
            draw_tree(sc, x, d, region=Region.NONE)
    if "apartment" in sc.want or sc.korea:
        for (x, d) in sc.scatter(int(rng.integers(2, 4)), d_shore * 1.4, d_shore * 2.2, 40):
            draw_apartment(sc, x, d)
    # the flooded village
    items = []
    nh = int(rng.integers(6, 10))
    items += [(x, d, "house") for (x, d) in sc.scatter(nh, 2.0, d_shore * 0.8, 13)]
    nt = int(rng.integers(6, 12))
    items += [(x, d, "tree") for (x, d) in sc.scatter(nt, 1.25, d_shore * 0.9, 4)]
    edge = 0.0 if rng.random() < 0.5 else 1.0
    items += [(edge * W + (0.04 if edge == 0 else -0.04) * W, sc.uni(1.3, 1.6), "house")]
    if "car" in sc.want:
        items += [(x, d, "car") for (x, d) in sc.scatter(int(rng.integers(2, 4)), 1.4, 4.0, 5)]
    if "greenhouse" in sc.want:
        items += [(x, d, "greenhouse") for (x, d) in sc.scatter(1, 3.0, 6.0, 20)]
    if "road" in sc.want:
        draw_road(sc, sc.uni(0.3, 0.7) * W, sc.uni(0.3, 0.7), d_far=d_shore)
    for (x, d, kind) in sorted(items, key=lambda o: -o[1]):
        if kind == "house":
            draw_house(sc, x, d)
        elif kind == "tree":
            draw_tree(sc, x, d, kind="round" if rng.random() < 0.7 else "conifer", region=Region.NONE)
        elif kind == "car":
            draw_car(sc, x, d)
        else:
            draw_greenhouses(sc, x, d, 2)
    if "pole" in sc.want:
        draw_pole_line(sc, 1.5, d_shore * 0.8, sc.uni(0.05, 0.2), sc.uni(0.5, 0.8), lean=0.12)
    level = sc.uni(1.8, 2.3)
    draw_water_plane(sc, tex, shore, level)
    draw_floating_debris(sc, d_shore)
    draw_rain(sc, 0.5, 0.15)
    sc.info["water_level_m"] = round(level, 2)
    sc.info["shore_depth"] = round(d_shore, 2)


def river_avoid(sc, left, right):
    av = []
    for (a, b) in zip(left[::4], right[::4]):
        av.append(((a[0] + b[0]) / 2, a[1], abs(b[0] - a[0]) / 2 + 4, 6))
    return av


def draw_bridge(sc, left, right, ds, d):
    """A concrete bridge across the river at depth ``d``, its deck just above the high water."""
    i = int(np.argmin(np.abs(ds - d)))
    d = float(ds[i])
    p = sc.ppm(d)
    yb = sc.y_of(d)
    xa, xb = left[i, 0] - 6 * p, right[i, 0] + 6 * p
    cv = sc.cv
    deck = np.array([[xa, yb - 1.0 * p], [xb, yb - 1.0 * p], [xb, yb - 2.0 * p], [xa, yb - 2.0 * p]])
    piers = []
    for f in (0.33, 0.66):
        px = xa + (xb - xa) * f
        piers.append(np.array([[px - 0.6 * p, yb + 0.2 * p], [px + 0.6 * p, yb + 0.2 * p], [px + 0.6 * p, yb - 1.0 * p], [px - 0.6 * p, yb - 1.0 * p]]))
    cv.fill(piers, sc.shd(colour(0.65, 0.64, 0.62)), Region.NONE, d)
    cv.fill([deck], sc.lit(colour(0.78, 0.77, 0.74)), Region.NONE, d)
    rail = np.array([[xa, yb - 2.0 * p], [xb, yb - 2.0 * p], [xb, yb - 2.9 * p], [xa, yb - 2.9 * p]])
    cv.fill([rail], sc.lit(colour(0.85, 0.85, 0.84)), Region.NONE, d, alpha=0.55)
    cv.lines([np.array([[xa, yb - 2.9 * p], [xb, yb - 2.9 * p]])], sc.shd(colour(0.5, 0.5, 0.5)), max(0.2 * p, 1), Region.NONE, d)
    sc.note("bridge")


def draw_floating_debris(sc, d_far):
    rng = sc.rng
    polys = []
    for _ in range(int(rng.integers(8, 16))):
        d = math.exp(rng.uniform(math.log(1.3), math.log(d_far * 0.7)))
        x = rng.uniform(0, sc.W)
        y = sc.h + sc.water_level_ratio * sc.K / d
        p = sc.ppm(d)
        L = rng.uniform(0.8, 2.5) * p
        a = rng.uniform(-0.15, 0.15)
        xi, yi = int(np.clip(x, 0, sc.W - 1)), int(np.clip(y, 0, sc.H - 1))
        if sc.cv.reg[yi, xi] != sc.cv.label(Region.WATER) or sc.cv.dep[max(yi - 2, 0), xi] < d:
            continue  # hidden behind something nearer
        polys.append(rot(np.array([[x - L, y], [x + L, y], [x + L, y - 0.22 * p], [x - L, y - 0.22 * p]]), x, y, a))
    sc.cv.fill(polys, sc.shd(colour(0.42, 0.32, 0.22)), Region.WATER, None)
    sc.note("floating debris", len(polys))
