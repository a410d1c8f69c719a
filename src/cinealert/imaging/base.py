"""The imaging stage's output."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ImageResult:
    """One still image of the disaster, with optional exact hints from a renderer that composed it.

    Attributes:
        image: ``(H, W, 3)`` float32 sRGB in [0, 1].
        regions: ``(H, W)`` uint8 :class:`cinealert.regions.Region` labels, or None when unknown.
        depth: ``(H, W)`` float32 relative depth (larger = farther, positive), or None when unknown.
        backend: name of the backend that made it.
        info: free-form details for the report (e.g. the objects drawn).
    """

    image: np.ndarray
    regions: np.ndarray | None = None
    depth: np.ndarray | None = None
    backend: str = ""
    info: dict = field(default_factory=dict)
