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


def _grid_noise(rng, h, w, cy, cx):
    """One octave of smooth noise (about unit variance) with ``cy`` x ``cx`` cells over the frame."""
    cy = max(int(round(cy)), 1)
    cx = max(int(round(cx)), 1)
    g = rng.standard_normal((cy + 3, cx + 3)).astype(np.float32)
    sy, sx = h / cy, w / cx
    big = cv2.resize(g, (int(math.ceil((cx + 3) * sx)), int(math.ceil((cy + 3) * sy))),
                     interpolation=cv2.INTER_CUBIC)
    oy = int(sy) + int(rng.integers(0, max(int(sy), 1)))
    ox = int(sx) + int(rng.integers(0, max(int(sx), 1)))
    out = big[oy:oy + h, ox:ox + w]
    return out * np.float32(1.6)


def _fbm(rng, h, w, cy, cx, octaves=4, gain=0.5, res=1.0):
    """Fractal noise of ``octaves`` octaves; computed at ``res`` of the size and resized up."""
    hh, ww = max(int(h * res), 2), max(int(w * res), 2)
    out = np.zeros((hh, ww), np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        out += np.float32(amp) * _grid_noise(rng, hh, ww, cy * 2 ** o, cx * 2 ** o)
        tot += amp * amp
        amp *= gain
    out /= np.float32(math.sqrt(tot))
    if (hh, ww) != (h, w):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def _fbm1d(rng, n, cells, octaves=4, gain=0.5):
    return _fbm(rng, 1, n, 1, cells, octaves, gain)[0]


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
        ipts = [np.round((np.clip(p, -1e5, 1e5) - (x0, y0)) * 16).astype(np.int32) for p in pts]
        cv2.fillPoly(m, ipts, 255, cv2.LINE_AA, shift=4)
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
    H, W, rng, cv = sc.H, sc.W, sc.rng, sc.cv
    cover = sc.cover if cover is None else cover
    hrow = max(sc.h, 1.0)
    t = np.clip(sc.ys / hrow, 0, 1.2)[:, None, None] ** 0.9
    sky = sc.sky_top[None, None] + (sc.sky_hor - sc.sky_top)[None, None] * np.clip(t, 0, 1)
    sky = np.broadcast_to(sky, (H, 1, 3))
    sky = np.repeat(sky, W, axis=1).astype(np.float32)
    # sun or moon
    sx = sc.tod["sun_x"] * W
    sy = sc.h - sc.tod["sun_h"] * sc.h * 0.9
    r = np.hypot(sc.xs[None, :] - sx, sc.ys[:, None] - sy).astype(np.float32)
    sun_r = (0.028 if sc.night else 0.035) * min(W, H * 1.78) * sun_scale
    vis = 1.0 - 0.85 * cover
    glow = np.exp(-r / (sun_r * 5.0)) * 0.55 * vis * sun_glow
    sky += glow[..., None] * (sc.tod["sun"] - sky * 0.6)
    # stars
    if sc.night and stars and cover < 0.7:
        n = int(W * H / 2500)
        px = rng.uniform(0, W, n)
        py = rng.uniform(0, sc.h * 0.85, n)
        st = np.zeros((H, W), np.float32)
        st[py.astype(int), np.clip(px.astype(int), 0, W - 1)] = rng.uniform(0.3, 1.0, n)
        st = cv2.GaussianBlur(st, (0, 0), 0.6 * max(sc.u, 0.5)) * 3
        sky += (np.clip(st, 0, 1) * (1 - cover))[..., None] * _c(0.9, 0.92, 1.0)
    # clouds
    cy, cx = 3.0, 2.2 * max(W / max(H, 1), 0.6) * 1.4
    n = _fbm(rng, H, W, cy, cx, octaves=5, gain=0.55, res=0.5)
    if spiral:
        ccx, ccy = W * sc.uni(0.6, 0.85), -H * sc.uni(0.2, 0.5)
        ang = np.arctan2(sc.ys[:, None] - ccy, sc.xs[None, :] - ccx)
        rad = np.log(np.hypot(sc.ys[:, None] - ccy, sc.xs[None, :] - ccx) + 1.0)
        band = np.sin(ang * 3.0 + rad * 7.0 + n * 1.6)
        n = 0.55 * n + 0.75 * band.astype(np.float32)
    # vertical structure: flatter, denser clouds near the horizon
    thr = 1.0 - 2.0 * cover
    dens = _smooth(thr - 0.35, thr + 0.55, n)
    nd = np.roll(n, -max(int(H * 0.012), 1), axis=0)
    shade = np.clip((n - nd) * 2.5 + 0.5, 0, 1)  # tops lighter (light from above)
    lit_c = _mix(sc.sky_hor, sc.light, 0.55) * (1.05 if not sc.night else 0.9)
    dark_c = _mix(sc.sky_top, sc.shadec * 0.55, 0.5)
    if cover > 0.6:  # heavy weather: darker, greyer bases
        dark_c = _mix(dark_c, sc.sky_top * 0.75, 0.5)
    ccol = dark_c[None, None] + (lit_c - dark_c)[None, None] * (0.25 + 0.75 * shade[..., None])
    # sun-lit rims near the sun
    ccol += (glow[..., None] * 0.8 * sc.tod["sun"]).astype(np.float32)
    a = (dens * (0.55 + 0.45 * cover)).astype(np.float32)
    sky += (ccol - sky) * a[..., None]
    # sun / moon disc (after the clouds, partly hidden by them)
    disc = _smooth(sun_r + 1.0, sun_r - 1.0, r) * (1 - 0.9 * a) * vis ** 0.5
    sky += disc[..., None] * (sc.tod["sun"] * 1.05 - sky)
    if sc.night:
        sky = sky  # moon craters are not needed at this size
    cv.img[:] = np.clip(sky, 0, 1)
    cv.reg[:] = cv.label(Region.CLOUD)
    cv.dep[:] = SKY_DEPTH
    cv.glow[:] = np.clip(disc, 0, 1)
    sc.sky_cloud = a


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
        slope = np.gradient(cv2.GaussianBlur(ridge.astype(np.float32)[None], (0, 0), 3 * sc.u + 1)[0])
        s = np.tanh(slope * 3.0)
        if not sc.sun_left:
            s = -s
        below = np.clip(ys - ridge[None, :], 0, None)
        xi = np.clip((sc.xs[None, :] + below * 0.6 * np.sign(s[None, :] + 1e-6)).astype(np.int32), 0, W - 1)
        k = (0.5 - 0.5 * s[xi])  # 1 = lit side (ridge rising toward the light)
        k = np.clip(k + 0.25 * _fbm(sc.rng, bot - top, W, 2, 8, 3, res=0.5), 0, 1)
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
    Xs, Zs = X[y0:], Z[y0:]
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
    H, W, rng = sc.H, sc.W, sc.rng
    X, Z = sc.ground_coords()
    # a top-down ripple texture, long along the flow (X), mapped through the ground plane
    T = 512
    tex = _fbm(rng, T, T, 24, 3, 4, 0.6)
    tex2 = _fbm(rng, T, T, 60, 8, 2, 0.5)
    mx = (X * (T / 90.0) * streak) % T
    mz = (Z * (T / 60.0) * depth_scale) % T
    r1 = cv2.remap(tex, mx.astype(np.float32), mz.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    r2 = cv2.remap(tex2, (mx * 1.7 % T).astype(np.float32), (mz * 1.3 % T).astype(np.float32), cv2.INTER_LINEAR,
                   borderMode=cv2.BORDER_REFLECT)
    d = sc.gdepth
    fade = np.exp(-d / 25.0).astype(np.float32)
    # far water fades to a fine horizontal shimmer rather than aliasing
    fine = _fbm(rng, H, W, 40, 3, 2, 0.5, res=0.5)
    rip = (r1 * 0.7 + r2 * 0.5) * fade + fine * 0.45 * (1 - fade)
    fres = np.clip(1 - np.exp(-d / 9.0), 0, 1) * sky_reflect
    col = deep[None, None] + (base - deep)[None, None] * np.clip(0.55 + 0.35 * rip, 0, 1)[..., None]
    refl = _mix(sc.sky_hor, sc.sky_top, 0.3)
    col = col + (refl - col) * fres[..., None]
    hi = _smooth(0.9, 1.6, rip) * (0.45 + 0.4 * (1 - sc.overcast))
    col = col + (_mix(refl, _c(1, 1, 1), 0.5) - col) * (hi * foam * 2.0)[..., None]
    lo = _smooth(-0.9, -1.6, rip) * 0.35
    col = col * (1 - lo)[..., None]
    return np.clip(col, 0, 1).astype(np.float32)


def _fire_colour(i):
    return _ramp(np.clip(i, 0, 1), _FIRE)


def _smoke_field(sc: _Scene, sources, wind=0.35, res=0.35, top_spread=1.0):
    """Density and colour of smoke plumes rising from ``sources`` [(x, y, width)]; low-res then up."""
    H, W, rng = sc.H, sc.W, sc.rng
    h, w = max(int(H * res), 8), max(int(W * res), 8)
    ys = np.arange(h, dtype=np.float32)[:, None] / res
    xs = np.arange(w, dtype=np.float32)[None, :] / res
    n = _fbm(rng, h, w, 5, 7, 5, 0.55)
    warp = _fbm(rng, h, w, 3, 4, 3, 0.5)
    dens = np.zeros((h, w), np.float32)
    for (x0, y0, w0) in sources:
        rise = np.clip(y0 - ys, 0, None)
        cx = x0 + wind * rise * (1 + rise / (H * 0.8)) + warp * w0 * 0.8
        width = w0 * 0.6 + rise * 0.45 * top_spread
        prof = np.exp(-((xs - cx) / np.maximum(width, 1)) ** 2)
        vert = _smooth(0, w0 * 0.8 + 1, rise) * (ys <= y0 + 2)
        dens = np.maximum(dens, prof * vert)
    dens = np.clip(dens * (0.8 + 0.5 * n), 0, 1.2)
    # billows: light tops/left (emboss of the noise), dark hollows
    emb = np.clip((n - np.roll(np.roll(n, 3, 0), 3, 1)) * 1.8 + 0.5, 0, 1)
    dens = cv2.resize(dens, (W, H), interpolation=cv2.INTER_LINEAR)
    emb = cv2.resize(emb, (W, H), interpolation=cv2.INTER_LINEAR)
    nb = cv2.resize(n, (W, H), interpolation=cv2.INTER_LINEAR)
    return dens, emb, nb


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
        top_x = x + lean * 1.3
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
        _ = top_x
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
        sn = [np.concatenate([q[:len(q) // 2 + 1][::-1] * 0 + q[len(q) // 2:], ]) for q in clumps_mid]
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
        cap = np.concatenate([_circle(x, yb - hgt + 0.05 * p, L * 0.36, 0.35 * p, 16, math.pi, 2 * math.pi),
                              [[x + L * 0.5, yb - 0.8 * p], [x - L * 0.5, yb - 0.8 * p]]])
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
