"""The render worker: one process (started with ``spawn``, never forked) that keeps models loaded and works
through the job store.

For each job it claims: render into the media store's working folder for the attempt while a thread
heartbeats the lease; then, only if the lease is still this worker's, publish the media under the
attempt's key (``jobs/<id>/attempt-<n>``) and complete the job with that key: the store's commit makes them
visible, and the attempt number fences out a worker that lost its lease (its media are discarded). A
worker killed mid-job leaves a working folder that is never published; the sweeper requeues the job when
the lease runs out and the next attempt renders it again, so each job ends with exactly one set of outputs.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
import traceback
from pathlib import Path

from cinealert.service.media_store import MediaStore, open_media
from cinealert.service.store import JobStore


def job_options(settings: dict):
    from cinealert.pipeline import Options
    opts = Options(progress=False)
    for key, value in settings.items():
        if key == "formats":
            value = tuple(value)
        setattr(opts, key, value)
    return opts


def run_job(store: JobStore, job: dict, *, owner: str, media: MediaStore, settings: dict) -> str:
    """Render one claimed job; returns its final state as this worker saw it."""
    from cinealert.errors import InputError
    from cinealert.pipeline import make

    attempt_dir = media.workdir(job["id"], job["attempt"])
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
        shutil.rmtree(attempt_dir, ignore_errors=True)
        store.fail(job["id"], job["attempt"], owner, str(err), retry=False)
        return "failed"
    except Exception as err:  # noqa: BLE001 - any crash of a render is recorded on its job and retried
        stop.set()
        shutil.rmtree(attempt_dir, ignore_errors=True)
        store.fail(job["id"], job["attempt"], owner, f"{type(err).__name__}: {err}\n{traceback.format_exc()[-1500:]}",
                   retry=True)
        return "queued"
    finally:
        stop.set()
    if lost.is_set() or not store.heartbeat(job["id"], job["attempt"], owner):
        shutil.rmtree(attempt_dir, ignore_errors=True)          # cancelled, superseded or taken over
        return "lost"
    key = media.publish(job["id"], job["attempt"], attempt_dir)  # not visible until the store records the key
    if not store.complete(job["id"], job["attempt"], owner, key):
        media.discard(job["id"], job["attempt"])                # fenced out: another attempt owns the job
        return "lost"
    media.cleanup(job["id"], keep=key)
    return "done"


def worker_main(data: str, settings_json: str, lease_s: float = 30.0, media_url: str | None = None) -> None:
    """Entry point of the worker process: claim, render, repeat; sweep expired leases in between."""
    from cinealert.models import offline

    offline()
    data_dir = Path(data)
    store = JobStore(data_dir / "jobs.db", lease_s=lease_s)
    settings = json.loads(settings_json)
    media = open_media(media_url or data_dir)
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
        run_job(store, job, owner=owner, media=media, settings=settings)
