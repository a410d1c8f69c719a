"""Built-in, weight-free motion-region segmentation for photos the user brings.

Each region class gets a soft score in [0, 1] per pixel from colour (HSV, Lab), texture (local
standard deviation, structure orientation) and layout (horizon, sky connected to the top
border, closeness to fire). Only the classes the disaster animates compete; a pixel takes the
best class when its score passes one half, else it stays static. The masks are then cleaned
(open/close, small components dropped, small holes filled) on the working grid and brought
back to full size with smooth boundaries that follow the image (guided filter).

All work happens on a shrunk copy (longer side ``long_side``), so the cost barely depends on
the input size.
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from cinealert.disasters import DisasterType
from cinealert.regions import Region
from cinealert.scene.heuristic_depth import SceneCues, box_mean, guided_filter, hue_near, ramp, scene_cues
from cinealert.validate import check_image

#: A pixel belongs to a class only when the class's score reaches this.
SCORE_THRESHOLD = 0.5
#: Components smaller than this fraction of the image are dropped.
MIN_COMPONENT = 0.002
#: Holes smaller than this fraction of the image are filled.
MAX_HOLE = 0.004
#: When masks overlap after cleaning, the earlier class in this order wins.
PRIORITY = (Region.FIRE, Region.SMOKE, Region.CLOUD, Region.WATER, Region.FOLIAGE,
            Region.DEBRIS, Region.DUST, Region.SHIMMER)


# ----------------------------------------------------------------------------------------
# Per-class scores: each takes the cues and returns an (h, w) float32 score in [0, 1]
# ----------------------------------------------------------------------------------------

def _below_horizon(cues: SceneCues) -> np.ndarray:
    """``(h, 1)`` float32: 0 above the horizon rising to 1 a little below it."""
    h = cues.shape[0]
    return ramp(cues.rows(), cues.horizon, cues.horizon + 0.03 * h)


def _clear_sky_gradient(cues: SceneCues, sky: np.ndarray) -> bool:
    """A pale, hazy clear sky: tinted (median saturation >= 0.10) and deeper towards the zenith than
    at the horizon (the row medians of saturation fall by >= 0.1 from the top third of the sky to its
    bottom third). An overcast sky is grey and even from top to bottom."""
    rows = np.flatnonzero(sky.sum(axis=1) >= 4)
    if rows.size < 6 or np.median(cues.sat[sky]) < 0.10:
        return False
    sat = np.array([np.median(cues.sat[y][sky[y]]) for y in rows])
    third = rows.size // 3
    return float(np.median(sat[:third]) - np.median(sat[-third:])) >= 0.1


def cloud_score(cues: SceneCues) -> np.ndarray:
    """Clouds: the white to grey part of the sky (the sky mask of the cues: bright, smooth,
    top-connected). A clear sky stays still, hazy horizon band included: when most of the sky is
    not whitish, only whitish pixels that stand out from their row of sky (patchy) count."""
    h, w = cues.shape
    # A cloud's sharp rim is too rough for the sky mask, which then holds the cloud as a hole.
    sky = _fill_holes(cues.sky, int(0.25 * h * w))
    whitish = ramp(cues.sat, 0.3, 0.18) * ramp(cues.val, 0.45, 0.6) * sky
    if not sky.any() or ((whitish[sky] >= 0.5).mean() >= 0.6 and not _clear_sky_gradient(cues, sky)):
        return whitish                                                           # overcast
    light = cues.lab[..., 0]
    row = np.zeros((h, 1), np.float32)
    for y in np.flatnonzero(sky.any(axis=1)):                                   # sky rows only
        row[y] = np.median(light[y][sky[y]])
    patchy = ramp(np.abs(light - row), 3.0, 8.0)
    return whitish * patchy


def _fire_glow(cues: SceneCues, fire: np.ndarray) -> np.ndarray:
    """``(h, w)`` float32: water mirroring a fire above it, below the bulk of the flames: the
    fire's hue (Lab hue angle within about 20 degrees), dimmer and paler (a quarter of its chroma
    or more), not black, and not vertically structured (trunks and reed stand upright, a water
    surface lies flat)."""
    if not fire.any():
        return np.zeros(cues.shape, np.float32)
    lab = cues.lab
    flames = fire & (cues.val >= 0.6)                    # the flames themselves, not the burning ground
    fire_a, fire_b = np.median(lab[flames if flames.any() else fire][:, 1:], axis=0)
    fire_angle, fire_chroma = np.degrees(np.arctan2(fire_b, fire_a)), float(np.hypot(fire_a, fire_b))
    bottom = float(np.percentile(np.nonzero(fire)[0], 90))
    below = ramp(cues.rows(), bottom, bottom + 0.03 * cues.shape[0])
    turn = np.abs(np.degrees(np.arctan2(lab[..., 2], lab[..., 1])) - fire_angle)
    turn = np.minimum(turn, 360.0 - turn)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    tint = ramp(turn, 22.0, 12.0) * ramp(chroma, 0.22 * fire_chroma, 0.35 * fire_chroma)
    return tint * ramp(cues.val, 0.12, 0.2) * ramp(cues.orientation, -0.2, 0.15) * below


def _level_streaks(cues: SceneCues) -> np.ndarray:
    """``(h,)`` float32 per row: the share of the colour gradient energy that runs across the row
    (horizontal changes, i.e. vertical streaks), over the whole width and a band of rows about 6%
    of the height. About 0.5 for foliage, rock and ground; 0.75 or more on mirrored water, whose
    reflections are smeared into vertical streaks."""
    h = cues.shape[0]
    gx = cv2.Sobel(cues.lab, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(cues.lab, cv2.CV_32F, 0, 1, ksize=3)
    ex, ey = (gx * gx).sum(axis=2).mean(axis=1), (gy * gy).sum(axis=2).mean(axis=1)
    k = max(2, round(0.03 * h))
    kernel = np.ones(2 * k + 1, np.float32) / (2 * k + 1)
    ex = np.convolve(np.pad(ex, k, mode="edge"), kernel, "valid")
    ey = np.convolve(np.pad(ey, k, mode="edge"), kernel, "valid")
    return (ex / (ex + ey + 1e-6)).astype(np.float32)


def _waterline(cues: SceneCues, bulk: np.ndarray) -> int | None:
    """The waterline row of a lake mirroring its shore down to the bottom of the picture, or None.

    The reflections of a still lake take any colour of the shore, so colour cannot find them; their
    layout can: from the bottom border up, rows streaked vertically (:func:`_level_streaks` >= 0.68
    over at least 6% of the height), topped by a level waterline (the strongest colour step between
    the rows above and below within 10% of the height over the streaks), where colour-found water
    (``bulk``, ``(h, w)`` bool) already spans a tenth of the width."""
    h = cues.shape[0]
    streaks = _level_streaks(cues)
    margin = max(2, round(0.02 * h))                           # the gradients are unreliable at the border
    top = h - margin
    while top > cues.horizon and streaks[top - 1] >= 0.68:
        top -= 1
    if h - margin - top < 0.06 * h:
        return None
    lab = cv2.GaussianBlur(cues.lab, (0, 0), 1.0)
    k = max(2, round(0.02 * h))
    rows = np.arange(max(k, top - round(0.1 * h)), min(top + k, h - k))
    if rows.size == 0:
        return None
    step = [np.median(np.linalg.norm(lab[y - k:y].mean(axis=0) - lab[y:y + k].mean(axis=0), axis=1)) for y in rows]
    waterline = int(rows[int(np.argmax(step))])
    near = bulk[max(0, waterline - k):waterline + 2 * k]
    if near.size == 0 or near.any(axis=0).mean() < 0.1:
        return None
    return waterline


def water_score(cues: SceneCues, fire: np.ndarray | None = None) -> np.ndarray:
    """Water: below the horizon; blue, grey(-green), muddy brown, mirroring the sky or a fire
    above it (``fire``: ``(h, w)`` bool flames, when the scene has them); fairly smooth, with
    horizontally elongated structure."""
    hue, sat, val = cues.hue, cues.sat, cues.val
    blue = hue_near(hue, 205.0, 45.0) * ramp(sat, 0.05, 0.15)
    # Grey water is smooth and lies flat; grey rock, roads and dark forest are rougher.
    grey = ramp(sat, 0.35, 0.2) * ramp(val, 0.15, 0.3) * ramp(cues.texture, 0.06, 0.03) \
        * ramp(cues.orientation, 0.0, 0.4)
    muddy = hue_near(hue, 32.0, 22.0) * ramp(sat, 0.1, 0.2) * ramp(sat, 0.7, 0.55) * ramp(val, 0.15, 0.3)
    colour = np.maximum(np.maximum(blue, grey), muddy)
    if fire is not None:
        colour = np.maximum(colour, _fire_glow(cues, fire))
    mirror = np.zeros(cues.shape, np.float32)
    if cues.sky.any():
        sky_lab = np.median(cues.lab[cues.sky], axis=0)
        mirror = ramp(np.linalg.norm(cues.lab - sky_lab, axis=2), 25.0, 10.0)
        colour = np.maximum(colour, mirror)
    smooth = ramp(cues.texture, 0.12, 0.06)
    elongated = 0.75 + 0.25 * ramp(cues.orientation, -0.3, 0.3)
    # A sea seen from above may lie above the horizon the cues found (at its far shore): flat,
    # smooth, non-sky water counts there too.
    flat = ramp(cues.orientation, 0.4, 0.7) * ramp(cues.texture, 0.04, 0.02) * (1.0 - cues.sky)
    place = np.maximum(_below_horizon(cues), flat)
    looks = colour * smooth * elongated
    score = looks * place * 1.25
    # Second pass: a flood is one body of water, so keep to the colour of the bulk of it
    # (or to the mirrored sky); this rejects grey walls and roads of another shade.
    bulk = score >= 0.5
    if bulk.sum() > 0.01 * bulk.size:
        water_lab = np.median(cues.lab[bulk], axis=0)
        dist = np.linalg.norm(cues.lab - water_lab, axis=2)
        similar = ramp(dist, 30.0, 15.0)
        # ... and it goes on wherever its colour does next to it, above the horizon too (a sea
        # behind the treetops the horizon was found on).
        reach = max(3, round(0.03 * max(cues.shape)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
        beside = cv2.dilate(bulk.astype(np.uint8), kernel).astype(np.float32)
        place = np.maximum(place, ramp(dist, 12.0, 6.0) * beside * (1.0 - cues.sky))
        score = looks * place * 1.25 * np.maximum(similar, mirror)
    waterline = _waterline(cues, bulk)
    if waterline is not None:
        # Below the waterline, the lake: all of it (the sky excepted). Above it, water either falls
        # (white water: bright and pale) or lies level far off; blue rock and shadow do neither.
        falls = ramp(sat, 0.4, 0.25) * ramp(val, 0.55, 0.7)
        level = ramp(cues.orientation, 0.3, 0.6)
        score[:waterline] *= np.maximum(falls, level)[:waterline]
        score[waterline:] = np.maximum(score[waterline:], 0.9 * (1.0 - cues.sky[waterline:]))
        score = np.maximum(score, _falls_into(cues, falls, waterline))
    return score


def _falls_into(cues: SceneCues, white: np.ndarray, waterline: int) -> np.ndarray:
    """``(h, w)`` float32: a waterfall feeding the lake below ``waterline``: white water (``white``,
    ``(h, w)`` in [0, 1], >= 0.5, not sky) connected down to the waterline, where it runs
    vertically (the fall) or lies level (its spray and pool); 0.9 there, 0 elsewhere."""
    pale = (white >= 0.5) & ~cues.sky
    pale[waterline:] = True
    _, labels = cv2.connectedComponents(pale.astype(np.uint8), connectivity=8)
    lake = np.unique(labels[waterline:])
    streaked = np.abs(cues.orientation) >= 0.2
    out = (np.isin(labels, lake[lake > 0]) & (white >= 0.5) & streaked).astype(np.float32) * 0.9
    out[waterline:] = 0.0
    return out


def fire_score(cues: SceneCues) -> np.ndarray:
    """Flames: bright, saturated red to yellow (hue 0-50 degrees) with the flicker of flames (some
    local texture; a smooth warm area is smoke or cloud lit by the fire, unless it glows at full
    brightness and saturation), plus the bright yellow-white cores that touch them, plus the burning
    ground between dense flames (:func:`_fire_zone`)."""
    hue, sat, val = cues.hue, cues.sat, cues.val
    warm = np.maximum(hue_near(hue, 28.0, 32.0), hue_near(hue, 355.0, 15.0))
    flicker = np.maximum(ramp(cues.texture, 0.012, 0.03), ramp(sat, 0.6, 0.75) * ramp(val, 0.85, 0.95))
    flame = warm * ramp(sat, 0.4, 0.6) * ramp(val, 0.5, 0.7) * flicker
    core = (val > 0.85) & ((hue_near(hue, 45.0, 30.0) > 0) | (sat < 0.2)) & (sat < 0.6)
    grown = flame > SCORE_THRESHOLD
    reach = max(3, round(0.03 * max(cues.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    for _ in range(3):                                   # cores next to flames, a few steps deep
        near = cv2.dilate(grown.astype(np.uint8), kernel).astype(bool)
        grown = grown | (core & near)
    return np.maximum(np.maximum(flame, grown.astype(np.float32) * 0.9), 0.7 * _fire_zone(cues, grown))


def _fire_zone(cues: SceneCues, flames: np.ndarray) -> np.ndarray:
    """``(h, w)`` float32 in {0, 1}: a burning stand: where flames cover at least a third of the
    neighbourhood (a window of about 8% of the longer side), the dark trunks and the glowing ground
    between them burn too; warm-lit or dark pixels there count, cool (blue, green) ones do not."""
    if flames.sum() < 0.01 * flames.size:
        return np.zeros(cues.shape, np.float32)
    r = max(2, round(0.04 * max(cues.shape)))
    density = box_mean(flames.astype(np.float32), r)
    lit = np.maximum(hue_near(cues.hue, 25.0, 40.0) * ramp(cues.sat, 0.3, 0.5), ramp(cues.val, 0.3, 0.15))
    return ((density >= 0.33) & (lit >= 0.5)).astype(np.float32)


def _near_fire(cues: SceneCues, fire: np.ndarray) -> np.ndarray:
    """``(h, w)`` float32 in [0, 1]: 1 on and above fire (a plume rises), fading with distance."""
    h, w = cues.shape
    if not fire.any():
        return np.zeros((h, w), np.float32)
    # Stretch the fire mask upward so a plume above it counts as near.
    above = np.maximum.accumulate(fire[::-1].astype(np.uint8), axis=0)[::-1]
    dist = cv2.distanceTransform((1 - above).astype(np.uint8), cv2.DIST_L2, 3)
    return ramp(dist, 0.25 * max(h, w), 0.05 * max(h, w))


def smoke_score(cues: SceneCues, fire: np.ndarray, cloud_allowed: bool) -> np.ndarray:
    """Smoke: grey to brownish, smooth (also for its brightness: shadowed forest is dark, so its
    plain texture is small, but large next to its lightness), not black; near or above fire, or in
    the upper half.

    When the sky is animated as CLOUD too, sky pixels stay CLOUD unless they are near fire
    or darker/warmer than the sky on average.
    """
    h = cues.shape[0]
    greyish = ramp(cues.sat, 0.4, 0.2) * ramp(cues.val, 0.12, 0.25)
    smooth = ramp(cues.texture, 0.09, 0.04) * ramp(cues.texture / (cues.lab[..., 0] / 100.0 + 0.05), 0.14, 0.07)
    near = _near_fire(cues, fire)
    upper = ramp(cues.rows(), 0.65 * h, 0.45 * h)
    score = greyish * smooth * np.maximum(near, 0.8 * upper) * 1.3
    if cloud_allowed and cues.sky.any():
        lab = cues.lab
        sky_l, sky_b = np.median(lab[cues.sky][:, 0]), np.median(lab[cues.sky][:, 2])
        smoky = np.maximum(ramp(sky_l - lab[..., 0], 5.0, 15.0), ramp(lab[..., 2] - sky_b, 3.0, 10.0))
        score = np.where(cues.sky, score * np.maximum(near, smoky), score)
    return score


def foliage_score(cues: SceneCues) -> np.ndarray:
    """Vegetation: green to dark green, textured (dark or deeply saturated green counts even
    when smooth)."""
    green = hue_near(cues.hue, 110.0, 55.0) * ramp(cues.sat, 0.1, 0.2) * ramp(cues.val, 0.05, 0.12)
    textured = ramp(cues.texture, 0.01, 0.03)
    leafy = np.maximum(ramp(cues.val, 0.45, 0.3), ramp(cues.sat, 0.35, 0.55))
    return green * np.maximum(textured, 0.8 * leafy) * (1.0 - cues.sky) * 1.2


def debris_score(cues: SceneCues) -> np.ndarray:
    """Mud and debris: brown, somewhat textured, below the horizon."""
    brown = hue_near(cues.hue, 30.0, 25.0) * ramp(cues.sat, 0.15, 0.3) * ramp(cues.val, 0.1, 0.2)
    brown = brown * ramp(cues.val, 0.85, 0.7)
    textured = ramp(cues.texture, 0.01, 0.035)
    return brown * textured * _below_horizon(cues) * 1.2


def dust_score(cues: SceneCues) -> np.ndarray:
    """Dust haze: yellow-grey, moderately bright, low contrast."""
    tint = np.maximum(hue_near(cues.hue, 45.0, 30.0), ramp(cues.sat, 0.15, 0.08))
    hazy = ramp(cues.sat, 0.5, 0.35) * ramp(cues.val, 0.35, 0.5) * ramp(cues.texture, 0.07, 0.03)
    return tint * hazy * 1.2


def shimmer_score(cues: SceneCues) -> np.ndarray:
    """Heat shimmer: the band of ground just below the horizon (not sky)."""
    h = cues.shape[0]
    rows = cues.rows()
    band = _below_horizon(cues) * ramp(rows, cues.horizon + 0.18 * h, cues.horizon + 0.12 * h)
    return np.broadcast_to(band, cues.shape) * (1.0 - cues.sky)


# ----------------------------------------------------------------------------------------
# Mask clean-up
# ----------------------------------------------------------------------------------------

def _drop_small(mask: np.ndarray, min_area: int) -> np.ndarray:
    """Drop the 8-connected components of an ``(h, w)`` bool mask smaller than ``min_area``."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return keep[labels]


