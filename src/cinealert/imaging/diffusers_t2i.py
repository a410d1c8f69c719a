"""A diffusers text-to-image backend: Stable Diffusion 1.x / 2.x, SDXL and their Turbo variants.

:class:`DiffusersIllustrator` loads a local diffusers pipeline folder (``--t2i DIR`` or ``t2i/`` under
``--models``; nothing is downloaded) and draws one image of the scene metadata.

The model family (:func:`detect_family`) is read from the folder's config files: the pipeline class, the
UNet's ``sample_size``, ``cross_attention_dim`` and ``addition_embed_type``, and "turbo" in the folder's
name or recorded origin. It sets the native resolution, the number of steps and the guidance scale.

An image is generated at the requested aspect ratio with about the native area (sides a multiple of what
the VAE and the UNet's down-sampling need), then resized and centre-cropped to exactly the requested
size; ``info["size_note"]`` says so. CLIP text encoders read 77 tokens, so the prompt keeps whole
sentences of ``metadata.to_prompt()`` in order while they fit (:func:`fit_prompt`); the no-people
directive is left to the negative prompt, which already excludes people.

Helpers shared with the diffusion inpainter (:mod:`cinealert.render.diffusion_inpaint`) live here too:
folder checks, loading, family defaults and size snapping.
"""
from __future__ import annotations

import inspect
import math
import re
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cinealert import hf, models
from cinealert.errors import BackendUnavailable
from cinealert.imaging.base import ImageResult
from cinealert.prompting.metadata import NO_PEOPLE

#: Token positions of the CLIP text encoders of Stable Diffusion (start and end tokens included).
CLIP_TOKENS = 77

#: Above this many pixels the VAE decodes in tiles.
VAE_TILING_PIXELS = 1_500_000

#: family → (native side in pixels, steps, guidance scale)
FAMILY_DEFAULTS: dict[str, tuple[int, int, float]] = {
    "sd1": (512, 25, 7.5),
    "sd2": (768, 25, 7.5),
    "sdxl": (1024, 30, 5.0),
    "sd-turbo": (512, 2, 0.0),
    "sdxl-turbo": (512, 2, 0.0),
    "other": (1024, 28, 5.0),          # a pipeline without a UNet (SD 3 and other diffusion transformers)
}

#: Free CUDA memory (GiB) under which attention is computed in slices.
_SLICING_GIB = {"sdxl": 10.0, "sdxl-turbo": 10.0}
_SLICING_GIB_DEFAULT = 5.0

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".msgpack")
_PLAIN_WEIGHTS = re.compile(r"^(diffusion_pytorch_model|model|pytorch_model)"
                            r"((-\d+-of-\d+)?\.(safetensors|bin)|\.(safetensors|bin)\.index\.json)$")
_VARIANT_WEIGHTS = re.compile(r"^(diffusion_pytorch_model|model|pytorch_model)\.([A-Za-z0-9_]+)"
                              r"((-\d+-of-\d+)?\.(safetensors|bin)|\.(safetensors|bin)\.index\.json)$")
_NOT_MODELS = ("Tokenizer", "Scheduler", "FeatureExtractor", "ImageProcessor", "Processor")


