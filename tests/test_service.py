"""The alert service on loopback: intake, dedupe, crashes of the worker and of the API, Update/Cancel,
coalescing, back-pressure, security, media, metrics, the live page, and feed/folder watching.

Each test starts ``cinealert serve`` as its own process (the way it runs in production) on a free port.
"""
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).parents[1]
CAP = ROOT / "tests/data/cap/kieas_kr_kma_heavy_rain_advisory_HRA.xml"
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data: Path, *extra, env=None):
        self.data, self.extra, self.env = data, extra, env
        tokens = data.parent / "tokens.txt"
        tokens.write_text(f"# test\n{TOKEN}\n")
        self.port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [sys.executable, "-m", "cinealert", "serve", "--port", str(self.port), "--data", str(data),
                    "--token-file", str(tokens), "--size", "128x72", "--seconds", "0.5", "--fps", "8",
                    "--formats", "mp4,poster", "--lease", "2", *extra]
        self.proc = None

    def slow(self):
        """Jobs that take a few seconds (long enough to be killed while running)."""
        for flag, value in (("--size", "512x288"), ("--seconds", "4"), ("--fps", "24")):
            self.cmd[self.cmd.index(flag) + 1] = value
        return self

    def start(self, env=None):
        full = dict(os.environ, HF_HUB_OFFLINE="1", **(env or self.env or {}))
        self.proc = subprocess.Popen(self.cmd, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        for _ in range(200):
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.proc.stdout.read(2000) if self.proc.poll() is not None else ''}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(10)

    def post(self, body: bytes, headers=None, **kw):
        return httpx.post(self.url + "/v1/alerts", content=body, headers={**AUTH, **(headers or {})}, timeout=30, **kw)

    def wait(self, job_id, states=("done", "failed", "cancelled", "superseded"), timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            job = httpx.get(f"{self.url}/v1/jobs/{job_id}", timeout=10).json()
            if job["state"] in states:
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} still {job['state']}")


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


def cap(identifier: str, *, msg_type="Alert", references="", event="호우주의보", sent="2026-07-15T14:00:00+09:00",
        area="서울") -> bytes:
    text = CAP.read_text(encoding="utf-8")
    import re
    text = re.sub(r"<identifier>[^<]*</identifier>", f"<identifier>{identifier}</identifier>", text, count=1)
    text = re.sub(r"<msgType>[^<]*</msgType>", f"<msgType>{msg_type}</msgType>", text, count=1)
    text = re.sub(r"<sent>[^<]*</sent>", f"<sent>{sent}</sent>", text, count=1)
    text = re.sub(r"<areaDesc>[^<]*</areaDesc>", f"<areaDesc>{area}</areaDesc>", text, count=1)
    if references:
        text = text.replace("</msgType>", f"</msgType>\n  <references>{references}</references>", 1) \
            if "<references>" not in text else re.sub(r"<references>[^<]*</references>",
                                                      f"<references>{references}</references>", text)
    return text.replace("호우주의보", event).encode("utf-8")


