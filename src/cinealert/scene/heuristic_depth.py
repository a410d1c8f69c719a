"""Built-in, weight-free relative depth for photos the user brings.

The estimate rests on three cues that hold for most outdoor disaster photos:

* a horizon row, found as the strongest transition (brightness, colour, texture) that runs
  across the whole width in the upper two thirds of the image;
* the sky (bright, smooth, sky-coloured, connected to the top border) is far away;
* below the horizon the ground is a plane seen from eye height, so depth grows like
  ``1 / (y - horizon)``; things standing on the ground (pixels that differ from the ground
  below them in their column) take the depth at their base.

A guided filter, guided by the image, then makes depth edges follow image edges.

This module also holds the scene cues (:func:`scene_cues`) and the guided filter that the
heuristic segmenter shares.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cinealert.validate import check_image

#: Depth given to the sky, relative to the nearest ground (bottom row) at 1.
SKY_DEPTH = 100.0
#: Largest depth of the ground plane (reached at the horizon); farther than this is sky.
MAX_GROUND_DEPTH = 40.0
#: Fallback horizon, as a fraction of the height, when no clear transition is found.
DEFAULT_HORIZON = 0.4


# ----------------------------------------------------------------------------------------
# Small numeric helpers
# ----------------------------------------------------------------------------------------

def ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Fuzzy membership: 0 at ``lo``, 1 at ``hi``, linear between (decreasing when lo > hi).

    Returns a float32 array with the shape of ``x``.
    """
    return np.clip((np.asarray(x, np.float32) - lo) / (hi - lo), 0.0, 1.0).astype(np.float32, copy=False)


def hue_near(hue: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    """Membership of a hue (degrees, ``(H, W)``) in a circular band ``centre ± half_width``.

    1 at the centre, falling linearly to 0 at ``half_width`` degrees away; ``(H, W)`` float32.
    """
    d = np.abs(hue - centre)
    d = np.minimum(d, 360.0 - d)
    return ramp(d, half_width, 0.0)


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``x`` (``(H, W)`` float32) over a ``(2r+1)²`` window, edges reflected."""
    k = 2 * radius + 1
    return cv2.boxFilter(x, cv2.CV_32F, (k, k), borderType=cv2.BORDER_REFLECT)


def local_std(x: np.ndarray, radius: int) -> np.ndarray:
    """Local standard deviation of ``x`` (``(H, W)`` float32) over a ``(2r+1)²`` window."""
    m = box_mean(x, radius)
    m2 = box_mean(x * x, radius)
    return np.sqrt(np.maximum(m2 - m * m, 0.0))


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of ``src`` guided by a grey ``guide`` (He et al. 2010).

    Args:
        guide: ``(H, W)`` float32 guide image, about [0, 1].
        src: ``(H, W)`` float32 image to smooth.
        radius: box radius in pixels.
        eps: regularisation; smaller keeps more of the guide's edges.

    Returns:
        ``(H, W)`` float32: locally an affine function of the guide, so its edges follow the guide's.
    """
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(src, radius)
    cov_ip = box_mean(guide * src, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, radius) * guide + box_mean(b, radius)


def working_size(shape: tuple[int, int], long_side: int) -> tuple[int, int]:
    """``(h, w)`` of a copy of an ``(H, W)`` image shrunk so its longer side is at most ``long_side``."""
    h, w = shape
    scale = min(1.0, long_side / max(h, w))
    return max(8, int(round(h * scale))), max(8, int(round(w * scale)))


# ----------------------------------------------------------------------------------------
# Scene cues shared with the segmenter
# ----------------------------------------------------------------------------------------

@dataclass
class SceneCues:
    """Colour, texture and layout cues of an image, on a shrunk working grid of ``(h, w)``.

    Attributes:
        rgb: ``(h, w, 3)`` float32 sRGB in [0, 1].
        hue: ``(h, w)`` float32 hue in degrees [0, 360).
        sat: ``(h, w)`` float32 HSV saturation in [0, 1].
        val: ``(h, w)`` float32 HSV value in [0, 1].
        lab: ``(h, w, 3)`` float32 CIE Lab (L in [0, 100], a and b about ±100).
        texture: ``(h, w)`` float32 local standard deviation of L / 100.
        orientation: ``(h, w)`` float32 in [-1, 1]; > 0 where structure runs horizontally
            (ripples, streaks), < 0 where it runs vertically (trunks, walls).
        horizon: horizon row on the working grid (0 = top).
        sky: ``(h, w)`` bool, bright smooth sky-coloured pixels connected to the top border.
    """

    rgb: np.ndarray
    hue: np.ndarray
    sat: np.ndarray
    val: np.ndarray
    lab: np.ndarray
    texture: np.ndarray
    orientation: np.ndarray
    horizon: int
    sky: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.hue.shape

    def rows(self) -> np.ndarray:
        """``(h, 1)`` float32 row index of every row, for broadcasting."""
        return np.arange(self.shape[0], dtype=np.float32)[:, None]


def scene_cues(image: np.ndarray, long_side: int = 320) -> SceneCues:
    """Compute :class:`SceneCues` of an ``(H, W, 3)`` float32 image on a grid of at most ``long_side``."""
    h, w = working_size(image.shape[:2], long_side)
    rgb = np.clip(image, 0.0, 1.0)
    if (h, w) != image.shape[:2]:
        rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    rgb = np.ascontiguousarray(rgb, dtype=np.float32)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
    lum = lab[..., 0] / 100.0
    radius = max(1, round(max(h, w) / 160))
    texture = local_std(lum, radius)
    orientation = _orientation(lum, radius)
    horizon = estimate_horizon(lum, texture, lab[..., 2] / 100.0)
    sky = _sky_mask(hsv, texture, horizon)
    return SceneCues(rgb, hsv[..., 0], hsv[..., 1], hsv[..., 2], lab, texture, orientation, horizon, sky)


def _orientation(lum: np.ndarray, radius: int) -> np.ndarray:
    """Structure-tensor orientation of ``lum`` (``(h, w)``): (Jyy - Jxx) / (Jyy + Jxx), in [-1, 1]."""
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3)
    jxx = box_mean(gx * gx, 2 * radius)
    jyy = box_mean(gy * gy, 2 * radius)
    return (jyy - jxx) / (jyy + jxx + 1e-4)


