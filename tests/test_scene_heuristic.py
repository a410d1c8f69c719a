"""Tests of the built-in heuristic segmenter and depth estimator, on synthetic photos."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from cinealert.disasters import DISASTERS
from cinealert.regions import Region, check_regions
from cinealert.scene.heuristic_depth import HeuristicDepth, SKY_DEPTH, scene_cues
from cinealert.scene.heuristic_segmenter import HeuristicSegmenter
from cinealert.validate import check_depth

H, W = 288, 512
HORIZON = int(0.4 * H)


# ----------------------------------------------------------------------------------------
# Synthetic scenes: (H, W, 3) float32 images plus the masks that were drawn
# ----------------------------------------------------------------------------------------

def _noise(rng: np.random.Generator, sigma: float) -> np.ndarray:
    """``(H, W)`` float32 blurred noise with unit-ish amplitude."""
    return cv2.GaussianBlur(rng.standard_normal((H, W)).astype(np.float32), (0, 0), sigma)


def flood_scene() -> tuple[np.ndarray, np.ndarray]:
    """Blue sky over the top 40%, blue-grey rippled water below; returns (image, sky mask)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.empty((H, W, 3), np.float32)
    t = y / HORIZON
    img[..., 0], img[..., 1], img[..., 2] = 0.35 + 0.3 * t, 0.55 + 0.25 * t, 0.9
    ripple = 0.05 * np.sin(2 * np.pi * (y - HORIZON) / 7.0 + 0.3 * np.sin(2 * np.pi * x / 150))
    ripple += 0.01 * rng.standard_normal((H, W))
    water = np.array([0.35, 0.45, 0.55], np.float32) + ripple[..., None]
    sky = y < HORIZON
    img[~sky] = water[~sky]
    return np.clip(img, 0, 1).astype(np.float32), sky


