"""Benchmark: the media stores' publish and ranged-read throughput, local folder and S3 (moto on loopback).

For each backend: publish M attempts of a job folder (a clip of SIZE MB plus small report files) and time it;
then read the clip back in ranged reads of CHUNK bytes (what a video player's Range requests do) and as one
whole read. Prints MB/s. The S3 numbers are those of moto's server in this process on loopback: they measure
the client path (s3fs, manifest, ranged GETs) and moto, not a real object store's network.

    python bench/bench_media.py                     # 8 MB clip, 5 attempts, 256 KiB ranges
    python bench/bench_media.py --size 32 --attempts 3 --chunk 1048576
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cinealert.service.media_store import open_media  # noqa: E402


def start_moto() -> tuple[object, str]:
    import logging

    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)      # no line per request
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def fill(media, job: str, attempt: int, clip: bytes, outside: Path | None) -> Path:
    work = media.workdir(job, attempt) if outside is None else Path(tempfile.mkdtemp(dir=outside))
    (work / "cinemagraph.mp4").write_bytes(clip)
    (work / "report.json").write_bytes(b'{"disaster": "flood"}')
    (work / "poster.png").write_bytes(os.urandom(40_000))
    return work


def measure(media, clip: bytes, attempts: int, chunk: int, outside: Path | None = None) -> dict:
    """MB/s of publish (from the store's own working folder, or copied from ``outside``) and of reads."""
    mb = len(clip) / 1e6
    keys, spent = [], 0.0
    for n in range(1, attempts + 1):
        work = fill(media, "bench", n, clip, outside)                # writing the render is not part of publishing
        t = time.perf_counter()
        keys.append(media.publish("bench", n, work))
        spent += time.perf_counter() - t
    publish = mb * attempts / spent
    key = keys[-1]
    t = time.perf_counter()
    got = bytearray()
    for start in range(0, len(clip), chunk):
        got += media.read_range(key, "cinemagraph.mp4", start, min(len(clip), start + chunk) - 1)
    ranged = mb / (time.perf_counter() - t)
    assert bytes(got) == clip, "ranged reads did not give the clip back"
    t = time.perf_counter()
    assert media.read_bytes(key, "cinemagraph.mp4") == clip
    whole = mb / (time.perf_counter() - t)
    t = time.perf_counter()
    media.cleanup("bench", keep=key)
    cleanup_ms = (time.perf_counter() - t) * 1000
    return {"publish": publish, "ranged": ranged, "whole": whole, "cleanup_ms": cleanup_ms}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=8.0, help="clip size in MB (default 8)")
    ap.add_argument("--attempts", type=int, default=5, help="attempts published (default 5)")
    ap.add_argument("--chunk", type=int, default=256 * 1024, help="bytes per ranged read (default 262144)")
    args = ap.parse_args()
    clip = os.urandom(int(args.size * 1e6))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        local = open_media(Path(tmp) / "media")
        rows.append(("local folder (rendered in place: rename)", measure(local, clip, args.attempts, args.chunk)))
        local = open_media(Path(tmp) / "media2")
        rows.append(("local folder (copied in from another folder)",
                     measure(local, clip, args.attempts, args.chunk, outside=Path(tmp))))
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    server, endpoint = start_moto()
    try:
        import boto3
        bucket = "bench-" + uuid.uuid4().hex[:10]
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        rows.append(("S3 (moto, loopback)", measure(open_media(f"s3://{bucket}/bench"), clip, args.attempts,
                                                    args.chunk)))
    finally:
        server.stop()
    print(f"clip {args.size:g} MB, {args.attempts} attempts published, ranged reads of {args.chunk} bytes")
    print("| backend | publish MB/s | ranged read MB/s | whole read MB/s | "
          f"cleanup of {args.attempts - 1} attempts, ms |")
    print("|---|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['publish']:.0f} | {r['ranged']:.0f} | {r['whole']:.0f} | {r['cleanup_ms']:.0f} |")


if __name__ == "__main__":
    main()