def _fill_holes(mask: np.ndarray, max_area: int) -> np.ndarray:
    """Fill holes (background components not touching the border) up to ``max_area`` pixels."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), connectivity=4)
    if n <= 1:
        return mask
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    fill = stats[:, cv2.CC_STAT_AREA] <= max_area
    fill[0] = False
    fill[border] = False
    return mask | fill[labels]


def clean_mask(mask: np.ndarray) -> np.ndarray:
    """Open, close, drop small components and fill small holes of an ``(h, w)`` bool mask."""
    h, w = mask.shape
    k = max(3, (round(max(h, w) / 100) // 2) * 2 + 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    m = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, kernel).astype(bool)
    m = _drop_small(m, max(1, int(MIN_COMPONENT * h * w)))
    return _fill_holes(m, int(MAX_HOLE * h * w))


def _drop_stacked_water(water: np.ndarray) -> np.ndarray:
    """Water does not hang above land above water: drop each water component (of an ``(h, w)`` bool
    mask) that lies wholly above the largest one, in the columns they share (most of its own), with
    at least 3% of the height of non-water between them: blue rock, shadowed cliffs and sky-coloured
    walls above a lake or river. Components beside the main body, or below it, stay."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(water.astype(np.uint8), connectivity=8)
    if n <= 2:
        return water
    h = water.shape[0]
    main = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    body = labels == main
    has = body.any(axis=0)
    body_top = np.where(has, np.argmax(body, axis=0), h)                     # (w,) first body row
    out = water.copy()
    for i in range(1, n):
        if i == main:
            continue
        x, wd = stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_WIDTH]
        cols = slice(x, x + wd)
        shared = has[cols]
        if shared.mean() < 0.5:
            continue
        bottom = stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT]
        if bottom + 0.03 * h <= np.median(body_top[cols][shared]):
            out &= labels != i
    return out


