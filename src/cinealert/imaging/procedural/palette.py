"""Palettes and words: the sky of each time of day, the weather of each disaster type, the colours of each
season, roofs, walls, cars and fire, and the keywords that put objects into a scene."""
from __future__ import annotations

from cinealert.imaging.procedural.basics import colour


TIME_OF_DAY = {
    "dawn": dict(top=colour(0.28, 0.32, 0.55), hor=colour(0.99, 0.74, 0.60), sun=colour(1.0, 0.82, 0.62),
                 light=colour(1.0, 0.86, 0.76), shade=colour(0.58, 0.58, 0.78), dim=colour(0.85, 0.78, 0.80),
                 sun_x=0.18, sun_h=0.12, moon=False),
    "morning": dict(top=colour(0.33, 0.58, 0.88), hor=colour(0.82, 0.90, 0.97), sun=colour(1.0, 0.96, 0.86),
                    light=colour(1.0, 0.97, 0.92), shade=colour(0.62, 0.67, 0.82), dim=colour(1.0, 1.0, 1.0),
                    sun_x=0.22, sun_h=0.55, moon=False),
    "noon": dict(top=colour(0.22, 0.50, 0.90), hor=colour(0.76, 0.87, 0.98), sun=colour(1.0, 0.99, 0.92),
                 light=colour(1.0, 1.0, 0.97), shade=colour(0.64, 0.68, 0.82), dim=colour(1.0, 1.0, 1.0),
                 sun_x=0.62, sun_h=0.85, moon=False),
    "afternoon": dict(top=colour(0.30, 0.53, 0.84), hor=colour(0.93, 0.89, 0.80), sun=colour(1.0, 0.93, 0.78),
                      light=colour(1.0, 0.94, 0.82), shade=colour(0.60, 0.62, 0.78), dim=colour(1.0, 0.97, 0.93),
                      sun_x=0.78, sun_h=0.50, moon=False),
    "dusk": dict(top=colour(0.19, 0.17, 0.40), hor=colour(1.0, 0.56, 0.34), sun=colour(1.0, 0.62, 0.35),
                 light=colour(1.0, 0.72, 0.52), shade=colour(0.46, 0.42, 0.62), dim=colour(0.80, 0.64, 0.62),
                 sun_x=0.80, sun_h=0.08, moon=False),
    "night": dict(top=colour(0.05, 0.08, 0.20), hor=colour(0.16, 0.25, 0.42), sun=colour(0.92, 0.95, 1.0),
                  light=colour(0.56, 0.66, 0.92), shade=colour(0.30, 0.36, 0.58), dim=colour(0.36, 0.44, 0.66),
                  sun_x=0.75, sun_h=0.62, moon=True),
}


# weather sky per disaster: (top, horizon, amount of mixing over the time-of-day sky, cloud cover)
WEATHER = {
    "flood": (colour(0.40, 0.45, 0.52), colour(0.70, 0.72, 0.74), 0.78, 0.85),
    "heavy_rain": (colour(0.36, 0.41, 0.48), colour(0.66, 0.69, 0.72), 0.82, 0.92),
    "landslide": (colour(0.42, 0.46, 0.50), colour(0.72, 0.73, 0.73), 0.72, 0.80),
    "drought": (colour(0.50, 0.66, 0.86), colour(0.98, 0.92, 0.78), 0.45, 0.10),
    "heat_wave": (colour(0.80, 0.62, 0.40), colour(1.0, 0.90, 0.66), 0.60, 0.05),
    "yellow_dust": (colour(0.72, 0.60, 0.38), colour(0.92, 0.80, 0.55), 0.88, 0.35),
    "dry_weather": (colour(0.45, 0.62, 0.85), colour(0.95, 0.90, 0.78), 0.35, 0.15),
    "wildfire": (colour(0.36, 0.27, 0.24), colour(0.98, 0.62, 0.32), 0.70, 0.30),
    "heavy_snow": (colour(0.66, 0.70, 0.77), colour(0.90, 0.91, 0.93), 0.82, 0.90),
    "cold_wave": (colour(0.42, 0.64, 0.90), colour(0.86, 0.93, 0.99), 0.55, 0.12),
    "typhoon": (colour(0.20, 0.24, 0.28), colour(0.50, 0.55, 0.57), 0.86, 1.0),
    "strong_wind": (colour(0.30, 0.36, 0.44), colour(0.66, 0.70, 0.72), 0.70, 0.85),
    "earthquake": (colour(0.50, 0.60, 0.72), colour(0.90, 0.85, 0.78), 0.40, 0.35),
    "tsunami": (colour(0.34, 0.44, 0.54), colour(0.78, 0.82, 0.84), 0.55, 0.55),
    "storm_surge": (colour(0.24, 0.29, 0.34), colour(0.58, 0.62, 0.64), 0.82, 0.95),
    "high_seas": (colour(0.30, 0.37, 0.45), colour(0.68, 0.72, 0.75), 0.72, 0.80),
    "thunderstorm": (colour(0.22, 0.24, 0.32), colour(0.58, 0.60, 0.62), 0.86, 0.80),
}


