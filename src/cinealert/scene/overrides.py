"""Regions and depth the user gives instead of the scene stage's own (``--mask``, ``--depth-map``),
and the files that show the user what the scene stage used (``regions.png``, ``depth.png``).

File conventions (see docs/scene.md):

* ``--mask PNG``: a greyscale or RGB picture, white (>= 128) = moves, as the disaster's first
  region class; with ``classes`` (``--mask-classes water,fire``) pixel value ``i`` (1, 2, ...) is
  the ``i``-th named class and 0 is static. A palette PNG as ``regions.png`` writes it holds
  :class:`~cinealert.regions.Region` values and is read as such.
* ``--mask labelme.json``: labelme polygons (and rectangles, circles), drawn in file order, later
  shapes over earlier ones; each label is a region class name or synonym, or a static word.
* ``--depth-map NPY``: ``(H, W)`` float, larger = farther, positive. ``--depth-map PNG``: 8- or
  16-bit grey, white = near (as depth tools draw inverse depth); read as
  ``depth = 1 / (0.1 + 0.9 v)`` with ``v`` in [0, 1], so relative depth 1 (white) to 10 (black).
* ``depth.png`` is written in that same PNG convention, so it reads back to the same ordering.

Every size must match the picture exactly; nothing is resized to fit.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from cinealert.errors import InputError
from cinealert.regions import REGION_NAMES, Region

#: Label words (lower case) that name a region class, besides the class names themselves.
SYNONYMS: dict[str, Region] = {
    **{w: Region.WATER for w in ("river", "sea", "ocean", "lake", "flood", "flood water", "waterfall",
                                 "wave", "waves", "stream", "fluid", "puddle")},
    **{w: Region.FIRE for w in ("flame", "flames", "wildfire", "blaze")},
    **{w: Region.SMOKE for w in ("plume", "smog", "steam")},
    **{w: Region.CLOUD for w in ("clouds", "sky", "fog", "mist", "snowfall", "snow")},
    **{w: Region.FOLIAGE for w in ("tree", "trees", "grass", "vegetation", "leaves")},
    **{w: Region.DEBRIS for w in ("mud", "mudflow", "landslide", "lava")},
    **{w: Region.SHIMMER for w in ("heat haze", "haze", "mirage")},
    **{w: Region.DUST for w in ("sand", "sandstorm", "yellow dust", "blowing snow")},
    **{w: Region.NONE for w in ("static", "still", "background", "none", "_background_", "rock", "building")},
}

#: Colours of regions.png's palette, indexed by Region value.
PALETTE = ((0, 0, 0), (30, 110, 255), (255, 80, 0), (150, 150, 150), (235, 235, 255), (40, 170, 40),
           (130, 80, 30), (255, 210, 60), (210, 180, 120))


def label_region(label: str) -> Region:
    """The region class a mask label names (case-insensitive, synonyms allowed).

    Raises:
        InputError: the label is no class name or known synonym (the message names it).
    """
    word = " ".join(label.lower().replace("_", " ").split())
    for name, region in ((n, Region(v)) for v, n in REGION_NAMES.items()):
        if word == name:
            return region
    if word in SYNONYMS:
        return SYNONYMS[word]
    raise InputError(f"mask label {label!r} names no region class; use one of "
                     f"{', '.join(REGION_NAMES.values())} (or a synonym such as river, flame, plume, sky, static).")


def _read_image_file(path: Path, what: str, flags: int) -> np.ndarray:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {what} {str(path)!r}: {err.strerror or err}") from None
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), flags) if data else None
    if arr is None:
        raise InputError(f"cannot read {what} {str(path)!r}: not a readable PNG file.")
    return arr


def _check_size(arr_shape: tuple[int, ...], shape: tuple[int, int], what: str, path: Path) -> None:
    if tuple(arr_shape[:2]) != tuple(shape):
        raise InputError(f"{what} {str(path)!r} is {arr_shape[1]}x{arr_shape[0]} but the picture is "
                         f"{shape[1]}x{shape[0]}; give one of the same size (it is never resized).")


def load_labelme(path: str | Path, shape: tuple[int, int]) -> np.ndarray:
    """Rasterise a labelme JSON file into an ``(H, W)`` uint8 region map of ``shape``."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        shapes = doc["shapes"]
        size = (int(doc.get("imageHeight") or shape[0]), int(doc.get("imageWidth") or shape[1]))
    except OSError as err:
        raise InputError(f"cannot read mask {str(p)!r}: {err.strerror or err}") from None
    except (ValueError, KeyError, TypeError):
        raise InputError(f"mask {str(p)!r} is not a labelme JSON file (an object with a 'shapes' list).") from None
    _check_size(size, shape, "mask", p)
    regions = np.zeros(shape, np.uint8)
    for i, item in enumerate(shapes):
        try:
            label, kind = str(item["label"]), item.get("shape_type") or "polygon"
            pts = np.asarray(item["points"], np.float64).reshape(-1, 2)
        except (KeyError, TypeError, ValueError):
            raise InputError(f"mask {str(p)!r}: shape {i} has no label or no list of [x, y] points.") from None
        _draw_shape(regions, kind, pts, int(label_region(label)), f"mask {str(p)!r}: shape {i}")
    return regions


