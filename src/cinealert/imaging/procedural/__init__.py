"""The built-in text-to-image backend: a procedural illustration renderer that needs no weights.

:class:`ProceduralIllustrator` composes a flat-shaded editorial illustration of one disaster scene
from the structured :class:`~cinealert.prompting.metadata.SceneMetadata`: a sky for the time of day,
far mountain ranges faded by aerial perspective, a ground plane with fields, roads and rivers,
houses, trees and poles named in the metadata, and the disaster itself as the focal point (flood
water, a burning ridge, a debris flow, cracked earth, deep snow, a typhoon, a collapsed town, a
tsunami wave).

Because it composes the scene itself, it also returns the exact motion-region label map (only for
the region classes that animate for that disaster) and an exact relative depth map: the ground
follows a plane seen from a camera above it, every object takes the constant depth of the ground
where it stands, so object silhouettes are sharp depth discontinuities.

Everything is vectorised numpy + OpenCV: polygons are rasterised with anti-aliasing inside their
bounding box only, noise is made by resizing random grids, and the whole image is deterministic in
``(metadata, seed, size)``.

The package: ``basics`` (colour, noise, geometry), ``palette`` (skies, weather, seasons, keywords), ``canvas``
(the canvas, the scene context and the finishing pass), the shared painters ``sky``, ``terrain``, ``water``,
``particles``, ``buildings`` and ``vegetation``, and ``scenes/`` with one module per scene family and the
registry :data:`~cinealert.imaging.procedural.scenes.SCENES`.
"""
from __future__ import annotations

import numpy as np

from cinealert.disasters import DISASTERS
from cinealert.imaging.base import ImageResult
from cinealert.imaging.procedural.canvas import Scene, finish
from cinealert.imaging.procedural.scenes import SCENES, family_for
from cinealert.prompting.metadata import SceneMetadata
from cinealert.regions import Region
from cinealert.validate import MAX_SIDE, MIN_SIDE

__all__ = ["ProceduralIllustrator", "SCENES"]


class ProceduralIllustrator:
    """Built-in text-to-image backend: a seeded procedural illustration of the disaster scene."""

    name = "procedural"
    summary = "built-in procedural illustrator: flat-shaded disaster scenes with exact regions and depth, no weights"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def generate(self, metadata: SceneMetadata, *, width: int, height: int, seed: int = 0) -> ImageResult:
        for side, value in (("width", width), ("height", height)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"{side} must be an integer, got {type(value).__name__}.")
            if not MIN_SIDE <= value <= MAX_SIDE:
                raise ValueError(f"{side} must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {value}.")
        if not isinstance(metadata, SceneMetadata):
            raise TypeError(f"metadata must be a SceneMetadata, got {type(metadata).__name__}.")
        if metadata.disaster not in DISASTERS:
            raise ValueError(f"Unknown disaster type {metadata.disaster!r}. Available types: {', '.join(DISASTERS)}.")
        width, height = int(width), int(height)
        family, scene = family_for(metadata.disaster)
        rng = np.random.default_rng(int(seed))
        horizon = scene.horizon * (1.0 + 0.04 * float(rng.uniform(-1, 1)))
        if height > width * 1.2:  # portrait: keep a bit more ground
            horizon *= 0.95
        sc = Scene(metadata, metadata.disaster, family, width, height, rng, horizon)
        scene.paint(sc)
        finish(sc)
        cv = sc.cv
        regions = cv.reg.astype(np.uint8)
        depth = cv.dep.astype(np.float32)
        counts = np.bincount(regions.ravel(), minlength=len(Region))
        info = {
            "scene": family,
            "disaster": metadata.disaster,
            "seed": int(seed),
            "horizon_row": round(sc.h, 1),
            "objects": dict(sorted(sc.objects.items())),
            "keywords": sorted(sc.want),
            "korean_setting": sc.korea,
            "region_fractions": {Region(i).name.lower(): round(float(c) / regions.size, 4)
                                 for i, c in enumerate(counts) if c and i},
        }
        info.update(sc.info)
        return ImageResult(image=cv.img, regions=regions, depth=depth, backend=self.name, info=info)
