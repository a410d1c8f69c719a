"""Intake by polling: ``cinealert watch URL|DIR --data DIR`` follows a CAP feed or a folder.

- A **folder**: every ``*.xml``/``*.cap``/``*.json`` file that appears (or changes) is taken in once.
- A **URL** (ATOM or RSS feed, or a single CAP document): fetched with ``If-None-Match`` /
  ``If-Modified-Since`` from the last answer, so an unchanged feed costs a 304; the CAP of each new entry
  is read from the entry itself or fetched from its link.

Alerts go into the same job store as the HTTP API's (``DIR/jobs.db``) through the same checks, so a
running ``cinealert serve --data DIR`` renders them, and the same alert from the feed and from a POST is
one job. What was seen is kept in ``DIR/watch.json`` so a restart does not take anything twice (and the
store would dedupe it anyway).
"""
from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.request
from pathlib import Path

from cinealert.deliver.encode import write_atomic
from cinealert.service.intake import Rejected, intake
from cinealert.service.store import QueueFull, open_store

SUFFIXES = (".xml", ".cap", ".json")
_LINK = re.compile(rb"<link[^>]*?href=[\"']([^\"']+)[\"'][^>]*>|<link>\s*([^<\s]+)\s*</link>", re.I)


class Watcher:
    """Polls ``source``; alerts go into the store under ``data``, or, with ``server``, are POSTed to a
    running service (``token`` for its bearer authentication). ``data`` always keeps the watch state."""

    def __init__(self, source: str, data: str | Path, *, timeout: float = 20.0, server: str | None = None,
                 token: str | None = None) -> None:
        self.source = source
        self.data = Path(data)
        self.data.mkdir(parents=True, exist_ok=True)
        self.server, self.token = (server.rstrip("/") if server else None), token
        self.store = open_store(self.data / "jobs.db", create=True) if server is None else None
        self.state_path = self.data / "watch.json"
        try:
            self.state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            self.state = {}
        self.timeout = timeout

    def _save(self) -> None:
        write_atomic(self.state_path, json.dumps(self.state, indent=1))

    def _take(self, body: bytes, origin: str) -> dict:
        if self.server is not None:
            return self._post(body, origin)
        try:
            r = intake(self.store, self.data, body)
            return {"origin": origin, "job_id": r.get("job_id"), "new": r.get("new"), "action": r.get("action", "alert")}
        except Rejected as err:
            return {"origin": origin, "rejected": str(err)}
        except QueueFull as err:
            return {"origin": origin, "deferred": str(err)}

    def _post(self, body: bytes, origin: str) -> dict:
        req = urllib.request.Request(self.server + "/v1/alerts", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/octet-stream"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                r = json.loads(resp.read() or b"{}")
                return {"origin": origin, "job_id": r.get("job_id"), "new": r.get("new"),
                        "action": r.get("action", "alert")}
        except urllib.error.HTTPError as err:
            message = err.read()[:300].decode("utf-8", "replace")
            if err.code in (429, 503):
                return {"origin": origin, "deferred": f"{err.code}: {message}"}
            return {"origin": origin, "rejected": f"{err.code}: {message}"}
        except OSError as err:
            return {"origin": origin, "deferred": f"server unreachable: {err}"}

    def poll(self) -> list[dict]:
        """One pass; returns what was taken in (or rejected) this time."""
        out = self._poll_dir(Path(self.source)) if not self.source.startswith(("http://", "https://")) \
            else self._poll_url(self.source)
        self._save()
        return out

    def _poll_dir(self, folder: Path) -> list[dict]:
        from cinealert.errors import InputError
        if not folder.is_dir():
            raise InputError(f"watch: {str(folder)!r} is not a folder or an http(s) URL")
        seen = self.state.setdefault("files", {})
        out = []
        for p in sorted(folder.iterdir()):
            if p.suffix.lower() not in SUFFIXES or not p.is_file():
                continue
            data = p.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if seen.get(p.name) == digest:
                continue
            result = self._take(data, str(p))
            if "deferred" not in result:
                seen[p.name] = digest
            out.append(result)
        return out

    def _get(self, url: str, conditional: bool) -> tuple[int, bytes]:
        req = urllib.request.Request(url, headers={"User-Agent": "cinealert-watch"})
        cache = self.state.setdefault("http", {}).get(url, {})
        if conditional and cache.get("etag"):
            req.add_header("If-None-Match", cache["etag"])
        if conditional and cache.get("modified"):
            req.add_header("If-Modified-Since", cache["modified"])
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                body = resp.read(8 * 1024 * 1024 + 1)
                self.state["http"][url] = {"etag": resp.headers.get("ETag"), "modified": resp.headers.get("Last-Modified")}
                return resp.status, body
        except urllib.error.HTTPError as err:
            if err.code == 304:
                return 304, b""
            raise

    def _poll_url(self, url: str) -> list[dict]:
        status, body = self._get(url, conditional=True)
        if status == 304:
            return []
        head = body.lstrip()[:400].lower()
        if b"<feed" not in head and b"<rss" not in head:
            return [self._take(body, url)]
        seen = set(self.state.setdefault("entries", []))
        out = []
        for entry in re.split(rb"<entry[\s>]|<item[\s>]", body)[1:]:
            inline = re.search(rb"<(?:\w+:)?alert[\s>].*?</(?:\w+:)?alert>", entry, re.S)
            if inline:
                key = hashlib.sha256(inline.group(0)).hexdigest()
                if key not in seen:
                    out.append(self._take(inline.group(0), url + "#entry"))
                    seen.add(key)
                continue
            for m in _LINK.finditer(entry):
                link = (m.group(1) or m.group(2)).decode("utf-8", "replace")
                if link in seen:
                    continue
                link_url = urllib.request.urljoin(url, link)
                try:
                    _, doc = self._get(link_url, conditional=False)
                except OSError as err:
                    out.append({"origin": link_url, "deferred": f"fetch failed: {err}"})
                    continue
                out.append(self._take(doc, link_url))
                seen.add(link)
                break
        self.state["entries"] = sorted(seen)[-5000:]
        return out


def watch(source: str, data: str | Path, *, interval: float = 30.0, once: bool = False, echo=print,
          server: str | None = None, token: str | None = None) -> None:
    w = Watcher(source, data, server=server, token=token)
    while True:
        for r in w.poll():
            echo(json.dumps(r, ensure_ascii=False))
        if once:
            return
        time.sleep(interval)