# ------------------------------------------------------------------------------------------------------
# families
# ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """What kind of Stable Diffusion a folder holds, and how to run it by default.

    Attributes:
        name: ``sd1``, ``sd2``, ``sdxl``, ``sd-turbo``, ``sdxl-turbo``, or ``other`` (no UNet: generic
            defaults).
        native: the side (pixels) of the square the model was trained at; images are generated with
            about ``native²`` pixels.
        steps: default number of denoising steps.
        guidance: default classifier-free guidance scale (≤ 1 means no guidance: negative prompts do nothing).
        multiple: generated sides are multiples of this (VAE scale factor × UNet down-sampling, and 8).
        evidence: how the family was recognised, for the report.
    """

    name: str
    native: int
    steps: int
    guidance: float
    multiple: int
    evidence: str


def _config(path: Path, name: str) -> dict:
    return hf.read_config(path, name)


def _vae_scale(vae: dict) -> int:
    channels = vae.get("block_out_channels")
    return 2 ** (len(channels) - 1) if isinstance(channels, (list, tuple)) and channels else 8


def _unet_downsampling(unet: dict) -> int:
    channels = unet.get("block_out_channels")
    return 2 ** (len(channels) - 1) if isinstance(channels, (list, tuple)) and channels else 8


def _says_turbo(path: Path, configs: list[dict]) -> bool:
    names = [path.name, path.resolve().name]
    names += [str(c.get("_name_or_path", "")) for c in configs]
    return any("turbo" in n.lower() for n in names)


def detect_family(path: str | Path) -> Family:
    """The family of the diffusers folder ``path``, read from its config files only (nothing is loaded).

    Rules: SDXL when the pipeline class says XL, the UNet adds ``text_time`` embeddings, its
    cross-attention width is 2048 or there is a second text encoder; else SD 2 when the cross-attention
    width is 1024 (OpenCLIP ViT-H); else SD 1. "turbo" in the folder's name (or its real name, or a
    recorded ``_name_or_path``) makes it ``sd-turbo`` / ``sdxl-turbo``. The native side is 512 for
    Turbo models, else the UNet's ``sample_size`` × the VAE scale factor (SD 1 512, SD 2 768 or 512 for
    the "base" models, SDXL 1024), else the family's default.
    """
    p = Path(path).expanduser()
    index = _config(p, "model_index.json")
    unet = _config(p / "unet", "config.json")
    vae = _config(p / "vae", "config.json")
    cls = str(index.get("_class_name", ""))
    if not unet and (p / "transformer").is_dir():
        return _other_family(p, cls, vae)
    cross = unet.get("cross_attention_dim")
    cross = max(cross) if isinstance(cross, (list, tuple)) and cross else cross
    evidence: list[str] = []
    if "XL" in cls:
        base, why = "sdxl", f"pipeline {cls}"
    elif unet.get("addition_embed_type") == "text_time":
        base, why = "sdxl", "UNet adds text_time embeddings"
    elif cross == 2048:
        base, why = "sdxl", "cross-attention width 2048"
    elif isinstance(index.get("text_encoder_2"), list) and index["text_encoder_2"][0] is not None:
        base, why = "sdxl", "two text encoders"
    elif cross == 1024:
        base, why = "sd2", "cross-attention width 1024"
    else:
        base, why = "sd1", (f"cross-attention width {cross}" if cross else "no SDXL or SD 2 markers")
    evidence.append(why)
    turbo = _says_turbo(p, [index, unet])
    name = ("sdxl-turbo" if base == "sdxl" else "sd-turbo") if turbo else base
    if turbo:
        evidence.append("'turbo' in its name")
    native, steps, guidance = FAMILY_DEFAULTS[name]
    scale = _vae_scale(vae)
    sample = unet.get("sample_size")
    sample = sample[0] if isinstance(sample, (list, tuple)) and sample else sample
    if not turbo and isinstance(sample, int) and sample > 0:
        native = int(sample) * scale
        evidence.append(f"sample size {sample} × VAE scale {scale} = {native} px")
        if name == "sd2" and native == 512:
            evidence.append("an SD 2 base model")
    multiple = math.lcm(8, scale * _unet_downsampling(unet))     # the pipelines also ask for multiples of 8
    return Family(name=name, native=native, steps=steps, guidance=guidance, multiple=multiple,
                  evidence="; ".join(evidence))


def _other_family(path: Path, cls: str, vae: dict) -> Family:
    """A pipeline without a UNet (a diffusion transformer such as SD 3): generic defaults."""
    native, steps, guidance = FAMILY_DEFAULTS["other"]
    transformer = _config(path / "transformer", "config.json")
    scale = _vae_scale(vae)
    patch = transformer.get("patch_size") if isinstance(transformer.get("patch_size"), int) else 2
    sample = transformer.get("sample_size")
    evidence = [f"pipeline {cls or '?'} has no UNet: generic defaults"]
    if isinstance(sample, int) and sample > 0:
        native = sample * scale
        evidence.append(f"sample size {sample} × VAE scale {scale} = {native} px")
    return Family(name="other", native=native, steps=steps, guidance=guidance,
                  multiple=math.lcm(8, scale * max(1, patch)), evidence="; ".join(evidence))


# ------------------------------------------------------------------------------------------------------
# sizes
# ------------------------------------------------------------------------------------------------------
def generation_size(width: int, height: int, native: int, multiple: int, *,
                    max_aspect: float = 4.0) -> tuple[int, int]:
    """(w, h) with the aspect ratio of ``width``×``height`` (clamped to 1:``max_aspect``), about
    ``native²`` pixels, both sides multiples of ``multiple`` (at least one multiple)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}.")
    ratio = min(max(width / height, 1.0 / max_aspect), max_aspect)
    area = float(native) * float(native)
    w = math.sqrt(area * ratio)
    h = math.sqrt(area / ratio)
    m = max(1, int(multiple))
    return max(m, round(w / m) * m), max(m, round(h / m) * m)


