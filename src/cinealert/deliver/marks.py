"""A visible mark on every frame of media made from a message that is not a real alert.

CAP messages with status Test, Exercise, System or Draft must never be mistaken for a real warning when
their media is shown: each frame gets a bordered label ("TEST", "EXERCISE", ...) in the top-left corner,
inside the broadcast title-safe area (the central 90% of the frame).
"""
from __future__ import annotations

import cv2
import numpy as np

#: Label colours: white text on a dark blue box with a yellow border (not red: red stays for danger).
_BOX = np.array([20, 40, 110], np.float32)
_BORDER = np.array([250, 210, 40], np.float32)
_TEXT = np.array([255, 255, 255], np.float32)


class StatusMark:
    """Draws ``label`` on ``(H, W, 3)`` uint8 RGB frames; the overlay is drawn once and reused."""

    def __init__(self, label: str, width: int, height: int):
        if not label or not label.isascii():
            raise ValueError(f"label must be non-empty ASCII text, got {label!r}")
        self.label = label.upper()
        font = cv2.FONT_HERSHEY_DUPLEX
        scale = max(0.4, min(width, height) / 540)
        thick = max(1, int(round(scale * 1.6)))
        (tw, th), base = cv2.getTextSize(self.label, font, scale, thick)
        pad = max(4, int(round(th * 0.45)))
        border = max(2, int(round(scale * 2.5)))
        bw, bh = tw + 2 * pad + 2 * border, th + base + 2 * pad + 2 * border
        # title-safe corner: 5% in from each edge
        self.x0, self.y0 = int(round(width * 0.05)), int(round(height * 0.05))
        bw, bh = min(bw, width - self.x0), min(bh, height - self.y0)
        color = np.zeros((bh, bw, 3), np.float32)
        color[:] = _BORDER
        color[border:bh - border, border:bw - border] = _BOX
        ink = np.zeros((bh, bw), np.uint8)
        cv2.putText(ink, self.label, (border + pad, border + pad + th), font, scale, 255, thick, cv2.LINE_AA)
        a = ink.astype(np.float32)[..., None] / 255.0
        self._color = color * (1 - a) + _TEXT * a
        self._alpha = 0.92                      # the box is nearly opaque so the text reads on anything
        self.size = (bw, bh)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """The frame with the mark drawn on it (a new array)."""
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"frame must be (H, W, 3) uint8, got {frame.shape} {frame.dtype}")
        out = frame.copy()
        bw, bh = self.size
        region = out[self.y0:self.y0 + bh, self.x0:self.x0 + bw].astype(np.float32)
        mixed = region * (1 - self._alpha) + self._color[:region.shape[0], :region.shape[1]] * self._alpha
        out[self.y0:self.y0 + bh, self.x0:self.x0 + bw] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        return out


def status_label(status: str | None) -> str | None:
    """The mark for a CAP status: None for Actual (and for inputs without a status)."""
    if not status or status == "Actual":
        return None
    return status.upper()
