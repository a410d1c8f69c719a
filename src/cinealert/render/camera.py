"""Camera paths that loop: every pose is periodic in the loop length N.

A pose is a translation ``(tx, ty, tz)`` in units of the nearest scene depth and a focal-length ratio
``r = f / f'`` (1 except for dolly-zoom). A point at relative depth ``z`` (nearest = 1) moves on screen
by about ``f · tx / z`` pixels, so the amplitude is chosen from the largest shift allowed for the
nearest point: a few percent of the image width keeps every disocclusion narrow enough to fill.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cinealert.render import CAMERAS

#: Largest on-screen shift of the nearest point at the default amplitude, as a share of the width.
DEFAULT_SHIFT = 0.022


@dataclass
class CameraPath:
    """Poses for frames ``0 … N−1``: arrays ``tx, ty, tz, r`` of length N."""

    name: str
    tx: np.ndarray
    ty: np.ndarray
    tz: np.ndarray
    r: np.ndarray
    focal_px: float
    amplitude: float

    def max_shift_px(self, width: int, height: int) -> float:
        """Largest on-screen offset of the nearest point (inverse depth 1) along the path."""
        half = math.hypot(width, height) / 2
        lateral = self.focal_px * np.hypot(self.tx, self.ty)
        radial = half * np.abs(self.r * (1 - self.tz) - 1)
        return float((lateral + radial).max()) if len(self.tx) else 0.0


def depth_gain(depth: np.ndarray) -> float:
    """How far the default camera motion may be stretched for this scene's depth range (1 to 2).

    The default moves the nearest point by :data:`DEFAULT_SHIFT` of the width. What the eye reads as
    3D is the parallax between near and far, ``shift · (1 − z_near / z_far)``: a deep scene (sky far
    away) already shows it in full, a shallow one (a wall, a close-up) shows a fraction of it. The
    gain restores that parallax for shallow scenes, at most doubling the motion so that disocclusions
    stay within what the layers fill behind.

    Args:
        depth: ``(H, W)`` float32 relative depth, larger = farther.
    """
    z = np.asarray(depth, np.float32)
    near, far = float(np.percentile(z, 0.5)), float(np.percentile(z, 99.5))
    if not (np.isfinite(near) and near > 0 and far > 0):
        raise ValueError(f"depth must be positive and finite, got percentiles {near} and {far}.")
    spread = max(1.0 - near / far, 1e-3)
    return float(np.clip(0.9 / spread, 1.0, 2.0))


def camera_path(name: str, *, frames: int, width: int, height: int, amplitude: float = 1.0,
                subject_depth: float = 2.0) -> CameraPath:
    """Build a looping camera path.

    Args:
        name: one of :data:`CAMERAS`.
        frames: loop length N.
        width, height: image size in pixels (the focal length is taken as the width: ~53° across).
        amplitude: multiplies the safe default motion; 0 holds the camera still.
        subject_depth: relative depth (nearest = 1) that dolly-zoom keeps at a constant size.
    """
    if name not in CAMERAS:
        raise ValueError(f"Unknown camera {name!r}. Available cameras: {', '.join(CAMERAS)}.")
    if not 0 <= amplitude <= 4:
        raise ValueError(f"camera amplitude must be between 0 and 4, got {amplitude}.")
    if frames < 1:
        raise ValueError(f"frames must be positive, got {frames}.")
    f = float(width)
    a = DEFAULT_SHIFT * width / f * amplitude        # translation that shifts the nearest point
    theta = 2 * math.pi * np.arange(frames) / frames
    zero = np.zeros(frames)
    tx, ty, tz, r = zero.copy(), zero.copy(), zero.copy(), np.ones(frames)
    if name == "circle":
        tx, ty = a * np.cos(theta), 0.6 * a * np.sin(theta)
    elif name == "up-down":
        ty = a * np.sin(theta)
    elif name == "swing":
        tx, tz = a * np.sin(theta), 1.5 * a * (1 - np.cos(theta))
    elif name == "zoom-in":
        tz = 3.0 * a * (1 - np.cos(theta)) / 2
    elif name == "dolly-zoom":
        tz = 4.0 * a * (1 - np.cos(theta)) / 2
        zs = max(subject_depth, 1.5)
        r = zs / (zs - tz)                            # r = f/f' with f' = f·(z_s − t_z)/z_s: subject keeps its size
    return CameraPath(name=name, tx=tx, ty=ty, tz=tz, r=r, focal_px=f, amplitude=amplitude)