# -- intake, dedupe, media -----------------------------------------------------------------------------
def test_alert_in_media_out(server):
    r = server.post(CAP.read_bytes())
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    again = server.post(CAP.read_bytes())
    assert again.status_code == 200 and again.json()["job_id"] == job_id and again.json()["duplicate"]
    job = server.wait(job_id)
    assert job["state"] == "done" and job["attempt"] == 1 and job["report"]["disaster"] == "heavy_rain"
    mp4 = httpx.get(server.url + job["media"]["cinemagraph.mp4"], headers={"Range": "bytes=0-99"})
    assert mp4.status_code == 206 and len(mp4.content) == 100 and mp4.headers["content-type"] == "video/mp4"
    poster = httpx.get(server.url + job["media"]["poster.png"])
    assert poster.status_code == 200 and poster.content[:8] == b"\x89PNG\r\n\x1a\n"
    if job["report"]["braille"]["available"]:                  # liblouis installed: the alert in braille too
        brf = httpx.get(server.url + job["media"]["braille.brf"])
        assert brf.status_code == 200 and brf.headers["content-type"].startswith("text/plain") and brf.content.isascii()
    xml = httpx.get(f"{server.url}/v1/alerts/기상청0123456789.xml")
    assert xml.status_code == 200 and b"<resource>" in xml.content
    for name in ("..%2Fjobs.db", "../../jobs.db", "report.json%00", "secret.txt"):
        assert httpx.get(f"{server.url}/v1/jobs/{job_id}/media/{name}").status_code == 404
    metrics = httpx.get(server.url + "/metrics").text
    assert 'cinealert_jobs{state="done"} 1' in metrics and "cinealert_submit_seconds" in metrics
    spec = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/alerts", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/media/{name}", "/healthz", "/metrics"} <= spec["paths"].keys()
    out = Path(server.data) / "jobs" / job_id
    assert sorted(p.name for p in out.iterdir()) == ["attempt-1"]            # one set of outputs


