import cv2
import numpy as np
import pytest

from cinealert.disasters import DISASTERS
from cinealert.evaluate.cinemagraph import frame_step, loop_seam
from cinealert.motion.base import MotionPlan
from cinealert.motion.rules import RuleMotion
from cinealert.render.camera import CAMERAS, camera_path
from cinealert.render.inpaint import PushPullInpainter, TeleaInpainter, push_pull_fill
from cinealert.render.layers import build_layers, split_thresholds
from cinealert.render.renderer import LayeredRenderer


# -- inpainting ---------------------------------------------------------------------------
@pytest.mark.parametrize("inpainter", [PushPullInpainter(), TeleaInpainter()])
def test_inpainters_keep_known_and_fill_in_range(inpainter):
    rng = np.random.default_rng(1)
    img = rng.uniform(0.2, 0.6, (50, 70, 3)).astype(np.float32)
    known = np.ones((50, 70), bool)
    known[10:30, 20:50] = False
    out = inpainter.inpaint(img, known)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.array_equal(out[known], img[known])
    assert 0.2 <= out[~known].min() and out[~known].max() <= 0.6


def test_push_pull_fills_constant_exactly():
    img = np.full((33, 47), 0.25, np.float32)
    known = np.zeros((33, 47), bool)
    known[::7, ::5] = True
    assert np.allclose(push_pull_fill(img * known, known), 0.25, atol=1e-5)


def test_push_pull_rejects_bad_masks():
    with pytest.raises(ValueError):
        push_pull_fill(np.zeros((5, 5), np.float32), np.zeros((5, 5), bool))
    with pytest.raises(ValueError):
        push_pull_fill(np.zeros((5, 5), np.float32), np.ones((4, 5), bool))


# -- layers --------------------------------------------------------------------------------
def test_thresholds_cut_at_discontinuities_only():
    inv = np.full((40, 60), 0.1, np.float32)
    inv[10:30, 20:40] = 0.8                               # a near box on a far wall
    cuts = split_thresholds(inv, min_jump=0.05, max_layers=4, min_support=8)
    assert len(cuts) == 1 and 0.1 < cuts[0] < 0.8
    ramp = np.broadcast_to(np.linspace(0.05, 1.0, 40, dtype=np.float32)[:, None], (40, 60)).copy()
    assert split_thresholds(ramp, min_jump=0.05, max_layers=4, min_support=8) == []


def test_build_layers_back_layer_covers_everything(layered_scene):
    image, depth, _ = layered_scene
    scene = build_layers(image, depth, max_shift_px=4.0)
    assert len(scene.layers) >= 2
    assert (scene.layers[0].rgba[..., 3] == 255).all()
    owns = np.stack([l.own for l in scene.layers])
    assert (owns.sum(0) == 1).all()                      # every pixel belongs to exactly one layer
    # The near box is in a nearer layer than the sky.
    box_layer = int(np.argmax(owns[:, 70, 80]))
    sky_layer = int(np.argmax(owns[:, 5, 5]))
    assert box_layer > sky_layer


# -- cameras --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CAMERAS)
def test_camera_paths_loop(name):
    a = camera_path(name, frames=12, width=160, height=96)
    b = camera_path(name, frames=24, width=160, height=96)
    for arr_a, arr_b in ((a.tx, b.tx), (a.ty, b.ty), (a.tz, b.tz), (a.r, b.r)):
        assert np.allclose(arr_a, arr_b[::2])            # pose k/N is the same on both paths
    if name == "static":
        assert a.max_shift_px(160, 96) == 0
    else:
        assert 0 < a.max_shift_px(160, 96) < 0.1 * 160


def test_camera_rejects_unknown_and_bad_amplitude():
    with pytest.raises(ValueError, match="Available cameras"):
        camera_path("spin", frames=4, width=64, height=64)
    with pytest.raises(ValueError):
        camera_path("circle", frames=4, width=64, height=64, amplitude=-1)


# -- renderer ---------------------------------------------------------------------------------
def _render(scene, camera="circle", disaster="flood", frames=24, seed=0, amplitude=1.0):
    image, depth, regions = scene
    h, w = depth.shape
    plan = RuleMotion().plan(regions, depth, disaster=DISASTERS[disaster], frames=frames, fps=12, seed=seed)
    cam = camera_path(camera, frames=frames, width=w, height=h, amplitude=amplitude)
    r = LayeredRenderer(image, depth, plan, cam, fps=12)
    return r, list(r.frames())


@pytest.mark.parametrize("camera", CAMERAS)
def test_every_camera_renders_without_holes_and_loops(layered_scene, camera):
    r, frames = _render(layered_scene, camera=camera)
    assert len(frames) == 24
    assert all(f.shape == (96, 160, 3) and f.dtype == np.uint8 for f in frames)
    assert r.stats.hole_ratio == 0.0
    # Seamless loop: the wrap step is no larger than a typical neighbouring step.
    assert loop_seam(frames) <= 1.5


def test_hole_ratio_is_measured_not_assumed(layered_scene):
    r, _ = _render(layered_scene, camera="circle")
    assert r.stats.total_pixels == 24 * 96 * 160
    # Force the camera past the overscan: the back layer now samples outside the image.
    r.views[0]["gx"] = r.views[0]["gx"] * 1.3
    list(r.frames())
    assert r.stats.hole_pixels > 0


