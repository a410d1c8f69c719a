"""The layered renderer's per-frame work in torch: the same scene, the same loop, on CPU or CUDA.

Set-up (layers, fills, motion integration, overscan) is shared with :class:`LayeredRenderer`; this
class moves the result to a torch device and renders every frame there with ``grid_sample``:

1. Fluid: the start texture pulled back ``t`` steps and forward ``N − t`` steps along the Eulerian
   field (both integrated once, on the coarse grid, for the whole loop), plus the looping
   displacements, blended ``(1 − t/N, t/N)``.
2. Layers: the animated pixels go into the layers that own them; swaying objects are drawn into their
   own layer with their own alpha.
3. Camera: each layer is sampled through :func:`cinealert.render.geometry.backward_map` at the pose of
   frame ``t`` and composited far to near.

Tensors are ``(B, C, H, W)`` float32 in [0, 255]. Frames come back as ``(H, W, 3)`` uint8 numpy arrays,
as from the OpenCV renderer; whole-frame particle effects are drawn on them on the CPU.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from cinealert.render.geometry import backward_map
from cinealert.render.renderer import DETAIL_BOX, LayeredRenderer, blend_gain


class TorchRenderer(LayeredRenderer):
    """:class:`LayeredRenderer` with its per-frame work in torch on ``device`` (default: CUDA if available)."""

    name = "torch"
    summary = "layered-depth renderer in torch (grid_sample): the same loop on CPU or CUDA"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        try:
            import torch
        except ImportError:
            return False, "needs the torch package (pip install torch)"
        return True, "CUDA available" if torch.cuda.is_available() else "torch on CPU (no CUDA here)"

    def __init__(self, *args, device: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        import torch

        from cinealert.hf import pick_device

        self.torch = torch
        self.device = pick_device(device)
        dev = self.device

        def img(a: np.ndarray):                               # (H, W[, C]) → (1, C, H, W) float32
            a = np.asarray(a, np.float32)
            a = a[..., None] if a.ndim == 2 else a
            return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None].to(dev)

        self._img = img
        self.t_layers = [img(v["rgba"]) for v in self.views]
        self.t_views = [{"box": v["box"], "gx": torch.from_numpy(v["gx"]).to(dev),
                         "gy": torch.from_numpy(v["gy"]).to(dev), "inv": torch.from_numpy(v["inv"]).to(dev)}
                        for v in self.views]
        self.t_image = img(self.image_u8)
        if not self.has_fluid:
            return
        y0, y1, x0, x1 = self.box
        self.t_src = img(self.fluid_src[..., :3])
        self.t_still = img(self.still_box)[:, :3]
        self.t_mask = img(self.mask_box)
        self.t_swell = torch.from_numpy(self.swell_box).to(dev) if self.swell_box is not None else None
        self.t_mask_full = img(self.plan.mask) if self.swell_box is not None else None
        self.t_grid = torch.from_numpy(self.grid_of()).to(dev)                      # (h, w, 2) absolute px
        self.t_osc = [(torch.from_numpy(p).to(dev), torch.from_numpy(q).to(dev), c) for p, q, c in self.osc]
        # Where the numpy renderer adds the ripples on the coarse flow grid (``folded``), so does this one.
        self.t_osc_coarse = [(torch.from_numpy(p.transpose(2, 0, 1).copy()).to(dev),
                              torch.from_numpy(q.transpose(2, 0, 1).copy()).to(dev), c) for p, q, c in self.osc_coarse]
        swell_c = self.swell_coarse if self.folded else None
        self.t_swell_coarse = torch.from_numpy(swell_c.transpose(2, 0, 1).copy()).to(dev) if swell_c is not None else None
        self.t_sway = [(torch.from_numpy(p).to(dev), torch.from_numpy(q).to(dev), c) for p, q, c in self.sway]
        self.t_paste = [torch.from_numpy(p[y0:y1, x0:x1].astype(bool)).to(dev)[None, None] for p in self.paste]
        if self.integrator is not None:
            # Both sides of the symmetric loop, coarse, for every t: (N + 1, 2, sh, sw), kept in float16.
            ahead = np.stack(self._ahead).astype(np.float32)
            behind = np.stack(list(self.integrator.iter_small(self.period, sign=-1.0))).astype(np.float32)
            h, w = self.integrator.shape
            sh, sw = self.integrator.small_shape
            scale = np.array([w / sw, h / sh], np.float32)
            self.t_ahead = torch.from_numpy((ahead * scale).transpose(0, 3, 1, 2).astype(np.float16)).to(dev)
            self.t_behind = torch.from_numpy((behind * scale).transpose(0, 3, 1, 2).astype(np.float16)).to(dev)
        if self.sway:
            self.t_obj_rgb = self.t_image
            self.t_objects = {k: (img(alpha), img(rgba)[:, :3], img(base_alpha))
                              for k, (alpha, rgba, base_alpha) in self.objects.items()}
            self.t_obj_alpha = img(self.obj_alpha)

    # -- helpers ----------------------------------------------------------------------------
    def _sample(self, src, gx, gy, padding: str):
        """``src`` (1, C, Hs, Ws) sampled at pixel coordinates ``gx, gy`` (h, w) → (1, C, h, w)."""
        hs, ws = src.shape[-2:]
        grid = self.torch.stack([gx * (2.0 / max(ws - 1, 1)) - 1.0, gy * (2.0 / max(hs - 1, 1)) - 1.0], -1)[None]
        return self.torch.nn.functional.grid_sample(src, grid, mode="bilinear", padding_mode=padding,
                                                    align_corners=True)

    def _displaced_t(self, terms, t: int):
        grid = self.t_grid
        for p, q, cycles in terms:
            ang = 2 * math.pi * cycles * t / self.n
            grid = grid + p * math.cos(ang) + q * math.sin(ang)
        return grid

    def _upsampled(self, coarse):
        """(2, sh, sw) coarse displacement → (h, w, 2) full-pixel displacement inside the box."""
        y0, y1, x0, x1 = self.box
        h, w = self.integrator.shape
        full = self.torch.nn.functional.interpolate(coarse[None].float(), size=(h, w), mode="bilinear",
                                                    align_corners=False)
        return full[0, :, y0:y1, x0:x1].permute(1, 2, 0)

    def _coarse_t(self, coarse, t: int, lift: float | None):
        """(2, sh, sw) coarse displacement plus, where folded, the ripples and rising water at frame ``t`` on the
        coarse grid."""
        coarse = coarse.float()
        for p, q, cycles in self.t_osc_coarse:
            ang = 2 * math.pi * cycles * t / self.n
            coarse = coarse + p * math.cos(ang) + q * math.sin(ang)
        if self.t_swell_coarse is not None and lift is not None:
            coarse = coarse + self.t_swell_coarse * lift
        return coarse

    def _fluid_tex(self, t: int):
        base = self._displaced_t([] if self.folded else self.t_osc, t)
        lift = rise = None
        if self.t_swell is not None:
            lift = float((1 - math.cos(2 * math.pi * t / self.n)) / 2)
            # Folded: the rise is on the coarse grid, with the flow (as in the numpy renderer); else per pixel.
            rise = self._upsampled(self.t_swell_coarse * lift)[..., 1] if self.folded else self.t_swell * lift
            if not self.folded:
                base = base.clone()
                base[..., 1] += rise
        if self.integrator is None:
            anim = self._sample(self.t_src, base[..., 0], base[..., 1], "reflection")
        else:
            tp = t % self.period
            back = base + self._upsampled(self._coarse_t(self.t_behind[tp], t, lift))
            ahead = base + self._upsampled(self._coarse_t(self.t_ahead[self.period - tp], t, lift))
            a = self._sample(self.t_src, back[..., 0], back[..., 1], "reflection")
            b = self._sample(self.t_src, ahead[..., 0], ahead[..., 1], "reflection")
            anim = self._contrast_kept_t(a, b, tp / self.period)
        mask = self.t_mask
        if rise is not None:
            mask = self._sample(self.t_mask_full, self.t_grid[..., 0], self.t_grid[..., 1] + rise, "border")
        return self.t_still + (anim - self.t_still) * mask

    def _contrast_kept_t(self, a, b, wt: float):
        """:func:`cinealert.render.renderer.contrast_kept_blend` on (1, C, h, w) tensors."""
        lin = a * (1.0 - wt) + b * wt
        if wt <= 0.0 or wt >= 1.0 or min(a.shape[-2:]) < 2 * DETAIL_BOX:
            return lin
        fn = self.torch.nn.functional

        def box(x, k):
            p = k // 2
            return fn.avg_pool2d(fn.pad(x, (p, p, p, p), mode="reflect"), k, stride=1)

        half = DETAIL_BOX // 2 + 1
        la, lb = (x[:, 1:2, ::2, ::2].round() for x in (a, b))
        da, db = (la - box(la, half))[0, 0], (lb - box(lb, half))[0, 0]
        sel = self.t_mask[0, 0, ::2, ::2] > 0.5
        sa, sb = da[sel], db[sel]
        gain = blend_gain(sa.numel(), float((sa * sa).sum()), float((sb * sb).sum()), float((sa * sb).sum()), wt)
        if gain <= 1.0 + 1e-3:
            return lin
        return lin * gain + box(lin, DETAIL_BOX) * (1.0 - gain)

    def _sway_pose_t(self, t: int):
        """Swaying objects at frame ``t``: the displaced sampling map and their colour there."""
        m = self._displaced_t(self.t_sway, t)
        return m, self._sample(self.t_obj_rgb, m[..., 0], m[..., 1], "border")

    def _sway_alpha_t(self, m, alpha):
        return self._sample(alpha, m[..., 0], m[..., 1], "zeros")

    # -- per frame --------------------------------------------------------------------------
    def frames(self) -> Iterator[np.ndarray]:
        torch = self.torch
        with torch.inference_mode():
            for t in range(self.n):
                if self.has_fluid:
                    self._animate_layers(t)
                frame = self._film_t(t)
                out = frame[0].permute(1, 2, 0).round_().clamp_(0, 255).to(torch.uint8).cpu().numpy()
                for effect in self.effects:
                    out = effect.draw(out, t)
                yield out

    def _animate_layers(self, t: int) -> None:
        y0, y1, x0, x1 = self.box
        tex = self._fluid_tex(t)
        pose = self._sway_pose_t(t) if self.sway else None     # one pose per frame, shared by every layer
        for k, (layer, paste) in enumerate(zip(self.t_layers, self.t_paste)):
            region = layer[:, :, y0:y1, x0:x1]
            if k in self.objects:
                alpha, rgb, base_alpha = self.t_objects[k]
                m, fg = pose
                fa = self._sway_alpha_t(m, alpha)
                rgb = self.torch.where(paste, tex, rgb)
                cover = self.torch.maximum(base_alpha, fa * 255.0)
                region[:, :3] = (rgb + (fg - rgb) * fa) * (cover * (1.0 / 255.0))     # premultiplied, as the layers
                region[:, 3:] = cover
            else:
                region[:, :3] = self.torch.where(paste, tex, region[:, :3])
        if pose is not None:
            m, fg = pose
            tex = tex + (fg - tex) * self._sway_alpha_t(m, self.t_obj_alpha)
        self._t_animated_box = tex

    def _film_t(self, t: int):
        cam = self.camera
        r, tx, ty, tz = float(cam.r[t]), float(cam.tx[t]), float(cam.ty[t]), float(cam.tz[t])
        sx, sy = float(self.shake[t, 0]), float(self.shake[t, 1])
        if self.still and not (tx or ty or tz or sx or sy or r != 1.0):
            self.stats.total_pixels += self.h * self.w
            out = self.t_image.clone()
            if self.has_fluid:
                y0, y1, x0, x1 = self.box
                out[:, :, y0:y1, x0:x1] = self._t_animated_box
            return out
        out = None
        for layer, view in zip(self.t_layers, self.t_views):
            y0, y1, x0, x1 = view["box"]
            # The view grid is centred and already divided by the overscan.
            mx, my = backward_map(view["gx"] + self.cx, view["gy"] + self.cy, view["inv"], focal_px=cam.focal_px,
                                  cx=self.cx, cy=self.cy, t=(tx, ty, tz), r=r)
            rgba = self._sample(layer, mx + sx, my + sy, "zeros")
            if out is None:
                self.stats.hole_pixels += int((rgba[:, 3] < 127.5).sum())
                self.stats.total_pixels += rgba.shape[-1] * rgba.shape[-2]
                out = rgba[:, :3].clone()
                continue
            a = rgba[:, 3:] * (1.0 / 255.0)
            dst = out[:, :, y0:y1, x0:x1]
            out[:, :, y0:y1, x0:x1] = dst * (1.0 - a) + rgba[:, :3]       # the layers' colour is premultiplied
        return out

