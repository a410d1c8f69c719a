"""Alerts in: ``POST /v1/alerts`` (bearer token, rate limit, size limit) and the WebSub subscriber at ``/websub``."""
from __future__ import annotations

import hashlib
import hmac
import os
import signal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from cinealert.service.intake import Rejected, intake
from cinealert.service.routes import Service, error
from cinealert.service.store import QueueFull


def register(app: FastAPI, svc: Service) -> None:
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
        token = svc.authorised(request)
        if token is None:
            return error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        wait = svc.limiter.allow(token)
        if wait > 0:
            return error(429, "too many requests for this token", {"Retry-After": str(max(1, int(wait + 0.999)))})
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > svc.max_body:
            return error(413, f"the body is larger than {svc.max_body} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > svc.max_body:
                return error(413, f"the body is larger than {svc.max_body} bytes")
        if not body.strip():
            return error(400, "empty body: send CAP XML, disaster-text JSON or {\"keyword\": ...}")
        if svc.supervisor is not None and not svc.supervisor.alive() and svc.supervisor.restarts > 5:
            return error(503, "no render worker is running", {"Retry-After": "5"})
        try:
            result = intake(svc.store, svc.data, body, request.headers.get("idempotency-key"), settings=svc.settings)
        except QueueFull as err:
            return error(503, f"queue full: {err}", {"Retry-After": "10"})
        except Rejected as err:
            return error(400, str(err))
        if os.environ.get("CINEALERT_FAULT") == "kill-after-commit":   # test hook: die between commit and reply
            os.kill(os.getpid(), signal.SIGKILL)
        status = 202 if result.get("new") else 200
        return JSONResponse(result, status_code=status)

    @app.get("/websub", summary="WebSub: confirm a subscription (echoes hub.challenge)",
             include_in_schema=svc.websub_secret is not None)
    def websub_verify(request: Request):
        if svc.websub_secret is None:
            return error(404, "WebSub is not enabled (cinealert serve --websub-secret FILE)")
        q = request.query_params
        if q.get("hub.mode") not in ("subscribe", "unsubscribe") or not q.get("hub.challenge"):
            return error(400, "expected hub.mode and hub.challenge")
        return PlainTextResponse(q["hub.challenge"][:200])

    @app.post("/websub", summary="WebSub: content pushed by the hub (X-Hub-Signature checked)",
              include_in_schema=svc.websub_secret is not None)
    async def websub_push(request: Request):
        if svc.websub_secret is None:
            return error(404, "WebSub is not enabled (cinealert serve --websub-secret FILE)")
        body = await request.body()
        if len(body) > svc.max_body:
            return error(413, f"the body is larger than {svc.max_body} bytes")
        sig = request.headers.get("x-hub-signature-256") or request.headers.get("x-hub-signature") or ""
        algo, _, given = sig.partition("=")
        digests = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}
        if algo not in digests or not hmac.compare_digest(hmac.new(svc.websub_secret, body, digests[algo]).hexdigest(),
                                                          given.strip().lower()):
            return error(403, "missing or wrong X-Hub-Signature")
        import re
        docs = re.findall(rb"<(?:\w+:)?alert[\s>].*?</(?:\w+:)?alert>", body, re.S) or [body]
        results = []
        for doc in docs:
            try:
                results.append(intake(svc.store, svc.data, doc, settings=svc.settings))
            except Rejected as err:
                results.append({"rejected": str(err)})
            except QueueFull as err:
                return error(503, f"queue full: {err}", {"Retry-After": "10"})
        return JSONResponse({"taken": results}, status_code=202)
