"""The paper's image metrics (Table 1), per disaster type: FID, CLIP score, LPIPS and SSIM.

- **SSIM** on luminance (BT.601 luma of sRGB in [0, 1], so the data range is 1.0) at 256 × 256, with
  an 11 × 11 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03. Needs no weights.
- **LPIPS** (AlexNet, version 0.1 heads) on plain torch: :mod:`cinealert.evaluate.lpips`.
- **FID**: the Fréchet distance between Gaussian fits of two feature sets, on features from a local
  TorchScript Inception (``--inception FILE``, the standard FID network) or a CLIP / DINOv2 folder
  (``--fid-backbone DIR``). Fewer samples than about 50 per set (or fewer than the feature dimension) make
  the estimate unstable and biased upwards; the result says so.
- **CLIP score**: ``100 · max(cos(image, prompt), 0)`` with a local CLIP folder (``--clip DIR``).

Generated and reference images are paired by their sorted file names (the i-th generated image with the
i-th reference image) for LPIPS and SSIM; FID compares the two sets as distributions.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cinealert.errors import BackendUnavailable, InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
SSIM_SIZE = 256
MIN_FID_SAMPLES = 50


# ---------------------------------------------------------------------------------------------- SSIM
def luminance(image: np.ndarray) -> np.ndarray:
    """BT.601 luma in [0, 1] of an ``(H, W, 3)`` uint8 RGB image."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8, got {image.shape} {image.dtype}.")
    rgb = image.astype(np.float32) / 255.0
    return (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.float32)


def ssim(a: np.ndarray, b: np.ndarray, *, size: int = SSIM_SIZE, data_range: float = 1.0) -> float:
    """Mean SSIM of two ``(H, W, 3)`` uint8 RGB images on luminance, both resized to ``size × size``."""
    x = cv2.resize(luminance(a), (size, size), interpolation=cv2.INTER_AREA).astype(np.float64)
    y = cv2.resize(luminance(b), (size, size), interpolation=cv2.INTER_AREA).astype(np.float64)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def blur(z):
        return cv2.GaussianBlur(z, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))


