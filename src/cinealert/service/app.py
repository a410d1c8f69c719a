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

import hashlib
import hmac
import json
import multiprocessing
import os
import signal
import threading
import time
from collections import defaultdict, deque
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response

from cinealert.deliver.encode import write_atomic
from cinealert.service.media_store import MediaStore, media_response, open_media
from cinealert.service.store import JobStore, QueueFull, open_store

#: Files of a job that may be fetched, with their content types.
SERVED = {"cinemagraph.mp4": "video/mp4", "cinemagraph.webm": "video/webm", "cinemagraph.gif": "image/gif",
          "cinemagraph.webp": "image/webp", "poster.png": "image/png", "card.mp4": "video/mp4",
          "card.png": "image/png", "description.txt": "text/plain; charset=utf-8",
          "report.json": "application/json", "alert.xml": "application/xml", "moving_mask.png": "image/png"}
MAX_BODY = 4 * 1024 * 1024
COALESCE_WINDOW_S = 3600


def read_tokens(path: str | Path) -> list[bytes]:
    """Bearer tokens, one per line (blank lines and ``#`` comments ignored)."""
    from cinealert.errors import InputError
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


def _priority(alert) -> int:
    if alert.severity == "Extreme" or alert.urgency == "Immediate":
        return 0
    if alert.severity == "Severe" or alert.urgency == "Expected":
        return 1
    return 2