def test_bad_requests_get_clear_answers(tmp_path):
    s = Server(tmp_path / "data", "--no-worker", "--burst", "3", "--rate", "0.5").start()
    try:
        assert httpx.post(s.url + "/v1/alerts", content=CAP.read_bytes()).status_code == 401
        assert httpx.post(s.url + "/v1/alerts", content=CAP.read_bytes(),
                          headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
        bad = s.post(b"<alert><unclosed></alert>")
        assert bad.status_code == 400 and "malformed XML" in bad.json()["error"]
        evil = s.post(b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><alert>&x;</alert>')
        assert evil.status_code == 400
        assert s.post(b"x" * (5 * 1024 * 1024)).status_code in (413, 429)
        codes = [s.post(json.dumps({"keyword": "flood"}).encode(), headers={"Idempotency-Key": f"k{i}"}).status_code
                 for i in range(6)]
        assert 429 in codes                                               # the token's rate is 0.5/s, burst 3
    finally:
        s.stop()


def test_queue_full_is_503(tmp_path):
    s = Server(tmp_path / "data", "--no-worker", "--max-queue", "2").start()
    try:
        codes = [s.post(json.dumps({"keyword": "flood"}).encode(), headers={"Idempotency-Key": f"q{i}"}).status_code
                 for i in range(4)]
        assert codes[:2] == [202, 202] and codes[2:] == [503, 503]
        r = s.post(json.dumps({"keyword": "flood"}).encode(), headers={"Idempotency-Key": "q9"})
        assert r.headers.get("retry-after")
    finally:
        s.stop()


# -- crashes -------------------------------------------------------------------------------------------
def test_worker_killed_mid_job_finishes_once(tmp_path):
    s = Server(tmp_path / "data").slow().start()
    try:
        job_id = s.post(CAP.read_bytes()).json()["job_id"]
        s.wait(job_id, states=("running",))
        time.sleep(0.3)
        pid = httpx.get(s.url + "/healthz").json()["worker_pid"]
        os.kill(pid, signal.SIGKILL)
        job = s.wait(job_id, timeout=90)
        assert job["state"] == "done" and job["attempt"] == 2
        health = httpx.get(s.url + "/healthz").json()
        assert health["worker_alive"] and health["worker_restarts"] >= 1
        out = Path(s.data) / "jobs" / job_id
        assert sorted(p.name for p in out.iterdir()) == ["attempt-2"]        # attempt 1 never published
        assert len(list((out / "attempt-2").glob("cinemagraph.mp4"))) == 1
    finally:
        s.stop()


def test_api_killed_between_commit_and_reply_retry_gets_the_same_job(tmp_path):
    s = Server(tmp_path / "data", "--no-worker")
    s.start(env={"CINEALERT_FAULT": "kill-after-commit"})
    with pytest.raises(httpx.HTTPError):
        s.post(CAP.read_bytes())                                            # the API dies before it answers
    s.proc.wait(10)
    s.stop()
    s.cmd.remove("--no-worker")
    s.start(env={})                                                          # restart, with a worker
    try:
        r = s.post(CAP.read_bytes())                                         # the client's retry
        assert r.status_code == 200 and r.json()["duplicate"]
        job = s.wait(r.json()["job_id"])
        assert job["state"] == "done"
        health = httpx.get(s.url + "/healthz").json()["jobs"]
        assert health["running"] == 0 and health["queued"] == 0 and health["done"] == 1 and health["alerts"] == 1
    finally:
        s.stop()


def test_restart_leaves_nothing_stuck_running(tmp_path):
    s = Server(tmp_path / "data").slow().start()
    job_id = s.post(CAP.read_bytes()).json()["job_id"]
    s.wait(job_id, states=("running",))
    s.stop(signal.SIGKILL)                                                   # the whole service dies mid-job
    s.start()
    try:
        job = s.wait(job_id, timeout=90)
        assert job["state"] == "done" and job["attempt"] == 2
    finally:
        s.stop()


# -- message handling -------------------------------------------------------------------------------------
def test_update_supersedes_and_cancel_cancels(tmp_path):
    s = Server(tmp_path / "data", "--no-worker").start()
    try:
        sender = "weather@kma.go.kr"
        a = s.post(cap("A-1")).json()["job_id"]
        b = s.post(cap("A-2", msg_type="Update", references=f"{sender},A-1,2026-07-15T14:00:00+09:00",
                       sent="2026-07-15T14:30:00+09:00")).json()
        assert b["superseded"] == [a] and b["job_id"] != a
        assert httpx.get(f"{s.url}/v1/jobs/{a}").json()["state"] == "superseded"
        c = s.post(cap("A-3", msg_type="Cancel", references=f"{sender},A-2,2026-07-15T14:30:00+09:00",
                       sent="2026-07-15T15:00:00+09:00"))
        assert c.status_code == 202 and c.json()["cancelled"] == [b["job_id"]]
        assert httpx.get(f"{s.url}/v1/jobs/{b['job_id']}").json()["state"] == "cancelled"
    finally:
        s.stop()


def test_near_duplicates_from_several_districts_share_one_render(tmp_path):
    s = Server(tmp_path / "data", "--no-worker").start()
    try:
        first = s.post(cap("D-1", area="서울")).json()
        second = s.post(cap("D-2", area="경기")).json()
        assert second["job_id"] == first["job_id"] and second["coalesced"]
        other_hour = s.post(cap("D-3", area="인천", sent="2026-07-15T17:10:00+09:00")).json()
        assert other_hour["job_id"] != first["job_id"]
        job = httpx.get(f"{s.url}/v1/jobs/{first['job_id']}").json()
        assert [a["identifier"] for a in job["alerts"]] == ["D-1", "D-2"]
    finally:
        s.stop()


def test_burst_of_alerts_with_duplicates_loses_nothing(tmp_path):
    """500 alerts with 30 % duplicates, 20 at a time: every one answered, one job per distinct alert."""
    s = Server(tmp_path / "data", "--no-worker", "--rate", "1000", "--burst", "1000", "--max-queue", "5000").start()
    try:
        keys = [f"burst-{i}" for i in range(350)]
        sends = keys + [keys[i % 350] for i in range(0, 150 * 7, 7)]
        latencies, answers = [], {}

        async def go():
            sem = asyncio.Semaphore(20)
            async with httpx.AsyncClient(timeout=30) as client:
                async def one(k):
                    async with sem:
                        t0 = time.perf_counter()
                        r = await client.post(s.url + "/v1/alerts", headers={**AUTH, "Idempotency-Key": k},
                                              content=json.dumps({"keyword": "flood"}).encode())
                        latencies.append(time.perf_counter() - t0)
                        assert r.status_code in (200, 202), r.text
                        answers.setdefault(k, set()).add(r.json()["job_id"])
                await asyncio.gather(*(one(k) for k in sends))
        t0 = time.perf_counter()
        asyncio.run(go())
        wall = time.perf_counter() - t0
        assert len(latencies) == 500 and wall < 60
        assert all(len(v) == 1 for v in answers.values()) and len(answers) == 350   # duplicates: the same job
        assert len({next(iter(v)) for v in answers.values()}) == 350
        assert httpx.get(s.url + "/healthz").json()["jobs"]["queued"] == 350
        lat = sorted(latencies)
        report = {q: round(lat[int(q * (len(lat) - 1))] * 1000, 1) for q in (0.5, 0.9, 0.99)}
        print(f"burst: 500 alerts in {wall:.1f} s; latency ms p50 {report[0.5]} p90 {report[0.9]} p99 {report[0.99]}")
    finally:
        s.stop()


# -- the live page and watching ---------------------------------------------------------------------------
def test_live_gallery_shows_the_latest_alerts(server, tmp_path):
    job_id = server.post(CAP.read_bytes()).json()["job_id"]
    server.wait(job_id)
    page = httpx.get(server.url + "/").text
    assert f"/v1/jobs/{job_id}/media/cinemagraph.mp4" in page and "호우주의보" in page
    browser = shutil.which("chromium")
    if browser is None:
        if os.environ.get("CINEALERT_REQUIRE_BROWSER"):
            pytest.fail("CINEALERT_REQUIRE_BROWSER is set but no Chromium is installed")
        pytest.skip("no Chromium here")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    shot = tmp_path / "live.png"
    if sync_playwright is not None:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=browser, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"])
            page = b.new_page(viewport={"width": 1100, "height": 800})
            page.goto(server.url + "/")
            page.wait_for_function("document.querySelectorAll('video[data-playing=\"yes\"]').length >= 1", timeout=15000)
            page.screenshot(path=str(shot))
            b.close()
    else:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--autoplay-policy=no-user-gesture-required", "--virtual-time-budget=4000",
                        f"--user-data-dir={tmp_path / 'prof'}", "--window-size=1100,800", f"--screenshot={shot}",
                        server.url + "/"], capture_output=True, timeout=120)
    import cv2
    img = cv2.imread(str(shot))
    assert img is not None and img.std() > 10
    if os.environ.get("CINEALERT_SCREENSHOT"):
        shutil.copy(shot, os.environ["CINEALERT_SCREENSHOT"])


