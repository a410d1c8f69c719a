"""The quick paths of the built-in fills give the very numbers of the plain formulas they replace.

``push_pull_fill`` and ``mirror_fill`` skip arithmetic whose result they know (a masked copy for ``img·m``
when the mask is 0/1, mirroring only the strip where the hand-over weight is not 0, no global mean unless
the pyramid's top has an empty cell); ``build_layers`` fills two layers at once. The references below are
the formulas written out in full, pixel by pixel over the whole frame; outputs must match them bit for bit.
"""
import cv2
import numpy as np
import pytest

from cinealert.render.inpaint import MirrorInpainter, mirror_fill, push_pull_fill
from cinealert.render.layers import build_layers


def reference_push_pull(image, known):
    img = image.astype(np.float32, copy=False)
    squeeze = img.ndim == 2
    if squeeze:
        img = img[..., None]
    m = known.astype(np.float32)
    colours, weights = [img * m[..., None]], [m]
    while min(weights[-1].shape) > 2:
        h, w = weights[-1].shape
        size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
        c = cv2.resize(colours[-1], size, interpolation=cv2.INTER_AREA)
        colours.append(c[..., None] if c.ndim == 2 else c)
        weights.append(cv2.resize(weights[-1], size, interpolation=cv2.INTER_AREA))
    mean = colours[0].reshape(-1, img.shape[2]).sum(0) / max(float(m.sum()), 1e-6)
    top_w = weights[-1][..., None]
    filled = np.where(top_w > 1e-6, colours[-1] / np.maximum(top_w, 1e-6), mean).astype(np.float32)
    for level in range(len(colours) - 2, -1, -1):
        h, w = weights[level].shape
        up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
        up = up[..., None] if up.ndim == 2 else up
        wl = np.clip(weights[level], 0.0, 1.0)[..., None]
        avg = colours[level] / np.maximum(wl, 1e-6)
        filled = (wl * avg + (1.0 - wl) * up).astype(np.float32)
    out = np.where(m[..., None] >= 1.0, img, filled)
    return out[..., 0] if squeeze else out


def reference_mirror(image, known, reach):
    smooth = reference_push_pull(image, known)
    img = image.astype(np.float32, copy=False)
    h, w = known.shape
    dist, labels = cv2.distanceTransformWithLabels((~known).astype(np.uint8), cv2.DIST_L2, 5,
                                                   labelType=cv2.DIST_LABEL_PIXEL)
    ky, kx = np.nonzero(known)
    lab_x = np.zeros(int(labels.max()) + 1, np.float32)
    lab_y = np.zeros_like(lab_x)
    lab_x[labels[ky, kx]] = kx
    lab_y[labels[ky, kx]] = ky
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = 2.0 * lab_x[labels] - gx, 2.0 * lab_y[labels] - gy
    mirrored = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    ok = cv2.remap(known.astype(np.float32), mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    weight = np.clip(1.5 - 1.5 * dist / max(reach, 1e-6), 0.0, 1.0) * np.clip(ok, 0.0, 1.0)
    weight = cv2.GaussianBlur(weight, (0, 0), 1.0)
    if img.ndim == 3:
        weight, keep = weight[..., None], known[..., None]
    else:
        keep = known
    filled = weight * mirrored.reshape(img.shape) + (1.0 - weight) * smooth
    return np.where(keep, img, filled).astype(np.float32)


def _masks(h, w, rng):
    band = np.zeros((h, w), bool)
    band[: h // 3] = True
    dot = np.zeros((h, w), bool)
    dot[h // 2, w // 2] = True
    blob = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 4) > 0.5
    return {"random": rng.random((h, w)) > 0.5, "band": band, "dot": dot, "blob": blob | dot}


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("shape", [(37, 53), (144, 256), (3, 9)])
def test_push_pull_matches_the_plain_formula(shape):
    rng = np.random.default_rng(2)
    img = rng.random(shape + (3,), dtype=np.float32)
    for known in list(_masks(*shape, rng).values()) + [rng.random(shape).astype(np.float32)]:
        for picture in (img, img[..., 0].copy(), img - 0.5):
            assert _same(push_pull_fill(picture, known), reference_push_pull(picture, known))


@pytest.mark.parametrize("reach", [3.0, 24.0, 80.0])
def test_mirror_fill_matches_the_plain_formula(reach):
    rng = np.random.default_rng(3)
    img = rng.random((90, 160, 3), dtype=np.float32)
    for known in _masks(90, 160, rng).values():
        for picture in (img, img[..., 1].copy()):
            assert _same(mirror_fill(picture, known, reach=reach), reference_mirror(picture, known, reach))


def test_distance_labels_number_the_zeros_in_raster_order():
    """mirror_fill and the layer builder read each known pixel's label from this (OpenCV's DIST_LABEL_PIXEL)."""
    rng = np.random.default_rng(4)
    for h, w in ((1, 7), (40, 33), (300, 500)):
        src = (rng.random((h, w)) > 0.3).astype(np.uint8)
        src[0, 0] = 0
        _, labels = cv2.distanceTransformWithLabels(src, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
        assert np.array_equal(labels[src == 0], np.arange(1, int((src == 0).sum()) + 1))


class _OneAtATime(MirrorInpainter):
    thread_safe = False


def test_layers_filled_two_at_a_time_are_those_filled_one_by_one():
    rng = np.random.default_rng(5)
    h, w = 120, 200
    image = cv2.GaussianBlur(rng.random((h, w, 3), dtype=np.float32), (0, 0), 2)
    depth = np.full((h, w), 10.0, np.float32)
    depth[40:110, 30:90] = 3.0
    depth[60:120, 120:180] = 1.5
    depth[70:90, 140:160] = 1.0
    a = build_layers(image, depth, max_shift_px=8.0, inpainter=MirrorInpainter())
    b = build_layers(image, depth, max_shift_px=8.0, inpainter=_OneAtATime())
    assert len(a.layers) == len(b.layers) >= 3 and a.info == b.info
    for la, lb in zip(a.layers, b.layers):
        assert _same(la.rgba, lb.rgba) and _same(la.inv_depth, lb.inv_depth) and _same(la.own, lb.own)