def cover_resize(image: np.ndarray, width: int, height: int) -> tuple[np.ndarray, bool]:
    """``image`` scaled to cover ``width``×``height`` (area filter down, cubic up) and centre-cropped to
    exactly that size; also whether anything was cropped."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image.astype(np.float32, copy=False), False
    scale = max(width / w, height / h)
    nw, nh = max(width, math.ceil(w * scale - 1e-6)), max(height, math.ceil(h * scale - 1e-6))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image.astype(np.float32, copy=False), (nw, nh), interpolation=interp)
    if resized.ndim == 2 and image.ndim == 3:
        resized = resized[..., None]
    y0, x0 = (nh - height) // 2, (nw - width) // 2
    out = resized[y0:y0 + height, x0:x0 + width]
    return np.clip(out, 0.0, 1.0).astype(np.float32), (nw, nh) != (width, height)


# ------------------------------------------------------------------------------------------------------
# prompts
# ------------------------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_NO_PEOPLE = re.compile(r"^\s*no (people|person|persons|humans?|one)\b", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (split after ``.``, ``!`` or ``?`` followed by a space)."""
    return [s.strip() for s in _SENTENCE_END.split(" ".join(str(text).split())) if s.strip()]


def is_no_people_directive(sentence: str) -> bool:
    return sentence.strip() == NO_PEOPLE or bool(_NO_PEOPLE.match(sentence))


@dataclass
class PromptFit:
    """A prompt shortened to the text encoder's length.

    Attributes:
        prompt: the sentences kept, in order, joined by spaces.
        tokens: its token count (start and end tokens included).
        dropped: sentences left out because they did not fit.
        directives: sentences left out because the negative prompt says them (the no-people directive).
        over_limit: the first sentence alone is longer than the limit (the encoder reads its start only).
    """

    prompt: str
    tokens: int
    dropped: list[str]
    directives: list[str]
    over_limit: bool = False


def fit_prompt(text: str, count: Callable[[str], int], limit: int = CLIP_TOKENS) -> PromptFit:
    """Whole sentences of ``text``, in order, while ``count(prompt) <= limit``.

    The first sentence is always kept; a later sentence that does not fit is dropped and the next ones
    are still tried. Sentences that only say that no people appear are left out (negation does not work
    in a CLIP prompt: the word "people" draws people; the negative prompt excludes them).
    """
    sentences = split_sentences(text)
    directives = [s for s in sentences if is_no_people_directive(s)]
    rest = [s for s in sentences if not is_no_people_directive(s)]
    if not rest:
        return PromptFit(prompt="", tokens=count(""), dropped=[], directives=directives)
    kept = [rest[0]]
    tokens = count(rest[0])
    dropped: list[str] = []
    for sentence in rest[1:]:
        candidate = " ".join(kept + [sentence])
        n = count(candidate)
        if n <= limit:
            kept.append(sentence)
            tokens = n
        else:
            dropped.append(sentence)
    return PromptFit(prompt=" ".join(kept), tokens=tokens, dropped=dropped, directives=directives,
                     over_limit=tokens > limit)


