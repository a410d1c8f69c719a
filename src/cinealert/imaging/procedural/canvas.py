"""The canvas (image, region map, depth map and glow painted together, anti-aliased polygons inside their
bounding box) and the scene context (geometry of the ground plane, palettes, objects), and the finishing pass
(aerial haze, glow, vignette)."""
from __future__ import annotations

import math
from collections import Counter

import cv2
import numpy as np

from cinealert.disasters import DISASTERS
from cinealert.imaging.procedural.basics import GROUND_MAX, SKY_DEPTH, colour, lum, mix
from cinealert.imaging.procedural.palette import DEFAULTS, SEASON, TIME_OF_DAY, WEATHER, find_keywords
from cinealert.prompting.metadata import SceneMetadata
from cinealert.regions import Region


class Canvas:
    """An RGB image with a region map, a depth map and an emission mask, painted back to front."""

    def __init__(self, h: int, w: int, allowed):
        self.H, self.W = h, w
        self.img = np.zeros((h, w, 3), np.float32)
        self.reg = np.zeros((h, w), np.uint8)
        self.dep = np.full((h, w), SKY_DEPTH, np.float32)
        self.glow = np.zeros((h, w), np.float32)
        self.allowed = {int(r) for r in allowed}

    def label(self, region):
        if region is None:
            return None
        r = int(region)
        return r if r in self.allowed else 0

    def mask(self, polys):
        pts = [np.asarray(p, np.float64).reshape(-1, 2) for p in polys]
        pts = [p for p in pts if len(p) >= 3 and np.isfinite(p).all()]
        if not pts:
            return None, None
        allp = np.concatenate(pts)
        x0 = max(int(math.floor(allp[:, 0].min())) - 2, 0)
        x1 = min(int(math.ceil(allp[:, 0].max())) + 3, self.W)
        y0 = max(int(math.floor(allp[:, 1].min())) - 2, 0)
        y1 = min(int(math.ceil(allp[:, 1].max())) + 3, self.H)
        if x1 <= x0 or y1 <= y0:
            return None, None
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        # one call per polygon: fillPoly with several contours would cut holes where they overlap
        for p in pts:
            cv2.fillPoly(m, [np.round((np.clip(p, -1e5, 1e5) - (x0, y0)) * 16).astype(np.int32)], 255,
                         cv2.LINE_AA, shift=4)
        return m.astype(np.float32) * np.float32(1 / 255), (y0, y1, x0, x1)

    def fill(self, polys, color, region=Region.NONE, depth=None, alpha=1.0, glow=0.0, thresh=0.5):
        """Fill polygons (a list of (N, 2) point arrays) with ``color`` (rgb or a full-frame image)."""
        a, box = self.mask(polys)
        if a is None:
            return None
        if alpha != 1.0:
            a *= np.float32(alpha)
        self.composite(a, box, color, region, depth, glow, thresh)
        return box

    def lines(self, polylines, color, thickness=1.0, region=Region.NONE, depth=None, alpha=1.0):
        pts = [np.asarray(p, np.float64).reshape(-1, 2) for p in polylines if len(p) >= 2]
        if not pts:
            return
        allp = np.concatenate(pts)
        t = max(thickness, 1.0)
        x0 = max(int(math.floor(allp[:, 0].min() - t)) - 2, 0)
        x1 = min(int(math.ceil(allp[:, 0].max() + t)) + 3, self.W)
        y0 = max(int(math.floor(allp[:, 1].min() - t)) - 2, 0)
        y1 = min(int(math.ceil(allp[:, 1].max() + t)) + 3, self.H)
        if x1 <= x0 or y1 <= y0:
            return
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        ipts = [np.round((p - (x0, y0)) * 16).astype(np.int32) for p in pts]
        cv2.polylines(m, ipts, False, 255, max(int(round(thickness)), 1), cv2.LINE_AA, shift=4)
        a = m.astype(np.float32) * np.float32(alpha / 255)
        if thickness < 1.0:
            a *= np.float32(thickness)
        self.composite(a, (y0, y1, x0, x1), color, region, depth, 0.0, 0.5)

    def composite(self, a, box, color, region, depth, glow=0.0, thresh=0.5):
        y0, y1, x0, x1 = box
        sl = (slice(y0, y1), slice(x0, x1))
        col = np.asarray(color, np.float32)
        if col.ndim == 3:
            col = col[sl]
        im = self.img[sl]
        im += (col - im) * a[..., None]
        solid = a > thresh
        lab = self.label(region)
        if lab is not None:
            self.reg[sl][solid] = lab
        if depth is not None:
            d = np.asarray(depth, np.float32)
            if d.ndim == 2:
                self.dep[sl][solid] = d[sl][solid]
            else:
                self.dep[sl][solid] = float(d)
        g = self.glow[sl]
        if glow:
            g += (np.float32(glow) - g) * a
        else:
            g *= (1 - a)

    def layer(self, alpha, color, region=None, depth=None, glow=0.0, thresh=0.5):
        """Composite a full-frame alpha field (only over its bounding rows/columns)."""
        rows = np.flatnonzero(alpha.max(1) > 1e-3)
        cols = np.flatnonzero(alpha.max(0) > 1e-3)
        if not len(rows) or not len(cols):
            return
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        self.composite(alpha[y0:y1, x0:x1], (y0, y1, x0, x1), color, region, depth, glow, thresh)


