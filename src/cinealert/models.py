"""Model folders: what kind of model a folder holds, where the models of each role are, and loading them once.

A model backend is a class with ``name``, ``summary``, ``role`` (one of :data:`ROLES`), classmethods
``availability() -> (usable, reason)`` (are its packages importable?) and ``accepts(path) -> str | None``
(None when the folder is of its kind, else why not), and ``__init__(path, *, device=None, dtype=None, ...)``.

Where models come from, first match wins:

1. an explicit folder (``--t2i DIR``, ``--segmenter DIR``, ``--depth DIR``, ``--inpainter DIR``, ``--llm DIR``,
   ``--captioner DIR``, ``--tts DIR``);
2. ``--models DIR``, else the environment variable ``CINEALERT_MODELS``: a folder with one subfolder per role,
   named by the role (``t2i/``, ``segmenter/``, ``depth/``, ``inpainter/``, ``llm/``, ``adapter/``,
   ``captioner/``, ``tts/``);
3. nothing: the stage's built-in backend.

Nothing is ever downloaded: folders are read with ``local_files_only`` and ``HF_HUB_OFFLINE`` is set for the
process before any Hugging Face library is imported by a model backend.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cinealert.errors import BackendUnavailable

#: Roles a model folder can play.
ROLES = ("llm", "adapter", "t2i", "segmenter", "depth", "inpainter", "captioner", "motion", "tts")

#: ``model_type`` (transformers config.json) → (role, kind).
TRANSFORMERS_KINDS = {
    "clipseg": ("segmenter", "clipseg"),
    "grounding-dino": ("segmenter", "grounding-dino"),
    "sam": ("segmenter", "sam"),
    "dpt": ("depth", "dpt"),
    "depth_anything": ("depth", "depth-anything"),
    "blip": ("captioner", "blip"),
    "cinealert-motion-unet": ("motion", "motion-unet"),     # cinealert motion train
    "vits": ("tts", "vits"),                                 # VITS / MMS-TTS narration
}

#: diffusers pipeline class names (model_index.json ``_class_name``) → (role, kind).
DIFFUSERS_KINDS = {
    "StableDiffusionPipeline": ("t2i", "sd"),
    "StableDiffusionXLPipeline": ("t2i", "sdxl"),
    "StableDiffusionInpaintPipeline": ("inpainter", "sd-inpaint"),
    "StableDiffusionXLInpaintPipeline": ("inpainter", "sdxl-inpaint"),
}

ENV_MODELS = "CINEALERT_MODELS"


def offline() -> None:
    """Make every Hugging Face library in this process work offline (called before they are imported)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@dataclass(frozen=True)
class FolderKind:
    """What a folder holds: ``role`` and ``kind`` (e.g. ``("depth", "dpt")``), or why it is not a model."""

    path: Path
    role: str | None
    kind: str | None
    detail: str = ""

    @property
    def known(self) -> bool:
        return self.role is not None


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def describe_folder(path: str | Path) -> FolderKind:
    """Read a folder's config files and say what model it holds (nothing is imported or loaded)."""
    p = Path(path).expanduser()
    if not p.is_dir():
        return FolderKind(p, None, None, "no such folder" if not p.exists() else "not a folder")
    index = p / "model_index.json"
    if index.is_file():
        cls = str(_json(index).get("_class_name", ""))
        role, kind = DIFFUSERS_KINDS.get(cls, (None, None))
        if role is None and "Inpaint" in cls:
            role, kind = "inpainter", "diffusers-inpaint"
        elif role is None and cls.endswith("Pipeline"):
            role, kind = "t2i", "diffusers"
        return FolderKind(p, role, kind, cls or "model_index.json without _class_name")
    if (p / "adapter_config.json").is_file():
        base = _json(p / "adapter_config.json").get("base_model_name_or_path") or "?"
        return FolderKind(p, "adapter", "lora", f"LoRA adapter for {base}")
    config = _json(p / "config.json")
    if config:
        mtype = str(config.get("model_type", ""))
        if mtype in TRANSFORMERS_KINDS:
            role, kind = TRANSFORMERS_KINDS[mtype]
            return FolderKind(p, role, kind, mtype)
        archs = [str(a) for a in config.get("architectures") or []]
        if any(a.endswith("ForCausalLM") for a in archs) or mtype in ("llama", "mistral", "qwen2", "gemma",
                                                                       "phi3", "gpt2", "gpt_neox"):
            return FolderKind(p, "llm", mtype or "causal-lm", ", ".join(archs) or mtype)
        return FolderKind(p, None, None, f"a {mtype or 'transformers'} model of no role cinealert uses")
    pair = segmenter_pair(p)
    if pair is not None:
        return FolderKind(p, "segmenter", "grounding-dino+sam", f"{pair[0].name} + {pair[1].name}")
    return FolderKind(p, None, None, "no config.json, model_index.json or adapter_config.json")


