"""The earthquake scene: a cracked road and collapsed houses."""
from __future__ import annotations

import numpy as np

from cinealert.imaging.procedural.basics import colour, mix, rot
from cinealert.imaging.procedural.buildings import draw_apartment, draw_car, draw_house, draw_pole_line, draw_road, draw_rubble
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.palette import ROOFS, WALLS
from cinealert.imaging.procedural.particles import draw_dust_clouds
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import paint_ground, paint_mountains
from cinealert.regions import Region


def draw_ground_crack(sc: Scene, d0):
    """A big zig-zag crack across the ground (and road) near depth ``d0``, with a raised far lip."""
    rng = sc.rng
    W = sc.W
    n = 14
    xs = np.linspace(-0.05 * W, 1.05 * W, n) + rng.uniform(-0.02, 0.02, n) * W
    ds = d0 * (1 + rng.uniform(-0.15, 0.15, n))
    ys = np.array([sc.y_of(d) for d in ds])
    mid = np.exp(-((xs - W * sc.uni(0.35, 0.65)) / (0.3 * W)) ** 2)
    gap = (0.3 + 1.5 * mid) * np.array([sc.ppm(d) for d in ds])
    top = np.stack([xs, ys - gap * 0.5], 1)
    bot = np.stack([xs, ys + gap * 0.5], 1)
    wall = np.stack([xs, ys - gap * 0.5 + gap * 0.45], 1)
    lip = np.stack([xs, ys - gap * 0.5 - 0.35 * np.array([sc.ppm(d) for d in ds])], 1)
    cv = sc.cv
    cv.fill([np.concatenate([lip, top[::-1]])], sc.lit(colour(0.55, 0.50, 0.44)), Region.NONE, None)
    cv.fill([np.concatenate([top, bot[::-1]])], colour(0.07, 0.05, 0.04), Region.NONE, float(d0 * 1.4))
    cv.fill([np.concatenate([top, wall[::-1]])], sc.shd(colour(0.50, 0.36, 0.24)), Region.NONE, float(d0 * 1.2))
    # branching hairline cracks
    br = []
    for k in range(1, n - 1, 2):
        x, y = xs[k], ys[k]
        pts = [(x, y)]
        for _ in range(4):
            x += rng.uniform(-0.04, 0.04) * W
            y += rng.uniform(0.01, 0.04) * sc.K * (1 if rng.random() < 0.5 else -0.5)
            pts.append((x, y))
        br.append(np.array(pts))
    cv.lines(br, colour(0.1, 0.08, 0.07), max(1.5 * sc.u, 1), Region.NONE, None, 0.9)
    sc.note("ground crack")


def draw_collapsed_house(sc, x, d):
    """A collapsed house: broken wall stubs under a roof that has slid down onto a rubble heap."""
    rng = sc.rng
    p = sc.ppm(d)
    yb = sc.y_of(d)
    w = sc.uni(9, 13) * p
    wall = sc.pick(WALLS)
    roof = sc.pick(ROOFS)
    stub = []
    xs = np.linspace(x - w / 2, x + w / 2, 9)
    tops = yb - rng.uniform(0.5, 2.6, 9) * p
    stub = np.concatenate([[[x - w / 2, yb]], np.stack([xs, tops], 1), [[x + w / 2, yb]]])
    sc.cv.fill([stub], sc.shd(wall), Region.NONE, d)
    draw_rubble(sc, x, d, 10)
    ang = sc.uni(0.25, 0.45) * (1 if rng.random() < 0.5 else -1)
    rp = np.array([[x - w * 0.55, yb - 1.0 * p], [x + w * 0.45, yb - 1.0 * p], [x + w * 0.35, yb - 3.4 * p], [x - w * 0.4, yb - 3.6 * p]])
    rp = rot(rp, x, yb - 1.5 * p, ang)
    sc.cv.fill([rp], sc.lit(roof, 0.9), Region.NONE, d * 0.99)
    sc.cv.lines([rp[[0, 1]]], sc.shd(roof, 0.6), max(0.3 * p, 1), Region.NONE, None)
    sc.note("collapsed house")


def scene_earthquake(sc: Scene):
    rng = sc.rng
    W = sc.W
    paint_sky(sc)
    paint_mountains(sc, n=2, max_height=0.4, near_hill=False)
    paint_ground(sc, color=mix(sc.pal["grass"], colour(0.62, 0.60, 0.55), 0.6), texture=0.06)
    d_crack = sc.uni(1.45, 1.9)
    road = draw_road(sc, sc.uni(0.35, 0.65) * W, sc.uni(0.4, 0.6), width_m=9, d_far=30)
    sc.info["road"] = True
    # apartment blocks behind: one leaning, one broken
    apts = sc.scatter(int(rng.integers(3, 5)), 9, 20, 42)
    broken_i = int(rng.integers(len(apts))) if apts else -1
    for i, (x, d) in enumerate(sorted(apts, key=lambda s: -s[1])):
        tilt = sc.uni(0.06, 0.12) * (1 if rng.random() < 0.5 else -1) if i % 2 == 0 else 0.0
        draw_apartment(sc, x, d, tilt=tilt, broken=(i == broken_i))
    spots = sc.scatter(int(rng.integers(5, 8)), 2.4, 8, 14, avoid=road_avoid(sc, road))
    dust_src = []
    n_coll = 0
    for (x, d) in sorted(spots, key=lambda s: -s[1]):
        if rng.random() < 0.5 or n_coll == 0:
            draw_collapsed_house(sc, x, d)
            n_coll += 1
            dust_src.append((x, sc.y_of(d), max(sc.uni(26, 38) * sc.ppm(d), 0.16 * W)))
        else:
            draw_house(sc, x, d, tilt=sc.uni(-0.12, 0.12))
    for (x, d) in sc.scatter(int(rng.integers(2, 4)), 1.6, 4, 6, avoid=road_avoid(sc, road)):
        draw_rubble(sc, x, d, sc.uni(4, 7))
    if "car" in sc.want:
        for (x, d) in sc.scatter(2, 2.0, 5.0, 5):
            draw_car(sc, x, d)
    if "pole" in sc.want:
        draw_pole_line(sc, 1.3, 12, sc.uni(0.05, 0.2), sc.uni(0.3, 0.45), lean=0.3)
    draw_ground_crack(sc, d_crack)
    if apts:
        (x, d) = apts[0]
        dust_src.append((x, sc.y_of(d), 50 * sc.ppm(d)))
    draw_dust_clouds(sc, dust_src, colour(0.80, 0.74, 0.64), Region.DUST, strength=0.95)
    sc.fog_amount, sc.fog_scale = 0.8, 40.0
    sc.haze = mix(sc.haze, colour(0.85, 0.80, 0.72) * sc.tod["dim"], 0.5)


def road_avoid(sc, road):
    ds, Xc = road
    av = []
    for d, X in zip(ds[::3], Xc[::3]):
        av.append((sc.x_of(X, d), sc.y_of(d), 6 * sc.ppm(d), 5 * sc.ppm(d)))
    return av
