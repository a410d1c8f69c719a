"""Synthetic videos whose true motion is known, for tests, training demos and benchmarks.

A clip shows a still textured scene with moving regions in it: inside each region a texture of its own
slides at a constant velocity (pixels per frame), so the clip's true Eulerian field is exactly that
velocity inside the region and zero outside. Optionally the whole frame shakes (a random translation per
frame, as a hand-held camera), which motion extraction must remove.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cinealert.regions import Region


@dataclass
class SyntheticClip:
    frames: list[np.ndarray]          # (H, W, 3) uint8 RGB
    flow: np.ndarray                  # (H, W, 2) float32, the true field
    mask: np.ndarray                  # (H, W) bool, where it moves
    region: Region                    # the motion class of the moving regions
    fps: float = 24.0


def _texture(h: int, w: int, rng: np.random.Generator, tint) -> np.ndarray:
    tex = np.zeros((h, w, 3), np.float32)
    for sigma, amp in ((1.0, 0.25), (3.0, 0.35), (9.0, 0.4)):
        tex += cv2.GaussianBlur(rng.normal(0, 1, (h, w, 3)).astype(np.float32), (0, 0), sigma) * amp * sigma ** 0.5
    tex = (tex - tex.mean()) / (tex.std() + 1e-6) * 0.18 + np.asarray(tint, np.float32)
    return np.clip(tex, 0, 1)


def make_clip(*, width: int = 128, height: int = 96, frames: int = 24, seed: int = 0,
              region: Region = Region.WATER, velocity: tuple[float, float] | None = None,
              shake: float = 0.0) -> SyntheticClip:
    """One clip: a band (water, debris) or a blob (fire, smoke, cloud, dust) moving at ``velocity``.

    Without ``velocity``, the class chooses it: water flows sideways, fire and smoke rise, debris slides
    down, clouds and dust drift, each at 0.8–2 pixels per frame with a random tilt.
    """
    rng = np.random.default_rng(seed)
    if velocity is None:
        speed = rng.uniform(0.8, 2.0)
        base = {Region.WATER: (rng.choice([-1, 1]), 0.0), Region.FIRE: (0.0, -1.0), Region.SMOKE: (0.3, -1.0),
                Region.DEBRIS: (0.2, 1.0), Region.CLOUD: (rng.choice([-1, 1]), 0.0),
                Region.DUST: (rng.choice([-1, 1]), -0.2)}.get(region, (1.0, 0.0))
        d = np.array(base, np.float64)
        d = d / np.linalg.norm(d)
        a = rng.uniform(-0.25, 0.25)
        d = np.array([d[0] * np.cos(a) - d[1] * np.sin(a), d[0] * np.sin(a) + d[1] * np.cos(a)])
        velocity = (float(d[0] * speed), float(d[1] * speed))
    vx, vy = velocity
    mask = np.zeros((height, width), bool)
    if region in (Region.WATER, Region.DEBRIS):
        y0 = int(rng.integers(height // 3, height // 2))
        mask[y0:y0 + height // 3] = True
    else:
        cx, cy = rng.integers(width // 4, 3 * width // 4), rng.integers(height // 3, 2 * height // 3)
        yy, xx = np.mgrid[:height, :width]
        mask = ((xx - cx) / (0.3 * width)) ** 2 + ((yy - cy) / (0.3 * height)) ** 2 <= 1.0
    travel = int(np.ceil(max(abs(vx), abs(vy)) * frames)) + 4
    scene = _texture(height, width, rng, rng.uniform(0.3, 0.6, 3))
    fluid = _texture(height + 2 * travel, width + 2 * travel, rng, rng.uniform(0.3, 0.7, 3))
    out = []
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    for t in range(frames):
        # The fluid texture moves by t·v: each pixel shows what was t·v upstream.
        moved = cv2.remap(fluid, gx + travel - t * vx, gy + travel - t * vy, cv2.INTER_LINEAR)
        frame = np.where(mask[..., None], moved, scene)
        if shake > 0:
            dx, dy = rng.uniform(-shake, shake, 2)
            frame = cv2.warpAffine(frame, np.float32([[1, 0, dx], [0, 1, dy]]), (width, height),
                                   borderMode=cv2.BORDER_REFLECT)
        out.append(np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8))
    flow = np.zeros((height, width, 2), np.float32)
    flow[mask] = (vx, vy)
    return SyntheticClip(frames=out, flow=flow, mask=mask, region=region)


def write_clip(clip: SyntheticClip, path: str | Path, *, crf: int = 12) -> Path:
    """Save the frames as a near-lossless H.264 MP4."""
    from cinealert.deliver.encode import mp4_writer

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = clip.frames[0].shape[:2]
    writer = mp4_writer(path, width=w, height=h, fps=clip.fps, crf=crf)
    for f in clip.frames:
        writer.write(f)
    writer.close()
    return path


def write_dataset(root: str | Path, *, per_class: int = 4, classes=(Region.WATER, Region.FIRE, Region.SMOKE),
                  width: int = 128, height: int = 96, frames: int = 24, seed: int = 0, shake: float = 0.0) -> list[Path]:
    """``root/<class>/clip_<i>.mp4`` for training and evaluation (the folder names the motion class)."""
    root = Path(root)
    paths = []
    for k, cls in enumerate(classes):
        for i in range(per_class):
            clip = make_clip(width=width, height=height, frames=frames, seed=seed + 1000 * k + i, region=cls,
                             shake=shake)
            paths.append(write_clip(clip, root / cls.name.lower() / f"clip_{i:02d}.mp4"))
    return paths