def estimate_horizon(lum: np.ndarray, texture: np.ndarray, yellow: np.ndarray) -> int:
    """Find the horizon row of a working-grid image.

    For every row in the upper two thirds, compare a band of rows just above with a band just
    below, column by column (brightness, blue-yellow colour and texture); the score of a row is
    the median over columns, so only transitions sustained across the width count. Brighter and
    smoother above (sky over ground) scores a little higher.

    Args:
        lum, texture, yellow: ``(h, w)`` float32 lightness, local std and Lab b channel, ~[0, 1].

    Returns:
        The horizon row (0 = top); ``DEFAULT_HORIZON * h`` when no row stands out.
    """
    h = lum.shape[0]
    k = max(2, h // 12)
    feats = np.stack([lum, yellow, texture * 3.0], axis=0)                     # (3, h, w)
    csum = np.concatenate([np.zeros_like(feats[:, :1]), np.cumsum(feats, axis=1)], axis=1)
    lo, hi = max(k, int(0.1 * h)), min(h - k, int(0.7 * h))
    if hi <= lo:
        return int(round(DEFAULT_HORIZON * h))
    r = np.arange(lo, hi)
    above = (csum[:, r] - csum[:, r - k]) / k                                    # (3, n, w)
    below = (csum[:, r + k] - csum[:, r]) / k
    diff = above - below
    sky_like = np.clip(diff[0], 0, None) + np.clip(-diff[2], 0, None)          # brighter, smoother above
    per_col = np.abs(diff).sum(axis=0) + 0.5 * sky_like                          # (n, w)
    score = np.median(per_col, axis=1)                                           # (n,)
    score *= 1.0 - 0.5 * np.abs(r / h - DEFAULT_HORIZON)                         # mild prior
    best = int(np.argmax(score))
    if score[best] < 0.05:
        return int(round(DEFAULT_HORIZON * h))
    return int(r[best])


def _sky_mask(hsv: np.ndarray, texture: np.ndarray, horizon: int) -> np.ndarray:
    """Bright, smooth, sky-coloured pixels connected to the top border, above the horizon.

    Args:
        hsv: ``(h, w, 3)`` float32 HSV (hue in degrees).
        texture: ``(h, w)`` float32 local std of lightness.
        horizon: horizon row.

    Returns:
        ``(h, w)`` bool.
    """
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    h = hue.shape[0]
    blue = hue_near(hue, 215.0, 50.0) * ramp(val, 0.3, 0.45)
    grey = ramp(sat, 0.3, 0.15) * ramp(val, 0.3, 0.5)
    sunset = np.maximum(hue_near(hue, 20.0, 40.0), hue_near(hue, 330.0, 35.0)) * ramp(val, 0.5, 0.7)
    colour = np.maximum(np.maximum(blue, grey), 0.8 * sunset)
    smooth = ramp(texture, 0.05, 0.02)
    rows = np.arange(h, dtype=np.float32)[:, None]
    above = ramp(rows, horizon + 0.06 * h, horizon)
    candidate = (colour * smooth * above) > 0.4
    return keep_touching_top(candidate)


def keep_touching_top(mask: np.ndarray) -> np.ndarray:
    """Keep the connected components of an ``(h, w)`` bool mask that touch the top row."""
    if not mask.any():
        return mask
    _, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=4)
    top = np.unique(labels[0])
    top = top[top > 0]
    return np.isin(labels, top)


