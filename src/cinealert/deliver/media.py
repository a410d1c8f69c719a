"""Write every medium of one cinemagraph from one stream of frames."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cinealert.deliver.encode import ffmpeg_exe, gif_writer, mp4_writer, webp_writer

MEDIA = {
    "mp4": ("cinemagraph.mp4", "video/mp4"),
    "gif": ("cinemagraph.gif", "image/gif"),
    "webp": ("cinemagraph.webp", "image/webp"),
    "poster": ("poster.png", "image/png"),
}


@dataclass
class MediaSettings:
    width: int
    height: int
    fps: float
    formats: tuple[str, ...] = ("mp4", "gif", "webp", "poster")
    crf: int = 20
    gif_max_width: int = 480
    webp_max_width: int = 640


@dataclass
class MediaWriter:
    """Streams frames into the MP4, GIF and WebP encoders at once and keeps the poster frame."""

    out_dir: Path
    settings: MediaSettings
    paths: dict = field(default_factory=dict)

    name = "ffmpeg"
    summary = "H.264 MP4 (yuv420p, faststart), looping GIF and WebP, PNG poster via bundled ffmpeg"

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
        missing = [e for e in ("libx264", "gif", "libwebp") if f" {e} " not in res.stdout]
        if missing:
            return False, f"ffmpeg lacks encoders: {', '.join(missing)}"
        return True, "built in (imageio-ffmpeg)"

    def __enter__(self) -> "MediaWriter":
        s = self.settings
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._writers = {}
        self._poster = None
        makers = {"mp4": lambda p: mp4_writer(p, width=s.width, height=s.height, fps=s.fps, crf=s.crf),
                  "gif": lambda p: gif_writer(p, width=s.width, height=s.height, fps=s.fps,
                                              max_width=s.gif_max_width),
                  "webp": lambda p: webp_writer(p, width=s.width, height=s.height, fps=s.fps,
                                                max_width=s.webp_max_width)}
        try:
            for fmt in s.formats:
                if fmt in makers:
                    path = self.out_dir / (MEDIA[fmt][0] + ".part")
                    self._writers[fmt] = makers[fmt](path)
        except Exception:
            self._abort()
            raise
        return self

    def write(self, frame: np.ndarray) -> None:
        if self._poster is None:
            self._poster = frame.copy()
        for w in self._writers.values():
            w.write(frame)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abort()
            return
        for fmt, w in self._writers.items():
            w.close()
            final = self.out_dir / MEDIA[fmt][0]
            w.path.replace(final)
            self.paths[fmt] = final
        if "poster" in self.settings.formats and self._poster is not None:
            final = self.out_dir / MEDIA["poster"][0]
            ok, buf = cv2.imencode(".png", cv2.cvtColor(self._poster, cv2.COLOR_RGB2BGR))
            if not ok:
                raise RuntimeError("could not encode the poster PNG")
            part = final.with_suffix(".png.part")
            part.write_bytes(buf.tobytes())
            part.replace(final)
            self.paths["poster"] = final

    def _abort(self) -> None:
        for w in self._writers.values():
            w.abort()
            w.path.unlink(missing_ok=True)
