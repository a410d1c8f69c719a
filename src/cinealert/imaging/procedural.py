"""The built-in text-to-image backend: a procedural illustration renderer that needs no weights.

:class:`ProceduralIllustrator` composes a flat-shaded editorial illustration of one disaster scene
from the structured :class:`~cinealert.prompting.metadata.SceneMetadata`: a sky for the time of day,
far mountain ranges faded by aerial perspective, a ground plane with fields, roads and rivers,
houses, trees and poles named in the metadata, and the disaster itself as the focal point (flood
water, a burning ridge, a debris flow, cracked earth, deep snow, a typhoon, a collapsed town, a
tsunami wave).

Because it composes the scene itself, it also returns the exact motion-region label map (only for
the region classes that animate for that disaster) and an exact relative depth map: the ground
follows a plane seen from a camera above it, every object takes the constant depth of the ground
where it stands, so object silhouettes are sharp depth discontinuities.

Everything is vectorised numpy + OpenCV: polygons are rasterised with anti-aliasing inside their
bounding box only, noise is made by resizing random grids, and the whole image is deterministic in
``(metadata, seed, size)``.
"""
from __future__ import annotations

import math
from collections import Counter

import cv2
import numpy as np

from cinealert.disasters import DISASTERS
from cinealert.imaging.base import ImageResult
from cinealert.prompting.metadata import SceneMetadata
from cinealert.regions import Region
from cinealert.validate import MAX_SIDE, MIN_SIDE

SKY_DEPTH = 100.0     # depth of the sky
GROUND_MAX = 80.0     # ground depth is clamped to this near the horizon

# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _c(*rgb) -> np.ndarray:
    return np.asarray(rgb, np.float32)


def _mix(a, b, t):
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    return a + (b - a) * np.float32(t)


