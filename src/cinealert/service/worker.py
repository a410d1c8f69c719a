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
import signal
import socket
import tempfile
import threading
import time
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from cinealert.service.media_store import MediaStore, open_media
from cinealert.service.store import JobStore, open_store


def job_options(settings: dict):
    from cinealert.pipeline import Options
    opts = Options(progress=False)
    for key, value in settings.items():
        if key == "formats":
            value = tuple(value)
        setattr(opts, key, value)
    return opts


def _input_value(job: dict, folder: Path) -> str:
    """What ``make`` reads for a job: the keyword itself, or a file holding the alert as it was sent."""
    body = job.get("input")
    if body is None:                                 # a job of a store made before inputs were kept in it
        source = job["input_path"]
        return Path(source).read_text(encoding="utf-8").strip() if job["kind"] == "keyword" else source
    if job["kind"] == "keyword":
        return body.decode("utf-8").strip()
    path = folder / ("alert.json" if job["kind"] == "mois" else "alert.xml")
    path.write_bytes(body)
    return str(path)


class _Interrupts:
    """Where a second SIGTERM may stop the job at hand at once: inside the render, never inside a call to
    the store (a transaction cut in half leaves its connection unusable, and the job could not be handed
    back). A request that comes at another moment waits for the end of the store call, or for the render's
    start; once the render is over, the job is finished instead."""

    def __init__(self) -> None:
        self.open = False
        self.pending = False

    def hand_back(self) -> None:
        """From the signal handler: raise :class:`_HandBack` now if the render may be cut here, else later."""
        if self.open:
            raise _HandBack()
        self.pending = True

    @contextmanager
    def render(self):
        """Around the render: it may be cut anywhere in it."""
        self.open = True
        try:
            if self.pending:
                raise _HandBack()
            yield
        finally:
            self.open = False
            self.pending = False

    @contextmanager
    def store_call(self):
        """Around a call to the store made from inside the render: it runs whole."""
        was, self.open = self.open, False
        try:
            yield
        finally:
            self.open = was
        if was and self.pending:
            raise _HandBack()


def run_job(store: JobStore, job: dict, *, owner: str, media: MediaStore, settings: dict,
            interrupts: _Interrupts | None = None) -> str:
    """Render one claimed job; returns its final state as this worker saw it. ``interrupts``: where a
    second SIGTERM may cut the render (see :class:`_Interrupts`)."""
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
    inputs = tempfile.TemporaryDirectory(prefix="cinealert-input-")
    try:
        value = _input_value(job, Path(inputs.name))
        opts = job_options(job.get("settings") or settings)
        interrupts = interrupts or _Interrupts()

        def progress(share: float) -> None:
            with interrupts.store_call():
                store.heartbeat(job["id"], job["attempt"], owner, progress=round(0.95 * share, 3))

        opts.on_progress = progress
        with interrupts.render():
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
    except BaseException:                                       # handed back mid-render (worker shutting down)
        shutil.rmtree(attempt_dir, ignore_errors=True)
        raise
    finally:
        stop.set()
        inputs.cleanup()
    if lost.is_set() or not store.heartbeat(job["id"], job["attempt"], owner):
        shutil.rmtree(attempt_dir, ignore_errors=True)          # cancelled, superseded or taken over
        return "lost"
    key = media.publish(job["id"], job["attempt"], attempt_dir)  # not visible until the store records the key
    if not store.complete(job["id"], job["attempt"], owner, key):
        media.discard(job["id"], job["attempt"])                # fenced out: another attempt owns the job
        return "lost"
    media.cleanup(job["id"], keep=key)
    return "done"


class _HandBack(BaseException):
    """Raised inside a render by a second SIGTERM (or the drain timeout): hand the job back now."""


def worker_main(store_url: str, settings_json: str = "{}", lease_s: float = 30.0, media_url: str | None = None,
                drain_timeout: float | None = None, owner: str | None = None) -> None:
    """A worker process: claim, render, repeat; sweep expired leases in between.

    SIGTERM: finish the job at hand, then exit; a second SIGTERM, or ``drain_timeout`` seconds after the
    first, hands the job back to the queue at once (another worker takes it without waiting for the lease)."""
    from cinealert.models import offline

    offline()
    store = open_store(store_url, lease_s=lease_s)
    media = open_media(media_url or Path(store_url).parent)
    owner = owner or f"worker-{socket.gethostname()}-{os.getpid()}"
    state = {"stopping": False, "job": None, "interrupts": _Interrupts()}

    def on_term(signum, frame):
        if state["stopping"] and state["job"] is not None:
            state["interrupts"].hand_back()
        state["stopping"] = True
        if drain_timeout is not None:
            threading.Timer(drain_timeout, os.kill, (os.getpid(), signal.SIGTERM)).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)
    work_loop(store, media, owner=owner, settings=json.loads(settings_json), state=state)


def work_loop(store: JobStore, media: MediaStore, *, owner: str, settings: dict, state: dict) -> None:
    """Claim and render jobs until ``state["stopping"]`` (set by a signal, or by a Ray actor's stop())."""
    last_sweep = 0.0
    while not state["stopping"]:
        now = time.time()
        if now - last_sweep > max(1.0, store.lease_s / 4):
            store.sweep()
            last_sweep = now
        job = store.claim(owner)
        if job is None:
            time.sleep(0.1)
            continue
        state["interrupts"] = _Interrupts()          # a fresh one per job: no request carries over
        state["job"] = job
        try:
            run_job(store, job, owner=owner, media=media, settings=settings, interrupts=state.get("interrupts"))
        except _HandBack:
            store.release(job["id"], job["attempt"], owner)
            media.discard(job["id"], job["attempt"])
            return
        finally:
            state["job"] = None


def run_processes(store_url: str, media_url: str, settings: dict, *, n: int = 1, lease_s: float = 30.0,
                  drain_timeout: float | None = None) -> None:
    """``cinealert worker``: one worker in this process, or ``n`` worker processes (SIGTERM is passed on)."""
    if not 1 <= n <= 256:
        from cinealert.errors import InputError
        raise InputError(f"--processes must be between 1 and 256, got {n}")
    print(f"cinealert worker: {n} process(es) on {store_url}, media {media_url}", file=sys.stderr, flush=True)
    if n == 1:
        worker_main(store_url, json.dumps(settings), lease_s, media_url, drain_timeout)
        return
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=worker_main, args=(store_url, json.dumps(settings), lease_s, media_url,
                                                   drain_timeout), name=f"cinealert-worker-{i}") for i in range(n)]
    for p in procs:
        p.start()
    signal.signal(signal.SIGTERM, lambda *_: [os.kill(p.pid, signal.SIGTERM) for p in procs if p.is_alive()])
    for p in procs:
        p.join()
