"""Painting the sky: gradient, sun or moon, stars, clouds (also a typhoon's spiral)."""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import SKY_DEPTH, colour, fbm, lum, mix, shift_up, smooth
from cinealert.imaging.procedural.canvas import Scene
from cinealert.regions import Region


def paint_sky(sc: Scene, cover=None, spiral=False, stars=True, sun_scale=1.0, sun_glow=1.0):
    H0, W0, rng, cv = sc.H, sc.W, sc.rng, sc.cv
    cover = sc.cover if cover is None else cover
    hrow = max(sc.h, 1.0)
    # the sky is smooth: paint it at reduced resolution over the rows above the horizon only
    f = 0.5 if W0 * H0 > 700_000 else 1.0
    rows = int(min(H0, math.ceil(sc.h + 0.06 * H0) + 2))
    H, W = max(int(round(rows * f)), 2), max(int(round(W0 * f)), 2)
    ys = (np.arange(H, dtype=np.float32) + 0.5) / f - 0.5
    xs = (np.arange(W, dtype=np.float32) + 0.5) / f - 0.5
    t = np.clip(ys / hrow, 0, 1.2)[:, None, None] ** 0.9
    sky = sc.sky_top[None, None] + (sc.sky_hor - sc.sky_top)[None, None] * np.clip(t, 0, 1)
    sky = np.broadcast_to(sky, (H, 1, 3))
    sky = np.repeat(sky, W, axis=1).astype(np.float32)
    # sun or moon
    sx = sc.tod["sun_x"] * W0
    sy = sc.h - sc.tod["sun_h"] * sc.h * 0.9
    r = np.hypot(xs[None, :] - sx, ys[:, None] - sy).astype(np.float32)
    sun_r = (0.028 if sc.night else 0.035) * min(W0, H0 * 1.78) * sun_scale
    vis = 1.0 - 0.85 * cover
    glow = np.exp(-r / (sun_r * 5.0)) * 0.55 * vis * sun_glow
    sky += glow[..., None] * (sc.tod["sun"] - sky * 0.6)
    # stars
    if sc.night and stars and cover < 0.7:
        n = int(W0 * sc.h / 1500)
        px = rng.uniform(0, W, n)
        py = rng.uniform(0, sc.h * 0.85 * f, n)
        st = np.zeros((H, W), np.float32)
        st[py.astype(int), np.clip(px.astype(int), 0, W - 1)] = rng.uniform(0.3, 1.0, n)
        st = cv2.GaussianBlur(st, (0, 0), 0.6 * max(sc.u, 0.5)) * 3
        sky += (np.clip(st, 0, 1) * (1 - cover))[..., None] * colour(0.9, 0.92, 1.0)
    # clouds
    cy, cx = 5.0 * rows / H0, 1.6 * max(W0 / max(H0, 1), 0.6)
    n = fbm(rng, H, W, cy, cx, octaves=5, gain=0.5, res=0.5 / f if f < 1 else 0.5)
    if spiral:
        ccx, ccy = W0 * sc.uni(0.6, 0.85), -H0 * sc.uni(0.2, 0.5)
        ang = np.arctan2(ys[:, None] - ccy, xs[None, :] - ccx)
        rad = np.log(np.hypot(ys[:, None] - ccy, xs[None, :] - ccx) + 1.0)
        band = np.sin(ang * 3.0 + rad * 7.0 + n * 1.6)
        n = 0.55 * n + 0.75 * band.astype(np.float32)
    # vertical structure: flatter, denser clouds near the horizon
    thr = 1.0 - 2.0 * cover
    dens = smooth(thr - 0.12, thr + 0.22, n)
    nb = cv2.GaussianBlur(n, (0, 0), max(2.0 * sc.u * f, 1.0))
    nd = shift_up(nb, max(int(H0 * f * 0.02), 1))
    shade = smooth(-0.12, 0.12, nd - nb + 0.02)  # tops lighter (light from above), flat two-tone
    shade = 0.65 * shade + 0.35 * smooth(thr + 0.1, thr + 0.9, n)
    lit_c = mix(sc.sky_hor, sc.light, 0.55) * (1.05 if not sc.night else 0.9)
    dark_c = mix(sc.sky_top, sc.shadec * 0.55, 0.5)
    if cover > 0.6:  # heavy weather: darker, greyer bases, pale tops
        g = float(lum(sc.sky_hor))
        dark_c = mix(dark_c, colour(g, g, g) * 0.62 * sc.tod["dim"], 0.6)
        lit_c = mix(lit_c, colour(g, g, g) * 1.1, 0.4)
    ccol = dark_c[None, None] + (lit_c - dark_c)[None, None] * (0.25 + 0.75 * shade[..., None])
    # sun-lit rims near the sun
    ccol += (glow[..., None] * 0.8 * sc.tod["sun"]).astype(np.float32)
    a = (dens * (0.55 + 0.45 * cover)).astype(np.float32)
    sky += (ccol - sky) * a[..., None]
    # sun / moon disc (after the clouds, partly hidden by them)
    disc = smooth(sun_r + 1.0 / f, sun_r - 1.0 / f, r) * (1 - 0.9 * a) * smooth(0.75, 0.3, cover)
    sky += disc[..., None] * (sc.tod["sun"] * 1.05 - sky)
    sky = np.clip(sky, 0, 1).astype(np.float32)
    disc = np.clip(disc, 0, 1).astype(np.float32)
    if f != 1.0:
        sky = cv2.resize(sky, (W0, rows), interpolation=cv2.INTER_LINEAR)
        disc = cv2.resize(disc, (W0, rows), interpolation=cv2.INTER_LINEAR)
    cv.img[:rows] = sky
    cv.img[rows:] = sky[-1:]
    cv.reg[:] = cv.label(Region.CLOUD)
    # The sun or moon stays put while the clouds drift past it (a drifting disc would ghost).
    body = np.zeros(cv.reg.shape, np.uint8)
    body[:rows] = disc > 0.02
    grow = max(3, int(round(sun_r * f * 0.25)) * 2 + 1)
    cv.reg[cv2.dilate(body, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))) > 0] = Region.NONE
    cv.dep[:] = SKY_DEPTH
    cv.glow[:rows] = disc
