"""Layered depth image: the scene split at depth discontinuities, each layer filled behind.

A layer holds every pixel whose inverse depth lies between two thresholds. The thresholds are chosen
where the depth map actually jumps (object silhouettes), never at fixed bins: each jump between two
neighbouring pixels is an interval of inverse depth, and thresholds are picked greedily to cut as many
jumps as possible. Layer ``k`` also continues, with inpainted colour and extended depth, behind the
nearer objects that stand directly in front of it, as far in as the camera can look, so when one slides
aside the camera sees plausible background, not a hole. The farthest layer covers the whole frame.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from cinealert.render.inpaint import MirrorInpainter, push_pull_fill
from cinealert.render.memory import release_free_memory


@dataclass
class Layer:
    """One layer, all arrays ``(H, W)`` or ``(H, W, C)``.

    Attributes:
        rgba: uint8 colour (inpainted where hidden) and soft coverage in the alpha channel.
        inv_depth: float32 ``z_near / z`` (1 = nearest point of the scene), extended where hidden.
        own: bool pixels of the original image shown by this layer at the rest pose.
        depth_range: (nearest, farthest) relative depth of its own pixels.
    """

    rgba: np.ndarray
    inv_depth: np.ndarray
    own: np.ndarray
    depth_range: tuple[float, float]


@dataclass
class LayeredScene:
    layers: list[Layer]              # far → near
    thresholds: list[float]          # inverse-depth cuts between layers, ascending
    z_near: float                    # the depth that inverse depth 1 stands for
    info: dict = field(default_factory=dict)


def split_thresholds(inv_depth: np.ndarray, *, min_jump: float, max_layers: int,
                     min_support: int) -> list[float]:
    """Inverse-depth thresholds at the scene's depth discontinuities.

    Args:
        inv_depth: ``(H, W)`` float32 inverse depth in (0, 1].
        min_jump: smallest inverse-depth difference between neighbours that counts as a jump.
        max_layers: at most this many layers (``max_layers − 1`` thresholds).
        min_support: a threshold must cut at least this many neighbouring-pixel jumps.
    Returns:
        Ascending thresholds.
    """
    lo_list, hi_list = [], []
    for a, b in ((inv_depth[:, 1:], inv_depth[:, :-1]), (inv_depth[1:, :], inv_depth[:-1, :])):
        lo = np.minimum(a, b)
        hi = np.maximum(a, b)
        jump = (hi - lo > min_jump) & (hi > 1.15 * lo)
        lo_list.append(lo[jump])
        hi_list.append(hi[jump])
    lo = np.concatenate(lo_list)
    hi = np.concatenate(hi_list)
    if lo.size == 0:
        return []
    bins = 512
    lo_i = np.clip((lo * bins).astype(np.int64) + 1, 0, bins)
    hi_i = np.clip((hi * bins).astype(np.int64), 0, bins)
    keep = hi_i >= lo_i
    lo_i, hi_i = lo_i[keep], hi_i[keep]
    thresholds: list[float] = []
    alive = np.ones(lo_i.size, bool)
    for _ in range(max_layers - 1):
        if not alive.any():
            break
        diff = np.zeros(bins + 2, np.int64)
        np.add.at(diff, lo_i[alive], 1)
        np.add.at(diff, hi_i[alive] + 1, -1)
        cover = np.cumsum(diff)[: bins + 1]
        best = int(cover.max())
        if best < min_support:
            break
        peak = np.flatnonzero(cover == best)
        # Cut in the middle of the widest plateau of the best count.
        runs = np.split(peak, np.flatnonzero(np.diff(peak) > 1) + 1)
        run = max(runs, key=len)
        t_bin = int(run[len(run) // 2])
        thresholds.append((t_bin + 0.5) / bins)
        alive &= ~((lo_i <= t_bin) & (hi_i >= t_bin))
    return sorted(thresholds)


def build_layers(image: np.ndarray, depth: np.ndarray, *, max_shift_px: float, max_layers: int = 4,
                 inpainter=None) -> LayeredScene:
    """Split ``image`` into a layered depth image.

    Args:
        image: ``(H, W, 3)`` float32 in [0, 1].
        depth: ``(H, W)`` float32 relative depth, larger = farther.
        max_shift_px: the largest on-screen shift of the nearest point along the camera path; it sets
            how small a depth jump matters and how far behind each layer must be filled.
        max_layers: upper bound on the number of layers.
        inpainter: object with ``inpaint(image, known)``; the built-in push-pull fill when None.
    """
    h, w = depth.shape
    # What the camera reveals first is a strip as wide as the largest parallax: the built-in fill
    # continues the texture there (mirrored across the edge) and is smooth beyond.
    reach = 1.5 * max(max_shift_px, 1.0) + 2.0
    if inpainter is None:
        inpainter = MirrorInpainter()
    if hasattr(inpainter, "reach"):
        inpainter.reach = reach
    fill = inpainter.inpaint
    z_near = float(np.percentile(depth, 0.5))
    inv = np.clip(z_near / depth, 1e-4, 1.0).astype(np.float32)
    # A jump matters when it opens a gap of at least ~1 pixel at the largest camera offset.
    min_jump = 1.0 / max(max_shift_px, 1.0)
    thresholds = split_thresholds(inv, min_jump=min_jump, max_layers=max_layers,
                                  min_support=max(8, (h + w) // 16))
    index = np.searchsorted(np.asarray(thresholds, np.float32), snap_edges(inv, min_jump=min_jump),
                            side="right").astype(np.int32)
    back_of, back_dist = _what_is_behind(index, len(thresholds) + 1)

    # The layers are filled independently; the built-in fills (numpy and OpenCV, which let go of the GIL
    # on whole arrays) run two at a time.
    def one(k: int) -> Layer | None:
        return _layer(k, image, depth, inv, index, back_of, back_dist, reach=reach, fill=fill)

    count = len(thresholds) + 1
    if getattr(inpainter, "thread_safe", False) and count > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            made = list(pool.map(one, range(count)))
        release_free_memory()                  # what the second thread freed, back to the system
    else:
        made = [one(k) for k in range(count)]
    layers = [layer for layer in made if layer is not None]
    info = {"layers": len(layers), "thresholds_inv_depth": [round(t, 4) for t in thresholds],
            "depth_ranges": [[round(a, 3), round(b, 3)] for a, b in (l.depth_range for l in layers)]}
    return LayeredScene(layers=layers, thresholds=thresholds, z_near=z_near, info=info)


def _layer(k: int, image: np.ndarray, depth: np.ndarray, inv: np.ndarray, index: np.ndarray, back_of: np.ndarray,
           back_dist: np.ndarray, *, reach: float, fill) -> Layer | None:
    """Layer ``k`` of :func:`build_layers` (None when it owns no pixel): its colour filled behind the nearer
    layers, its inverse depth extended, and its coverage."""
    h, w = depth.shape
    own = index == k
    nearer = index > k
    if not own.any():
        return None
    # Anti-aliased pixels at a nearer silhouette mix both sides: do not trust them as background.
    known = own & ~_dilate(nearer, 1)
    if not known.any():
        known = own
    colour = fill(image, known) if not known.all() else image
    inv_k = push_pull_fill(inv, own) if not own.all() else inv
    if k == 0:
        alpha = np.ones((h, w), np.float32)
    else:
        # Coverage: own pixels, plus the strip of nearer objects that stand directly in front of
        # this layer, as far in as the camera can look behind them. Where a nearer object stands
        # in front of something else (a tree crown against the sky beside a pole), that other
        # layer continues behind it, and it is what shows when the object moves aside.
        behind = (back_of == k) & (back_dist <= reach)
        grown = _dilate(own, 1).astype(np.float32)          # a 1-pixel anti-aliased rim
        rim = cv2.GaussianBlur(grown, (0, 0), 0.8)
        # Behind nearer layers the coverage fades out towards `reach` (never seen at rest).
        fade = np.clip((reach - back_dist) / max(0.25 * reach, 1.0), 0.0, 1.0) * behind
        alpha = np.maximum(np.maximum(rim, fade), own.astype(np.float32))
    rgba = np.empty((h, w, 4), np.uint8)
    scaled = colour * 255.0                  # in place from here: np.clip(colour * 255 + 0.5, 0, 255)
    scaled += 0.5
    rgba[..., :3] = np.clip(scaled, 0, 255, out=scaled)
    rgba[..., 3] = np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
    zs = depth[own]
    return Layer(rgba=rgba, inv_depth=inv_k.astype(np.float32), own=own,
                 depth_range=(float(zs.min()), float(zs.max())))


def _what_is_behind(index: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel, the farther layer that lies directly behind it and how far away that is.

    A pixel of layer ``j`` is in front of the nearest pixel of any farther layer (``index < j``):
    that layer's index and the distance to it in pixels. Layer 0's pixels have nothing behind them
    (index −1, distance 0).
    """
    back_of = np.full(index.shape, -1, np.int32)
    back_dist = np.zeros(index.shape, np.float32)
    for j in range(1, count):
        sel = index == j
        farther = index < j
        if not sel.any() or not farther.any():
            continue
        dist, labels = cv2.distanceTransformWithLabels((~farther).astype(np.uint8), cv2.DIST_L2, 5,
                                                       labelType=cv2.DIST_LABEL_PIXEL)
        # The farther pixels are the transform's zeros, each its own label, numbered 1, 2, … in raster order.
        layer_of = np.concatenate([np.zeros(1, np.int32), index[farther]])
        back_of[sel] = layer_of[labels[sel]]
        back_dist[sel] = dist[sel]
    return back_of, back_dist


def snap_edges(inv_depth: np.ndarray, *, min_jump: float, radius: int = 2) -> np.ndarray:
    """Inverse depth with the in-between values at silhouettes snapped to one side.

    Depth maps (estimated or anti-aliased) pass through intermediate values across an object's edge.
    Cut into layers as they are, those pixels would form a thin sliver layer of their own that
    parts from both sides when the camera moves (a visible seam). Where the local range exceeds
    ``min_jump``, each pixel takes the local maximum (the nearer side) unless it is close to the
    local minimum; the nearer side is favoured so that an object keeps its own soft rim.
    """
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))
    lo = cv2.erode(inv_depth, k)
    hi = cv2.dilate(inv_depth, k)
    edge = (hi - lo) > min_jump
    snapped = np.where(inv_depth - lo > 0.3 * (hi - lo), hi, lo)
    return np.where(edge, snapped, inv_depth).astype(np.float32)


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)
