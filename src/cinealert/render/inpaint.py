"""Built-in inpainters: fill what a nearer layer hides so that moving the camera reveals no hole.

Both follow one small contract: ``inpaint(image, known) -> image`` where ``image`` is ``(H, W, C)``
float32 and ``known`` an ``(H, W)`` bool mask of trustworthy pixels; known pixels come back unchanged.
"""
from __future__ import annotations

import cv2
import numpy as np


def _plain(img: np.ndarray) -> bool:
    """Whether every value is finite and non-negative (a picture in [0, 1], an inverse depth): then a pixel
    times 0 is +0 and the fills may skip arithmetic whose result they know, with the very same numbers."""
    return img.size > 0 and bool(img.min() >= 0.0) and bool(img.max() < np.inf)


def push_pull_fill(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill unknown pixels from their known surroundings with a push-pull pyramid.

    Known pixels are averaged down a pyramid until every level is covered, then the coarse levels are
    pulled back up and blended in where pixels were unknown. Cost is linear in the number of pixels and
    the result is smooth, with no seams at the edge of the known region.

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` float32.
        known: ``(H, W)`` bool or float32 in [0, 1].
    Returns:
        Array like ``image``: known pixels unchanged, unknown pixels filled.
    """
    if image.shape[:2] != known.shape:
        raise ValueError(f"known must have shape {image.shape[:2]}, got {known.shape}.")
    img = image.astype(np.float32, copy=False)
    squeeze = img.ndim == 2
    if squeeze:
        img = img[..., None]
    m = known.astype(np.float32)
    if not m.any():
        raise ValueError("push_pull_fill needs at least one known pixel.")
    # A 0/1 mask over finite, non-negative values: the full-size level is a copy (img·1 = img, img·0 = +0),
    # and its pull-up leaves the known pixels as they are and the others the level above, upsampled.
    quick = known.dtype == bool and _plain(img)
    mask_u8 = known.astype(np.uint8) if quick else None
    colours = [cv2.copyTo(img, mask_u8, np.zeros_like(img)).reshape(img.shape) if quick else img * m[..., None]]
    weights = [m]
    while min(weights[-1].shape) > 2:
        h, w = weights[-1].shape
        size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
        c = cv2.resize(colours[-1], size, interpolation=cv2.INTER_AREA)
        if c.ndim == 2:
            c = c[..., None]
        colours.append(c)
        weights.append(cv2.resize(weights[-1], size, interpolation=cv2.INTER_AREA))
    # Top of the pyramid: normalise what is there, fall back to the global mean (only summed when used).
    top_w = weights[-1][..., None]
    covered = top_w > 1e-6
    mean = (colours[0].reshape(-1, img.shape[2]).sum(0) / max(float(m.sum()), 1e-6) if not covered.all()
            else np.zeros(img.shape[2], np.float32))
    filled = np.where(covered, colours[-1] / np.maximum(top_w, 1e-6), mean).astype(np.float32)
    for level in range(len(colours) - 2, -1 if not quick else 0, -1):
        h, w = weights[level].shape
        up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
        if up.ndim == 2:
            up = up[..., None]
        wl = np.clip(weights[level], 0.0, 1.0)[..., None]
        # wl·avg + (1 − wl)·up, avg = colour / max(wl, 1e-6), computed in place
        filled = np.divide(colours[level], np.maximum(wl, 1e-6))
        filled *= wl
        up *= 1.0 - wl
        filled += up
    if quick:
        h, w = known.shape
        out = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR).reshape(img.shape)
        cv2.copyTo(img, mask_u8, out)
    else:
        out = np.where(m[..., None] >= 1.0, img, filled)
    return out[..., 0] if squeeze else out


def mirror_fill(image: np.ndarray, known: np.ndarray, *, reach: float = 24.0) -> np.ndarray:
    """Fill unknown pixels with the known texture mirrored across the edge, smooth fill beyond ``reach``.

    Each unknown pixel ``p`` takes the colour at ``2q − p``, where ``q`` is its nearest known pixel:
    the texture next to the edge continues behind it, as if reflected, instead of a blur. That is what
    a moving camera reveals first (a strip as wide as the largest parallax). Farther than ``reach``
    pixels from the edge, or where the mirrored point is itself unknown, the push-pull fill is used,
    with a soft hand-over between the two.

    Only the strip within ``reach`` (and the blur's few pixels) is mirrored: beyond it the hand-over's
    weight is exactly 0 and the fill is the push-pull one, so the numbers are those of mirroring every pixel.

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` float32.
        known: ``(H, W)`` bool mask of trustworthy pixels (at least one).
        reach: distance in pixels over which mirrored texture is used; 0 gives the push-pull fill.
    Returns:
        Array like ``image``: known pixels unchanged, unknown pixels filled.
    """
    if image.shape[:2] != known.shape:
        raise ValueError(f"known must have shape {image.shape[:2]}, got {known.shape}.")
    if reach < 0:
        raise ValueError(f"reach must be non-negative, got {reach}.")
    smooth = push_pull_fill(image, known)
    known = known.astype(bool)
    if known.all() or reach == 0:
        return smooth
    img = image.astype(np.float32, copy=False)
    dist, labels = cv2.distanceTransformWithLabels((~known).astype(np.uint8), cv2.DIST_L2, 5,
                                                   labelType=cv2.DIST_LABEL_PIXEL)
    # Coordinates of the known pixel behind every label: each known pixel is its own label, numbered 1, 2, …
    # in raster order (OpenCV's DIST_LABEL_PIXEL), the order of np.nonzero.
    ky, kx = np.nonzero(known)
    lab_x = np.zeros(ky.size + 1, np.float32)
    lab_y = np.zeros_like(lab_x)
    lab_x[1:] = kx
    lab_y[1:] = ky
    # Hand over to the smooth fill towards `reach`, and wherever the mirror lands on unknown pixels. A known
    # pixel is its own nearest one: its mirror is itself (weight 1); beyond `reach` the ramp is 0.
    ramp = np.clip(1.5 - 1.5 * dist / max(reach, 1e-6), 0.0, 1.0)
    weight = ramp.copy()
    strip = np.nonzero(~known & (ramp > 0.0))
    ok = _mirrored(known.astype(np.float32), strip, labels, lab_x, lab_y, cv2.BORDER_CONSTANT)
    weight[strip] = ramp[strip] * np.clip(ok, 0.0, 1.0)
    weight = cv2.GaussianBlur(weight, (0, 0), 1.0)
    # Where the blurred weight is 0 the blend is the smooth fill (for finite, non-negative pictures exactly).
    blend = np.nonzero(~known & (weight > 0.0)) if _plain(img) else np.nonzero(~known)
    mirrored = _mirrored(img, blend, labels, lab_x, lab_y, cv2.BORDER_REFLECT)
    wb = weight[blend]
    if img.ndim == 3:
        wb = wb[:, None]
        mirrored = mirrored.reshape(-1, img.shape[2])
    out = smooth
    out[blend] = (wb * mirrored + (1.0 - wb) * smooth[blend]).astype(np.float32)
    return out


def _mirrored(src: np.ndarray, at: tuple[np.ndarray, np.ndarray], labels: np.ndarray, lab_x: np.ndarray,
              lab_y: np.ndarray, border: int) -> np.ndarray:
    """``src`` sampled (bilinearly) at the mirror ``2q − p`` of the pixels ``p`` at ``at`` (rows, columns),
    ``q`` the known pixel of each one's label: one value (or colour) per pixel."""
    ys, xs = at
    n = ys.size
    if n == 0:
        return np.zeros((0,) + src.shape[2:], np.float32)
    lab = labels[ys, xs]
    mx = 2.0 * lab_x[lab] - xs.astype(np.float32)
    my = 2.0 * lab_y[lab] - ys.astype(np.float32)
    # remap wants a map under 32767 on each side: the pixels laid out in rows of `cols`.
    cols = min(n, 4096)
    rows = -(-n // cols)
    pad = rows * cols - n
    mx = np.pad(mx, (0, pad)).reshape(rows, cols)
    my = np.pad(my, (0, pad)).reshape(rows, cols)
    got = cv2.remap(src, mx, my, cv2.INTER_LINEAR, borderMode=border)
    return got.reshape((rows * cols,) + src.shape[2:])[:n]


class MirrorInpainter:
    """The default: texture mirrored across the edge where the camera looks first, push-pull beyond.

    ``reach`` is set by the layer builder to the largest parallax of the camera path."""

    name = "mirror"
    thread_safe = True         # a pure function of its arguments: build_layers may run two at once
    summary = "built-in: edge texture mirrored into the hidden strip the camera reveals, push-pull beyond"
    reach: float = 24.0

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def inpaint(self, image: np.ndarray, known: np.ndarray) -> np.ndarray:
        return mirror_fill(image, known, reach=self.reach)


class PushPullInpainter:
    name = "pushpull"
    thread_safe = True
    summary = "built-in push-pull pyramid fill: smooth, seamless, linear time"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def inpaint(self, image: np.ndarray, known: np.ndarray) -> np.ndarray:
        return push_pull_fill(image, known)


class TeleaInpainter:
    """OpenCV's fast-marching inpainting (Telea), run at reduced size for the wide holes of layers."""

    name = "telea"
    thread_safe = True
    summary = "OpenCV fast-marching inpainting (Telea): sharper continuation of edges, slower"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in (OpenCV)"

    def inpaint(self, image: np.ndarray, known: np.ndarray) -> np.ndarray:
        if image.shape[:2] != known.shape:
            raise ValueError(f"known must have shape {image.shape[:2]}, got {known.shape}.")
        base = push_pull_fill(image, known)          # far from any known pixel, fall back to smooth fill
        h, w = known.shape
        factor = max(1, int(np.ceil(max(h, w) / 512)))
        small = cv2.resize(np.clip(base, 0, 1), (w // factor, h // factor), interpolation=cv2.INTER_AREA)
        hole = cv2.resize((~known.astype(bool)).astype(np.uint8), (w // factor, h // factor),
                          interpolation=cv2.INTER_NEAREST)
        u8 = (small * 255 + 0.5).astype(np.uint8)
        if u8.ndim == 2 or u8.shape[2] in (1, 3):
            filled = cv2.inpaint(u8, hole, 5, cv2.INPAINT_TELEA).astype(np.float32) / 255
        else:                                          # more channels: inpaint one at a time
            filled = np.stack([cv2.inpaint(u8[..., c], hole, 5, cv2.INPAINT_TELEA)
                               for c in range(u8.shape[2])], -1).astype(np.float32) / 255
        up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR).reshape(base.shape)
        keep = known.astype(bool)
        return np.where(keep[..., None] if base.ndim == 3 else keep, image, up).astype(np.float32)
