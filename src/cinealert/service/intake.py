"""Taking an alert in: check it, store its input and commit its job (or its Cancel / Update) to the job store.

Shared by the HTTP API (``POST /v1/alerts``, WebSub) and ``cinealert watch``.
"""
from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime
from pathlib import Path

from cinealert.deliver.encode import write_atomic
from cinealert.service.store import JobStore

#: Alerts of the same event and level within this many seconds share one render.
COALESCE_WINDOW_S = 3600


class Rejected(Exception):
    """An alert the service will not take (unreadable, hostile, or with no picture)."""


def intake(store: JobStore, data: Path | None, body: bytes, idem: str | None = None, *, settings: dict | None = None) -> dict:
    """Check one alert and commit its job (or its Cancel / Update) to the store; the answer's body.

    Raises :class:`Rejected` for an alert that cannot be taken and :class:`QueueFull` when the queue is
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
            raise Rejected(f"malformed JSON: {err}") from None
        if isinstance(doc, dict) and "keyword" in doc:
            keyword = str(doc["keyword"])[:2000]
            if not keyword.strip():
                raise Rejected("the keyword is empty")
            kind = "keyword"
        else:
            kind = "mois"
    if kind == "cap":
        from cinealert.alerts import read_all_bytes
        try:
            several = read_all_bytes(body)
        except InputError as err:
            raise Rejected(str(err)) from None
        if len(several) > 1:
            # A wrapper, feed or envelope of several alerts: each is taken in on its own.
            results = []
            for a in several:
                if a.raw is None:
                    results.append({"rejected": "a feed entry without CAP content (cinealert watch follows its link)"})
                    continue
                try:
                    results.append(intake(store, data, a.raw, settings=settings))
                except Rejected as err:
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
        raise Rejected(str(err)) from None
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