# ----------------------------------------------------------------------------------------
# Depth
# ----------------------------------------------------------------------------------------

def ground_prior(h: int, horizon: int) -> np.ndarray:
    """Depth of a flat ground plane per row: ``(h,)`` float32, 1 at the bottom row,
    ``(h - 1 - horizon) / (y - horizon)`` below the horizon, clamped to ``MAX_GROUND_DEPTH``."""
    y = np.arange(h, dtype=np.float32)
    span = max(1.0, h - 1 - horizon)
    with np.errstate(divide="ignore"):
        d = span / np.maximum(y - horizon, 1e-3)
    d[y <= horizon] = MAX_GROUND_DEPTH
    return np.clip(d, 1.0, MAX_GROUND_DEPTH).astype(np.float32)


def standing_objects(lab: np.ndarray, sky: np.ndarray, tol: float = 0.12, adapt: float = 0.25) -> np.ndarray:
    """Mark pixels that do not look like the ground below them in their column.

    Walks every column from the bottom up, keeping a running colour model of the ground
    (updated only by pixels that match it, so it follows slow changes with distance). A pixel
    farther than ``tol`` from the model starts or continues an object.

    Args:
        lab: ``(h, w, 3)`` float32 Lab, smoothed.
        sky: ``(h, w)`` bool sky mask (never an object).

    Returns:
        ``(h, w)`` bool.
    """
    f = lab / 100.0
    h = f.shape[0]
    n = max(1, h // 20)
    ground = np.median(f[h - n:], axis=0)                                        # (w, 3)
    objects = np.zeros(f.shape[:2], dtype=bool)
    for y in range(h - 1, -1, -1):
        dist = np.abs(f[y] - ground).sum(axis=1)
        obj = dist > tol
        objects[y] = obj
        match = ~obj
        ground[match] += adapt * (f[y, match] - ground[match])
    return objects & ~sky


def _depth_small(cues: SceneCues) -> np.ndarray:
    """Depth on the working grid, ``(h, w)`` float32, before edge-aware smoothing."""
    h, w = cues.shape
    prior = ground_prior(h, cues.horizon)                                        # (h,)
    lab = cv2.GaussianBlur(cues.lab, (0, 0), max(1.0, w / 200))
    objects = standing_objects(lab, cues.sky)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    objects = cv2.morphologyEx(objects.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)
    objects = cv2.morphologyEx(objects.astype(np.uint8), cv2.MORPH_CLOSE, k).astype(bool)
    # Objects take the depth of the nearest ground pixel below them in their column.
    from_bottom = np.arange(h)[::-1, None]                                       # row index counted upward
    ground_idx = np.where(objects, -1, np.broadcast_to(from_bottom, (h, w)))
    last = np.maximum.accumulate(ground_idx[::-1], axis=0)[::-1]                 # nearest ground at/below
    base_row = np.where(last >= 0, h - 1 - last, h - 1)
    depth = prior[base_row]
    depth[cues.sky] = SKY_DEPTH
    return depth.astype(np.float32)


class HeuristicDepth:
    """Relative depth from layout cues (horizon, sky, ground plane, standing objects)."""

    name = "heuristic"
    summary = "built-in horizon + ground-plane depth with standing objects and guided-filter edges"

    def __init__(self, long_side: int = 256, smooth_radius: float = 0.012, eps: float = 2e-3):
        """Args:
            long_side: longer side of the working grid the layout is analysed on.
            smooth_radius: guided-filter radius as a fraction of the image's longer side.
            eps: guided-filter regularisation (smaller follows image edges more tightly).
        """
        self.long_side = long_side
        self.smooth_radius = smooth_radius
        self.eps = eps

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def estimate(self, image: np.ndarray) -> np.ndarray:
        """Estimate depth of an ``(H, W, 3)`` float32 sRGB image in [0, 1].

        Returns:
            ``(H, W)`` float32 *relative* depth, larger = farther, strictly positive and finite:
            about 1 at the bottom row, up to ``MAX_GROUND_DEPTH`` at the horizon and
            ``SKY_DEPTH`` for the sky. It is not metric.
        """
        check_image(image)
        H, W = image.shape[:2]
        cues = scene_cues(image, self.long_side)
        log_depth = np.log(_depth_small(cues))
        log_depth = cv2.resize(log_depth, (W, H), interpolation=cv2.INTER_LINEAR)
        guide = cv2.cvtColor(np.clip(image, 0.0, 1.0), cv2.COLOR_RGB2GRAY)
        radius = max(2, round(self.smooth_radius * max(H, W)))
        log_depth = guided_filter(guide, log_depth, radius, self.eps)
        log_depth = np.clip(log_depth, 0.0, np.log(SKY_DEPTH))
        depth = np.exp(log_depth).astype(np.float32)
        return depth