class Scene:
    def __init__(self, md: SceneMetadata, key: str, family: str, w: int, h: int, rng, horizon: float):
        self.md, self.key, self.family = md, key, family
        self.W, self.H, self.rng = w, h, rng
        self.cv = Canvas(h, w, DISASTERS[key].regions)
        self.objects: Counter = Counter()
        self.h = float(horizon * h)
        self.K = (h - 1) - self.h
        self.hc = 7.0                                   # camera height in metres
        self.S = min(self.K, 0.62 * w) / self.hc        # pixels per metre at depth 1
        self.u = min(w, h * 1.78) / 1000.0             # a unit of image size (1 at 1000 px wide)
        ys = np.arange(h, dtype=np.float32)
        with np.errstate(divide="ignore"):
            gd = np.where(ys > self.h + 1e-3, self.K / np.maximum(ys - self.h, 1e-3), GROUND_MAX)
        self.row_depth = np.clip(gd, 0.5, GROUND_MAX).astype(np.float32)
        self.gdepth = np.broadcast_to(self.row_depth[:, None], (h, w))
        self.xs = np.arange(w, dtype=np.float32)
        self.ys = ys
        # palettes
        tod = TIME_OF_DAY[md.time_of_day]
        self.tod = tod
        wt, wh_, amt, self.cover = WEATHER.get(key, WEATHER.get(family, WEATHER["flood"]))
        self.night = md.time_of_day == "night"
        self.sky_top = mix(tod["top"], wt * tod["dim"], amt)
        self.sky_hor = mix(tod["hor"], wh_ * tod["dim"], amt)
        self.overcast = amt * self.cover
        grey = np.float32(lum(tod["light"]))
        self.light = mix(tod["light"], colour(grey, grey, grey) * 0.92, 0.6 * self.overcast)
        self.shadec = mix(tod["shade"], self.light * 0.72, 0.55 * self.overcast)
        self.haze = mix(self.sky_hor, self.sky_top, 0.15)
        self.sun_left = tod["sun_x"] < 0.5
        season = md.season
        if family == "heavy_snow":
            season = "winter"
        self.season = season
        self.pal = SEASON[season]
        text = md.text()
        self.words = find_keywords(text)
        self.fg = find_keywords(" ".join(md.foreground).lower())
        self.bg = find_keywords(" ".join(md.background).lower())
        named = self.words - {"korea"}
        self.want = set(named) if named else set(DEFAULTS[family])
        if not named:
            self.want |= {"korea"} & self.words
        self.korea = "korea" in self.words
        self.fog_amount, self.fog_scale = 0.80, 55.0
        self.info: dict = {}

    # ---- geometry ------------------------------------------------------------------------
    def y_of(self, d):
        return self.h + self.K / d

    def d_of(self, y):
        return self.K / max(y - self.h, 1e-3)

    def ppm(self, d):
        return self.S / d

    def x_of(self, X, d):
        return self.W / 2 + X * self.S / d

    def X_of(self, x, d):
        return (x - self.W / 2) * d / self.S

    def ground_coords(self):
        """World coordinates (X metres across, Z metres away) for every pixel below the horizon."""
        if not hasattr(self, "_gc"):
            d = self.row_depth[:, None]
            X = (self.xs[None, :] - self.W / 2) * d / self.S
            Z = np.broadcast_to(d * self.hc * 1.6, X.shape)
            self._gc = (X.astype(np.float32), Z.astype(np.float32))
        return self._gc

    # ---- colours -------------------------------------------------------------------------
    def lit(self, c, k=1.0):
        return np.clip(np.asarray(c, np.float32) * self.light * k, 0, 1)

    def shd(self, c, k=1.0):
        return np.clip(np.asarray(c, np.float32) * self.shadec * k, 0, 1)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def uni(self, a, b):
        return float(self.rng.uniform(a, b))

    def note(self, name, n=1):
        self.objects[name] += n

    # ---- placement -----------------------------------------------------------------------
    def scatter(self, n, dmin, dmax, width_m, xlim=(0.02, 0.98), avoid=None, tries=30):
        """Pick up to ``n`` ground spots (x, depth) in a depth band, not overlapping each other."""
        spots = []
        taken = list(avoid or [])
        for _ in range(n * tries):
            if len(spots) >= n:
                break
            d = math.exp(self.uni(math.log(dmin), math.log(dmax)))
            x = self.uni(xlim[0], xlim[1]) * self.W
            half = 0.5 * width_m * self.ppm(d)
            y = self.y_of(d)
            ok = True
            for (tx, ty, th, tv) in taken:
                if abs(tx - x) < (half + th) * 0.9 and abs(ty - y) < max(tv, half * 0.5):
                    ok = False
                    break
            if ok:
                spots.append((x, d))
                taken.append((x, y, half, half * 0.6))
        return spots


