"""What the jobs made: ``/v1/jobs/{id}`` (state, report, media links), its media, the files of the pre-rendered
library and ``/v1/alerts/{identifier}.xml`` (the enriched CAP)."""
from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse

from cinealert.service.media_store import MediaStore, media_response
from cinealert.service.routes import Service, error

#: Files of a job that may be fetched, with their content types.
SERVED = {"cinemagraph.mp4": "video/mp4", "cinemagraph.webm": "video/webm", "cinemagraph.gif": "image/gif",
          "cinemagraph.webp": "image/webp", "poster.png": "image/png", "card.mp4": "video/mp4",
          "card.png": "image/png", "description.txt": "text/plain; charset=utf-8",
          "report.json": "application/json", "alert.xml": "application/xml", "moving_mask.png": "image/png",
          "narration.m4a": "audio/mp4", "narration.ogg": "audio/ogg", "captions.vtt": "text/vtt; charset=utf-8",
          "braille.brf": "text/plain; charset=us-ascii"}


def register(app: FastAPI, svc: Service) -> None:
    @app.get("/v1/jobs/{job_id}", summary="A job's state, report and media")
    def get_job(job_id: str):
        job = svc.store.job(job_id)
        if job is None:
            return error(404, "no such job")
        out = {k: job[k] for k in ("id", "state", "attempt", "priority", "progress", "error", "created", "updated")}
        out["alerts"] = job["alerts"]
        if job["state"] == "done" and job["result_dir"]:
            key = job["result_dir"]
            names = set(svc.media.names(key))
            out["report"] = read_report(svc.media, key) if "report.json" in names else None
            out["media"] = {n: f"/v1/jobs/{job_id}/media/{n}" for n in SERVED if n in names}
        elif job["state"] in ("queued", "running") and svc.library is not None:
            out.update(library_answer(svc.library, job))
        return out

    @app.get("/v1/jobs/{job_id}/media/{name}", summary="A produced file (range requests supported)")
    def get_media(job_id: str, name: str, request: Request):
        if name not in SERVED:
            return error(404, "no such medium")
        job = svc.store.job(job_id)
        if job is None or job["state"] != "done" or not job["result_dir"]:
            return error(404, "no such job, or not done")
        if not svc.media.exists(job["result_dir"], name):
            return error(404, "this job did not make that medium")
        return media_response(svc.media, job["result_dir"], name, media_type=SERVED[name],
                              range_header=request.headers.get("range"))

    @app.get("/v1/library/{entry}/{name}", summary="A file of a pre-rendered library entry")
    def library_media(entry: str, name: str):
        path = svc.library.path(entry, name) if svc.library is not None and name in SERVED else None
        if path is None:
            return error(404, "no such library entry or medium")
        return FileResponse(path, media_type=SERVED[name], filename=name)

    @app.get("/v1/alerts/{identifier}.xml", summary="The enriched CAP of an alert")
    def alert_xml(identifier: str, request: Request):
        job = svc.store.alert_job(identifier)
        if job is None:
            return error(404, "no such alert")
        if job["state"] != "done" or not job["result_dir"] or not svc.media.exists(job["result_dir"], "alert.xml"):
            return error(404, "no enriched CAP for this alert (not done, or not CAP input)")
        return media_response(svc.media, job["result_dir"], "alert.xml", media_type="application/xml",
                              range_header=request.headers.get("range"))


def library_answer(lib, job: dict) -> dict:
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


def read_report(media: MediaStore, key: str) -> dict | None:
    try:
        return json.loads(media.read_bytes(key, "report.json").decode("utf-8"))
    except (OSError, ValueError):
        return None
