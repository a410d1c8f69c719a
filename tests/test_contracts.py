"""Every backend of a stage passes the same checks: the stage's contract, whatever the backend.

Model backends run on tiny random models built from configs (tests/fixtures); their outputs are arbitrary
in content but must keep the contract exactly (shapes, dtypes, ranges, determinism, untouched pixels).
"""
from __future__ import annotations

import cv2
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


RENDERERS = registry.names("render")


def _render_scene(h=72, w=128):
    """Sky, ground, a near box and a strip of water, with exact depth."""
    img = _image(h, w)
    depth = np.full((h, w), 40.0, np.float32)
    depth[h // 3:] = np.linspace(12.0, 2.0, h - h // 3, dtype=np.float32)[:, None]
    depth[20:60, 80:110] = 1.5
    img[20:60, 80:110] = [0.7, 0.3, 0.2]
    regions = np.zeros((h, w), np.uint8)
    regions[2 * h // 3:, : w // 2] = Region.WATER
    return img, depth, regions


def _renderer(name, camera, frames=12):
    from cinealert.motion.rules import RuleMotion
    from cinealert.render.camera import camera_path
    img, depth, regions = _render_scene()
    plan = RuleMotion().plan(regions, depth, disaster=DISASTERS["tsunami"], frames=frames, fps=12, seed=1)
    cam = camera_path(camera, frames=frames, width=128, height=72)
    cls = registry.entry("render", name).load()
    extra = {"device": "cpu"} if name == "torch" else {}
    return cls(img, depth, plan, cam, fps=12, **extra), regions


@pytest.mark.parametrize("name", RENDERERS)
@pytest.mark.parametrize("camera", ["static", "circle", "dolly-zoom"])
def test_renderer_contract(name, camera):
    from cinealert.evaluate.cinemagraph import frame_step
    r, regions = _renderer(name, camera)
    frames = list(r.frames())
    assert len(frames) == 12
    assert all(f.shape == (72, 128, 3) and f.dtype == np.uint8 for f in frames)
    assert r.stats.hole_ratio == 0.0 and r.stats.total_pixels == 12 * 72 * 128
    steps = [frame_step(a, b) for a, b in zip(frames, frames[1:])]
    assert frame_step(frames[-1], frames[0]) <= 1.5 * float(np.median(steps))     # the loop closes
    again = list(_renderer(name, camera)[0].frames())
    assert all(np.array_equal(a, b) for a, b in zip(frames, again))                # deterministic
    if camera == "static":
        still = cv2.dilate((regions != 0).astype(np.uint8), np.ones((9, 9), np.uint8)) == 0
        assert all(np.array_equal(f[still], frames[0][still]) for f in frames)    # static pixels stay put
        assert max(steps) > 0                                                      # while the water moves


@pytest.mark.parametrize("camera", ["circle", "swing", "zoom-in"])
def test_torch_renderer_matches_the_opencv_one(camera):
    a = list(_renderer("layered", camera)[0].frames())
    b = list(_renderer("torch", camera)[0].frames())
    diff = np.abs(np.stack(a).astype(int) - np.stack(b).astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99.9) <= 4


def test_torch_renderer_refuses_a_missing_device():
    import torch
    from cinealert.errors import BackendUnavailable
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    from cinealert.motion.base import MotionPlan
    from cinealert.render.camera import camera_path
    from cinealert.render.torch_renderer import TorchRenderer
    img, depth, _ = _render_scene()
    plan = MotionPlan(flow=np.zeros((72, 128, 2), np.float32), mask=np.zeros((72, 128), np.float32))
    with pytest.raises(BackendUnavailable, match="CUDA"):
        TorchRenderer(img, depth, plan, camera_path("static", frames=4, width=128, height=72), fps=12, device="cuda")


def _motion_backend(name, tmp_path_factory):
    from cinealert.motion.extract import extract_motion
    from cinealert.motion.synthetic import make_clip
    if name == "rules":
        return registry.create("motion", "rules")
    if name == "video":
        from cinealert.motion.transfer import VideoMotion
        clip = make_clip(width=64, height=48, frames=12, seed=0, region=Region.WATER)
        path = extract_motion(clip.frames, 24.0).save(tmp_path_factory.mktemp("motion") / "f.npz")
        return VideoMotion(path)
    import json as _json
    from safetensors.torch import save_file
    from cinealert.motion.network import MODEL_TYPE, NetworkMotion, build_unet
    folder = tmp_path_factory.mktemp("motionnet")
    import torch
    torch.manual_seed(0)
    net = build_unet(8, 3)
    torch.nn.init.normal_(net.out.weight, std=0.05)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(_json.dumps({"model_type": MODEL_TYPE, "base_channels": 8, "depth": 3,
                                                     "size": 64, "fps": 24.0}))
    return NetworkMotion(folder, device="cpu")


@pytest.mark.parametrize("name", registry.names("motion"))
def test_motion_contract(name, tmp_path_factory):
    backend = _motion_backend(name, tmp_path_factory)
    img, depth, regions = _render_scene()
    kw = dict(disaster=DISASTERS["flood"], frames=12, fps=12, seed=3, image=img)
    a, b = backend.plan(regions, depth, **kw), backend.plan(regions, depth, **kw)
    assert a.flow.shape == (72, 128, 2) and a.flow.dtype == np.float32 and np.isfinite(a.flow).all()
    assert a.mask.shape == (72, 128) and 0 <= a.mask.min() and a.mask.max() <= 1
    assert np.array_equal(a.flow, b.flow) and a.backend == backend.name        # deterministic
    assert np.abs(a.flow).max() > 0                                              # something flows
    still = backend.plan(regions, depth, **(kw | {"speed": 0.0}))
    assert np.abs(still.flow).max() == 0                                         # speed 0 freezes it
