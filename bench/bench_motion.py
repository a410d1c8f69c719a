"""Benchmark: motion from video and the learned motion network, on synthetic clips with known motion.

Builds a training set and a held-out set of synthetic clips (water, fire, smoke; a texture sliding at a
known velocity, optionally with camera shake), then reports:

1. extraction: end-point error of `motion extract` against the true field, with and without shake, and
   its time per clip;
2. training: loss and validation end-point error, seconds per step and per epoch on this machine;
3. evaluation: end-point and angular error per class of the rules, the trained network and transfer.

    python bench/bench_motion.py                     # 4 clips per class, 300 steps
    python bench/bench_motion.py --per-class 8 --steps 1000 --device cuda
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-class", type=int, default=4)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--device", default=None)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()

    from cinealert.evaluate.motion_eval import evaluate_motion
    from cinealert.evaluate.tables import MOTION_COLUMNS, markdown
    from cinealert.motion.extract import extract_file
    from cinealert.motion.synthetic import make_clip, write_clip, write_dataset
    from cinealert.motion.train import train
    from cinealert.regions import Region

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = []
        for region in (Region.WATER, Region.FIRE, Region.SMOKE):
            for shake in (0.0, 2.0):
                clip = make_clip(width=160, height=120, frames=30, seed=7, region=region, shake=shake)
                path = write_clip(clip, tmp / f"{region.name}_{shake}.mp4")
                t0 = time.perf_counter()
                m = extract_file(path)
                dt = time.perf_counter() - t0
                core = cv2.erode(clip.mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
                err = np.linalg.norm(m.flow - clip.flow, axis=-1)
                rows.append({"class": region.name.lower(), "shake_px": shake,
                             "true_px": round(float(np.linalg.norm(clip.flow[clip.mask][0])), 3),
                             "epe_core": round(float(err[core].mean()), 4), "epe_mask": round(float(err[clip.mask].mean()), 4),
                             "seconds": round(dt, 3)})
        out["extract"] = rows
        print("## motion extract (160x120, 30 frames; px/frame)\n")
        print("| class | shake ±px | true speed | EPE (region core) | EPE (whole region) | s per clip |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['class']} | {r['shake_px']:g} | {r['true_px']} | {r['epe_core']} | {r['epe_mask']} | {r['seconds']} |")

        write_dataset(tmp / "train", per_class=args.per_class, width=128, height=96, frames=24)
        write_dataset(tmp / "held", per_class=2, width=128, height=96, frames=24, seed=777)
        metrics = train(tmp / "train", tmp / "model", steps=args.steps, device=args.device, progress=False)
        out["train"] = metrics
        print(f"\n## motion train ({metrics['train_videos']} training, {metrics['val_videos']} validation clips, "
              f"{metrics['parameters']} parameters, {metrics['device']})\n")
        print(f"loss {metrics['first_loss']} → {metrics['last_loss']:.4f}; validation EPE "
              f"{metrics['val_epe_first_px']} → {metrics['val_epe_px']} px/frame; "
              f"{metrics['seconds_per_step']} s per step, {metrics['seconds_per_epoch']} s per epoch "
              f"({metrics['steps_per_epoch']} steps of 8 crops); preparing the pairs {metrics['seconds_prepare']} s")
        res = evaluate_motion(tmp / "held", motion_model=str(tmp / "model"), device=args.device)
        out["evaluate"] = res
        print("\n## held-out clips: end-point error (px/frame) and angle (degrees)\n")
        print(markdown(res, MOTION_COLUMNS))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