# ------------------------------------------------------------------------------------------------------
# folders and loading (shared with the diffusion inpainter)
# ------------------------------------------------------------------------------------------------------
def one_line(err: BaseException, limit: int = 240) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diffusers_availability() -> tuple[bool, str]:
    """Whether torch, transformers and diffusers are installed (found, not imported: importing diffusers
    takes seconds)."""
    problem = hf.missing_package(("torch", "transformers", "diffusers"))
    if problem is not None:
        return False, problem
    return True, "torch, transformers and diffusers are installed; needs a local diffusers folder"


def check_components(path: Path, flag: str) -> str | None:
    """Check that every component ``model_index.json`` lists is there with weights; return the weight
    variant to load (``"fp16"`` when a folder holds only ``*.fp16.safetensors``), else None.

    Raises:
        BackendUnavailable: a component folder or its weights are missing (one line naming both).
    """
    index = _config(path, "model_index.json")
    variant: str | None = None
    for key, value in sorted(index.items()):
        if key.startswith("_") or not isinstance(value, (list, tuple)) or len(value) != 2:
            continue
        library, cls = value
        if library is None or cls is None:
            continue
        sub = path / key
        if not sub.is_dir():
            raise BackendUnavailable(f"{flag}: {str(path)!r} is incomplete: model_index.json lists {key} "
                                     f"({cls}) but there is no {key}/ folder")
        if any(word in str(cls) for word in _NOT_MODELS):
            continue
        names = [f.name for f in sub.iterdir() if f.is_file()]
        if any(_PLAIN_WEIGHTS.match(n) for n in names):
            continue
        variants = {m.group(2) for n in names if (m := _VARIANT_WEIGHTS.match(n))}
        if variants:
            variant = variant or ("fp16" if "fp16" in variants else min(variants))
            continue
        if not any(n.endswith(_WEIGHT_SUFFIXES) for n in names):
            raise BackendUnavailable(f"{flag}: {str(path)!r} is incomplete: {key}/ has no weights "
                                     "(e.g. diffusion_pytorch_model.safetensors or model.safetensors)")
    return variant


def quiet_diffusers() -> None:
    """Keep transformers and diffusers from printing info lines, warnings and load progress bars."""
    hf.quiet_transformers()
    try:
        from diffusers.utils import logging as dlog
    except ImportError:
        return
    dlog.set_verbosity_error()
    dlog.disable_progress_bar()


@contextmanager
def quiet_warnings():
    """Python warnings from the libraries (deprecations, "you have disabled the safety checker") off."""
    with warnings.catch_warnings():
        for category in (FutureWarning, DeprecationWarning, UserWarning):
            warnings.simplefilter("ignore", category)
        yield


def load_pipeline(path: Path, *, auto: str, flag: str, device, dtype, variant: str | None):
    """The diffusers pipeline in ``path``: ``diffusers.<auto>`` (an AutoPipeline class) first, the
    generic ``DiffusionPipeline`` when the auto class does not know the folder's pipeline."""
    diffusers = hf.require("diffusers", f"{flag} (diffusers)")
    options = {"local_files_only": True, "dtype": dtype}
    if variant:
        options["variant"] = variant
    with quiet_warnings():
        try:
            try:
                pipe = getattr(diffusers, auto).from_pretrained(str(path), **options)
            except ValueError as err:     # the auto class has no mapping for this pipeline class
                if "AutoPipeline" not in str(err) and "can't find" not in str(err):
                    raise
                pipe = diffusers.DiffusionPipeline.from_pretrained(str(path), **options)
        except Exception as err:  # noqa: BLE001 - any load failure is the folder's fault
            raise BackendUnavailable(f"{flag}: cannot load the diffusers pipeline in {str(path)!r}: "
                                     f"{one_line(err)}") from None
        try:
            pipe = pipe.to(device)
        except Exception as err:  # noqa: BLE001 - out of memory, unsupported dtype on this device
            raise BackendUnavailable(f"{flag}: cannot move the pipeline in {str(path)!r} to {device}: "
                                     f"{one_line(err)}") from None
    pipe.set_progress_bar_config(disable=True)
    return pipe


