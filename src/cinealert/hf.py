"""Small shared helpers for the model backends: local model folders, devices and dtypes.

Model backends load Hugging Face folders from disk only (nothing is downloaded at run time; tests and
runs set ``HF_HUB_OFFLINE=1``). A folder that is missing or is not a model folder is the user's mistake:
:class:`BackendUnavailable` (exit status 2, one line) that names the folder and what was expected.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

from cinealert.errors import BackendUnavailable


def require(module: str, purpose: str):
    """Import ``module`` or raise :class:`BackendUnavailable` naming the package and what needs it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        package = module.split(".")[0]
        raise BackendUnavailable(f"{purpose} needs the Python package {package!r}, which does not load "
                                 f"here ({err}); install the pinned requirements.txt") from None


def missing_package(modules: tuple[str, ...], *, load: bool = False) -> str | None:
    """Why a backend needing ``modules`` cannot run here (one line), or None when all are there.

    With ``load`` each module is imported (slower, but a broken install shows); otherwise it only has to be
    installed (``find_spec``: importing diffusers alone takes seconds).
    """
    for module in modules:
        if load:
            try:
                importlib.import_module(module)
            except ImportError as err:
                return f"the Python package {module!r} does not load ({err})"
        elif importlib.util.find_spec(module) is None:
            return f"the Python package {module!r} is not installed"
    return None


def quiet_transformers() -> None:
    """Keep transformers from printing per-load progress bars and info lines: cinealert prints its own
    progress, and its stderr is for one-line messages."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def model_dir(path: str | Path, what: str, *, files: tuple[str, ...] = ("config.json",)) -> Path:
    """``path`` as a model folder, checked: it exists, is a folder, and holds ``files``.

    Args:
        path: the folder the user gave.
        what: what it should be, for the message ("--llm", "--adapter", "--captioner").
        files: names that must be in it; any one of them when several are given.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise BackendUnavailable(f"{what}: no such folder {str(p)!r} (give a local Hugging Face model folder; "
                                 "nothing is downloaded)")
    if not p.is_dir():
        raise BackendUnavailable(f"{what}: {str(p)!r} is a file, not a model folder")
    if files and not any((p / f).is_file() for f in files):
        raise BackendUnavailable(f"{what}: {str(p)!r} is not a model folder (it has no {' or '.join(files)})")
    return p


def read_config(path: Path, name: str = "config.json") -> dict:
    """The JSON config of a model folder (an empty dict when unreadable)."""
    try:
        data = json.loads((Path(path) / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def pick_device(device: str | None = None):
    """``device`` as a ``torch.device``; by default CUDA when available, else CPU."""
    torch = require("torch", "a model backend")
    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise BackendUnavailable(f"unknown device {device!r}: {err}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable(f"device {device!r} asked for, but CUDA is not available here")
    return dev


def pick_dtype(device, dtype: str | None = None):
    """``dtype`` as a torch dtype; by default bfloat16 on CUDA (float16 where bf16 is unsupported) and
    float32 on CPU."""
    torch = require("torch", "a model backend")
    names = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
             "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}
    if dtype not in (None, "", "auto"):
        if dtype not in names:
            raise BackendUnavailable(f"unknown dtype {dtype!r}; choose from {', '.join(names)}")
        return names[dtype]
    if getattr(device, "type", str(device)) == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32
