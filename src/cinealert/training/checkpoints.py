"""The files of a fine-tuning run (see :mod:`cinealert.training.finetune`): its checkpoints with the RNG
states, the JSONL training log, the summary, and what a checkpoint's run must match to be resumed."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from cinealert.hf import require

LOG_NAME = "train_log.jsonl"
SUMMARY_NAME = "finetune.json"
CHECKPOINT_DIR = "checkpoints"
STATE_NAME = "trainer_state.pt"
KEEP_CHECKPOINTS = 2


# ------------------------------------------------------------------------------------------ checkpoints

def list_checkpoints(out: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints in ``out``, oldest first."""
    found = []
    folder = out / CHECKPOINT_DIR
    if folder.is_dir():
        for p in folder.iterdir():
            if p.is_dir() and p.name.startswith("step-") and p.name[5:].isdigit() and (p / STATE_NAME).is_file():
                found.append((int(p.name[5:]), p))
    return sorted(found)


def save_checkpoint(out: Path, step: int, model, state: dict) -> Path:
    torch = require("torch", "fine-tuning")
    folder = out / CHECKPOINT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-step-{step}"
    final = folder / f"step-{step}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    torch.save(state, tmp / STATE_NAME)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    for _, old in list_checkpoints(out)[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path) -> dict:
    torch = require("torch", "fine-tuning")
    return torch.load(path / STATE_NAME, map_location="cpu", weights_only=True)


def rng_state(device) -> dict:
    torch = require("torch", "fine-tuning")
    state = {"cpu": torch.get_rng_state()}
    if getattr(device, "type", "") == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict, device) -> None:
    torch = require("torch", "fine-tuning")
    torch.set_rng_state(state["cpu"])
    if getattr(device, "type", "") == "cuda" and state.get("cuda"):
        torch.cuda.set_rng_state_all(state["cuda"])


def describe_mismatch(saved: dict, current: dict) -> str:
    parts = []
    for key in sorted(set(saved) | set(current)):
        if saved.get(key) != current.get(key):
            if key == "data_sha256":
                parts.append("the data file changed")
            elif key == "base":
                parts.append(f"base {saved.get(key)} -> {current.get(key)}")
            else:
                parts.append(f"{key} {saved.get(key)!r} -> {current.get(key)!r}")
    return ", ".join(parts[:4]) + (", ..." if len(parts) > 4 else "")


# ------------------------------------------------------------------------------------------------ files

def append_jsonl(path: Path, record: dict) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def trim_log(path: Path, step: int) -> None:
    """Keep the log lines up to ``step`` (those after it belong to work the resumed run redoes)."""
    if not path.is_file():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(record, dict):
            continue
        if record.get("event") in ("train", "eval", "end") and int(record.get("step", 0)) > step:
            continue
        if record.get("event") == "end":
            continue
        kept.append(line)
    path.write_text("".join(k + "\n" for k in kept), encoding="utf-8")


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def versions() -> dict:
    out = {}
    for name in ("torch", "transformers", "peft"):
        try:
            out[name] = __import__(name).__version__
        except ImportError:  # pragma: no cover
            out[name] = None
    return out


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
