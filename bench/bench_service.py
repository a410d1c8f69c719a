"""Benchmark: the alert service's intake under a burst, and end-to-end time of one alert.

Starts ``cinealert serve`` on loopback, sends N alerts (a share of them duplicates) with C at a time
from an async client, and reports throughput, latency percentiles and whether anything was lost
(every distinct alert must have exactly one job). Then, with the worker on, the time from POST to the
job being done for one CAP alert at a small size.

    python bench/bench_service.py                       # 500 alerts, 30 % duplicates, 20 at a time
    python bench/bench_service.py --alerts 2000 --concurrency 50
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-0123456789abcdef"


def start(data: Path, *extra) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tokens = data.parent / "tokens.txt"
    tokens.write_text(TOKEN + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "cinealert", "serve", "--port", str(port), "--data", str(data),
                             "--token-file", str(tokens), *extra], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            httpx.get(url + "/healthz", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=500)
    ap.add_argument("--duplicates", type=float, default=0.3)
    ap.add_argument("--concurrency", type=int, default=20)
    args = ap.parse_args()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        proc, url = start(tmp / "burst", "--no-worker", "--rate", "100000", "--burst", "100000", "--max-queue", "100000")
        distinct = int(round(args.alerts * (1 - args.duplicates)))
        keys = [f"k{i}" for i in range(distinct)] + [f"k{i % distinct}" for i in range(args.alerts - distinct)]
        lat, answers, codes = [], {}, {}

        async def go():
            sem = asyncio.Semaphore(args.concurrency)
            async with httpx.AsyncClient(timeout=60) as client:
                async def one(k):
                    async with sem:
                        t0 = time.perf_counter()
                        r = await client.post(url + "/v1/alerts", content=json.dumps({"keyword": "flood"}),
                                              headers={**auth, "Idempotency-Key": k})
                        lat.append(time.perf_counter() - t0)
                        codes[r.status_code] = codes.get(r.status_code, 0) + 1
                        if r.status_code in (200, 202):
                            answers.setdefault(k, set()).add(r.json()["job_id"])
                await asyncio.gather(*(one(k) for k in keys))
        t0 = time.perf_counter()
        asyncio.run(go())
        wall = time.perf_counter() - t0
        jobs = httpx.get(url + "/healthz").json()["jobs"]
        os.killpg(proc.pid, signal.SIGTERM)
        lat.sort()
        pct = {q: lat[int(q * (len(lat) - 1))] * 1000 for q in (0.5, 0.9, 0.99)}
        lost = distinct - len(answers)
        doubled = sum(1 for v in answers.values() if len(v) > 1)
        print(f"burst: {args.alerts} alerts ({distinct} distinct), {args.concurrency} at a time, SQLite WAL + fsync")
        print("| alerts/s | p50 ms | p90 ms | p99 ms | max ms | answers | jobs queued | lost | doubled |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| {args.alerts / wall:.0f} | {pct[0.5]:.1f} | {pct[0.9]:.1f} | {pct[0.99]:.1f} | {lat[-1] * 1000:.1f} | "
              f"{codes} | {jobs['queued']} | {lost} | {doubled} |")

        proc, url = start(tmp / "e2e", "--size", "512x288", "--seconds", "2", "--formats", "mp4,poster,card")
        body = (ROOT / "src/cinealert/examples/kr_heavy_rain_advisory.xml").read_bytes()
        t0 = time.perf_counter()
        job = httpx.post(url + "/v1/alerts", content=body, headers=auth, timeout=30).json()["job_id"]
        while httpx.get(f"{url}/v1/jobs/{job}").json()["state"] not in ("done", "failed"):
            time.sleep(0.05)
        print(f"\none CAP alert, POST to done (512x288, 2 s, mp4+poster+card; worker already warm): "
              f"{time.perf_counter() - t0:.2f} s")
        os.killpg(proc.pid, signal.SIGTERM)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