def _reflections_to_water(cues: SceneCues, fire: np.ndarray, water: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fire's reflection is water: move each fire component that lies below the bulk of the
    flames (its top under the 80th percentile of their rows) and either lies flat (level structure:
    mean orientation >= 0.3; flames lick upward) or has water beside and below it (half of the
    pixels just around its lower half) from ``fire`` to ``water`` (``(h, w)`` bool masks; new copies)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fire.astype(np.uint8), connectivity=8)
    if n <= 2 or not water.any():
        return fire, water
    bulk_bottom = np.percentile(np.nonzero(fire)[0], 80)
    k = max(3, (round(max(fire.shape) / 60) // 2) * 2 + 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    fire, water = fire.copy(), water.copy()
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_TOP] <= bulk_bottom:
            continue
        part = labels == i
        ring = cv2.dilate(part.astype(np.uint8), kernel).astype(bool) & ~part
        ring[:int(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] // 2)] = False   # sides and below
        if cues.orientation[part].mean() >= 0.3 or (ring.any() and water[ring].mean() >= 0.5):
            fire &= ~part
            water |= part
    return fire, water


# ----------------------------------------------------------------------------------------
# The backend
# ----------------------------------------------------------------------------------------

class HeuristicSegmenter:
    """Colour, texture and layout rules that find the moving regions of a disaster photo."""

    name = "heuristic"
    summary = "built-in colour/texture/layout rules (sky, water, fire, smoke, foliage, mud, dust, shimmer)"

    def __init__(self, long_side: int = 320, edge_radius: float = 0.008, eps: float = 1e-2):
        """Args:
            long_side: longer side of the working grid the rules run on.
            edge_radius: guided-filter radius for the upscaled boundaries, as a fraction of the
                image's longer side.
            eps: guided-filter regularisation (smaller snaps boundaries to image edges harder).
        """
        self.long_side = long_side
        self.edge_radius = edge_radius
        self.eps = eps

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def segment(self, image: np.ndarray, *, disaster: DisasterType) -> np.ndarray:
        """Label the moving regions of an ``(H, W, 3)`` float32 sRGB image in [0, 1].

        Returns:
            ``(H, W)`` uint8 :class:`Region` labels; only classes in ``disaster.regions``
            appear, everything else is ``Region.NONE``.
        """
        check_image(image)
        H, W = image.shape[:2]
        allowed = [r for r in PRIORITY if r in disaster.regions]
        if not allowed:
            return np.zeros((H, W), np.uint8)
        cues = scene_cues(image, self.long_side)
        masks = self._masks(cues, allowed)
        return self._upscale(image, masks, (H, W))

    # -- steps ----------------------------------------------------------------------------

    def _scores(self, cues: SceneCues, allowed: list[Region]) -> dict[Region, np.ndarray]:
        """``(h, w)`` float32 score of each allowed class on the working grid."""
        rules: dict[Region, Callable[[SceneCues], np.ndarray]] = {
            Region.CLOUD: cloud_score, Region.FOLIAGE: foliage_score,
            Region.DEBRIS: debris_score, Region.DUST: dust_score, Region.SHIMMER: shimmer_score,
        }
        scores: dict[Region, np.ndarray] = {}
        fire = np.zeros(cues.shape, bool)
        if Region.FIRE in allowed or Region.SMOKE in allowed:
            fire_s = fire_score(cues)
            fire = clean_mask(fire_s >= SCORE_THRESHOLD)
            if Region.FIRE in allowed:
                scores[Region.FIRE] = fire_s
        if Region.SMOKE in allowed:
            scores[Region.SMOKE] = smoke_score(cues, fire, Region.CLOUD in allowed)
        if Region.WATER in allowed:
            scores[Region.WATER] = water_score(cues, fire if Region.FIRE in allowed else None)
        for region in allowed:
            if region in rules:
                scores[region] = np.broadcast_to(rules[region](cues), cues.shape).astype(np.float32)
        return scores

    def _masks(self, cues: SceneCues, allowed: list[Region]) -> dict[Region, np.ndarray]:
        """Clean, non-overlapping ``(h, w)`` bool mask of each allowed class."""
        scores = self._scores(cues, allowed)
        order = [r for r in allowed if r in scores]
        stack = np.stack([scores[r] for r in order], axis=0)                    # (k, h, w)
        best = np.argmax(stack, axis=0)
        winner = np.take_along_axis(stack, best[None], axis=0)[0] >= SCORE_THRESHOLD
        taken = np.zeros(cues.shape, bool)
        masks: dict[Region, np.ndarray] = {}
        for i, region in enumerate(order):                                       # priority order
            m = clean_mask(winner & (best == i)) & ~taken
            masks[region] = m
            taken |= m
        if Region.WATER in masks:
            masks[Region.WATER] = _drop_stacked_water(masks[Region.WATER])
        if Region.FIRE in masks and Region.WATER in masks:
            masks[Region.FIRE], masks[Region.WATER] = _reflections_to_water(
                cues, masks[Region.FIRE], masks[Region.WATER])
        return masks

    def _upscale(self, image: np.ndarray, masks: dict[Region, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
        """Bring working-grid masks to ``shape`` ``(H, W)`` with boundaries snapped to image edges.

        Returns ``(H, W)`` uint8 labels.
        """
        H, W = shape
        labels = np.zeros((H, W), np.uint8)
        present = [(r, m) for r, m in masks.items() if m.any()]
        if not present:
            return labels
        guide = cv2.cvtColor(np.clip(image, 0.0, 1.0), cv2.COLOR_RGB2GRAY)
        radius = max(2, round(self.edge_radius * max(H, W)))
        soft = []
        for _, m in present:
            s = cv2.resize(m.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
            soft.append(guided_filter(guide, s, radius, self.eps))
        soft = np.stack(soft, axis=0)                                            # (k, H, W)
        best = np.argmax(soft, axis=0)
        on = np.take_along_axis(soft, best[None], axis=0)[0] >= 0.5
        values = np.array([int(r) for r, _ in present], np.uint8)
        labels[on] = values[best[on]]
        return labels
