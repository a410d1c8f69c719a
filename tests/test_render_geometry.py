"""Geometry of the layered renderer, layer coverage at silhouettes, and holes on a photo-like scene."""
import cv2
import numpy as np
import pytest

from cinealert.disasters import DISASTERS
from cinealert.evaluate.cinemagraph import frame_step, loop_seam
from cinealert.motion.base import MotionPlan, Oscillation
from cinealert.motion.rules import RuleMotion
from cinealert.regions import Region
from cinealert.render import geometry
from cinealert.render.camera import CAMERAS, camera_path, depth_gain
from cinealert.render.inpaint import MirrorInpainter, mirror_fill, push_pull_fill
from cinealert.render.layers import _what_is_behind, build_layers, snap_edges
from cinealert.render.renderer import LayeredRenderer


# -- pinhole geometry ---------------------------------------------------------------------
def test_unproject_then_project_with_identity_camera_gives_pixels_back():
    rng = np.random.default_rng(0)
    depth = rng.uniform(1.0, 30.0, (24, 40)).astype(np.float32)
    K = geometry.intrinsics(40, 24, 40.0)
    uv, z = geometry.project(geometry.unproject(depth, K), K)
    u, v = geometry.pixel_grid(24, 40)
    assert np.allclose(uv[..., 0], u, atol=1e-4) and np.allclose(uv[..., 1], v, atol=1e-4)
    assert np.allclose(z, depth)


@pytest.mark.parametrize("t, r", [((0.02, -0.01, 0.0), 1.0), ((0.01, 0.0, 0.05), 1.0), ((0.0, 0.0, 0.1), 1.05)])
def test_backward_map_inverts_projection_for_a_plane(t, r):
    """A fronto-parallel plane: sampling the rest image where backward_map says gives each point's
    projection in the moved camera back exactly."""
    z = 3.0
    depth = np.full((30, 50), z, np.float32)
    K = geometry.intrinsics(50, 30, 50.0)
    uv, _ = geometry.project(geometry.unproject(depth, K), K, t=t, r=r)
    u0, v0 = geometry.backward_map(uv[..., 0], uv[..., 1], 1.0 / z, focal_px=50.0, cx=K[0, 2], cy=K[1, 2], t=t, r=r)
    u, v = geometry.pixel_grid(30, 50)
    assert np.allclose(u0, u, atol=1e-3) and np.allclose(v0, v, atol=1e-3)


