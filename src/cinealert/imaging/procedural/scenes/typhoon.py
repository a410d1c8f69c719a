"""The typhoon scene (also strong wind): a spiral sky, rain and trees bent by the wind."""
from __future__ import annotations

import numpy as np

from cinealert.imaging.procedural.basics import colour, fbm, fbm1d, mix, smooth
from cinealert.imaging.procedural.buildings import draw_house, draw_pole_line
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.particles import draw_rain
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import paint_ground, paint_mountains
from cinealert.imaging.procedural.vegetation import draw_tree
from cinealert.imaging.procedural.water import water_texture
from cinealert.regions import Region


def scene_typhoon(sc: Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    sea = sc.key != "strong_wind"
    paint_sky(sc, spiral=True, cover=0.95 if sea else 0.8)
    bend = sc.uni(0.6, 0.9)
    if sea:
        paint_mountains(sc, n=1, max_height=0.25, near_hill=False)
        paint_ground(sc, color=mix(sc.pal["grass"], colour(0.5, 0.55, 0.4), 0.3))
        # rough sea over the far ground, the shore with breaking surf
        d_shore = sc.uni(2.6, 3.4)
        shore = sc.y_of(d_shore) + fbm1d(rng, W, 3, 3) * sc.K * 0.02
        tex = water_texture(sc, sc.lit(colour(0.30, 0.42, 0.45)), sc.shd(colour(0.12, 0.20, 0.24)), streak=1.4, foam=0.9, sky_reflect=0.35)
        X, Z = sc.ground_coords()
        caps = fbm(rng, H, W, 22, 5, 3, 0.6, res=0.5)
        white = smooth(0.75, 1.3, caps) * np.exp(-sc.gdepth / 40)
        tex = tex + (colour(0.9, 0.93, 0.95) * sc.light - tex) * white[..., None]
        a = (np.clip(shore[None, :] - sc.ys[:, None] + 0.5, 0, 1) * (sc.ys[:, None] > sc.h)).astype(np.float32)
        sc.cv.layer(a, tex.astype(np.float32), Region.WATER, sc.gdepth)
        # surf: a band of foam along the shore
        surf = np.exp(-((sc.ys[:, None] - shore[None, :] + 0.02 * sc.K) / (0.018 * sc.K)) ** 2) * (0.6 + 0.4 * caps)
        sc.cv.layer(np.clip(surf, 0, 1).astype(np.float32) * 0.9, colour(0.9, 0.93, 0.95) * sc.light, Region.WATER, None, thresh=0.5)
        sc.note("rough sea")
        near0 = 1.25
        dmax = d_shore * 0.9
    else:
        paint_mountains(sc, n=2, max_height=0.4)
        paint_ground(sc, fields=True)
        dmax = 16
        near0 = 1.4
    spots = sc.scatter(int(rng.integers(3, 6)), 2.2, dmax, 13)
    trees = sc.scatter(int(rng.integers(6, 11)), near0, dmax, 5, avoid=[(x, sc.y_of(d), 6 * sc.ppm(d), 3) for x, d in spots])
    objs = [(x, d, 0) for x, d in spots] + [(x, d, 1) for x, d in trees]
    kind = "palm" if sea and ("korea" not in sc.words or "palm" in sc.md.text()) and rng.random() < 0.5 else "round"
    for (x, d, k) in sorted(objs, key=lambda o: -o[1]):
        if k == 0:
            draw_house(sc, x, d)
        else:
            kk = kind if rng.random() < 0.7 else ("pine" if "pine" in sc.want or sea else "round")
            draw_tree(sc, x, d, kind=kk, bend=bend, region=Region.FOLIAGE)
    if "pole" in sc.want:
        draw_pole_line(sc, 1.3, dmax, sc.uni(0.05, 0.3), sc.uni(0.6, 0.9), lean=0.2)
    # wind-blown leaves and debris, then slanted rain
    draw_rain(sc, 1.1, 0.55)
    sc.fog_amount, sc.fog_scale = 0.85, 30.0
    sc.haze = mix(sc.sky_hor, colour(0.6, 0.64, 0.66) * sc.tod["dim"], 0.4)
    sc.info["wind_bend"] = round(bend, 2)