def _smooth(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _lum(img):
    return img[..., 0] * 0.2126 + img[..., 1] * 0.7152 + img[..., 2] * 0.0722


def _grid_noise(rng, h, w, cy, cx, wrap=False):
    """One octave of smooth noise (about unit variance) with ``cy`` x ``cx`` cells over the frame.

    Random values on a grid are upsampled to 8 px a cell, blurred (which removes the blocky grid look
    of plain interpolation) and resized to the frame. ``wrap`` makes it tile seamlessly.
    """
    cy = max(int(round(cy)), 1)
    cx = max(int(round(cx)), 1)
    g = rng.standard_normal((cy, cx)).astype(np.float32)
    g = np.pad(g, 3, mode="wrap")
    k = 8
    small = cv2.resize(g, ((cx + 6) * k, (cy + 6) * k), interpolation=cv2.INTER_LINEAR)
    small = cv2.GaussianBlur(small, (0, 0), k * 0.45)
    if wrap:  # keep one cell of margin on each side so the resize does not clamp at the seam
        small = small[2 * k:(cy + 4) * k, 2 * k:(cx + 4) * k]
        mx, my = w / cx, h / cy
        big = cv2.resize(small, (int(round(w + 2 * mx)), int(round(h + 2 * my))), interpolation=cv2.INTER_LINEAR)
        ox, oy = int(round(mx)), int(round(my))
        return big[oy:oy + h, ox:ox + w] * np.float32(2.2)
    oy = int(rng.integers(k, 2 * k))
    ox = int(rng.integers(k, 2 * k))
    small = small[oy:oy + (cy + 1) * k, ox:ox + (cx + 1) * k]
    size = (int(math.ceil(w * (cx + 1) / cx)), int(math.ceil(h * (cy + 1) / cy)))
    out = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
    return out * np.float32(2.2)


def _fbm(rng, h, w, cy, cx, octaves=4, gain=0.5, res=1.0, wrap=False):
    """Fractal noise of ``octaves`` octaves; computed at ``res`` of the size and resized up."""
    hh, ww = max(int(h * res), 2), max(int(w * res), 2)
    out = np.zeros((hh, ww), np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        out += np.float32(amp) * _grid_noise(rng, hh, ww, cy * 2 ** o, cx * 2 ** o, wrap)
        tot += amp * amp
        amp *= gain
    out /= np.float32(math.sqrt(tot))
    if (hh, ww) != (h, w):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def _fbm1d(rng, n, cells, octaves=4, gain=0.5):
    return _fbm(rng, 1, n, 1, cells, octaves, gain)[0]


def _shift_up(a, k):
    """``a`` moved up by ``k`` rows (row y holds a[y + k]); the bottom rows repeat the last row."""
    return np.concatenate([a[k:], np.repeat(a[-1:], k, 0)], 0)


def _shift_down(a, k):
    """``a`` moved down by ``k`` rows (row y holds a[y - k]); the top rows repeat the first row."""
    return np.concatenate([np.repeat(a[:1], k, 0), a[:-k]], 0)


def _ramp(x, stops):
    """Colour ramp: ``stops`` is a list of (position, rgb)."""
    pos = [s[0] for s in stops]
    out = np.empty(x.shape + (3,), np.float32)
    for k in range(3):
        out[..., k] = np.interp(x, pos, [s[1][k] for s in stops])
    return out


def _circle(cx, cy, rx, ry=None, n=20, start=0.0, stop=2 * math.pi):
    ry = rx if ry is None else ry
    t = np.linspace(start, stop, n, endpoint=False if stop - start >= 2 * math.pi - 1e-6 else True)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _rot(pts, cx, cy, ang):
    c, s = math.cos(ang), math.sin(ang)
    p = np.asarray(pts, np.float64) - (cx, cy)
    return np.stack([p[:, 0] * c - p[:, 1] * s + cx, p[:, 0] * s + p[:, 1] * c + cy], 1)


# --------------------------------------------------------------------------------------------
# palettes
# --------------------------------------------------------------------------------------------

_TOD = {
    "dawn": dict(top=_c(0.28, 0.32, 0.55), hor=_c(0.99, 0.74, 0.60), sun=_c(1.0, 0.82, 0.62),
                 light=_c(1.0, 0.86, 0.76), shade=_c(0.58, 0.58, 0.78), dim=_c(0.85, 0.78, 0.80),
                 sun_x=0.18, sun_h=0.12, moon=False),
    "morning": dict(top=_c(0.33, 0.58, 0.88), hor=_c(0.82, 0.90, 0.97), sun=_c(1.0, 0.96, 0.86),
                    light=_c(1.0, 0.97, 0.92), shade=_c(0.62, 0.67, 0.82), dim=_c(1.0, 1.0, 1.0),
                    sun_x=0.22, sun_h=0.55, moon=False),
    "noon": dict(top=_c(0.22, 0.50, 0.90), hor=_c(0.76, 0.87, 0.98), sun=_c(1.0, 0.99, 0.92),
                 light=_c(1.0, 1.0, 0.97), shade=_c(0.64, 0.68, 0.82), dim=_c(1.0, 1.0, 1.0),
                 sun_x=0.62, sun_h=0.85, moon=False),
    "afternoon": dict(top=_c(0.30, 0.53, 0.84), hor=_c(0.93, 0.89, 0.80), sun=_c(1.0, 0.93, 0.78),
                      light=_c(1.0, 0.94, 0.82), shade=_c(0.60, 0.62, 0.78), dim=_c(1.0, 0.97, 0.93),
                      sun_x=0.78, sun_h=0.50, moon=False),
    "dusk": dict(top=_c(0.19, 0.17, 0.40), hor=_c(1.0, 0.56, 0.34), sun=_c(1.0, 0.62, 0.35),
                 light=_c(1.0, 0.72, 0.52), shade=_c(0.46, 0.42, 0.62), dim=_c(0.80, 0.64, 0.62),
                 sun_x=0.80, sun_h=0.08, moon=False),
    "night": dict(top=_c(0.05, 0.08, 0.20), hor=_c(0.16, 0.25, 0.42), sun=_c(0.92, 0.95, 1.0),
                  light=_c(0.56, 0.66, 0.92), shade=_c(0.30, 0.36, 0.58), dim=_c(0.36, 0.44, 0.66),
                  sun_x=0.75, sun_h=0.62, moon=True),
}

# weather sky per disaster: (top, horizon, amount of mixing over the time-of-day sky, cloud cover)
_WEATHER = {
    "flood": (_c(0.40, 0.45, 0.52), _c(0.70, 0.72, 0.74), 0.78, 0.85),
    "heavy_rain": (_c(0.36, 0.41, 0.48), _c(0.66, 0.69, 0.72), 0.82, 0.92),
    "landslide": (_c(0.42, 0.46, 0.50), _c(0.72, 0.73, 0.73), 0.72, 0.80),
    "drought": (_c(0.50, 0.66, 0.86), _c(0.98, 0.92, 0.78), 0.45, 0.10),
    "heat_wave": (_c(0.80, 0.62, 0.40), _c(1.0, 0.90, 0.66), 0.60, 0.05),
    "yellow_dust": (_c(0.72, 0.60, 0.38), _c(0.92, 0.80, 0.55), 0.88, 0.35),
    "dry_weather": (_c(0.45, 0.62, 0.85), _c(0.95, 0.90, 0.78), 0.35, 0.15),
    "wildfire": (_c(0.36, 0.27, 0.24), _c(0.98, 0.62, 0.32), 0.70, 0.30),
    "heavy_snow": (_c(0.66, 0.70, 0.77), _c(0.90, 0.91, 0.93), 0.82, 0.90),
    "cold_wave": (_c(0.42, 0.64, 0.90), _c(0.86, 0.93, 0.99), 0.55, 0.12),
    "typhoon": (_c(0.20, 0.24, 0.28), _c(0.50, 0.55, 0.57), 0.86, 1.0),
    "strong_wind": (_c(0.30, 0.36, 0.44), _c(0.66, 0.70, 0.72), 0.70, 0.85),
    "earthquake": (_c(0.50, 0.60, 0.72), _c(0.90, 0.85, 0.78), 0.40, 0.35),
    "tsunami": (_c(0.34, 0.44, 0.54), _c(0.78, 0.82, 0.84), 0.55, 0.55),
    "storm_surge": (_c(0.24, 0.29, 0.34), _c(0.58, 0.62, 0.64), 0.82, 0.95),
    "high_seas": (_c(0.30, 0.37, 0.45), _c(0.68, 0.72, 0.75), 0.72, 0.80),
    "thunderstorm": (_c(0.22, 0.24, 0.32), _c(0.58, 0.60, 0.62), 0.86, 0.80),
}

_SEASON = {
    "spring": dict(grass=_c(0.52, 0.68, 0.33), trees=[_c(0.40, 0.64, 0.28), _c(0.52, 0.72, 0.32),
                   _c(0.95, 0.76, 0.84)], paddy=_c(0.52, 0.66, 0.62), far=_c(0.45, 0.58, 0.40)),
    "summer": dict(grass=_c(0.36, 0.56, 0.23), trees=[_c(0.18, 0.42, 0.18), _c(0.26, 0.52, 0.22),
                   _c(0.22, 0.47, 0.24)], paddy=_c(0.42, 0.64, 0.24), far=_c(0.28, 0.44, 0.30)),
    "autumn": dict(grass=_c(0.64, 0.57, 0.30), trees=[_c(0.86, 0.44, 0.14), _c(0.92, 0.66, 0.20),
                   _c(0.72, 0.28, 0.14)], paddy=_c(0.86, 0.70, 0.30), far=_c(0.55, 0.42, 0.28)),
    "winter": dict(grass=_c(0.60, 0.55, 0.44), trees=[_c(0.20, 0.34, 0.24), _c(0.24, 0.38, 0.26),
                   _c(0.22, 0.32, 0.22)], paddy=_c(0.62, 0.55, 0.42), far=_c(0.42, 0.42, 0.40)),
}

_ROOFS = [_c(0.20, 0.40, 0.64), _c(0.70, 0.22, 0.18), _c(0.24, 0.50, 0.40), _c(0.80, 0.44, 0.20),
          _c(0.40, 0.42, 0.46), _c(0.26, 0.32, 0.52)]
_WALLS = [_c(0.94, 0.92, 0.86), _c(0.94, 0.86, 0.70), _c(0.82, 0.82, 0.80), _c(0.80, 0.58, 0.44),
          _c(0.90, 0.88, 0.80)]
_CARS = [_c(0.92, 0.92, 0.92), _c(0.70, 0.72, 0.75), _c(0.72, 0.14, 0.12), _c(0.16, 0.30, 0.58),
         _c(0.14, 0.14, 0.16)]

_FIRE = [(0.0, (0.30, 0.04, 0.02)), (0.30, (0.82, 0.16, 0.03)), (0.55, (0.98, 0.46, 0.06)),
         (0.78, (1.0, 0.76, 0.22)), (1.0, (1.0, 0.97, 0.78))]

# keyword groups (matched against the metadata text with word prefixes)
_KEYWORDS = {
    "house": ("house", "houses", "village", "home", "cottage", "roof", "farmhouse", "town"),
    "hanok": ("hanok", "traditional korean", "tiled roof"),
    "apartment": ("apartment", "tower block", "high-rise", "highrise", "flats", "building"),
    "road": ("road", "street", "highway", "lane", "asphalt"),
    "bridge": ("bridge",),
    "car": ("car", "cars", "vehicle", "truck", "bus"),
    "tree": ("tree", "trees", "forest", "wood", "woods", "grove", "orchard"),
    "pine": ("pine", "pines", "conifer"),
    "paddy": ("paddy", "paddies", "rice field", "field", "fields", "farmland", "farm", "crop"),
    "river": ("river", "stream", "embankment", "creek", "canal", "levee"),
    "mountain": ("mountain", "mountains", "ridge", "hill", "hills", "slope", "peak"),
    "pole": ("utility pole", "power line", "pole", "poles", "telephone", "electric"),
    "greenhouse": ("greenhouse", "vinyl house", "plastic tunnel"),
    "fence": ("fence", "railing", "guardrail"),
    "harbour": ("sea wall", "seawall", "harbour", "harbor", "port", "boat", "boats", "pier",
                "breakwater", "fishing"),
    "korea": ("korea", "korean", "hanok", "seoul", "busan", "gangwon", "jeju", "apartment"),
}

# what each family draws when the metadata names nothing
_DEFAULTS = {
    "flood": {"house", "tree", "pole", "mountain", "car"},
    "landslide": {"house", "tree", "mountain", "river", "road", "pole"},
    "drought": {"tree", "mountain", "paddy", "house", "pole"},
    "wildfire": {"pine", "mountain", "house", "road", "pole"},
    "heavy_snow": {"house", "pine", "tree", "mountain", "car", "fence", "road"},
    "typhoon": {"house", "tree", "pole", "mountain"},
    "earthquake": {"house", "apartment", "road", "car", "pole", "mountain"},
    "coastal": {"house", "harbour", "mountain", "apartment"},
    "thunderstorm": {"house", "tree", "pole", "mountain"},
}


def _find_keywords(text: str) -> set[str]:
    import re
    found = set()
    for key, words in _KEYWORDS.items():
        for w in words:
            if re.search(r"(?<![a-z])" + re.escape(w), text):
                found.add(key)
                break
    return found


# --------------------------------------------------------------------------------------------
# canvas
# --------------------------------------------------------------------------------------------


class _Canvas:
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


# --------------------------------------------------------------------------------------------
# the scene context: geometry, palettes, objects
# --------------------------------------------------------------------------------------------


class _Scene:
    def __init__(self, md: SceneMetadata, key: str, family: str, w: int, h: int, rng, horizon: float):
        self.md, self.key, self.family = md, key, family
        self.W, self.H, self.rng = w, h, rng
        self.cv = _Canvas(h, w, DISASTERS[key].regions)
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
        tod = _TOD[md.time_of_day]
        self.tod = tod
        wt, wh_, amt, self.cover = _WEATHER.get(key, _WEATHER.get(family, _WEATHER["flood"]))
        self.night = md.time_of_day == "night"
        self.sky_top = _mix(tod["top"], wt * tod["dim"], amt)
        self.sky_hor = _mix(tod["hor"], wh_ * tod["dim"], amt)
        self.overcast = amt * self.cover
        grey = np.float32(_lum(tod["light"]))
        self.light = _mix(tod["light"], _c(grey, grey, grey) * 0.92, 0.6 * self.overcast)
        self.shadec = _mix(tod["shade"], self.light * 0.72, 0.55 * self.overcast)
        self.haze = _mix(self.sky_hor, self.sky_top, 0.15)
        self.sun_left = tod["sun_x"] < 0.5
        season = md.season
        if family == "heavy_snow":
            season = "winter"
        self.season = season
        self.pal = _SEASON[season]
        text = md.text()
        self.words = _find_keywords(text)
        self.fg = _find_keywords(" ".join(md.foreground).lower())
        self.bg = _find_keywords(" ".join(md.background).lower())
        named = self.words - {"korea"}
        self.want = set(named) if named else set(_DEFAULTS[family])
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


# --------------------------------------------------------------------------------------------
# painting: sky, mountains, ground
# --------------------------------------------------------------------------------------------


def _paint_sky(sc: _Scene, cover=None, spiral=False, stars=True, sun_scale=1.0, sun_glow=1.0):
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
        sky += (np.clip(st, 0, 1) * (1 - cover))[..., None] * _c(0.9, 0.92, 1.0)
    # clouds
    cy, cx = 5.0 * rows / H0, 1.6 * max(W0 / max(H0, 1), 0.6)
    n = _fbm(rng, H, W, cy, cx, octaves=5, gain=0.5, res=0.5 / f if f < 1 else 0.5)
    if spiral:
        ccx, ccy = W0 * sc.uni(0.6, 0.85), -H0 * sc.uni(0.2, 0.5)
        ang = np.arctan2(ys[:, None] - ccy, xs[None, :] - ccx)
        rad = np.log(np.hypot(ys[:, None] - ccy, xs[None, :] - ccx) + 1.0)
        band = np.sin(ang * 3.0 + rad * 7.0 + n * 1.6)
        n = 0.55 * n + 0.75 * band.astype(np.float32)
    # vertical structure: flatter, denser clouds near the horizon
    thr = 1.0 - 2.0 * cover
    dens = _smooth(thr - 0.12, thr + 0.22, n)
    nb = cv2.GaussianBlur(n, (0, 0), max(2.0 * sc.u * f, 1.0))
    nd = _shift_up(nb, max(int(H0 * f * 0.02), 1))
    shade = _smooth(-0.12, 0.12, nd - nb + 0.02)  # tops lighter (light from above), flat two-tone
    shade = 0.65 * shade + 0.35 * _smooth(thr + 0.1, thr + 0.9, n)
    lit_c = _mix(sc.sky_hor, sc.light, 0.55) * (1.05 if not sc.night else 0.9)
    dark_c = _mix(sc.sky_top, sc.shadec * 0.55, 0.5)
    if cover > 0.6:  # heavy weather: darker, greyer bases, pale tops
        g = float(_lum(sc.sky_hor))
        dark_c = _mix(dark_c, _c(g, g, g) * 0.62 * sc.tod["dim"], 0.6)
        lit_c = _mix(lit_c, _c(g, g, g) * 1.1, 0.4)
    ccol = dark_c[None, None] + (lit_c - dark_c)[None, None] * (0.25 + 0.75 * shade[..., None])
    # sun-lit rims near the sun
    ccol += (glow[..., None] * 0.8 * sc.tod["sun"]).astype(np.float32)
    a = (dens * (0.55 + 0.45 * cover)).astype(np.float32)
    sky += (ccol - sky) * a[..., None]
    # sun / moon disc (after the clouds, partly hidden by them)
    disc = _smooth(sun_r + 1.0 / f, sun_r - 1.0 / f, r) * (1 - 0.9 * a) * _smooth(0.75, 0.3, cover)
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


def _ridge(sc: _Scene, base_row, amp, cells, octaves=5, sharp=0.5):
    n = _fbm1d(sc.rng, sc.W, cells, octaves, 0.5)
    r = 1.0 - np.abs(_fbm1d(sc.rng, sc.W, cells * 0.7, 3, 0.5))
    prof = (1 - sharp) * (0.5 + 0.35 * n) + sharp * r
    prof = (prof - prof.min()) / max(prof.max() - prof.min(), 1e-6)
    return base_row - amp * (0.25 + 0.75 * prof)


def _paint_range(sc: _Scene, ridge, color, depth, base_row=None, snow=0.0, facet=True, region=None,
                 trees=None):
    """A mountain range under ``ridge`` (row of the ridgeline per column) down to ``base_row``."""
    W, H = sc.W, sc.H
    base_row = sc.h + 2 if base_row is None else base_row
    pts = np.concatenate([np.stack([np.arange(W, dtype=np.float64), ridge], 1),
                          [[W - 1 + 2, ridge[-1]], [W + 2, base_row], [-2, base_row], [-2, ridge[0]]]])
    top = int(max(math.floor(ridge.min()) - 2, 0))
    bot = int(min(math.ceil(base_row) + 2, H))
    if bot <= top:
        return
    ys = sc.ys[top:bot, None]
    # faceted shading: faces whose slope faces the sun are lit; facets run diagonally downhill
    col = np.empty((bot - top, W, 3), np.float32)
    lit_c, sh_c = sc.lit(color), sc.shd(color)
    if facet:
        slope = np.gradient(cv2.GaussianBlur(ridge.astype(np.float32)[None], (0, 0), 8 * sc.u + 1)[0])
        s = np.tanh(slope * 3.0)
        if not sc.sun_left:
            s = -s
        below = np.clip(ys - ridge[None, :], 0, None)
        xi = np.clip((sc.xs[None, :] + below * 0.6 * np.sign(s[None, :] + 1e-6)).astype(np.int32), 0, W - 1)
        k = (0.5 - 0.5 * s[xi])  # 1 = lit side (ridge rising toward the light)
        k = cv2.GaussianBlur(k.astype(np.float32), (0, 0), max(2.0 * sc.u, 1.0))
        k = np.clip(k + 0.2 * _fbm(sc.rng, bot - top, W, 2, 8, 3, res=0.5), 0, 1)
        col[:] = sh_c + (lit_c - sh_c) * k[..., None]
    else:
        col[:] = lit_c * 0.6 + sh_c * 0.4
    if trees is not None:
        tn = _fbm(sc.rng, bot - top, W, 6 * (bot - top) / max(H, 1) + 2, 60, 2, res=0.5)
        col *= (0.9 + 0.12 * np.clip(tn, -1, 1))[..., None]
    if snow > 0:
        depth_below = ys - ridge[None, :]
        sn = _fbm(sc.rng, bot - top, W, 3, 14, 3, res=0.5)
        cap = (snow * (ridge.max() - ridge.min() + 5) * (0.5 + 0.3 * sn)) - (ridge[None, :] - ridge.min()) * 0.6
        sm = _smooth(-1, 1, cap - depth_below)
        scol = _mix(sc.lit(_c(0.95, 0.96, 1.0)), sc.shd(_c(0.9, 0.93, 1.0)), 0.35)
        col += (scol - col) * sm[..., None]
    full = np.zeros((H, W, 3), np.float32)
    full[top:bot] = col
    sc.cv.fill([pts], full, region=Region.NONE if region is None else region, depth=depth)


def _paint_mountains(sc: _Scene, n=3, color=None, snow=0.0, max_height=0.5, near_hill=True):
    """Far mountain ranges faded by aerial perspective, then a nearer wooded hill line."""
    if "mountain" not in sc.want and n > 1:
        n = 1
    base = sc.h + 1.5
    far = sc.pal["far"] if color is None else color
    for i in range(n):
        f = i / max(n - 1, 1)
        amp = sc.h * max_height * (0.55 + 0.45 * (1 - f)) * sc.uni(0.8, 1.1)
        ridge = _ridge(sc, base, amp, sc.uni(2.5, 4.0) * (1 + 0.3 * i), sharp=0.55 - 0.2 * f)
        fade = 0.65 * (1 - f) + 0.12
        c = _mix(far, sc.haze / np.maximum(sc.light, 0.3), fade)
        _paint_range(sc, ridge, c, depth=70.0 - 14 * i, base_row=base, snow=snow * (1 - 0.5 * f))
    sc.note("mountain range", n)
    if near_hill:
        amp = sc.h * 0.12 * sc.uni(0.6, 1.2)
        ridge = _ridge(sc, base + sc.K * 0.02, amp, sc.uni(4, 7), sharp=0.15)
        _paint_range(sc, ridge, _mix(sc.pal["far"], sc.pal["grass"], 0.35) * 0.8, depth=sc.d_of(base + sc.K * 0.02),
                     base_row=base + sc.K * 0.02, facet=False, trees=True, snow=snow * 0.5)


def _paint_ground(sc: _Scene, color=None, fields=False, snow=False, texture=0.08, start=None):
    """The ground plane from the horizon to the bottom, optionally a patchwork of fields."""
    H, W = sc.H, sc.W
    y0 = int(max(math.floor(sc.h if start is None else start), 0))
    base = sc.pal["grass"] if color is None else color
    X, Z = sc.ground_coords()
    Xs, Zs = X[y0:] + np.float32(sc.uni(3, 20)), Z[y0:]
    col = np.empty((H - y0, W, 3), np.float32)
    col[:] = sc.lit(base)
    fade = np.exp(-sc.gdepth[y0:] / 12.0)
    if fields:
        fx = np.floor(Xs / 24.0 + 0.35 * np.floor(Zs / 30.0))
        fz = np.floor(Zs / 30.0)
        hsh = np.sin(fx * 12.9898 + fz * 78.233 + sc.uni(0, 100)) * 43758.5453
        hsh = (hsh - np.floor(hsh)).astype(np.float32)
        pal = [sc.pal["paddy"], _mix(sc.pal["paddy"], base, 0.6), _mix(sc.pal["paddy"], _c(0.8, 0.72, 0.4), 0.25),
               _mix(sc.pal["paddy"], base * 0.8, 0.3)]
        idx = np.minimum((hsh * len(pal)).astype(np.int32), len(pal) - 1)
        pc = np.stack([sc.lit(p) for p in pal])[idx]
        # rows of rice / furrows
        rows = 0.5 + 0.5 * np.sin(Xs * 2.2 + fx)
        pc *= (1 - 0.10 * rows * np.clip(fade * 3, 0, 1))[..., None]
        # bunds between fields
        bx = np.abs(Xs / 24.0 + 0.35 * np.floor(Zs / 30.0) - np.round(Xs / 24.0 + 0.35 * np.floor(Zs / 30.0)))
        bz = np.abs(Zs / 30.0 - np.round(Zs / 30.0))
        px_per_m = sc.S / np.maximum(sc.gdepth[y0:], 1e-3)
        edge = np.minimum(bx * 24.0 * px_per_m, bz * 30.0 * px_per_m * (sc.K / (sc.hc * 1.6 * sc.S)) / np.maximum(sc.gdepth[y0:], 1))
        bund = _smooth(1.6, 0.4, edge) * np.clip(fade * 4, 0, 1)
        col = pc + (sc.lit(_mix(base, _c(0.55, 0.48, 0.32), 0.5)) - pc) * bund[..., None]
    tx = _fbm(sc.rng, H - y0, W, 4, 8, 4, res=0.5)
    col *= (1.0 + texture * tx)[..., None]
    if snow:
        col[:] = _mix(sc.lit(_c(0.96, 0.97, 1.0)), sc.shd(_c(0.92, 0.95, 1.0)), 0.18 + 0.18 * np.clip(tx, -1, 1)[..., None])
    full = np.zeros((H, W, 3), np.float32)
    full[y0:] = col
    a = np.zeros((H, W), np.float32)
    a[y0:] = 1.0
    if y0 > 0:
        a[y0] = np.clip(y0 + 1 - (sc.h if start is None else start), 0, 1)
    sc.cv.composite(a, (0, H, 0, W), full, Region.NONE, sc.gdepth)
    sc.ground_col = base


# --------------------------------------------------------------------------------------------
# water, fire, smoke, dust textures
# --------------------------------------------------------------------------------------------


def _water_texture(sc: _Scene, base, deep, streak=1.0, foam=0.3, sky_reflect=0.45, depth_scale=1.0):
    """Full-frame water colour: horizontal ripple streaks in perspective, highlights, sky reflection."""
    H0, W, rng = sc.H, sc.W, sc.rng
    y0 = int(max(math.floor(sc.h), 0))
    H = H0 - y0
    X, Z = sc.ground_coords()
    X, Z = X[y0:], Z[y0:]
    # a top-down ripple texture, long along the flow (X), mapped through the ground plane
    T = 512
    tex = _fbm(rng, T, T, 16, 5, 4, 0.6, wrap=True)
    tex2 = _fbm(rng, T, T, 40, 12, 2, 0.5, wrap=True)
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
    fine = _fbm(rng, H, W, 40, 3, 2, 0.5, res=0.5)
    rip = (r1 * 0.7 + r2 * 0.5) * fade + fine * 0.45 * (1 - fade)
    fres = np.clip(1 - np.exp(-d / 9.0), 0, 1) * sky_reflect
    col = deep[None, None] + (base - deep)[None, None] * np.clip(0.6 + 0.25 * rip, 0, 1)[..., None]
    refl = _mix(sc.sky_hor, sc.sky_top, 0.3)
    col = col + (refl - col) * fres[..., None]
    r2f = r2 * fade + fine * (1 - fade)
    hi = (_smooth(0.7, 1.1, r2f) * 0.6 + _smooth(1.0, 1.6, rip) * 0.5) * (0.5 + 0.4 * (1 - sc.overcast))
    col = col + (_mix(refl, _c(1, 1, 1), 0.5) - col) * np.clip(hi * foam * 1.6, 0, 0.9)[..., None]
    lo = _smooth(-0.9, -1.6, rip) * 0.25
    col = col * (1 - lo)[..., None]
    out = np.empty((H0, W, 3), np.float32)
    out[:y0] = col[:1]
    out[y0:] = np.clip(col, 0, 1)
    return out


def _fire_colour(i):
    return _ramp(np.clip(i, 0, 1), _FIRE)


def _smoke_field(sc: _Scene, sources, wind=0.35, res=0.35, spread=0.35):
    """Smoke plumes rising from ``sources`` [(x, y, width)] and drifting with the wind.

    Returns (alpha, shade): a billowy outline (noise pushes the plume edge in and out) and a light/dark
    shading of the billows lit from above, both full-size (computed at ``res`` and resized up).
    """
    H, W, rng = sc.H, sc.W, sc.rng
    h, w = max(int(H * res), 8), max(int(W * res), 8)
    ys = np.arange(h, dtype=np.float32)[:, None] / res
    xs = np.arange(w, dtype=np.float32)[None, :] / res
    n = np.zeros((h, w), np.float32)
    for o in range(5):  # turbulence (sum of |noise|): rounded, cauliflower billows
        n += np.abs(_grid_noise(rng, h, w, 3 * 2 ** o, 4 * 2 ** o)) * np.float32(0.55 ** o)
    n = (n - n.mean()) / (n.std() + 1e-6)
    warp = _fbm(rng, h, w, 2, 3, 3, 0.5)
    dens = np.zeros((h, w), np.float32)
    for (x0, y0, w0) in sources:
        rise = np.clip(y0 - ys, 0, None)
        cx = x0 + wind * rise * (1 + rise / (H * 0.7)) + warp * (w0 * 0.3 + rise * 0.25)
        width = w0 * 0.5 + rise * spread
        prof = np.clip(1 - ((xs - cx) / np.maximum(width, 1)) ** 2, 0, 1)
        vert = _smooth(0, w0 * 0.6 + 1, rise + 0.3 * w0 * n) * (ys < y0)
        dens = np.maximum(dens, prof * vert)
    f = dens + 0.28 * n * np.clip(dens * 3, 0, 1)
    alpha = _smooth(0.22, 0.4, f)
    fb = cv2.GaussianBlur(f, (0, 0), 1.2)
    sh = max(int(2 * res / 0.35), 1)
    emb = np.clip(0.55 + (fb - _shift_down(fb, sh)) * 3.0 + 0.15 * n, 0, 1)
    alpha = cv2.resize(alpha.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    emb = cv2.resize(emb.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    return alpha, emb


# --------------------------------------------------------------------------------------------
# objects
# --------------------------------------------------------------------------------------------


def _house(sc: _Scene, x, d, water_row=None, tilt=0.0, snow=False, hanok=None, lit_windows=None,
           collapse=False, region=Region.NONE):
    """A 3/4-view house standing on the ground at (x, depth d). Returns its footprint box."""
    rng = sc.rng
    p = sc.ppm(d)
    yb = sc.y_of(d)
    if hanok is None:
        hanok = sc.korea and ("hanok" in sc.want) and rng.random() < 0.6
    if hanok:
        return _hanok(sc, x, d, snow=snow, lit_windows=lit_windows)
    fw = sc.uni(4.5, 6.0) * p
    sw = sc.uni(6.0, 9.0) * p
    wh = (sc.uni(2.6, 3.2) if rng.random() < 0.7 else sc.uni(5.2, 6.0)) * p
    rh = sc.uni(1.8, 2.6) * p
    flip = rng.random() < 0.5
    x0 = x - (fw + sw) / 2
    sk = 0.08 * sw
    wall = sc.pick(_WALLS)
    roof = sc.pick(_ROOFS)
    lit_front = sc.sun_left != flip
    front_c = sc.lit(wall) if lit_front else sc.shd(wall)
    side_c = sc.shd(wall) if lit_front else sc.lit(wall, 0.95)
    eave = 0.6 * p
    front = np.array([[x0, yb], [x0 + fw, yb], [x0 + fw, yb - wh], [x0 + fw / 2, yb - wh - rh], [x0, yb - wh]])
    side = np.array([[x0 + fw, yb], [x0 + fw + sw, yb - sk], [x0 + fw + sw, yb - sk - wh], [x0 + fw, yb - wh]])
    roofp = np.array([[x0 + fw / 2, yb - wh - rh - 0.3 * p], [x0 + fw / 2 + sw + eave * 0.5, yb - sk - wh - rh - 0.3 * p],
                      [x0 + fw + sw + eave, yb - sk - wh + eave * 0.5], [x0 + fw + eave * 0.4, yb - wh + eave * 0.5]])
    gable = np.array([[x0 - eave * 0.6, yb - wh + eave * 0.45], [x0 + fw / 2, yb - wh - rh - 0.45 * p],
                      [x0 + fw / 2 + 0.35 * p, yb - wh - rh - 0.3 * p], [x0 + 0.2 * p, yb - wh + eave * 0.2]])
    parts = [front, side, roofp, gable]
    cx_ = x0 + (fw + sw) / 2
    if flip:
        parts = [np.stack([2 * cx_ - q[:, 0], q[:, 1]], 1) for q in parts]
    if tilt:
        parts = [_rot(q, cx_, yb, tilt) for q in parts]
    front, side, roofp, gable = parts
    night = sc.night if lit_windows is None else lit_windows
    win_c = _c(1.0, 0.82, 0.45) if night else sc.shd(_c(0.32, 0.42, 0.55))
    cv = sc.cv
    cv.fill([front], front_c, region, d)
    cv.fill([side], side_c, region, d)
    # windows on the side wall and a door on the front
    nwin = max(int(sw / (2.2 * p)), 1)
    wins = []
    storeys = 2 if wh > 4.5 * p else 1
    for st in range(storeys):
        for k in range(nwin):
            u0 = (k + 0.3) / nwin
            u1 = (k + 0.7) / nwin
            v0 = 0.35 + st * 0.5 if storeys == 2 else 0.35
            v1 = v0 + (0.28 if storeys == 2 else 0.35)
            q = []
            for (u, v) in ((u0, v0), (u1, v0), (u1, v1), (u0, v1)):
                bx = side[0] + (side[1] - side[0]) * u
                tx_ = side[3] + (side[2] - side[3]) * u
                q.append(bx + (tx_ - bx) * v)
            wins.append(np.array(q))
    lw = [w_ for w_ in wins if (not night) or rng.random() < 0.7]
    cv.fill(lw, win_c, region, d, glow=0.8 if night else 0.0)
    door = []
    for (u, v) in ((0.35, 0.0), (0.65, 0.0), (0.65, 0.6 if storeys == 1 else 0.35), (0.35, 0.6 if storeys == 1 else 0.35)):
        bx = front[0] + (front[1] - front[0]) * u
        tx_ = front[4] + (front[2] - front[4]) * u
        door.append(bx + (tx_ - bx) * v)
    cv.fill([np.array(door)], sc.shd(_mix(roof, _c(0.3, 0.2, 0.15), 0.6)), region, d)
    rc = sc.lit(roof) if not sc.sun_left else sc.lit(roof, 0.92)
    cv.fill([roofp], rc, region, d)
    cv.fill([gable], sc.shd(roof, 0.8), region, d)
    if snow:
        _snow_cap(sc, roofp, d, p)
        _snow_cap(sc, gable, d, p * 0.6)
    sc.note("house")
    xs = np.concatenate([q[:, 0] for q in parts])
    ys = np.concatenate([q[:, 1] for q in parts])
    return (xs.min(), ys.min(), xs.max(), yb)


def _snow_cap(sc, poly, d, p):
    """A thick rounded snow layer on top of a roof polygon."""
    poly = np.asarray(poly, np.float64)
    top = poly[poly[:, 1].argsort()[:2]]
    top = top[top[:, 0].argsort()]
    (ax, ay), (bx, by) = top
    t = np.linspace(0, 1, 16)
    thick = 0.55 * p
    upper = np.stack([ax + (bx - ax) * t, ay + (by - ay) * t - thick * (0.6 + 0.4 * np.sin(np.pi * t))], 1)
    lower_pts = poly[poly[:, 1].argsort()[2:]]
    lower_pts = lower_pts[lower_pts[:, 0].argsort()[::-1]]
    cap = np.concatenate([upper, lower_pts + (0, -0.25 * p)])
    sc.cv.fill([cap], _mix(sc.lit(_c(0.97, 0.98, 1.0)), sc.shd(_c(0.9, 0.93, 1.0)), 0.2), Region.NONE, d)
    # overhang lip
    lip = np.concatenate([lower_pts + (0, -0.3 * p), (lower_pts + (0, 0.25 * p))[::-1]])
    sc.cv.fill([lip], sc.shd(_c(0.95, 0.97, 1.0)), Region.NONE, d)


def _hanok(sc: _Scene, x, d, snow=False, lit_windows=None):
    """A traditional Korean house: white walls with timber posts under a curved tiled roof."""
    p = sc.ppm(d)
    yb = sc.y_of(d)
    w = sc.uni(9, 12) * p
    wh = 2.6 * p
    x0 = x - w / 2
    cv = sc.cv
    plinth = np.array([[x0 - 0.3 * p, yb], [x0 + w + 0.3 * p, yb], [x0 + w + 0.3 * p, yb - 0.6 * p], [x0 - 0.3 * p, yb - 0.6 * p]])
    cv.fill([plinth], sc.lit(_c(0.70, 0.68, 0.64)), Region.NONE, d)
    body = np.array([[x0, yb - 0.6 * p], [x0 + w, yb - 0.6 * p], [x0 + w, yb - wh], [x0, yb - wh]])
    cv.fill([body], sc.lit(_c(0.95, 0.93, 0.86)), Region.NONE, d)
    nb = 4
    posts, panels = [], []
    for k in range(nb + 1):
        px = x0 + w * k / nb
        posts.append(np.array([[px - 0.18 * p, yb - 0.6 * p], [px + 0.18 * p, yb - 0.6 * p], [px + 0.18 * p, yb - wh], [px - 0.18 * p, yb - wh]]))
        if k < nb:
            cx = x0 + w * (k + 0.5) / nb
            panels.append(np.array([[cx - 0.7 * p, yb - 0.9 * p], [cx + 0.7 * p, yb - 0.9 * p], [cx + 0.7 * p, yb - 2.2 * p], [cx - 0.7 * p, yb - 2.2 * p]]))
    night = sc.night if lit_windows is None else lit_windows
    cv.fill(panels, _c(1.0, 0.84, 0.52) if night else sc.lit(_c(0.90, 0.84, 0.70)), Region.NONE, d, glow=0.7 if night else 0)
    cv.fill(posts, sc.shd(_c(0.50, 0.32, 0.20)), Region.NONE, d)
    # curved roof with upturned eaves
    t = np.linspace(0, 1, 24)
    ov = 1.8 * p
    L, R = x0 - ov, x0 + w + ov
    eave_y = yb - wh + 0.2 * p - 0.9 * p * (np.abs(2 * t - 1) ** 3)   # rising at the corners
    ridge_y = yb - wh - 3.0 * p - 0.5 * p * (np.abs(2 * t - 1) ** 4)
    bottom = np.stack([L + (R - L) * t, eave_y], 1)
    rl, rr = x0 + 1.4 * p, x0 + w - 1.4 * p
    top = np.stack([rl + (rr - rl) * t, ridge_y + 0.0 * t], 1)
    roof = np.concatenate([bottom, top[::-1]])
    tile = _c(0.30, 0.31, 0.34)
    cv.fill([roof], sc.lit(tile, 0.95), Region.NONE, d)
    # tile lines
    lines = []
    for k in range(1, 14):
        u = k / 14
        lines.append(np.array([[rl + (rr - rl) * u, ridge_y[int(u * 23)]], [L + (R - L) * u, eave_y[int(u * 23)]]]))
    cv.lines(lines, sc.shd(tile, 0.7), max(0.6 * p * 0.25, 0.6), Region.NONE, None, 0.6)
    ridge = np.concatenate([top + (0, -0.35 * p), (top + (0, 0.15 * p))[::-1]])
    cv.fill([ridge], sc.shd(tile, 0.6), Region.NONE, d)
    if snow:
        _snow_cap(sc, np.array([[rl, ridge_y[0]], [rr, ridge_y[-1]], [R, eave_y[-1]], [L, eave_y[0]]]), d, p)
    sc.note("hanok")
    return (L, ridge_y.min(), R, yb)


def _apartment(sc: _Scene, x, d, tilt=0.0, broken=False, snow=False):
    """A Korean-style apartment block: a tall slab with balcony rows and a shaded side."""
    rng = sc.rng
    p = sc.ppm(d)
    yb = sc.y_of(d)
    w = sc.uni(26, 40) * p
    floors = int(rng.integers(12, 22))
    fh = 2.9 * p
    ht = floors * fh
    sw = sc.uni(5, 8) * p
    x0 = x - (w + sw) / 2
    wall = sc.pick([_c(0.93, 0.92, 0.88), _c(0.90, 0.88, 0.84), _c(0.86, 0.88, 0.90)])
    stripe = sc.pick([_c(0.25, 0.45, 0.70), _c(0.70, 0.30, 0.25), _c(0.30, 0.55, 0.40), _c(0.85, 0.60, 0.25)])
    front = np.array([[x0, yb], [x0 + w, yb], [x0 + w, yb - ht], [x0, yb - ht]])
    side = np.array([[x0 + w, yb], [x0 + w + sw, yb - 0.12 * sw], [x0 + w + sw, yb - ht - 0.05 * sw], [x0 + w, yb - ht]])
    if broken:
        # the upper floors sheared off: a jagged top
        cut = ht * sc.uni(0.35, 0.6)
        jag = np.stack([np.linspace(x0 + w, x0, 9), yb - cut - rng.uniform(0, 3.5, 9) * p], 1)
        front = np.concatenate([front[:2], jag])
        side = np.array([[x0 + w, yb], [x0 + w + sw, yb - 0.12 * sw], [x0 + w + sw, yb - cut * 0.8], [x0 + w, yb - cut - 1.5 * p]])
    parts = [front, side]
    if tilt:
        pivot = x0 if tilt < 0 else x0 + w + sw
        parts = [_rot(q, pivot, yb, tilt) for q in parts]
    front, side = parts
    cv = sc.cv
    lf = sc.sun_left
    cv.fill([front], sc.lit(wall) if lf else sc.shd(wall, 1.05), Region.NONE, d)
    cv.fill([side], sc.shd(wall, 0.95) if lf else sc.lit(wall, 0.95), Region.NONE, d)
    # balcony rows and windows: bilinear interpolation inside the (possibly tilted) front quad
    A, B = front[0], front[1]
    topL, topR = (front[3], front[2]) if not broken else (front[-1], front[2])
    top_y = ht if not broken else cut
    nfl = int(top_y / fh)
    ncol = max(int(w / (3.4 * p)), 2)
    wins, rails = [], []
    lit_any = sc.night
    for f in range(nfl):
        v0 = (f + 0.3) / (top_y / fh)
        v1 = (f + 0.75) / (top_y / fh)
        if v1 > 0.98:
            continue
        for k in range(ncol):
            u0 = (k + 0.15) / ncol
            u1 = (k + 0.85) / ncol
            q = []
            for (u, v) in ((u0, v0), (u1, v0), (u1, v1), (u0, v1)):
                bx = A + (B - A) * u
                tx_ = topL + (topR - topL) * u
                q.append(bx + (tx_ - bx) * v)
            if lit_any and rng.random() < 0.45:
                rails.append(np.array(q))
            else:
                wins.append(np.array(q))
    cv.fill(wins, sc.shd(_c(0.45, 0.55, 0.65), 0.9), Region.NONE, d)
    if rails:
        cv.fill(rails, _c(1.0, 0.84, 0.50), Region.NONE, d, glow=0.8)
    if not broken:
        band = np.array([topL, topR, topR + (B - topR) * 0.06, topL + (A - topL) * 0.06])
        cv.fill([band], sc.lit(stripe), Region.NONE, d)
    if snow:
        cap = np.array([topL + (-0.3 * p, -0.8 * p), topR + (0.3 * p, -0.8 * p), topR + (0.3 * p, 0.1 * p), topL + (-0.3 * p, 0.1 * p)])
        cv.fill([cap], sc.lit(_c(0.97, 0.98, 1.0)), Region.NONE, d)
    sc.note("apartment block")
    xs = np.concatenate([q[:, 0] for q in parts])
    ys = np.concatenate([q[:, 1] for q in parts])
    return (xs.min(), ys.min(), xs.max(), yb)


def _tree(sc: _Scene, x, d, kind="round", color=None, bend=0.0, snow=False, region=None, burnt=False,
          scale=1.0):
    """A tree at (x, depth d): a round clumpy crown, a conifer, a pine, a palm, or bare."""
    rng = sc.rng
    p = sc.ppm(d) * scale
    yb = sc.y_of(d)
    cv = sc.cv
    region = Region.FOLIAGE if region is None else region
    trunk_c = sc.shd(_c(0.36, 0.25, 0.18)) if not burnt else _c(0.08, 0.06, 0.05)
    if color is None:
        color = sc.pick(sc.pal["trees"][:2]) if kind != "round" or sc.season != "spring" else sc.pick(sc.pal["trees"])
    if kind in ("pine", "conifer"):
        color = _mix(color, _c(0.12, 0.30, 0.20), 0.5) if sc.season in ("autumn", "spring") else color
    if burnt:
        color = _c(0.10, 0.08, 0.07)
    ht = sc.uni(7, 11) * p
    if kind == "bare" or (kind == "round" and sc.season == "winter" and not snow and sc.family != "typhoon"):
        _bare_tree(sc, x, yb, ht, d, burnt=burnt)
        return
    if kind == "palm":
        ht *= 1.15
        t = np.linspace(0, 1, 12)
        lean = bend * ht * 0.45
        cxs = x + lean * t ** 2
        cys = yb - ht * t
        wdt = (0.45 - 0.2 * t) * p
        trunk = np.concatenate([np.stack([cxs - wdt, cys], 1), np.stack([cxs + wdt, cys], 1)[::-1]])
        cv.fill([trunk], trunk_c, Region.NONE, d)
        tx, ty = cxs[-1], cys[-1]
        fronds = []
        for k in range(8):
            ang = -math.pi / 2 + (k - 3.5) * 0.42 + bend * 0.9
            L = sc.uni(3.5, 4.8) * p
            s = np.linspace(0, 1, 8)
            droop = (s ** 2) * L * 0.55 * (1 - 0.6 * bend * math.cos(ang))
            fx = tx + math.cos(ang) * L * s + bend * L * 0.6 * s ** 2
            fy = ty + math.sin(ang) * L * s + droop
            wv = 0.45 * p * np.sin(np.pi * s)
            nx, ny = -math.sin(ang), math.cos(ang)
            fronds.append(np.concatenate([np.stack([fx + nx * wv, fy + ny * wv], 1), np.stack([fx - nx * wv, fy - ny * wv], 1)[::-1]]))
        cv.fill(fronds, sc.shd(color), region, d)
        cv.fill(fronds[::2], sc.lit(color), region, d)
        sc.note("palm tree")
        return
    # trunk (bent by the wind)
    lean = bend * ht * 0.35
    t = np.linspace(0, 1, 10)
    cxs = x + lean * t ** 2
    cys = yb - ht * 0.55 * t
    wdt = (0.32 - 0.12 * t) * p
    trunk = np.concatenate([np.stack([cxs - wdt, cys], 1), np.stack([cxs + wdt, cys], 1)[::-1]])
    cv.fill([trunk], trunk_c if kind != "pine" else sc.shd(_c(0.55, 0.30, 0.20)), Region.NONE, d)
    hi = sc.lit(color, 1.1)
    mid = sc.lit(color, 0.85)
    lo = sc.shd(color, 0.9)
    if kind == "conifer":
        tiers = int(rng.integers(3, 5))
        polys_lo, polys_hi = [], []
        for k in range(tiers):
            f = k / tiers
            wy = yb - ht * (0.25 + 0.7 * f)
            hw = (2.2 - 1.5 * f) * p
            apex = yb - ht * (0.25 + 0.7 * f) - ht * 0.35
            cxk = x + lean * (0.6 + f)
            polys_lo.append(np.array([[cxk - hw, wy], [cxk + hw, wy], [cxk + bend * p, apex]]))
            side = -1 if sc.sun_left else 1
            polys_hi.append(np.array([[cxk + side * hw * 0.9, wy - 0.1 * p], [cxk, wy], [cxk + bend * p, apex]]))
        cv.fill(polys_lo, lo, region, d)
        cv.fill(polys_hi, mid, region, d)
        if snow:
            sn = [np.array([[q[0][0] + (q[2][0] - q[0][0]) * 0.35, q[0][1] + (q[2][1] - q[0][1]) * 0.35],
                            [q[2][0], q[2][1]],
                            [q[1][0] + (q[2][0] - q[1][0]) * 0.35, q[1][1] + (q[2][1] - q[1][1]) * 0.35],
                            [q[1][0] * 0.9 + q[0][0] * 0.1, q[1][1] - 0.4 * p],
                            [q[0][0] * 0.9 + q[1][0] * 0.1, q[0][1] - 0.4 * p]]) for q in polys_lo]
            cv.fill(sn, sc.lit(_c(0.97, 0.98, 1.0)), region, d)
        sc.note("conifer")
        return
    # round / pine crowns made of leaf clumps
    ncl = int(rng.integers(6, 11)) if kind == "round" else int(rng.integers(4, 7))
    ccx = x + lean
    ccy = yb - ht * (0.68 if kind == "round" else 0.8)
    R = ht * (0.32 if kind == "round" else 0.26)
    clumps_lo, clumps_mid, clumps_hi = [], [], []
    for k in range(ncl):
        a = rng.uniform(0, 2 * math.pi)
        rr = rng.uniform(0.0, 0.7) * R
        ox = math.cos(a) * rr * (1.3 if kind == "pine" else 1.0) + bend * R * 0.5
        oy = math.sin(a) * rr * (0.45 if kind == "pine" else 0.8)
        cr = R * rng.uniform(0.45, 0.7)
        ry = cr * (0.55 if kind == "pine" else 0.9)
        clumps_lo.append(_circle(ccx + ox, ccy + oy, cr, ry, 18))
        sgn = -1 if sc.sun_left else 1
        clumps_mid.append(_circle(ccx + ox + sgn * cr * 0.15, ccy + oy - cr * 0.15, cr * 0.8, ry * 0.8, 16))
        clumps_hi.append(_circle(ccx + ox + sgn * cr * 0.35, ccy + oy - cr * 0.35, cr * 0.4, ry * 0.4, 12))
    cv.fill(clumps_lo, lo, region, d)
    cv.fill(clumps_mid, mid, region, d)
    cv.fill(clumps_hi[::2], hi, region, d)
    if snow:
        sn = [_circle(q[:, 0].mean(), q[:, 1].min() + (q[:, 1].max() - q[:, 1].min()) * 0.25,
                      (q[:, 0].max() - q[:, 0].min()) * 0.42, (q[:, 1].max() - q[:, 1].min()) * 0.2, 14) for q in clumps_mid]
        cv.fill(sn, sc.lit(_c(0.97, 0.98, 1.0)), region, d)
    sc.note("pine tree" if kind == "pine" else "tree")


def _bare_tree(sc, x, yb, ht, d, burnt=False):
    rng = sc.rng
    segs = []
    col = _c(0.10, 0.08, 0.07) if burnt else sc.shd(_c(0.40, 0.32, 0.26))
    p = sc.ppm(d)

    def branch(x0, y0, ang, L, w, depth):
        x1 = x0 + math.cos(ang) * L
        y1 = y0 + math.sin(ang) * L
        nx, ny = -math.sin(ang), math.cos(ang)
        segs.append(np.array([[x0 + nx * w, y0 + ny * w], [x1 + nx * w * 0.6, y1 + ny * w * 0.6],
                              [x1 - nx * w * 0.6, y1 - ny * w * 0.6], [x0 - nx * w, y0 - ny * w]]))
        if depth > 0:
            for s in (-1, 1):
                branch(x1, y1, ang + s * rng.uniform(0.3, 0.7), L * rng.uniform(0.6, 0.78), w * 0.62, depth - 1)
    branch(x, yb, -math.pi / 2 + rng.uniform(-0.1, 0.1), ht * 0.38, 0.35 * p, 4)
    sc.cv.fill(segs, col, Region.NONE, d)
    sc.note("bare tree")


def _car(sc, x, d, snow=False):
    p = sc.ppm(d)
    yb = sc.y_of(d)
    L, hgt = 4.3 * p, 1.45 * p
    flip = sc.rng.random() < 0.5
    c = sc.pick(_CARS)
    x0 = x - L / 2
    body = np.array([[x0, yb - 0.3 * p], [x0 + L, yb - 0.3 * p], [x0 + L, yb - 0.85 * p], [x0 + L * 0.8, yb - 0.95 * p],
                     [x0 + L * 0.68, yb - hgt], [x0 + L * 0.25, yb - hgt], [x0 + L * 0.12, yb - 0.95 * p], [x0, yb - 0.85 * p]])
    win = np.array([[x0 + L * 0.2, yb - 0.95 * p], [x0 + L * 0.74, yb - 0.95 * p], [x0 + L * 0.65, yb - hgt + 0.12 * p],
                    [x0 + L * 0.28, yb - hgt + 0.12 * p]])
    if flip:
        body[:, 0] = 2 * x - body[:, 0]
        win[:, 0] = 2 * x - win[:, 0]
    cv = sc.cv
    cv.fill([_circle(x0 + L * 0.22, yb - 0.33 * p, 0.36 * p, n=14), _circle(x0 + L * 0.78, yb - 0.33 * p, 0.36 * p, n=14)],
            _c(0.08, 0.08, 0.09), Region.NONE, d)
    cv.fill([body], sc.lit(c), Region.NONE, d)
    cv.fill([win], sc.shd(_c(0.35, 0.45, 0.55)), Region.NONE, d)
    if snow:
        cap = np.concatenate([_circle(x, yb - 0.9 * p, L * 0.52, hgt * 0.75, 20, math.pi, 2 * math.pi),
                              [[x + L * 0.52, yb - 0.55 * p], [x - L * 0.52, yb - 0.55 * p]]])
        cv.fill([cap], sc.lit(_c(0.97, 0.98, 1.0)), Region.NONE, d)
    sc.note("car")
    return (x0, yb - hgt, x0 + L, yb)


def _pole_line(sc, d0, d1, xfrac0, xfrac1, lean=0.0, n=None, region=Region.NONE, tops=None):
    """A line of utility poles receding from (xfrac0, d0) to (xfrac1, d1), wires between them."""
    n = n or int(sc.rng.integers(4, 7))
    cv = sc.cv
    tops_out = []
    for k in range(n):
        f = k / max(n - 1, 1)
        d = d0 * (d1 / d0) ** f
        x = (xfrac0 + (xfrac1 - xfrac0) * f) * sc.W
        p = sc.ppm(d)
        yb = sc.y_of(d)
        ht = 10.0 * p
        lk = lean * sc.uni(-1, 1)
        top = np.array([x + math.sin(lk) * ht, yb - math.cos(lk) * ht])
        w = max(0.17 * p, 0.6)
        pole = np.array([[x - w, yb], [x + w, yb], [top[0] + w * 0.7, top[1]], [top[0] - w * 0.7, top[1]]])
        cv.fill([pole], sc.shd(_c(0.45, 0.40, 0.36)), region, d)
        arm = np.array([top + (-1.1 * p, 0.9 * p), top + (1.1 * p, 0.9 * p), top + (1.1 * p, 1.15 * p), top + (-1.1 * p, 1.15 * p)])
        cv.fill([arm], sc.shd(_c(0.3, 0.3, 0.3)), region, d)
        tops_out.append((top, p, d))
    wires = []
    for (a, pa, da), (b, pb, db) in zip(tops_out[:-1], tops_out[1:]):
        for off in (-0.9, 0.9):
            s = np.linspace(0, 1, 16)
            ax, ay = a[0] + off * pa, a[1] + pa
            bx, by = b[0] + off * pb, b[1] + pb
            sag = 0.9 * (pa + pb)
            wires.append(np.stack([ax + (bx - ax) * s, ay + (by - ay) * s + sag * 4 * s * (1 - s)], 1))
    cv.lines(wires, _c(0.12, 0.12, 0.14), max(0.9 * sc.u, 0.6), None, None, 0.85)
    sc.note("utility pole", n)


def _road(sc, x_near, x_far_frac, width_m=7.0, d_far=None, curve=0.0, color=None, dash=True, d_near=0.9):
    """A road on the ground from the bottom edge toward the horizon (as a perspective ribbon)."""
    d_far = d_far or GROUND_MAX * 0.5
    ds = np.exp(np.linspace(math.log(d_near), math.log(d_far), 60))
    Xn = sc.X_of(x_near, d_near)
    Xf = sc.X_of(x_far_frac * sc.W, d_far)
    f = (ds - d_near) / (d_far - d_near)
    Xc = Xn + (Xf - Xn) * f + curve * np.sin(f * math.pi) * 30
    ys = sc.h + sc.K / ds
    left = np.stack([sc.W / 2 + (Xc - width_m / 2) * sc.S / ds, ys], 1)
    right = np.stack([sc.W / 2 + (Xc + width_m / 2) * sc.S / ds, ys], 1)
    poly = np.concatenate([left, right[::-1]])
    col = sc.lit(_c(0.38, 0.38, 0.40) if color is None else color)
    sc.cv.fill([poly], col, Region.NONE, None)
    if dash:
        marks = []
        for k in range(0, 59, 2):
            da, db = ds[k], ds[k + 1]
            if db > 20:
                break
            xa, xb = sc.W / 2 + Xc[k] * sc.S / da, sc.W / 2 + Xc[k + 1] * sc.S / db
            wa, wb = 0.15 * sc.S / da, 0.15 * sc.S / db
            marks.append(np.array([[xa - wa, ys[k]], [xa + wa, ys[k]], [xb + wb, ys[k + 1]], [xb - wb, ys[k + 1]]]))
        sc.cv.fill(marks, sc.lit(_c(0.95, 0.85, 0.35)), Region.NONE, None, alpha=0.9)
    sc.note("road")
    return ds, Xc


def _river_poly(sc, d_near, d_far, x_near, x_far, width_m, meander=0.6):
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


def _greenhouses(sc, x, d, n=3):
    p = sc.ppm(d)
    yb = sc.y_of(d)
    cv = sc.cv
    for k in range(n):
        dk = d * (1 + 0.12 * k)
        pk = sc.ppm(dk)
        ybk = sc.y_of(dk)
        xk = x + (k - n / 2) * 7.5 * pk
        w = 6.0 * pk
        L = 16 * pk
        arch = np.concatenate([_circle(xk, ybk, w / 2, 3.0 * pk, 18, math.pi, 2 * math.pi), [[xk + w / 2, ybk]]])
        body = np.concatenate([_circle(xk + L * 0.35, ybk - L * 0.05, w / 2, 3.0 * pk, 18, math.pi, 2 * math.pi),
                               [[xk + L * 0.35 + w / 2, ybk - L * 0.05], [xk + w / 2, ybk]], arch[::-1]])
        cv.fill([body], sc.shd(_c(0.88, 0.90, 0.92)), Region.NONE, dk)
        cv.fill([arch], sc.lit(_c(0.93, 0.95, 0.96)), Region.NONE, dk)
        ribs = [np.array([[xk + L * 0.35 * s + w * 0.0, ybk - L * 0.05 * s - 3.0 * pk], [xk + L * 0.35 * s + w / 2, ybk - L * 0.05 * s]])
                for s in np.linspace(0.15, 0.9, 5)]
        cv.lines(ribs, sc.shd(_c(0.7, 0.72, 0.75)), max(0.12 * pk, 0.6), None, None, 0.7)
    sc.note("greenhouse", n)
    _ = (p, yb)


def _fence(sc, d, x0f, x1f, snow=False):
    p = sc.ppm(d)
    yb = sc.y_of(d)
    cv = sc.cv
    posts = []
    x0, x1 = x0f * sc.W, x1f * sc.W
    n = max(int((x1 - x0) / (2.0 * p)), 2)
    for k in range(n + 1):
        x = x0 + (x1 - x0) * k / n
        posts.append(np.array([[x - 0.1 * p, yb], [x + 0.1 * p, yb], [x + 0.1 * p, yb - 1.3 * p], [x - 0.1 * p, yb - 1.3 * p]]))
    rails = [np.array([[x0, yb - hh * p], [x1, yb - hh * p], [x1, yb - (hh + 0.12) * p], [x0, yb - (hh + 0.12) * p]]) for hh in (0.45, 1.0)]
    col = sc.shd(_c(0.60, 0.46, 0.32))
    cv.fill(posts + rails, col, Region.NONE, d)
    if snow:
        cv.fill([np.array([[x0, yb - 1.12 * p], [x1, yb - 1.12 * p], [x1, yb - 1.3 * p], [x0, yb - 1.3 * p]])],
                sc.lit(_c(0.97, 0.98, 1.0)), Region.NONE, d)
    sc.note("fence")


def _rubble(sc, x, d, size_m, color=None, n=None):
    """A heap of broken concrete, bricks and timber."""
    rng = sc.rng
    p = sc.ppm(d)
    yb = sc.y_of(d)
    n = n or int(rng.integers(14, 26))
    polys = {k: [] for k in range(4)}
    heap = np.concatenate([_circle(x, yb, size_m * p * 0.6, size_m * p * 0.28, 20, math.pi, 2 * math.pi), [[x + size_m * p * 0.6, yb]]])
    sc.cv.fill([heap], sc.shd(_c(0.52, 0.48, 0.44)), Region.NONE, d)
    for _ in range(n):
        ax = x + rng.normal(0, 0.25) * size_m * p
        ay = yb - abs(rng.normal(0, 0.12)) * size_m * p - 0.1 * p
        r = rng.uniform(0.3, 1.1) * p * size_m / 6
        k = int(rng.integers(4, 7))
        ang = np.sort(rng.uniform(0, 2 * math.pi, k))
        rad = r * rng.uniform(0.6, 1.0, k)
        polys[int(rng.integers(4))].append(np.stack([ax + np.cos(ang) * rad * 1.4, ay + np.sin(ang) * rad * 0.8], 1))
    cols = [_c(0.72, 0.70, 0.66), _c(0.58, 0.55, 0.52), _c(0.70, 0.42, 0.32), _c(0.50, 0.38, 0.28)]
    if color is not None:
        cols[0] = color
    for k in range(4):
        sc.cv.fill(polys[k], sc.lit(cols[k]) if k % 2 == 0 else sc.shd(cols[k], 1.1), Region.NONE, d)
    sc.note("rubble heap")


# --------------------------------------------------------------------------------------------
# shared layers
# --------------------------------------------------------------------------------------------


def _rain(sc: _Scene, amount=0.5, angle=0.25, color=None):
    """Subtle painted rain streaks (the motion stage adds animated rain on top)."""
    H, W, rng = sc.H, sc.W, sc.rng
    n = int(W * H / 900 * amount)
    pts = np.zeros((H, W), np.float32)
    pts[rng.integers(0, H, n), rng.integers(0, W, n)] = rng.uniform(0.4, 1.0, n).astype(np.float32)
    L = max(int(26 * sc.u), 5)
    k = np.zeros((2 * L + 1, 2 * L + 1), np.float32)
    dx, dy = math.sin(angle), math.cos(angle)
    cv2.line(k, (int(L - dx * L), int(L - dy * L)), (int(L + dx * L), int(L + dy * L)), 1.0, 1, cv2.LINE_AA)
    k /= k.sum()
    st = cv2.filter2D(pts, -1, k) * (L * 0.9)
    a = np.clip(st, 0, 1) * 0.22
    col = _mix(sc.sky_hor, _c(1, 1, 1), 0.5)
    sc.cv.layer(a.astype(np.float32), col, None, None)


def _water_plane(sc: _Scene, tex, shore_rows, level_m, region=Region.WATER, foam=True, xmask=None):
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
        foam_c = _mix(tex, _c(0.92, 0.90, 0.85) * sc.light, 0.55)
    old_dep = cv.dep.copy()
    cv.layer(a.astype(np.float32), tex, region, wdep)
    if foam:
        cv.layer(band * 0.8, foam_c, None, None)
    sc.water_level_ratio = r
    return old_dep


def _finish(sc: _Scene):
    cv = sc.cv
    d = cv.dep
    f = sc.fog_amount * (1.0 - np.exp(-d / sc.fog_scale))
    f[d >= SKY_DEPTH - 1e-3] = 0
    f *= (1 - np.clip(cv.glow, 0, 1))
    img = cv.img + (sc.haze - cv.img) * f[..., None]
    if cv.glow.max() > 0:
        g = cv2.GaussianBlur(img * cv.glow[..., None], (0, 0), max(6 * sc.u, 1.5))
        img = img + g * 0.9
    H, W = sc.H, sc.W
    yy = (sc.ys[:, None] / H - 0.5) * 2
    xx = (sc.xs[None, :] / W - 0.5) * 2
    vig = 1.0 - 0.12 * np.clip((xx ** 2 + yy ** 2) / 2, 0, 1) ** 1.5
    img = img * vig[..., None].astype(np.float32)
    cv.img = np.clip(img, 0, 1).astype(np.float32)
    np.clip(cv.dep, 0.2, SKY_DEPTH, out=cv.dep)


def _place_town(sc: _Scene, spots, snow=False, tilt_frac=0.0, collapse_frac=0.0, submerge=False, trees=True):
    """Draw houses (and hanok in Korean settings) at ``spots`` [(x, d)], far to near."""
    boxes = []
    for (x, d) in sorted(spots, key=lambda s: -s[1]):
        tilt = 0.0
        if sc.rng.random() < tilt_frac:
            tilt = sc.uni(0.08, 0.2) * (1 if sc.rng.random() < 0.5 else -1)
        boxes.append(_house(sc, x, d, tilt=tilt, snow=snow))
    return boxes


def _trees_at(sc, spots, kind="round", snow=False, region=None, bend=0.0, burnt=False):
    for (x, d) in sorted(spots, key=lambda s: -s[1]):
        k = kind if kind != "mixed" else ("conifer" if sc.rng.random() < 0.4 else "round")
        if kind == "mixed" and "pine" in sc.want and sc.rng.random() < 0.5:
            k = "pine"
        _tree(sc, x, d, kind=k, snow=snow, region=region, bend=bend, burnt=burnt)


def _forest_band(sc: _Scene, ridge, base_row, depth, color, density=1.0, region=Region.NONE, top_only=False,
                 burnt=False, rows=(0.0, 1.0)):
    """Many small tree silhouettes covering a slope between ``ridge`` and ``base_row`` (one batch)."""
    rng = sc.rng
    W = sc.W
    p = sc.ppm(depth)
    n = int(density * W / max(1.6 * p, 2.0) * (1 if top_only else 4))
    xs = rng.uniform(0, W, n)
    xi = np.clip(xs.astype(int), 0, W - 1)
    f = rng.uniform(rows[0], rows[1], n) ** 1.5 if not top_only else rng.uniform(0, 0.05, n)
    ys = ridge[xi] + (base_row - ridge[xi]) * f + 0.6 * p
    order = np.argsort(ys)
    lo, hi = [], []
    for k in order:
        x, y = xs[k], ys[k]
        s = p * rng.uniform(1.6, 2.6)
        if sc.family in ("wildfire", "heavy_snow") or burnt or rng.random() < 0.5:
            tri = np.array([[x - s * 0.45, y], [x + s * 0.45, y], [x, y - s * 1.6]])
            lo.append(tri)
            hi.append(np.array([[x - s * 0.45 if sc.sun_left else x + s * 0.45, y], [x, y], [x, y - s * 1.6]]))
        else:
            lo.append(_circle(x, y - s * 0.5, s * 0.55, s * 0.6, 10))
            hi.append(_circle(x - s * 0.15 * (1 if sc.sun_left else -1), y - s * 0.62, s * 0.32, s * 0.35, 8))
    if burnt:
        sc.cv.fill(lo, _c(0.09, 0.07, 0.06), region, depth)
        return
    sc.cv.fill(lo, sc.shd(color, 0.85), region, depth)
    sc.cv.fill(hi, sc.lit(color, 0.95), region, depth)
    sc.note("forest")


# --------------------------------------------------------------------------------------------
# scene families
# --------------------------------------------------------------------------------------------


def _scene_flood(sc: _Scene):
    heavy = sc.key == "heavy_rain"
    rng = sc.rng
    _paint_sky(sc)
    _paint_mountains(sc, n=3, max_height=0.6)
    _paint_ground(sc, fields=True)
    muddy = sc.lit(_c(0.58, 0.46, 0.32))
    deep = sc.shd(_c(0.40, 0.31, 0.21))
    tex = _water_texture(sc, muddy, deep, foam=0.35, sky_reflect=0.35)
    W = sc.W
    if heavy:
        # a swollen brown river through the fields, a bridge, houses on the banks
        left, right, ds, Xc = _river_poly(sc, 0.85, 40, sc.uni(0.35, 0.6) * W, sc.uni(0.3, 0.7) * W, sc.uni(38, 55), 0.5)
        sc.cv.fill([np.concatenate([left, right[::-1]])], tex, Region.WATER, sc.gdepth)
        bank = [np.concatenate([left, left[::-1] + (-3, 0)]), np.concatenate([right, right[::-1] + (3, 0)])]
        sc.cv.fill(bank, sc.shd(_c(0.45, 0.38, 0.28)), Region.NONE, None)
        sc.note("river")
        # flooded paddies: water patches beside the river
        X, Z = sc.ground_coords()
        pn = _fbm(rng, sc.H, W, 3, 5, 3, res=0.5)
        patches = (_smooth(0.35, 0.5, pn) * (sc.ys[:, None] > sc.h + 2)).astype(np.float32)
        sc.cv.layer(patches * 0.92, _mix(tex, sc.sky_hor, 0.25), Region.WATER, sc.gdepth)
        sc.note("flooded paddies")
        spots = sc.scatter(int(rng.integers(5, 9)), 2.2, 14, 12, avoid=_river_avoid(sc, left, right))
        if "bridge" in sc.want or True:
            _bridge(sc, left, right, ds, float(rng.uniform(3.0, 5.0)))
        objs = [(x, d, "house") for (x, d) in spots]
        objs += [(x, d, "tree") for (x, d) in sc.scatter(int(rng.integers(5, 9)), 1.6, 12, 6, avoid=_river_avoid(sc, left, right))]
        for (x, d, kind) in sorted(objs, key=lambda o: -o[1]):
            if kind == "house":
                _house(sc, x, d)
            else:
                _tree(sc, x, d, kind="round", region=Region.NONE)
        if "pole" in sc.want:
            _pole_line(sc, 1.3, 9, 0.08, 0.25)
        _rain(sc, 0.9, 0.18)
        sc.info["water_level_m"] = 0.0
        return
    # flood: a water plane over the lower frame, the far shore beyond it
    d_shore = sc.uni(12, 18)
    shore = sc.y_of(d_shore) + _fbm1d(rng, W, 4, 3) * sc.K * 0.012
    # dry land beyond the shore: small houses and trees
    far = [(x, d) for (x, d) in sc.scatter(int(rng.integers(4, 8)), d_shore * 1.05, d_shore * 2.0, 10)]
    for (x, d) in sorted(far, key=lambda s: -s[1]):
        if rng.random() < 0.5:
            _house(sc, x, d)
        else:
            _tree(sc, x, d, region=Region.NONE)
    if "apartment" in sc.want or sc.korea:
        for (x, d) in sc.scatter(int(rng.integers(2, 4)), d_shore * 1.4, d_shore * 2.2, 40):
            _apartment(sc, x, d)
    # the flooded village
    items = []
    nh = int(rng.integers(6, 10))
    items += [(x, d, "house") for (x, d) in sc.scatter(nh, 2.0, d_shore * 0.8, 13)]
    nt = int(rng.integers(6, 12))
    items += [(x, d, "tree") for (x, d) in sc.scatter(nt, 1.25, d_shore * 0.9, 4)]
    edge = 0.0 if rng.random() < 0.5 else 1.0
    items += [(edge * W + (0.04 if edge == 0 else -0.04) * W, sc.uni(1.3, 1.6), "house")]
    if "car" in sc.want:
        items += [(x, d, "car") for (x, d) in sc.scatter(int(rng.integers(2, 4)), 1.4, 4.0, 5)]
    if "greenhouse" in sc.want:
        items += [(x, d, "greenhouse") for (x, d) in sc.scatter(1, 3.0, 6.0, 20)]
    if "road" in sc.want:
        _road(sc, sc.uni(0.3, 0.7) * W, sc.uni(0.3, 0.7), d_far=d_shore)
    for (x, d, kind) in sorted(items, key=lambda o: -o[1]):
        if kind == "house":
            _house(sc, x, d)
        elif kind == "tree":
            _tree(sc, x, d, kind="round" if rng.random() < 0.7 else "conifer", region=Region.NONE)
        elif kind == "car":
            _car(sc, x, d)
        else:
            _greenhouses(sc, x, d, 2)
    if "pole" in sc.want:
        _pole_line(sc, 1.5, d_shore * 0.8, sc.uni(0.05, 0.2), sc.uni(0.5, 0.8), lean=0.12)
    level = sc.uni(1.8, 2.3)
    _water_plane(sc, tex, shore, level)
    _floating_debris(sc, d_shore)
    _rain(sc, 0.5, 0.15)
    sc.info["water_level_m"] = round(level, 2)
    sc.info["shore_depth"] = round(d_shore, 2)


def _river_avoid(sc, left, right):
    av = []
    for (a, b) in zip(left[::4], right[::4]):
        av.append(((a[0] + b[0]) / 2, a[1], abs(b[0] - a[0]) / 2 + 4, 6))
    return av


def _bridge(sc, left, right, ds, d):
    """A concrete bridge across the river at depth ``d``, its deck just above the high water."""
    i = int(np.argmin(np.abs(ds - d)))
    d = float(ds[i])
    p = sc.ppm(d)
    yb = sc.y_of(d)
    xa, xb = left[i, 0] - 6 * p, right[i, 0] + 6 * p
    cv = sc.cv
    deck = np.array([[xa, yb - 1.0 * p], [xb, yb - 1.0 * p], [xb, yb - 2.0 * p], [xa, yb - 2.0 * p]])
    piers = []
    for f in (0.33, 0.66):
        px = xa + (xb - xa) * f
        piers.append(np.array([[px - 0.6 * p, yb + 0.2 * p], [px + 0.6 * p, yb + 0.2 * p], [px + 0.6 * p, yb - 1.0 * p], [px - 0.6 * p, yb - 1.0 * p]]))
    cv.fill(piers, sc.shd(_c(0.65, 0.64, 0.62)), Region.NONE, d)
    cv.fill([deck], sc.lit(_c(0.78, 0.77, 0.74)), Region.NONE, d)
    rail = np.array([[xa, yb - 2.0 * p], [xb, yb - 2.0 * p], [xb, yb - 2.9 * p], [xa, yb - 2.9 * p]])
    cv.fill([rail], sc.lit(_c(0.85, 0.85, 0.84)), Region.NONE, d, alpha=0.55)
    cv.lines([np.array([[xa, yb - 2.9 * p], [xb, yb - 2.9 * p]])], sc.shd(_c(0.5, 0.5, 0.5)), max(0.2 * p, 1), Region.NONE, d)
    sc.note("bridge")


def _floating_debris(sc, d_far):
    rng = sc.rng
    polys = []
    for _ in range(int(rng.integers(8, 16))):
        d = math.exp(rng.uniform(math.log(1.3), math.log(d_far * 0.7)))
        x = rng.uniform(0, sc.W)
        y = sc.h + sc.water_level_ratio * sc.K / d
        p = sc.ppm(d)
        L = rng.uniform(0.8, 2.5) * p
        a = rng.uniform(-0.15, 0.15)
        xi, yi = int(np.clip(x, 0, sc.W - 1)), int(np.clip(y, 0, sc.H - 1))
        if sc.cv.reg[yi, xi] != sc.cv.label(Region.WATER) or sc.cv.dep[max(yi - 2, 0), xi] < d:
            continue  # hidden behind something nearer
        polys.append(_rot(np.array([[x - L, y], [x + L, y], [x + L, y - 0.22 * p], [x - L, y - 0.22 * p]]), x, y, a))
    sc.cv.fill(polys, sc.shd(_c(0.42, 0.32, 0.22)), Region.WATER, None)
    sc.note("floating debris", len(polys))


def _scene_landslide(sc: _Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    _paint_sky(sc)
    _paint_mountains(sc, n=2, max_height=0.5, near_hill=False)
    _paint_ground(sc, fields=True)
    # the mountain that fails: a big forested slope in the middle distance
    Dm = sc.uni(6.5, 8.5)
    base = sc.y_of(Dm)
    peak_row = sc.h * sc.uni(0.08, 0.25)
    x_top = sc.uni(0.35, 0.65) * W
    hump = np.exp(-((sc.xs - x_top - sc.uni(-0.1, 0.1) * W) / (sc.uni(0.35, 0.5) * W)) ** 2)
    ridge = base - (base - peak_row) * (0.35 + 0.65 * hump) * (1 + 0.08 * _fbm1d(rng, W, 6, 4))
    green = _mix(sc.pal["trees"][0], _c(0.2, 0.38, 0.2), 0.4)
    _paint_range(sc, ridge, green, depth=Dm, base_row=base, trees=True)
    _forest_band(sc, ridge, base, Dm, green, density=1.3)
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
    lobe = _circle(x_toe, y_toe, half[-1] * 1.02, (y_toe - sc.y_of(d_toe * 1.3)) * 0.8 + 4, 24, 0, math.pi)
    flow = np.concatenate([left, lobe[::-1] if lobe[0, 0] < lobe[-1, 0] else lobe, right[::-1]])
    # raw earth scar around the upper flow (static)
    scar_half = half * 1.25 + 0.012 * W * (1 - t)
    cut = int(len(t) * 0.75)
    scar = np.concatenate([[[cx[0], cy[0] - 0.02 * H]], np.stack([cx - scar_half, cy - 0.01 * H], 1)[:cut],
                           np.stack([cx + scar_half, cy - 0.015 * H], 1)[:cut][::-1]])
    sc.cv.fill([scar], sc.lit(_c(0.66, 0.50, 0.34)), Region.NONE, Dm)
    # houses behind the toe (drawn first), then the flow, then the houses in front of it
    spots = sc.scatter(int(rng.integers(6, 10)), 1.8, Dm * 0.9, 13)
    behind = [s for s in spots if s[1] > d_toe * 1.02]
    front = [s for s in spots if s[1] <= d_toe * 1.02]
    if "road" in sc.want:
        _road(sc, sc.uni(0.1, 0.3) * W if x_toe > W / 2 else sc.uni(0.7, 0.9) * W, sc.uni(0.4, 0.6), d_far=Dm)
    for (x, d) in sorted(behind, key=lambda s: -s[1]):
        if abs(x - x_toe) < half[-1] * 1.1 and d < Dm * 0.7:
            continue
        if rng.random() < 0.6:
            _house(sc, x, d)
        else:
            _tree(sc, x, d, region=Region.NONE)
    fdepth = np.where(sc.ys[:, None] < base, np.float32(Dm), sc.gdepth).astype(np.float32)
    fdepth = np.broadcast_to(fdepth, (H, W))
    mud = _mud_texture(sc, cx, cy)
    sc.cv.fill([flow], mud, Region.DEBRIS, fdepth)
    _flow_rocks(sc, cx, cy, half, base, Dm)
    # a house struck at the toe: tilted, half buried in mud
    xh = x_toe + half[-1] * sc.uni(0.25, 0.55) * (1 if rng.random() < 0.5 else -1)
    dh = d_toe * 0.95
    box = _house(sc, xh, dh, tilt=sc.uni(0.12, 0.25) * (1 if xh > x_toe else -1))
    p = sc.ppm(dh)
    yb = sc.y_of(dh)
    pile = np.concatenate([_circle((box[0] + box[2]) / 2, yb, (box[2] - box[0]) * 0.75, 2.2 * p, 20, math.pi, 2 * math.pi),
                           [[(box[0] + box[2]) / 2 + (box[2] - box[0]) * 0.75, yb + 0.6 * p],
                            [(box[0] + box[2]) / 2 - (box[2] - box[0]) * 0.75, yb + 0.6 * p]]])
    sc.cv.fill([pile], mud, Region.DEBRIS, dh * 0.97)
    sc.note("buried house")
    # a muddy stream across the foreground
    if "river" in sc.want:
        d0 = sc.uni(1.1, 1.4)
        ys0 = sc.y_of(d0)
        wv = _fbm1d(rng, W, 3, 3) * 0.25 * sc.ppm(d0)
        top = np.stack([sc.xs, ys0 - 1.0 * sc.ppm(d0) + wv], 1)
        bot = np.stack([sc.xs, ys0 + 1.6 * sc.ppm(d0) + wv * 1.3], 1)
        tex = _water_texture(sc, sc.lit(_c(0.60, 0.47, 0.32)), sc.shd(_c(0.42, 0.32, 0.22)), foam=0.4, sky_reflect=0.2)
        bank = np.stack([sc.xs, ys0 - 1.5 * sc.ppm(d0) + wv], 1)
        sc.cv.fill([np.concatenate([bank, top[::-1]])], sc.shd(_c(0.48, 0.38, 0.26)), Region.NONE, None)
        sc.cv.fill([np.concatenate([top, bot[::-1]])], tex, Region.WATER, sc.gdepth)
        sc.note("muddy stream")
    for (x, d) in sorted(front, key=lambda s: -s[1]):
        if abs(x - x_toe) < half[-1] * 1.3:
            continue
        if rng.random() < 0.5:
            _house(sc, x, d)
        else:
            _tree(sc, x, d, region=Region.NONE)
    if "pole" in sc.want:
        _pole_line(sc, 1.3, 5, sc.uni(0.02, 0.12), sc.uni(0.15, 0.3), lean=0.25, n=4)
    _rain(sc, 0.6, 0.15)
    sc.info["flow"] = {"top": [round(float(x_top)), round(float(y_top))], "toe": [round(float(x_toe)), round(float(y_toe))]}


def _mud_texture(sc, cx, cy):
    """Mud with streaks along the flow (down the slope) and lumpy light/dark patches."""
    H, W, rng = sc.H, sc.W, sc.rng
    streak = _fbm(rng, H, W, 2, 40, 3, 0.55, res=0.5)
    blob = _fbm(rng, H, W, 10, 16, 3, 0.5, res=0.5)
    # shift each row so the streaks follow the curved centreline
    shift = np.interp(sc.ys, cy, cx - cx[0], left=0, right=float(cx[-1] - cx[0])).astype(np.float32)
    mx = (sc.xs[None, :] - shift[:, None]) % W
    my = np.broadcast_to(sc.ys[:, None], (H, W)).astype(np.float32)
    streak = cv2.remap(streak, mx.astype(np.float32), my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    v = 0.5 + 0.28 * streak + 0.18 * blob
    col = _ramp(np.clip(v, 0, 1), [(0.0, sc.shd(_c(0.30, 0.22, 0.15))), (0.45, sc.lit(_c(0.50, 0.38, 0.26))),
                                    (0.75, sc.lit(_c(0.64, 0.50, 0.34))), (1.0, sc.lit(_c(0.80, 0.68, 0.50)))])
    return col


def _flow_rocks(sc, cx, cy, half, base, Dm):
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
            polys[2].append(_rot(np.array([[x - L, y], [x + L, y], [x + L, y - 0.4 * p], [x - L, y - 0.4 * p]]), x, y, a))
        else:
            polys[kind].append(np.stack([x + np.cos(ang) * r * 1.2, y + np.sin(ang) * r * 0.8], 1))
    sc.cv.fill(polys[0], sc.lit(_c(0.62, 0.60, 0.56)), Region.DEBRIS, None)
    sc.cv.fill(polys[1], sc.shd(_c(0.50, 0.47, 0.44)), Region.DEBRIS, None)
    sc.cv.fill(polys[2], sc.shd(_c(0.48, 0.34, 0.22)), Region.DEBRIS, None)
    sc.note("boulders and logs", sum(len(q) for q in polys))


def _cracked_earth(sc: _Scene, color, crack=_c(0.30, 0.21, 0.15), cell_m=2.2):
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
    crack_a = _smooth(1.4 * np.maximum(sc.u, 0.5), 0.2, e_px) * _smooth(8, 30, px_per_cell)
    rim = _smooth(5.0 * np.maximum(sc.u, 0.5), 1.0, e_px) * _smooth(12, 40, px_per_cell)
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


def _scene_drought(sc: _Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    key = sc.key
    dust = key == "yellow_dust"
    heat = key == "heat_wave"
    sun_scale = 1.9 if heat else 1.5
    _paint_sky(sc, sun_scale=sun_scale if not dust else 1.2, sun_glow=2.4 if heat else 1.6)
    brown = _c(0.66, 0.52, 0.36) if not dust else _c(0.62, 0.55, 0.42)
    _paint_mountains(sc, n=2, color=brown * 0.9, max_height=0.4, near_hill=False)
    ground = _c(0.80, 0.64, 0.42)
    if dust or key == "dry_weather":
        _paint_ground(sc, color=_mix(sc.pal["grass"], _c(0.72, 0.62, 0.40), 0.7), fields=True)
    else:
        _paint_ground(sc, color=ground)
        _cracked_earth(sc, ground)
    town = dust or heat or ("apartment" in sc.want) or ("house" in sc.want and "paddy" not in sc.want and False)
    if not dust and not heat or "paddy" in sc.want:
        # the shrunken reservoir: a small pond ringed by exposed lake bed
        _reservoir(sc)
    if town:
        apts = sc.scatter(int(rng.integers(3, 6)), 9, 22, 40)
        for (x, d) in sorted(apts, key=lambda s: -s[1]):
            _apartment(sc, x, d)
        houses = sc.scatter(int(rng.integers(4, 7)), 2.5, 8, 13)
        _place_town(sc, houses)
    else:
        hs = sc.scatter(int(rng.integers(1, 3)), 6, 14, 12)
        _place_town(sc, hs)
    # dead and dying trees
    spots = sc.scatter(int(rng.integers(3, 6)), 1.5, 10, 6)
    for (x, d) in sorted(spots, key=lambda s: -s[1]):
        if rng.random() < 0.75 and not dust:
            _bare_tree(sc, x, sc.y_of(d), sc.uni(6, 9) * sc.ppm(d), d)
        else:
            _tree(sc, x, d, color=_c(0.62, 0.55, 0.30), region=Region.NONE)
    if "pole" in sc.want:
        _pole_line(sc, 1.4, 12, sc.uni(0.75, 0.95), sc.uni(0.55, 0.7), n=5)
    if dust:
        _dust_clouds(sc, [(sc.uni(0, 1) * W, sc.y_of(sc.uni(2, 10)), sc.uni(0.25, 0.45) * W) for _ in range(4)],
                     _c(0.86, 0.72, 0.46), Region.DUST, strength=0.75)
        sc.fog_amount, sc.fog_scale = 0.92, 14.0
        sc.haze = _c(0.86, 0.74, 0.50) * sc.tod["dim"]
    else:
        # heat shimmer band just above and below the horizon
        band_top = sc.h - 0.05 * H
        band_bot = sc.y_of(5.0)
        a = np.zeros((H, W), np.float32)
        a[int(band_top):int(band_bot)] = 1.0
        edge = _smooth(0, 1, (sc.ys - band_top) / (0.03 * H)) * _smooth(0, 1, (band_bot - sc.ys) / (0.05 * H))
        a *= edge[:, None].astype(np.float32)
        lab = sc.cv.label(Region.SHIMMER)
        sc.cv.reg[a > 0.3] = lab if lab else sc.cv.reg[a > 0.3]
        hz = _mix(sc.sky_hor, _c(1, 0.95, 0.85), 0.4)
        sc.cv.layer(a * 0.25, hz, None, None)
        sc.info["shimmer_rows"] = [int(band_top), int(band_bot)]
        if key == "dry_weather":
            _dust_clouds(sc, [(sc.uni(0, 1) * W, sc.y_of(sc.uni(1.5, 4)), sc.uni(0.15, 0.3) * W) for _ in range(2)],
                         _c(0.80, 0.70, 0.52), Region.DUST, strength=0.5)
        sc.fog_amount, sc.fog_scale = 0.7, 50.0


def _reservoir(sc):
    """A shrunken reservoir: a small pond in the middle of a wide, pale, ringed lake bed."""
    rng = sc.rng
    d = sc.uni(4.5, 7.0)
    x = sc.uni(0.3, 0.7) * sc.W
    X0 = sc.X_of(x, d)
    Z0 = d
    rings = [(1.0, _c(0.84, 0.74, 0.58)), (0.8, _c(0.76, 0.66, 0.50)), (0.62, _c(0.70, 0.60, 0.46)), (0.45, None)]
    ph = rng.uniform(0, 6.28, 3)
    for (s, col) in rings:
        t = np.linspace(0, 2 * math.pi, 64)
        rX = 55 * s * (1 + 0.15 * np.sin(3 * t + ph[0]) + 0.08 * np.sin(5 * t + ph[1]))
        rZ = d * 0.45 * s * (1 + 0.12 * np.sin(2 * t + ph[2]))
        Xs = X0 + rX * np.cos(t)
        Zs = np.maximum(Z0 + rZ * np.sin(t), 0.9)
        pts = np.stack([sc.W / 2 + Xs * sc.S / Zs, sc.h + sc.K / Zs], 1)
        if col is None:
            tex = _water_texture(sc, sc.lit(_c(0.45, 0.52, 0.40)), sc.shd(_c(0.30, 0.36, 0.28)), foam=0.2, sky_reflect=0.4)
            sc.cv.fill([pts], tex, Region.WATER, None)
        else:
            sc.cv.fill([pts], sc.lit(col), Region.NONE, None)
    sc.note("shrunken reservoir")


def _dust_clouds(sc, sources, color, region, strength=0.7):
    """Billowy low dust clouds [(x, base_row, width)] drifting over the ground."""
    H, W, rng = sc.H, sc.W, sc.rng
    res = 0.35
    h, w = max(int(H * res), 8), max(int(W * res), 8)
    n = _fbm(rng, h, w, 4, 8, 5, 0.55)
    ys = np.arange(h, dtype=np.float32)[:, None] / res
    xs = np.arange(w, dtype=np.float32)[None, :] / res
    dens = np.zeros((h, w), np.float32)
    for (x0, y0, wd) in sources:
        ht = wd * 0.45
        dx = (xs - x0) / (wd * 0.5)
        dy = (y0 - ys) / ht
        blob = np.exp(-dx ** 2) * _smooth(-0.1, 0.25, dy) * _smooth(1.1, 0.3, dy + 0.25 * n)
        dens = np.maximum(dens, blob)
    dens = np.clip(dens * (0.85 + 0.55 * n), 0, 1)
    emb = np.clip((n - _shift_down(n, 2)) * 2.0 + 0.5, 0, 1)
    dens = cv2.resize(dens, (W, H), interpolation=cv2.INTER_LINEAR)
    emb = cv2.resize(emb, (W, H), interpolation=cv2.INTER_LINEAR)
    col = _mix(sc.shd(color, 0.9), sc.lit(color, 1.1), 1.0)
    col = (sc.shd(color, 0.85)[None, None] + (sc.lit(color, 1.12) - sc.shd(color, 0.85))[None, None] * emb[..., None]).astype(np.float32)
    a = (_smooth(0.15, 0.45, dens) * strength).astype(np.float32)
    depth = np.full((H, W), 1.0, np.float32)
    # dust takes the depth of the ground it rises from (per column, the nearest source's base)
    for (x0, y0, wd) in sources:
        depth = np.where(np.abs(sc.xs[None, :] - x0) < wd * 0.7, np.float32(sc.d_of(y0)), depth)
    depth = np.where(depth == 1.0, np.float32(sc.d_of(sources[0][1])), depth) if sources else depth
    sc.cv.layer(a, col, region, depth, thresh=0.35)
    sc.note("dust cloud", len(sources))


def _scene_wildfire(sc: _Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    _paint_sky(sc, cover=0.3)
    _paint_mountains(sc, n=2, max_height=0.35, near_hill=False)
    _paint_ground(sc, fields="paddy" in sc.want, color=_mix(sc.pal["grass"], _c(0.6, 0.55, 0.3), 0.3))
    # the burning ridge
    Dr = sc.uni(7.0, 10.0)
    base = sc.y_of(Dr)
    top = sc.h * sc.uni(0.35, 0.55)
    ridge = _ridge(sc, base, base - top, sc.uni(1.5, 2.6), sharp=0.2)
    forest = _c(0.16, 0.32, 0.18) if sc.season != "autumn" else _c(0.45, 0.32, 0.15)
    _paint_range(sc, ridge, forest, depth=Dr, base_row=base, trees=True)
    _forest_band(sc, ridge, base, Dr, _mix(forest, _c(0.1, 0.25, 0.15), 0.4), density=1.2)
    # the fire front runs along the upper slope over part of the ridge
    span0, span1 = sc.uni(-0.1, 0.15) * W, sc.uni(0.8, 1.1) * W
    f = 0.18 + 0.22 * (0.5 + 0.5 * _fbm1d(rng, W, 3, 3))
    yf = ridge + (base - ridge) * f
    active = _smooth(span0, span0 + 0.08 * W, sc.xs) * _smooth(span1, span1 - 0.08 * W, sc.xs)
    # burnt slope above the front: charred
    burnt = np.concatenate([np.stack([sc.xs, ridge - 1], 1), np.stack([sc.xs, yf], 1)[::-1]])
    ch = np.zeros((H, W), np.float32)
    m, box = sc.cv.mask([burnt])
    if m is not None:
        ch[box[0]:box[1], box[2]:box[3]] = m
    ch *= active[None, :]
    glow_n = _fbm(rng, H, W, 10, 30, 3, res=0.5)
    char = _c(0.12, 0.08, 0.07)[None, None] + (_c(0.85, 0.25, 0.05) - _c(0.12, 0.08, 0.07))[None, None] * \
        np.clip(glow_n * 0.8 - 0.2, 0, 1)[..., None]
    sc.cv.layer(ch * 0.92, char.astype(np.float32), Region.NONE, None)
    _forest_band(sc, ridge, base, Dr, forest, density=0.6, burnt=True, rows=(0.0, 0.25))
    # smoke plumes rising from the front, drifting with the wind
    wind = sc.uni(0.12, 0.35) * (1 if rng.random() < 0.6 else -1)
    srcs = []
    ns = int(rng.integers(3, 6))
    for k in range(ns):
        x = span0 + (span1 - span0) * (k + rng.uniform(0.2, 0.8)) / ns
        xi = int(np.clip(x, 0, W - 1))
        srcs.append((x, yf[xi] - 0.06 * H, sc.uni(0.07, 0.12) * W))
    alpha, emb = _smoke_field(sc, srcs, wind=wind)
    dark = _c(0.26, 0.23, 0.22) * sc.tod["dim"]
    light = _mix(_c(0.80, 0.77, 0.73), sc.sky_hor, 0.2) * sc.tod["dim"]
    smoke = dark[None, None] + (light - dark)[None, None] * emb[..., None]
    fire_glow = np.exp(-np.clip(yf[None, :] - sc.ys[:, None], 0, None) / (0.16 * H)).astype(np.float32)
    smoke = smoke + (_c(1.0, 0.50, 0.16) - smoke) * (fire_glow * 0.7)[..., None]
    a = (alpha * 0.96).astype(np.float32)
    sc.cv.layer(a, smoke.astype(np.float32), Region.SMOKE, np.float32(Dr * 1.15), thresh=0.4)
    sc.note("smoke plume", ns)
    # flames: tongues with a hot core, taller where the fire is fiercest
    fh = (0.08 + 0.16 * (0.5 + 0.5 * _fbm1d(rng, W, 5, 3))) * H * active
    tongues = _fbm(rng, H, W, 3, 55, 4, 0.55, res=0.5)
    tt = (yf[None, :] - sc.ys[:, None]) / np.maximum(fh[None, :], 1)
    inten = (1.05 - tt) * np.clip(0.72 + 0.42 * tongues, 0.05, None) - 0.1 * np.abs(tongues)
    inten = np.where(tt < 0, 0.75 + tt * 5, inten)
    inten = np.where(tt > 1.8, 0.0, inten) * active[None, :]
    alpha = _smooth(0.18, 0.32, inten).astype(np.float32)
    alpha *= (tt > -0.1)
    col = _fire_colour(np.clip(inten * 0.95, 0, 1))
    sc.cv.layer(alpha, col, Region.FIRE, np.float32(Dr), glow=0.9)
    sc.note("flame front")
    # burning tree silhouettes against the flames, then a few large flame tongues
    _flame_tongues(sc, yf, fh, active, Dr, count=int(rng.integers(6, 11)))
    # foreground: fire-lit, unburnt
    sc.light = _mix(sc.light, _c(1.0, 0.66, 0.42), 0.35)
    if "road" in sc.want:
        _road(sc, sc.uni(0.3, 0.7) * W, sc.uni(0.3, 0.7), d_far=Dr)
    spots = sc.scatter(int(rng.integers(3, 6)), 1.8, Dr * 0.75, 13)
    trees = sc.scatter(int(rng.integers(4, 8)), 1.3, Dr * 0.8, 5, avoid=[(x, sc.y_of(d), 6 * sc.ppm(d), 3) for x, d in spots])
    objs = [(x, d, 0) for x, d in spots] + [(x, d, 1) for x, d in trees]
    for (x, d, k) in sorted(objs, key=lambda o: -o[1]):
        if k == 0:
            _house(sc, x, d)
        else:
            _tree(sc, x, d, kind="pine" if rng.random() < 0.6 else "conifer", region=Region.NONE)
    if "pole" in sc.want:
        _pole_line(sc, 1.4, Dr * 0.8, sc.uni(0.05, 0.2), sc.uni(0.4, 0.8))
    # an orange cast over the whole scene from the fire
    sc.haze = _mix(sc.haze, _c(0.85, 0.55, 0.35) * sc.tod["dim"], 0.5)
    sc.fog_amount = 0.75
    sc.info["fire_depth"] = round(Dr, 2)


def _flame_tongue(x, yb, b, hgt, lean, n=18):
    t = np.linspace(0, 1, n)
    w = b * 0.5 * np.sin(np.pi * np.clip(t * 0.9 + 0.1, 0, 1)) ** 0.8 * (1 - t) ** 0.6
    cxs = x + lean * hgt * t ** 2 + 0.08 * b * np.sin(t * 7)
    ys = yb - hgt * t
    return np.concatenate([np.stack([cxs - w, ys], 1), np.stack([cxs + w, ys], 1)[::-1]])


def _flame_tongues(sc, yf, fh, active, Dr, count=8):
    rng = sc.rng
    W = sc.W
    trees, outer, mid, core = [], [], [], []
    p = sc.ppm(Dr)
    for _ in range(count):
        x = rng.uniform(0, W)
        xi = int(np.clip(x, 0, W - 1))
        if active[xi] < 0.5:
            continue
        yb = yf[xi]
        s = p * rng.uniform(2.5, 4.5)
        trees.append(np.array([[x - s * 0.3, yb], [x + s * 0.3, yb], [x, yb - s * 2.8]]))
        hgt = fh[xi] * rng.uniform(1.0, 1.5)
        b = hgt * rng.uniform(0.35, 0.5)
        lean = rng.uniform(-0.2, 0.3)
        outer.append(_flame_tongue(x, yb + 0.1 * hgt, b, hgt, lean))
        mid.append(_flame_tongue(x, yb + 0.1 * hgt, b * 0.7, hgt * 0.7, lean))
        core.append(_flame_tongue(x, yb + 0.1 * hgt, b * 0.4, hgt * 0.4, lean))
    sc.cv.fill(trees, _c(0.08, 0.05, 0.04), Region.NONE, Dr * 0.99, alpha=0.9)
    sc.cv.fill(outer, _c(0.95, 0.35, 0.06), Region.FIRE, Dr * 0.99, glow=0.9)
    sc.cv.fill(mid, _c(1.0, 0.62, 0.12), Region.FIRE, Dr * 0.99, glow=0.95)
    sc.cv.fill(core, _c(1.0, 0.90, 0.55), Region.FIRE, Dr * 0.99, glow=1.0)
    sc.note("burning tree", len(trees))


def _scene_heavy_snow(sc: _Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    cold = sc.key == "cold_wave"
    _paint_sky(sc)
    _paint_mountains(sc, n=3, max_height=0.55, snow=1.0 if not cold else 0.6)
    _paint_ground(sc, snow=True)
    if "river" in sc.want or cold:
        left, right, ds, Xc = _river_poly(sc, 0.9, 40, sc.uni(0.1, 0.3) * W, sc.uni(0.5, 0.8) * W, sc.uni(14, 22), 0.4)
        ice = _c(0.70, 0.84, 0.92) if cold else _c(0.55, 0.66, 0.74)
        sc.cv.fill([np.concatenate([left, right[::-1]])], sc.lit(ice), Region.NONE, None)
        sc.note("frozen river" if cold else "icy stream")
    if "road" in sc.want:
        _road(sc, sc.uni(0.45, 0.75) * W, sc.uni(0.4, 0.6), color=_c(0.62, 0.64, 0.68), dash=False)
    spots = sc.scatter(int(rng.integers(5, 9)), 2.0, 14, 13)
    trees = sc.scatter(int(rng.integers(7, 12)), 1.5, 16, 4, avoid=[(x, sc.y_of(d), 7 * sc.ppm(d), 3) for x, d in spots])
    objs = [(x, d, 0) for x, d in spots] + [(x, d, 1) for x, d in trees]
    if "car" in sc.want:
        objs += [(x, d, 2) for x, d in sc.scatter(2, 1.4, 3.5, 5)]
    if "apartment" in sc.want:
        objs += [(x, d, 3) for x, d in sc.scatter(2, 14, 22, 40)]
    for (x, d, k) in sorted(objs, key=lambda o: -o[1]):
        if k == 0:
            _house(sc, x, d, snow=True)
        elif k == 1:
            _tree(sc, x, d, kind="conifer" if rng.random() < 0.65 else "round", snow=True, region=Region.NONE)
        elif k == 2:
            _car(sc, x, d, snow=True)
        else:
            _apartment(sc, x, d, snow=True)
    if "fence" in sc.want:
        d = sc.uni(1.6, 2.2)
        a0 = sc.uni(0.0, 0.3)
        _fence(sc, d, a0, a0 + sc.uni(0.3, 0.5), snow=True)
    if "pole" in sc.want:
        _pole_line(sc, 1.4, 10, sc.uni(0.05, 0.15), sc.uni(0.3, 0.5))
    # snowdrifts in the foreground
    drifts = []
    for _ in range(int(rng.integers(3, 6))):
        d = sc.uni(1.05, 1.8)
        x = sc.uni(-0.1, 1.1) * W
        p = sc.ppm(d)
        yb = sc.y_of(d)
        drifts.append((x, yb, sc.uni(8, 16) * p, sc.uni(1.2, 2.2) * p, d))
    for (x, yb, wd, ht, d) in sorted(drifts, key=lambda s: s[1]):
        mound = np.concatenate([_circle(x, yb, wd / 2, ht, 28, math.pi, 2 * math.pi), [[x + wd / 2, yb + ht * 0.15], [x - wd / 2, yb + ht * 0.15]]])
        sc.cv.fill([mound], _mix(sc.lit(_c(0.97, 0.98, 1.0)), sc.shd(_c(0.9, 0.94, 1.0)), 0.45), Region.NONE, d)
        lit = np.concatenate([_circle(x - wd * 0.06 * (1 if sc.sun_left else -1), yb - ht * 0.02, wd * 0.46, ht * 0.95, 24, math.pi, 2 * math.pi),
                              [[x + wd * 0.4, yb - ht * 0.02]]])
        sc.cv.fill([lit], sc.lit(_c(0.98, 0.99, 1.0)), Region.NONE, d)
    sc.note("snowdrift", len(drifts))
    if not cold:
        # a soft veil of falling snow in the air (the motion stage animates snowfall on top)
        fl = np.zeros((H, W), np.float32)
        n = int(W * H / 700)
        fl[rng.integers(0, H, n), rng.integers(0, W, n)] = 1.0
        fl = cv2.GaussianBlur(fl, (0, 0), max(1.1 * sc.u, 0.6)) * 4
        sc.cv.layer(np.clip(fl, 0, 0.6).astype(np.float32), _c(0.97, 0.98, 1.0), None, None)
        sc.fog_amount, sc.fog_scale = 0.88, 30.0
        sc.haze = _mix(sc.sky_hor, _c(0.9, 0.92, 0.95) * sc.tod["dim"], 0.5)
    else:
        sc.fog_amount, sc.fog_scale = 0.7, 60.0


def _scene_typhoon(sc: _Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    sea = sc.key != "strong_wind"
    _paint_sky(sc, spiral=True, cover=0.95 if sea else 0.8)
    bend = sc.uni(0.6, 0.9)
    if sea:
        _paint_mountains(sc, n=1, max_height=0.25, near_hill=False)
        _paint_ground(sc, color=_mix(sc.pal["grass"], _c(0.5, 0.55, 0.4), 0.3))
        # rough sea over the far ground, the shore with breaking surf
        d_shore = sc.uni(2.6, 3.4)
        shore = sc.y_of(d_shore) + _fbm1d(rng, W, 3, 3) * sc.K * 0.02
        tex = _water_texture(sc, sc.lit(_c(0.30, 0.42, 0.45)), sc.shd(_c(0.12, 0.20, 0.24)), streak=1.4, foam=0.9, sky_reflect=0.35)
        X, Z = sc.ground_coords()
        caps = _fbm(rng, H, W, 22, 5, 3, 0.6, res=0.5)
        white = _smooth(0.75, 1.3, caps) * np.exp(-sc.gdepth / 40)
        tex = tex + (_c(0.9, 0.93, 0.95) * sc.light - tex) * white[..., None]
        a = (np.clip(shore[None, :] - sc.ys[:, None] + 0.5, 0, 1) * (sc.ys[:, None] > sc.h)).astype(np.float32)
        sc.cv.layer(a, tex.astype(np.float32), Region.WATER, sc.gdepth)
        # surf: a band of foam along the shore
        surf = np.exp(-((sc.ys[:, None] - shore[None, :] + 0.02 * sc.K) / (0.018 * sc.K)) ** 2) * (0.6 + 0.4 * caps)
        sc.cv.layer(np.clip(surf, 0, 1).astype(np.float32) * 0.9, _c(0.9, 0.93, 0.95) * sc.light, Region.WATER, None, thresh=0.5)
        sc.note("rough sea")
        near0 = 1.25
        dmax = d_shore * 0.9
    else:
        _paint_mountains(sc, n=2, max_height=0.4)
        _paint_ground(sc, fields=True)
        dmax = 16
        near0 = 1.4
    spots = sc.scatter(int(rng.integers(3, 6)), 2.2, dmax, 13)
    trees = sc.scatter(int(rng.integers(6, 11)), near0, dmax, 5, avoid=[(x, sc.y_of(d), 6 * sc.ppm(d), 3) for x, d in spots])
    objs = [(x, d, 0) for x, d in spots] + [(x, d, 1) for x, d in trees]
    kind = "palm" if sea and ("korea" not in sc.words or "palm" in sc.md.text()) and rng.random() < 0.5 else "round"
    for (x, d, k) in sorted(objs, key=lambda o: -o[1]):
        if k == 0:
            _house(sc, x, d)
        else:
            kk = kind if rng.random() < 0.7 else ("pine" if "pine" in sc.want or sea else "round")
            _tree(sc, x, d, kind=kk, bend=bend, region=Region.FOLIAGE)
    if "pole" in sc.want:
        _pole_line(sc, 1.3, dmax, sc.uni(0.05, 0.3), sc.uni(0.6, 0.9), lean=0.2)
    # wind-blown leaves and debris, then slanted rain
    _rain(sc, 1.1, 0.55)
    sc.fog_amount, sc.fog_scale = 0.85, 30.0
    sc.haze = _mix(sc.sky_hor, _c(0.6, 0.64, 0.66) * sc.tod["dim"], 0.4)
    sc.info["wind_bend"] = round(bend, 2)


def _ground_crack(sc: _Scene, d0):
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
    cv.fill([np.concatenate([lip, top[::-1]])], sc.lit(_c(0.55, 0.50, 0.44)), Region.NONE, None)
    cv.fill([np.concatenate([top, bot[::-1]])], _c(0.07, 0.05, 0.04), Region.NONE, float(d0 * 1.4))
    cv.fill([np.concatenate([top, wall[::-1]])], sc.shd(_c(0.50, 0.36, 0.24)), Region.NONE, float(d0 * 1.2))
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
    cv.lines(br, _c(0.1, 0.08, 0.07), max(1.5 * sc.u, 1), Region.NONE, None, 0.9)
    sc.note("ground crack")


def _collapsed_house(sc, x, d):
    """A collapsed house: broken wall stubs under a roof that has slid down onto a rubble heap."""
    rng = sc.rng
    p = sc.ppm(d)
    yb = sc.y_of(d)
    w = sc.uni(9, 13) * p
    wall = sc.pick(_WALLS)
    roof = sc.pick(_ROOFS)
    stub = []
    xs = np.linspace(x - w / 2, x + w / 2, 9)
    tops = yb - rng.uniform(0.5, 2.6, 9) * p
    stub = np.concatenate([[[x - w / 2, yb]], np.stack([xs, tops], 1), [[x + w / 2, yb]]])
    sc.cv.fill([stub], sc.shd(wall), Region.NONE, d)
    _rubble(sc, x, d, 10)
    ang = sc.uni(0.25, 0.45) * (1 if rng.random() < 0.5 else -1)
    rp = np.array([[x - w * 0.55, yb - 1.0 * p], [x + w * 0.45, yb - 1.0 * p], [x + w * 0.35, yb - 3.4 * p], [x - w * 0.4, yb - 3.6 * p]])
    rp = _rot(rp, x, yb - 1.5 * p, ang)
    sc.cv.fill([rp], sc.lit(roof, 0.9), Region.NONE, d * 0.99)
    sc.cv.lines([rp[[0, 1]]], sc.shd(roof, 0.6), max(0.3 * p, 1), Region.NONE, None)
    sc.note("collapsed house")


def _scene_earthquake(sc: _Scene):
    rng = sc.rng
    W = sc.W
    _paint_sky(sc)
    _paint_mountains(sc, n=2, max_height=0.4, near_hill=False)
    _paint_ground(sc, color=_mix(sc.pal["grass"], _c(0.62, 0.60, 0.55), 0.6), texture=0.06)
    d_crack = sc.uni(1.45, 1.9)
    road = _road(sc, sc.uni(0.35, 0.65) * W, sc.uni(0.4, 0.6), width_m=9, d_far=30)
    sc.info["road"] = True
    # apartment blocks behind: one leaning, one broken
    apts = sc.scatter(int(rng.integers(3, 5)), 9, 20, 42)
    broken_i = int(rng.integers(len(apts))) if apts else -1
    for i, (x, d) in enumerate(sorted(apts, key=lambda s: -s[1])):
        tilt = sc.uni(0.06, 0.12) * (1 if rng.random() < 0.5 else -1) if i % 2 == 0 else 0.0
        _apartment(sc, x, d, tilt=tilt, broken=(i == broken_i))
    spots = sc.scatter(int(rng.integers(5, 8)), 2.4, 8, 14, avoid=_road_avoid(sc, road))
    dust_src = []
    n_coll = 0
    for (x, d) in sorted(spots, key=lambda s: -s[1]):
        if rng.random() < 0.5 or n_coll == 0:
            _collapsed_house(sc, x, d)
            n_coll += 1
            dust_src.append((x, sc.y_of(d), max(sc.uni(26, 38) * sc.ppm(d), 0.16 * W)))
        else:
            _house(sc, x, d, tilt=sc.uni(-0.12, 0.12))
    for (x, d) in sc.scatter(int(rng.integers(2, 4)), 1.6, 4, 6, avoid=_road_avoid(sc, road)):
        _rubble(sc, x, d, sc.uni(4, 7))
    if "car" in sc.want:
        for (x, d) in sc.scatter(2, 2.0, 5.0, 5):
            _car(sc, x, d)
    if "pole" in sc.want:
        _pole_line(sc, 1.3, 12, sc.uni(0.05, 0.2), sc.uni(0.3, 0.45), lean=0.3)
    _ground_crack(sc, d_crack)
    if apts:
        (x, d) = apts[0]
        dust_src.append((x, sc.y_of(d), 50 * sc.ppm(d)))
    _dust_clouds(sc, dust_src, _c(0.80, 0.74, 0.64), Region.DUST, strength=0.95)
    sc.fog_amount, sc.fog_scale = 0.8, 40.0
    sc.haze = _mix(sc.haze, _c(0.85, 0.80, 0.72) * sc.tod["dim"], 0.5)


def _road_avoid(sc, road):
    ds, Xc = road
    av = []
    for d, X in zip(ds[::3], Xc[::3]):
        av.append((sc.x_of(X, d), sc.y_of(d), 6 * sc.ppm(d), 5 * sc.ppm(d)))
    return av


def _scene_coastal(sc: _Scene):
    rng = sc.rng
    W, H = sc.W, sc.H
    key = sc.key
    _paint_sky(sc)
    right = rng.random() < 0.5      # which side the town is on
    _paint_mountains(sc, n=2, max_height=0.35, near_hill=False)
    _paint_ground(sc)
    # shoreline in world coordinates: X_s(Z) = X0 + k Z ; land on the town side
    X0 = sc.uni(2, 12)
    k = sc.uni(0.9, 1.6)
    X, Z = sc.ground_coords()
    sgn = 1 if right else -1
    Xs = sgn * (X0 + k * sc.gdepth * 3.0)
    sea_mask = ((X - Xs) * sgn < 0).astype(np.float32)
    sea_mask = cv2.GaussianBlur(sea_mask, (3, 3), 0)
    sea_mask[: int(sc.h) + 1] = 0
    tex = _water_texture(sc, sc.lit(_c(0.22, 0.46, 0.56)), sc.shd(_c(0.08, 0.22, 0.32)), streak=1.2,
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
    sc.cv.fill([np.concatenate([top, base[::-1]])], sc.lit(_c(0.78, 0.77, 0.74)), Region.NONE,
               np.broadcast_to(sc.gdepth, (H, W)))
    sc.cv.fill([np.concatenate([top, face[::-1]])], sc.shd(_c(0.70, 0.70, 0.68)), Region.NONE, None)
    sc.note("sea wall")
    # the town on the land side
    xl = (0.55, 0.98) if right else (0.02, 0.45)
    spots = sc.scatter(int(rng.integers(6, 10)), 2.0, 16, 12, xlim=xl)
    spots = [(x, d) for (x, d) in spots if (sc.X_of(x, d) - sgn * (X0 + k * d * 3.0) - sgn * 6) * sgn > 0]
    if "apartment" in sc.want or sc.korea:
        for (x, d) in sc.scatter(int(rng.integers(2, 4)), 14, 24, 40, xlim=xl):
            if (sc.X_of(x, d) - sgn * (X0 + k * d * 3.0)) * sgn > 20:
                _apartment(sc, x, d)
    _place_town(sc, spots)
    # harbour: boats moored along the wall
    if "harbour" in sc.want:
        boats = []
        for _ in range(int(rng.integers(2, 5))):
            d = sc.uni(2.0, 9.0)
            xw = sc.W / 2 + sgn * (X0 + k * d * 3.0 - 8) * sc.S / d
            boats.append((xw, d))
        for (x, d) in sorted(boats, key=lambda s: -s[1]):
            _boat(sc, x, d)
    if key == "tsunami":
        _big_wave(sc, right)
    elif key == "storm_surge":
        _wave_row(sc, right, 3, height_m=(4, 7), dmax=10, dmin=2.5)
        _rain(sc, 0.9, 0.45 * (-1 if right else 1))
    else:
        _wave_row(sc, right, 4, height_m=(5, 9), dmax=14, dmin=2.5)


def _boat(sc, x, d):
    p = sc.ppm(d)
    y = sc.y_of(d)
    L = sc.uni(7, 11) * p
    hull = np.array([[x - L / 2, y - 1.3 * p], [x + L / 2 + 0.8 * p, y - 1.6 * p], [x + L / 2 - 0.5 * p, y + 0.2 * p], [x - L / 2 + 0.6 * p, y + 0.2 * p]])
    cab = np.array([[x - L * 0.2, y - 1.3 * p], [x + L * 0.1, y - 1.3 * p], [x + L * 0.1, y - 3.0 * p], [x - L * 0.2, y - 3.0 * p]])
    sc.cv.fill([hull], sc.lit(sc.pick([_c(0.85, 0.2, 0.15), _c(0.2, 0.4, 0.7), _c(0.92, 0.92, 0.9)])), Region.NONE, d)
    sc.cv.fill([cab], sc.lit(_c(0.95, 0.95, 0.93)), Region.NONE, d)
    sc.cv.lines([np.array([[x - L * 0.05, y - 3.0 * p], [x - L * 0.05, y - 6.0 * p]])], sc.shd(_c(0.3, 0.3, 0.3)), max(0.15 * p, 0.8), Region.NONE, d)
    sc.note("boat")


def _wave_shape(x0, x1, yb, hmax, crest_x, curl, n=80):
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


def _big_wave(sc: _Scene, town_right: bool):
    """A tsunami: a towering breaking wave with foam and spray, rolling toward the town."""
    rng = sc.rng
    W, H = sc.W, sc.H
    Dw = sc.uni(5.0, 7.0)
    yb = sc.y_of(Dw)
    p = sc.ppm(Dw)
    hmax = min(sc.uni(22, 30) * p, yb * 0.85)
    crest = sc.uni(0.45, 0.6) * W
    R = hmax * 0.28
    shape = _wave_shape(-0.05 * W, W * 1.05, yb + 2, hmax, crest, R)
    if not town_right:
        shape[:, 0] = W - shape[:, 0]
        crest = W - crest
    # body: deep navy at the base to teal-green under the crest, streaks drawn up the face
    streak = _fbm(rng, H, W, 2, 60, 3, 0.5, res=0.5)
    v = np.clip((yb - sc.ys[:, None]) / max(hmax, 1), 0, 1)
    col = _ramp(v * np.ones((1, W), np.float32), [(0.0, sc.shd(_c(0.04, 0.14, 0.26))), (0.45, sc.lit(_c(0.07, 0.30, 0.42))),
                                                  (0.8, sc.lit(_c(0.16, 0.50, 0.54))), (1.0, sc.lit(_c(0.45, 0.74, 0.72)))])
    col = np.clip(col * (1 + 0.18 * streak)[..., None], 0, 1).astype(np.float32)
    sc.cv.fill([shape], col, Region.WATER, Dw)
    # the hollow under the lip in shadow
    lipc = (crest + R * 0.35 * (1 if town_right else -1), yb - hmax + R * 1.25)
    sc.cv.fill([_circle(lipc[0], lipc[1], R * 0.75, R * 0.8, 24)], sc.shd(_c(0.04, 0.16, 0.26)), Region.WATER, Dw, alpha=0.85)
    # white foam along the crest and the lip, churning foam at the foot
    foam_n = _fbm(rng, H, W, 12, 24, 3, res=0.5)
    m, box = sc.cv.mask([shape])
    if m is not None:
        full = np.zeros((H, W), np.float32)
        full[box[0]:box[1], box[2]:box[3]] = m
        kk = max(int(0.09 * hmax), 3)
        er = cv2.erode(full, np.ones((kk, kk), np.uint8))
        shifted = _shift_down(full, max(int(0.1 * hmax), 1))
        edge = np.clip(full - np.minimum(er, shifted), 0, 1)
        upper = _smooth(yb - hmax * 0.3, yb - hmax * 0.55, sc.ys)[:, None]
        foam = edge * upper * (0.75 + 0.35 * np.clip(foam_n, -1, 1))
        foam = np.clip(cv2.GaussianBlur(foam, (0, 0), max(0.8 * sc.u, 0.6)) * 1.3, 0, 1)
        sc.cv.layer(foam.astype(np.float32), _c(0.95, 0.97, 0.98) * sc.light, Region.WATER, None)
        foot = _smooth(0.1, 0.6, foam_n + 0.5 - np.abs(sc.ys[:, None] - yb) / (0.02 * H))
        side = (sc.xs[None, :] < crest + R * 2.5) if town_right else (sc.xs[None, :] > crest - R * 2.5)
        sc.cv.layer((foot * side).astype(np.float32) * 0.95, _c(0.92, 0.95, 0.96) * sc.light, Region.WATER, Dw)
    # spray blown back off the crest: soft billows just above it
    spn = _fbm(rng, H, W, 8, 14, 4, 0.55, res=0.5)
    near_crest = np.exp(-((sc.xs[None, :] - crest) / (0.22 * W)) ** 2) * \
        np.exp(-((sc.ys[:, None] - (yb - hmax * 1.02)) / (0.12 * hmax + 2)) ** 2)
    sp = _smooth(0.35, 0.75, near_crest * (1.0 + 0.6 * spn)) * 0.8
    sc.cv.layer(sp.astype(np.float32), _c(0.95, 0.97, 0.98) * sc.light, Region.WATER, Dw * 1.02, thresh=0.45)
    sc.note("tsunami wave")
    sc.info["wave_depth"] = round(Dw, 2)


def _wave_row(sc: _Scene, town_right: bool, n, height_m=(5, 8), dmax=12.0, dmin=2.0):
    """Rows of tall rolling waves (high seas, storm surge), far ones first."""
    rng = sc.rng
    W = sc.W
    for i in range(n):
        Dw = dmax * (dmin / dmax) ** (i / max(n - 1, 1)) * sc.uni(0.92, 1.05)
        yb = sc.y_of(Dw)
        p = sc.ppm(Dw)
        hmax = sc.uni(*height_m) * p
        crest = sc.uni(0.15, 0.7) * W
        shape = _wave_shape(-0.1 * W, W * 1.1, yb + 1, hmax, crest, hmax * 0.22)
        if not town_right:
            shape[:, 0] = W - shape[:, 0]
        col = _ramp(np.clip((yb - sc.ys[:, None]) / max(hmax, 1), 0, 1) * np.ones((1, W), np.float32),
                    [(0.0, sc.shd(_c(0.08, 0.22, 0.30))), (0.7, sc.lit(_c(0.16, 0.42, 0.50))), (1.0, sc.lit(_c(0.75, 0.88, 0.88)))])
        streak = _fbm(rng, sc.H, W, 2, 40, 2, res=0.5)
        col = np.clip(col * (1 + 0.15 * streak)[..., None], 0, 1).astype(np.float32)
        sc.cv.fill([shape], col, Region.WATER, Dw)
        crest_line = shape[1:110]
        sc.cv.lines([crest_line[crest_line[:, 1] < yb - hmax * 0.6]], _c(0.94, 0.96, 0.97) * sc.light,
                    max(0.5 * p, 1.0), Region.WATER, None, 0.9)
    sc.note("breaking wave", n)


def _cumulonimbus(sc: _Scene):
    """A towering storm cloud: a boiling tower of rounded heaps under a flat, spreading anvil."""
    W, rng = sc.W, sc.rng
    cx = sc.uni(0.3, 0.7) * W
    base = sc.h * sc.uni(0.58, 0.66)
    top = max(0.05 * sc.H, sc.h * 0.1)
    width = sc.uni(0.24, 0.32) * W
    dark = _mix(sc.shadec * 0.3, sc.sky_top * 0.4, 0.3)
    lit = _mix(sc.light * 1.05, sc.sky_hor, 0.2)
    heaps = []
    n = 9
    for k in range(n):                                     # the tower, wider at the bottom
        t = k / (n - 1)
        y = base - t * (base - top) * 0.8
        r = width * (0.55 - 0.3 * t) * sc.uni(0.8, 1.1)
        x = cx + sc.uni(-0.25, 0.25) * width * (1 - t)
        heaps.append((x, y, r, t))
    anvil = np.concatenate([_circle(cx + width * 0.35, top + 0.03 * sc.H, width * 1.5, 0.05 * sc.H, n=40)])
    sc.cv.fill([anvil], _mix(lit, dark, 0.35), Region.CLOUD, SKY_DEPTH * 0.6)
    for x, y, r, t in heaps:
        sc.cv.fill([_circle(x, y, r, r * 0.8, n=32)], _mix(dark, lit, 0.25 + 0.6 * t), Region.CLOUD, SKY_DEPTH * 0.6)
        sc.cv.fill([_circle(x - r * 0.2, y - r * 0.25, r * 0.7, r * 0.5, n=28)], _mix(dark, lit, 0.55 + 0.4 * t),
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


def _lightning(sc: _Scene, x0, y0, y1):
    """A jagged bolt from the cloud base to the ground, thin and still: no flashing frame."""
    rng = sc.rng
    pts = [(x0, y0)]
    steps = 9
    for k in range(1, steps + 1):
        y = y0 + (y1 - y0) * k / steps
        pts.append((pts[-1][0] + sc.uni(-1, 1) * 0.025 * sc.W, y))
    bolt = np.array(pts)
    glow = _c(0.78, 0.80, 1.0)
    # the bolt stays put while the cloud behind it boils (a drifting bolt would ghost): no moving region
    sc.cv.lines([bolt], glow, max(7.0 * sc.u, 3.0), Region.NONE, None, alpha=0.3)
    sc.cv.lines([bolt], _c(0.97, 0.97, 1.0), max(2.4 * sc.u, 1.2), Region.NONE, None)
    k = int(rng.integers(3, 6))                            # one short fork
    fork = np.array([pts[k], (pts[k][0] + sc.uni(0.02, 0.05) * sc.W, pts[k][1] + 0.08 * (y1 - y0))])
    sc.cv.lines([fork], _c(0.95, 0.95, 1.0), max(1.0 * sc.u, 1.0), Region.NONE, None)
    sc.note("lightning bolt")


def _hail(sc: _Scene):
    """Hailstones: small white pellets in the air and on the ground."""
    rng = sc.rng
    n = int(sc.W * sc.H / 2500)
    xs = rng.uniform(0, sc.W, n)
    ys = rng.uniform(sc.h * 0.7, sc.H, n)
    col = _mix(sc.light, _c(1, 1, 1), 0.6)
    polys = [_circle(x, y, max(1.2 * sc.u * (0.6 + y / sc.H), 1.0), n=8) for x, y in zip(xs, ys)]
    sc.cv.fill(polys, col, None, None, alpha=0.8)
    sc.note("hailstones", n)


def _scene_thunderstorm(sc: _Scene):
    rng = sc.rng
    _paint_sky(sc, cover=0.75)
    cx, base, width = _cumulonimbus(sc)
    _paint_mountains(sc, n=2, max_height=0.35)
    _paint_ground(sc, fields=True)
    bend = sc.uni(0.35, 0.6)
    spots = sc.scatter(int(rng.integers(4, 7)), 2.2, 14, 12)
    trees = sc.scatter(int(rng.integers(6, 10)), 1.4, 12, 5,
                       avoid=[(x, sc.y_of(d), 6 * sc.ppm(d), 3) for x, d in spots])
    objs = [(x, d, 0) for x, d in spots] + [(x, d, 1) for x, d in trees]
    for (x, d, k) in sorted(objs, key=lambda o: -o[1]):
        if k == 0:
            _house(sc, x, d)
        else:
            _tree(sc, x, d, kind="round" if rng.random() < 0.7 else "conifer", bend=bend, region=Region.FOLIAGE)
    if "pole" in sc.want:
        _pole_line(sc, 1.3, 10, sc.uni(0.05, 0.25), sc.uni(0.6, 0.9), lean=0.1)
    _lightning(sc, cx + sc.uni(-0.2, 0.3) * width, base, sc.h + 0.015 * sc.H)
    text = sc.md.text()
    if "hail" in text or "우박" in text or "grêle" in text or "granizo" in text:
        _hail(sc)
    _rain(sc, 1.0, 0.45)
    sc.fog_amount, sc.fog_scale = 0.8, 35.0
    sc.haze = _mix(sc.sky_hor, _c(0.55, 0.58, 0.62) * sc.tod["dim"], 0.4)
    sc.info["wind_bend"] = round(bend, 2)


_FAMILIES = {
    "flood": _scene_flood,
    "landslide": _scene_landslide,
    "drought": _scene_drought,
    "wildfire": _scene_wildfire,
    "heavy_snow": _scene_heavy_snow,
    "typhoon": _scene_typhoon,
    "earthquake": _scene_earthquake,
    "coastal": _scene_coastal,
    "thunderstorm": _scene_thunderstorm,
}

_HORIZON = {"flood": 0.40, "landslide": 0.50, "drought": 0.50, "wildfire": 0.56, "heavy_snow": 0.45,
            "typhoon": 0.50, "earthquake": 0.48, "coastal": 0.44,
            "thunderstorm": 0.52}


# --------------------------------------------------------------------------------------------
# the backend
# --------------------------------------------------------------------------------------------


class ProceduralIllustrator:
    """Built-in text-to-image backend: a seeded procedural illustration of the disaster scene."""

    name = "procedural"
    summary = "built-in procedural illustrator: flat-shaded disaster scenes with exact regions and depth, no weights"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def generate(self, metadata: SceneMetadata, *, width: int, height: int, seed: int = 0) -> ImageResult:
        for side, value in (("width", width), ("height", height)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"{side} must be an integer, got {type(value).__name__}.")
            if not MIN_SIDE <= value <= MAX_SIDE:
                raise ValueError(f"{side} must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {value}.")
        if not isinstance(metadata, SceneMetadata):
            raise TypeError(f"metadata must be a SceneMetadata, got {type(metadata).__name__}.")
        if metadata.disaster not in DISASTERS:
            raise ValueError(f"Unknown disaster type {metadata.disaster!r}. Available types: {', '.join(DISASTERS)}.")
        width, height = int(width), int(height)
        dis = DISASTERS[metadata.disaster]
        family = dis.scene
        rng = np.random.default_rng(int(seed))
        horizon = _HORIZON[family] * (1.0 + 0.04 * float(rng.uniform(-1, 1)))
        if height > width * 1.2:  # portrait: keep a bit more ground
            horizon *= 0.95
        sc = _Scene(metadata, metadata.disaster, family, width, height, rng, horizon)
        _FAMILIES[family](sc)
        _finish(sc)
        cv = sc.cv
        regions = cv.reg.astype(np.uint8)
        depth = cv.dep.astype(np.float32)
        counts = np.bincount(regions.ravel(), minlength=len(Region))
        info = {
            "scene": family,
            "disaster": metadata.disaster,
            "seed": int(seed),
            "horizon_row": round(sc.h, 1),
            "objects": dict(sorted(sc.objects.items())),
            "keywords": sorted(sc.want),
            "korean_setting": sc.korea,
            "region_fractions": {Region(i).name.lower(): round(float(c) / regions.size, 4)
                                 for i, c in enumerate(counts) if c and i},
        }
        info.update(sc.info)
        return ImageResult(image=cv.img, regions=regions, depth=depth, backend=self.name, info=info)
