"""Ghosting of looping fluid: does the moving texture stay one sharp copy, or show two?

The symmetric loop blends two copies of the start texture that lie ``speed × period`` apart along the
flow; halfway through a flow cycle each weighs one half. Where that distance exceeds the texture's grain,
the viewer sees two faint copies (doubled edges, a washed-out mush) instead of one sharp texture.

- ``ghost_sharpness``: band-pass energy of the moving region in the worst later frame over that in the
  start frame (1 = as sharp as the picture; two uncorrelated copies at one half each give about 0.5).
- ``double_edge``: how much the worst later frame looks like two shifted copies: tile by tile, the
  highest side peak of the band-passed texture's normalised autocorrelation (away from the centre), minus
  the same in the start frame (0 = no second copy; an even blend of two shifted copies gives about 0.5).

Frames are uint8 RGB; the analysis runs at most :data:`WORK_WIDTH` pixels wide.
"""
from __future__ import annotations

import cv2
import numpy as np

WORK_WIDTH = 512
TILE = 96          # analysis pixels; side peaks are searched up to half a tile away
CENTRE = 3         # the autocorrelation's own central peak: offsets this close are not a second copy


def _prepare(frame: np.ndarray, mask: np.ndarray, *, erode: int = 2,
             work_width: int | None = WORK_WIDTH) -> tuple[np.ndarray, np.ndarray]:
    """Band-passed luminance and mask (eroded by ``erode`` px) at the working size (None: as it is)."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"frames must be (H, W, 3) uint8, got {frame.shape} {frame.dtype}.")
    if mask.shape != frame.shape[:2]:
        raise ValueError(f"mask must have shape {frame.shape[:2]}, got {mask.shape}.")
    lum = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    m = mask.astype(np.float32)
    h, w = lum.shape
    if work_width is not None and w > work_width:
        size = (work_width, max(8, int(round(h * work_width / w))))
        lum = cv2.resize(lum, size, interpolation=cv2.INTER_AREA)
        m = cv2.resize(m, size, interpolation=cv2.INTER_AREA)
    band = cv2.GaussianBlur(lum, (0, 0), 0.8) - cv2.GaussianBlur(lum, (0, 0), 2.5)
    inside = (m > 0.5).astype(np.uint8)
    if erode:
        inside = cv2.erode(inside, np.ones((2 * erode + 1,) * 2, np.uint8))
    return band, inside.astype(bool)


def band_energy(frame: np.ndarray, mask: np.ndarray, *, erode: int = 2,
                work_width: int | None = WORK_WIDTH) -> float:
    """Mean squared band-pass luminance inside ``mask`` (eroded ``erode`` px): the texture's sharpness."""
    return _energy(*_prepare(frame, mask, erode=erode, work_width=work_width))


def _energy(band: np.ndarray, inside: np.ndarray) -> float:
    return float(np.mean(band[inside] ** 2)) if inside.any() else 0.0


def side_peak(frame: np.ndarray, mask: np.ndarray) -> float:
    """Mean over tiles inside ``mask`` of the highest autocorrelation side peak of the band-passed texture."""
    return _peak(*_prepare(frame, mask))


def _peak(band: np.ndarray, inside: np.ndarray) -> float:
    h, w = band.shape
    win = np.outer(np.hanning(TILE), np.hanning(TILE)).astype(np.float32)
    yy, xx = np.mgrid[-(TILE // 2):TILE - TILE // 2, -(TILE // 2):TILE - TILE // 2]
    near = np.hypot(yy, xx) <= CENTRE
    peaks = []
    step = TILE // 2
    for y in range(0, max(1, h - TILE + 1), step):
        for x in range(0, max(1, w - TILE + 1), step):
            if y + TILE > h or x + TILE > w or inside[y:y + TILE, x:x + TILE].mean() < 0.6:
                continue
            tile = band[y:y + TILE, x:x + TILE] * win
            spec = np.fft.rfft2(tile)
            ac = np.fft.fftshift(np.fft.irfft2(np.abs(spec) ** 2, s=tile.shape))
            zero = float(ac[TILE // 2, TILE // 2])
            if zero <= 1e-9:
                continue
            ac = ac / zero
            ac[near] = 0.0
            peaks.append(float(ac.max()))
    return float(np.mean(peaks)) if peaks else 0.0


def ghosting(start: np.ndarray, later: list[np.ndarray], mask: np.ndarray) -> dict:
    """``ghost_sharpness`` and ``double_edge`` of the worst of ``later`` against ``start`` (see the module).

    Args:
        start: frame 0, uint8 ``(H, W, 3)`` (the picture itself in a symmetric loop).
        later: frames inside the loop, above all those halfway through a flow cycle.
        mask: ``(H, W)`` bool, the regions whose texture flows.
    Returns None values when the mask holds no texture to measure.
    """
    if not later:
        raise ValueError("ghosting needs at least one later frame.")
    first = _prepare(start, mask)                 # each frame is prepared once for both measures
    e0 = _energy(*first)
    if e0 <= 1e-7:
        return {"ghost_sharpness": None, "double_edge": None}
    p0 = _peak(*first)
    prepared = [_prepare(f, mask) for f in later]
    sharp = min(_energy(*p) / e0 for p in prepared)
    double = max(_peak(*p) - p0 for p in prepared)
    return {"ghost_sharpness": round(float(sharp), 4), "double_edge": round(float(max(0.0, double)), 4)}
