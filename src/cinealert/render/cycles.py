"""How many times the fluid's symmetric loop runs per camera loop, chosen from the motion and the picture.

Halfway through a flow cycle the symmetric loop shows two copies of the texture at one half each, lying
``speed × period`` pixels apart along the flow (see :mod:`cinealert.evaluate.ghosting`). Two copies closer
than the texture's grain look like one slightly soft copy; farther apart, they ghost. So the cycle count
``K`` (a divisor of the loop's ``N`` frames) is the smallest that brings that distance within
:data:`GRAIN_MULTIPLE` grains, as long as a cycle lasts at least :data:`MIN_CYCLE_S` (shorter cycles make
the texture visibly repeat).
"""
from __future__ import annotations

import cv2
import numpy as np

#: Largest distance between the two blended copies, in texture grains (measured: see docs/rendering.md).
#: 8 since the blend keeps the copies' detail (render/renderer.py ``contrast_kept_blend``); 4 before.
GRAIN_MULTIPLE = 8.0
#: Shortest flow cycle, in seconds.
MIN_CYCLE_S = 0.5


def texture_grain(image: np.ndarray, mask: np.ndarray) -> float:
    """The texture's grain in pixels inside ``mask``: ``σ(I) / σ(∇I)`` of the lightly smoothed luminance
    (the correlation length of a random texture; about λ/2π for a ripple of wavelength λ)."""
    lum = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2GRAY)
    lum = cv2.GaussianBlur(lum, (0, 0), 0.7)
    inside = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if inside.sum() < 64:
        return float("inf")
    # Only the local texture counts, not the region's slow shading: take out a wide blur first.
    detail = lum - cv2.GaussianBlur(lum, (0, 0), 8.0)
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    grad = float(np.sqrt(np.mean(gx[inside] ** 2 + gy[inside] ** 2)))
    spread = float(np.std(detail[inside]))
    return max(1.0, spread / grad) if grad > 1e-6 else float("inf")


def auto_flow_cycles(flow: np.ndarray, mask: np.ndarray, image: np.ndarray, *, frames: int, fps: float) -> dict:
    """The cycle count for one scene and why: ``{"cycles", "speed_px", "grain_px", "offset_px"}``.

    Args:
        flow: ``(H, W, 2)`` Eulerian field, pixels per frame.
        mask: ``(H, W)`` soft fluid mask.
        image: ``(H, W, 3)`` float32 picture.
        frames: the loop's length ``N``; fps: its frame rate.
    """
    fluid = mask > 0.5
    speed = np.hypot(flow[..., 0], flow[..., 1])[fluid]
    divisors = [k for k in range(1, frames + 1) if frames % k == 0]
    if speed.size == 0 or float(speed.max()) < 1e-6:
        return {"cycles": 1, "speed_px": 0.0, "grain_px": None, "offset_px": 0.0}
    v = float(np.percentile(speed, 90))
    grain = texture_grain(image, fluid)
    longest = max(1, int(frames // max(1.0, MIN_CYCLE_S * fps)))      # the most cycles allowed
    cycles = 1
    for k in divisors:
        if k > longest:
            break
        cycles = k
        if v * frames / k <= GRAIN_MULTIPLE * grain:
            break
    return {"cycles": cycles, "speed_px": round(v, 3), "grain_px": round(grain, 2),
            "offset_px": round(v * frames / cycles, 2)}
