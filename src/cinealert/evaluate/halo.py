"""Halos behind swaying objects: is what a tree crown reveals as it swings aside textured, or a smear?

When an object sways, the strip along its edge that it uncovers shows what the renderer filled in behind
it. ``halo_hf`` is the band-pass energy (the texture, see :func:`cinealert.evaluate.ghosting.band_energy`)
of that fill in the strip (the object's edge, as deep as the sway reaches), over the energy of the picture
in a ring just outside the object: about 1 when the revealed area has the grain of its surroundings, near
0 for a soft, smooth fill (the halo).
"""
from __future__ import annotations

import cv2
import numpy as np

from cinealert.evaluate.ghosting import band_energy


def halo_hf(filled: np.ndarray, picture: np.ndarray, alpha: np.ndarray, *, reach: float,
            ring: int = 9) -> float | None:
    """Texture of the fill in the strip an object reveals, over the picture's texture around it.

    Args:
        filled: uint8 ``(H, W, 3)``: the picture with the objects taken out and filled in behind them.
        picture: uint8 ``(H, W, 3)``: the picture itself.
        alpha: ``(H, W)`` float alpha of the objects at rest.
        reach: how far (pixels) the objects sway: the depth of the strip they can reveal.
        ring: width in pixels of the reference band around the objects.
    Returns None when there is no strip or no texture around it.
    """
    if filled.shape != picture.shape or alpha.shape != picture.shape[:2]:
        raise ValueError(f"filled, picture and alpha must agree in size, got {filled.shape}, {picture.shape} "
                         f"and {alpha.shape}.")
    if reach <= 0:
        raise ValueError(f"reach must be positive, got {reach}.")
    inside = (alpha > 0.5).astype(np.uint8)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
    strip = (depth > 0) & (depth <= reach)
    soft = cv2.dilate((alpha > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8))
    around = cv2.dilate(soft, np.ones((2 * ring + 1,) * 2, np.uint8)).astype(bool) & ~soft.astype(bool)
    if strip.sum() < 50 or around.sum() < 50:
        return None
    ref = band_energy(picture, around, erode=0, work_width=None)
    if ref <= 1e-9:
        return None
    return round(band_energy(filled, strip, erode=0, work_width=None) / ref, 4)