def test_backward_map_matches_the_renderer_on_a_plane():
    """The renderer films a plane at constant depth exactly as the pinhole model says."""
    h, w = 64, 96
    rng = np.random.default_rng(1)
    image = cv2.GaussianBlur(rng.uniform(0, 1, (h, w, 3)).astype(np.float32), (0, 0), 2.0)
    depth = np.full((h, w), 2.0, np.float32)
    plan = MotionPlan(flow=np.zeros((h, w, 2), np.float32), mask=np.zeros((h, w), np.float32))
    cam = camera_path("circle", frames=8, width=w, height=h)
    r = LayeredRenderer(image, depth, plan, cam, fps=8)
    frame = r._film(2)[..., :3].astype(np.float32)
    s = r.stats.overscan
    u, v = geometry.pixel_grid(h, w)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    # The renderer zooms in by the overscan s first, then moves the camera (inv depth is 1 here).
    u0, v0 = geometry.backward_map(cx + (u - cx) / s, cy + (v - cy) / s, 1.0, focal_px=cam.focal_px, cx=cx, cy=cy,
                                   t=(cam.tx[2], cam.ty[2], cam.tz[2]), r=cam.r[2])
    expect = cv2.remap((image * 255).astype(np.float32), u0.astype(np.float32), v0.astype(np.float32),
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    assert np.abs(frame - expect)[4:-4, 4:-4].mean() < 1.0


def test_geometry_rejects_bad_input():
    with pytest.raises(ValueError):
        geometry.intrinsics(0, 10, 5.0)
    with pytest.raises(ValueError):
        geometry.unproject(np.ones((2, 3, 4), np.float32), geometry.intrinsics(3, 2, 3.0))
    K = geometry.intrinsics(4, 4, 4.0)
    with pytest.raises(ValueError, match="behind"):
        geometry.project(geometry.unproject(np.ones((4, 4), np.float32), K), K, t=(0, 0, 2.0))


# -- fills and layers at silhouettes ---------------------------------------------------------
def test_mirror_fill_continues_texture_where_push_pull_blurs():
    h, w = 40, 80
    stripes = (np.sin(np.arange(w, dtype=np.float32) * 1.3)[None, :, None] * 0.4 + 0.5).repeat(h, 0).repeat(3, 2)
    known = np.ones((h, w), bool)
    known[:20] = False                                     # the top half hidden behind an object
    out = mirror_fill(stripes, known, reach=30)
    smooth = push_pull_fill(stripes, known)
    assert np.array_equal(out[known], stripes[known])
    strip = out[12:20]                                     # what a camera move reveals first
    assert strip.std() > 3 * smooth[12:20].std()           # texture, not a blur
    assert np.abs(strip - stripes[12:20]).mean() < 0.05    # vertical stripes mirror onto themselves
    assert 0.1 - 1e-6 <= out.min() and out.max() <= 0.9 + 1e-6
    with pytest.raises(ValueError):
        mirror_fill(stripes, known[:5], reach=3)
    assert np.allclose(MirrorInpainter().inpaint(stripes, np.ones((h, w), bool)), stripes)


def test_snap_edges_removes_sliver_layers():
    inv = np.full((30, 60), 0.1, np.float32)
    inv[:, 30:] = 0.9
    soft = cv2.GaussianBlur(inv, (0, 0), 1.2)              # a depth edge as a model estimates it
    snapped = snap_edges(soft, min_jump=0.05)
    values = np.unique(np.round(snapped[:, 20:40], 2))
    assert len(values) <= 4 and ((values < 0.2) | (values > 0.8)).all()
    assert np.array_equal(snapped[:, :20], soft[:, :20])   # flat parts untouched


def test_a_layer_extends_only_behind_objects_in_front_of_it():
    """Sky (far), a pole (middle) and a crown (near) touching both: behind the crown the pole's layer
    continues only next to the pole; elsewhere the sky's layer is what lies behind."""
    h, w = 60, 120
    depth = np.full((h, w), 50.0, np.float32)
    depth[:, 56:62] = 4.0                                  # pole
    depth[10:40, 30:90] = 1.0                              # crown in front of pole and sky
    image = np.zeros((h, w, 3), np.float32)
    image[..., 2] = 0.8
    image[:, 56:62] = [0.4, 0.3, 0.2]
    image[10:40, 30:90] = [0.1, 0.6, 0.1]
    scene = build_layers(image, depth, max_shift_px=6.0)
    assert len(scene.layers) == 3
    index = np.zeros((h, w), np.int32)
    for k, layer in enumerate(scene.layers):
        index[layer.own] = k
    back_of, dist = _what_is_behind(index, 3)
    assert back_of[20, 35] == 0 and back_of[20, 59] == 1 and back_of[50, 59] == 0
    pole = scene.layers[1].rgba[..., 3]
    assert pole[12, 59] == 255                             # behind the crown, just below the pole top
    assert pole[12, 35] == 0 and pole[12, 85] == 0         # behind the crown, in front of the sky


def test_swaying_objects_move_with_their_own_layer_only():
    h, w = 72, 120
    depth = np.full((h, w), 40.0, np.float32)
    depth[20:50, 40:80] = 1.0
    image = np.zeros((h, w, 3), np.float32)
    image[..., 2] = 0.9
    image[20:50, 40:80] = [0.1, 0.7, 0.1]
    outline = np.zeros((h, w), np.float32)
    outline[20:50, 40:80] = 1.0
    p = np.zeros((h, w, 2), np.float32)
    p[..., 0] = 4.0 * cv2.dilate(outline, np.ones((15, 15), np.uint8))
    plan = MotionPlan(flow=np.zeros((h, w, 2), np.float32), mask=np.zeros((h, w), np.float32),
                      oscillations=[Oscillation(p=p, q=np.zeros_like(p), cycles=1, outline=True)], outline=outline)
    cam = camera_path("circle", frames=8, width=w, height=h)
    r = LayeredRenderer(image, depth, plan, cam, fps=8)
    assert list(r.objects) == [len(r.views) - 1]          # the crown belongs to the near layer
    frames = list(r.frames())
    back = r.views[0]["rgba"]
    assert (back[..., 1] < 0.5 * 255).all()                # the sky layer never receives the crown
    greens = [int((f[..., 1] > 150).sum()) for f in frames]
    assert max(greens) - min(greens) < 0.05 * 30 * 40      # the crown keeps its size while it sways
    assert r.stats.hole_ratio == 0.0 and loop_seam(frames) <= 1.5


# -- a photo-like scene: texture, soft depth edges, strong jumps -------------------------------
@pytest.fixture(scope="module")
def photo_like():
    h, w = 144, 256
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.uniform(0, 1, (h, w, 3)).astype(np.float32), (0, 0), 1.5)
    y = np.arange(h, dtype=np.float32)[:, None]
    depth = np.broadcast_to(np.where(y < 60, 80.0, 80.0 * 60 / np.maximum(y, 60)), (h, w)).astype(np.float32).copy()
    regions = np.zeros((h, w), np.uint8)
    regions[100:] = Region.WATER
    for (y0, y1, x0, x1, z) in ((30, 120, 20, 70, 1.1), (50, 110, 150, 200, 2.5), (10, 60, 110, 130, 6.0)):
        depth[y0:y1, x0:x1] = z
        image[y0:y1, x0:x1] = image[y0:y1, x0:x1] * 0.5 + rng.uniform(0, 0.5, 3)
        regions[y0:y1, x0:x1] = Region.NONE
    depth = cv2.GaussianBlur(depth, (0, 0), 1.0)          # estimated depth is soft at silhouettes
    return np.clip(image, 0, 1).astype(np.float32), depth, regions


@pytest.mark.parametrize("camera", CAMERAS)
def test_photo_like_scene_has_no_holes_and_loops(photo_like, camera):
    image, depth, regions = photo_like
    h, w = depth.shape
    plan = RuleMotion().plan(regions, depth, disaster=DISASTERS["flood"], frames=24, fps=12, seed=0)
    cam = camera_path(camera, frames=24, width=w, height=h, amplitude=depth_gain(depth))
    r = LayeredRenderer(image, depth, plan, cam, fps=12)
    r.effects = []
    frames = list(r.frames())
    assert r.stats.hole_ratio == 0.0
    steps = [frame_step(a, b) for a, b in zip(frames, frames[1:])]
    assert frame_step(frames[-1], frames[0]) <= 1.5 * float(np.median(steps))


def test_depth_gain_follows_the_depth_range():
    deep = np.linspace(1, 100, 64 * 64, dtype=np.float32).reshape(64, 64)
    shallow = np.linspace(1, 1.5, 64 * 64, dtype=np.float32).reshape(64, 64)
    assert depth_gain(deep) == 1.0
    assert depth_gain(shallow) == 2.0
    assert 1.0 < depth_gain(np.linspace(1, 3, 4096, dtype=np.float32).reshape(64, 64)) < 2.0
    with pytest.raises(ValueError):
        depth_gain(np.zeros((4, 4), np.float32))
