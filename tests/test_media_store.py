"""The media stores, local folder and S3 (a real moto server on loopback): one suite for both."""
from __future__ import annotations

import os

import pytest

from cinealert.errors import InputError
from cinealert.service.media_store import LocalMedia, S3Media, media_response, open_media, parse_range
from s3_server import s3_bucket, s3_endpoint  # noqa: F401 - fixtures

FILES = {"cinemagraph.mp4": os.urandom(300_000), "report.json": b'{"ok": true}', "poster.png": b"\x89PNG" + b"x" * 50}


@pytest.fixture(params=["local", "s3"])
def media(request, tmp_path):
    if request.param == "local":
        return open_media(tmp_path / "media")
    bucket = request.getfixturevalue("s3_bucket")
    return open_media(f"s3://{bucket}/prefix/one")


def _render(media, job, attempt, files=FILES):
    work = media.workdir(job, attempt)
    for name, data in files.items():
        (work / name).write_bytes(data)
    return work


def test_publish_then_read_back(media):
    key = media.publish("job1", 1, _render(media, "job1", 1))
    assert key == "jobs/job1/attempt-1"
    assert media.names(key) == sorted(FILES)
    for name, data in FILES.items():
        assert media.size(key, name) == len(data)
        assert media.read_bytes(key, name) == data
        assert b"".join(media.iter_range(key, name, 0, len(data) - 1)) == data
    blob = FILES["cinemagraph.mp4"]
    assert media.read_range(key, "cinemagraph.mp4", 1000, 1999) == blob[1000:2000]
    assert not media.exists(key, "card.mp4")
    with pytest.raises(FileNotFoundError):
        media.size(key, "card.mp4")


def test_unpublished_attempt_is_invisible(media):
    _render(media, "job2", 1)                         # rendered, never published
    assert media.names("jobs/job2/attempt-1") == []
    assert not media.exists("jobs/job2/attempt-1", "report.json")


def test_crash_mid_publish_is_never_visible(media, monkeypatch):
    work = _render(media, "job3", 1)
    if isinstance(media, S3Media):
        calls = []
        real = media.fs.put_file

        def dying(src, dst, **kw):
            calls.append(dst)
            if len(calls) == 2:
                raise ConnectionError("worker lost mid-upload")
            return real(src, dst, **kw)
        monkeypatch.setattr(media.fs, "put_file", dying)
    else:
        real = os.replace

        def dying(src, dst):
            raise OSError("worker lost before the rename")
        monkeypatch.setattr(os, "replace", dying)
    with pytest.raises((ConnectionError, OSError)):
        media.publish("job3", 1, work)
    monkeypatch.undo()
    assert media.names("jobs/job3/attempt-1") == []


def test_discard_and_cleanup(media):
    media.publish("job4", 1, _render(media, "job4", 1))
    media.publish("job4", 2, _render(media, "job4", 2))
    work3 = _render(media, "job4", 3)
    media.publish("job4", 3, work3)
    assert media.names("jobs/job4/attempt-1") == media.names("jobs/job4/attempt-3") == sorted(FILES)  # read: cached
    media.discard("job4", 3)                          # a fenced-out attempt
    assert media.names("jobs/job4/attempt-3") == []
    media.cleanup("job4", keep="jobs/job4/attempt-2")
    assert media.names("jobs/job4/attempt-1") == []
    assert media.names("jobs/job4/attempt-2") == sorted(FILES)
    if isinstance(media, LocalMedia):
        assert sorted(p.name for p in (media.root / "jobs" / "job4").iterdir()) == ["attempt-2"]
    else:
        left = media.fs.find(media._path("jobs/job4"))
        assert left and all("/attempt-2/" in p for p in left)


def test_ranges_as_http(media):
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient

    key = media.publish("job5", 1, _render(media, "job5", 1))

    def endpoint(request):
        return media_response(media, key, request.path_params["name"], media_type="video/mp4",
                              range_header=request.headers.get("range"))
    client = TestClient(Starlette(routes=[Route("/m/{name}", endpoint)]))
    blob = FILES["cinemagraph.mp4"]
    r = client.get("/m/cinemagraph.mp4", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == blob[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(blob)}"
    r = client.get("/m/cinemagraph.mp4", headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and r.content == blob[-10:]
    r = client.get("/m/cinemagraph.mp4", headers={"Range": f"bytes={len(blob) + 5}-"})
    assert r.status_code == 416
    r = client.get("/m/cinemagraph.mp4")
    assert r.status_code == 200 and r.content == blob
    assert client.get("/m/card.mp4").status_code == 404


def test_parse_range():
    assert parse_range(None, 10) is None
    assert parse_range("bytes=2-4", 10) == (2, 4)
    assert parse_range("bytes=5-", 10) == (5, 9)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=8-100", 10) == (8, 9)
    assert parse_range("bytes=10-", 10) == "unsatisfiable"
    assert parse_range("items=1-2", 10) is None


def test_bad_media_urls(s3_endpoint, monkeypatch, tmp_path):
    with pytest.raises(InputError, match="use a folder"):
        open_media("ftp://example.org/x")
    with pytest.raises(InputError, match="not s3://BUCKET"):
        open_media("s3://")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    with pytest.raises(InputError, match="does not exist"):
        open_media("s3://no-such-bucket-here/x")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(InputError, match="not reachable"):
        open_media("s3://some-bucket/x")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot be used"):
        open_media(blocker / "media")


def test_service_publishes_to_s3_and_serves_ranges(tmp_path, s3_bucket, s3_endpoint):
    """`cinealert serve --media s3://…`: the worker publishes to the object store, the API serves from it."""
    import json

    import boto3
    import httpx
    from test_service import Server

    s = Server(tmp_path / "data", "--media", f"s3://{s3_bucket}/svc", env={"AWS_ENDPOINT_URL": s3_endpoint}).start()
    try:
        job_id = s.post(json.dumps({"keyword": "flood"}).encode()).json()["job_id"]
        job = s.wait(job_id)
        assert job["state"] == "done" and job["report"]["disaster"] == "flood", job
        obj = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").get_object(
            Bucket=s3_bucket, Key=f"svc/jobs/{job_id}/attempt-1/cinemagraph.mp4")["Body"].read()
        r = httpx.get(s.url + job["media"]["cinemagraph.mp4"], headers={"Range": "bytes=10-1033"})
        assert r.status_code == 206 and r.content == obj[10:1034] and r.headers["content-type"] == "video/mp4"
        assert r.headers["content-range"] == f"bytes 10-1033/{len(obj)}"
        assert httpx.get(s.url + job["media"]["cinemagraph.mp4"]).content == obj
        assert not (tmp_path / "data" / "jobs").exists() or not any((tmp_path / "data" / "jobs").rglob("*.mp4"))
    finally:
        s.stop()


def test_serve_with_unreachable_media_exits_2(tmp_path):
    import subprocess
    import sys
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("test-token-0123456789abcdef\n")
    r = subprocess.run([sys.executable, "-m", "cinealert", "serve", "--data", str(tmp_path / "d"), "--token-file",
                        str(tokens), "--media", "s3://cinealert-nowhere/x"], capture_output=True, text=True,
                       env={**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x",
                            "AWS_SECRET_ACCESS_KEY": "x"}, timeout=120)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "not reachable" in r.stderr, r.stderr
