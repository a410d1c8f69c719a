"""The DPT / Depth Anything depth backends, on tiny random models built here (nothing is downloaded)."""
from __future__ import annotations

import importlib.util
import json
import shutil

import cv2
import numpy as np
import pytest
from fixtures.tiny_depth import make_tiny_depth_anything, make_tiny_dpt

from cinealert.errors import BackendUnavailable
from cinealert.scene.model_depth import (
    FAR_DEPTH,
    DepthAnythingDepth,
    DptDepth,
    TransformersDepth,
    disparity_to_depth,
    metric_to_depth,
)
from cinealert.validate import check_depth

pytestmark = pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("torch", "transformers")),
                                reason="the model backends need torch and transformers")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_depth")
    return {
        "dpt": make_tiny_dpt(root / "dpt"),
        "dpt-hybrid": make_tiny_dpt(root / "dpt_hybrid", hybrid=True),
        "depth-anything": make_tiny_depth_anything(root / "da"),
        "depth-anything-metric": make_tiny_depth_anything(root / "da_metric", metric=True),
    }


BACKENDS = {"dpt": DptDepth, "dpt-hybrid": DptDepth, "depth-anything": DepthAnythingDepth,
            "depth-anything-metric": DepthAnythingDepth}


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Sky over ground with a box standing on it, a little noise."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    img[: h // 3] = [0.55, 0.7, 0.9]
    img[h // 3:] = [0.35, 0.45, 0.25]
    img[h // 2: h - h // 8, w // 3: w // 2] = [0.75, 0.3, 0.2]
    img += rng.uniform(-0.05, 0.05, img.shape).astype(np.float32)
    return np.clip(img, 0, 1).astype(np.float32)


class Injected(DptDepth):
    """DPT backend whose model prediction is replaced by a given array (the model is still loaded)."""

    raw: np.ndarray | None = None

    def _disparity(self, image):
        return self.raw


# -- registry attributes, accepts -----------------------------------------------------------------

def test_backend_attributes():
    assert (DptDepth.name, DepthAnythingDepth.name) == ("dpt", "depth-anything")
    assert DptDepth.role == DepthAnythingDepth.role == "depth"
    assert issubclass(DptDepth, TransformersDepth) and issubclass(DepthAnythingDepth, TransformersDepth)
    for cls in (DptDepth, DepthAnythingDepth):
        usable, reason = cls.availability()
        assert usable and reason


def test_accepts(folders, tmp_path):
    assert DptDepth.accepts(folders["dpt"]) is None
    assert DptDepth.accepts(folders["dpt-hybrid"]) is None
    assert DepthAnythingDepth.accepts(folders["depth-anything"]) is None
    assert DepthAnythingDepth.accepts(folders["depth-anything-metric"]) is None
    assert "depth_anything" in DptDepth.accepts(folders["depth-anything"])
    assert "'dpt'" in DepthAnythingDepth.accepts(folders["dpt"])
    assert "not a folder" in DptDepth.accepts(tmp_path / "nothing")
    assert "config.json" in DptDepth.accepts(tmp_path)
    seg = tmp_path / "seg"
    seg.mkdir()
    (seg / "config.json").write_text(json.dumps({"model_type": "dpt",
                                                 "architectures": ["DPTForSemanticSegmentation"]}))
    assert "depth head" in DptDepth.accepts(seg)


# -- end to end on the tiny models ----------------------------------------------------------------

@pytest.mark.parametrize("kind", list(BACKENDS))
@pytest.mark.parametrize("shape", [(64, 96), (80, 48)])
def test_estimate(folders, kind, shape):
    backend = BACKENDS[kind](folders[kind])
    image = _image(*shape)
    depth = backend.estimate(image)
    assert depth.shape == shape and depth.dtype == np.float32
    check_depth(depth, shape)
    assert np.isfinite(depth).all() and depth.min() > 0
    rep = backend.last_report
    for key in ("model", "kind", "working_size", "raw_range", "seconds", "output"):
        assert key in rep
    if kind == "depth-anything-metric":
        assert rep["output"] == "metric" and depth.max() <= 20.0 + 1e-3
    else:
        assert rep["output"] == "relative-inverse"
        assert depth.min() >= 1.0 - 1e-4 and depth.max() <= FAR_DEPTH * (1 + 1e-4)
        assert depth.max() / depth.min() > 1.5          # the calibrated tiny model predicts some structure


def test_working_sizes(folders):
    dpt = DptDepth(folders["dpt"])
    assert dpt.working_size((80, 48)) == (64, 64)          # plain DPT: square input only
    hybrid = DptDepth(folders["dpt-hybrid"], resolution=128)
    assert hybrid.working_size((300, 500)) == (64, 64)     # DPT-Hybrid: fixed at config.image_size
    da = DepthAnythingDepth(folders["depth-anything"])
    for shape in [(64, 96), (80, 48), (300, 500), (100, 1000)]:
        h, w = da.working_size(shape)
        assert h % 14 == 0 and w % 14 == 0
        assert max(h, w) <= 2 * 56
        assert (h >= w) == (shape[0] >= shape[1])          # aspect kept
    assert da.working_size((300, 500)) == (56, 98)         # the shorter side goes to the processor's size
    assert DepthAnythingDepth(folders["depth-anything"], resolution=112).working_size((300, 500))[0] == 112
    da.estimate(_image(80, 48))
    assert da.last_report["working_size"] == list(da.working_size((80, 48)))


def test_into_layers(folders, layered_scene):
    from cinealert.render.layers import build_layers

    image = layered_scene[0]
    depth = DepthAnythingDepth(folders["depth-anything"]).estimate(image)
    scene = build_layers(image, depth, max_shift_px=8)
    assert len(scene.layers) >= 1
    assert scene.layers[0].rgba.shape == image.shape[:2] + (4,)


# -- conversion, with an injected prediction ------------------------------------------------------

def test_larger_disparity_is_nearer(folders):
    b = Injected(folders["dpt"], edge_aware=False)
    h, w = 64, 96
    b.raw = np.tile(np.linspace(0.0, 3.0, w, dtype=np.float32), (h, 1))
    depth = b.estimate(_image(h, w))
    row = depth[h // 2]
    assert np.all(np.diff(row) <= 1e-6)                    # monotone: disparity grows → depth shrinks
    assert row[0] == pytest.approx(FAR_DEPTH, rel=1e-4)    # below the 2nd percentile → farthest
    assert row[-1] == pytest.approx(1.0, rel=1e-4)         # above the 98th percentile → nearest
    assert depth.min() >= 1.0 - 1e-6 and depth.max() <= FAR_DEPTH * (1 + 1e-6)
    assert b.last_report["normalise"][0] < b.last_report["normalise"][1]


def test_conversion_is_affine_invariant():
    rng = np.random.default_rng(1)
    disp = rng.uniform(0, 1, (20, 30)).astype(np.float32)
    a, _ = disparity_to_depth(disp)
    b, _ = disparity_to_depth(disp * 250.0 + 17.0)         # any scale and shift of the model's output
    np.testing.assert_allclose(a, b, rtol=1e-4)
    # 1 / depth is affine in the disparity between the percentiles
    inv = 1.0 / a
    inside = (disp > np.percentile(disp, 5)) & (disp < np.percentile(disp, 95))
    fit = np.polyfit(disp[inside], inv[inside], 1)
    assert np.abs(np.polyval(fit, disp[inside]) - inv[inside]).max() < 1e-4


@pytest.mark.parametrize("raw", [np.full((8, 12), 0.7, np.float32), np.zeros((8, 12), np.float32),
                                 np.full((8, 12), 1e-8, np.float32)])
def test_constant_disparity(folders, raw):
    b = Injected(folders["dpt"])
    b.raw = raw
    depth = b.estimate(_image(64, 96))
    check_depth(depth, (64, 96))
    np.testing.assert_allclose(depth, 1.0)
    assert b.last_report["constant"] is True


def test_sparse_and_non_finite_disparity(folders):
    b = Injected(folders["dpt"], edge_aware=False)
    raw = np.zeros((8, 12), np.float32)
    raw[2, 3] = 5.0                     # fewer than 2 % non-zero: percentiles coincide, min/max are used
    raw[5, 5] = np.nan
    raw[6, 6] = np.inf
    b.raw = raw
    depth = b.estimate(_image(64, 96))
    check_depth(depth, (64, 96))
    assert depth.min() < 2.0 and depth.max() == pytest.approx(FAR_DEPTH, rel=1e-4)   # the spike is near


def test_metric_skips_inversion(folders):
    assert DepthAnythingDepth(folders["depth-anything-metric"]).metric is True
    assert DepthAnythingDepth(folders["depth-anything"]).metric is False
    assert DptDepth(folders["dpt"]).metric is False
    assert TransformersDepth._is_metric({"model_type": "dpt", "backbone_config": {"model_type": "dinov2"}})
    assert not TransformersDepth._is_metric({"model_type": "dpt", "is_hybrid": True,
                                             "backbone_config": {"model_type": "bit"}})

    b = Injected(folders["dpt"], output="metric", edge_aware=False)
    h, w = 64, 96
    b.raw = np.tile(np.linspace(2.0, 30.0, w, dtype=np.float32), (h, 1))   # metres, larger = farther
    depth = b.estimate(_image(h, w))
    np.testing.assert_allclose(depth, b.raw, rtol=1e-4)    # no inversion, metres kept
    assert b.last_report["output"] == "metric"
    # a bounded range: nothing nearer than max(5 cm, farthest / FAR_DEPTH)
    d, info = metric_to_depth(np.array([[0.0, 0.01, 1.0, 100.0]], np.float32))
    assert info["lo"] == pytest.approx(100.0 / FAR_DEPTH) and d.min() == pytest.approx(2.0) and d.max() == 100.0
    d, info = metric_to_depth(np.zeros((3, 3), np.float32))
    assert info["constant"] and np.all(d == 1.0)


def test_edge_aware_snaps_depth_edge_to_image_edge(folders):
    """A blurry low-resolution depth step under a sharp image step: the refined depth jumps at the image
    edge; the plain bicubic upsampling spreads the step over many pixels."""
    h, w, edge = 64, 96, 48
    image = np.full((h, w, 3), 0.25, np.float32)
    image[:, edge:] = 0.75
    image = np.clip(image + np.random.default_rng(0).normal(0, 0.02, image.shape), 0, 1).astype(np.float32)
    raw = np.zeros((8, 12), np.float32)
    raw[:, 6:] = 1.0                                    # the right half is near, the step at column 48
    raw = cv2.GaussianBlur(raw, (0, 0), 0.8)            # the model's own soft edge
    results = {}
    for edge_aware in (False, True):
        b = Injected(folders["dpt"], edge_aware=edge_aware)
        b.raw = raw
        depth = b.estimate(image)
        check_depth(depth, (h, w))
        inv = 1.0 / depth[h // 2]                      # what the layered renderer cuts on
        t = (inv - inv[:16].mean()) / (inv[-16:].mean() - inv[:16].mean())
        jumps = np.abs(np.diff(t))
        results[edge_aware] = (int(np.argmax(jumps)), float(jumps.max()), int(((t > 0.1) & (t < 0.9)).sum()))
    (_, plain_jump, plain_mid), (where, sharp_jump, sharp_mid) = results[False], results[True]
    assert where in (edge - 1, edge)                    # the depth edge sits on the image edge
    assert sharp_jump > 0.5 and sharp_jump > 4 * plain_jump
    assert sharp_mid < plain_mid                        # fewer pixels halfway between near and far


# -- errors ---------------------------------------------------------------------------------------

def _one_line(err) -> str:
    text = str(err.value)
    assert "\n" not in text and text
    return text


def test_missing_folder(tmp_path):
    with pytest.raises(BackendUnavailable) as err:
        DptDepth(tmp_path / "no_such_model")
    assert "no such folder" in _one_line(err) and "--depth" in str(err.value)


def test_wrong_role_folder(tmp_path, folders):
    blip = tmp_path / "captioner"
    blip.mkdir()
    (blip / "config.json").write_text(json.dumps({"model_type": "blip"}))
    with pytest.raises(BackendUnavailable) as err:
        DptDepth(blip)
    assert "not a depth model" in _one_line(err)
    with pytest.raises(BackendUnavailable) as err:   # a depth model of the other kind
        DptDepth(folders["depth-anything"])
    assert "depth_anything" in _one_line(err)


def test_broken_folder(tmp_path, folders):
    broken = tmp_path / "broken"
    shutil.copytree(folders["dpt"], broken)
    for weights in broken.glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(BackendUnavailable) as err:
        DptDepth(broken)
    assert "cannot load" in _one_line(err)

    no_processor = tmp_path / "no_processor"
    shutil.copytree(folders["depth-anything"], no_processor)
    (no_processor / "preprocessor_config.json").unlink()
    with pytest.raises(BackendUnavailable) as err:
        DepthAnythingDepth(no_processor)
    assert "image processor" in _one_line(err)


def test_bad_options(folders):
    with pytest.raises(ValueError):
        DptDepth(folders["dpt"], output="inverse")
    with pytest.raises(ValueError):
        disparity_to_depth(np.ones((2, 2), np.float32), far=1.0)
