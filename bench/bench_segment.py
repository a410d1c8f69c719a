"""Benchmark: the built-in segmenter on the real-image development set (tests/data/real).

Prints IoU per image and class (each image scored on its own classes, see devset.json), the mean
over the tuned images and over the held-out ones, and milliseconds per image on this machine.

    python bench/bench_segment.py                 # the heuristic segmenter
    python bench/bench_segment.py --json out.json
"""
from __future__ import annotations

import argparse
import json

import numpy as np

CLASSES = ("water", "fire", "smoke", "cloud")


def _table(rows: list[dict]) -> str:
    head = ["image", "set", "moving"] + list(CLASSES) + ["mean", "ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["image"], "held out" if r["held_out"] else "tuned", f"{r['moving']:.2f}"]
        cells += [f"{r[c]:.2f}" if c in r else "" for c in CLASSES]
        cells += [f"{r['mean']:.2f}", f"{r['ms']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()

    from cinealert.evaluate.segmentation import load_devset, score_item
    from cinealert.scene.heuristic_segmenter import HeuristicSegmenter

    seg = HeuristicSegmenter()
    items = load_devset()
    score_item(seg, items[0])                                   # warm-up (imports, caches)
    rows = []
    for item in items:
        row = score_item(seg, item)
        row["mean"] = float(np.mean([row[c.name.lower()] for c in item.classes]))
        rows.append(row)
    print(_table(rows))
    summary = {}
    for label, part in (("tuned", [r for r in rows if not r["held_out"]]),
                        ("held out", [r for r in rows if r["held_out"]]), ("all", rows)):
        summary[label] = {"mean_class_iou": round(float(np.mean([r["mean"] for r in part])), 3),
                          "mean_moving_iou": round(float(np.mean([r["moving"] for r in part])), 3),
                          "ms_per_image": round(float(np.mean([r["ms"] for r in part])), 1)}
        print(f"{label:>8}: mean class IoU {summary[label]['mean_class_iou']:.3f}, "
              f"moving-region IoU {summary[label]['mean_moving_iou']:.3f}, "
              f"{summary[label]['ms_per_image']:.0f} ms/image ({len(part)} images)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"rows": rows, "summary": summary}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
