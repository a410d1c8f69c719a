"""The service's routes, in groups: ``alerts`` (intake: POST /v1/alerts, WebSub), ``jobs`` (what the jobs
made: state, media, library files, the enriched CAP), ``health`` (/healthz, /metrics and the request
counts behind them) and ``gallery`` (the live page and its font).

Each group has ``register(app, svc)``, which adds its routes to the app; the routes reach the store, the
media, the worker supervisor and the limits through ``svc``, the one :class:`Service` of the app (also at
``app.state.service``).
"""
from __future__ import annotations

import hmac
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse


@dataclass
class Service:
    """What the routes of one app share: its stores, its worker supervisor, its limits and its counters."""

    store: Any                                   # a JobStore
    media: Any                                   # a MediaStore
    data: Path | None                            # the embedded set-up's folder (inputs are kept there), or None
    settings: dict                               # the render settings of new jobs
    tokens: list[bytes]                          # the bearer tokens POST /v1/alerts accepts
    limiter: Any                                 # a RateLimiter (per token)
    max_body: int                                # bytes
    supervisor: Any = None                       # the embedded WorkerSupervisor, or None (intake only)
    websub_secret: bytes | None = None           # the WebSub hub's HMAC secret; None: no WebSub
    library: Any = None                          # a pre-rendered Library, or None
    requests: defaultdict = field(default_factory=lambda: defaultdict(int))     # (method, status) → count
    latency: deque = field(default_factory=lambda: deque(maxlen=2000))          # seconds of recent submits

    def authorised(self, request: Request) -> bytes | None:
        """The request's bearer token when it is one of ours, else None."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        given = header[7:].strip().encode()
        ok = None
        for t in self.tokens:                    # compare with every token, in constant time
            if hmac.compare_digest(given, t):
                ok = t
        return ok


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
