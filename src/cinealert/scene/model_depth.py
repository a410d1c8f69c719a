"""Monocular depth from a local DPT or Depth Anything model folder (Hugging Face transformers).

Two registry names share one implementation: :class:`DptDepth` (``"dpt"``: DPT-Large, DPT-Hybrid/MiDaS,
DPT with a BEiT or DINOv2 backbone) and :class:`DepthAnythingDepth` (``"depth-anything"``: Depth Anything
v1/v2, relative or metric). Both load ``AutoModelForDepthEstimation`` and ``AutoImageProcessor`` from
disk only and return depth in the scene stage's convention: ``(H, W)`` float32, positive, finite,
larger = farther, relative (not metric).

From the model's output to the stage's depth
--------------------------------------------

1. **Working size.** The image is resized to the size the processor asks for. Depth Anything and DPT with
   a separate backbone (DINOv2, BEiT) keep the aspect ratio: the processor's rule (scale as little as
   possible, i.e. the shorter side goes to the processor's size for a large photo), both sides a multiple
   of the patch size and of ``ensure_multiple_of`` (14 for Depth Anything), the longer side capped at twice
   the processor's size. DPT with its own ViT or hybrid (BiT + ViT) encoder takes only a square input in
   transformers (its neck reshapes the tokens to a square grid; DPT-Hybrid also fixes the position
   embeddings to ``config.image_size``), so it runs on a square of the processor's size and the
   prediction is stretched back, the way the MiDaS checkpoints are used.
2. **Upsampling.** ``predicted_depth`` is resized to the image size with bicubic interpolation.
3. **Relative inverse depth → depth.** DPT/MiDaS and relative Depth Anything predict *affine-invariant
   inverse depth* ``d = s / z + t`` with unknown scale ``s`` and shift ``t`` (larger = nearer). It is
   normalised robustly with the 2nd and 98th percentiles of the prediction::

       n = clip((d - p2) / (p98 - p2), 0, 1)
       depth = 1 / (a + (1 - a) * n),     a = 1 / FAR_DEPTH  (FAR_DEPTH = 50)

   so the nearest 2 % of the picture sits at depth 1 and the farthest 2 % (sky, haze, the horizon) at
   ``FAR_DEPTH``. This is still an affine function of the model's disparity (``1 / depth`` is linear in
   ``d``); the shift is chosen so that the farthest point is ``FAR_DEPTH`` times as far as the nearest one
   instead of at infinity. Why 50: the layered renderer works in inverse depth relative to the nearest
   0.5 percentile (:mod:`cinealert.render.layers`); at inverse depth 1/50 a point moves at most 1/50 of
   the nearest point's shift (well under a pixel for any camera move the renderer makes), so it already
   behaves like infinity, while a bounded range keeps sky and far pixels from an unbounded or negative
   inverse depth that would make a meaningless cut between "far" and "farther". The built-in heuristic
   depth spans 1 .. 40 for the ground and 100 for the sky, the same order. A prediction with no spread
   (a constant map) gives a uniform depth of 1.
4. **Metric checkpoints.** Depth Anything *metric* variants (``depth_estimation_type == "metric"`` in
   their config) and the DPT-DINOv2 NYU/KITTI heads (``model_type "dpt"`` with a ``dinov2``
   backbone) predict depth in metres, larger = farther: no inversion; the metres are kept, clamped to
   ``[max(0.05 m, farthest / FAR_DEPTH), farthest]`` so the range ratio is bounded the same way. The
   guess can be overridden with ``output="relative"`` / ``output="metric"``.
5. **Edge-aware refinement.** The bicubic upsampling of a low-resolution prediction blurs every depth
   edge over a few pixels; the renderer cuts layers where depth jumps, so a blurred silhouette would tear
   into a halo of pixels halfway between foreground and background. A guided filter of the *log-depth*,
   guided by the full-resolution grey image (:func:`cinealert.scene.heuristic_depth.guided_filter`),
   makes the depth locally an affine function of the image, so depth edges snap to the image's edges.
   Its radius covers the upsampling blur (at least 1.5 × the upsampling factor). Log-depth is filtered so
   a near and a far value are weighted by ratio. One pass moves the blurred transition onto the image edge
   as a real jump; a second pass (the default, ``passes=2``) flattens most of what is left of the ramp on
   either side. On a step edge upsampled 8× the jump at the image edge grows from 7 % of the inverse-depth
   step (plain bicubic, spread over ~16 pixels) to about 75 %.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import cv2
import numpy as np

from cinealert import hf
from cinealert.errors import BackendUnavailable
from cinealert.scene.heuristic_depth import guided_filter
from cinealert.validate import check_image

#: Farthest relative depth, as a multiple of the nearest (1.0); see the module documentation.
FAR_DEPTH = 50.0
#: Percentiles of the prediction that map to the farthest and the nearest depth.
NORMALISE_PERCENTILES = (2.0, 98.0)
#: Nearest depth a metric prediction is allowed, in metres.
MIN_METRIC_DEPTH = 0.05

# Parameters that real checkpoints leave unused and do not store (the first DPT fusion layer has no
# residual input), so transformers reports them as missing on load; anything else missing is an error.
_UNUSED_MISSING = ("fusion_stage.layers.0.residual_layer1",)


def disparity_to_depth(disparity: np.ndarray, *, far: float = FAR_DEPTH,
                       percentiles: tuple[float, float] = NORMALISE_PERCENTILES,
                       reference: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Relative inverse depth (larger = nearer, any affine scale) → depth in ``[1, far]``, larger = farther.

    Args:
        disparity: ``(H, W)`` prediction.
        far: depth given to the farthest pixels (the nearest get 1).
        percentiles: (low, high) percentiles of ``reference`` that map to ``far`` and to 1.
        reference: the values the percentiles are taken from (the raw, low-resolution prediction);
            ``disparity`` itself when None.

    Returns:
        ``(H, W)`` float32 depth and a dict with the normalisation bounds (``lo``, ``hi``) and ``constant``.
    """
    if far <= 1.0:
        raise ValueError(f"far must be larger than 1, got {far}.")
    x = _finite(np.asarray(disparity, np.float32))
    ref = _finite(np.asarray(reference if reference is not None else x, np.float32))
    lo, hi = (float(v) for v in np.percentile(ref, percentiles))
    if not _spread(lo, hi):
        lo, hi = float(ref.min()), float(ref.max())     # e.g. mostly zeros with a few positive values
    if not _spread(lo, hi):
        return np.ones(x.shape, np.float32), {"lo": lo, "hi": hi, "constant": True}
    n = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    a = 1.0 / far
    depth = 1.0 / (a + (1.0 - a) * n)
    return depth.astype(np.float32), {"lo": lo, "hi": hi, "constant": False}