def segmenter_pair(path: Path) -> tuple[Path, Path] | None:
    """A folder holding a GroundingDINO model and a SAM model in two subfolders: (dino, sam), else None."""
    if not path.is_dir():
        return None
    dino = sam = None
    for sub in sorted(path.iterdir()):
        mtype = _json(sub / "config.json").get("model_type") if sub.is_dir() else None
        if mtype == "grounding-dino" and dino is None:
            dino = sub
        elif mtype == "sam" and sam is None:
            sam = sub
    return (dino, sam) if dino is not None and sam is not None else None


def models_root(explicit: str | Path | None = None) -> Path | None:
    """The ``--models`` folder, else ``$CINEALERT_MODELS``, else None. A given folder must exist."""
    value = explicit if explicit not in (None, "") else os.environ.get(ENV_MODELS) or None
    if value is None:
        return None
    root = Path(value).expanduser()
    source = "--models" if explicit not in (None, "") else f"${ENV_MODELS}"
    if not root.is_dir():
        raise BackendUnavailable(f"{source}: no such folder {str(root)!r}")
    return root


def discover(root: Path | None) -> dict[str, FolderKind]:
    """Role → folder found under ``root`` (a subfolder named by the role), with what each holds."""
    found: dict[str, FolderKind] = {}
    if root is None:
        return found
    for role in ROLES:
        sub = root / role
        if sub.is_dir():
            found[role] = describe_folder(sub)
    return found


def resolve(role: str, explicit: str | Path | None, root: Path | None) -> Path | None:
    """The folder to use for ``role``: the explicit one, else ``root/role``, else None."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if explicit not in (None, ""):
        return Path(explicit).expanduser()
    if root is not None and (root / role).is_dir():
        return root / role
    return None


def llm_folders(llm: str | None, adapter: str | None, root: Path | None) -> tuple[str | None, str | None]:
    """The metadata LLM and its adapter: the explicit ones, else ``root``'s ``llm/`` and ``adapter/``.

    A discovered adapter is used only with the discovered LLM (an adapter fits the base it was trained on).
    """
    if llm:
        return llm, adapter
    found = resolve("llm", None, root)
    if found is None:
        return None, adapter
    paired = resolve("adapter", None, root)
    return str(found), adapter or (str(paired) if paired is not None else None)


def role_problem(path: str | Path, role: str) -> str | None:
    """None when ``path`` holds a model for ``role``, else why not (one line, without the folder's name)."""
    info = describe_folder(path)
    if info.role == role:
        return None
    if info.role is None:
        return f"is not a model folder cinealert can use ({info.detail})"
    return (f"holds a model for the {info.role} role ({info.detail}), not "
            f"{'an' if role[0] in 'aeiou' else 'a'} {role} model")


def check_role(path: Path, role: str, flag: str) -> FolderKind:
    """``path`` described, and checked to hold a model of ``role``; a one-line error naming ``flag`` when not."""
    if not Path(path).exists():
        raise BackendUnavailable(f"{flag}: no such folder {str(path)!r} (give a local model folder; nothing is "
                                 "downloaded)")
    problem = role_problem(path, role)
    if problem is not None:
        raise BackendUnavailable(f"{flag}: {str(path)!r} {problem}")
    return describe_folder(path)


_LOADED: dict[tuple, object] = {}


def load_once(cls, path: Path, **options):
    """One instance per (class, folder, options) per process: models are loaded once and reused."""
    offline()
    key = (cls, str(Path(path).resolve()), tuple(sorted((k, repr(v)) for k, v in options.items())))
    if key not in _LOADED:
        _LOADED[key] = cls(path, **options)
    return _LOADED[key]


def clear_loaded() -> None:
    """Forget the loaded models (tests; freeing memory between jobs)."""
    _LOADED.clear()