def _epoch(iso: str | None) -> float:
    try:
        return datetime.fromisoformat((iso or "").replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time()


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
    settings = settings or {}
    lib = _open_library(library)
    requests = defaultdict(int)
    latency = deque(maxlen=2000)

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

    def error(status: int, message: str, headers: dict | None = None):
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    def authorised(request: Request) -> bytes | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        given = header[7:].strip().encode()
        ok = None
        for t in tokens:                             # compare with every token, in constant time
            if hmac.compare_digest(given, t):
                ok = t
        return ok

    @app.middleware("http")
    async def count(request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        requests[(request.method, response.status_code)] += 1
        if request.url.path == "/v1/alerts":
            latency.append(time.perf_counter() - t0)
        return response

    @app.post("/v1/alerts", status_code=202, summary="Submit an alert",
              responses={200: {"description": "already known (same job)"}, 202: {"description": "accepted"},
                         400: {"description": "unreadable or unusable alert"}, 401: {"description": "no token"},
                         413: {"description": "too large"}, 429: {"description": "rate limit"},
                         503: {"description": "queue full or no worker"}},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/xml": {"schema": {"type": "string"}, "example": "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">...</alert>"},
                  "application/json": {"schema": {"oneOf": [
                      {"type": "object", "properties": {"keyword": {"type": "string"}}, "required": ["keyword"]},
                      {"type": "array", "items": {"type": "object"}}, {"type": "object"}]}},
                  "text/plain": {"schema": {"type": "string"}}}}})
    async def submit(request: Request):
        token = authorised(request)
        if token is None:
            return error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        wait = limiter.allow(token)
        if wait > 0:
            return error(429, "too many requests for this token", {"Retry-After": str(max(1, int(wait + 0.999)))})
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > max_body:
            return error(413, f"the body is larger than {max_body} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_body:
                return error(413, f"the body is larger than {max_body} bytes")
        if not body.strip():
            return error(400, "empty body: send CAP XML, disaster-text JSON or {\"keyword\": ...}")
        if supervisor is not None and not supervisor.alive() and supervisor.restarts > 5:
            return error(503, "no render worker is running", {"Retry-After": "5"})
        try:
            result = intake(store, data, body, request.headers.get("idempotency-key"), settings=settings)
        except QueueFull as err:
            return error(503, f"queue full: {err}", {"Retry-After": "10"})
        except _Rejected as err:
            return error(400, str(err))
        if os.environ.get("CINEALERT_FAULT") == "kill-after-commit":   # test hook: die between commit and reply
            os.kill(os.getpid(), signal.SIGKILL)
        status = 202 if result.get("new") else 200
        return JSONResponse(result, status_code=status)

    @app.get("/websub", summary="WebSub: confirm a subscription (echoes hub.challenge)", include_in_schema=websub_secret is not None)
    def websub_verify(request: Request):
        if websub_secret is None:
            return error(404, "WebSub is not enabled (cinealert serve --websub-secret FILE)")
        q = request.query_params
        if q.get("hub.mode") not in ("subscribe", "unsubscribe") or not q.get("hub.challenge"):
            return error(400, "expected hub.mode and hub.challenge")
        return PlainTextResponse(q["hub.challenge"][:200])

    @app.post("/websub", summary="WebSub: content pushed by the hub (X-Hub-Signature checked)",
              include_in_schema=websub_secret is not None)
    async def websub_push(request: Request):
        if websub_secret is None:
            return error(404, "WebSub is not enabled (cinealert serve --websub-secret FILE)")
        body = await request.body()
        if len(body) > max_body:
            return error(413, f"the body is larger than {max_body} bytes")
        sig = request.headers.get("x-hub-signature-256") or request.headers.get("x-hub-signature") or ""
        algo, _, given = sig.partition("=")
        digests = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}
        if algo not in digests or not hmac.compare_digest(hmac.new(websub_secret, body, digests[algo]).hexdigest(),
                                                          given.strip().lower()):
            return error(403, "missing or wrong X-Hub-Signature")
        import re
        docs = re.findall(rb"<(?:\w+:)?alert[\s>].*?</(?:\w+:)?alert>", body, re.S) or [body]
        results = []
        for doc in docs:
            try:
                results.append(intake(store, data, doc, settings=settings))
            except _Rejected as err:
                results.append({"rejected": str(err)})
            except QueueFull as err:
                return error(503, f"queue full: {err}", {"Retry-After": "10"})
        return JSONResponse({"taken": results}, status_code=202)

    @app.get("/v1/jobs/{job_id}", summary="A job's state, report and media")
    def get_job(job_id: str):
        job = store.job(job_id)
        if job is None:
            return error(404, "no such job")
        out = {k: job[k] for k in ("id", "state", "attempt", "priority", "progress", "error", "created", "updated")}
        out["alerts"] = job["alerts"]
        if job["state"] == "done" and job["result_dir"]:
            key = job["result_dir"]
            names = set(media.names(key))
            out["report"] = _report(media, key) if "report.json" in names else None
            out["media"] = {n: f"/v1/jobs/{job_id}/media/{n}" for n in SERVED if n in names}
        elif job["state"] in ("queued", "running") and lib is not None:
            out.update(_library_answer(lib, job))
        return out

    @app.get("/v1/jobs/{job_id}/media/{name}", summary="A produced file (range requests supported)")
    def get_media(job_id: str, name: str, request: Request):
        if name not in SERVED:
            return error(404, "no such medium")
        job = store.job(job_id)
        if job is None or job["state"] != "done" or not job["result_dir"]:
            return error(404, "no such job, or not done")
        if not media.exists(job["result_dir"], name):
            return error(404, "this job did not make that medium")
        return media_response(media, job["result_dir"], name, media_type=SERVED[name],
                              range_header=request.headers.get("range"))

    @app.get("/v1/library/{entry}/{name}", summary="A file of a pre-rendered library entry")
    def library_media(entry: str, name: str):
        path = lib.path(entry, name) if lib is not None and name in SERVED else None
        if path is None:
            return error(404, "no such library entry or medium")
        return FileResponse(path, media_type=SERVED[name], filename=name)

    @app.get("/v1/alerts/{identifier}.xml", summary="The enriched CAP of an alert")
    def alert_xml(identifier: str, request: Request):
        job = store.alert_job(identifier)
        if job is None:
            return error(404, "no such alert")
        if job["state"] != "done" or not job["result_dir"] or not media.exists(job["result_dir"], "alert.xml"):
            return error(404, "no enriched CAP for this alert (not done, or not CAP input)")
        return media_response(media, job["result_dir"], "alert.xml", media_type="application/xml",
                              range_header=request.headers.get("range"))

    @app.get("/healthz", summary="Liveness and queue")
    def healthz():
        counts = store.counts()
        alive = supervisor.alive() if supervisor is not None else None
        pid = supervisor.proc.pid if supervisor is not None and supervisor.proc is not None else None
        pids = [p.pid for p in supervisor.procs if p is not None] if supervisor is not None else []
        return {"ok": True, "media": media.describe(), "worker_alive": alive, "worker_pid": pid, "worker_pids": pids,
                "worker_restarts": supervisor.restarts if supervisor else 0, "jobs": counts}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    def metrics():
        lines = ["# HELP cinealert_jobs Jobs by state.", "# TYPE cinealert_jobs gauge"]
        counts = store.counts()
        for state, n in counts.items():
            if state != "alerts":
                lines.append(f'cinealert_jobs{{state="{state}"}} {n}')
        lines += ["# HELP cinealert_alerts_total Alerts recorded.", "# TYPE cinealert_alerts_total counter",
                  f"cinealert_alerts_total {counts['alerts']}",
                  "# HELP cinealert_http_requests_total HTTP requests by method and status.",
                  "# TYPE cinealert_http_requests_total counter"]
        for (method, code), n in sorted(requests.items()):
            lines.append(f'cinealert_http_requests_total{{method="{method}",code="{code}"}} {n}')
        lines += ["# HELP cinealert_worker_up 1 when the render worker runs.", "# TYPE cinealert_worker_up gauge",
                  f"cinealert_worker_up {int(bool(supervisor and supervisor.alive()))}"]
        if latency:
            lat = sorted(latency)
            lines += ["# HELP cinealert_submit_seconds Latency of POST /v1/alerts.",
                      "# TYPE cinealert_submit_seconds summary"]
            for q in (0.5, 0.9, 0.99):
                lines.append(f'cinealert_submit_seconds{{quantile="{q}"}} {lat[min(len(lat) - 1, int(q * len(lat)))]:.6f}')
            lines.append(f"cinealert_submit_seconds_count {len(lat)}")
        return "\n".join(lines) + "\n"

    @app.get("/", response_class=HTMLResponse, summary="The live gallery")
    def gallery():
        from cinealert.deliver.gallery import live_page
        results = []
        for j in store.latest(24):
            names = set(media.names(j["result_dir"])) if j["result_dir"] else set()
            report = _report(media, j["result_dir"]) if "report.json" in names else None
            if report is not None:
                results.append((j["result_dir"], names, report, f"/v1/jobs/{j['id']}/media/"))
        return live_page(results)

    @app.get("/fonts/{name}", include_in_schema=False)
    def font(name: str):
        from cinealert.deliver.gallery import web_font
        p = web_font()
        if p is None or p.name != name:
            return Response(status_code=404)
        return FileResponse(p, media_type="font/otf" if p.suffix.lower() == ".otf" else "font/ttf")

    return app


