"""Scene backends that pass on the exact regions and depth a renderer composed with the image."""
from __future__ import annotations

import numpy as np

from cinealert.errors import InputError
from cinealert.imaging.base import ImageResult
from cinealert.regions import check_regions
from cinealert.validate import check_depth


class HintSegmenter:
    name = "hints"
    summary = "exact motion regions from the image backend that drew the scene (procedural)"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in; needs an image backend that returns region hints"

    def segment_result(self, result: ImageResult) -> np.ndarray:
        if result.regions is None:
            raise InputError(f"the {result.backend or 'image'} backend gave no region hints; "
                             "choose another segmenter (e.g. --segmenter heuristic).")
        return check_regions(result.regions, result.image.shape[:2])


class HintDepth:
    name = "hints"
    summary = "exact depth from the image backend that drew the scene (procedural)"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in; needs an image backend that returns depth hints"

    def estimate_result(self, result: ImageResult) -> np.ndarray:
        if result.depth is None:
            raise InputError(f"the {result.backend or 'image'} backend gave no depth hints; "
                             "choose another depth backend (e.g. --depth heuristic).")
        return check_depth(result.depth, result.image.shape[:2])