SEASON = {
    "spring": dict(grass=colour(0.52, 0.68, 0.33), trees=[colour(0.40, 0.64, 0.28), colour(0.52, 0.72, 0.32),
                   colour(0.95, 0.76, 0.84)], paddy=colour(0.52, 0.66, 0.62), far=colour(0.45, 0.58, 0.40)),
    "summer": dict(grass=colour(0.36, 0.56, 0.23), trees=[colour(0.18, 0.42, 0.18), colour(0.26, 0.52, 0.22),
                   colour(0.22, 0.47, 0.24)], paddy=colour(0.42, 0.64, 0.24), far=colour(0.28, 0.44, 0.30)),
    "autumn": dict(grass=colour(0.64, 0.57, 0.30), trees=[colour(0.86, 0.44, 0.14), colour(0.92, 0.66, 0.20),
                   colour(0.72, 0.28, 0.14)], paddy=colour(0.86, 0.70, 0.30), far=colour(0.55, 0.42, 0.28)),
    "winter": dict(grass=colour(0.60, 0.55, 0.44), trees=[colour(0.20, 0.34, 0.24), colour(0.24, 0.38, 0.26),
                   colour(0.22, 0.32, 0.22)], paddy=colour(0.62, 0.55, 0.42), far=colour(0.42, 0.42, 0.40)),
}


ROOFS = [colour(0.20, 0.40, 0.64), colour(0.70, 0.22, 0.18), colour(0.24, 0.50, 0.40), colour(0.80, 0.44, 0.20),
          colour(0.40, 0.42, 0.46), colour(0.26, 0.32, 0.52)]


WALLS = [colour(0.94, 0.92, 0.86), colour(0.94, 0.86, 0.70), colour(0.82, 0.82, 0.80), colour(0.80, 0.58, 0.44),
          colour(0.90, 0.88, 0.80)]


CARS = [colour(0.92, 0.92, 0.92), colour(0.70, 0.72, 0.75), colour(0.72, 0.14, 0.12), colour(0.16, 0.30, 0.58),
         colour(0.14, 0.14, 0.16)]


FIRE_RAMP = [(0.0, (0.30, 0.04, 0.02)), (0.30, (0.82, 0.16, 0.03)), (0.55, (0.98, 0.46, 0.06)),
         (0.78, (1.0, 0.76, 0.22)), (1.0, (1.0, 0.97, 0.78))]


# keyword groups (matched against the metadata text with word prefixes)
KEYWORDS = {
    "house": ("house", "houses", "village", "home", "cottage", "roof", "farmhouse", "town"),
    "hanok": ("hanok", "traditional korean", "tiled roof"),
    "apartment": ("apartment", "tower block", "high-rise", "highrise", "flats", "building"),
    "road": ("road", "street", "highway", "lane", "asphalt"),
    "bridge": ("bridge",),
    "car": ("car", "cars", "vehicle", "truck", "bus"),
    "tree": ("tree", "trees", "forest", "wood", "woods", "grove", "orchard"),
    "pine": ("pine", "pines", "conifer"),
    "paddy": ("paddy", "paddies", "rice field", "field", "fields", "farmland", "farm", "crop"),
    "river": ("river", "stream", "embankment", "creek", "canal", "levee"),
    "mountain": ("mountain", "mountains", "ridge", "hill", "hills", "slope", "peak"),
    "pole": ("utility pole", "power line", "pole", "poles", "telephone", "electric"),
    "greenhouse": ("greenhouse", "vinyl house", "plastic tunnel"),
    "fence": ("fence", "railing", "guardrail"),
    "harbour": ("sea wall", "seawall", "harbour", "harbor", "port", "boat", "boats", "pier",
                "breakwater", "fishing"),
    "korea": ("korea", "korean", "hanok", "seoul", "busan", "gangwon", "jeju", "apartment"),
}


# what each family draws when the metadata names nothing
DEFAULTS = {
    "flood": {"house", "tree", "pole", "mountain", "car"},
    "landslide": {"house", "tree", "mountain", "river", "road", "pole"},
    "drought": {"tree", "mountain", "paddy", "house", "pole"},
    "wildfire": {"pine", "mountain", "house", "road", "pole"},
    "heavy_snow": {"house", "pine", "tree", "mountain", "car", "fence", "road"},
    "typhoon": {"house", "tree", "pole", "mountain"},
    "earthquake": {"house", "apartment", "road", "car", "pole", "mountain"},
    "coastal": {"house", "harbour", "mountain", "apartment"},
    "thunderstorm": {"house", "tree", "pole", "mountain"},
}


def find_keywords(text: str) -> set[str]:
    import re
    found = set()
    for key, words in KEYWORDS.items():
        for w in words:
            if re.search(r"(?<![a-z])" + re.escape(w), text):
                found.add(key)
                break
    return found
