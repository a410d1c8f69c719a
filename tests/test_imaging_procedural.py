"""Tests of the built-in procedural illustrator (small sizes, so the file runs in a few seconds)."""
from __future__ import annotations

import numpy as np
import pytest

from cinealert.disasters import DISASTERS, PAPER_TYPES
from cinealert.imaging.base import ImageResult
from cinealert.imaging.procedural import ProceduralIllustrator
from cinealert.prompting.metadata import SceneMetadata
from cinealert.regions import Region

W, H = 256, 144


def make_md(disaster: str, **kw) -> SceneMetadata:
    fields = dict(disaster=disaster, scene=f"{disaster} scene", setting="a rural Korean village",
                  foreground=[], background=[], time_of_day="afternoon", season="summer")
    fields.update(kw)
    return SceneMetadata(**fields)


_CACHE: dict = {}


def render(disaster: str, seed: int = 0, w: int = W, h: int = H, **kw) -> ImageResult:
    key = (disaster, seed, w, h, repr(sorted(kw.items())))
    if key not in _CACHE:
        _CACHE[key] = ProceduralIllustrator().generate(make_md(disaster, **kw), width=w, height=h, seed=seed)
    return _CACHE[key]


def test_backend_attributes():
    assert ProceduralIllustrator.name == "procedural"
    assert isinstance(ProceduralIllustrator.summary, str) and ProceduralIllustrator.summary
    assert ProceduralIllustrator.availability() == (True, "built in")


@pytest.mark.parametrize("disaster", sorted(DISASTERS))
def test_every_disaster_renders(disaster):
    res = render(disaster)
    assert res.backend == "procedural"
    assert res.image.shape == (H, W, 3) and res.image.dtype == np.float32
    assert np.isfinite(res.image).all()
    assert res.image.min() >= 0.0 and res.image.max() <= 1.0
    assert res.image.std() > 0.05                      # a picture, not a flat fill
    assert res.regions.shape == (H, W) and res.regions.dtype == np.uint8
    assert res.depth.shape == (H, W) and res.depth.dtype == np.float32
    # only the region classes that animate for this disaster (plus static)
    allowed = {int(Region.NONE)} | {int(r) for r in DISASTERS[disaster].regions}
    assert set(np.unique(res.regions).tolist()) <= allowed
    # depth: positive, finite, the bottom of the frame nearer than the top (the sky)
    assert np.isfinite(res.depth).all() and res.depth.min() > 0
    assert np.median(res.depth[-3:]) < np.median(res.depth[:3])
    assert res.info["scene"] == DISASTERS[disaster].scene
    assert 0 < res.info["horizon_row"] < H


@pytest.mark.parametrize("disaster,classes,minimum", [
    ("flood", (Region.WATER,), 0.15),
    ("landslide", (Region.DEBRIS,), 0.03),
    ("drought", (Region.SHIMMER,), 0.04),
    ("wildfire", (Region.FIRE, Region.SMOKE), 0.05),
    ("heavy_snow", (Region.CLOUD,), 0.10),
    ("typhoon", (Region.WATER, Region.FOLIAGE, Region.CLOUD), 0.20),
    ("earthquake", (Region.DUST,), 0.015),
])
def test_paper_types_have_moving_area(disaster, classes, minimum):
    assert disaster in PAPER_TYPES
    res = render(disaster)
    frac = np.isin(res.regions, [int(c) for c in classes]).mean()
    assert frac >= minimum, f"{disaster}: {frac:.3f} of the frame moves"


def test_wildfire_has_both_fire_and_smoke():
    reg = render("wildfire").regions
    assert (reg == Region.FIRE).mean() > 0.01
    assert (reg == Region.SMOKE).mean() > 0.01


