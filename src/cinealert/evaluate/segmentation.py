"""Scoring moving-region maps against hand-drawn masks (the real-image development set).

The set lives in ``tests/data/real`` (``devset.json`` lists image, mask, disaster, scored classes and
whether the image is held out of tuning). IoU per class is ``|pred ∩ true| / |pred ∪ true|``. A class
absent from the truth (a clear sky that must stay still) has no IoU; it scores
``max(0, 1 - predicted share of the image / ABSENT_TOLERANCE)``: 1 when nothing is wrongly set moving,
0 when 5% of the picture or more is.
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cinealert.disasters import get_disaster
from cinealert.regions import Region, region_from_name

#: Share of the image wrongly given a class absent from the truth that scores 0.
ABSENT_TOLERANCE = 0.05

DEVSET = Path(__file__).resolve().parents[3] / "tests" / "data" / "real"


@dataclass
class DevItem:
    name: str
    image: np.ndarray          # (H, W, 3) float32 sRGB in [0, 1]
    truth: np.ndarray          # (H, W) uint8 Region values
    disaster: str
    classes: tuple[Region, ...]
    held_out: bool


def load_devset(root: str | Path = DEVSET) -> list[DevItem]:
    """The development set's images and their hand-drawn region maps."""
    from cinealert.scene.overrides import load_mask
    root = Path(root)
    doc = json.loads((root / "devset.json").read_text(encoding="utf-8"))
    items = []
    for entry in doc["items"]:
        bgr = cv2.imread(str(root / entry["image"]), cv2.IMREAD_COLOR)
        image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        classes = tuple(region_from_name(c) for c in entry["classes"])
        truth = load_mask(root / entry["mask"], image.shape[:2], default=classes[0],
                          classes=None if entry["mask"].endswith(".json") else classes)
        items.append(DevItem(Path(entry["image"]).stem, image, truth, entry["disaster"], classes,
                             bool(entry["held_out"])))
    return items


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    """IoU of two ``(H, W)`` bool masks (1.0 when both are empty)."""
    union = np.logical_or(pred, truth).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred, truth).sum() / union)


def score_item(segmenter, item: DevItem) -> dict:
    """Run ``segmenter`` on one item (allowed only the item's classes) and score it.

    Returns ``{"image", "held_out", "ms", "moving": IoU of moving vs moving, "<class>": IoU, ...}``.
    """
    disaster = dataclasses.replace(get_disaster(item.disaster), regions=item.classes)
    t0 = time.perf_counter()
    pred = segmenter.segment(item.image, disaster=disaster)
    ms = (time.perf_counter() - t0) * 1000.0
    row = {"image": item.name, "held_out": item.held_out, "ms": round(ms, 1),
           "moving": iou(pred != Region.NONE, item.truth != Region.NONE)}
    for c in item.classes:
        truth = item.truth == c
        row[c.name.lower()] = (iou(pred == c, truth) if truth.any()
                               else max(0.0, 1.0 - float((pred == c).mean()) / ABSENT_TOLERANCE))
    return row
