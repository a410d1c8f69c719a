"""``/`` (the live gallery of the latest jobs) and ``/fonts/{name}`` (the CJK font it uses)."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from cinealert.service.routes import Service
from cinealert.service.routes.jobs import read_report


def register(app: FastAPI, svc: Service) -> None:
    @app.get("/", response_class=HTMLResponse, summary="The live gallery")
    def gallery():
        from cinealert.deliver.gallery import live_page
        results = []
        for j in svc.store.latest(24):
            names = set(svc.media.names(j["result_dir"])) if j["result_dir"] else set()
            report = read_report(svc.media, j["result_dir"]) if "report.json" in names else None
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
