"""Look at ghosting: the fluid alone (camera still) at t = 0, N/4, N/2, and the change at N/2 amplified.

One sheet per scene, two rows: one flow cycle per loop (``--flow-cycles 1``, as before) and the cycles the
renderer chooses now; the last column is ``4 × |frame(N/2) − frame(0)|``. Scenes: procedural disaster
types, and a picture with its fluid mask (white = water), animated through the Python API.

    python bench/look_ghosting.py -o /tmp/look wildfire typhoon
    python bench/look_ghosting.py -o /tmp/look --image ../shared/real-images/t2c_waterfall_lake.png \\
        --mask ../shared/real-images/t2c_waterfall_lake_water_mask.png
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def picture_scene(image_path: str, mask_path: str, *, frames: int, fps: float, width: int):
    """A picture, its water mask, heuristic depth and the rules' motion for a flood."""
    from cinealert.disasters import get_disaster
    from cinealert.motion.rules import RuleMotion
    from cinealert.pipeline import load_image
    from cinealert.regions import Region
    from cinealert.scene.heuristic_depth import HeuristicDepth

    image, _ = load_image(image_path, size=None)
    scale = width / image.shape[1]
    size = (width, int(round(image.shape[0] * scale / 2)) * 2)
    image = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    mask = cv2.resize(cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE), size, interpolation=cv2.INTER_NEAREST) > 127
    regions = np.where(mask, Region.WATER, Region.NONE).astype(np.uint8)
    depth = HeuristicDepth().estimate(image)
    plan = RuleMotion().plan(regions, depth, disaster=get_disaster("flood"), frames=frames, fps=fps)
    return image, depth, plan


def sheet(image, depth, plan, *, frames: int, fps: float) -> tuple[np.ndarray, dict]:
    from cinealert.evaluate.ghosting import ghosting
    from cinealert.render.camera import camera_path
    from cinealert.render.cycles import auto_flow_cycles
    from cinealert.render.renderer import LayeredRenderer

    h, w = depth.shape
    cam = camera_path("static", frames=frames, width=w, height=h)
    auto = auto_flow_cycles(plan.flow, plan.mask, image, frames=frames, fps=fps)
    rows, numbers = [], {"auto": auto}
    for label, cycles in (("one cycle", 1), (f"auto: {auto['cycles']} cycles", auto["cycles"])):
        r = LayeredRenderer(image, depth, plan, cam, fps=fps, flow_cycles=cycles)
        mid = max(1, r.period // 2)
        shots = [r.fluid_frame(t) for t in (0, max(1, r.period // 4), mid)]
        diff = np.clip(np.abs(shots[2].astype(np.int16) - shots[0]) * 4, 0, 255).astype(np.uint8)
        numbers[label] = ghosting(shots[0], shots[1:], plan.mask > 0.5)
        row = np.hstack(shots + [diff])
        cv2.putText(row, f"{label}: t=0, P/4, P/2, 4x|P/2 - 0|  sharpness {numbers[label]['ghost_sharpness']}",
                    (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 2)
        rows.append(row)
    return np.vstack(rows), numbers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("types", nargs="*", default=["wildfire", "typhoon"])
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--image", help="a picture to animate (with --mask)")
    ap.add_argument("--mask", help="its fluid mask, white = water")
    ap.add_argument("--size", default="768x432", help="procedural scenes' size; a picture is scaled to its width")
    ap.add_argument("--frames", type=int, default=72)
    args = ap.parse_args()
    from bench_render import scene

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    w, h = (int(v) for v in args.size.split("x"))
    scenes = [(t, lambda t=t: scene(t, w, h, frames=args.frames, fps=24.0)) for t in args.types]
    if args.image:
        scenes.append((Path(args.image).stem, lambda: picture_scene(args.image, args.mask, frames=args.frames,
                                                                    fps=24.0, width=w)))
    report = {}
    for name, make_scene in scenes:
        img, numbers = sheet(*make_scene(), frames=args.frames, fps=24.0)
        cv2.imwrite(str(out / f"ghosting_{name}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        report[name] = numbers
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
