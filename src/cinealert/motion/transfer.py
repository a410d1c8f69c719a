"""Motion backend ``video``: the Eulerian field of a real clip, transferred onto a still.

``cinealert animate IMAGE --motion-from VIDEO`` (or a ``.npz`` from ``cinealert motion extract``) takes the
clip's averaged field and its mask of consistently moving regions, rescales both to the image's size and
the output frame rate, and animates the still with them. The disaster type still adds its whole-frame
effects (rain, snow, embers) and, for an earthquake, the camera shake.
"""
from __future__ import annotations

import cv2
import numpy as np

from cinealert.motion.base import MotionPlan


class VideoMotion:
    name = "video"
    summary = "the averaged motion of a real video (--motion-from VIDEO or FLOW.npz), transferred onto the image"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in (OpenCV optical flow)"

    def __init__(self, source) -> None:
        from cinealert.motion.extract import motion_from

        self.source = str(source)
        self.motion = motion_from(source)

    def plan(self, regions, depth, *, disaster, frames: int, fps: float, seed: int = 0, speed: float = 1.0,
             image=None, hints=None) -> MotionPlan:
        from cinealert.motion.rules import RuleMotion

        h, w = depth.shape
        fitted = self.motion.fit_to(w, h, fps)
        rules = RuleMotion().plan(regions, depth, disaster=disaster, frames=frames, fps=fps, seed=seed, speed=speed)
        moving = fitted.mask.astype(np.float32)
        mask = np.minimum(np.clip(cv2.GaussianBlur(moving, (0, 0), 1.0) * 1.25, 0, 1), moving)
        flow = fitted.flow * np.float32(speed) * cv2.GaussianBlur(moving, (0, 0), 1.2)[..., None] * moving[..., None]
        speeds = np.linalg.norm(flow[fitted.mask], axis=-1) if fitted.mask.any() else np.zeros(1)
        info = {"source": self.source, "moving_share": round(float(fitted.mask.mean()), 4),
                "median_px_per_frame": round(float(np.median(speeds)), 4), "video": self.motion.info}
        return MotionPlan(flow=flow.astype(np.float32), mask=mask.astype(np.float32), oscillations=[],
                          effects=rules.effects, shake=rules.shake, outline=None, backend=self.name,
                          info={"classes": {}, "transferred": info})
