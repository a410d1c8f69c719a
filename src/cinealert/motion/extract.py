"""Motion from a real video: one constant Eulerian field, robustly averaged over the clip.

1. Frames are read and reduced so that the longer side is at most ``max_side`` pixels.
2. Dense optical flow between neighbouring frames (OpenCV's DIS, medium preset).
3. Camera shake is removed: for each frame pair, the dominant global motion (a similarity transform fitted
   with RANSAC to flow vectors sampled over the whole frame) is subtracted from the flow, so that what
   remains is the scene's own motion.
4. The compensated flows are averaged per pixel with the median over time (robust to occlusions and
   outliers). ``confidence`` is the share of frames whose flow lies within ``max(0.5 px, 35 %)`` of that
   median; ``mask`` marks pixels that move consistently (median speed ≥ ``min_speed`` and confidence ≥ 0.5).

The result follows the stage convention: ``flow`` is ``(H, W, 2)`` float32 in pixels per frame of the
video at its stored size (x along columns, y along rows). :func:`fit_to` rescales it to another image
size and frame rate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cinealert.errors import InputError


@dataclass
class ExtractedMotion:
    """Attributes:
        flow: ``(H, W, 2)`` float32 pixels per frame at the stored size.
        confidence: ``(H, W)`` float32 in [0, 1].
        mask: ``(H, W)`` bool, regions that move consistently.
        fps: the video's frame rate (the unit of ``flow``).
        info: how it was made (frames used, camera motion removed, speeds).
    """

    flow: np.ndarray
    confidence: np.ndarray
    mask: np.ndarray
    fps: float
    info: dict = field(default_factory=dict)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        if path.suffix != ".npz":
            raise InputError(f"{path}: the motion file must end in .npz")
        import io

        from cinealert.deliver.encode import write_atomic

        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez_compressed(buf, flow=self.flow.astype(np.float32), confidence=self.confidence.astype(np.float32),
                            mask=self.mask.astype(bool), fps=np.float32(self.fps), info=np.array(repr(self.info)))
        return write_atomic(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> "ExtractedMotion":
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                flow, conf, mask, fps = z["flow"], z["confidence"], z["mask"], float(z["fps"])
        except (OSError, ValueError, KeyError) as err:
            raise InputError(f"cannot read motion file {str(path)!r}: {err}") from None
        if flow.ndim != 3 or flow.shape[2] != 2 or conf.shape != flow.shape[:2] or mask.shape != flow.shape[:2]:
            raise InputError(f"{path}: not a cinealert motion file (flow {flow.shape}, confidence {conf.shape})")
        return cls(flow=flow.astype(np.float32), confidence=conf.astype(np.float32), mask=mask.astype(bool), fps=fps,
                   info={"path": str(path)})

    def fit_to(self, width: int, height: int, fps: float) -> "ExtractedMotion":
        """The same motion for an image of ``width × height`` shown at ``fps`` (vectors rescaled)."""
        h, w = self.flow.shape[:2]
        flow = cv2.resize(self.flow, (width, height), interpolation=cv2.INTER_LINEAR)
        flow = flow * np.array([width / w, height / h], np.float32) * np.float32(self.fps / fps)
        conf = cv2.resize(self.confidence, (width, height), interpolation=cv2.INTER_LINEAR)
        mask = cv2.resize(self.mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
        return ExtractedMotion(flow=flow.astype(np.float32), confidence=conf, mask=mask, fps=fps,
                               info=dict(self.info, fitted_to=[width, height, fps]))


def read_video(path: str | Path, *, max_side: int = 512, max_frames: int = 240) -> tuple[list[np.ndarray], float]:
    """Frames of ``path`` as ``(H, W, 3)`` uint8 RGB, reduced to ``max_side``, and the frame rate."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"cannot read video {str(path)!r}: no such file")
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames: list[np.ndarray] = []
    while len(frames) < max_frames:
        ok, f = cap.read()
        if not ok:
            break
        h, w = f.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        if scale < 1.0:
            f = cv2.resize(f, (max(8, int(round(w * scale))), max(8, int(round(h * scale)))), interpolation=cv2.INTER_AREA)
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    cap.release()
    if len(frames) < 3:
        raise InputError(f"cannot read video {str(path)!r}: not a video of at least 3 frames")
    return frames, float(fps) if fps and fps > 0 else 24.0