def wildfire_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orange-yellow flame blob and a grey smoke column on a dark green hill under a blue sky.

    Returns (image, fire mask, smoke mask).
    """
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.empty((H, W, 3), np.float32)
    img[:] = (0.45, 0.6, 0.85)
    hill = y > 0.45 * H + 0.1 * H * np.sin(3 * x / W)
    grass = np.array([0.1, 0.3, 0.1], np.float32) + 0.12 * _noise(rng, 1.5)[..., None]
    img[hill] = grass[hill]
    fire = ((x - 0.5 * W) / (0.12 * W)) ** 2 + ((y - 0.62 * H) / (0.09 * H)) ** 2 < 1
    img[fire] = (1.0, 0.55, 0.1)
    core = ((x - 0.5 * W) / (0.05 * W)) ** 2 + ((y - 0.64 * H) / (0.04 * H)) ** 2 < 1
    img[core] = (1.0, 0.95, 0.7)                                # yellow-white core inside the flame
    rise = 0.62 * H - y
    smoke = (np.abs(x - 0.5 * W - 0.3 * rise) < 0.08 * W + 0.15 * rise) & (rise > 0.08 * H) & (y > 0.05 * H)
    img[smoke] = (0.5, 0.5, 0.52)
    return np.clip(img, 0, 1).astype(np.float32), fire, smoke


def windy_scene() -> tuple[np.ndarray, np.ndarray]:
    """Pale stormy sky, a textured green tree crown on a trunk, brown ground; returns (image, crown)."""
    rng = np.random.default_rng(2)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.empty((H, W, 3), np.float32)
    img[:] = (0.6, 0.68, 0.78)
    img[y > 0.6 * H] = (0.45, 0.42, 0.38)
    crown = ((x - 160) / 70) ** 2 + ((y - 110) / 70) ** 2 < 1
    n = _noise(rng, 2.0)[..., None] * 0.25
    leaves = np.array([0.15, 0.38, 0.12], np.float32) + n * np.array([0.5, 1.0, 0.4], np.float32)
    img[crown] = leaves[crown]
    img[(np.abs(x - 160) < 8) & (y > 170) & (y < 0.6 * H + 15)] = (0.3, 0.2, 0.12)
    return np.clip(img, 0, 1).astype(np.float32), crown


def muddy_flood_with_building() -> tuple[np.ndarray, np.ndarray]:
    """Overcast grey sky, brown rippled flood water and a grey building with windows standing in it.

    Returns (image, building mask).
    """
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.empty((H, W, 3), np.float32)
    img[:] = (0.72, 0.72, 0.74)
    below = y >= 0.43 * H
    ripple = 0.04 * np.sin((y - 0.43 * H) / 1.5 + x / 100) + 0.01 * rng.standard_normal((H, W))
    water = np.array([0.45, 0.36, 0.25], np.float32) + ripple[..., None]
    img[below] = water[below]
    building = (y >= 100) & (y < 165) & (x >= 350) & (x < 410)
    windows = ((y - 100) % 13 < 6) & ((x - 350) % 12 < 5)
    img[building] = (0.55, 0.55, 0.5)
    img[building & windows] = (0.3, 0.3, 0.25)
    return np.clip(img, 0, 1).astype(np.float32), building


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


@pytest.fixture(scope="module")
def segmenter() -> HeuristicSegmenter:
    return HeuristicSegmenter()


@pytest.fixture(scope="module")
def depth_backend() -> HeuristicDepth:
    return HeuristicDepth()


# ----------------------------------------------------------------------------------------
# Segmenter
# ----------------------------------------------------------------------------------------

def test_segmenter_identity():
    assert HeuristicSegmenter.name == "heuristic"
    assert HeuristicSegmenter.summary and "\n" not in HeuristicSegmenter.summary
    assert HeuristicSegmenter.availability() == (True, "built in")


def test_flood_finds_water_and_keeps_a_clear_sky_still(segmenter):
    image, sky = flood_scene()
    labels = segmenter.segment(image, disaster=DISASTERS["flood"])
    assert labels.shape == (H, W) and labels.dtype == np.uint8
    check_regions(labels, (H, W))
    assert iou(labels == Region.WATER, ~sky) >= 0.8
    assert (labels[-H // 4:] == Region.WATER).mean() > 0.95
    assert (labels[sky] == Region.NONE).mean() > 0.95          # a cloudless blue sky does not drift


def test_white_clouds_drift_in_a_blue_sky(segmenter):
    image, sky = flood_scene()
    y, x = np.mgrid[0:H, 0:W]
    cloud = (((x - 0.3 * W) / (0.12 * W)) ** 2 + ((y - 0.15 * H) / (0.06 * H)) ** 2 < 1)
    cloud |= (((x - 0.7 * W) / (0.1 * W)) ** 2 + ((y - 0.2 * H) / (0.05 * H)) ** 2 < 1)
    image[cloud] = (0.93, 0.94, 0.96)
    labels = segmenter.segment(image, disaster=DISASTERS["flood"])
    assert iou(labels == Region.CLOUD, cloud) >= 0.6
    assert (labels[sky & ~cloud] == Region.CLOUD).mean() < 0.05


def test_wildfire_finds_fire_and_smoke(segmenter):
    image, fire, smoke = wildfire_scene()
    labels = segmenter.segment(image, disaster=DISASTERS["wildfire"])
    assert iou(labels == Region.FIRE, fire) >= 0.5
    assert iou(labels == Region.SMOKE, smoke) >= 0.5
    # The dark green hill and the blue sky stay static.
    assert (labels[-10:, :40] == Region.NONE).all()
    assert (labels[:10, :40] == Region.NONE).all()


def test_wind_finds_foliage(segmenter):
    image, crown = windy_scene()
    labels = segmenter.segment(image, disaster=DISASTERS["strong_wind"])
    assert iou(labels == Region.FOLIAGE, crown) >= 0.5
    assert (labels[:10] == Region.CLOUD).mean() > 0.9


def test_building_in_muddy_water_stays_static(segmenter):
    image, building = muddy_flood_with_building()
    labels = segmenter.segment(image, disaster=DISASTERS["flood"])
    assert (labels[building] == Region.NONE).mean() > 0.8
    assert (labels[-H // 4:] == Region.WATER).mean() > 0.9
    assert (labels[: H // 4] == Region.CLOUD).mean() > 0.9


@pytest.mark.parametrize("key", sorted(DISASTERS))
def test_only_the_disasters_classes(segmenter, key):
    disaster = DISASTERS[key]
    allowed = {0, *map(int, disaster.regions)}
    for image in (flood_scene()[0], wildfire_scene()[0], windy_scene()[0]):
        labels = segmenter.segment(image, disaster=disaster)
        assert set(np.unique(labels).tolist()) <= allowed


def test_classes_outside_the_disaster_are_never_returned(segmenter):
    image, _, _ = wildfire_scene()
    labels = segmenter.segment(image, disaster=DISASTERS["flood"])       # no FIRE/SMOKE in a flood
    assert not np.isin(labels, [Region.FIRE, Region.SMOKE]).any()
    image, _ = flood_scene()
    labels = segmenter.segment(image, disaster=DISASTERS["wildfire"])    # no WATER/CLOUD in a fire
    assert not np.isin(labels, [Region.WATER, Region.CLOUD]).any()


def test_segmenter_is_deterministic_and_size_agnostic(segmenter):
    image, _ = flood_scene()
    a = segmenter.segment(image, disaster=DISASTERS["flood"])
    b = segmenter.segment(image.copy(), disaster=DISASTERS["flood"])
    assert np.array_equal(a, b)
    for shape in ((64, 64), (97, 131), (400, 300)):
        small = cv2.resize(image, shape[::-1], interpolation=cv2.INTER_AREA)
        labels = segmenter.segment(small, disaster=DISASTERS["flood"])
        assert labels.shape == shape and labels.dtype == np.uint8


def test_segmenter_drops_specks(segmenter):
    image, _ = flood_scene()
    image = image.copy()
    image[200:203, 100:103] = (1.0, 0.5, 0.0)                             # a 9-pixel orange speck
    labels = segmenter.segment(image, disaster=DISASTERS["wildfire"])
    assert not (labels == Region.FIRE).any()


@pytest.mark.parametrize("bad, error", [
    (np.zeros((H, W), np.float32), ValueError),
    (np.zeros((H, W, 4), np.float32), ValueError),
    (np.zeros((H, W, 3), np.uint8), TypeError),
    ([[0.0, 0.0, 0.0]], TypeError),
])
def test_segmenter_rejects_bad_input(segmenter, bad, error):
    with pytest.raises(error):
        segmenter.segment(bad, disaster=DISASTERS["flood"])


# ----------------------------------------------------------------------------------------
# Depth
# ----------------------------------------------------------------------------------------

def test_depth_identity():
    assert HeuristicDepth.name == "heuristic"
    assert HeuristicDepth.summary and "\n" not in HeuristicDepth.summary
    assert HeuristicDepth.availability() == (True, "built in")


def test_horizon_found():
    image, _ = flood_scene()
    cues = scene_cues(image, 320)
    h = cues.shape[0]
    assert abs(cues.horizon / h - 0.4) < 0.05


def test_depth_basic_properties(depth_backend):
    for image in (flood_scene()[0], wildfire_scene()[0], windy_scene()[0]):
        depth = depth_backend.estimate(image)
        check_depth(depth, (H, W))
        assert depth.dtype == np.float32
        assert np.isfinite(depth).all() and depth.min() > 0


def test_depth_layout(depth_backend):
    image, sky = flood_scene()
    depth = depth_backend.estimate(image)
    assert depth[-5:].mean() < depth[:5].mean()                          # bottom nearer than top
    assert np.median(depth[sky]) > 2 * np.median(depth[~sky])            # sky farther than ground
    assert np.median(depth[sky]) == pytest.approx(SKY_DEPTH, rel=0.05)
    assert depth[-1].mean() == pytest.approx(1.0, abs=0.3)               # nearest ground about 1
    rows = depth.mean(axis=1)[HORIZON + 10:]
    assert np.all(np.diff(rows) <= 1e-3)                                 # nearer going down


def test_standing_object_takes_its_base_depth(depth_backend):
    image, _ = flood_scene()
    image = image.copy()
    image[130:230, 200:300] = (0.7, 0.3, 0.25)                            # a red wall standing in water
    depth = depth_backend.estimate(image)
    wall = depth[140:220, 230:270]
    water_at_base = depth[232:236, 50:150].mean()
    assert wall.std() / wall.mean() < 0.15                               # about constant up the wall
    assert wall.mean() == pytest.approx(water_at_base, rel=0.35)
    assert wall.mean() < 0.5 * depth[140:150, 50:150].mean()             # nearer than the water behind


def test_depth_on_featureless_image(depth_backend):
    image = np.full((H, W, 3), 0.5, np.float32)
    depth = depth_backend.estimate(image)
    check_depth(depth, (H, W))
    assert depth[-1].mean() < depth[H // 2].mean()


def test_depth_is_deterministic(depth_backend):
    image, _, _ = wildfire_scene()
    assert np.array_equal(depth_backend.estimate(image), depth_backend.estimate(image.copy()))


@pytest.mark.parametrize("bad, error", [
    (np.zeros((H, W), np.float32), ValueError),
    (np.zeros((H, W, 3, 1), np.float32), ValueError),
    (np.zeros((H, W, 3), np.uint8), TypeError),
    ("photo.jpg", TypeError),
])
def test_depth_rejects_bad_input(depth_backend, bad, error):
    with pytest.raises(error):
        depth_backend.estimate(bad)


def test_water_and_fire_in_one_scene_are_distinct_classes(segmenter):
    import dataclasses
    image, fire, _ = wildfire_scene()
    flood, sky = flood_scene()
    water = np.zeros((H, W), bool)
    water[int(0.8 * H):] = True
    image[water] = flood[water]
    disaster = dataclasses.replace(DISASTERS["wildfire"], regions=(Region.FIRE, Region.SMOKE, Region.WATER))
    labels = segmenter.segment(image, disaster=disaster)
    assert iou(labels == Region.FIRE, fire) >= 0.5
    assert iou(labels == Region.WATER, water) >= 0.7
    assert (labels[fire] == Region.WATER).mean() < 0.02 and (labels[water] == Region.FIRE).mean() < 0.02


def lake_mirroring_its_shore() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A painted lake: sky, an orange and green shore with a blue rock face, and below the waterline
    the shore's colours smeared into vertical streaks (a pale band of water along the waterline).

    Returns (image, lake mask, blue rock mask).
    """
    rng = np.random.default_rng(4)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.empty((H, W, 3), np.float32)
    img[:] = (0.55, 0.7, 0.9)
    line = int(0.68 * H)
    shore = (y >= 0.3 * H) & (y < line)
    blocks = rng.uniform(0, 1, (12, 24))
    pick = cv2.resize(blocks, (W, H), interpolation=cv2.INTER_NEAREST)
    land = np.where((pick > 0.5)[..., None], np.float32([0.9, 0.45, 0.1]), np.float32([0.2, 0.45, 0.15]))
    land = land + 0.08 * _noise(rng, 1.5)[..., None]
    img[shore] = land[shore]
    rock = shore & (x > 0.15 * W) & (x < 0.35 * W) & (y < 0.55 * H)
    img[rock] = (np.float32([0.3, 0.45, 0.65]) + 0.06 * _noise(rng, 1.2)[..., None])[rock]
    lake = y >= line
    streaks = img[line - 40:line].mean(axis=0)                          # (W, 3) the shore's colours
    mirrored = streaks[None] * (0.85 + 0.03 * rng.standard_normal((H, 1, 1))).astype(np.float32)
    img[lake] = np.broadcast_to(mirrored, img.shape)[lake]
    img[line:line + 8] = (0.75, 0.82, 0.9)                              # pale water along the waterline
    return np.clip(img, 0, 1).astype(np.float32), lake, rock


def test_a_lake_mirroring_its_shore_is_water_and_blue_rock_above_it_is_not(segmenter):
    image, lake, rock = lake_mirroring_its_shore()
    labels = segmenter.segment(image, disaster=DISASTERS["flood"])
    assert iou(labels == Region.WATER, lake) >= 0.8
    assert (labels[rock] == Region.WATER).mean() < 0.1


def test_no_lake_without_streaks(segmenter):
    """The same shore over plain green ground: nothing below the shore is taken for a lake."""
    image, lake, _ = lake_mirroring_its_shore()
    rng = np.random.default_rng(5)
    ground = np.float32([0.25, 0.4, 0.15]) + 0.1 * _noise(rng, 1.5)[..., None]
    image[lake] = np.clip(ground, 0, 1)[lake]
    labels = segmenter.segment(image, disaster=DISASTERS["flood"])
    assert (labels[lake] == Region.WATER).mean() < 0.1