def free_cuda_gib(device) -> float | None:
    if getattr(device, "type", "") != "cuda":
        return None
    import torch

    try:
        free, _total = torch.cuda.mem_get_info(device)
    except Exception:  # noqa: BLE001
        return None
    return free / 2**30


def setup_memory(pipe, family: Family, device, *, attention_slicing: bool | None) -> bool:
    """Attention slicing on when asked, or by default on a CPU and when CUDA memory is short.
    Returns whether it is on."""
    if attention_slicing is None:
        free = free_cuda_gib(device)
        need = _SLICING_GIB.get(family.name, _SLICING_GIB_DEFAULT)
        attention_slicing = getattr(device, "type", "cpu") != "cuda" or (free is not None and free < need)
    if attention_slicing and hasattr(pipe, "enable_attention_slicing"):
        pipe.enable_attention_slicing()
        return True
    return False


def set_vae_tiling(pipe, on: bool) -> bool:
    vae = getattr(pipe, "vae", None)
    if vae is None or not hasattr(vae, "enable_tiling"):
        return False
    if on:
        vae.enable_tiling()
    elif hasattr(vae, "disable_tiling"):
        vae.disable_tiling()
    return on


def token_counter(pipe) -> tuple[Callable[[str], int], int]:
    """A function counting the prompt tokens of the pipeline's CLIP tokenizers (the larger count when
    there are two), and the length they read."""
    tokenizers = [t for t in (getattr(pipe, "tokenizer", None), getattr(pipe, "tokenizer_2", None)) if t is not None]
    limits = [n for tok in tokenizers if isinstance(n := getattr(tok, "model_max_length", None), int)
              and 0 < n < 100_000]
    for encoder in (getattr(pipe, "text_encoder", None), getattr(pipe, "text_encoder_2", None)):
        positions = getattr(getattr(encoder, "config", None), "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            limits.append(positions)
    limit = min(limits) if limits else CLIP_TOKENS

    def count(text: str) -> int:
        if not tokenizers:
            return len(text.split()) + 2
        return max(len(t(text, truncation=False)["input_ids"]) for t in tokenizers)

    return count, limit


class StepBar:
    """A tqdm bar of denoising steps on stderr, only when stderr is a terminal; a pipeline callback."""

    def __init__(self, total: int, desc: str) -> None:
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="step", file=sys.stderr, leave=False)

    def __call__(self, pipe, step, timestep, callback_kwargs):
        if self.bar is not None:
            self.bar.update(1)
        return callback_kwargs

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def call_options(pipe) -> set[str]:
    """The keyword arguments the pipeline's ``__call__`` takes (all of them when it takes ``**kwargs``)."""
    try:
        params = inspect.signature(pipe.__call__).parameters
    except (TypeError, ValueError):
        return {"negative_prompt", "callback_on_step_end"}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return {"negative_prompt", "callback_on_step_end"} | set(params)
    return set(params)


def run_pipeline(pipe, call: dict, flag: str, path: Path):
    """``pipe(**call)`` without the options it does not take; running out of memory is a one-line error."""
    import torch

    accepted = call_options(pipe)
    call = {k: v for k, v in call.items() if k in accepted or k not in ("negative_prompt", "callback_on_step_end")}
    try:
        with quiet_warnings(), torch.inference_mode():
            return pipe(**call)
    except torch.OutOfMemoryError as err:
        raise BackendUnavailable(f"{flag}: out of memory running {str(path)!r} ({one_line(err, 120)}); try a "
                                 "smaller size, --dtype float16 or a smaller model") from None


