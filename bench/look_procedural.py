"""Render every scene family of the procedural illustrator to PNGs for a visual check.

Usage: PYTHONPATH=src python bench/look_procedural.py [OUT_DIR] [--size 1024x576] [--seed 0]

Writes ``<key>_<time>.png`` (the illustration) and ``<key>_<time>_maps.png`` (the illustration, the
region map in false colour and the depth map side by side) for one disaster of each scene family,
a few extra disaster types, and a couple of times of day; prints the time each render took.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from cinealert.disasters import DISASTERS  # noqa: E402
from cinealert.imaging.procedural import ProceduralIllustrator  # noqa: E402
from cinealert.prompting.metadata import SceneMetadata  # noqa: E402
from cinealert.regions import Region  # noqa: E402

REGION_COLOURS = {
    Region.NONE: (40, 40, 40), Region.WATER: (40, 110, 230), Region.FIRE: (250, 80, 20),
    Region.SMOKE: (150, 150, 150), Region.CLOUD: (170, 220, 250), Region.FOLIAGE: (40, 190, 60),
    Region.DEBRIS: (150, 90, 40), Region.SHIMMER: (250, 220, 60), Region.DUST: (220, 190, 140),
}

SETTINGS = {
    "flood": (["half-submerged houses", "utility poles", "trees"], ["mountains"], "a rural Korean village"),
    "heavy_rain": (["a swollen river", "a concrete bridge"], ["rice paddies", "houses", "mountains"], "Korean countryside"),
    "landslide": (["houses", "a muddy stream", "a road"], ["a forested mountain slope"], "a mountain village in Gangwon, Korea"),
    "drought": (["cracked dry earth", "dead trees"], ["a shrunken reservoir", "bare hills"], "farmland"),
    "heat_wave": (["apartment blocks", "houses"], ["hills"], "a Korean city"),
    "yellow_dust": (["apartment blocks", "houses", "a road"], ["hills"], "a Korean town"),
    "wildfire": (["houses", "pine trees", "a road", "utility poles"], ["a burning forested ridge"], "a hillside village"),
    "heavy_snow": (["houses with snow-covered roofs", "pine trees", "cars", "a fence"], ["mountains"], "a mountain village"),
    "cold_wave": (["a frozen river", "houses", "pine trees"], ["mountains"], "a rural village"),
    "typhoon": (["bent palm trees", "houses", "utility poles"], ["a rough sea"], "a coastal village"),
    "strong_wind": (["trees bending", "houses", "fields"], ["hills"], "countryside"),
    "earthquake": (["a cracked road", "collapsed houses", "rubble", "cars", "utility poles"], ["apartment blocks"], "a Korean city"),
    "tsunami": (["a sea wall", "a harbour with boats", "houses"], ["apartment blocks", "mountains"], "a Korean coastal town"),
    "storm_surge": (["a sea wall", "boats", "houses"], ["hills"], "a harbour town"),
    "high_seas": (["a harbour", "fishing boats"], ["mountains"], "a fishing port"),
}


def metadata_for(key: str, time_of_day: str = "afternoon", season: str = "summer") -> SceneMetadata:
    fg, bg, setting = SETTINGS.get(key, ([], [], "a town"))
    d = DISASTERS[key]
    return SceneMetadata(disaster=key, scene=f"{d.name_en} scene", setting=setting, foreground=list(fg),
                         background=list(bg), time_of_day=time_of_day, season=season)


def colour_regions(reg: np.ndarray) -> np.ndarray:
    lut = np.zeros((256, 3), np.uint8)
    for r, c in REGION_COLOURS.items():
        lut[int(r)] = c
    return lut[reg]


def colour_depth(dep: np.ndarray) -> np.ndarray:
    v = np.log(dep) / np.log(100.0)
    g = (255 * (1 - np.clip(v, 0, 1))).astype(np.uint8)
    return np.stack([g, g, g], -1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="/tmp/cinealert_look")
    ap.add_argument("--size", default="1024x576")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated disaster keys")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    os.makedirs(args.out, exist_ok=True)
    jobs = [(k, "afternoon", "summer") for k in
            ("flood", "heavy_rain", "landslide", "drought", "heat_wave", "yellow_dust", "wildfire", "heavy_snow",
             "cold_wave", "typhoon", "strong_wind", "earthquake", "tsunami", "storm_surge", "high_seas")]
    jobs += [("flood", "night", "summer"), ("wildfire", "night", "autumn"), ("heavy_snow", "dawn", "winter"),
             ("drought", "noon", "summer"), ("typhoon", "dusk", "autumn"), ("earthquake", "morning", "spring")]
    if args.only:
        keep = set(args.only.split(","))
        jobs = [j for j in jobs if j[0] in keep]
    ill = ProceduralIllustrator()
    for key, tod, season in jobs:
        md = metadata_for(key, tod, season)
        t0 = time.perf_counter()
        res = ill.generate(md, width=w, height=h, seed=args.seed)
        dt = time.perf_counter() - t0
        img = (np.clip(res.image, 0, 1) * 255 + 0.5).astype(np.uint8)
        name = f"{key}_{tod}"
        Image.fromarray(img).save(os.path.join(args.out, name + ".png"))
        maps = np.concatenate([img, colour_regions(res.regions), colour_depth(res.depth)], axis=1)
        Image.fromarray(maps).save(os.path.join(args.out, name + "_maps.png"))
        print(f"{name:28s} {dt * 1000:7.0f} ms  regions={res.info['region_fractions']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