def metric_to_depth(metres: np.ndarray, *, far: float = FAR_DEPTH,
                    reference: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Metric depth (metres, larger = farther) kept in metres, clamped to a bounded positive range.

    The range is ``[max(MIN_METRIC_DEPTH, farthest / far), farthest]``, the farthest being the largest
    value of ``reference`` (``metres`` when None); a prediction without a positive value gives 1 m.
    """
    x = _finite(np.asarray(metres, np.float32))
    ref = _finite(np.asarray(reference if reference is not None else x, np.float32))
    top = float(ref.max())
    if not top > MIN_METRIC_DEPTH:
        return np.ones(x.shape, np.float32), {"lo": 1.0, "hi": 1.0, "constant": True}
    bottom = max(MIN_METRIC_DEPTH, top / far)
    return np.clip(x, bottom, top).astype(np.float32), {"lo": bottom, "hi": top,
                                                          "constant": bool(ref.max() - ref.min() <= 0)}


def _finite(x: np.ndarray) -> np.ndarray:
    """``x`` with non-finite values replaced by the median of the finite ones (0 when none is finite)."""
    ok = np.isfinite(x)
    if ok.all():
        return x
    fill = float(np.median(x[ok])) if ok.any() else 0.0
    return np.where(ok, x, np.float32(fill)).astype(np.float32)


def _spread(lo: float, hi: float) -> bool:
    """Whether ``hi`` is meaningfully above ``lo`` (relative to their magnitude, for any model scale)."""
    return hi - lo > 1e-6 * max(abs(lo), abs(hi)) and hi - lo > 1e-30


def refine_edges(image: np.ndarray, depth: np.ndarray, *, radius: int, eps: float,
                 bounds: tuple[float, float], passes: int = 2) -> np.ndarray:
    """Snap depth edges to image edges: guided filter of log-depth, guided by the grey image.

    Args:
        image: ``(H, W, 3)`` float32 in [0, 1].
        depth: ``(H, W)`` float32 positive depth.
        radius: guided-filter box radius in pixels.
        eps: guided-filter regularisation (grey levels squared); smaller follows image edges more.
        bounds: (nearest, farthest) depth the result is clamped to.
        passes: how many times the filter is applied (each pass sharpens the edge further).

    Returns:
        ``(H, W)`` float32 depth within ``bounds``.
    """
    guide = cv2.cvtColor(np.clip(image, 0.0, 1.0).astype(np.float32), cv2.COLOR_RGB2GRAY)
    log_depth = np.log(depth.astype(np.float32))
    for _ in range(max(1, int(passes))):
        log_depth = guided_filter(guide, log_depth, int(radius), float(eps))
    lo, hi = bounds
    return np.exp(np.clip(log_depth, math.log(lo), math.log(hi))).astype(np.float32)


def upsample(raw: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bicubic resize of an ``(h, w)`` prediction to ``shape`` ``(H, W)`` (float32)."""
    H, W = shape
    raw = np.ascontiguousarray(raw, np.float32)
    if raw.shape == (H, W):
        return raw
    return cv2.resize(raw, (W, H), interpolation=cv2.INTER_CUBIC)


def _one_line(err: BaseException, limit: int = 200) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _size_pair(value) -> tuple[int, int] | None:
    """(height, width) from a processor ``size`` (SizeDict or dict) or a config ``image_size``."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value), int(value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return int(value[0]), int(value[1])
    get = value.get if isinstance(value, dict) else (lambda k: getattr(value, k, None))
    h, w = get("height"), get("width")
    if h and w:
        return int(h), int(w)
    short = get("shortest_edge")
    if short:
        return int(short), int(short)
    return None


class TransformersDepth:
    """Depth from a local transformers depth-estimation folder; see the module documentation.

    Subclasses name the model types they load (:class:`DptDepth`, :class:`DepthAnythingDepth`).

    Args:
        path: the model folder (config.json, weights, preprocessor_config.json).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; by default CUDA when available.
        dtype: ``"float32"``, ``"bfloat16"``, ``"float16"``; by default bfloat16 on CUDA, float32 on CPU.
        resolution: the side the processor resizes to (its ``size``) when given; larger sees finer
            detail and costs more. Ignored by DPT-Hybrid, whose input size is fixed.
        output: ``"auto"`` (from the config), ``"relative"`` (inverse depth) or ``"metric"`` (metres).
        edge_aware: refine depth edges with the image (step 5); off gives the plain upsampled depth.
        passes: guided-filter passes of the refinement.
        smooth_radius: guided-filter radius as a fraction of the image's longer side (a floor; the
            radius also covers the upsampling blur).
        eps: guided-filter regularisation.
        far: farthest relative depth (the nearest is 1).
        flag: the command-line option named in error messages.

    Raises:
        BackendUnavailable: the folder is missing, holds another kind of model, or does not load.
    """

    name = "transformers"
    summary = "a local transformers depth-estimation model"
    role = "depth"
    #: config.json ``model_type`` values this backend loads.
    model_types: tuple[str, ...] = ()
    #: what the model is called in messages.
    label = "depth-estimation"

    # -- registry ------------------------------------------------------------------------------------
    @classmethod
    def availability(cls) -> tuple[bool, str]:
        problem = hf.missing_package(("torch", "transformers"), load=True)
        if problem is not None:
            return False, problem
        return True, "torch and transformers load; needs a local model folder (--depth)"

    @classmethod
    def accepts(cls, path: str | Path) -> str | None:
        """None when ``path`` holds a model this backend loads, else why not (one line)."""
        p = Path(path).expanduser()
        if not p.is_dir():
            return f"{str(p)!r} is not a folder"
        if not (p / "config.json").is_file():
            return f"{str(p)!r} has no config.json"
        config = hf.read_config(p)
        mtype = config.get("model_type")
        if mtype not in cls.model_types:
            return (f"{str(p)!r} holds a {mtype or 'unknown'} model, not a {cls.label} model "
                    f"(config.json model_type {mtype!r}; expected {' or '.join(map(repr, cls.model_types))})")
        archs = [str(a) for a in config.get("architectures") or []]
        if archs and not any(a.endswith("ForDepthEstimation") for a in archs):
            return (f"{str(p)!r} holds a {mtype} model without a depth head ({', '.join(archs)}), not a depth "
                    "estimation model")
        return None

    # -- loading -------------------------------------------------------------------------------------
    def __init__(self, path: str | Path, *, device: str | None = None, dtype: str | None = None,
                 resolution: int | None = None, output: str = "auto", edge_aware: bool = True,
                 passes: int = 2, smooth_radius: float = 0.008, eps: float = 1e-3, far: float = FAR_DEPTH,
                 flag: str = "--depth"):
        from cinealert import models

        if output not in ("auto", "relative", "metric"):
            raise ValueError(f"output must be 'auto', 'relative' or 'metric', got {output!r}.")
        if resolution is not None and int(resolution) < 14:
            raise ValueError(f"resolution must be at least 14 pixels, got {resolution}.")
        if far <= 1.0:
            raise ValueError(f"far must be larger than 1, got {far}.")
        folder = Path(path).expanduser()
        models.check_role(folder, "depth", flag)
        reason = self.accepts(folder)
        if reason is not None:
            raise BackendUnavailable(f"{flag}: {reason}")
        models.offline()
        torch = hf.require("torch", f"the {self.name} depth backend")
        transformers = hf.require("transformers", f"the {self.name} depth backend")
        hf.quiet_transformers()
        self._torch = torch
        self.path = folder
        self.flag = flag
        self.device = hf.pick_device(device)
        self.dtype = hf.pick_dtype(self.device, dtype)
        self.resolution = int(resolution) if resolution is not None else None
        self.edge_aware = bool(edge_aware)
        self.passes = max(1, int(passes))
        self.smooth_radius = float(smooth_radius)
        self.eps = float(eps)
        self.far = float(far)
        self.config = hf.read_config(folder)
        self.metric = self._is_metric(self.config) if output == "auto" else output == "metric"
        try:
            self.processor = transformers.AutoImageProcessor.from_pretrained(folder, local_files_only=True)
        except Exception as err:  # noqa: BLE001 - any load failure is the folder's fault
            raise BackendUnavailable(f"{flag}: cannot load the image processor in {str(folder)!r}: "
                                     f"{_one_line(err)}") from None
        try:
            net, info = transformers.AutoModelForDepthEstimation.from_pretrained(
                folder, local_files_only=True, dtype=self.dtype, output_loading_info=True)
        except Exception as err:  # noqa: BLE001
            raise BackendUnavailable(f"{flag}: cannot load a {self.label} model from {str(folder)!r}: "
                                     f"{_one_line(err)}") from None
        missing = sorted(k for k in info.get("missing_keys", ()) if not any(u in k for u in _UNUSED_MISSING))
        if missing:
            raise BackendUnavailable(f"{flag}: the weights in {str(folder)!r} do not fit its config.json "
                                     f"({len(missing)} parameters missing, e.g. {missing[0]!r})")
        self.model = net.to(self.device).eval()
        self._square, self._target, self._multiple = self._input_rule()
        self.last_report: dict = {}

    @staticmethod
    def _is_metric(config: dict) -> bool:
        """Whether the checkpoint predicts metres: Depth Anything metric variants, DPT-DINOv2 heads."""
        if config.get("depth_estimation_type") == "metric":
            return True
        backbone = config.get("backbone_config") if isinstance(config.get("backbone_config"), dict) else {}
        return (config.get("model_type") == "dpt" and not config.get("is_hybrid")
                and backbone.get("model_type") == "dinov2")

    def _input_rule(self) -> tuple[bool, tuple[int, int], int]:
        """(square input only, target (h, w), size multiple) for this model and processor."""
        cfg = self.model.config
        proc = self.processor
        target = _size_pair(getattr(proc, "size", None)) or (384, 384)
        backbone = getattr(cfg, "backbone_config", None)
        hybrid = bool(getattr(cfg, "is_hybrid", False))
        if getattr(cfg, "model_type", "") == "dpt" and (hybrid or backbone is None):
            patch = _size_pair(getattr(cfg, "patch_size", 16))[0]
            if hybrid:
                return True, _size_pair(cfg.image_size), patch
            side = self.resolution or max(target)
            side = max(patch, round(side / patch) * patch)
            return True, (side, side), patch
        patch = getattr(backbone, "patch_size", None) or getattr(cfg, "patch_size", None) or 14
        patch = _size_pair(patch)[0]
        multiple = patch
        for extra in (getattr(proc, "ensure_multiple_of", None),
                      getattr(proc, "size_divisor", None) if getattr(proc, "do_pad", False) else None):
            if isinstance(extra, int) and extra > 1:
                multiple = multiple * extra // math.gcd(multiple, extra)
        if self.resolution is not None:
            target = (self.resolution, self.resolution)
        return False, target, multiple

    def working_size(self, shape: tuple[int, int]) -> tuple[int, int]:
        """``(h, w)`` the model runs at for an image of ``shape`` ``(H, W)``."""
        if self._square:
            return self._target
        H, W = shape
        th, tw = self._target
        sh, sw = th / H, tw / W
        scale = sh if abs(1 - sh) <= abs(1 - sw) else sw        # the processor's rule: scale as little as possible
        cap = 2 * max(th, tw)
        scale = min(scale, cap / max(H, W))
        m = self._multiple

        def fit(v: float) -> int:
            return max(m, round(v / m) * m)

        return fit(H * scale), fit(W * scale)

    # -- inference -----------------------------------------------------------------------------------
    def _disparity(self, image: np.ndarray) -> np.ndarray:
        """The model's raw prediction for ``image``: ``(h, w)`` float32 at the working size (relative
        inverse depth, or metres for a metric checkpoint)."""
        h, w = self.working_size(image.shape[:2])
        H, W = image.shape[:2]
        interp = cv2.INTER_AREA if h * w < H * W else cv2.INTER_CUBIC
        small = np.clip(cv2.resize(np.clip(image, 0.0, 1.0), (w, h), interpolation=interp), 0.0, 1.0)
        inputs = self.processor(images=small.astype(np.float32), do_resize=False, do_rescale=False,
                                do_pad=False, input_data_format="channels_last", return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.device, self.dtype)
        with self._torch.inference_mode():
            pred = self.model(pixel_values=pixels).predicted_depth
        return pred.reshape(pred.shape[-2:]).float().cpu().numpy()

    def estimate(self, image: np.ndarray) -> np.ndarray:
        """Depth of an ``(H, W, 3)`` float32 sRGB image in [0, 1].

        Returns:
            ``(H, W)`` float32 depth, larger = farther, positive and finite: relative depth in
            ``[1, far]`` (metres for a metric checkpoint). :attr:`last_report` says how it was made.
        """
        check_image(image)
        H, W = image.shape[:2]
        start = time.perf_counter()
        raw = np.asarray(self._disparity(image), np.float32)
        if raw.ndim != 2:
            raise ValueError(f"the depth model's prediction must be 2-D, got shape {raw.shape}.")
        dense = upsample(raw, (H, W))
        if self.metric:
            depth, norm = metric_to_depth(dense, far=self.far, reference=raw)
        else:
            depth, norm = disparity_to_depth(dense, far=self.far, reference=raw)
        bounds = (norm["lo"], norm["hi"]) if self.metric else (1.0, self.far)
        radius = 0
        if self.edge_aware and not norm["constant"]:
            factor = max(H / raw.shape[0], W / raw.shape[1])
            radius = max(2, round(self.smooth_radius * max(H, W)), math.ceil(1.5 * factor))
            depth = refine_edges(image, depth, radius=radius, eps=self.eps, bounds=bounds,
                                 passes=self.passes)
        finite = np.isfinite(raw)
        self.last_report = {
            "backend": self.name, "model": str(self.path), "kind": self.config.get("model_type"),
            "output": "metric" if self.metric else "relative-inverse",
            "working_size": [int(raw.shape[0]), int(raw.shape[1])],
            "raw_range": ([float(raw[finite].min()), float(raw[finite].max())] if finite.any() else None),
            "normalise": [round(norm["lo"], 6), round(norm["hi"], 6)], "constant": bool(norm["constant"]),
            "depth_range": [float(depth.min()), float(depth.max())], "edge_radius": int(radius),
            "edge_passes": self.passes if radius else 0,
            "device": str(self.device), "dtype": str(self.dtype).replace("torch.", ""),
            "seconds": round(time.perf_counter() - start, 3),
        }
        return depth

    def describe(self) -> dict:
        """What the report says about the depth model."""
        return {"backend": self.name, "model": str(self.path), "kind": self.config.get("model_type"),
                "output": "metric" if self.metric else "relative-inverse", "device": str(self.device),
                "dtype": str(self.dtype).replace("torch.", ""), "far": self.far, "edge_aware": self.edge_aware}


class DptDepth(TransformersDepth):
    """DPT (DPT-Large, DPT-Hybrid/MiDaS 3.0, DPT-BEiT, DPT-DINOv2) from a local folder."""

    name = "dpt"
    summary = "DPT / MiDaS monocular depth from a local transformers folder (--depth DIR)"
    model_types = ("dpt",)
    label = "DPT depth"


class DepthAnythingDepth(TransformersDepth):
    """Depth Anything (v1, v2; relative or metric) from a local folder."""

    name = "depth-anything"
    summary = "Depth Anything monocular depth from a local transformers folder (--depth DIR)"
    model_types = ("depth_anything",)
    label = "Depth Anything"


#: Backend classes by ``model_type``.
BY_MODEL_TYPE = {"dpt": DptDepth, "depth_anything": DepthAnythingDepth}
