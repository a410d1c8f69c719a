"""A diffusion inpainter: fills what nearer layers hide with a local Stable Diffusion inpainting model.

:class:`DiffusionInpainter` follows the contract of the built-in inpainters (:mod:`cinealert.render.inpaint`):
``inpaint(image, known) -> image`` with known pixels returned unchanged, bit for bit.

Per call it works on the bounding box of the holes plus a margin only: the box is cut out, pre-filled
with the push-pull fill, scaled to about the model's native area (sides a multiple of what the VAE and
UNet need), inpainted under a mask of the holes, scaled back, and pasted into the holes only. Near the
edge of a hole the model's pixels are blended with the push-pull fill (a feathered seam), so the known
colours continue without a step. Holes smaller than :attr:`DiffusionInpainter.min_hole_fraction` of the
image skip the model (push-pull is as good there and much faster), and so do images that are not RGB.

The pipeline sets :attr:`~DiffusionInpainter.prompt` (what the background is),
:attr:`~DiffusionInpainter.negative_prompt` (what must not appear: the scene metadata's negative prompt) and
:attr:`~DiffusionInpainter.seed` before rendering; each call is deterministic in (image, known, prompt,
negative prompt, seed). This module knows no prompt wording of its own beyond a neutral default prompt.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import cv2
import numpy as np

from cinealert import models
from cinealert.imaging.diffusers_t2i import (StepBar, cover_resize, diffusers_availability, dtype_name,
                                            generation_size, open_pipeline, run_pipeline, set_vae_tiling)
from cinealert.render.inpaint import push_pull_fill

DEFAULT_PROMPT = "background scenery continuing the surroundings, seamless"


class InpaintWarning(UserWarning):
    """The diffusion inpainter fell back to the push-pull fill for a reason the user should know."""


class DiffusionInpainter:
    """Inpainting with a local diffusers inpainting folder (SD / SDXL inpainting: a 9-channel UNet).

    Args:
        path: the pipeline folder (``model_index.json`` naming an inpainting pipeline).
        device: ``"cpu"``, ``"cuda"``...; by default CUDA when available.
        dtype: by default bf16 (or fp16) on CUDA, fp32 on CPU.
        steps: denoising steps; 20 by default, 4 for Turbo models.
        guidance: guidance scale; 7.5 by default, 0 for Turbo models.
        strength: how far the holes are re-noised (1.0: drawn anew from the context; a UNet with 4 input
            channels, which only blends, gets 0.85 by default so the push-pull colours guide it).
        attention_slicing: by default on a CPU and when free CUDA memory is short.

    Attributes:
        prompt: what the hidden background shows; the pipeline sets it from the scene.
        negative_prompt: what must not appear (people, text...); used when guidance > 1 and not empty.
            Empty by default: the pipeline hands over the scene metadata's.
        seed: the noise seed of every call.
        min_hole_fraction: holes covering less of the image than this use push-pull.
        margin: context around the holes' bounding box, as a fraction of its larger side (at least
            ``min_margin`` pixels).
        calls: one dict per :meth:`inpaint` call (how it was filled, box, working size, seconds).
        notes: one-time messages (e.g. a fallback to push-pull), also raised as :class:`InpaintWarning`.
    """

    name = "diffusion"
    summary = "a local diffusers inpainting folder (Stable Diffusion / SDXL inpainting)"
    role = "inpainter"
    flag = "--inpainter"

    min_hole_fraction = 0.001
    margin = 0.35
    min_margin = 16

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return diffusers_availability()

    @classmethod
    def accepts(cls, path) -> str | None:
        return models.role_problem(path, cls.role)

    def __init__(self, path, *, device=None, dtype=None, steps: int | None = None, guidance: float | None = None,
                 strength: float | None = None, attention_slicing: bool | None = None,
                 prompt: str = DEFAULT_PROMPT, negative_prompt: str = "") -> None:
        self.path = Path(path).expanduser()
        if strength is not None and not 0.0 < float(strength) <= 1.0:
            raise ValueError(f"strength must be in (0, 1], got {strength}.")
        opened = open_pipeline(self.path, role=self.role, flag=self.flag, auto="AutoPipelineForInpainting",
                               purpose="the diffusion inpainter", device=device, dtype=dtype, steps=steps,
                               attention_slicing=attention_slicing)
        self.family, self._torch, self.pipe = opened.family, opened.torch, opened.pipe
        self.device, self.dtype = opened.device, opened.dtype
        self.vae_scale, self.multiple = opened.vae_scale, opened.multiple
        self.attention_slicing = opened.attention_slicing
        turbo = self.family.name.endswith("turbo")
        self.steps = int(steps) if steps is not None else (4 if turbo else 20)
        self.guidance = float(guidance) if guidance is not None else (0.0 if turbo else 7.5)
        unet = getattr(self.pipe, "unet", None)
        self.unet_channels = int(getattr(getattr(unet, "config", None), "in_channels", 9) or 9)
        self.strength = float(strength) if strength is not None else (1.0 if self.unet_channels == 9 else 0.85)
        set_vae_tiling(self.pipe, False)
        self.prompt = prompt
        self.negative_prompt = negative_prompt
        self.seed = 0
        self.calls: list[dict] = []
        self.notes: list[str] = []

    # -- reporting -----------------------------------------------------------------------------------
    def _note_once(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)
            warnings.warn(message, InpaintWarning, stacklevel=3)

    def describe(self) -> dict:
        """What this inpainter is and did, for the report."""
        used = [c for c in self.calls if c["method"] == "diffusion"]
        return {"backend": self.name, "model": str(self.path), "family": self.family.name,
                "steps": self.steps, "guidance": self.guidance, "strength": self.strength,
                "prompt": self.prompt, "negative_prompt": self.negative_prompt, "seed": self.seed, "device": str(self.device),
                "dtype": dtype_name(self.dtype), "calls": len(self.calls), "diffusion_calls": len(used),
                "seconds": round(sum(c["seconds"] for c in self.calls), 3), "notes": list(self.notes)}

    # -- the contract --------------------------------------------------------------------------------
    def inpaint(self, image: np.ndarray, known: np.ndarray) -> np.ndarray:
        """``image`` with its unknown pixels filled; known pixels unchanged.

        Args:
            image: ``(H, W, 3)`` float32 in [0, 1] (other channel counts: push-pull fill).
            known: ``(H, W)`` bool, or float in [0, 1] (1 = known), of trustworthy pixels.
        Returns:
            ``(H, W, C)`` float32.
        Raises:
            ValueError: ``known`` does not match the image, or no pixel is known.
        """
        image = np.asarray(image)
        known = np.asarray(known)
        if image.ndim not in (2, 3) or image.shape[:2] != known.shape:
            raise ValueError(f"known must have shape {image.shape[:2]}, got {known.shape}.")
        start = time.perf_counter()
        keep = known if known.dtype == bool else known >= 1.0
        if not keep.any():
            raise ValueError("the diffusion inpainter needs at least one known pixel.")
        img = image.astype(np.float32, copy=False)
        holes = ~keep
        record = {"method": "pushpull", "hole_pixels": int(holes.sum()), "bbox": None, "working_size": None}
        if not holes.any():
            record.update(reason="nothing to fill", seconds=0.0)
            self.calls.append(record)
            return img.copy()
        base = push_pull_fill(img, known)
        if img.ndim != 3 or img.shape[2] != 3:
            channels = 1 if img.ndim == 2 else img.shape[2]
            self._note_once(f"diffusion inpainter: {channels}-channel images are filled with push-pull "
                            "(the model paints RGB)")
            record.update(reason=f"{channels} channels", seconds=round(time.perf_counter() - start, 3))
            self.calls.append(record)
            return base
        if holes.mean() < self.min_hole_fraction:
            record.update(reason="tiny holes", seconds=round(time.perf_counter() - start, 3))
            self.calls.append(record)
            return base
        filled = self._fill_box(img, keep, holes, base, record)
        out = np.where(keep[..., None], img, filled).astype(np.float32)
        record["seconds"] = round(time.perf_counter() - start, 3)
        self.calls.append(record)
        return out

    # -- the model on the holes' box -----------------------------------------------------------------
    def _box(self, holes: np.ndarray) -> tuple[int, int, int, int]:
        h, w = holes.shape
        ys = np.flatnonzero(holes.any(axis=1))
        xs = np.flatnonzero(holes.any(axis=0))
        y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
        pad = max(self.min_margin, round(self.margin * max(y1 - y0, x1 - x0)))
        return max(0, y0 - pad), min(h, y1 + pad), max(0, x0 - pad), min(w, x1 + pad)

    def _fill_box(self, img, keep, holes, base, record) -> np.ndarray:
        y0, y1, x0, x1 = self._box(holes)
        crop = np.clip(base[y0:y1, x0:x1], 0.0, 1.0)
        crop_holes = holes[y0:y1, x0:x1]
        ch, cw = crop_holes.shape
        ww, wh = generation_size(cw, ch, self.family.native, self.multiple)
        work = cv2.resize(crop, (ww, wh), interpolation=cv2.INTER_AREA if ww * wh < cw * ch else cv2.INTER_CUBIC)
        work = np.clip(work, 0.0, 1.0)
        mask = cv2.resize(crop_holes.astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA) > 0.0
        grow = max(1, self.vae_scale // 2)
        mask = cv2.dilate(mask.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
        painted = self._run(work, mask)
        back = cv2.resize(painted, (cw, ch), interpolation=cv2.INTER_AREA if cw * ch < ww * wh else cv2.INTER_CUBIC)
        back = np.clip(back, 0.0, 1.0)
        # Feathered seam: the push-pull fill at the edge of a hole (it matches the known neighbours), the
        # model's pixels a few pixels in.
        feather = max(2.0, 0.02 * max(ch, cw))
        dist = cv2.distanceTransform(crop_holes.astype(np.uint8), cv2.DIST_L2, 3)
        weight = np.clip(dist / feather, 0.0, 1.0)[..., None]
        blended = weight * back + (1.0 - weight) * crop
        out = base.copy()
        region = out[y0:y1, x0:x1]
        region[crop_holes] = blended[crop_holes]
        record.update(method="diffusion", bbox=[y0, y1, x0, x1], working_size=[ww, wh], steps=self.steps,
                      strength=self.strength)
        return out

    def _run(self, work: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from PIL import Image

        torch = self._torch
        wh, ww = work.shape[:2]
        init = Image.fromarray((work * 255.0 + 0.5).astype(np.uint8))
        mask_image = Image.fromarray((mask > 0).astype(np.uint8) * 255)
        generator = torch.Generator(device=self.device).manual_seed(int(self.seed) % 2**63)
        call = dict(prompt=self.prompt, image=init, mask_image=mask_image, height=wh, width=ww,
                    num_inference_steps=self.steps, guidance_scale=self.guidance, strength=self.strength,
                    generator=generator, output_type="np")
        if self.guidance > 1.0 and self.negative_prompt:
            call["negative_prompt"] = self.negative_prompt
        bar = StepBar(max(1, round(self.steps * self.strength)), f"{self.name} inpainting")
        if bar.bar is not None:
            call["callback_on_step_end"] = bar
        try:
            out = run_pipeline(self.pipe, call, self.flag, self.path)
        finally:
            bar.close()
        painted = np.asarray(out.images[0], dtype=np.float32)[..., :3]
        painted = np.nan_to_num(painted, nan=0.5, posinf=1.0, neginf=0.0)
        if painted.shape[:2] != (wh, ww):
            painted, _ = cover_resize(np.clip(painted, 0.0, 1.0), ww, wh)
        return painted
