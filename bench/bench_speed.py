"""Benchmark: the default job with one MP4 against the floor of encoding its own frames.

For each size it runs ``make`` with ``--formats mp4`` in a fresh process (so peak memory is the job's own),
then, in another fresh process, encodes the very frames the job delivered (decoded from its MP4, outside
the timing) with the same MP4 writer. ``x floor`` is the job's total time over that encode time: 1.0
would mean the job costs no more than the unavoidable encoding.

``--src`` runs the jobs on another checkout's sources (e.g. ``git worktree add /tmp/base main`` for a
before/after table on the same machine, under the same load):

    python bench/bench_speed.py                                  # 512x288, 1024x576, 1920x1080
    python bench/bench_speed.py --src /tmp/base/src --label before --repeat 3
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src/cinealert/examples/kr_heavy_rain_advisory.xml"


def run_one(input_value: str, size: str, out: str, seconds: float, fps: float) -> dict:
    """One ``make`` with MP4 only, in this process: stage timings, render ms per frame, peak memory."""
    from cinealert.pipeline import Options, make
    w, h = (int(v) for v in size.split("x"))
    result = make(input_value, out, Options(width=w, height=h, seconds=seconds, fps=fps, formats=("mp4",),
                                            progress=False))
    return {"timings": result.report["timings_s"], "frames": result.report["video"]["frames"],
            "render_ms_per_frame": result.report["metrics"]["render_ms_per_frame"],
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "bytes": Path(out, "cinemagraph.mp4").stat().st_size}


def floor(out: str, size: str, fps: float) -> dict:
    """Encode the job's delivered frames again with the same MP4 writer; only the encoding is timed."""
    import cv2
    from cinealert.deliver.media import MediaSettings, MediaWriter
    w, h = (int(v) for v in size.split("x"))
    cap = cv2.VideoCapture(str(Path(out) / "cinemagraph.mp4"))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    try:                                   # the same loop-aware MP4 settings as the job
        settings = MediaSettings(width=w, height=h, fps=fps, formats=("mp4",), loop_frames=len(frames))
    except TypeError:                      # sources from before loop-aware encoding
        settings = MediaSettings(width=w, height=h, fps=fps, formats=("mp4",))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with MediaWriter(Path(tmp), settings) as wr:
            for f in frames:
                wr.write(f)
        return {"mp4_s": time.perf_counter() - t0}


def measure(size: str, args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(args.src).resolve()), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, __file__, "--seconds", str(args.seconds), "--fps", str(args.fps)]
    best, floors = None, []
    for _ in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory() as out:
            job = json.loads(subprocess.run(cmd + ["--one", args.input, size, out], check=True, env=env,
                                            capture_output=True, text=True).stdout.splitlines()[-1])
            fl = json.loads(subprocess.run(cmd + ["--floor", out, size], check=True, env=env,
                                           capture_output=True, text=True).stdout.splitlines()[-1])
        floors.append(fl["mp4_s"])
        if best is None or job["timings"]["total"] < best["timings"]["total"]:
            best = job
    # The fastest job over the fastest floor: each is the run least disturbed by the machine's other work.
    best["floor_s"] = min(floors)
    best["x_floor"] = best["timings"]["total"] / best["floor_s"]
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="512x288,1024x576,1920x1080")
    ap.add_argument("--input", default=str(DEMO), help="alert, keyword or text (default: the demo alert)")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--fps", type=float, default=24.0)
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per size; the fastest job and the fastest floor are kept")
    ap.add_argument("--src", default=str(ROOT / "src"), help="the sources to run (default: this checkout's)")
    ap.add_argument("--label", default="", help="a name for this table (before, after, ...)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw numbers here")
    ap.add_argument("--one", nargs=3, metavar=("INPUT", "SIZE", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--floor", nargs=2, metavar=("OUT", "SIZE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one, seconds=args.seconds, fps=args.fps)))
        return 0
    if args.floor:
        print(json.dumps(floor(*args.floor, fps=args.fps)))
        return 0

    rows = {size: measure(size, args) for size in args.sizes.split(",")}
    name = Path(args.input).name if Path(args.input).exists() else args.input
    print(f"{args.label + ': ' if args.label else ''}{name}, --formats mp4, {args.seconds:g} s at {args.fps:g} fps, "
          f"best of {args.repeat}; sources {args.src}")
    print("| size | frames | render ms/frame | render+encode s | total s | floor (MP4 encode) s | x floor | "
          "peak MB | MP4 bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, r in rows.items():
        t = r["timings"]
        print(f"| {size} | {r['frames']} | {r['render_ms_per_frame']:.1f} | {t['render_encode']:.2f} | "
              f"{t['total']:.2f} | {r['floor_s']:.2f} | {r['x_floor']:.2f} | {r['peak_mb']:.0f} | {r['bytes']} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