def global_motion(flow: np.ndarray, *, step: int = 8) -> np.ndarray:
    """The flow a camera move would cause: a similarity transform fitted to sampled flow vectors with
    RANSAC (the scene's own motion is the outlier minority), evaluated at every pixel."""
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[step // 2:h:step, step // 2:w:step]
    src = np.stack([xs.ravel(), ys.ravel()], -1).astype(np.float32)
    dst = src + flow[ys.ravel(), xs.ravel()]
    m, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=0.5, maxIters=500,
                                       confidence=0.99)
    if m is None:
        return np.zeros_like(flow)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    px = m[0, 0] * gx + m[0, 1] * gy + m[0, 2]
    py = m[1, 0] * gx + m[1, 1] * gy + m[1, 2]
    return np.stack([px - gx, py - gy], -1).astype(np.float32)


def extract_motion(frames: list[np.ndarray], fps: float, *, stabilise: bool = True, min_speed: float = 0.1,
                   progress: bool = False) -> ExtractedMotion:
    """The Eulerian field of a clip (see the module docstring)."""
    if len(frames) < 3:
        raise ValueError(f"need at least 3 frames, got {len(frames)}.")
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    dis.setFinestScale(0)                     # refine down to full resolution (the preset stops at 1/2)
    dis.setVariationalRefinementIterations(10)
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    flows = []
    camera = []
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(grey) - 1, desc="optical flow", unit="frame", leave=False)
    for a, b in zip(grey, grey[1:]):
        f = dis.calc(a, b, None)
        if stabilise:
            g = global_motion(f)
            camera.append(float(np.abs(g).mean()))
            f = f - g
        flows.append(f.astype(np.float32))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    stack = np.stack(flows)                                       # (T, H, W, 2)
    median = np.median(stack, axis=0).astype(np.float32)
    speed = np.linalg.norm(median, axis=-1)
    dev = np.linalg.norm(stack - median[None], axis=-1)
    tol = np.maximum(0.5, 0.35 * speed)[None]
    confidence = (dev <= tol).mean(axis=0).astype(np.float32)
    mask = (speed >= min_speed) & (confidence >= 0.5)
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
    info = {"frames": len(frames), "pairs": len(flows), "size": [frames[0].shape[1], frames[0].shape[0]],
            "method": "DIS optical flow (medium), per-pixel temporal median",
            "camera_motion_removed": stabilise,
            "mean_camera_motion_px": round(float(np.mean(camera)), 4) if camera else 0.0,
            "moving_share": round(float(mask.mean()), 4),
            "median_speed_px_per_frame": round(float(np.median(speed[mask])), 4) if mask.any() else 0.0}
    return ExtractedMotion(flow=median, confidence=confidence, mask=mask, fps=fps, info=info)


def extract_file(path: str | Path, *, max_side: int = 512, max_frames: int = 240, stabilise: bool = True,
                 progress: bool = False) -> ExtractedMotion:
    frames, fps = read_video(path, max_side=max_side, max_frames=max_frames)
    out = extract_motion(frames, fps, stabilise=stabilise, progress=progress)
    out.info["video"] = str(path)
    return out


def motion_from(source: str | Path, **kw) -> ExtractedMotion:
    """A motion file (``.npz``) or a video, as :class:`ExtractedMotion`."""
    p = Path(source)
    if p.suffix == ".npz":
        return ExtractedMotion.load(p)
    return extract_file(p, **kw)
