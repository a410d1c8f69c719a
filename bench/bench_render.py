"""Benchmark: the renderer alone — layered depth set-up and per-frame rendering, no encoding.

For each size, disaster type and camera it builds the procedural scene once (not timed), then times
``LayeredRenderer`` set-up (layers, fills, integration) and the loop over all N frames, and prints
milliseconds per frame and the clip's render seconds. The target for the default clip (1024x576,
72 frames) is under 3 s of rendering on a plain 2-core CPU.

    python bench/bench_render.py                                   # 3 sizes, flood + wildfire, circle
    python bench/bench_render.py --types all --cameras all --sizes 1024x576
    python bench/bench_render.py --renderer torch --device cuda    # the torch renderer on a GPU
"""
from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

from cinealert.render import CAMERAS

PAPER_TYPES = ("flood", "landslide", "drought", "wildfire", "heavy_snow", "typhoon", "earthquake")


def scene(disaster: str, width: int, height: int, *, frames: int, fps: float, seed: int = 0):
    """The procedural image, regions, depth and motion plan of one disaster type."""
    from cinealert.disasters import get_disaster
    from cinealert.imaging.procedural import ProceduralIllustrator
    from cinealert.motion.rules import RuleMotion
    from cinealert.prompting.template import TemplateGenerator

    from cinealert.alerts import read_input

    dtype = get_disaster(disaster)
    meta = TemplateGenerator().generate(read_input(disaster), seed=seed)
    result = ProceduralIllustrator().generate(meta, width=width, height=height, seed=seed)
    plan = RuleMotion().plan(result.regions, result.depth, disaster=dtype, frames=frames, fps=fps, seed=seed)
    return result.image, result.depth, plan


def time_one(image, depth, plan, *, camera: str, frames: int, fps: float, renderer: str,
             device: str | None) -> dict:
    from cinealert.render.camera import camera_path
    from cinealert import registry

    h, w = depth.shape
    cam = camera_path(camera, frames=frames, width=w, height=h)
    t0 = time.perf_counter()
    cls = registry.entry("render", renderer).load()
    r = cls(image, depth, plan, cam, fps=fps, **({"device": device} if renderer == "torch" else {}))
    t1 = time.perf_counter()
    n = 0
    for _ in r.frames():
        n += 1
    t2 = time.perf_counter()
    return {"setup_s": t1 - t0, "render_s": t2 - t1, "ms_per_frame": 1000 * (t2 - t1) / n,
            "frames": n, "hole_ratio": r.stats.hole_ratio, "layers": r.stats.layers.get("layers")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="512x288,1024x576,1920x1080")
    ap.add_argument("--types", default="flood,wildfire", help="comma-separated disaster types, or 'all' (the paper's 7)")
    ap.add_argument("--cameras", default="circle", help="comma-separated cameras, or 'all'")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--fps", type=float, default=24.0)
    ap.add_argument("--renderer", default="layered", help="layered (OpenCV) or torch")
    ap.add_argument("--device", default=None, help="torch device for --renderer torch (default: CUDA when available)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per row; the fastest is reported (default 2)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw numbers here")
    args = ap.parse_args()
    types = PAPER_TYPES if args.types == "all" else tuple(args.types.split(","))
    cameras = CAMERAS if args.cameras == "all" else tuple(args.cameras.split(","))
    frames = int(round(args.seconds * args.fps))

    rows = []
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        for disaster in types:
            image, depth, plan = scene(disaster, w, h, frames=frames, fps=args.fps)
            for camera in cameras:
                runs = [time_one(image, depth, plan, camera=camera, frames=frames, fps=args.fps,
                                 renderer=args.renderer, device=args.device) for _ in range(max(1, args.repeat))]
                best = min(runs, key=lambda r: r["setup_s"] + r["render_s"])
                rows.append({"size": size, "type": disaster, "camera": camera, **best})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"renderer: {args.renderer}" + (f" on {args.device}" if args.device else "")
          + f"; {frames} frames ({args.seconds:g} s at {args.fps:g} fps); best of {args.repeat}")
    print("| size | type | camera | layers | set-up s | render s | ms/frame | hole_ratio |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']} | {r['type']} | {r['camera']} | {r['layers']} | {r['setup_s']:.2f} | "
              f"{r['render_s']:.2f} | {r['ms_per_frame']:.1f} | {r['hole_ratio']:.4f} |")
    for size in args.sizes.split(","):
        sel = [r for r in rows if r["size"] == size]
        print(f"\n{size}: mean {np.mean([r['ms_per_frame'] for r in sel]):.1f} ms/frame, "
              f"mean clip {np.mean([r['setup_s'] + r['render_s'] for r in sel]):.2f} s with set-up", end="")
    print(f"\npeak memory of this process: {peak:.0f} MB")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "peak_mb": peak, "renderer": args.renderer, "device": args.device}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
