"""Smooth random fields, seeded: the raw material of natural-looking motion."""
from __future__ import annotations

import cv2
import numpy as np


def smooth_noise(shape: tuple[int, int], *, scale: float, rng: np.random.Generator,
                 channels: int = 1) -> np.ndarray:
    """Band-limited noise in about [-1, 1] with features about ``scale`` pixels across.

    Returns ``(H, W)`` float32, or ``(H, W, channels)`` when ``channels > 1``.
    """
    h, w = shape
    gh = max(2, int(round(h / max(scale, 1.0))) + 2)
    gw = max(2, int(round(w / max(scale, 1.0))) + 2)
    grid = rng.standard_normal((gh, gw, channels)).astype(np.float32)
    field = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    if channels == 1:
        field = field.reshape(h, w)
    std = float(field.std()) or 1.0
    return np.clip(field / (2.0 * std), -1.0, 1.0).astype(np.float32)