def _draw_shape(regions: np.ndarray, kind: str, pts: np.ndarray, value: int, where: str) -> None:
    """Fill one labelme shape into ``regions`` in place."""
    ipts = np.round(pts).astype(np.int32)
    if kind == "polygon" and len(ipts) >= 3:
        cv2.fillPoly(regions, [ipts], value)
    elif kind == "rectangle" and len(ipts) == 2:
        cv2.rectangle(regions, tuple(map(int, ipts.min(0))), tuple(map(int, ipts.max(0))), value, thickness=-1)
    elif kind == "circle" and len(ipts) == 2:
        radius = int(round(float(np.hypot(*(pts[1] - pts[0])))))
        cv2.circle(regions, tuple(map(int, ipts[0])), radius, value, thickness=-1)
    else:
        raise InputError(f"{where} is a {kind} with {len(ipts)} points; "
                         "use polygons (3 or more points), rectangles or circles.")


def load_mask_png(path: str | Path, shape: tuple[int, int], *, default: Region,
                  classes: tuple[Region, ...] | None = None) -> np.ndarray:
    """Read a mask PNG (see the module notes) into an ``(H, W)`` uint8 region map of ``shape``."""
    p = Path(path)
    arr = _read_image_file(p, "mask", cv2.IMREAD_UNCHANGED)
    _check_size(arr.shape, shape, "mask", p)
    if classes:
        index = arr if arr.ndim == 2 else arr[..., 0]
        if int(index.max()) > len(classes):
            raise InputError(f"mask {str(p)!r} holds class index {int(index.max())} but --mask-classes names "
                             f"only {len(classes)} ({', '.join(REGION_NAMES[c] for c in classes)}).")
        lut = np.array([0] + [int(c) for c in classes], np.uint8)
        return lut[index.astype(np.intp)]
    if _is_palette_png(p):
        from PIL import Image
        with Image.open(p) as im:
            index = np.asarray(im)                       # the palette indices, not the colours
        if int(index.max()) > max(Region):
            raise InputError(f"palette mask {str(p)!r} holds index {int(index.max())}; region classes go to "
                             f"{int(max(Region))} (see report.json scene.region_classes).")
        return index.astype(np.uint8)
    grey = arr if arr.ndim == 2 else cv2.cvtColor(arr[..., :3], cv2.COLOR_BGR2GRAY)
    white = grey >= (32768 if grey.dtype == np.uint16 else 128)
    if not white.any() and 0 < int(grey.max()) <= len(Region):
        raise InputError(f"mask {str(p)!r} has no white pixels but holds small values up to {int(grey.max())}: "
                         "a class-index mask? Name its classes with --mask-classes (e.g. water,fire).")
    return np.where(white, int(default), 0).astype(np.uint8)


