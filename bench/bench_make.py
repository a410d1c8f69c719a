"""Benchmark: time every stage of `cinealert make` and compare with the encoding floor.

For each size it runs the whole job in a fresh process (so peak memory is that job's own), then
measures the floor: encoding the very same frames (decoded back from the job's MP4, outside the
timing) with the same encoders and settings. A total of 1.5x the floor means the job spends half as
long again as the unavoidable encoding. Prints a Markdown table; --json writes the raw numbers.

    python bench/bench_make.py                      # 512x288, 1024x576, 1920x1080; heavy-rain demo alert
    python bench/bench_make.py --sizes 1024x576 --input wildfire --repeat 3
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src/cinealert/examples/kr_heavy_rain_advisory.xml"
STAGES = ("alert", "metadata", "image", "scene", "motion", "layers", "render_encode", "metrics")


def run_one(input_value: str, size: str, out: str, seconds: float, fps: float) -> dict:
    """Run one job in this process and report its timings and peak memory."""
    from cinealert.pipeline import Options, make
    w, h = (int(v) for v in size.split("x"))
    t0 = time.perf_counter()
    result = make(input_value, out, Options(width=w, height=h, seconds=seconds, fps=fps, progress=False))
    wall = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"timings": result.report["timings_s"], "wall": wall, "peak_mb": own, "ffmpeg_peak_mb": kids,
            "frames": result.report["video"]["frames"], "metrics": result.report["metrics"]}


def floor(out: str, size: str, fps: float) -> dict:
    """Encode the job's own frames again with the same writers (the card included); time only the encoding."""
    import cv2
    from cinealert.alerts import read_input
    from cinealert.deliver.card import AlertCard, card_text
    from cinealert.deliver.media import MediaSettings, MediaWriter
    from cinealert.disasters import get_disaster
    w, h = (int(v) for v in size.split("x"))
    report = json.loads((Path(out) / "report.json").read_text())
    alert = read_input(report["input"])
    card = AlertCard(card_text(alert, get_disaster(report["disaster"])), w, h)
    cap = cv2.VideoCapture(str(Path(out) / "cinemagraph.mp4"))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    result = {}
    for label, formats in (("mp4", ("mp4",)), ("all", ("mp4", "gif", "webp", "poster", "card"))):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            with MediaWriter(Path(tmp), MediaSettings(width=w, height=h, fps=fps, formats=formats), card=card) as wr:
                for f in frames:
                    wr.write(f)
            result[label] = time.perf_counter() - t0
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="512x288,1024x576,1920x1080")
    ap.add_argument("--input", default=str(DEMO), help="alert, keyword or text (default: the demo alert)")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--fps", type=float, default=24.0)
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is reported")
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

    rows = []
    for size in args.sizes.split(","):
        best = None
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                cmd = [sys.executable, __file__, "--seconds", str(args.seconds), "--fps", str(args.fps)]
                job = json.loads(subprocess.run(cmd + ["--one", args.input, size, out], check=True,
                                                capture_output=True, text=True).stdout)
                fl = json.loads(subprocess.run(cmd + ["--floor", out, size], check=True,
                                               capture_output=True, text=True).stdout)
            job["floor"] = fl
            if best is None or job["timings"]["total"] < best["timings"]["total"]:
                best = job
        rows.append((size, best))

    print(f"input: {Path(args.input).name if Path(args.input).exists() else args.input}; "
          f"{args.seconds:g} s at {args.fps:g} fps; best of {args.repeat}")
    head = ["size", "frames", *STAGES, "total s", "peak MB", "floor mp4 s", "floor all s", "x floor (all)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for size, r in rows:
        t = r["timings"]
        cells = [size, str(r["frames"]), *(f"{t.get(s, 0):.2f}" for s in STAGES), f"{t['total']:.2f}",
                 f"{r['peak_mb']:.0f}", f"{r['floor']['mp4']:.2f}", f"{r['floor']['all']:.2f}",
                 f"{t['total'] / r['floor']['all']:.2f}"]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(dict(rows), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
