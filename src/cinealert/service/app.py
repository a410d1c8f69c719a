"""The alert service's HTTP API (FastAPI; the OpenAPI document is at ``/openapi.json``, docs at ``/docs``).

- ``POST /v1/alerts`` (bearer token): CAP XML, Korean disaster-text JSON, or ``{"keyword": "flood"}``. The
  alert is checked (the same hardened readers as the command line), its input stored and fsynced, and its
  job committed to the store *before* the answer: ``202 {job_id}`` for a new render, ``200`` with the same
  ``job_id`` for an alert already known (same sender, identifier and sent time; the serial number of a
  Korean record; or the ``Idempotency-Key`` header / the body of a keyword request) or one coalesced
  with a near-duplicate (same event and level in the same hour). An Update supersedes and a Cancel
  cancels the jobs of the alerts its ``<references>`` name.
- ``GET /v1/jobs/{id}``: state, attempt, alerts, the report and the media links once done.
- ``GET /v1/jobs/{id}/media/{name}``: a produced file (range requests, the right content type); only the
  names the pipeline writes are served, so no path can leave the job's folder.
- ``GET /v1/alerts/{identifier}.xml``: the enriched CAP of that alert's job.
- ``GET /healthz``, ``GET /metrics`` (Prometheus text), ``GET /`` (the live gallery).

Back-pressure: 429 with ``Retry-After`` when a token sends faster than its rate; 503 with ``Retry-After``
when the queue is full or no worker is running. Bodies over the size limit get 413. CORS is off.
"""
from __future__ import annotations

import json
import multiprocessing
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from cinealert.errors import InputError
from cinealert.service.intake import COALESCE_WINDOW_S, intake  # noqa: F401 - the service's intake, here as before
from cinealert.service.intake import Rejected as _Rejected  # noqa: F401
from cinealert.service.media_store import MediaStore, open_media
from cinealert.service.routes import Service, alerts, gallery, health, jobs
from cinealert.service.routes.jobs import SERVED  # noqa: F401 - the files a job serves
from cinealert.service.store import open_store

MAX_BODY = 4 * 1024 * 1024


def read_tokens(path: str | Path) -> list[bytes]:
    """Bearer tokens, one per line (blank lines and ``#`` comments ignored)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise InputError(f"cannot read the token file {str(path)!r}: {err.strerror or err}") from None
    tokens = [ln.strip().encode() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not tokens:
        raise InputError(f"the token file {str(path)!r} holds no tokens (one per line)")
    if any(len(t) < 16 for t in tokens):
        raise InputError(f"every token in {str(path)!r} must be at least 16 characters")
    return tokens


class RateLimiter:
    """A token bucket per bearer token: ``rate`` requests per second, bursts of ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._state: dict[bytes, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: bytes) -> float:
        """0 when allowed, else seconds until the next request would be."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


class WorkerSupervisor:
    """Keeps ``n`` worker processes (``spawn`` context) running on the job store; restarts any that dies."""

    def __init__(self, store_url: str, settings: dict, lease_s: float, media_url: str, n: int = 1) -> None:
        self.store_url, self.settings, self.lease_s, self.media_url = store_url, settings, lease_s, media_url
        self.ctx = multiprocessing.get_context("spawn")
        self.procs = [None] * n
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = None

    @property
    def proc(self):
        return self.procs[0] if self.procs else None

    def start(self) -> None:
        for i in range(len(self.procs)):
            self._spawn(i)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _spawn(self, i: int) -> None:
        from cinealert.service.worker import worker_main
        self.procs[i] = self.ctx.Process(target=worker_main, args=(self.store_url, json.dumps(self.settings),
                                                                   self.lease_s, self.media_url),
                                         daemon=True, name=f"cinealert-worker-{i}")
        self.procs[i].start()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for i, proc in enumerate(self.procs):
                if proc is not None and not proc.is_alive():
                    self.restarts += 1
                    self._spawn(i)

    def alive(self) -> bool:
        return any(p is not None and p.is_alive() for p in self.procs)

    def stop(self) -> None:
        """Stop the workers now: two SIGTERMs make each hand its job back to the queue at once."""
        self._stop.set()
        live = [p for p in self.procs if p is not None and p.is_alive()]
        for p in live:
            p.terminate()
        time.sleep(0.2)
        for p in live:
            if p.is_alive():
                p.terminate()
        for p in live:
            p.join(5)
            if p.is_alive():
                p.kill()



def create_app(data: str | Path, *, tokens: list[bytes], settings: dict | None = None, max_queue: int = 1000,
               lease_s: float = 30.0, rate: float = 20.0, burst: int = 40, max_body: int = MAX_BODY,
               start_worker: bool = True, websub_secret: bytes | None = None, media: MediaStore | None = None,
               store_url: str | None = None, workers: int = 1, library: str | Path | None = None):
    """The service's ASGI app. ``store_url``: the job store (default ``DATA/jobs.db``, made when new);
    ``media``: the media store (default the ``DATA`` folder); ``workers``: embedded render worker processes
    (0, or ``start_worker=False``: intake only); ``library``: a pre-rendered library for instant answers."""
    if data is None and (store_url is None or media is None):
        raise InputError("give --data DIR, or both --store URL and --media URL")
    data = Path(data) if data is not None else None
    media = media if media is not None else open_media(data)
    embedded = str(data / "jobs.db") if data is not None else None
    store_url = str(store_url or embedded)
    store = open_store(store_url, max_queue=max_queue, lease_s=lease_s, create=store_url == embedded)
    store.sweep()                                   # a restart: leases of dead workers run out and requeue
    limiter = RateLimiter(rate, burst)
    n_workers = workers if start_worker else 0
    supervisor = WorkerSupervisor(store_url, settings or {}, lease_s, media.url, n_workers) if n_workers else None
    svc = Service(store=store, media=media, data=data, settings=settings or {}, tokens=tokens, limiter=limiter,
                  max_body=max_body, supervisor=supervisor, websub_secret=websub_secret,
                  library=_open_library(library))

    @asynccontextmanager
    async def lifespan(app):
        if supervisor is not None:
            supervisor.start()
        yield
        if supervisor is not None:
            supervisor.stop()

    app = FastAPI(title="cinealert alert service", version=_version(), lifespan=lifespan,
                  description="Alerts in (CAP, Korean disaster-text JSON, keywords), looping 3D cinemagraphs out.")
    app.state.store = store
    app.state.media = media
    app.state.supervisor = supervisor
    app.state.service = svc
    for routes in (alerts, jobs, health, gallery):  # this order is the order of the OpenAPI document's paths
        routes.register(app, svc)
    return app


def _open_library(path):
    if path is None:
        return None
    from cinealert.library import Library
    return Library.open(path)


def _version() -> str:
    from cinealert import __version__
    return __version__
