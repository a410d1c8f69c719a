"""Motion region classes shared by the imaging, scene, motion and render stages.

A region map is an ``(H, W)`` uint8 array of :class:`Region` values. ``Region.NONE`` is static.
"""
from __future__ import annotations

from enum import IntEnum

import numpy as np


class Region(IntEnum):
    NONE = 0      # static scenery
    WATER = 1     # rivers, flood water, sea: flows along the scene, ripples
    FIRE = 2      # flames: rise and flicker
    SMOKE = 3     # smoke plumes: rise slowly and drift with the wind
    CLOUD = 4     # sky and clouds: slow drift
    FOLIAGE = 5   # trees and grass in strong wind: sway
    DEBRIS = 6    # mud and debris flow: slides down the slope
    SHIMMER = 7   # heat-shimmering ground or air: small wavering
    DUST = 8      # airborne dust or blowing snow haze: drifts sideways


REGION_NAMES = {r: r.name.lower() for r in Region}


def region_from_name(name: str) -> Region:
    """Return the region class called ``name`` (case-insensitive), e.g. ``"water"``."""
    try:
        return Region[name.strip().upper()]
    except KeyError:
        raise ValueError(
            f"Unknown region class {name!r}; expected one of {', '.join(REGION_NAMES.values())}."
        ) from None


def check_regions(regions: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Validate a region map against an image shape ``(H, W)`` and return it as uint8."""
    if not isinstance(regions, np.ndarray):
        raise TypeError(f"regions must be a numpy array, got {type(regions).__name__}.")
    if regions.shape != tuple(shape):
        raise ValueError(f"regions must have shape {tuple(shape)}, got {regions.shape}.")
    if regions.size and int(regions.max()) > max(Region):
        raise ValueError(f"regions holds class {int(regions.max())}; the largest known is {int(max(Region))}.")
    return regions.astype(np.uint8, copy=False)
