"""The thunderstorm scene: a towering cumulonimbus, a still lightning bolt, gust-driven rain and hail."""
from __future__ import annotations

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import SKY_DEPTH, circle, colour, mix
from cinealert.imaging.procedural.buildings import draw_house, draw_pole_line
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.particles import draw_rain
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import paint_ground, paint_mountains
from cinealert.imaging.procedural.vegetation import draw_tree
from cinealert.regions import Region


def draw_cumulonimbus(sc: Scene):
    """A towering storm cloud: a boiling tower of rounded heaps under a flat, spreading anvil."""
    W, rng = sc.W, sc.rng
    cx = sc.uni(0.3, 0.7) * W
    base = sc.h * sc.uni(0.58, 0.66)
    top = max(0.05 * sc.H, sc.h * 0.1)
    width = sc.uni(0.24, 0.32) * W
    dark = mix(sc.shadec * 0.3, sc.sky_top * 0.4, 0.3)
    lit = mix(sc.light * 1.05, sc.sky_hor, 0.2)
    heaps = []
    n = 9
    for k in range(n):                                     # the tower, wider at the bottom
        t = k / (n - 1)
        y = base - t * (base - top) * 0.8
        r = width * (0.55 - 0.3 * t) * sc.uni(0.8, 1.1)
        x = cx + sc.uni(-0.25, 0.25) * width * (1 - t)
        heaps.append((x, y, r, t))
    anvil = np.concatenate([circle(cx + width * 0.35, top + 0.03 * sc.H, width * 1.5, 0.05 * sc.H, n=40)])
    sc.cv.fill([anvil], mix(lit, dark, 0.35), Region.CLOUD, SKY_DEPTH * 0.6)
    for x, y, r, t in heaps:
        sc.cv.fill([circle(x, y, r, r * 0.8, n=32)], mix(dark, lit, 0.25 + 0.6 * t), Region.CLOUD, SKY_DEPTH * 0.6)
        sc.cv.fill([circle(x - r * 0.2, y - r * 0.25, r * 0.7, r * 0.5, n=28)], mix(dark, lit, 0.55 + 0.4 * t),
                   Region.CLOUD, SKY_DEPTH * 0.6, alpha=0.7)
    # a dark rain shaft under the cloud base
    shaft = np.array([[cx - width * 0.45, base], [cx + width * 0.45, base],
                      [cx + width * 0.75, sc.h + 0.02 * sc.H], [cx - width * 0.15, sc.h + 0.02 * sc.H]])
    a = np.zeros((sc.H, W), np.float32)
    cv2.fillPoly(a, [np.round(shaft).astype(np.int32)], 1.0)
    a = cv2.GaussianBlur(a, (0, 0), max(0.04 * width, 1.0)) * 0.4
    sc.cv.layer(a, dark, None, None)
    sc.note("cumulonimbus")
    return cx, base, width


def draw_lightning(sc: Scene, x0, y0, y1):
    """A jagged bolt from the cloud base to the ground, thin and still: no flashing frame."""
    rng = sc.rng
    pts = [(x0, y0)]
    steps = 9
    for k in range(1, steps + 1):
        y = y0 + (y1 - y0) * k / steps
        pts.append((pts[-1][0] + sc.uni(-1, 1) * 0.025 * sc.W, y))
    bolt = np.array(pts)
    glow = colour(0.78, 0.80, 1.0)
    # the bolt stays put while the cloud behind it boils (a drifting bolt would ghost): no moving region
    sc.cv.lines([bolt], glow, max(7.0 * sc.u, 3.0), Region.NONE, None, alpha=0.3)
    sc.cv.lines([bolt], colour(0.97, 0.97, 1.0), max(2.4 * sc.u, 1.2), Region.NONE, None)
    k = int(rng.integers(3, 6))                            # one short fork
    fork = np.array([pts[k], (pts[k][0] + sc.uni(0.02, 0.05) * sc.W, pts[k][1] + 0.08 * (y1 - y0))])
    sc.cv.lines([fork], colour(0.95, 0.95, 1.0), max(1.0 * sc.u, 1.0), Region.NONE, None)
    sc.note("lightning bolt")


def draw_hail(sc: Scene):
    """Hailstones: small white pellets in the air and on the ground."""
    rng = sc.rng
    n = int(sc.W * sc.H / 2500)
    xs = rng.uniform(0, sc.W, n)
    ys = rng.uniform(sc.h * 0.7, sc.H, n)
    col = mix(sc.light, colour(1, 1, 1), 0.6)
    polys = [circle(x, y, max(1.2 * sc.u * (0.6 + y / sc.H), 1.0), n=8) for x, y in zip(xs, ys)]
    sc.cv.fill(polys, col, None, None, alpha=0.8)
    sc.note("hailstones", n)


def scene_thunderstorm(sc: Scene):
    rng = sc.rng
    paint_sky(sc, cover=0.75)
    cx, base, width = draw_cumulonimbus(sc)
    paint_mountains(sc, n=2, max_height=0.35)
    paint_ground(sc, fields=True)
    bend = sc.uni(0.35, 0.6)
    spots = sc.scatter(int(rng.integers(4, 7)), 2.2, 14, 12)
    trees = sc.scatter(int(rng.integers(6, 10)), 1.4, 12, 5,
                       avoid=[(x, sc.y_of(d), 6 * sc.ppm(d), 3) for x, d in spots])
    objs = [(x, d, 0) for x, d in spots] + [(x, d, 1) for x, d in trees]
    for (x, d, k) in sorted(objs, key=lambda o: -o[1]):
        if k == 0:
            draw_house(sc, x, d)
        else:
            draw_tree(sc, x, d, kind="round" if rng.random() < 0.7 else "conifer", bend=bend, region=Region.FOLIAGE)
    if "pole" in sc.want:
        draw_pole_line(sc, 1.3, 10, sc.uni(0.05, 0.25), sc.uni(0.6, 0.9), lean=0.1)
    draw_lightning(sc, cx + sc.uni(-0.2, 0.3) * width, base, sc.h + 0.015 * sc.H)
    text = sc.md.text()
    if "hail" in text or "우박" in text or "grêle" in text or "granizo" in text:
        draw_hail(sc)
    draw_rain(sc, 1.0, 0.45)
    sc.fog_amount, sc.fog_scale = 0.8, 35.0
    sc.haze = mix(sc.sky_hor, colour(0.55, 0.58, 0.62) * sc.tod["dim"], 0.4)
    sc.info["wind_bend"] = round(bend, 2)
