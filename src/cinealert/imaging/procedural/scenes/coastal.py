"""The coastal scene (tsunami, storm surge, high seas): waves against a harbour town."""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import circle, colour, fbm, ramp, shift_down, smooth
from cinealert.imaging.procedural.buildings import draw_apartment, place_town
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.particles import draw_rain
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import paint_ground, paint_mountains
from cinealert.imaging.procedural.water import water_texture
from cinealert.regions import Region


def scene_coastal(sc: Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    key = sc.key
    paint_sky(sc)
    right = rng.random() < 0.5      # which side the town is on
    paint_mountains(sc, n=2, max_height=0.35, near_hill=False)
    paint_ground(sc)
    # shoreline in world coordinates: X_s(Z) = X0 + k Z ; land on the town side
    X0 = sc.uni(2, 12)
    k = sc.uni(0.9, 1.6)
    X, Z = sc.ground_coords()
    sgn = 1 if right else -1
    Xs = sgn * (X0 + k * sc.gdepth * 3.0)
    sea_mask = ((X - Xs) * sgn < 0).astype(np.float32)
    sea_mask = cv2.GaussianBlur(sea_mask, (3, 3), 0)
    sea_mask[: int(sc.h) + 1] = 0
    tex = water_texture(sc, sc.lit(colour(0.22, 0.46, 0.56)), sc.shd(colour(0.08, 0.22, 0.32)), streak=1.2,
                         foam=0.7 if key != "tsunami" else 0.5, sky_reflect=0.45)
    sc.cv.layer(sea_mask, tex, Region.WATER, sc.gdepth)
    sc.note("sea")
    # sea wall along the shore
    ds = np.exp(np.linspace(math.log(0.8), math.log(40), 80))
    xs_ = sc.W / 2 + sgn * (X0 + k * ds * 3.0) * sc.S / ds
    ys_ = sc.h + sc.K / ds
    wall_h = 2.5
    top = np.stack([xs_, ys_ - wall_h * sc.S / ds], 1)
    base = np.stack([xs_, ys_], 1)
    face = np.stack([xs_ - sgn * 0.8 * sc.S / ds, ys_], 1)
    sc.cv.fill([np.concatenate([top, base[::-1]])], sc.lit(colour(0.78, 0.77, 0.74)), Region.NONE,
               np.broadcast_to(sc.gdepth, (H, W)))
    sc.cv.fill([np.concatenate([top, face[::-1]])], sc.shd(colour(0.70, 0.70, 0.68)), Region.NONE, None)
    sc.note("sea wall")
    # the town on the land side
    xl = (0.55, 0.98) if right else (0.02, 0.45)
    spots = sc.scatter(int(rng.integers(6, 10)), 2.0, 16, 12, xlim=xl)
    spots = [(x, d) for (x, d) in spots if (sc.X_of(x, d) - sgn * (X0 + k * d * 3.0) - sgn * 6) * sgn > 0]
    if "apartment" in sc.want or sc.korea:
        for (x, d) in sc.scatter(int(rng.integers(2, 4)), 14, 24, 40, xlim=xl):
            if (sc.X_of(x, d) - sgn * (X0 + k * d * 3.0)) * sgn > 20:
                draw_apartment(sc, x, d)
    place_town(sc, spots)
    # harbour: boats moored along the wall
    if "harbour" in sc.want:
        boats = []
        for _ in range(int(rng.integers(2, 5))):
            d = sc.uni(2.0, 9.0)
            xw = sc.W / 2 + sgn * (X0 + k * d * 3.0 - 8) * sc.S / d
            boats.append((xw, d))
        for (x, d) in sorted(boats, key=lambda s: -s[1]):
            draw_boat(sc, x, d)
    if key == "tsunami":
        draw_big_wave(sc, right)
    elif key == "storm_surge":
        draw_wave_row(sc, right, 3, height_m=(4, 7), dmax=10, dmin=2.5)
        draw_rain(sc, 0.9, 0.45 * (-1 if right else 1))
    else:
        draw_wave_row(sc, right, 4, height_m=(5, 9), dmax=14, dmin=2.5)


def draw_boat(sc, x, d):
    p = sc.ppm(d)
    y = sc.y_of(d)
    L = sc.uni(7, 11) * p
    hull = np.array([[x - L / 2, y - 1.3 * p], [x + L / 2 + 0.8 * p, y - 1.6 * p], [x + L / 2 - 0.5 * p, y + 0.2 * p], [x - L / 2 + 0.6 * p, y + 0.2 * p]])
    cab = np.array([[x - L * 0.2, y - 1.3 * p], [x + L * 0.1, y - 1.3 * p], [x + L * 0.1, y - 3.0 * p], [x - L * 0.2, y - 3.0 * p]])
    sc.cv.fill([hull], sc.lit(sc.pick([colour(0.85, 0.2, 0.15), colour(0.2, 0.4, 0.7), colour(0.92, 0.92, 0.9)])), Region.NONE, d)
    sc.cv.fill([cab], sc.lit(colour(0.95, 0.95, 0.93)), Region.NONE, d)
    sc.cv.lines([np.array([[x - L * 0.05, y - 3.0 * p], [x - L * 0.05, y - 6.0 * p]])], sc.shd(colour(0.3, 0.3, 0.3)), max(0.15 * p, 0.8), Region.NONE, d)
    sc.note("boat")


def wave_shape(x0, x1, yb, hmax, crest_x, curl, n=80):
    """Side view of a breaking wave moving right: a long back, a peak near ``crest_x``, a curling lip."""
    xs = np.linspace(x0, crest_x, n)
    t = (xs - x0) / max(crest_x - x0, 1)
    back = np.stack([xs, yb - hmax * (0.25 * t + 0.75 * t ** 2.5)], 1)
    R = curl
    ang = np.linspace(-math.pi / 2, math.pi * 0.55, 24)
    lip = np.stack([crest_x + R * np.cos(ang) * 1.1, yb - hmax + R + R * np.sin(ang)], 1)
    end = lip[-1]
    face_t = np.linspace(0, 1, 20)
    fx = end[0] - R * 0.3 * np.sin(face_t * math.pi) + (crest_x + R * 1.8 - end[0]) * face_t ** 2
    fy = end[1] + (yb - end[1]) * face_t
    face = np.stack([fx, fy], 1)
    return np.concatenate([[[x0, yb]], back, lip, face, [[min(x1, crest_x + R * 2.2), yb]]])


def draw_big_wave(sc: Scene, town_right: bool):
    """A tsunami: a towering breaking wave with foam and spray, rolling toward the town."""
    rng = sc.rng
    W, H = sc.W, sc.H
    Dw = sc.uni(5.0, 7.0)
    yb = sc.y_of(Dw)
    p = sc.ppm(Dw)
    hmax = min(sc.uni(22, 30) * p, yb * 0.85)
    crest = sc.uni(0.45, 0.6) * W
    R = hmax * 0.28
    shape = wave_shape(-0.05 * W, W * 1.05, yb + 2, hmax, crest, R)
    if not town_right:
        shape[:, 0] = W - shape[:, 0]
        crest = W - crest
    # body: deep navy at the base to teal-green under the crest, streaks drawn up the face
    streak = fbm(rng, H, W, 2, 60, 3, 0.5, res=0.5)
    v = np.clip((yb - sc.ys[:, None]) / max(hmax, 1), 0, 1)
    col = ramp(v * np.ones((1, W), np.float32), [(0.0, sc.shd(colour(0.04, 0.14, 0.26))), (0.45, sc.lit(colour(0.07, 0.30, 0.42))),
                                                  (0.8, sc.lit(colour(0.16, 0.50, 0.54))), (1.0, sc.lit(colour(0.45, 0.74, 0.72)))])
    col = np.clip(col * (1 + 0.18 * streak)[..., None], 0, 1).astype(np.float32)
    sc.cv.fill([shape], col, Region.WATER, Dw)
    # the hollow under the lip in shadow
    lipc = (crest + R * 0.35 * (1 if town_right else -1), yb - hmax + R * 1.25)
    sc.cv.fill([circle(lipc[0], lipc[1], R * 0.75, R * 0.8, 24)], sc.shd(colour(0.04, 0.16, 0.26)), Region.WATER, Dw, alpha=0.85)
    # white foam along the crest and the lip, churning foam at the foot
    foam_n = fbm(rng, H, W, 12, 24, 3, res=0.5)
    m, box = sc.cv.mask([shape])
    if m is not None:
        full = np.zeros((H, W), np.float32)
        full[box[0]:box[1], box[2]:box[3]] = m
        kk = max(int(0.09 * hmax), 3)
        er = cv2.erode(full, np.ones((kk, kk), np.uint8))
        shifted = shift_down(full, max(int(0.1 * hmax), 1))
        edge = np.clip(full - np.minimum(er, shifted), 0, 1)
        upper = smooth(yb - hmax * 0.3, yb - hmax * 0.55, sc.ys)[:, None]
        foam = edge * upper * (0.75 + 0.35 * np.clip(foam_n, -1, 1))
        foam = np.clip(cv2.GaussianBlur(foam, (0, 0), max(0.8 * sc.u, 0.6)) * 1.3, 0, 1)
        sc.cv.layer(foam.astype(np.float32), colour(0.95, 0.97, 0.98) * sc.light, Region.WATER, None)
        foot = smooth(0.1, 0.6, foam_n + 0.5 - np.abs(sc.ys[:, None] - yb) / (0.02 * H))
        side = (sc.xs[None, :] < crest + R * 2.5) if town_right else (sc.xs[None, :] > crest - R * 2.5)
        sc.cv.layer((foot * side).astype(np.float32) * 0.95, colour(0.92, 0.95, 0.96) * sc.light, Region.WATER, Dw)
    # spray blown back off the crest: soft billows just above it
    spn = fbm(rng, H, W, 8, 14, 4, 0.55, res=0.5)
    near_crest = np.exp(-((sc.xs[None, :] - crest) / (0.22 * W)) ** 2) * \
        np.exp(-((sc.ys[:, None] - (yb - hmax * 1.02)) / (0.12 * hmax + 2)) ** 2)
    sp = smooth(0.35, 0.75, near_crest * (1.0 + 0.6 * spn)) * 0.8
    sc.cv.layer(sp.astype(np.float32), colour(0.95, 0.97, 0.98) * sc.light, Region.WATER, Dw * 1.02, thresh=0.45)
    sc.note("tsunami wave")
    sc.info["wave_depth"] = round(Dw, 2)


def draw_wave_row(sc: Scene, town_right: bool, n, height_m=(5, 8), dmax=12.0, dmin=2.0):
    """Rows of tall rolling waves (high seas, storm surge), far ones first."""
    rng = sc.rng
    W = sc.W
    for i in range(n):
        Dw = dmax * (dmin / dmax) ** (i / max(n - 1, 1)) * sc.uni(0.92, 1.05)
        yb = sc.y_of(Dw)
        p = sc.ppm(Dw)
        hmax = sc.uni(*height_m) * p
        crest = sc.uni(0.15, 0.7) * W
        shape = wave_shape(-0.1 * W, W * 1.1, yb + 1, hmax, crest, hmax * 0.22)
        if not town_right:
            shape[:, 0] = W - shape[:, 0]
        col = ramp(np.clip((yb - sc.ys[:, None]) / max(hmax, 1), 0, 1) * np.ones((1, W), np.float32),
                    [(0.0, sc.shd(colour(0.08, 0.22, 0.30))), (0.7, sc.lit(colour(0.16, 0.42, 0.50))), (1.0, sc.lit(colour(0.75, 0.88, 0.88)))])
        streak = fbm(rng, sc.H, W, 2, 40, 2, res=0.5)
        col = np.clip(col * (1 + 0.15 * streak)[..., None], 0, 1).astype(np.float32)
        sc.cv.fill([shape], col, Region.WATER, Dw)
        crest_line = shape[1:110]
        sc.cv.lines([crest_line[crest_line[:, 1] < yb - hmax * 0.6]], colour(0.94, 0.96, 0.97) * sc.light,
                    max(0.5 * p, 1.0), Region.WATER, None, 0.9)
    sc.note("breaking wave", n)
