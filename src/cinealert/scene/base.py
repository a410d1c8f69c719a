"""The scene stage's output: which pixels move (and how) and how far away everything is."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SceneResult:
    """Attributes:
        regions: ``(H, W)`` uint8 :class:`cinealert.regions.Region` labels (0 = static).
        depth: ``(H, W)`` float32 relative depth, larger = farther, positive (not metric).
        segmenter: name of the backend that made ``regions``.
        depth_backend: name of the backend that made ``depth``.
    """

    regions: np.ndarray
    depth: np.ndarray
    segmenter: str
    depth_backend: str
