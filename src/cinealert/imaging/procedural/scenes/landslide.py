"""The landslide scene: a debris flow down a slope."""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import circle, colour, fbm, fbm1d, mix, ramp, rot
from cinealert.imaging.procedural.buildings import draw_house, draw_pole_line, draw_road
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.particles import draw_rain
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import paint_ground, paint_mountains, paint_range
from cinealert.imaging.procedural.vegetation import draw_forest_band, draw_tree
from cinealert.imaging.procedural.water import water_texture
from cinealert.regions import Region


def scene_landslide(sc: Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    paint_sky(sc)
    paint_mountains(sc, n=2, max_height=0.5, near_hill=False)
    paint_ground(sc, fields=True)
    # the mountain that fails: a big forested slope in the middle distance
    Dm = sc.uni(6.5, 8.5)
    base = sc.y_of(Dm)
    peak_row = sc.h * sc.uni(0.08, 0.25)
    x_top = sc.uni(0.35, 0.65) * W
    hump = np.exp(-((sc.xs - x_top - sc.uni(-0.1, 0.1) * W) / (sc.uni(0.35, 0.5) * W)) ** 2)
    ridge = base - (base - peak_row) * (0.35 + 0.65 * hump) * (1 + 0.08 * fbm1d(rng, W, 6, 4))
    green = mix(sc.pal["trees"][0], colour(0.2, 0.38, 0.2), 0.4)
    paint_range(sc, ridge, green, depth=Dm, base_row=base, trees=True)
    draw_forest_band(sc, ridge, base, Dm, green, density=1.3)
    # the debris flow: from a head scarp high on the slope down and out across the valley floor
    xi = int(np.clip(x_top, 0, W - 1))
    y_top = ridge[xi] + (base - ridge[xi]) * sc.uni(0.12, 0.2)
    d_toe = sc.uni(2.6, 3.4)
    y_toe = sc.y_of(d_toe)
    x_toe = x_top + sc.uni(-0.12, 0.12) * W
    x_mid = (x_top + x_toe) / 2 + sc.uni(-0.06, 0.06) * W
    t = np.linspace(0, 1, 60)
    cx = (1 - t) ** 2 * x_top + 2 * (1 - t) * t * x_mid + t ** 2 * x_toe
    cy = y_top + (y_toe - y_top) * t
    wt = sc.uni(0.05, 0.07) * W
    wb = sc.uni(0.26, 0.34) * W
    half = wt / 2 + (wb - wt) / 2 * t ** 1.6 + 0.01 * W * np.sin(t * 9 + sc.uni(0, 6))
    left = np.stack([cx - half, cy], 1)
    right = np.stack([cx + half, cy], 1)
    lobe = circle(x_toe, y_toe, half[-1] * 1.02, (y_toe - sc.y_of(d_toe * 1.3)) * 0.8 + 4, 24, 0, math.pi)
    flow = np.concatenate([left, lobe[::-1] if lobe[0, 0] < lobe[-1, 0] else lobe, right[::-1]])
    # raw earth scar around the upper flow (static)
    scar_half = half * 1.25 + 0.012 * W * (1 - t)
    cut = int(len(t) * 0.75)
    scar = np.concatenate([[[cx[0], cy[0] - 0.02 * H]], np.stack([cx - scar_half, cy - 0.01 * H], 1)[:cut],
                           np.stack([cx + scar_half, cy - 0.015 * H], 1)[:cut][::-1]])
    sc.cv.fill([scar], sc.lit(colour(0.66, 0.50, 0.34)), Region.NONE, Dm)
    # houses behind the toe (drawn first), then the flow, then the houses in front of it
    spots = sc.scatter(int(rng.integers(6, 10)), 1.8, Dm * 0.9, 13)
    behind = [s for s in spots if s[1] > d_toe * 1.02]
    front = [s for s in spots if s[1] <= d_toe * 1.02]
    if "road" in sc.want:
        draw_road(sc, sc.uni(0.1, 0.3) * W if x_toe > W / 2 else sc.uni(0.7, 0.9) * W, sc.uni(0.4, 0.6), d_far=Dm)
    for (x, d) in sorted(behind, key=lambda s: -s[1]):
        if abs(x - x_toe) < half[-1] * 1.1 and d < Dm * 0.7:
            continue
        if rng.random() < 0.6:
            draw_house(sc, x, d)
        else:
            draw_tree(sc, x, d, region=Region.NONE)
    fdepth = np.where(sc.ys[:, None] < base, np.float32(Dm), sc.gdepth).astype(np.float32)
    fdepth = np.broadcast_to(fdepth, (H, W))
    mud = mud_texture(sc, cx, cy)
    sc.cv.fill([flow], mud, Region.DEBRIS, fdepth)
    draw_flow_rocks(sc, cx, cy, half, base, Dm)
    # a house struck at the toe: tilted, half buried in mud
    xh = x_toe + half[-1] * sc.uni(0.25, 0.55) * (1 if rng.random() < 0.5 else -1)
    dh = d_toe * 0.95
    box = draw_house(sc, xh, dh, tilt=sc.uni(0.12, 0.25) * (1 if xh > x_toe else -1))
    p = sc.ppm(dh)
    yb = sc.y_of(dh)
    pile = np.concatenate([circle((box[0] + box[2]) / 2, yb, (box[2] - box[0]) * 0.75, 2.2 * p, 20, math.pi, 2 * math.pi),
                           [[(box[0] + box[2]) / 2 + (box[2] - box[0]) * 0.75, yb + 0.6 * p],
                            [(box[0] + box[2]) / 2 - (box[2] - box[0]) * 0.75, yb + 0.6 * p]]])
    sc.cv.fill([pile], mud, Region.DEBRIS, dh * 0.97)
    sc.note("buried house")
    # a muddy stream across the foreground
    if "river" in sc.want:
        d0 = sc.uni(1.1, 1.4)
        ys0 = sc.y_of(d0)
        wv = fbm1d(rng, W, 3, 3) * 0.25 * sc.ppm(d0)
        top = np.stack([sc.xs, ys0 - 1.0 * sc.ppm(d0) + wv], 1)
        bot = np.stack([sc.xs, ys0 + 1.6 * sc.ppm(d0) + wv * 1.3], 1)
        tex = water_texture(sc, sc.lit(colour(0.60, 0.47, 0.32)), sc.shd(colour(0.42, 0.32, 0.22)), foam=0.4, sky_reflect=0.2)
        bank = np.stack([sc.xs, ys0 - 1.5 * sc.ppm(d0) + wv], 1)
        sc.cv.fill([np.concatenate([bank, top[::-1]])], sc.shd(colour(0.48, 0.38, 0.26)), Region.NONE, None)
        sc.cv.fill([np.concatenate([top, bot[::-1]])], tex, Region.WATER, sc.gdepth)
        sc.note("muddy stream")
    for (x, d) in sorted(front, key=lambda s: -s[1]):
        if abs(x - x_toe) < half[-1] * 1.3:
            continue
        if rng.random() < 0.5:
            draw_house(sc, x, d)
        else:
            draw_tree(sc, x, d, region=Region.NONE)
    if "pole" in sc.want:
        draw_pole_line(sc, 1.3, 5, sc.uni(0.02, 0.12), sc.uni(0.15, 0.3), lean=0.25, n=4)
    draw_rain(sc, 0.6, 0.15)
    sc.info["flow"] = {"top": [round(float(x_top)), round(float(y_top))], "toe": [round(float(x_toe)), round(float(y_toe))]}


def mud_texture(sc, cx, cy):
    """Mud with streaks along the flow (down the slope) and lumpy light/dark patches."""
    H, W, rng = sc.H, sc.W, sc.rng
    streak = fbm(rng, H, W, 2, 40, 3, 0.55, res=0.5)
    blob = fbm(rng, H, W, 10, 16, 3, 0.5, res=0.5)
    # shift each row so the streaks follow the curved centreline
    shift = np.interp(sc.ys, cy, cx - cx[0], left=0, right=float(cx[-1] - cx[0])).astype(np.float32)
    mx = (sc.xs[None, :] - shift[:, None]) % W
    my = np.broadcast_to(sc.ys[:, None], (H, W)).astype(np.float32)
    streak = cv2.remap(streak, mx.astype(np.float32), my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    v = 0.5 + 0.28 * streak + 0.18 * blob
    col = ramp(np.clip(v, 0, 1), [(0.0, sc.shd(colour(0.30, 0.22, 0.15))), (0.45, sc.lit(colour(0.50, 0.38, 0.26))),
                                    (0.75, sc.lit(colour(0.64, 0.50, 0.34))), (1.0, sc.lit(colour(0.80, 0.68, 0.50)))])
    return col


def draw_flow_rocks(sc, cx, cy, half, base, Dm):
    rng = sc.rng
    polys = [[], [], []]
    for _ in range(int(rng.integers(40, 70))):
        t = rng.uniform(0.05, 1.0) ** 0.7
        i = int(t * (len(cx) - 1))
        x = cx[i] + rng.uniform(-0.85, 0.85) * half[i]
        y = cy[i] + rng.uniform(-0.01, 0.01) * sc.H
        d = Dm if y < base else sc.d_of(y)
        p = sc.ppm(d)
        r = rng.uniform(0.4, 1.6) * p
        k = int(rng.integers(5, 8))
        ang = np.sort(rng.uniform(0, 2 * math.pi, k))
        kind = int(rng.integers(3))
        if kind == 2:  # a broken log
            L = r * 3
            a = rng.uniform(-0.8, 0.8)
            polys[2].append(rot(np.array([[x - L, y], [x + L, y], [x + L, y - 0.4 * p], [x - L, y - 0.4 * p]]), x, y, a))
        else:
            polys[kind].append(np.stack([x + np.cos(ang) * r * 1.2, y + np.sin(ang) * r * 0.8], 1))
    sc.cv.fill(polys[0], sc.lit(colour(0.62, 0.60, 0.56)), Region.DEBRIS, None)
    sc.cv.fill(polys[1], sc.shd(colour(0.50, 0.47, 0.44)), Region.DEBRIS, None)
    sc.cv.fill(polys[2], sc.shd(colour(0.48, 0.34, 0.22)), Region.DEBRIS, None)
    sc.note("boulders and logs", sum(len(q) for q in polys))