@dataclass
class OpenedPipeline:
    """A checked and loaded diffusers pipeline folder, with what its callers need to know."""

    family: Family
    torch: object
    device: object
    dtype: object
    pipe: object
    vae_scale: int           # pixels per latent cell
    multiple: int            # image sides must be multiples of this
    attention_slicing: bool


def open_pipeline(path: Path, *, role: str, flag: str, auto: str, purpose: str, device=None, dtype=None,
                  steps: int | None = None, attention_slicing: bool | None = None) -> OpenedPipeline:
    """Check the folder (role, components, weights), pick device and dtype, load the ``auto`` pipeline class
    and set up memory savers: the loading both the text-to-image and the inpainting backends do."""
    models.check_role(path, role, flag)
    if steps is not None and int(steps) < 1:
        raise ValueError(f"steps must be at least 1, got {steps}.")
    variant = check_components(path, flag)
    family = detect_family(path)
    models.offline()
    torch = hf.require("torch", purpose)
    quiet_diffusers()
    dev = hf.pick_device(device)
    dt = hf.pick_dtype(dev, dtype)
    pipe = load_pipeline(path, auto=auto, flag=flag, device=dev, dtype=dt, variant=variant)
    scale = getattr(pipe, "vae_scale_factor", None)
    vae_scale = scale if isinstance(scale, int) and scale > 0 else 8
    slicing = setup_memory(pipe, family, dev, attention_slicing=attention_slicing)
    return OpenedPipeline(family, torch, dev, dt, pipe, vae_scale, math.lcm(family.multiple, vae_scale), slicing)


def dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


