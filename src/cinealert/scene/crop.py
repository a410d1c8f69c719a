"""Cut a picture to the output's aspect around what moves (the mobile preset's portrait window)."""
from __future__ import annotations

import cv2
import numpy as np

from cinealert.regions import Region


def motion_crop(image: np.ndarray, regions: np.ndarray, depth: np.ndarray, *, size: tuple[int, int]):
    """Crop the window of ``size``'s aspect that holds the most moving pixels, scaled to ``size``.

    Returns the cropped image, regions and depth, and what was done (for the report)."""
    tw, th = size
    h, w = image.shape[:2]
    if tw / th < w / h:                      # a narrower window: slide it sideways
        cw, ch = min(w, int(round(h * tw / th))), h
    else:
        cw, ch = w, min(h, int(round(w * th / tw)))
    # What the viewer must see counts most: the flood water or the flames, not the sky drifting over them.
    weights = np.ones(len(Region), np.float64)
    weights[[Region.NONE, Region.CLOUD, Region.SMOKE, Region.DUST]] = (0.0, 0.15, 0.5, 0.3)
    moving = weights[regions]
    if cw < w:
        cols = np.concatenate([[0.0], np.cumsum(moving.sum(0))])
        score = cols[cw:] - cols[:-cw]
        best = np.flatnonzero(score >= 0.98 * score.max())
        x0, y0 = int(best[np.argmin(np.abs(best - (w - cw) / 2))]), 0
    else:
        rows = np.concatenate([[0.0], np.cumsum(moving.sum(1))])
        score = rows[ch:] - rows[:-ch]
        best = np.flatnonzero(score >= 0.98 * score.max())
        x0, y0 = 0, int(best[np.argmin(np.abs(best - (h - ch) / 2))])
    sl = (slice(y0, y0 + ch), slice(x0, x0 + cw))
    img, reg, dep = image[sl], regions[sl], depth[sl]
    if (cw, ch) != (tw, th):
        interp = cv2.INTER_AREA if cw > tw else cv2.INTER_CUBIC
        img = np.clip(cv2.resize(img, (tw, th), interpolation=interp), 0, 1).astype(np.float32)
        reg = cv2.resize(reg, (tw, th), interpolation=cv2.INTER_NEAREST)
        dep = np.maximum(cv2.resize(dep, (tw, th), interpolation=cv2.INTER_LINEAR), 1e-3).astype(np.float32)
    info = {"source": [w, h], "window": [x0, y0, cw, ch], "scaled_to": [tw, th],
            "moving_share_kept": round(float(moving[sl].sum() / max(moving.sum(), 1.0)), 4)}
    return np.ascontiguousarray(img), np.ascontiguousarray(reg), np.ascontiguousarray(dep), info
