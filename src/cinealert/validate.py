"""Checks at stage entry: raise with the expected and the actual value, never fix silently."""
from __future__ import annotations

import numpy as np

MIN_SIDE = 64
MAX_SIDE = 4096


def check_image(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Check an ``(H, W, 3)`` float32 image in [0, 1]; return it unchanged."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}.")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{name} must have shape (H, W, 3), got {image.shape}.")
    if image.dtype != np.float32:
        raise TypeError(f"{name} must be float32 in [0, 1], got dtype {image.dtype}.")
    return image


def check_depth(depth: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Check an ``(H, W)`` float32 depth map (larger = farther, positive, finite)."""
    if not isinstance(depth, np.ndarray):
        raise TypeError(f"depth must be a numpy array, got {type(depth).__name__}.")
    if depth.shape != tuple(shape):
        raise ValueError(f"depth must have shape {tuple(shape)}, got {depth.shape}.")
    if depth.dtype != np.float32:
        raise TypeError(f"depth must be float32, got dtype {depth.dtype}.")
    if not np.isfinite(depth).all() or depth.min() <= 0:
        raise ValueError("depth must be finite and positive everywhere.")
    return depth


def check_size(width: int, height: int) -> tuple[int, int]:
    """Check an output size; both sides even (H.264 yuv420p needs it) and within bounds."""
    for side, value in (("width", width), ("height", height)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{side} must be an integer, got {type(value).__name__}.")
        if not MIN_SIDE <= value <= MAX_SIDE:
            raise ValueError(f"{side} must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {value}.")
        if value % 2:
            raise ValueError(f"{side} must be even (H.264 with yuv420p needs it), got {value}.")
    return int(width), int(height)