def test_moving_regions_are_textured():
    """The motion stage warps these pixels: flat colour would show no motion."""
    def lum_std(res, cls):
        m = res.regions == cls
        lum = res.image @ np.array([0.2126, 0.7152, 0.0722], np.float32)
        return float(lum[m].std())

    assert lum_std(render("flood"), Region.WATER) > 0.02
    assert lum_std(render("wildfire"), Region.FIRE) > 0.04
    assert lum_std(render("wildfire"), Region.SMOKE) > 0.02
    assert lum_std(render("landslide"), Region.DEBRIS) > 0.02
    assert lum_std(render("tsunami"), Region.WATER) > 0.02


def test_objects_have_constant_depth_over_their_silhouette():
    # the flame front of a wildfire stands on the ridge: one depth for all its (non-overlapped) pixels
    res = render("wildfire")
    fire = res.depth[res.regions == Region.FIRE]
    assert fire.size and np.ptp(fire) < 0.05 * fire.max()


def test_deterministic():
    md = make_md("flood")
    a = ProceduralIllustrator().generate(md, width=W, height=H, seed=7)
    b = ProceduralIllustrator().generate(md, width=W, height=H, seed=7)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.regions, b.regions)
    assert np.array_equal(a.depth, b.depth)


def test_different_seeds_differ():
    a = render("earthquake", seed=1)
    b = render("earthquake", seed=2)
    assert np.abs(a.image - b.image).mean() > 0.02
    assert not np.array_equal(a.regions, b.regions)


def test_metadata_drives_the_picture():
    night = render("flood", time_of_day="night")
    day = render("flood", time_of_day="noon")
    assert night.image.mean() < day.image.mean() - 0.1
    assert night.image.mean() > 0.08                  # night must stay readable
    autumn = render("typhoon", season="autumn")
    assert autumn.info["objects"]
    with_apts = render("heavy_snow", foreground=["apartment blocks", "a frozen river"])
    assert "apartment block" in with_apts.info["objects"]


@pytest.mark.parametrize("w,h", [(64, 64), (320, 180), (144, 256), (255, 143)])
def test_other_sizes(w, h):
    res = ProceduralIllustrator().generate(make_md("wildfire"), width=w, height=h, seed=3)
    assert res.image.shape == (h, w, 3)
    assert res.regions.shape == (h, w) and res.depth.shape == (h, w)


@pytest.mark.parametrize("w,h", [(32, 144), (256, 10), (5000, 144), (256, 4097)])
def test_out_of_range_sizes_raise(w, h):
    with pytest.raises(ValueError):
        ProceduralIllustrator().generate(make_md("flood"), width=w, height=h)


def test_unknown_disaster_raises_with_the_available_keys():
    md = make_md("flood")
    md.disaster = "volcano"
    with pytest.raises(ValueError, match="wildfire"):
        ProceduralIllustrator().generate(md, width=W, height=H)


@pytest.mark.parametrize("size", [(144, 256), (854, 480), (576, 1024), (301, 517)])
def test_glow_blurred_in_its_box_is_the_whole_frame_blur(size):
    """The finishing pass blurs the glow only around the glowing pixels: bit for bit the whole frame's blur."""
    import cv2

    from cinealert.imaging.procedural.canvas import _add_glow

    rng = np.random.default_rng(size[0])
    h, w = size
    for sigma, (y0, x0, gh, gw) in [(1.5, (0, 0, 9, 7)), (2.88, (h // 3, w - 40, 30, 40)), (6.1, (5, w // 2, 60, w // 2)),
                                    (11.5, (h - 20, 3, 20, w - 6)), (4.0, (h // 2, w // 2, 1, 1))]:
        img = rng.random((h, w, 3), dtype=np.float32)
        glow = np.zeros((h, w), np.float32)
        glow[y0:y0 + gh, x0:x0 + gw] = rng.random(glow[y0:y0 + gh, x0:x0 + gw].shape, dtype=np.float32)
        expected = img + cv2.GaussianBlur(img * glow[..., None], (0, 0), sigma) * 0.9
        _add_glow(img, glow, sigma)
        assert img.tobytes() == expected.tobytes()
