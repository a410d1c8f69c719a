"""The heavy-snow scene (also cold wave): deep snow on a village."""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import circle, colour, mix
from cinealert.imaging.procedural.buildings import (draw_apartment, draw_car, draw_fence, draw_house, draw_pole_line,
                                                   draw_road)
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import paint_ground, paint_mountains
from cinealert.imaging.procedural.vegetation import draw_tree
from cinealert.imaging.procedural.water import river_poly
from cinealert.regions import Region


def scene_heavy_snow(sc: Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    cold = sc.key == "cold_wave"
    paint_sky(sc)
    paint_mountains(sc, n=3, max_height=0.55, snow=1.0 if not cold else 0.6)
    paint_ground(sc, snow=True)
    if "river" in sc.want or cold:
        left, right, ds, Xc = river_poly(sc, 0.9, 40, sc.uni(0.1, 0.3) * W, sc.uni(0.5, 0.8) * W, sc.uni(14, 22), 0.4)
        ice = colour(0.70, 0.84, 0.92) if cold else colour(0.55, 0.66, 0.74)
        sc.cv.fill([np.concatenate([left, right[::-1]])], sc.lit(ice), Region.NONE, None)
        sc.note("frozen river" if cold else "icy stream")
    if "road" in sc.want:
        draw_road(sc, sc.uni(0.45, 0.75) * W, sc.uni(0.4, 0.6), color=colour(0.62, 0.64, 0.68), dash=False)
    spots = sc.scatter(int(rng.integers(5, 9)), 2.0, 14, 13)
    trees = sc.scatter(int(rng.integers(7, 12)), 1.5, 16, 4, avoid=[(x, sc.y_of(d), 7 * sc.ppm(d), 3) for x, d in spots])
    objs = [(x, d, 0) for x, d in spots] + [(x, d, 1) for x, d in trees]
    if "car" in sc.want:
        objs += [(x, d, 2) for x, d in sc.scatter(2, 1.4, 3.5, 5)]
    if "apartment" in sc.want:
        objs += [(x, d, 3) for x, d in sc.scatter(2, 14, 22, 40)]
    for (x, d, k) in sorted(objs, key=lambda o: -o[1]):
        if k == 0:
            draw_house(sc, x, d, snow=True)
        elif k == 1:
            draw_tree(sc, x, d, kind="conifer" if rng.random() < 0.65 else "round", snow=True, region=Region.NONE)
        elif k == 2:
            draw_car(sc, x, d, snow=True)
        else:
            draw_apartment(sc, x, d, snow=True)
    if "fence" in sc.want:
        d = sc.uni(1.6, 2.2)
        a0 = sc.uni(0.0, 0.3)
        draw_fence(sc, d, a0, a0 + sc.uni(0.3, 0.5), snow=True)
    if "pole" in sc.want:
        draw_pole_line(sc, 1.4, 10, sc.uni(0.05, 0.15), sc.uni(0.3, 0.5))
    # snowdrifts in the foreground
    drifts = []
    for _ in range(int(rng.integers(3, 6))):
        d = sc.uni(1.05, 1.8)
        x = sc.uni(-0.1, 1.1) * W
        p = sc.ppm(d)
        yb = sc.y_of(d)
        drifts.append((x, yb, sc.uni(8, 16) * p, sc.uni(1.2, 2.2) * p, d))
    for (x, yb, wd, ht, d) in sorted(drifts, key=lambda s: s[1]):
        mound = np.concatenate([circle(x, yb, wd / 2, ht, 28, math.pi, 2 * math.pi), [[x + wd / 2, yb + ht * 0.15], [x - wd / 2, yb + ht * 0.15]]])
        sc.cv.fill([mound], mix(sc.lit(colour(0.97, 0.98, 1.0)), sc.shd(colour(0.9, 0.94, 1.0)), 0.45), Region.NONE, d)
        lit = np.concatenate([circle(x - wd * 0.06 * (1 if sc.sun_left else -1), yb - ht * 0.02, wd * 0.46, ht * 0.95, 24, math.pi, 2 * math.pi),
                              [[x + wd * 0.4, yb - ht * 0.02]]])
        sc.cv.fill([lit], sc.lit(colour(0.98, 0.99, 1.0)), Region.NONE, d)
    sc.note("snowdrift", len(drifts))
    if not cold:
        # a soft veil of falling snow in the air (the motion stage animates snowfall on top)
        fl = np.zeros((H, W), np.float32)
        n = int(W * H / 700)
        fl[rng.integers(0, H, n), rng.integers(0, W, n)] = 1.0
        fl = cv2.GaussianBlur(fl, (0, 0), max(1.1 * sc.u, 0.6)) * 4
        sc.cv.layer(np.clip(fl, 0, 0.6).astype(np.float32), colour(0.97, 0.98, 1.0), None, None)
        sc.fog_amount, sc.fog_scale = 0.88, 30.0
        sc.haze = mix(sc.sky_hor, colour(0.9, 0.92, 0.95) * sc.tod["dim"], 0.5)
    else:
        sc.fog_amount, sc.fog_scale = 0.7, 60.0
