"""Pinhole geometry of the layered renderer, as small functions that work on numpy arrays and torch
tensors alike (plain arithmetic only).

Conventions: pixel ``(u, v)`` has its centre at integer coordinates; the principal point is the image
centre ``((W − 1)/2, (H − 1)/2)``; depth ``z`` is relative (the scene's nearest point ≈ 1) and larger
is farther. A camera pose is a translation ``t = (tx, ty, tz)`` in the same units as depth and a focal
ratio ``r = f / f'`` (1 except for dolly-zoom, where the focal length changes to ``f'``).
"""
from __future__ import annotations

import numpy as np


def intrinsics(width: int, height: int, focal_px: float) -> np.ndarray:
    """The ``(3, 3)`` camera matrix with the principal point at the image centre."""
    if width < 1 or height < 1 or focal_px <= 0:
        raise ValueError(f"need a positive size and focal length, got {width}x{height}, f={focal_px}.")
    return np.array([[focal_px, 0.0, (width - 1) / 2.0],
                     [0.0, focal_px, (height - 1) / 2.0],
                     [0.0, 0.0, 1.0]], np.float64)


def pixel_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``(u, v)``: float32 ``(H, W)`` column and row coordinates of every pixel centre."""
    u, v = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return u, v


def unproject(depth: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Lift every pixel to 3D: ``(H, W)`` depth → ``(H, W, 3)`` points ``(X, Y, Z)`` in the rest camera."""
    if depth.ndim != 2:
        raise ValueError(f"depth must have shape (H, W), got {depth.shape}.")
    h, w = depth.shape
    u, v = pixel_grid(h, w)
    f, cx, cy = float(K[0, 0]), float(K[0, 2]), float(K[1, 2])
    z = depth.astype(np.float32)
    return np.stack([(u - cx) * z / f, (v - cy) * z / f, z], axis=-1)


def project(points: np.ndarray, K: np.ndarray, *, t=(0.0, 0.0, 0.0), r: float = 1.0):
    """Project ``(..., 3)`` points into a camera moved by ``t`` with focal ratio ``r``.

    Returns ``(uv, z)``: ``(..., 2)`` pixel coordinates and ``(...)`` depth seen from that camera.
    """
    f, cx, cy = float(K[0, 0]), float(K[0, 2]), float(K[1, 2])
    fp = f / r
    x = points[..., 0] - t[0]
    y = points[..., 1] - t[1]
    z = points[..., 2] - t[2]
    if (z <= 0).any():
        raise ValueError("a point lies behind the moved camera; reduce the camera's forward motion.")
    uv = np.stack([fp * x / z + cx, fp * y / z + cy], axis=-1)
    return uv, z


def backward_map(u, v, inv_depth, *, focal_px: float, cx: float, cy: float, t=(0.0, 0.0, 0.0), r: float = 1.0):
    """Where each output pixel of the moved camera comes from in the rest image.

    ``u, v`` are the output pixels' coordinates and ``inv_depth`` the inverse depth (``1/z``) of the
    surface seen there; the result is exact for a surface of that depth:
    ``u₀ − cx = r·(u − cx)·(1 − tz/z) + f·tx/z`` (likewise for ``v``). Works on numpy arrays and torch
    tensors.

    Returns ``(u₀, v₀)``.
    """
    tx, ty, tz = t
    shrink = 1.0 - tz * inv_depth
    u0 = r * (u - cx) * shrink + focal_px * tx * inv_depth + cx
    v0 = r * (v - cy) * shrink + focal_px * ty * inv_depth + cy
    return u0, v0
