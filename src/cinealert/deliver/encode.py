"""Encoders: H.264 MP4, animated GIF and WebP through the ffmpeg that imageio-ffmpeg ships.

Frames are streamed to ffmpeg while they are rendered, so encoding overlaps rendering and no
full-size frame list is kept in memory.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from cinealert.errors import BackendUnavailable


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as err:   # pragma: no cover - a dependency of the package
        raise BackendUnavailable("ffmpeg is missing: install imageio-ffmpeg") from err
    return imageio_ffmpeg.get_ffmpeg_exe()


class FFmpegWriter:
    """Write raw RGB frames of one size to a file through an ffmpeg process.

    Args:
        path: output file.
        width, height: size of the frames that :meth:`write` receives.
        fps: frame rate.
        codec_args: ffmpeg output arguments (codec, quality, ...).
        filters: an optional ``-vf`` filter chain (scaling for GIF/WebP).
    """

    def __init__(self, path: Path, *, width: int, height: int, fps: float, codec_args: list[str],
                 filters: str | None = None, filter_complex: bool = False) -> None:
        self.path = Path(path)
        self.size = (width, height)
        self._log = tempfile.TemporaryFile()
        cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", frame_rate(fps), "-i", "-"]
        if filters:
            cmd += ["-filter_complex" if filter_complex else "-vf", filters]
        cmd += codec_args + [str(self.path)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.size[1], self.size[0], 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be ({self.size[1]}, {self.size[0]}, 3) uint8, "
                             f"got {frame.shape} {frame.dtype}.")
        try:
            self._proc.stdin.write(memoryview(np.ascontiguousarray(frame)).cast("B"))
        except BrokenPipeError:
            self.close()
        self.frames += 1

    def end_input(self) -> None:
        """No more frames: ffmpeg finishes the file on its own while the caller goes on (see :meth:`close`)."""
        if self._proc.stdin and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except BrokenPipeError:
                pass

    def close(self) -> None:
        self.end_input()
        code = self._proc.wait()
        if code != 0:
            self._log.seek(0)
            msg = self._log.read().decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg failed writing {self.path.name}: {msg[-1] if msg else code}")
        self._log.close()

    def abort(self) -> None:
        self._proc.kill()
        self._proc.wait()
        self._log.close()


def frame_rate(fps: float) -> str:
    """ffmpeg's rate for ``fps``: the NTSC rates 29.97 and 59.94 as exact fractions."""
    for nominal in (24, 30, 60):
        if abs(fps - nominal * 1000 / 1001) < 0.005:
            return f"{nominal * 1000}/1001"
    return f"{fps:g}"


def even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def mp4_writer(path: Path, *, width: int, height: int, fps: float, crf: int = 20,
               preset: str = "veryfast", loop_frames: int | None = None) -> FFmpegWriter:
    """H.264 High profile, yuv420p, BT.709 tags, faststart: plays in browsers, phones and TVs.

    Without ``loop_frames`` (a clip that does not loop): a keyframe every second, each with the same
    quantiser as the frames between them and no macroblock-tree boost (``mbtree=0:ipratio=1``), so no
    keyframe is sharper than the frames before it. With ``loop_frames`` (the clip loops):
    :func:`loop_x264_params`, which keeps the wrap from the last frame back to the first as smooth as any
    other step of the decoded file."""
    if loop_frames:
        params = loop_x264_params(loop_frames, fps, pixels=width * height)
        crf = max(0, crf - loop_crf_offset(width * height))
    else:
        params = "mbtree=0:ipratio=1.0"
    gop = loop_frames if loop_frames else max(1, int(round(fps)))
    args = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high",
            "-x264-params", params,
            "-pix_fmt", "yuv420p", "-g", str(gop),
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-color_range", "tv", "-movflags", "+faststart", "-an", "-f", "mp4"]
    return FFmpegWriter(path, width=width, height=height, fps=fps, codec_args=args,
                        filters="scale=out_color_matrix=bt709:out_range=tv")


