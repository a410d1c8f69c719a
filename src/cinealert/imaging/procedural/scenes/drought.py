"""The drought scene (also heat wave, yellow dust and dry weather): cracked earth, a low reservoir, dust."""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import colour, mix, smooth
from cinealert.imaging.procedural.buildings import draw_apartment, draw_pole_line, place_town
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.particles import draw_dust_clouds
from cinealert.imaging.procedural.sky import paint_sky
from cinealert.imaging.procedural.terrain import paint_ground, paint_mountains
from cinealert.imaging.procedural.vegetation import draw_bare_tree, draw_tree
from cinealert.imaging.procedural.water import water_texture
from cinealert.regions import Region


def draw_cracked_earth(sc: Scene, color, crack=colour(0.30, 0.21, 0.15), cell_m=2.2):
    """Cracked dry mud in perspective: Worley cells on the ground plane, dark cracks, lighter rims."""
    H, W = sc.H, sc.W
    y0 = int(sc.h) + 1
    X, Z = sc.ground_coords()
    X, Z = X[y0:] / cell_m, Z[y0:] / (cell_m * 1.0)
    full_shape = X.shape
    half = W * H > 300_000
    if half:
        X = cv2.resize(X, (W // 2, (H - y0) // 2), interpolation=cv2.INTER_LINEAR)
        Z = cv2.resize(np.ascontiguousarray(Z), (W // 2, (H - y0) // 2), interpolation=cv2.INTER_LINEAR)
    tbl = sc.rng.uniform(0.1, 0.9, (2, 64, 64)).astype(np.float32)
    shade_t = sc.rng.uniform(-1, 1, (64, 64)).astype(np.float32)
    ix, iz = np.floor(X).astype(np.int32), np.floor(Z).astype(np.int32)
    fx, fz = X - ix, Z - iz
    d1 = np.full(X.shape, 9.0, np.float32)
    d2 = np.full(X.shape, 9.0, np.float32)
    best = np.zeros(X.shape, np.float32)
    for ox in (-1, 0, 1):
        for oz in (-1, 0, 1):
            cx_, cz_ = (ix + ox) & 63, (iz + oz) & 63
            px = tbl[0][cz_, cx_] + ox - fx
            pz = tbl[1][cz_, cx_] + oz - fz
            dd = np.sqrt(px * px + pz * pz)
            closer = dd < d1
            d2 = np.where(closer, d1, np.minimum(d2, dd))
            best = np.where(closer, shade_t[cz_, cx_], best)
            d1 = np.minimum(d1, dd)
    edge = (d2 - d1)
    if half:
        edge = cv2.resize(edge, full_shape[::-1], interpolation=cv2.INTER_LINEAR)
        best = cv2.resize(best, full_shape[::-1], interpolation=cv2.INTER_NEAREST)
    # crack width in pixels grows toward the viewer; far cracks fade into the fog
    px_per_cell = cell_m * sc.S / np.maximum(sc.gdepth[y0:], 1e-3)
    e_px = edge * px_per_cell
    crack_a = smooth(1.4 * np.maximum(sc.u, 0.5), 0.2, e_px) * smooth(8, 30, px_per_cell)
    rim = smooth(5.0 * np.maximum(sc.u, 0.5), 1.0, e_px) * smooth(12, 40, px_per_cell)
    col = np.empty((H - y0, W, 3), np.float32)
    col[:] = sc.lit(color)
    col *= (1 + 0.07 * best)[..., None]
    col = col + (sc.lit(color, 1.18) - col) * (rim * 0.5)[..., None]
    col = col + (sc.shd(crack) - col) * crack_a[..., None]
    full = np.zeros((H, W, 3), np.float32)
    full[y0:] = col
    a = np.zeros((H, W), np.float32)
    a[y0:] = 1
    sc.cv.composite(a, (0, H, 0, W), full, Region.NONE, sc.gdepth)
    sc.note("cracked earth")


def scene_drought(sc: Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    key = sc.key
    dust = key == "yellow_dust"
    heat = key == "heat_wave"
    sun_scale = 1.9 if heat else 1.5
    paint_sky(sc, sun_scale=sun_scale if not dust else 1.2, sun_glow=2.4 if heat else 1.6)
    brown = colour(0.66, 0.52, 0.36) if not dust else colour(0.62, 0.55, 0.42)
    paint_mountains(sc, n=2, color=brown * 0.9, max_height=0.4, near_hill=False)
    ground = colour(0.80, 0.64, 0.42)
    if dust or key == "dry_weather":
        paint_ground(sc, color=mix(sc.pal["grass"], colour(0.72, 0.62, 0.40), 0.7), fields=True)
    else:
        paint_ground(sc, color=ground)
        draw_cracked_earth(sc, ground)
    town = dust or heat or ("apartment" in sc.want) or ("house" in sc.want and "paddy" not in sc.want and False)
    if not dust and not heat or "paddy" in sc.want:
        # the shrunken reservoir: a small pond ringed by exposed lake bed
        draw_reservoir(sc)
    if town:
        apts = sc.scatter(int(rng.integers(3, 6)), 9, 22, 40)
        for (x, d) in sorted(apts, key=lambda s: -s[1]):
            draw_apartment(sc, x, d)
        houses = sc.scatter(int(rng.integers(4, 7)), 2.5, 8, 13)
        place_town(sc, houses)
    else:
        hs = sc.scatter(int(rng.integers(1, 3)), 6, 14, 12)
        place_town(sc, hs)
    # dead and dying trees
    spots = sc.scatter(int(rng.integers(3, 6)), 1.5, 10, 6)
    for (x, d) in sorted(spots, key=lambda s: -s[1]):
        if rng.random() < 0.75 and not dust:
            draw_bare_tree(sc, x, sc.y_of(d), sc.uni(6, 9) * sc.ppm(d), d)
        else:
            draw_tree(sc, x, d, color=colour(0.62, 0.55, 0.30), region=Region.NONE)
    if "pole" in sc.want:
        draw_pole_line(sc, 1.4, 12, sc.uni(0.75, 0.95), sc.uni(0.55, 0.7), n=5)
    if dust:
        draw_dust_clouds(sc, [(sc.uni(0, 1) * W, sc.y_of(sc.uni(2, 10)), sc.uni(0.25, 0.45) * W) for _ in range(4)],
                     colour(0.86, 0.72, 0.46), Region.DUST, strength=0.75)
        sc.fog_amount, sc.fog_scale = 0.92, 14.0
        sc.haze = colour(0.86, 0.74, 0.50) * sc.tod["dim"]
    else:
        # heat shimmer band just above and below the horizon
        band_top = sc.h - 0.05 * H
        band_bot = sc.y_of(5.0)
        a = np.zeros((H, W), np.float32)
        a[int(band_top):int(band_bot)] = 1.0
        edge = smooth(0, 1, (sc.ys - band_top) / (0.03 * H)) * smooth(0, 1, (band_bot - sc.ys) / (0.05 * H))
        a *= edge[:, None].astype(np.float32)
        lab = sc.cv.label(Region.SHIMMER)
        sc.cv.reg[a > 0.3] = lab if lab else sc.cv.reg[a > 0.3]
        hz = mix(sc.sky_hor, colour(1, 0.95, 0.85), 0.4)
        sc.cv.layer(a * 0.25, hz, None, None)
        sc.info["shimmer_rows"] = [int(band_top), int(band_bot)]
        if key == "dry_weather":
            draw_dust_clouds(sc, [(sc.uni(0, 1) * W, sc.y_of(sc.uni(1.5, 4)), sc.uni(0.15, 0.3) * W) for _ in range(2)],
                         colour(0.80, 0.70, 0.52), Region.DUST, strength=0.5)
        sc.fog_amount, sc.fog_scale = 0.7, 50.0


def draw_reservoir(sc):
    """A shrunken reservoir: a small pond in the middle of a wide, pale, ringed lake bed."""
    rng = sc.rng
    d = sc.uni(4.5, 7.0)
    x = sc.uni(0.3, 0.7) * sc.W
    X0 = sc.X_of(x, d)
    Z0 = d
    rings = [(1.0, colour(0.84, 0.74, 0.58)), (0.8, colour(0.76, 0.66, 0.50)), (0.62, colour(0.70, 0.60, 0.46)), (0.45, None)]
    ph = rng.uniform(0, 6.28, 3)
    for (s, col) in rings:
        t = np.linspace(0, 2 * math.pi, 64)
        rX = 55 * s * (1 + 0.15 * np.sin(3 * t + ph[0]) + 0.08 * np.sin(5 * t + ph[1]))
        rZ = d * 0.45 * s * (1 + 0.12 * np.sin(2 * t + ph[2]))
        Xs = X0 + rX * np.cos(t)
        Zs = np.maximum(Z0 + rZ * np.sin(t), 0.9)
        pts = np.stack([sc.W / 2 + Xs * sc.S / Zs, sc.h + sc.K / Zs], 1)
        if col is None:
            tex = water_texture(sc, sc.lit(colour(0.45, 0.52, 0.40)), sc.shd(colour(0.30, 0.36, 0.28)), foam=0.2, sky_reflect=0.4)
            sc.cv.fill([pts], tex, Region.WATER, None)
        else:
            sc.cv.fill([pts], sc.lit(col), Region.NONE, None)
    sc.note("shrunken reservoir")
