"""Cinemagraph quality, measured on every render.

- ``loop_seam``: the step from the last frame back to the first, relative to the median step between
  neighbouring frames (1.0 means the wrap is as smooth as any other step; a visible jump is ≫ 1).
- ``static_leakage``: with the camera held still, the mean change outside the (slightly grown) moving
  regions relative to the mean change inside them (0 means static scenery stays perfectly still).
- ``max_flashes_per_s``: general flashes (ITU-R BT.1702 / WCAG 2.3.1 style) in the worst one-second
  window: a flash is a pair of opposing relative-luminance changes of at least 0.1 where the darker
  state is below 0.8, over at least a quarter of the frame.
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
        d = cv2.absdiff(f, start).mean(axis=2)
        inside.append(float(d[moving].mean()))
        outside.append(float(d[~grown].mean()) if (~grown).any() else 0.0)
    denom = float(np.mean(inside))
    return float(np.mean(outside)) / denom if denom > 1e-6 else 0.0


def relative_luminance(frame: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 relative luminance of an sRGB uint8 frame (linearised, BT.709 weights)."""
    c = frame.astype(np.float32) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return (0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]).astype(np.float32)


def max_flashes_per_second(frames: list[np.ndarray], fps: float, *, area: float = 0.25) -> float:
    """The largest number of general flashes in any one-second window (frames: small uint8 RGB)."""
    if len(frames) < 2:
        return 0.0
    lum = [relative_luminance(f) for f in frames]
    # Per-pixel direction of each significant transition (+1 brighter, −1 darker, 0 none).
    last_dir = np.zeros(lum[0].shape, np.int8)
    events = []          # frame index of each completed flash (opposing pair) over a large area
    for i in range(1, len(lum)):
        a, b = lum[i - 1], lum[i]
        big = (np.abs(b - a) >= 0.1) & (np.minimum(a, b) < 0.8)
        direction = np.where(big, np.sign(b - a), 0).astype(np.int8)
        opposing = big & (last_dir != 0) & (direction != last_dir)
        if opposing.mean() >= area:
            events.append(i)
        last_dir = np.where(big, direction, last_dir)
    if not events:
        return 0.0
    window = max(1, int(round(fps)))
    times = np.array(events)
    worst = max(int(np.sum((times >= t) & (times < t + window))) for t in times)
    return float(worst)
