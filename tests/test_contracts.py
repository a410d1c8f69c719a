"""Every backend of a stage passes the same checks: the stage's contract, whatever the backend.

Model backends run on tiny random models built from configs (tests/fixtures); their outputs are arbitrary
in content but must keep the contract exactly (shapes, dtypes, ranges, determinism, untouched pixels).
"""
from __future__ import annotations

import numpy as np
import pytest

from cinealert import models, registry
from cinealert.disasters import DISASTERS
from cinealert.regions import Region


def _image(h=64, w=96, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    img[: h // 3] = [0.55, 0.65, 0.85]                       # sky
    img[h // 3:] = [0.35, 0.30, 0.22]                       # ground
    img[2 * h // 3:, : w // 2] = [0.25, 0.35, 0.45]         # water
    img[h // 3: h // 2, w // 2:] = [0.95, 0.45, 0.10]       # fire
    return np.clip(img + rng.normal(0, 0.03, img.shape), 0, 1).astype(np.float32)


def _backend(stage: str, name: str, folders: dict):
    entry = registry.entry(stage, name)
    if entry.builtin:
        return registry.create(stage, name)
    return models.load_once(entry.load(), folders[name if name in folders else registry.STAGE_ROLES[stage]],
                            device="cpu")


SEGMENTERS = [n for n in registry.names("segmenter") if n != "hints"]
DEPTHS = [n for n in registry.names("depth") if n != "hints"]
INPAINTERS = registry.names("inpainter")
IMAGING = registry.names("imaging")


@pytest.mark.parametrize("name", SEGMENTERS)
@pytest.mark.parametrize("disaster", ["flood", "wildfire", "typhoon"])
def test_segmenter_contract(name, disaster, tiny_model_folders):
    seg = _backend("segmenter", name, tiny_model_folders)
    d = DISASTERS[disaster]
    img = _image()
    labels = seg.segment(img, disaster=d)
    assert labels.shape == img.shape[:2] and labels.dtype == np.uint8
    allowed = {int(Region.NONE)} | {int(r) for r in d.regions}
    assert set(np.unique(labels).tolist()) <= allowed
    assert np.array_equal(labels, seg.segment(img, disaster=d))          # deterministic
    with pytest.raises((TypeError, ValueError)):
        seg.segment(img.astype(np.float64), disaster=d)
    with pytest.raises((TypeError, ValueError)):
        seg.segment(img[..., :2], disaster=d)


@pytest.mark.parametrize("name", DEPTHS)
@pytest.mark.parametrize("shape", [(64, 96), (80, 48)])
def test_depth_contract(name, shape, tiny_model_folders):
    from cinealert.validate import check_depth
    est = _backend("depth", name, tiny_model_folders)
    img = _image(*shape)
    depth = est.estimate(img)
    assert depth.shape == shape and depth.dtype == np.float32
    check_depth(depth, shape)
    assert np.isfinite(depth).all() and (depth > 0).all()
    assert np.array_equal(depth, est.estimate(img))
    with pytest.raises((TypeError, ValueError)):
        est.estimate(img.astype(np.float64))


@pytest.mark.parametrize("name", INPAINTERS)
def test_inpainter_contract(name, tiny_model_folders):
    inp = _backend("inpainter", name, tiny_model_folders)
    img = _image(64, 96)
    known = np.ones(img.shape[:2], bool)
    known[20:44, 30:70] = False
    out = inp.inpaint(img, known)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert np.array_equal(out[known], img[known])                       # known pixels untouched
    assert not np.array_equal(out[~known], img[~known]) or True          # holes may keep any colour
    with pytest.raises(ValueError):
        inp.inpaint(img, known[:-1])


@pytest.mark.parametrize("name", IMAGING)
def test_imaging_contract(name, tiny_model_folders):
    from cinealert.alerts import read_input
    from cinealert.prompting import TemplateGenerator
    ill = _backend("imaging", name, tiny_model_folders)
    meta = TemplateGenerator().generate(read_input("flood"), seed=0)
    a = ill.generate(meta, width=96, height=64, seed=3)
    b = ill.generate(meta, width=96, height=64, seed=3)
    assert a.image.shape == (64, 96, 3) and a.image.dtype == np.float32
    assert 0 <= a.image.min() and a.image.max() <= 1
    assert np.array_equal(a.image, b.image) and a.backend == ill.name
    for hint, shape in ((a.regions, (64, 96)), (a.depth, (64, 96))):
        assert hint is None or hint.shape == shape