# ----------------------------------------------------------------------------------------------- FID
def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two ``(N, D)`` feature sets.

    ``|μ1 − μ2|² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½)``, with the trace of the square root taken from the
    eigenvalues of ``Σ1^½ Σ2 Σ1^½`` (symmetric, so it is stable without a general matrix square root).
    """
    f1, f2 = np.asarray(f1, np.float64), np.asarray(f2, np.float64)
    if f1.ndim != 2 or f2.ndim != 2 or f1.shape[1] != f2.shape[1]:
        raise ValueError(f"features must be (N, D) with the same D, got {f1.shape} and {f2.shape}.")
    if len(f1) < 2 or len(f2) < 2:
        raise ValueError("FID needs at least 2 samples in each set.")
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    s1, s2 = np.atleast_2d(s1), np.atleast_2d(s2)
    vals, vecs = np.linalg.eigh(s1)
    root1 = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    inner = np.linalg.eigvalsh(root1 @ s2 @ root1)
    tr_root = float(np.sum(np.sqrt(np.clip(inner, 0, None))))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * tr_root)


class InceptionFeatures:
    """Features of a TorchScript Inception file (the standard FID network, ``inception-2015-12-05.pt``
    layout: float images in [0, 255], ``(N, 3, 299, 299)``, called with ``return_features=True``)."""

    name = "inception"

    def __init__(self, path: str | Path, *, device: str | None = None) -> None:
        import torch

        from cinealert.hf import pick_device

        path = Path(path)
        if not path.is_file():
            raise BackendUnavailable(f"--inception {path}: no such file (a TorchScript Inception for FID)")
        self.device = pick_device(device)
        try:
            with warnings.catch_warnings():      # the FID network is TorchScript, whatever torch thinks of it
                warnings.simplefilter("ignore", DeprecationWarning)
                self.model = torch.jit.load(str(path), map_location=self.device).eval()
        except (RuntimeError, ValueError) as err:
            raise BackendUnavailable(f"--inception {path}: not a TorchScript file ({str(err).splitlines()[0]})") from None
        self.label = f"Inception ({path.name})"

    def __call__(self, images: list[np.ndarray], batch: int = 16) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(images), batch):
                x = np.stack([cv2.resize(im, (299, 299), interpolation=cv2.INTER_AREA) for im in images[i:i + batch]])
                t = torch.from_numpy(x).permute(0, 3, 1, 2).float().to(self.device)
                try:
                    f = self.model(t, return_features=True)
                except (RuntimeError, TypeError):
                    f = self.model(t)
                out.append(f.reshape(f.shape[0], -1).float().cpu().numpy())
        return np.concatenate(out)


class TransformersFeatures:
    """Image features of a local CLIP (projected image embedding) or DINOv2 (class token) folder."""

    def __init__(self, folder: str | Path, *, device: str | None = None) -> None:
        from cinealert import hf
        from cinealert.hf import pick_device

        folder = Path(folder)
        config = _read_config(folder, "--fid-backbone")
        kind = config.get("model_type")
        if kind not in ("clip", "dinov2"):
            raise BackendUnavailable(f"--fid-backbone {folder}: model_type {kind!r} is not clip or dinov2")
        missing = hf.missing_package(("transformers", "torch"))
        if missing:
            raise BackendUnavailable(f"--fid-backbone needs {missing}")
        from transformers import AutoImageProcessor, AutoModel, CLIPModel

        self.device = pick_device(device)
        self.kind = kind
        self.processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True)
        cls = CLIPModel if kind == "clip" else AutoModel
        self.model = cls.from_pretrained(folder, local_files_only=True).to(self.device).eval()
        self.name = kind
        self.label = f"{'CLIP' if kind == 'clip' else 'DINOv2'} ({folder.name})"

    def __call__(self, images: list[np.ndarray], batch: int = 16) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(images), batch):
                inputs = self.processor(images=list(images[i:i + batch]), return_tensors="pt").to(self.device)
                if self.kind == "clip":
                    f = self.model.get_image_features(pixel_values=inputs["pixel_values"])
                    f = getattr(f, "pooler_output", f)
                else:
                    f = self.model(pixel_values=inputs["pixel_values"]).last_hidden_state[:, 0]
                out.append(f.float().cpu().numpy())
        return np.concatenate(out)


class ClipScorer:
    """CLIP score of images against their prompts with a local CLIP folder."""

    def __init__(self, folder: str | Path, *, device: str | None = None) -> None:
        from cinealert import hf
        from cinealert.hf import pick_device

        folder = Path(folder)
        config = _read_config(folder, "--clip")
        if config.get("model_type") != "clip":
            raise BackendUnavailable(f"--clip {folder}: model_type {config.get('model_type')!r} is not clip")
        missing = hf.missing_package(("transformers", "torch"))
        if missing:
            raise BackendUnavailable(f"--clip needs {missing}")
        from transformers import CLIPModel, CLIPProcessor

        self.device = pick_device(device)
        self.processor = CLIPProcessor.from_pretrained(folder, local_files_only=True)
        self.model = CLIPModel.from_pretrained(folder, local_files_only=True).to(self.device).eval()
        self.max_tokens = int(getattr(self.model.config.text_config, "max_position_embeddings", 77))

    def __call__(self, images: list[np.ndarray], prompts: list[str]) -> np.ndarray:
        import torch

        if len(images) != len(prompts):
            raise ValueError(f"{len(images)} images but {len(prompts)} prompts.")
        scores = []
        with torch.inference_mode():
            for im, text in zip(images, prompts):
                inputs = self.processor(text=[text], images=[im], return_tensors="pt", padding=True,
                                        truncation=True, max_length=self.max_tokens).to(self.device)
                out = self.model(**inputs)
                a = torch.nn.functional.normalize(out.image_embeds, dim=-1)
                b = torch.nn.functional.normalize(out.text_embeds, dim=-1)
                scores.append(100.0 * max(float((a * b).sum()), 0.0))
        return np.array(scores)


def _read_config(folder: Path, flag: str) -> dict:
    if not folder.is_dir():
        raise BackendUnavailable(f"{flag} {folder}: no such folder")
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackendUnavailable(f"{flag} {folder}: not a model folder (no readable config.json)") from None


# ----------------------------------------------------------------------------------- image sets
@dataclass
class ImageSet:
    """Images of one disaster type: names, pixels and the prompt each was made from (if known)."""

    names: list[str]
    images: list[np.ndarray]
    prompts: list[str | None] = field(default_factory=list)


def read_image(path: Path) -> np.ndarray:
    data = np.frombuffer(path.read_bytes(), np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if arr is None:
        raise InputError(f"cannot read image {str(path)!r}")
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


def _prompt_for(path: Path, table: dict) -> str | None:
    for side in (path.with_suffix(".txt"), path.with_suffix(".json")):
        if side.is_file():
            text = side.read_text(encoding="utf-8")
            if side.suffix == ".json":
                try:
                    return str(json.loads(text).get("prompt") or "") or None
                except (ValueError, AttributeError):
                    return None
            return text.strip() or None
    return table.get(path.name)


def read_sets(root: str | Path, *, limit: int | None = None) -> dict[str, ImageSet]:
    """``root/<type>/*.png|jpg|…`` → one :class:`ImageSet` per subfolder, files in sorted order.

    Prompts come from a sidecar ``NAME.txt`` or ``NAME.json`` (key ``prompt``), or from the folder's
    ``prompts.json`` (file name → prompt)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{str(root)!r} is not a folder (expected one subfolder of images per disaster type)")
    sets: dict[str, ImageSet] = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
        if not files:
            continue
        table = {}
        if (sub / "prompts.json").is_file():
            try:
                table = json.loads((sub / "prompts.json").read_text(encoding="utf-8"))
            except ValueError:
                raise InputError(f"{sub / 'prompts.json'} is not valid JSON") from None
        sets[sub.name] = ImageSet(names=[p.name for p in files], images=[read_image(p) for p in files],
                                  prompts=[_prompt_for(p, table) for p in files])
    if not sets:
        raise InputError(f"no images under {str(root)!r} (expected {root}/<disaster type>/*.png)")
    return sets


# ------------------------------------------------------------------------------------- evaluation
def evaluate_sets(generated: dict[str, ImageSet], reference: dict[str, ImageSet] | None, *,
                  features=None, clip: ClipScorer | None = None, lpips=None,
                  unavailable: dict[str, str] | None = None) -> dict:
    """Every metric per disaster type and overall. A metric that cannot run is absent from the rows
    and its reason is in ``unavailable`` (never a zero)."""
    unavailable = dict(unavailable or {})
    if reference is None:
        for m in ("fid", "lpips", "ssim"):
            unavailable.setdefault(m, "no --reference folder")
    types = sorted(generated)
    rows: dict[str, dict] = {}
    pooled = {"gen_feat": [], "ref_feat": [], "clip": [], "lpips": [], "ssim": []}
    warnings: list[str] = []
    for t in types:
        g = generated[t]
        r = reference.get(t) if reference is not None else None
        row: dict = {"n_generated": len(g.images), "n_reference": len(r.images) if r else 0}
        if reference is not None and r is None:
            warnings.append(f"{t}: no reference images")
        if r is not None:
            pairs = list(zip(g.images, r.images))
            row["pairs"] = len(pairs)
            vals = [ssim(a, b) for a, b in pairs]
            row["ssim"] = float(np.mean(vals))
            pooled["ssim"] += vals
            if lpips is not None:
                vals = [float(v) for v in lpips.distance_many([a for a, _ in pairs], [b for _, b in pairs])]
                row["lpips"] = float(np.mean(vals))
                pooled["lpips"] += vals
            if features is not None:
                fg, fr = features(g.images), features(r.images)
                pooled["gen_feat"].append(fg)
                pooled["ref_feat"].append(fr)
                if min(len(fg), len(fr)) >= 2:
                    row["fid"] = frechet_distance(fg, fr)
                small = min(len(fg), len(fr))
                if small < max(MIN_FID_SAMPLES, 2):
                    warnings.append(f"{t}: FID from {small} samples per set is unstable and biased upwards "
                                    f"(use at least {MIN_FID_SAMPLES}; the usual is thousands)")
        if clip is not None:
            have = [(im, p) for im, p in zip(g.images, g.prompts) if p]
            if have:
                vals = clip([im for im, _ in have], [p for _, p in have]).tolist()
                row["clip_score"] = float(np.mean(vals))
                row["clip_prompts"] = len(have)
                pooled["clip"] += vals
            if len(have) < len(g.images):
                warnings.append(f"{t}: {len(g.images) - len(have)} image(s) have no prompt (sidecar NAME.txt/"
                                "NAME.json or prompts.json); left out of the CLIP score")
        rows[t] = row
    overall: dict = {"n_generated": sum(r["n_generated"] for r in rows.values()),
                     "n_reference": sum(r["n_reference"] for r in rows.values())}
    for key in ("ssim", "lpips", "clip"):
        if pooled[key]:
            overall["clip_score" if key == "clip" else key] = float(np.mean(pooled[key]))
    if pooled["gen_feat"]:
        fg, fr = np.concatenate(pooled["gen_feat"]), np.concatenate(pooled["ref_feat"])
        overall["fid"] = frechet_distance(fg, fr)
    if clip is None:
        unavailable.setdefault("clip_score", "no --clip folder")
    if lpips is None:
        unavailable.setdefault("lpips", "no --lpips weights")
    if features is None:
        unavailable.setdefault("fid", "no --inception file or --fid-backbone folder")
    return {"rows": rows, "overall": overall, "unavailable": unavailable, "warnings": warnings,
            "fid_features": getattr(features, "label", None),
            "conventions": {"ssim": f"luminance (BT.601 luma), {SSIM_SIZE}x{SSIM_SIZE}, data range 1.0, "
                                    "11x11 Gaussian window sigma 1.5",
                            "pairs": "the i-th generated with the i-th reference image, sorted by file name",
                            "clip_score": "100 * max(cosine(image, prompt), 0)"}}
