"""The scene families and their registry: one module per family, each a ``scene_<family>(sc)`` painter.

A disaster type names its family in the taxonomy (``DISASTERS[type].scene``); :func:`family_for` looks it up.
A new family is a module here with its painter, and one line in :data:`SCENES` with its horizon (the share of
the height above the ground line)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cinealert.imaging.procedural.scenes.coastal import scene_coastal
from cinealert.imaging.procedural.scenes.drought import scene_drought
from cinealert.imaging.procedural.scenes.earthquake import scene_earthquake
from cinealert.imaging.procedural.scenes.flood import scene_flood
from cinealert.imaging.procedural.scenes.heavy_snow import scene_heavy_snow
from cinealert.imaging.procedural.scenes.landslide import scene_landslide
from cinealert.imaging.procedural.scenes.thunderstorm import scene_thunderstorm
from cinealert.imaging.procedural.scenes.typhoon import scene_typhoon
from cinealert.imaging.procedural.scenes.wildfire import scene_wildfire


@dataclass(frozen=True)
class SceneFamily:
    paint: Callable            # paint(sc: Scene) -> None
    horizon: float             # ground line, as a share of the height from the top


SCENES: dict[str, SceneFamily] = {
    "flood": SceneFamily(scene_flood, 0.40),
    "landslide": SceneFamily(scene_landslide, 0.50),
    "drought": SceneFamily(scene_drought, 0.50),
    "wildfire": SceneFamily(scene_wildfire, 0.56),
    "heavy_snow": SceneFamily(scene_heavy_snow, 0.45),
    "typhoon": SceneFamily(scene_typhoon, 0.50),
    "earthquake": SceneFamily(scene_earthquake, 0.48),
    "coastal": SceneFamily(scene_coastal, 0.44),
    "thunderstorm": SceneFamily(scene_thunderstorm, 0.52),
}


def family_for(disaster: str) -> tuple[str, SceneFamily]:
    """The scene family that draws a disaster type (``KeyError`` for an unknown type)."""
    from cinealert.disasters import DISASTERS
    name = DISASTERS[disaster].scene
    return name, SCENES[name]