def _is_palette_png(path: Path) -> bool:
    """Whether a PNG stores palette indices (colour type 3), as regions.png does."""
    head = path.read_bytes()[:26]
    return head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) == 26 and head[25] == 3


def load_mask(path: str | Path, shape: tuple[int, int], *, default: Region,
              classes: tuple[Region, ...] | None = None) -> np.ndarray:
    """A ``--mask`` file (labelme ``.json`` or a PNG) as an ``(H, W)`` uint8 region map of ``shape``."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        if classes:
            raise InputError("--mask-classes is for class-index PNG masks; a labelme file names its classes itself.")
        return load_labelme(p, shape)
    return load_mask_png(p, shape, default=default, classes=classes)


def parse_mask_classes(text: str | None) -> tuple[Region, ...] | None:
    """``"water,fire"`` → ``(Region.WATER, Region.FIRE)``; an unknown name is an InputError."""
    if not text:
        return None
    out = []
    for word in text.split(","):
        region = label_region(word)
        if region == Region.NONE:
            raise InputError(f"--mask-classes lists {word.strip()!r}; list moving classes only (0 is static).")
        out.append(region)
    return tuple(out)


def load_depth_map(path: str | Path, shape: tuple[int, int]) -> np.ndarray:
    """A ``--depth-map`` file (NPY or PNG, see the module notes) as ``(H, W)`` float32 depth."""
    p = Path(path)
    if p.suffix.lower() == ".npy":
        try:
            arr = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise InputError(f"cannot read depth map {str(p)!r}: {err}") from None
        if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
            raise InputError(f"depth map {str(p)!r} must be a 2-D numeric array, got shape {arr.shape} {arr.dtype}.")
        _check_size(arr.shape, shape, "depth map", p)
        depth = arr.astype(np.float32)
        if not np.isfinite(depth).all() or depth.min() <= 0:
            raise InputError(f"depth map {str(p)!r} must be finite and positive everywhere (larger = farther).")
        return depth
    arr = _read_image_file(p, "depth map", cv2.IMREAD_UNCHANGED)
    _check_size(arr.shape, shape, "depth map", p)
    grey = arr if arr.ndim == 2 else cv2.cvtColor(arr[..., :3], cv2.COLOR_BGR2GRAY)
    v = grey.astype(np.float32) / (65535.0 if grey.dtype == np.uint16 else 255.0)
    return (1.0 / (0.1 + 0.9 * v)).astype(np.float32)


def depth_to_png16(depth: np.ndarray) -> np.ndarray:
    """``(H, W)`` depth → ``(H, W)`` uint16 image, white = nearest, inverse depth normalised to the
    clip's range (the convention :func:`load_depth_map` reads)."""
    inv = 1.0 / depth.astype(np.float64)
    lo, hi = float(inv.min()), float(inv.max())
    v = (inv - lo) / (hi - lo) if hi > lo else np.ones_like(inv)
    return np.round(v * 65535.0).astype(np.uint16)


def regions_png_bytes(regions: np.ndarray) -> bytes:
    """A region map as palette PNG bytes whose pixel values are :class:`Region` values (regions.png)."""
    import io

    from PIL import Image
    im = Image.fromarray(regions.astype(np.uint8), mode="P")
    im.putpalette([c for rgb in PALETTE for c in rgb] + [0] * (768 - 3 * len(PALETTE)))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def depth_png_bytes(depth: np.ndarray) -> bytes:
    """``depth`` as 16-bit grey PNG bytes (white = near, see :func:`depth_to_png16`; depth.png)."""
    ok, buf = cv2.imencode(".png", depth_to_png16(depth))
    if not ok:
        raise ValueError("could not encode the depth map as PNG")
    return buf.tobytes()


def region_legend() -> dict[str, int]:
    """Class name → pixel value of regions.png (for report.json ``scene.region_classes``)."""
    return {name: int(v) for v, name in REGION_NAMES.items()}