#: Frames smaller than this (pixels; 1024x576) loop with a finer keyframe and a steeper climb before the wrap.
SMALL_LOOP_PIXELS = 1024 * 576
#: Frames smaller than this (pixels; about 320x180) are also coded 5 CRF steps finer.
TINY_LOOP_PIXELS = 320 * 180


def loop_x264_params(frames: int, fps: float, *, pixels: int | None = None) -> str:
    """x264 settings for a clip of ``frames`` frames that plays as an endless loop.

    A decoded P-frame carries coding error correlated with the frames it was predicted from, so steps
    between neighbouring frames stay small; the first frame is a keyframe whose error is independent of
    the last frame's, which shows as a jump at the wrap (measured: 1.1–1.8x the median step). So:

    - one closed GOP per loop (keyframe period = the loop length, no scene-cut keyframes): the wrap is
      the only keyframe boundary, and no B-frame can reference across it (the stream ends there);
    - the keyframe is coded finely (``ipratio=2``), and the frames after it inherit its quality;
    - the last ``2k`` frames before the wrap (``k`` ≈ a quarter second) get 2x, then 4x the bits, so the
      quality climbs back to the keyframe's before the clip starts again.

    Below 1024x576 (``pixels`` < :data:`SMALL_LOOP_PIXELS`) the steps between frames are small against
    the coding error, so the keyframe is coded finer still (``ipratio=6``) and the last frames get 4x, then
    8x the bits (and :func:`loop_crf_offset` lowers the CRF of tiny frames).

    Measured in docs/rendering.md (``bench/bench_loop.py``): every type's decoded seam and the byte cost.
    """
    if not isinstance(frames, int) or frames < 2:
        raise ValueError(f"frames must be an integer of at least 2, got {frames!r}.")
    small = pixels is not None and pixels < SMALL_LOOP_PIXELS
    ipratio, (b1, b2) = (6.0, (4, 8)) if small else (2.0, (2, 4))
    k = max(1, min(int(round(fps / 4)), frames // 4))
    zones = f"{frames - 2 * k},{frames - k - 1},b={b1}/{frames - k},{frames - 1},b={b2}" if frames >= 4 * k else ""
    return (f"mbtree=0:ipratio={ipratio:.1f}:keyint={frames}:min-keyint={frames}:scenecut=0"
            + (f":zones={zones}" if zones else ""))


def loop_crf_offset(pixels: int) -> int:
    """How many CRF steps finer a looping clip of ``pixels`` per frame is coded (5 below about 320x180)."""
    return 5 if pixels < TINY_LOOP_PIXELS else 0


def gif_writer(path: Path, *, width: int, height: int, fps: float, max_width: int = 480,
               gif_fps: float = 12.0, colours: int = 192) -> FFmpegWriter:
    """Looping GIF with one palette made for the whole clip."""
    out_w = min(width, max_width)
    out_h = even(height * out_w / width)
    rate = min(fps, gif_fps)
    graph = (f"fps={rate:g},scale={out_w}:{out_h}:flags=area,split[a][b];"
             f"[a]palettegen=max_colors={int(colours)}:stats_mode=full[p];[b][p]paletteuse=dither=bayer:bayer_scale=4")
    return FFmpegWriter(path, width=width, height=height, fps=fps, codec_args=["-loop", "0", "-f", "gif"],
                        filters=graph, filter_complex=True)


def webp_writer(path: Path, *, width: int, height: int, fps: float, max_width: int = 640,
                quality: int = 70, webp_fps: float = 12.0) -> FFmpegWriter:
    """Looping animated WebP (lossy), at a messaging-friendly size and frame rate."""
    out_w = min(width, max_width)
    out_h = even(height * out_w / width)
    rate = min(fps, webp_fps)
    args = ["-c:v", "libwebp", "-lossless", "0", "-q:v", str(quality), "-preset", "picture", "-loop", "0", "-f", "webp"]
    return FFmpegWriter(path, width=width, height=height, fps=fps, codec_args=args,
                        filters=f"fps={rate:g},scale={out_w}:{out_h}:flags=area")


def webm_writer(path: Path, *, width: int, height: int, fps: float, crf: int = 34) -> FFmpegWriter:
    """WebM with VP9 (constant quality, row-multithreaded, realtime speed), for the web preset."""
    args = ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", str(crf), "-row-mt", "1", "-deadline", "realtime",
            "-cpu-used", "8", "-pix_fmt", "yuv420p", "-an", "-f", "webm"]
    return FFmpegWriter(path, width=width, height=height, fps=fps, codec_args=args)


def describe_medium(path: Path, kind: str) -> dict:
    """Size, codec, frame size, frame count and duration of a written medium (for report.json)."""
    path = Path(path)
    out: dict = {"path": str(path), "bytes": path.stat().st_size}
    if kind in ("mp4", "card", "webm"):
        p = probe_video(path)
        out.update(codec=p["codec"], width=p["width"], height=p["height"], frames=p["frames"], fps=p["fps"])
        if p["frames"] and p["fps"]:
            out["duration_s"] = round(p["frames"] / p["fps"], 3)
    elif kind == "webp":
        out.update(codec="webp", **webp_frames(path))
    elif kind == "gif":
        from PIL import Image
        with Image.open(path) as im:
            out.update(codec=kind, width=im.width, height=im.height, frames=getattr(im, "n_frames", 1))
            total = 0
            for i in range(out["frames"]):
                im.seek(i)
                total += int(im.info.get("duration", 0) or 0)
            out["duration_s"] = round(total / 1000.0, 3)
    elif kind in ("poster", "card_png"):
        from PIL import Image
        with Image.open(path) as im:
            out.update(codec="png", width=im.width, height=im.height, frames=1)
    return out


def webp_frames(path: Path) -> dict:
    """Canvas size, frame count and duration of an animated WebP, read from its RIFF chunks."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError(f"{path} is not a WebP file")
    pos, frames, total, width, height = 12, 0, 0, None, None
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        body = data[pos + 8:pos + 8 + size]
        if tag == b"VP8X" and len(body) >= 10:
            width = 1 + int.from_bytes(body[4:7], "little")
            height = 1 + int.from_bytes(body[7:10], "little")
        elif tag == b"ANMF" and len(body) >= 16:
            frames += 1
            total += int.from_bytes(body[12:15], "little")
        pos += 8 + size + (size & 1)
    return {"width": width, "height": height, "frames": max(frames, 1), "duration_s": round(total / 1000.0, 3)}


def probe_video(path: Path) -> dict:
    """Count the frames of a video and read its size with ffmpeg (no ffprobe needed)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:v:0", "-c", "copy",
           "-f", "null", "-"]
    res = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    text = res.stderr
    frames = re.findall(r"frame=\s*(\d+)", text)
    size = re.search(r"Video: ([^,]+).*?, (\d{2,5})x(\d{2,5})", text)
    fps = re.search(r"([\d.]+) fps", text)
    return {
        "frames": int(frames[-1]) if frames else None,
        "codec": size.group(1).split()[0] if size else None,
        "width": int(size.group(2)) if size else None,
        "height": int(size.group(3)) if size else None,
        "fps": float(fps.group(1)) if fps else None,
        "pix_fmt": "yuv420p" if "yuv420p" in text else None,
    }


def write_atomic(path: Path, data: bytes | str, *, durable: bool = False) -> Path:
    """Write ``data`` to ``path.part`` and rename it over ``path``: readers see the old file or the new one,
    never half of one. ``durable`` also fsyncs the file and its folder (it survives a power cut)."""
    path = Path(path)
    part = path.with_name(path.name + ".part")
    with open(part, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(part, path)
    if durable:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


def write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