def finish(sc: Scene):
    cv = sc.cv
    d = cv.dep
    f = sc.fog_amount * (1.0 - np.exp(-d / sc.fog_scale))
    f[d >= SKY_DEPTH - 1e-3] = 0
    f *= (1 - np.clip(cv.glow, 0, 1))
    img = cv.img + (sc.haze - cv.img) * f[..., None]
    if cv.glow.max() > 0:
        _add_glow(img, cv.glow, max(6 * sc.u, 1.5))
    H, W = sc.H, sc.W
    yy = (sc.ys[:, None] / H - 0.5) * 2
    xx = (sc.xs[None, :] / W - 0.5) * 2
    vig = 1.0 - 0.12 * np.clip((xx ** 2 + yy ** 2) / 2, 0, 1) ** 1.5
    img = img * vig[..., None].astype(np.float32)
    cv.img = np.clip(img, 0, 1).astype(np.float32)
    np.clip(cv.dep, 0.2, SKY_DEPTH, out=cv.dep)


def _add_glow(img: np.ndarray, glow: np.ndarray, sigma: float) -> None:
    """``img += 0.9 · GaussianBlur(img · glow, sigma)`` in place, blurring only the box around the glowing
    pixels: two kernel radii beyond them every sample (and every sample the border mirrors in) is 0, so
    the blurred values are those of the whole frame's blur, and 0 outside the box. The box starts at a
    multiple of 64 columns: OpenCV's vector loops then meet each pixel in the lane they meet it in over the
    whole frame (its last columns, done one by one, round differently)."""
    rows = np.flatnonzero(glow.any(axis=1))
    cols = np.flatnonzero(glow.any(axis=0))
    pad = 2 * (int(round(sigma * 8 + 1)) | 1) + 2     # twice OpenCV's float kernel size, a little more
    h, w = glow.shape
    y0, y1 = max(0, rows[0] - pad), min(h, rows[-1] + 1 + pad)
    x0, x1 = max(0, cols[0] - pad) // 64 * 64, min(w, cols[-1] + 1 + pad)
    box = img[y0:y1, x0:x1]
    g = cv2.GaussianBlur(box * glow[y0:y1, x0:x1, None], (0, 0), sigma)
    box += g * 0.9
