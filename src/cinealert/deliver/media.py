"""Write every medium of one cinemagraph from one stream of frames.

Video formats stream into ffmpeg while frames render; the card (``card.mp4``) is the same stream with the
alert card laid over each frame. Files are written as ``*.part`` and renamed only when the whole set is
done, so an aborted job (an error, or a clip that fails the photosensitivity check) leaves nothing
half-written. With a byte budget, the GIF and WebP are encoded after the stream from kept small frames,
lowering size, frame rate and quality step by step until each fits.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cinealert.errors import InputError
from cinealert.deliver.encode import (even, ffmpeg_exe, gif_writer, mp4_writer, webm_writer, webp_writer)

#: format → (file name, MIME type). ``card`` is the card video; its still is ``card_png``.
MEDIA = {
    "mp4": ("cinemagraph.mp4", "video/mp4"),
    "webm": ("cinemagraph.webm", "video/webm"),
    "gif": ("cinemagraph.gif", "image/gif"),
    "webp": ("cinemagraph.webp", "image/webp"),
    "poster": ("poster.png", "image/png"),
    "card": ("card.mp4", "video/mp4"),
    "card_png": ("card.png", "image/png"),
    "narration": ("narration.m4a", "audio/mp4"),
}
#: ``narration`` is written after the frames (cinealert.deliver.narration), not by :class:`MediaWriter`.
FORMATS = ("mp4", "webm", "gif", "webp", "poster", "card", "narration")

#: Settings tried in order until a GIF fits its budget: (largest width, frames per second, colours).
GIF_LADDER = ((480, 12, 192), (400, 12, 128), (320, 10, 96), (256, 8, 64), (200, 8, 48), (160, 6, 32))
#: Likewise for WebP: (largest width, frames per second, quality).
WEBP_LADDER = ((640, 12, 70), (640, 12, 50), (480, 12, 45), (400, 10, 35), (320, 10, 30), (240, 8, 25),
               (200, 6, 20))


@dataclass
class MediaSettings:
    width: int
    height: int
    fps: float
    formats: tuple[str, ...] = ("mp4", "gif", "webp", "poster")
    crf: int = 20
    gif_max_width: int = 480
    webp_max_width: int = 640
    max_bytes: int | None = None      # a byte budget for GIF and WebP (the messaging preset)
    loop_frames: int | None = None    # the loop's length: MP4s are encoded to loop seamlessly (see mp4_writer)


@dataclass
class MediaWriter:
    """Streams frames into the encoders at once, keeps the poster frame, and lays the card over a copy.

    Args:
        out_dir: output folder.
        settings: sizes, formats and budget.
        card: an :class:`cinealert.deliver.card.AlertCard` for ``card`` (required when it is asked for).
    """

    out_dir: Path
    settings: MediaSettings
    card: object = None
    paths: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    name = "ffmpeg"
    summary = "H.264 MP4, VP9 WebM, looping GIF and WebP (with byte budgets), PNG poster, alert card; bundled ffmpeg"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        try:
            exe = ffmpeg_exe()
        except Exception as err:  # noqa: BLE001 - report any failure to locate ffmpeg as the reason
            return False, str(err)
        try:
            res = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError) as err:
            return False, f"ffmpeg does not run: {err}"
        missing = [e for e in ("libx264", "gif", "libwebp", "libvpx-vp9") if f" {e} " not in res.stdout]
        if missing:
            return False, f"ffmpeg lacks encoders: {', '.join(missing)}"
        return True, "built in (imageio-ffmpeg)"

    def __enter__(self) -> "MediaWriter":
        s = self.settings
        unknown = [f for f in s.formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown formats {unknown}; choose from {', '.join(FORMATS)}.")
        if "card" in s.formats and self.card is None:
            raise ValueError("the card format needs an AlertCard.")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._writers = {}
        self._poster = None
        self._small: list[np.ndarray] = []
        self._budgeted = tuple(f for f in ("gif", "webp") if f in s.formats and s.max_bytes)
        mp4 = lambda p: mp4_writer(p, width=s.width, height=s.height, fps=s.fps, crf=s.crf,  # noqa: E731
                                   loop_frames=s.loop_frames)
        makers = {"mp4": mp4, "card": mp4,
                  "webm": lambda p: webm_writer(p, width=s.width, height=s.height, fps=s.fps),
                  "gif": lambda p: gif_writer(p, width=s.width, height=s.height, fps=s.fps,
                                              max_width=s.gif_max_width),
                  "webp": lambda p: webp_writer(p, width=s.width, height=s.height, fps=s.fps,
                                                max_width=s.webp_max_width)}
        try:
            for fmt in s.formats:
                if fmt in makers and fmt not in self._budgeted:
                    self._writers[fmt] = makers[fmt](self._part(fmt))
        except Exception:
            self._abort()
            raise
        return self

    def _part(self, fmt: str) -> Path:
        return self.out_dir / (MEDIA[fmt][0] + ".part")

    def write(self, frame: np.ndarray) -> None:
        if self._poster is None:
            self._poster = frame.copy()
        carded = self.card.apply(frame) if "card" in self._writers else None
        for fmt, w in self._writers.items():
            w.write(carded if fmt == "card" else frame)
        if self._budgeted:
            s = self.settings
            scale = min(1.0, max(GIF_LADDER[0][0], WEBP_LADDER[0][0]) / s.width)
            size = (even(s.width * scale), even(s.height * scale))
            self._small.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA) if scale < 1 else frame.copy())

    def end_input(self) -> None:
        """No more frames: the encoders finish their files while the caller goes on; leaving the ``with``
        block waits for them (and puts the files in place) or :meth:`abort` drops them."""
        for w in self._writers.values():
            w.end_input()

    def abort(self) -> None:
        """Stop every encoder and remove what was written (the caller will not use this set)."""
        self._abort()
        self._aborted = True

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abort()
            return
        if getattr(self, "_aborted", False):
            return
        try:
            for w in self._writers.values():
                w.close()
            for fmt in self._budgeted:
                self._fit_budget(fmt)
            stills = []
            if self._poster is not None:
                if "poster" in self.settings.formats:
                    stills.append(("poster", self._poster))
                if "card" in self.settings.formats:
                    stills.append(("card_png", self.card.apply(self._poster)))
            for fmt, img in stills:
                ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
                if not ok:
                    raise RuntimeError(f"could not encode {MEDIA[fmt][0]}")
                self._part(fmt).write_bytes(buf.tobytes())
        except Exception:
            self._abort()
            raise
        # Everything is written: put the whole set in place.
        for fmt in list(self._writers) + list(self._budgeted) + [f for f, _ in stills]:
            final = self.out_dir / MEDIA[fmt][0]
            self._part(fmt).replace(final)
            self.paths[fmt] = final

    def _fit_budget(self, fmt: str) -> None:
        """Encode ``fmt`` from the kept frames with ever smaller settings until it fits the budget."""
        s = self.settings
        budget = int(s.max_bytes)
        ladder = GIF_LADDER if fmt == "gif" else WEBP_LADDER
        fh, fw = self._small[0].shape[:2]
        path = self._part(fmt)
        for step, (width, rate, third) in enumerate(ladder):
            if fmt == "gif":
                w = gif_writer(path, width=fw, height=fh, fps=s.fps, max_width=width, gif_fps=rate, colours=third)
            else:
                w = webp_writer(path, width=fw, height=fh, fps=s.fps, max_width=width, webp_fps=rate, quality=third)
            for f in self._small:
                w.write(f)
            w.close()
            size = path.stat().st_size
            if size <= budget:
                self.notes.append(f"{fmt}: {size} bytes ≤ budget {budget} at width {min(width, fw)}, "
                                  f"{rate} fps, {'colours' if fmt == 'gif' else 'quality'} {third} (step {step + 1})")
                return
        raise BudgetError(f"the {fmt.upper()} cannot fit {budget} bytes even at width {ladder[-1][0]} "
                          f"({size} bytes); raise --max-bytes or shorten --seconds")

    def _abort(self) -> None:
        for w in getattr(self, "_writers", {}).values():
            w.abort()
        for fmt in MEDIA:
            self._part(fmt).unlink(missing_ok=True)


class BudgetError(InputError):
    """A medium cannot be made small enough for its byte budget."""
