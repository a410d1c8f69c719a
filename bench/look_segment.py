"""Overlays of the development set: the hand-drawn truth (left) and the built-in segmenter (right).

    python bench/look_segment.py OUT_DIR
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import cv2
import numpy as np


def overlay(image: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 BGR: the image with each class tinted in regions.png's colours."""
    from cinealert.scene.overrides import PALETTE
    rgb = (image * 255).astype(np.float32)
    colours = np.array(PALETTE, np.float32)[regions]
    moving = (regions > 0)[..., None]
    out = np.where(moving, 0.45 * rgb + 0.55 * colours, rgb)
    return cv2.cvtColor(out.astype(np.uint8), cv2.COLOR_RGB2BGR)


def main() -> int:
    from cinealert.disasters import get_disaster
    from cinealert.evaluate.segmentation import load_devset
    from cinealert.scene.heuristic_segmenter import HeuristicSegmenter
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "look_segment")
    out.mkdir(parents=True, exist_ok=True)
    seg = HeuristicSegmenter()
    for item in load_devset():
        disaster = dataclasses.replace(get_disaster(item.disaster), regions=item.classes)
        pred = seg.segment(item.image, disaster=disaster)
        pair = np.concatenate([overlay(item.image, item.truth), overlay(item.image, pred)], axis=1)
        cv2.imwrite(str(out / f"{item.name}.png"), pair)
    print(f"wrote overlays to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