def test_static_camera_keeps_static_pixels_still(layered_scene):
    image, depth, regions = layered_scene
    r, frames = _render(layered_scene, camera="static", disaster="tsunami")   # no rain overlay
    near_motion = cv2.dilate((regions != 0).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    first = frames[0]
    for f in frames[1:]:
        assert np.array_equal(f[~near_motion], first[~near_motion])
    assert max(frame_step(first, f) for f in frames[1:]) > 0          # while the water moves


def test_renderer_is_deterministic(layered_scene):
    _, a = _render(layered_scene, seed=2)
    _, b = _render(layered_scene, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_circle_camera_moves_near_more_than_far(layered_scene):
    image, depth, regions = layered_scene
    _, frames = _render((image, depth, np.zeros_like(regions)), camera="circle", frames=12)
    diff = np.abs(frames[0].astype(int) - frames[6].astype(int)).mean(axis=2)
    assert diff[50:90, 55:105].mean() > 2 * diff[2:30].mean()        # the near box shifts, the sky barely


def test_renderer_rejects_mismatched_inputs(layered_scene):
    image, depth, regions = layered_scene
    cam = camera_path("static", frames=4, width=160, height=96)
    plan = MotionPlan(flow=np.zeros((10, 10, 2), np.float32), mask=np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError):
        LayeredRenderer(image, depth, plan, cam, fps=12)
    with pytest.raises(TypeError):
        LayeredRenderer(image.astype(np.float64), depth, plan, cam, fps=12)


@pytest.mark.parametrize("cycles", [2, 3])
def test_flow_cycles_loop_and_keep_the_copies_closer(layered_scene, cycles):
    image, depth, regions = layered_scene
    h, w = depth.shape
    plan = RuleMotion().plan(regions, depth, disaster=DISASTERS["tsunami"], frames=24, fps=12, seed=0)
    cam = camera_path("static", frames=24, width=w, height=h)
    one = LayeredRenderer(image, depth, plan, cam, fps=12)
    many = LayeredRenderer(image, depth, plan, cam, fps=12, flow_cycles=cycles)
    frames = list(many.frames())
    assert many.period == 24 // cycles
    # The wrap into the next loop is one more cycle boundary, no larger than the ones inside the loop.
    inner = [frame_step(frames[k * many.period - 1], frames[k * many.period]) for k in range(1, cycles)]
    assert frame_step(frames[-1], frames[0]) <= 1.1 * max(inner) + 1e-6
    # Halfway through a flow cycle the two copies are `cycles` times closer: the frame departs less from the start.
    far = frame_step(one.fluid_frame(0), one.fluid_frame(12))
    near = frame_step(many.fluid_frame(0), many.fluid_frame(many.period // 2))
    assert near < far
    assert np.array_equal(frames[many.period], frames[0]) or frame_step(frames[many.period], frames[0]) < 1e-3
    with pytest.raises(ValueError, match="divisor"):
        LayeredRenderer(image, depth, plan, cam, fps=12, flow_cycles=5)


def test_flood_water_rises_and_falls_once_per_loop(layered_scene):
    image, depth, regions = layered_scene
    h, w = depth.shape
    plan = RuleMotion().plan(regions, depth, disaster=DISASTERS["flood"], frames=24, fps=12, seed=0)
    assert plan.swell is not None and plan.swell.max() > 0.5 and plan.info["swell_px"] > 0
    assert RuleMotion().plan(regions, depth, disaster=DISASTERS["wildfire"], frames=24, fps=12).swell is None
    cam = camera_path("static", frames=24, width=w, height=h)
    r = LayeredRenderer(image, depth, plan, cam, fps=12)
    start, top = r.fluid_frame(0), r.fluid_frame(12)
    band = slice(58, 62)                                       # just above the water's resting edge (row 62)
    assert frame_step(start[band], top[band]) > 2 * frame_step(start[:20], top[:20])   # the sky stays, water rises
    assert frame_step(r.fluid_frame(23), start) < frame_step(top, start)               # and it falls back


def test_torch_renderer_matches_with_rising_water(layered_scene):
    from cinealert.render.torch_renderer import TorchRenderer
    image, depth, regions = layered_scene
    h, w = depth.shape
    plan = RuleMotion().plan(regions, depth, disaster=DISASTERS["flood"], frames=12, fps=12, seed=1)
    cam = camera_path("circle", frames=12, width=w, height=h)
    a = LayeredRenderer(image, depth, plan, cam, fps=12)
    b = TorchRenderer(image, depth, plan, cam, fps=12, device="cpu")
    a.effects, b.effects = [], []
    diff = np.abs(np.stack(list(a.frames())).astype(int) - np.stack(list(b.frames())).astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99.9) <= 4


@pytest.mark.parametrize("disaster", ("flood", "tsunami"))
def test_folded_maps_match_per_pixel_maps(layered_scene, disaster):
    """Where the coarse flow grid tiles the image, the ripples and the rising water are added on that grid and
    each side's map is one upsampling used relative to the pixel; the per-pixel path (taken where the grid
    does not tile, e.g. odd sizes) gives the same pictures within a fraction of a level."""
    image, depth, regions = layered_scene
    h, w = depth.shape
    plan = RuleMotion().plan(regions, depth, disaster=DISASTERS[disaster], frames=12, fps=12, seed=2)
    r = LayeredRenderer(image, depth, plan, camera_path("static", frames=12, width=w, height=h), fps=12)
    assert r.folded and r.osc_coarse
    folded = np.stack([r.fluid_frame(t) for t in range(12)]).astype(int)
    r.folded = False
    plain = np.stack([r.fluid_frame(t) for t in range(12)]).astype(int)
    diff = np.abs(folded - plain)
    moving = plan.mask > 0.5
    assert diff[:, moving].mean() < 0.6 and np.percentile(diff, 99.9) <= 6
    assert np.abs(folded[0] - folded[6])[moving].mean() > 2         # and both really move the water
    far = ~cv2.dilate(plan.mask, np.ones((9, 9), np.uint8)).astype(bool)
    assert diff[:, far].max() == 0                                  # and the still pixels are the same
