"""Captions of the narration: cues (start, end, text) and the WebVTT file that carries them.

Cues are laid end to end by :func:`cues_end_to_end`: each starts where its sentence's speech starts and ends
where the next one starts (the pause after a sentence belongs to it), the last ends with the narration, so the
cues cover the whole narration without a gap or an overlap.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """One caption: ``text`` shown from ``start`` to ``end`` (seconds from the start of the narration)."""

    start: float
    end: float
    text: str
    language: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"a cue needs 0 <= start < end, got {self.start!r} .. {self.end!r}.")
        if not self.text.strip():
            raise ValueError("a cue needs text.")


def cues_end_to_end(starts: list[float], texts: list[str], total: float,
                    languages: list[str] | None = None) -> list[Cue]:
    """Cues from the start time of each sentence's speech and the narration's length ``total`` (seconds)."""
    if len(starts) != len(texts) or not texts:
        raise ValueError(f"need one start per text, got {len(starts)} starts and {len(texts)} texts.")
    if any(b <= a for a, b in zip(starts, list(starts[1:]) + [total])):
        raise ValueError("sentence starts must increase and lie before the end of the narration.")
    langs = languages or [""] * len(texts)
    bounds = [0.0] + list(starts[1:]) + [total]
    return [Cue(round(bounds[i], 3), round(bounds[i + 1], 3), texts[i], langs[i]) for i in range(len(texts))]


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` as WebVTT writes a time."""
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _clean(text: str) -> str:
    """Cue text as WebVTT needs it: one line of plain text (``-->`` and markup characters escaped)."""
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(cues: list[Cue], *, note: str | None = None) -> str:
    """The WebVTT document of ``cues`` (checked: in order and not overlapping)."""
    for a, b in zip(cues, cues[1:]):
        if b.start < a.end - 1e-9:
            raise ValueError(f"cues overlap: {a.end:.3f} > {b.start:.3f}.")
    out = ["WEBVTT", ""]
    if note:
        out += ["NOTE " + " ".join(note.split()), ""]
    for i, c in enumerate(cues, 1):
        out += [str(i), f"{timestamp(c.start)} --> {timestamp(c.end)}", _clean(c.text), ""]
    return "\n".join(out)