# ------------------------------------------------------------------------------------------------------
# the backend
# ------------------------------------------------------------------------------------------------------
class DiffusersIllustrator:
    """Text-to-image with a local diffusers Stable Diffusion folder (SD 1.x/2.x, SDXL, SD(XL)-Turbo).

    Args:
        path: the pipeline folder (``model_index.json`` and its component folders).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``; by default CUDA when available.
        dtype: ``"float32"``, ``"float16"``, ``"bfloat16"``; by default bf16 (or fp16) on CUDA, fp32 on CPU.
        steps: denoising steps; the family's default when None.
        guidance: guidance scale; the family's default when None.
        attention_slicing: compute attention in slices (less memory); by default on a CPU and when
            free CUDA memory is short.
        vae_tiling: decode the image in tiles; by default above about 1.5 megapixels.

    Raises:
        BackendUnavailable: the folder is missing, not a text-to-image folder, incomplete, or does not load.
    """

    name = "diffusers"
    summary = "a local diffusers text-to-image folder (Stable Diffusion 1.x/2.x, SDXL, SD(XL)-Turbo)"
    role = "t2i"
    flag = "--t2i"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return diffusers_availability()

    @classmethod
    def accepts(cls, path) -> str | None:
        return models.role_problem(path, cls.role)

    def __init__(self, path, *, device=None, dtype=None, steps: int | None = None,
                 guidance: float | None = None, attention_slicing: bool | None = None,
                 vae_tiling: bool | None = None) -> None:
        self.path = Path(path).expanduser()
        opened = open_pipeline(self.path, role=self.role, flag=self.flag, auto="AutoPipelineForText2Image",
                               purpose="the diffusers text-to-image backend", device=device, dtype=dtype,
                               steps=steps, attention_slicing=attention_slicing)
        self.family, self._torch, self.pipe = opened.family, opened.torch, opened.pipe
        self.device, self.dtype = opened.device, opened.dtype
        self.multiple, self.attention_slicing = opened.multiple, opened.attention_slicing
        self.steps = int(steps) if steps is not None else self.family.steps
        self.guidance = float(guidance) if guidance is not None else self.family.guidance
        self.vae_tiling = vae_tiling
        self._count, self.token_limit = token_counter(self.pipe)

    # -- prompts -------------------------------------------------------------------------------------
    def fit(self, text: str) -> PromptFit:
        """``text`` shortened to whole sentences that fit the text encoder (see :func:`fit_prompt`)."""
        return fit_prompt(text, self._count, self.token_limit)

    # -- generation ----------------------------------------------------------------------------------
    def generate(self, metadata, *, width: int, height: int, seed: int = 0) -> ImageResult:
        """One image of ``metadata`` at exactly ``width``×``height`` (float32 RGB in [0, 1])."""
        width, height = int(width), int(height)
        gw, gh = generation_size(width, height, self.family.native, self.multiple)
        fit = self.fit(metadata.to_prompt())
        negative = metadata.negative_prompt() if self.guidance > 1.0 else None
        tiling = self.vae_tiling if self.vae_tiling is not None else gw * gh > VAE_TILING_PIXELS
        set_vae_tiling(self.pipe, bool(tiling))
        torch = self._torch
        generator = torch.Generator(device=self.device).manual_seed(int(seed) % 2**63)
        bar = StepBar(self.steps, f"{self.name} {self.family.name}")
        call = dict(prompt=fit.prompt, num_inference_steps=self.steps, guidance_scale=self.guidance,
                    height=gh, width=gw, generator=generator, output_type="np")
        if bar.bar is not None:
            call["callback_on_step_end"] = bar
        if negative:
            call["negative_prompt"] = negative
        start = time.perf_counter()
        try:
            out = run_pipeline(self.pipe, call, self.flag, self.path)
        finally:
            bar.close()
        seconds = time.perf_counter() - start
        raw = np.asarray(out.images[0], dtype=np.float32)
        if raw.ndim == 2:
            raw = np.repeat(raw[..., None], 3, axis=2)
        raw = np.nan_to_num(raw[..., :3], nan=0.0, posinf=1.0, neginf=0.0)
        image, cropped = cover_resize(np.clip(raw, 0.0, 1.0), width, height)
        if (gw, gh) == (width, height):
            size_note = f"generated at the requested size {width}x{height}"
        else:
            size_note = f"generated at {gw}x{gh}, scaled to {width}x{height}" + (
                " (centre-cropped to the requested aspect ratio)" if cropped else "")
        notes = []
        if fit.directives:
            notes.append("the no-people directive is left out of the prompt (a CLIP prompt that names "
                         "people draws them); " + ("the negative prompt excludes people" if negative else
                                                  "this model uses no guidance, so no negative prompt"))
        if fit.over_limit:
            notes.append(f"the first sentence alone is {fit.tokens} tokens; the text encoder reads the "
                         f"first {self.token_limit}")
        flagged = getattr(out, "nsfw_content_detected", None)
        info = {
            "model": str(self.path),
            "family": self.family.name,
            "family_evidence": self.family.evidence,
            "steps": self.steps,
            "guidance": self.guidance,
            "generated_size": [gw, gh],
            "size_note": size_note,
            "prompt_used": fit.prompt,
            "prompt_tokens": fit.tokens,
            "token_limit": self.token_limit,
            "dropped_sentences": list(fit.dropped),
            "negative_prompt": negative,
            "prompt_notes": notes,
            "seed": int(seed),
            "seconds": round(seconds, 3),
            "device": str(self.device),
            "dtype": dtype_name(self.dtype),
            "attention_slicing": self.attention_slicing,
            "vae_tiling": bool(tiling),
            "models": {"t2i": str(self.path)},
        }
        if flagged is not None and any(bool(f) for f in np.atleast_1d(flagged)):
            info["safety_checker"] = "the folder's safety checker flagged the image (it may be blacked out)"
        return ImageResult(image=np.ascontiguousarray(image), regions=None, depth=None, backend=self.name,
                           info=info)
