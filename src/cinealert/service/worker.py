"""The render worker: one process (started with ``spawn``, never forked) that keeps models loaded and works
through the job store.

For each job it claims: render into ``jobs/<id>/attempt-<n>/`` while a thread heartbeats the lease; then,
only if the lease is still this worker's, move the attempt folder to ``jobs/<id>/out/`` and mark the job
done (the attempt number fences out a worker that lost its lease). A worker killed mid-job leaves an
attempt folder that is never published; the sweeper requeues the job when the lease runs out and the next
attempt renders it again, so each job ends with exactly one set of outputs.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
import traceback
from pathlib import Path

from cinealert.service.store import JobStore


def job_options(settings: dict):
    from cinealert.pipeline import Options
    opts = Options(progress=False)
    for key, value in settings.items():
        if key == "formats":
            value = tuple(value)
        setattr(opts, key, value)
    return opts


def run_job(store: JobStore, job: dict, *, owner: str, data: Path, settings: dict) -> str:
    """Render one claimed job; returns its final state as this worker saw it."""
    from cinealert.errors import InputError
    from cinealert.pipeline import make

    job_dir = data / "jobs" / job["id"]
    attempt_dir = job_dir / f"attempt-{job['attempt']}"
    shutil.rmtree(attempt_dir, ignore_errors=True)
    lost = threading.Event()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(store.lease_s / 3):
            if not store.heartbeat(job["id"], job["attempt"], owner):
                lost.set()
                return

    t = threading.Thread(target=beat, daemon=True)
    t.start()
    try:
        source = job["input_path"]
        value = Path(source).read_text(encoding="utf-8").strip() if job["kind"] == "keyword" else source
        opts = job_options(settings)
        opts.on_progress = lambda share: store.heartbeat(job["id"], job["attempt"], owner, progress=round(0.95 * share, 3))
        make(value, attempt_dir, opts)
    except InputError as err:
        stop.set()
        store.fail(job["id"], job["attempt"], owner, str(err), retry=False)
        return "failed"
    except Exception as err:  # noqa: BLE001 - any crash of a render is recorded on its job and retried
        stop.set()
        store.fail(job["id"], job["attempt"], owner, f"{type(err).__name__}: {err}\n{traceback.format_exc()[-1500:]}",
                   retry=True)
        return "queued"
    finally:
        stop.set()
    if lost.is_set() or not store.heartbeat(job["id"], job["attempt"], owner):
        shutil.rmtree(attempt_dir, ignore_errors=True)          # cancelled, superseded or taken over
        return "lost"
    final = job_dir / "out"
    if final.exists():
        shutil.rmtree(final)                                     # an earlier attempt published but was not marked done
    os.replace(attempt_dir, final)
    if not store.complete(job["id"], job["attempt"], owner, str(final)):
        return "lost"
    for stale in job_dir.glob("attempt-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return "done"


def worker_main(data: str, settings_json: str, lease_s: float = 30.0) -> None:
    """Entry point of the worker process: claim, render, repeat; sweep expired leases in between."""
    from cinealert.models import offline

    offline()
    data_dir = Path(data)
    store = JobStore(data_dir / "jobs.db", lease_s=lease_s)
    settings = json.loads(settings_json)
    owner = f"worker-{os.getpid()}"
    (data_dir / "worker.pid").write_text(str(os.getpid()))
    last_sweep = 0.0
    while True:
        now = time.time()
        if now - last_sweep > max(1.0, lease_s / 4):
            store.sweep()
            last_sweep = now
        job = store.claim(owner)
        if job is None:
            time.sleep(0.1)
            continue
        run_job(store, job, owner=owner, data=data_dir, settings=settings)
