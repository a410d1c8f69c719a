"""Benchmark: how each disaster type's clip loops as delivered, what it costs in bytes, and how sharp it stays.

For every type it runs ``make TYPE --formats mp4`` in a fresh process and reads back:

- ``seam rendered``: ``metrics.loop_seam`` of report.json (measured on the rendered frames);
- ``seam delivered``: the same measure on the decoded MP4, as ``cinealert evaluate --videos`` reads it;
- ``MP4 bytes``;
- the ghosting and halo measures of report.json when the sources have them (``ghost_sharpness``: sharpness
  of the moving regions at mid-loop over that at the start, 1 = as sharp; ``double_edge``: how much the
  mid-loop frame looks like two shifted copies, 0 = none; ``halo_hf``: texture in the band revealed behind
  swaying objects over the texture around it, 1 = as textured; see src/cinealert/evaluate/halo.py).

``--src`` runs another checkout's sources (a before/after table on the same machine):

    python bench/bench_loop.py                                   # every type at 1024x576
    python bench/bench_loop.py --src /tmp/base/src --label before --sizes 512x288
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ("ghost_sharpness", "double_edge", "halo_hf")


def types() -> list[str]:
    from cinealert.disasters import _SPECS
    return [s.key for s in _SPECS]


def run_one(disaster: str, size: str, out: str, seconds: float, cycles: int | None = None) -> dict:
    from cinealert.evaluate.videos import clip_metrics
    from cinealert.pipeline import Options, make
    w, h = (int(v) for v in size.split("x"))
    report = make(disaster, out, Options(width=w, height=h, seconds=seconds, formats=("mp4",), progress=False,
                                                **({"flow_cycles": cycles} if cycles else {}))).report
    mp4 = Path(out, "cinemagraph.mp4")
    m = report["metrics"]
    return {"seam_rendered": m["loop_seam"], "seam_delivered": clip_metrics(mp4)["loop_seam"],
            "bytes": mp4.stat().st_size, **{k: m.get(k) for k in MEASURES}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--types", default="all", help="comma-separated disaster types, or 'all'")
    ap.add_argument("--sizes", default="1024x576")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--src", default=str(ROOT / "src"), help="the sources to run (default: this checkout's)")
    ap.add_argument("--label", default="")
    ap.add_argument("--flow-cycles", type=int, default=None, help="pass --flow-cycles K to every job (default: auto)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw numbers here")
    ap.add_argument("--one", nargs=3, metavar=("TYPE", "SIZE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one, seconds=args.seconds, cycles=args.flow_cycles)))
        return 0
    env = dict(os.environ, PYTHONPATH=str(Path(args.src).resolve()), HF_HUB_OFFLINE="1")
    chosen = types() if args.types == "all" else args.types.split(",")
    rows = {}
    for size in args.sizes.split(","):
        for disaster in chosen:
            with tempfile.TemporaryDirectory() as out:
                cyc = ["--flow-cycles", str(args.flow_cycles)] if args.flow_cycles else []
                res = subprocess.run([sys.executable, __file__, "--seconds", str(args.seconds), *cyc,
                                      "--one", disaster, size, out], env=env, capture_output=True, text=True)
            if res.returncode:
                print(f"{disaster} {size}: failed: {res.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                continue
            rows[f"{size} {disaster}"] = json.loads(res.stdout.splitlines()[-1])
    print(f"{args.label + ': ' if args.label else ''}make TYPE --formats mp4, {args.seconds:g} s at 24 fps; "
          f"sources {args.src}")
    print("| size | type | seam rendered | seam delivered | MP4 bytes | " + " | ".join(MEASURES) + " |")
    print("|---|---|---:|---:|---:|" + "---:|" * len(MEASURES))
    for key, r in rows.items():
        cells = [f"{r[k]:.3f}" if r.get(k) is not None else "–" for k in MEASURES]
        print(f"| {key.replace(' ', ' | ')} | {r['seam_rendered']:.3f} | {r['seam_delivered']:.3f} | {r['bytes']} | "
              + " | ".join(cells) + " |")
    vals = list(rows.values())
    if vals:
        print(f"\nmax seam delivered {max(r['seam_delivered'] for r in vals):.3f}; "
              f"total MP4 bytes {sum(r['bytes'] for r in vals)}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