def test_watch_a_folder_and_a_feed(tmp_path, capsys):
    from cinealert.cli import main
    data = tmp_path / "data"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.xml").write_bytes(cap("W-1"))
    (inbox / "b.xml").write_bytes(cap("W-2", event="대설경보", sent="2026-07-15T18:00:00+09:00"))
    (inbox / "junk.xml").write_bytes(b"<not-an-alert/>")
    assert main(["watch", str(inbox), "--data", str(data), "--once"]) == 0
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert sum(1 for l in lines if l.get("job_id")) == 2 and sum(1 for l in lines if "rejected" in l) == 1
    assert main(["watch", str(inbox), "--data", str(data), "--once"]) == 0
    assert capsys.readouterr().out.strip() == ""                             # nothing new

    entry = cap("F-1", sent="2026-07-16T09:00:00+09:00", event="대설경보")
    hits = []

    class Feed(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            hits.append((self.path, self.headers.get("If-None-Match")))
            if self.path == "/feed":
                if self.headers.get("If-None-Match") == '"v1"':
                    self.send_response(304)
                    self.end_headers()
                    return
                body = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
                        b'<entry><id>1</id><link href="/alerts/F-1.xml"/></entry></feed>')
                self.send_response(200)
                self.send_header("ETag", '"v1"')
            else:
                body = entry
                self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/feed"
        assert main(["watch", url, "--data", str(data), "--once"]) == 0
        got = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
        assert len(got) == 1 and got[0]["new"] and got[0]["origin"].endswith("/alerts/F-1.xml")
        assert main(["watch", url, "--data", str(data), "--once"]) == 0
        assert capsys.readouterr().out.strip() == "" and hits[-1] == ("/feed", '"v1"')   # a 304
    finally:
        httpd.shutdown()


