"""Painting water: its texture (streaks, foam, reflected sky), a water plane up to a level, a river's outline."""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.imaging.procedural.basics import GROUND_MAX, SKY_DEPTH, colour, fbm, mix, smooth
from cinealert.imaging.procedural.canvas import Scene
from cinealert.regions import Region


def water_texture(sc: Scene, base, deep, streak=1.0, foam=0.3, sky_reflect=0.45, depth_scale=1.0):
    """Full-frame water colour: horizontal ripple streaks in perspective, highlights, sky reflection."""
    H0, W, rng = sc.H, sc.W, sc.rng
    y0 = int(max(math.floor(sc.h), 0))
    H = H0 - y0
    X, Z = sc.ground_coords()
    X, Z = X[y0:], Z[y0:]
    # a top-down ripple texture, long along the flow (X), mapped through the ground plane
    T = 512
    tex = fbm(rng, T, T, 16, 5, 4, 0.6, wrap=True)
    tex2 = fbm(rng, T, T, 40, 12, 2, 0.5, wrap=True)
    mx = (X * (T / 18.0) * streak) % T
    mz = (Z * (T / 5.0) * depth_scale) % T
    r1 = cv2.remap(tex, mx.astype(np.float32), mz.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    mx2 = (X * (T / 18.0) * streak * 1.7) % T
    mz2 = (Z * (T / 5.0) * depth_scale * 1.3) % T
    r2 = cv2.remap(tex2, mx2.astype(np.float32), mz2.astype(np.float32), cv2.INTER_LINEAR,
                   borderMode=cv2.BORDER_WRAP)
    d = sc.gdepth[y0:]
    fade = np.exp(-d / 25.0).astype(np.float32)
    # far water fades to a fine horizontal shimmer rather than aliasing
    fine = fbm(rng, H, W, 40, 3, 2, 0.5, res=0.5)
    rip = (r1 * 0.7 + r2 * 0.5) * fade + fine * 0.45 * (1 - fade)
    fres = np.clip(1 - np.exp(-d / 9.0), 0, 1) * sky_reflect
    col = deep[None, None] + (base - deep)[None, None] * np.clip(0.6 + 0.25 * rip, 0, 1)[..., None]
    refl = mix(sc.sky_hor, sc.sky_top, 0.3)
    col = col + (refl - col) * fres[..., None]
    r2f = r2 * fade + fine * (1 - fade)
    hi = (smooth(0.7, 1.1, r2f) * 0.6 + smooth(1.0, 1.6, rip) * 0.5) * (0.5 + 0.4 * (1 - sc.overcast))
    col = col + (mix(refl, colour(1, 1, 1), 0.5) - col) * np.clip(hi * foam * 1.6, 0, 0.9)[..., None]
    lo = smooth(-0.9, -1.6, rip) * 0.25
    col = col * (1 - lo)[..., None]
    out = np.empty((H0, W, 3), np.float32)
    out[:y0] = col[:1]
    out[y0:] = np.clip(col, 0, 1)
    return out


def river_poly(sc, d_near, d_far, x_near, x_far, width_m, meander=0.6):
    """A meandering river ribbon on the ground: left and right banks as image points."""
    ds = np.exp(np.linspace(math.log(d_near), math.log(d_far), 80))
    f = (np.log(ds) - math.log(d_near)) / (math.log(d_far) - math.log(d_near))
    Xn = sc.X_of(x_near, d_near)
    Xf = sc.X_of(x_far, d_far)
    ph = sc.uni(0, 6.28)
    Xc = Xn + (Xf - Xn) * f + meander * 25 * np.sin(f * 7 + ph) * np.sqrt(ds)
    wdt = width_m * (1 + 0.25 * np.sin(f * 11 + ph))
    ys = sc.h + sc.K / ds
    left = np.stack([sc.W / 2 + (Xc - wdt / 2) * sc.S / ds, ys], 1)
    right = np.stack([sc.W / 2 + (Xc + wdt / 2) * sc.S / ds, ys], 1)
    return left, right, ds, Xc


def draw_water_plane(sc: Scene, tex, shore_rows, level_m, region=Region.WATER, foam=True, xmask=None):
    """Flood the scene: a horizontal water plane ``level_m`` above the ground, z-tested against
    everything already painted (objects are submerged below their own waterline), over the rows below
    ``shore_rows`` (per column)."""
    cv = sc.cv
    r = 1.0 - level_m * sc.S / sc.K
    Kw = r * sc.K
    ys = sc.ys[:, None]
    wl = sc.h + Kw / np.maximum(cv.dep, 1e-3)               # waterline row of each pixel's surface
    a = np.clip(ys - wl + 0.5, 0, 1) * np.clip(ys - shore_rows[None, :] + 0.5, 0, 1)
    if xmask is not None:
        a *= xmask
    a[: int(sc.h) + 1] = 0
    wdep = np.where(ys > sc.h, Kw / np.maximum(ys - sc.h, 1e-3), SKY_DEPTH).astype(np.float32)
    wdep = np.clip(wdep, 0.3, GROUND_MAX)
    wdep = np.broadcast_to(wdep, cv.dep.shape)
    if foam:
        # a light ripple line where the water meets each object (pixels just below its waterline)
        obj = cv.dep < sc.gdepth * 0.97
        fw = np.clip(0.22 * sc.S / np.maximum(cv.dep, 1e-3), 1.0, None)
        band = ((ys - wl) > 0) & ((ys - wl) < fw) & obj
        band = band.astype(np.float32) * a
        foam_c = mix(tex, colour(0.92, 0.90, 0.85) * sc.light, 0.55)
    old_dep = cv.dep.copy()
    cv.layer(a.astype(np.float32), tex, region, wdep)
    if foam:
        cv.layer(band * 0.8, foam_c, None, None)
    sc.water_level_ratio = r
    return old_dep
