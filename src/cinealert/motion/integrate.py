"""Euler integration of a constant (Eulerian) motion field, computed once for the whole loop.

The particle that is at ``x`` after ``t`` frames was at ``Φ₋ₜ(x)`` at the start: integrating the
field backwards, ``p ← p − M(p)``, ``t`` times. Each step samples ``M`` bilinearly at the current
positions, so all ``N`` displacements cost ``N`` steps in total (not ``N²``). The field is smooth,
so integration runs on a grid ``scale`` times coarser and the displacements are upsampled per frame.
"""
from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np


class EulerIntegrator:
    """Displacements ``D_t(x) = Φ_t(x) − x`` of a constant field, for ``t = 0 … steps``.

    Args:
        flow: ``(H, W, 2)`` float32 field in pixels per frame.
        scale: integer coarsening of the integration grid (1 = full resolution).
    """

    def __init__(self, flow: np.ndarray, *, scale: int = 2) -> None:
        if flow.ndim != 3 or flow.shape[2] != 2:
            raise ValueError(f"flow must have shape (H, W, 2), got {flow.shape}.")
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f"scale must be a positive integer, got {scale!r}.")
        self.shape = flow.shape[:2]
        self.scale = scale
        h, w = self.shape
        self.small_shape = (max(2, -(-h // scale)), max(2, -(-w // scale)))
        sh, sw = self.small_shape
        small = cv2.resize(flow.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
        # Field in coarse-grid pixels; rescale since the grid spacing is `scale` full pixels.
        self.small_flow = (small * np.array([sw / w, sh / h], np.float32)).astype(np.float32)
        gx, gy = np.meshgrid(np.arange(sw, dtype=np.float32), np.arange(sh, dtype=np.float32))
        self._grid = np.stack([gx, gy], -1)

    def iter_small(self, steps: int, *, sign: float) -> Iterator[np.ndarray]:
        """Yield coarse displacements for ``t = 0 … steps`` (sign −1: where pixels came from)."""
        pos = self._grid.copy()
        yield np.zeros_like(pos)
        for _ in range(steps):
            m = cv2.remap(self.small_flow, pos[..., 0], pos[..., 1], cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            pos += sign * m
            yield pos - self._grid

    @property
    def tiles_exactly(self) -> bool:
        """Whether the coarse grid tiles the full one exactly (then :meth:`upsample` of a part is cheap and
        gives the same values as of the whole)."""
        sh, sw = self.small_shape
        return (sh * self.scale, sw * self.scale) == self.shape

    def upsample(self, small_disp: np.ndarray, *, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Full-resolution ``(h, w, 2)`` displacement in full pixels, optionally only inside ``box``.

        ``box`` is ``(y0, y1, x0, x1)`` in full-resolution pixels.
        """
        h, w = self.shape
        sh, sw = self.small_shape
        gain = np.array([w / sw, h / sh], np.float32)
        k = self.scale
        if box is not None and (sh * k, sw * k) == (h, w):
            # Only the coarse cells under the box (one cell of margin keeps the borders as in the full
            # resize): the same values as resizing the whole field and cutting the box out.
            y0, y1, x0, x1 = box
            cy0, cy1 = max(0, y0 // k - 1), min(sh, -(-y1 // k) + 1)
            cx0, cx1 = max(0, x0 // k - 1), min(sw, -(-x1 // k) + 1)
            if (cy0, cy1, cx0, cx1) != (0, sh, 0, sw):
                part = np.ascontiguousarray(small_disp[cy0:cy1, cx0:cx1], dtype=np.float32) * gain
                full = cv2.resize(part, ((cx1 - cx0) * k, (cy1 - cy0) * k), interpolation=cv2.INTER_LINEAR)
                return full[y0 - cy0 * k:y1 - cy0 * k, x0 - cx0 * k:x1 - cx0 * k]
        scaled = small_disp.astype(np.float32) * gain
        full = cv2.resize(scaled, (w, h), interpolation=cv2.INTER_LINEAR)
        if box is not None:
            y0, y1, x0, x1 = box
            full = full[y0:y1, x0:x1]
        return full