def test_websub_subscriber_checks_the_signature(tmp_path):
    import hashlib
    import hmac
    secret = tmp_path / "secret.txt"
    secret.write_text("websub-secret-0123456789\n")
    s = Server(tmp_path / "data", "--no-worker", "--websub-secret", str(secret)).start()
    try:
        ok = httpx.get(s.url + "/websub", params={"hub.mode": "subscribe", "hub.topic": "t", "hub.challenge": "abc123"})
        assert ok.status_code == 200 and ok.text == "abc123"
        body = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="text/xml">' + cap("WS-1") + \
            b"</content></entry></feed>"
        body = body.replace(b'<?xml version="1.0" encoding="UTF-8"?>', b"").replace(b"<?xml version='1.0' encoding='UTF-8'?>", b"")
        good = "sha256=" + hmac.new(b"websub-secret-0123456789", body, hashlib.sha256).hexdigest()
        assert httpx.post(s.url + "/websub", content=body, headers={"X-Hub-Signature-256": "sha256=00"}).status_code == 403
        r = httpx.post(s.url + "/websub", content=body, headers={"X-Hub-Signature-256": good})
        assert r.status_code == 202 and r.json()["taken"][0]["new"]
    finally:
        s.stop()


def test_watch_posts_to_a_running_service(server, tmp_path, capsys):
    from cinealert.cli import main
    inbox = tmp_path / "inbox2"
    inbox.mkdir()
    (inbox / "a.xml").write_bytes(cap("P-1", sent="2026-07-20T10:00:00+09:00"))
    tokens = tmp_path / "tok.txt"
    tokens.write_text(TOKEN + "\n")
    assert main(["watch", str(inbox), "--data", str(tmp_path / "state"), "--once", "--server", server.url,
                 "--token-file", str(tokens)]) == 0
    got = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert len(got) == 1 and got[0]["new"] and got[0]["job_id"]
    assert server.wait(got[0]["job_id"])["state"] == "done"


def test_a_wrapper_of_several_alerts_is_taken_in_alert_by_alert(tmp_path):
    s = Server(tmp_path / "data", "--no-worker").start()
    try:
        def bare(identifier, **kw):
            return cap(identifier, **kw).split(b"?>", 1)[1]            # without the XML declaration
        body = (b'<?xml version="1.0" encoding="UTF-8"?><alerts>' + bare("M-1") +
                bare("M-2", event="대설경보", sent="2026-07-15T20:00:00+09:00") + b"</alerts>")
        r = s.post(body)
        assert r.status_code == 202, r.text
        got = r.json()["alerts"]
        assert len(got) == 2 and all(a["new"] for a in got) and got[0]["job_id"] != got[1]["job_id"]
        again = s.post(body).json()["alerts"]
        assert [a["job_id"] for a in again] == [a["job_id"] for a in got] and not any(a["new"] for a in again)
    finally:
        s.stop()


def test_an_app_without_data_or_both_stores_is_refused_in_one_line(tmp_path):
    from cinealert.errors import InputError
    from cinealert.service.app import create_app
    from cinealert.service.media_store import open_media
    with pytest.raises(InputError, match="--data DIR, or both --store URL and --media URL"):
        create_app(None, tokens=[b"t" * 20], start_worker=False)
    with pytest.raises(InputError, match="both --store URL and --media URL"):
        create_app(None, tokens=[b"t" * 20], start_worker=False, media=open_media(tmp_path / "media"))
