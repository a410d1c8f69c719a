"""Whole-frame effects drawn over the rendered frame: rain, snow, embers and drifting haze.

Every particle moves on a torus whose size is chosen so that, over the N frames of a loop, it travels
a whole number of turns in both directions: frame N equals frame 0 exactly. Particles live at three
depths; nearer ones are larger, brighter and faster, which reads as depth.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

_SHIFT = 4                      # sub-pixel drawing precision (1/16 pixel)
_ONE = 1 << _SHIFT

#: The particles' colours.
COLOURS = {"rain": (205, 215, 230), "snowfall": (250, 252, 255), "embers": (255, 170, 60),
           "dust_haze": (214, 182, 120)}


def _products() -> np.ndarray:
    """``round(x·y / 255)`` for every pair of uint8 values (x·y / 255 is never a half): ``(256, 256)`` uint8."""
    x = np.arange(256, dtype=np.uint32)
    return ((2 * x[:, None] * x[None, :] + 255) // 510).astype(np.uint8)


_PRODUCT = _products()
#: Each colour painted at every coverage: ``(256, 3)`` uint8, ``_PRODUCT[colour, a]``.
_PAINT = {kind: np.stack([_PRODUCT[c] for c in rgb], axis=1) for kind, rgb in COLOURS.items()}


class ParticleEffect:
    """One effect of a :class:`~cinealert.motion.base.MotionPlan` (``effect["kind"]``), ready to draw.

    Args:
        effect: settings from the motion plan (``kind``, ``density``, ``speed``, ``seed``, ...).
        width, height: frame size.
        frames: loop length N.
        fps: frames per second.
    """

    def __init__(self, effect: dict, *, width: int, height: int, frames: int, fps: float) -> None:
        self.kind = effect["kind"]
        if self.kind not in ("rain", "snowfall", "embers", "dust_haze"):
            raise ValueError(f"Unknown effect {self.kind!r}.")
        self.w, self.h, self.n = width, height, frames
        self.seconds = frames / fps
        self.rng = np.random.default_rng(effect.get("seed", 0))
        self.density = float(effect.get("density", 1.0))
        self.speed = float(effect.get("speed", 1.0))
        self.angle = math.radians(float(effect.get("angle_deg", 0.0)))
        self.scale = width / 1024.0
        self._alpha = np.zeros((height, width), np.uint8)
        self._rgb = COLOURS[self.kind]
        self._tiers = self._make_tiers() if self.kind != "dust_haze" else []
        self._haze = self._make_haze() if self.kind == "dust_haze" else None

    # -- set-up ----------------------------------------------------------------------------
    def _make_tiers(self) -> list[dict]:
        """Three depth tiers of particles with whole-turn velocities."""
        area = self.w * self.h / (1024 * 576)
        if self.kind == "rain":
            spec = [(0.9, 320, 0.26, 1.0), (1.5, 150, 0.36, 1.3), (2.3, 45, 0.5, 2.0)]   # (H/s, count, alpha, size)
        elif self.kind == "snowfall":
            spec = [(0.16, 420, 0.55, 1.2), (0.26, 220, 0.75, 2.0), (0.42, 70, 0.9, 3.4)]
        else:   # embers rise
            spec = [(-0.18, 40, 0.6, 1.1), (-0.3, 25, 0.8, 1.6), (-0.45, 10, 0.95, 2.2)]
        tiers = []
        for speed_h, count, alpha, size in spec:
            count = max(4, int(count * self.density * area))
            margin = 0.15 * self.h
            span_y = self.h + 2 * margin
            turns_y = max(1, int(round(abs(speed_h) * self.speed * self.seconds * self.h / span_y)))
            vy = math.copysign(turns_y * span_y / self.n, speed_h) if self.speed > 0 else 0.0
            travel_x = math.tan(self.angle) * vy * self.n
            if abs(travel_x) < 0.25 * self.w:
                span_x, vx = float(self.w + 2 * margin), 0.0
            else:
                turns_x = max(1, int(round(abs(travel_x) / self.w)))
                span_x = abs(travel_x) / turns_x
                vx = math.copysign(turns_x * span_x / self.n, travel_x)
            tiers.append({
                "x0": self.rng.uniform(0, span_x, count), "y0": self.rng.uniform(0, span_y, count),
                "phase": self.rng.uniform(0, 2 * math.pi, count),
                "span": (span_x, span_y), "margin": margin, "v": (vx, vy),
                "alpha": alpha, "size": size * self.scale,
                "sway_cycles": max(1, int(round(0.5 * self.seconds))),
            })
        return tiers

    def _make_haze(self) -> np.ndarray:
        """A horizontally periodic haze texture (period = width) to scroll by whole widths."""
        xs = np.arange(self.w, dtype=np.float32) / self.w
        ys = np.arange(self.h, dtype=np.float32)[:, None] / self.h
        tex = np.zeros((self.h, self.w), np.float32)
        for _ in range(6):
            k = int(self.rng.integers(1, 5))
            ph = self.rng.uniform(0, 2 * math.pi)
            wob = self.rng.uniform(2, 6)
            tex += np.sin(2 * math.pi * k * xs[None, :] + ph + wob * ys) / k
        tex = (tex - tex.min()) / max(1e-6, float(np.ptp(tex)))
        vertical = np.clip(1.1 - ys * 0.6, 0, 1)
        return (0.10 + 0.22 * tex * vertical) * self.density

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, frame: np.ndarray, t: int) -> np.ndarray:
        """Return ``frame`` (``(H, W, 3)`` or ``(H, W, 4)`` uint8) with the effect at loop frame ``t`` drawn
        over it (a fourth channel is carried along, not composited)."""
        if self._haze is not None:
            turns = max(1, int(round(0.08 * self.speed * self.seconds)))
            shift = (turns * self.w * t / self.n) % self.w
            a = np.roll(self._haze, int(round(shift)), axis=1).astype(np.float32)
            # The haze's soft coverage mixed in floating point: whole-number steps would band it.
            colour = np.empty_like(frame)
            colour[:] = (*self._rgb, 255)[:frame.shape[2]]
            return cv2.blendLinear(frame, colour, 1.0 - a, a)
        canvas = self._alpha
        canvas[:] = 0
        for tier in self._tiers:
            self._draw_tier(canvas, tier, t)
        return self._over(frame, canvas)

    def _over(self, frame: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """``frame·(1 − a) + colour·a`` for a uint8 coverage ``alpha``, in whole numbers (each product
        rounded to the nearest whole number, as OpenCV's scaled multiply does), on the colour channels of a
        copy of ``frame`` (``(H, W, 4)``: a fourth channel is carried along).

        Particles cover a few per cent of the frame: only the covered pixels are computed."""
        out = frame.copy()
        idx = np.flatnonzero(alpha.astype(bool))
        if idx.size == 0:
            return out
        a = alpha.reshape(-1)[idx]
        if frame.shape[2] == 4:                  # a pixel as one 32-bit word: cheap to gather and scatter
            words = out.reshape(-1).view(np.uint32)
            px = np.take(words, idx)
            colour = px.view(np.uint8).reshape(-1, 4)[:, :3]
        else:
            flat = out.reshape(-1, 3)
            colour = np.take(flat, idx, axis=0)
        mixed = _PRODUCT[colour, (255 - a)[:, None]].astype(np.uint16) + _PAINT[self.kind][a]
        colour[:] = np.minimum(mixed, 255)
        if frame.shape[2] == 4:
            words[idx] = px
        else:
            flat[idx] = colour
        return out

    def _positions(self, tier: dict, t: int) -> tuple[np.ndarray, np.ndarray]:
        span_x, span_y = tier["span"]
        vx, vy = tier["v"]
        x = (tier["x0"] + vx * t) % span_x
        y = (tier["y0"] + vy * t) % span_y - tier["margin"]
        if self.kind in ("snowfall", "embers"):
            c = tier["sway_cycles"]
            x = x + 6 * self.scale * tier["size"] * np.sin(2 * math.pi * c * t / self.n + tier["phase"])
        return x, y

    def _draw_tier(self, canvas: np.ndarray, tier: dict, t: int) -> None:
        x, y = self._positions(tier, t)
        span_x = tier["span"][0]
        reps = range(-1, int(math.ceil(self.w / span_x)) + 1)
        xs = np.concatenate([x + k * span_x for k in reps])
        ys = np.tile(y, len(reps))
        keep = (xs > -40) & (xs < self.w + 40) & (ys > -40) & (ys < self.h + 40)
        xs, ys = xs[keep], ys[keep]
        value = int(255 * tier["alpha"])
        if self.kind == "rain":
            vx, vy = tier["v"]
            streak = min(1.6, 0.06 * tier["size"] / max(self.scale, 1e-6) + 0.5)   # motion-blur length
            dx, dy = vx * streak, vy * streak
            p0 = np.stack([xs, ys], -1)
            p1 = np.stack([xs + dx, ys + dy], -1)
            lines = (np.stack([p0, p1], 1) * _ONE).astype(np.int32)
            thick = 2 if tier["size"] >= 1.8 * self.scale else 1
            cv2.polylines(canvas, list(lines), False, value, thick, cv2.LINE_AA, _SHIFT)
        else:
            radius = max(1, int(round(tier["size"] * _ONE)))
            if self.kind == "embers":
                flicker = 0.6 + 0.4 * np.sin(2 * math.pi * 3 * t / self.n + np.tile(tier["phase"], len(reps))[keep])
                fade = np.clip((ys / self.h) * 1.4, 0, 1)
                values = (value * flicker * fade).astype(int)
            else:
                values = np.full(xs.shape, value)
            for px, py, v in zip((xs * _ONE).astype(np.int64), (ys * _ONE).astype(np.int64), values):
                cv2.circle(canvas, (int(px), int(py)), radius, int(v), -1, cv2.LINE_AA, _SHIFT)
