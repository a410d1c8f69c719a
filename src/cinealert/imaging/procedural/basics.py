"""Colour, noise and geometry helpers shared by every painter (numpy + OpenCV, deterministic in the seed)."""
from __future__ import annotations

import math

import cv2
import numpy as np


SKY_DEPTH = 100.0     # depth of the sky


GROUND_MAX = 80.0     # ground depth is clamped to this near the horizon


def colour(*rgb) -> np.ndarray:
    return np.asarray(rgb, np.float32)


def mix(a, b, t):
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    return a + (b - a) * np.float32(t)


def smooth(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def lum(img):
    return img[..., 0] * 0.2126 + img[..., 1] * 0.7152 + img[..., 2] * 0.0722


def grid_noise(rng, h, w, cy, cx, wrap=False):
    """One octave of smooth noise (about unit variance) with ``cy`` x ``cx`` cells over the frame.

    Random values on a grid are upsampled to 8 px a cell, blurred (which removes the blocky grid look
    of plain interpolation) and resized to the frame. ``wrap`` makes it tile seamlessly.
    """
    cy = max(int(round(cy)), 1)
    cx = max(int(round(cx)), 1)
    g = rng.standard_normal((cy, cx)).astype(np.float32)
    g = np.pad(g, 3, mode="wrap")
    k = 8
    small = cv2.resize(g, ((cx + 6) * k, (cy + 6) * k), interpolation=cv2.INTER_LINEAR)
    small = cv2.GaussianBlur(small, (0, 0), k * 0.45)
    if wrap:  # keep one cell of margin on each side so the resize does not clamp at the seam
        small = small[2 * k:(cy + 4) * k, 2 * k:(cx + 4) * k]
        mx, my = w / cx, h / cy
        big = cv2.resize(small, (int(round(w + 2 * mx)), int(round(h + 2 * my))), interpolation=cv2.INTER_LINEAR)
        ox, oy = int(round(mx)), int(round(my))
        return big[oy:oy + h, ox:ox + w] * np.float32(2.2)
    oy = int(rng.integers(k, 2 * k))
    ox = int(rng.integers(k, 2 * k))
    small = small[oy:oy + (cy + 1) * k, ox:ox + (cx + 1) * k]
    size = (int(math.ceil(w * (cx + 1) / cx)), int(math.ceil(h * (cy + 1) / cy)))
    out = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
    return out * np.float32(2.2)


def fbm(rng, h, w, cy, cx, octaves=4, gain=0.5, res=1.0, wrap=False):
    """Fractal noise of ``octaves`` octaves; computed at ``res`` of the size and resized up."""
    hh, ww = max(int(h * res), 2), max(int(w * res), 2)
    out = np.zeros((hh, ww), np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        out += np.float32(amp) * grid_noise(rng, hh, ww, cy * 2 ** o, cx * 2 ** o, wrap)
        tot += amp * amp
        amp *= gain
    out /= np.float32(math.sqrt(tot))
    if (hh, ww) != (h, w):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def fbm1d(rng, n, cells, octaves=4, gain=0.5):
    return fbm(rng, 1, n, 1, cells, octaves, gain)[0]


def shift_up(a, k):
    """``a`` moved up by ``k`` rows (row y holds a[y + k]); the bottom rows repeat the last row."""
    return np.concatenate([a[k:], np.repeat(a[-1:], k, 0)], 0)


def shift_down(a, k):
    """``a`` moved down by ``k`` rows (row y holds a[y - k]); the top rows repeat the first row."""
    return np.concatenate([np.repeat(a[:1], k, 0), a[:-k]], 0)


def ramp(x, stops):
    """Colour ramp: ``stops`` is a list of (position, rgb)."""
    pos = [s[0] for s in stops]
    out = np.empty(x.shape + (3,), np.float32)
    for k in range(3):
        out[..., k] = np.interp(x, pos, [s[1][k] for s in stops])
    return out


def circle(cx, cy, rx, ry=None, n=20, start=0.0, stop=2 * math.pi):
    ry = rx if ry is None else ry
    t = np.linspace(start, stop, n, endpoint=False if stop - start >= 2 * math.pi - 1e-6 else True)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def rot(pts, cx, cy, ang):
    c, s = math.cos(ang), math.sin(ang)
    p = np.asarray(pts, np.float64) - (cx, cy)
    return np.stack([p[:, 0] * c - p[:, 1] * s + cx, p[:, 0] * s + p[:, 1] * c + cy], 1)
