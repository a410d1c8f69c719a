"""The 3D cinemagraph renderer: animate the fluid inside its layer, then film the layers from a
moving camera, frame by frame.

Per frame ``t`` of a loop of ``N``:

1. Fluid: the moving texture is the start image pulled back along the Eulerian field (``Φ₋ₜ``) and,
   symmetrically, pulled forward (``Φ₊₍ₙ₋ₜ₎``), blended with weights ``1 − t/N`` and ``t/N``; looping
   displacements (ripples, sway, shimmer) are added to both. Frame N is frame 0 exactly.
2. The animated pixels are pasted into the layers they belong to.
3. Camera: every layer is warped by a backward map built from its inverse depth and the pose of
   frame ``t``, and the layers are composited far to near. The frame is cropped just enough
   (``overscan``) that no map ever samples past the image edge.
4. Whole-frame effects (rain, snow, embers, haze) are drawn on top.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from cinealert.motion.base import MotionPlan
from cinealert.motion.effects import ParticleEffect
from cinealert.motion.integrate import EulerIntegrator
from cinealert.render.camera import CameraPath
from cinealert.render.inpaint import mirror_fill, push_pull_fill
from cinealert.render.layers import LayeredScene, build_layers
from cinealert.render.memory import release_free_memory
from cinealert.validate import check_depth, check_image


@dataclass
class RenderStats:
    """Measured while rendering."""

    hole_pixels: int = 0
    total_pixels: int = 0
    overscan: float = 1.0
    layers: dict = field(default_factory=dict)

    @property
    def hole_ratio(self) -> float:
        return self.hole_pixels / self.total_pixels if self.total_pixels else 0.0


class LayeredRenderer:
    """Render a looping 3D cinemagraph from one image, its depth and its motion plan.

    Args:
        image: ``(H, W, 3)`` float32 sRGB in [0, 1].
        depth: ``(H, W)`` float32 relative depth, larger = farther.
        plan: the motion stage's output for this image.
        camera: a looping camera path with ``N`` poses (N = loop length).
        fps: frames per second (for the effects' speeds).
        inpainter: fills what nearer layers hide; built-in mirror fill when None.
        max_layers: upper bound on the number of depth layers.
        flow_cycles: how many times the fluid's symmetric loop runs per camera loop.
        scene: the layered depth image of an earlier renderer of the same image, depth and camera, to reuse
            (layers depend on neither the motion plan nor the flow cycles).
    """

    name = "layered"
    summary = "built-in layered-depth renderer: symmetric Eulerian looping, looping camera, overscan"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def __init__(self, image: np.ndarray, depth: np.ndarray, plan: MotionPlan, camera: CameraPath, *,
                 fps: float, inpainter=None, max_layers: int = 4, flow_cycles: int = 1,
                 scene: LayeredScene | None = None) -> None:
        check_image(image)
        h, w = image.shape[:2]
        check_depth(depth, (h, w))
        if plan.flow.shape != (h, w, 2):
            raise ValueError(f"motion flow must have shape {(h, w, 2)}, got {plan.flow.shape}.")
        self.h, self.w = h, w
        self.n = len(camera.tx)
        if not isinstance(flow_cycles, int) or flow_cycles < 1 or self.n % flow_cycles:
            raise ValueError(f"flow_cycles must be a positive whole divisor of the loop's {self.n} frames, "
                             f"got {flow_cycles!r}.")
        # The symmetric flow loop runs `flow_cycles` times per camera loop: each copy travels 1/cycles as far,
        # so the two blended copies lie closer together (less ghosting), at the price of more frequent blends.
        self.period = self.n // flow_cycles
        self.camera = camera
        self.plan = plan
        self.image_u8 = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
        self.stats = RenderStats()

        # 1. Layers, filled behind each silhouette as far as the camera can ever see.
        shift = camera.max_shift_px(w, h)
        self.scene: LayeredScene = scene if scene is not None else build_layers(
            image, depth, max_shift_px=max(shift, 1.0), max_layers=max_layers, inpainter=inpainter)
        self.stats.layers = self.scene.info

        # 2. Fluid: region box, fill-extended source texture, integrators.
        self._setup_fluid(image)

        # 3. Camera: overscan so that no layer's map leaves the image.
        self._setup_camera()
        self._setup_objects()
        self.effects = [ParticleEffect(e, width=w, height=h, frames=self.n, fps=fps) for e in plan.effects]

    # -- set-up ----------------------------------------------------------------------------
    def _setup_fluid(self, image: np.ndarray) -> None:
        mask = self.plan.mask
        outline = self.plan.outline
        fluid = mask > 0.02
        objects = outline is not None and bool((outline > 0.02).any())
        swing = [o for o in self.plan.oscillations if o.outline]
        reach = int(np.ceil(max((float(np.abs(o.p).max() + np.abs(o.q).max()) for o in swing), default=0))) + 3
        self.sway_reach = float(reach)
        hidden = (cv2.dilate((outline > 0.02).astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8)).astype(bool)
                  if objects else np.zeros_like(fluid))
        swell = self.plan.swell
        rising = swell is not None and bool((swell > 0.05).any())
        moving = fluid | hidden | (swell > 0.05 if rising else False)
        self.has_fluid = bool(moving.any())
        self.sway, self.objects = [], {}
        self.swell_box = None
        if not self.has_fluid:
            return
        ys, xs = np.nonzero(cv2.dilate(moving.astype(np.uint8), np.ones((5, 5), np.uint8)))
        pad = 4
        y0, y1 = max(0, ys.min() - pad), min(self.h, ys.max() + 1 + pad)
        x0, x1 = max(0, xs.min() - pad), min(self.w, xs.max() + 1 + pad)
        self.box = (int(y0), int(y1), int(x0), int(x1))
        # Swaying objects are lifted off the picture; what they hid is filled in behind them.
        still = image
        if objects:
            under = cv2.dilate((outline > 0.02).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            # Texture continued from around them (mirrored across the edge), not a smooth smear: a crown
            # swinging aside reveals sky or foliage with grain, not a soft halo.
            still = mirror_fill(image, ~under, reach=float(2 * reach + 4))
            # Full-size sources: the displaced grids hold whole-image coordinates.
            self.obj_rgb = rgba_of(self.image_u8)
            self.obj_alpha = np.ascontiguousarray(outline, dtype=np.float32)
        self.still_box = rgba_of(np.clip(still[y0:y1, x0:x1] * 255.0 + 0.5, 0, 255).astype(np.uint8))
        # Texture that leaves the fluid must not drag static scenery in: extend the fluid's own
        # pixels outward and sample from that.
        core = (mask > 0.5) & ~hidden
        src = push_pull_fill(image, core) if core.any() and not core.all() else image
        # Four channels: OpenCV remaps RGBA several times faster than RGB (same values).
        self.fluid_src = rgba_of(np.clip(src * 255.0 + 0.5, 0, 255).astype(np.uint8))
        self.mask_box = mask[y0:y1, x0:x1].astype(np.float32, copy=False)        # a view where it can be
        self.blend_sel = blend_samples(self.mask_box)
        # The still and the moving texture are mixed in whole numbers: mask in 1/255ths, 4 channels.
        self.mask_u8 = np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8)
        if not rising:
            self.mask4 = cv2.cvtColor(np.ascontiguousarray(self.mask_u8[y0:y1, x0:x1]), cv2.COLOR_GRAY2RGBA)
            self.still_part = cv2.multiply(self.still_box, cv2.bitwise_not(self.mask4), scale=1.0 / 255.0)
        else:
            # Rising water: the texture and the water's edge shift up together (see _fluid_box).
            self.swell_box = np.ascontiguousarray(swell[y0:y1, x0:x1], dtype=np.float32)
        has_flow = bool(np.abs(self.plan.flow).max() > 1e-6)
        self.integrator = EulerIntegrator(self.plan.flow, scale=2) if has_flow else None
        if self.integrator is not None:
            # The forward-pulled side is needed in reverse order: keep it (coarse, float16).
            self._ahead = [d.astype(np.float16) for d in self.integrator.iter_small(self.period, sign=+1.0)]
        # Where the coarse flow grid tiles the image, the ripples (smooth) are added on that grid too, so one
        # upsampling per side of the loop gives the whole displacement (see _sample_folded).
        self.folded = self.integrator is not None and self.integrator.tiles_exactly
        self.osc_coarse = []
        if self.folded:
            sh, sw = self.integrator.small_shape
            k = self.integrator.scale
            self.cells = (max(0, y0 // k - 1), min(sh, -(-y1 // k) + 1), max(0, x0 // k - 1), min(sw, -(-x1 // k) + 1))
            self.osc_coarse = [tuple(cv2.resize(np.ascontiguousarray(a, dtype=np.float32), (sw, sh),
                                                interpolation=cv2.INTER_AREA) for a in (o.p, o.q)) + (o.cycles,)
                               for o in self.plan.oscillations if not o.outline]
            self.swell_coarse = None
            if self.swell_box is not None:          # rising water's (0, up) shift on the coarse grid
                up = cv2.resize(np.ascontiguousarray(swell, dtype=np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
                self.swell_coarse = np.dstack([np.zeros_like(up), up])
        self.osc = [(o.p[y0:y1, x0:x1], o.q[y0:y1, x0:x1], o.cycles)
                    for o in self.plan.oscillations if not o.outline]
        self.sway = [(o.p[y0:y1, x0:x1], o.q[y0:y1, x0:x1], o.cycles) for o in swing] if objects else []
        paste = cv2.dilate(moving.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        self.paste = [(paste & layer.own).astype(np.uint8) for layer in self.scene.layers]
        self.animated = rgba_of(self.image_u8)        # opaque: pasting it keeps the layers' own alpha (255)

    def _setup_objects(self) -> None:
        """Give each swaying object to the one layer it stands in, so that it moves with that layer.

        An object (a tree crown) is lifted out of its layer: the layer's coverage there is cut away,
        and every frame the swayed object is drawn back into that layer with its own alpha. Farther
        layers never receive its pixels; where it swings away, they show what they hold behind it.
        """
        self.objects = {}              # layer index → (alpha of its objects in the box, base rgb, base alpha)
        if not self.sway:
            return
        y0, y1, x0, x1 = self.box
        index = np.zeros((self.h, self.w), np.uint8)
        for k, layer in enumerate(self.scene.layers):
            index[layer.own] = k
        # An object's soft rim reaches over what is behind it: the nearest layer close by owns it.
        near_index = cv2.dilate(index, np.ones((5, 5), np.uint8))
        for k in np.unique(near_index[self.obj_alpha > 0.02]):
            k = int(k)
            alpha = np.where(near_index == k, self.obj_alpha, 0.0).astype(np.float32)
            layer = self.scene.layers[k]
            base_alpha = layer.rgba[y0:y1, x0:x1, 3].astype(np.float32)
            if k > 0:                              # the back layer always covers the whole frame
                base_alpha = base_alpha * (1.0 - alpha[y0:y1, x0:x1])
            self.objects[k] = (alpha, layer.rgba[y0:y1, x0:x1].copy(), base_alpha)

    def _displaced(self, terms, t: int, grid: np.ndarray | None = None, rows: slice = slice(None)) -> np.ndarray:
        """``grid`` (the box's pixel grid by default) plus the looping displacements ``terms`` at frame ``t``
        (only their ``rows`` of the box, where ``grid`` is a strip of them)."""
        grid = self.grid_of() if grid is None else grid
        for p, q, cycles in terms:
            ang = 2 * math.pi * cycles * t / self.n
            grid = grid + cv2.addWeighted(p[rows], math.cos(ang), q[rows], math.sin(ang), 0.0)
        return grid

    def _setup_camera(self) -> None:
        cam, w, h = self.camera, self.w, self.h
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        shake = self.plan.shake if self.plan.shake is not None else np.zeros((self.n, 2), np.float32)
        if len(shake) != self.n:
            raise ValueError(f"shake has {len(shake)} offsets for a loop of {self.n} frames.")
        self.shake = shake
        # Overscan: the smallest zoom s ≥ 1 that keeps every layer's samples inside the image.
        s = 1.0
        for layer in self.scene.layers:
            lo, hi = float(layer.inv_depth.min()), float(layer.inv_depth.max())
            for wv in (lo, hi):
                scale = cam.r * (1.0 - cam.tz * wv)
                for c, t_, sh in ((cx, cam.tx, shake[:, 0]), (cy, cam.ty, shake[:, 1])):
                    off = np.abs(cam.focal_px * t_ * wv + sh) + 0.5
                    need = c * scale / np.maximum(c - off, 1e-3)
                    s = max(s, float(need.max()))
        self.stats.overscan = s
        gx = (np.arange(w, dtype=np.float32) - cx) / s
        gy = (np.arange(h, dtype=np.float32) - cy) / s
        gxc, gyc = np.meshgrid(gx, gy)
        self.cx, self.cy = cx, cy
        self.still = s == 1.0
        zoom = bool(np.any(cam.tz != 0) or np.any(cam.r != 1))
        # Where each layer can appear on screen: its coverage at rest, grown by the largest shift.
        reach = (cam.max_shift_px(w, h) + float(np.abs(shake).max(initial=0.0))) * s * float(cam.r.max()) + 3
        self.views = []
        for layer in self.scene.layers:
            # Inverse depth seen from the rest pose, in output pixels (the overscan zooms in a little).
            inv = cv2.remap(layer.inv_depth, gxc + cx, gyc + cy, cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
            alpha = layer.rgba[..., 3]
            if alpha.min() == 255:
                box = (0, h, 0, w)
            else:
                ys, xs = np.nonzero(alpha)
                box = (max(0, int(cy + (ys.min() - cy) * s - reach)), min(h, int(cy + (ys.max() - cy) * s + reach) + 1),
                       max(0, int(cx + (xs.min() - cx) * s - reach)), min(w, int(cx + (xs.max() - cx) * s + reach) + 1))
            y0, y1, x0, x1 = box
            # The output grid is shared by every layer (views into one array, not copies).
            view = {"box": box, "opaque": bool(alpha.min() == 255), "gx": gxc[y0:y1, x0:x1],
                    "gy": gyc[y0:y1, x0:x1], "inv": np.ascontiguousarray(inv[y0:y1, x0:x1]),
                    # This renderer's own copy, colour premultiplied by coverage: the fluid is pasted into it.
                    "rgba": premultiplied(layer.rgba)}
            if zoom:
                view["gxw"] = view["gx"] * view["inv"]
                view["gyw"] = view["gy"] * view["inv"]
            self.views.append(view)

    # -- per frame -------------------------------------------------------------------------
    def frames(self) -> Iterator[np.ndarray]:
        """Yield the N frames of the loop, ``(H, W, 3)`` uint8 RGB.

        The fluid of frame ``t + 1`` is animated in a second thread while frame ``t`` is filmed (OpenCV and
        numpy let go of the interpreter lock while they work), so the two halves of the work share the
        cores; the frames are the same as one thread would make."""
        if not self.has_fluid:
            for t in range(self.n):
                yield self._finish(t)
            return
        steps = self._fluid_steps()
        with ThreadPoolExecutor(1, thread_name_prefix="cinealert-fluid") as pool:
            ahead = pool.submit(next, steps)
            for t in range(self.n):
                tex, pose = ahead.result()
                if t + 1 < self.n:
                    ahead = pool.submit(next, steps)
                self._paste_fluid(tex, pose)
                if t == self.n - 1:
                    release_free_memory()          # the fluid thread's freed buffers, back to the system
                yield self._finish(t)

    def _fluid_steps(self) -> Iterator[tuple[np.ndarray, tuple | None]]:
        """The animated box and the swaying objects' pose of every frame, in order."""
        behind = None
        for t in range(self.n):
            if self.integrator is not None and t % self.period == 0:
                behind = self.integrator.iter_small(self.period, sign=-1.0)     # each flow cycle starts afresh
            back = next(behind) if behind is not None else None
            yield self._fluid_box(t, back, objects=False), (self._sway_pose(t) if self.sway else None)

    def _finish(self, t: int) -> np.ndarray:
        """Frame ``t`` filmed from the layers as they stand, with the effects over it, RGB."""
        frame = self._film(t)
        for effect in self.effects:
            frame = effect.draw(frame, t)
        return rgb_of(frame)

    def fluid_frame(self, t: int, back=None) -> np.ndarray:
        """The start image with only its fluid animated to frame ``t`` (no camera): for metrics."""
        out = self.image_u8.copy()
        if self.has_fluid:
            y0, y1, x0, x1 = self.box
            out[y0:y1, x0:x1] = rgb_of(self._fluid_box(t, back))
        return out

    def _fluid_box(self, t: int, back, *, objects: bool = True) -> np.ndarray:
        """The animated box at frame ``t``, ``(h, w, 4)`` opaque RGBA; ``objects=False`` leaves the swaying
        objects out."""
        lift = None
        if self.swell_box is not None:
            lift = float((1 - math.cos(2 * math.pi * t / self.n)) / 2)
        if self.integrator is None:
            sides = [None]
        else:
            tp = t % self.period                      # the frame within its flow cycle
            sides = [self._behind_at(tp) if back is None else back, self._ahead[self.period - tp]]
        copies, mask = self._sample_fluid(t, sides, lift)
        anim = copies[0]
        if len(copies) == 2:
            anim = contrast_kept_blend(copies[0], copies[1], tp / self.period, self.blend_sel, in_place=True)
        if lift is None:
            cv2.multiply(anim, self.mask4, dst=anim, scale=1.0 / 255.0)
            tex = cv2.add(anim, self.still_part, dst=anim)
        else:
            mask4 = cv2.cvtColor(mask, cv2.COLOR_GRAY2RGBA)
            cv2.multiply(anim, mask4, dst=anim, scale=1.0 / 255.0)
            still = cv2.multiply(self.still_box, cv2.bitwise_not(mask4, dst=mask4), dst=mask4, scale=1.0 / 255.0)
            tex = cv2.add(anim, still, dst=anim)
        if self.sway and objects:
            m, fg = self._sway_pose(t)
            tex = cv2.blendLinear(tex, fg, *self._sway_alpha(m, self.obj_alpha))
        return tex

    def _sample_fluid(self, t: int, sides: list, lift: float | None) -> tuple[list[np.ndarray], np.ndarray | None]:
        """The moving texture sampled along each side of the symmetric loop (``sides``: coarse displacements,
        or ``[None]`` without a flow), and the water's mask lifted by ``lift`` (rising water, else None).

        The sampling maps are built a strip of rows at a time, so the float maps stay a few hundred
        kilobytes instead of several times the frame; the values are those of whole-box maps."""
        y0, y1, x0, x1 = self.box
        h, w = y1 - y0, x1 - x0
        copies = [np.empty((h, w, 4), np.uint8) for _ in sides]
        mask = np.empty((h, w), np.uint8) if lift is not None else None
        step = max(16, ((1 << 17) // max(w, 1)) // 2 * 2)
        if self.folded:
            self._sample_folded(t, sides, lift, copies, mask, step)
            return copies, mask
        # The whole box's upsampled flow (a part's upsampling differs where the coarse grid does not tile).
        whole = [self.integrator.upsample(d, box=self.box) for d in sides] if sides[0] is not None else None
        for r0 in range(0, h, step):
            rows = slice(r0, min(h, r0 + step))
            at = self.grid_of(rows)
            if lift is not None:
                at[..., 1] += lift * self.swell_box[rows]           # each pixel shows the water from below it
                cv2.remap(self.mask_u8, at, None, cv2.INTER_LINEAR, dst=mask[rows], borderMode=cv2.BORDER_REPLICATE)
            base = self._displaced(self.osc, t, at, rows)
            for k, d in enumerate(sides):
                m = base if d is None else cv2.add(whole[k][rows], base)
                cv2.remap(self.fluid_src, m, None, cv2.INTER_LINEAR, dst=copies[k][rows],
                          borderMode=cv2.BORDER_REFLECT)
        return copies, mask

    def coarse_displacement(self, d: np.ndarray | None, t: int, lift: float | None) -> np.ndarray:
        """One side's whole displacement at frame ``t`` on the coarse grid's cells under the box, in full pixels:
        the flow's ``d`` plus the ripples and rising water's ``lift`` (``self.folded`` only); ``d`` None: the
        rising water alone (the water's edge)."""
        cy0, cy1, cx0, cx1 = self.cells
        if d is None:
            return self.swell_coarse[cy0:cy1, cx0:cx1] * np.float32(lift)
        c = d[cy0:cy1, cx0:cx1].astype(np.float32) * float(self.integrator.scale)
        for p, q, cycles in self.osc_coarse:
            ang = 2 * math.pi * cycles * t / self.n
            c += cv2.addWeighted(p[cy0:cy1, cx0:cx1], math.cos(ang), q[cy0:cy1, cx0:cx1], math.sin(ang), 0.0)
        if lift is not None:
            c = cv2.scaleAdd(self.swell_coarse[cy0:cy1, cx0:cx1], lift, c, dst=c)
        return c

    def _sample_folded(self, t: int, sides: list, lift: float | None, copies: list, mask, step: int) -> None:
        """:meth:`_sample_fluid` where the coarse grid tiles the image: per strip of rows, each side's map (and
        the water edge's, for rising water) is one upsampling of its coarse displacement, used as a map
        relative to the output pixel."""
        y0, y1, x0, x1 = self.box
        k = self.integrator.scale
        cy0, _, cx0, _ = self.cells
        # (coarse displacement, source, output, border, whether a strip it leaves in place may be copied)
        jobs = [(self.coarse_displacement(d, t, lift), self.fluid_src, out, cv2.BORDER_REFLECT, False)
                for d, out in zip(sides, copies)]
        if lift is not None:                         # each pixel shows the water from below it
            jobs.append((self.coarse_displacement(None, t, lift), self.mask_u8, mask, cv2.BORDER_REPLICATE, True))
        relative = cv2.INTER_LINEAR | cv2.WARP_RELATIVE_MAP
        for r0 in range(0, y1 - y0, step):
            rows = slice(r0, min(y1 - y0, r0 + step))
            top, bottom = y0 + rows.start, y0 + rows.stop           # the strip's rows in the image
            a, b = max(0, top // k - 1 - cy0), -(-bottom // k) + 1 - cy0      # its coarse rows (with a margin)
            offset = (float(x0), float(top), 0.0, 0.0)              # from the strip's pixel to the image's
            for c, src, out, border, copy_still in jobs:
                if copy_still and not c[a:b].any():             # the water's edge does not rise here
                    out[rows] = src[top:bottom, x0:x1]
                    continue
                part = cv2.add(c[a:b], offset)
                up = cv2.resize(part, (part.shape[1] * k, part.shape[0] * k), interpolation=cv2.INTER_LINEAR)
                m = up[top - (cy0 + a) * k:bottom - (cy0 + a) * k, x0 - cx0 * k:x1 - cx0 * k]
                cv2.remap(src, m, None, relative, dst=out[rows], borderMode=border)

    def grid_of(self, rows: slice = slice(None)) -> np.ndarray:
        """The whole-image pixel coordinates ``(x, y)`` of the fluid box's ``rows``: ``(h, w, 2)`` float32."""
        y0, y1, x0, x1 = self.box
        ys = np.arange(y0, y1, dtype=np.float32)[rows]
        grid = np.empty((len(ys), x1 - x0, 2), np.float32)
        grid[..., 0] = np.arange(x0, x1, dtype=np.float32)
        grid[..., 1] = ys[:, None]
        return grid

    def _sway_pose(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Swaying objects at frame ``t``: the displaced sampling map and their colour there."""
        m = self._displaced(self.sway, t)
        return m, cv2.remap(self.obj_rgb, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    @staticmethod
    def _sway_alpha(m: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(1 − alpha, alpha) of objects whose rest alpha is ``alpha``, moved by the map ``m``."""
        fa = cv2.remap(alpha, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        return 1.0 - fa, fa

    def revealed_fill(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(what fills in behind the swaying objects, the picture, their alpha), uint8 / float32: for metrics."""
        y0, y1, x0, x1 = self.box
        filled = self.image_u8.copy()
        filled[y0:y1, x0:x1] = rgb_of(self.still_box)
        return filled, self.image_u8, self.obj_alpha

    def _behind_at(self, t: int) -> np.ndarray:
        for d in self.integrator.iter_small(t, sign=-1.0):
            pass
        return d

    def _paste_fluid(self, tex: np.ndarray, pose: tuple | None) -> None:
        """Put one frame's animated box ``tex`` (and the swaying objects at ``pose``, one pose shared by every
        layer) into the layers that own those pixels."""
        y0, y1, x0, x1 = self.box
        self.animated[y0:y1, x0:x1] = tex
        for k, (view, paste) in enumerate(zip(self.views, self.paste)):
            if k in self.objects:
                # This layer holds swaying objects: rebuild its box with them at their frame-t pose.
                alpha, rgba, base_alpha = self.objects[k]
                rgba = rgba.copy()
                cv2.copyTo(tex, paste[y0:y1, x0:x1], rgba)
                m, fg = pose
                inv_a, a = self._sway_alpha(m, alpha)
                box = cv2.blendLinear(rgba, fg, inv_a, a)
                box[..., 3] = np.clip(np.maximum(base_alpha, a * 255.0) + 0.5, 0, 255).astype(np.uint8)
                view["rgba"][y0:y1, x0:x1] = premultiplied(box)
            else:
                cv2.copyTo(self.animated, paste, view["rgba"])      # in place: only the moving pixels change
        if pose is not None:
            self.animated[y0:y1, x0:x1] = cv2.blendLinear(tex, pose[1], *self._sway_alpha(pose[0], self.obj_alpha))

    def _film(self, t: int) -> np.ndarray:
        cam = self.camera
        f = cam.focal_px
        r, tx, ty, tz = float(cam.r[t]), float(cam.tx[t]), float(cam.ty[t]), float(cam.tz[t])
        sx, sy = float(self.shake[t, 0]), float(self.shake[t, 1])
        if self.still and not (tx or ty or tz or sx or sy or r != 1.0):
            # The rest pose with no overscan shows the image itself: no warping needed.
            self.stats.total_pixels += self.h * self.w
            return self.animated.copy() if self.has_fluid else rgba_of(self.image_u8)
        out = None
        for view in self.views:
            y0, y1, x0, x1 = view["box"]
            mx = cv2.addWeighted(view["gx"], r, view["inv"], f * tx, self.cx + sx)
            my = cv2.addWeighted(view["gy"], r, view["inv"], f * ty, self.cy + sy)
            if tz != 0:
                mx = cv2.addWeighted(mx, 1.0, view["gxw"], -r * tz, 0.0)
                my = cv2.addWeighted(my, 1.0, view["gyw"], -r * tz, 0.0)
            # Colour and coverage in one RGBA remap (faster than the colour alone).
            rgba = cv2.remap(view["rgba"], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            if out is None:
                # Nothing lies behind the farthest layer (it spans the frame): what it leaves
                # uncovered is a hole. An opaque layer sampled only inside the image leaves none.
                self.stats.hole_pixels += self._holes(view, mx, my, rgba)
                self.stats.total_pixels += mx.size
                out = rgba
                continue
            over(out[y0:y1, x0:x1], rgba)
        return out

    def _holes(self, view: dict, mx: np.ndarray, my: np.ndarray, rgba: np.ndarray) -> int:
        """Output pixels the back layer leaves uncovered (alpha below one half after the warp ``rgba``)."""
        (x_lo, x_hi, _, _), (y_lo, y_hi, _, _) = cv2.minMaxLoc(mx), cv2.minMaxLoc(my)
        inside = x_lo >= 0 and x_hi <= self.w - 1 and y_lo >= 0 and y_hi <= self.h - 1
        if inside and view.get("opaque", False):
            return 0
        return int(np.count_nonzero(rgba[..., 3] < 128))


def rgba_of(rgb: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB with an opaque alpha channel added."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2RGBA)


def premultiplied(rgba: np.ndarray) -> np.ndarray:
    """``(H, W, 4)`` uint8 RGBA with its colour multiplied by its alpha (the alpha kept)."""
    alpha4 = cv2.cvtColor(np.ascontiguousarray(rgba[..., 3]), cv2.COLOR_GRAY2RGBA)     # (a, a, a, 255)
    return cv2.multiply(rgba, alpha4, scale=1.0 / 255.0)


def over(dst: np.ndarray, src: np.ndarray) -> None:
    """Composite premultiplied RGBA ``src`` over ``dst`` in place, in whole numbers: ``dst·(1 − a) + src``.

    (``dst``'s alpha channel is left meaningless; the frame's colour is what counts.)"""
    inv4 = cv2.cvtColor(cv2.bitwise_not(cv2.extractChannel(src, 3)), cv2.COLOR_GRAY2RGBA)
    cv2.multiply(dst, inv4, dst=dst, scale=1.0 / 255.0)
    cv2.add(dst, src, dst=dst)


def rgb_of(rgba: np.ndarray) -> np.ndarray:
    """The colour channels of ``(H, W, 4)`` uint8 RGBA, contiguous."""
    return cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB)


#: Side of the box filter that splits a fluid texture into its local mean and its detail (px).
DETAIL_BOX = 9


def blend_samples(mask: np.ndarray) -> np.ndarray:
    """Where :func:`contrast_kept_blend` measures the copies' detail: the half-size grid's pixels of the
    fluid (``mask`` over one half), bool."""
    return mask[::2, ::2] > 0.5


def contrast_kept_blend(a: np.ndarray, b: np.ndarray, wt: float, mask: np.ndarray, *,
                        in_place: bool = False) -> np.ndarray:
    """``(1 − wt)·a + wt·b`` of two uint8 copies of the flowing texture, with its detail kept as strong as theirs.

    Mid-cycle, the two copies of the loop's symmetric blend are uncorrelated where the texture is fine and
    fast, and their average has about 1/√2 of their detail: the water looks washed out and doubled. The
    blend's detail (the blend minus its ``DETAIL_BOX`` local mean) is scaled by :func:`blend_gain`, measured
    on the copies' green channel (most of the luminance) at half size under ``mask`` (float, full size; or
    bool, already :func:`blend_samples`):
    ``gain·blend + (1 − gain)·mean``. At ``wt`` 0 and 1 it is the plain blend, so the loop closes as before.
    The torch renderer does the same on tensors. ``in_place``: the result is written into ``a`` and ``b`` is
    used as scratch (no new frame-sized arrays).
    """
    small = wt <= 0.0 or wt >= 1.0 or min(a.shape[:2]) < 2 * DETAIL_BOX
    gain = 1.0
    if not small:
        half = DETAIL_BOX // 2 + 1
        la, lb = (x[::2, ::2, 1].astype(np.float32) for x in (a, b))
        da, db = la - cv2.blur(la, (half, half)), lb - cv2.blur(lb, (half, half))
        sel = mask if mask.dtype == bool else blend_samples(mask)
        sa, sb = da[sel], db[sel]
        gain = blend_gain(sa.size, float(sa @ sa), float(sb @ sb), float(sa @ sb), wt)
    lin = cv2.addWeighted(a, 1.0 - wt, b, wt, 0.0, dst=a if in_place else None)
    if gain <= 1.0 + 1e-3:
        return lin
    mean = cv2.blur(lin, (DETAIL_BOX, DETAIL_BOX), dst=b if in_place else None)
    return cv2.addWeighted(lin, gain, mean, 1.0 - gain, 0.0, dst=lin)


def blend_gain(n: int, saa: float, sbb: float, sab: float, wt: float) -> float:
    """How much to scale the detail of ``(1 − wt)·a + wt·b`` so that it has the energy the copies have.

    ``saa``, ``sbb``, ``sab``: sums of the copies' detail products over ``n`` samples. The blend's detail
    energy is ``(1 − wt)²·Ea + wt²·Eb + 2·wt·(1 − wt)·Eab`` (their correlation included, so copies that agree
    are not sharpened); the target is ``(1 − wt)·Ea + wt·Eb``; the gain is the square root of their ratio,
    at most ``1 / √((1 − wt)² + wt²)`` (uncorrelated copies). Fewer than 16 samples: 1.
    """
    if n < 16:
        return 1.0
    ea, eb, eab = saa / n, sbb / n, sab / n
    mixed = (1.0 - wt) ** 2 * ea + wt ** 2 * eb + 2.0 * wt * (1.0 - wt) * eab
    target = (1.0 - wt) * ea + wt * eb
    most = 1.0 / math.sqrt((1.0 - wt) ** 2 + wt ** 2)
    return min(most, math.sqrt(target / mixed)) if mixed > 1e-6 else 1.0
