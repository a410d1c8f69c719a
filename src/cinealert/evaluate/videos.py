"""Cinemagraph metrics of finished videos, the same way for every clip (``cinealert evaluate --videos``).

Each clip is decoded and reduced to at most 320 pixels across. For a result folder of ``make`` (a
``report.json`` beside the video), the report's ``hole_ratio`` and render time are taken and its
``moving_mask.png`` says which regions are meant to move; for a bare video file those are unavailable.

- ``loop_seam``: the last → first step over the median neighbouring step (≈ 1 is seamless).
- ``flicker``: temporal standard deviation of the luminance in the regions meant to stand still, after a
  5-frame circular moving average is taken out (so slow, smooth camera motion does not count; flicker does).
- ``motion_ratio``: mean absolute frame-to-frame luminance change inside the moving regions over that
  outside them (high: the fluid moves and the rest holds still).
- ``max_flashes_per_s``: general and red flashes (see :func:`flash_report`).
- ``ssim_consistency``: mean SSIM between neighbouring frames (temporal stability; 1 = identical frames).
- ``ghost_sharpness`` and ``double_edge``: ghosting of the moving regions in the worst of 7 frames through
  the loop against frame 0 (see :mod:`cinealert.evaluate.ghosting`; needs ``moving_mask.png``).
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from cinealert.errors import InputError
from cinealert.evaluate.cinemagraph import flash_report, loop_seam
from cinealert.evaluate.ghosting import ghosting
from cinealert.evaluate.image_metrics import luminance, ssim

VIDEO_NAMES = ("cinemagraph.mp4", "cinemagraph.webm", "card.mp4")
MAX_WIDTH = 320


def find_clips(root: str | Path) -> list[Path]:
    """Videos under ``root``: the main video of every result folder, and any other .mp4/.webm files."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError(f"--videos {str(root)!r}: no such file or folder")
    clips: list[Path] = []
    seen_dirs = set()
    for report in sorted(root.rglob("report.json")):
        for name in VIDEO_NAMES:
            if (report.parent / name).is_file():
                clips.append(report.parent / name)
                seen_dirs.add(report.parent)
                break
    for f in sorted(list(root.rglob("*.mp4")) + list(root.rglob("*.webm"))):
        if f.parent not in seen_dirs:
            clips.append(f)
    if not clips:
        raise InputError(f"--videos {str(root)!r}: no videos found")
    return clips


def read_frames(path: Path, *, max_width: int = MAX_WIDTH) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 24.0
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        h, w = f.shape[:2]
        if w > max_width:
            f = cv2.resize(f, (max_width, max(2, int(round(h * max_width / w)))), interpolation=cv2.INTER_AREA)
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    cap.release()
    if len(frames) < 3:
        raise InputError(f"{path}: not a readable video of at least 3 frames")
    return frames, float(fps)


def clip_metrics(path: Path) -> dict:
    """The metrics of one clip (see the module docstring); unavailable ones are None with a reason."""
    frames, fps = read_frames(path)
    h, w = frames[0].shape[:2]
    out: dict = {"frames": len(frames), "fps": round(fps, 3), "loop_seam": round(loop_seam(frames), 4)}
    why: dict[str, str] = {}
    report_path = path.parent / "report.json"
    report = None
    if report_path.is_file():
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except ValueError:
            why["report"] = "report.json is not valid JSON"
    metrics = (report or {}).get("metrics", {})
    for key in ("hole_ratio", "render_ms_per_frame"):
        out[key] = metrics.get(key)
        if out[key] is None:
            why[key] = "no report.json with it beside the video"
    lum = np.stack([luminance(f) for f in frames])
    mask_path = path.parent / "moving_mask.png"
    moving = None
    if mask_path.is_file():
        m = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
        if m is not None:
            moving = cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST) > 127
    if moving is not None and moving.any() and (~moving).any():
        still = ~cv2.dilate(moving.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        kernel = np.ones(5) / 5.0
        padded = np.concatenate([lum[-2:], lum, lum[:2]])           # the clip loops: wrap around
        smooth = np.stack([np.tensordot(kernel, padded[i:i + 5], axes=1) for i in range(len(lum))])
        out["flicker"] = round(float((lum - smooth).std(axis=0)[still].mean()), 6) if still.any() else None
        step = np.abs(np.diff(lum, axis=0)).mean(axis=0)
        inside, outside = float(step[moving].mean()), float(step[still].mean()) if still.any() else 0.0
        out["motion_ratio"] = round(inside / max(outside, 1e-6), 3)
        n = len(frames)
        out.update(ghosting(frames[0], [frames[n * k // 8] for k in range(1, 8)], moving))
    else:
        out["flicker"] = out["motion_ratio"] = out["ghost_sharpness"] = out["double_edge"] = None
        why["flicker"] = why["motion_ratio"] = "no moving_mask.png beside the video (made by `cinealert make`)"
        why["ghost_sharpness"] = why["double_edge"] = why["flicker"]
    safety = flash_report(frames + frames[: int(round(fps))], fps)
    out["max_flashes_per_s"] = float(max(safety["general_flashes_per_s"], safety["red_flashes_per_s"]))
    pairs = [ssim(a, b, size=min(256, w)) for a, b in zip(frames, frames[1:] + frames[:1])]
    out["ssim_consistency"] = round(float(np.mean(pairs)), 5)
    out["ssim_consistency_min"] = round(float(np.min(pairs)), 5)
    if why:
        out["unavailable"] = why
    return out


def evaluate_videos(root: str | Path) -> dict:
    """Metrics of every clip under ``root`` and their mean (``overall``)."""
    clips = find_clips(root)
    base = Path(root) if Path(root).is_dir() else Path(root).parent
    rows = {}
    for c in clips:
        name = str(c.parent.relative_to(base)) if c.name in VIDEO_NAMES else str(c.relative_to(base))
        rows[name if name != "." else c.name] = clip_metrics(c)
    overall: dict = {}
    for key in ("loop_seam", "hole_ratio", "flicker", "motion_ratio", "max_flashes_per_s", "ssim_consistency",
                "render_ms_per_frame", "ghost_sharpness", "double_edge"):
        vals = [r[key] for r in rows.values() if r.get(key) is not None]
        if vals:
            overall[key] = round(float(np.max(vals) if key == "max_flashes_per_s" else np.mean(vals)), 6)
    unavailable = {}
    for r in rows.values():
        for k, v in r.get("unavailable", {}).items():
            unavailable.setdefault(k, v)
    return {"rows": rows, "overall": overall, "unavailable": unavailable, "warnings": [],
            "conventions": {"overall": "mean over clips (max for flashes/s)", "frames": f"reduced to {MAX_WIDTH} px wide"}}
