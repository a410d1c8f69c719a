"""``cinealert batch MANIFEST -o LIBRARY``: render a pre-rendered library, resumably, on a process pool or Ray.

Each entry renders into ``LIBRARY/<key>.part-<random>/`` and is renamed to ``LIBRARY/<key>/`` only when complete,
with ``entry.json`` inside (the settings digest and each file's SHA-256). Only this process writes
``library.json``, atomically, after each entry. So:

- an entry already done with the same settings, whose files still match their digests, is skipped — also one
  whose folder was put in place just before a crash, before the index said so;
- an interrupted entry left only a ``.part-…`` folder: it is removed and the entry is rendered again;
- a task that Ray runs twice (retried after its node was lost) renders into its own ``.part-…`` folder, and the
  first complete one is put in place; the other is dropped, so each entry has exactly one folder.

On several machines (Ray), ``LIBRARY`` must be a folder every node sees at the same path (a shared mount).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

from cinealert.errors import InputError
from cinealert.library import INDEX, Entry, entry_alert, file_digest, options

ENGINES = ("local", "ray")


def render_entry(entry_data: dict, root: str) -> dict:
    """Render one entry into the library (run in a pool process or a Ray task); its index record."""
    from cinealert.models import offline
    from cinealert.pipeline import make_alert

    offline()
    entry = Entry(**entry_data)
    root_path = Path(root)
    final = root_path / entry.key
    part = root_path / f"{entry.key}.part-{uuid.uuid4().hex[:8]}"
    try:
        make_alert(entry_alert(entry), part, options(entry), input_value=f"library:{entry.key}")
        files = {p.name: file_digest(p) for p in sorted(part.iterdir()) if p.is_file()}
        stamp = {"key": entry.key, "digest": entry.digest(), "files": files}
        (part / "entry.json").write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
        if _verified(final, entry):
            shutil.rmtree(part)                            # another run of this task finished first
        else:
            if final.exists():
                shutil.rmtree(final)                       # the entry's settings changed: replace it
            os.replace(part, final)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    report = json.loads((final / "report.json").read_text(encoding="utf-8"))
    return _record(entry, final, report)


def _record(entry: Entry, folder: Path, report: dict) -> dict:
    stamp = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
    media = sorted(n for n in stamp["files"] if n not in ("report.json", "entry.json"))
    return {"state": "done", "folder": folder.name, "digest": stamp["digest"], "settings": entry.settings(),
            "prompt": report.get("prompt"), "metadata": report.get("metadata"), "media": media,
            "report": "report.json", "report_digest": stamp["files"].get("report.json"), "files": stamp["files"],
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _verified(folder: Path, entry: Entry) -> bool:
    """True when ``folder`` holds this entry's complete outputs for its current settings."""
    try:
        stamp = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if stamp.get("digest") != entry.digest():
        return False
    return all((folder / n).is_file() and file_digest(folder / n) == d for n, d in stamp.get("files", {}).items())


class Batch:
    """One run over a manifest's entries into a library folder."""

    def __init__(self, entries: list[Entry], root: str | Path, *, engine: str = "local", workers: int | None = None,
                 ray_address: str | None = None, progress: bool = True) -> None:
        if engine not in ENGINES:
            raise InputError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
        if workers is not None and not 1 <= workers <= 256:
            raise InputError(f"--workers must be between 1 and 256, got {workers}")
        self.entries, self.root, self.engine = entries, Path(root), engine
        self.workers = workers or min(2, os.cpu_count() or 1)
        self.ray_address, self.progress = ray_address, progress
        self.summary = {"done": [], "skipped": [], "failed": {}}

    # -- index ----------------------------------------------------------------------------------------
    def _load_index(self) -> dict:
        try:
            index = json.loads((self.root / INDEX).read_text(encoding="utf-8"))
            if isinstance(index, dict) and isinstance(index.get("entries"), dict):
                return index
        except (OSError, ValueError):
            pass
        return {"version": 1, "entries": {}}

    def _save(self) -> None:
        from cinealert.deliver.encode import write_atomic
        self.index["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        write_atomic(self.root / INDEX, json.dumps(self.index, indent=2, ensure_ascii=False) + "\n", durable=True)

    # -- run ------------------------------------------------------------------------------------------
    def run(self) -> dict:
        if self.engine == "ray":
            self._connect_ray()                         # a bad address fails before anything is written
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"cannot create library folder {self.root}: {err.strerror or err}") from None
        self.index = self._load_index()
        for stale in self.root.glob("*.part-*"):
            shutil.rmtree(stale, ignore_errors=True)     # entries a crash interrupted: rendered again below
        todo = []
        for entry in self.entries:
            rec = self.index["entries"].get(entry.key)
            folder = self.root / entry.key
            if rec and rec.get("state") == "done" and rec.get("digest") == entry.digest() and _verified(folder, entry):
                self.summary["skipped"].append(entry.key)
            elif _verified(folder, entry):               # finished just before a crash: adopt it
                report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
                self.index["entries"][entry.key] = _record(entry, folder, report)
                self.summary["skipped"].append(entry.key)
            else:
                todo.append(entry)
        self._save()
        bar = _bar(len(self.entries), initial=len(self.summary["skipped"]), enabled=self.progress)
        try:
            runner = self._run_ray if self.engine == "ray" else self._run_local
            for entry, record, error in runner(todo):
                if error is None:
                    self.index["entries"][entry.key] = record
                    self.summary["done"].append(entry.key)
                else:
                    self.index["entries"][entry.key] = {"state": "failed", "error": error,
                                                        "settings": entry.settings(), "folder": entry.key}
                    self.summary["failed"][entry.key] = error
                self._save()
                bar.update(1)
        finally:
            bar.close()
        for stale in self.root.glob("*.part-*"):
            shutil.rmtree(stale, ignore_errors=True)     # left by tasks that died with their node
        return self.summary

    def _run_local(self, todo: list[Entry]):
        if not todo:
            return
        if self.workers == 1:
            for entry in todo:
                yield entry, *_attempt(render_entry, entry.model_dump(), str(self.root))
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(render_entry, e.model_dump(), str(self.root)): e for e in todo}
            for fut in as_completed(futures):
                try:
                    yield futures[fut], fut.result(), None
                except Exception as err:  # noqa: BLE001 - recorded as the entry's failure
                    yield futures[fut], None, _reason(err)

    def _connect_ray(self) -> None:
        from cinealert.service.ray_engine import connect
        connect(self.ray_address)

    def _run_ray(self, todo: list[Entry]):
        import ray
        task = ray.remote(max_retries=3, retry_exceptions=False, num_cpus=1)(render_entry)
        pending = {task.remote(e.model_dump(), str(self.root)): e for e in todo}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                entry = pending.pop(ref)
                try:
                    yield entry, ray.get(ref), None
                except Exception as err:  # noqa: BLE001 - a render error, or a task out of retries
                    cause = getattr(err, "cause", None) or err
                    yield entry, None, _reason(cause)


def _attempt(fn, *args):
    try:
        return fn(*args), None
    except Exception as err:  # noqa: BLE001 - recorded as the entry's failure
        return None, _reason(err)


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def _bar(total: int, *, initial: int, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, desc="library", unit="entry", disable=not enabled, file=sys.stderr)


def print_summary(summary: dict, out=sys.stdout) -> None:
    print(f"done {len(summary['done'])}, skipped {len(summary['skipped'])}, failed {len(summary['failed'])}", file=out)
    for key, why in summary["failed"].items():
        print(f"  failed {key}: {why}", file=out)
