"""``/healthz`` (liveness, workers, queue) and ``/metrics`` (Prometheus text), with the middleware that counts
the requests they report."""
from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from cinealert.service.routes import Service


def register(app: FastAPI, svc: Service) -> None:
    @app.middleware("http")
    async def count(request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        svc.requests[(request.method, response.status_code)] += 1
        if request.url.path == "/v1/alerts":
            svc.latency.append(time.perf_counter() - t0)
        return response

    @app.get("/healthz", summary="Liveness and queue")
    def healthz():
        counts = svc.store.counts()
        sup = svc.supervisor
        alive = sup.alive() if sup is not None else None
        pid = sup.proc.pid if sup is not None and sup.proc is not None else None
        pids = [p.pid for p in sup.procs if p is not None] if sup is not None else []
        return {"ok": True, "media": svc.media.describe(), "worker_alive": alive, "worker_pid": pid,
                "worker_pids": pids, "worker_restarts": sup.restarts if sup else 0, "jobs": counts}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    def metrics():
        lines = ["# HELP cinealert_jobs Jobs by state.", "# TYPE cinealert_jobs gauge"]
        counts = svc.store.counts()
        for state, n in counts.items():
            if state != "alerts":
                lines.append(f'cinealert_jobs{{state="{state}"}} {n}')
        lines += ["# HELP cinealert_alerts_total Alerts recorded.", "# TYPE cinealert_alerts_total counter",
                  f"cinealert_alerts_total {counts['alerts']}",
                  "# HELP cinealert_http_requests_total HTTP requests by method and status.",
                  "# TYPE cinealert_http_requests_total counter"]
        for (method, code), n in sorted(svc.requests.items()):
            lines.append(f'cinealert_http_requests_total{{method="{method}",code="{code}"}} {n}')
        lines += ["# HELP cinealert_worker_up 1 when the render worker runs.", "# TYPE cinealert_worker_up gauge",
                  f"cinealert_worker_up {int(bool(svc.supervisor and svc.supervisor.alive()))}"]
        if svc.latency:
            lat = sorted(svc.latency)
            lines += ["# HELP cinealert_submit_seconds Latency of POST /v1/alerts.",
                      "# TYPE cinealert_submit_seconds summary"]
            for q in (0.5, 0.9, 0.99):
                value = lat[min(len(lat) - 1, int(q * len(lat)))]
                lines.append(f'cinealert_submit_seconds{{quantile="{q}"}} {value:.6f}')
            lines.append(f"cinealert_submit_seconds_count {len(lat)}")
        return "\n".join(lines) + "\n"
