"""Benchmark the scale-out parts on this machine: the job store, render workers and the batch library.

1. **Store ceiling** (``no-op``): 1, 2 and 4 processes claim, heartbeat and complete pre-queued jobs that render
   nothing, on PostgreSQL (started here, Debian's binaries, in a temporary folder) and on SQLite for comparison:
   jobs/s and the latency of ``claim()`` (p50 / p95 / p99).
2. **Render workers**: 1, 2 and 4 real ``cinealert worker`` processes on the PostgreSQL store rendering small
   keyword jobs, timed from submission to the last job done (each worker has rendered one warm-up job first).
3. **Batch library**: the same manifest with ``--engine local`` (a process pool) and ``--engine ray`` (a local
   Ray started here), both with 2 parallel renders; each engine's overhead per entry (the render slots' time
   not spent rendering), Ray's start, and the round trip of an empty Ray task.

    python bench/bench_scale.py                       # 400 no-op jobs, 12 renders and 8 entries of 128x72, 1 s
    python bench/bench_scale.py --noop-jobs 1000 --render-jobs 16 --entries 16 --size 256x144
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


# -- 1. the store's ceiling ----------------------------------------------------------------------------
def _noop_worker(url: str, out, go) -> None:
    from cinealert.service.store import open_store
    store = open_store(url, lease_s=30)
    owner = f"bench-{os.getpid()}"
    claims = []
    go.wait()
    while True:
        t0 = time.perf_counter()
        job = store.claim(owner)
        claims.append(time.perf_counter() - t0)
        if job is None:
            break
        store.heartbeat(job["id"], job["attempt"], owner, progress=0.5)
        store.complete(job["id"], job["attempt"], owner, f"jobs/{job['id']}/attempt-{job['attempt']}")
    out.put(claims[:-1])


def _submit(store, n: int, tag: str) -> None:
    from cinealert.service.app import intake
    for i in range(n):
        intake(store, None, json.dumps({"keyword": "flood"}).encode(), idem=f"{tag}-{i}")


def _fresh(backend: str, server: str, folder: Path, tag: str, jobs: int):
    from pg_server import new_database

    from cinealert.service.store import open_store
    url = str(folder / f"{tag}.db") if backend == "sqlite" else new_database(server)
    open_store(url, create=backend == "sqlite", check=False).migrate()
    return url, open_store(url, max_queue=jobs + 16)


def run_noop(url: str, store, jobs: int, workers: int) -> tuple[float, list[float]]:
    _submit(store, jobs, "noop")
    ctx = multiprocessing.get_context("spawn")
    out, go = ctx.Queue(), ctx.Barrier(workers + 1)
    procs = [ctx.Process(target=_noop_worker, args=(url, out, go)) for _ in range(workers)]
    for p in procs:
        p.start()
    go.wait()
    t0 = time.perf_counter()
    claims = [c for _ in procs for c in out.get(timeout=600)]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    done = store.counts()["done"]
    if done != jobs:
        raise SystemExit(f"no-op run lost or doubled jobs: {done} done of {jobs}")
    return jobs / wall, claims


# -- 2. render workers -----------------------------------------------------------------------------------
def run_render(url: str, store, jobs: int, workers: int, media: Path, settings: list[str]) -> float:
    cmd = [sys.executable, "-m", "cinealert", "worker", "--store", url, "--media", str(media), *settings]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
             for _ in range(workers)]
    try:
        _submit(store, workers, "warm")                         # imports, fonts, encoders: once per worker
        _wait_done(store, workers)
        t0 = time.perf_counter()
        _submit(store, jobs, "render")
        _wait_done(store, jobs + workers)
        wall = time.perf_counter() - t0
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if store.counts()["failed"]:
        raise SystemExit("render jobs failed; run one with `cinealert worker` to see why")
    return jobs / wall


def _wait_done(store, n: int, timeout: float = 900) -> None:
    end = time.time() + timeout
    while store.counts()["done"] < n:
        if time.time() > end:
            raise SystemExit(f"timed out: {store.counts()}")
        time.sleep(0.02)


# -- 3. the batch library ------------------------------------------------------------------------------------
def _entries(n: int, size: str, seconds: float):
    from cinealert.library import Entry
    kinds = ["flood", "wildfire", "heavy_snow", "typhoon", "tsunami", "heavy_rain", "heat_wave", "yellow_dust"]
    times = ["noon", "night", "dawn", "dusk"]
    return [Entry(disaster=kinds[i % len(kinds)], time_of_day=times[(i // len(kinds)) % len(times)], size=size,
                  seconds=seconds, fps=8, formats=["mp4", "poster"], seed=i) for i in range(n)]


def run_batch(engine: str, entries, folder: Path) -> tuple[float, float]:
    """Wall seconds of one batch, and the seconds its renders took inside their tasks (report.json timings)."""
    from cinealert.batch import Batch
    lib = folder / f"lib-{engine}"
    t0 = time.perf_counter()
    summary = Batch(entries, lib, engine=engine, workers=2, progress=False).run()
    wall = time.perf_counter() - t0
    if len(summary["done"]) != len(entries):
        raise SystemExit(f"batch {engine}: {summary['failed']}")
    inside = sum(json.loads((lib / e.key / "report.json").read_text())["timings_s"]["total"] for e in entries)
    return wall, inside


def ray_start_and_task_overhead(tasks: int = 200) -> tuple[float, float]:
    """Seconds to start a local Ray (2 CPUs), and the median round trip of an empty task carrying an entry."""
    import ray
    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT / "src"))}})
    start = time.perf_counter() - t0

    @ray.remote(num_cpus=1)
    def empty(entry: dict, root: str) -> dict:
        return {"key": entry.get("disaster"), "root": root}

    payload = _entries(1, "128x72", 1.0)[0].model_dump()
    ray.get(empty.remote(payload, "/tmp"))                    # the first task starts a worker process
    trips = []
    for _ in range(tasks):
        t = time.perf_counter()
        ray.get(empty.remote(payload, "/tmp"))
        trips.append(time.perf_counter() - t)
    return start, statistics.median(trips)


def pct(values: list[float], q: float) -> str:
    if not values:
        return "–"
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(q * len(values)))] * 1000:.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--noop-jobs", type=int, default=400, help="jobs per no-op run (default 400)")
    ap.add_argument("--render-jobs", type=int, default=12, help="jobs per render run (default 12)")
    ap.add_argument("--entries", type=int, default=8, help="batch manifest entries (default 8)")
    ap.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    ap.add_argument("--size", default="128x72", help="render size WxH (default 128x72)")
    ap.add_argument("--seconds", type=float, default=1.0, help="clip seconds (default 1)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: noop,render,batch")
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    settings = ["--size", args.size, "--seconds", str(args.seconds), "--fps", "8", "--formats", "mp4,poster"]
    store_rows, render_rows, batch_rows = [], [], []
    from pg_server import running_postgres
    with tempfile.TemporaryDirectory(prefix="cinealert-bench-") as tmp, running_postgres() as server:
        folder = Path(tmp)
        for backend in ("postgresql", "sqlite") if "noop" not in skip else ():
            for w in counts:
                url, store = _fresh(backend, server, folder, f"noop-{backend}-{w}", args.noop_jobs)
                rate, claims = run_noop(url, store, args.noop_jobs, w)
                store_rows.append((backend, w, rate, claims))
                print(f"  {backend} no-op, {w} worker(s): {rate:.0f} jobs/s", file=sys.stderr, flush=True)
        for w in counts if "render" not in skip else ():
            url, store = _fresh("postgresql", server, folder, f"render-{w}", args.render_jobs + w)
            rate = run_render(url, store, args.render_jobs, w, folder / f"media-{w}", settings)
            render_rows.append((w, rate))
            print(f"  render, {w} worker(s): {rate:.2f} jobs/s", file=sys.stderr, flush=True)
        if "batch" not in skip:
            entries = _entries(args.entries, args.size, args.seconds)
            local = run_batch("local", entries, folder)
            start, trip = ray_start_and_task_overhead()
            on_ray = run_batch("ray", entries, folder)
            import ray
            ray.shutdown()
            batch_rows = [("local (process pool of 2)", *local), ("ray (local cluster, 2 CPUs)", *on_ray)]
            print(f"  batch local {local[0]:.1f} s, ray {on_ray[0]:.1f} s", file=sys.stderr, flush=True)

    if store_rows:
        print(f"\n## Job store ({os.cpu_count()} CPUs; no-op jobs: the store's own ceiling)\n")
        print("| store | workers | jobs/s | claim p50 ms | claim p95 ms | claim p99 ms |")
        print("|---|---:|---:|---:|---:|---:|")
    for backend, w, rate, claims in store_rows:
        print(f"| {backend} | {w} | {rate:.0f} | {pct(claims, .5)} | {pct(claims, .95)} | {pct(claims, .99)} |")
    if render_rows:
        base = render_rows[0][1]
        print(f"\n## Render workers on PostgreSQL ({args.render_jobs} keyword jobs, {args.size}, {args.seconds:g} s, "
              "mp4 + poster)\n")
        print("| workers | jobs/s | jobs/hour | speed-up |")
        print("|---:|---:|---:|---:|")
        for w, rate in render_rows:
            print(f"| {w} | {rate:.2f} | {rate * 3600:.0f} | {rate / base:.2f}x |")
    if batch_rows:
        n = args.entries
        print(f"\n## Batch library ({n} entries, {args.size}, {args.seconds:g} s, 2 renders at a time)\n")
        print("Overhead per entry: the time the two render slots spent not rendering, (2 x wall - sum of the "
              "renders' own time in report.json) / entries: process start, imports, scheduling, index writes.\n")
        print("| engine | wall s | entries/s | render s (sum) | overhead per entry ms |")
        print("|---|---:|---:|---:|---:|")
        for name, wall, inside in batch_rows:
            print(f"| {name} | {wall:.1f} | {n / wall:.2f} | {inside:.1f} | {(2 * wall - inside) / n * 1000:.0f} |")
        print(f"\nRay: start of a local cluster {start:.1f} s (before the ray row, not in it); an empty task's round "
              f"trip carrying an entry {trip * 1000:.2f} ms (median of 200).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
