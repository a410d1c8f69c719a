"""Cinemagraph quality, measured on every render.

- ``loop_seam``: the step from the last frame back to the first, relative to the median step between
  neighbouring frames (1.0 means the wrap is as smooth as any other step; a visible jump is ≫ 1).
- ``static_leakage``: with the camera held still, the mean change outside the (slightly grown) moving
  regions relative to the mean change inside them (0 means static scenery stays perfectly still).
- ``max_flashes_per_s``: general and red flashes (ITU-R BT.1702 / WCAG 2.3.1) in the worst one-second
  window, see :func:`flash_report`.
"""
from __future__ import annotations

import cv2
import numpy as np


def frame_step(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two uint8 frames, in [0, 1]."""
    return float(cv2.absdiff(a, b).mean()) / 255.0


def loop_seam(frames: list[np.ndarray]) -> float:
    """Wrap step (last → first) over the median neighbouring step; frames are uint8 arrays."""
    if len(frames) < 3:
        raise ValueError(f"loop_seam needs at least 3 frames, got {len(frames)}.")
    steps = [frame_step(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
    wrap = frame_step(frames[-1], frames[0])
    typical = float(np.median(steps))
    if typical < 1e-6:
        return 0.0 if wrap < 1e-6 else float("inf")
    return wrap / typical


def static_leakage(start: np.ndarray, later: list[np.ndarray], moving: np.ndarray) -> float:
    """Mean change outside ``moving`` (grown by 3 px) over the mean change inside it.

    Args:
        start: uint8 ``(H, W, 3)`` frame 0 with the camera still.
        later: a few later frames of the same still-camera animation.
        moving: ``(H, W)`` bool mask of the regions that should move.
    """
    if not moving.any() or not later:
        return 0.0
    grown = cv2.dilate(moving.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    inside, outside = [], []
    for f in later:
        d = _channel_mean(cv2.absdiff(f, start))
        inside.append(float(d[moving].mean()))
        outside.append(float(d[~grown].mean()) if (~grown).any() else 0.0)
    denom = float(np.mean(inside))
    return float(np.mean(outside)) / denom if denom > 1e-6 else 0.0


def _channel_mean(diff: np.ndarray) -> np.ndarray:
    """``diff.mean(axis=2)`` of a uint8 ``(H, W, C)`` array, in float64 with the same bits: the sum of whole
    numbers is exact in any order, so it is added up in integers and divided by ``C`` once."""
    total = diff[..., 0].astype(np.uint32)
    for c in range(1, diff.shape[2]):
        total += diff[..., c]
    return total / float(diff.shape[2])


def relative_luminance(frame: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 relative luminance of an sRGB uint8 frame (linearised, BT.709 weights)."""
    lin = _linear(frame)
    return (0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]).astype(np.float32)


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """The sRGB transfer function undone, elementwise on float32 values in [0, 1]."""
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


#: No more than this many flashes in any one-second period (WCAG 2.3.1, ITU-R BT.1702).
FLASH_LIMIT = 3

#: Linear light of every uint8 sRGB value (float32): looking it up gives the very values of computing it.
_LINEAR = _srgb_to_linear(np.arange(256, dtype=np.uint8).astype(np.float32) / 255.0)


def _linear(frame: np.ndarray) -> np.ndarray:
    """Linear light (float32) of a uint8 sRGB array, same shape."""
    return _LINEAR[frame]


class _FlashCounter:
    """Counts completed flashes frame by frame: a pair of opposing transitions over at least ``area`` of
    the frame. A transition completes a flash at a pixel when it opposes the last one that pixel made."""

    def __init__(self, area: float) -> None:
        self.area = area
        self.last_dir = None
        self.events: list[int] = []

    def step(self, i: int, a: np.ndarray, b: np.ndarray, big: np.ndarray) -> None:
        if self.last_dir is None:
            self.last_dir = np.zeros(a.shape, np.int8)
        # +1 / −1 where the change is big (never equal there), 0 elsewhere.
        direction = (b > a).view(np.int8) * np.int8(2) - np.int8(1)
        direction *= big.view(np.int8)
        # Opposing the pixel's last transition: the two directions' product is −1 (0 where either is none).
        opposing = np.multiply(direction, self.last_dir) < 0
        if np.count_nonzero(opposing) / opposing.size >= self.area:
            self.events.append(i)
        np.copyto(self.last_dir, direction, where=big)


def _states(frame: np.ndarray):
    """(relative luminance, red value, saturated-red mask) of one uint8 RGB frame."""
    r, g, b = (_LINEAR[plane] for plane in cv2.split(frame))       # linear light, a plane per channel
    lum = (0.2126 * r + 0.7152 * g + 0.0722 * b).astype(np.float32)
    red = (np.maximum(r - g - b, 0.0) * 320.0).astype(np.float32)
    saturated = (r / np.maximum(r + g + b, 1e-6)) >= 0.8
    return lum, red, saturated


def _worst_second(events: list[int], fps: float) -> int:
    if not events:
        return 0
    window = max(1, int(round(fps)))
    times = np.array(events)
    return max(int(np.sum((times >= t) & (times < t + window))) for t in times)


def flash_report(frames: list[np.ndarray], fps: float, *, area: float = 0.25) -> dict:
    """Photosensitivity analysis of a clip (frames: small uint8 RGB, looped by the caller if it loops).

    - general flash: a pair of opposing changes in relative luminance of at least 0.1 (20 cd/m² on a
      200 cd/m² display) where the darker state is below 0.8, over at least ``area`` of the screen;
    - red flash: a pair of opposing transitions to or from a saturated red (``R / (R + G + B) ≥ 0.8``)
      where the red value ``max(0, R − G − B) · 320`` (linear light) changes by more than 20, over at
      least ``area`` of the screen;
    - the largest frame-to-frame change of the mean luminance (large fast changes of the whole picture).

    ``passes`` is True when neither flash count exceeds :data:`FLASH_LIMIT` in any one-second window.
    """
    if len(frames) < 2:
        return {"general_flashes_per_s": 0, "red_flashes_per_s": 0, "max_luminance_step": 0.0, "passes": True,
                "limit": FLASH_LIMIT}
    # Frame by frame (two frames' states in memory at a time, however long the clip).
    general, reds = _FlashCounter(area), _FlashCounter(area)
    prev = _states(frames[0])
    means = [float(prev[0].mean())]
    for i in range(1, len(frames)):
        cur = _states(frames[i])
        (la, ra, sa), (lb, rb, sb) = prev, cur
        general.step(i, la, lb, (np.abs(lb - la) >= 0.1) & (np.minimum(la, lb) < 0.8))
        reds.step(i, ra, rb, (np.abs(rb - ra) > 20.0) & (sa | sb))
        means.append(float(lb.mean()))
        prev = cur
    general, reds = general.events, reds.events
    g, r = _worst_second(general, fps), _worst_second(reds, fps)
    return {"general_flashes_per_s": g, "red_flashes_per_s": r,
            "max_luminance_step": round(float(np.abs(np.diff(np.array(means))).max()), 4),
            "passes": g <= FLASH_LIMIT and r <= FLASH_LIMIT, "limit": FLASH_LIMIT}


def max_flashes_per_second(frames: list[np.ndarray], fps: float, *, area: float = 0.25) -> float:
    """The largest number of general or red flashes in any one-second window (frames: small uint8 RGB)."""
    rep = flash_report(frames, fps, area=area)
    return float(max(rep["general_flashes_per_s"], rep["red_flashes_per_s"]))
