"""Captions burned into the frames: the narration's words on screen for players that cannot show a caption track.

The caption sits bottom-centre in a box, white text on a translucent black box, at most two lines. Where it
may go, in the frame's own pixels:

- vertically inside the broadcast title-safe area (SMPTE RP 2046-1 / EBU R 95: the central 90 %, 5 % margins
  top and bottom), and above ``bottom`` when the caller gives it (the top of the alert card's panel);
- horizontally inside the central 80 % (the caption-safe width of CEA-608/708: 10 % margins left and right),
  narrower than the 90 % title-safe width, so a caption never runs to the card's edges.

Every pixel the caption changes (box and text) lies inside that rectangle (:meth:`CaptionLayout.safe`). The text
is too long for two lines at the nominal size: the type is made smaller, down to a floor, and only then is the
second line cut with an ellipsis. The contrast of the text against what is behind it is measured on the burned
frame (:func:`caption_contrast`, WCAG 1.4.3), not assumed; the box is opaque enough (75 %) that white text keeps
at least 4.5:1 over a white frame.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator

import numpy as np

from cinealert.deliver.card import _wrap, contrast_ratio
from cinealert.deliver.fonts import font_for, load_font, missing_glyphs
from cinealert.evaluate.cinemagraph import relative_luminance

TEXT_RGB = (255, 255, 255)
BOX_RGB = (0, 0, 0)
BOX_OPACITY = 0.75
MAX_LINES = 2
#: Margins of the caption's rectangle as fractions of the frame: 10 % left and right, 5 % top and bottom.
MARGIN_X, MARGIN_Y = 0.10, 0.05
#: Type size as a fraction of the frame's "unit" (its height for landscape, 0.9 of its width for portrait).
SIZE, MIN_SIZE = 0.055, 0.040


@dataclass
class CaptionLayout:
    """Where a caption goes on a ``width × height`` frame."""

    width: int
    height: int
    safe: tuple[int, int, int, int]          # x0, y0, x1, y1: the rectangle the caption must stay inside
    box: tuple[int, int, int, int]           # the box behind the text (inside ``safe``)
    lines: list[str] = field(default_factory=list)
    language: str = ""
    size: int = 0
    font_path: str = ""
    ink: np.ndarray | None = None            # (box h, box w) float32 in [0, 1]: the text's coverage in the box

    def missing(self) -> list[str]:
        """Characters of the caption that the font draws as a "no glyph" box (empty when it renders)."""
        font = load_font(self.font_path, self.size)
        return [c for line in self.lines for c in missing_glyphs(font, line)]


def _check_frame(frame: np.ndarray) -> None:
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"frame must be a numpy array, got {type(frame).__name__}.")
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"frame must be (H, W, 3) uint8, got {frame.shape} {frame.dtype}.")
    if frame.shape[0] < 64 or frame.shape[1] < 64:
        raise ValueError(f"captions need a frame of at least 64x64, got {frame.shape[1]}x{frame.shape[0]}.")


def safe_rect(width: int, height: int, bottom: int | None = None) -> tuple[int, int, int, int]:
    """The caption's rectangle: the central 80 % of the width, the central 90 % of the height, ending at
    ``bottom`` where that is higher."""
    x0, x1 = math.ceil(MARGIN_X * width), math.floor((1 - MARGIN_X) * width)
    y0, y1 = math.ceil(MARGIN_Y * height), math.floor((1 - MARGIN_Y) * height)
    if bottom is not None:
        if not y0 < bottom <= height:
            raise ValueError(f"`bottom` must lie between {y0} and {height}, got {bottom}.")
        y1 = min(y1, int(bottom))
    return x0, y0, x1, y1


def _wrap_words(text: str, font, room: int) -> list[str]:
    """``text`` in at most two lines of ``room`` pixels; where it is cut, the cut falls between words."""
    lines = _wrap(text, font, room, MAX_LINES)
    last = lines[-1]
    if last.endswith("…") and " " in last.strip():
        kept = last[:-1].rstrip(" ,;")
        flat = " ".join(l.rstrip() for l in lines[:-1] + [kept])
        nxt = text[len(flat):len(flat) + 1] if text.startswith(flat) else " "
        if nxt.isalnum():                                               # the cut fell inside a word
            lines[-1] = kept.rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return lines


@lru_cache(maxsize=16)
def caption_layout(text: str, width: int, height: int, *, language: str, bottom: int | None = None) -> CaptionLayout:
    """Lay ``text`` out for a ``width × height`` frame: the font that draws every character, the size, the lines
    (at most two) and the box, bottom-centred in :func:`safe_rect`."""
    from PIL import Image, ImageDraw

    text = (text or "").strip()
    if not text:
        raise ValueError("a caption needs a non-empty text.")
    sx0, sy0, sx1, sy1 = safe_rect(width, height, bottom)
    unit = min(height, width * 9 / 16) if width >= height else 0.9 * width
    _, path = font_for(text, 32)
    paragraphs = [" ".join(p.split()) for p in text.splitlines() if p.strip()]
    # 1. The largest size (nominal down to the floor) at which the text fits two lines.
    size = max(12, round(SIZE * unit))
    floor = max(12, round(MIN_SIZE * unit))
    while True:
        font = load_font(str(path), size)
        pad_x, pad_y = round(0.5 * size), round(0.2 * size)
        room = sx1 - sx0 - 2 * pad_x
        lines = [l for p in paragraphs for l in _wrap_words(p, font, room)]
        if len(lines) <= MAX_LINES and not any(l.endswith("…") for l in lines) or size <= floor:
            break
        size -= 1
    if len(lines) > MAX_LINES:                               # explicit line breaks: keep two, mark the cut
        last = lines[MAX_LINES - 1]
        while last and font.getlength(last + "…") > room:
            last = last[:-1]
        lines = lines[:MAX_LINES - 1] + [last.rstrip() + "…"]
    # 2. The box: padded around the lines, centred, its bottom on the rectangle's bottom.
    line_h = round(1.3 * size)
    text_w = max(math.ceil(font.getlength(l)) for l in lines)
    box_w, box_h = min(sx1 - sx0, text_w + 2 * pad_x), min(sy1 - sy0, len(lines) * line_h + 2 * pad_y)
    bx0 = sx0 + (sx1 - sx0 - box_w) // 2
    by1 = sy1
    by0 = by1 - box_h
    # 3. The text's coverage, drawn once, each line centred in the box.
    ink = Image.new("L", (box_w, box_h), 0)
    d = ImageDraw.Draw(ink)
    ascent, descent = font.getmetrics()
    for i, line in enumerate(lines):
        x = (box_w - font.getlength(line)) / 2
        y = pad_y + i * line_h + (line_h - ascent - descent) / 2
        d.text((x, y), line, font=font, fill=255)
    return CaptionLayout(width=width, height=height, safe=(sx0, sy0, sx1, sy1), box=(bx0, by0, bx0 + box_w, by1),
                         lines=lines, language=language, size=size, font_path=str(path), ink=np.asarray(ink, np.float32) / 255.0)


def burn_captions(frame: np.ndarray, text: str, *, language: str, bottom: int | None = None) -> np.ndarray:
    """A copy of ``frame`` ((H, W, 3) uint8 RGB) with ``text`` burned in as a caption.

    Args:
        frame: the picture, (H, W, 3) uint8, at least 64×64.
        text: the caption; newlines are line breaks. Wrapped to at most two lines.
        language: its BCP 47 code, kept in the layout (the font is chosen by the characters themselves).
        bottom: the row the caption must end above (e.g. the top of the alert card's panel); default the
            title-safe bottom.
    """
    _check_frame(frame)
    h, w = frame.shape[:2]
    lay = caption_layout(text.strip(), w, h, language=language, bottom=bottom)
    x0, y0, x1, y1 = lay.box
    out = frame.copy()
    region = out[y0:y1, x0:x1].astype(np.float32)
    region = region * (1 - BOX_OPACITY) + np.array(BOX_RGB, np.float32) * BOX_OPACITY
    ink = lay.ink[..., None]
    region = region * (1 - ink) + np.array(TEXT_RGB, np.float32) * ink
    out[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
    return out


def caption_contrast(burned: np.ndarray, text: str, *, language: str, bottom: int | None = None) -> float:
    """WCAG contrast of a burned caption, measured on the burned frame: the darkest fully inked text pixel
    against the brightest pixel of the box that the text does not touch (the worst pair)."""
    _check_frame(burned)
    h, w = burned.shape[:2]
    lay = caption_layout(text.strip(), w, h, language=language, bottom=bottom)
    x0, y0, x1, y1 = lay.box
    lum = relative_luminance(burned[y0:y1, x0:x1])
    glyph, clear = lay.ink >= 0.999, lay.ink <= 0.0
    if not glyph.any() or not clear.any():
        raise ValueError("the caption has no fully inked pixel or no clear box pixel to measure.")
    return contrast_ratio(float(lum[glyph].min()), float(lum[clear].max()))


def caption_at(cues, t: float) -> str | None:
    """The caption shown at ``t`` seconds: the text of every cue with ``start <= t < end`` (WebVTT's timing; a
    cue ends just before its end time), in start order, joined by newlines; None when no cue is showing."""
    t = float(t)
    if not math.isfinite(t):
        raise ValueError(f"`t` must be a finite number of seconds, got {t}.")
    showing = sorted((c for c in cues if c.start <= t < c.end and (c.text or "").strip()), key=lambda c: c.start)
    return "\n".join(c.text.strip() for c in showing) or None


def burn_into_frames(frames: Iterable[np.ndarray], cues, fps: float, language: str, *,
                     bottom: int | None = None) -> Iterator[np.ndarray]:
    """Frames with the caption of their time burned in; frame ``i`` shows at ``i / fps`` seconds. Frames without a
    caption pass through unchanged (the same array)."""
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"`fps` must be a positive number, got {fps!r}.")
    cues = list(cues)
    for i, frame in enumerate(frames):
        text = caption_at(cues, i / fps)
        yield burn_captions(frame, text, language=language, bottom=bottom) if text else frame