def _open_library(path):
    if path is None:
        return None
    from cinealert.library import Library
    return Library.open(path)


def _library_answer(lib, job: dict) -> dict:
    """The job's answer from the pre-rendered library while its tailored render waits or runs (or nothing)."""
    keys = next((a["summary"].get("picture") for a in job["alerts"] if a["summary"].get("picture")), None)
    hit = lib.match(**keys) if keys else None
    if hit is None:
        return {}
    key, rec = hit
    try:
        report = json.loads((lib.root / rec["folder"] / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    report["library"] = {"entry": key, "settings": rec.get("settings"), "matched_on": keys}
    return {"state": "library", "render_state": job["state"], "report": report,
            "media": {n: f"/v1/library/{key}/{n}" for n in SERVED if lib.path(key, n) is not None}}


def _report(media: MediaStore, key: str) -> dict | None:
    try:
        return json.loads(media.read_bytes(key, "report.json").decode("utf-8"))
    except (OSError, ValueError):
        return None


def intake(store: JobStore, data: Path | None, body: bytes, idem: str | None = None, *, settings: dict | None = None) -> dict:
    """Check one alert and commit its job (or its Cancel / Update) to the store; the answer's body.

    Raises :class:`_Rejected` for an alert that cannot be taken and :class:`QueueFull` when the queue is
    full. Shared by the HTTP API and ``cinealert watch``."""
    from cinealert.alerts import read_bytes
    from cinealert.disasters import require_visual
    from cinealert.errors import InputError

    kind, keyword = "cap", None
    stripped = body.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            doc = json.loads(body)
        except ValueError as err:
            raise _Rejected(f"malformed JSON: {err}") from None
        if isinstance(doc, dict) and "keyword" in doc:
            keyword = str(doc["keyword"])[:2000]
            if not keyword.strip():
                raise _Rejected("the keyword is empty")
            kind = "keyword"
        else:
            kind = "mois"
    if kind == "cap":
        from cinealert.alerts import read_all_bytes
        try:
            several = read_all_bytes(body)
        except InputError as err:
            raise _Rejected(str(err)) from None
        if len(several) > 1:
            # A wrapper, feed or envelope of several alerts: each is taken in on its own.
            results = []
            for a in several:
                if a.raw is None:
                    results.append({"rejected": "a feed entry without CAP content (cinealert watch follows its link)"})
                    continue
                try:
                    results.append(intake(store, data, a.raw, settings=settings))
                except _Rejected as err:
                    results.append({"rejected": str(err)})
            jobs = [r.get("job_id") for r in results if r.get("job_id")]
            return {"job_id": jobs[0] if jobs else None, "alerts": results, "new": any(r.get("new") for r in results)}
    try:
        if keyword is not None:
            from cinealert.alerts import read_input
            alert = read_input(keyword)
        else:
            alert = read_bytes(body)
        if alert.makes_media:
            require_visual(alert.event or alert.headline, alert.disaster)
    except InputError as err:
        raise _Rejected(str(err)) from None
    if kind == "keyword":
        key = "kw:" + (idem or hashlib.sha256(body).hexdigest())
    elif kind == "mois":
        key = f"mois:{alert.identifier}" if alert.identifier else "mois:" + hashlib.sha256(body).hexdigest()
    else:
        key = "cap:" + hashlib.sha256(f"{alert.sender}|{alert.identifier}|{alert.sent}".encode()).hexdigest()
    summary = alert.summary()
    if alert.disaster:
        from cinealert.library import alert_keys
        summary["picture"] = alert_keys(alert)       # what a library entry must show to answer it
    refs = _references(alert)
    if alert.msg_type == "Cancel":
        jobs = store.jobs_of_references(refs)
        store.end(jobs, "cancelled", f"cancelled by {alert.identifier}")
        new = store.record_alert(alert_key=key, job_id=jobs[0], identifier=alert.identifier, sender=alert.sender,
                                 sent=alert.sent or "", msg_type="Cancel", summary=summary) if jobs else True
        return {"job_id": None, "action": "cancel", "cancelled": jobs, "new": new}
    superseded = []
    if alert.msg_type == "Update" and refs:
        superseded = store.jobs_of_references(refs)
    path = ""
    if data is not None:                             # a local copy of the input, for the operator's records
        path = data / "inputs" / (hashlib.sha256(key.encode()).hexdigest()[:32] + {"cap": ".xml", "mois": ".json",
                                                                                  "keyword": ".txt"}[kind])
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, keyword.encode("utf-8") if keyword is not None else body, durable=True)
    window = int(_epoch(alert.sent) // COALESCE_WINDOW_S)
    coalesce = (f"{alert.disaster}|{alert.level}|{alert.status}|{window}"
                if alert.disaster and alert.msg_type == "Alert" and kind != "keyword" else None)
    sub = store.submit(alert_key=key, kind=kind, input_path=str(path), priority=_priority(alert), settings=settings,
                       input_body=keyword.encode("utf-8") if keyword is not None else body,
                       coalesce_key=coalesce, identifier=alert.identifier, sender=alert.sender,
                       sent=alert.sent or "", msg_type=alert.msg_type, summary=summary)
    if superseded:
        store.end([j for j in superseded if j != sub.job_id], "superseded", f"superseded by {alert.identifier}")
    return {"job_id": sub.job_id, "state": sub.state, "new": sub.created, "duplicate": not sub.created and
            not sub.coalesced, "coalesced": sub.coalesced, "superseded": superseded,
            "links": {"job": f"/v1/jobs/{sub.job_id}"}}



class _Rejected(Exception):
    """An alert the service will not take (unreadable, hostile, or with no picture)."""


def _references(alert) -> list[tuple[str, str]]:
    """(sender, identifier) pairs of CAP ``<references>`` (``sender,identifier,sent`` each)."""
    out = []
    for ref in alert.references:
        parts = [p.strip() for p in ref.split(",")]
        if len(parts) >= 2:
            out.append((parts[0], parts[1]))
        elif parts and parts[0]:
            out.append(("", parts[0]))
    return out


def _version() -> str:
    from cinealert import __version__
    return __version__
